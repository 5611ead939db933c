"""Dispatch: print bundles with DIN 5008 cover letters, and recording that the letters went out.

- ``selection``: choosing, grouping and sorting the documents of a bundle.
- ``bundle``: assembling a print-ready PDF and its manifest per group.
- ``letters``: the cover letters (WeasyPrint), laid out in batches.
- ``mark_sent``: the "sent" event that starts the reminder clock.
"""

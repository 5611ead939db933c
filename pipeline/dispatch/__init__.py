"""Dispatch: print bundles with DIN 5008 cover letters, and recording that the letters went out.

- ``bundle``: choosing, grouping and sorting documents; assembling a print-ready PDF and its manifest.
- ``letters``: the cover letters (WeasyPrint), laid out in batches.
- ``mark_sent``: the "sent" event that starts the reminder clock.
"""

"""Render: signatories rows → one personalised two-page PDF per municipality, recorded in the ledger.

- ``run``: the stage (``render_round``): which rows are new, changed or unchanged; workers; recording.
- ``fingerprint``: what a document prints and its fingerprint (same fingerprint, same document).
- ``layout``: WeasyPrint layout, the template context, the geometry of the signature box and QR codes.
- ``compose``: a shared base layout under a small personal overlay (the fast path).
- ``qr``: the QR code of every page.
- ``hyphenation``: German hyphenation patterns cached per machine.

Other stages use only what this file exports.
"""

from .fingerprint import fingerprint, printed_fields, templates_digest
from .layout import subsetter_name
from .plan import changed_fields
from .qr import qr_svg
from .run import RenderSummary, render_round

__all__ = ["RenderSummary", "changed_fields", "fingerprint", "printed_fields", "qr_svg", "render_round",
           "subsetter_name", "templates_digest"]

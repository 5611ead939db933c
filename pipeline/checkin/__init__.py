"""Check-in: returned copies → identified pages → verified documents → archive and ledger.

- ``run``: the stage (``check_in``): claim, store, analyse in workers, record; crash recovery.
- ``context``: the round's settings and documents as every step needs them.
- ``pool``: worker processes with a hard time limit per upload (a server keeps one for its life).
- ``archive``: claiming uploads from the inbox, storing them by content hash, signed and unmatched files.
- ``intake``: reading an upload's pages (PDF, images) as a viewer shows them (``pdfpage``), and finding the
  QR codes on them (``codes``).
- ``identify``: which page of which document each page is; without a readable code, by the printed id line
  (``printed``: OCR with Tesseract, on a page registered on our layout by ``register``), or by matching it
  against our pages inside its upload (``matching``).
- ``ink``: where the signature box lies on the page (``align``), measured there: strokes by contrast
  (``strokes``), what kind of mark they make (``marks``), and the picture for the person who reviews
  (``review``).
- ``digital``: is a digital signature ours, intact and trusted?
- ``judge``: recording an analysed upload and each document's new state.
- ``results``: what a check-in reports, per upload and per document.
- ``decide``: a clerk's decision by hand.
- ``attribution``: a document sent through another municipality's link is held for review.
- ``crops``: a received page as an image, and its signature box aligned on ours (for the person who checks).
- ``session``: what a front end needs around the stage: the uploads to read, the lines that report a run.

What other stages use (the mail stage checks in each attachment as an upload of its own; the web app
uploads, decides and shows crops) is only what this file exports.
"""

from .archive import Claim, claim, free_name, hash_claimed, store
from .attribution import hold_foreign_documents
from .context import Settings, load_settings
from .crops import SignatureCrop, page_png, signature_crop
from .decide import decide
from .pool import AnalysisPool
from .results import CheckinSummary, DocumentOutcome, UploadResult
from .run import check_in

__all__ = ["AnalysisPool", "CheckinSummary", "Claim", "DocumentOutcome", "Settings", "SignatureCrop", "UploadResult",
           "check_in", "claim", "decide", "free_name", "hash_claimed", "hold_foreign_documents", "load_settings",
           "page_png", "signature_crop", "store"]

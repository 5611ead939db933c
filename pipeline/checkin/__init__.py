"""Check-in: returned copies → identified pages → verified documents → archive and ledger.

- ``run``: the stage (``check_in``): claim, store, analyse in workers, record; crash recovery.
- ``context``: the round's settings and documents as every step needs them.
- ``pool``: worker processes with a hard time limit per upload.
- ``archive``: claiming uploads from the inbox, storing them by content hash, signed and unmatched files.
- ``intake``: reading an upload's pages (PDF, images) and finding the QR codes on them.
- ``identify``: which page of which document each page is.
- ``ink``: is the signature box signed (wet ink on a scan or photo)?
- ``digital``: is a digital signature ours, intact and trusted?
- ``judge``: recording an analysed upload and each document's new state.
- ``results``: what a check-in reports, per upload and per document.
- ``decide``: a clerk's decision by hand.
- ``session``: what a front end needs around the stage: the uploads to read, the lines that report a run.

What other stages use (the mail stage checks in each attachment as an upload of its own):
"""

from .archive import Claim, claim, free_name, hash_claimed, store
from .context import Settings
from .results import CheckinSummary, UploadResult
from .run import check_in

__all__ = ["CheckinSummary", "Claim", "Settings", "UploadResult", "check_in", "claim", "free_name", "hash_claimed",
           "store"]

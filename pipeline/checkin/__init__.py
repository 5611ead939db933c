"""Check-in: returned copies → identified pages → verified documents → archive and ledger.

- ``run``: the stage (``check_in``): claim, store, analyse in workers, record; crash recovery.
- ``context``: the round's settings and documents as every step needs them.
- ``pool``: worker processes with a hard time limit per upload.
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
"""

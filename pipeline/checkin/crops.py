"""Pictures for a person who checks a copy: a received page as an image, and the signature box of a
received page cut out and aligned on our own blank box, side by side.

The crop is found the way check-in measured the ink (ink.py): the QR code's corners map the box from PDF
points onto the page image, and the printed text around the box is aligned on our blank page by
correlation. Nothing here writes to the ledger.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from ..docid import DocIdError, parse_qr_payload
from ..ledger import DocumentRecord
from .intake import Limits, open_upload, read_pages


@dataclass
class SignatureCrop:
    scan: bytes          # PNG: the box and the printed name below it, from the received page
    blank: bytes         # PNG: the same window of our own rendered page
    note: str            # how well it lined up (empty: well)


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def page_png(stored: Path, kind: str, source_page: int, max_side: int = 1400) -> bytes:
    """Page `source_page` of a stored upload as a PNG no larger than `max_side` pixels (grey)."""
    from PIL import Image, ImageOps

    if kind == "pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(stored))
        try:
            page = pdf[source_page - 1]
            scale = max_side / max(page.get_width(), page.get_height())
            image = page.render(scale=min(scale, 300 / 72), grayscale=True).to_pil()
        finally:
            pdf.close()
    else:
        with Image.open(stored) as picture:
            picture.seek(source_page - 1)
            image = ImageOps.exif_transpose(picture.copy()) if source_page == 1 else picture.copy()
    if image.mode not in ("L", "RGB"):
        from .intake import eight_bit

        image = eight_bit(image).convert("L")
    image.thumbnail((max_side, max_side))
    return _png(image.convert("L"))


def _page_image(stored: Path, source_page: int):
    """The page as check-in read it: its image and the QR codes found on it."""
    upload = open_upload(stored, Limits())
    for page in read_pages(upload, Limits()):
        if page.number == source_page:
            return page
        page.image = None
    return None


def signature_crop(stored: Path, source_page: int, record: DocumentRecord, reference_pdf: Path) -> SignatureCrop:
    """The signature box of `record` on page `source_page` of a stored upload, aligned on our blank box."""
    import numpy as np

    from .ink import SEARCH_MM, _box_in_window, _fit, _window, cut_box_from_pdf, cut_box_from_scan, measure_ink

    geometry = record.geometry
    box = geometry["signature_box"]["box"]
    page_number = geometry["signature_box"]["page"]
    window = _window(box)
    blank = cut_box_from_pdf(reference_pdf, page_number, window)
    page = _page_image(stored, source_page)
    if page is None or page.image is None:
        return SignatureCrop(b"", _png(blank), "the page could not be read again")
    transform = None
    for code in page.codes:
        try:
            ref = parse_qr_payload(code.text)
        except DocIdError:
            continue
        if str(ref.doc_id) == record.doc_id and ref.page == page_number and str(page_number) in geometry["qr"]:
            left, bottom, right, top = geometry["qr"][str(page_number)]
            source = np.array([(left, top), (right, top), (right, bottom), (left, bottom)], dtype=float)
            transform = _fit(source, np.array(code.corners, dtype=float))
            break
    if transform is None:  # a born-digital page read by its text: map by the page's own size
        width_pt, height_pt = geometry["page_size"]
        image = page.image
        transform = np.array([[image.size[0] / width_pt, 0.0, 0.0], [0.0, -image.size[1] / height_pt, image.size[1]]])
    wide = cut_box_from_scan(page.image, transform, _window(box, SEARCH_MM))
    reading = measure_ink(wide, blank, _box_in_window(box, window))
    top = (wide.size[1] - blank.size[1]) // 2 + reading.shift[0]
    left = (wide.size[0] - blank.size[0]) // 2 + reading.shift[1]
    aligned = wide.crop((left, top, left + blank.size[0], top + blank.size[1]))
    return SignatureCrop(_png(aligned), _png(blank), reading.note)

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
    from PIL import ImageOps

    from .intake import on_paper, open_image

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
        with open_image(stored) as picture:
            picture.seek(source_page - 1)
            image = ImageOps.exif_transpose(picture.copy()) if source_page == 1 else picture.copy()
    image = on_paper(image)
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
    """The signature box of `record` on page `source_page` of a stored upload, aligned on our blank box
    the way check-in measured it (align.py: the QR code's map, then correlation on the printed text)."""
    import numpy as np
    from PIL import Image

    from . import align
    from .ink import box_in_window, page_map, qr_map, render_region, window_of

    dpi = 150.0
    geometry = record.geometry
    box, page_number = geometry.signature_box.rect, geometry.signature_box.page
    window = window_of(box)
    blank = render_region(reference_pdf, page_number, window, dpi)
    page = _page_image(stored, source_page)
    if page is None or page.image is None:
        return SignatureCrop(b"", _png(Image.fromarray(blank)), "the page could not be read again")
    pixels = np.asarray(page.image.convert("L"))
    transform = None
    for code in page.codes:
        try:
            ref = parse_qr_payload(code.text)
        except DocIdError:
            continue
        if str(ref.doc_id) == record.doc_id and ref.page == page_number:
            fitted = qr_map(geometry, page_number, code.corners)
            transform = fitted[0] if fitted else None
            break
    if transform is None:  # a born-digital page read by its text: map by the page's own size
        transform = page_map((pixels.shape[1], pixels.shape[0]), geometry.page_size)
    margin_mm = 6.0
    wide = align.cut(pixels, transform, window_of(box, margin_mm), dpi)
    top, bottom, left, right = box_in_window(box, window, dpi)
    mask = np.ones(blank.shape[:2], dtype=bool)
    mask[top:bottom, left:right] = False
    scan_dark = 1.0 - wide.astype(np.float32) / 255.0
    blank_dark = 1.0 - (blank if blank.ndim == 2 else blank.mean(axis=2)).astype(np.float32) / 255.0
    dy, dx, score = align.locate(scan_dark, blank_dark, mask, 0.75)
    y, x = int(round(dy)), int(round(dx))
    aligned = wide[max(0, y): y + blank.shape[0], max(0, x): x + blank.shape[1]]
    note = "" if score >= 0.55 else f"the printed text around the box lines up poorly ({score:.2f})"
    return SignatureCrop(_png(Image.fromarray(aligned)), _png(Image.fromarray(blank)), note)

"""Compose each document from a base shared by the whole round and a small personal overlay.

Laying out the two pages of text is most of the cost of a document (issue "Performance"), and it is the
same for every municipality: page 1 differs only in its id, page 2 only in the signer block and the id.
So the text is laid out once per run and variant (the opening sentence depends on the signers'
genders: at most five variants), and each document is drawn as

    page = [base page as a Form XObject] + [overlay page: QR code, id text, signer block]

The base page becomes a Form XObject with its own resources, so nothing of the two content streams is
parsed or renamed, and each output stays a complete, self-contained PDF: both font subsets are embedded,
the text extracts in reading order, the QR codes are vectors. Tests compare it with the single-pass
rendering pixel by pixel.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

BASE_FORM_NAME = NameObject("/EngagiertBase")


@dataclass
class BaseLayout:
    """A base rendering, parsed once, ready to be stamped under any number of overlays."""

    pdf: bytes
    reader: PdfReader
    forms: list[DecodedStreamObject]  # one Form XObject per page (resources still point into `reader`)
    signer_block: dict  # where the overlay puts the signer block: page, left, top, width (CSS px)
    signature_box: dict  # geometry of the signature box (page, box in PDF points)


def base_layout(pdf: bytes, signer_block: dict, signature_box: dict) -> BaseLayout:
    reader = PdfReader(io.BytesIO(pdf))
    forms = []
    for page in reader.pages:
        form = DecodedStreamObject()
        form.set_data(page.get_contents().get_data())
        form.update({
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(value) for value in page.mediabox),
            NameObject("/Resources"): page["/Resources"],
        })
        forms.append(form.flate_encode())
    return BaseLayout(pdf, reader, forms, signer_block, signature_box)


QR_MASK = 0  # fixed: see make_qr


def make_qr(payload: str):
    """The page's QR code (error level Q, so a quarter of it may be stained or torn). The mask pattern is
    fixed instead of chosen by segno's penalty scoring, which costs 5 ms per code (10 ms of a document's
    ~35): any mask is valid QR and decodes the same; the check-in tests decode every page at 150 dpi."""
    import segno

    return segno.make(payload, error="q", micro=False, mask=QR_MASK)


def qr_operators(payload: str, box: list[float]) -> bytes:
    """A QR code as PDF path operators filling `box` (PDF points): one rectangle per run of dark modules.

    The same code segno draws as SVG in the single-pass rendering (error level Q), drawn here without
    WeasyPrint parsing and re-serialising an SVG path of several hundred segments per page.
    """
    code = make_qr(payload)
    rows = [list(row) for row in code.matrix]
    size = len(rows)
    left, bottom, right, top = box
    module = (right - left) / size
    operators = [b"q 0 0 0 rg"]
    for row_index, row in enumerate(rows):
        y = top - (row_index + 1) * module
        column = 0
        while column < size:
            if row[column]:
                start = column
                while column < size and row[column]:
                    column += 1
                operators.append(f"{left + start * module:.3f} {y:.3f} {(column - start) * module:.3f} "
                                 f"{module:.3f} re".encode())
            else:
                column += 1
    operators.append(b"f Q\n")
    return b"\n".join(operators)


def compose(base: BaseLayout, overlay_pdf: bytes, metadata: dict[str, str], identifier: str,
            stamps: list[bytes] | None = None, lang: str = "de") -> bytes:
    """Stamp each overlay page (and its extra `stamps` operators) over its base page; return the PDF."""
    overlay = PdfReader(io.BytesIO(overlay_pdf))
    if len(overlay.pages) != len(base.forms):
        raise ValueError(f"overlay has {len(overlay.pages)} pages, base {len(base.forms)}")
    writer = PdfWriter()
    stamps = stamps or [b""] * len(base.forms)
    for overlay_page, form, stamp in zip(overlay.pages, base.forms, stamps, strict=True):
        page = writer.add_page(overlay_page)
        form_reference = writer._add_object(form.clone(writer))
        # Fresh dictionaries per page: WeasyPrint shares one resources dictionary between pages.
        shared_resources = page.get("/Resources")
        resources = DictionaryObject(shared_resources.get_object() if shared_resources is not None else {})
        xobjects = resources.get("/XObject")
        xobjects = DictionaryObject(xobjects.get_object() if xobjects is not None else {})
        xobjects[BASE_FORM_NAME] = form_reference
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        # The base first (underneath), then the overlay's own content.
        contents = page.get("/Contents")
        parts = [writer._add_object(_stream(b"q " + BASE_FORM_NAME.encode() + b" Do Q\n"))]
        if contents is not None:
            contents_object = contents.get_object()
            parts.extend(contents_object if isinstance(contents_object, ArrayObject) else [contents])
        if stamp:
            # WeasyPrint leaves its flipped coordinate system in force at the end of its stream:
            # bracket that stream in q/Q so the stamp is drawn in plain PDF points.
            parts.insert(1, writer._add_object(_stream(b"q\n")))
            parts.append(writer._add_object(_stream(b"\nQ\n")))
            parts.append(writer._add_object(_stream(stamp).flate_encode()))
        page[NameObject("/Contents")] = ArrayObject(parts)
    writer.add_metadata(metadata)
    writer._root_object[NameObject("/Lang")] = TextStringObject(lang)
    # A fixed /ID (the document id and a hash of the inputs): same input, same bytes.
    digest = hashlib.md5(base.pdf + overlay_pdf, usedforsecurity=False).hexdigest().encode()
    writer._ID = ArrayObject([ByteStringObject(identifier.encode()), ByteStringObject(digest)])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream

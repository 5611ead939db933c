"""What a PDF editor does to a returned PDF: a pen-tool signature (an /Ink annotation with its appearance
stream, as Acrobat or Preview write it), a white rectangle drawn over the page, a picture pasted onto our
own born-digital PDF."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image


def _append_content(writer, page, content: bytes) -> None:
    from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject

    stream = DecodedStreamObject()
    stream.set_data(content)
    reference = writer._add_object(stream)
    existing = page.raw_get(NameObject("/Contents"))   # the reference: a stream must stay indirect
    items = list(existing.get_object()) if isinstance(existing.get_object(), list) else [existing]
    page[NameObject("/Contents")] = ArrayObject([*items, reference])


def edit_pdf(path: Path, page_index: int, *, ink_strokes: list | None = None, white_box: list | None = None,
             colour=(0.0, 0.0, 0.55), width: float = 1.2) -> None:
    """Add a pen-tool signature (an /Ink annotation with its appearance) or a white rectangle to a page."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject, StreamObject

    writer = PdfWriter(clone_from=path)
    page = writer.pages[page_index]
    if white_box is not None:
        left, bottom, right, top = white_box
        _append_content(writer, page, f"q 1 1 1 rg {left:.2f} {bottom:.2f} {right - left:.2f} {top - bottom:.2f} re f Q"
                        .encode())
    if ink_strokes:
        points = [p for stroke in ink_strokes for p in stroke]
        rect = [min(x for x, _ in points) - 2, min(y for _, y in points) - 2,
                max(x for x, _ in points) + 2, max(y for _, y in points) + 2]
        drawing = [f"{colour[0]} {colour[1]} {colour[2]} RG {width} w 1 J 1 j"]
        for stroke in ink_strokes:
            drawing.append(f"{stroke[0][0]:.2f} {stroke[0][1]:.2f} m")
            drawing += [f"{x:.2f} {y:.2f} l" for x, y in stroke[1:]]
            drawing.append("S")
        appearance = StreamObject()
        appearance._data = "\n".join(drawing).encode()
        appearance.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
                           NameObject("/BBox"): ArrayObject([FloatObject(v) for v in rect])})
        annotation = DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Ink"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in rect]),
            NameObject("/InkList"): ArrayObject([ArrayObject([FloatObject(v) for p in stroke for v in p])
                                                 for stroke in ink_strokes]),
            NameObject("/C"): ArrayObject([FloatObject(v) for v in colour]),
            NameObject("/BS"): DictionaryObject({NameObject("/W"): FloatObject(width)}),
            NameObject("/F"): NumberObject(4),
            NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(appearance)})})
        page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    buffer = io.BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())


def paste_picture(pdf: str, page_index: int, picture: Image.Image, at_points: tuple[float, float],
                  dpi: float, target: Path, only_page: bool) -> None:
    """Our own born-digital PDF with a picture (a scanned signature) placed on a page, as PDF editors do."""
    from pypdf import PdfReader, PdfWriter, Transformation

    buffer = io.BytesIO()
    picture.save(buffer, format="PDF", resolution=dpi)
    overlay = PdfReader(io.BytesIO(buffer.getvalue())).pages[0]
    writer = PdfWriter(clone_from=pdf)
    writer.pages[page_index].merge_transformed_page(overlay, Transformation().translate(*at_points))
    if only_page:
        for index in reversed(range(len(writer.pages))):
            if index != page_index:
                writer.remove_page(index)
    out = io.BytesIO()
    writer.write(out)
    target.write_bytes(out.getvalue())


def add_invisible_text(path: Path, page_index: int, text: str, at_points: tuple[float, float] = (60, 40)) -> None:
    """An OCR program's text layer: `text` written in render mode 3 (invisible) over the page."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject

    writer = PdfWriter(clone_from=path)
    page = writer.pages[page_index]
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    resources = page[NameObject("/Resources")].get_object()
    resources[NameObject("/Font")] = DictionaryObject({NameObject("/OCR"): writer._add_object(font)})
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    _append_content(writer, page, f"BT 3 Tr /OCR 8 Tf {at_points[0]} {at_points[1]} Td ({escaped}) Tj ET".encode())
    buffer = io.BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())

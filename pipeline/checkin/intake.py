"""Intake: open an upload safely, get each page as an image, and find which document page it is.

An upload is whatever a town hall sends back: a scanner's PDF (JPEG, CCITT G4 or Flate images), a phone
photo (JPEG/PNG), a multi-page TIFF, or our own PDF signed digitally. Each page is identified by its QR
code (payload ``<doc id>/<page>/<pages>``), else by the "Dok.-Nr." text of a born-digital PDF.

Speed comes from doing the cheap thing first (issue 6): a scanned page's embedded JPEG is taken as it is
and decoded at reduced size (Pillow ``draft``), the QR code is looked for in the corner where it was printed,
and only then on the whole page, at full resolution, or rendered at 300 dpi. Limits on bytes, pages,
pixels and time keep a hostile file from exhausting the machine; every refusal carries a reason a clerk
can act on.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..docid import ID_IN_TEXT
from ..units import MM_PER_PT


@dataclass(frozen=True)
class Limits:
    """Per-upload limits (configurable in round.toml [checkin] and on the command line)."""

    max_bytes: int = 150 * 1024 * 1024
    max_pages: int = 300
    max_pixels: int = 120_000_000      # per page image (a 600 dpi A3 scan is ~70 Mpx)
    max_page_mm: float = 1500.0        # longer side of a PDF page (A0 is 1189 mm)
    max_seconds: float = 120.0         # reading one upload


class Refused(Exception):
    """The upload cannot be read at all (the reason is for the clerk)."""


@dataclass
class Code:
    """One of our QR codes found on a page image: its text and its four corners in image pixels
    (top-left, top-right, bottom-right, bottom-left of the symbol as printed, whatever the rotation)."""

    text: str
    corners: list[tuple[float, float]]


@dataclass
class SourcePage:
    """One page (or image frame) of an upload, as read."""

    number: int                      # 1-based position in the upload
    image: object | None = None      # PIL grey image the codes' corners refer to (None if not rasterised)
    codes: list[Code] = field(default_factory=list)
    text_ids: list[str] = field(default_factory=list)   # ids read from a text layer
    text_page: tuple[int, int] | None = None            # "Seite 2/2" from the text layer
    how: str = ""                    # how it was identified: qr-corner, qr-page, qr-hires, text
    problem: str = ""                # why nothing was found (blank page, no code, too large, …)
    blank: bool = False
    born_digital: bool = False       # a PDF page drawn from text and vectors, not a scan


@dataclass
class Upload:
    path: Path
    kind: str                        # pdf, jpeg, png, tiff, …
    page_count: int
    signed_pdf: bool = False         # carries digital signature fields


MAGIC = [
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
]
LOOKS_LIKE = [
    (re.compile(rb"^\s*(<!doctype html|<html|<\?xml|<svg)", re.I), "a web page or XML file"),
    (re.compile(rb"^PK\x03\x04"), "a ZIP archive (e.g. a Word or Excel file)"),
    (re.compile(rb"^\xd0\xcf\x11\xe0"), "an old Microsoft Office file"),
    (re.compile(rb"^RIFF....WEBP", re.S), "a WebP image (please send PDF, JPEG, PNG or TIFF)"),
]


def sniff(head: bytes) -> str:
    """The file's real type from its first bytes; the name's extension is not trusted."""
    if not head:
        raise Refused("the file is empty (0 bytes)")
    # Some scanners put a few bytes of junk before %PDF; PDF readers accept it within the first KB.
    if b"%PDF-" in head[:1024]:
        return "pdf"
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    for pattern, description in LOOKS_LIKE:
        if pattern.search(head[:64]):
            raise Refused(f"not a scan: the file is {description}")
    raise Refused("not a PDF or image file (unknown content)")


def open_upload(path: Path, limits: Limits) -> Upload:
    """Check type and limits and count pages, without decoding any page yet."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise Refused(f"the file is {size / 1e6:.0f} MB, more than the limit of {limits.max_bytes / 1e6:.0f} MB")
    with open(path, "rb") as handle:
        head = handle.read(1024)
    kind = sniff(head)
    if kind == "pdf":
        pdf = _open_pdf(path)
        try:
            count = len(pdf)
            signed = _has_signatures(pdf)
        finally:
            pdf.close()
    else:
        count = _image_frame_count(path, limits)
        signed = False
    if count == 0:
        raise Refused("the file has no pages")
    if count > limits.max_pages:
        raise Refused(f"the file has {count} pages, more than the limit of {limits.max_pages}")
    return Upload(path=path, kind=kind, page_count=count, signed_pdf=signed)


def read_pages(upload: Upload, limits: Limits) -> Iterator[SourcePage]:
    """Each page with the codes found on it, one at a time (memory stays flat for long stacks)."""
    started = time.monotonic()
    pages = _pdf_pages(upload, limits) if upload.kind == "pdf" else _image_pages(upload, limits)
    for page in pages:
        if time.monotonic() - started > limits.max_seconds:
            raise Refused(f"reading took longer than {limits.max_seconds:.0f} s (stopped at page {page.number})")
        yield page


# --- PDFs -----------------------------------------------------------------------------------------


def _open_pdf(path: Path):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise Refused("the PDF is protected by a password; please send it without protection") from exc
        raise Refused("the PDF is damaged and cannot be opened") from exc


def _has_signatures(pdf) -> bool:
    """Whether the PDF carries a digital signature (PDFium counts the signature dictionaries)."""
    import pypdfium2.raw as pdfium_c

    return pdfium_c.FPDF_GetSignatureCount(pdf.raw) > 0


def _pdf_pages(upload: Upload, limits: Limits) -> Iterator[SourcePage]:
    import pypdfium2 as pdfium

    pdf = _open_pdf(upload.path)
    try:
        for index in range(len(pdf)):
            number = index + 1
            try:
                page = pdf[index]
            except pdfium.PdfiumError as exc:
                yield SourcePage(number, problem=f"page {number} cannot be read ({exc})")
                continue
            try:
                yield _read_pdf_page(page, number, limits)
            finally:
                page.close()
    finally:
        pdf.close()


def _read_pdf_page(page, number: int, limits: Limits) -> SourcePage:
    width_pt, height_pt = page.get_size()
    if max(width_pt, height_pt) * MM_PER_PT > limits.max_page_mm:
        return SourcePage(number, problem=f"page {number} is {width_pt * MM_PER_PT / 1000:.1f} × "
                                          f"{height_pt * MM_PER_PT / 1000:.1f} m, larger than any printed page")
    result = SourcePage(number)
    text = _page_text(page)
    result.text_ids = ID_IN_TEXT.findall(text.replace("\n", "").replace("\r", "").replace(" ", ""))
    found_page = re.search(r"Seite\s*(\d+)\s*/\s*(\d+)", text)
    if found_page:
        result.text_page = (int(found_page[1]), int(found_page[2]))

    scan = _embedded_scan(page, width_pt, height_pt, limits)
    if isinstance(scan, str):
        result.problem = scan
        return result
    if scan is None:
        # Drawn page (text and vectors, e.g. our own PDF or one signed in a PDF editor): render it.
        result.born_digital = bool(text.strip())
        pixels = (width_pt / 72 * 150) * (height_pt / 72 * 150)
        if pixels > limits.max_pixels:
            result.problem = f"page {number} is too large to render ({pixels / 1e6:.0f} megapixels at 150 dpi)"
            return result
        scan = _render(page, 150)
    _identify(result, scan, rerender=lambda: _render(page, 300))
    return result


def _page_text(page) -> str:
    try:
        textpage = page.get_textpage()
        try:
            return textpage.get_text_range()
        finally:
            textpage.close()
    except Exception:  # a broken content stream: no text, the image may still be readable
        return ""


def _embedded_scan(page, width_pt: float, height_pt: float, limits: Limits):
    """A scanner's page is one image covering the page: take it as stored (exact, and ~5x cheaper than
    rendering). Returns a grey PIL image, None for a drawn page, or a string saying why it is refused."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        images = list(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3))
    except pdfium.PdfiumError:
        return None
    if len(images) != 1:
        return None
    image = images[0]
    try:
        left, bottom, right, top = image.get_bounds()
    except pdfium.PdfiumError:
        return None
    if (right - left) * (top - bottom) < 0.8 * width_pt * height_pt:
        return None  # a small picture on a drawn page (a pasted signature): render the whole page instead
    try:
        pixel_width, pixel_height = image.get_px_size()
    except (pdfium.PdfiumError, AttributeError):
        return None
    if pixel_width * pixel_height > limits.max_pixels:
        return (f"the page image is {pixel_width} × {pixel_height} pixels, more than the limit of "
                f"{limits.max_pixels / 1e6:.0f} megapixels")
    from PIL import Image

    try:
        if image.get_filters() == ["DCTDecode"]:
            picture = Image.open(io.BytesIO(bytes(image.get_data(decode_simple=False))))
            # JPEG decodes at 1/2, 1/4, 1/8 size almost for free: aim for ~100 dpi (a 2 cm QR code is then
            # ~80 px, enough for zxing); _identify goes back to full size if the code is not found.
            dpi = pixel_width / (width_pt / 72)
            scale = max(1, int(dpi // 100))
            picture.draft("L", (pixel_width // scale, pixel_height // scale))
            return picture.convert("L")
        bitmap = image.get_bitmap(render=False)
        return bitmap.to_pil().convert("L")
    except Exception:  # an image pdfium cannot decode alone (odd colour space): render the page
        return None


def _render(page, dpi: int):
    return page.render(scale=dpi / 72, grayscale=True, may_draw_forms=True).to_pil().convert("L")


# --- Images ---------------------------------------------------------------------------------------


def _image_frame_count(path: Path, limits: Limits) -> int:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # we check the size ourselves, with a clearer message
    try:
        with Image.open(path) as picture:
            width, height = picture.size
            if width * height > limits.max_pixels:
                raise Refused(f"the image is {width} × {height} pixels, more than the limit of "
                              f"{limits.max_pixels / 1e6:.0f} megapixels")
            return getattr(picture, "n_frames", 1)
    except Refused:
        raise
    except Exception as exc:  # the library's message names our temporary path: say it plainly instead
        raise Refused("the image is damaged and cannot be opened") from exc


def _image_pages(upload: Upload, limits: Limits) -> Iterator[SourcePage]:
    from PIL import Image, ImageOps

    with Image.open(upload.path) as picture:
        for index in range(upload.page_count):
            number = index + 1
            try:
                picture.seek(index)
                width, height = picture.size
                if width * height > limits.max_pixels:
                    yield SourcePage(number, problem=f"frame {number} is {width} × {height} pixels, too large")
                    continue
                frame = ImageOps.exif_transpose(picture.copy()) if index == 0 else picture.copy()
                grey = eight_bit(frame).convert("L")
            except Exception as exc:
                yield SourcePage(number, problem=f"image {number} cannot be decoded ({exc.__class__.__name__})")
                continue
            result = SourcePage(number)
            _identify(result, grey, rerender=None)
            yield result


def eight_bit(image):
    """The image with 8 bits per sample. Pillow turns 16- and 32-bit integer images (a scanner's 16-bit grey
    PNG or TIFF) into 8 bits by clipping, not scaling: all but the darkest pixels came out white, and a
    signed page was read as blank. Scaled down here instead."""
    if not image.mode.startswith("I"):
        return image
    import numpy as np
    from PIL import Image

    values = np.asarray(image)
    if image.mode.startswith("I;16") or values.max(initial=0) > 255:
        values = values // 257
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8))


# --- Finding the codes ----------------------------------------------------------------------------


def _identify(result: SourcePage, image, rerender) -> None:
    """Find our QR codes: expected corner, whole page, then higher resolution; or say why not."""
    result.image = image
    # The image is used as stored, however the page rotates it: zxing finds codes in any orientation and
    # reports corners that carry it, which is all the signature-box mapping needs.
    for how, finder in (("qr-corner", _codes_in_corner), ("qr-page", _decode)):
        codes = finder(image)
        if codes:
            result.codes, result.how = codes, how
            return
    if rerender is not None:
        hires = rerender()
        codes = _decode(hires)
        if codes:
            result.image, result.codes, result.how = hires, codes, "qr-hires"
            return
    if result.text_ids:
        result.how = "text"
        return
    if _is_blank(image):
        result.blank = True
        result.problem = "blank page"
    else:
        result.problem = "no document code found on the page"


def _codes_in_corner(image) -> list[Code]:
    """Our code sits in the bottom-right corner of an upright page: try that region first (fast)."""
    width, height = image.size
    left, top = int(width * 0.62), int(height * 0.78)
    corner = image.crop((left, top, width, height))
    return [Code(code.text, [(x + left, y + top) for x, y in code.corners]) for code in _decode(corner)]


def _decode(image) -> list[Code]:
    import zxingcpp

    found = []
    for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        position = barcode.position
        corners = [(float(point.x), float(point.y)) for point in
                   (position.top_left, position.top_right, position.bottom_right, position.bottom_left)]
        found.append(Code(barcode.text, corners))
    return found


def _is_blank(image) -> bool:
    """A separator sheet: almost no dark pixels once scanner noise is filtered out."""
    from PIL import ImageFilter

    small = image.copy()
    small.thumbnail((600, 600))
    cleaned = small.filter(ImageFilter.MedianFilter(3))
    histogram = cleaned.histogram()
    total = sum(histogram)
    paper = _percentile(histogram, 0.9)
    dark = sum(histogram[: max(0, int(paper * 0.6))])
    return dark / total < 0.002


def _percentile(histogram: list[int], fraction: float) -> int:
    total, running = sum(histogram), 0
    for level, count in enumerate(histogram):
        running += count
        if running >= fraction * total:
            return level
    return 255

"""Intake: open an upload safely, get each page as an image, and find which document page it is.

An upload is whatever a town hall sends back: a scanner's PDF (JPEG, CCITT G4 or Flate images), a phone
photo (JPEG/PNG), a multi-page TIFF, or our own PDF signed digitally. Each page is identified by its QR
code (payload ``<doc id>/<page>/<pages>``, codes.py), else by the "Dok.-Nr." text of a born-digital PDF
(or, in identify.py, of a scan, by OCR).

What counts is the page as a viewer shows it: a scan with nothing drawn over it is its embedded image;
anything else (a PDF editor's pen strokes or white box over the scan, a drawn page) is rendered, at the
scan's resolution, with its annotations. The signature box is measured on a full-resolution colour
reading of that (``SourcePage.shown``), made only for the page that has the box.

Speed comes from doing the cheap thing first (issue 6): a scanned page's embedded JPEG is taken as it is
and decoded at reduced size (Pillow ``draft``), the QR code is looked for in the corner where it was printed,
and only then on the whole page, at full resolution, or rendered at 300 dpi. Limits on bytes, pages,
pixels and time keep a hostile file from exhausting the machine; every refusal carries a reason a clerk
can act on.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..docid import ID_IN_TEXT
from ..errors import library_detail
from ..i18n import N_, DeferredText, deferred
from ..units import MM_PER_PT
from .codes import Code, find_codes
from .pdfpage import (  # noqa: F401 - eight_bit, on_paper, open_image: for archive, crops
    decode_scan,
    eight_bit,
    grey_image,
    images_shown_as_stored,
    layers_of,
    on_paper,
    open_image,
    reduced_grey,
    render,
)


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
class SourcePage:
    """One page (or image frame) of an upload, as read."""

    number: int                      # 1-based position in the upload
    image: object | None = None      # PIL grey image the codes' corners refer to (None if not rasterised)
    codes: list[Code] = field(default_factory=list)
    text_ids: list[str] = field(default_factory=list)   # ids read from a text layer
    text_page: tuple[int, int] | None = None            # "Seite 2/2" from the text layer
    how: str = ""                    # how it was identified: qr-corner, qr-page, qr-hires, text, ocr
    problem: str = ""                # why nothing was found (blank page, no code, too large, …)
    blank: bool = False
    born_digital: bool = False       # a PDF page drawn from text and vectors, not a scan
    transform: object | None = None  # PDF points -> `image` pixels, where the page was registered on ours
    shown: object | None = None      # () -> the page as a viewer shows it, numpy RGB or grey, at up to
                                     # ~300 dpi: the signature box is measured on this


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
# HEIC/HEIF (an iPhone's photos) and AVIF: an ISO media file whose first box names the brand.
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif")
LOOKS_LIKE = [
    (re.compile(rb"^\s*(<!doctype html|<html|<\?xml|<svg)", re.I), N_("a web page or XML file")),
    (re.compile(rb"^PK\x03\x04"), N_("a ZIP archive (e.g. a Word or Excel file)")),
    (re.compile(rb"^\xd0\xcf\x11\xe0"), N_("an old Microsoft Office file")),
]


def sniff(head: bytes) -> str:
    """The file's real type from its first bytes; the name's extension is not trusted."""
    if not head:
        raise Refused(deferred("the file is empty (0 bytes)"))
    # Some scanners put a few bytes of junk before %PDF; PDF readers accept it within the first KB.
    if b"%PDF-" in head[:1024]:
        return "pdf"
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    if head[4:8] == b"ftyp":
        if head[8:12] in HEIF_BRANDS:
            return "heif"
        raise Refused("not a scan: the file is a video or another media file (please send a photo as JPEG, "
                      "PNG or HEIC, or a PDF)")
    if re.match(rb"RIFF....WEBP", head[:12], re.S):
        return "webp"
    for pattern, description in LOOKS_LIKE:
        if pattern.search(head[:64]):
            raise Refused(deferred("not a scan: the file is {description}", description=deferred(description)))
    raise Refused(deferred("not a PDF or image file (unknown content)"))


def open_upload(path: Path, limits: Limits) -> Upload:
    """Check type and limits and count pages, without decoding any page yet."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise Refused(deferred("the file is {size:.0f} MB, more than the limit of {limit:.0f} MB", size=size / 1e6,
                               limit=limits.max_bytes / 1e6))
    with open(path, "rb") as handle:
        head = handle.read(1024)
    kind = sniff(head)
    if kind == "pdf":
        pdf = _open_pdf(path)
        try:
            count = len(pdf)
            signed = _has_signatures(pdf)
        except Exception as exc:
            raise Refused(cannot_be_read(exc)) from exc
        finally:
            pdf.close()
    else:
        count = _image_frame_count(path, limits)
        signed = False
    if count == 0:
        raise Refused(deferred("the file has no pages"))
    if count > limits.max_pages:
        raise Refused(deferred("the file has {count} pages, more than the limit of {limit}", count=count,
                               limit=limits.max_pages))
    return Upload(path=path, kind=kind, page_count=count, signed_pdf=signed)


def read_pages(upload: Upload, limits: Limits, likely_signed=None) -> Iterator[SourcePage]:
    """Each page with the codes found on it, one at a time (memory stays flat for long stacks).
    `likely_signed(number)`: whether page `number` is probably a signature page (the page before it was
    the page before one): its scan is then decoded once, in full, instead of reduced and again in full."""
    started = time.monotonic()
    pages = _pdf_pages(upload, limits, likely_signed) if upload.kind == "pdf" else _image_pages(upload, limits)
    try:
        for page in pages:
            if time.monotonic() - started > limits.max_seconds:
                raise Refused(deferred("reading took longer than {seconds:.0f} s (stopped at page {page})",
                                       seconds=limits.max_seconds, page=page.number))
            yield page
    except Refused:
        raise
    except Exception as exc:  # a file that breaks a decoder: our words, the library's in parentheses, no traceback
        raise Refused(cannot_be_read(exc)) from exc


def cannot_be_read(exc: Exception) -> DeferredText:
    return deferred("the file cannot be read ({error})", error=library_detail(exc, 200))


def page_as_shown(upload: Upload, number: int, limits: Limits) -> SourcePage:
    """One page read again, its pixels as shown kept (for a page identified only after the whole upload
    was read, by matching it against our pages)."""
    if upload.kind == "pdf":
        pdf = _open_pdf(upload.path)
        try:
            page = pdf[number - 1]
            try:
                result = _read_pdf_page(page, number, limits, as_stored=_StoredImages(upload.path)(number - 1))
                pixels = result.shown() if result.shown is not None else None
            finally:
                page.close()
        finally:
            pdf.close()
    else:
        result = next(page for page in _image_pages(upload, limits) if page.number == number)
        pixels = result.shown() if result.shown is not None else None
    result.shown = (lambda: pixels) if pixels is not None else None
    return result


# --- PDFs -----------------------------------------------------------------------------------------


def _open_pdf(path: Path):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise Refused(deferred("the PDF is protected by a password; please send it without protection")) from exc
        raise Refused(deferred("the PDF is damaged and cannot be opened")) from exc


def _has_signatures(pdf) -> bool:
    """Whether the PDF carries a digital signature (PDFium counts the signature dictionaries)."""
    import pypdfium2.raw as pdfium_c

    return pdfium_c.FPDF_GetSignatureCount(pdf.raw) > 0


def _pdf_pages(upload: Upload, limits: Limits, likely_signed=None) -> Iterator[SourcePage]:
    import pypdfium2 as pdfium

    pdf = _open_pdf(upload.path)
    stored = _StoredImages(upload.path)
    try:
        for index in range(len(pdf)):
            number = index + 1
            try:
                page = pdf[index]
            except pdfium.PdfiumError as exc:
                yield SourcePage(number, problem=f"page {number} cannot be read ({exc})")
                continue
            try:
                yield _read_pdf_page(page, number, limits, bool(likely_signed and likely_signed(number)),
                                     stored(index))
            finally:
                page.close()
    finally:
        pdf.close()


class _StoredImages:
    """Whether a page's scan may be taken as stored (pdfpage.images_shown_as_stored), with the upload's
    pypdf reader opened on first use."""

    def __init__(self, path: Path):
        self.path, self.reader = path, None

    def __call__(self, index: int) -> bool:
        if self.reader is None:
            from pypdf import PdfReader

            try:
                self.reader = PdfReader(self.path, strict=False)
            except Exception:  # noqa: BLE001 - pypdf cannot read it: PDFium renders every page
                return False
        return images_shown_as_stored(self.reader, index)


def _read_pdf_page(page, number: int, limits: Limits, full: bool = False, as_stored: bool = True) -> SourcePage:
    width_pt, height_pt = page.get_size()
    if max(width_pt, height_pt) * MM_PER_PT > limits.max_page_mm:
        return SourcePage(number, problem=f"page {number} is {width_pt * MM_PER_PT / 1000:.1f} × "
                                          f"{height_pt * MM_PER_PT / 1000:.1f} m, larger than any printed page")
    result = SourcePage(number)
    layers = layers_of(page, width_pt, height_pt)
    if layers.dpi is None:
        # A page drawn from text: its visible text layer names it. A scan's text layer (an OCR program's
        # invisible text, or text under the picture) never does: only what the page shows counts.
        text = _visible_text(page)
        result.text_ids = ID_IN_TEXT.findall(text.replace("\n", "").replace("\r", "").replace(" ", ""))
        found_page = re.search(r"Seite\s*(\d+)\s*/\s*(\d+)", text)
        if found_page:
            result.text_page = (int(found_page[1]), int(found_page[2]))
    grey = None
    if layers.scan is not None and not layers.overlays and as_stored:
        # A scanner's page is one image covering the page and nothing else: what a viewer shows is that
        # image, taken as stored (exact, and ~5x cheaper than rendering).
        grey = decode_scan(layers.scan, layers.dpi, limits.max_pixels, reduced=not full)
        if isinstance(grey, str):
            result.problem = grey
            return result
        if grey is not None and full:
            pixels = grey
            result.shown, grey = (lambda: pixels), reduced_grey(pixels, layers.dpi)
        elif grey is not None:
            scan = layers.scan
            result.shown = lambda: decode_scan(scan, layers.dpi, limits.max_pixels, reduced=False)
    if grey is None:
        # Anything drawn over the scan (a PDF editor's pen, a white box), or a page drawn from text and
        # vectors (our own PDF, maybe with a pasted picture): render what a viewer shows, at the scan's
        # resolution (a drawn page at 150 dpi).
        result.born_digital = layers.dpi is None
        dpi = 150 if layers.dpi is None else min(300, max(150, layers.dpi))
        pixels = (width_pt / 72 * dpi) * (height_pt / 72 * dpi)
        if pixels > limits.max_pixels:
            result.problem = f"page {number} is too large to render ({pixels / 1e6:.0f} megapixels at {dpi:.0f} dpi)"
            return result
        shown = render(page, dpi, colour=True)
        result.shown = lambda: shown
        grey = grey_image(shown)
    find_codes(result, grey, rerender=lambda: render(page, 300))
    if result.how == "qr-hires":  # the codes' corners refer to that rendering
        result.shown = lambda: render(page, 300, colour=True)
    return result


def _visible_text(page) -> str:
    """The page's text as a viewer shows it: characters in invisible text (render mode 3, as OCR programs
    write their layer) are left out."""
    import pypdfium2.raw as pdfium_c

    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
            invisible = pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE
            modes: dict[int, bool] = {}
            kept = []
            for index, char in enumerate(text):
                item = pdfium_c.FPDFText_GetTextObject(textpage.raw, index)
                if item:
                    key = ctypes_address(item)
                    if key not in modes:
                        modes[key] = pdfium_c.FPDFTextObj_GetTextRenderMode(item) == invisible
                    if modes[key]:
                        continue
                kept.append(char)
            return "".join(kept)
        finally:
            textpage.close()
    except Exception:  # a broken content stream: no text, the image may still be readable
        return ""


def ctypes_address(pointer) -> int:
    import ctypes

    return ctypes.cast(pointer, ctypes.c_void_p).value or 0


# --- Images ---------------------------------------------------------------------------------------


def _image_frame_count(path: Path, limits: Limits) -> int:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # we check the size ourselves, with a clearer message
    try:
        with open_image(path) as picture:
            width, height = picture.size
            if width * height > limits.max_pixels:
                raise Refused(deferred("the image is {width} × {height} pixels, more than the limit of {limit:.0f} "
                                       "megapixels", width=width, height=height, limit=limits.max_pixels / 1e6))
            return getattr(picture, "n_frames", 1)
    except Refused:
        raise
    except Exception as exc:  # the library's message names our temporary path: say it plainly instead
        raise Refused(deferred("the image is damaged and cannot be opened")) from exc


def _image_pages(upload: Upload, limits: Limits) -> Iterator[SourcePage]:
    import numpy as np
    from PIL import ImageOps

    with open_image(upload.path) as picture:
        for index in range(upload.page_count):
            number = index + 1
            try:
                picture.seek(index)
                width, height = picture.size
                if width * height > limits.max_pixels:
                    yield SourcePage(number, problem=f"frame {number} is {width} × {height} pixels, too large")
                    continue
                frame = ImageOps.exif_transpose(picture.copy()) if index == 0 else picture.copy()
                frame = on_paper(frame)
                grey = frame.convert("L")
            except Exception as exc:
                yield SourcePage(number, problem=f"image {number} cannot be decoded ({exc.__class__.__name__})")
                continue
            result = SourcePage(number)
            colour = frame.mode not in ("L", "1", "I", "I;16", "F")
            result.shown = lambda frame=frame, colour=colour: np.asarray(frame.convert("RGB" if colour else "L"))
            find_codes(result, grey, rerender=None)
            yield result



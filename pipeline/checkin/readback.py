"""A page in doubt whose printed id line names this document must read as ours in its other personal lines.

The id line can be pasted together with the QR code (both cut from our unsigned copy and stuck on another
town's signed page). Such a page is in doubt in likeness.py (the signer's name and designation are
another's), and its id line, read with Tesseract, then names our document. So in that case the page's other
personal parts (the signer's name, office and designation, the heading that follows the signers' genders)
are read too and compared with the text we printed there: most of its letters must be found, in order
(READ_MIN). A line that reads as another document's signer or designation condemns the page; a line that
reads as nothing in particular (a signature written across the name, a blurred photo) does not, but one
line at least must read as ours. Only pages in doubt are read: on the benchmarks' office scans none, on
photos and poor copies a few in a hundred.
"""

from __future__ import annotations

import difflib
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..units import PT_PER_MM
from . import align

OCR_DPI = 300
READ_MIN = 0.75       # share of our printed letters found, in order, in what is read there
MIN_LETTERS = 4       # a part whose printed text has fewer letters is not read (a digit, a slash)
EXTRA_MM = (4.0, 1.0)  # read a little wider than the part (sideways, up and down): a photo placed a little off


@lru_cache(maxsize=16)
def _characters(pdf_path: str, page_number: int) -> tuple[tuple[str, float, float], ...]:
    """Our page's characters with their centres (PDF points)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf_path)
    try:
        text = document[page_number - 1].get_textpage()
        found = []
        for index in range(text.count_chars()):
            left, bottom, right, top = text.get_charbox(index)
            found.append((text.get_text_range(index, 1), (left + right) / 2, (bottom + top) / 2))
        return tuple(found)
    finally:
        document.close()


def printed_text(pdf_path: Path, page_number: int, region: tuple[float, float, float, float]) -> str:
    """The text of our PDF whose characters' centres lie in `region` (PDF points: left, bottom, right, top)."""
    left, bottom, right, top = region
    return " ".join("".join(character for character, x, y in _characters(str(pdf_path), page_number)
                            if left <= x <= right and bottom <= y <= top).split())


def letters(text: str) -> str:
    """Letters and digits only, lower case, without accents (Tesseract reads English: "Burgermeisterin")."""
    plain = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return "".join(character for character in plain.casefold() if character.isalnum())


def found_share(printed: str, read: str) -> float:
    """The share of `printed`'s letters found, in order, in `read`."""
    ours, seen = letters(printed), letters(read)
    if not ours:
        return 1.0
    matcher = difflib.SequenceMatcher(None, ours, seen, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks() if block.size >= 2) / len(ours)


def not_ours(pixels: np.ndarray, transform: np.ndarray, parts, pdf_path: Path, page_number: int,
             others: list[tuple[str, list[str]]]) -> str:
    """Why the page's personal lines other than the id line (verified by its check code elsewhere) do not
    read as ours, or "". A line that reads as another document's (`others`: its label and its signer's
    name and designation) condemns the page; a line read as nothing in particular (a signature across the
    name, a blurred photo) does not, but at least one line must read as ours. `transform`: PDF points to
    `pixels`."""
    import cv2

    from .printed import ID_LINE

    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    read_as_ours, lines = 0, []
    for part in parts:
        ours = printed_text(pdf_path, page_number, part.region)
        if ID_LINE.search(ours) or len(letters(ours)) < MIN_LETTERS:
            continue
        read = _read(grey, transform, part.region, ours)
        lines.append((ours, read))
        if found_share(ours, read) >= READ_MIN:
            read_as_ours += 1
            continue
        for label, texts in others:
            if any(len(letters(text)) >= MIN_LETTERS and found_share(text, read) >= READ_MIN for text in texts):
                return f'where we printed "{ours}" it reads "{read}" ({label})'
    if lines and not read_as_ours:
        return "none of its lines " + ", ".join(f'"{ours}" (read: "{read}")' for ours, read in lines) + \
            " reads as ours"
    return ""


def _read(grey: np.ndarray, transform: np.ndarray, region, ours: str) -> str:
    """What Tesseract reads in `region` (a line of print): as scanned, then with uneven light taken out
    and sharpened (a photo); the reading closer to `ours`."""
    import cv2

    from .printed import tesseract
    from .strokes import contrast

    left, bottom, right, top = region
    sideways, updown = (extra * PT_PER_MM for extra in EXTRA_MM)
    crop = align.cut(grey, transform, [left - sideways, bottom - updown, right + sideways, top + updown], OCR_DPI)
    read = tesseract(crop, 7)
    if found_share(ours, read) < READ_MIN:
        flat = np.clip(255 * (1.0 - contrast(crop, OCR_DPI)), 0, 255).astype(np.uint8)
        sharp = cv2.addWeighted(flat, 1.8, cv2.GaussianBlur(flat, (0, 0), 2.0), -0.8, 0)
        read = max(read, tesseract(sharp, 7), key=lambda text: found_share(ours, text))
    return " ".join(read.split())

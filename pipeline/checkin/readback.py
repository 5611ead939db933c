"""A page in doubt whose printed id line names this document must read as ours in its other personal lines.

The id line can be pasted together with the QR code (both cut from our unsigned copy and stuck on another
town's signed page). Such a page is in doubt in likeness.py (the signer's name and designation are
another's), and its id line, read with Tesseract, then names our document. So in that case the page's other
personal parts (the signer's name, office and designation, the heading that follows the signers' genders)
are read too, one line each, and compared with the text we printed there and with every other document's
signer and designation (letters only, symmetric similarity: "Stadt Werl" is not found in "Stadt Werne").
A line reads as ours if ours is the best match by MARGIN; as another's if another's is. A line that reads as
another document's condemns the page; a line that reads as nothing in particular (a signature written
across the name, a blurred photo) does not, but one line at least must read as ours. Only pages in doubt
are read: on the benchmarks' office scans none, on photos and poor copies a few in a hundred.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..units import PT_PER_MM
from . import align

OCR_DPI = 300
READ_MIN = 0.6        # similarity (letters only) at which a line reads as a text at all
MARGIN = 0.1          # by which the best-matching text must beat every other
LINE_GAP_PT = 12.0    # a gap wider than this between two characters ends a printed line (two spaces and more)
MIN_LETTERS = 4       # a part whose printed text has fewer letters is not read (a digit, a slash)
EXTRA_MM = (4.0, 1.0)  # read a little wider than the part (sideways, up and down): a photo placed a little off


@lru_cache(maxsize=16)
def _characters(pdf_path: str, page_number: int) -> tuple[tuple[str, float, float, float, float], ...]:
    """Our page's characters with their boxes (PDF points: left, bottom, right, top), in reading order."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf_path)
    try:
        text = document[page_number - 1].get_textpage()
        return tuple((text.get_text_range(index, 1), *text.get_charbox(index)) for index in range(text.count_chars()))
    finally:
        document.close()


def printed_line(pdf_path: Path, page_number: int, region: tuple[float, float, float, float]
                 ) -> tuple[str, tuple[float, float, float, float]] | None:
    """The whole printed line a part lies on, and its box: a part covers only where documents differ ("x
    Wolf" of "Max Wolf", where another signer is a Max too), a line is read and compared whole. The line
    runs on to either side while the next character is nearer than LINE_GAP_PT (the two signers' columns
    share their baselines)."""
    characters = _characters(str(pdf_path), page_number)
    printed = [index for index, item in enumerate(characters) if item[0].strip()]   # spaces have no useful box
    left, bottom, right, top = region
    inside = [position for position, index in enumerate(printed)
              if left <= (characters[index][1] + characters[index][3]) / 2 <= right
              and bottom <= (characters[index][2] + characters[index][4]) / 2 <= top]
    if not inside:
        return None

    def together(one: int, other: int) -> bool:   # positions in `printed`: on one line, close enough
        _, a0, b0, a1, b1 = characters[printed[one]]
        _, c0, d0, c1, d1 = characters[printed[other]]
        shared = min(b1, d1) - max(b0, d0)   # boxes side by side ("p" reaches lower than "t": not a baseline)
        return shared > 0.3 * min(b1 - b0, d1 - d0) and min(abs(a0 - c1), abs(c0 - a1)) < LINE_GAP_PT

    first = last = inside[0]
    while first > 0 and together(first - 1, first):
        first -= 1
    while last + 1 < len(printed) and together(last + 1, last):
        last += 1
    kept = [characters[index] for index in printed[first:last + 1]]
    text = " ".join("".join(item[0] for item in characters[printed[first]:printed[last] + 1]).split())
    box = (min(item[1] for item in kept), min(item[2] for item in kept), max(item[3] for item in kept),
           max(item[4] for item in kept))
    return text, box


def letters(text: str) -> str:
    """Letters and digits only, lower case, without accents (Tesseract reads English: "Burgermeisterin")."""
    plain = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return "".join(character for character in plain.casefold() if character.isalnum())


def similarity(printed: str, read: str) -> float:
    """How alike two texts are, letters only (0..1, symmetric: extra letters read count against)."""
    import difflib

    ours, seen = letters(printed), letters(read)
    if not ours or not seen:
        return 0.0
    return difflib.SequenceMatcher(None, ours, seen, autojunk=False).ratio()


def _best(read: str, texts) -> tuple[float, str]:
    """The text of `texts` (label, text) most like `read`: (similarity, label)."""
    import difflib

    seen = letters(read)
    best, label = 0.0, ""
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(seen)
    for name, text in texts:
        matcher.set_seq1(letters(text))
        if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
            value = matcher.ratio()
            if value > best:
                best, label = value, name
    return best, label


def not_ours(pixels: np.ndarray, transform: np.ndarray, parts, pdf_path: Path, page_number: int,
             others: list[tuple[str, list[str]]], id_line: list[float] | None) -> str:
    """Why the page's personal lines other than the id line (`id_line`, PDF points, verified by its check
    code elsewhere) do not read as ours, or "". `others`: each other document's label and what it prints
    of its signer and municipality. `transform`: PDF points to `pixels`."""
    import cv2

    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    theirs = [(label, text) for label, texts in others for text in texts if len(letters(text)) >= MIN_LETTERS]
    read_as_ours, lines = 0, []
    for part in parts:
        if id_line is not None and _overlap(part.region, id_line):
            continue
        line = printed_line(pdf_path, page_number, part.region)
        if line is None or len(letters(line[0])) < MIN_LETTERS:
            continue
        ours, box = line
        read, mine, (other, label) = _read(grey, transform, box, ours, theirs)
        lines.append((ours, read))
        if other >= READ_MIN and other >= mine + MARGIN:
            return f'where we printed "{ours}" it reads "{read}" ({label})'
        if mine >= READ_MIN and mine >= other + MARGIN:
            read_as_ours += 1
    if lines and not read_as_ours:
        return "none of its lines " + ", ".join(f'"{ours}" (read: "{read}")' for ours, read in lines) + \
            " reads as ours"
    return ""


def _overlap(first, second) -> bool:
    return first[0] < second[2] and second[0] < first[2] and first[1] < second[3] and second[1] < first[3]


def _read(grey: np.ndarray, transform: np.ndarray, region, ours: str, theirs) -> tuple[str, float, tuple]:
    """What Tesseract reads in `region` (a line of print), with how like ours it is and the most alike of
    `theirs` (similarity, label): as scanned, then with uneven light taken out and sharpened (a photo) if
    the first reading is like no text; the clearer of the two (the one more like some text, ours or
    another's: neither is favoured)."""
    from .printed import evened_and_sharpened, tesseract
    from .strokes import contrast

    def scored(text: str) -> tuple[str, float, tuple]:
        text = " ".join(text.split())
        return text, similarity(ours, text), _best(text, theirs)

    def clarity(reading: tuple) -> float:
        return max(reading[1], reading[2][0])

    left, bottom, right, top = region
    sideways, updown = (extra * PT_PER_MM for extra in EXTRA_MM)
    crop = align.cut(grey, transform, [left - sideways, bottom - updown, right + sideways, top + updown], OCR_DPI)
    reading = scored(tesseract(crop, 7))
    if clarity(reading) < READ_MIN + MARGIN:
        reading = max(reading, scored(tesseract(evened_and_sharpened(contrast(crop, OCR_DPI)), 7)), key=clarity)
    return reading

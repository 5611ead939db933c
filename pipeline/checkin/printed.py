"""A page whose QR code cannot be read (a stain, a torn corner) is identified by its printed id line,
"Dok.-Nr. ENG-…, Seite n/m", read with Tesseract (Debian's `tesseract-ocr`, called as a program).

The page is first registered on our own page layout (register.py): that says which page of the layout it
is, where the id line lies (cut out upright at 400 dpi, exactly where we printed it, whatever the
rotation), and maps the signature box later. OCR confusions are undone only where the id's grammar
allows one reading (a digit field, a base-32 check code); the id is accepted only if its check code (MAC)
is right, which identify.py verifies. OCR runs only for pages without a readable code, so it costs
nothing on good scans.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..units import PT_PER_MM
from . import align
from .register import OurPage, Registration, refined, register

OCR_DPI = 400
#: Readings of the id line tried in turn (read_line); the last one reads only the characters an id line has.
ATTEMPTS = 4
ID_LINE_CHARACTERS = "DokNrSeit.-,/ 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LINE_MARGIN_MM = (8.0, 20.0, 12.0)   # around the id line as we printed it (sideways, above, below): a
                                     # photo registered a centimetre off still has its line inside the cut
                                     # (our page has nothing else there; the paper's edge is 14 mm below)
ID_LINE = re.compile(r"Dok\.-Nr\.")
DIGITS = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "|": "1", "S": "5", "B": "8", "Z": "2",
                        "G": "6", "T": "7"})
BASE32 = str.maketrans({"0": "O", "1": "I", "8": "B", "9": "G", "|": "I"})
SEPARATORS = str.maketrans({"—": "-", "–": "-", "_": "-", ".": "-", "}": "|", ")": "|", "]": "|", "!": "|"})


@dataclass
class Layout:
    """Our documents' pages as every document of the round shares them: for registering a page and
    finding its id line. Made from one rendered document, once per worker."""

    pages: dict[int, OurPage]
    id_lines: dict[int, list[float]]      # page -> (left, bottom, right, top) in PDF points

    @classmethod
    def of(cls, pdf_path: Path, page_count: int) -> Layout:
        return cls({number: OurPage.render(pdf_path, number) for number in range(1, page_count + 1)},
                   {number: _id_line(pdf_path, number) for number in range(1, page_count + 1)})


def _id_line(pdf_path: Path, number: int) -> list[float]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        textpage = pdf[number - 1].get_textpage()
        text = textpage.get_text_range()
        found = ID_LINE.search(text)
        if not found:
            return []
        end = text.find("\n", found.start())
        end = len(text) if end < 0 else end
        boxes = [textpage.get_charbox(index) for index in range(found.start(), end) if not text[index].isspace()]
        return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]
    finally:
        pdf.close()


def locate_page(image: np.ndarray, layout: Layout) -> tuple[int, Registration] | None:
    """Which page of our layout the image shows, and where: the registration with clearly the most
    consistent matches (a page 1 must not pass for a page 2)."""
    found = []
    for number, ours in layout.pages.items():
        registration = register(image, ours, refine=False)
        if registration is not None:
            found.append((registration.inliers, number, registration))
    if not found:
        return None
    found.sort(key=lambda item: item[0], reverse=True)
    if len(found) > 1 and found[1][0] * 2 > found[0][0]:
        return None
    _, number, registration = found[0]
    return number, refined(image, registration, layout.pages[number])


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def read_line(pixels: np.ndarray, transform: np.ndarray, line: list[float], attempt: int = 0) -> str:
    """OCR of the id line, cut upright from the page image at OCR_DPI. Attempts differ in preparation
    (as cut; light evened out, sharpened and binarised with Otsu's threshold; evened out and sharpened at
    300 dpi; the same with only the characters of an id line allowed), for further readings. The cut is
    generous (a registration a few millimetres off, on a photo) and then narrowed to the line of text found
    in it, with white around it: Tesseract misreads glyphs that touch the image's edge."""
    import cv2

    from .strokes import contrast

    dpi = 300 if attempt in (2, 3) else OCR_DPI
    sideways, above, below = (margin * PT_PER_MM for margin in LINE_MARGIN_MM)
    region = [line[0] - sideways, line[1] - below, line[2] + sideways, line[3] + above]
    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    crop = align.cut(grey, transform, region, dpi)
    darkness = contrast(crop, dpi)
    if attempt >= 1:
        crop = evened_and_sharpened(darkness)
    if attempt == 1:
        crop = cv2.threshold(cv2.GaussianBlur(crop, (0, 0), 1.0), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]
    crop = text_line(crop, darkness, dpi)
    # the last attempt: only the characters an id line has (a 0 is not read as an O, a 5 not as an S)
    return tesseract(crop, 7, ID_LINE_CHARACTERS if attempt == 3 else None)


def evened_and_sharpened(darkness: np.ndarray) -> np.ndarray:
    """A photo's print for OCR: uneven light taken out (`darkness`: contrast to the local paper, strokes.py),
    then sharpened (an unsharp mask)."""
    import cv2

    flat = np.clip(255 * (1.0 - darkness), 0, 255).astype(np.uint8)
    return cv2.addWeighted(flat, 1.8, cv2.GaussianBlur(flat, (0, 0), 2.0), -0.8, 0)


def tesseract(image: np.ndarray, mode: int, characters: str | None = None) -> str:
    """The text Tesseract reads on `image` (page segmentation `mode`: 7 one line, 6 a block), "" if none."""
    import cv2

    ok, png = cv2.imencode(".png", image)
    program = shutil.which("tesseract")
    if program is None or not ok:
        return ""
    only = ["-c", f"tessedit_char_whitelist={characters}"] if characters else []
    try:   # one thread: check-in already runs one worker per core
        done = subprocess.run([program, "stdin", "stdout", "--psm", str(mode), "-l", "eng", *only],
                              input=png.tobytes(), capture_output=True, timeout=30,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.decode("utf-8", "replace")


def text_line(crop: np.ndarray, darkness: np.ndarray, dpi: float) -> np.ndarray:
    """The band of rows holding the most text (`darkness`: contrast to the paper, 0..1), cut out with a
    white margin of 2 mm on every side; the crop as it is if no text is seen."""
    import cv2

    scale = dpi / 25.4
    ink = darkness > max(0.2, float(np.percentile(darkness, 99)) * 0.4)
    rows = ink.sum(axis=1).astype(float)
    # a row of text is partly inked; one inked nearly across (the table or floor beyond the paper's edge
    # on a photo, a stain) is not
    texty = (rows >= max(2.0, 0.01 * crop.shape[1])) & (rows <= 0.7 * crop.shape[1])
    # runs of text rows, bridged over gaps of 0.4 mm (the dots and dashes of a line)
    bridged = cv2.morphologyEx(texty.astype(np.uint8).reshape(-1, 1), cv2.MORPH_CLOSE,
                               np.ones((2 * round(0.4 * scale) + 1, 1), np.uint8)).ravel() > 0
    best, start = None, None
    for index, on in enumerate([*bridged, False]):
        if on and start is None:
            start = index
        elif not on and start is not None:
            mass = rows[start:index].sum()
            if 1.2 * scale <= index - start <= 6.0 * scale and (best is None or mass > best[0]):
                best = (mass, start, index)
            start = None
    if best is None:
        return crop
    _, top, bottom = best
    columns = np.nonzero(ink[top:bottom].any(axis=0))[0]
    pad = round(0.6 * scale)
    top, bottom = max(0, top - pad), min(crop.shape[0], bottom + pad)
    left, right = max(0, int(columns[0]) - pad), min(crop.shape[1], int(columns[-1]) + 1 + pad)
    paper = int(np.percentile(crop[top:bottom, left:right], 90))
    border = round(2.0 * scale)
    return cv2.copyMakeBorder(np.ascontiguousarray(crop[top:bottom, left:right]), border, border, border, border,
                              cv2.BORDER_CONSTANT, value=paper)


# Characters OCR confuses, and what each may really be (in a base-32 check code, in a digit field).
LOOKS_LIKE_LETTER = {"O": "QDCG", "Q": "OD", "D": "OQ", "C": "GO", "G": "CO6", "I": "LTJ", "L": "IT", "T": "I",
                     "J": "I", "S": "5", "B": "E", "E": "BF", "F": "E", "U": "V", "V": "UY", "Y": "V", "M": "N",
                     "N": "M", "K": "X", "X": "K", "Z": "2", "2": "Z", "5": "S", "6": "G", "7": "T"}
LOOKS_LIKE_DIGIT = {"0": "86", "8": "03", "6": "05", "5": "6", "3": "8", "1": "7", "7": "1", "9": "0"}
MAX_VARIANTS = 600


def _variants(text: str, similar: dict[str, str], alphabet: str) -> list[list[tuple[int, str]]]:
    """Per position, the other characters it may be (within `alphabet`)."""
    return [[(index, other) for other in similar.get(char, "") if other in alphabet] for index, char in enumerate(text)]


def readings(ags: str, mac: str) -> list[tuple[str, str]]:
    """(ags, mac) as read, then with one, then two likely misreadings undone: at most MAX_VARIANTS."""
    fields = [("ags", ags, _variants(ags, LOOKS_LIKE_DIGIT, "0123456789")),
              ("mac", mac, _variants(mac, LOOKS_LIKE_LETTER, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))]
    changes = [(name, index, other) for name, _, options in fields for position in options
               for index, other in position]
    found = [(ags, mac)]

    def apply(selected) -> tuple[str, str]:
        values = {"ags": list(ags), "mac": list(mac)}
        for name, index, other in selected:
            values[name][index] = other
        return "".join(values["ags"]), "".join(values["mac"])

    found += [apply([change]) for change in changes]
    for first in range(len(changes)):
        for second in range(first + 1, len(changes)):
            a, b = changes[first], changes[second]
            if (a[0], a[1]) != (b[0], b[1]):
                found.append(apply([a, b]))
            if len(found) >= MAX_VARIANTS:
                return found
    return found


def payloads(text: str, round_id: str, page_count: int, registered_page: int, secret: bytes) -> list[str]:
    """The payload ("<id>/<page>/<pages>") the OCR text means, if one reading of it passes the id's check
    code (MAC): at most one, never a guess. The page number printed must agree with the page the
    registration found; if it cannot be read, the registration's page is used."""
    from ..docid import DocId, compute_mac

    # Dashes read as dots or other dashes, an I read as a bracket: undone before the id's grammar is applied.
    flat = re.sub(r"\s+", "", text.upper()).translate(SEPARATORS)
    found = re.search(r"[EF]NG-?([A-Z0-9|-]{10,40}?)-+V([A-Z0-9|]{1,3})-+([A-Z0-9|]{8})", flat)
    if not found:
        return []
    middle, version, mac = found.groups()
    ags = re.search(r"([A-Z0-9|]{8}|[A-Z0-9|]{5})$", middle.rstrip("-"))
    if not ags:
        return []
    round_part = middle[: ags.start()].rstrip("-")
    if round_part.translate(DIGITS) != round_id.translate(DIGITS):
        return []
    try:
        version_number = int(version.translate(DIGITS))
    except ValueError:
        return []
    page = re.search(r"SE[I1L|]TE?([0-9A-Z|])/([0-9A-Z|])", flat[found.end():])
    number, count = registered_page, page_count
    if page:
        try:
            number, count = int(page.group(1).translate(DIGITS)), int(page.group(2).translate(DIGITS))
        except ValueError:
            number, count = registered_page, page_count
        if number != registered_page:
            return []
    for ags_read, mac_read in readings(ags.group(1).translate(DIGITS), mac.translate(BASE32)):
        if compute_mac(secret, round_id, ags_read, version_number) == mac_read:
            return [f"{DocId(round_id, ags_read, version_number, mac_read)}/{number}/{count}"]
    return []


def identify_by_print(page, context, loose: list) -> list[str]:
    """No readable code: register the page on our layout, then read its printed id line (up to three
    readings). A page that is ours but whose id cannot be read is kept in `loose` for matching."""
    from .matching import Loose

    layout = context.layout()
    if layout is None:
        return []
    grey = np.asarray(page.image)
    located = locate_page(grey, layout)
    if located is None:
        return []
    number, registration = located
    page.transform = registration.transform
    if len(loose) < 30:
        loose.append(Loose(page.number, number, registration.transform, grey))
    if not tesseract_available():
        page.problem = ("no readable QR code; the printed id could not be read because Tesseract is not installed "
                        "(apt-get install tesseract-ocr)")
        return []
    pixels = page.shown() if page.shown is not None else grey
    scale = np.diag([pixels.shape[1] / grey.shape[1], pixels.shape[0] / grey.shape[0], 1.0])
    for attempt in range(ATTEMPTS):
        text = read_line(pixels, scale @ registration.transform, layout.id_lines[number], attempt)
        found = payloads(text, context.round_cfg.id, len(layout.pages), number, context.secret)
        if found:
            page.how = "ocr"
            return found
    page.problem = f"no readable QR code, and the printed id line of this page {number} cannot be read"
    return []

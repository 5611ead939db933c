"""A page is what it shows: an identified page must show, in its personal parts, the document its code
(or id line, or text) names.

A code can be pasted: town A's QR code stuck over town B's signed page made A "signed" with B's page. So
every identified page is compared with our own rendering of that page of that document, only where the
documents of the round differ from each other (the signer's name, office and designation, the id line;
found by rendering the same page of one or two other documents, "strangers", and keeping where they
differ from it, the QR code left out). Each part is placed on the page by the text around it that every
document shares (template matching near where the code's map puts it, blurred a little so that a pixel of
misregistration does not decide), and there compared, only where the documents differ, with our rendering
and with the strangers'. The page shows its document only if nearly all its parts are seen clearly as
ours (MIN_SCORE, MAX_FAILING: one line crossed by a signature may fail) and clearly better than a
stranger's (MIN_MARGIN): another town's page matches ours no better than a stranger's does, whatever its
code says, and its name, designation and id line fail.

Measured on real renderings of Bielefeld and Dortmund (names of similar length), page 2: on honest scans
and photos every part 0.85-0.97 (mean 0.91-0.94, a stranger 0.58-0.71); on Dortmund's page under
Bielefeld's QR code the name 0.66-0.71, the designation 0.57, the id line 0.56-0.59 (70 % of the weight
failing), only the office line, which both share, 0.85-0.93. The window check of ink.py (the box with the
name below it) scored such a page 0.73 against its 0.55: most of that window is text every document shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..units import PT_PER_MM
from . import align

DPI = 100
SEARCH_MM = 5.0          # how far a part may be from where the map puts it (photos, warped paper)
PAD_MM = 1.5             # context kept around each part
MIN_SCORE = 0.75         # a part is ours if seen with at least this correlation (blurred, at DPI, where
                         # documents differ)
MAX_FAILING = 0.3        # the page is not ours if this share of its parts (by weight) is not
MIN_MARGIN = 0.12        # nor if, on average, our parts are not seen this much better than a stranger's
MIN_PIXELS = 25          # a difference smaller than this (in pixels at DPI) is not a part


@dataclass(frozen=True)
class Part:
    region: tuple[float, float, float, float]   # PDF points: left, bottom, right, top (padded)
    weight: int                                  # how many pixels differ in it
    ours: np.ndarray                             # our rendering of the region, grey, at DPI
    strangers: tuple[np.ndarray, ...]            # the strangers' renderings of it
    differs: np.ndarray                          # where they differ (bool, the region's pixels)


@dataclass
class Likeness:
    score: float            # how well our personal parts are seen on the page (weighted mean)
    stranger: float         # how well a stranger's are (the best stranger, weighted mean)
    parts: int
    failing: float = 0.0    # the share of our parts (by weight) seen below MIN_SCORE

    @property
    def matches(self) -> bool:
        return self.parts == 0 or (self.failing < MAX_FAILING and self.score - self.stranger >= MIN_MARGIN)

    def note(self) -> str:
        return (f"its name, office and id line match ours {self.score:.2f}, another document's "
                f"{self.stranger:.2f}; {self.failing:.0%} of them below {MIN_SCORE}")


@lru_cache(maxsize=48)
def _rendered(pdf_path: str, page_number: int) -> tuple[np.ndarray, float]:
    """Our page, grey at DPI, and its height in points (cached: one worker sees a document many times)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_path)
    try:
        page = pdf[page_number - 1]
        pixels = page.render(scale=DPI / 72, grayscale=True).to_numpy()
        height = page.get_height()
    finally:
        pdf.close()
    pixels = np.ascontiguousarray(pixels[..., 0] if pixels.ndim == 3 else pixels)
    return pixels, height


@lru_cache(maxsize=48)
def personal_parts(ours: Path, strangers: tuple[Path, ...], page_number: int,
                   left_out: tuple[tuple[float, float, float, float], ...]) -> tuple[Part, ...]:
    """Where our page differs from the strangers' same page: its personal parts (regions in `left_out`,
    PDF points, such as the QR code, are not compared)."""
    import cv2

    mine, height_pt = _rendered(str(ours), page_number)
    others = []
    for path in strangers:
        try:
            pixels, _ = _rendered(str(path), page_number)
        except Exception:  # noqa: BLE001 - a stranger without this page (or its file gone) is no help
            continue
        if pixels.shape == mine.shape:
            others.append(pixels)
    if not others:
        return ()
    differs = np.zeros(mine.shape, dtype=bool)
    for pixels in others:
        differs |= np.abs(mine.astype(np.int16) - pixels.astype(np.int16)) > 60
    scale = DPI / 72
    for left, bottom, right, top in left_out:
        margin = 2 * PT_PER_MM
        differs[max(0, int((height_pt - top - margin) * scale)): int((height_pt - bottom + margin) * scale) + 1,
                max(0, int((left - margin) * scale)): int((right + margin) * scale) + 1] = False
    # Words of one line into one part: a name is compared as a whole, not letter by letter.
    joined = cv2.dilate(differs.astype(np.uint8), np.ones((5, 25), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined)
    parts = []
    pad = PAD_MM * PT_PER_MM
    for label in range(1, count):
        x, y, width, height, _ = stats[label]
        weight = int(differs[y:y + height, x:x + width].sum())
        if weight < MIN_PIXELS:
            continue
        region = (x / scale - pad, height_pt - (y + height) / scale - pad,
                  (x + width) / scale + pad, height_pt - y / scale + pad)
        cut = [_region_of(pixels, region, height_pt) for pixels in (mine, *others)]
        where = np.zeros(cut[0].shape, dtype=bool)
        for other in cut[1:]:
            where |= np.abs(cut[0].astype(np.int16) - other.astype(np.int16)) > 60
        where = cv2.dilate(where.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        parts.append(Part(region, weight, cut[0], tuple(cut[1:]), where))
    return tuple(parts)


def _region_of(pixels: np.ndarray, region: tuple[float, float, float, float], height_pt: float) -> np.ndarray:
    transform = np.array([[DPI / 72, 0.0, 0.0], [0.0, -DPI / 72, height_pt * DPI / 72], [0.0, 0.0, 1.0]])
    return align.cut(pixels, transform, list(region), DPI)


def _placed(search: np.ndarray, template: np.ndarray) -> tuple[int, int] | None:
    """Where `template` lies in `search` (top left), by normalised correlation: the text every document
    shares around a part places it, whatever the part itself shows."""
    import cv2

    if template.std() < 1.0 or search.shape[0] < template.shape[0] or search.shape[1] < template.shape[1]:
        return None
    _, _, _, (x, y) = cv2.minMaxLoc(cv2.matchTemplate(search, template, cv2.TM_CCOEFF_NORMED))
    return y, x


def _correlation(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    x, y = a[where], b[where]
    x, y = x - x.mean(), y - y.mean()
    norm = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / norm) if norm > 0 else 0.0


def _soft(pixels: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(pixels.astype(np.float32), (0, 0), 1.2)


def likeness(pixels: np.ndarray, transform: np.ndarray, parts: tuple[Part, ...]) -> Likeness:
    """How well the page (`pixels`, grey or RGB, with `transform` from PDF points to its pixels) shows our
    personal parts, and how well a stranger's."""
    import cv2

    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    total = sum(part.weight for part in parts)
    if not parts or total == 0:
        return Likeness(1.0, 0.0, 0)
    ours = stranger = failing = 0.0
    search_pt = SEARCH_MM * PT_PER_MM
    for part in parts:
        left, bottom, right, top = part.region
        area = _soft(align.cut(grey, transform, [left - search_pt, bottom - search_pt, right + search_pt,
                                                  top + search_pt], DPI))
        template = _soft(part.ours)
        placed = _placed(area, template)
        if placed is None:
            failing += part.weight
            continue
        y, x = placed
        seen = area[y:y + template.shape[0], x:x + template.shape[1]]
        # Compared only where the documents differ: there the page shows its own name and id, or not.
        score = _correlation(seen, template, part.differs)
        ours += part.weight * score
        failing += part.weight * (score < MIN_SCORE)
        stranger += part.weight * max((_correlation(seen, _soft(other), part.differs) for other in part.strangers),
                                      default=0.0)
    return Likeness(ours / total, stranger / total, len(parts), failing / total)

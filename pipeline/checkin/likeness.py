"""A page is what it shows: an identified page must show, in its personal parts, the document its code
(or id line, or text) names.

A code can be pasted: town A's QR code stuck over town B's signed page made A "signed" with B's page. So
every identified page is compared with our own rendering of that page of that document, only where the
documents of the round differ from each other (the signer's name, office and designation, the id line;
found by rendering the same page of one or two other documents, "strangers", and keeping where they
differ from it, the QR code left out). Each part is placed on the page by the text around it that every
document shares (template matching near where the code's map puts it, blurred a little so that a pixel of
misregistration does not decide), and there compared with our rendering: only our own letters, where our
rendering differs from every stranger's (what one of them shares with us, another town may share too),
letter by letter (tiles 2.5 mm wide, each placed anew within a pixel), averaged. Seen clearly (SURE): the
page is ours; poorly (below MIN_SCORE): it is not, whatever its code says; in between (a blurred photo, or
another town whose name shares letters with ours), its printed id line is read (Tesseract, check code
verified) and must name this document, and its other personal lines must read as ours (readback.py: an id line
can be pasted with the code). (A margin over the strangers' likeness is no proof: a forger picks a
town whose name shares letters with ours, the strangers are the round's first documents; such a page stood
out by 0.2 over them.)

Measured on real renderings of Bielefeld and Dortmund (names of similar length), rounds with their own
secrets (so ids with their own check codes), scanned at 150 dpi, at 300 dpi skewed and noisy, as 1-bit at
200 dpi, and photographed: honest copies 0.91-0.97, Dortmund's page under Bielefeld's QR code 0.58-0.77.
On the recognition benchmark's copies (synthetic towns whose names differ in one digit) honest copies
scored 0.82 and more. The window check of ink.py (the box with the name below it) scored the forged page
0.73 against its 0.55: most of that window is text every document shares. A first version that took the
lower tenth of the letters, or asked for a margin over a stranger, sent honest photos and noisy scans of
the benchmark to review.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..units import PT_PER_MM
from . import align
from .register import render_grey

DPI = 100
SEARCH_MM = 5.0          # how far a part may be from where the map puts it (photos, warped paper)
PAD_MM = 1.5             # context kept around each part
SURE = 0.88              # seen at least this well (mean correlation of our own letters): the page is ours
MIN_SCORE = 0.6          # below this it is not; in between, its printed id line decides (identify.py)
MIN_PIXELS = 25          # a difference smaller than this (in pixels at DPI) is not a part
TILE_MM = 2.5            # parts are compared letter by letter, in tiles this wide
MIN_TILE_PIXELS = 12     # a tile with fewer differing pixels than this is not compared
TILE_SHIFT = 1           # each tile placed anew within this many pixels
MIN_CONTRAST = 60        # a tile where our rendering varies less than this (grey levels) is blank paper


@dataclass(frozen=True)
class Part:
    region: tuple[float, float, float, float]   # PDF points: left, bottom, right, top (padded)
    weight: int                                  # how many pixels differ in it
    ours: np.ndarray                             # our rendering of the region, grey, at DPI
    strangers: tuple[np.ndarray, ...]            # the strangers' renderings of it
    differs: np.ndarray                          # where ours differs from every stranger's (bool)


@dataclass
class Likeness:
    score: float            # how well our personal parts are seen on the page (weighted mean)
    stranger: float         # how well a stranger's are (the best stranger, weighted mean)
    parts: int
    failing: float = 0.0    # the share of our parts (by weight) seen below MIN_SCORE (for the record)

    @property
    def verdict(self) -> str:
        """ours, not_ours, or unsure (the printed id line decides)."""
        if self.parts == 0 or self.score >= SURE:
            return "ours"
        return "not_ours" if self.score < MIN_SCORE else "unsure"

    def note(self) -> str:
        return (f"its name, office and id line match ours {self.score:.2f} (another document's "
                f"{self.stranger:.2f})")


@lru_cache(maxsize=48)
def _rendered(pdf_path: str, page_number: int) -> tuple[np.ndarray, float]:
    """Our page, grey at DPI, and its height in points (cached: one worker sees a document many times)."""
    return render_grey(Path(pdf_path), page_number, DPI)


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
        differs |= cv2.absdiff(mine, pixels) > 60
    scale = DPI / 72
    for left, bottom, right, top in left_out:
        margin = 2 * PT_PER_MM
        differs[max(0, int((height_pt - top - margin) * scale)): int((height_pt - bottom + margin) * scale) + 1,
                max(0, int((left - margin) * scale)): int((right + margin) * scale) + 1] = False
    # Words of one line into one part: a name is compared as a whole, not letter by letter.
    # (Only within the box around all differences: on a whole page this costs more than the rest together.)
    rows, columns = np.flatnonzero(differs.any(axis=1)), np.flatnonzero(differs.any(axis=0))
    if not rows.size:
        return ()
    top, left = max(0, rows[0] - 16), max(0, columns[0] - 16)
    joined = cv2.dilate(differs[top:rows[-1] + 17, left:columns[-1] + 17].astype(np.uint8), np.ones((5, 25), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined)
    parts = []
    pad = PAD_MM * PT_PER_MM
    for label in range(1, count):
        x, y, width, height, _ = stats[label]
        x, y = x + left, y + top
        weight = int(differs[y:y + height, x:x + width].sum())
        if weight < MIN_PIXELS:
            continue
        region = (x / scale - pad, height_pt - (y + height) / scale - pad,
                  (x + width) / scale + pad, height_pt - y / scale + pad)
        cut = [_region_of(pixels, region, height_pt) for pixels in (mine, *others)]
        # Ours alone: where our rendering differs from every stranger's (what one of them shares with us is
        # no one's own: another town may share it too).
        where = np.ones(cut[0].shape, dtype=bool)
        for other in cut[1:]:
            where &= np.abs(cut[0].astype(np.int16) - other.astype(np.int16)) > 60
        where = cv2.dilate(where.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        paper = np.percentile(cut[0], 90)
        if int((where & (cut[0] < paper - MIN_CONTRAST)).sum()) < MIN_PIXELS:
            continue   # ours is blank paper here (only another document has a line here): no letters of ours
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


def _tiled(area: np.ndarray, y: int, x: int, ours: np.ndarray, where: np.ndarray) -> float | None:
    """The correlation letter by letter: over tiles a letter or two wide, each placed anew within a pixel
    (a photo's perspective stretches a line), averaged. One name differs from another in a few letters, an
    id in a few characters: one correlation over the whole line would let the letters both share hide them.
    Only tiles where `ours` shows something count (where only another document has text, ours is blank
    paper: nothing to compare by correlation). None: no such tile. All tiles at once, one shift at a time."""
    width, shift = max(4, round(TILE_MM * PT_PER_MM / 72 * DPI)), TILE_SHIFT
    height, length = ours.shape
    count = -(-length // width)
    padded = count * width

    def tiles(values: np.ndarray) -> np.ndarray:   # (height, length) → (height, tiles, width), zeros beyond
        out = np.zeros((height, padded), dtype=np.float64)
        out[:, :values.shape[1]] = values
        return out.reshape(height, count, width)

    mask = tiles(where.astype(np.float64))
    template = tiles(ours.astype(np.float64))
    pixels = mask.sum(axis=(0, 2))
    # A tile counts if it has enough of our own pixels and our letters show in them (not blank paper).
    spread = (np.where(mask > 0, template, -np.inf).max(axis=(0, 2))
              - np.where(mask > 0, template, np.inf).min(axis=(0, 2)))
    usable = (pixels >= MIN_TILE_PIXELS) & (spread >= MIN_CONTRAST)
    if not usable.any():
        return None
    n = np.maximum(pixels, 1)
    t_sum = (template * mask).sum(axis=(0, 2))
    t_var = (template * template * mask).sum(axis=(0, 2)) - t_sum * t_sum / n
    begins = np.arange(count) * width
    ends = np.minimum(begins + width, length)
    best = np.full(count, -1.0)
    for dy in range(-shift, shift + 1):
        for dx in range(-shift, shift + 1):
            top, start = y + dy, x + dx
            if top < 0 or top + height > area.shape[0]:
                continue
            low, high = max(0, -start), min(length, area.shape[1] - start)
            if high <= low:
                continue
            seen = np.zeros((height, length))
            seen[:, low:high] = area[top:top + height, start + low:start + high]
            fits = (begins >= low) & (ends <= high)   # a tile cut off by the area's edge is not compared here
            s = tiles(seen) * mask
            s_sum = s.sum(axis=(0, 2))
            s_var = (s * s).sum(axis=(0, 2)) - s_sum * s_sum / n
            cross = (s * template).sum(axis=(0, 2)) - s_sum * t_sum / n
            norm = np.sqrt(np.maximum(s_var, 0) * np.maximum(t_var, 0))
            with np.errstate(all="ignore"):
                value = np.where(norm > 0, cross / norm, 0.0)
            best = np.where(fits, np.maximum(best, value), best)
    return float(best[usable].mean())


def _soft(pixels: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(pixels.astype(np.float32), (0, 0), 1.2)


def likeness(pixels: np.ndarray, transform: np.ndarray, parts: tuple[Part, ...]) -> Likeness:
    """How well the page (`pixels`, grey or RGB, with `transform` from PDF points to its pixels) shows our
    personal parts, and how well a stranger's."""
    import cv2

    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    grey, factor = align.shrunk(grey, transform, DPI)
    transform = np.diag([factor, factor, 1.0]) @ transform
    ours = stranger = failing = total = 0.0
    compared = []
    search_pt = SEARCH_MM * PT_PER_MM
    for part in parts:
        left, bottom, right, top = part.region
        area = _soft(align.cut(grey, transform, [left - search_pt, bottom - search_pt, right + search_pt,
                                                  top + search_pt], DPI))
        template = _soft(part.ours)
        placed = _placed(area, template)
        if placed is None:
            total += part.weight
            failing += part.weight
            continue
        y, x = placed
        # Compared only where the documents differ: there the page shows its own name and id, or not.
        score = _tiled(area, y, x, template, part.differs)
        if score is None:   # only other documents have text here
            continue
        total += part.weight
        ours += part.weight * score
        failing += part.weight * (score < MIN_SCORE)
        compared.append((area, y, x, part))
    if total == 0:
        return Likeness(1.0, 0.0, 0)
    if ours / total >= SURE:  # ours, seen clearly: how a stranger's would look changes nothing (and costs as much)
        return Likeness(ours / total, 0.0, len(parts), failing / total)
    for area, y, x, part in compared:
        others = [_tiled(area, y, x, _soft(other), part.differs) for other in part.strangers]
        stranger += part.weight * max((value for value in others if value is not None), default=0.0)
    return Likeness(ours / total, stranger / total, len(parts), failing / total)

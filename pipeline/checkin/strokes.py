"""What is a stroke on a returned page: ink by contrast, not by darkness.

A stroke is what is *darker than the paper around it*, not what is dark: contrast against a local paper
level (a 5 mm maximum filter, so shadows and uneven light on a photo are paper), in the channel where it is
strongest (a light blue ballpoint is dark in red), with thresholds set by the window's own paper noise,
hysteresis (the faint parts of a stroke count when the stroke also has clear parts), and small gaps closed
(pencil grain, 1-bit scans). Whatever our own page prints there, widened a little, is not ink; neither is a
sliver lying wholly along our print (a scan shifted by a fraction of a millimetre).

Strokes are then measured as handwriting is: length (area over stroke width), extent, and how much they
turn (length over extent): a signature or an initial is long and turns; a tick, a dot or a line does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAPER_MM = 5.0               # strokes narrower than this are not paper (the local paper level's filter)
LOW_MIN, HIGH_MIN = 0.09, 0.17   # contrast thresholds at least this (weak part, clear part of a stroke)
PRINT_MARGIN_MM = 0.35       # our printed strokes, widened by this, are not ink
RESIDUE_MM = 1.0             # a piece lying (almost) wholly this close to print is print, not ink
SIGNATURE_MIN_MM = 15.0      # stroke length of the shortest initial
SIGNATURE_MIN_TURN = 1.4     # stroke length / extent diagonal: a straight line is 1, a tick ~1.1
SIGNATURE_MIN_EXTENT_MM = 6.0
SIGNATURE_MIN_SPREAD_MM = 2.0   # across its other direction too: a thin line is not handwriting, however long
SMALL_EXTENT_MM, SMALL_MIN_MM = 10.0, 25.0   # a mark smaller than 10 mm needs this much stroke (a tick has less)
MARK_MIN_MM = 2.5            # shorter, and smaller than MARK_MIN_AREA: dust
MARK_MIN_AREA = 0.8          # mm²


def contrast(pixels: np.ndarray, dpi: float) -> np.ndarray:
    """How much darker than the paper around it each pixel is: 0 paper, 1 black, slightly negative for
    paper brighter than its neighbourhood (kept for the noise estimate). Per channel, the strongest."""
    import cv2

    values = pixels.astype(np.float32)
    height, width = values.shape[:2]
    factor = max(1, round(dpi / 50))           # the paper level is estimated at ~2 pixels per mm
    small = cv2.resize(values, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA)
    size = 2 * round(PAPER_MM * dpi / 25.4 / factor / 2) + 1
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    paper = cv2.GaussianBlur(paper, (0, 0), size / 3)
    paper = cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR)
    result = 1.0 - values / np.maximum(paper, 1.0)
    return result.max(axis=2) if result.ndim == 3 else result


def disk(radius_px: float):
    import cv2

    size = 2 * max(1, round(radius_px)) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _extent(mask: np.ndarray, scale: float) -> tuple[float, float]:
    rows, columns = np.nonzero(mask)
    if rows.size == 0:
        return 0.0, 0.0
    return (columns.max() - columns.min() + 1) / scale, (rows.max() - rows.min() + 1) / scale


@dataclass
class Strokes:
    """Handwriting measures of a set of ink pixels."""

    length: float = 0.0       # mm of stroke in pieces longer than dust
    longest: float = 0.0      # mm, the longest piece (pen lifts split a signature into pieces)
    width: float = 0.0        # mm, extent
    height: float = 0.0
    area: float = 0.0         # mm²

    @property
    def turn(self) -> float:
        return self.length / max(np.hypot(self.width, self.height), 1e-6)

    @property
    def handwriting(self) -> bool:
        extent = max(self.width, self.height)
        return (self.length >= SIGNATURE_MIN_MM and self.longest >= SIGNATURE_MIN_MM / 2
                and self.turn >= SIGNATURE_MIN_TURN and extent >= SIGNATURE_MIN_EXTENT_MM
                and min(self.width, self.height) >= SIGNATURE_MIN_SPREAD_MM
                and (extent >= SMALL_EXTENT_MM or self.length >= SMALL_MIN_MM))

    @property
    def something(self) -> bool:
        return self.longest >= MARK_MIN_MM or self.area >= MARK_MIN_AREA


def measure_strokes(mask: np.ndarray, scale: float) -> tuple[Strokes, np.ndarray]:
    """Pieces of `mask` grouped across small gaps (0.6 mm); dust-sized groups are left out. A piece's
    length is its area over its stroke width, the width read on the ridge of its distance transform.
    Returns the measures and the mask of what was kept."""
    import cv2

    if not mask.any():
        return Strokes(), mask
    grouped = cv2.dilate(mask.astype(np.uint8), disk(0.6 * scale))
    count, labels = cv2.connectedComponents(grouped, connectivity=8)
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    ridge = mask & (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8)))
    area = np.bincount(labels[mask], minlength=count).astype(float)
    ridge_sum = np.bincount(labels[ridge], weights=distance[ridge], minlength=count)
    ridge_count = np.bincount(labels[ridge], minlength=count)
    width = np.maximum(1.0, 2.0 * ridge_sum / np.maximum(ridge_count, 1) - 1.0)
    length = area / width / scale
    keep = (length >= MARK_MIN_MM) | (area / scale ** 2 >= MARK_MIN_AREA)
    keep[0] = False
    if not keep.any():
        return Strokes(), np.zeros_like(mask)
    kept = mask & keep[labels]
    result = Strokes(length=float(length[keep].sum()), longest=float(length[keep].max()),
                     area=float(area[keep].sum()) / scale ** 2)
    result.width, result.height = _extent(kept, scale)
    return result, kept


def ink_masks(scan: np.ndarray, blank: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What is a stroke on the scan and not on our page: (labels of clear strokes, 0 elsewhere; faint
    strokes; the clear strokes before small gaps were closed: separate glyphs stay separate)."""
    import cv2

    scale = dpi / 25.4
    strength = contrast(scan, dpi)
    printed_core = (blank < 225).astype(np.uint8)
    printed = cv2.dilate(printed_core, disk(PRINT_MARGIN_MM * scale)) > 0
    paper = ~printed
    sample = strength[::3, ::3][paper[::3, ::3]]
    if sample.size < 100:
        sample = strength[::3, ::3].ravel()
    middle = float(np.median(sample))
    noise = 1.4826 * float(np.median(np.abs(sample - middle)))
    low, high = max(LOW_MIN, middle + 4 * noise), max(HIGH_MIN, middle + 7 * noise)
    raw = ((strength > low) & paper).astype(np.uint8)
    strong = (strength > high) & paper
    weak = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, disk(0.2 * scale)) & paper
    count, labels = cv2.connectedComponents(weak, connectivity=8)
    seeds = np.bincount(labels[strong], minlength=count)
    area = np.bincount(labels.ravel(), minlength=count)
    side = 2 * round(RESIDUE_MM * scale) + 1
    near_print = cv2.dilate(printed_core, np.ones((side, side), np.uint8)) > 0
    by_print = np.bincount(labels[near_print], minlength=count)
    residue = by_print >= 0.9 * area            # a sliver along our own print (a slightly shifted scan)
    big_enough = area >= max(3.0, 0.12 * scale ** 2)
    clear = (seeds >= 2) & big_enough & ~residue
    unclear = (seeds < 2) & (area >= scale ** 2) & ~residue
    clear[0] = unclear[0] = False
    kept = clear[labels]
    return np.where(kept, labels, 0), unclear[labels], kept & (raw > 0)

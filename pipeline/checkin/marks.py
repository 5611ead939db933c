"""What is in the signature box: a signature, nothing, or a mark that is not a signature.

Input: the window around the box, cut from the page upright and aligned on our own blank page (ink.py),
and the same window of our blank page. What is a stroke there, and how handwriting-like it is, says
strokes.py.

The ink in and at the box is then told apart: an official seal (a ring found by a Hough transform and
checked around its circumference), typed text (five or more glyph-sized pieces on one line), lines from
corner to corner (a cross-out), a filled area (dark pixels that survive an erosion of 1 mm). What is left
is handwriting if it is long enough, spreads enough and turns enough (stroke length / extent), as a
signature or an initial does and a tick, a dot or a straight line does not.

Three verdicts: ``signed``; ``blank`` (nothing but paper noise: the only case that rejects a copy);
``ambiguous`` for everything in between, with a code and a note in numbers for the person who looks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .strokes import SIGNATURE_MIN_MM, disk, ink_masks, measure_strokes

NEAR_BOX_MM = 2.0            # a stroke touching the box this closely belongs to it (crossing the line)
SEAL_RADIUS_MM = (9.0, 25.0)
SEAL_MIN_RING = 0.7          # share of the circumference where the ring is seen
ALONG_PRINT_MM = 2.5         # counted strokes this close to our print may be that print, seen misaligned
FILLED_MIN = 0.03            # share of the box that is solidly dark (a 7 × 7 mm patch in a 75 × 24 mm box)


@dataclass
class Seen:
    verdict: str              # signed, blank, ambiguous
    code: str                 # signature, blank, faint, small_mark, seal_only, typed_text, crossed_out, filled,
                              # outside_box, not_on_paper
    note: str                 # what was seen, in numbers, for the person who reviews
    coverage: float           # share of the box's inside covered by counted ink
    layers: dict[str, np.ndarray] = field(default_factory=dict)   # masks for the review crop
    circles: list[tuple[float, float, float]] = field(default_factory=list)
    edge: list[float] | None = None   # the region measured (PDF points), where it is known
    along_print: float = 0.0  # share of the counted strokes lying within ALONG_PRINT_MM of our print


# --- marks that are not handwriting ---------------------------------------------------------------------


def find_seals(ink: np.ndarray, scale: float) -> list[tuple[float, float, float]]:
    """Rings of a seal's size whose circumference is mostly inked: (x, y, radius) in pixels."""
    import cv2

    factor = scale / 4.0                        # search at 4 pixels per mm
    height, width = ink.shape
    small = cv2.resize(ink.astype(np.uint8) * 255, (max(1, round(width / factor)), max(1, round(height / factor))),
                       interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 1.2)
    found = cv2.HoughCircles(small, cv2.HOUGH_GRADIENT, dp=1, minDist=20, param1=60, param2=28,
                             minRadius=round(SEAL_RADIUS_MM[0] * 4), maxRadius=round(SEAL_RADIUS_MM[1] * 4))
    if found is None:
        return []
    seen = cv2.dilate(ink.astype(np.uint8), disk(0.3 * scale)) > 0
    seals = []
    for x, y, radius in found[0][:6]:
        x, y, radius = x * factor, y * factor, radius * factor
        if _ring_share(seen, x, y, radius, scale) >= SEAL_MIN_RING:
            # Hough may have found an inner ring: the seal reaches to the outermost ring around it.
            for outer in np.arange(radius * 1.5, radius, -0.5 * scale):
                if _ring_share(seen, x, y, outer, scale) >= 0.8 * SEAL_MIN_RING:
                    radius = float(outer)
                    break
            if all(np.hypot(x - sx, y - sy) > radius / 2 for sx, sy, _ in seals):
                seals.append((x, y, radius))
    return seals


def _ring_share(seen: np.ndarray, x: float, y: float, radius: float, scale: float) -> float:
    """Of the circle's points inside the window, the share with ink within 0.8 mm of the circle."""
    angles = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    offsets = np.linspace(-0.8 * scale, 0.8 * scale, 7)
    xs = x + np.outer(np.cos(angles), radius + offsets)
    ys = y + np.outer(np.sin(angles), radius + offsets)
    height, width = seen.shape
    inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
    usable = inside.all(axis=1)
    if usable.sum() < 60:
        return 0.0
    hits = seen[ys[usable].astype(int), xs[usable].astype(int)].any(axis=1)
    return float(hits.mean())


def typed_lines(mask: np.ndarray, scale: float) -> np.ndarray:
    """Pieces of glyph size (0.8-5 mm high) that sit side by side on one line, five or more of them."""
    import cv2

    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    stats = [cv2.boundingRect(contour) for contour in contours]
    glyphs = [index for index, (_, _, width, height) in enumerate(stats)
              if 0.8 * scale <= height <= 5.0 * scale and width <= 7.0 * scale
              and cv2.contourArea(contours[index]) >= 0.1 * scale ** 2]
    glyphs.sort(key=lambda index: stats[index][0])
    parent = {label: label for label in glyphs}

    def root(label: int) -> int:
        while parent[label] != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    for index, first in enumerate(glyphs):
        x1, y1, w1, h1 = stats[first]
        for second in glyphs[index + 1: index + 12]:
            x2, y2, w2, h2 = stats[second]
            if x2 - (x1 + w1) > 1.5 * max(h1, h2):
                break
            overlap = min(y1 + h1, y2 + h2) - max(y1, y2)
            if overlap >= 0.5 * min(h1, h2):
                parent[root(second)] = root(first)
    groups: dict[int, list[int]] = {}
    for index in glyphs:
        groups.setdefault(root(index), []).append(index)
    text = np.zeros(mask.shape, dtype=np.uint8)
    for members in groups.values():
        if len(members) >= 5:
            cv2.drawContours(text, [contours[index] for index in members], -1, 1, thickness=-1)
    return (text > 0) & mask


def cross_lines(mask: np.ndarray, box_width: float, box_height: float, scale: float) -> list[tuple[int, ...]]:
    """Straight lines at least 45 % of the box's diagonal long and at least 12° steep."""
    import cv2

    factor = scale / 4.0                        # searched at 4 pixels per mm
    size = (max(1, round(mask.shape[1] / factor)), max(1, round(mask.shape[0] / factor)))
    small = cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA)
    small = ((small > 60) * 255).astype(np.uint8)
    diagonal = float(np.hypot(box_width, box_height)) / factor
    lines = cv2.HoughLinesP(small, 1, np.pi / 180, threshold=round(0.3 * diagonal), minLineLength=0.45 * diagonal,
                            maxLineGap=1.5 * 4)
    if lines is None:
        return []
    lines = np.round(lines.reshape(-1, 4) * factor).astype(int)
    steep = []
    for x1, y1, x2, y2 in lines:
        angle = np.degrees(np.arctan2(abs(y2 - y1), abs(x2 - x1)))
        if 12 <= angle <= 78:
            steep.append((int(x1), int(y1), int(x2), int(y2)))
    return steep


def _crossed(lines: list[tuple[int, ...]], box_width: float, box_height: float) -> bool:
    """Two steep lines leaning opposite ways (an X), or one across most of the box (a strike)."""
    diagonal = float(np.hypot(box_width, box_height))
    rising = [line for line in lines if (line[3] - line[1]) * (line[2] - line[0]) < 0]
    falling = [line for line in lines if (line[3] - line[1]) * (line[2] - line[0]) > 0]
    longest = max((np.hypot(x2 - x1, y2 - y1) for x1, y1, x2, y2 in lines), default=0.0)
    return bool(rising and falling) or longest >= 0.6 * diagonal


# --- the verdict ------------------------------------------------------------------------------------------


@dataclass
class Around:
    """The box's wider neighbourhood at a lower resolution: where a seal's centre or a signature written
    beside the box may lie. `origin`: where the measured window's top-left lies in it (pixels)."""

    scan: np.ndarray
    blank: np.ndarray
    dpi: float
    origin: tuple[float, float]

    def ink(self) -> np.ndarray:
        return ink_masks(self.scan, self.blank, self.dpi)[0] > 0


def look(scan: np.ndarray, blank: np.ndarray, dpi: float, box: tuple[int, int, int, int],
         born_digital: bool = False, around: Around | None = None) -> Seen:
    """What is in the box (`box`: top, bottom, left, right of its inside, in window pixels). The window
    is measured at `dpi`; seals and strokes beside the box are looked for in `around` if given (cheaper:
    the box's window can then be the box and its edge), else in the window itself."""
    import cv2

    scale = dpi / 25.4
    top, bottom, left, right = box
    labels, faint, unclosed = ink_masks(scan, blank, dpi)
    ink = labels > 0
    if around is None:
        seals = find_seals(ink, scale)         # on the whole window: a seal's centre may lie outside the box
    else:
        wide_ink = around.ink()
        factor = dpi / around.dpi
        seals = [((x - around.origin[1]) * factor, (y - around.origin[0]) * factor, radius * factor)
                 for x, y, radius in find_seals(wide_ink, around.dpi / 25.4)]
    # Everything else is judged on the box and its edge (cheaper; a stroke crossing the line is cut there).
    edge = round((NEAR_BOX_MM + 1.0) * scale)
    y0, x0 = max(0, top - edge), max(0, left - edge)
    y1, x1 = min(blank.shape[0], bottom + edge), min(blank.shape[1], right + edge)
    region = (slice(y0, y1), slice(x0, x1))
    inside = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    inside[top - y0: bottom - y0, left - x0: right - x0] = True
    box_area = float(inside.sum()) or 1.0
    reach = round(NEAR_BOX_MM * scale)
    near = np.zeros_like(inside)
    near[max(0, top - y0 - reach): bottom - y0 + reach, max(0, left - x0 - reach): right - x0 + reach] = True
    touching = np.bincount(labels[region][near], minlength=int(labels.max()) + 1) > 0
    touching[0] = False
    at_box_full = touching[labels]
    at_box = at_box_full[region]
    filled_share = _filled_share(scan[region], inside, scale)

    seal_area = np.zeros(ink.shape, dtype=np.uint8)
    for x, y, radius in seals:
        cv2.circle(seal_area, (round(x), round(y)), round(radius + 1.0 * scale), 1, thickness=-1)
    seal_at_box = bool(seals) and bool(seal_area[region][inside].any())
    rest = at_box & ~seal_area[region].astype(bool)
    text = typed_lines(rest & unclosed[region] & inside, scale)   # typed into the box, not our print below
    text = cv2.dilate(text.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & rest
    rest &= ~text
    strokes, kept = measure_strokes(rest, scale)
    printed = cv2.dilate((blank[region] < 225).astype(np.uint8), disk(ALONG_PRINT_MM * scale)) > 0
    if strokes.something and not strokes.handwriting:
        strokes, kept = _without_lines_along_print(strokes, kept, printed, scale)
    coverage = float((kept & inside).sum()) / box_area
    layers = {"ink": at_box_full, "faint": faint, "away": ink & ~at_box_full if around is None else None}
    layers["text"] = np.zeros(ink.shape, dtype=bool)
    layers["text"][region] = text
    seen = Seen("ambiguous", "", "", coverage, layers, seals)
    if kept.any():
        seen.along_print = float((kept & printed).sum()) / float(kept.sum())

    def share(mask: np.ndarray) -> str:
        return _percent(float((mask & inside).sum()) / box_area)

    if born_digital:
        if strokes.something or seal_at_box or text.any() or filled_share >= FILLED_MIN:
            return _set(seen, "ambiguous", "not_on_paper", f"a picture or drawing put into our PDF file, no paper was "
                        f"scanned ({share(at_box)} of the box): not a handwritten signature")
        return _set(seen, "blank", "blank", "the box in our PDF file is empty")
    if filled_share >= FILLED_MIN:
        dark = _percent(filled_share)
        return _set(seen, "ambiguous", "filled", f"the box is filled in: {dark} of it solidly dark")
    box_width, box_height = right - left, bottom - top
    if strokes.length >= SIGNATURE_MIN_MM:
        lines = cross_lines(kept, box_width, box_height, scale)
        if lines and _crossed(lines, box_width, box_height):
            longest = max(np.hypot(x2 - x1, y2 - y1) for x1, y1, x2, y2 in lines) / scale
            seen.layers["lines"] = np.zeros(ink.shape, dtype=bool)
            seen.layers["lines"][region] = _line_mask(lines, kept.shape, scale)
            return _set(seen, "ambiguous", "crossed_out", f"the box is crossed out ({len(lines)} straight line(s), "
                        f"the longest {longest:.0f} mm, {share(kept)} of the box)")
    if strokes.handwriting:
        extras = [word for word, present in (("an official seal", seal_at_box), ("typed text", text.any())) if present]
        note = f"{strokes.length:.0f} mm of strokes over {strokes.width:.0f} × {strokes.height:.0f} mm, " \
               f"{share(kept)} of the box" + (f", with {' and '.join(extras)}" if extras else "")
        return _set(seen, "signed", "signature", note)
    if seal_at_box:
        radius = max(radius for _, _, radius in seals) / scale
        return _set(seen, "ambiguous", "seal_only", f"an official seal (Ø {2 * radius:.0f} mm) but no handwriting"
                    + (f" (only {strokes.length:.0f} mm of other strokes)" if strokes.something else ""))
    if text.any():
        pieces = cv2.connectedComponents(text.astype(np.uint8))[0] - 1
        return _set(seen, "ambiguous", "typed_text", f"typed or printed text ({pieces} characters, {share(text)} "
                    "of the box) but no handwriting")
    if strokes.something:
        what = "a straight stroke" if strokes.turn < 1.15 else "a short mark (a tick, a dot or an initial?)"
        return _set(seen, "ambiguous", "small_mark", f"{what}: {strokes.length:.0f} mm of stroke over "
                    f"{strokes.width:.0f} × {strokes.height:.0f} mm, {share(kept)} of the box")
    faint_strokes, faint_kept = measure_strokes(faint[region] & near, scale)
    if faint_strokes.length >= 8.0:
        return _set(seen, "ambiguous", "faint", f"faint strokes: {faint_strokes.length:.0f} mm, "
                    f"{share(faint_kept)} of the box, barely darker than the paper")
    if around is None:
        away, away_scale, whole_inside = layers["away"], scale, np.zeros(ink.shape, dtype=bool)
        whole_inside[top:bottom, left:right] = True
    else:   # in the wider neighbourhood, without what touches the box (the box's own edge, 2 mm)
        factor = around.dpi / dpi
        oy, ox = around.origin
        whole_inside = np.zeros(wide_ink.shape, dtype=bool)
        whole_inside[round(oy + top * factor): round(oy + bottom * factor),
                     round(ox + left * factor): round(ox + right * factor)] = True
        away_scale = around.dpi / 25.4
        margin = round((NEAR_BOX_MM + 1.0) * away_scale)
        count, wide_labels = cv2.connectedComponents(wide_ink.astype(np.uint8), connectivity=8)
        near_wide = cv2.dilate(whole_inside.astype(np.uint8), np.ones((2 * margin + 1,) * 2, np.uint8)) > 0
        touching_wide = np.bincount(wide_labels[near_wide], minlength=count) > 0
        touching_wide[0] = False
        away = wide_ink & ~touching_wide[wide_labels]
        layers["away_wide"] = away
    outside, outside_kept = measure_strokes(away, away_scale)
    if outside.handwriting:
        return _set(seen, "ambiguous", "outside_box", f"no ink in the box, but handwriting "
                    f"({outside.length:.0f} mm of strokes) {_where(outside_kept, whole_inside, away_scale)}")
    return _set(seen, "blank", "blank", f"nothing but paper noise ({share(at_box)} of the box)")


def _without_lines_along_print(strokes, kept: np.ndarray, printed: np.ndarray, scale: float):
    """The strokes measured again without the pieces lying wholly along our print (our signature line
    seen a little off, beside initials: it stretches their extent and hides that they turn), if what is
    left is handwriting on its own; else the strokes as they were."""
    import cv2

    count, pieces = cv2.connectedComponents(cv2.dilate(kept.astype(np.uint8), disk(0.6 * scale)), connectivity=8)
    area = np.bincount(pieces[kept], minlength=count)
    along = np.bincount(pieces[kept & printed], minlength=count) >= 0.9 * np.maximum(area, 1)
    along[0] = False
    if not along.any():
        return strokes, kept
    rest, rest_kept = measure_strokes(kept & ~along[pieces], scale)
    return (rest, rest_kept) if rest.handwriting else (strokes, kept)


def _set(seen: Seen, verdict: str, code: str, note: str) -> Seen:
    seen.verdict, seen.code, seen.note = verdict, code, note
    return seen


def _percent(share: float) -> str:
    return f"{100 * share:.1f} %" if share >= 0.001 else f"{100 * share:.2f} %"


def _filled_share(scan: np.ndarray, inside: np.ndarray, scale: float) -> float:
    """Share of the box's inside that is solidly dark: darker than half the page's paper and still there
    after an erosion of 1 mm (pen strokes are narrower)."""
    import cv2

    values = scan.astype(np.float32)
    paper = np.percentile(values[::4, ::4].reshape(-1, values.shape[2] if values.ndim == 3 else 1), 95, axis=0)
    darkness = 1.0 - values / np.maximum(paper, 1.0)
    if darkness.ndim == 3:
        darkness = darkness.max(axis=2)
    dark = (darkness > 0.5).astype(np.uint8)
    if dark[inside].mean() < FILLED_MIN:
        return 0.0
    solid = cv2.erode(dark, disk(1.0 * scale)) > 0
    return float((solid & inside).sum()) / max(1.0, float(inside.sum()))


def _line_mask(lines, shape, scale: float) -> np.ndarray:
    import cv2

    mask = np.zeros(shape, dtype=np.uint8)
    for x1, y1, x2, y2 in lines:
        cv2.line(mask, (x1, y1), (x2, y2), 1, thickness=max(1, round(0.5 * scale)))
    return mask.astype(bool)


def _where(mask: np.ndarray, inside: np.ndarray, scale: float) -> str:
    """Where a mark lies relative to the box: the direction and the gap in mm."""
    rows, columns = np.nonzero(mask)
    box_rows, box_columns = np.nonzero(inside)
    gaps = {"above": box_rows.min() - rows.max(), "below": rows.min() - box_rows.max(),
            "left of": box_columns.min() - columns.max(), "right of": columns.min() - box_columns.max()}
    side, gap = max(gaps.items(), key=lambda item: item[1])
    return f"{max(0.0, gap / scale):.0f} mm {side} it"

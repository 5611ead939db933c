"""What a hand, a stamp, a typewriter or a PDF editor leaves in a signature box, drawn onto page images.

Handwriting is a pen trajectory (a cursive model: one loop or garland per letter, a capital, pen lifts, an
optional underline), drawn 4x supersampled with pressure changing along the stroke and laid on the paper
as ink is (multiplied, so it darkens the printed text it crosses). Inks differ in colour and cover:
ballpoints skip a little, pencil is grainy and light. Seals, typed names, cross-outs, filled boxes and ticks
are the marks that are not a signature. Every random choice comes from the generator passed in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@dataclass(frozen=True)
class Ink:
    colour: tuple[int, int, int]
    cover: float          # how much of the light the ink takes away where the pen was (0..1)
    grain: float = 0.0    # pencil: share of the cover that varies from pixel to pixel
    skips: float = 0.0    # ballpoint: how often the ball skips


INKS = {
    "black": Ink((28, 28, 34), 0.95, skips=0.04),
    "blue": Ink((25, 45, 150), 0.92, skips=0.05),
    "light_blue": Ink((90, 140, 220), 0.85, skips=0.08),   # a light blue ballpoint
    "violet": Ink((90, 40, 140), 0.9),
    "felt_black": Ink((20, 20, 20), 1.0),
    "felt_blue": Ink((20, 50, 170), 1.0),
    "pencil": Ink((70, 70, 78), 0.62, grain=0.55),
    "light_pencil": Ink((95, 95, 100), 0.5, grain=0.6),
    "grey_150": Ink((150, 150, 150), 1.0),                 # the mid-grey stroke of the issue
}


def px_per_mm(dpi: float) -> float:
    return dpi / 25.4


def box_in_pixels(box: list[float], page_height_px: int, dpi: float) -> tuple[float, float, float, float]:
    """A box in PDF points (origin bottom left) as (left, top, right, bottom) pixels of an upright page."""
    scale = dpi / 72
    left, bottom, right, top = box
    return left * scale, page_height_px - top * scale, right * scale, page_height_px - bottom * scale


# --- handwriting -------------------------------------------------------------------------------------


def handwriting(rng: random.Random, width_mm: float, height_mm: float, letters: int | None = None,
                underline: bool | None = None) -> list[np.ndarray]:
    """Strokes of a signature (lists of points in mm, y down, inside width × height): a capital, then
    `letters` small loops and garlands, split by pen lifts; a short one is an initial (Paraphe)."""
    letters = letters if letters is not None else rng.randint(3, 10)
    points: list[tuple[float, float]] = []
    lifts: list[int] = []
    x = 0.0
    # The capital: a tall loop, sometimes drawn as its own stroke.
    capital = rng.uniform(2.0, 3.2)
    for step in range(40):
        t = step / 39 * 2 * math.pi
        points.append((x + 0.9 * (t / (2 * math.pi)) - 0.5 * math.sin(t), -capital * (1 - math.cos(t)) / 2))
    x += rng.uniform(0.6, 1.1)
    if rng.random() < 0.4:
        lifts.append(len(points))
    for _ in range(letters):
        width = rng.uniform(0.55, 1.1)
        kind = rng.random()
        height = 1.0 if kind < 0.6 else (rng.uniform(1.6, 2.2) if kind < 0.85 else -rng.uniform(0.8, 1.4))
        loop = rng.uniform(0.05, 0.35)
        steps = 16
        for step in range(steps):
            t = (step + 1) / steps * 2 * math.pi
            px = x + width * t / (2 * math.pi) - loop * math.sin(t)
            py = -height * (1 - math.cos(t)) / 2 if height > 0 else -height * (1 - math.cos(t)) / 2 * 0.9
            points.append((px, py))
        x += width
        if rng.random() < 0.12:
            lifts.append(len(points))
    if underline if underline is not None else rng.random() < 0.3:
        lifts.append(len(points))
        y = rng.uniform(0.6, 1.2)
        for step in range(30):
            t = step / 29
            points.append((x * (1 - t) + rng.uniform(-0.02, 0.02), y + 0.25 * math.sin(t * math.pi)))
    array = np.array(points, dtype=float)
    # A steady hand is not a machine: slow wobble, a slant, a slight tilt of the whole line.
    wobble = np.cumsum(np.array([[rng.gauss(0, 0.012), rng.gauss(0, 0.012)] for _ in array]), axis=0)
    array += wobble - wobble.mean(axis=0)
    slant = math.tan(math.radians(rng.uniform(-5, 28)))
    array[:, 0] -= array[:, 1] * slant
    tilt = math.radians(rng.uniform(-4, 4))
    rotation = np.array([[math.cos(tilt), -math.sin(tilt)], [math.sin(tilt), math.cos(tilt)]])
    array = array @ rotation.T
    low, high = array.min(axis=0), array.max(axis=0)
    array = (array - low) / np.maximum(high - low, 1e-6) * [width_mm, height_mm]
    strokes = np.split(array, sorted(set(lifts)))
    return [stroke for stroke in strokes if len(stroke) >= 2]


def tick(rng: random.Random, size_mm: float) -> list[np.ndarray]:
    """A check mark: a short stroke down, a longer one up."""
    bottom = (size_mm * 0.35, size_mm)
    return [np.array([(0, size_mm * 0.55), bottom, (size_mm * rng.uniform(0.9, 1.1), 0)], dtype=float)]


def cross_out(width_mm: float, height_mm: float, rng: random.Random, both: bool = True) -> list[np.ndarray]:
    """Lines from corner to corner across the box: an X, or one diagonal."""
    def jitter() -> float:
        return rng.uniform(-2.0, 2.0)

    first = np.array([(jitter() + 1, jitter() + 1), (width_mm - 1 + jitter(), height_mm - 1 + jitter())])
    second = np.array([(jitter() + 1, height_mm - 1 + jitter()), (width_mm - 1 + jitter(), jitter() + 1)])
    return [first, second] if both else [first]


def _densify(stroke: np.ndarray, step: float) -> np.ndarray:
    """More points along long segments, so that pressure can change along a straight line too."""
    out = [stroke[0]]
    for a, b in zip(stroke[:-1], stroke[1:], strict=True):
        count = max(1, int(np.hypot(*(b - a)) / step))
        out.extend(a + (b - a) * (i / count) for i in range(1, count + 1))
    return np.array(out)


def draw_strokes(image: Image.Image, strokes_mm: list[np.ndarray], origin_px: tuple[float, float], dpi: float,
                 ink: Ink, width_mm: float, rng: random.Random) -> Image.Image:
    """Lay `strokes_mm` (offset by `origin_px`) on the paper in `ink`, `width_mm` wide with pressure varying
    by ±25 %. Returns a new image of the same mode."""
    scale = px_per_mm(dpi)
    strokes = [_densify(stroke, 0.6) * scale + origin_px for stroke in strokes_mm]
    cover = _coverage(image.size, strokes, width_mm * scale, rng)
    if cover is None:
        return image.copy()
    alpha, (left, top) = cover
    noise = np.random.default_rng(rng.randrange(1 << 30))
    if ink.grain:
        grain = noise.normal(1.0, ink.grain, alpha.shape).clip(0.0, 1.6)
        alpha = alpha * grain
    if ink.skips:
        alpha = alpha * (noise.random(alpha.shape) > ink.skips)
    return _lay(image, alpha * ink.cover, (left, top), ink.colour)


def _coverage(size, strokes: list[np.ndarray], width_px: float, rng: random.Random, supersample: int = 4):
    """How much of each pixel the pen covered (0..1), for the bounding box of the strokes."""
    import cv2

    everything = np.vstack(strokes)
    pad = width_px * 2 + 4
    left, top = int(max(0, everything[:, 0].min() - pad)), int(max(0, everything[:, 1].min() - pad))
    right = int(min(size[0], everything[:, 0].max() + pad))
    bottom = int(min(size[1], everything[:, 1].max() + pad))
    if right <= left or bottom <= top:
        return None
    canvas = np.zeros(((bottom - top) * supersample, (right - left) * supersample), dtype=np.uint8)
    for stroke in strokes:
        local = (stroke - (left, top)) * supersample
        pressure = 1.0 + 0.25 * math.sin(rng.uniform(0, 6.3))
        for start in range(0, len(local) - 1, 4):
            pressure = min(1.3, max(0.7, pressure + rng.gauss(0, 0.08)))
            chunk = np.round(local[start: start + 5] * 16).astype(np.int32)
            thickness = max(1, round(width_px * supersample * pressure))
            cv2.polylines(canvas, [chunk], False, 255, thickness=thickness, lineType=cv2.LINE_AA, shift=4)
    small = cv2.resize(canvas, (right - left, bottom - top), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255.0, (left, top)


def _lay(image: Image.Image, alpha: np.ndarray, origin: tuple[int, int], colour: tuple[int, int, int]) -> Image.Image:
    """Ink on paper: each channel is multiplied by what the ink lets through."""
    left, top = origin
    height, width = alpha.shape
    result = image.copy()
    region = np.asarray(result.crop((left, top, left + width, top + height)), dtype=np.float32)
    alpha = alpha.clip(0.0, 1.0)
    if region.ndim == 2:
        through = 1.0 - alpha * (1.0 - (0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]) / 255.0)
        region = region * through
    else:
        through = 1.0 - alpha[..., None] * (1.0 - np.array(colour, dtype=np.float32) / 255.0)
        region = region * through
    result.paste(Image.fromarray(region.clip(0, 255).astype(np.uint8)), (left, top))
    return result


# --- marks that are not a signature ----------------------------------------------------------------------


def seal(image: Image.Image, centre_px: tuple[float, float], radius_mm: float, dpi: float, rng: random.Random,
         colour: tuple[int, int, int] = (60, 60, 170), text: str = "STADT BEISPIELHAUSEN * DER BÜRGERMEISTER *"
         ) -> Image.Image:
    """An official rubber-stamp seal (Dienstsiegel): two rings, the authority's name around, an emblem in
    the middle; stamp ink is uneven."""
    import cv2

    scale = px_per_mm(dpi)
    radius = radius_mm * scale
    size = int(radius * 2 + 8)
    canvas = Image.new("L", (size * 2, size * 2), 0)  # 2x supersampled
    draw = ImageDraw.Draw(canvas)
    c = size
    outer, inner = radius * 2, radius * 2 * 0.74
    draw.ellipse((c - outer, c - outer, c + outer, c + outer), outline=255, width=max(2, round(0.5 * scale * 2)))
    draw.ellipse((c - inner, c - inner, c + inner, c + inner), outline=255, width=max(1, round(0.3 * scale * 2)))
    font = ImageFont.truetype(FONT, max(8, round(radius * 2 * 0.16)))
    for index, letter in enumerate(text):
        angle = -math.pi / 2 + index / len(text) * 2 * math.pi
        glyph = Image.new("L", (font.size * 2, font.size * 2), 0)
        ImageDraw.Draw(glyph).text((font.size // 2, font.size // 2), letter, fill=255, font=font)
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BILINEAR)
        middle = (outer + inner) / 2
        x, y = c + middle * math.cos(angle) - glyph.width / 2, c + middle * math.sin(angle) - glyph.height / 2
        canvas.paste(glyph, (int(x), int(y)), glyph)
    shield = radius * 2 * 0.42
    draw.polygon([(c - shield, c - shield), (c + shield, c - shield), (c + shield, c + shield * 0.3),
                  (c, c + shield), (c - shield, c + shield * 0.3)], outline=255, width=max(2, round(0.4 * scale * 2)))
    for stripe in range(-2, 3):
        x = c + stripe * shield * 0.35
        draw.line([(x, c - shield * 0.8), (x, c + shield * 0.5)], fill=255, width=max(1, round(0.3 * scale * 2)))
    alpha = cv2.resize(np.asarray(canvas), (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    noise = np.random.default_rng(rng.randrange(1 << 30))
    uneven = cv2.GaussianBlur(noise.random((size, size)).astype(np.float32), (0, 0), max(1.0, scale * 1.5))
    uneven = (uneven - uneven.min()) / max(float(np.ptp(uneven)), 1e-6)
    alpha *= 0.55 + 0.45 * uneven
    left, top = int(centre_px[0] - size / 2), int(centre_px[1] - size / 2)
    return _clipped_lay(image, alpha * 0.9, (left, top), colour)


def _clipped_lay(image: Image.Image, alpha: np.ndarray, origin: tuple[int, int], colour) -> Image.Image:
    left, top = origin
    height, width = alpha.shape
    x0, y0 = max(0, left), max(0, top)
    x1, y1 = min(image.width, left + width), min(image.height, top + height)
    if x1 <= x0 or y1 <= y0:
        return image.copy()
    return _lay(image, alpha[y0 - top: y1 - top, x0 - left: x1 - left], (x0, y0), colour)


def typed_text(image: Image.Image, text: str, origin_px: tuple[float, float], dpi: float, points: float = 11,
               colour: tuple[int, int, int] = (20, 20, 20)) -> Image.Image:
    """A line typed or printed into the box ("gez. Dr. Anna Beispiel")."""
    size = max(6, round(points / 72 * dpi))
    font = ImageFont.truetype(FONT, size)
    mask = Image.new("L", (int(font.getlength(text)) + 8, size * 2), 0)
    ImageDraw.Draw(mask).text((4, size // 3), text, fill=255, font=font)
    alpha = np.asarray(mask, dtype=np.float32) / 255
    return _clipped_lay(image, alpha, (int(origin_px[0]), int(origin_px[1])), colour)


def filled(image: Image.Image, rect_px: tuple[float, float, float, float], rng: random.Random,
           colour: tuple[int, int, int] = (15, 15, 15)) -> Image.Image:
    """The box blacked out with a marker: a filled area with ragged edges."""
    import cv2

    left, top, right, bottom = (int(v) for v in rect_px)
    width, height = right - left, bottom - top
    alpha = np.zeros((height, width), dtype=np.float32)
    inset = [rng.uniform(0, 0.08) for _ in range(4)]
    rows = slice(int(height * inset[1]), height - int(height * inset[3]))
    alpha[rows, int(width * inset[0]): width - int(width * inset[2])] = 1
    noise = np.random.default_rng(rng.randrange(1 << 30)).random((height, width)).astype(np.float32)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 2) * (0.85 + 0.15 * noise)
    return _lay(image, alpha.clip(0, 1) * 0.95, (left, top), colour)


# --- damage to the page ----------------------------------------------------------------------------------


def stain(image: Image.Image, centre_px: tuple[float, float], radius_px: float, rng: random.Random,
          colour: tuple[int, int, int] = (110, 70, 40), opaque: bool = False) -> Image.Image:
    """A coffee stain (it darkens what is under it), or with `opaque` an ink blot or a sticker (it
    covers it): an irregular blot."""
    import cv2

    size = int(radius_px * 2.6)
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    radii = radius_px * np.array([rng.uniform(0.75, 1.15) for _ in angles])
    polygon = np.stack([size / 2 + radii * np.cos(angles), size / 2 + radii * np.sin(angles)], axis=1)
    alpha = np.zeros((size, size), dtype=np.float32)
    cv2.fillPoly(alpha, [np.round(polygon).astype(np.int32)], 1.0)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(1.0, radius_px * 0.05)) * 0.92
    origin = (int(centre_px[0] - size / 2), int(centre_px[1] - size / 2))
    if not opaque:
        return _clipped_lay(image, alpha, origin, colour)
    # Covering: first take the paper and print away, then lay the blot's own colour.
    covered = _clipped_lay(image, alpha, origin, (0, 0, 0))
    lifted = Image.eval(covered, lambda v: v)
    paint = Image.new(image.mode, image.size, colour if image.mode == "RGB" else int(sum(colour) / 3))
    mask = Image.new("L", image.size, 0)
    blot = Image.fromarray((alpha.clip(0, 1) * 255).astype(np.uint8))
    mask.paste(blot, origin)
    return Image.composite(paint, lifted, mask)


def tear_corner(image: Image.Image, corner_px: tuple[float, float], depth_px: float, rng: random.Random,
                fill: int | tuple[int, int, int] = 40) -> Image.Image:
    """The bottom-right corner torn off: a ragged triangle of whatever lies under the page."""
    x, y = corner_px
    reach = depth_px * rng.uniform(1.0, 1.3)
    points = [(x + 5, y - reach), (x + 5, y + 5), (x - reach, y + 5)]
    middle = [(x - depth_px * t + rng.uniform(-6, 6), y - depth_px * (1 - t) + rng.uniform(-6, 6))
              for t in np.linspace(0.9, 0.1, 7)]
    result = image.copy()
    ImageDraw.Draw(result).polygon(points + middle, fill=fill)
    return result

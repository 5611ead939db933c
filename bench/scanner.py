"""How a signed page comes back: through an office scanner (resolution, colour, grey or 1-bit, JPEG
quality, skew, optics blur, grain, dust) or a phone camera (perspective, uneven light, a shadow, blur), then
written as a scanner or phone writes it (PDF with JPEG, Flate or CCITT G4 images, multi-page TIFF, JPEG).
What a PDF editor adds is drawn by tests/pdfedit.py.
"""

from __future__ import annotations

import io
import math
import random
from pathlib import Path

import numpy as np
from PIL import Image


def scan(image: Image.Image, choices: dict, rng: random.Random, dpi: float) -> Image.Image:
    import cv2

    pixels = np.asarray(image).astype(np.float32)
    tint = rng.uniform(0.93, 1.0)
    pixels *= tint if pixels.ndim == 2 else np.array([tint * rng.uniform(0.98, 1.02) for _ in range(3)])
    sigma = rng.uniform(0.03, 0.08) * dpi / 25.4
    pixels = cv2.GaussianBlur(pixels, (0, 0), sigma)
    noise = np.empty(pixels.shape[:2], np.float32)
    cv2.randn(noise, 0, rng.uniform(1.5, 5.0))
    pixels += noise if pixels.ndim == 2 else noise[..., None]
    for _ in range(rng.randint(0, 25)):  # dust specks
        x, y = rng.randrange(pixels.shape[1]), rng.randrange(pixels.shape[0])
        cv2.circle(pixels, (x, y), rng.randint(0, 2), (rng.uniform(20, 120),) * 3, -1)
    paper = float(255 * tint)
    if choices["skew"]:
        height, width = pixels.shape[:2]
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), choices["skew"], 1.0)
        cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
        new_w, new_h = int(height * sin + width * cos), int(height * cos + width * sin)
        matrix[0, 2] += new_w / 2 - width / 2
        matrix[1, 2] += new_h / 2 - height / 2
        pixels = cv2.warpAffine(pixels, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR,
                                borderValue=(paper * 0.97,) * 3)
    if choices.get("upside_down"):
        pixels = pixels[::-1, ::-1]
    pixels = np.clip(pixels, 0, 255).astype(np.uint8)
    if choices["mode"] == "1bit":
        grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
        return Image.fromarray(((grey > paper * rng.uniform(0.62, 0.75)) * 255).astype(np.uint8)).convert("1")
    if choices["mode"] == "grey" and pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    return Image.fromarray(np.ascontiguousarray(pixels))


def photograph(image: Image.Image, choices: dict, rng: random.Random) -> Image.Image:
    """A phone photo of the page on a table: perspective, uneven light, a soft shadow, blur."""
    import cv2

    page = np.asarray(image.convert("RGB")).astype(np.float32)
    height, width = page.shape[:2]
    canvas_w, canvas_h = int(width * 1.22), int(height * 1.16)
    table = np.array([rng.uniform(60, 160), rng.uniform(50, 140), rng.uniform(40, 120)], dtype=np.float32)
    canvas = np.empty((canvas_h, canvas_w, 3), np.float32)
    canvas[:] = table
    top, left = int(height * 0.08), int(width * 0.11)
    canvas[top: top + height, left: left + width] = page
    jitter = [rng.uniform(0.01, 0.07) for _ in range(8)]
    source = np.float32([[0, 0], [canvas_w, 0], [canvas_w, canvas_h], [0, canvas_h]])
    target = np.float32([[jitter[0] * canvas_w, jitter[1] * canvas_h],
                         [canvas_w * (1 - jitter[2]), jitter[3] * canvas_h],
                         [canvas_w * (1 - jitter[4]), canvas_h * (1 - jitter[5])],
                         [jitter[6] * canvas_w, canvas_h * (1 - jitter[7])]])
    warped = cv2.warpPerspective(canvas, cv2.getPerspectiveTransform(source, target), (canvas_w, canvas_h),
                                 flags=cv2.INTER_LINEAR, borderValue=tuple(float(v) for v in table))
    ys, xs = np.mgrid[0:canvas_h, 0:canvas_w].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    ramp = (xs * math.cos(angle) + ys * math.sin(angle)) / max(canvas_w, canvas_h)
    light = 1.0 - rng.uniform(0.1, 0.3) * (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    if rng.random() < 0.5:  # a soft shadow of the phone or a hand
        shadow = np.zeros((canvas_h, canvas_w), np.float32)
        centre = (rng.randrange(canvas_w), rng.randrange(canvas_h))
        axes = (int(canvas_w * rng.uniform(0.1, 0.3)), int(canvas_h * rng.uniform(0.1, 0.3)))
        cv2.ellipse(shadow, centre, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
        shadow = cv2.GaussianBlur(shadow, (0, 0), canvas_w * 0.04)
        light *= 1.0 - rng.uniform(0.12, 0.3) * shadow
    warped *= light[..., None]
    warped = cv2.GaussianBlur(warped, (0, 0), rng.uniform(0.5, 1.1))
    noise = np.empty((canvas_h, canvas_w), np.float32)
    cv2.randn(noise, 0, rng.uniform(1.5, 4.0))
    warped += noise[..., None]
    picture = Image.fromarray(np.clip(warped, 0, 255).astype(np.uint8))
    return picture.rotate(90, expand=True) if rng.random() < 0.05 else picture


def write(pages: list[Image.Image], stem: Path, choices: dict, dpi: float) -> list[Path]:
    """The upload file(s) as the device writes them."""
    if choices["photo"]:
        paths = []
        for number, page in enumerate(pages, start=1):
            path = stem.with_name(f"{stem.name}-IMG_{number:04d}.jpg")
            page.save(path, format="JPEG", quality=max(60, choices["quality"]))
            paths.append(path)
        return paths
    if choices["layout"] == "tiff":
        path = stem.with_suffix(".tif")
        compression = "group4" if choices["mode"] == "1bit" else "tiff_lzw"
        pages[0].save(path, format="TIFF", save_all=True, append_images=pages[1:], compression=compression,
                      dpi=(dpi, dpi))
        return [path]
    prepared = []
    for page in pages:
        if choices["format"] == "flate" and page.mode == "L":
            prepared.append(page.convert("P"))     # palette images are stored with Flate
        elif choices["format"] == "flate":
            prepared.append(page)
        else:
            prepared.append(page)
    path = stem.with_suffix(".pdf")
    buffer = io.BytesIO()
    options = {"quality": choices["quality"]} if choices["format"] == "jpeg" else {}
    prepared[0].save(buffer, format="PDF", save_all=True, append_images=prepared[1:], resolution=dpi, **options)
    path.write_bytes(buffer.getvalue())
    return [path]

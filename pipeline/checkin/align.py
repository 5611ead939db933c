"""Where our page lies on a scan: maps from PDF points to image pixels, cutting a region out upright, and
finding the exact position of a region by normalised correlation with our own blank page.

A map is a 3×3 matrix from PDF points (origin bottom left) to image pixels: an affine fit to the QR code's
four corners on a scan, or a homography found by registering the whole page (see register.py).
"""

from __future__ import annotations

import numpy as np


def fit_affine(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares affine map from `source` points to `target` points, as a 3×3 matrix."""
    design = np.hstack([source, np.ones((len(source), 1))])
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    return np.vstack([solution.T, [0.0, 0.0, 1.0]])


def apply(transform: np.ndarray, x: float, y: float) -> tuple[float, float]:
    px = transform @ np.array([x, y, 1.0])
    return float(px[0] / px[2]), float(px[1] / px[2])


def pixels_per_point(transform: np.ndarray, x: float, y: float) -> float:
    """The map's scale at (x, y): image pixels per PDF point (geometric mean of both directions)."""
    origin = np.array(apply(transform, x, y))
    across = np.linalg.norm(np.array(apply(transform, x + 10, y)) - origin) / 10
    down = np.linalg.norm(np.array(apply(transform, x, y + 10)) - origin) / 10
    return float(np.sqrt(across * down))


def region_size(region: list[float], dpi: float) -> tuple[int, int]:
    left, bottom, right, top = region
    return max(8, round((right - left) / 72 * dpi)), max(8, round((top - bottom) / 72 * dpi))


def cut(pixels: np.ndarray, transform: np.ndarray, region: list[float], dpi: float,
        shift_points: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """`region` (PDF points) of the page image `pixels` (H×W or H×W×3), upright at `dpi`; moved by
    `shift_points` (right, down) on our page first. Outside the image is white paper."""
    import cv2

    left, bottom, right, top = region
    step = 72 / dpi
    # Output pixel (u, v) — its centre — to PDF points, then to image pixels (OpenCV: centres at integers).
    to_points = np.array([[step, 0.0, left + shift_points[0] + step / 2],
                          [0.0, -step, top - shift_points[1] - step / 2], [0.0, 0.0, 1.0]])
    centre = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5], [0.0, 0.0, 1.0]])
    matrix = centre @ transform @ to_points
    width, height = region_size(region, dpi)
    white = (255,) * (pixels.shape[2] if pixels.ndim == 3 else 1)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    if np.allclose(matrix[2], [0.0, 0.0, 1.0]):
        return cv2.warpAffine(pixels, matrix[:2], (width, height), flags=flags, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=white)
    return cv2.warpPerspective(pixels, matrix, (width, height), flags=flags, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=white)


def shrunk(image: np.ndarray, transform: np.ndarray, dpi: float) -> tuple[np.ndarray, float]:
    """The image halved (averaging four pixels) while it stays at `dpi` or more, and the factor applied.
    Cut at a sixth of its resolution without it, each pixel of a 600 dpi scan would be one sample of a
    thin letter, not the letter's grey (`transform`: PDF points to the image's pixels)."""
    import cv2

    linear = transform[:2, :2] / transform[2, 2]
    scale = float(np.sqrt(abs(np.linalg.det(linear)))) * 72   # the image's pixels per inch, about
    factor = 1.0
    while scale * factor / 2 >= dpi and min(image.shape[:2]) > 64:
        image, factor = cv2.pyrDown(image), factor / 2
    return image, factor


# --- correlation ----------------------------------------------------------------------------------------


def _fast_length(n: int) -> int:
    """The smallest length >= n made of the factors 2, 3 and 5 (FFTs of such lengths are fast)."""
    while True:
        rest = n
        for factor in (2, 3, 5):
            while rest % factor == 0:
                rest //= factor
        if rest == 1:
            return n
        n += 1


class _Template:
    """Our page's window, prepared for normalised correlation at any placement in the scan window."""

    def __init__(self, blank: np.ndarray, mask: np.ndarray):
        self.height, self.width = blank.shape
        self.weights = mask.astype(np.float32)
        self.count = float(self.weights.sum())
        centred = (blank - float(blank[mask].mean())) * self.weights
        self.centred = centred.astype(np.float32)
        self.norm = float(np.sqrt((self.centred ** 2).sum())) or 1.0

    def score(self, scan: np.ndarray, dy: int, dx: int) -> float:
        if dy < 0 or dx < 0 or dy + self.height > scan.shape[0] or dx + self.width > scan.shape[1]:
            return -1.0
        patch = scan[dy: dy + self.height, dx: dx + self.width]
        weighted = patch * self.weights
        total, energy = float(weighted.sum()), float((weighted * patch).sum())
        variance = max(energy - total * total / self.count, 1e-6)
        return float((patch * self.centred).sum()) / (np.sqrt(variance) * self.norm)


def _ncc_map(scan: np.ndarray, template: _Template) -> np.ndarray:
    """Normalised correlation of `template` at every placement inside `scan`, by FFT."""
    height, width = template.height, template.width
    big_h, big_w = scan.shape
    shape = (_fast_length(big_h + height), _fast_length(big_w + width))
    valid = (slice(0, big_h - height + 1), slice(0, big_w - width + 1))
    scan_spectrum = np.fft.rfft2(scan, shape)
    square_spectrum = np.fft.rfft2(scan ** 2, shape)
    weight_spectrum = np.conj(np.fft.rfft2(template.weights, shape))
    numerator = np.fft.irfft2(scan_spectrum * np.conj(np.fft.rfft2(template.centred, shape)), shape)[valid]
    sums = np.fft.irfft2(scan_spectrum * weight_spectrum, shape)[valid]
    squares = np.fft.irfft2(square_spectrum * weight_spectrum, shape)[valid]
    variance = np.maximum(squares - sums ** 2 / template.count, 1e-6)
    return numerator / (np.sqrt(variance) * template.norm)


def _half(array: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(array, (array.shape[1] // 2, array.shape[0] // 2), interpolation=cv2.INTER_AREA)


def _climb(template: _Template, scan: np.ndarray, dy: int, dx: int, steps=(2, 1)) -> tuple[float, int, int]:
    """Local search from (dy, dx): steps of 2 then 1 pixel towards a better correlation."""
    best = (template.score(scan, dy, dx), dy, dx)
    for step in steps:
        for _ in range(12):
            _, y, x = best
            moved = max((template.score(scan, y + oy, x + ox), y + oy, x + ox)
                        for oy in (-step, 0, step) for ox in (-step, 0, step))
            if moved[0] <= best[0]:
                break
            best = moved
    return best


def _subpixel(template: _Template, scan: np.ndarray, dy: int, dx: int, score: float) -> tuple[float, float]:
    """The peak between pixels: a parabola through the scores one pixel either side, per axis."""
    offsets = []
    for axis in (0, 1):
        before = template.score(scan, dy - (axis == 0), dx - (axis == 1))
        after = template.score(scan, dy + (axis == 0), dx + (axis == 1))
        curvature = before - 2 * score + after
        offsets.append(float(np.clip(0.5 * (before - after) / curvature, -0.5, 0.5)) if curvature < 0 else 0.0)
    return dy + offsets[0], dx + offsets[1]


def locate(scan: np.ndarray, blank: np.ndarray, mask: np.ndarray, good: float) -> tuple[float, float, float]:
    """Where our page's window (`blank`) lies in the larger scan window: the placement with the highest
    normalised correlation of the printed strokes where `mask` is true (the box's inside is left out: a
    signature there is exactly what differs). Searched at half resolution, first near the middle (where
    the QR code puts it; a scan is usually within a millimetre), and if that does not reach `good`, over
    the whole search area by FFT; then refined to the pixel and between pixels.
    Returns (dy, dx, correlation) with dy, dx in pixels of `scan`."""
    scan_half, blank_half = _half(scan), _half(blank)
    mask_half = _half(mask.astype(np.float32)) > 0.99
    coarse = _Template(blank_half, mask_half)
    start_y = (scan_half.shape[0] - blank_half.shape[0]) // 2
    start_x = (scan_half.shape[1] - blank_half.shape[1]) // 2
    score, cy, cx = _climb(coarse, scan_half, start_y, start_x, steps=(1,))
    if score < good:
        correlation = _ncc_map(scan_half, coarse)
        fy, fx = np.unravel_index(int(np.argmax(correlation)), correlation.shape)
        score, cy, cx = max((score, cy, cx), _climb(coarse, scan_half, int(fy), int(fx), steps=(1,)))
    fine = _Template(blank, mask)
    score, dy, dx = _climb(fine, scan, 2 * cy, 2 * cx, steps=(1,))
    y, x = _subpixel(fine, scan, dy, dx, score)
    return y, x, float(score)

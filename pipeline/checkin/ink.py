"""Verify a returned document: is the municipality's signature box signed, is a digital signature ours?

Wet ink: the signature box recorded at render time (PDF points) is mapped onto the page image through the
QR code's four corners, so skew, scale and rotation of the scan do not matter. The window around the box
(with the signer's printed name and office below it) is then aligned on our own blank page by
correlation, which corrects what the QR fit gets wrong on a photo; ink is what is dark on the scan but
blank on our page. Clearly more ink: signed; about as much as ours: unsigned; in between, or the printed
text does not line up with ours: a person looks at it (needs review). An unsigned copy must never pass,
so every doubt goes to review.

Digital signatures: pyHanko checks that each signature is intact and covers the file, that nothing but
form filling or further signatures was added afterwards, and that the signed file starts with exactly the
bytes we rendered (an incremental update of our PDF). A signer whose certificate does not chain to a
configured trust root is "needs review", never "verified".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..units import PT_PER_MM

SAMPLE_DPI = 150            # the box is compared at this resolution (a signature stroke is 2+ pixels wide)
SIGNED_MIN_EXTRA_INK = 0.004   # share of the box's area: a short initial is ~0.5 %, a signature 2-6 %
BLANK_MAX_EXTRA_INK = 0.0015   # scanner dust and JPEG noise stay below this
SEARCH_MM = 6.0             # how far the box may be from where the QR code puts it (photos, warped paper)
CONTEXT_BELOW_MM = 14.0     # the signer's name and office under the box: printed text to align on
MIN_ALIGNMENT = 0.55        # normalised correlation with our page below which we do not trust the position
GOOD_ALIGNMENT = 0.75       # found near the QR code's estimate with this correlation: no wider search


@dataclass
class InkReading:
    verdict: str              # signed, blank, ambiguous
    extra_ink: float          # share of the box's area dark in the scan but blank on our page
    note: str = ""
    alignment: float = 0.0    # how well the printed content around the box matched our page (0..1)
    shift: tuple[int, int] = (0, 0)  # where it matched, in sample pixels (down, right) from the QR's estimate

    def as_details(self) -> dict:
        return {"verdict": self.verdict, "extra_ink": round(self.extra_ink, 5), "note": self.note,
                "alignment": round(self.alignment, 3)}


# --- wet ink --------------------------------------------------------------------------------------


def _apply(transform: np.ndarray, x: float, y: float) -> tuple[float, float]:
    px = transform @ np.array([x, y, 1.0])
    return float(px[0]), float(px[1])


def _window(box: list[float], margin_mm: float = 0.0) -> list[float]:
    """The box with the signer's name and office below it (printed text to align on), plus a margin."""
    left, bottom, right, top = box
    margin = margin_mm * PT_PER_MM
    return [left - 2 * PT_PER_MM - margin, bottom - CONTEXT_BELOW_MM * PT_PER_MM - margin,
            right + 2 * PT_PER_MM + margin, top + 2 * PT_PER_MM + margin]


def _pixels(points: float) -> int:
    return max(8, round(points / 72 * SAMPLE_DPI))


def _sample_size(region: list[float]) -> tuple[int, int]:
    return _pixels(region[2] - region[0]), _pixels(region[3] - region[1])


def cut_box_from_scan(image, transform: np.ndarray, region: list[float]):
    """The region as an upright grey image, resampled from wherever it lies on the scan."""
    from PIL import Image

    left, bottom, right, top = region
    quad = [*_apply(transform, left, top), *_apply(transform, left, bottom),
            *_apply(transform, right, bottom), *_apply(transform, right, top)]
    return image.transform(_sample_size(region), Image.Transform.QUAD, quad, resample=Image.Resampling.BILINEAR,
                           fillcolor=255)


def cut_box_from_pdf(pdf_path: Path, page_number: int, region: list[float]):
    """The same region from our own blank PDF, rendered at the sampling resolution."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        page = pdf[page_number - 1]
        height = page.get_height()
        scale = SAMPLE_DPI / 72
        left, bottom, right, top = region
        crop = (left, bottom, page.get_width() - right, height - top)
        image = page.render(scale=scale, grayscale=True, crop=crop).to_pil().convert("L")
        return image.resize(_sample_size(region))
    finally:
        pdf.close()


def _darkness(image) -> np.ndarray:
    """0 for paper, 1 for black, relative to this image's own paper (uneven light in photos)."""
    grey = np.asarray(image, dtype=np.float32)
    paper = max(float(np.percentile(grey[::3, ::3], 90)), 1.0)  # a sample is as good and 9x cheaper
    return np.clip(1.0 - grey / paper, 0.0, 1.0)


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
    weights, count, norm_template = template.weights, template.count, template.norm
    shape = (_fast_length(big_h + height), _fast_length(big_w + width))
    valid = (slice(0, big_h - height + 1), slice(0, big_w - width + 1))
    scan_spectrum = np.fft.rfft2(scan, shape)
    square_spectrum = np.fft.rfft2(scan ** 2, shape)
    weight_spectrum = np.conj(np.fft.rfft2(weights, shape))
    numerator = np.fft.irfft2(scan_spectrum * np.conj(np.fft.rfft2(template.centred, shape)), shape)[valid]
    sums = np.fft.irfft2(scan_spectrum * weight_spectrum, shape)[valid]
    squares = np.fft.irfft2(square_spectrum * weight_spectrum, shape)[valid]
    variance = np.maximum(squares - sums ** 2 / count, 1e-6)
    return numerator / (np.sqrt(variance) * norm_template)


def _half(array: np.ndarray) -> np.ndarray:
    height, width = (array.shape[0] // 2) * 2, (array.shape[1] // 2) * 2
    trimmed = array[:height, :width]
    return (trimmed[0::2, 0::2] + trimmed[1::2, 0::2] + trimmed[0::2, 1::2] + trimmed[1::2, 1::2]) / 4


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


def _align(scan_dark: np.ndarray, blank_dark: np.ndarray, mask: np.ndarray) -> tuple[int, int, float]:
    """Where our page's window lies in the (larger) scan window: the placement with the highest normalised
    correlation of the printed strokes where `mask` is true (the box's inside is left out: a signature
    there is exactly what differs). Searched at half resolution, first near where the QR code puts it (a
    scan is usually within a millimetre), and if that does not match well over the whole search area by
    FFT; then refined to the pixel. Returns (dy, dx, correlation 0..1)."""
    scan_half, blank_half = _half(scan_dark), _half(blank_dark)
    mask_half = _half(mask.astype(np.float32)) > 0.99
    coarse = _Template(blank_half, mask_half)
    start_y = (scan_half.shape[0] - blank_half.shape[0]) // 2
    start_x = (scan_half.shape[1] - blank_half.shape[1]) // 2
    score, cy, cx = _climb(coarse, scan_half, start_y, start_x)
    if score < GOOD_ALIGNMENT:
        correlation = _ncc_map(scan_half, coarse)
        fy, fx = np.unravel_index(int(np.argmax(correlation)), correlation.shape)
        score, cy, cx = max((score, cy, cx), _climb(coarse, scan_half, int(fy), int(fx), steps=(1,)))
    score, dy, dx = _climb(_Template(blank_dark, mask), scan_dark, 2 * cy, 2 * cx, steps=(1,))
    return dy, dx, float(score)


def _neighbours(mask: np.ndarray, radius: int) -> np.ndarray:
    """How many pixels of each (2r+1)² neighbourhood are set (separable box sum, no rank filter)."""
    counts = mask.astype(np.int16)
    for axis in (0, 1):
        padded = np.pad(counts, [(radius, radius) if a == axis else (0, 0) for a in (0, 1)])
        size = counts.shape[axis]
        counts = sum(np.take(padded, range(offset, offset + size), axis=axis) for offset in range(2 * radius + 1))
    return counts


def measure_ink(scan_window, blank_window, box_in_window: tuple[int, int, int, int]) -> InkReading:
    """Compare the scan with our blank page around the signature box.

    `scan_window` is larger than `blank_window` by the search margin on every side; `box_in_window` is
    the box's (top, bottom, left, right) in `blank_window` pixels, the part whose ink counts. Ink that is
    printed on our page (the signature line, anything in the box) is not counted, so a misplaced box
    cannot mistake printed text for a signature; if the printed text around the box does not line up
    with ours, the position is not trusted and a person looks (ambiguous)."""
    scan_dark = _darkness(scan_window)
    blank_dark = _darkness(blank_window)
    top, bottom, left, right = box_in_window
    outside_box = np.ones(blank_dark.shape, dtype=bool)
    outside_box[top:bottom, left:right] = False
    dy, dx, alignment = _align(scan_dark, blank_dark, outside_box)
    height, width = blank_dark.shape
    shift = (dy - (scan_dark.shape[0] - height) // 2, dx - (scan_dark.shape[1] - width) // 2)
    dark = scan_dark[dy: dy + height, dx: dx + width] > 0.45
    ink = dark & (_neighbours(dark, 1) >= 4)  # scanner speckle and dust are not strokes
    # Printed strokes, widened by 2 px: a slightly soft or shifted print of our own text is not ink.
    widened = _neighbours(blank_dark > 0.15, 2) > 0
    extra = float((ink & ~widened)[top:bottom, left:right].mean())
    if alignment < MIN_ALIGNMENT:
        return InkReading("ambiguous", extra, f"the signature box could not be located reliably "
                                              f"(alignment {alignment:.2f})", alignment, shift)
    if extra >= SIGNED_MIN_EXTRA_INK:
        return InkReading("signed", extra, "", alignment, shift)
    if extra <= BLANK_MAX_EXTRA_INK:
        return InkReading("blank", extra, "", alignment, shift)
    return InkReading("ambiguous", extra, "only a little ink in the signature box", alignment, shift)


def _box_in_window(box: list[float], window: list[float]) -> tuple[int, int, int, int]:
    """The box's inside (without its edges) in window pixels: top, bottom, left, right."""
    left, bottom, right, top = box
    return (_pixels(window[3] - top + 1.0 * PT_PER_MM), _pixels(window[3] - bottom),
            _pixels(left - window[0] + 1.0 * PT_PER_MM), _pixels(right - window[0] - 1.0 * PT_PER_MM))


def _measure(image, transform: np.ndarray, geometry: dict, page_number: int, reference_pdf: Path,
             anchors: tuple[np.ndarray, np.ndarray] | None = None) -> InkReading:
    box = geometry["signature_box"]["box"]
    window = _window(box)
    blank_window = cut_box_from_pdf(reference_pdf, page_number, window)
    reading = measure_ink(cut_box_from_scan(image, transform, _window(box, SEARCH_MM)), blank_window,
                          _box_in_window(box, window))
    if anchors is None or reading.alignment >= GOOD_ALIGNMENT:
        return reading
    # A photo: the QR fit is off by more than a shift near the box (perspective changes the scale across
    # the page). Where the window was found is a second anchor, far from the QR code: fit again with it
    # and look once more.
    centre = ((window[0] + window[2]) / 2, (window[1] + window[3]) / 2)
    found = _apply(transform, centre[0] + reading.shift[1] / SAMPLE_DPI * 72,
                   centre[1] - reading.shift[0] / SAMPLE_DPI * 72)
    source, target = anchors
    refit = _fit(np.vstack([source, [centre] * 4]), np.vstack([target, [found] * 4]))
    second = measure_ink(cut_box_from_scan(image, refit, _window(box, SEARCH_MM)), blank_window,
                         _box_in_window(box, window))
    return second if second.alignment > reading.alignment else reading


def _fit(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    design = np.hstack([source, np.ones((len(source), 1))])
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    return solution.T


def signature_ink(image, corners, geometry: dict, page_number: int, reference_pdf: Path) -> InkReading:
    """Ink in the municipality's signature box of one page image whose QR corners are known.

    The map from PDF points to image pixels is an affine fit to the QR symbol's four corners: four corners
    of a 2 cm square pin down a perspective poorly, and an affine fit extrapolates to the box far more
    steadily. What it still gets wrong (a photo's perspective, curled paper) `_measure` corrects by
    aligning on the printed text.
    """
    qr_box = geometry["qr"].get(str(page_number))
    if qr_box is None:
        return InkReading("ambiguous", 0.0, "no QR position recorded for this page")
    left, bottom, right, top = qr_box
    source = np.array([(left, top), (right, top), (right, bottom), (left, bottom)], dtype=float)
    target = np.array(corners, dtype=float)
    return _measure(image, _fit(source, target), geometry, page_number, reference_pdf, (source, target))


def signature_ink_on_page(image, page_size: list[float], geometry: dict, page_number: int,
                          reference_pdf: Path) -> InkReading:
    """For a born-digital page without a readable QR code: map by the page's own size."""
    width_pt, height_pt = page_size
    scale_x, scale_y = image.size[0] / width_pt, image.size[1] / height_pt
    transform = np.array([[scale_x, 0.0, 0.0], [0.0, -scale_y, image.size[1]]])
    return _measure(image, transform, geometry, page_number, reference_pdf)


# --- digital signatures ---------------------------------------------------------------------------



"""Is the municipality's signature box signed (wet ink on a scan or photo)?

The box recorded at render time (PDF points) is mapped onto the page image: through the QR code's four
corners (an affine fit), or through a registration of the whole page on ours (register.py) when the page was
identified by its printed id. The window around the box (the box, the signer's printed name and office
below it, the end of the text above) is then aligned on our own blank page by normalised correlation at
150 dpi, which corrects what the map gets wrong on a photo or warped paper, and cut again, exactly there,
at the scan's own resolution (150-300 dpi: a 0.2 mm pen is one or two pixels wide). marks.py decides what
is in it. If the printed text around the box does not line up with ours, the position is not trusted and
a person looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..geometry import Geometry
from ..units import PT_PER_MM
from . import align
from .marks import Around, Seen, look
from .strokes import contrast

ALIGN_DPI = 100             # the window is found at this resolution (and between its pixels)
MEASURE_DPI = (150, 300)    # and measured at the scan's own, within these bounds
SEARCH_MM = 6.0             # how far the box may be from where the map puts it (photos, warped paper)
AROUND_MM = (8.0, 12.0, 12.0, 17.0)   # left, right, above, below the box: its neighbourhood, with the
                                      # signer's name and office below to align on
EDGE_MM = 3.5               # the box is measured finely with this much around it (strokes crossing its line)
PICTURE_DPI = 150           # the review picture's resolution (at most)
MIN_ALIGNMENT = 0.55        # normalised correlation with our page below which the position is not trusted
ALONG_PRINT_DOUBT = 0.5    # strokes counted mostly along our print, aligned only roughly: align better first
GOOD_ALIGNMENT = 0.65       # found near the map's estimate with this correlation (at 100 dpi): no wider search


@dataclass
class InkReading:
    verdict: str              # signed, blank, ambiguous
    code: str = ""            # what was seen (marks.Seen.code), or not_located
    note: str = ""            # what was seen, in numbers
    coverage: float = 0.0     # share of the box covered by counted ink
    alignment: float = 0.0    # how well the printed content around the box matched our page (0..1)
    shift: tuple[float, float] = (0.0, 0.0)   # where it matched, in points (right, down) from the map's estimate
    dpi: int = 0              # resolution the box was measured at
    crop: bytes | None = None  # the review picture (PNG) for a box that is not clearly signed

    def as_details(self) -> dict:
        return {"verdict": self.verdict, "code": self.code, "note": self.note, "coverage": round(self.coverage, 5),
                "alignment": round(self.alignment, 3), "dpi": self.dpi}


def window_of(box: list[float], margin_mm: float = 0.0) -> list[float]:
    """The box's neighbourhood in PDF points (left, bottom, right, top), plus a margin."""
    left, bottom, right, top = box
    around_left, around_right, above, below = (value + margin_mm for value in AROUND_MM)
    return [left - around_left * PT_PER_MM, bottom - below * PT_PER_MM,
            right + around_right * PT_PER_MM, top + above * PT_PER_MM]


def box_in_window(box: list[float], window: list[float], dpi: float) -> tuple[int, int, int, int]:
    """The box's inside (1 mm in from its top and sides; its bottom is the signature line) in window
    pixels: top, bottom, left, right."""
    left, bottom, right, top = box

    def pixels(points: float) -> int:
        return round(points / 72 * dpi)

    return (pixels(window[3] - top + PT_PER_MM), pixels(window[3] - bottom),
            pixels(left - window[0] + PT_PER_MM), pixels(right - window[0] - PT_PER_MM))


def render_region(pdf_path: Path, page_number: int, region: list[float], dpi: float) -> np.ndarray:
    """A region of our own blank PDF, grey, at `dpi` (the same size `align.cut` gives)."""
    return render_regions(pdf_path, page_number, [(region, dpi)])[0]


def render_regions(pdf_path: Path, page_number: int, wanted: list[tuple[list[float], float]]) -> list[np.ndarray]:
    """Regions of our own blank PDF, each grey at its resolution, the PDF opened once."""
    import cv2
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        page = pdf[page_number - 1]
        width_pt, height_pt = page.get_size()
        rendered = []
        for (left, bottom, right, top), dpi in wanted:
            crop = (left, bottom, width_pt - right, height_pt - top)
            rendered.append((page.render(scale=dpi / 72, grayscale=True, crop=crop).to_numpy(), (left, bottom, right,
                                                                                                  top), dpi))
    finally:
        pdf.close()
    result = []
    for pixels, region, dpi in rendered:
        pixels = pixels[..., 0] if pixels.ndim == 3 else pixels
        width, height = align.region_size(list(region), dpi)
        if pixels.shape != (height, width):
            pixels = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA)
        result.append(np.ascontiguousarray(pixels))
    return result


def _outside_box(shape: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.ones(shape, dtype=bool)
    top, bottom, left, right = box
    mask[top:bottom, left:right] = False
    return mask


def measure_ink(scan_window: np.ndarray, blank_window: np.ndarray, box: tuple[int, int, int, int],
                dpi: float = ALIGN_DPI, born_digital: bool = False) -> InkReading:
    """Find `blank_window` (our page, grey) inside the larger `scan_window` (the search margin on every
    side) and judge the box there (`box`: top, bottom, left, right of its inside in blank pixels)."""
    grey = scan_window if scan_window.ndim == 2 else scan_window.min(axis=2)
    dy, dx, score = align.locate(contrast(grey, dpi), 1.0 - blank_window.astype(np.float32) / 255,
                                 _outside_box(blank_window.shape, box), GOOD_ALIGNMENT)
    height, width = blank_window.shape
    margin_y, margin_x = (scan_window.shape[0] - height) / 2, (scan_window.shape[1] - width) / 2
    shift = ((dx - margin_x) * 72 / dpi, (dy - margin_y) * 72 / dpi)
    if score < MIN_ALIGNMENT:
        return _not_located(score, shift, dpi)
    y, x = round(dy), round(dx)
    seen = look(scan_window[y: y + height, x: x + width], blank_window, dpi, box, born_digital)
    return _reading(seen, score, shift, dpi)


def _not_located(score: float, shift, dpi: float) -> InkReading:
    return InkReading("ambiguous", "not_located", f"the signature box could not be located reliably: the printed "
                                                  f"text around it matches ours only to {score:.2f}", 0.0, score,
                      shift, round(dpi))


def _reading(seen: Seen, score: float, shift, dpi: float) -> InkReading:
    return InkReading(seen.verdict, seen.code, seen.note, seen.coverage, score, shift, round(dpi))


class BoxReader:
    """Reads the box of one page image (`pixels`: H×W grey or H×W×3 RGB, as a viewer shows the page)."""

    def __init__(self, pixels: np.ndarray, geometry: Geometry, page_number: int, reference_pdf: Path,
                 born_digital: bool = False):
        import cv2

        self.pixels = pixels
        self.grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
        self.box = geometry.signature_box.rect
        self.page_number, self.reference_pdf, self.born_digital = page_number, reference_pdf, born_digital
        self.window = window_of(self.box)
        self.edge = [self.box[0] - EDGE_MM * PT_PER_MM, self.box[1] - EDGE_MM * PT_PER_MM,
                     self.box[2] + EDGE_MM * PT_PER_MM, self.box[3] + EDGE_MM * PT_PER_MM]
        self._blank: dict[tuple[str, int], np.ndarray] = {}

    def blank(self, dpi: int, part: str = "window", then: tuple[str, int] | None = None) -> np.ndarray:
        """Our page's window (or the box's `edge`) at `dpi`, rendered once; `then` renders another part
        at the same time (one opening of the PDF for both)."""
        if (part, dpi) not in self._blank:
            wanted = [(part, dpi)] + ([then] if then and then not in self._blank else [])
            regions = [(self.window if name == "window" else self.edge, resolution) for name, resolution in wanted]
            for key, pixels in zip(wanted, render_regions(self.reference_pdf, self.page_number, regions), strict=True):
                self._blank[key] = pixels
        return self._blank[(part, dpi)]

    def locate(self, transform: np.ndarray, search: bool = True) -> tuple[float, tuple[float, float]]:
        """(correlation, shift in points) of the window on the scan, near where `transform` puts it (and,
        if `search` and it is not found there, anywhere within SEARCH_MM)."""
        area = align.cut(self.grey, transform, window_of(self.box, SEARCH_MM), ALIGN_DPI)
        blank = self.blank(ALIGN_DPI, then=("edge", self.measure_dpi(transform)))
        inside = box_in_window(self.box, self.window, ALIGN_DPI)
        dy, dx, score = align.locate(contrast(area, ALIGN_DPI), 1.0 - blank.astype(np.float32) / 255,
                                     _outside_box(blank.shape, inside), GOOD_ALIGNMENT if search else -1.0)
        margin = SEARCH_MM * ALIGN_DPI / 25.4
        return score, ((dx - margin) * 72 / ALIGN_DPI, (dy - margin) * 72 / ALIGN_DPI)

    def read(self, transform: np.ndarray, anchors: tuple[np.ndarray, np.ndarray] | None = None) -> InkReading:
        score, shift = self.locate(transform)
        if score < GOOD_ALIGNMENT and anchors is not None:
            # A photo: the QR fit is off by more than a shift near the box (perspective changes the scale
            # across the page). Where the window was found is a second anchor, far from the QR code.
            left, bottom, right, top = self.window
            centre = ((left + right) / 2, (bottom + top) / 2)
            found = align.apply(transform, centre[0] + shift[0], centre[1] - shift[1])
            source, target = anchors
            refit = align.fit_affine(np.vstack([source, [centre] * 4]), np.vstack([target, [found] * 4]))
            second = self.locate(refit)
            if second[0] > score:
                (score, shift), transform = second, refit
        rescaled = False
        if score < MIN_ALIGNMENT:
            (score, shift), transform = self.rescale(transform, shift, score)
            rescaled = True
        if score < MIN_ALIGNMENT:
            # Still not found (a strong perspective, a curled page): register the whole page on ours.
            from .register import OurPage, register

            registration = register(self.grey, OurPage.render(self.reference_pdf, self.page_number))
            if registration is not None:
                third = self.locate(registration.transform)
                if third[0] > score:
                    (score, shift), transform = third, registration.transform
        reading, seen = self.measure(transform, shift, score)
        doubtful = reading.verdict != "signed" or (seen is not None and seen.along_print >= ALONG_PRINT_DOUBT)
        if doubtful and score < GOOD_ALIGNMENT and not rescaled:
            # Not clearly signed (or "signed" by strokes lying mostly along our print), and our print
            # around the box lines up only roughly (a photo): where the window lines up better in scale
            # and angle, our own print leaves no residue to count.
            (better, moved), turned = self.rescale(transform, shift, score)
            if better > score:
                (reading, seen), transform, shift = self.measure(turned, moved, better), turned, moved
        if reading.verdict != "signed":
            reading.crop = self.picture(transform, shift, reading.dpi, seen)
        return reading

    def measure(self, transform: np.ndarray, shift, score: float) -> tuple[InkReading, Seen | None]:
        dpi = self.measure_dpi(transform)
        if score < MIN_ALIGNMENT:
            return _not_located(score, shift, dpi), None
        # The box and its edge at the scan's resolution; the wider neighbourhood (seals, a signature
        # beside the box) at the aligning resolution, already at hand.
        edge = self.edge
        scan = align.cut(self.pixels, transform, edge, dpi, shift)
        blank = self.blank(dpi, "edge")
        origin = ((self.window[3] - edge[3]) / 72 * ALIGN_DPI, (edge[0] - self.window[0]) / 72 * ALIGN_DPI)
        around = Around(align.cut(self.grey, transform, self.window, ALIGN_DPI, shift), self.blank(ALIGN_DPI),
                        ALIGN_DPI, origin)
        seen = look(scan, blank, dpi, box_in_window(self.box, edge, dpi), self.born_digital, around)
        seen.edge = edge
        return _reading(seen, score, shift, dpi), seen

    def rescale(self, transform: np.ndarray, shift, score: float):
        """The window found again with `transform` (and the `shift` found with it) scaled (±7 %) and
        turned (±2°) about the window's centre: ((correlation, shift), transform),
        the given ones if none correlates better."""
        left, bottom, right, top = self.window
        centre_x, centre_y = (left + right) / 2, (bottom + top) / 2

        def around(base: np.ndarray, scale: float, degrees: float) -> np.ndarray:
            angle = np.radians(degrees)
            cos, sin = scale * np.cos(angle), scale * np.sin(angle)
            return base @ np.array([[cos, -sin, centre_x - cos * centre_x + sin * centre_y],
                                    [sin, cos, centre_y - sin * centre_x - cos * centre_y], [0.0, 0.0, 1.0]])

        # From where the window was found, and from where the map puts it (what was found with the map
        # as it is may be a wrong peak).
        bases = [transform @ np.array([[1.0, 0.0, shift[0]], [0.0, 1.0, -shift[1]], [0.0, 0.0, 1.0]]), transform]
        best = ((score, shift), transform)
        base, scale, degrees = transform, 1.0, 0.0
        # The correlation peaks sharply (1 % of scale is 1 mm at the window's ends): scales in steps of
        # 1 % (2 % turned by ±1.5°), then the angle finer, then the scale.
        grids = [lambda: [(start, 1.0 + step / 100, angle) for start in bases for step in range(-7, 8)
                          for angle in ((-1.5, 0.0, 1.5) if step % 2 == 0 else (0.0,))],
                 lambda: [(base, scale, degrees + step / 4) for step in (-3, -2, -1, 1, 2, 3)],
                 lambda: [(base, scale + step / 200, degrees) for step in (-1, 1)]]
        for grid in grids:
            for candidate in grid():
                if candidate[0] is transform and candidate[1:] == (1.0, 0.0):
                    continue
                turned = around(*candidate)
                found = self.locate(turned, search=False)
                if found[0] > best[0][0]:
                    best, (base, scale, degrees) = (found, turned), candidate
        return best

    def picture(self, transform: np.ndarray, shift, dpi: int, seen: Seen | None) -> bytes:
        """The review picture: the whole window, in colour, with what was counted drawn over it."""
        import cv2

        from .review import review_picture

        shown = min(PICTURE_DPI, dpi)
        scan = align.cut(self.pixels, transform, self.window, shown, shift)
        blank = self.blank(shown)
        layers, circles = {}, []
        if seen is not None:
            top = round((self.window[3] - seen.edge[3]) / 72 * shown)
            left = round((seen.edge[0] - self.window[0]) / 72 * shown)
            factor = shown / dpi
            for name, mask in seen.layers.items():
                if mask is None:
                    continue
                if name == "away_wide":
                    layers["away"] = cv2.resize(mask.astype(np.uint8), (blank.shape[1], blank.shape[0]),
                                                interpolation=cv2.INTER_NEAREST) > 0
                    continue
                small = cv2.resize(mask.astype(np.uint8), (max(1, round(mask.shape[1] * factor)),
                                                           max(1, round(mask.shape[0] * factor))),
                                   interpolation=cv2.INTER_NEAREST) > 0
                frame = np.zeros(blank.shape, dtype=bool)
                height = min(small.shape[0], frame.shape[0] - top)
                width = min(small.shape[1], frame.shape[1] - left)
                frame[top: top + height, left: left + width] = small[:height, :width]
                layers[name] = frame
            circles = [(x * factor + left, y * factor + top, radius * factor) for x, y, radius in seen.circles]
        return review_picture(scan, blank, box_in_window(self.box, self.window, shown), layers, circles)

    def measure_dpi(self, transform: np.ndarray) -> int:
        left, bottom, right, top = self.box
        dpi = align.pixels_per_point(transform, (left + right) / 2, (bottom + top) / 2) * 72
        return int(min(MEASURE_DPI[1], max(MEASURE_DPI[0], round(dpi))))


def qr_map(geometry: Geometry, page_number: int, corners) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]] | None:
    """The affine map from PDF points to image pixels fitted to the QR code's four corners, and the anchors.

    Four corners of a 2 cm square pin down a perspective poorly, and an affine fit extrapolates to the box
    far more steadily; what it still gets wrong (a photo's perspective, curled paper) the alignment corrects."""
    qr_box = geometry.qr.get(page_number)
    if qr_box is None:
        return None
    left, bottom, right, top = qr_box
    source = np.array([(left, top), (right, top), (right, bottom), (left, bottom)], dtype=float)
    target = np.array(corners, dtype=float)
    return align.fit_affine(source, target), (source, target)


def page_map(image_size: tuple[int, int], page_size: tuple[float, float]) -> np.ndarray:
    """The map of an upright rendering of the whole page (a born-digital page without a readable code)."""
    width_pt, height_pt = page_size
    scale_x, scale_y = image_size[0] / width_pt, image_size[1] / height_pt
    return np.array([[scale_x, 0.0, 0.0], [0.0, -scale_y, image_size[1]], [0.0, 0.0, 1.0]])

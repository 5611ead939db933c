"""Registering a page image on our own page: where our page lies on a scan or photo that no QR code maps.

ORB features of the page (at about 100 dpi) are matched with those of our rendered page, and a homography
is fitted to the matches with RANSAC. It survives rotation (upside down, sideways), skew, perspective and
stains, and needs nothing but the printed text both share. Used for a page identified by its printed id
line (printed.py), for a photo whose QR fit cannot place the signature box, and to match a page without
any readable id against the pages of the documents its upload holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..units import PT_PER_MM
from . import align

DPI = 100                 # our page is rendered, and the page image scaled, to about this resolution
MIN_INLIERS = 40          # matches consistent with one homography below which a page is not registered
MAX_TEXT_MOVE_MM = 6.0    # a refinement may move the running text, where the features matched, this much
MAX_FOOT_MOVE_MM = 20.0   # and the foot of the page, extrapolated from the text (photos: 5-13 mm seen)
REFINE_DPI = ((18, 1.0), (36, 1.0))   # resolutions (and blur, pixels) at which a registration is made exact


def render_grey(pdf_path: Path, page_number: int, dpi: float) -> tuple[np.ndarray, float]:
    """One page of our PDF, grey at `dpi`, and its height in points."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        page = pdf[page_number - 1]
        pixels = page.render(scale=dpi / 72, grayscale=True).to_numpy()
        height_pt = page.get_height()
    finally:
        pdf.close()
    return np.ascontiguousarray(pixels[..., 0] if pixels.ndim == 3 else pixels), height_pt


@dataclass
class OurPage:
    """Our page at DPI, with its features (prepared once per worker and document page)."""

    pixels: np.ndarray
    height_pt: float
    keypoints: tuple
    descriptors: np.ndarray | None

    @classmethod
    def render(cls, pdf_path: Path, page_number: int) -> OurPage:
        pixels, height_pt = render_grey(pdf_path, page_number, DPI)
        keypoints, descriptors = _features(pixels)
        return cls(pixels, height_pt, keypoints, descriptors)

    def points_to_pixels(self) -> np.ndarray:
        """PDF points (origin bottom left) to pixels of this rendering."""
        scale = DPI / 72
        return np.array([[scale, 0.0, 0.0], [0.0, -scale, self.height_pt * scale], [0.0, 0.0, 1.0]])


def _features(pixels: np.ndarray):
    import cv2

    orb = cv2.ORB_create(nfeatures=1500, scaleFactor=1.2, nlevels=6, fastThreshold=12)
    return orb.detectAndCompute(pixels, None)


@dataclass
class Registration:
    transform: np.ndarray     # PDF points -> pixels of the registered image
    inliers: int


def register(image: np.ndarray, ours: OurPage, refine: bool = True) -> Registration | None:
    """Where `ours` lies on `image` (grey, any resolution), or None if it cannot be found reliably;
    `refine`: made exact over the whole page (see `refined`)."""
    import cv2

    if ours.descriptors is None:
        return None
    cv2.setRNGSeed(12)   # RANSAC draws from OpenCV's generator: the same page registers alike in any worker
    longest = max(image.shape)
    factor = min(1.0, max(ours.pixels.shape) * 1.15 / longest)   # the photo's border: a little larger
    small = cv2.resize(image, (round(image.shape[1] * factor), round(image.shape[0] * factor)),
                       interpolation=cv2.INTER_AREA) if factor < 1.0 else image
    keypoints, descriptors = _features(np.ascontiguousarray(small))
    if descriptors is None or len(keypoints) < MIN_INLIERS:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(ours.descriptors, descriptors, k=2)
    good = [pair[0] for pair in pairs if len(pair) == 2 and pair[0].distance < 0.8 * pair[1].distance]
    if len(good) < MIN_INLIERS:
        return None
    source = np.float32([ours.keypoints[match.queryIdx].pt for match in good])
    target = np.float32([keypoints[match.trainIdx].pt for match in good])
    homography, mask = cv2.findHomography(source, target, cv2.RANSAC, 3.0)
    if homography is None or int(mask.sum()) < MIN_INLIERS or not _plausible(homography, ours.pixels.shape):
        return None
    # A scan is an affine image of the page; a homography fitted to text that fills only part of the page
    # extrapolates badly to the rest (the QR code, the id line). Prefer the affine fit unless the page is
    # clearly in perspective (a photo): it then explains far fewer matches.
    affine, affine_mask = cv2.estimateAffine2D(source, target, method=cv2.RANSAC, ransacReprojThreshold=3.0)
    if affine is not None and int(affine_mask.sum()) >= 0.85 * int(mask.sum()):
        homography, mask = np.vstack([affine, [0.0, 0.0, 1.0]]), affine_mask
    back = np.diag([1 / factor, 1 / factor, 1.0])
    found = Registration(back @ homography @ ours.points_to_pixels(), int(mask.sum()))
    return refined(image, found, ours) if refine else found


def refined(image: np.ndarray, registration: Registration, ours: OurPage) -> Registration:
    """The registration made exact over the whole page. The features match in the running text, which
    fills the upper two thirds of our page; fitted there, a photo's perspective puts the signature block
    and the id line, below it, several millimetres off. The page is drawn onto ours as registered and the
    remaining difference fitted as a homography over the whole page (enhanced correlation, OpenCV's ECC),
    coarse to fine (REFINE_DPI: first the paragraphs, then the lines, so that it does not settle a line of
    text off; 40-70 ms, for the few pages that no code maps). Kept only if the page then matches ours
    better."""
    import cv2

    warp, previous = np.eye(3, dtype=np.float32), REFINE_DPI[0][0]
    for dpi, blur in REFINE_DPI:
        factor, step = dpi / DPI, dpi / previous
        # The coarser level's warp in this level's pixels.
        warp = (np.diag([step, step, 1.0]) @ warp @ np.diag([1 / step, 1 / step, 1.0])).astype(np.float32)
        height, width = (round(side * factor) for side in ours.pixels.shape)
        to_small = np.diag([factor, factor, 1.0])
        # this level's pixels of our page -> pixels of the image, as registered
        coarse = registration.transform @ np.linalg.inv(ours.points_to_pixels()) @ np.linalg.inv(to_small)
        shrunk, shrink = align.shrunk(image, registration.transform, dpi)
        drawn = cv2.warpPerspective(shrunk, np.diag([shrink, shrink, 1.0]) @ coarse, (width, height),
                                    flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=255)
        template = cv2.resize(ours.pixels, (width, height), interpolation=cv2.INTER_AREA)
        template, drawn = (cv2.GaussianBlur(_ink(pixels, dpi), (0, 0), blur) for pixels in (template, drawn))
        try:
            _, warp = cv2.findTransformECC(template, drawn, warp, cv2.MOTION_HOMOGRAPHY,
                                               (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 25, 1e-4), None, 1)
        except cv2.error:   # did not converge: the registration stays as the features found it
            return registration
        previous = dpi
    # Both measured alike, on the whole frame at the finest level: as registered, and as ECC moved it.
    moved = cv2.warpPerspective(drawn, warp, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    before, after = (float(np.corrcoef(template.ravel(), seen.ravel())[0, 1]) for seen in (drawn, moved))
    if not after > before:
        return registration
    transform = coarse @ warp.astype(np.float64) @ to_small @ ours.points_to_pixels()
    # The running text, where the features matched, stays where they put it: a fit that moves it was
    # drawn by something else (a shadow, the table beside the page).
    height_pt = ours.height_pt
    width_pt = ours.pixels.shape[1] * 72 / DPI
    text = [(width_pt * x, height_pt * y) for x in (0.25, 0.75) for y in (0.45, 0.7)]
    foot = [(width_pt * x, height_pt * 0.06) for x in (0.25, 0.75)]   # the id line's row, farthest from the text
    if (_moved_mm(registration.transform, transform, text) > MAX_TEXT_MOVE_MM
            or _moved_mm(registration.transform, transform, foot) > MAX_FOOT_MOVE_MM):
        return registration
    return Registration(transform, registration.inliers)


def _ink(pixels: np.ndarray, dpi: float) -> np.ndarray:
    """How much darker than the paper around it each pixel is (0..1): a shadow or uneven light is paper."""
    import cv2

    size = 2 * round(3.0 * dpi / 25.4) + 1   # the paper around: 3 mm, wider than a letter's stroke
    paper = cv2.GaussianBlur(cv2.dilate(pixels, np.ones((size, size), np.uint8)), (0, 0), size / 2)
    return np.clip(1.0 - pixels.astype(np.float32) / np.maximum(paper.astype(np.float32), 1.0), 0.0, 1.0)


def _moved_mm(first: np.ndarray, second: np.ndarray, points: list[tuple[float, float]]) -> float:
    """How far apart two maps of PDF points to pixels put `points`, at most, in mm on the page."""
    worst = 0.0
    for x, y in points:
        a, b = (matrix @ np.array([x, y, 1.0]) for matrix in (first, second))
        apart = float(np.hypot(*(a[:2] / a[2] - b[:2] / b[2])))
        worst = max(worst, apart / _pixels_per_point(first, x, y) / PT_PER_MM)
    return worst


def _pixels_per_point(transform: np.ndarray, x: float, y: float) -> float:
    here, there = (transform @ np.array([x + dx, y, 1.0]) for dx in (0.0, 1.0))
    return float(np.hypot(*(there[:2] / there[2] - here[:2] / here[2])))


def _plausible(homography: np.ndarray, shape: tuple[int, int]) -> bool:
    """The page's corners map to a convex quadrilateral of sensible size (not a degenerate fit)."""
    import cv2

    height, width = shape
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]]).reshape(-1, 1, 2)
    mapped = cv2.perspectiveTransform(corners, homography).reshape(-1, 2)
    area = cv2.contourArea(mapped)
    return bool(cv2.isContourConvex(mapped.astype(np.float32)) and 0.2 * width * height < area < 5 * width * height)

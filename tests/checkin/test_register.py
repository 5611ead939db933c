"""Registering a page without a readable code on our page (register.py): the signature block and the id line,
below the running text whose features place the page, must land where they are on a photo in perspective."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.checkin.register import OurPage, Registration, refined, register
from pipeline.units import PT_PER_MM

from .. import scans

DPI = 200


def _photographed(rendered_pdf, record):
    """Page 2 at DPI, seen in perspective (the bottom wider than the top, as a phone held over the page), and
    the true map from PDF points to its pixels."""
    import cv2

    page = np.asarray(scans.signed_scan(rendered_pdf, record.geometry, dpi=DPI)[1].convert("L"))
    height, width = page.shape
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    moved = np.float32([[0.05 * width, 0.04 * height], [0.93 * width, 0.02 * height], [width, 0.97 * height],
                        [0.01 * width, height]])
    perspective = cv2.getPerspectiveTransform(corners, moved)
    shown = cv2.warpPerspective(page, perspective, (width, height), borderValue=110)
    height_pt = height * 72 / DPI
    to_pixels = np.array([[DPI / 72, 0.0, 0.0], [0.0, -DPI / 72, height_pt * DPI / 72], [0.0, 0.0, 1.0]])
    return shown, perspective @ to_pixels


def _off_mm(transform: np.ndarray, truth: np.ndarray, points_pt: list[tuple[float, float]]) -> float:
    """How far (mm on the page) `transform` puts the points from where `truth` puts them, at worst."""
    worst = 0.0
    for x, y in points_pt:
        mapped, true = (matrix @ np.array([x, y, 1.0]) for matrix in (transform, truth))
        worst = max(worst, float(np.hypot(*(mapped[:2] / mapped[2] - true[:2] / true[2]))))
    return worst / DPI * 25.4


@pytest.fixture(scope="module")
def photographed(rendered_pdf, record):
    return _photographed(rendered_pdf, record)


def _lower_points(record) -> list[tuple[float, float]]:
    left, bottom, right, top = record.geometry.signature_box.rect
    return [(left, bottom), (right, bottom), (left, top), (60.0, 15 * PT_PER_MM)]   # box corners, the id line


def _affine_fit_to_the_text(truth: np.ndarray, height_pt: float, width_pt: float) -> np.ndarray:
    """What the features give on a photo: an affine map fitted where they match, in the running text (the
    upper two thirds of the page), exact there and extrapolated below."""
    import cv2

    points = np.float32([(x, y) for x in np.linspace(0.1, 0.9, 9) * width_pt
                         for y in np.linspace(0.4, 0.9, 9) * height_pt])
    mapped = np.float32([(truth @ [x, y, 1.0])[:2] / (truth @ [x, y, 1.0])[2] for x, y in points])
    affine, _ = cv2.estimateAffine2D(points, mapped, method=cv2.LMEDS)
    return np.vstack([affine, [0.0, 0.0, 1.0]])


def test_a_registration_fitted_to_the_running_text_is_made_exact_below_it(rendered_pdf, record, photographed):
    shown, truth = photographed
    ours = OurPage.render(rendered_pdf, 2)
    fitted = _affine_fit_to_the_text(truth, ours.height_pt, ours.pixels.shape[1] * 72 / 100)
    assert _off_mm(fitted, truth, _lower_points(record)) > 2.0   # the box and id line, off as on a photo
    made_exact = refined(shown, Registration(fitted, 100), ours)
    assert _off_mm(made_exact.transform, truth, _lower_points(record)) < 0.7


def test_a_refinement_that_would_move_the_running_text_is_not_taken(rendered_pdf, record, photographed):
    """The text where the features matched stays put: a fit pulled off by a shadow or the table beside the
    page is refused (here: a start 10 mm off everywhere, which the features never give)."""
    shown, truth = photographed
    ours = OurPage.render(rendered_pdf, 2)
    start = truth @ np.array([[1.0, 0.0, 10 * PT_PER_MM], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert np.allclose(refined(shown, Registration(start, 100), ours).transform, start)


def test_registering_a_photo_places_the_signature_block_and_the_id_line(rendered_pdf, record, photographed):
    shown, truth = photographed
    found = register(shown, OurPage.render(rendered_pdf, 2))
    assert found is not None
    assert _off_mm(found.transform, truth, _lower_points(record)) < 0.7


def test_a_refinement_that_finds_nothing_better_keeps_the_registration(rendered_pdf, record):
    """A blank sheet: nothing to correlate, the registration stays as it was (never made worse)."""
    ours = OurPage.render(rendered_pdf, 2)
    blank = np.full((2339, 1654), 250, dtype=np.uint8)
    start = Registration(np.array([[DPI / 72, 0, 0], [0, -DPI / 72, 2339.0], [0, 0, 1.0]]), 50)
    assert np.allclose(refined(blank, start, ours).transform, start.transform)

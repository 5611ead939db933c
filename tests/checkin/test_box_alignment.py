"""Finding the signature box when the map onto the page is a little off in scale or angle (ink.py):
a photo's perspective, or a page registered on our layout from features far from the box."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.checkin.ink import GOOD_ALIGNMENT, MIN_ALIGNMENT, BoxReader, page_map

from .. import scans

DPI = 200


def _off(transform: np.ndarray, window: list[float], scale: float, degrees: float) -> np.ndarray:
    """`transform` made `scale` times larger and turned by `degrees` about the window's centre."""
    left, bottom, right, top = window
    x, y = (left + right) / 2, (bottom + top) / 2
    angle = np.radians(degrees)
    cos, sin = scale * np.cos(angle), scale * np.sin(angle)
    return transform @ np.array([[cos, -sin, x - cos * x + sin * y], [sin, cos, y - sin * x - cos * y], [0, 0, 1]])


@pytest.fixture(scope="module")
def signed_page(rendered_pdf, record) -> np.ndarray:
    return np.asarray(scans.signed_scan(rendered_pdf, record.geometry, dpi=DPI)[1])


@pytest.mark.parametrize(("scale", "degrees"), [(0.955, 0.0), (1.045, -0.8), (1.0, 1.6)])
def test_a_map_a_few_percent_or_a_degree_off_is_corrected_near_the_box(signed_page, rendered_pdf, record, scale,
                                                                      degrees):
    reader = BoxReader(signed_page, record.geometry, 2, rendered_pdf)
    exact = page_map((signed_page.shape[1], signed_page.shape[0]), record.geometry.page_size)
    wrong = _off(exact, reader.window, scale, degrees)
    score, shift = reader.locate(wrong)
    assert score < GOOD_ALIGNMENT     # as mapped, the window does not line up
    (score, shift), corrected = reader.rescale(wrong, shift, score)
    assert score >= GOOD_ALIGNMENT
    left, bottom, right, top = reader.window
    found = corrected @ np.array([(left + right) / 2 + shift[0], (bottom + top) / 2 - shift[1], 1.0])
    assert np.abs(found[:2] - (exact @ np.array([(left + right) / 2, (bottom + top) / 2, 1.0]))[:2]).max() \
        < 0.5 * DPI / 25.4   # the window's centre where it is, within half a millimetre
    reading = reader.read(wrong)
    assert reading.verdict == "signed" and reading.alignment >= MIN_ALIGNMENT, reading


def test_a_window_that_lines_up_is_left_as_it_is(signed_page, rendered_pdf, record):
    reader = BoxReader(signed_page, record.geometry, 2, rendered_pdf)
    exact = page_map((signed_page.shape[1], signed_page.shape[0]), record.geometry.page_size)
    score, shift = reader.locate(exact)
    assert score >= GOOD_ALIGNMENT
    assert reader.rescale(exact, shift, 0.99) == ((0.99, shift), exact)   # nothing lines up better than that


@pytest.fixture(scope="module")
def unsigned_page(rendered_pdf, record) -> np.ndarray:
    return np.asarray(scans.signed_scan(rendered_pdf, record.geometry, dpi=DPI, signed=False)[1])


@pytest.mark.parametrize("degrees", [0.9, 1.1, 1.3, 1.5, -1.2, -1.4])
def test_our_signature_line_seen_turned_is_never_a_signature(unsigned_page, rendered_pdf, record, degrees):
    """A photo registered a degree off: our own signature line, misaligned, lies along the box's bottom
    as a long thin stroke. It is looked at again, better aligned, and then it is our print."""
    reader = BoxReader(unsigned_page, record.geometry, 2, rendered_pdf)
    exact = page_map((unsigned_page.shape[1], unsigned_page.shape[0]), record.geometry.page_size)
    reading = reader.read(_off(exact, reader.window, 1.0, degrees))
    assert reading.verdict == "blank", reading

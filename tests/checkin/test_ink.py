"""Ink: is the municipality's signature box signed? On synthetic windows, and on scans of a rendered page."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pipeline.checkin import intake
from pipeline.checkin.ink import (
    BLANK_MAX_EXTRA_INK,
    GOOD_ALIGNMENT,
    SIGNED_MIN_EXTRA_INK,
    measure_ink,
    signature_ink,
    signature_ink_on_page,
)

from .. import scans
from .conftest import SCAN_DPI

# --- measure_ink on synthetic windows -----------------------------------------------------------------------

HEIGHT, WIDTH, MARGIN = 300, 500, 30
BOX = (15, 150, 10, 490)                  # top, bottom, left, right inside the window


@pytest.fixture(scope="module")
def printed() -> np.ndarray:
    """Our blank page around the box: the signature line and the printed name and office under it."""
    rng = np.random.default_rng(3)
    page = np.full((HEIGHT, WIDTH), 245, dtype=np.uint8)
    page[152, 5:495] = 0
    for row in range(175, 290, 22):
        for start in range(10, 470, 37):
            page[row: row + 12, start: start + 22] = rng.integers(0, 60)
    return page


def scan_window(printed: np.ndarray, ink: tuple[int, int] = (0, 0), shift: tuple[int, int] = (0, 0),
                content: np.ndarray | None = None) -> Image.Image:
    """The scan's window: larger than ours by the search margin, the page `shift`ed in it, with a block of
    ink (rows, columns) in the box."""
    window = np.full((HEIGHT + 2 * MARGIN, WIDTH + 2 * MARGIN), 240, dtype=np.uint8)
    top, left = MARGIN + shift[0], MARGIN + shift[1]
    window[top: top + HEIGHT, left: left + WIDTH] = printed if content is None else content
    rows, columns = ink
    window[top + 60: top + 60 + rows, left + 100: left + 100 + columns] = 15
    return Image.fromarray(window)


def test_an_empty_box_is_blank(printed):
    reading = measure_ink(scan_window(printed), Image.fromarray(printed), BOX)
    assert reading.verdict == "blank" and reading.extra_ink <= BLANK_MAX_EXTRA_INK
    assert reading.alignment > 0.9 and reading.shift == (0, 0)


def test_the_box_is_found_where_it_really_is(printed):
    reading = measure_ink(scan_window(printed, shift=(9, -14)), Image.fromarray(printed), BOX)
    assert (reading.verdict, reading.shift) == ("blank", (9, -14))


def test_a_clear_stroke_is_signed(printed):
    reading = measure_ink(scan_window(printed, ink=(12, 150), shift=(-7, 11)), Image.fromarray(printed), BOX)
    assert reading.verdict == "signed" and reading.extra_ink >= SIGNED_MIN_EXTRA_INK
    assert reading.alignment > 0.9 and reading.note == ""


def test_a_faint_mark_is_ambiguous(printed):
    reading = measure_ink(scan_window(printed, ink=(4, 40)), Image.fromarray(printed), BOX)
    assert reading.verdict == "ambiguous" and reading.note == "only a little ink in the signature box"
    assert BLANK_MAX_EXTRA_INK < reading.extra_ink < SIGNED_MIN_EXTRA_INK


def test_what_is_printed_in_the_box_on_our_page_is_not_ink(printed):
    ours = printed.copy()
    ours[40:52, 60:300] = 0                    # something we print inside the box
    reading = measure_ink(scan_window(ours), Image.fromarray(ours), BOX)
    assert reading.verdict == "blank", reading


def test_a_window_that_does_not_match_our_page_is_never_signed(printed):
    other = np.roll(printed, 100, axis=1)[::-1]     # a warped photo, a foreign page
    reading = measure_ink(scan_window(printed, ink=(12, 150), content=other), Image.fromarray(printed), BOX)
    assert reading.verdict == "ambiguous"
    assert reading.note.startswith("the signature box could not be located reliably (alignment ")


# --- signature_ink on scans of a rendered page --------------------------------------------------------------


def read_signature_page(tmp_path, pages) -> intake.SourcePage:
    """Page 2 of a scan, as intake reads it: the image and the QR code's corners on it."""
    path = scans.to_pdf(pages, tmp_path / "scan.pdf", dpi=SCAN_DPI)
    limits = intake.Limits()
    found = list(intake.read_pages(intake.open_upload(path, limits), limits))[-1]
    assert found.codes, found.problem
    return found


@pytest.mark.parametrize("signed, verdict", [(True, "signed"), (False, "blank")])
def test_a_scanned_signature_page(tmp_path, record, rendered_pdf, signed_pages, unsigned_pages, signed, verdict):
    page = read_signature_page(tmp_path, signed_pages if signed else unsigned_pages)
    reading = signature_ink(page.image, page.codes[0].corners, record.geometry, 2, rendered_pdf)
    assert reading.verdict == verdict, reading
    assert reading.alignment >= GOOD_ALIGNMENT


@pytest.mark.parametrize("angle", [3.0, 180.0])
def test_a_skewed_or_upside_down_scan(tmp_path, record, rendered_pdf, signed_pages, unsigned_pages, angle):
    verdicts = []
    for pages in (signed_pages, unsigned_pages):
        page = read_signature_page(tmp_path, [scans.skew(image, angle) for image in pages])
        verdicts.append(signature_ink(page.image, page.codes[0].corners, record.geometry, 2, rendered_pdf).verdict)
    assert verdicts == ["signed", "blank"]


def test_a_16_bit_scan_keeps_its_signature(tmp_path, record, rendered_pdf, signed_pages):
    path = tmp_path / "scan16.png"
    scans.sixteen_bit(signed_pages[1]).save(path)
    [page] = intake.read_pages(intake.open_upload(path, intake.Limits()), intake.Limits())
    assert signature_ink(page.image, page.codes[0].corners, record.geometry, 2, rendered_pdf).verdict == "signed"


def test_a_page_without_a_recorded_qr_position_is_not_judged(record, rendered_pdf, signed_pages):
    geometry = {**record.geometry, "qr": {}}
    reading = signature_ink(signed_pages[1], [(0, 0), (10, 0), (10, 10), (0, 10)], geometry, 2, rendered_pdf)
    assert (reading.verdict, reading.note) == ("ambiguous", "no QR position recorded for this page")


def test_a_born_digital_page_is_mapped_by_its_page_size(record, rendered_pdf):
    [_, ours] = scans.print_pages(rendered_pdf, SCAN_DPI)
    box = record.geometry["signature_box"]
    page_size = record.geometry["page_size"]
    unsigned = signature_ink_on_page(ours, page_size, record.geometry, box["page"], rendered_pdf)
    signed = signature_ink_on_page(scans.sign(ours, box["box"], SCAN_DPI), page_size, record.geometry, box["page"],
                                   rendered_pdf)
    assert (unsigned.verdict, signed.verdict) == ("blank", "signed")


def test_strongly_warped_photos_never_verify_an_unsigned_copy(checkin_round, records):
    """Photos with up to 10 % perspective: the QR fit alone misplaces the box by millimetres; aligning on
    the printed text must find it, and any doubt must be 'ambiguous', never 'signed'."""
    verdicts = {True: [], False: []}
    for seed, record in enumerate(records * 2):
        pdf = checkin_round / "out" / record.path
        for signed in (True, False):
            page = scans.signed_scan(pdf, record.geometry, dpi=150, signed=signed, seed=seed)[1]
            photo = scans.photograph(page, seed=seed, perspective=0.1).convert("L")
            found = intake.SourcePage(1)
            intake._identify(found, photo, rerender=None)
            if not found.codes:
                continue
            reading = signature_ink(found.image, found.codes[0].corners, record.geometry, 2, pdf)
            verdicts[signed].append(reading.verdict)
    assert "signed" not in verdicts[False], verdicts
    assert "blank" not in verdicts[True], verdicts   # a signed copy may need a look, but is never "unsigned"
    assert len(verdicts[True]) >= 8 and verdicts[True].count("signed") >= len(verdicts[True]) - 3, verdicts

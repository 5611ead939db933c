"""Reading the printed id line ("Dok.-Nr. …") of a page whose QR code is unreadable (printed.py)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pipeline.checkin import printed
from pipeline.units import PT_PER_MM

from .. import scans

pytestmark = pytest.mark.skipif(not printed.tesseract_available(), reason="Tesseract is not installed")


def _jpeg(page: Image.Image, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    page.save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("L"))


def _map(dpi: float, page_height_pt: float, down_mm: float) -> np.ndarray:
    """PDF points → pixels of an upright page image at `dpi`, off by `down_mm` (a registration that is a
    little wrong, as on a photo)."""
    scale = dpi / 72
    return np.array([[scale, 0.0, 0.0], [0.0, -scale, page_height_pt * scale + down_mm * PT_PER_MM * scale],
                     [0.0, 0.0, 1.0]])


@pytest.mark.parametrize("down_mm", [0.0, -2.5, 3.0])
def test_a_150_dpi_jpeg_id_line_is_read_even_when_the_registration_is_millimetres_off(rendered_pdf, record,
                                                                                     context, down_mm):
    layout = context.layout()
    page = scans.print_pages(rendered_pdf, 150)[1]
    pixels = _jpeg(page, 45)
    transform = _map(150, page.height * 72 / 150, down_mm)
    found = [printed.payloads(printed.read_line(pixels, transform, layout.id_lines[2], attempt), "2024-05", 2, 2,
                              context.secret) for attempt in range(3)]
    assert found[0] == [f"{record.doc_id}/2/2"], found


def test_the_text_line_is_cut_out_with_white_around_it():
    dpi = 400
    crop = np.full((200, 800), 240, dtype=np.uint8)
    crop[0:30, 100:700] = 30                   # a line of text touching the top edge of the cut
    darkness = 1.0 - crop / 240.0
    line = printed.text_line(crop, darkness, dpi)
    border = round(2.0 * dpi / 25.4)
    assert (line[:border] == 240).all() and (line[-border:] == 240).all()
    assert (line[border: -border, border: -border] == 30).any()
    assert line.shape[0] < 30 + 2 * border + 2 * round(0.6 * dpi / 25.4) + 1

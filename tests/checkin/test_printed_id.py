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


@pytest.mark.parametrize("down_mm", [0.0, -2.5, 3.0, -9.0, 9.0])
def test_a_150_dpi_jpeg_id_line_is_read_even_when_the_registration_is_up_to_a_centimetre_off(rendered_pdf, record,
                                                                                     context, down_mm):
    layout = context.layout()
    page = scans.print_pages(rendered_pdf, 150)[1]
    pixels = _jpeg(page, 45)
    transform = _map(150, page.height * 72 / 150, down_mm)
    found = [printed.payloads(printed.read_line(pixels, transform, layout.id_lines[2], attempt), "2024-05", 2, 2,
                              context.secret) for attempt in range(printed.ATTEMPTS)]
    # Check-in tries the attempts in turn (identify.py, printed.py): one must read it, none may read another id.
    expected = [f"{record.doc_id}/2/2"]
    assert expected in found and all(each in ([], expected) for each in found), found


def test_the_text_line_is_cut_out_with_white_around_it():
    dpi = 400
    crop = np.full((200, 800), 240, dtype=np.uint8)
    for left in range(100, 700, 12):           # a line of "glyphs" touching the top edge of the cut
        crop[0:30, left: left + 6] = 30
    crop[150:, :] = 60                         # the table beyond the paper's edge (a photo)
    darkness = 1.0 - crop / 240.0
    line = printed.text_line(crop, darkness, dpi)
    border = round(2.0 * dpi / 25.4)
    assert (line[:border] == 240).all() and (line[-border:] == 240).all()
    assert (line[border: -border, border: -border] == 30).any()
    assert line.shape[0] < 30 + 2 * border + 2 * round(0.6 * dpi / 25.4) + 1 and not (line == 60).any()


def _misread(mac: str) -> str:
    """The check code as OCR misreads it: a 5 as S, an I as a bracket."""
    return mac.replace("5", "S").replace("I", "}")


@pytest.mark.parametrize("seed", range(40))
def test_common_misreadings_of_the_id_line_are_undone_when_the_check_code_agrees(seed):
    import random

    from pipeline.docid import compute_mac

    secret = b"k" * 32
    ags = f"05{random.Random(seed).randrange(10 ** 6):06d}"
    mac = compute_mac(secret, "2024-05", ags, 1)
    expected = [f"ENG-2024-05-{ags}-V1-{mac}/2/2"]
    for line in (f"Dok.-Nr. FNG-2024-05-{ags}.v1-{_misread(mac)}, Seite 2/2",   # E as F, dash as dot
                 f"Dok.-Nr. ENG-2024-05-{ags}-V1.-{_misread(mac)}, Seite 2/2",
                 f"Dok.-Nr. ENG-2024-05-{ags}-V1-{mac}, Seite 2/2"):
        assert printed.payloads(line, "2024-05", 2, 2, secret) == expected, line
    other = compute_mac(b"x" * 32, "2024-05", ags, 1)
    assert printed.payloads(f"Dok.-Nr. ENG-2024-05-{ags}-V1-{other}, Seite 2/2", "2024-05", 2, 2, secret) == [] \
        or other == mac   # never a guess: a check code that does not agree names no document

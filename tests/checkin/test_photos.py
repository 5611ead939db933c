"""Photos and scans as people send them (issue 13): an iPhone's HEIC, a picture saved on transparency,
a scan whose JPEG is stored as a negative with /Decode [1 0], a TIFF that says white is zero. Each must read
as what a viewer shows: the signed page, black ink on white paper."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pipeline.checkin.identify import analyse
from pipeline.checkin.intake import Limits, open_upload, read_pages

from .. import scans
from .conftest import SCAN_DPI


def signature_page_reading(path, context, record) -> tuple:
    analysis = analyse(path, context)
    assert analysis.refused == "", analysis.refused
    found = [(finding.doc_id, finding.page, (finding.ink or {}).get("verdict")) for finding in analysis.findings]
    return found, analysis.unmatched


def test_an_iphone_heic_photo_is_read(tmp_path, context, record, signed_pages):
    path = scans.to_heic(scans.photograph(signed_pages[1], seed=5), tmp_path / "IMG_4711.HEIC")
    upload = open_upload(path, Limits())
    assert (upload.kind, upload.page_count) == ("heif", 1)
    assert signature_page_reading(path, context, record) == ([(record.doc_id, 2, "signed")], [])


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("WEBP", ".webp"), ("TIFF", ".tif")])
def test_a_signature_page_saved_on_transparency_reads_on_white(tmp_path, context, record, signed_pages, fmt, suffix):
    path = tmp_path / f"transparent{suffix}"
    scans.on_transparency(signed_pages[1]).save(path, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    assert Image.open(path).mode == "RGBA"
    assert signature_page_reading(path, context, record) == ([(record.doc_id, 2, "signed")], [])
    [page] = read_pages(open_upload(path, Limits()), Limits())
    assert page.image.getextrema() == (0, 255) and np.median(np.asarray(page.image)) > 200


def test_a_scan_stored_as_a_negative_with_decode_is_read_as_shown(tmp_path, context, record, signed_pages):
    path = scans.to_pdf_inverted_jpeg(signed_pages[1], tmp_path / "negativ.pdf", dpi=SCAN_DPI)
    assert signature_page_reading(path, context, record) == ([(record.doc_id, 2, "signed")], [])
    [page] = read_pages(open_upload(path, Limits()), Limits())
    assert np.median(np.asarray(page.image)) > 200   # white paper, not black


def test_a_tiff_that_says_white_is_zero_is_read_the_right_way_round(tmp_path, context, record, signed_pages):
    from PIL import TiffImagePlugin

    path = tmp_path / "min-is-white.tif"
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[262] = 0   # PhotometricInterpretation: MinIsWhite (Pillow then stores the page's values inverted)
    signed_pages[1].convert("L").save(path, format="TIFF", tiffinfo=info, dpi=(SCAN_DPI, SCAN_DPI))
    stored = Image.open(path)
    assert stored.tag_v2[262] == 0 and path.read_bytes()[stored.tag_v2[273][0]] < 20   # paper stored as 0
    assert signature_page_reading(path, context, record) == ([(record.doc_id, 2, "signed")], [])

"""Intake: what an upload is (from its first bytes), whether it is within the limits, and each page's codes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter, Transformation

from pipeline.checkin.codes import find_codes as _identify
from pipeline.checkin.intake import Limits, Refused, SourcePage, open_upload, read_pages, sniff

from .. import scans
from .conftest import SCAN_DPI

A4 = (595.28, 841.89)


def pages_of(path: Path, limits: Limits | None = None) -> list[SourcePage]:
    limits = limits or Limits()
    upload = open_upload(path, limits)
    return list(read_pages(upload, limits))


def payloads(doc_id: str, pages: int = 2) -> list[str]:
    return [f"{doc_id}/{page}/{pages}" for page in range(1, pages + 1)]


def blank_pdf(path: Path, pages: int, size: tuple[float, float] = A4) -> Path:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(*size)
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def shrunk_copy(source: Path, target: Path, scale: float) -> Path:
    """Page 1 of our own PDF, drawn at `scale` in the bottom left corner of an A4 page (text layer kept)."""
    writer = PdfWriter()
    page = writer.add_blank_page(*A4)
    page.merge_transformed_page(PdfReader(source).pages[0], Transformation().scale(scale))
    with open(target, "wb") as handle:
        writer.write(handle)
    return target


# --- the file's type, from its first bytes ----------------------------------------------------------------


@pytest.mark.parametrize("head, kind", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
    (b"\r\n\x00\x00scanner junk before the header %PDF-1.4\n", "pdf"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
    (b"II*\x00\x08\x00\x00\x00", "tiff"),
    (b"MM\x00*\x00\x00\x00\x08", "tiff"),
    (b"GIF89a\x01\x00\x01\x00", "gif"),
    (b"BM\x1e\x00\x00\x00", "bmp"),
    (b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00", "heif"),   # an iPhone's photo
    (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", "heif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "webp"),
], ids=["pdf", "pdf-after-junk", "jpeg", "png", "tiff-little-endian", "tiff-big-endian", "gif", "bmp", "heic", "heif",
        "webp"])
def test_sniff_knows_scans_and_images_by_their_first_bytes(head, kind):
    assert sniff(head) == kind


@pytest.mark.parametrize("head, reason", [
    (b"", "the file is empty (0 bytes)"),
    (b"<!DOCTYPE html><html><body>Upload</body></html>", "not a scan: the file is a web page or XML file"),
    (b"  \n<html lang='de'>", "not a scan: the file is a web page or XML file"),
    (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml", "not a scan: the file is a ZIP archive (e.g. a Word or "
                                                         "Excel file)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "not a scan: the file is an old Microsoft Office file"),
    (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "not a scan: the file is a video or another media file (please "
                                                       "send a photo as JPEG, PNG or HEIC, or a PDF)"),
    (b"Sehr geehrte Damen und Herren, anbei", "not a PDF or image file (unknown content)"),
    (b"x" * 1024 + b"%PDF-1.4", "not a PDF or image file (unknown content)"),   # too late to be a header
], ids=["empty", "html", "html-after-spaces", "zip", "ole", "video", "text", "pdf-after-1kb"])
def test_sniff_refuses_everything_else_with_what_it_is(head, reason):
    with pytest.raises(Refused) as refused:
        sniff(head)
    assert str(refused.value) == reason


def test_the_name_is_not_trusted(tmp_path):
    path = tmp_path / "scan.pdf"
    Image.new("L", (40, 30), 255).save(path, format="PNG")
    upload = open_upload(path, Limits())
    assert (upload.kind, upload.page_count, upload.signed_pdf) == ("png", 1, False)


# --- limits -----------------------------------------------------------------------------------------------


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.pdf"
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(3_000_000)   # sparse: the size is all that is looked at
    with pytest.raises(Refused) as refused:
        open_upload(path, Limits(max_bytes=2_000_000))
    assert str(refused.value) == "the file is 3 MB, more than the limit of 2 MB"


def test_too_many_pages(tmp_path):
    path = blank_pdf(tmp_path / "stack.pdf", 3)
    assert open_upload(path, Limits(max_pages=3)).page_count == 3
    with pytest.raises(Refused) as refused:
        open_upload(path, Limits(max_pages=2))
    assert str(refused.value) == "the file has 3 pages, more than the limit of 2"


def test_a_pdf_without_pages_is_refused(tmp_path):
    with pytest.raises(Refused) as refused:
        open_upload(blank_pdf(tmp_path / "leer.pdf", 0), Limits())
    assert str(refused.value) == "the PDF is damaged and cannot be opened"   # PDFium will not open it


def test_an_image_over_the_pixel_limit(tmp_path):
    path = tmp_path / "photo.png"
    Image.new("L", (2000, 1500), 255).save(path)
    with pytest.raises(Refused) as refused:
        open_upload(path, Limits(max_pixels=2_000_000))
    assert str(refused.value) == "the image is 2000 × 1500 pixels, more than the limit of 2 megapixels"


def test_a_scanned_page_over_the_pixel_limit_is_set_aside_with_its_size(tmp_path, signed_pages):
    path = scans.to_pdf(signed_pages, tmp_path / "scan.pdf", dpi=SCAN_DPI)
    width, height = signed_pages[0].size
    pages = pages_of(path, Limits(max_pixels=1_000_000))
    assert [page.problem for page in pages] == [
        f"the page image is {width} × {height} pixels, more than the limit of 1 megapixels"] * 2
    assert not any(page.codes for page in pages)


def test_a_page_larger_than_any_printed_page(tmp_path):
    path = blank_pdf(tmp_path / "banner.pdf", 1, size=(A4[0], 2000 / 25.4 * 72))
    [page] = pages_of(path)
    assert page.problem == "page 1 is 0.2 × 2.0 m, larger than any printed page"
    assert page.image is None and not page.blank


def test_reading_stops_at_the_time_limit(tmp_path):
    path = blank_pdf(tmp_path / "slow.pdf", 2)
    limits = Limits(max_seconds=1e-9)   # any page takes longer than a nanosecond to read
    with pytest.raises(Refused) as refused:
        list(read_pages(open_upload(path, limits), limits))
    assert str(refused.value) == "reading took longer than 0 s (stopped at page 1)"


def test_a_damaged_pdf_and_a_damaged_image(tmp_path):
    broken_pdf = tmp_path / "kaputt.pdf"
    broken_pdf.write_bytes(b"%PDF-1.7\nthis is not a PDF body")
    broken_png = tmp_path / "kaputt.png"
    broken_png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    for path, reason in ((broken_pdf, "the PDF is damaged and cannot be opened"),
                         (broken_png, "the image is damaged and cannot be opened")):
        with pytest.raises(Refused) as refused:
            open_upload(path, Limits())
        assert str(refused.value) == reason


# --- reading pages ----------------------------------------------------------------------------------------


def test_pages_of_a_pdf_scan(tmp_path, signed_pages, record):
    path = scans.to_pdf(signed_pages, tmp_path / "scan.pdf", dpi=SCAN_DPI)
    upload = open_upload(path, Limits())
    assert (upload.kind, upload.page_count, upload.signed_pdf) == ("pdf", 2, False)
    pages = list(read_pages(upload, Limits()))
    assert [page.number for page in pages] == [1, 2]
    assert [[code.text for code in page.codes] for page in pages] == [[text] for text in payloads(record.doc_id)]
    assert [page.how for page in pages] == ["qr-corner", "qr-corner"]
    assert not any(page.born_digital or page.blank or page.problem for page in pages)
    assert pages[0].image.size == signed_pages[0].size     # the stored scan, taken as it is


def test_a_high_resolution_jpeg_scan_is_decoded_at_reduced_size(tmp_path, rendered_pdf, record):
    path = scans.to_pdf(scans.print_pages(rendered_pdf, 300)[:1], tmp_path / "scan300.pdf", dpi=300)
    [page] = pages_of(path)
    assert page.codes[0].text == payloads(record.doc_id)[0]
    assert page.image.width < 2480 / 1.5   # an A4 page at 300 dpi is 2480 pixels wide


def test_pages_of_our_own_pdf_are_born_digital_with_ids_in_the_text(rendered_pdf, record):
    pages = pages_of(rendered_pdf)
    assert [page.born_digital for page in pages] == [True, True]
    assert [page.text_ids for page in pages] == [[record.doc_id], [record.doc_id]]
    assert [page.text_page for page in pages] == [(1, 2), (2, 2)]
    assert [[code.text for code in page.codes] for page in pages] == [[text] for text in payloads(record.doc_id)]


def test_a_photo_is_one_page(tmp_path, signed_pages, record):
    path = scans.to_jpeg(scans.photograph(signed_pages[1], seed=4), tmp_path / "IMG_0001.JPG")
    upload = open_upload(path, Limits())
    assert (upload.kind, upload.page_count) == ("jpeg", 1)
    [page] = read_pages(upload, Limits())
    assert [code.text for code in page.codes] == [payloads(record.doc_id)[1]]
    assert page.image.mode == "L"


def test_a_multipage_tiff_is_read_frame_by_frame(tmp_path, signed_pages, record):
    path = scans.to_tiff(signed_pages, tmp_path / "scan.tif", dpi=SCAN_DPI)
    upload = open_upload(path, Limits())
    assert (upload.kind, upload.page_count) == ("tiff", 2)
    pages = list(read_pages(upload, Limits()))
    assert [page.number for page in pages] == [1, 2]
    assert [[code.text for code in page.codes] for page in pages] == [[text] for text in payloads(record.doc_id)]


# --- finding the codes ------------------------------------------------------------------------------------


def test_a_code_away_from_its_corner_is_found_on_the_whole_page(record):
    page = scans.blank_page(SCAN_DPI)
    code = scans.qr_image(payloads(record.doc_id)[0])
    page.paste(code, (80, 80))   # top left: where an upside-down page has it
    found = SourcePage(1)
    _identify(found, page, rerender=None)
    assert (found.how, [c.text for c in found.codes]) == ("qr-page", [payloads(record.doc_id)[0]])
    corners = found.codes[0].corners
    assert len(corners) == 4 and all(80 <= x <= 80 + code.width and 80 <= y <= 80 + code.height for x, y in corners)


def test_the_corner_codes_corners_are_in_page_pixels(signed_pages):
    found = SourcePage(1)
    _identify(found, signed_pages[0], rerender=None)
    assert found.how == "qr-corner"
    width, height = signed_pages[0].size
    assert all(x > width * 0.62 and y > height * 0.78 for x, y in found.codes[0].corners)


def test_a_code_too_small_for_150_dpi_is_found_at_300(tmp_path, rendered_pdf, record):
    [page] = pages_of(shrunk_copy(rendered_pdf, tmp_path / "klein.pdf", 0.22))
    assert page.how == "qr-hires"
    assert [code.text for code in page.codes] == [payloads(record.doc_id)[0]]
    assert abs(page.image.width - A4[0] / 72 * 300) <= 1   # the corners refer to the 300 dpi image


def test_a_page_with_no_readable_code_is_identified_by_its_text(tmp_path, rendered_pdf, record):
    [page] = pages_of(shrunk_copy(rendered_pdf, tmp_path / "winzig.pdf", 0.08))
    assert (page.how, page.codes, page.text_ids, page.problem) == ("text", [], [record.doc_id], "")


@pytest.mark.parametrize("noisy", [False, True], ids=["clean", "scanner-noise"])
def test_a_blank_page_is_recognised_as_blank(tmp_path, noisy):
    page = scans.blank_page(SCAN_DPI)
    if noisy:
        page = scans.noise(page)
    [found] = pages_of(scans.to_pdf([page], tmp_path / "leer.pdf", dpi=SCAN_DPI))
    assert (found.blank, found.problem, found.codes) == (True, "blank page", [])


def test_a_written_page_without_a_code_is_not_blank(tmp_path):
    page = scans.blank_page(SCAN_DPI)
    draw, font = ImageDraw.Draw(page), ImageFont.load_default(size=30)   # about 11 pt at 150 dpi
    for line in range(20):
        draw.text((100, 100 + line * 50), f"Rechnung Nr. 4711, Position {line}", fill=0, font=font)
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    (tmp_path / "rechnung.png").write_bytes(buffer.getvalue())
    [found] = pages_of(tmp_path / "rechnung.png")
    assert (found.blank, found.problem) == (False, "no document code found on the page")


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_16_bit_grey_scan_reads_like_an_8_bit_one(tmp_path, signed_pages, record, suffix):
    """Scanners write 16-bit grey PNG and TIFF files. Pillow turns them into 8 bits by clipping, so a page
    whose black is not quite 0 came out white: read as a blank page, its signature lost."""
    path = tmp_path / f"scan16{suffix}"
    scans.sixteen_bit(signed_pages[1]).save(path)
    assert Image.open(path).mode == "I;16"
    [page] = pages_of(path)
    assert (page.blank, page.problem, [code.text for code in page.codes]) == (False, "", [payloads(record.doc_id)[1]])
    assert page.image.mode == "L" and page.image.getextrema()[1] > 200   # paper is still white, not clipped

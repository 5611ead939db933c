"""Archive: claiming uploads from the inbox, storing them (never deleting), and the PDFs made from their pages."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.checkin import archive

from .. import scans
from ..helpers import qr_payloads
from .conftest import SCAN_DPI

A4_HEIGHT_PT = 841.89


def upload(path: Path, data: bytes = b"%PDF-1.7 a scan") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- claiming ------------------------------------------------------------------------------------------------


def test_a_claimed_file_cannot_be_claimed_twice_until_released(tmp_path):
    path = upload(tmp_path / "inbox" / "scan.pdf")
    first = archive.claim(path)
    assert first is not None and (first.path, first.original_name) == (path, "scan.pdf")
    try:
        assert archive.claim(path) is None      # another process (here: another open file) has it
    finally:
        first.release()
    second = archive.claim(path)
    assert second is not None
    second.release()


def test_nothing_to_claim(tmp_path):
    assert archive.claim(tmp_path / "gone.pdf") is None
    (tmp_path / "folder").mkdir()
    assert archive.claim(tmp_path / "folder") is None


def test_hash_and_size_of_a_claim(tmp_path):
    data = os.urandom(3 * (1 << 20) + 17)       # more than one read block
    claimed = archive.claim(upload(tmp_path / "big.pdf", data))
    try:
        archive.hash_claimed(claimed)
        assert (claimed.sha256, claimed.size) == (hashlib.sha256(data).hexdigest(), len(data))
    finally:
        claimed.release()


# --- storing -------------------------------------------------------------------------------------------------


def test_store_moves_the_upload_and_the_lock_goes_with_it(tmp_path):
    source = upload(tmp_path / "inbox" / "scan.pdf")
    target = tmp_path / "out" / "2024-05" / "received" / "abc.pdf"
    claimed = archive.claim(source)
    try:
        archive.store(claimed, target)
        assert not source.exists() and target.read_bytes() == b"%PDF-1.7 a scan"
        assert claimed.path == target
        assert archive.claim(target) is None    # still ours while we check it in
        archive.store(claimed, target)           # storing where it already is changes nothing
        assert target.read_bytes() == b"%PDF-1.7 a scan"
    finally:
        claimed.release()
    assert archive.claim(target) is not None


def test_store_across_disks_copies_keeps_the_lock_and_removes_the_original(tmp_path, monkeypatch):
    source = upload(tmp_path / "inbox" / "scan.pdf")
    target = tmp_path / "out" / "received" / "abc.pdf"
    real_replace, refused = os.replace, []

    def replace(src, dst):
        if not refused:                           # the first move is across file systems
            refused.append((Path(src), Path(dst)))
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    claimed = archive.claim(source)
    original_handle = claimed.handle
    try:
        archive.store(claimed, target)
        assert refused == [(source, target)]
        assert not source.exists() and target.read_bytes() == b"%PDF-1.7 a scan"
        assert claimed.path == target and claimed.handle is not original_handle and original_handle.closed
        assert sorted(path.name for path in target.parent.iterdir()) == ["abc.pdf"]   # no temporary left
        assert archive.claim(target) is None    # the copy was locked before it appeared under its name
    finally:
        claimed.release()
    assert archive.claim(target) is not None


def test_a_link_is_stored_as_a_link_never_followed(tmp_path):
    pointed = upload(tmp_path / "elsewhere" / "secret.txt", b"not for us")
    links = tmp_path / "out" / "received" / "links"
    first, second = tmp_path / "inbox" / "a.pdf", tmp_path / "inbox" / "b.pdf"
    first.parent.mkdir()
    first.symlink_to(pointed)
    second.symlink_to(pointed)
    sha, stored = archive.store_link(first, links)
    assert sha == hashlib.sha256(b"symlink:" + os.fsencode(str(pointed))).hexdigest()
    assert stored == links / f"{sha}.link" and stored.is_symlink() and os.readlink(stored) == str(pointed)
    assert not first.is_symlink() and pointed.read_bytes() == b"not for us"
    again_sha, again = archive.store_link(second, links)
    assert again_sha == sha and again != stored and again.is_symlink()   # the first is not overwritten


def test_free_name_counts_up(tmp_path):
    folder = tmp_path / "unmatched"
    first = archive.free_name(folder, "scan", ".pdf")
    assert folder.is_dir() and first == folder / "scan-1.pdf"
    first.write_bytes(b"")
    assert archive.free_name(folder, "scan", ".pdf") == folder / "scan-2.pdf"


def test_only_old_temporaries_are_removed(tmp_path):
    received = tmp_path / "received"
    old = upload(received / ".abc.pdf.123.tmp")
    upload(received / ".def.pdf.456.tmp")          # a parallel run is writing it right now
    stored, plain_tmp = upload(received / "abc.pdf"), upload(received / "notiz.tmp")
    hours_ago = time.time() - 2 * 3600
    for path in (old, stored, plain_tmp):
        os.utime(path, (hours_ago, hours_ago))
    archive.remove_stale_temporaries([received, tmp_path / "missing"])
    assert sorted(path.name for path in received.iterdir()) == [".def.pdf.456.tmp", "abc.pdf", "notiz.tmp"]


# --- the inbox ----------------------------------------------------------------------------------------------


def test_inbox_files_skip_what_is_not_an_upload(tmp_path):
    inbox = tmp_path / "inbox"
    for name in ("b.pdf", "a.jpg", "Kreis/c.tif", "Kreis/Ämter/d.pdf",
                 "~$brief.docx", ".~lock.liste.xlsx#", "._a.jpg", ".DS_Store", "Thumbs.db", "desktop.ini",
                 "download.pdf.part", "scan.pdf.crdownload", "scanner.TMP", "upload.partial",
                 "__MACOSX/a.jpg", ".git/HEAD", ".Trash/old.pdf"):
        upload(inbox / name)
    (inbox / "verknuepft").symlink_to(tmp_path)            # a link to a folder: listed, never walked into
    explicit = upload(tmp_path / "elsewhere" / "~$named.pdf")
    found = archive.inbox_files([inbox, explicit])
    assert [path.relative_to(tmp_path).as_posix() for path in found] == [
        "inbox/a.jpg", "inbox/b.pdf", "inbox/verknuepft", "inbox/Kreis/c.tif", "inbox/Kreis/Ämter/d.pdf",
        "elsewhere/~$named.pdf"]   # a file named on the command line is taken as it is


# --- pages as PDFs -------------------------------------------------------------------------------------------


@pytest.fixture
def scan_files(tmp_path, signed_pages) -> dict[str, Path]:
    """The signed scan as a PDF, a two-page TIFF and page 2 alone as PNG (each from its own copy of the pages:
    Pillow carries a save's encoder options over to the image's next save)."""
    signed_pages[1].copy().save(tmp_path / "seite2.png")
    return {"pdf": scans.to_pdf([page.copy() for page in signed_pages], tmp_path / "scan.pdf", dpi=SCAN_DPI),
            "tiff": scans.to_tiff([page.copy() for page in signed_pages], tmp_path / "scan.tif", dpi=SCAN_DPI),
            "png": tmp_path / "seite2.png"}


def payload_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf)
    return [payload.split("/", 1)[1] for [payload] in qr_payloads(path)]


def test_page_as_pdf_from_an_image(tmp_path, scan_files):
    pdf = archive.page_as_pdf(scan_files["png"], "png", 1)
    [page] = PdfReader(io.BytesIO(pdf)).pages
    assert float(page.mediabox.height) == pytest.approx(A4_HEIGHT_PT, abs=1)   # the longer side fits A4
    assert payload_pages(pdf, tmp_path) == ["2/2"]
    assert payload_pages(archive.page_as_pdf(scan_files["tiff"], "tiff", 2), tmp_path) == ["2/2"]


def test_page_as_pdf_from_a_16_bit_scan_keeps_its_content(tmp_path, signed_pages):
    path = tmp_path / "scan16.tif"
    scans.sixteen_bit(signed_pages[1]).save(path)
    pdf = archive.page_as_pdf(path, "tiff", 1)
    assert payload_pages(pdf, tmp_path) == ["2/2"]   # not a white page


def test_page_as_pdf_from_a_pdf_copies_the_page(tmp_path, scan_files):
    pdf = archive.page_as_pdf(scan_files["pdf"], "pdf", 2)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert payload_pages(pdf, tmp_path) == ["2/2"]
    reader = archive.open_pdf(scan_files["pdf"])              # one reader for many pages gives the same page
    try:
        assert payload_pages(archive.page_as_pdf(scan_files["pdf"], "pdf", 1, reader), tmp_path) == ["1/2"]
    finally:
        reader.close()


def test_assemble_pages_in_the_order_given(tmp_path, scan_files):
    pdf = archive.assemble_pages([(scan_files["tiff"], "tiff", 2), (scan_files["pdf"], "pdf", 1),
                                  (scan_files["pdf"], "pdf", 2)])
    assert payload_pages(pdf, tmp_path) == ["2/2", "1/2", "2/2"]

"""Identify: which page of which of our documents each page of an upload is, or why it is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.checkin.identify import Analysis, Finding, analyse
from pipeline.docid import load_secret, make_doc_id

from .. import scans
from .conftest import SCAN_DPI


def page_with_code(path: Path, payload: str) -> Path:
    """A sheet with one QR code where ours are printed (bottom right), saved as PNG."""
    page = scans.blank_page(SCAN_DPI)
    code = scans.qr_image(payload)
    page.paste(code, (page.width - code.width - 60, page.height - code.height - 60))
    page.save(path)
    return path


def test_a_scan_of_our_document_is_identified_page_by_page(tmp_path, context, record, signed_pages):
    path = scans.to_pdf(signed_pages, tmp_path / "scan.pdf", dpi=SCAN_DPI)
    analysis = analyse(path, context)
    assert (analysis.kind, analysis.page_count, analysis.refused) == ("pdf", 2, "")
    assert (analysis.unmatched, analysis.blank, analysis.digital) == ([], [], {})
    first, second = analysis.findings
    assert first == Finding(source_page=1, doc_id=record.doc_id, page=1, how="qr-corner", ink=None)
    assert (second.source_page, second.doc_id, second.page) == (2, record.doc_id, 2)
    assert second.ink["verdict"] == "signed"    # the signature page, and only it, has its box measured


def test_pages_in_any_order_with_a_separator_sheet(tmp_path, context, record, unsigned_pages):
    pages = [unsigned_pages[1], scans.blank_page(SCAN_DPI), unsigned_pages[0]]
    analysis = analyse(scans.to_pdf(pages, tmp_path / "stapel.pdf", dpi=SCAN_DPI), context)
    assert [(finding.source_page, finding.page) for finding in analysis.findings] == [(1, 2), (3, 1)]
    assert analysis.blank == [2]
    assert analysis.findings[0].ink["verdict"] == "blank"


def test_a_code_with_a_wrong_check_is_unmatched(tmp_path, context, record):
    forged = record.doc_id[:-8] + ("A" * 8 if not record.doc_id.endswith("A" * 8) else "B" * 8)
    analysis = analyse(page_with_code(tmp_path / "forged.png", f"{forged}/1/2"), context)
    assert analysis.findings == []
    assert analysis.unmatched == [(1, f"document code {forged} fails its check (mistyped, damaged or forged)")]


def test_a_document_of_another_round_is_unmatched(tmp_path, context, record):
    other = make_doc_id(load_secret(context.out), "2023-11", record.ags, 1)
    analysis = analyse(page_with_code(tmp_path / "other.png", f"{other}/1/2"), context)
    assert analysis.unmatched == [(1, "a document of round 2023-11; this check-in is for round 2024-05 (use that "
                                      "round's round.toml)")]


def test_a_document_this_ledger_does_not_know(tmp_path, context, record):
    unknown = make_doc_id(load_secret(context.out), "2024-05", record.ags, 7)   # a valid id, never rendered here
    analysis = analyse(page_with_code(tmp_path / "v7.png", f"{unknown}/1/2"), context)
    assert analysis.unmatched == [(1, f"document {unknown} is not in this ledger (rendered with another output "
                                      "folder?)")]


def test_a_page_count_that_disagrees_with_the_document(tmp_path, context, record):
    analysis = analyse(page_with_code(tmp_path / "drei.png", f"{record.doc_id}/1/3"), context)
    assert analysis.unmatched == [(1, f"the code says 3 pages, document {record.doc_id} has 2")]


@pytest.mark.parametrize("payload", ["https://www.example.org/gutschein", "ENG-KAPUTT/1/2"])
def test_a_code_that_is_not_ours(tmp_path, context, payload):
    analysis = analyse(page_with_code(tmp_path / "fremd.png", payload), context)
    assert analysis.unmatched == [(1, f"a code that is not one of ours ({payload[:40]!r})")]


def test_a_page_without_a_code_says_why(tmp_path, context):
    analysis = analyse(scans.to_pdf([scans.blank_page(SCAN_DPI)], tmp_path / "leer.pdf", dpi=SCAN_DPI), context)
    assert (analysis.findings, analysis.unmatched, analysis.blank) == ([], [], [1])


def test_an_upload_that_cannot_be_read_is_refused_not_raised(tmp_path, context):
    empty = tmp_path / "leer.pdf"
    empty.write_bytes(b"")
    assert analyse(empty, context) == Analysis(refused="the file is empty (0 bytes)")


def test_our_own_pdf_signed_digitally_is_checked_against_the_rendered_file(tmp_path, context, record, rendered_pdf):
    from ..digital import make_ca_and_signer, sign_pdf

    signed = tmp_path / "signiert.pdf"
    signed.write_bytes(sign_pdf(rendered_pdf.read_bytes(), make_ca_and_signer(tmp_path / "pki")))
    analysis = analyse(signed, context)
    assert [(finding.page, finding.doc_id) for finding in analysis.findings] == [(1, record.doc_id), (2, record.doc_id)]
    assert analysis.digital[record.doc_id]["verdict"] == "needs_review"     # no trust roots in this context
    assert analysis.digital[record.doc_id]["code"] == "digital_untrusted"

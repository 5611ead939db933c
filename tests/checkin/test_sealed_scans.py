"""A sealed scan is a scan (issue 13): a town's document system seals the signed scan (PAdES) before it
sends it. Its pages are judged like any scan (code, page likeness, ink), the seal is recorded as
information, and a seal broken by a change after sealing is rejected. Seals made with pyHanko and with
endesive, two independent signing libraries; our own PDF signed by the right person stays verified."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.ledger import Ledger

from .. import scans
from ..digital import make_ca_and_signer, sign_pdf, sign_pdf_with_endesive

ROUND = "2024-05"
SEALERS = {"pyhanko": lambda pdf, credentials: sign_pdf(pdf, credentials, field_name="Siegel"),
           "endesive": sign_pdf_with_endesive}


@pytest.fixture(scope="module")
def document_system(tmp_path_factory) -> dict[str, Path]:
    """The certificate a town's document system seals with (RSA: endesive labels every signature RSA)."""
    return make_ca_and_signer(tmp_path_factory.mktemp("dms"), "DMS Siegel Poststelle", "Kommunales Rechenzentrum",
                              rsa=True)


def documents(base: Path) -> list:
    with Ledger.open(base / "out") as ledger:
        return sorted(ledger.latest_documents(ROUND).values(), key=lambda record: record.ags)


def states(base: Path) -> dict:
    with Ledger.open(base / "out") as ledger:
        return {row["doc_id"]: (row["state"], row["reason"]) for row in ledger.status_rows(ROUND)}


def last_details(base: Path, doc_id: str) -> dict:
    with Ledger.open(base / "out") as ledger:
        return json.loads(ledger.state_event(doc_id)["details"] or "{}")


def signed_scan_pdf(base: Path, record, signed: bool = True) -> bytes:
    buffer = io.BytesIO()
    pages = scans.signed_scan(base / "out" / record.path, record.geometry, dpi=150, signed=signed)
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:], resolution=150, quality=75)
    return buffer.getvalue()


def check_in(base: Path, *args: str):
    result = CliRunner().invoke(cli, ["checkin", "--out", str(base / "out"), "--round", str(base / "round.toml"),
                                      "-q", "--inbox", str(base / "inbox"), *args])
    assert "Traceback" not in result.output, result.output
    return result


def put(base: Path, name: str, data: bytes) -> None:
    (base / "inbox").mkdir(exist_ok=True)
    (base / "inbox" / name).write_bytes(data)


@pytest.mark.parametrize("sealer", sorted(SEALERS))
def test_a_signed_scan_sealed_by_a_document_system_is_verified_by_its_pages(fresh_round, document_system, sealer):
    record = documents(fresh_round)[0]
    sealed = SEALERS[sealer](signed_scan_pdf(fresh_round, record), document_system)
    put(fresh_round, "versiegelt.pdf", sealed)
    result = check_in(fresh_round, "--trust-root", str(document_system["ca"]))
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "verified", (reason, result.output)
    assert reason.startswith("signed: handwriting in the signature box on page 2")
    assert reason.endswith("; electronically sealed by DMS Siegel Poststelle (Kommunales Rechenzentrum)"), reason
    details = last_details(fresh_round, record.doc_id)
    assert details["sealed_by"] == "DMS Siegel Poststelle (Kommunales Rechenzentrum)"
    kept = next((fresh_round / "out" / ROUND / "signed").glob(f"{record.ags}_*.pdf"))
    assert kept.read_bytes() == sealed   # the sealed file as it came: its seal still intact


def test_a_sealed_scan_is_still_judged_by_its_ink(fresh_round, document_system):
    record = documents(fresh_round)[1]
    put(fresh_round, "leer.pdf", sign_pdf(signed_scan_pdf(fresh_round, record, signed=False), document_system))
    check_in(fresh_round)   # no trust roots: the seal is information, never the verdict
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "rejected" and reason.startswith("not signed: the signature box on page 2 is empty"), reason


def test_a_signed_scan_with_a_second_signature_added_later_stays_verified(fresh_round, document_system, tmp_path):
    record = documents(fresh_round)[2]
    head = make_ca_and_signer(tmp_path / "head", "Eva Beispiel", "Kreis Borken", rsa=True)
    twice = sign_pdf(sign_pdf_with_endesive(signed_scan_pdf(fresh_round, record), document_system), head,
                     field_name="Gegenzeichnung")
    put(fresh_round, "zweimal.pdf", twice)
    check_in(fresh_round, "--trust-root", str(document_system["ca"]))
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "verified", reason
    assert "electronically sealed by DMS Siegel Poststelle (Kommunales Rechenzentrum), Eva Beispiel (Kreis Borken)" \
        in reason, reason


def whiten_signature_box(pdf: bytes, record) -> bytes:
    """An incremental update after sealing: a white box painted over the signature box."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    left, bottom, right, top = record.geometry.signature_box.rect
    stream = writer.add_object(generic.StreamObject(
        stream_data=f"q 1 1 1 rg {left} {bottom} {right - left} {top - bottom} re f Q".encode()))
    writer.add_stream_to_page(1, stream)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


@pytest.mark.parametrize("sealer", sorted(SEALERS))
def test_a_sealed_scan_changed_after_sealing_is_rejected(fresh_round, document_system, sealer):
    first, second = documents(fresh_round)[3:5]
    sealed = SEALERS[sealer](signed_scan_pdf(fresh_round, first), document_system)
    flipped = bytearray(sealed)
    at = flipped.index(b"/Contents", len(flipped) // 2) - 40  # inside the seal's update, covered by it
    while chr(flipped[at]).isspace():
        at += 1
    flipped[at - 1] = ord(" ") if flipped[at - 1] != ord(" ") else ord("\n")
    put(fresh_round, "gebrochen.pdf", bytes(flipped))
    put(fresh_round, "uebermalt.pdf", whiten_signature_box(SEALERS[sealer](signed_scan_pdf(fresh_round, second),
                                                                           document_system), second))
    check_in(fresh_round, "--trust-root", str(document_system["ca"]))
    state, reason = states(fresh_round)[first.doc_id]
    assert state == "rejected" and reason.startswith("the electronic seal of the scan is broken: "), reason
    state, reason = states(fresh_round)[second.doc_id]
    assert (state, reason) == ("rejected", "the electronic seal of the scan is broken: the file was changed after "
                                           "it was sealed: the content of page 2 was changed"), reason
    assert last_details(fresh_round, second.doc_id)["code"] == "seal_broken"


def test_our_pdf_signed_by_the_right_person_stays_verified_and_a_resaved_one_is_not_a_scan(fresh_round, tmp_path):
    """The honest digital return, with the second library; and our PDF re-saved before signing is still
    told to sign our PDF itself (it is no scan)."""
    from pypdf import PdfWriter

    record = documents(fresh_round)[0]
    person = f"{record.signatory['vorname']} {record.signatory['nachname']}"
    head = make_ca_and_signer(tmp_path / "head", person, record.signatory["bezeichnung"], rsa=True)
    put(fresh_round, "digital.pdf", sign_pdf_with_endesive((fresh_round / "out" / record.path).read_bytes(), head,
                                                           "Unterschrift"))
    other = documents(fresh_round)[1]
    resaved = io.BytesIO()
    PdfWriter(clone_from=fresh_round / "out" / other.path).write(resaved)
    put(fresh_round, "neu-gespeichert.pdf", sign_pdf(resaved.getvalue(), head))
    check_in(fresh_round, "--trust-root", str(head["ca"]))
    assert states(fresh_round)[record.doc_id] == ("verified", f"digitally signed by {person} "
                                                              f"({record.signatory['bezeichnung']})")
    state, reason = states(fresh_round)[other.doc_id]
    assert state == "rejected" and "sign our PDF itself" in reason, reason


def test_the_municipality_reads_the_seal_and_a_broken_seal_in_german():
    from pipeline.german import reason_in_german, verdict_in_german

    sealed = reason_in_german("signed", "signed: …; electronically sealed by X", {"signature_page": 2,
                                                                                 "sealed_by": "DMS Siegel (Stadt Y)"})
    assert sealed == ("Unterschrieben (Unterschriftsfeld auf Seite 2). Elektronisch versiegelt von DMS Siegel "
                      "(Stadt Y).")
    verdict, _ = verdict_in_german("rejected", "seal_broken", "the electronic seal of the scan is broken: …")
    assert verdict.startswith("abgelehnt: Das elektronische Siegel der Datei ist gebrochen")

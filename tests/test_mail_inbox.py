"""Mail files dropped into the inbox (`engagiert checkin`): .eml, Outlook .msg, winmail.dat and ZIP are
unpacked, each file they carry is checked in as an upload of its own, the ledger links it to its message,
the raw mail is kept under received/mail/, and nothing is taken twice."""

from __future__ import annotations

import email
import io
import json
import shutil
from email import policy
from pathlib import Path

import pytest

from pipeline.cli import cli
from pipeline.ledger import Ledger

from . import mailfiles, scans
from .test_checkin import ROUND, documents, inbox, pdf_of, run, states

SENDER = "Maria Schmitz <m.schmitz@bielefeld.example>"


def scan_pdf(base: Path, record, *, signed=True, dpi=150) -> bytes:
    buffer = io.BytesIO()
    pages = scans.signed_scan(pdf_of(base, record), record.geometry, dpi=dpi, signed=signed)
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi, quality=70)
    return buffer.getvalue()


def photo_jpeg(base: Path, record, page: int) -> bytes:
    image = scans.photograph(scans.signed_scan(pdf_of(base, record), record.geometry, dpi=150)[page - 1])
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def ledger_rows(base: Path, table: str) -> list[dict]:
    with Ledger.open(base / "out") as ledger:
        return [dict(row) for row in ledger.connection.execute(f"SELECT * FROM {table}")]  # noqa: S608


def audit(runner, base: Path):
    return runner.invoke(cli, ["check", "--out", str(base / "out")])


@pytest.fixture
def mail_round(fresh_round: Path) -> Path:
    return fresh_round


def test_mail_files_in_the_inbox_are_unpacked_and_each_attachment_checked_in(runner, mail_round):
    base = mail_round
    aachen, alfter, borken, bielefeld, shs = documents(base)  # by AGS
    logo = io.BytesIO()
    scans.blank_page(20).resize((120, 40)).save(logo, format="PNG")
    box = inbox(base)
    (box / "Rücksendung Bielefeld.eml").write_bytes(mailfiles.eml(
        [("Scan Erklärung Bielefeld.pdf", scan_pdf(base, bielefeld), mailfiles.PDF),
         ("logo.png", logo.getvalue(), "image/png")], sender=SENDER))
    (box / "Alfter.msg").write_bytes(mailfiles.msg([("Scan Alfter.pdf", scan_pdf(base, alfter), mailfiles.PDF)]))
    (box / "winmail.dat").write_bytes(mailfiles.tnef([("Borken.pdf", scan_pdf(base, borken))]))
    (box / "Aachen Fotos.zip").write_bytes(mailfiles.zip_of(
        [("../../Seite 1.jpg", photo_jpeg(base, aachen, 1)), ("Seite 2.jpg", photo_jpeg(base, aachen, 2))]))
    (box / "plain scan.pdf").write_bytes(scan_pdf(base, shs))

    result = run(runner, base)
    assert result.exit_code == 0, result.output
    assert "Checked in 6 upload(s) (from 4 mail(s) or archive(s) unpacked): 6 with our documents" in result.output
    lines = result.output.splitlines()
    mail_line = lines.index(next(line for line in lines if line.startswith("Rücksendung Bielefeld.eml: ")))
    assert "MAIL from Maria Schmitz <m.schmitz@bielefeld.example>" in lines[mail_line]
    assert "logo.png: left out: a small picture (120 × 40 pixels" in lines[mail_line + 1]
    assert lines[mail_line + 2].startswith("Rücksendung Bielefeld.eml › Scan Erklärung Bielefeld.pdf:")
    assert {state for state, _ in states(base).values()} == {"verified"}

    messages = {row["original_name"]: row for row in ledger_rows(base, "messages")}
    assert set(messages) == {"Rücksendung Bielefeld.eml", "Alfter.msg", "winmail.dat", "Aachen Fotos.zip"}
    assert messages["Alfter.msg"]["kind"] == "msg" and messages["Alfter.msg"]["sender"] == "post@alfter.example"
    assert messages["Alfter.msg"]["message_id"] == "outlook-1@alfter.example"
    for row in messages.values():  # the raw mail is kept, named by its hash, beside the uploads
        stored = base / "out" / row["stored_path"]
        assert stored.parent == base / "out" / ROUND / "received" / "mail" and stored.stem == row["sha256"]
    parts = ledger_rows(base, "message_parts")
    uploads = {row["sha256"]: row for row in ledger_rows(base, "uploads")}
    checked = [part for part in parts if part["outcome"] == "checked_in"]
    assert len(checked) == 5 and all(part["upload_sha256"] in uploads for part in checked)
    assert {uploads[part["upload_sha256"]]["original_name"] for part in checked} == {
        "Rücksendung Bielefeld.eml › Scan Erklärung Bielefeld.pdf", "Alfter.msg › Scan Alfter.pdf",
        "winmail.dat › Borken.pdf", "Aachen Fotos.zip › Seite 1.jpg", "Aachen Fotos.zip › Seite 2.jpg"}
    assert [part["reason"][:15] for part in parts if part["outcome"] == "skipped"] == ["a small picture"]
    # No name from a mail or an archive became a path: everything is under received/, named by hash.
    received = base / "out" / ROUND / "received"
    names = {path.name for path in received.rglob("*") if path.is_file()}
    assert not any("Seite" in name or "Scan" in name or ".." in name for name in names)
    assert not (base / "etc").exists() and not (base.parent / "Seite 1.jpg").exists()
    assert list(box.iterdir()) == []
    assert audit(runner, base).exit_code == 0, audit(runner, base).output

    # The history shows who sent it, and that this is not the municipality's known address.
    history = runner.invoke(cli, ["history", bielefeld.ags, "--out", str(base / "out"), "--round",
                                  str(base / "round.toml"), "--format", "json"])
    mail_events = [event for event in json.loads(history.output)["events"] if event["kind"] == "mail"]
    assert mail_events and mail_events[0]["details"]["from"] == "m.schmitz@bielefeld.example"
    assert "not the municipality's known address post@example.org; checked in all the same" in \
        mail_events[0]["reason"]


def test_the_same_mail_again_changes_nothing_by_bytes_or_by_message_id(runner, mail_round):
    base = mail_round
    record = documents(base)[0]
    data = mailfiles.eml([("scan.pdf", scan_pdf(base, record), mailfiles.PDF)])
    (inbox(base) / "erste.eml").write_bytes(data)
    assert run(runner, base).exit_code == 0
    before = ledger_rows(base, "uploads")
    (inbox(base) / "noch einmal.eml").write_bytes(data)
    # the same message saved by another mail program: other bytes, the same Message-ID
    resaved = email.message_from_bytes(data, policy=policy.default)
    resaved["X-Saved-By"] = "Thunderbird"
    (inbox(base) / "aus Thunderbird.eml").write_bytes(resaved.as_bytes())
    result = run(runner, base)
    assert result.exit_code == 0, result.output
    assert "noch einmal.eml: DUPLICATE: this message was checked in already (the same bytes)" in result.output
    assert "aus Thunderbird.eml: DUPLICATE: this message was checked in already (the same Message-ID " \
           "<rueck-1@bielefeld.example>)" in result.output
    assert ledger_rows(base, "uploads") == before and len(ledger_rows(base, "messages")) == 1
    duplicates = list((base / "out" / ROUND / "received" / "duplicates").iterdir())
    assert len(duplicates) == 2  # kept, never deleted
    assert audit(runner, base).exit_code == 0


def test_an_attachment_seen_before_is_linked_not_checked_in_again(runner, mail_round):
    base = mail_round
    record = documents(base)[1]
    scan = scan_pdf(base, record)
    (inbox(base) / "scan.pdf").write_bytes(scan)
    assert run(runner, base).exit_code == 0
    (inbox(base) / "nachgereicht.eml").write_bytes(mailfiles.eml([("scan.pdf", scan, mailfiles.PDF)],
                                                                 message_id="<zwei@alfter.example>"))
    result = run(runner, base)
    assert result.exit_code == 0, result.output
    assert "nachgereicht.eml › scan.pdf: DUPLICATE: the same file was already checked in as 'scan.pdf'" in result.output
    part = ledger_rows(base, "message_parts")[0]
    assert part["outcome"] == "checked_in" and part["upload_sha256"] == ledger_rows(base, "uploads")[0]["sha256"]


def test_bad_mails_end_with_a_reason_and_never_stop_the_run(runner, mail_round):
    base = mail_round
    record = documents(base)[2]
    box = inbox(base)
    (box / "ohne Anhang.eml").write_bytes(mailfiles.eml(message_id="<leer@x.example>"))
    (box / "nur html.eml").write_bytes(mailfiles.eml(body=None, html="<img src=x onerror=alert(1)>",
                                                     message_id="<html@x.example>"))
    (box / "bombe.eml").write_bytes(mailfiles.eml([(f"teil{n}.txt", b"x", "application/octet-stream")
                                                   for n in range(1000)], message_id="<bombe@x.example>"))
    (box / "kaputt.eml").write_bytes(b"From: a@b.example\r\nMessage-ID: <kaputt@x.example>\r\nMIME-Version: 1.0\r\n"
                                     b"Content-Type: multipart/mixed; boundary=\"nie\"\r\n\r\n--falsch\r\n"
                                     b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                                     b"JVBERi0x!!!kaputt\r\n")
    (box / "geheim.zip").write_bytes(mailfiles.zip_of([("scan.pdf", scan_pdf(base, record))],
                                                      password_flag=frozenset({"scan.pdf"})))
    (box / "gut.eml").write_bytes(mailfiles.eml([("scan.pdf", scan_pdf(base, record), mailfiles.PDF)],
                                                message_id="<gut@x.example>"))
    result = run(runner, base, "--max-mb", "5")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    output = result.output
    assert "ohne Anhang.eml: REFUSED: no attachment: nothing to check in" in output
    assert "nur html.eml: REFUSED: no attachment: the mail has only HTML text (never shown here)" in output
    assert "bombe.eml: REFUSED: more than 200 MIME parts (a mail bomb?)" in output
    assert "kaputt.eml: REFUSED:" in output, output
    assert "geheim.zip: REFUSED: no attachment could be checked in" in output
    assert "  scan.pdf: refused: protected by a password" in output
    assert "gut.eml › scan.pdf:" in output and "VERIFIED" in output
    messages = {row["original_name"]: row for row in ledger_rows(base, "messages")}
    assert len(messages) == 6 and all((base / "out" / row["stored_path"]).is_file() for row in messages.values())
    assert {name: row["outcome"] for name, row in messages.items()} == {
        "ohne Anhang.eml": "refused", "nur html.eml": "refused", "bombe.eml": "refused", "kaputt.eml": "refused",
        "geheim.zip": "refused", "gut.eml": "unpacked"}
    assert audit(runner, base).exit_code == 0


def test_a_run_interrupted_after_storing_a_mail_is_finished_by_the_next(runner, mail_round):
    base = mail_round
    record = documents(base)[3]
    data = mailfiles.eml([("scan.pdf", scan_pdf(base, record), mailfiles.PDF)], message_id="<crash@x.example>")
    import hashlib

    stored = base / "out" / ROUND / "received" / "mail" / f"{hashlib.sha256(data).hexdigest()}.eml"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(data)  # what a run killed after storing the mail leaves behind
    staging = stored.parent / "unpacking"
    staging.mkdir()
    (staging / "0123456789abcdef-0001.upload").write_bytes(b"half")
    assert audit(runner, base).exit_code != 0  # a mail the ledger does not know
    inbox(base)
    result = run(runner, base)
    assert result.exit_code == 0, result.output
    assert f"{stored.name} › scan.pdf:" in result.output and "VERIFIED" in result.output
    assert ledger_rows(base, "messages")[0]["original_name"] == f"{stored.name} (finished after an interrupted run)"
    assert not any(staging.iterdir())
    assert audit(runner, base).exit_code == 0
    assert "Checked in 0 upload(s)" in run(runner, base).output  # and nothing happens a second time


def test_a_word_file_and_a_damaged_outlook_file_are_refused_as_before(runner, mail_round):
    base = mail_round
    docx = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    (inbox(base) / "Erklärung.docx").write_bytes(docx.getvalue())
    (inbox(base) / "alt.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    result = run(runner, base)
    assert "Erklärung.docx: REFUSED: not a scan: the file is a ZIP archive (e.g. a Word or Excel file)" in result.output
    assert "alt.doc: REFUSED: not a scan: the file is an old Microsoft Office file" in result.output
    assert ledger_rows(base, "messages") == []
    shutil.rmtree(base / "inbox")

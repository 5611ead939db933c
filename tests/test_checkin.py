"""Check-in end to end: returned copies made from our own rendered PDFs, through the CLI, into the ledger."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from pipeline.cli import cli
from pipeline.ledger import Ledger

from . import scans
from .helpers import qr_payloads

ROUND = "2024-05"


def documents(base: Path) -> list:
    with Ledger.open(base / "out") as ledger:
        return sorted(ledger.latest_documents(ROUND).values(), key=lambda record: record.ags)


def states(base: Path) -> dict[str, tuple[str, str]]:
    with Ledger.open(base / "out") as ledger:
        return {row["doc_id"]: (row["state"], row["reason"]) for row in ledger.status_rows(ROUND)}


def run(runner, base: Path, *args: str):
    return runner.invoke(cli, ["checkin", "--out", str(base / "out"), "--round", str(base / "round.toml"), "-q",
                               *args])


def inbox(base: Path) -> Path:
    path = base / "inbox"
    path.mkdir(exist_ok=True)
    return path


def pdf_of(base: Path, record) -> Path:
    return base / "out" / record.path


def scan_file(base: Path, record, name: str, *, dpi=200, signed=True, angle=0.0, kind="jpeg", seed=1,
              transform=None) -> Path:
    pages = scans.signed_scan(pdf_of(base, record), record.geometry, dpi=dpi, signed=signed, angle=angle, seed=seed)
    if transform:
        pages = transform(pages)
    return scans.to_pdf(pages, inbox(base) / name, dpi=dpi, kind=kind)


SCANNER_KINDS = {
    "grey-200dpi-jpeg": {"dpi": 200},
    "grey-150dpi-jpeg-skew3": {"dpi": 150, "angle": 3.0},
    "grey-300dpi-jpeg-skew-2.5-noise": {"dpi": 300, "angle": -2.5,
                                        "transform": lambda pages: [scans.noise(p) for p in pages]},
    "1bit-ccitt-g4-300dpi": {"dpi": 300, "kind": "g4", "angle": 1.0},
    "1bit-ccitt-g4-200dpi": {"dpi": 200, "kind": "g4"},
    "lossless-flate-150dpi": {"dpi": 150, "kind": "flate"},
    "colour-200dpi-jpeg": {"dpi": 200, "transform": lambda pages: [p.convert("RGB") for p in pages]},
    "upside-down": {"dpi": 200, "angle": 180.0},
    "reverse-order": {"dpi": 200, "transform": lambda pages: list(reversed(pages))},
    "blank-separators": {"dpi": 150, "transform": lambda pages: [scans.blank_page(150), pages[0],
                                                                 scans.blank_page(150), pages[1]]},
    "note-in-margin": {"dpi": 200, "transform": lambda pages: [pages[0], scans.scribble_outside(pages[1], 200)]},
}


@pytest.mark.parametrize("kind", sorted(SCANNER_KINDS))
def test_signed_scanner_copies_are_verified(fresh_round, runner, kind):
    record = documents(fresh_round)[0]
    scan_file(fresh_round, record, f"{kind}.pdf", **SCANNER_KINDS[kind])
    result = run(runner, fresh_round)
    assert result.exit_code == 0, result.output
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "verified", (kind, reason, result.output)
    signed = list((fresh_round / "out" / ROUND / "signed").glob(f"{record.ags}_*.pdf"))
    assert len(signed) == 1
    assert [payloads[0].split("/", 1)[1] for payloads in qr_payloads(signed[0], dpi=150)] == ["1/2", "2/2"]


@pytest.mark.parametrize("kind", ["grey-200dpi-jpeg", "grey-150dpi-jpeg-skew3", "1bit-ccitt-g4-300dpi",
                                  "upside-down", "note-in-margin"])
def test_unsigned_copies_are_rejected_never_verified(fresh_round, runner, kind):
    record = documents(fresh_round)[1]
    scan_file(fresh_round, record, f"{kind}.pdf", signed=False, **SCANNER_KINDS[kind])
    result = run(runner, fresh_round)
    assert result.exit_code == 1, result.output
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "rejected" and "not signed" in reason, (state, reason)
    assert not (fresh_round / "out" / ROUND / "signed").exists() or not list(
        (fresh_round / "out" / ROUND / "signed").glob(f"{record.ags}_*"))


def test_a_stack_of_several_municipalities_is_split_by_document(fresh_round, runner):
    records = documents(fresh_round)[:3]
    pages = []
    for index, record in enumerate(records):
        scanned = scans.signed_scan(pdf_of(fresh_round, record), record.geometry, dpi=150, seed=index,
                                    signed=index != 2, angle=[0.5, -1.5, 2.0][index])
        pages += [scanned[1], scans.blank_page(150), scanned[0]] if index == 1 else scanned
    scans.to_pdf(pages, inbox(fresh_round) / "Kreis-Rücksendung 3 Kommunen.pdf", dpi=150)
    result = run(runner, fresh_round)
    current = states(fresh_round)
    assert [current[record.doc_id][0] for record in records] == ["verified", "verified", "rejected"], result.output
    assert result.output.count("VERIFIED") == 2 and "REJECTED" in result.output


def test_phone_photos_one_per_page_are_joined_even_weeks_apart(fresh_round, runner, monkeypatch):
    record = documents(fresh_round)[2]
    page1, page2 = scans.signed_scan(pdf_of(fresh_round, record), record.geometry, dpi=150, seed=5)
    scans.to_jpeg(scans.photograph(page1, seed=1), inbox(fresh_round) / "IMG_0001.JPG")
    monkeypatch.setenv("ENGAGIERT_NOW", "2024-05-20T09:00:00")
    first = run(runner, fresh_round)
    assert first.exit_code == 0, first.output
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "incomplete" and "page 2 of 2 not received" in reason
    scans.to_jpeg(scans.photograph(page2, seed=2), inbox(fresh_round) / "IMG_0002.JPG")
    monkeypatch.setenv("ENGAGIERT_NOW", "2024-06-10T09:00:00")
    second = run(runner, fresh_round)
    assert second.exit_code == 0, second.output
    assert states(fresh_round)[record.doc_id][0] == "verified"
    signed = next((fresh_round / "out" / ROUND / "signed").glob(f"{record.ags}_*.pdf"))
    assert len(qr_payloads(signed)) == 2


def test_unsigned_photo_is_not_verified(fresh_round, runner):
    record = documents(fresh_round)[2]
    pages = scans.signed_scan(pdf_of(fresh_round, record), record.geometry, dpi=150, signed=False)
    for number, page in enumerate(pages, start=1):
        scans.to_jpeg(scans.photograph(page, seed=number), inbox(fresh_round) / f"foto{number}.jpg")
    run(runner, fresh_round)
    assert states(fresh_round)[record.doc_id][0] in ("rejected", "needs_review")


def test_multipage_tiff(fresh_round, runner):
    record = documents(fresh_round)[3]
    scans.to_tiff(scans.signed_scan(pdf_of(fresh_round, record), record.geometry, dpi=200),
                  inbox(fresh_round) / "scan.tif")
    result = run(runner, fresh_round)
    assert result.exit_code == 0, result.output
    assert states(fresh_round)[record.doc_id][0] == "verified"


def test_only_the_signature_page_is_incomplete(fresh_round, runner):
    record = documents(fresh_round)[0]
    scan_file(fresh_round, record, "nur-seite-2.pdf", transform=lambda pages: pages[1:])
    run(runner, fresh_round)
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "incomplete" and "page 1 of 2" in reason


def test_foreign_document_goes_to_unmatched_with_a_reason(fresh_round, runner):
    foreign = Image.new("L", (1240, 1754), 255)
    from PIL import ImageDraw, ImageFont

    draw, font = ImageDraw.Draw(foreign), ImageFont.load_default(size=30)
    for line in range(30):  # a page of someone else's text
        draw.text((100, 100 + line * 50), f"Rechnung Nr. 4711, Position {line}: Büromaterial 12,50 EUR", fill=0,
                  font=font)
    scans.to_pdf([foreign], inbox(fresh_round) / "rechnung.pdf", dpi=150)
    result = run(runner, fresh_round)
    assert result.exit_code == 1
    assert "UNMATCHED" in result.output and "no document code" in result.output
    notes = list((fresh_round / "out" / "unmatched").glob("*.txt"))
    assert len(notes) == 1 and "rechnung.pdf" in notes[0].read_text()
    assert len(list((fresh_round / "out" / "unmatched").glob("*.pdf"))) == 1


def test_forged_and_foreign_codes_are_refused_by_their_check(fresh_round, runner):
    from pipeline.docid import load_secret, make_doc_id

    record = documents(fresh_round)[0]
    forged = f"ENG-{ROUND}-{record.ags}-V1-AAAAAAAA/2/2"
    other_round = f"{make_doc_id(load_secret(fresh_round / 'out'), '2023-11', record.ags, 1)}/2/2"
    for name, payload in (("forged.png", forged), ("other.png", other_round), ("notours.png", "https://x.example")):
        page = scans.blank_page(150).convert("L")
        code = scans.qr_image(payload)
        page.paste(code, (page.width - code.width - 80, page.height - code.height - 80))
        page.save(inbox(fresh_round) / name)
    result = run(runner, fresh_round)
    assert "fails its check" in result.output
    assert "round 2023-11" in result.output
    assert "not one of ours" in result.output
    assert states(fresh_round)[record.doc_id][0] == "rendered"


def test_old_version_is_a_question_with_the_differences(fresh_round, runner):
    record = next(r for r in documents(fresh_round) if r.signatory["nachname"] == "Schmitz")
    old_pdf = pdf_of(fresh_round, record).read_bytes()
    csv_path = fresh_round / "signatories.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace("Schmitz", "Schmitz-Weber"), encoding="utf-8")
    rendered = runner.invoke(cli, ["render", "--signatories", str(csv_path), "--round",
                                   str(fresh_round / "round.toml"), "--out", str(fresh_round / "out"), "-q"])
    assert rendered.exit_code == 0, rendered.output
    old_copy = fresh_round / "old.pdf"
    old_copy.write_bytes(old_pdf)
    pages = scans.signed_scan(old_copy, record.geometry, dpi=200)
    scans.to_pdf(pages, inbox(fresh_round) / "alte-version.pdf", dpi=200)
    result = run(runner, fresh_round)
    new = next(r for r in documents(fresh_round) if r.ags == record.ags)
    assert new.version == 2
    state, reason = states(fresh_round)[new.doc_id]
    assert state == "needs_review", result.output  # never rejected: V2 did not receive this copy
    assert "signed the outdated version V1; V2 differs in: nachname 'Schmitz' → 'Schmitz-Weber'" in reason


def test_same_file_twice_and_second_copy_change_nothing(fresh_round, runner):
    record = documents(fresh_round)[0]
    first = scan_file(fresh_round, record, "scan.pdf")
    data = first.read_bytes()
    assert run(runner, fresh_round).exit_code == 0
    signed = next((fresh_round / "out" / ROUND / "signed").glob(f"{record.ags}_*.pdf"))
    signed_bytes = signed.read_bytes()
    before = states(fresh_round)

    (inbox(fresh_round) / "nochmal.pdf").write_bytes(data)                         # the same bytes again
    scan_file(fresh_round, record, "zweite.pdf", dpi=150, seed=9, angle=1.0)       # a different signed copy
    result = run(runner, fresh_round)
    assert "DUPLICATE" in result.output and "already checked in as 'scan.pdf'" in result.output
    assert "second, different copy" in result.output
    assert states(fresh_round) == before
    assert signed.read_bytes() == signed_bytes
    received = fresh_round / "out" / ROUND / "received"
    assert len(list(received.glob("*.pdf"))) == 2 and len(list((received / "duplicates").iterdir())) == 1


def test_checking_in_the_same_inbox_twice_changes_nothing(fresh_round, runner):
    for index, record in enumerate(documents(fresh_round)[:3]):
        scan_file(fresh_round, record, f"r{index}.pdf", signed=index != 1)
    run(runner, fresh_round)
    database = fresh_round / "out" / "ledger.sqlite"
    dump = list(sqlite3.connect(database).iterdump())
    files = sorted(str(p) for p in (fresh_round / "out").rglob("*") if p.is_file() and "ledger" not in p.name)
    again = run(runner, fresh_round)
    assert "Checked in 0 upload(s)" in again.output
    assert list(sqlite3.connect(database).iterdump()) == dump
    assert sorted(str(p) for p in (fresh_round / "out").rglob("*") if p.is_file() and "ledger" not in p.name) == files


def test_every_input_ends_as_a_ledger_entry_and_a_stored_file(fresh_round, runner):
    record = documents(fresh_round)[0]
    scan_file(fresh_round, record, "a.pdf")
    (inbox(fresh_round) / "b.pdf").write_bytes(b"")
    (inbox(fresh_round) / "c.jpg").write_bytes(b"<html>nope</html>")
    (inbox(fresh_round) / "d.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF")
    names = sorted(p.name for p in inbox(fresh_round).iterdir())
    run(runner, fresh_round)
    assert list(inbox(fresh_round).iterdir()) == []
    with Ledger.open(fresh_round / "out") as ledger:
        uploads = ledger.connection.execute("SELECT original_name, stored_path, outcome FROM uploads").fetchall()
    assert sorted(row[0] for row in uploads) == names
    for name, stored, _outcome in uploads:
        assert (fresh_round / "out" / stored).exists(), (name, stored)
    assert {row[0]: row[2] for row in uploads}["a.pdf"] == "matched"
    assert {row[0]: row[2] for row in uploads}["d.pdf"] == "refused"


def test_manual_accept_and_reject(fresh_round, runner):
    record = documents(fresh_round)[0]
    assert run(runner, fresh_round, "--reject", record.doc_id).exit_code == 2   # a reason is required
    result = run(runner, fresh_round, "--reject", record.doc_id, "--reason", "Falsche Person hat unterschrieben")
    assert result.exit_code == 0, result.output
    assert states(fresh_round)[record.doc_id] == ("rejected", "Falsche Person hat unterschrieben")
    scan_file(fresh_round, record, "scan.pdf")
    run(runner, fresh_round)
    result = run(runner, fresh_round, "--accept", record.doc_id, "--reason", "Unterschrift geprüft")
    assert result.exit_code == 0
    assert states(fresh_round)[record.doc_id] == ("verified", "Unterschrift geprüft")
    with Ledger.open(fresh_round / "out") as ledger:
        kinds = [row["kind"] for row in ledger.events(ROUND, record.ags)]
    assert kinds.count("decision") == 2
    assert run(runner, fresh_round, "--accept", "ENG-2024-05-05711000-V1-AAAAAAAA").exit_code == 2


def test_digitally_signed_pdf(fresh_round, runner, tmp_path):
    from .digital import issue_signer, make_ca_and_signer, sign_pdf

    credentials = make_ca_and_signer(tmp_path / "pki")
    records = documents(fresh_round)

    def signed_by_its_head(record) -> bytes:  # each head with a certificate naming them and their municipality
        person = f"{record.signatory['vorname']} {record.signatory['nachname']}"
        own = issue_signer(credentials, person, record.signatory["bezeichnung"], tmp_path / record.ags)
        return sign_pdf(pdf_of(fresh_round, record).read_bytes(), own)

    signed = [signed_by_its_head(record) for record in records[:3]]
    (inbox(fresh_round) / "trusted.pdf").write_bytes(signed[0])
    (inbox(fresh_round) / "untrusted.pdf").write_bytes(signed[1])
    tampered = bytearray(signed[2])
    index = tampered.index(b"/Producer")
    tampered[index + 12] ^= 0x01  # one byte of our document changed after signing
    (inbox(fresh_round) / "tampered.pdf").write_bytes(bytes(tampered))

    first = run(runner, fresh_round, str(inbox(fresh_round) / "untrusted.pdf"))
    assert states(fresh_round)[records[1].doc_id][0] == "needs_review", first.output
    assert "no trusted certificates" in states(fresh_round)[records[1].doc_id][1]
    result = run(runner, fresh_round, "--trust-root", str(credentials["ca"]))
    current = states(fresh_round)
    assert current[records[0].doc_id][0] == "verified", result.output
    assert current[records[0].doc_id][1] == "digitally signed by Tim Exempel (StädteRegion Aachen)"
    assert current[records[2].doc_id][0] in ("rejected",), result.output
    kept = next((fresh_round / "out" / ROUND / "signed").glob(f"{records[0].ags}_*.pdf"))
    assert kept.read_bytes() == signed[0]   # the signed file itself, signature intact
    # A clerk accepts the signature from the untrusted certificate: the signed file is kept as it came.
    accepted = run(runner, fresh_round, "--accept", records[1].doc_id, "--reason", "Zertifikat telefonisch geprüft")
    assert accepted.exit_code == 0, accepted.output
    assert states(fresh_round)[records[1].doc_id][0] == "verified"
    kept = next((fresh_round / "out" / ROUND / "signed").glob(f"{records[1].ags}_*.pdf"))
    assert kept.read_bytes() == signed[1]


def test_events_record_upload_hash_pages_and_who(fresh_round, runner):
    record = documents(fresh_round)[0]
    scan_file(fresh_round, record, "scan.pdf")
    run(runner, fresh_round)
    with Ledger.open(fresh_round / "out") as ledger:
        event = [row for row in ledger.events(ROUND, record.ags) if row["kind"] == "checkin"][-1]
        upload = ledger.connection.execute("SELECT * FROM uploads").fetchone()
    assert event["file_sha256"] == upload["sha256"] and event["actor"]
    assert json.loads(event["details"])["pages"] == [1, 2]
    assert upload["stored_path"] == f"{ROUND}/received/{upload['sha256']}.pdf"


def test_a_tiny_mark_in_the_box_needs_review_not_verified(fresh_round, runner):
    from PIL import ImageDraw

    record = documents(fresh_round)[0]
    dpi = 200
    pages = scans.print_pages(pdf_of(fresh_round, record), dpi)
    left, bottom, right, top = record.geometry["signature_box"]["box"]
    x, y = (left + right) / 2 / 72 * dpi, pages[1].height - (bottom + top) / 2 / 72 * dpi
    radius = 1.15 / 25.4 * dpi  # a dot of 2.3 mm: more than dust, far less than a signature
    ImageDraw.Draw(pages[1]).ellipse((x - radius, y - radius, x + radius, y + radius), fill=20)
    scans.to_pdf(pages, inbox(fresh_round) / "punkt.pdf", dpi=dpi)
    result = run(runner, fresh_round)
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "needs_review" and "unclear whether signed" in reason, (state, reason, result.output)
    assert result.exit_code == 1


def test_strongly_warped_photos_never_verify_an_unsigned_copy(rendered_round):
    """Photos with up to 10 % perspective: the QR fit alone misplaces the box by millimetres; aligning on
    the printed text must find it, and any doubt must be 'ambiguous', never 'signed'."""
    from pipeline.checkin import intake
    from pipeline.checkin.codes import find_codes
    from pipeline.checkin.identify import read_signature_box

    verdicts = {True: [], False: []}
    for seed, record in enumerate(documents(rendered_round) * 2):
        pdf = pdf_of(rendered_round, record)
        for signed in (True, False):
            page = scans.signed_scan(pdf, record.geometry, dpi=150, signed=signed, seed=seed)[1]
            photo = scans.photograph(page, seed=seed, perspective=0.1).convert("L")
            found = intake.SourcePage(1)
            find_codes(found, photo, rerender=None)
            if not found.codes:
                continue
            reading = read_signature_box(found, found.codes[0], record.geometry, 2, pdf)
            verdicts[signed].append(reading.verdict)
    assert "signed" not in verdicts[False], verdicts
    assert "blank" not in verdicts[True], verdicts   # a signed copy may need a look, but is never "unsigned"
    assert len(verdicts[True]) >= 8 and verdicts[True].count("signed") >= len(verdicts[True]) - 3, verdicts


def test_ink_verdicts_from_box_images():
    """measure_ink on synthetic windows at 150 dpi: blank, a handwritten signature, a little ink, shifted
    scans, and one that does not match our page at all."""
    import random

    import numpy as np
    from PIL import Image

    from pipeline.checkin.ink import measure_ink

    from . import marks

    rng = np.random.default_rng(3)
    height, width, margin, dpi = 300, 500, 30, 150
    box = (15, 150, 10, 490)                           # top, bottom, left, right inside the window
    page = np.full((height, width), 255, dtype=np.uint8)
    page[152, 5:495] = 0                               # the signature line
    for row in range(175, 290, 22):                    # the printed name and office under it
        for start in range(10, 470, 37):
            page[row: row + 12, start: start + 22] = rng.integers(0, 60)

    def scan(signed: bool = False, dot: bool = False, shift: tuple[int, int] = (0, 0), content=None) -> np.ndarray:
        window = np.full((height + 2 * margin, width + 2 * margin), 240, dtype=np.uint8)
        top, left = margin + shift[0], margin + shift[1]
        window[top: top + height, left: left + width] = np.minimum(page if content is None else content, 240)
        picture = Image.fromarray(window)
        if signed:
            strokes = marks.handwriting(random.Random(4), 50, 14)
            picture = marks.draw_strokes(picture, strokes, (left + 80, top + 40), dpi, marks.INKS["blue"], 0.5,
                                         random.Random(5))
        if dot:
            picture = marks.draw_strokes(picture, [np.array([(0, 0), (1.5, 0.5)])], (left + 200, top + 70), dpi,
                                         marks.INKS["black"], 0.8, random.Random(6))
        return np.asarray(picture)

    assert measure_ink(scan(), page, box, dpi).verdict == "blank"
    assert measure_ink(scan(shift=(9, -14)), page, box, dpi).verdict == "blank"      # found where it really is
    signed = measure_ink(scan(signed=True, shift=(-7, 11)), page, box, dpi)
    assert signed.verdict == "signed" and signed.alignment > 0.9, signed
    little = measure_ink(scan(dot=True), page, box, dpi)
    assert little.verdict == "ambiguous" and little.code == "small_mark", little
    # A window that shows something else (a warped photo, a foreign page): never trusted as signed.
    other = np.roll(page, 100, axis=1)[::-1]
    mismatched = measure_ink(scan(signed=True, content=other), page, box, dpi)
    assert mismatched.verdict == "ambiguous" and mismatched.code == "not_located", mismatched


def test_command_line_mistakes_are_refused_with_a_message(fresh_round, runner, tmp_path):
    missing = run(runner, fresh_round, "--inbox", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "nowhere: not found" in missing.output
    both = run(runner, fresh_round, "--accept", "X", "--reject", "Y", "--reason", "r")
    assert both.exit_code == 2 and "either --accept or --reject" in both.output
    bad_root = tmp_path / "root.pem"
    bad_root.write_text("not a certificate")
    inbox(fresh_round)
    refused = run(runner, fresh_round, "--trust-root", str(bad_root))
    assert refused.exit_code == 2 and "root.pem: not an X.509 certificate" in refused.output
    empty = tmp_path / "empty-out"
    never_rendered = runner.invoke(cli, ["checkin", "--out", str(empty), "--round", str(fresh_round / "round.toml"),
                                         "--inbox", str(inbox(fresh_round))])
    assert never_rendered.exit_code == 2 and "no ledger here; run `engagiert render --out" in never_rendered.output
    assert not empty.exists()


def test_a_foreign_page_inside_a_good_scan_is_kept_aside_and_needs_attention(fresh_round, runner):
    from PIL import ImageDraw, ImageFont

    record = documents(fresh_round)[0]
    foreign = scans.blank_page(150)
    draw, font = ImageDraw.Draw(foreign), ImageFont.load_default(size=30)
    for line in range(30):
        draw.text((100, 100 + line * 50), f"Anlage {line}: fremdes Blatt im Stapel", fill=0, font=font)
    pages = scans.signed_scan(pdf_of(fresh_round, record), record.geometry, dpi=150)
    scans.to_pdf([pages[0], foreign, pages[1]], inbox(fresh_round) / "mit-anlage.pdf", dpi=150)
    result = run(runner, fresh_round)
    assert result.exit_code == 1, result.output
    assert states(fresh_round)[record.doc_id][0] == "verified"
    assert "1 page(s) match no document" in result.output
    assert len(list((fresh_round / "out" / "unmatched").glob("*-page002.pdf"))) == 1


def test_a_bad_limit_in_round_toml_is_named_not_a_traceback(fresh_round, runner):
    round_toml = fresh_round / "round.toml"
    for bad in ('max_pages = "many"', "max_mb = -5", "max_seconds = true"):
        round_toml.write_text(round_toml.read_text(encoding="utf-8").split("\n[checkin]")[0]
                              + f"\n[checkin]\n{bad}\n", encoding="utf-8")
        result = run(runner, fresh_round, "--inbox", str(inbox(fresh_round)))
        assert result.exit_code == 2, (bad, result.output)
        key = bad.split(" =")[0]
        assert f"[checkin] {key} must be a positive number" in result.output and "round.toml" in result.output


def test_an_unreadable_upload_is_refused_and_the_others_are_checked_in(fresh_round, runner, monkeypatch):
    from pipeline.checkin import archive

    records = documents(fresh_round)
    scan_file(fresh_round, records[0], "lesbar.pdf")
    (inbox(fresh_round) / "gesperrt.pdf").write_bytes(b"%PDF-1.7 whatever")
    real_claim = archive.claim

    def claim(path):
        if path.name == "gesperrt.pdf":  # as root, file modes do not stop us: a share's refusal, simulated
            raise PermissionError(13, "Permission denied")
        return real_claim(path)

    monkeypatch.setattr(archive, "claim", claim)
    result = run(runner, fresh_round)
    assert "gesperrt.pdf: REFUSED: cannot be read (Permission denied); it stays in the inbox" in result.output
    assert states(fresh_round)[records[0].doc_id][0] == "verified", result.output
    assert (inbox(fresh_round) / "gesperrt.pdf").exists()
    assert result.exit_code == 1


def test_an_inbox_on_another_disk_is_copied_and_stays_locked_until_recorded(fresh_round, runner, monkeypatch):
    """os.replace cannot move across file systems (EXDEV): the upload is copied, the original removed, and
    the claim's lock moves to the copy, so a parallel run cannot take it over half-done."""
    import errno
    import os

    from pipeline.checkin import archive

    records = documents(fresh_round)
    scan_file(fresh_round, records[0], "scan.pdf")
    (inbox(fresh_round) / "verknuepft.pdf").symlink_to("/etc/hostname")
    real_replace = os.replace

    def replace(source, target):
        if Path(source).parent == inbox(fresh_round):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    real_store = archive.store
    locked_after_store = []

    def store(claimed, target):
        real_store(claimed, target)
        other = archive.claim(target)  # another open file description: must find it locked
        locked_after_store.append(other is None)
        if other is not None:
            other.release()

    monkeypatch.setattr(archive, "store", store)
    result = run(runner, fresh_round)
    assert states(fresh_round)[records[0].doc_id][0] == "verified", result.output
    assert "verknuepft.pdf: REFUSED: a link to" in result.output
    assert locked_after_store == [True]
    assert not list(inbox(fresh_round).iterdir())  # both moved out of the inbox, nothing left behind
    stored = list((fresh_round / "out" / ROUND / "received").glob("*.pdf"))
    assert len(stored) == 1 and not list((fresh_round / "out" / ROUND / "received").glob(".*.tmp"))


def test_a_trusted_signature_of_the_wrong_person_goes_to_review(fresh_round, runner, tmp_path):
    from .digital import issue_signer, make_ca_and_signer, sign_pdf

    record = next(r for r in documents(fresh_round) if r.signatory["bezeichnung"] == "Stadt Bielefeld")
    pki = make_ca_and_signer(tmp_path / "pki")
    dortmund = issue_signer(pki, "Thomas Westphal", "Stadt Dortmund", tmp_path / "dortmund")
    (inbox(fresh_round) / "bielefeld.pdf").write_bytes(sign_pdf(pdf_of(fresh_round, record).read_bytes(), dortmund))
    result = run(runner, fresh_round, "--trust-root", str(pki["ca"]))
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "needs_review", result.output
    assert reason == ("signed by Thomas Westphal (Stadt Dortmund), but the document is for Maria Schmitz, "
                      "Stadt Bielefeld")

    # The round may trust Dortmund's certificate for Bielefeld (say, a shared signing service): then it counts.
    toml = fresh_round / "round.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[checkin.signers."05711000"]\norganisations = '
                    '["Stadt Dortmund"]\n', encoding="utf-8")
    again = sign_pdf(sign_pdf(pdf_of(fresh_round, record).read_bytes(), dortmund), dortmund, field_name="Zweite")
    (inbox(fresh_round) / "bielefeld-2.pdf").write_bytes(again)
    run(runner, fresh_round, "--trust-root", str(pki["ca"]))
    assert states(fresh_round)[record.doc_id][0] == "verified"


def test_the_summary_names_the_unmatched_folder_under_the_given_out(fresh_round, runner):
    (inbox(fresh_round) / "fremd.jpg").write_bytes(b"\xff\xd8\xff not really a photo")
    result = run(runner, fresh_round)
    assert result.exit_code == 1
    assert f"see the lines above, {fresh_round / 'out' / 'unmatched'}/, and" in result.output


def test_pages_of_a_rejected_digital_upload_never_count_for_a_later_one(fresh_round, runner, tmp_path):
    """A tampered digitally signed file (rejected), then a photo of page 1 alone: page 2 of the rejected file
    must not complete the document (it used to become verified with no signed page 2 on file)."""
    from .digital import issue_signer, make_ca_and_signer, sign_pdf

    record = next(r for r in documents(fresh_round) if r.signatory["bezeichnung"] == "Stadt Bielefeld")
    pki = make_ca_and_signer(tmp_path / "pki")
    own = issue_signer(pki, "Maria Schmitz", "Stadt Bielefeld", tmp_path / "own")
    tampered = bytearray(sign_pdf(pdf_of(fresh_round, record).read_bytes(), own))
    index = tampered.index(b"/Producer")
    tampered[index + 12] ^= 0x01
    (inbox(fresh_round) / "digital.pdf").write_bytes(bytes(tampered))
    run(runner, fresh_round, "--trust-root", str(pki["ca"]))
    assert states(fresh_round)[record.doc_id][0] == "rejected"
    page1 = scans.signed_scan(pdf_of(fresh_round, record), record.geometry, dpi=200)[0]
    scans.to_jpeg(page1, inbox(fresh_round) / "seite1.jpg")
    result = run(runner, fresh_round, "--trust-root", str(pki["ca"]))
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "incomplete" and "page 2 of 2 not received yet" in reason, result.output


def test_a_review_waiting_for_a_clerk_is_not_replaced_by_a_partial_copy(fresh_round, runner, tmp_path):
    from .digital import issue_signer, make_ca_and_signer, sign_pdf

    record = next(r for r in documents(fresh_round) if r.signatory["bezeichnung"] == "Stadt Bielefeld")
    pki = make_ca_and_signer(tmp_path / "pki")
    own = issue_signer(pki, "Maria Schmitz", "Stadt Bielefeld", tmp_path / "own")
    (inbox(fresh_round) / "digital.pdf").write_bytes(sign_pdf(pdf_of(fresh_round, record).read_bytes(), own))
    run(runner, fresh_round)  # no trust root: the signature goes to review
    assert states(fresh_round)[record.doc_id][0] == "needs_review"
    page1 = scans.signed_scan(pdf_of(fresh_round, record), record.geometry, dpi=200)[0]
    scans.to_jpeg(page1, inbox(fresh_round) / "seite1.jpg")
    run(runner, fresh_round)
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "needs_review" and "digitally signed by Maria Schmitz" in reason
    with Ledger.open(fresh_round / "out") as ledger:
        last = [row for row in ledger.events(ROUND, record.ags) if row["kind"] == "checkin"][-1]
    assert "still waits for review" in last["reason"]

"""Issue 14: the ledger never invents or loses a signature. Hand decisions need evidence, corrections after
sending are guarded, an outdated signed copy is a question, counts add up, and the audit finds what is off."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from pipeline.cli import cli
from pipeline.ledger import Ledger

from . import scans
from .test_checkin import ROUND, documents, inbox, pdf_of, run, scan_file, states


def cli_run(runner, base: Path, *args: str):
    return runner.invoke(cli, [args[0], "--out", str(base / "out"), "--round", str(base / "round.toml"), *args[1:]])


def render(runner, base: Path, *extra: str):
    return cli_run(runner, base, "render", "--signatories", str(base / "signatories.csv"), "-q", *extra)


def status_json(runner, base: Path) -> dict:
    result = cli_run(runner, base, "status", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def rename_in_csv(base: Path, old: str, new: str) -> None:
    csv_path = base / "signatories.csv"
    text = csv_path.read_text(encoding="utf-8")
    assert old in text
    csv_path.write_text(text.replace(old, new), encoding="utf-8")


def ledger_bytes(base: Path) -> bytes:
    with sqlite3.connect(base / "out" / "ledger.sqlite") as connection:  # a checkpoint-free logical dump
        return "\n".join(connection.iterdump()).encode()


def audit_ok(runner, out: Path) -> None:
    result = runner.invoke(cli, ["check", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Ledger and files agree:"), result.output


# --- hand decisions ------------------------------------------------------------------------------

def test_a_hand_acceptance_needs_a_reason_and_a_copy_or_says_there_is_none(fresh_round, runner):
    record = documents(fresh_round)[0]
    assert cli_run(runner, fresh_round, "mark-sent").exit_code == 0
    no_reason = run(runner, fresh_round, "--accept", record.doc_id)
    assert no_reason.exit_code == 2 and "--accept needs --reason" in no_reason.output
    no_copy = run(runner, fresh_round, "--accept", record.doc_id, "--reason", "Original liegt vor")
    assert no_copy.exit_code == 2 and "no page of this document was ever received" in no_copy.output
    assert states(fresh_round)[record.doc_id][0] == "sent"  # nothing changed

    accepted = run(runner, fresh_round, "--accept", record.doc_id, "--reason", "Original liegt im Akt",
                   "--without-copy", "--clerk", "Frau Kramer")
    assert accepted.exit_code == 0, accepted.output
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "verified" and reason == "accepted by hand, no copy on file: Original liegt im Akt"
    document = next(d for d in status_json(runner, fresh_round)["documents"] if d["doc_id"] == record.doc_id)
    assert document["reason"].startswith("accepted by hand, no copy on file")
    history = cli_run(runner, fresh_round, "history", record.ags, "--format", "json")
    decision = [e for e in json.loads(history.output)["events"] if e["kind"] == "decision"][-1]
    assert decision["actor"] == "Frau Kramer" and decision["details"]["without_copy"] is True
    assert not list((fresh_round / "out" / ROUND / "signed").glob("*.pdf"))  # no copy invented
    audit_ok(runner, fresh_round / "out")


def test_a_hand_decision_is_revised_only_by_a_newer_decision(fresh_round, runner):
    record = documents(fresh_round)[0]
    result = run(runner, fresh_round, "--reject", record.doc_id, "--reason", "Falsche Person hat unterschrieben")
    assert result.exit_code == 0
    scan_file(fresh_round, record, "neu.pdf")  # a properly signed copy arrives afterwards
    run(runner, fresh_round)
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "needs_review" and "after a rejection by hand" in reason  # not straight to verified
    accepted = run(runner, fresh_round, "--accept", record.doc_id, "--reason", "Neue Unterschrift geprüft")
    assert accepted.exit_code == 0 and states(fresh_round)[record.doc_id][0] == "verified"
    with Ledger.open(fresh_round / "out") as ledger:
        kinds = [row["kind"] for row in ledger.events(ROUND, record.ags) if row["state"]]
    assert kinds[-3:] == ["decision", "checkin", "decision"]  # the history shows both decisions
    audit_ok(runner, fresh_round / "out")


def test_a_page_that_arrives_after_a_hand_acceptance_completes_the_signed_copy(fresh_round, runner):
    record = documents(fresh_round)[0]
    signature_page = record.geometry.signature_box.page
    other_page = 1 if signature_page == 2 else 2
    scan_file(fresh_round, record, "nur-unterschrift.pdf", transform=lambda pages: [pages[signature_page - 1]])
    run(runner, fresh_round)
    assert states(fresh_round)[record.doc_id][0] == "incomplete"
    accepted = run(runner, fresh_round, "--accept", record.doc_id, "--reason", "Seite 1 kommt per Post")
    assert accepted.exit_code == 0, accepted.output
    signed = fresh_round / "out" / ROUND / "signed"
    assert not list(signed.glob("*.pdf"))  # one page on file: no signed copy yet

    scan_file(fresh_round, record, "seite-nachgereicht.pdf", seed=2, transform=lambda pages: [pages[other_page - 1]])
    late = run(runner, fresh_round)
    assert late.exit_code == 0, late.output
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "verified" and reason.endswith("Seite 1 kommt per Post")  # the clerk's decision stands
    [copy] = signed.glob("*.pdf")
    assert len(pdf_pages(copy)) == record.pages  # the late page joined the copy the clerk accepted
    with Ledger.open(fresh_round / "out") as ledger:
        joined = [row for row in ledger.events(ROUND, record.ags) if row["kind"] == "checkin"][-1]
    details = json.loads(joined["details"])
    assert details["code"] == "joined_complete" and details["added_pages"] == [other_page]
    assert details["signed_file"] == copy.relative_to(fresh_round / "out").as_posix()
    audit_ok(runner, fresh_round / "out")


def pdf_pages(path: Path) -> list:
    from pypdf import PdfReader

    return list(PdfReader(path).pages)


# --- corrections after sending --------------------------------------------------------------------

def test_a_correction_after_sending_is_held_back_listed_and_previewed(fresh_round, runner):
    records = documents(fresh_round)
    schmitz = next(r for r in records if r.signatory["nachname"] == "Schmitz")
    assert cli_run(runner, fresh_round, "mark-sent").exit_code == 0
    rename_in_csv(fresh_round, "Maria", "Marie")
    before = ledger_bytes(fresh_round)

    preview = render(runner, fresh_round, "--dry-run")
    assert preview.exit_code == 0, preview.output
    assert "0 changed" in preview.output and "1 held back" in preview.output
    assert f"row {schmitz.signatory['row']}, Stadt Bielefeld ({schmitz.ags}): V1 is sent; vorname: 'Maria' → " \
           "'Marie'" in preview.output
    assert ledger_bytes(fresh_round) == before  # a dry run writes nothing

    held = render(runner, fresh_round)
    assert held.exit_code == 2, held.output
    assert "Not rendered: 1 changed row(s)" in held.output and "vorname: 'Maria' → 'Marie'" in held.output
    assert states(fresh_round)[schmitz.doc_id][0] == "sent"  # nothing superseded
    assert [r.version for r in documents(fresh_round)] == [1] * len(records)

    forced = render(runner, fresh_round, "--supersede-sent")
    assert forced.exit_code == 0, forced.output
    assert "1 superseded" in forced.output
    state, reason = states(fresh_round)[schmitz.doc_id]
    assert state == "superseded" and "version 1 was sent" in reason
    audit_ok(runner, fresh_round / "out")


def test_a_dry_run_on_a_new_folder_creates_nothing(fresh_round, runner, tmp_path):
    out = tmp_path / "neu"
    result = runner.invoke(cli, ["render", "--dry-run", "--out", str(out), "--round", str(fresh_round / "round.toml"),
                                 "--signatories", str(fresh_round / "signatories.csv")])
    assert result.exit_code == 0, result.output
    assert f"Would render {len(documents(fresh_round))} new" in result.output
    assert not out.exists()


def test_superseding_a_verified_document_keeps_its_signed_copy_and_history(fresh_round, runner):
    record = next(r for r in documents(fresh_round) if r.signatory["nachname"] == "Schmitz")
    scan_file(fresh_round, record, "scan.pdf")
    run(runner, fresh_round)
    assert states(fresh_round)[record.doc_id][0] == "verified"
    signed = list((fresh_round / "out" / ROUND / "signed").glob(f"{record.ags}_*_V1.pdf"))
    assert len(signed) == 1
    rename_in_csv(fresh_round, "Schmitz", "Schmitz-Weber")
    assert render(runner, fresh_round).exit_code == 2  # guarded
    assert render(runner, fresh_round, "--supersede-sent").exit_code == 0
    state, reason = states(fresh_round)[record.doc_id]
    assert state == "superseded" and "version 1 was verified" in reason
    assert signed[0].is_file()  # the signed V1 stays
    history = json.loads(cli_run(runner, fresh_round, "history", record.ags, "--format", "json").output)
    assert [e["state"] for e in history["events"] if e["version"] == 1 and e["state"]][-2:] == \
        ["verified", "superseded"]
    audit_ok(runner, fresh_round / "out")


# --- an outdated signed copy ------------------------------------------------------------------------

def outdated_copy(fresh_round, runner):
    """V1 of Bielefeld rendered; the row changes (V2 rendered, never sent); a signed V1 comes back."""
    record = next(r for r in documents(fresh_round) if r.signatory["nachname"] == "Schmitz")
    old_pdf = fresh_round / "v1.pdf"
    old_pdf.write_bytes(pdf_of(fresh_round, record).read_bytes())
    rename_in_csv(fresh_round, "Schmitz", "Schmitz-Weber")
    assert render(runner, fresh_round).exit_code == 0
    scans.to_pdf(scans.signed_scan(old_pdf, record.geometry, dpi=200), inbox(fresh_round) / "v1.pdf", dpi=200)
    result = run(runner, fresh_round)
    new = next(r for r in documents(fresh_round) if r.ags == record.ags)
    return record, new, result


def test_an_outdated_signed_copy_is_a_question_and_accepting_it_counts_the_old_version(fresh_round, runner):
    old, new, result = outdated_copy(fresh_round, runner)
    state, reason = states(fresh_round)[new.doc_id]
    assert state == "needs_review", result.output  # never "rejected": V2 did not receive this copy
    assert "signed the outdated version V1; V2 differs in: nachname 'Schmitz' → 'Schmitz-Weber'" in reason
    with Ledger.open(fresh_round / "out") as ledger:
        assert {row["page"] for row in ledger.received_pages(old.doc_id)} == {1, 2}  # recorded against V1
    wrong = run(runner, fresh_round, "--accept", new.doc_id, "--reason", "ok")
    assert wrong.exit_code == 2 and f"--accept {old.doc_id}" in wrong.output
    accepted = run(runner, fresh_round, "--accept", old.doc_id, "--reason", "Namensänderung unerheblich")
    assert accepted.exit_code == 0, accepted.output
    current = next(d for d in status_json(runner, fresh_round)["documents"] if d["ags"] == old.ags)
    assert current["doc_id"] == old.doc_id and current["state"] == "verified"
    assert list((fresh_round / "out" / ROUND / "signed").glob(f"{old.ags}_*_V1.pdf"))
    audit_ok(runner, fresh_round / "out")


def test_asking_for_the_new_version_sends_and_reminds_it_as_usual(fresh_round, runner):
    old, new, _ = outdated_copy(fresh_round, runner)
    asked = run(runner, fresh_round, "--reject", old.doc_id, "--reason", "Bitte die neue Fassung unterschreiben")
    assert asked.exit_code == 0, asked.output
    assert states(fresh_round)[new.doc_id][0] == "rendered"  # back where it was, never rejected
    marked = cli_run(runner, fresh_round, "mark-sent", "--only", new.ags, "--date", "2024-05-20")
    assert marked.exit_code == 0 and "1 marked sent" in marked.output, marked.output
    reminded = runner.invoke(cli, ["remind", "--out", str(fresh_round / "out"), "--round",
                                   str(fresh_round / "round.toml"), "--dry-run", "--after", "0"],
                             env={"ENGAGIERT_NOW": "2024-06-20"})
    assert f"{new.ags}" in reminded.output.split("Not reminded:")[0], reminded.output


# --- counts that add up ---------------------------------------------------------------------------

def replayed_counts(out: Path) -> tuple[dict[str, int], int]:
    """The state of each municipality's current version and the number of older superseded versions,
    derived from the event log alone (not from the ledger's view or the status code)."""
    with sqlite3.connect(out / "ledger.sqlite") as connection:
        events = connection.execute("SELECT doc_id, state FROM events WHERE state IS NOT NULL ORDER BY id").fetchall()
        versions = connection.execute("SELECT doc_id, ags, version FROM documents WHERE round = ?",
                                      (ROUND,)).fetchall()
    state = {}
    for doc_id, new_state in events:
        state[doc_id] = new_state
    by_ags: dict[str, list[tuple[int, str]]] = {}
    for doc_id, ags, version in versions:
        by_ags.setdefault(ags, []).append((version, doc_id))
    counts: dict[str, int] = {}
    superseded = 0
    for entries in by_ags.values():
        live = [doc for version, doc in sorted(entries) if state[doc] != "superseded"]
        current = live[-1] if live else sorted(entries)[-1][1]
        counts[state[current]] = counts.get(state[current], 0) + 1
        superseded += sum(1 for _, doc in entries if doc != current and state[doc] == "superseded")
    return counts, superseded


def test_every_count_matches_the_event_log(fresh_round, runner):
    records = documents(fresh_round)
    first, second, third = records[0], records[1], records[2]
    # first: page 1 and page 2 in two files of one run (incomplete, then verified in the same run)
    pages = scans.signed_scan(pdf_of(fresh_round, first), first.geometry, dpi=200)
    scans.to_pdf(pages[:1], inbox(fresh_round) / "a-seite1.pdf", dpi=200)
    scans.to_pdf(pages[1:], inbox(fresh_round) / "b-seite2.pdf", dpi=200)
    scan_file(fresh_round, second, "c-unsigned.pdf", signed=False)
    scan_file(fresh_round, third, "d-page1.pdf", transform=lambda p: p[:1])
    result = run(runner, fresh_round)
    summary_line = next(line for line in result.output.splitlines() if line.startswith("Checked in"))
    counted = dict((state.replace(" ", "_"), int(n)) for n, state in
                   re.findall(r"(\d+) ([a-z ]+?)(?:,|\.$)", summary_line.split("Documents: ")[1]))
    assert counted == {"verified": 1, "rejected": 1, "incomplete": 1}, summary_line  # each document once

    rename_in_csv(fresh_round, records[3].signatory["vorname"], records[3].signatory["vorname"] + "a")
    assert render(runner, fresh_round).exit_code == 0  # one superseded version
    expected, superseded = replayed_counts(fresh_round / "out")
    data = status_json(runner, fresh_round)
    assert {k: v for k, v in data["summary"].items() if v} == expected
    assert data["superseded_versions"] == superseded == 1
    table = cli_run(runner, fresh_round, "status").output
    for state, count in expected.items():
        assert re.search(rf"^{state}\s+{count}$", table, re.M), (state, table)
    assert f"(superseded, not counted): {superseded}" in table
    report = cli_run(runner, fresh_round, "report")
    assert report.exit_code == 0, report.output
    assert f"{expected.get('verified', 0)} of {sum(expected.values())} verified" in report.output
    audit_ok(runner, fresh_round / "out")


# --- the audit and the backup ----------------------------------------------------------------------

def test_the_audit_names_missing_changed_and_unknown_files(fresh_round, runner):
    record = documents(fresh_round)[0]
    scan_file(fresh_round, record, "scan.pdf")
    run(runner, fresh_round)
    out = fresh_round / "out"
    audit_ok(runner, out)
    signed = next((out / ROUND / "signed").glob("*.pdf"))
    signed.unlink()
    stray = out / ROUND / "received" / "fremd.pdf"
    stray.write_bytes(b"%PDF-1.4 somebody put this here")
    rendered = out / documents(fresh_round)[1].path
    rendered.write_bytes(rendered.read_bytes() + b"\n% changed")
    result = runner.invoke(cli, ["check", "--out", str(out)])
    assert result.exit_code == 4, result.output
    assert f"{signed.relative_to(out).as_posix()}: the ledger names this file, but it is missing" in result.output
    assert "received/fremd.pdf: a file the ledger does not know" in result.output
    assert f"{documents(fresh_round)[1].path}: the file differs from what the ledger recorded" in result.output


def test_a_backup_taken_while_a_checkin_runs_passes_the_audit(fresh_round, runner, tmp_path):
    import subprocess
    import sys
    import time

    for index, record in enumerate(documents(fresh_round)):
        scan_file(fresh_round, record, f"scan{index}.pdf", seed=index + 1)
    checkin = subprocess.Popen([sys.executable, "-m", "pipeline", "checkin", "--out", str(fresh_round / "out"),
                                "--round", str(fresh_round / "round.toml"), "-q", "--workers", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    backups = []
    try:
        for number in range(20):
            target = tmp_path / f"sicherung{number}"
            result = runner.invoke(cli, ["backup", str(target), "--out", str(fresh_round / "out")])
            assert result.exit_code == 0, result.output
            backups.append(target)
            if checkin.poll() is not None:
                break
            time.sleep(0.2)
    finally:
        checkin.communicate(timeout=120)
    for target in backups:
        audit_ok(runner, target)
    assert (backups[-1] / "docid.secret").is_file()
    with Ledger(backups[-1] / "ledger.sqlite") as ledger:
        assert len(ledger.all_documents()) == len(documents(fresh_round))


def test_a_wrong_out_folder_is_an_error_and_leaves_nothing_behind(fresh_round, runner, tmp_path):
    wrong = tmp_path / "falsch"
    inbox(fresh_round)  # an inbox exists: the ledger is what is missing
    for command in (["checkin"], ["bundle"], ["mark-sent"], ["remind", "--record-sent"]):
        result = runner.invoke(cli, [*command, "--out", str(wrong), "--round", str(fresh_round / "round.toml")])
        assert result.exit_code == 2 and "no ledger here" in result.output, (command, result.output)
        assert not wrong.exists(), command


def test_reminders_cannot_be_recorded_as_sent_in_the_future(fresh_round, runner):
    result = cli_run(runner, fresh_round, "remind", "--record-sent", "--date", "01.01.2099")
    assert result.exit_code == 2 and "cannot have gone out in the future" in result.output

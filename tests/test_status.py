"""`engagiert status`: summary, outstanding list, filters, and the JSON / CSV / XLSX exports, checked
against each other and against the ledger. States are driven through the ledger API (the check-in
stage is not needed for that)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import cli
from pipeline.ledger import STATES, DocumentRecord, Ledger

ROUND_ID = "2024-05"
NOW = "2024-06-10T09:00:00+00:00"
SENT = "2024-05-20"

# The mixed round every tracking test uses: AGS -> (state after check-in, reason, pages received, day).
BIELEFELD, ALFTER, BORKEN, AACHEN, SHS = "05711000", "05382004", "05554", "05334", "05754036"
OUTCOMES = {
    BIELEFELD: ("verified", None, [1, 2], "2024-06-01"),
    ALFTER: ("incomplete", "page 2 missing", [1], "2024-06-05"),
    BORKEN: ("rejected", "page 2 is not signed", [1, 2], "2024-06-03"),
    AACHEN: ("needs_review", "signature box unclear", [1, 2], "2024-06-08"),
}


def _ags_of(ledger: Ledger) -> dict[str, DocumentRecord]:
    return ledger.latest_documents(ROUND_ID)


def mark_sent(out: Path, date: str = SENT, ags: list[str] | None = None) -> None:
    with Ledger.open(out) as ledger, ledger.transaction() as cursor:
        for record in _ags_of(ledger).values():
            if ags is None or record.ags in ags:
                Ledger.add_event(cursor, round_id=ROUND_ID, kind="sent", ags=record.ags, doc_id=record.doc_id,
                                 state="sent", details={"date": date}, at=f"{date}T00:00:00+00:00")


def check_in(out: Path, outcomes: dict = OUTCOMES) -> None:
    """What the check-in stage records: an upload, its pages, and a checkin event with the outcome."""
    with Ledger.open(out) as ledger, ledger.transaction() as cursor:
        documents = _ags_of(ledger)
        for ags, (state, reason, pages, day) in outcomes.items():
            record = documents[ags]
            sha = f"{int(ags):064d}"
            at = f"{day}T10:00:00+00:00"
            cursor.execute("INSERT INTO uploads (sha256, round, original_name, stored_path, size, received_at, "
                           "outcome) VALUES (?, ?, ?, ?, 1, ?, 'matched')",
                           (sha, ROUND_ID, f"scan {ags}.pdf", f"{ROUND_ID}/received/{sha}.pdf", at))
            for page in pages:
                cursor.execute("INSERT INTO pages (doc_id, page, upload_sha256, source_page, received_at) "
                               "VALUES (?, ?, ?, ?, ?)", (record.doc_id, page, sha, page, at))
            Ledger.add_event(cursor, round_id=ROUND_ID, kind="checkin", ags=ags, doc_id=record.doc_id, state=state,
                             reason=reason, file_sha256=sha, at=at,
                             details={"upload": f"scan {ags}.pdf", "pages": pages})


def drive_mixed_round(base: Path) -> Path:
    """Sent on 20 May; by 8 June one verified, one incomplete, one rejected, one to review, one silent."""
    out = base / "out"
    mark_sent(out)
    check_in(out)
    return out


def prepare_mixed_round(fresh_round: Path, monkeypatch) -> Path:
    """For the other tracking tests' fixtures: the mixed round with "now" pinned to 10 June 2024."""
    monkeypatch.setenv("ENGAGIERT_NOW", NOW)
    drive_mixed_round(fresh_round)
    monkeypatch.chdir(fresh_round)
    return fresh_round


@pytest.fixture
def mixed_round(fresh_round: Path, monkeypatch) -> Path:
    return prepare_mixed_round(fresh_round, monkeypatch)


def run(runner, base: Path, *args: str):
    result = runner.invoke(cli, ["status", "--out", str(base / "out"), "--round", str(base / "round.toml"), *args])
    return result


def ledger_states(out: Path) -> dict[str, str]:
    """The current state per AGS, straight from SQLite (not through the code under test)."""
    connection = sqlite3.connect(out / "ledger.sqlite")
    rows = connection.execute(
        "SELECT d.ags, (SELECT state FROM events e WHERE e.doc_id = d.doc_id AND state IS NOT NULL "
        "ORDER BY id DESC LIMIT 1) FROM documents d WHERE d.version = "
        "(SELECT max(version) FROM documents x WHERE x.ags = d.ags AND x.round = d.round)").fetchall()
    connection.close()
    return dict(rows)


def test_summary_table_counts_states_bezirke_and_recent_returns(runner, mixed_round):
    result = run(runner, mixed_round)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Round 2024-05: 5 documents, 1 verified (20 %), 4 outstanding (as of 2024-06-10)"
    table = {parts[0]: parts[1] for line in lines[4:11] if len(parts := line.split()) == 2 and parts[0] in STATES}
    expected = {state: 0 for state in STATES if state != "superseded"}  # superseded: shown only when present
    for state in ledger_states(mixed_round / "out").values():
        expected[state] += 1
    assert table == {state: str(count) for state, count in expected.items()}
    assert "Older versions replaced by a newer one (superseded, not counted): 0" in result.output
    # returned on or after 3 June (now minus 7 days): Alfter, Borken, Aachen; Bielefeld came on 1 June
    assert "Returned in the last 7 days: 3 (0 verified)" in result.output
    bezirke = {line.split()[0]: line.split()[1:4] for line in lines if line.split()[:1] and
               line.split()[0] in ("Detmold", "Köln", "Münster")}
    assert bezirke == {"Detmold": ["2", "1", "1"], "Köln": ["2", "0", "2"], "Münster": ["1", "0", "1"]}


def test_outstanding_lists_days_since_dispatch_reminders_and_contacts(runner, mixed_round):
    with Ledger.open(mixed_round / "out") as ledger, ledger.transaction() as cursor:
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="reminder", ags=ALFTER,
                         doc_id=_ags_of(ledger)[ALFTER].doc_id, at="2024-06-07T08:00:00+00:00",
                         details={"channel": "eml", "file": "x.eml", "to": "post@example.org"})
    result = run(runner, mixed_round, "--outstanding")
    assert result.exit_code == 0, result.output
    listing = result.output.split("Outstanding: 4 of 5")[1].splitlines()[4:]
    rows = {line.split()[0]: line for line in listing}
    assert set(rows) == {ALFTER, BORKEN, AACHEN, SHS}  # Bielefeld is verified
    assert "21" in rows[SHS].split() and "20.05.2024" in rows[SHS]  # sent 20 May, now 10 June
    assert "07.06.2024" in rows[ALFTER] and "Jan Muster (Bürgermeister)" in rows[ALFTER]
    assert "rejected: page 2 is not signed" in rows[BORKEN]
    assert "Eva Beispiel (Landrätin)" in rows[BORKEN]
    assert "Bürgermeisterin / Bürgermeister" in rows[SHS]  # nobody named: the office in both forms


def test_filters_combine_and_a_misspelt_filter_names_the_known_values(runner, mixed_round):
    data = json.loads(run(runner, mixed_round, "--format", "json", "--regierungsbezirk", "köln").output)
    assert {d["ags"] for d in data["documents"]} == {ALFTER, AACHEN}
    data = json.loads(run(runner, mixed_round, "--format", "json", "--state", "rejected", "--state",
                          "needs_review").output)
    assert {d["ags"] for d in data["documents"]} == {BORKEN, AACHEN}
    assert data["summary"]["rejected"] == 1 and data["summary"]["needs_review"] == 1
    assert data["summary"]["verified"] == 0
    data = json.loads(run(runner, mixed_round, "--format", "json", "--kreis", "Kreis Gütersloh").output)
    assert [d["ags"] for d in data["documents"]] == [SHS]
    data = json.loads(run(runner, mixed_round, "--format", "json", "--kreis", "Kreis Borken").output)
    assert [d["ags"] for d in data["documents"]] == [BORKEN]  # the district's own document
    result = run(runner, mixed_round, "--regierungsbezirk", "Dortmund")
    assert result.exit_code == 2
    assert "--regierungsbezirk 'Dortmund'" in result.output and "Detmold, Köln, Münster" in result.output


def test_json_follows_the_design_contract_and_the_ledger(runner, mixed_round):
    result = run(runner, mixed_round, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["round"] == ROUND_ID
    assert list(data["summary"]) == list(STATES)
    assert sum(data["summary"].values()) == len(data["documents"]) == 5
    states = ledger_states(mixed_round / "out")
    by_ags = {d["ags"]: d for d in data["documents"]}
    for ags, document in by_ags.items():
        assert document["state"] == states[ags]
        assert {"ags", "name", "bezeichnung", "doc_id", "state", "since", "reason", "pages_received",
                "regierungsbezirk", "kreis", "typ", "email", "sent_at", "last_reminder", "version",
                "pages"} <= set(document)
        assert document["sent_at"] == SENT and document["pages"] == 2 and document["version"] == 1
    for ags, (_state, reason, pages, day) in OUTCOMES.items():
        assert by_ags[ags]["reason"] == reason
        assert by_ags[ags]["pages_received"] == pages
        assert by_ags[ags]["since"].startswith(day)
    assert by_ags[SHS]["pages_received"] == [] and by_ags[SHS]["state"] == "sent"
    assert by_ags[BIELEFELD]["bezeichnung"] == "Stadt Bielefeld"


def test_only_the_newest_version_counts(runner, mixed_round):
    """A corrected row gives V2 (rendered, not yet sent); V1 is superseded and leaves the status."""
    out = mixed_round / "out"
    with Ledger.open(out) as ledger, ledger.transaction() as cursor:
        old = _ags_of(ledger)[BORKEN]
        new_id = old.doc_id.replace("-V1-", "-V2-")
        Ledger.add_document(cursor, DocumentRecord(**{**old.__dict__, "doc_id": new_id, "version": 2}))
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="rendered", ags=BORKEN, doc_id=new_id, state="rendered")
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="superseded", ags=BORKEN, doc_id=old.doc_id,
                         state="superseded")
    data = json.loads(run(runner, mixed_round, "--format", "json").output)
    borken = [d for d in data["documents"] if d["ags"] == BORKEN]
    assert len(borken) == 1 and borken[0]["version"] == 2 and borken[0]["state"] == "rendered"
    assert borken[0]["sent_at"] is None and borken[0]["pages_received"] == []
    assert data["summary"]["rejected"] == 0 and data["summary"]["rendered"] == 1
    assert data["summary"]["superseded"] == 0


def test_a_refresh_reads_again_only_what_changed_and_equals_a_full_read(fresh_round, monkeypatch):
    """The clerk's desk keeps its status current from the events since its last read (track.refresh_status):
    a check-in, a reminder and a new version later it says exactly what a full read says."""
    from pipeline.track import collect_status, refresh_status

    monkeypatch.setenv("ENGAGIERT_NOW", NOW)
    out = fresh_round / "out"
    mark_sent(out)
    before = collect_status(out, ROUND_ID)
    check_in(out)
    with Ledger.open(out) as ledger, ledger.transaction() as cursor:
        documents = _ags_of(ledger)
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="reminder", ags=ALFTER, doc_id=documents[ALFTER].doc_id,
                         at="2024-06-07T08:00:00+00:00", details={"channel": "eml", "file": "x.eml"})
        old = documents[BORKEN]
        new_id = old.doc_id.replace("-V1-", "-V2-")
        Ledger.add_document(cursor, DocumentRecord(**{**old.__dict__, "doc_id": new_id, "version": 2}))
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="rendered", ags=BORKEN, doc_id=new_id, state="rendered")
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="superseded", ags=BORKEN, doc_id=old.doc_id,
                         state="superseded")

    refreshed, full = refresh_status(out, before), collect_status(out, ROUND_ID)
    assert [d.as_json() for d in refreshed.documents] == [d.as_json() for d in full.documents]
    assert (refreshed.recent_returns, refreshed.superseded_versions, refreshed.last_event_id) == \
        (full.recent_returns, full.superseded_versions, full.last_event_id)
    assert {d.ags: d.state for d in refreshed.documents} == ledger_states(out)
    untouched = {d.ags: d for d in before.documents}[SHS]
    assert {d.ags: d for d in refreshed.documents}[SHS] is untouched  # not read again
    assert refresh_status(out, refreshed).documents == refreshed.documents  # nothing new: the same


def read_csv_export(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_and_xlsx_agree_with_json(runner, mixed_round, tmp_path):
    from openpyxl import load_workbook

    data = json.loads(run(runner, mixed_round, "--format", "json").output)
    result = run(runner, mixed_round, "--format", "csv", "--output", str(tmp_path / "status.csv"))
    assert result.exit_code == 0, result.output
    rows = read_csv_export((tmp_path / "status.csv").read_bytes())
    assert run(runner, mixed_round, "--format", "csv").stdout_bytes == \
        (tmp_path / "status.csv").read_bytes()  # stdout and --output carry the same bytes
    assert run(runner, mixed_round, "--format", "xlsx", "--output", str(tmp_path / "status.xlsx")).exit_code == 0
    sheet = load_workbook(tmp_path / "status.xlsx").active
    header = [cell.value for cell in sheet[1]]
    assert header == list(rows[0])
    xlsx_rows = [dict(zip(header, [cell.value for cell in row], strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:R{len(xlsx_rows) + 1}"
    assert sheet.column_dimensions["C"].width >= len("Stadt Schloß Holte-Stukenbrock")

    labels = {"verified": "unterschrieben", "incomplete": "unvollständig", "rejected": "abgelehnt",
              "needs_review": "zu prüfen", "sent": "verschickt"}
    assert len(rows) == len(xlsx_rows) == len(data["documents"])
    for document, row, xrow in zip(data["documents"], rows, xlsx_rows, strict=True):
        assert row["AGS"] == xrow["AGS"] == document["ags"]  # leading zero kept, text in both
        assert row["Status"] == xrow["Status"] == labels[document["state"]]
        assert row["Verschickt am"] == "20.05.2024"
        assert xrow["Verschickt am"].date().isoformat() == document["sent_at"]
        assert row["Tage seit Versand"] == str(xrow["Tage seit Versand"]) == "21"
        assert row["Grund"] == (xrow["Grund"] or "") == (document["reason"] or "")
        assert row["Seiten erhalten"] == (xrow["Seiten erhalten"] or "") == \
            ", ".join(map(str, document["pages_received"]))
        assert row["Status seit"] == ".".join(reversed(document["since"][:10].split("-")))


def test_exports_neutralise_formulas(runner, mixed_round, tmp_path):
    from openpyxl import load_workbook

    hostile = {"=HYPERLINK(\"http://evil.example\",\"x\")", "+49 211 0", "-1+1", "@SUM(A1)", "\t=1+1"}
    reasons = sorted(hostile)
    with Ledger.open(mixed_round / "out") as ledger, ledger.transaction() as cursor:
        for record, reason in zip(_ags_of(ledger).values(), reasons, strict=True):
            Ledger.add_event(cursor, round_id=ROUND_ID, kind="decision", ags=record.ags, doc_id=record.doc_id,
                             state="rejected", reason=reason)
    run(runner, mixed_round, "--format", "csv", "--output", str(tmp_path / "s.csv"))
    run(runner, mixed_round, "--format", "xlsx", "--output", str(tmp_path / "s.xlsx"))
    csv_reasons = {row["Grund"] for row in read_csv_export((tmp_path / "s.csv").read_bytes())}
    assert csv_reasons == {"'" + reason for reason in hostile}
    sheet = load_workbook(tmp_path / "s.xlsx").active
    column = [cell.value for cell in sheet[1]].index("Grund")
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert {cell.value for cell in cells} == {"'" + reason for reason in hostile}
    assert {cell.data_type for cell in cells} == {"s"}  # text, not formulas


def test_xlsx_needs_output_and_no_ledger_is_a_clear_error(runner, mixed_round, tmp_path):
    result = run(runner, mixed_round, "--format", "xlsx")
    assert result.exit_code == 2 and "--output" in result.output
    result = runner.invoke(cli, ["status", "--out", str(tmp_path / "nothing"), "--round",
                                 str(mixed_round / "round.toml")])
    assert result.exit_code == 2 and "no ledger" in result.output and str(tmp_path / "nothing") in result.output


def test_status_does_not_import_the_pdf_stack(mixed_round):
    """A query must start fast: no WeasyPrint, pandas, PDF or imaging libraries, no openpyxl for a table."""
    code = ("import sys; from pipeline.cli import main; sys.argv = ['engagiert', 'status', '--outstanding', "
            f"'--out', {str(mixed_round / 'out')!r}, '--round', {str(mixed_round / 'round.toml')!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = {'weasyprint', 'pandas', 'pypdf', 'pypdfium2', 'fitz', 'PIL', 'openpyxl', 'jinja2', "
            "'zxingcpp', 'pyhanko', 'numpy'}\n"
            "print('LOADED', sorted(heavy & {name.split('.')[0] for name in sys.modules}))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               cwd=Path(__file__).resolve().parent.parent, check=True)
    assert "Outstanding: 4 of 5" in completed.stdout
    assert completed.stdout.strip().splitlines()[-1] == "LOADED []"

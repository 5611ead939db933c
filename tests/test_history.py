"""`engagiert history AGS`: every event of one municipality, all versions, in the order recorded."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pipeline.cli import cli
from pipeline.ledger import DocumentRecord, Ledger

from .test_status import ALFTER, BORKEN, ROUND_ID, prepare_mixed_round


@pytest.fixture
def mixed_round(fresh_round: Path, monkeypatch) -> Path:
    return prepare_mixed_round(fresh_round, monkeypatch)


def history(runner, base: Path, *args: str):
    return runner.invoke(cli, ["history", "--out", str(base / "out"), "--round", str(base / "round.toml"), *args])


def supersede(out: Path, ags: str) -> str:
    with Ledger.open(out) as ledger, ledger.transaction() as cursor:
        old = ledger.latest_documents(ROUND_ID)[ags]
        new_id = old.doc_id.replace("-V1-", "-V2-")
        Ledger.add_document(cursor, DocumentRecord(**{**old.__dict__, "doc_id": new_id, "version": 2}))
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="rendered", ags=ags, doc_id=new_id, state="rendered")
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="superseded", ags=ags, doc_id=old.doc_id,
                         state="superseded")
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="decision", ags=ags, doc_id=new_id, state="verified",
                         reason="Original per Post, geprüft von Frau K.")
    return new_id


def test_history_lists_every_event_of_all_versions_in_order(runner, mixed_round):
    out = mixed_round / "out"
    new_id = supersede(out, BORKEN)
    result = history(runner, mixed_round, BORKEN, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    connection = sqlite3.connect(out / "ledger.sqlite")
    expected = connection.execute("SELECT id, kind, state, reason, doc_id FROM events WHERE ags = ? ORDER BY id",
                                  (BORKEN,)).fetchall()
    assert [(e["id"], e["kind"], e["state"], e["reason"], e["doc_id"]) for e in data["events"]] == expected
    assert [e["kind"] for e in data["events"]] == ["rendered", "sent", "checkin", "rendered", "superseded",
                                                   "decision"]
    assert [e["version"] for e in data["events"]] == [1, 1, 1, 2, 1, 2]
    assert data["events"][-1]["doc_id"] == new_id
    assert data["events"][2]["details"] == {"upload": f"scan {BORKEN}.pdf", "pages": [1, 2]}
    assert data["bezeichnung"] == "Kreis Borken" and data["ags"] == BORKEN

    table = history(runner, mixed_round, BORKEN)
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0] == f"History of {BORKEN} Kreis Borken, round {ROUND_ID}: 6 event(s), times UTC"
    assert lines[2].split() == ["when", "kind", "state", "version", "actor"]
    rows = [line for line in lines[4:] if line[:4].isdigit()]  # an event's row starts with its time
    assert [line.split()[2] for line in rows] == ["rendered", "sent", "checkin", "rendered", "superseded",
                                                  "decision"]
    checkin = "\n".join(lines[lines.index(rows[2]):lines.index(rows[3])])  # its row and the lines beneath
    assert "2024-06-03 10:00" in checkin and "reason: page 2 is not signed" in checkin
    assert f"file: {int(BORKEN):064d}"[:18] in checkin and f"{int(BORKEN):064d}"[:13] not in checkin  # short sha
    assert "details: pages=[1, 2], upload=scan 05554.pdf" in checkin
    assert "reason: Original per Post, geprüft von Frau K." in lines[-1]


def test_the_history_table_fits_a_terminal_of_100_columns(runner, mixed_round):
    """The reason and the details wrap beneath their event; nothing of them is lost, JSON has them whole."""
    data = json.loads(history(runner, mixed_round, BORKEN, "--format", "json").output)
    long_upload = "Rücksendung des Kreises Borken, eingescannt im Bürgerbüro am dritten Juni, zweite Fassung.pdf"
    with Ledger.open(mixed_round / "out") as ledger, ledger.transaction() as cursor:
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="upload", ags=BORKEN, doc_id=data["events"][2]["doc_id"],
                         reason="the upload held no page of this document; " * 4, details={"upload": long_upload})
    lines = history(runner, mixed_round, BORKEN).output.splitlines()
    assert max(map(len, lines[1:])) <= 100, [line for line in lines if len(line) > 100]
    text = " ".join(" ".join(lines).split())
    assert ("reason: " + "the upload held no page of this document; " * 4).strip() in text
    assert f"upload={long_upload}" in text


def test_history_finds_a_key_without_its_leading_zero_and_refuses_unknown_ones(runner, mixed_round):
    trimmed = history(runner, mixed_round, ALFTER.lstrip("0"), "--format", "json")
    assert trimmed.exit_code == 0 and json.loads(trimmed.output)["ags"] == ALFTER
    unknown = history(runner, mixed_round, "05999999")
    assert unknown.exit_code == 2
    assert "AGS '05999999': no document of round 2024-05" in unknown.output
    by_name = history(runner, mixed_round, "borken")
    assert by_name.exit_code == 2 and f"did you mean {BORKEN} (Kreis Borken)" in by_name.output

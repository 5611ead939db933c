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
    body = lines[4:]
    assert [line.split()[2] for line in body] == ["rendered", "sent", "checkin", "rendered", "superseded",
                                                  "decision"]
    checkin = body[2]
    assert "2024-06-03 10:00" in checkin and "page 2 is not signed" in checkin
    assert f"{int(BORKEN):064d}"[:12] in checkin and f"{int(BORKEN):064d}"[:13] not in checkin  # short sha
    assert "Original per Post, geprüft von Frau K." in body[5]


def test_history_finds_a_key_without_its_leading_zero_and_refuses_unknown_ones(runner, mixed_round):
    trimmed = history(runner, mixed_round, ALFTER.lstrip("0"), "--format", "json")
    assert trimmed.exit_code == 0 and json.loads(trimmed.output)["ags"] == ALFTER
    unknown = history(runner, mixed_round, "05999999")
    assert unknown.exit_code == 2
    assert "AGS '05999999': no document of round 2024-05" in unknown.output
    by_name = history(runner, mixed_round, "borken")
    assert by_name.exit_code == 2 and f"did you mean {BORKEN} (Kreis Borken)" in by_name.output

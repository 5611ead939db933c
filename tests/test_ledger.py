"""The ledger: schema, WAL, append-only events, derived state, a clear message when locked."""

import sqlite3

import pytest

from pipeline.errors import LedgerError
from pipeline.ledger import SCHEMA_VERSION, Ledger


def test_schema_version_and_wal(tmp_path):
    with Ledger.open(tmp_path) as ledger:
        assert ledger.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert ledger.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with Ledger.open(tmp_path) as ledger:  # opening again migrates nothing and keeps data
        assert ledger.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_events_are_append_only(tmp_path):
    with Ledger.open(tmp_path) as ledger:
        with ledger.transaction() as cursor:
            ledger.add_event(cursor, round_id="R", kind="note", reason="hello")
        for statement in ("UPDATE events SET reason = 'x'", "DELETE FROM events"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                ledger.connection.execute(statement)
        assert [row["reason"] for row in ledger.events("R")] == ["hello"]


def test_a_failed_transaction_leaves_nothing(tmp_path):
    with Ledger.open(tmp_path) as ledger:
        with pytest.raises(RuntimeError):
            with ledger.transaction() as cursor:
                ledger.add_event(cursor, round_id="R", kind="note")
                raise RuntimeError("crash in the middle")
        assert ledger.events("R") == []


def test_unknown_state_is_refused(tmp_path):
    with Ledger.open(tmp_path) as ledger, pytest.raises(ValueError):
        with ledger.transaction() as cursor:
            ledger.add_event(cursor, round_id="R", kind="x", state="lost")


def test_a_ledger_from_a_newer_version_is_refused(tmp_path):
    connection = sqlite3.connect(tmp_path / "ledger.sqlite")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(LedgerError, match="newer"):
        Ledger.open(tmp_path)


def test_a_locked_ledger_gives_a_clear_message(tmp_path, monkeypatch):
    import pipeline.ledger.connection as ledger_module

    monkeypatch.setattr(ledger_module, "BUSY_TIMEOUT_SECONDS", 0.2)
    with Ledger.open(tmp_path) as holder, Ledger.open(tmp_path) as waiter:
        with holder.transaction():
            with pytest.raises(LedgerError, match="locked by another engagiert process"):
                with waiter.transaction():
                    pass

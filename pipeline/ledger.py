"""The status ledger: one SQLite file, WAL mode, an append-only event log and the documents it is about.

Current state is never stored, only derived: the newest event of a document that carries a state wins
(view ``document_status``). Triggers refuse UPDATE and DELETE on ``events``, so the audit trail stays
complete. Every write happens in one transaction; a second process waits for the lock (busy timeout)
instead of failing with "database is locked".
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import LedgerError

LEDGER_FILE = "ledger.sqlite"
SCHEMA_VERSION = 2
BUSY_TIMEOUT_SECONDS = 60

STATES = ("rendered", "sent", "incomplete", "verified", "rejected", "needs_review", "superseded")

MIGRATIONS = {
    1: """
    CREATE TABLE documents (
        doc_id      TEXT PRIMARY KEY,
        round       TEXT NOT NULL,
        ags         TEXT NOT NULL,
        version     INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,   -- sha256 of everything printed: same fingerprint, same document
        sha256      TEXT NOT NULL,   -- of the rendered PDF
        path        TEXT NOT NULL,   -- relative to the output folder
        pages       INTEGER NOT NULL,
        geometry    TEXT NOT NULL,   -- JSON: signature box and QR boxes per page, PDF points
        signatory   TEXT NOT NULL,   -- JSON: the CSV row the document was made from
        rendered_at TEXT NOT NULL,
        UNIQUE (round, ags, version)
    );
    CREATE TABLE events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          TEXT NOT NULL,
        round       TEXT NOT NULL,
        ags         TEXT,
        doc_id      TEXT REFERENCES documents(doc_id),
        kind        TEXT NOT NULL,   -- rendered, superseded, sent, reminder, decision, upload, ...
        state       TEXT,            -- the document's state from now on; NULL if the event changes none
        reason      TEXT,
        actor       TEXT NOT NULL,
        file_sha256 TEXT,
        details     TEXT             -- JSON
    );
    CREATE INDEX events_by_document ON events (doc_id, id) WHERE state IS NOT NULL;
    CREATE INDEX events_by_round ON events (round, kind);
    CREATE INDEX documents_by_ags ON documents (round, ags, version);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE VIEW document_status AS
        SELECT d.*, e.state AS state, e.at AS since, e.reason AS reason
        FROM documents d
        JOIN events e ON e.id = (SELECT max(id) FROM events
                                 WHERE events.doc_id = d.doc_id AND events.state IS NOT NULL);
    """,
    # Check-in: every upload by content hash, and which of a document's pages arrived in which upload.
    2: """
    CREATE TABLE uploads (
        sha256        TEXT PRIMARY KEY,  -- the same bytes twice are recognised here and change nothing
        round         TEXT NOT NULL,
        original_name TEXT NOT NULL,     -- the name it had in the inbox (for the clerk; never used as a path)
        stored_path   TEXT NOT NULL,     -- where the file is now, relative to the output folder
        size          INTEGER NOT NULL,
        received_at   TEXT NOT NULL,
        outcome       TEXT NOT NULL,     -- matched (some pages belong to our documents), unmatched, refused
        reason        TEXT,
        details       TEXT               -- JSON: per page what was found
    );
    CREATE TABLE pages (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id        TEXT NOT NULL REFERENCES documents(doc_id),
        page          INTEGER NOT NULL,  -- page of the document (1-based)
        upload_sha256 TEXT NOT NULL REFERENCES uploads(sha256),
        source_page   INTEGER NOT NULL,  -- page or frame of the upload it came from (1-based)
        ink           TEXT,              -- signature box: signed, blank, ambiguous; NULL on pages without one
        details       TEXT,              -- JSON: how it was read (QR, text layer), ink figures, rotation
        received_at   TEXT NOT NULL,
        UNIQUE (doc_id, page, upload_sha256)
    );
    CREATE INDEX pages_by_document ON pages (doc_id, page);
    CREATE INDEX uploads_by_round ON uploads (round);
    """,
}


def now_iso() -> str:
    """UTC now; ENGAGIERT_NOW (ISO date or datetime) pins it for tests and for back-dating a dispatch."""
    pinned = os.environ.get("ENGAGIERT_NOW")
    if pinned:
        moment = dt.datetime.fromisoformat(pinned)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def current_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    round: str
    ags: str
    version: int
    fingerprint: str
    sha256: str
    path: str
    pages: int
    geometry: dict
    signatory: dict
    rendered_at: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> DocumentRecord:
        values = {key: row[key] for key in cls.__dataclass_fields__}
        values["geometry"] = json.loads(values["geometry"])
        values["signatory"] = json.loads(values["signatory"])
        return cls(**values)


class Ledger:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            self.connection.row_factory = sqlite3.Row
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"{self.path}: cannot open the ledger ({exc})") from exc

    @classmethod
    def open(cls, out: Path) -> Ledger:
        return cls(Path(out) / LEDGER_FILE)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self.connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LedgerError(f"{self.path}: written by a newer engagiert (schema {version}); update first")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction() as cursor:
                for statement in _split_sql(MIGRATIONS[target]):
                    cursor.execute(statement)
                cursor.execute(f"PRAGMA user_version = {target}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """One IMMEDIATE transaction: takes the write lock up front, so two writers queue, not deadlock."""
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(f"{self.path}: the ledger stayed locked by another engagiert process for "
                              f"{BUSY_TIMEOUT_SECONDS} s; try again when it has finished ({exc})") from exc
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    # --- writing --------------------------------------------------------------------------------

    @staticmethod
    def add_event(cursor: sqlite3.Cursor, *, round_id: str, kind: str, ags: str | None = None,
                  doc_id: str | None = None, state: str | None = None, reason: str | None = None,
                  file_sha256: str | None = None, details: dict | None = None, at: str | None = None) -> None:
        if state is not None and state not in STATES:
            raise ValueError(f"unknown state {state!r}")
        cursor.execute(
            "INSERT INTO events (at, round, ags, doc_id, kind, state, reason, actor, file_sha256, details) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (at or now_iso(), round_id, ags, doc_id, kind, state, reason, current_actor(), file_sha256,
             json.dumps(details, ensure_ascii=False, sort_keys=True) if details else None),
        )

    @staticmethod
    def add_document(cursor: sqlite3.Cursor, record: DocumentRecord) -> None:
        cursor.execute(
            "INSERT INTO documents (doc_id, round, ags, version, fingerprint, sha256, path, pages, geometry, "
            "signatory, rendered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record.doc_id, record.round, record.ags, record.version, record.fingerprint, record.sha256,
             record.path, record.pages, json.dumps(record.geometry, sort_keys=True),
             json.dumps(record.signatory, ensure_ascii=False, sort_keys=True), record.rendered_at),
        )

    # --- reading --------------------------------------------------------------------------------

    def latest_documents(self, round_id: str) -> dict[str, DocumentRecord]:
        """The newest version per AGS in a round."""
        rows = self.connection.execute(
            "SELECT * FROM documents d WHERE round = ? AND version = "
            "(SELECT max(version) FROM documents WHERE round = d.round AND ags = d.ags)", (round_id,))
        return {row["ags"]: DocumentRecord.from_row(row) for row in rows}

    def document(self, doc_id: str) -> DocumentRecord | None:
        row = self.connection.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return DocumentRecord.from_row(row) if row else None

    def status_rows(self, round_id: str) -> list[sqlite3.Row]:
        return self.connection.execute(
            "SELECT * FROM document_status WHERE round = ? ORDER BY ags, version", (round_id,)).fetchall()

    def state_event(self, doc_id: str) -> sqlite3.Row | None:
        """The newest event that set this document's state (its state, reason, details)."""
        return self.connection.execute("SELECT * FROM events WHERE doc_id = ? AND state IS NOT NULL "
                                       "ORDER BY id DESC LIMIT 1", (doc_id,)).fetchone()

    def received_pages(self, doc_id: str) -> list[sqlite3.Row]:
        """Every page of a document received so far, oldest first, with where its upload is stored."""
        return self.connection.execute(
            "SELECT p.page, p.ink, p.upload_sha256, p.source_page, p.details, u.stored_path, "
            "u.details AS upload_details FROM pages p JOIN uploads u ON u.sha256 = p.upload_sha256 "
            "WHERE p.doc_id = ? ORDER BY p.id", (doc_id,)).fetchall()

    def pages_received(self, round_id: str) -> dict[str, list[int]]:
        """Per document id, the distinct page numbers that have arrived so far (over all uploads)."""
        rows = self.connection.execute(
            "SELECT p.doc_id, p.page FROM pages p JOIN documents d ON d.doc_id = p.doc_id "
            "WHERE d.round = ? GROUP BY p.doc_id, p.page ORDER BY p.doc_id, p.page", (round_id,))
        received: dict[str, list[int]] = {}
        for row in rows:
            received.setdefault(row["doc_id"], []).append(row["page"])
        return received

    def events(self, round_id: str | None = None, ags: str | None = None) -> list[sqlite3.Row]:
        clauses, params = [], []
        if round_id:
            clauses.append("round = ?")
            params.append(round_id)
        if ags:
            clauses.append("ags = ?")
            params.append(ags)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return self.connection.execute(f"SELECT * FROM events {where} ORDER BY id", params).fetchall()


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements; trigger bodies keep their inner semicolons."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        joined = "\n".join(current).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            statements.append(joined)
            current = []
    if "\n".join(current).strip():
        statements.append("\n".join(current).strip())
    return statements

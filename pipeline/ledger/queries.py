"""Named reads of the ledger: every question the stages ask, in SQL, in one place."""

from __future__ import annotations

import json
import sqlite3

from ..states import EventKind, State
from .records import DocumentRecord

# One pass in SQLite does the work (json_extract in C costs less than json.loads per row in Python):
# the current version per AGS with its state, its newest dispatch date (the date the clerk gave, else the
# day of the event) and the municipality's newest reminder. Fast enough for 10,800 documents in well
# under 0.5 s, including Python's start-up.
# The current version of a municipality is its newest version that is not superseded (a clerk may accept
# a signed older version instead of the newest), else its newest.
_CURRENT_STATUS_SQL = f"""
WITH latest AS MATERIALIZED (
    SELECT ags, coalesce(max(CASE WHEN state != '{State.SUPERSEDED}' THEN version END), max(version)) AS version
    FROM document_status WHERE round = :round {{only}} GROUP BY ags
), current AS (
    SELECT s.* FROM latest l JOIN document_status s ON s.round = :round AND s.ags = l.ags AND s.version = l.version
), sent AS MATERIALIZED (
    SELECT doc_id, max(id) AS event_id FROM events WHERE round = :round AND kind = '{EventKind.SENT}' GROUP BY doc_id
), reminded AS MATERIALIZED (
    SELECT ags, max(at) AS last_reminder FROM events WHERE round = :round AND kind = '{EventKind.REMINDER}'
    GROUP BY ags
)
SELECT c.ags, c.doc_id, c.state, c.since, c.reason, c.version, c.pages, c.path, c.signatory,
       json_extract(c.signatory, '$.name') AS name, json_extract(c.signatory, '$.bezeichnung') AS bezeichnung,
       json_extract(c.signatory, '$.regierungsbezirk') AS regierungsbezirk,
       json_extract(c.signatory, '$.kreis') AS kreis, json_extract(c.signatory, '$.typ') AS typ,
       json_extract(c.signatory, '$.email') AS email, reminded.last_reminder,
       coalesce(json_extract(e.details, '$.date'), substr(e.at, 1, 10)) AS sent_at,
       (SELECT details FROM events WHERE id = (SELECT max(id) FROM events WHERE doc_id = c.doc_id
                                                AND state IS NOT NULL)) AS state_details
FROM current c LEFT JOIN sent ON sent.doc_id = c.doc_id LEFT JOIN events e ON e.id = sent.event_id
     LEFT JOIN reminded ON reminded.ags = c.ags
ORDER BY c.ags
"""
_ONLY_THESE = "AND ags IN (SELECT value FROM json_each(:only))"


class LedgerQueries:
    """Mixed into ``Ledger``: reads through its ``connection``."""

    connection: sqlite3.Connection

    # --- documents ------------------------------------------------------------------------------

    def has_documents(self, round_id: str) -> bool:
        return self.connection.execute("SELECT 1 FROM documents WHERE round = ? LIMIT 1", (round_id,)).fetchone() \
            is not None

    def latest_documents(self, round_id: str) -> dict[str, DocumentRecord]:
        """The newest version per AGS in a round."""
        rows = self.connection.execute(
            "SELECT * FROM documents d WHERE round = ? AND version = "
            "(SELECT max(version) FROM documents WHERE round = d.round AND ags = d.ags)", (round_id,))
        return {row["ags"]: DocumentRecord.from_row(row) for row in rows}

    def document(self, doc_id: str) -> DocumentRecord | None:
        row = self.connection.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return DocumentRecord.from_row(row) if row else None

    def all_documents(self) -> list[DocumentRecord]:
        """Every document of every round, every version."""
        rows = self.connection.execute("SELECT * FROM documents ORDER BY doc_id")
        return [DocumentRecord.from_row(row) for row in rows]

    def all_document_states(self) -> list[sqlite3.Row]:
        """doc_id and derived state of every document (the view the status is read from)."""
        return self.connection.execute("SELECT doc_id, state FROM document_status ORDER BY doc_id").fetchall()

    def all_uploads(self) -> list[sqlite3.Row]:
        return self.connection.execute("SELECT * FROM uploads ORDER BY received_at, sha256").fetchall()

    def integrity_problems(self) -> list[str]:
        """What SQLite's own checks find wrong with the file and its references (empty: all is well)."""
        problems = [f"SQLite integrity_check: {row[0]}" for row in self.connection.execute("PRAGMA integrity_check")
                    if row[0] != "ok"]
        problems += [f"SQLite foreign_key_check: a row of {row[0]} points at a missing {row[2]} row"
                     for row in self.connection.execute("PRAGMA foreign_key_check")]
        return problems

    def current_document(self, round_id: str, ags: str) -> DocumentRecord | None:
        """The newest version for a municipality, read now (a render may have run beside us)."""
        row = self.connection.execute("SELECT * FROM documents WHERE round = ? AND ags = ? "
                                      "ORDER BY version DESC LIMIT 1", (round_id, ags)).fetchone()
        return DocumentRecord.from_row(row) if row else None

    def versions(self, round_id: str, ags: str) -> dict[str, int]:
        """doc id → version, for every version of a municipality's document."""
        return {row["doc_id"]: row["version"] for row in self.connection.execute(
            "SELECT doc_id, version FROM documents WHERE round = ? AND ags = ?", (round_id, ags))}

    def designations(self, round_id: str) -> list[tuple[str, str]]:
        """(AGS, designation) of every municipality with a document in the round, by AGS."""
        return [(row["ags"], row["bezeichnung"] or "") for row in self.connection.execute(
            "SELECT DISTINCT ags, json_extract(signatory, '$.bezeichnung') AS bezeichnung FROM documents "
            "WHERE round = ? ORDER BY ags", (round_id,))]

    # --- states -------------------------------------------------------------------------------

    def status_rows(self, round_id: str) -> list[sqlite3.Row]:
        """Every document of the round (every version) with its derived state."""
        return self.connection.execute(
            "SELECT * FROM document_status WHERE round = ? ORDER BY ags, version", (round_id,)).fetchall()

    def current_status_rows(self, round_id: str, only: set[str] | None = None) -> list[sqlite3.Row]:
        """Per municipality its current version: state, since, reason, dispatch date, last reminder, and
        the row's name, designation, district, type and e-mail; `only`: just these municipalities (AGS)."""
        if only is None:
            return self.connection.execute(_CURRENT_STATUS_SQL.format(only=""), {"round": round_id}).fetchall()
        return self.connection.execute(_CURRENT_STATUS_SQL.format(only=_ONLY_THESE),
                                       {"round": round_id, "only": json.dumps(sorted(only))}).fetchall()

    def last_event_id(self) -> int:
        return self.connection.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]

    def municipalities_with_events_after(self, round_id: str, event_id: int) -> set[str]:
        """AGS of every municipality an event after `event_id` concerns (by its AGS or its document's)."""
        return {row[0] for row in self.connection.execute(
            "SELECT DISTINCT coalesce(e.ags, d.ags) FROM events e LEFT JOIN documents d ON d.doc_id = e.doc_id "
            "WHERE e.id > ? AND e.round = ? AND coalesce(e.ags, d.ags) IS NOT NULL", (event_id, round_id))}

    def count_in_state(self, round_id: str, state: str) -> int:
        """How many documents of the round (every version) are in `state` now."""
        return self.connection.execute("SELECT count(*) FROM document_status WHERE round = ? AND state = ?",
                                       (round_id, str(state))).fetchone()[0]

    def state_event(self, doc_id: str) -> sqlite3.Row | None:
        """The newest event that set this document's state (its state, reason, details)."""
        return self.connection.execute("SELECT * FROM events WHERE doc_id = ? AND state IS NOT NULL "
                                       "ORDER BY id DESC LIMIT 1", (doc_id,)).fetchone()

    def returned_since(self, round_id: str, since: str) -> set[str]:
        """AGS of the municipalities whose copies were checked in at or after `since` (ISO time)."""
        return {row[0] for row in self.connection.execute(
            "SELECT DISTINCT ags FROM events WHERE round = ? AND kind = ? AND at >= ?",
            (round_id, str(EventKind.CHECKIN), since))}

    def pending_drafts(self, round_id: str) -> list[sqlite3.Row]:
        """Reminder drafts (.eml) written but not yet recorded as sent: no reminder event names their file."""
        return self.connection.execute(
            "SELECT * FROM events e WHERE e.round = ? AND e.kind = ? AND NOT EXISTS (SELECT 1 FROM events r "
            "WHERE r.round = e.round AND r.kind = ? AND json_extract(r.details, '$.file') = "
            "json_extract(e.details, '$.file')) ORDER BY e.id",
            (round_id, str(EventKind.REMINDER_PREPARED), str(EventKind.REMINDER))).fetchall()

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

    # --- uploads and pages --------------------------------------------------------------------

    def upload(self, sha256: str) -> sqlite3.Row | None:
        return self.connection.execute("SELECT * FROM uploads WHERE sha256 = ?", (sha256,)).fetchone()

    def stored_upload_paths(self) -> set[str]:
        """Where every recorded upload is stored (relative to the output folder)."""
        return {row[0] for row in self.connection.execute("SELECT stored_path FROM uploads")}

    def received_pages(self, doc_id: str) -> list[sqlite3.Row]:
        """Every page of a document received so far, oldest first, with where its upload is stored."""
        return self.connection.execute(
            "SELECT p.page, p.ink, p.upload_sha256, p.source_page, p.details, p.received_at, u.stored_path, "
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

    # --- returns by e-mail --------------------------------------------------------------------

    def message(self, sha256: str) -> sqlite3.Row | None:
        return self.connection.execute("SELECT * FROM messages WHERE sha256 = ?", (sha256,)).fetchone()

    def message_with_id(self, message_id: str) -> sqlite3.Row | None:
        """The message recorded under this Message-ID (any round, any way it came in)."""
        return self.connection.execute("SELECT * FROM messages WHERE message_id = ?", (message_id,)).fetchone()

    def all_messages(self) -> list[sqlite3.Row]:
        """Every mail or archive recorded ([] in a ledger opened read-only before migration 3 made the table)."""
        try:
            return self.connection.execute("SELECT * FROM messages ORDER BY received_at, sha256").fetchall()
        except sqlite3.OperationalError:
            return []

    def message_parts(self, message_sha256: str) -> list[sqlite3.Row]:
        return self.connection.execute("SELECT * FROM message_parts WHERE message_sha256 = ? ORDER BY position",
                                       (message_sha256,)).fetchall()

    def stored_message_paths(self) -> set[str]:
        return {row[0] for row in self.connection.execute("SELECT stored_path FROM messages")}

    def mailbox_uids(self, mailbox: str, uidvalidity: int) -> set[int]:
        """The UIDs of a mailbox already taken (or known by Message-ID) under this UIDVALIDITY."""
        return {row[0] for row in self.connection.execute(
            "SELECT uid FROM mailbox_messages WHERE mailbox = ? AND uidvalidity = ?", (mailbox, uidvalidity))}

    def reply(self, message_sha256: str) -> sqlite3.Row | None:
        return self.connection.execute("SELECT * FROM replies WHERE message_sha256 = ?",
                                       (message_sha256,)).fetchone()

    def replies_due(self, round_id: str) -> list[sqlite3.Row]:
        """Answers planned but not sent yet (pending), or refused by the server last time (failed)."""
        return self.connection.execute(
            "SELECT r.*, m.sender, m.reply_to, m.subject, m.message_id, m.sender_name, m.sent_at, m.received_at "
            "FROM replies r "
            "JOIN messages m ON m.sha256 = r.message_sha256 WHERE m.round = ? AND r.state IN ('pending', 'failed') "
            "ORDER BY m.received_at, m.sha256", (round_id,)).fetchall()

    def upload_outcomes(self, sha256s: list[str]) -> dict[str, sqlite3.Row]:
        """The upload rows of these hashes (what became of each part of a message)."""
        found: dict[str, sqlite3.Row] = {}
        for sha in dict.fromkeys(sha256s):
            row = self.upload(sha)
            if row is not None:
                found[sha] = row
        return found

    def document_events_of_upload(self, sha256: str) -> list[sqlite3.Row]:
        """The events an upload caused on documents (check-in verdicts and notes), oldest first."""
        return self.connection.execute("SELECT * FROM events WHERE file_sha256 = ? AND doc_id IS NOT NULL "
                                       "ORDER BY id", (sha256,)).fetchall()


def details_of(row: sqlite3.Row | None, column: str = "details") -> dict:
    """A JSON column of a row as a dict ({} when empty or absent)."""
    if row is None or row[column] is None:
        return {}
    return json.loads(row[column])

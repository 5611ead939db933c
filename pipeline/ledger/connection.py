"""Opening the ledger, migrating it, transactions, and every write (events, documents, uploads, pages)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import LedgerError
from ..i18n import DeferredText, _
from ..states import STATES
from . import schema
from .portal import PortalLedger
from .queries import LedgerQueries
from .records import DocumentRecord, current_actor, now_iso

LEDGER_FILE = "ledger.sqlite"
BUSY_TIMEOUT_SECONDS = 60


class Ledger(LedgerQueries, PortalLedger):
    def __init__(self, path: Path, timeout: float | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.timeout = BUSY_TIMEOUT_SECONDS if timeout is None else timeout
        try:
            self.connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            self.connection.row_factory = sqlite3.Row
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise LedgerError(_("{file}: cannot open the ledger ({error})").format(file=self.path, error=exc)) from exc

    @classmethod
    def open(cls, out: Path) -> Ledger:
        return cls(Path(out) / LEDGER_FILE)

    @classmethod
    def existing(cls, out: Path) -> Ledger:
        """The ledger of `out` for a command that works on a round already rendered: a wrong --out is an
        error naming the folder, and leaves nothing behind (Ledger.open would create an empty ledger)."""
        from ..errors import InvalidInputError

        path = Path(out) / LEDGER_FILE
        if not path.is_file():
            raise InvalidInputError(_("{file}: no ledger here; run `engagiert render --out {out}` first (or give "
                                      "the right --out)").format(file=path, out=out))
        return cls(path)

    @classmethod
    @contextmanager
    def open_existing(cls, out: Path) -> Iterator[Ledger | None]:
        """The ledger of `out` opened read-only, or None when there is none yet: for looking without
        writing anything (a dry run, an audit)."""
        path = Path(out) / LEDGER_FILE
        if not path.is_file():
            yield None
            return
        ledger = cls.__new__(cls)
        ledger.path, ledger.timeout = path, BUSY_TIMEOUT_SECONDS
        try:
            ledger.connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                                timeout=ledger.timeout, isolation_level=None)
            ledger.connection.row_factory = sqlite3.Row
        except sqlite3.DatabaseError as exc:
            raise LedgerError(_("{file}: cannot open the ledger ({error})").format(file=path, error=exc)) from exc
        try:
            yield ledger
        finally:
            ledger.close()

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self.connection.execute("PRAGMA user_version").fetchone()[0]
        if version > schema.SCHEMA_VERSION:
            raise LedgerError(_("{file}: written by a newer engagiert (schema {version}); update first").format(
                file=self.path, version=version))
        for target in range(version + 1, schema.SCHEMA_VERSION + 1):
            with self.transaction() as cursor:
                for statement in schema.split_sql(schema.MIGRATIONS[target]):
                    cursor.execute(statement)
                cursor.execute(f"PRAGMA user_version = {target}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """One IMMEDIATE transaction: takes the write lock up front, so two writers queue, not deadlock."""
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(_("{file}: the ledger stayed locked by another engagiert process for {seconds:g} s; try "
                                "again when it has finished ({error})").format(file=self.path, seconds=self.timeout,
                                                                               error=exc)) from exc
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    # --- writing (inside a transaction's cursor) ------------------------------------------------

    @staticmethod
    def add_event(cursor: sqlite3.Cursor, *, round_id: str, kind: str, ags: str | None = None,
                  doc_id: str | None = None, state: str | None = None, reason: str | None = None,
                  file_sha256: str | None = None, details: dict | None = None, at: str | None = None,
                  actor: str | None = None) -> None:
        if state is not None and state not in STATES:
            raise ValueError(f"unknown state {state!r}")
        if isinstance(reason, DeferredText):  # its source beside the English, for a reader in another language
            details = {**(details or {}), "reason_source": reason.source()}
        cursor.execute(
            "INSERT INTO events (at, round, ags, doc_id, kind, state, reason, actor, file_sha256, details) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (at or now_iso(), round_id, ags, doc_id, str(kind), None if state is None else str(state), reason,
             actor or current_actor(), file_sha256,
             json.dumps(details, ensure_ascii=False, sort_keys=True) if details else None),
        )

    @staticmethod
    def add_document(cursor: sqlite3.Cursor, record: DocumentRecord) -> None:
        cursor.execute(
            "INSERT INTO documents (doc_id, round, ags, version, fingerprint, sha256, path, pages, geometry, "
            "signatory, rendered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record.doc_id, record.round, record.ags, record.version, record.fingerprint, record.sha256,
             record.path, record.pages, record.geometry.to_json(),
             json.dumps(record.signatory, ensure_ascii=False, sort_keys=True), record.rendered_at),
        )

    @staticmethod
    def upload_known(cursor: sqlite3.Cursor, sha256: str) -> bool:
        """Whether these bytes were recorded already, read inside the writing transaction (a parallel
        check-in may have recorded them a moment ago)."""
        return cursor.execute("SELECT 1 FROM uploads WHERE sha256 = ?", (sha256,)).fetchone() is not None

    @staticmethod
    def add_upload(cursor: sqlite3.Cursor, *, sha256: str, round_id: str, original_name: str, stored_path: str,
                   size: int, received_at: str, outcome: str, reason: str | None = None,
                   details: dict | None = None) -> None:
        cursor.execute("INSERT INTO uploads (sha256, round, original_name, stored_path, size, received_at, outcome, "
                       "reason, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (sha256, round_id, original_name, stored_path, size, received_at, str(outcome), reason,
                        None if details is None else json.dumps(details, ensure_ascii=False)))

    @staticmethod
    def add_page(cursor: sqlite3.Cursor, *, doc_id: str, page: int, upload_sha256: str, source_page: int,
                 ink: str | None, details: dict, received_at: str) -> None:
        """A page of a document as found in an upload (the same page of the same upload once only)."""
        cursor.execute("INSERT OR IGNORE INTO pages (doc_id, page, upload_sha256, source_page, ink, details, "
                       "received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (doc_id, page, upload_sha256, source_page, ink, json.dumps(details), received_at))

    # --- returns by e-mail (migration 3) ----------------------------------------------------------

    @staticmethod
    def add_message(cursor: sqlite3.Cursor, *, sha256: str, round_id: str, kind: str, original_name: str,
                    stored_path: str, size: int, received_at: str, outcome: str, reason: str | None = None,
                    message_id: str | None = None, sender: str | None = None, sender_name: str | None = None,
                    reply_to: str | None = None, subject: str | None = None, sent_at: str | None = None,
                    details: dict | None = None) -> None:
        cursor.execute("INSERT INTO messages (sha256, round, kind, message_id, sender, sender_name, reply_to, "
                       "subject, sent_at, original_name, stored_path, size, received_at, outcome, reason, details) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (sha256, round_id, kind, message_id, sender, sender_name, reply_to, subject, sent_at,
                        original_name, stored_path, size, received_at, str(outcome), reason,
                        None if details is None else json.dumps(details, ensure_ascii=False, sort_keys=True)))

    @staticmethod
    def add_message_part(cursor: sqlite3.Cursor, *, message_sha256: str, position: int, name: str,
                         content_type: str | None, size: int, sha256: str | None, upload_sha256: str | None,
                         outcome: str, reason: str | None = None) -> None:
        cursor.execute("INSERT INTO message_parts (message_sha256, position, name, content_type, size, sha256, "
                       "upload_sha256, outcome, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (message_sha256, position, name, content_type, size, sha256, upload_sha256, outcome,
                        reason))

    @staticmethod
    def add_mailbox_message(cursor: sqlite3.Cursor, *, mailbox: str, uidvalidity: int, uid: int,
                            message_sha256: str) -> None:
        """Where a mailbox holds a message we have: (UIDVALIDITY, UID) seen, so it is not fetched again."""
        cursor.execute("INSERT OR IGNORE INTO mailbox_messages (mailbox, uidvalidity, uid, message_sha256, seen_at) "
                       "VALUES (?, ?, ?, ?, ?)", (mailbox, uidvalidity, uid, message_sha256, now_iso()))

    @staticmethod
    def add_reply(cursor: sqlite3.Cursor, message_sha256: str, *, state: str, recipient: str | None = None,
                  reason: str | None = None) -> None:
        """The answer to a message, planned (pending) or not to be sent (why); at most one row per message."""
        cursor.execute("INSERT OR IGNORE INTO replies (message_sha256, recipient, state, reason, at) "
                       "VALUES (?, ?, ?, ?, ?)", (message_sha256, recipient, state, reason, now_iso()))

    @staticmethod
    def claim_reply(cursor: sqlite3.Cursor, message_sha256: str) -> bool:
        """Take a pending (or failed) answer for sending. A claimed one that never came back as sent or failed
        (a crash while sending) is never claimed again: a message gets one answer at most."""
        return cursor.execute("UPDATE replies SET state = 'sending', at = ? WHERE message_sha256 = ? AND "
                              "state IN ('pending', 'failed')", (now_iso(), message_sha256)).rowcount == 1

    @staticmethod
    def finish_reply(cursor: sqlite3.Cursor, message_sha256: str, *, state: str, reason: str | None = None,
                     reply_message_id: str | None = None) -> None:
        cursor.execute("UPDATE replies SET state = ?, reason = ?, reply_message_id = ?, at = ? "
                       "WHERE message_sha256 = ?", (state, reason, reply_message_id, now_iso(), message_sha256))

"""The web app's rows: private links, clerks' accounts and login sessions, and the uploads that came through
the web (recorded as events of kind ``web_upload``, so the audit trail names who sent what).

Mixed into ``Ledger`` like ``LedgerQueries``: writes take the cursor of a transaction, reads use the
connection. Tokens and session ids are never stored, only their SHA-256.
"""

from __future__ import annotations

import sqlite3

from ..states import EventKind


class PortalLedger:
    connection: sqlite3.Connection

    # --- links ----------------------------------------------------------------------------------

    @staticmethod
    def add_link(cursor: sqlite3.Cursor, *, round_id: str, ags: str, nonce: str, token_sha256: str,
                 issued_at: str, issued_by: str) -> None:
        cursor.execute("INSERT INTO links (round, ags, nonce, token_sha256, issued_at, issued_by) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (round_id, ags, nonce, token_sha256, issued_at, issued_by))

    @staticmethod
    def revoke_links(cursor: sqlite3.Cursor, *, round_id: str, ags: str, at: str, by: str) -> int:
        """End every active link of a municipality; how many there were."""
        return cursor.execute("UPDATE links SET revoked_at = ?, revoked_by = ? WHERE round = ? AND ags = ? "
                              "AND revoked_at IS NULL", (at, by, round_id, ags)).rowcount

    def active_links(self, round_id: str) -> dict[str, sqlite3.Row]:
        """AGS → its active (newest, not revoked) link row."""
        rows = self.connection.execute("SELECT * FROM links WHERE round = ? AND revoked_at IS NULL ORDER BY id",
                                       (round_id,))
        return {row["ags"]: row for row in rows}

    def link_by_token_hash(self, token_sha256: str) -> sqlite3.Row | None:
        return self.connection.execute("SELECT * FROM links WHERE token_sha256 = ?", (token_sha256,)).fetchone()

    # --- clerks and their sessions ----------------------------------------------------------------

    @staticmethod
    def set_clerk(cursor: sqlite3.Cursor, *, name: str, password_hash: str, at: str) -> bool:
        """Add a clerk or change a clerk's password; True if the clerk is new. A changed password ends the
        clerk's open sessions."""
        known = cursor.execute("SELECT 1 FROM clerks WHERE name = ?", (name,)).fetchone() is not None
        if known:
            cursor.execute("UPDATE clerks SET password_hash = ?, changed_at = ? WHERE name = ?",
                           (password_hash, at, name))
            cursor.execute("UPDATE clerk_sessions SET ended_at = ? WHERE clerk = ? AND ended_at IS NULL", (at, name))
        else:
            cursor.execute("INSERT INTO clerks (name, password_hash, created_at, changed_at) VALUES (?, ?, ?, ?)",
                           (name, password_hash, at, at))
        return not known

    def clerk(self, name: str) -> sqlite3.Row | None:
        return self.connection.execute("SELECT * FROM clerks WHERE name = ?", (name,)).fetchone()

    def clerk_names(self) -> list[str]:
        return [row[0] for row in self.connection.execute("SELECT name FROM clerks ORDER BY name")]

    @staticmethod
    def add_session(cursor: sqlite3.Cursor, *, token_sha256: str, clerk: str, csrf: str, created_at: str,
                    expires_at: str) -> None:
        cursor.execute("INSERT INTO clerk_sessions (token_sha256, clerk, csrf, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?, ?)", (token_sha256, clerk, csrf, created_at, expires_at))

    @staticmethod
    def end_session(cursor: sqlite3.Cursor, *, token_sha256: str, at: str) -> None:
        cursor.execute("UPDATE clerk_sessions SET ended_at = ? WHERE token_sha256 = ? AND ended_at IS NULL",
                       (at, token_sha256))

    def session(self, token_sha256: str) -> sqlite3.Row | None:
        return self.connection.execute("SELECT * FROM clerk_sessions WHERE token_sha256 = ?",
                                       (token_sha256,)).fetchone()

    # --- uploads through the web ------------------------------------------------------------------

    def web_uploads(self, round_id: str, ags: str) -> list[sqlite3.Row]:
        """Uploads made through a municipality's link (or by a clerk on its behalf), newest first, with
        what check-in recorded about the file (NULL columns if it was never recorded)."""
        return self.connection.execute(
            "SELECT e.id, e.at, e.actor, e.file_sha256, e.details, u.original_name, u.size, u.outcome, "
            "u.reason AS upload_reason FROM events e LEFT JOIN uploads u ON u.sha256 = e.file_sha256 "
            "WHERE e.round = ? AND e.ags = ? AND e.kind = ? ORDER BY e.id DESC",
            (round_id, ags, str(EventKind.WEB_UPLOAD))).fetchall()

    def web_upload_known(self, round_id: str, ags: str, sha256: str) -> bool:
        """Whether this municipality sent these bytes through the web (its receipt may be shown to it)."""
        return self.connection.execute(
            "SELECT 1 FROM events WHERE round = ? AND ags = ? AND kind = ? AND file_sha256 = ? LIMIT 1",
            (round_id, ags, str(EventKind.WEB_UPLOAD), sha256)).fetchone() is not None

    def events_of_file(self, sha256: str) -> list[sqlite3.Row]:
        """Every event naming these bytes, oldest first: the upload, each document it changed, repeats."""
        return self.connection.execute("SELECT * FROM events WHERE file_sha256 = ? ORDER BY id", (sha256,)).fetchall()

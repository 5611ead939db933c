"""The ledger's schema: one migration per version, applied in order; `PRAGMA user_version` says where a file is."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 4

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
    # Returns by e-mail: each mail (or archive) that carried uploads, which of its parts became which upload,
    # where a mailbox's message was seen, and the one answer to its sender. Self-contained: only this
    # migration knows these tables.
    3: """
    CREATE TABLE messages (
        sha256        TEXT PRIMARY KEY,  -- of the raw message (or archive) as received; stored under that name
        round         TEXT NOT NULL,
        kind          TEXT NOT NULL,     -- eml, msg (Outlook), tnef (winmail.dat), zip
        message_id    TEXT UNIQUE,       -- Message-ID without <>: the same message is never taken twice
        sender        TEXT,              -- the From address, lower case (NULL: an archive, or none given)
        sender_name   TEXT,
        reply_to      TEXT,
        subject       TEXT,
        sent_at       TEXT,              -- its Date header (ISO)
        original_name TEXT NOT NULL,     -- its name in the inbox, or mailbox and UID (for the clerk; never a path)
        stored_path   TEXT NOT NULL,     -- relative to the output folder
        size          INTEGER NOT NULL,
        received_at   TEXT NOT NULL,
        outcome       TEXT NOT NULL,     -- unpacked (its attachments were checked in), refused
        reason        TEXT,
        details       TEXT               -- JSON: auto-reply headers, MIME defects, parts left out
    );
    CREATE TABLE message_parts (
        message_sha256 TEXT NOT NULL REFERENCES messages(sha256),
        position       INTEGER NOT NULL, -- 1-based, in the order found (nested mails and archives included)
        name           TEXT NOT NULL,    -- as the mail named it (for the clerk; never a path)
        content_type   TEXT,
        size           INTEGER NOT NULL,
        sha256         TEXT,             -- of the part's bytes
        upload_sha256  TEXT REFERENCES uploads(sha256),  -- the upload it became; NULL: not checked in
        outcome        TEXT NOT NULL,    -- checked_in, skipped (a logo, a signature), refused
        reason         TEXT,
        PRIMARY KEY (message_sha256, position)
    );
    CREATE TABLE mailbox_messages (
        mailbox        TEXT NOT NULL,    -- user@host/folder
        uidvalidity    INTEGER NOT NULL,
        uid            INTEGER NOT NULL,
        message_sha256 TEXT NOT NULL REFERENCES messages(sha256),
        seen_at        TEXT NOT NULL,
        PRIMARY KEY (mailbox, uidvalidity, uid)
    );
    CREATE TABLE replies (
        message_sha256   TEXT PRIMARY KEY REFERENCES messages(sha256),  -- one answer per message, ever
        recipient        TEXT,
        state            TEXT NOT NULL,  -- sending (claimed; never sent twice), sent, failed (retried), not_sent
        reason           TEXT,
        reply_message_id TEXT,
        at               TEXT NOT NULL
    );
    CREATE INDEX message_parts_by_upload ON message_parts (upload_sha256);
    """,
    # The web app: each municipality's private link (its token is never stored, only its SHA-256), the
    # clerks' accounts (scrypt hashes) and their login sessions (also stored as hashes).
    4: """
    CREATE TABLE links (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        round         TEXT NOT NULL,
        ags           TEXT NOT NULL,
        nonce         TEXT NOT NULL,     -- random; with out/links.secret it gives the token again
        token_sha256  TEXT NOT NULL UNIQUE,
        issued_at     TEXT NOT NULL,
        issued_by     TEXT NOT NULL,
        revoked_at    TEXT,
        revoked_by    TEXT
    );
    CREATE INDEX links_by_municipality ON links (round, ags);
    CREATE TABLE clerks (
        name          TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,     -- scrypt$n$r$p$salt$hash
        created_at    TEXT NOT NULL,
        changed_at    TEXT NOT NULL
    );
    CREATE TABLE clerk_sessions (
        token_sha256  TEXT PRIMARY KEY,
        clerk         TEXT NOT NULL REFERENCES clerks(name),
        csrf          TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL,
        ended_at      TEXT
    );
    CREATE INDEX events_by_file ON events (file_sha256) WHERE file_sha256 IS NOT NULL;
    """,
}


def split_sql(script: str) -> list[str]:
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

"""The status ledger: one SQLite file, WAL mode, an append-only event log and the documents it is about.

Current state is never stored, only derived: the newest event of a document that carries a state wins
(view ``document_status``). Triggers refuse UPDATE and DELETE on ``events``, so the audit trail stays
complete. Every write happens in one transaction; a second process waits for the lock (busy timeout)
instead of failing with "database is locked".

This package is the only code that speaks SQL: ``schema`` (migrations), ``connection`` (opening,
transactions, writes), ``queries`` (named reads), ``records`` (the typed rows it hands out). Everyone
else calls named methods of ``Ledger``.
"""

from ..states import STATES
from .connection import BUSY_TIMEOUT_SECONDS, LEDGER_FILE, Ledger
from .records import DocumentRecord, current_actor, now_iso
from .schema import SCHEMA_VERSION

__all__ = ["BUSY_TIMEOUT_SECONDS", "LEDGER_FILE", "SCHEMA_VERSION", "STATES", "DocumentRecord", "Ledger",
           "current_actor", "now_iso"]

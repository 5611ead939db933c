"""One check-in as a front end runs it: which uploads to read, and the lines that say how it went.

The CLI and (later) the web app call these around ``check_in`` and ``decide``, so neither words a
result differently nor looks for uploads its own way.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidInputError
from ..states import Outcome
from .archive import inbox_files
from .context import Settings
from .results import CheckinSummary, DocumentOutcome


def uploads_to_check(paths: list[Path], settings: Settings) -> list[Path]:
    """The files under `paths` (default: the inbox), listed once: what check_in reads, and how many."""
    targets = list(paths) or [settings.inbox]
    missing = [path for path in targets if not path.exists() and not path.is_symlink()]
    if missing:
        raise InvalidInputError(f"{missing[0]}: not found (the inbox is set by --inbox or [checkin] inbox)")
    return inbox_files(targets)


def summary_line(summary: CheckinSummary) -> str:
    states = ", ".join(f"{count} {state.replace('_', ' ')}" for state, count in sorted(summary.states().items()))
    unpacked = summary.count(Outcome.UNPACKED)  # a mail or archive: its files are counted as the uploads they are
    mails = f" (from {unpacked} mail(s) or archive(s) unpacked)" if unpacked else ""
    return (f"Checked in {len(summary.results) - unpacked} upload(s){mails}: "
            f"{summary.count(Outcome.MATCHED)} with our documents, "
            f"{summary.count(Outcome.UNMATCHED)} unmatched, {summary.count(Outcome.REFUSED)} refused, "
            f"{summary.count(Outcome.DUPLICATE)} already known. Documents: {states or 'none'}.")


def decision_line(outcome: DocumentOutcome) -> str:
    return f"{outcome.bezeichnung} ({outcome.doc_id}): {outcome.state.upper()} by hand: {outcome.reason}"


def settings_line(settings: Settings) -> str:
    """What check-in would use: for `validate`, so a clerk sees the inbox and the limits before the first run."""
    limits = settings.limits
    there = "" if settings.inbox.is_dir() else " (not there yet)"
    return (f"Check-in: uploads from {settings.inbox}/{there}, {len(settings.trust_roots)} trusted certificate(s); "
            f"at most {limits.max_bytes / 1024 / 1024:g} MB, {limits.max_pages} pages, "
            f"{limits.max_pixels / 1e6:g} megapixels per page image and {limits.max_seconds:g} s per upload.")

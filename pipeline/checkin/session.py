"""One check-in as a front end runs it: which uploads to read, and the lines that say how it went.

The CLI and (later) the web app call these around ``check_in`` and ``decide``, so neither words a
result differently nor looks for uploads its own way.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidInputError
from ..i18n import _, ngettext, state_label
from ..states import Outcome
from .archive import inbox_files
from .context import Settings
from .results import CheckinSummary, DocumentOutcome, state_text


def uploads_to_check(paths: list[Path], settings: Settings) -> list[Path]:
    """The files under `paths` (default: the inbox), listed once: what check_in reads, and how many."""
    targets = list(paths) or [settings.inbox]
    missing = [path for path in targets if not path.exists() and not path.is_symlink()]
    if missing:
        raise InvalidInputError(_("{path}: not found (the inbox is set by --inbox or [checkin] inbox)").format(
            path=missing[0]))
    return inbox_files(targets)


def summary_line(summary: CheckinSummary) -> str:
    states = ", ".join(f"{count} {state_text(state)}" for state, count in sorted(summary.states().items()))
    unpacked = summary.count(Outcome.UNPACKED)  # a mail or archive: its files are counted as the uploads they are
    count = len(summary.results) - unpacked
    mails = _(" (from {unpacked} mail(s) or archive(s) unpacked)").format(unpacked=unpacked) if unpacked else ""
    return ngettext("Checked in {count} upload(s){mails}: {matched} with our documents, {unmatched} unmatched, "
                    "{refused} refused, {duplicate} already known. Documents: {states}.",
                    "Checked in {count} upload(s){mails}: {matched} with our documents, {unmatched} unmatched, "
                    "{refused} refused, {duplicate} already known. Documents: {states}.", count).format(
        count=count, mails=mails, matched=summary.count(Outcome.MATCHED), unmatched=summary.count(Outcome.UNMATCHED),
        refused=summary.count(Outcome.REFUSED), duplicate=summary.count(Outcome.DUPLICATE),
        states=states or _("none"))


def decision_line(outcome: DocumentOutcome) -> str:
    return _("{designation} ({doc_id}): {state} by hand: {reason}").format(
        designation=outcome.bezeichnung, doc_id=outcome.doc_id, state=state_label(outcome.state).upper(),
        reason=outcome.reason)


def settings_line(settings: Settings) -> str:
    """What check-in would use: for `validate`, so a clerk sees the inbox and the limits before the first run."""
    limits = settings.limits
    there = "" if settings.inbox.is_dir() else _(" (not there yet)")
    return ngettext("Check-in: uploads from {inbox}/{there}, {certificates} trusted certificate(s); at most {mb:g} MB, "
                    "{pages} pages, {megapixels:g} megapixels per page image and {seconds:g} s per upload.",
                    "Check-in: uploads from {inbox}/{there}, {certificates} trusted certificate(s); at most {mb:g} MB, "
                    "{pages} pages, {megapixels:g} megapixels per page image and {seconds:g} s per upload.",
                    len(settings.trust_roots)).format(
        inbox=settings.inbox, there=there, certificates=len(settings.trust_roots), mb=limits.max_bytes / 1024 / 1024,
        pages=limits.max_pages, megapixels=limits.max_pixels / 1e6, seconds=limits.max_seconds)

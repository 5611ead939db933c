"""`engagiert check`: do the ledger and the files agree? Read-only; every difference is listed.

- SQLite's own ``integrity_check`` and ``foreign_key_check``;
- every file the ledger names (rendered documents, stored uploads, mails and archives, signed copies,
  unmatched pages, set-aside duplicates) exists, with its recorded SHA-256 where one is recorded;
- every file under ``received/``, ``signed/`` and ``unmatched/`` is named by the ledger (a returned copy the
  ledger does not know is exactly what must never happen);
- the event log replays to the states the ledger reports: each document's state is its newest event that
  carries one, every state is a known one, every document starts with its "rendered" event, and a
  verified document names its signed copy (or says that no copy is on file).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidInputError
from ..fileio import sha256_of_file as _sha256
from ..i18n import _, ngettext
from ..ledger import LEDGER_FILE, Ledger
from ..paths import received_dir, signed_dir, unmatched_dir
from ..states import STATES, EventKind, State


@dataclass
class AuditReport:
    out: Path
    problems: list[str] = field(default_factory=list)
    documents: int = 0
    uploads: int = 0
    files: int = 0
    events: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def counted(self) -> str:
        return _("{documents} document(s), {uploads} upload(s), {events} event(s), {files} file(s) checked in "
                 "{out}").format(documents=self.documents, uploads=self.uploads, events=self.events,
                                 files=self.files, out=self.out)

    def lines(self) -> list[str]:
        if self.ok:
            return [_("Ledger and files agree: {counted}.").format(counted=self.counted())]
        return [ngettext("{count} problem(s) found ({counted}):", "{count} problem(s) found ({counted}):",
                         len(self.problems)).format(count=len(self.problems), counted=self.counted()),
                *(f"  - {p}" for p in self.problems)]



def _is_temporary(path: Path) -> bool:
    """A half-written ".name.xxxx.tmp" of a run killed mid-write: no copy, never named (archive.py)."""
    return path.name.startswith(".") and path.name.endswith(".tmp")


def named_files(ledger: Ledger) -> dict[str, str | None]:
    """Every file the ledger names, relative to the output folder → its SHA-256 where recorded."""
    named: dict[str, str | None] = {}
    for document in ledger.all_documents():
        named[document.path] = document.sha256
    for upload in ledger.all_uploads():
        named[upload["stored_path"]] = None if upload["stored_path"].endswith(".link") else upload["sha256"]
        for page in json.loads(upload["details"] or "{}").get("unmatched", []):
            if page.get("file"):
                named[page["file"]] = None
    for message in ledger.all_messages():  # mails and archives the uploads came in, kept as received
        named[message["stored_path"]] = message["sha256"]
    for event in ledger.events():
        details = json.loads(event["details"] or "{}")
        for key in ("signed_file", "stored"):
            if isinstance(details.get(key), str) and details[key]:
                named.setdefault(details[key], None)
    return named


def audit(out: Path) -> AuditReport:
    out = Path(out)
    report = AuditReport(out)
    if not (out / LEDGER_FILE).is_file():
        raise InvalidInputError(_("{file}: no ledger here; give the right --out").format(file=out / LEDGER_FILE))
    with Ledger.open_existing(out) as ledger:
        report.problems += ledger.integrity_problems()
        named = named_files(ledger)
        _check_named(out, named, report)
        rounds = {document.round for document in ledger.all_documents()}
        _check_unnamed(out, named, rounds, report)
        _check_replay(ledger, report)
        report.documents = len(ledger.all_documents())
        report.uploads = len(ledger.all_uploads())
    return report


def _check_named(out: Path, named: dict[str, str | None], report: AuditReport) -> None:
    for relative, sha in sorted(named.items()):
        path = out / relative
        if relative.endswith(".link"):
            if not path.is_symlink():
                report.problems.append(_("{file}: the ledger names this stored link, but it is missing").format(
                    file=relative))
            continue
        if not path.is_file():
            report.problems.append(_("{file}: the ledger names this file, but it is missing").format(file=relative))
            continue
        report.files += 1
        if sha is not None and _sha256(path) != sha:
            report.problems.append(_("{file}: the file differs from what the ledger recorded (SHA-256)").format(
                file=relative))


def _check_unnamed(out: Path, named: dict[str, str | None], rounds: set[str], report: AuditReport) -> None:
    unmatched_stems = {Path(relative).with_suffix("").as_posix() for relative in named
                       if relative.startswith("unmatched/")}
    folders = [unmatched_dir(out)] + [folder(out, round_id) for round_id in sorted(rounds)
                                      for folder in (received_dir, signed_dir)]
    for folder in folders:
        if not folder.is_dir():
            continue
        for root, _folders, files in os.walk(folder):
            for name in sorted(files):
                path = Path(root) / name
                relative = path.relative_to(out).as_posix()
                if _is_temporary(path) or relative in named:
                    continue
                if relative.endswith(".txt") and Path(relative).with_suffix("").as_posix() in unmatched_stems:
                    continue  # the note beside an unmatched page
                report.problems.append(_("{file}: a file the ledger does not know (run `engagiert checkin` to "
                                         "finish an interrupted check-in, or find out who put it there)").format(
                    file=relative))


def _check_replay(ledger: Ledger, report: AuditReport) -> None:
    replayed: dict[str, tuple[str, dict, str]] = {}
    first_kind: dict[str, str] = {}
    events = ledger.events()
    report.events = len(events)
    for event in events:
        doc_id = event["doc_id"]
        if doc_id and doc_id not in first_kind:
            first_kind[doc_id] = event["kind"]
        if event["state"] is None:
            continue
        if event["state"] not in STATES:
            report.problems.append(_("event {id}: unknown state {state!r}").format(id=event["id"],
                                                                                   state=event["state"]))
        replayed[doc_id] = (event["state"], json.loads(event["details"] or "{}"), event["kind"])
    stored = {row["doc_id"]: row["state"] for row in ledger.all_document_states()}
    for doc_id in sorted(document.doc_id for document in ledger.all_documents()):
        state = stored.get(doc_id)
        if first_kind.get(doc_id) != EventKind.RENDERED:
            report.problems.append(_("{doc_id}: its first event is {kind!r}, not 'rendered'").format(
                doc_id=doc_id, kind=first_kind.get(doc_id)))
        if doc_id not in replayed:
            report.problems.append(_("{doc_id}: no event gives it a state").format(doc_id=doc_id))
            continue
        replayed_state, details, kind = replayed[doc_id]
        if replayed_state != state:
            report.problems.append(_("{doc_id}: the event log replays to {replayed!r}, the ledger says {stored!r}")
                                   .format(doc_id=doc_id, replayed=replayed_state, stored=state))
        if state == State.VERIFIED and not details.get("signed_file") and not details.get("without_copy") \
                and "digital" not in details and kind == EventKind.CHECKIN:
            report.problems.append(_("{doc_id}: verified by check-in, but no signed copy is named").format(
                doc_id=doc_id))

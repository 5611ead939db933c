"""`engagiert backup DEST`: a consistent copy of the ledger and every file it names, while others work.

The ledger is copied with SQLite's online backup API, which gives one consistent snapshot even while a
check-in is writing. Every file is written before the ledger row that names it is committed, so all files
the snapshot names exist: they are copied next (files that arrive later are not in the snapshot and are
left out). The copy is assembled in a temporary folder beside DEST, checked with the audit, and renamed
into place only if it passes: DEST is either a complete, consistent backup or not there at all.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..docid import SECRET_FILE
from ..errors import InvalidInputError, LedgerError
from ..i18n import _, ngettext
from ..ledger import LEDGER_FILE, Ledger
from .audit import AuditReport, audit, named_files


@dataclass
class BackupResult:
    destination: Path
    files: int
    audit: AuditReport

    def line(self) -> str:
        return ngettext("Backed up the ledger and {count} file(s) to {folder}; ledger and files agree: {counted}.",
                        "Backed up the ledger and {count} file(s) to {folder}; ledger and files agree: {counted}.",
                        self.files).format(count=self.files, folder=self.destination, counted=self.audit.counted())


def backup(out: Path, destination: Path) -> BackupResult:
    out, destination = Path(out), Path(destination)
    source = out / LEDGER_FILE
    if not source.is_file():
        raise InvalidInputError(_("{file}: no ledger here; give the right --out").format(file=source))
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise InvalidInputError(_("{folder}: exists and is not empty; name a new folder for the backup").format(
            folder=destination))
    if destination.resolve().is_relative_to(out.resolve()):
        raise InvalidInputError(_("{folder}: inside the output folder {out}; put the backup elsewhere").format(
            folder=destination, out=out))
    staging = destination.parent / f".{destination.name}.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        _snapshot(source, staging / LEDGER_FILE)
        copied = _copy_named_files(out, staging)
        if (out / SECRET_FILE).is_file():
            shutil.copy2(out / SECRET_FILE, staging / SECRET_FILE)
        report = audit(staging)
        if not report.ok:
            raise LedgerError(_("the backup copy does not pass the audit, so it was not kept:") + "\n"
                              + "\n".join(report.lines()[1:]))
        if destination.exists():
            destination.rmdir()  # empty, checked above
        os.replace(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BackupResult(destination, copied, AuditReport(destination, [], report.documents, report.uploads,
                                                         report.files, report.events))


def _snapshot(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while another process writes."""
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()


def _copy_named_files(out: Path, staging: Path) -> int:
    with Ledger.open_existing(staging) as snapshot:
        named = named_files(snapshot)
    copied = 0
    for relative in sorted(named):
        source, target = out / relative, staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        elif source.is_file():
            shutil.copy2(source, target)
            note = source.with_suffix(".txt")
            if relative.startswith("unmatched/") and note.is_file():
                shutil.copy2(note, target.with_suffix(".txt"))
        else:
            continue  # missing in the original too: the audit of the copy names it
        copied += 1
    return copied

"""Checking in mails and archives: each one stored and unpacked, all their files checked in by the check-in
stage in one run (one pool of workers), then each mail recorded with the uploads it became.

`check_in_with_mail` is `checkin.check_in` for an inbox that may hold mail files (.eml, .msg, winmail.dat,
ZIP); the mailbox read over IMAP (mailbox.py) goes through the same `Batch`.

Crash safety, in the order of the work: a mail is stored under its hash in received/mail/ before it is
unpacked; its files are written to received/mail/unpacking/ and checked in (each moved to received/ and
recorded as an upload); only then is the mail recorded. A run that dies on the way leaves a stored mail
without a row: the next run unpacks it again, finds the files it already checked in by their hashes, and
records it. One mail run at a time per round (a lock), so no run clears another's unpacked files.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import checkin
from ..errors import InvalidInputError, LedgerError
from ..i18n import _
from ..ledger import Ledger
from ..paths import mail_dir, round_dir
from ..round import RoundConfig
from .containers import kind_of_file
from .record import message_result, record_message
from .results import MessageResult
from .take import Taken, Taker

_HASH_NAME = re.compile(r"^[0-9a-f]{64}\.[a-z]{3}$")


def split_mail_files(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """(mails and archives, everything else), each in the given order; a link is never a mail (check-in
    refuses links without following them)."""
    mails, others = [], []
    for path in paths:
        is_mail = not path.is_symlink() and path.is_file() and kind_of_file(path) is not None
        (mails if is_mail else others).append(path)
    return mails, others


@contextmanager
def mail_lock(out: Path, round_id: str) -> Iterator[None]:
    folder = round_dir(out, round_id)
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / ".mail.lock", "a+b")  # noqa: SIM115 - held for the run
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LedgerError(_("another engagiert is taking mail into {out} (round {round}) right now; try again "
                                "when it has finished").format(out=out, round=round_id)) from exc
        yield
    finally:
        handle.close()


def require_documents(ledger: Ledger, round_cfg: RoundConfig, out: Path) -> None:
    if not ledger.latest_documents(round_cfg.id):
        raise InvalidInputError(_("{out}: no documents for round {round} in the ledger; run `engagiert render` "
                                  "first").format(out=out, round=round_cfg.id))


class Batch:
    """The mails of one run: taken one by one, their files checked in together, then recorded."""

    def __init__(self, taker: Taker, round_cfg: RoundConfig, out: Path, plan_reply=None):
        self.taker, self.round_cfg, self.out = taker, round_cfg, Path(out)
        self.taken: list[Taken] = []
        self.early: list[checkin.UploadResult] = []   # duplicates and refusals known before check-in
        self.plan_reply = plan_reply

    def add(self, item: Taken | MessageResult | None) -> None:
        if isinstance(item, Taken):
            self.taken.append(item)
        elif item is not None:
            self.early.append(item)

    def recover(self) -> None:
        """Mails a run stored but did not record (it was interrupted): unpacked and recorded now."""
        self.taker.clear_staging()
        folder = self.taker.folder
        if not folder.is_dir():
            return
        recorded = self.taker.ledger.stored_message_paths()
        for path in sorted(folder.iterdir()):
            if path.is_file() and _HASH_NAME.match(path.name) and \
                    path.relative_to(self.out).as_posix() not in recorded:
                self.add(self.taker.take_stored(path))

    def check_in(self, others: list[Path], settings: checkin.Settings, *, progress=None,
                 on_result: Callable[[checkin.UploadResult], object] | None = None, workers: int | None = None,
                 on_total: Callable[[int], object] | None = None) -> checkin.CheckinSummary:
        """Check in every staged file and `others`; report each mail just before its files."""
        uploads, names, owner = [], {}, {}
        for index, taken in enumerate(self.taken):
            for staged in taken.staged:
                if staged.path is not None:
                    uploads.append(staged.path)
                    names[staged.path] = taken.label(staged)
                    owner[taken.label(staged)] = index
        if on_total:
            on_total(len(uploads) + len(others))
        results: list[checkin.UploadResult] = []
        reported = 0
        waiting = len(uploads)

        def emit(result: checkin.UploadResult) -> None:
            results.append(result)
            if on_result:
                on_result(result)

        def report_mails(upto: int) -> None:
            nonlocal reported
            while reported <= upto and reported < len(self.taken):
                taken = self.taken[reported]
                emit(message_result(taken))
                for staged in taken.staged:
                    if staged.result is not None:
                        emit(staged.result)
                reported += 1

        for result in self.early:
            emit(result)

        def forward(result: checkin.UploadResult) -> None:
            nonlocal waiting
            index = owner.get(result.name)
            if index is not None:
                waiting -= 1
                report_mails(index)
            elif waiting <= 0:
                report_mails(len(self.taken))
            emit(result)

        summary = checkin.check_in(uploads + list(others), self.round_cfg, self.out, settings, progress=progress,
                                   on_result=forward, workers=workers, names=names) \
            if uploads or others else checkin.CheckinSummary([])
        report_mails(len(self.taken))
        del summary  # its results are ours, in the order reported
        for taken in self.taken:
            reply = self.plan_reply(taken) if self.plan_reply else None
            record_message(self.taker.ledger, self.round_cfg, self.out, taken, reply=reply)
        return checkin.CheckinSummary(results)


def check_in_with_mail(paths: list[Path], round_cfg: RoundConfig, out: Path, settings: checkin.Settings, *,
                       progress=None, on_result=None, workers: int | None = None,
                       on_total: Callable[[int], object] | None = None) -> checkin.CheckinSummary:
    """`checkin.check_in` for uploads that may include mails and archives: those are unpacked and each file
    in them is checked in as an upload of its own; everything else goes to check-in as it is."""
    out = Path(out)
    mails, others = split_mail_files(paths)
    if not mails and not _unfinished(out, round_cfg.id):
        if on_total:
            on_total(len(others))
        return checkin.check_in(others, round_cfg, out, settings, progress=progress, on_result=on_result,
                                workers=workers)
    with mail_lock(out, round_cfg.id), Ledger.existing(out) as ledger:
        require_documents(ledger, round_cfg, out)
        batch = Batch(Taker(out, round_cfg.id, ledger, settings), round_cfg, out)
        batch.recover()
        for path in mails:
            batch.add(batch.taker.take_file(path))
        return batch.check_in(others, settings, progress=progress, on_result=on_result, workers=workers,
                              on_total=on_total)


def _unfinished(out: Path, round_id: str) -> bool:
    """Whether an interrupted mail run left anything to finish (checked without taking the lock)."""
    folder = mail_dir(out, round_id)
    if not folder.is_dir():
        return False
    stored = [path for path in folder.iterdir() if path.is_file() and _HASH_NAME.match(path.name)]
    if (folder / "unpacking").is_dir() and any((folder / "unpacking").iterdir()):
        return True
    if not stored:
        return False
    with Ledger.existing(out) as ledger:
        recorded = ledger.stored_message_paths()
    return any(path.relative_to(out).as_posix() not in recorded for path in stored)

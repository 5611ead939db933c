"""Taking a mail or archive in: from the inbox (claimed, so a parallel run leaves it alone) or as bytes from
the mailbox; recognised again by its bytes or its Message-ID; stored under its hash in received/mail/;
unpacked; and each file it carries written to received/mail/unpacking/ under a name we make, to be
checked in as an upload of its own. A file seen before is not written again: its upload is known.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .. import checkin
from ..errors import library_detail
from ..fileio import write_bytes_atomic
from ..i18n import deferred
from ..ledger import Ledger
from ..paths import mail_dir, received_dir
from ..states import Outcome
from .containers import KINDS, unpack
from .parts import Attachment, MailLimits, Unpacked, Unreadable
from .results import MessageResult

MESSAGE_UPLOADS = 3
SUFFIXES = {"eml": ".eml", "msg": ".msg", "tnef": ".dat", "zip": ".zip"}


@dataclass
class Staged:
    position: int
    attachment: Attachment
    sha256: str = ""
    path: Path | None = None        # waiting for check-in here; None: not checked in now (see `result`)
    result: checkin.UploadResult | None = None  # for a file known already: its line


@dataclass
class Taken:
    """A mail or archive stored and unpacked; its files wait for check-in."""

    sha256: str
    kind: str
    stored: Path
    original_name: str
    display: str
    size: int
    unpacked: Unpacked
    origin: dict = field(default_factory=dict)
    staged: list[Staged] = field(default_factory=list)

    def label(self, staged: Staged) -> str:
        return f"{self.display} › {staged.attachment.label}"


class Taker:
    """One run's taking: the ledger to recognise what we have, and the files staged in this run."""

    def __init__(self, out: Path, round_id: str, ledger: Ledger, settings: checkin.Settings,
                 limits: MailLimits | None = None):
        self.out, self.round_id, self.ledger, self.settings = Path(out), round_id, ledger, settings
        self.limits = limits or MailLimits()
        self.folder = mail_dir(out, round_id)
        self.staging = self.folder / "unpacking"
        self.staged_now: dict[str, str] = {}   # sha256 → label, for the same file twice in one run

    def clear_staging(self) -> None:
        """Files left half-way by an interrupted run: their mail is still in received/mail/ and is unpacked
        again (this run holds the mail lock, so no other run is using them)."""
        if self.staging.is_dir():
            for leftover in self.staging.iterdir():
                if leftover.is_file():
                    leftover.unlink()

    def known(self, sha256: str, message_id: str | None) -> str:
        """Why this message is one we have (same bytes, or same Message-ID), or ""."""
        row = self.ledger.message(sha256)
        if row is None and message_id:
            row = self.ledger.message_with_id(message_id)
        if row is None:
            return ""
        how = deferred("the same bytes") if row["sha256"] == sha256 else \
            deferred("the same Message-ID <{message_id}>", message_id=message_id)
        return deferred("this message was checked in already ({how}) as '{name}' on {date}; nothing changed", how=how,
                        name=row["original_name"], date=dt.date.fromisoformat(row["received_at"][:10]))

    @property
    def max_message_bytes(self) -> int:
        """A mail may carry a few files of the upload limit each, and base64 adds a third."""
        return MESSAGE_UPLOADS * self.settings.limits.max_bytes

    def read(self, data: bytes, kind: str) -> Unpacked:
        if len(data) > self.max_message_bytes:
            result = Unpacked(kind)
            result.refused = deferred("{size:.0f} MB, more than a mail or archive may be ({limit:.0f} MB: {times} "
                                      "times the upload limit)", size=len(data) / 1e6,
                                      limit=self.max_message_bytes / 1e6, times=MESSAGE_UPLOADS)
            return result
        try:
            return unpack(data, kind, self.limits)
        except Unreadable as exc:
            result = Unpacked(kind)
            if kind == "eml":  # its sender and Message-ID still count: no second take, and who sent it
                try:
                    from .mime import read_headers

                    result = read_headers(data)
                except Exception:  # noqa: BLE001 - the headers are as broken as the rest
                    result = Unpacked(kind)
            result.refused = exc.args[0]  # as raised: a DeferredText is shown in the reader's language
            return result
        except RecursionError:
            result = Unpacked(kind)
            result.refused = deferred("nested too deeply to be read (a mail bomb?)")
            return result
        except Exception as exc:  # noqa: BLE001 - a library tripping over a bad mail must not stop the run
            result = Unpacked(kind)
            result.refused = deferred("{kind} that cannot be read ({error})", kind=describe(kind),
                                      error=library_detail(exc))
            return result

    def take_file(self, path: Path) -> Taken | MessageResult | None:
        """A mail or archive from the inbox. None: another run has it."""
        claimed = checkin.claim(path)
        if claimed is None:
            return None
        try:
            checkin.hash_claimed(claimed)
            claimed.handle.seek(0)
            data = claimed.handle.read()
            from .containers import kind_of

            kind = kind_of(data) or "eml"
            unpacked = self.read(data, kind)
            seen = self.known(claimed.sha256, unpacked.message_id)
            if seen:
                return self._set_aside(claimed, kind, seen)
            stored = self.folder / f"{claimed.sha256}{SUFFIXES[kind]}"
            checkin.store(claimed, stored)
            taken = Taken(claimed.sha256, kind, stored, path.name, path.name, claimed.size, unpacked,
                          {"source": "inbox"})
        finally:
            claimed.release()
        self.stage(taken)
        return taken

    def take_bytes(self, data: bytes, kind: str, original_name: str, display: str, origin: dict) -> Taken:
        """A message fetched from the mailbox (new: the caller checked), written under its hash."""
        sha = hashlib.sha256(data).hexdigest()
        stored = self.folder / f"{sha}{SUFFIXES[kind]}"
        if not stored.is_file():
            write_bytes_atomic(stored, data)
        taken = Taken(sha, kind, stored, original_name, display, len(data), self.read(data, kind), origin)
        self.stage(taken)
        return taken

    def take_stored(self, stored: Path) -> Taken:
        """A mail stored by a run that was interrupted before recording it: unpacked again."""
        data = stored.read_bytes()
        from .containers import kind_of

        kind = kind_of(data) or "eml"
        name = f"{stored.name} (finished after an interrupted run)"
        taken = Taken(hashlib.sha256(data).hexdigest(), kind, stored, name, stored.name, len(data),
                      self.read(data, kind), {"source": "recovered"})
        self.stage(taken)
        return taken

    def stage(self, taken: Taken) -> None:
        """Write each file to check in under a name of ours; a file we have already gets its line now."""
        if taken.unpacked.refused:
            return
        for position, attachment in enumerate(taken.unpacked.attachments, start=1):
            staged = Staged(position, attachment)
            taken.staged.append(staged)
            if attachment.skipped or attachment.refused or attachment.unpacked:
                continue
            staged.sha256 = hashlib.sha256(attachment.data).hexdigest()
            label = taken.label(staged)
            earlier = self.ledger.upload(staged.sha256)
            if earlier is not None:
                staged.result = checkin.UploadResult(
                    label, staged.sha256, Outcome.DUPLICATE,
                    deferred("the same file was already checked in as '{name}' on {date}; nothing changed",
                             name=earlier["original_name"], date=dt.date.fromisoformat(earlier["received_at"][:10])))
            elif staged.sha256 in self.staged_now:
                staged.result = checkin.UploadResult(
                    label, staged.sha256, Outcome.DUPLICATE,
                    deferred("the same file came in this run already as '{name}'",
                             name=self.staged_now[staged.sha256]))
            else:
                staged.path = self.staging / f"{taken.sha256[:16]}-{position:04d}.upload"
                write_bytes_atomic(staged.path, attachment.data)
                self.staged_now[staged.sha256] = label

    def _set_aside(self, claimed: checkin.Claim, kind: str, why: str) -> MessageResult:
        duplicates = received_dir(self.out, self.round_id) / "duplicates"
        checkin.store(claimed, checkin.free_name(duplicates, claimed.sha256[:16], SUFFIXES[kind]))
        stored = claimed.path.relative_to(self.out).as_posix()
        reason = deferred("{why} (kept as {stored})", why=why, stored=stored)
        with self.ledger.transaction() as cursor:
            Ledger.add_event(cursor, round_id=self.round_id, kind="mail_repeat", file_sha256=claimed.sha256,
                             reason=reason, details={"upload": claimed.original_name, "stored": stored})
        return MessageResult(claimed.original_name, claimed.sha256, Outcome.DUPLICATE, reason)


def describe(kind: str) -> str:
    return deferred(KINDS[kind]) if kind in KINDS else kind

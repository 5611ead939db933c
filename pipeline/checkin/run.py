"""Check-in: each upload from the inbox → identified pages → verified documents → files and ledger.

One upload at a time, in three steps, so that a crash at any moment loses nothing and counts nothing twice:

1. *claim and store*: lock the file, hash it, move it to ``out/<round>/received/<sha256>.<ext>``
   (the same bytes seen before: moved to ``received/duplicates/`` and nothing else changes);
2. *analyse* (the slow part, no ledger lock held, in worker processes): read every page, find its document,
   measure the ink in the signature box or validate the digital signature (identify.py);
3. *record* in one ledger transaction: the upload, its pages, and for every document it touched the new
   state with a reason; the signed document is written just before the commit (judge.py).

A file in ``received/`` without an upload row is a run that died between 1 and 3: ``reconcile`` finishes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..errors import InvalidInputError
from ..ledger import Ledger, now_iso
from ..round import RoundConfig
from ..states import Outcome
from . import archive
from .context import Context, Settings
from .intake import Refused
from .judge import record
from .pool import AnalysisPool
from .results import CheckinSummary, UploadResult

# --- one upload, the inbox, crash recovery ----------------------------------------


def stage(path: Path, context: Context, name: str | None = None) -> UploadResult | archive.Claim | None:
    """Claim and store one upload. Returns the claim (stored, locked, to be analysed), a finished result
    (a link, or bytes seen before), or None if another process has the file. `name`: what the clerk calls
    it (an attachment's name in its mail), instead of the file's own name."""
    out, round_id = context.out, context.round_cfg.id
    received = archive.received_dir(out, round_id)
    if path.is_symlink():
        return _refuse_link(path, context, received)
    try:
        claimed = archive.claim(path)
    except PermissionError as exc:  # one unreadable file (a share's rights) must not stop the run
        return UploadResult(path.name, "", "refused", f"cannot be read ({exc.strerror}); it stays in the inbox: "
                                                      "give this account read access and check in again")
    if claimed is None:
        return None
    claimed.original_name = name or claimed.original_name
    try:
        archive.hash_claimed(claimed)
        known = context.ledger.upload(claimed.sha256)
        if known is not None:
            return _set_aside(context, claimed, f"the same file was already checked in as "
                                                f"'{known['original_name']}' on {known['received_at'][:10]}")
        target = received / f"{claimed.sha256}{_suffix(claimed)}"
        if target.exists():
            # The same bytes are already in received/: earlier in this run, in a parallel run, or left by an
            # interrupted one (reconcile finishes that).
            return _set_aside(context, claimed, f"the same file is already being checked in "
                                                f"({target.relative_to(out)})")
        archive.store(claimed, target)
        return claimed
    except BaseException:
        claimed.release()
        raise


def _set_aside(context: Context, claimed: archive.Claim, why: str) -> UploadResult:
    """Bytes we already have: keep this copy in received/duplicates/, note it, change nothing else."""
    out = context.out
    received = archive.received_dir(out, context.round_cfg.id)
    if claimed.path.parent != received:
        archive.store(claimed, archive.free_name(received / "duplicates", claimed.sha256[:16], _suffix(claimed)))
    reason = f"{why}; nothing changed (kept as {claimed.path.relative_to(out)})"
    with context.ledger.transaction() as cursor:
        Ledger.add_event(cursor, round_id=context.round_cfg.id, kind="upload_repeat", file_sha256=claimed.sha256,
                         reason=reason, details={"upload": claimed.original_name,
                                                 "stored": claimed.path.relative_to(out).as_posix()})
    claimed.release()
    return UploadResult(claimed.original_name, claimed.sha256, "duplicate", reason)


def _suffix(claimed: archive.Claim) -> str:
    """The stored file's extension: from its content; for a file we cannot read, the original's
    extension if it is a plain one (so a clerk can still open the .docx someone sent), else .bin."""
    kind = _kind_or_blank(claimed.path)
    if kind in archive.EXTENSIONS:
        return archive.EXTENSIONS[kind]
    original = Path(claimed.original_name).suffix.lower()
    return original if re.fullmatch(r"\.[a-z0-9]{1,5}", original) else ".bin"


def _kind_or_blank(path: Path) -> str:
    from .intake import sniff

    with open(path, "rb") as handle:
        head = handle.read(1024)
    try:
        return sniff(head)
    except Refused:
        return ""


def _refuse_link(link: Path, context: Context, received: Path) -> UploadResult:
    target = Path(link).resolve()
    sha, stored = archive.store_link(link, received / "links")
    reason = (f"a link to {target} (not followed: only files put into the inbox itself are read); "
              "copy the file into the inbox instead")
    with context.ledger.transaction() as cursor:
        if not Ledger.upload_known(cursor, sha):
            Ledger.add_upload(cursor, sha256=sha, round_id=context.round_cfg.id, original_name=link.name,
                              stored_path=stored.relative_to(context.out).as_posix(), size=0, received_at=now_iso(),
                              outcome=Outcome.REFUSED, reason=reason)
        Ledger.add_event(cursor, round_id=context.round_cfg.id, kind="upload", reason=reason, file_sha256=sha,
                         details={"upload": link.name, "outcome": "refused"})
    return UploadResult(link.name, sha, "refused", reason)


def reconcile(context: Context, pool: AnalysisPool) -> list[UploadResult]:
    """Finish uploads a crashed run stored but did not record (unlocked files in received/ without a row)."""
    archive.remove_stale_temporaries([archive.received_dir(context.out, context.round_cfg.id),
                                      archive.signed_dir(context.out, context.round_cfg.id),
                                      archive.review_dir(context.out, context.round_cfg.id),
                                      archive.unmatched_dir(context.out)])
    received = archive.received_dir(context.out, context.round_cfg.id)
    if not received.is_dir():
        return []
    recorded = context.ledger.stored_upload_paths()
    results = []
    for path in sorted(received.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.relative_to(context.out).as_posix() in recorded:
            continue
        claimed = archive.claim(path)
        if claimed is None:
            continue  # another check-in is working on it right now
        try:
            claimed.original_name = f"{path.name} (finished after an interrupted run)"
            archive.hash_claimed(claimed)
            if path.stem != claimed.sha256:
                continue  # not one of ours (someone put a file here by hand): leave it alone
            results.append(record(context, claimed, pool.result(pool.submit(path))))
        finally:
            claimed.release()
    return results


def check_in(paths: list[Path], round_cfg: RoundConfig, out: Path, settings: Settings,
             progress: Callable[[int], object] | None = None,
             on_result: Callable[[UploadResult], object] | None = None, workers: int | None = None,
             names: dict[Path, str] | None = None) -> CheckinSummary:
    """Check in every upload under `paths`. Reading pages runs in `workers` processes (default: one per
    core); claiming, storing and recording stay in this process, in inbox order. `names`: what to call an
    upload instead of its file name (the mail stage writes attachments under names of its own)."""

    out = Path(out)
    results: list[UploadResult] = []

    def emit(result: UploadResult | None) -> None:
        if progress:
            progress(1)
        if result is not None:
            results.append(result)
            if on_result:
                on_result(result)

    with Ledger.existing(out) as ledger:
        if not ledger.latest_documents(round_cfg.id):
            raise InvalidInputError(f"{out}: no documents for round {round_cfg.id} in the ledger; "
                                    "run `engagiert render` first")
        context = Context(round_cfg, out, ledger, settings)
        files = archive.inbox_files(paths)
        # The pool is forked before any upload is claimed, so no worker inherits a claim's lock.
        with AnalysisPool(context, workers if len(files) > 1 else 1) as pool:
            for result in reconcile(context, pool):
                results.append(result)
                if on_result:
                    on_result(result)
            pending: list[tuple[archive.Claim, object]] = []
            for path in files:
                staged = stage(path, context, (names or {}).get(path))
                if not isinstance(staged, archive.Claim):
                    emit(staged)
                    continue
                pending.append((staged, pool.submit(staged.path)))
                while len(pending) > pool.window:
                    emit(_finish(context, pool, *pending.pop(0)))
            while pending:
                emit(_finish(context, pool, *pending.pop(0)))
        return CheckinSummary(results)


def _finish(context: Context, pool, claimed: archive.Claim, handle) -> UploadResult:
    try:
        return record(context, claimed, pool.result(handle))
    finally:
        claimed.release()



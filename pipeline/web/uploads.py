"""An upload through the web, from the request's bytes to the ledger, with the same stage as `engagiert checkin`.

1. Each file is written whole to ``out/<round>/web/incoming/<ags>/<id>/<name>`` (under a dot-name, fsynced,
   then renamed) and hashed on the way; a ``web_upload`` event records who sent which bytes, from where.
2. ``check_in`` of those files, exactly as the CLI runs it: it claims them, moves them to ``received/``
   by content hash, reads them (with the round's limits), and records the verdicts.
3. A document of another municipality in it is held for review (checkin.hold_foreign_documents).

If the server dies between 1 and 2, the files wait in ``incoming/``; ``recover`` checks them in when the
server starts again (and check_in's own reconcile finishes anything that died inside 2). Nothing is lost or
counted twice: a file leaves ``incoming/`` only by check-in's move, and the same bytes are known by hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..checkin import AnalysisPool, CheckinSummary, Settings, check_in, hold_foreign_documents
from ..fileio import fsync_dir as _fsync_dir
from ..fileio import sha256_of_file as _sha256
from ..fileio import write_text_atomic
from ..ledger import Ledger, now_iso
from ..paths import round_dir
from ..round import RoundConfig
from ..states import EventKind

META_FILE = ".meta.json"


@dataclass(frozen=True)
class Received:
    """One stored file of a request, before check-in."""

    path: Path
    name: str
    size: int
    sha256: str
    event_id: int
    at: str


def incoming_dir(out: Path, round_id: str) -> Path:
    return round_dir(out, round_id) / "web" / "incoming"


def safe_name(filename: str | None) -> str:
    """The uploader's file name as a harmless single name (never used to find a file: only to keep it)."""
    name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(char for char in name if char.isprintable() and char not in '<>:"|?*').strip(" .")
    name = re.sub(r"\s+", " ", name)[:120]
    return name or "upload"


def _unique(folder: Path, name: str) -> Path:
    path, number = folder / name, 1
    while path.exists():
        number += 1
        stem, dot, suffix = name.rpartition(".")
        path = folder / (f"{stem}-{number}.{suffix}" if dot else f"{name}-{number}")
    return path


def _store(stream, folder: Path, name: str) -> tuple[Path, int, str]:
    """Write the stream whole, durably, under a dot-name, then give it its name: (path, size, sha256)."""
    temporary = folder / f".{secrets.token_hex(6)}.part"
    digest, size = hashlib.sha256(), 0
    with open(temporary, "wb") as handle:
        for block in iter(lambda: stream.read(1 << 20), b""):
            handle.write(block)
            digest.update(block)
            size += len(block)
        handle.flush()
        os.fsync(handle.fileno())
    target = _unique(folder, name)
    os.replace(temporary, target)
    return target, size, digest.hexdigest()


def receive(out: Path, round_cfg: RoundConfig, files: list, ags: str, actor: str, client: str,
            via: str) -> list[Received]:
    """Store every file of a request (objects with `.filename` and `.stream`) and record that it came."""
    folder = incoming_dir(out, round_cfg.id) / ags / f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    meta = {"ags": ags, "actor": actor, "client": client, "via": via}
    write_text_atomic(folder / META_FILE, json.dumps(meta))  # whole or not there, whenever the server dies
    stored = [(*_store(upload.stream, folder, safe_name(upload.filename)), safe_name(upload.filename))
              for upload in files]
    _fsync_dir(folder)
    return _record_arrivals(out, round_cfg, stored, meta)


def _record_arrivals(out: Path, round_cfg: RoundConfig, stored: list[tuple[Path, int, str, str]],
                     meta: dict) -> list[Received]:
    received = []
    with Ledger.open(out) as ledger, ledger.transaction() as cursor:
        for path, size, sha, name in stored:
            at = now_iso()
            Ledger.add_event(cursor, round_id=round_cfg.id, kind=EventKind.WEB_UPLOAD, ags=meta["ags"],
                             file_sha256=sha, actor=meta["actor"], at=at,
                             details={"name": name, "size": size, "via": meta["via"], "client": meta["client"]})
            received.append(Received(path, name, size, sha, cursor.lastrowid, at))
    return received


class ServerCheckin:
    """The server's check-ins: one long-lived pool of readers (one per core) shared by all request threads,
    and at most one check-in per reader at a time. A request beyond that waits here for its turn (more at
    once would only share the cores and make every answer slower, and a queued file would use up its time
    limit waiting). Forking a reader for every upload cost more than reading the upload."""

    def __init__(self, out: Path, round_cfg: RoundConfig, settings: Settings, slots: int):
        self.out, self.round_cfg, self.settings = Path(out), round_cfg, settings
        self.pool = AnalysisPool(round_cfg, out, settings, workers=max(1, slots), shared=True)
        self.slots = threading.BoundedSemaphore(max(1, slots))

    def run(self, paths: list[Path], finish_interrupted: bool = False) -> CheckinSummary:
        """`engagiert checkin` of just these files (not the whole of received/: the server finishes what
        an interrupted run left there once, when it starts)."""
        with self.slots:
            return check_in(paths, self.round_cfg, self.out, self.settings, pool=self.pool,
                            finish_interrupted=finish_interrupted)

    def close(self) -> None:
        self.pool.close()


def check_in_received(received: list[Received], ags: str, actor: str, checkin: ServerCheckin) -> None:
    """Run the check-in stage over the stored files; hold documents of other municipalities for review."""
    if not received:
        return
    summary = checkin.run([item.path for item in received])
    mine = {item.sha256 for item in received}
    for result in summary.results:
        if result.sha256 in mine:
            hold_foreign_documents(checkin.out, checkin.round_cfg, result, ags, actor)
    _remove_empty(received[0].path.parent)


def _remove_empty(folder: Path) -> None:
    """The request's folder once check-in has moved every file out of it."""
    if folder.is_dir() and not [path for path in folder.iterdir() if path.name != META_FILE]:
        shutil.rmtree(folder, ignore_errors=True)


def recover(checkin: ServerCheckin) -> int:
    """Check in what a killed server had stored but not checked in; half-written files are dropped (their
    sender got no answer and will send again). Returns how many files were checked in."""
    out, round_cfg = checkin.out, checkin.round_cfg
    checkin.run([], finish_interrupted=True)  # what died inside check-in: in received/ without its record
    base = incoming_dir(out, round_cfg.id)
    if not base.is_dir():
        return 0
    count = 0
    for meta_path in sorted(base.glob(f"*/*/{META_FILE}")):
        folder = meta_path.parent
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # written by a server killed mid-write (before atomic writes): no file
            shutil.rmtree(folder, ignore_errors=True)  # of this request was stored yet; its sender resends
            continue
        for partial in folder.glob(".*.part"):
            partial.unlink()
        files = sorted(path for path in folder.iterdir() if not path.name.startswith("."))
        pending = []
        with Ledger.open(out) as ledger:
            for path in files:
                sha = _sha256(path)
                if not ledger.web_upload_known(round_cfg.id, meta["ags"], sha):
                    pending.append((path, path.stat().st_size, sha, path.name))
        _record_arrivals(out, round_cfg, pending, meta)
        received = [Received(path, path.name, path.stat().st_size, _sha256(path), 0, "") for path in files]
        check_in_received(received, meta["ags"], meta["actor"], checkin)
        _remove_empty(folder)
        count += len(files)
    for folder in base.glob("*/*"):  # a request that died before its first file was whole
        if folder.is_dir() and not (folder / META_FILE).exists():
            shutil.rmtree(folder, ignore_errors=True)
    return count

"""Reading uploads in worker processes, with a hard time limit per upload.

Decoding a page costs 10-50 ms of pure CPU, so check-in spreads uploads over one process per core
(issue 6). The pool also enforces ``max_seconds``: a file that makes a decoder hang (or crash) is given
up after the limit, its worker pool is replaced, and the upload is recorded as refused with that reason.
Workers are forked before any upload is claimed, so they never hold a claim's lock, and they ask the
kernel to kill them when their parent dies (a killed check-in leaves no orphans behind).

A server keeps one pool for its whole life, shared by its request threads (``shared=True``): its workers
come from a clean fork server, never from a fork of the threaded server itself, whose copy could inherit a
lock another thread held at that moment (a module being imported, SQLite's) and wait for it forever.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..i18n import deferred
from ..workers import default_workers, die_with_parent, ignore_interrupts, process_context, threaded_process_context

_worker_context = None
# What every worker needs loaded; a fork server imports it once, so its workers start with it.
ANALYSIS_MODULES = ["pipeline.checkin.identify"]
_WATCH_SECONDS = 1.0  # how soon a waiting thread notices that another thread replaced the pool


def _init_worker(round_cfg, out: str, settings) -> None:
    global _worker_context
    from ..ledger import Ledger
    from .context import Context

    die_with_parent()
    ignore_interrupts()
    _worker_context = Context(round_cfg, Path(out), Ledger.open(Path(out)), settings)


def _analyse_in_worker(path: str):
    from .identify import analyse

    return analyse(Path(path), _worker_context)


@dataclass
class Handle:
    path: Path
    pending: object = None
    generation: int = 0


class AnalysisPool:
    """Worker processes reading uploads. Safe to share between threads: each submits its files and waits for
    their results; a file over the time limit replaces the pool, and the other threads' files are read again."""

    def __init__(self, round_cfg, out: Path, settings, workers: int | None = None, shared: bool = False):
        self.initargs = (round_cfg, str(out), settings)
        self.limit = settings.limits.max_seconds
        self.workers = workers or default_workers()
        self.window = 2 * self.workers
        self.shared = shared
        self.pool = None
        self.generation = 0
        self.lock = threading.Lock()

    def __enter__(self) -> AnalysisPool:
        # Always a pool, even of one worker for one file: only a separate process can be given up on
        # when a file makes a decoder hang or crash.
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> None:
        with self.lock:
            if self.pool is None:
                self._start()

    def close(self) -> None:
        with self.lock:
            if self.pool is not None:
                self.pool.terminate()
                self.pool.join()
                self.pool = None

    def _start(self) -> None:
        context = threaded_process_context(ANALYSIS_MODULES) if self.shared else process_context(fork=True)
        self.pool = context.Pool(self.workers, initializer=_init_worker, initargs=self.initargs)

    def submit(self, path: Path) -> Handle:
        with self.lock:
            if self.pool is None:
                self._start()
            return Handle(path, self.pool.apply_async(_analyse_in_worker, (str(path),)), self.generation)

    def result(self, handle: Handle):
        from .identify import Analysis

        deadline = time.monotonic() + self.limit + 5
        while True:
            with self.lock:
                if handle.generation != self.generation:  # its pool was replaced after another file's timeout
                    handle.pending = self.pool.apply_async(_analyse_in_worker, (str(handle.path),))
                    handle.generation = self.generation
                    deadline = time.monotonic() + self.limit + 5
            handle.pending.wait(max(0.0, min(_WATCH_SECONDS, deadline - time.monotonic())))
            if handle.pending.ready():
                return handle.pending.get()
            if time.monotonic() < deadline:
                continue
            with self.lock:
                if handle.generation != self.generation:
                    continue  # replaced meanwhile: this file was never given its time; read it again
                self.pool.terminate()
                self.pool.join()
                self.generation += 1
                self._start()
            return Analysis(refused=deferred("reading the file took longer than {seconds:.0f} s (a damaged or "
                                             "hostile file?); it was set aside unread", seconds=self.limit))

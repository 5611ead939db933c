"""Reading uploads in worker processes, with a hard time limit per upload.

Decoding a page costs 10-50 ms of pure CPU, so check-in spreads uploads over one process per core
(issue 6). The pool also enforces ``max_seconds``: a file that makes a decoder hang (or crash) is given
up after the limit, its worker pool is replaced, and the upload is recorded as refused with that reason.
Workers are forked before any upload is claimed, so they never hold a claim's lock, and they ask the
kernel to kill them when their parent dies (a killed check-in leaves no orphans behind).
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from pathlib import Path

from ..i18n import deferred
from ..workers import default_workers, die_with_parent, ignore_interrupts, process_context

_worker_context = None


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
    def __init__(self, context, workers: int | None):
        self.context = context
        self.workers = workers or default_workers()
        self.window = 2 * self.workers
        self.pool = None
        self.generation = 0

    def __enter__(self) -> AnalysisPool:
        # Always a pool, even of one worker for one file: only a separate process can be given up on
        # when a file makes a decoder hang or crash.
        self._start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()

    def _start(self) -> None:
        context = self.context
        self.pool = process_context(fork=True).Pool(
            self.workers, initializer=_init_worker, initargs=(context.round_cfg, str(context.out), context.settings))

    def submit(self, path: Path) -> Handle:
        handle = Handle(path, generation=self.generation)
        handle.pending = self.pool.apply_async(_analyse_in_worker, (str(path),))
        return handle

    def result(self, handle: Handle):
        from .identify import Analysis

        if handle.generation != self.generation:  # its pool was replaced after another file's timeout
            handle.pending = self.pool.apply_async(_analyse_in_worker, (str(handle.path),))
            handle.generation = self.generation
        limit = self.context.settings.limits.max_seconds
        try:
            return handle.pending.get(timeout=limit + 5)
        except multiprocessing.TimeoutError:
            self.pool.terminate()
            self.pool.join()
            self.generation += 1
            self._start()
            return Analysis(refused=deferred("reading the file took longer than {seconds:.0f} s (a damaged or "
                                             "hostile file?); it was set aside unread", seconds=limit))

"""Worker processes: how many, and how they are started, for rendering, letters and check-in.

On Linux workers are forked: they inherit what the parent already loaded (WeasyPrint, the hyphenation
patterns, base layouts), which is most of a worker's start-up cost. Elsewhere they are spawned.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager


def default_workers() -> int:
    """One per CPU core this process may run on (a container's CPU limit, not the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    return sys.platform.startswith("linux")


def process_context(fork: bool | None = None):
    """fork on Linux (inherits loaded state), spawn elsewhere; `fork=True` insists on fork."""
    return multiprocessing.get_context("fork" if (can_fork() if fork is None else fork) else "spawn")


def threaded_process_context(preload: list[str]):
    """For a process that already runs threads (a server): a fork of it copies every lock as another thread
    held it (a module being imported, SQLite's mutexes) and the child may wait for one forever. So workers
    come from a fork server started clean, which imports `preload` once (spawned where there is none)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(preload)
    return context


@contextmanager
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of `workers` processes started the platform's cheapest safe way. Its workers leave Ctrl-C to
    the parent; when the parent stops early (Ctrl-C, an error) the work not yet started is cancelled, so
    the pool ends after the batches already running instead of working through the whole queue."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=process_context(), initializer=ignore_interrupts)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def die_with_parent() -> None:
    """Ask the kernel to kill this worker when its parent dies (a killed run leaves no orphans)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: workers then end when they find the task queue closed


def ignore_interrupts() -> None:
    """Ctrl-C is the parent's to handle: a worker must not die half-way through writing a file."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

"""Worker processes that write one run's outputs in parallel, and the one way their results
and warnings come back.

Processes are started with "spawn" everywhere: forking a process that holds Arrow or BLAS
threads can deadlock (and Python 3.12+ warns about it). A spawned process starts empty, so
:func:`output_pool` warms it at once (it imports the plotting stack while the main process is
still loading and scoring) and the first job does not wait for that.

A job's warnings are recorded in the worker and said again in the main process
(:meth:`Job.result`), so a data-quality caveat met while drawing a figure reaches the user as
if the job had run in the main process. If a worker dies (out of memory, killed), the job is
run again in the main process, with a warning saying so.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

__all__ = ["Job", "close_pool", "default_workers", "output_pool", "submit"]


def default_workers(workers: int | None = None) -> int:
    """``workers`` if set (>= 1), else one process per core, at most four."""
    return workers or min(os.cpu_count() or 1, 4)


def _warm() -> None:
    """Import what writing outputs needs, so the first job starts at once."""
    import matplotlib.figure  # noqa: F401

    from . import figures, report  # noqa: F401


def output_pool(processes: int) -> ProcessPoolExecutor | None:
    """``processes`` worker processes, started now and warmed; ``None`` for 0 (every job then
    runs in the calling process, when :func:`submit`-ted)."""
    if processes < 1:
        return None
    pool = ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_warm,
    )
    for _ in range(processes):  # start every process now, not on the first real job
        pool.submit(int)
    return pool


def close_pool(pool: ProcessPoolExecutor | None, *, finished: bool = True) -> None:
    """Shut ``pool`` down: after its jobs (``finished``), or at once, stopping its processes
    (a run that failed should not wait for workers still warming up)."""
    if pool is None:
        return
    if not finished:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _recorded(fn: Callable, args: tuple, kwargs: dict) -> tuple[object, list[tuple[type, str]]]:
    """Run ``fn`` with its warnings recorded; return its value and the warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn(*args, **kwargs)
    return value, [(w.category, str(w.message)) for w in caught]


class Job:
    """A job running in a worker (or already run in this process, without a pool)."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict, future: Future | None):
        self._fn, self._args, self._kwargs, self._future = fn, args, kwargs, future
        if future is None:  # no pool: run now, here, with warnings as they come
            self._value, self._warnings = fn(*args, **kwargs), []

    def wait(self) -> None:
        """Wait until the job has finished (or failed), without raising its error."""
        if self._future is not None:
            concurrent.futures.wait([self._future])

    def result(self) -> object:
        """Wait for the job; say its warnings again here; return its value (an exception the
        job raised is raised here)."""
        if self._future is not None:
            try:
                self._value, self._warnings = self._future.result()
            except BrokenProcessPool as exc:
                warnings.warn(
                    f"An output-writing process stopped ({exc}); writing "
                    f"{getattr(self._fn, '__name__', 'its part')} in this process instead. "
                    "Set [output] workers = 1 (or --workers 1) to write everything in one "
                    "process.",
                    UserWarning,
                    stacklevel=2,
                )
                self._value, self._warnings = self._fn(*self._args, **self._kwargs), []
            self._future = None
        for category, message in self._warnings:
            warnings.warn(message, category, stacklevel=2)
        self._warnings = []
        return self._value


def submit(pool: ProcessPoolExecutor | None, fn: Callable, *args, **kwargs) -> Job:
    """Run ``fn(*args, **kwargs)`` in ``pool``, or now in this process if ``pool`` is None."""
    if pool is None:
        return Job(fn, args, kwargs, None)
    try:
        future = pool.submit(_recorded, fn, args, kwargs)
    except BrokenProcessPool:  # the pool died before this job: run it here
        return Job(fn, args, kwargs, None)
    return Job(fn, args, kwargs, future)

"""Worker processes: the one way the package works in parallel (one run's figures beside its
tables, :func:`submit`; many authorities' pages, :func:`run_jobs`), and the one way their
results and warnings come back.

Processes are started with "spawn" everywhere: forking a process that holds Arrow or BLAS
threads can deadlock (and Python 3.12+ warns about it). A spawned process starts empty, so
:func:`start_pool` warms it at once (it imports the plotting stack while the main process is
still loading and scoring) and the first job does not wait for that.

A job's warnings are recorded in the worker and said again in the main process
(:meth:`Job.result`), so a data-quality caveat met while drawing a figure reaches the user as
if the job had run in the main process. If a worker dies (out of memory, killed), the job is
run again in the main process, with a warning saying so.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import multiprocessing
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

__all__ = [
    "Job", "close_pool", "default_workers", "pool_of", "recorded", "run_jobs", "start_pool", "submit",
]  # fmt: skip

#: what writing one run's outputs imports, for a worker to import while it waits
OUTPUT_IMPORTS = (
    "matplotlib.figure", "inclusion_geo.figures", "inclusion_geo.report", "inclusion_geo.mapping",
)  # fmt: skip


def default_workers(workers: int | None = None) -> int:
    """``workers`` if set (>= 1), else one process per core, at most four."""
    return workers or min(os.cpu_count() or 1, 4)


def _import(modules: Sequence[str]) -> None:
    import gc

    for name in modules:
        importlib.import_module(name)
    gc.freeze()  # the imported modules are never garbage: collections skip them


def start_pool(
    processes: int, modules: Sequence[str] = OUTPUT_IMPORTS
) -> ProcessPoolExecutor | None:
    """``processes`` worker processes, started now, each importing ``modules`` so that their
    start-up (seconds of imports) overlaps the caller's own work; ``None`` for 0 (every job
    then runs in the calling process)."""
    if processes < 1:
        return None
    pool = ProcessPoolExecutor(
        max_workers=processes, mp_context=multiprocessing.get_context("spawn")
    )
    for _ in range(processes):  # each submit starts a process while none is idle
        pool.submit(_import, tuple(modules))
    return pool


@contextmanager
def pool_of(
    processes: int, modules: Sequence[str] = OUTPUT_IMPORTS
) -> Iterator[ProcessPoolExecutor | None]:
    """:func:`start_pool` for a ``with`` block; the processes are stopped on leaving it."""
    pool = start_pool(processes, modules)
    try:
        yield pool
    finally:
        close_pool(pool)


def close_pool(pool: ProcessPoolExecutor | None) -> None:
    """Stop ``pool``'s processes: terminated, not asked to exit. After the jobs' results are
    collected the workers are idle, with nothing to finish (and their interpreters' teardown
    need not hold up ours); after a failure or Ctrl-C, workers still warming up or drawing are
    stopped rather than waited for."""
    if pool is None:
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def recorded(
    fn: Callable, args: tuple, kwargs: dict, *, category: type[Warning] = Warning
) -> tuple[object, list[tuple[type, str]]]:
    """Run ``fn`` with its warnings recorded (every one of ``category``, repeats included);
    return its value and the warnings, as ``(category, message)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", category)
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
        future = pool.submit(recorded, fn, args, kwargs)
    except BrokenProcessPool:  # the pool died before this job: run it here
        return Job(fn, args, kwargs, None)
    return Job(fn, args, kwargs, future)


def run_jobs(
    fn: Callable,
    jobs: Sequence,
    *,
    workers: int = 1,
    show: bool = False,
    desc: str = "jobs",
    pool: ProcessPoolExecutor | None = None,
) -> Iterator:
    """Yield ``fn(job)`` for each job, in order.

    With ``workers`` > 1 the jobs run in that many "spawn" processes (those of ``pool``, from
    :func:`start_pool`, if given), so ``fn`` must be importable and the jobs picklable. If a worker dies (e.g.
    out of memory), the jobs not yet done run in this process, with a warning. ``show`` draws
    a progress bar on stderr.
    """
    from tqdm import tqdm

    with tqdm(total=len(jobs), desc=desc, disable=not show, file=sys.stderr) as bar:
        done = 0
        if (pool is not None or workers > 1) and len(jobs) > 1:
            try:
                with pool_of(workers, ()) if pool is None else _borrowed(pool) as executor:
                    # small chunks: the first reaches a process early, and at the end no
                    # process waits long on another's last chunk
                    chunk = max(1, min(4, len(jobs) // (8 * max(workers, 1))))
                    for item in executor.map(fn, jobs, chunksize=chunk):
                        done += 1
                        bar.update()
                        yield item
            except BrokenProcessPool as exc:
                warnings.warn(
                    f"A worker process stopped ({exc}); doing the other {len(jobs) - done} of "
                    f"{len(jobs)} {desc} in this process. Set [output] workers = 1 to avoid "
                    "the pool.",
                    UserWarning,
                    stacklevel=2,
                )
        for job in jobs[done:]:
            bar.update()
            yield fn(job)


@contextmanager
def _borrowed(pool: ProcessPoolExecutor) -> Iterator[ProcessPoolExecutor]:
    yield pool  # the caller's pool: its owner shuts it down

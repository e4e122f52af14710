"""Helpers for the benchmark scripts: where the real data is, and a timer that prints."""

from __future__ import annotations

import os
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("INCLUSION_GEO_SHARED_DATA", REPO.parent / "shared" / "data"))
RESULTS: dict[str, float] = {}


def shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        raise SystemExit(
            f"{path} not found: set INCLUSION_GEO_SHARED_DATA to the shared/data folder"
        )
    return path


@contextmanager
def timed(label: str):
    start = time.perf_counter()
    yield
    RESULTS[label] = time.perf_counter() - start
    print(f"{label:<48} {RESULTS[label]:8.3f} s", flush=True)


def leeds_config(tmp: Path) -> Path:
    """examples/leeds.toml with its paths pointed at SHARED."""
    text = (REPO / "examples" / "leeds.toml").read_text().replace("../../shared/data", str(SHARED))
    path = tmp / "leeds.toml"
    path.write_text(text)
    return path


@contextmanager
def peak_memory():
    """Peak Python heap while the block runs (numpy buffers included), printed in MB."""
    tracemalloc.start()
    yield
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{'peak traced memory':<48} {peak / 1e6:8.1f} MB")


class ProcessTreeMemory:
    """Peak resident memory of this process and all its children together, sampled from /proc
    (Linux) every ``interval`` seconds while the block runs. Children's own ``ru_maxrss``
    cannot be used: Linux carries the parent's peak over into a child when it starts."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.peak_mb = 0.0
        self.peak_child_mb = 0.0

    def __enter__(self):
        import threading

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            children = [_rss_mb(pid) for pid in _descendants(os.getpid())]
            self.peak_mb = max(self.peak_mb, _rss_mb(os.getpid()) + sum(children))
            self.peak_child_mb = max([self.peak_child_mb, *children])


def _descendants(root: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        found += frontier
    return found


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0

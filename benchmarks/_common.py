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

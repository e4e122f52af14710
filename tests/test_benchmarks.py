"""The benchmark scripts run from a clean checkout and print the figures docs/performance.md
quotes (the figures themselves are machine-dependent and not checked here)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]
BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def run(script: str, shared_data: Path) -> str:
    env = os.environ | {"INCLUSION_GEO_SHARED_DATA": str(shared_data)}
    done = subprocess.run(
        [sys.executable, str(BENCH / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def figure(output: str, label: str) -> float:
    match = re.search(rf"^\s*{re.escape(label)}\s+([\d,.]+)", output, flags=re.MULTILINE)
    assert match, f"{label!r} not printed:\n{output}"
    return float(match.group(1).replace(",", ""))


def test_one_authority_benchmark(shared_data):
    out = run("bench_load.py", shared_data)
    total = figure(out, "one LA end to end: load, score, hotspots, access, map, tables")
    stages = sum(
        figure(out, name) for name in ["checks", "scores", "hotspots", "access", "ward roll-up"]
    )
    assert 0 < stages < total


def test_national_benchmark(shared_data):
    out = run("bench_national.py", shared_data)
    assert figure(out, "areas") == 34753
    assert "authorities done / failed                        330 / 1" in out
    compute = figure(out, "all compute, per-authority scopes included")
    parts = figure(out, "compute: national scoring + hotspots + roll-ups") + figure(
        out, "per-authority compute"
    )
    assert compute == pytest.approx(parts, abs=0.02)
    assert figure(out, "ratio of all compute to reading the inputs") > 0
    assert figure(out, "peak resident memory, with the page workers") >= figure(
        out, "peak resident memory, main process"
    )

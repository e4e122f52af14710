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


def run(script: str, shared_data: Path, *args: str) -> str:
    env = os.environ | {"INCLUSION_GEO_SHARED_DATA": str(shared_data)}
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
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
    """The analysis figure and, beside it, the whole CLI's (every output, fresh processes)."""
    # one CLI run, of the demo: exercised, cheap (the Leeds CLI run is tested in test_leeds.py)
    out = run("bench_load.py", shared_data, "--once", "--demo")
    total = figure(out, "one LA end to end: load, score, hotspots, access, map, tables")
    stages = sum(
        figure(out, name) for name in ["checks", "scores", "hotspots", "access", "ward roll-up"]
    )
    assert 0 < stages < total
    imports = figure(out, "import inclusion_geo.cli (in process)")
    start = figure(out, "CLI start-up: inclusion-geo --help")
    demo = figure(out, "CLI demo run, every output (320 areas)")
    # plausible, not timed: each run includes start-up
    assert 0 < imports < start < demo
    assert "CLI Leeds run" not in out  # --demo
    assert "heavy modules loaded at import                 []" in out  # no numba at import


def test_hotspot_scaling_table(shared_data):
    """The scaling table's rows (sizes, ours, and esda's where numba is installed)."""
    out = run("bench_hotspots.py", shared_data, "--quick")
    rows = re.findall(r"^\s*([\d,]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", out, flags=re.MULTILINE)
    assert [int(r[0].replace(",", "")) for r in rows] == [1000, 2000]
    for _, local, glob, ours in rows:
        assert float(ours) == pytest.approx(float(local) + float(glob), abs=0.002)


def test_national_benchmark(shared_data):
    """The national benchmark's figures, on three authorities (--quick): the same national
    machinery as the full England and Wales run whose figures docs/performance.md quotes."""
    out = run("bench_national.py", shared_data, "--quick")
    assert figure(out, "areas") == 920  # Leeds 482, Bradford 310, Calderdale 128
    assert "authorities done / failed                        3 / 0" in out
    compute = figure(out, "all compute, per-authority scopes included")
    parts = figure(out, "compute: national scoring + hotspots + roll-ups") + figure(
        out, "per-authority compute"
    )
    assert compute == pytest.approx(parts, abs=0.02)
    assert figure(out, "ratio of all compute to reading the inputs") > 0
    assert figure(out, "peak resident memory, with the page workers") >= figure(
        out, "peak resident memory, main process"
    )

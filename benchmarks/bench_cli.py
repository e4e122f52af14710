"""The whole command line, as a user runs it: wall time of ``inclusion-geo run`` with every
output written (map, tables, workbooks, static figures, ward pages), for the demo borough and
for Leeds from cached inputs; and the time to import the package and start the CLI.

Each figure is the best of ``ROUNDS`` runs in a fresh process, after one warm-up run (which
fills the OS file cache and the harmonised Census cache: "cached inputs").

Run: .venv/bin/python benchmarks/bench_cli.py        (``--demo``: the demo borough only;
``--once``: one run each, no warm-up, as the test suite does)
Targets: import and start-up <= 2 s with no compilation at import; demo <= 3 s; Leeds <= 5 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import RESULTS, leeds_config

ROUNDS = 3
CLI = "from inclusion_geo.cli import entry; entry()"  # what the installed command runs
IMPORTS = (
    "import sys, time; t = time.perf_counter(); import inclusion_geo.cli; "
    "print(time.perf_counter() - t); "
    "print(sorted(m for m in ('numba', 'matplotlib', 'folium', 'mapclassify', 'esda') if m in sys.modules))"
)


def _wall(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[-4:])} failed:\n{done.stderr[-2000:]}")
    return seconds


def _best(label: str, args: list[str], env: dict, *, target: str) -> float:
    once = "--once" in sys.argv
    if not once:
        _wall(args, env)  # warm-up
    best = min(_wall(args, env) for _ in range(1 if once else ROUNDS))
    RESULTS[label] = best
    print(f"{label:<48} {best:8.3f} s   (target {target})", flush=True)
    return best


def start_up(env: dict) -> None:
    """Import time (in the process) and the wall time of ``inclusion-geo --help``."""
    out = subprocess.run(
        [sys.executable, "-c", IMPORTS], env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    print(f"{'import inclusion_geo.cli (in process)':<48} {float(out[0]):8.3f} s")
    print(f"{'  heavy modules loaded at import':<48} {out[1]}   (numba: none expected)")
    _best("CLI start-up: inclusion-geo --help", [sys.executable, "-c", CLI, "--help"], env, target="<= 2 s")  # fmt: skip


def cli_runs(tmp: Path, env: dict, *, leeds: bool = True) -> None:
    """The whole CLI, every output, for the demo and (``leeds``) for Leeds."""
    run = [sys.executable, "-c", CLI, "run", "--quiet"]
    _best("CLI demo run, every output (320 areas)", [*run, "--out", str(tmp / "demo")], env, target="<= 3 s")  # fmt: skip
    if leeds:
        config = leeds_config(tmp)
        _best(
            "CLI Leeds run, cached inputs, every output",
            [*run, "--config", str(config), "--out", str(tmp / "leeds")],
            env,
            target="<= 5 s",
        )


def main() -> None:
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryDirectory() as tmp:
        start_up(env)
        cli_runs(Path(tmp), env, leeds="--demo" not in sys.argv)


if __name__ == "__main__":
    main()

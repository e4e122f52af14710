"""Time to load every source for one local authority (Leeds) from national files on disk, and
to run it end to end (map and tables, without the static figures and ward pages); then,
beside that analysis figure, the whole command line with every output (``bench_cli.py``):
import and start-up, the demo, and Leeds from cached inputs, each in a fresh process.

Run: .venv/bin/python benchmarks/bench_load.py      (targets: load < 5 s; end to end < 5 s;
CLI: start-up <= 2 s, demo <= 3 s, Leeds <= 5 s; ``--no-cli`` leaves the CLI out)
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

from _common import RESULTS, leeds_config, timed
from bench_cli import cli_runs, start_up

from inclusion_geo.report import write_outputs
from inclusion_geo.runner import load_inputs, run_config


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        config = leeds_config(Path(tmp))
        load_inputs(config)  # warm the OS file cache, as for "cached national files"
        with timed("load all sources for Leeds (total)"):
            inputs = load_inputs(config)
        for name, seconds in inputs.timings.items():
            print(f"  {name:<46} {seconds:8.3f} s")
        print(f"areas {len(inputs.areas)}, assets {len(inputs.assets)}")
        # first run: imports (folium, matplotlib) and the harmonised Census cache are paid once
        write_outputs(run_config(config), Path(tmp) / "warm", full=False)
        total = "one LA end to end: load, score, hotspots, access, map, tables"
        with timed(total):
            with timed("  load and stage two"):
                result = run_config(config)
            with timed("  map and tables"):
                write_outputs(result, Path(tmp) / "out", full=False)
        stages = result.timings
        print(
            f"  of which loading {RESULTS['  load and stage two'] - sum(stages.values()):.3f} s, and:"
        )
        for name, seconds in stages.items():
            print(f"    {name:<44} {seconds:8.3f} s")
        if "--no-cli" not in sys.argv:
            print("the whole command line, every output written (fresh processes):")
            env = os.environ | {"PYTHONWARNINGS": "ignore"}
            start_up(env)
            cli_runs(Path(tmp), env, leeds="--demo" not in sys.argv)


if __name__ == "__main__":
    main()

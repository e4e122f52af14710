"""Time to load every source for one local authority (Leeds) from national files on disk, and
to run it end to end (map and tables, without the static figures and ward pages).

Run: .venv/bin/python benchmarks/bench_load.py      (targets: load < 5 s; end to end < 5 s)
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from _common import RESULTS, leeds_config, timed

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


if __name__ == "__main__":
    main()

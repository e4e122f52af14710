"""Time to load every source for one local authority (Leeds) from national files on disk.

Run: .venv/bin/python benchmarks/bench_load.py      (target: under 5 s in total)
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from _common import leeds_config, timed

from inclusion_geo.runner import load_inputs


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        config = leeds_config(Path(tmp))
        load_inputs(config)  # warm the OS file cache, as for "cached national files"
        with timed("load all sources for Leeds (total)"):
            inputs = load_inputs(config)
    for name, seconds in inputs.timings.items():
        print(f"  {name:<46} {seconds:8.3f} s")
    print(
        f"areas {len(inputs.areas)}, count columns {inputs.counts.shape[1]}, assets {len(inputs.assets)}"
    )


if __name__ == "__main__":
    main()

"""The national run: every local authority in England and Wales (34,753 LSOA 2011) from national files,
with per-authority maps and tables, and the share of the time spent just reading inputs.

Run: .venv/bin/python benchmarks/bench_national.py   (targets: whole run with every
authority's pages <= 60 s on a 2-core machine, peak < 2 GB; scoring + hotspots + roll-ups
< 10 s; total no more than 3x the time to read the inputs)

Wall times count whatever else the machine is doing; the CPU seconds of the run (this process
and its page-writing processes) are printed beside them, as a figure that does not.

``--quick`` runs the same national machinery on three authorities (examples/west_yorkshire.toml)
so the test suite exercises the script cheaply; the figures in docs/performance.md come from
the full run.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

from _common import REPO, RESULTS, SHARED, ProcessTreeMemory, timed

from inclusion_geo.national import run_national
from inclusion_geo.runner import load_inputs


def main() -> None:
    warnings.simplefilter("ignore", UserWarning)
    example = "west_yorkshire.toml" if "--quick" in sys.argv[1:] else "england_wales.toml"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config = tmp / example
        config.write_text(
            (REPO / "examples" / example)
            .read_text()
            .replace("../../shared/data", str(SHARED))
            .replace('recipe = "recipes/', f'recipe = "{REPO / "examples" / "recipes"}/')
        )
        os.environ["INCLUSION_GEO_CACHE"] = str(tmp / "cache")  # start with an empty cache
        with timed("read inputs only, first time (published files)"):
            load_inputs(config)
        with timed("read inputs only, harmonised Census cached"):
            inputs = load_inputs(config)
        print(f"areas {len(inputs.areas):,}; authorities {inputs.areas['lad_code'].nunique()}")
        start, cpu = time.perf_counter(), _cpu_seconds()
        with ProcessTreeMemory() as memory:
            run = run_national(config, tmp / "out", progress=False)
        total, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
        for name, seconds in run.timings.items():
            part = name.partition(": ")[2]  # a stage of the per-authority pass
            print(f"    {part:<44} {seconds:8.2f} s" if part else f"  {name:<46} {seconds:8.2f} s")
        print(f"{'whole national run':<48} {total:8.1f} s   (target <= 60 s, every page)")
        print(
            f"{'CPU of the run, page workers included':<48} {cpu:8.1f} s   ({run.workers} workers)"
        )
        print(f"{'authorities done / failed':<48} {len(run.succeeded)} / {len(run.failed)}")
        pages = run.timings["per-authority pages"] / max(len(run.succeeded), 1)
        print(f"{'pages per authority (wall, all workers)':<48} {pages:8.3f} s")
        read = run.timings["load"]
        compute = (
            run.timings["national scoring"]
            + run.timings["national hotspots"]
            + run.timings["roll-ups"]
        )
        print(
            f"{'compute: national scoring + hotspots + roll-ups':<48} {compute:8.2f} s   (target < 10 s)"
        )
        print(
            f"{'ratio of that compute to reading the inputs':<48} {compute / read:8.2f} x   (target <= 3x)"
        )
        everything = compute + run.timings["per-authority compute"]
        cold = RESULTS["read inputs only, first time (published files)"]
        print(f"{'all compute, per-authority scopes included':<48} {everything:8.2f} s")
        print(
            f"{'ratio of all compute to reading the inputs':<48} {everything / read:8.2f} x   (target <= 3x)"
        )
        print(
            f"{'the same against reading the published files':<48} {everything / cold:8.2f} x   (target <= 3x)"
        )
        print(
            f"{'ratio of the whole run to reading the inputs':<48} {total / read:8.1f} x   (per-LA pages included)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak resident memory, main process':<48} {peak:8.0f} MB")
    print(f"{'peak resident memory, largest page worker':<48} {memory.peak_child_mb:8.0f} MB")
    print(
        f"{'peak resident memory, with the page workers':<48} {memory.peak_mb:8.0f} MB   "
        f"(target < 2,048 MB; sampled, {run.workers} workers)"
    )


def _cpu_seconds() -> float:
    """User and system CPU seconds of this process and of its finished child processes."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()

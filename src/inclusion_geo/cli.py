"""Command line: ``inclusion-geo run --out DIR``. The only module that prints."""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Sequence

from . import __version__
from ._errors import InclusionGeoError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inclusion-geo",
        description="Find where people are at risk of digital exclusion and which community "
        "places could help them (stage two of the 100%% Digital Leeds model).",
    )
    parser.add_argument("--version", action="version", version=f"inclusion-geo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="run stage two and write the map, priority table, ward table and summary",
        description="Run stage two. With no area given, runs on the bundled synthetic demo "
        "borough (no download needed).",
    )
    run.add_argument("--out", required=True, help="folder to write the outputs to (new or empty)")
    run.add_argument(
        "--seed", type=int, default=0, help="random seed for the demo and permutations"
    )
    run.add_argument(
        "--permutations", type=int, default=999, help="permutations for hotspot inference"
    )
    run.add_argument(
        "--tiles",
        default="none",
        choices=["none", "OpenStreetMap", "CartoDB positron"],
        help="basemap (default none: works offline)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    return 2  # pragma: no cover - argparse requires a command


def _run(args: argparse.Namespace) -> int:
    from .pipeline import run_demo
    from .report import write_outputs

    if args.permutations < 0:
        print("inclusion-geo: error: --permutations must be 0 or more.", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        from pathlib import Path

        from .report import _check_out_dir

        _check_out_dir(Path(args.out).expanduser().absolute())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run_demo(seed=args.seed, permutations=args.permutations)
            paths = write_outputs(result, args.out, tiles=args.tiles)
    except (InclusionGeoError, OSError) as exc:
        print(f"inclusion-geo: error: {exc}", file=sys.stderr)
        return 1
    for w in caught:
        print(f"inclusion-geo: warning: {w.message}", file=sys.stderr)
    elapsed = time.perf_counter() - start
    print(f"{result.title}")
    print(
        f"{len(result.areas)} areas, {len(result.wards)} wards, {len(result.assets)} assets; done in {elapsed:.1f} s"
    )
    print("Wrote:")
    for name, path in paths.items():
        print(f"  {name:<20} {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

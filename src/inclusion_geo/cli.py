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
        "--config",
        help="TOML file naming the area, its input files and the method (see examples/leeds.toml); "
        "without it, the synthetic demo borough is used",
    )
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
    run.add_argument(
        "--workers",
        type=int,
        help="processes for writing the pages of a run over many authorities "
        "(default: one per core, at most four)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    return 2  # pragma: no cover - argparse requires a command


def _run(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from .pipeline import run_demo
    from .report import check_out_dir, write_outputs

    if args.permutations is not None and args.permutations < 0:
        print("inclusion-geo: error: --permutations must be 0 or more.", file=sys.stderr)
        return 2
    if args.workers is not None and args.workers < 0:
        print("inclusion-geo: error: --workers must be 0 or more.", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        check_out_dir(Path(args.out).expanduser().absolute())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if args.config:
                from .config import load_config
                from .runner import run_config

                cfg = load_config(args.config)
                overrides = {
                    "seed": args.seed,
                    "permutations": args.permutations,
                    "tiles": args.tiles,
                    "workers": args.workers,
                }
                cfg = replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
                if cfg.many:
                    return _run_many(cfg, args.out, caught, start)
                result = run_config(cfg)
                tiles = cfg.tiles
            else:
                perms = 999 if args.permutations is None else args.permutations
                result = run_demo(seed=args.seed or 0, permutations=perms)
                tiles = args.tiles or "none"
            paths = write_outputs(result, args.out, tiles=tiles)
    except (InclusionGeoError, OSError) as exc:
        print(f"inclusion-geo: error: {exc}", file=sys.stderr)
        return 1
    for w in caught:
        print(f"inclusion-geo: warning: {w.message}", file=sys.stderr)
    elapsed = time.perf_counter() - start
    print(result.title)
    print(
        f"{len(result.areas)} areas, {len(result.wards)} wards, {len(result.assets)} assets; "
        f"done in {elapsed:.1f} s"
    )
    print("Wrote:")
    for name, path in paths.items():
        print(f"  {name:<20} {path}")
    return 0


def _run_many(cfg, out, caught, start) -> int:
    from .national import run_national

    run = run_national(cfg, out)
    for w in caught:
        print(f"inclusion-geo: warning: {w.message}", file=sys.stderr)
    print(
        f"{cfg.area_name}: {len(run.succeeded)} authorities done, {len(run.failed)} failed, in {time.perf_counter() - start:.1f} s"
    )
    for code, reason in run.failed.items():
        print(f"  failed {run.label(code)}: {reason}")
    print(f"Wrote: {run.out_dir / 'index.html'}")
    print(f"       {run.out_dir / 'national_priority_areas.csv'}")
    print(f"       {run.out_dir / 'local_authorities.csv'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

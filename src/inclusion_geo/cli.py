"""Command line: ``inclusion-geo run --out DIR``. The only module that prints."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import warnings
from collections.abc import Sequence
from contextlib import contextmanager

from . import __version__
from ._defaults import BASEMAPS, DEFAULT_PERMUTATIONS, DEFAULT_SEED, DEFAULT_TILES
from ._errors import InclusionGeoError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inclusion-geo",
        description="Find where people are at risk of digital exclusion and which community "
        "places could help them (stage two of the 100% Digital Leeds model).",
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
    # no argparse defaults: a flag the user did not give leaves the config's setting alone
    run.add_argument(
        "--seed",
        type=int,
        help="random seed for the demo and permutations (default: the config's [hotspots] "
        f"seed, else {DEFAULT_SEED})",
    )
    run.add_argument(
        "--permutations",
        type=int,
        help="permutations for hotspot inference (default: the config's [hotspots] "
        f"permutations, else {DEFAULT_PERMUTATIONS})",
    )
    run.add_argument(
        "--tiles",
        choices=list(BASEMAPS),
        help="basemap (default: the config's [output] tiles, else none: works offline)",
    )
    run.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print no progress (warnings, errors and the list of files written still print)",
    )
    run.add_argument(
        "--workers",
        type=int,
        help="processes writing outputs at once: a run over many authorities writes their "
        "pages in that many; a single run draws its ward pages and map in a second process "
        "(1: everything in this one; default: one per core, at most four)",
    )
    _add_assets_parser(sub)
    return parser


def _add_assets_parser(sub) -> None:
    assets = sub.add_parser(
        "assets",
        help="write the asset register (every place, its tier, hours and capacity) for review",
        description="Write the asset register for a config's assets (with its [sources.assets] "
        "register applied, if any) as .xlsx or .csv, for a council to review and edit.",
    )
    assets.add_argument("--config", required=True, help="TOML file naming the assets")
    assets.add_argument("--out", required=True, help="register file to write (.xlsx or .csv)")
    assets.add_argument("--force", action="store_true", help="replace --out if it exists")


class Progress:
    """One line per stage on stderr as the run goes (``loading inputs… 2.1 s``). Where stderr
    is a terminal, a tqdm bar counts the stages and names the one under way, and each finished
    stage is written above it. ``quiet`` prints nothing."""

    def __init__(self, *, quiet: bool = False, stream=None, total: int | None = None) -> None:
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = total
        self._bar = None

    @contextmanager
    def stage(self, name: str):
        """Time the block and report it as the stage ``name``."""
        if self.quiet:
            yield
            return
        start = time.perf_counter()
        if self.tty:
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(total=self.total, file=self.stream, unit="stage", leave=False)
            self._bar.set_description(f"{name}…")
            try:
                yield
            finally:
                self._bar.write(f"{name}… {time.perf_counter() - start:.1f} s", file=self.stream)
                self._bar.update()
            return
        print(f"{name}…", end="", file=self.stream, flush=True)
        try:
            yield
        except BaseException:
            print(" stopped", file=self.stream, flush=True)
            raise
        print(f" {time.perf_counter() - start:.1f} s", file=self.stream, flush=True)

    def close(self) -> None:
        """Remove the bar (a terminal's), leaving the stage lines."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "assets":
        return _assets(args)
    if args.command == "run":
        return _run_claimed(args)
    return 2  # pragma: no cover - argparse requires a command


def _run_claimed(args: argparse.Namespace) -> int:
    """``_run`` with ``--out`` checked and locked from the start to the final move, and Ctrl-C
    or SIGTERM ending in one line (exit 130 / 143) with the staging folder removed."""
    import signal
    import threading
    from contextlib import ExitStack
    from pathlib import Path

    from ._output import claim_output

    out = Path(args.out).expanduser().absolute()

    def terminated(signum, frame):
        raise _Stopped(signum)

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, terminated) if in_main else None
    try:
        with ExitStack() as stack:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                stack.enter_context(claim_output(out))
            for w in caught:  # e.g. the staging folder of a killed run, removed
                print(f"inclusion-geo: warning: {w.message}", file=sys.stderr)
            return _run(args)
    except KeyboardInterrupt as exc:
        how = "stopped (SIGTERM)" if isinstance(exc, _Stopped) else "interrupted"
        print(
            f"inclusion-geo: {how}; nothing was written to {out} (earlier outputs are unchanged)",
            file=sys.stderr,
        )
        return 128 + exc.signum if isinstance(exc, _Stopped) else 130
    except (InclusionGeoError, OSError) as exc:
        print(f"inclusion-geo: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


class _Stopped(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _output_pool(workers: int | None):
    """The worker process that draws the ward pages, the map and the report charts while
    this process writes the rest (:func:`inclusion_geo.report.write_outputs`): with
    ``workers`` of 2 or more (by default one per core, at most four), one worker, as a single
    run has one job to hand over; with 1, none (everything is written here)."""
    from ._jobs import default_workers, pool_of

    with pool_of(min(default_workers(workers) - 1, 1)) as pool:
        yield pool


def _run(args: argparse.Namespace) -> int:
    from contextlib import ExitStack
    from dataclasses import replace
    from pathlib import Path

    from ._output import check_out_dir

    if args.permutations is not None and args.permutations < 0:
        print("inclusion-geo: error: --permutations must be 0 or more.", file=sys.stderr)
        return 2
    if args.seed is not None and args.seed < 0:
        print("inclusion-geo: error: --seed must be 0 or more.", file=sys.stderr)
        return 2
    if args.workers is not None and args.workers < 0:
        print("inclusion-geo: error: --workers must be 0 or more.", file=sys.stderr)
        return 2
    start = time.perf_counter()
    progress = Progress(quiet=args.quiet, total=3)
    try:
        check_out_dir(Path(args.out).expanduser().absolute())
        with ExitStack() as stack, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if not args.config:  # the demo's worker warms up while the rest imports
                pool = stack.enter_context(_output_pool(args.workers))
            from .datasets import DEMO_CLOSURE
            from .pipeline import run_demo, with_plans
            from .report import write_outputs

            if _COMMAND:  # the imported modules are never garbage: collections skip them
                gc.freeze()

            if args.config:
                from .config import load_config
                from .runner import load_inputs, run_config

                cfg = load_config(args.config)
                overrides = {
                    "seed": args.seed,
                    "permutations": args.permutations,
                    "tiles": args.tiles,
                    "workers": args.workers,
                }
                cfg = replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
                if cfg.many:  # a national run starts its own page workers
                    return _run_many(cfg, args.out, caught, start, progress)
                # the worker warms up while the inputs load
                pool = stack.enter_context(_output_pool(cfg.workers))
                with progress.stage("loading inputs"):
                    inputs = load_inputs(cfg)
                with progress.stage("scoring"):
                    result = run_config(cfg, inputs=inputs)
                tiles = cfg.tiles
            else:
                perms = DEFAULT_PERMUTATIONS if args.permutations is None else args.permutations
                seed = DEFAULT_SEED if args.seed is None else args.seed
                with progress.stage("scoring the demo borough"):
                    result = run_demo(seed=seed, permutations=perms)
                # the demo shows every question answered: where 3 new hubs should go, what
                # closing one library would cost, and a weekly pop-up rota of 4 sessions
                with progress.stage("planning sites, a closure and pop-ups"):
                    result = with_plans(result, new_sites=3, close=DEMO_CLOSURE, popup_sessions=4)
                tiles = args.tiles or DEFAULT_TILES
            with progress.stage("writing outputs"):
                paths = write_outputs(result, args.out, tiles=tiles, pool=pool)
    except (InclusionGeoError, OSError) as exc:
        progress.close()
        for w in caught:  # what was noticed before the error helps to read it
            print(f"inclusion-geo: warning: {w.message}", file=sys.stderr)
        print(f"inclusion-geo: error: {exc}", file=sys.stderr)
        return 1
    progress.close()
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


def _run_many(cfg, out, caught, start, progress: Progress) -> int:
    from .national import run_national

    codes = cfg.area_codes
    what = "every authority" if codes == ("all",) else f"{len(codes)} authorities"
    with progress.stage(f"running {what}"):
        run = run_national(cfg, out, progress=False if progress.quiet else None)
    progress.close()
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


def _assets(args: argparse.Namespace) -> int:
    """``inclusion-geo assets``: build the register for a config and write it."""
    from pathlib import Path

    out = Path(args.out).expanduser()
    if out.exists() and not args.force:
        print(
            f"inclusion-geo: error: {out} already exists; choose another --out or add --force "
            "to replace it.",
            file=sys.stderr,
        )
        return 1
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from .config import load_config
            from .register import exclusion_counts
            from .runner import load_register
            from .sources.register import write_register

            register = load_register(load_config(args.config))
            path = write_register(register, out, overwrite=args.force)
    except (InclusionGeoError, OSError) as exc:
        print(f"inclusion-geo: error: {exc}", file=sys.stderr)
        return 1
    for w in caught:
        print(f"inclusion-geo: warning: {w.message}", file=sys.stderr)
    tiers = register.loc[register["include"], "tier"].value_counts()
    print(f"{len(register)} places read in {time.perf_counter() - start:.1f} s; kept:")
    for tier in (1, 2, 3):
        print(f"  tier {tier}: {int(tiers.get(tier, 0))}")
    for reason, count in exclusion_counts(register).iloc[1:].itertuples(index=False):
        print(f"  excluded ({reason}): {count}")
    print(f"Wrote: {path}")
    return 0


#: True in the installed command (:func:`entry`), which owns its process; False when
#: :func:`main` is called from Python (a notebook, the tests), whose process it must not tune
_COMMAND = False


def entry() -> None:  # pragma: no cover - the installed command; tests call main()
    """The ``inclusion-geo`` command: :func:`main`, then exit at once. By then every output
    is written, closed and moved into place, and the worker processes are stopped; skipping
    the interpreter's teardown of the run's data saves about half a second per run."""
    global _COMMAND
    _COMMAND = True
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()

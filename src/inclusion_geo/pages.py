"""Pages for many groups of one run: each local authority of a national run
(:func:`inclusion_geo.national.run_national`), or each group of a result split by a column
(:func:`write_maps_by`), written the one way (:func:`write_pages`), in worker processes when
asked, with an ``index.html`` linking them (:func:`write_index`).

One result's outputs are :mod:`inclusion_geo.report`'s; this module builds on it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import report
from ._errors import InclusionGeoError
from ._safe import file_stem, html_text

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from concurrent.futures import ProcessPoolExecutor

    from .result import StageTwoResult

__all__ = ["NEARBY_M", "PAGE_IMPORTS", "write_index", "write_maps_by", "write_pages"]


def write_maps_by(
    result: StageTwoResult,
    folder: str | Path,
    *,
    by: str = "lad_code",
    names: str | None = None,
    tiles: str = "none",
) -> Path:
    """One map page per group of areas (e.g. per local authority) and an ``index.html``.

    Each page holds the group's areas, the assets within :data:`NEARBY_M` of them (people
    cross borders) and the wards its areas belong to (:func:`write_pages`). Returns the index
    page.
    """
    if by not in result.areas.columns:
        raise InclusionGeoError(
            f"areas have no {by!r} column to split the maps by; columns include {list(result.areas.columns)[:8]}."
        )
    parts = _split_by(result, by, names)
    failed = {c: why for c, why in write_pages(parts, folder, tiles=tiles, maps_only=True) if why}
    if failed:
        code, why = next(iter(failed.items()))
        raise InclusionGeoError(f"{len(failed)} map page(s) failed, e.g. {code!r}: {why}")
    entries = pd.DataFrame(
        {
            "label": [part.place for part in parts.values()],
            "areas": [f"({len(part.areas)} areas)" for part in parts.values()],
        },
        index=list(parts),
    )
    return write_index(folder, result.title, entries, links={"label": "{stem}.html"})


def _split_by(result: StageTwoResult, by: str, names: str | None) -> dict[str, StageTwoResult]:
    """One result per group of ``result.areas`` (by the column ``by``), in code order, named
    by the column ``names`` (default: the code), with the ward boundaries of its areas."""
    from dataclasses import replace

    parts = {}
    for code, part in result.areas.groupby(by, sort=True):
        label = str(part[names].iloc[0]) if names and names in part else str(code)
        wards = result.ward_boundaries
        if wards is not None:
            wards = wards[wards.index.isin(part["ward_code"])]
        parts[code] = replace(result, areas=part, ward_boundaries=wards, place=label)
    return parts


#: a group's page shows the assets within this distance of its areas (people cross borders)
NEARBY_M = 2_000
#: what a page-writing process imports before its first page (see write_pages' ``pool``)
PAGE_IMPORTS = ("inclusion_geo.pages", "inclusion_geo.mapping")


def write_pages(
    parts: Mapping[str, StageTwoResult],
    folder: str | Path,
    *,
    tiles: str = "none",
    maps_only: bool = False,
    workers: int = 1,
    show: bool = False,
    desc: str = "pages",
    pool: ProcessPoolExecutor | None = None,
) -> Iterator[tuple[str, str | None]]:
    """Write the pages of each group's result (e.g. each local authority of a national run),
    the one way :func:`write_maps_by` and :func:`inclusion_geo.national.run_national` do.

    Each group's files are named by :func:`~inclusion_geo._safe.file_stem` of its code, in
    ``folder``: with ``maps_only``, its map ``<stem>.html``; otherwise the folder ``<stem>/``
    of :func:`write_outputs` with ``full=False`` (map, CSV tables, summary). A page shows the
    assets within :data:`NEARBY_M` of the group's areas. Pages are independent: with
    ``workers`` > 1 they are written in that many processes (those of ``pool``, started
    early by :func:`inclusion_geo._jobs.start_pool`, if given; finished in this
    process if one dies); ``show`` draws a progress bar named ``desc``.

    Warnings raised while a group's pages are written (data-quality caveats) are passed on
    here once each, after the pages, naming the places they arose in:
    ``"... (writing the pages of Bradford, Leeds and 3 more)"``.

    Yields ``(code, None)`` in code order, or ``(code, why its pages failed)``.
    """
    import warnings

    import shapely

    from ._jobs import run_jobs

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    trees: dict[int, shapely.STRtree] = {}  # groups of one run share one asset frame
    registers: dict[int, pd.DataFrame] = {}  # and one register
    jobs = []
    for code in sorted(parts):
        result = parts[code]
        if id(result.assets) not in trees:
            trees[id(result.assets)] = shapely.STRtree(result.assets.geometry.array)
        view = _page_view(result, trees[id(result.assets)], registers)
        jobs.append((tiles, maps_only, view, code, folder))
    done = run_jobs(_write_group, jobs, workers=workers, show=show, desc=desc, pool=pool)
    said: dict[tuple[type, str], list[str]] = {}  # each caveat once, with the places it hit
    for code, outcome, caught in done:
        for key in caught:
            said.setdefault(key, []).append(str(parts[code].place))
        yield code, outcome
    for (category, message), places in said.items():
        where = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
        warnings.warn(f"{message} (writing the pages of {where})", category, stacklevel=2)


def _page_view(result: StageTwoResult, tree, registers: dict) -> StageTwoResult:
    """What a group's pages need, small enough to send to another process: the assets within
    :data:`NEARBY_M` of its areas (``tree``, a :class:`shapely.STRtree` of ``result.assets``)
    and, without plans, only the register columns its summary counts (the register of a
    national run holds every place read in the country; ``registers`` keeps each slimmed
    register by ``id``, for the other groups that share it)."""
    from dataclasses import replace

    _, near = tree.query(result.areas.geometry.array, predicate="dwithin", distance=NEARBY_M)
    register = result.register
    if register is not None and not result.plans and "exclusion_reason" in register:
        if id(register) not in registers:
            registers[id(register)] = pd.DataFrame(
                {
                    "include": register["include"].to_numpy(),
                    "exclusion_reason": register["exclusion_reason"].astype("category").to_numpy(),
                },
                index=register.index,
            )
        register = registers[id(register)]
    return replace(result, assets=result.assets.iloc[np.unique(near)], register=register)


def _write_group(job: tuple) -> tuple[str, str | None, list]:
    """One group's pages (a job of :func:`write_pages`, in a worker process or this one):
    returns its code, its outcome and the warnings raised, each once, as
    ``(category, message)``."""
    from ._jobs import recorded

    tiles, maps_only, result, code, folder = job
    outcome, caught = recorded(_write_one, (tiles, maps_only, result, code, folder), {},
                                category=UserWarning)  # fmt: skip
    return code, outcome, list(dict.fromkeys(caught))


def _write_one(tiles, maps_only, result, code, folder: Path) -> str | None:
    """Write one group's pages; None, or why they failed."""
    stem = file_stem(code)
    try:
        if maps_only:
            report.write_map(result, folder / f"{stem}.html", tiles=tiles)
        else:
            report.write_outputs(result, folder / stem, tiles=tiles, full=False)
    except (InclusionGeoError, ValueError, OSError) as exc:
        return f"writing its pages failed: {exc}"
    return None


def write_index(
    folder: str | Path,
    title: str,
    entries: pd.DataFrame,
    *,
    links: Mapping[str, str],
    table: bool = False,
    before: str = "",
    after: str = "",
) -> Path:
    """``index.html`` in ``folder`` linking the pages of :func:`write_pages`.

    ``entries``: one row per group, indexed by its code, its cells the text to show (escaped
    here); the cells of a column of ``links`` link to that column's template formatted with
    ``stem``, the group's :func:`~inclusion_geo._safe.file_stem` (e.g. ``"{stem}.html"``).
    The groups are a list, or with ``table`` a table headed by the column names. ``before``
    and ``after``: HTML (already escaped) around it. Returns the page.
    """

    def cell(code, column, value) -> str:
        text = html_text(value)
        if column not in links:
            return text
        return f"<a href='{html_text(links[column].format(stem=file_stem(code)))}'>{text}</a>"

    columns = list(entries.columns)
    rows = [
        [cell(code, col, value) for col, value in zip(columns, values, strict=True)]
        for code, values in zip(entries.index, entries.itertuples(index=False), strict=True)
    ]
    style = ""
    if table:
        style = "<style>body{font:14px sans-serif;margin:2em}td,th{padding:2px 8px;text-align:left}</style>"  # fmt: skip
        head = "".join(f"<th>{html_text(c)}</th>" for c in columns)
        cells = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
        body = f"<table><tr>{head}</tr>{cells}</table>"
    else:
        body = "<ul>" + "".join(f"<li>{' '.join(row)}</li>" for row in rows) + "</ul>"
    title = html_text(title)
    index = Path(folder) / "index.html"
    index.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{style}</head>"
        f"<body><h1>{title}</h1>{before}{body}{after}</body></html>",
        encoding="utf-8",
    )
    return index

"""The tables a run writes: the priority table, the ward table, the plan tables, the CSV
files with their ``#`` notes, the workbook (priority areas, wards, assets, about, columns) and
the column dictionary. Every text cell stays text (``inclusion_geo._safe``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._safe import CSV_PREFIX_NOTE, csv_note, csv_text_cells
from .headcounts import HEADCOUNT_SUFFIXES

if TYPE_CHECKING:
    from .result import StageTwoResult

__all__ = [
    "PRIORITY_COLUMNS",
    "ACCESS_RENAMES",
    "priority_table",
    "ward_table",
    "recipe_label",
    "about_rows",
    "write_tables",
    "write_columns",
    "write_plans",
    "write_csv_with_notes",
]


PRIORITY_COLUMNS = {
    "priority_rank": "priority_rank",
    "priority_band": "priority_band",
    "priority_label": "priority_label",
    "need_level": "need_level",
    "action": "action",
    "action_label": "what_to_do",
    "work_through": "work_through",
    "ward_name": "ward",
    "ward_code": "ward_code",
    "__code__": "area_code",
    "name": "area_name",
    "population": "population",
    "residents_at_risk": "residents_at_risk",
    "offline_adults": "offline_adults",
    "offline_adults_low": "offline_adults_low",
    "offline_adults_high": "offline_adults_high",
    "no_basic_skills_adults": "no_basic_skills_adults",
    "no_basic_skills_adults_low": "no_basic_skills_adults_low",
    "no_basic_skills_adults_high": "no_basic_skills_adults_high",
    "leading_focus": "leading_focus",
    "help_for_leading_focus": "help_for_leading_focus",
    "risk_index": "risk_index",
    "risk_rank": "risk_rank",
    "risk_decile": "risk_decile",
    "hotspot_class": "hotspot_class",
    "cluster_class": "cluster_class",
    "access_level": "access_level",
    "dist_tier1_m": "dist_digital_support_m",
    "dist_tier1_2_m": "dist_support_or_venue_m",
    "nearest_support": "nearest_support",
    "top_barriers": "top_barriers",
    "reason": "reason",
}


def priority_table(result: StageTwoResult) -> pd.DataFrame:
    """One row per area, ranked: priority band and need, what to do and which places to work
    through, ward, code, name, population and residents at risk, score, rank, decile, hotspot
    class, access measures (distances by tier and category, counts within the catchments, hours
    of help a week per 1,000 residents at risk), top barriers, nearest support and the reason.

    Distances are rounded to whole metres (whole numbers where every distance is finite),
    modelled headcounts to whole adults and the index to 3 decimals; every other number keeps
    full precision (a supply of 0.4 hours a week must not read 0). Access columns are named
    for what they count (:data:`ACCESS_RENAMES`): ``n_tier1_800m`` is written
    ``n_digital_support_800m``; every column is described in ``columns.csv``."""
    areas = result.areas
    named = set(PRIORITY_COLUMNS)
    access_cols = [
        c for c in areas.columns if c.startswith(("dist_", "n_", "e2sfca_")) and c not in named
    ]
    columns = {
        new: areas.index.to_numpy() if col == "__code__" else areas[col].to_numpy()
        for col, new in PRIORITY_COLUMNS.items()
        if col == "__code__" or col in areas.columns
    } | {_access_name(col): areas[col].to_numpy() for col in access_cols}
    for col in [c for c in columns if c.startswith("dist_") or c == "risk_index"]:
        columns[col] = columns[col].astype(float).round(3 if col == "risk_index" else 0)
    out = pd.DataFrame(columns)
    for col in [c for c in out.columns if c.startswith("dist_") or c.endswith(HEADCOUNT_SUFFIXES)]:
        out[col] = _whole(out[col])
    if result.label:
        out["data_label"] = result.label
    return out


#: how access columns of ``result.areas`` are named in the written tables: by what they count
ACCESS_RENAMES = (
    (r"dist_any_m", "dist_support_category_m"),
    (r"n_any_(.+)", r"n_support_category_\1"),
    (r"n_tier1_2_(.+)", r"n_support_or_venue_\1"),
    (r"n_tier1_(.+)", r"n_digital_support_\1"),
)


def _access_name(column: str) -> str:
    import re

    for pattern, new in ACCESS_RENAMES:
        if re.fullmatch(pattern, column):
            return re.sub(pattern, new, column)
    return column


def _whole(values: pd.Series) -> pd.Series:
    """Rounded to whole numbers, as integers (missing stays missing) when every value is
    finite; infinite distances (no place of that kind at all) keep the float column."""
    values = pd.to_numeric(values, errors="coerce").astype(float)
    if np.isinf(values).any():
        return values.round(0)
    return values.round(0).astype("Int64")


def ward_table(result: StageTwoResult) -> pd.DataFrame:
    """One row per ward (``ward_code``, ``ward``, ...), rounded for reading: population,
    counts of areas and modelled headcounts in whole numbers, other figures to 3 decimals."""
    wards = result.wards.copy()
    whole = [
        c
        for c in wards.columns
        if c == "population" or (c.startswith("n_") or c.endswith(HEADCOUNT_SUFFIXES))
        and pd.api.types.is_numeric_dtype(wards[c]) and not pd.api.types.is_bool_dtype(wards[c])
    ]  # fmt: skip
    for col in whole:
        wards[col] = _whole(wards[col])
    float_cols = wards.select_dtypes("float").columns
    wards[float_cols] = wards[float_cols].round(3)
    out = wards.reset_index().rename(columns={"name": "ward", "index": "ward_code"})
    return out


def recipe_label(result: StageTwoResult) -> str:
    """The recipe's name, and ``(partial: N of M indicators)`` when indicators were dropped
    for lack of data (``result.settings.dropped_indicators``), for every title and header.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from inclusion_geo import run_demo
    >>> result = run_demo(permutations=0)
    >>> recipe_label(result)
    'inclusion_geo default (Census 2021)'
    >>> dropped = ["median_download_mbit", "pct_premises_below_30mbit"]
    >>> partial = replace(result, recipe=result.recipe.without(dropped),
    ...                   settings=replace(result.settings, dropped_indicators=tuple(dropped)))
    >>> recipe_label(partial)
    'inclusion_geo default (Census 2021) (partial: 9 of 11 indicators)'
    """
    dropped = list(result.settings.dropped_indicators or [])
    if not dropped:
        return result.recipe.name
    kept = len(result.recipe.indicators)
    return f"{result.recipe.name} (partial: {kept} of {kept + len(dropped)} indicators)"


def _dropped_text(result: StageTwoResult) -> str:
    """The dropped indicators by label and name, e.g. ``Living alone, 66+
    (pct_one_person_66_plus)``; empty when none were dropped."""
    from ._columns import _indicator

    words = []
    for name in result.settings.dropped_indicators or []:
        spec = _indicator(name, result.recipe)
        words.append(f"{spec.label} ({name})" if spec is not None else str(name))
    return "; ".join(words)


def _header_lines(result: StageTwoResult) -> list[str]:
    r = result.recipe
    lines = [result.title, f"Recipe: {recipe_label(result)} ({r.normalisation}, {r.scope} scope)"]
    dropped = _dropped_text(result)
    if dropped:
        lines.append(f"Scored without: {dropped} (no source provided their inputs)")
    lines += [f"Source - {k}: {v}" for k, v in result.sources.items()]
    if "offline_adults" in result.areas:
        lines.append(
            "Columns offline_adults and no_basic_skills_adults (with _low and _high) are "
            "modelled estimates, not counts: national rates by age applied to Census adults"
        )
    return lines


def _assets_table(result: StageTwoResult) -> pd.DataFrame:
    """The workbook's assets sheet: the places that help (tier 1) or could host help (tier 2),
    with their tier, hours, capacity and location, as the register file writes them. Every
    place read, tier 3 and left-out ones included, is in ``register.xlsx``."""
    from .sources.register import _file_frame

    assets = result.assets
    if {"name", "tier", "include", "category"} <= set(assets.columns):
        assets = assets[pd.to_numeric(assets["tier"], errors="coerce") <= 2]
        return _file_frame(assets).drop(columns=["include", "exclusion_reason"], errors="ignore")
    return pd.DataFrame(assets.drop(columns=assets.geometry.name)).reset_index()


def _register_columns(result: StageTwoResult) -> list[str]:
    """The columns ``register.xlsx`` has (:func:`inclusion_geo.sources.write_register`)."""
    from .sources.register import REGISTER_FILE_COLUMNS

    present = set(result.register.columns) | {"id", "include", "lat", "lon", "easting", "northing"}
    return [c for c in REGISTER_FILE_COLUMNS if c in present]


def write_tables(result: StageTwoResult, folder: Path, *, full: bool = True) -> list[Path]:
    """Write the tables of :func:`write_outputs` into ``folder``: ``priority_areas.csv`` (with
    its ``#`` notes), ``wards.csv``, ``columns.csv`` (the column dictionary of every table
    written) and, with ``full``, the workbook ``priority_areas.xlsx`` (sheets priority_areas,
    wards, assets, about, columns). Returns the files written."""
    folder = Path(folder)
    table, wards = priority_table(result), ward_table(result)
    write_csv_with_notes(table, folder / "priority_areas.csv", _header_lines(result))
    csv_text_cells(wards).to_csv(folder / "wards.csv", index=False)
    tables = {"priority_areas": list(table.columns), "wards": list(wards.columns)}
    tables |= {name: list(frame.columns) for name, frame in _plan_tables(result).items()}
    written = [folder / "priority_areas.csv", folder / "wards.csv", folder / "columns.csv"]
    if not full:
        write_columns(tables, folder / "columns.csv", recipe=result.recipe)
        return written
    assets = _assets_table(result)
    tables["assets"] = list(assets.columns)
    if result.register is not None:
        tables["register"] = _register_columns(result)
    dictionary = write_columns(tables, folder / "columns.csv", recipe=result.recipe)
    _write_xlsx(
        table, folder / "priority_areas.xlsx", about_rows(result), wards=wards, assets=assets,
        dictionary=dictionary, recipe=result.recipe,
    )  # fmt: skip
    return [*written, folder / "priority_areas.xlsx"]


def _closure_sentence(result: StageTwoResult, closure) -> str:
    """One sentence on what a closure or hours cut costs (plain text; escape for Markdown)."""
    places = closure.places
    names = "; ".join(str(n) for n in places["name"]) if "name" in places else ""
    cut = places["action"].iloc[0] if "action" in places and len(places) else "close"
    reach = result.settings.catchments_m[1]
    offline = closure.demand_newly_out_of_reach
    people = f"{closure.residents_newly_out_of_reach:,.0f} residents" + (
        f" (about {offline:,.0f} of them adults likely offline, a modelled estimate)"
        if np.isfinite(offline)
        else ""
    )
    return (
        f"Scenario, {cut} {names}: {people} would be left with no digital support within "
        f"{reach:g} m; weekly person-hours of help from all digital support would go from "
        f"{closure.supply_hours_before:,.0f} to {closure.supply_hours_after:,.0f}."
    )


def _plan_tables(result: StageTwoResult) -> dict[str, pd.DataFrame]:
    """The tables of ``result.plans``, as :func:`write_plans` writes them."""
    out = {}
    names = result.wards["name"] if "name" in result.wards else pd.Series(dtype=object)

    def ward_names(codes: str) -> str:
        return "; ".join(str(names.get(c, c)) for c in str(codes).split("; ") if c)

    if (plan := result.plans.get("site_plan")) is not None:
        sites = plan.sites.copy()
        if "wards_served" in sites:
            sites.insert(
                sites.columns.get_loc("wards_served"), "ward_names_served",
                sites["wards_served"].map(ward_names),
            )  # fmt: skip
        out["site_plan"] = sites
    if (closure := result.plans.get("closure")) is not None:
        wards = closure.wards.rename_axis("ward_code").reset_index()
        wards.insert(1, "ward", wards["ward_code"].map(lambda c: names.get(c, c)))
        people = [c for c in wards.columns if c.startswith("residents")]
        wards[people] = wards[people].round().astype("int64")  # whole residents
        out["closure"] = wards
    if (rota := result.plans.get("popup_rota")) is not None:
        out["popup_rota"] = rota.sessions
    return out


def write_plans(result: StageTwoResult, folder: Path) -> list[Path]:
    """The tables of ``result.plans`` (:func:`inclusion_geo.pipeline.with_plans`):
    ``site_plan.csv`` (the new sites in the order a greedy pass would add them, what each
    covers and the wards it serves), ``closure.csv`` (by ward: residents and estimated offline
    adults newly out of reach, weekly hours of help lost) and ``popup_rota.csv`` (sessions by
    site and day). Each starts with ``#`` notes: the solver's status and that the demand is a
    modelled estimate."""
    written = []
    estimate = "Demand and headcounts are modelled estimates, not counts (docs/methodology.md)."
    plan = result.plans.get("site_plan")
    if plan is not None:
        path = folder / "site_plan.csv"
        write_csv_with_notes(
            _plan_tables(result)["site_plan"], path,
            [f"Site plan for {result.place}: {plan.status}", estimate],
        )  # fmt: skip
        written.append(path)
    closure = result.plans.get("closure")
    if closure is not None:
        path = folder / "closure.csv"
        write_csv_with_notes(
            _plan_tables(result)["closure"], path, [_closure_sentence(result, closure), estimate]
        )
        written.append(path)
    rota = result.plans.get("popup_rota")
    if rota is not None:
        path = folder / "popup_rota.csv"
        write_csv_with_notes(
            rota.sessions, path, [f"Pop-up rota for {result.place}: {rota.status}", estimate]
        )
        written.append(path)
    return written


def write_csv_with_notes(table: pd.DataFrame, path: Path, notes: list[str]) -> None:
    """A CSV whose first lines are ``#`` notes (title, sources, vintages, recipe), the last of
    which says how many lines to skip: ``pandas.read_csv(path, skiprows=N)``.

    Text cells a spreadsheet would read as a formula start with an added ``'``
    (:func:`inclusion_geo._safe.csv_text_cells`); a note says so and how to undo it.
    """
    notes = [*notes, CSV_PREFIX_NOTE]
    n = len(notes) + 1
    header = [f"# {csv_note(line)}" for line in notes]
    header.append(
        f"# The {n} lines above the table are notes: read it with pandas.read_csv(path, skiprows={n})."
    )
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(header) + "\n")
        csv_text_cells(table).to_csv(fh, index=False)


def about_rows(result: StageTwoResult) -> list[tuple[str, str]]:
    """The workbook's "about" sheet as ``(item, detail)`` rows: title, sources, recipe and
    whether it is complete, dropped indicators, settings, caveats and the CSV formula rule."""
    from . import __version__
    from ._columns import _indicator

    r, a = result.recipe, result.areas
    dropped = _dropped_text(result)
    n = len(r.indicators)
    used = []
    for item in r.indicators:
        spec = _indicator(item.name, r)
        used.append(f"{spec.label if spec is not None else item.name} ({item.name})")
    status = (
        f"partial: {n} of {n + len(result.settings.dropped_indicators or [])} "
        "indicators; the index leaves out what no source provided"
        if dropped
        else f"complete: all {n} indicators"
    )
    rows = [
        (result.title, ""),
        ("", ""),
        ("Place", str(result.place)),
        ("Written by", f"inclusion-geo {__version__}"),
    ]
    rows += [("Data", f"{result.label}: not real places")] if result.label else []
    rows += [(f"Source - {k}", str(v)) for k, v in result.sources.items()]
    rows += [
        ("Recipe", recipe_label(result)),
        ("Recipe status", status),
        ("Dropped indicators", dropped or "none"),
        ("Indicators used", "; ".join(used)),
        ("Method", f"{r.normalisation} normalisation, {r.scope} scope; weights in "
         "docs/methodology.md and result.recipe.weights_table()"),
    ]  # fmt: skip
    settings = result.settings
    short, long = settings.catchments_m
    rows.append(
        ("Catchments", f"{short:g} m and {long:g} m, straight line from population-weighted "
         f"centroids times a circuity of {settings.circuity:g}")
    )  # fmt: skip
    rows.append(
        ("Hotspots", f"Getis-Ord Gi* and local Moran, {settings.permutations} conditional "
         f"permutations, seed {settings.seed}, FDR-controlled; global Moran's I tested "
         "analytically, under randomisation (Cliff and Ord)")
    )  # fmt: skip
    caveats = [
        "The risk index is relative to the study area: it says where to look first, not how "
        "many people are offline.",
        "Headcounts (offline_adults, no_basic_skills_adults) and capacity-adjusted figures "
        "(e2sfca_*) are modelled estimates, not counts.",
        "Distances are straight lines from each area's population-weighted centroid (times the "
        "circuity), not walking routes.",
        "Opening hours and capacity are assumed where the source gives none "
        "(e2sfca_share_hours_assumed says how much of each area's hours rest on them).",
    ]
    if dropped:
        caveats.append(f"Scored without {dropped}: no source provided their inputs.")
    if "access_level" in a and a["access_level"].eq("unknown").any():
        caveats.append(
            f"Access to support is not measured for {int(a['access_level'].eq('unknown').sum())}"
            f" of {len(a)} areas: the asset list does not cover them."
        )
    rows += [("Caveat", c) for c in caveats]
    rows += [
        ("CSV files", CSV_PREFIX_NOTE),
        ("This workbook", "Every text cell is stored as text, never a formula. Sheets: "
         "priority_areas (one row per small area, ranked), wards, assets (the places that "
         "help, tier 1, or could host help, tier 2; every place read is in register.xlsx), "
         "about, columns (what every column means)."),
    ]  # fmt: skip
    return rows


def write_columns(tables: dict[str, list[str]], path: Path, *, recipe=None) -> pd.DataFrame:
    """Write ``columns.csv``, the column dictionary of ``tables`` (``{table: columns}``, see
    :func:`inclusion_geo._columns.column_dictionary`); return it."""
    from ._columns import column_dictionary

    dictionary = column_dictionary(tables, recipe=recipe)
    csv_text_cells(dictionary).to_csv(path, index=False)
    return dictionary


def _widths(table: pd.DataFrame) -> dict[str, float]:
    """Column widths from the header and the longest usual value (capped at 60)."""
    widths = {}
    head = table.head(2_000)
    for col in head.columns:
        values = head[col].dropna()
        if pd.api.types.is_float_dtype(values):  # shown with a number format: about 8 wide
            usual = 8.0 if len(values) else 0.0
        else:
            lengths = np.fromiter((len(str(v)) for v in values), dtype=float, count=len(values))
            usual = float(np.quantile(lengths, 0.9)) if len(lengths) else 0.0
        widths[col] = min(max(len(str(col)), usual, 6) + 2, 60)
    return widths


def _write_xlsx(
    table: pd.DataFrame,
    path: Path,
    about: list[str] | list[tuple[str, str]],
    *,
    wards: pd.DataFrame | None = None,
    assets: pd.DataFrame | None = None,
    dictionary: pd.DataFrame | None = None,
    recipe=None,
) -> None:
    """The workbook: data sheets (``priority_areas``, then ``wards`` and ``assets`` when given)
    whose row 1 is a bold, frozen, filtered header, with sized columns and number formats by
    unit (:func:`inclusion_geo._columns.number_format`); an ``about`` sheet (``about``: lines,
    or ``(item, detail)`` rows) and a ``columns`` sheet (the dictionary). Every text cell is
    stored as text (never a formula) and characters a workbook cannot hold become U+FFFD."""
    from ._columns import describe, number_format
    from ._workbook import Workbook

    sheets = [("priority_areas", table), ("wards", wards), ("assets", assets)]
    rows = [(line, "") if isinstance(line, str) else line for line in about]
    with Workbook(path) as book:
        for name, frame in sheets:
            if frame is None:
                continue
            formats = {}
            for col in frame.columns:
                if pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(
                    frame[col]
                ):
                    entry = describe(col, table=name, recipe=recipe)
                    fmt = number_format(entry[1], col) if entry else None
                    if fmt:
                        formats[col] = fmt
            book.table(
                name, frame, widths=_widths(frame), number_formats=formats,
                freeze="A2" if name != "priority_areas" else "B2",
            )  # fmt: skip
        book.notes("about", rows, widths=(24, 110))
        if dictionary is not None:
            book.table(
                "columns", dictionary, freeze="C2",
                widths={"table": 18, "column": 34, "meaning": 90, "unit": 26, "source": 60},
            )  # fmt: skip

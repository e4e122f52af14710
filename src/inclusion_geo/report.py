"""Plan-ready outputs: the priority table, ward table, human summary, map, and writing them all
to a folder safely (to a temporary folder first, moved into place only when complete)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._errors import InclusionGeoError

if TYPE_CHECKING:
    from .pipeline import StageTwoResult

__all__ = [
    "PRIORITY_COLUMNS",
    "priority_table",
    "ward_table",
    "summary_text",
    "build_map",
    "write_outputs",
    "OUTPUT_MARKER",
    "check_out_dir",
    "staged_output",
    "write_csv_with_notes",
    "write_figures",
    "write_maps_by",
    "MAX_AREAS_PER_PAGE",
    "write_ward_profiles",
]

OUTPUT_MARKER = ".inclusion-geo-output"

PRIORITY_COLUMNS = {
    "priority_rank": "priority_rank",
    "priority_band": "priority_band",
    "priority_label": "priority_label",
    "ward_name": "ward",
    "ward_code": "ward_code",
    "__code__": "area_code",
    "name": "area_name",
    "population": "population",
    "risk_index": "risk_index",
    "risk_rank": "risk_rank",
    "risk_decile": "risk_decile",
    "hotspot_class": "hotspot_class",
    "cluster_class": "cluster_class",
    "risk_level": "risk_level",
    "access_level": "access_level",
    "dist_any_m": "dist_nearest_support_m",
    "top_barriers": "top_barriers",
    "nearest_support": "nearest_support",
    "reason": "reason",
}


def priority_table(result: StageTwoResult) -> pd.DataFrame:
    """One row per area, ranked: ward, code, name, population, score, rank, decile, hotspot
    class, access measures, top barriers, nearest support and the reason."""
    areas = result.areas
    access_cols = [
        c for c in areas.columns if (c.startswith(("dist_", "n_")) and c != "dist_any_m")
    ]
    access_cols += [c for c in areas.columns if c.startswith("e2sfca_")]
    columns = {
        new: areas.index.to_numpy() if col == "__code__" else areas[col].to_numpy()
        for col, new in PRIORITY_COLUMNS.items()
    } | {col: areas[col].to_numpy() for col in access_cols}
    for col in [
        "risk_index",
        "dist_nearest_support_m",
        *[c for c in access_cols if c.startswith(("dist_", "e2sfca_"))],
    ]:
        columns[col] = columns[col].round(3 if col == "risk_index" else 0)
    out = pd.DataFrame(columns)
    if result.label:
        out["data_label"] = result.label
    return out


def ward_table(result: StageTwoResult) -> pd.DataFrame:
    """One row per ward, rounded for reading."""
    wards = result.wards.copy()
    float_cols = wards.select_dtypes("float").columns
    wards[float_cols] = wards[float_cols].round(3)
    return wards.reset_index()


def _header_lines(result: StageTwoResult) -> list[str]:
    lines = [
        result.title,
        f"Recipe: {result.recipe.name} ({result.recipe.normalisation}, {result.recipe.scope} scope)",
    ]
    lines += [f"Source - {k}: {v}" for k, v in result.sources.items()]
    return lines


def summary_text(result: StageTwoResult) -> str:
    """A short Markdown summary a council officer can read in a minute."""
    a, w = result.areas, result.wards
    n_hot = int(a["hotspot_class"].str.startswith("Hot spot").sum())
    top = a[a["priority_band"] <= 2]
    moran = result.global_moran
    lines = [
        f"# {result.title}",
        "",
        f"- {len(a)} small areas in {len(w)} wards, {int(a['population'].sum()):,} residents.",
        f"- Recipe: {result.recipe.name}.",
        f"- Risk clusters in space: global Moran's I = {moran['I']:.2f} (pseudo p = {moran['p_sim']:.3f}); "
        f"{n_hot} areas are significant hot spots of risk (Gi*, FDR-controlled).",
        f"- {len(top)} priority areas (bands 1-2: high risk and/or support far away), home to "
        f"{int(top['population'].sum()):,} residents.",
        _coverage_line(result),
        f"- Spatial weights: {result.weights.report}",
        "",
        "## First ten priority areas",
        "",
    ]
    for _, row in a.head(10).iterrows():
        lines.append(
            f"{int(row['priority_rank'])}. **{row['name']}** ({row['ward_name']}): {row['reason']}"
        )
    lines += ["", "## Wards by average risk", ""]
    for code, row in w.head(5).iterrows():
        flag = " (average hides a top-decile area)" if row.get("hides_extremes", False) else ""
        lines.append(
            f"- {row.get('name', code)}: mean index {row['risk_index']:.2f}, "
            f"{row['pct_pop_top_decile']:.0f}% of residents in top-decile areas, "
            f"{int(row['n_priority_areas'])} priority areas{flag}"
        )
    lines += ["", "## Sources and method", ""]
    lines += [f"- {k}: {v}" for k, v in result.sources.items()]
    lines.append(
        f"- Recipe: {result.recipe.name} ({result.recipe.normalisation}, {result.recipe.scope} scope); "
        "weights in docs/methodology.md and `result.recipe.weights_table()`."
    )
    dropped = result.settings.get("dropped_indicators")
    if dropped:
        lines.append(f"- Scored without {', '.join(dropped)}: no source provided their inputs.")
    if result.label:
        lines += ["", f"_All figures are {result.label}: not real places._"]
    return "\n".join(lines) + "\n"


def _coverage_line(result: StageTwoResult) -> str:
    support = ", ".join(c.replace("_", " ") for c in result.settings["suitable"])
    share = result.coverage["share_covered"]
    if result.areas["access_level"].eq("unknown").any():
        n = int(result.areas["access_level"].eq("unknown").sum())
        return (
            f"- Access to support ({support}) is not measured for {n} of {len(result.areas)} "
            "areas: the asset list does not cover them, so their priorities rest on risk alone."
        )
    if np.isnan(share):
        return "- No areas are in risk deciles 1-2, so no coverage share is given."
    return (
        f"- {100 * share:.0f}% of residents of the most at-risk areas (deciles 1-2) live within "
        f"{result.settings['catchments_m'][1]:g} m of digital-inclusion support ({support})."
    )


MAX_AREAS_PER_PAGE = 5_000


def build_map(result: StageTwoResult, *, tiles: str = "none", scheme: str = "quantiles"):
    """The interactive map of a result (see :meth:`StageTwoResult.map`).

    Above :data:`MAX_AREAS_PER_PAGE` areas a single page would be too heavy for a browser: a
    warning says so and points to :func:`write_maps_by`, which writes one page per local
    authority (or any grouping) with an index page.
    """
    import warnings

    from . import mapping

    a = result.areas
    if len(a) > MAX_AREAS_PER_PAGE:
        warnings.warn(
            f"{len(a):,} areas is more than one map page can show smoothly ({MAX_AREAS_PER_PAGE:,}); "
            "write one page per local authority with inclusion_geo.report.write_maps_by(result, "
            "folder, by='lad_code') instead.",
            UserWarning,
            stacklevel=2,
        )
    sources = "; ".join(f"{k}: {v}" for k, v in result.sources.items())
    m = mapping.new_map(a, tiles=tiles, title=result.title, subtitle=sources or None)
    mapping.add_choropleth(m, a, "risk_index", name="Risk index", scheme=scheme, show=True)
    for col in [c for c in a.columns if c.startswith("domain_")]:
        label = col.removeprefix("domain_").replace("_", " ").capitalize()
        mapping.add_choropleth(m, a, col, name=f"Domain: {label}", scheme=scheme, show=False)
    mapping.add_hotspots(m, a, show=False)
    mapping.add_clusters(m, a, show=False)
    mapping.add_priority_outline(m, a)
    if result.ward_boundaries is not None:
        mapping.add_wards(m, result.ward_boundaries)
    # support categories on at first; the rest are a click away
    mapping.add_assets(m, result.assets, show=result.settings.get("suitable", True))
    suitable = result.settings.get("suitable", [])
    if suitable:
        mapping.add_catchments(
            m, result.assets, category=suitable[0], radius_m=result.settings["catchments_m"][0]
        )
    mapping.add_search(m, a)
    return mapping.finish_map(m)


def check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InclusionGeoError(f"--out {out} is a file, not a folder. Choose a folder path.")
    if out.is_dir():
        contents = [p for p in out.iterdir()]
        if contents and not (out / OUTPUT_MARKER).exists():
            raise InclusionGeoError(
                f"--out {out} already holds {len(contents)} file(s) that inclusion-geo did not "
                "write (e.g. " + ", ".join(p.name for p in contents[:3]) + "). Choose an empty or "
                "new folder; a folder of earlier inclusion-geo outputs is replaced."
            )
    parent = out.parent if not out.exists() else out.parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        raise InclusionGeoError(
            f"--out {out}: cannot write in {probe}. Choose a folder you can write to."
        )


def write_maps_by(
    result: StageTwoResult,
    folder: str | Path,
    *,
    by: str = "lad_code",
    names: str | None = None,
    tiles: str = "none",
) -> Path:
    """One map page per group of areas (e.g. per local authority) and an ``index.html``.

    Each page holds the group's areas, the assets within 2 km of them (people cross borders)
    and the wards its areas belong to. Returns the index page.
    """
    import html
    from dataclasses import replace

    from .mapping import save_map

    if by not in result.areas.columns:
        raise InclusionGeoError(
            f"areas have no {by!r} column to split the maps by; columns include {list(result.areas.columns)[:8]}."
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    links = []
    for code, part in result.areas.groupby(by, sort=True):
        label = str(part[names].iloc[0]) if names and names in part else str(code)
        reach = part.geometry.union_all().buffer(2_000)
        assets = result.assets[result.assets.geometry.within(reach)]
        wards = None
        if result.ward_boundaries is not None:
            wards = result.ward_boundaries[result.ward_boundaries.index.isin(part["ward_code"])]
        sub = replace(
            result,
            areas=part,
            assets=assets if len(assets) else result.assets.iloc[:0],
            ward_boundaries=wards,
            place=label,
        )
        safe = "".join(ch if ch.isalnum() else "_" for ch in str(code))
        save_map(build_map(sub, tiles=tiles), folder / f"{safe}.html")
        links.append(
            f"<li><a href='{html.escape(safe)}.html'>{html.escape(label)}</a> ({len(part)} areas)</li>"
        )
    index = folder / "index.html"
    title = html.escape(result.title)
    index.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<h1>{title}</h1><ul>{''.join(links)}</ul></body></html>",
        encoding="utf-8",
    )
    return index


def write_figures(result: StageTwoResult, folder: Path) -> list[Path]:
    """Static figures for reports: risk choropleth, score distribution, domain contributions."""
    from . import figures

    folder.mkdir(parents=True, exist_ok=True)
    label = f" ({result.label})" if result.label else ""
    return [
        figures.choropleth_png(
            result.areas, "risk_index", folder / "risk_map.png",
            title=f"Digital exclusion risk index, {result.place}{label}", outline=result.ward_boundaries,
        ),
        figures.score_distribution_png(result.areas, folder / "score_distribution.png", title=f"Risk index, {result.place}{label}"),
        figures.domain_contributions_png(
            result.wards, result.recipe._domain_shares(), folder / "domain_contributions.png",
            title=f"What drives each ward's risk{label}",
        ),
    ]  # fmt: skip


def write_ward_profiles(result: StageTwoResult, folder: Path) -> list[Path]:
    """One Markdown page per ward with a small static map, its priority areas, its assets and
    its domain scores against the local authority's."""
    from . import figures

    folder.mkdir(parents=True, exist_ok=True)
    areas, wards = result.areas, result.wards
    domains = [c for c in wards.columns if c.startswith("domain_")]
    weights = areas["population"].astype(float)
    la_mean = pd.Series({d: float((areas[d] * weights).sum() / weights.sum()) for d in domains})
    suitable = result.assets[result.assets["category"].isin(result.settings.get("suitable", []))]
    pages, index_lines = [], [f"# Ward profiles: {_md(result.place)}", ""]
    for code, ward in wards.iterrows():
        name = str(ward.get("name", code))
        safe = "".join(ch if ch.isalnum() else "_" for ch in str(code))
        mine = areas[areas["ward_code"] == code]
        outline = None
        if result.ward_boundaries is not None and code in result.ward_boundaries.index:
            outline = result.ward_boundaries.loc[[code]]
        near = suitable[suitable.geometry.within(mine.geometry.union_all().buffer(200))]
        figures.choropleth_png(mine, "risk_index", folder / f"{safe}_map.png", title=f"{name}: risk index",
                               outline=outline, points=near, figsize=(4.5, 4.5), k=min(5, max(2, len(mine))))  # fmt: skip
        figures.ward_profile_png(
            ward, la_mean, folder / f"{safe}_domains.png", title=f"{name} vs {result.place}"
        )
        top = mine.sort_values("priority_rank").head(10)
        hides = (
            " Its average hides at least one top-decile area."
            if ward.get("hides_extremes", False)
            else ""
        )
        lines = [
            f"# {_md(name)} ({code})",
            "",
            f"{int(ward['population']):,} residents in {int(ward['n_areas'])} small areas; mean risk index "
            f"{ward['risk_index']:.2f} (ward rank {int(ward['rank'])} of {len(wards)}); "
            f"{ward['pct_pop_top_decile']:.0f}% of residents live in top-decile areas; "
            f"{int(ward.get('n_hotspot_areas', 0))} hotspot and {int(ward.get('n_priority_areas', 0))} "
            f"priority areas.{hides}",
            "",
            f"![map of {_md(name)}]({safe}_map.png) ![domains of {_md(name)}]({safe}_domains.png)",
            "",
            "## Priority areas",
            "",
            "| rank | area | population | decile | hotspot | reason |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for area_code, row in top.iterrows():
            lines.append(
                f"| {int(row['priority_rank'])} | {_md(row['name'])} ({area_code}) | {int(row['population']):,} | "
                f"{int(row['risk_decile'])} | {_md(row['hotspot_class'])} | {_md(row['reason'])} |"
            )
        lines += ["", "## Digital inclusion support in or near the ward", ""]
        if len(near):
            lines += [
                f"- {_md(r['name'])} ({_md(str(r['category']).replace('_', ' '))})"
                for _, r in near.iterrows()
            ]
        else:
            lines.append("- none within the ward: see the nearest support in the table above")
        if result.label:
            lines += ["", f"_{result.label}_"]
        page = folder / f"{safe}.md"
        page.write_text("\n".join(lines) + "\n", encoding="utf-8")
        pages.append(page)
        index_lines.append(f"- [{_md(name)}]({safe}.md): mean index {ward['risk_index']:.2f}")
    (folder / "README.md").write_text("\n".join(index_lines) + "\n", encoding="utf-8")
    return pages


def _md(text: object) -> str:
    """Text safe inside a Markdown table cell: no pipes, no raw HTML."""
    import html

    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


@contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """A temporary folder beside ``out_dir`` that replaces it only if the block succeeds.

    ``out_dir`` is checked first (:func:`check_out_dir`); on success the folder is marked as
    inclusion-geo output and moved into place, on any failure it is removed, so a broken run
    never leaves half an output or touches an earlier one.
    """
    out = Path(out_dir).expanduser().absolute()
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        (tmp / OUTPUT_MARKER).write_text("written by inclusion-geo\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_outputs(
    result: StageTwoResult, out_dir: str | Path, *, tiles: str = "none", full: bool = True
) -> dict[str, Path]:
    """Write ``map.html``, ``priority_areas.csv`` / ``.xlsx``, ``wards.csv`` and ``summary.md``.

    ``full=False`` writes only the map, the CSV tables and the summary (national runs do this
    per authority, to stay fast), leaving out the XLSX, static figures and ward profiles.
    Everything is written to a temporary folder beside ``out_dir`` and moved into place only
    when complete (:func:`staged_output`), so a failure never leaves half an output. An existing ``out_dir`` must be
    empty or hold earlier inclusion-geo outputs (it is then replaced).
    """
    from .mapping import save_map

    out = Path(out_dir).expanduser().absolute()
    with staged_output(out) as tmp:
        table = priority_table(result)
        write_csv_with_notes(table, tmp / "priority_areas.csv", _header_lines(result))
        if full:
            _write_xlsx(table, tmp / "priority_areas.xlsx", _header_lines(result))
        ward_table(result).to_csv(tmp / "wards.csv", index=False)
        (tmp / "summary.md").write_text(summary_text(result), encoding="utf-8")
        save_map(build_map(result, tiles=tiles), tmp / "map.html")
        if full:
            write_figures(result, tmp / "figures")
            write_ward_profiles(result, tmp / "wards")
    names = [
        "map.html",
        "priority_areas.csv",
        "wards.csv",
        "summary.md",
    ]
    names += ["priority_areas.xlsx", "figures", "wards"] if full else []
    return {n: out / n for n in names}


def write_csv_with_notes(table: pd.DataFrame, path: Path, notes: list[str]) -> None:
    """A CSV whose first lines are ``#`` notes (title, sources, vintages, recipe), the last of
    which says how many lines to skip: ``pandas.read_csv(path, skiprows=N)``."""
    n = len(notes) + 1
    header = [f"# {line}" for line in notes]
    header.append(
        f"# The {n} lines above the table are notes: read it with pandas.read_csv(path, skiprows={n})."
    )
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(h.replace("\n", " ") for h in header) + "\n")
        table.to_csv(fh, index=False)


def _write_xlsx(table: pd.DataFrame, path: Path, header: list[str]) -> None:
    start = len(header) + 1
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name="priority_areas", index=False, startrow=start)
        sheet = writer.sheets["priority_areas"]
        for i, line in enumerate(header, start=1):
            sheet.cell(row=i, column=1, value=line)
        sheet.freeze_panes = sheet.cell(row=start + 2, column=1)

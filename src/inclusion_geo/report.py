"""Plan-ready outputs: the priority table, ward table, human summary, map, and writing them all
to a folder safely (to a temporary folder first, moved into place only when complete)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._errors import InclusionGeoError
from ._output import OUTPUT_MARKER, check_out_dir, staged_output
from ._safe import (
    CSV_PREFIX_NOTE,
    csv_note,
    csv_text_cells,
    file_stem,
    html_text,
    md_text,
    xlsx_text,
)

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

    Distances are rounded to whole metres and the index to 3 decimals; every other number keeps
    full precision (a supply of 0.4 hours a week must not read 0)."""
    areas = result.areas
    named = set(PRIORITY_COLUMNS)
    access_cols = [
        c for c in areas.columns if c.startswith(("dist_", "n_", "e2sfca_")) and c not in named
    ]
    columns = {
        new: areas.index.to_numpy() if col == "__code__" else areas[col].to_numpy()
        for col, new in PRIORITY_COLUMNS.items()
        if col == "__code__" or col in areas.columns
    } | {col: areas[col].to_numpy() for col in access_cols}
    for col in [c for c in columns if c.startswith("dist_") or c == "risk_index"]:
        columns[col] = columns[col].astype(float).round(3 if col == "risk_index" else 0)
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
    actions = top["action"].value_counts() if "action" in top else pd.Series(dtype=int)
    lines = [
        f"# {md_text(result.title)}",
        "",
        f"- {len(a)} small areas in {len(w)} wards, {int(a['population'].sum()):,} residents.",
        f"- Recipe: {md_text(result.recipe.name)}.",
        f"- Risk clusters in space: global Moran's I = {moran['I']:.2f} (pseudo p = {moran['p_sim']:.3f}); "
        f"{n_hot} areas are significant hot spots of risk (Gi*, FDR-controlled).",
        f"- {len(top)} priority areas (bands 1-2: very high or high need, from the risk decile "
        f"and hot spots; access never lowers a priority), home to "
        f"{int(top['population'].sum()):,} residents. What to do there: "
        + ", ".join(f"{n} {_ACTION_WORDS.get(k, k)}" for k, n in actions.items())
        + ".",
        _coverage_line(result),
        _register_line(result),
        f"- Spatial weights: {md_text(result.weights.report)}",
        "",
        "## First ten priority areas",
        "",
    ]
    for _, row in a.head(10).iterrows():
        lines.append(
            f"{int(row['priority_rank'])}. **{md_text(row['name'])}** ({md_text(row['ward_name'])}): "
            f"{md_text(row['reason'])}"
        )
    lines += ["", "## Wards by average risk", ""]
    for code, row in w.head(5).iterrows():
        flag = " (average hides a top-decile area)" if row.get("hides_extremes", False) else ""
        lines.append(
            f"- {md_text(row.get('name', code))}: mean index {row['risk_index']:.2f}, "
            f"{row['pct_pop_top_decile']:.0f}% of residents in top-decile areas, "
            f"{int(row['n_priority_areas'])} priority areas{flag}"
        )
    lines += ["", "## Sources and method", ""]
    lines += [f"- {md_text(k)}: {md_text(v)}" for k, v in result.sources.items()]
    lines.append(
        f"- Recipe: {md_text(result.recipe.name)} ({md_text(result.recipe.normalisation)}, "
        f"{md_text(result.recipe.scope)} scope); "
        "weights in docs/methodology.md and `result.recipe.weights_table()`."
    )
    dropped = result.settings.get("dropped_indicators")
    if dropped:
        lines.append(
            f"- Scored without {', '.join(md_text(d) for d in dropped)}: no source provided "
            "their inputs."
        )
    if result.label:
        lines += ["", f"_All figures are {md_text(result.label)}: not real places._"]
    return "\n".join(lines) + "\n"


_ACTION_WORDS = {
    "gap": "gaps (no help within reach)",
    "opportunity": "opportunities (work through nearby support)",
    "opportunity_venue": "opportunities through a venue that could host",
    "stretched": "stretched (support in reach, little capacity)",
    "unknown": "not measured",
}


def _coverage_line(result: StageTwoResult) -> str:
    """The summary's Markdown line on access to support."""
    unknown = int(result.areas["action"].eq("unknown").sum()) if "action" in result.areas else 0
    if unknown or result.areas["access_level"].eq("unknown").any():
        n = unknown or int(result.areas["access_level"].eq("unknown").sum())
        return (
            f"- Access to digital support is not measured for {n} of {len(result.areas)} "
            "areas: the asset list does not cover them, so the action there is not known (their "
            "priority rests on need, as everywhere)."
        )
    cover = result.coverage
    share = cover.get("share_within_reach", np.nan)
    if np.isnan(share):
        return "- No areas are of very high or high need, so no coverage share is given."
    catchment = result.settings["catchments_m"][1]
    return (
        f"- {100 * share:.0f}% of residents at risk ({int(cover['at_risk_residents']):,} "
        f"residents of areas of very high or high need) live within {catchment:g} m of digital "
        f"support (tier 1); counting what that support can offer in a year, about "
        f"{100 * cover['share_could_be_served']:.0f}% could be helped (capacity-adjusted, an "
        "estimate: see docs/methodology.md)."
    )


def _register_line(result: StageTwoResult) -> str:
    """The summary's Markdown line on the asset register: what was kept and left out, and why."""
    reg, kept = result.register, result.assets
    if reg is None or "tier" not in kept:
        return f"- {len(kept)} community places used."

    def kinds(tier: int) -> str:
        counts = kept.loc[kept["tier"] == tier, "category"].astype(str).value_counts()
        return ", ".join(f"{n} {md_text(c.replace('_', ' '))}" for c, n in counts.items())

    tiers = kept["tier"].value_counts()
    left = reg.loc[~reg["include"].astype(bool), "exclusion_reason"].value_counts()
    hours = int(kept["opening_hours"].notna().sum()) if "opening_hours" in kept else 0
    known = int(kept["hours_per_week"].notna().sum()) if "hours_per_week" in kept else 0
    line = (
        f"- Asset register: {len(reg):,} places read; {int(tiers.get(1, 0))} offer digital "
        f"support (tier 1: {kinds(1) or 'none'}), {int(tiers.get(2, 0))} are venues that could "
        f"host it (tier 2: {kinds(2) or 'none'}), {int(tiers.get(3, 0))} are context only "
        "(tier 3)"
    )
    if len(left):
        line += "; left out: " + ", ".join(f"{n} {md_text(r)}" for r, n in left.items())
    return line + (
        f". Opening hours: {hours} places have them, {known} give known weekly hours "
        "(see register.xlsx, which a council can correct and pass back)."
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
    if "action" in a.columns:
        mapping.add_actions(m, a, show=False)
    mapping.add_priority_outline(m, a)
    if result.ward_boundaries is not None:
        mapping.add_wards(m, result.ward_boundaries)
    # digital support and venues on at first; context places are a click away
    mapping.add_assets(m, result.assets)
    if "tier" in result.assets.columns:
        support = result.assets[result.assets["tier"] == 1]
        mapping.add_catchments(
            m, support, radius_m=result.settings["catchments_m"][0], name="digital support"
        )
    mapping.add_search(m, a)
    return mapping.finish_map(m)


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
        safe = file_stem(code)
        save_map(build_map(sub, tiles=tiles), folder / f"{safe}.html")
        links.append(
            f"<li><a href='{html_text(safe)}.html'>{html_text(label)}</a> ({len(part)} areas)</li>"
        )
    index = folder / "index.html"
    title = html_text(result.title)
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
    assets = result.assets
    suitable = assets[assets["tier"] <= 2] if "tier" in assets else assets
    pages, index_lines = [], [f"# Ward profiles: {md_text(result.place)}", ""]
    for code, ward in wards.iterrows():
        name = str(ward.get("name", code))
        safe = file_stem(code)
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
        top = mine[mine["priority_band"] <= 2].sort_values("priority_rank").head(10)
        hides = (
            " Its average hides at least one top-decile area."
            if ward.get("hides_extremes", False)
            else ""
        )
        lines = [
            f"# {md_text(name)} ({md_text(code)})",
            "",
            f"{int(ward['population']):,} residents in {int(ward['n_areas'])} small areas; mean risk index "
            f"{ward['risk_index']:.2f} (ward rank {int(ward['rank'])} of {len(wards)}); "
            f"{ward['pct_pop_top_decile']:.0f}% of residents live in top-decile areas; "
            f"{int(ward.get('n_hotspot_areas', 0))} hotspot and {int(ward.get('n_priority_areas', 0))} "
            f"priority areas.{hides}",
            "",
            f"![map of {md_text(name)}]({safe}_map.png) "
            f"![domains of {md_text(name)}]({safe}_domains.png)",
            "",
            "## Priority areas",
            "",
        ]
        if len(top):
            lines += [
                "| rank | area | population | decile | hotspot | what to do | reason |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
        else:
            lines.append(
                "None of this ward's areas is a priority (very high or high need, bands 1-2)."
            )
        for area_code, row in top.iterrows():
            lines.append(
                f"| {int(row['priority_rank'])} | {md_text(row['name'])} ({md_text(area_code)}) | "
                f"{int(row['population']):,} | {int(row['risk_decile'])} | "
                f"{md_text(row['hotspot_class'])} | {md_text(row.get('action', ''))} | "
                f"{md_text(row['reason'])} |"
            )
        lines += ["", "## Digital inclusion support and venues in or near the ward", ""]
        if len(near):
            lines += [
                f"- {md_text(r.get('display_name', r.get('label', r['name'])))} "
                f"({md_text(str(r['category']).replace('_', ' '))}"
                + (f", tier {int(r['tier'])}" if "tier" in r else "")
                + (
                    f", {r['hours_per_week']:.3g} h a week"
                    if pd.notna(r.get("hours_per_week", np.nan))
                    else ""
                )
                + ")"
                for _, r in near.iterrows()
            ]
        else:
            lines.append("- none within the ward: see the nearest support in the table above")
        if result.label:
            lines += ["", f"_{md_text(result.label)}_"]
        page = folder / f"{safe}.md"
        page.write_text("\n".join(lines) + "\n", encoding="utf-8")
        pages.append(page)
        index_lines.append(f"- [{md_text(name)}]({safe}.md): mean index {ward['risk_index']:.2f}")
    (folder / "README.md").write_text("\n".join(index_lines) + "\n", encoding="utf-8")
    return pages


_md = md_text  # the older private name, kept for callers


def write_outputs(
    result: StageTwoResult, out_dir: str | Path, *, tiles: str = "none", full: bool = True
) -> dict[str, Path]:
    """Write ``map.html``, ``priority_areas.csv`` / ``.xlsx``, ``wards.csv``, ``summary.md``
    and the asset register ``register.xlsx`` (every place read, with its tier, hours, capacity
    and why any was left out: a council can correct it and pass it back as
    ``[sources.assets] register``).

    ``full=False`` writes only the map, the CSV tables and the summary (national runs do this
    per authority, to stay fast), leaving out the workbooks, static figures and ward profiles.
    Everything is written to a temporary folder beside ``out_dir`` and moved into place only
    when complete (:func:`staged_output`), so a failure never leaves half an output. An
    existing ``out_dir`` must be empty or hold earlier inclusion-geo outputs: those are
    replaced, and files the user added there are kept.
    """
    from .mapping import save_map

    out = Path(out_dir).expanduser().absolute()
    with staged_output(out) as tmp:
        table = priority_table(result)
        write_csv_with_notes(table, tmp / "priority_areas.csv", _header_lines(result))
        if full:
            _write_xlsx(table, tmp / "priority_areas.xlsx", _header_lines(result))
        csv_text_cells(ward_table(result)).to_csv(tmp / "wards.csv", index=False)
        (tmp / "summary.md").write_text(summary_text(result), encoding="utf-8")
        save_map(build_map(result, tiles=tiles), tmp / "map.html")
        if full:
            if result.register is not None:
                from .sources.register import write_register

                write_register(result.register, tmp / "register.xlsx")
            write_figures(result, tmp / "figures")
            write_ward_profiles(result, tmp / "wards")
    names = [
        "map.html",
        "priority_areas.csv",
        "wards.csv",
        "summary.md",
    ]
    if full:
        names += ["priority_areas.xlsx"]
        names += ["register.xlsx"] if result.register is not None else []
        names += ["figures", "wards"]
    return {n: out / n for n in names}


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


def _write_xlsx(table: pd.DataFrame, path: Path, header: list[str]) -> None:
    """The table under its notes; every text cell is stored as text (never a formula) and
    characters a workbook cannot hold are replaced by U+FFFD."""
    start = len(header) + 1
    table = table.rename(columns=lambda c: xlsx_text(str(c)))
    for col in table.columns:
        if pd.api.types.is_object_dtype(table[col]) or pd.api.types.is_string_dtype(table[col]):
            table[col] = table[col].map(
                lambda v: xlsx_text(v) if isinstance(v, str) else v, na_action="ignore"
            )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name="priority_areas", index=False, startrow=start)
        sheet = writer.sheets["priority_areas"]
        for i, line in enumerate(header, start=1):
            sheet.cell(row=i, column=1, value=xlsx_text(line))
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl makes "=..." a formula on assignment
        sheet.freeze_panes = sheet.cell(row=start + 2, column=1)

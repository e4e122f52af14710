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
    from .result import StageTwoResult

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
    "recipe_label",
    "about_rows",
    "ACCESS_RENAMES",
    "write_tables",
    "write_columns",
    "write_plans",
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
    for col in [c for c in out.columns if c.startswith("dist_") or c.endswith(_HEADCOUNTS)]:
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
_HEADCOUNTS = ("_adults", "_adults_low", "_adults_high")


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
        if c == "population" or (c.startswith("n_") or c.endswith(_HEADCOUNTS))
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
        *_headcount_lines(result),
        f"- {len(a)} small areas in {len(w)} wards, {int(a['population'].sum()):,} residents.",
        f"- Recipe: {md_text(recipe_label(result))}.",
        f"- Risk clusters in space: global Moran's I = {moran['I']:.2f} (pseudo p = {moran['p_sim']:.3f}); "
        f"{n_hot} areas are significant hot spots of risk (Gi*, FDR-controlled).",
        f"- {len(top)} priority areas (bands 1-2: very high or high need, from the risk decile "
        f"and hot spots; access never lowers a priority), home to "
        f"{int(top['population'].sum()):,} residents. What to do there: "
        + ", ".join(f"{n} {_action_words(k, n)}" for k, n in actions.items())
        + ".",
        _coverage_line(result),
        _register_line(result),
        f"- Spatial weights: {md_text(result.weights.report)}",
        *_plan_lines(result),
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
    dropped = result.settings.dropped_indicators
    if dropped:
        lines.append(
            f"- Scored without {', '.join(md_text(d) for d in dropped)}: no source provided "
            "their inputs."
        )
    if result.label:
        lines += ["", f"_All figures are {md_text(result.label)}: not real places._"]
    return "\n".join(lines) + "\n"


def _headcount_lines(result: StageTwoResult) -> list[str]:
    """The summary's opening: how many people, as modelled estimates with their ranges."""
    heads = result.headcounts()
    if heads.empty:
        return []
    place = md_text(result.place)
    lines = []
    if "offline" in heads.index:
        h = heads.loc["offline"]
        lines.append(
            f"**About {h['adults']:,.0f} ({h['low']:,.0f} to {h['high']:,.0f}) adults are likely "
            f"offline in {place}; {h['in_priority_areas']:,.0f} of them live in priority areas "
            f"and {h['in_gap_areas']:,.0f} in gap areas (no help within reach).**"
        )
    if "no_basic_skills" in heads.index:
        h = heads.loc["no_basic_skills"]
        lines.append(
            f"About {h['adults']:,.0f} ({h['low']:,.0f} to {h['high']:,.0f}) adults likely lack "
            "the basic digital skills for everyday life."
        )
    lines += [
        "",
        "_These are modelled estimates, not counts: published national rates by age (ONS, "
        "Lloyds) applied to each area's adults in the Census. The ranges come from the rounding "
        "of the published rates and their spread across editions (2018-2020), not from a "
        "survey's confidence interval, and some band rates are second-hand reports of the "
        "published figures (inclusion\\_geo/data/rates.md); see docs/methodology.md._",
        "",
    ]
    return lines


def _plan_lines(result: StageTwoResult) -> list[str]:
    """The summary's lines on a site plan, a closure scenario and a pop-up rota, if run."""
    lines = []
    plan = result.plans.get("site_plan")
    if plan is not None:
        names = ", ".join(md_text(n) for n in plan.sites["name"])
        lines.append(f"- Site plan (site\\_plan.csv): {md_text(plan.status)} New sites: {names}.")
    closure = result.plans.get("closure")
    if closure is not None:
        lines.append(f"- {md_text(_closure_sentence(result, closure))} (closure.csv)")
    rota = result.plans.get("popup_rota")
    if rota is not None:
        lines.append(
            f"- Pop-up rota (popup\\_rota.csv), for places digital support does not reach: "
            f"{md_text(rota.status)} (value: an area reached on a second day counts half again, "
            "a third a quarter, and so on.)"
        )
    return lines


def _action_words(action: str, n: int) -> str:
    words = _ACTION_WORDS.get(action, action)
    if n == 1 and action in ("gap", "opportunity"):
        words = words.replace("gaps", "gap", 1).replace("opportunities", "opportunity", 1)
    return words


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
    catchment = result.settings.catchments_m[1]
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
    reasons = reg.loc[~reg["include"].astype(bool), "exclusion_reason"].astype(str)
    left = reasons.str.replace(r"^duplicate of .*", "duplicates", regex=True).value_counts()
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


def _map_caveats(result: StageTwoResult) -> list[str]:
    """What the map's caveat box says when indicators were dropped for lack of data: which,
    whose data was missing, and whether their domain is left out of the index altogether."""
    from ._columns import _indicator

    by_domain: dict[str | None, list] = {}
    for name in result.settings.dropped_indicators or []:
        spec = _indicator(name, result.recipe)
        by_domain.setdefault(spec.domain if spec else None, []).append((name, spec))
    kept = set(result.recipe.domains)
    out = []
    for domain, items in by_domain.items():
        labels = " and ".join(spec.label if spec else str(name) for name, spec in items)
        sources = ", ".join(dict.fromkeys(spec.source for _, spec in items if spec is not None))
        whose = f" (no {sources} data)" if sources else " (no source gave their inputs)"
        effect = ""
        if domain is not None:
            effect = ": " + (
                f"{domain} rests on its other indicators"
                if domain in kept
                else f"{domain} is not in this index"
            )
        out.append(f"Scored without {labels}{whose}{effect}.")
    return out


def _add_plan_layers(m, result: StageTwoResult) -> None:
    """Map layers for ``result.plans``: the planned hubs, and a closure's places and the areas
    that would lose digital support within reach."""
    from . import mapping

    pool = result.register if result.register is not None else result.assets
    plan = result.plans.get("site_plan")
    if plan is not None and len(plan.sites):
        sites = pool.loc[plan.sites["site"].tolist()].copy()
        sites["name"] = plan.sites["name"].tolist()
        sites["description"] = [
            f"Planned hub {int(o)}: reaches {g:,.0f} more (estimated), serves {int(n)} areas"
            for o, g, n in zip(
                plan.sites["order"], plan.sites["marginal_gain"], plan.sites["areas_served"],
                strict=True,
            )
        ]  # fmt: skip
        mapping.add_places(
            m, sites, name=f"Plan: {len(sites)} new hubs", colour="#009E73",
            label="planned new hub (site_plan.csv)",
        )  # fmt: skip
    closure = result.plans.get("closure")
    if closure is not None:
        closed = pool.loc[closure.places.index].copy()
        closed["name"] = (
            closure.places["name"].tolist() if "name" in closure.places else closed["name"]
        )
        closed["description"] = _closure_sentence(result, closure)
        mapping.add_places(
            m, closed, name="Scenario: places closed", colour="#D55E00",
            label="closed or cut in the scenario (closure.csv)", show=False,
        )  # fmt: skip
        areas = closure.areas
        losing = result.areas.index.isin(
            areas.index[areas["newly_out_of_reach"].astype(bool)] if len(areas) else []
        )
        mapping.add_outline(
            m, result.areas, pd.Series(losing, index=result.areas.index),
            name="Scenario: areas losing support", colour="#D55E00", dash="6 4",
            label=f"no digital support within reach after the closure ({int(losing.sum()):,})",
            show=False,
        )  # fmt: skip


def build_map(result: StageTwoResult, *, tiles: str = "none", scheme: str = "quantiles"):
    """The interactive map of a result (see :meth:`StageTwoResult.map`): the result's title
    (and page ``<title>``), a caveat box naming any indicator or domain left out for lack of
    data, credits for every source, area layers below the asset layers by tier, a compact
    hover tooltip and the full details of an area in a side panel on click or search.

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
    subtitle = f"Recipe: {recipe_label(result)}. Hover an area for a summary, click it for details."
    m = mapping.new_map(
        a, tiles=tiles, title=result.title, subtitle=subtitle, caveats=_map_caveats(result)
    )
    mapping.add_choropleth(
        m, a, "risk_index", name="Risk index", scheme=scheme, show=True,
        legend_note="0-10, higher = more at risk of digital exclusion",
    )  # fmt: skip
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
            m, support, radius_m=result.settings.catchments_m[0], name="digital support"
        )
    _add_plan_layers(m, result)
    mapping.add_search(m, a)
    mapping.add_credits(m, result.sources)
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
    """Static figures for reports: maps of the risk index (``risk_map.png``), hotspots
    (``hotspot_map.png``, Gi* classes) and what to do in the priority areas with the digital
    support and venues (``action_map.png``); the score distribution and domain contributions."""
    from . import figures

    folder.mkdir(parents=True, exist_ok=True)
    label = f" ({result.label})" if result.label else ""
    wards = result.ward_boundaries
    maps = [
        figures.choropleth_png(
            result.areas,
            "risk_index",
            folder / "risk_map.png",
            title=f"Digital exclusion risk index, {result.place}{label}",
            outline=wards,
        ),
        figures.hotspot_map_png(
            result.areas,
            folder / "hotspot_map.png",
            outline=wards,
            title=f"Hot and cold spots of risk, {result.place}{label}",
        ),
    ]
    if "action" in result.areas and "priority_band" in result.areas:
        maps.append(
            figures.action_map_png(
                result.areas,
                result.assets,
                folder / "action_map.png",
                outline=wards,
                title=f"Priority areas and what to do, {result.place}{label}",
            )
        )
    return maps + [
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
    map_paths, map_titles, bar_paths, bar_titles = {}, {}, [], []
    shown = ["priority_band", "priority_rank", "name", "population", "risk_decile", "hotspot_class", "action", "reason"]  # fmt: skip
    table = pd.DataFrame(areas[[c for c in shown if c in areas.columns]])
    by_ward = areas.groupby("ward_code", sort=False).indices
    near_by_ward = _places_near_wards(areas, suitable, distance_m=200)
    for code, ward in wards.iterrows():
        name = str(ward.get("name", code))
        safe = file_stem(code)
        mine = table.iloc[by_ward.get(code, [])]
        near = suitable.iloc[near_by_ward.get(code, [])]
        map_paths[code], map_titles[code] = folder / f"{safe}_map.png", f"{name}: risk index"
        bar_paths.append(folder / f"{safe}_domains.png")
        bar_titles.append(f"{name} vs {result.place}")
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
            lines.append(
                "- none within 200 m of the ward's areas: see the nearest support in "
                "priority_areas.csv"
            )
        if result.label:
            lines += ["", f"_{md_text(result.label)}_"]
        page = folder / f"{safe}.md"
        page.write_text("\n".join(lines) + "\n", encoding="utf-8")
        pages.append(page)
        index_lines.append(f"- [{md_text(name)}]({safe}.md): mean index {ward['risk_index']:.2f}")
    # every ward map is a crop of the borough on its risk map's classes, drawn on one figure
    figures.ward_maps_png(
        areas, "risk_index", map_paths, titles=map_titles, ward_boundaries=result.ward_boundaries,
        points=suitable, bins=figures.quantile_bins(areas["risk_index"], 5),
    )  # fmt: skip
    figures.ward_profiles_png(wards, la_mean, bar_paths, titles=bar_titles)
    (folder / "README.md").write_text("\n".join(index_lines) + "\n", encoding="utf-8")
    return pages


def _places_near_wards(areas, places, *, distance_m: float) -> dict[str, np.ndarray]:
    """Each ward's places within ``distance_m`` of any of its areas: ward code -> positions
    in ``places``, in their order (one spatial-index query for every ward)."""
    import shapely

    from ._validate import to_bng

    if not len(places) or not len(areas):
        return {}
    areas, places = to_bng(areas, what="areas"), to_bng(places, what="assets")
    tree = shapely.STRtree(places.geometry.array)
    area_at, place_at = tree.query(areas.geometry.array, predicate="dwithin", distance=distance_m)
    pairs = pd.DataFrame({"ward": areas["ward_code"].to_numpy()[area_at], "place": place_at})
    pairs = pairs.drop_duplicates().sort_values(["ward", "place"])
    return {w: g.to_numpy() for w, g in pairs.groupby("ward", sort=False)["place"]}


_md = md_text  # the older private name, kept for callers


def _assets_table(result: StageTwoResult) -> pd.DataFrame:
    """The workbook's assets sheet: the places used (the register's included rows) with their
    tier, hours, capacity and location, as the register file writes them."""
    from .sources.register import _file_frame

    assets = result.assets
    if {"name", "tier", "include", "category"} <= set(assets.columns):
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


def write_outputs(
    result: StageTwoResult, out_dir: str | Path, *, tiles: str = "none", full: bool = True
) -> dict[str, Path]:
    """Write ``map.html``, ``priority_areas.csv`` / ``.xlsx`` (sheets priority_areas, wards,
    assets, about and columns), ``wards.csv``, ``columns.csv`` (what every column of every
    table means), ``summary.md`` and the asset register ``register.xlsx`` (every place read, with its tier, hours, capacity
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
        write_tables(result, tmp, full=full)
        (tmp / "summary.md").write_text(summary_text(result), encoding="utf-8")
        save_map(build_map(result, tiles=tiles), tmp / "map.html")
        if full:
            if result.register is not None:
                from .sources.register import write_register

                write_register(result.register, tmp / "register.xlsx")
            write_figures(result, tmp / "figures")
            write_ward_profiles(result, tmp / "wards")
        planned = write_plans(result, tmp)
    names = [
        "map.html",
        "priority_areas.csv",
        "wards.csv",
        "columns.csv",
        "summary.md",
    ]
    if full:
        names += ["priority_areas.xlsx"]
        names += ["register.xlsx"] if result.register is not None else []
        names += ["figures", "wards"]
    names += [p.name for p in planned]
    return {n: out / n for n in names}


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
        ("Hotspots", f"Getis-Ord Gi* and local Moran, {settings.permutations} "
         f"permutations, seed {settings.seed}, FDR-controlled")
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
         "priority_areas (one row per small area, ranked), wards, assets (the places used), "
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


def _xlsx_frame(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with characters a workbook cannot hold replaced by U+FFFD."""
    table = table.rename(columns=lambda c: xlsx_text(str(c)))
    for col in table.columns:
        if pd.api.types.is_object_dtype(table[col]) or pd.api.types.is_string_dtype(table[col]):
            table[col] = table[col].map(
                lambda v: xlsx_text(v) if isinstance(v, str) else v, na_action="ignore"
            )
    return table


def _widths(table: pd.DataFrame) -> dict[str, float]:
    """Column widths from the header and the longest usual value (capped at 60)."""
    widths = {}
    for col in table.columns:
        sample = table[col].head(2_000).dropna().astype(str).str.len()
        usual = float(sample.quantile(0.9)) if len(sample) else 0.0
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
    from openpyxl.styles import Alignment, Font

    from ._columns import describe, number_format
    from .sources.register import format_sheet

    sheets = [("priority_areas", table), ("wards", wards), ("assets", assets)]
    rows = [(line, "") if isinstance(line, str) else line for line in about]
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets:
            if frame is None:
                continue
            frame = _xlsx_frame(frame)
            frame.to_excel(writer, sheet_name=name, index=False)
            formats = {}
            for col in frame.columns:
                if pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(
                    frame[col]
                ):
                    entry = describe(col, table=name, recipe=recipe)
                    fmt = number_format(entry[1], col) if entry else None
                    if fmt:
                        formats[col] = fmt
            format_sheet(
                writer.sheets[name], list(frame.columns), widths=_widths(frame),
                number_formats=formats, freeze="A2" if name != "priority_areas" else "B2",
            )  # fmt: skip
        sheet = writer.book.create_sheet("about")
        for i, (item, detail) in enumerate(rows, start=1):
            for j, value in enumerate((item, detail), start=1):
                if value:
                    cell = sheet.cell(row=i, column=j, value=xlsx_text(str(value)))
                    cell.data_type = "s"  # openpyxl makes "=..." a formula on assignment
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
        sheet.column_dimensions["A"].width = 24
        sheet.column_dimensions["B"].width = 110
        if dictionary is not None:
            frame = _xlsx_frame(dictionary)
            frame.to_excel(writer, sheet_name="columns", index=False)
            format_sheet(
                writer.sheets["columns"], list(frame.columns), freeze="C2",
                widths={"table": 18, "column": 34, "meaning": 90, "unit": 26, "source": 60},
            )  # fmt: skip

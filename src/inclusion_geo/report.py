"""Plan-ready outputs: the human summary, the map, the figures and ward pages, and writing them
all, with the tables of :mod:`inclusion_geo.tables`, to a folder safely (to a temporary folder
first, moved into place only when complete)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._output import OUTPUT_MARKER, check_out_dir, staged_output
from ._safe import (
    file_stem,
    md_text,
)
from .tables import (  # the tables live in inclusion_geo.tables; named here for callers
    ACCESS_RENAMES,
    PRIORITY_COLUMNS,
    _closure_sentence,
    about_rows,
    priority_table,
    recipe_label,
    ward_table,
    write_columns,
    write_csv_with_notes,
    write_plans,
    write_tables,
)

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

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
    "MAX_AREAS_PER_PAGE",
    "write_ward_profiles",
    "recipe_label",
    "about_rows",
    "ACCESS_RENAMES",
    "write_tables",
    "write_columns",
    "write_plans",
]


def _moran_test(moran: dict) -> str:
    """The global test in words: "z = 21.3 under randomisation, p below 0.001"."""
    p = moran.get("p_rand", float("nan"))
    if not np.isfinite(p):  # constant values, or too few areas
        return "no test: too few areas, or an index that does not vary"
    shown = "p below 0.001" if p < 0.001 else f"p = {p:.3f}"
    return f"z = {moran['z_rand']:.1f} under randomisation, {shown}"


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
        f"- Risk clusters in space: global Moran's I = {moran['I']:.2f} ({_moran_test(moran)}); "
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
    warning says so and points to :func:`inclusion_geo.pages.write_maps_by`, which writes one page per local
    authority (or any grouping) with an index page.
    """
    import warnings

    from . import mapping

    a = result.areas
    if len(a) > MAX_AREAS_PER_PAGE:
        warnings.warn(
            f"{len(a):,} areas is more than one map page can show smoothly ({MAX_AREAS_PER_PAGE:,}); "
            "write one page per local authority with inclusion_geo.pages.write_maps_by(result, "
            "folder, by='lad_code') instead.",
            UserWarning,
            stacklevel=2,
        )
    if "offline_adults" in a:  # the panel shows the estimate with its range, labelled
        a = a.assign(
            offline_text=[
                f"about {p:,.0f} ({lo:,.0f} to {hi:,.0f}), a modelled estimate"
                for p, lo, hi in zip(
                    a["offline_adults"], a["offline_adults_low"], a["offline_adults_high"],
                    strict=True,
                )
            ]
        )  # fmt: skip
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


def write_figures(result: StageTwoResult, folder: Path, *, charts: bool = True) -> list[Path]:
    """Static figures for reports: maps of the risk index (``risk_map.png``), hotspots
    (``hotspot_map.png``, Gi* classes) and what to do in the priority areas with the digital
    support and venues (``action_map.png``); with ``charts``, the score distribution and
    domain contributions."""
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
    return maps + (_figure_charts(result, folder) if charts else [])


def _figure_charts(result: StageTwoResult, folder: Path) -> list[Path]:
    """The charts of :func:`write_figures`: the score distribution and domain contributions."""
    from . import figures

    folder.mkdir(parents=True, exist_ok=True)
    label = f" ({result.label})" if result.label else ""
    return [
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
            *(
                [
                    "",
                    f"About {ward['offline_adults']:,.0f} ({ward['offline_adults_low']:,.0f} to "
                    f"{ward['offline_adults_high']:,.0f}) adults here are likely offline, and "
                    f"about {ward['no_basic_skills_adults']:,.0f} lack basic digital skills "
                    "(modelled estimates, not counts: see the summary).",
                ]
                if "offline_adults" in ward and "no_basic_skills_adults" in ward
                else []
            ),
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


def write_map(result: StageTwoResult, path: str | Path, *, tiles: str = "none") -> Path:
    """Build the interactive map (:func:`build_map`) and save it to ``path``."""
    from .mapping import save_map

    return save_map(build_map(result, tiles=tiles), path)


def _worker_part(result: StageTwoResult, folder: Path, *, tiles: str, full: bool) -> None:
    """What :func:`write_outputs` hands to a worker, as one job (the result is sent once):
    the ward pages (with ``full``), the map and the report charts."""
    if full:
        write_ward_profiles(result, folder / "wards")
    write_map(result, folder / "map.html", tiles=tiles)
    if full:
        _figure_charts(result, folder / "figures")


def write_outputs(
    result: StageTwoResult,
    out_dir: str | Path,
    *,
    tiles: str = "none",
    full: bool = True,
    pool: ProcessPoolExecutor | None = None,
) -> dict[str, Path]:
    """Write ``map.html``, ``priority_areas.csv`` / ``.xlsx`` (sheets priority_areas, wards,
    assets, about and columns), ``wards.csv``, ``columns.csv`` (what every column of every
    table means), ``summary.md`` and the asset register ``register.xlsx`` (every place read,
    with its tier, hours, capacity and why any was left out: a council can correct it and pass
    it back as ``[sources.assets] register``).

    ``full=False`` writes only the map, the CSV tables and the summary (national runs do this
    per authority, to stay fast), leaving out the workbooks, static figures and ward profiles.
    Everything is written to a temporary folder beside ``out_dir`` and moved into place only
    when complete (:func:`staged_output`), so a failure never leaves half an output. An
    existing ``out_dir`` must be empty or hold earlier inclusion-geo outputs: those are
    replaced, and files the user added there are kept.

    ``pool``: a worker process (:func:`inclusion_geo._jobs.start_pool`, as the command line
    uses) that draws the ward pages, the map and the report charts while this process writes
    the rest; without one, everything is written here, one after another. The files are the
    same. If the run is interrupted (Ctrl-C, SIGTERM) the pool's processes are stopped at once.
    """
    from ._jobs import close_pool, submit

    out = Path(out_dir).expanduser().absolute()
    with staged_output(out) as tmp:
        # the worker draws the ward pages (the largest part), the map and the report charts;
        # this process writes the tables, the register and the report maps (balanced by
        # measuring the demo and Leeds; the worker's imports are done while this one loads)
        drawn = submit(pool, _worker_part, result, tmp, tiles=tiles, full=full)
        try:
            write_tables(result, tmp, full=full)
            (tmp / "summary.md").write_text(summary_text(result), encoding="utf-8")
            if full and result.register is not None:
                from .sources.register import write_register

                write_register(result.register, tmp / "register.xlsx")
            planned = write_plans(result, tmp)
            if full:
                write_figures(result, tmp / "figures", charts=False)
        except BaseException as stop:
            if not isinstance(stop, Exception):
                close_pool(pool)  # Ctrl-C or SIGTERM: stop drawing at once
            raise
        finally:  # never leave a worker writing into a folder that is being removed
            drawn.wait()
        drawn.result()
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

"""The stage-two journey in one call: indicators -> risk index -> barrier hotspots -> asset access
-> priority areas -> ward table -> map.

``run_stage_two`` takes frames (loaded from real files or from the demo) and returns a
:class:`StageTwoResult` whose frames can be inspected and whose map can be drawn in a notebook.
``run_demo`` does the same on the bundled synthetic borough.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from . import assets as _assets
from . import hotspots as _hotspots
from . import priorities as _priorities
from ._defaults import DEFAULT_CATCHMENTS_M, DEFAULT_PERMUTATIONS
from ._errors import InclusionGeoError
from ._places import distance_text
from ._timing import StageTimer
from ._validate import (
    require_columns,
    require_geodataframe,
    require_same_index,
    require_unique_index,
    require_valid_geometry,
    to_bng,
)
from .aggregate import rollup
from .barriers import FOCUS, focus_scores
from .datasets import load_demo_borough
from .geography import (
    check_assets_near,
    check_bng_coordinates,
    check_centroids_in_areas,
    check_codes,
    check_no_overlaps,
    check_same_vintage,
)
from .headcounts import HEADCOUNT_SUFFIXES, estimate_offline
from .indicators import compute_indicators
from .register import build_register
from .result import RunSettings, StageTwoResult
from .scoring import Recipe, contributions, default_recipe, score, top_barriers

__all__ = [
    "StageTwoResult",
    "run_stage_two",
    "run_stage_two_by",
    "run_demo",
    "with_plans",
    "DEFAULT_SUITABLE",
]

# Which categories may count as support at all: None lets the asset register's tiers decide
# (libraries, advice services and places with public computers are tier 1; community centres
# and halls tier 2; cafes, worship, health and the rest context only).
DEFAULT_SUITABLE = None


def run_stage_two(
    areas: gpd.GeoDataFrame,
    counts: pd.DataFrame,
    assets: gpd.GeoDataFrame,
    *,
    centroids: gpd.GeoSeries | None = None,
    ward_boundaries: gpd.GeoDataFrame | None = None,
    recipe: Recipe | None = None,
    place: str = "the study area",
    label: str = "",
    suitable: Sequence[str] | None = DEFAULT_SUITABLE,
    catchments_m: tuple[float, float] = DEFAULT_CATCHMENTS_M,
    circuity: float = 1.0,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
    sources: Mapping[str, str] | None = None,
    assets_outside: str = "keep",
    assets_cover: str | Sequence[str] = "auto",
) -> StageTwoResult:
    """Run stage two on prepared frames.

    Parameters
    ----------
    areas
        Small-area polygons indexed by area code, with ``name``, ``ward_code`` and
        ``ward_name`` columns.
    counts
        Counts and scores per area (same index) for the recipe's indicators, with ``residents``.
    assets
        Community assets (``name``, ``category``, point or polygon geometry).
    centroids
        Population-weighted centroids; default: each polygon's representative point (a warning
        says so, since it can sit far from where people live).
    ward_boundaries
        Ward polygons for the map (optional).
    recipe
        Scoring recipe; default :func:`inclusion_geo.scoring.default_recipe`.
    place, label
        The study area's name, and a label shown on every output.
    suitable
        Asset categories that count as digital-inclusion support; ``None`` for all present.
    catchments_m
        Short and long catchment in metres.
    circuity
        Straight-line to walking-distance factor.
    permutations, seed
        For hotspot inference.
    assets_outside
        ``"keep"`` (default) assets beyond the boundary, which residents near it use, or
        ``"drop"`` them; either way a warning counts them.
    assets_cover
        Where the asset list is complete (see :func:`inclusion_geo.assets.covered_areas`):
        ``"auto"`` (default) where at least one suitable asset lies inside the study area (in
        :func:`run_stage_two_by`, inside each group), ``"all"``, or the group codes it covers.
        Elsewhere access is not measured: distances are left empty, access is ``unknown``
        and the action for areas of need is ``unknown`` (their band rests on need, as
        everywhere), with a warning.

    Returns
    -------
    StageTwoResult

    Example
    -------
    >>> result = run_demo(permutations=99)
    >>> int(result.areas["priority_rank"].iloc[0])
    1
    """
    return _run(
        areas, counts, assets, centroids=centroids, ward_boundaries=ward_boundaries, recipe=recipe,
        place=place, label=label, suitable=suitable, catchments_m=catchments_m, circuity=circuity,
        permutations=permutations, seed=seed, sources=sources, assets_outside=assets_outside,
        assets_cover=assets_cover,
    )[None]  # fmt: skip


def run_stage_two_by(
    areas: gpd.GeoDataFrame,
    counts: pd.DataFrame,
    assets: gpd.GeoDataFrame,
    *,
    by: str,
    places: Mapping[str, str] | None = None,
    weights: _hotspots.SpatialWeights | None = None,
    **options,
) -> dict[str, StageTwoResult]:
    """Stage two for many study areas at once (e.g. every local authority of a national run).

    Each group of ``areas`` (by the column ``by``) is scored, tested for hotspots, explained,
    prioritised and rolled up within itself, exactly as :func:`run_stage_two` on that group
    would, but in one pass: spatial weights are built once for all areas and restricted to each
    group, and access is measured once. One difference by design: the E2SFCA supply counts the
    demand of every resident near an asset, whichever group they live in.

    ``places`` names each group (default: its code); ``weights`` are spatial weights already
    built for these areas or more (e.g. the national weights of a national run, which then
    need not be built twice), cut to each group; other keyword arguments are those of
    :func:`run_stage_two`. Returns ``{group code: StageTwoResult}``.
    """
    require_columns(areas, [by], what="areas")
    if "place" in options:
        raise InclusionGeoError(
            "run_stage_two_by names each group with places={code: name}; place= is for "
            "run_stage_two (one study area)."
        )
    return _run(areas, counts, assets, by=by, places=places, weights=weights, **options)


def _run(
    areas, counts, assets, *, centroids=None, ward_boundaries=None, recipe=None,
    place="the study area", label="", suitable=DEFAULT_SUITABLE, catchments_m=DEFAULT_CATCHMENTS_M,
    circuity=1.0, permutations=999, seed=0, sources=None, assets_outside="keep", by=None,
    places=None, weights=None, assets_cover="auto",
) -> dict:  # fmt: skip
    """Stage two in its stages (each timed): checks, scores, hotspots, access, explain and
    prioritise, headcounts, ward roll-up, split into one result per group."""
    timer = StageTimer()
    with timer("checks"):
        areas, counts, centroids, register = _checked(
            areas, counts, assets, centroids=centroids, ward_boundaries=ward_boundaries,
            catchments_m=catchments_m, suitable=suitable, assets_outside=assets_outside,
        )  # fmt: skip
        recipe = recipe or default_recipe()
    groups = None if by is None else areas[by]
    group_codes = [None] if by is None else sorted(groups.unique())
    names_of = {None: place} | {
        g: (places or {}).get(g, str(g)) for g in group_codes if g is not None
    }
    with timer("scores"):
        indicators = compute_indicators(counts, [recipe.spec(i.name) for i in recipe.indicators])
        scores = score(indicators, recipe, groups=groups)
    with timer("hotspots"):
        weights_of, local, morans = _hotspot_stage(
            scores["risk_index"], areas, by=by, weights=weights, permutations=permutations,
            seed=seed,
        )  # fmt: skip
    with timer("access"):
        need = _priorities.need_level(scores["risk_decile"], local["hotspot_class"])
        at_risk = counts["residents"].where(need.isin(_priorities.PRIORITY_NEEDS), 0)
        access = _access_stage(
            areas, centroids, register, at_risk, by=by, names_of=names_of,
            catchments_m=catchments_m, circuity=circuity, assets_cover=assets_cover,
        )  # fmt: skip
    with timer("explain and prioritise"):
        table = _explain_stage(
            areas, counts, indicators, scores, local, access, at_risk, recipe, by=by,
            place=place, names_of=names_of, catchments_m=catchments_m,
        )  # fmt: skip
    with timer("headcounts"):
        heads = _headcounts(counts.reindex(table.index))
        table = table.join(heads)
        if label:
            table["data_label"] = label
        ranked = gpd.GeoDataFrame(
            table, geometry=areas.geometry.reindex(table.index), crs=areas.crs
        )
    with timer("ward roll-up"):
        rates = [c for c in indicators.columns] + [
            c for c in scores.columns if c.startswith(("domain_", "risk_index"))
        ]
        wards = rollup(
            ranked,
            by="ward_code",
            intensive_variables=rates,
            extensive_variables=[c for c in heads.columns if c.endswith(HEADCOUNT_SUFFIXES)],
            names=areas.groupby("ward_code")["ward_name"].first(),
            within=by,
        )
    if label:
        wards["data_label"] = label
    settings = RunSettings(
        suitable=tuple(access.suitable),
        catchments_m=tuple(catchments_m),
        circuity=circuity,
        permutations=permutations,
        seed=seed,
    )
    with timer("split into results"):
        results = _split_results(
            ranked, wards, centroids, register, access.used, ward_boundaries, by=by,
            group_codes=group_codes, names_of=names_of, recipe=recipe, weights_of=weights_of,
            morans=morans, label=label, sources=sources, settings=settings,
        )  # fmt: skip
    for result in results.values():
        result.timings.update(timer.times)  # one pass: the same figures for every group
    return results


def _checked(
    areas, counts, assets, *, centroids, ward_boundaries, catchments_m, suitable, assets_outside
):
    """Every input checked and put on British National Grid: areas, counts (in the areas'
    order), centroids (a warned stand-in when none are given) and the asset register."""
    areas = to_bng(require_geodataframe(areas, what="areas"), what="areas")
    require_unique_index(areas, what="areas")
    require_valid_geometry(areas, what="areas")
    check_bng_coordinates(areas, what="areas")
    check_codes(areas, what="areas")
    require_columns(areas, ["name", "ward_code", "ward_name"], what="areas")
    require_columns(counts, ["residents"], what="counts")
    check_same_vintage(areas, counts, names=["areas", "counts"])
    require_same_index(areas.index, counts.index, left_what="areas", right_what="counts")
    if len(catchments_m) != 2 or catchments_m[0] >= catchments_m[1]:
        raise InclusionGeoError(
            f"catchments_m must be (short, long) with short < long, got {catchments_m!r}."
        )
    counts = counts.reindex(areas.index)
    if centroids is None:
        warnings.warn(
            "No population-weighted centroids given; using a point inside each polygon. Pass "
            "centroids= (ONS publishes them for LSOAs) for more accurate distances.",
            UserWarning,
            stacklevel=4,
        )
        centroids = areas.geometry.representative_point()
    else:
        centroids = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
        require_same_index(areas.index, centroids.index, left_what="areas", right_what="centroids")
        centroids = centroids.reindex(areas.index)
        check_bng_coordinates(centroids, what="centroids")
        check_centroids_in_areas(areas, centroids, stacklevel=5)
    if ward_boundaries is not None:
        check_no_overlaps(to_bng(ward_boundaries, what="ward_boundaries"), what="ward_boundaries")
    assets = _assets.validate_assets(assets, study_area=areas.geometry, outside=assets_outside)
    check_bng_coordinates(assets, what="assets")
    check_assets_near(assets, areas, stacklevel=5)
    return areas, counts, centroids, _support_register(assets, suitable)


def _hotspot_stage(risk, areas, *, by, weights, permutations, seed):
    """Spatial weights (built, or given for these areas or more and cut to them, per group),
    local Gi* and Moran statistics and global Moran's I."""
    if weights is None:
        weights = _hotspots.build_weights(areas)
        weights_of = {None: weights} if by is None else _hotspots.split_weights(weights, areas, by)
    else:  # given for these areas or more (e.g. a whole country): keep only these areas' links
        weights_of = _hotspots.split_weights(weights, areas, by)
    local = _hotspots.local_statistics(risk, weights_of, permutations=permutations, seed=seed)
    # the global test is analytic, under randomisation (z_rand, p_rand): one statistic per
    # study area, whose 999 full permutations would cost as much as all the local statistics
    morans = _hotspots.global_moran(risk, weights_of, permutations=0)
    return weights_of, local, morans


@dataclass(frozen=True)
class _Access:
    """What the access stage measured, per area, and the places it used."""

    used: gpd.GeoDataFrame  # the register's included places
    suitable: list  # categories of support and venues (tiers 1-2)
    measures: pd.DataFrame  # distances and counts by category and tier
    supply: pd.DataFrame  # capacity-aware supply per 1,000 residents at risk
    focus: pd.DataFrame  # access to each kind of help (focus area)
    places: pd.Series  # places to work through
    nearest: pd.Series  # the nearest digital support, however far


def _access_stage(
    areas, centroids, register, at_risk, *, by, names_of, catchments_m, circuity, assets_cover
) -> _Access:
    """Access to support, measured only where the asset list covers the area."""
    long_m = catchments_m[1]
    used = register[register["include"].astype(bool)]
    support = used[used["tier"] == 1]
    suitable = sorted(used.loc[used["tier"] <= 2, "category"].astype(str).unique())
    known = _assets.covered_areas(areas, support, by=by, covers=assets_cover)
    measures = _assets.access_measures(
        centroids, used, suitable=suitable, catchments_m=catchments_m, circuity=circuity
    ).join(_assets.access_by_tier(centroids, used, catchments_m=catchments_m, circuity=circuity))
    supply = _assets.support_hours(centroids, at_risk, used, max_cost=long_m, circuity=circuity)
    focus = _assets.access_by_focus(
        centroids, used, at_risk=at_risk, catchment_m=long_m, circuity=circuity
    )
    places = _assets.work_through(centroids, used, catchment_m=long_m, circuity=circuity, k=3)
    nearest = _nearest_support(centroids, support, circuity=circuity)
    if not known.all():
        measures, supply, nearest = _unmeasured(
            measures, supply, nearest, known, areas, by, names_of, suitable
        )
        focus = focus.astype({c: object for c in focus.columns if c.startswith("nearest_")})
        focus.loc[~known.to_numpy()] = np.nan
    return _Access(used, suitable, measures, supply, focus, places, nearest)


def _explain_stage(
    areas, counts, indicators, scores, local, access: _Access, at_risk, recipe, *, by, place,
    names_of, catchments_m,
) -> pd.DataFrame:  # fmt: skip
    """One row per area: scores and what drives them, hotspots, access, the leading barrier
    and the help for it, need-led priority, action and reason; ranked."""
    short_m, long_m = catchments_m
    groups = None if by is None else areas[by]
    table = areas[["name", "ward_code", "ward_name"] + ([by] if by else [])].copy()
    table["population"] = counts["residents"].astype("int64")
    table["residents_at_risk"] = at_risk.astype("int64")
    explained = contributions(scores, recipe)
    table = table.join(indicators).join(scores).join(explained.add_prefix("contrib_"))
    table = table.join(local).join(access.measures).join(access.supply)
    table["top_barriers"] = top_barriers(
        indicators,
        recipe,
        place=place,
        groups=groups,
        places={g: n for g, n in names_of.items() if g is not None},
    )
    table["nearest_support"] = access.nearest
    table["work_through"] = access.places
    table = table.join(focus_scores(explained, recipe)).join(access.focus)
    table = _priorities.priority_areas(
        table, distance_column="dist_tier1_m", venue_distance_column="dist_tier1_2_m",
        supply_column=_assets.SUPPLY_COLUMN, short_m=short_m, long_m=long_m, by=by,
    )  # fmt: skip
    table["help_for_leading_focus"] = _help_for_focus(table, long_m)
    return table


def _split_results(
    ranked, wards, centroids, register, used, ward_boundaries, *, by, group_codes, names_of,
    recipe, weights_of, morans, label, sources, settings,
) -> dict:  # fmt: skip
    """One :class:`StageTwoResult` per group (``{None: result}`` without ``by``)."""
    long_m = settings.catchments_m[1]
    boundaries = (
        None if ward_boundaries is None else to_bng(ward_boundaries, what="ward_boundaries")
    )
    parts, ward_parts = _split(ranked, by), _split(wards, by)
    centroids = centroids.reindex(ranked.index)
    covers = _assets.support_coverage(
        ranked, ranked["residents_at_risk"], catchment_m=long_m, by=by
    )
    results = {}
    for g in group_codes:
        part = parts[g]
        part_bounds = boundaries
        if g is not None and boundaries is not None:
            part_bounds = boundaries[boundaries.index.isin(part["ward_code"])]
            part_bounds = part_bounds if len(part_bounds) else None
        results[g] = StageTwoResult(
            areas=part,
            wards=ward_parts[g],
            assets=used,
            register=register,
            ward_boundaries=part_bounds,
            recipe=recipe,
            weights=weights_of[g],
            global_moran=morans[g],
            coverage=covers.loc[g].to_dict() if by else covers,
            place=names_of[g],
            label=label,
            sources=dict(sources or {}),
            settings=replace(settings, centroids=centroids.loc[part.index]),
        )
    return results


def _support_register(assets: gpd.GeoDataFrame, suitable: Sequence[str] | None):
    """The asset register of these assets (built unless ``assets`` is one already), with places
    outside the ``suitable`` categories (when given) kept as context only (tier 3)."""
    register = assets if {"tier", "include"} <= set(assets.columns) else build_register(assets)
    if suitable is None:
        present = set(register["category"])
    else:
        present = set(register["category"])
        absent = sorted(set(suitable) - present)
        if absent and not set(suitable) & present:
            raise InclusionGeoError(
                f"None of the suitable categories {list(suitable)} has any assets; categories "
                f"present: {sorted(present)}. Pass suitable= with the categories that may offer "
                "support, or None to let the register's tiers decide."
            )
        outside = ~register["category"].isin(list(suitable)) & (register["tier"] <= 2)
        if outside.any():
            register = register.copy()
            register.loc[outside, "tier"] = 3
            register.loc[outside, "tier_reason"] = (
                "context only in this run: its category is not among the suitable ones"
            )
    if not (register["include"].astype(bool) & (register["tier"] == 1)).any():
        warnings.warn(
            "No place in the asset register offers digital support (tier 1: libraries, advice "
            "services, places with public computers, or rows a council register marks so), so "
            f"every area of need is a gap. Categories present: {sorted(present)}.",
            UserWarning,
            stacklevel=4,
        )
    return register


def warn_unmeasured(
    where: str, suitable: Sequence[str] | None = None, *, stacklevel: int = 2
) -> None:
    """Warn that access is not measured ``where`` (the asset list does not cover it)."""
    what = f" of the categories {', '.join(suitable)}" if suitable else ""
    warnings.warn(
        f"The asset list has no place of digital support (tier 1){what} inside {where}: "
        "access there is not measured, so the action for its areas of need is unknown (their "
        "priority rests on need, as everywhere). Add assets that cover them, or, if the list is "
        "complete there, say so with assets_cover= ([sources.assets] covers in a config).",
        UserWarning,
        stacklevel=stacklevel + 1,
    )


def _unmeasured(access, supply, nearest_text, known, areas, by, names_of, suitable):
    """Blank the access measures where the asset list does not cover the area, and say so."""
    unknown = ~known.to_numpy()
    counts = [c for c in access.columns if c.startswith("n_")]
    access = access.astype({c: "Int64" for c in counts})
    access.loc[unknown] = np.nan
    supply = supply.copy()
    supply.loc[unknown] = np.nan
    nearest_text = nearest_text.copy()
    nearest_text[unknown] = "not measured: the asset list does not cover this area"
    where = (
        names_of[None]
        if by is None
        else f"{areas.loc[unknown, by].nunique()} of {areas[by].nunique()} groups by {by} (e.g. "
        + ", ".join(names_of[g] for g in sorted(areas.loc[unknown, by].unique())[:3])
        + ")"
    )
    warn_unmeasured(where, suitable, stacklevel=6)
    return access, supply, nearest_text


def _headcounts(counts: pd.DataFrame) -> pd.DataFrame:
    """Adults likely offline and lacking basic digital skills per area, with their ranges
    (modelled estimates, :func:`inclusion_geo.headcounts.estimate_offline`); empty, with a
    warning naming what is missing, where the counts lack the age bands the model needs."""
    needed = ["residents_16_plus", "aged_65_plus", "aged_75_plus"]
    absent = [c for c in needed if c not in counts.columns]
    if absent:
        warnings.warn(
            f"Headcounts of adults likely offline are not estimated: the counts lack {absent} "
            "(Census 2021 TS067 gives residents aged 16+, RM121 or TS007A the 65+ and 75+ "
            "bands).",
            UserWarning,
            stacklevel=4,
        )
        return pd.DataFrame(index=counts.index)
    offline = estimate_offline(counts, measure="offline")
    skills = estimate_offline(counts, measure="no_basic_skills")
    keep = [c for c in skills.columns if c.startswith("no_basic_skills")]
    return offline.join(skills[keep])


def _help_for_focus(table: pd.DataFrame, long_m: float) -> pd.Series:
    """For each area, the place nearest to it that helps with its leading barrier (focus area),
    or that none is within reach."""
    out = pd.Series("", index=table.index, dtype=object)
    for focus in FOCUS:
        col = f"dist_focus_{focus}_m"
        if col not in table:
            continue
        here = table["leading_focus"].eq(focus)
        dist = table[col]
        name = table.get(f"nearest_focus_{focus}", pd.Series("", index=table.index))
        reach = here & (dist <= long_m)
        out[reach] = [
            f"{focus.replace('_', ' ')}: {n} ({distance_text(d)})"
            for n, d in zip(name[reach], dist[reach], strict=True)
        ]
        far = here & ~(dist <= long_m) & dist.notna()
        out[far] = f"{focus.replace('_', ' ')}: no place that helps within {long_m:g} m"
    return out


def _nearest_support(centroids: gpd.GeoSeries, support: gpd.GeoDataFrame, *, circuity: float):
    """The nearest place of digital support (tier 1) to each area, with its distance, however
    far: what a gap area is furthest from."""
    if support.empty:
        return pd.Series("no digital support in the asset register", index=centroids.index)
    nearest = _assets.nearest_assets(centroids, support, k=1, circuity=circuity)
    text = [
        f"{n} ({distance_text(d)})"
        for n, d in zip(nearest["name"], nearest["distance_m"], strict=True)
    ]
    return pd.Series(text, index=centroids.index, dtype=object)


def _split(frame: pd.DataFrame, by: str | None) -> dict:
    """``{group: rows}`` in the frame's order within each group, without the ``by`` column
    (``{None: frame}`` without ``by``): one sort and contiguous slices."""
    if by is None:
        return {None: frame}
    keys = frame[by].to_numpy()
    order = np.argsort(keys, kind="stable")
    ordered = frame.iloc[order].drop(columns=by)
    keys = keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    stops = np.r_[starts[1:], len(keys)]
    return {keys[a]: ordered.iloc[a:b] for a, b in zip(starts, stops, strict=True)}


def with_plans(
    result: StageTwoResult,
    *,
    new_sites: int = 0,
    demand: str = "offline",
    capacity: bool = False,
    min_share: float | None = None,
    time_limit: float = 10.0,
    close: str | Sequence[str] | None = None,
    hours_cut: float | None = None,
    popup_sessions: int = 0,
) -> StageTwoResult:
    """``result`` with a site plan (``new_sites`` > 0), a closure or hours-cut scenario
    (``close``) and a pop-up rota (``popup_sessions`` > 0) in its ``plans``, as ``[plan]`` and
    ``[scenario]`` in a config ask; the outputs then carry their tables and map layers."""
    from dataclasses import replace

    plans = dict(result.plans)
    if new_sites:
        plans["site_plan"] = result.plan_sites(
            new_sites, demand=demand, capacity=capacity, min_share=min_share,
            time_limit=time_limit,
        )  # fmt: skip
    if close:
        plans["closure"] = result.closure(close, hours_cut=hours_cut)
    elif hours_cut is not None:
        raise InclusionGeoError(
            "hours_cut needs close = the places whose hours are cut ([scenario] close)."
        )
    if popup_sessions:
        plans["popup_rota"] = result.popup_rota(
            popup_sessions, demand=demand, time_limit=time_limit
        )
    return replace(result, plans=plans)


def run_demo(seed: int = 0, **kwargs) -> StageTwoResult:
    """Run stage two on the synthetic demo borough (no download needed).

    ``seed`` makes the borough; other keyword arguments go to :func:`run_stage_two`.

    Example
    -------
    >>> result = run_demo(permutations=99)
    >>> result.label
    'synthetic demo data'
    """
    demo = load_demo_borough(seed)
    kwargs.setdefault("seed", seed)
    return run_stage_two(
        demo.areas,
        demo.counts,
        demo.assets,
        centroids=demo.centroids,
        ward_boundaries=demo.wards,
        place=demo.la_name,
        label=demo.label,
        sources=demo.sources,
        **kwargs,
    )

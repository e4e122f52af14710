"""Community assets: who can reach them. Nearest distances, catchment counts, floating-catchment
supply and coverage, all in metres on British National Grid from population-weighted centroids.

Distances are straight-line. Walking routes are longer: pass ``circuity`` (e.g. 1.3, a common
urban detour factor) to scale straight-line distances into a walking-distance proxy before they
are compared with catchments. The default catchments, 800 m and 1,600 m, are the usual 10- and
20-minute walks.

Measures by tier read an asset register's columns (``tier``: 1 = digital support offered,
2 = a venue that could host support, 3 = context only; ``include``; ``display_name``;
``hours_per_week``; ``open_evenings``; ``open_weekends``; ``capacity``): nearest tier-1 and
tier-1-or-2 distances and counts (:func:`access_by_tier`), weekly hours of help per 1,000
residents at risk (:func:`support_hours`), the share of them within reach and the share the
reachable hours could serve (:func:`support_coverage`), and the places to work through
(:func:`work_through`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ._defaults import DEFAULT_CATCHMENTS_M
from ._errors import DataQualityError, InclusionGeoError
from ._places import _xy, tiered, work_through
from ._validate import positive_number, require_columns, to_bng

__all__ = [
    "ASSET_COLUMNS",
    "validate_assets",
    "nearest_assets",
    "access_measures",
    "e2sfca",
    "coverage",
    "coverage_by",
    "covered_areas",
    "select_sites",
    "DECAY_FUNCTIONS",
    "DEFAULT_HOURS_PER_WEEK",
    "DEFAULT_CAPACITY",
    "HOURS_PER_PERSON",
    "SUPPLY_COLUMN",
    "weekly_supply",
    "access_by_tier",
    "support_hours",
    "support_coverage",
    "access_by_focus",
    "work_through",
]

ASSET_COLUMNS = ("name", "category", "geometry")
DECAY_FUNCTIONS = ("gaussian", "linear", "step", "none")
#: hours a week assumed where ``hours_per_week`` is unknown (flagged wherever used): tier 1, a
#: library or advice service open five six-hour days; tier 2, a hall booked for a few sessions
DEFAULT_HOURS_PER_WEEK: dict[int, float] = {1: 30.0, 2: 10.0}
#: people helped at once, assumed when a register leaves ``capacity`` blank (flagged likewise)
DEFAULT_CAPACITY: dict[int, float] = {1: 4.0, 2: 8.0}
#: person-hours of help one resident at risk needs in a year (a short course of six one-hour
#: sessions): an assumption for :func:`support_coverage`, not a published norm
HOURS_PER_PERSON = 6.0
#: the column :func:`support_hours` writes: hours of help per week per 1,000 residents at risk
SUPPLY_COLUMN = "e2sfca_hours_per_1000_at_risk"


def validate_assets(
    assets: gpd.GeoDataFrame, *, study_area=None, outside: str = "keep", what: str = "assets"
) -> gpd.GeoDataFrame:
    """Check an asset table and return it in EPSG:27700 with point geometry.

    Polygons become representative points. Rows with no geometry raise (they cannot be placed);
    exact duplicates (same name, category and location within 1 m) are removed with a warning
    that gives the count; assets outside ``study_area`` (a shapely geometry, or a GeoSeries /
    GeoDataFrame of the study area's polygons, in EPSG:27700) are
    kept by default (``outside="keep"``), because people cross borders to use a library, or
    dropped (``outside="drop"``); either way a warning counts them. Any CRS is accepted and the
    result is reprojected to EPSG:27700, so assets in longitude/latitude and areas in British
    National Grid combine correctly.
    """
    if outside not in ("keep", "drop"):
        raise InclusionGeoError(f"outside={outside!r}; use 'keep' or 'drop'.")
    if not isinstance(assets, gpd.GeoDataFrame):
        raise TypeError(
            f"{what} must be a GeoDataFrame; load a council list with "
            "inclusion_geo.sources.read_asset_table or OSM layers with read_osm_layers."
        )
    require_columns(assets, ["name", "category"], what=what)
    if assets.empty:
        raise DataQualityError(f"{what} is empty: there are no community assets to measure.")
    missing = assets.geometry.isna() | assets.geometry.is_empty
    if missing.any():
        raise DataQualityError(
            f"{int(missing.sum())} of {what} have no location, e.g. "
            f"{assets.loc[missing, 'name'].head(5).tolist()}. Add coordinates or a postcode, or "
            "remove those rows explicitly."
        )
    out = to_bng(assets, what=what).copy()
    not_point = out.geom_type != "Point"
    if not_point.any():
        out.loc[not_point, out.geometry.name] = out.geometry[not_point].representative_point()
    key = pd.DataFrame(
        {
            "name": out["name"].astype(str),
            "category": out["category"].astype(str),
            "x": out.geometry.x.round(0),
            "y": out.geometry.y.round(0),
        }
    )
    dupes = key.duplicated()
    if dupes.any():
        warnings.warn(
            f"{int(dupes.sum())} duplicate asset(s) in {what} (same name, category and place) "
            "were removed.",
            UserWarning,
            stacklevel=2,
        )
        out = out.loc[~dupes.to_numpy()]
    if study_area is not None:
        beyond = ~_near_any(out.geometry, study_area, 1.0)
        if beyond.any():
            action = (
                "they are kept, since residents near the border use them too"
                if outside == "keep"
                else "they were dropped (outside='drop')"
            )
            warnings.warn(
                f"{int(beyond.sum())} asset(s) lie outside the study area; {action}.",
                UserWarning,
                stacklevel=2,
            )
            if outside == "drop":
                out = out.loc[~beyond]
    return out


def _near_any(points: gpd.GeoSeries, polygons, distance: float) -> np.ndarray:
    """Whether each point lies within ``distance`` of the polygons (one shape or many)."""
    import shapely

    shapes = np.atleast_1d(
        polygons.geometry.to_numpy() if hasattr(polygons, "geometry") else polygons
    )
    hits = shapely.STRtree(shapes).query(points.to_numpy(), predicate="dwithin", distance=distance)
    near = np.zeros(len(points), dtype=bool)
    near[hits[0]] = True
    return near


def _categories(assets: gpd.GeoDataFrame, categories: Sequence[str] | None) -> list[str]:
    present = sorted(assets["category"].dropna().astype(str).unique())
    if categories is None:
        return present
    unknown = [c for c in categories if c not in present]
    if unknown:
        raise InclusionGeoError(
            f"categories {unknown} have no assets. Categories present: {present}."
        )
    return list(categories)


def nearest_assets(
    centroids: gpd.GeoSeries,
    assets: gpd.GeoDataFrame,
    *,
    k: int = 3,
    categories: Sequence[str] | None = None,
    circuity: float = 1.0,
) -> pd.DataFrame:
    """The ``k`` nearest assets (of the given categories) to each centroid.

    Returns a long frame: ``area``, ``order`` (1 = nearest), ``asset_id``, ``name``,
    ``category``, ``distance_m``.
    """
    centroids = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
    assets = to_bng(assets, what="assets")
    cats = _categories(assets, categories)
    pool = assets[assets["category"].isin(cats)]
    k = min(k, len(pool))
    dist, idx = cKDTree(_xy(pool)).query(_xy(centroids), k=k)
    dist, idx = dist.reshape(len(centroids), k), idx.reshape(len(centroids), k)
    return pd.DataFrame(
        {
            "area": np.repeat(centroids.index.to_numpy(), k),
            "order": np.tile(np.arange(1, k + 1), len(centroids)),
            "asset_id": pool.index.to_numpy()[idx.ravel()],
            # an unnamed place shows its display label ("unnamed library (OSM node 1)"), not "nan"
            "name": pool[
                next(c for c in ("display_name", "label", "name") if c in pool)
            ].to_numpy()[idx.ravel()],
            "category": pool["category"].to_numpy()[idx.ravel()],
            "distance_m": dist.ravel() * circuity,
        }
    )


def access_measures(
    centroids: gpd.GeoSeries,
    assets: gpd.GeoDataFrame,
    *,
    categories: Sequence[str] | None = None,
    suitable: Sequence[str] | None = None,
    catchments_m: Sequence[float] = DEFAULT_CATCHMENTS_M,
    circuity: float = 1.0,
) -> pd.DataFrame:
    """Distance to the nearest asset and number within each catchment, per category.

    Parameters
    ----------
    centroids
        Population-weighted centroids, indexed by area code.
    assets
        Asset table (see :func:`validate_assets`).
    categories
        Categories to measure separately (default: all present).
    suitable
        Categories that count as digital-inclusion support for the ``any`` columns
        (default: all measured categories).
    catchments_m
        Catchment radii in metres.
    circuity
        Factor applied to straight-line distances (1.0 = straight line).

    Returns
    -------
    DataFrame
        Indexed like ``centroids``: ``dist_<category>_m``, ``n_<category>_<r>m`` for each
        category and for ``any`` (the suitable categories together).

    Example
    -------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> demo = load_demo_borough()
    >>> acc = access_measures(demo.centroids, demo.assets, categories=["library"])
    >>> list(acc.columns)
    ['dist_library_m', 'n_library_800m', 'n_library_1600m', 'dist_any_m', 'n_any_800m', 'n_any_1600m']
    """
    circuity = positive_number(circuity, name="circuity")
    radii = [positive_number(r, name="catchments_m") for r in catchments_m]
    centroids = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
    assets = to_bng(assets, what="assets")
    cats = _categories(assets, categories)
    suitable = cats if suitable is None else _categories(assets, suitable)
    origin = _xy(centroids)
    out: dict[str, np.ndarray] = {}
    groups = [(c, assets["category"] == c) for c in cats]
    groups.append(("any", assets["category"].isin(suitable)))
    for label, mask in groups:
        pts = _xy(assets[mask.to_numpy()])
        tree = cKDTree(pts)
        dist, _ = tree.query(origin, k=1)
        out[f"dist_{label}_m"] = dist * circuity
        for r in radii:
            counts = tree.query_ball_point(origin, r / circuity, return_length=True)
            out[f"n_{label}_{r:g}m"] = np.asarray(counts, dtype=np.int64)
    return pd.DataFrame(out, index=centroids.index)


def _decay(d: np.ndarray, max_cost: float, weight_fn: str) -> np.ndarray:
    inside = d <= max_cost
    if weight_fn == "none":
        w = np.ones_like(d)
    elif weight_fn == "linear":
        w = 1.0 - d / max_cost
    elif weight_fn == "gaussian":
        # Dai (2010): weight 1 at distance 0, about 0.011 at the catchment edge
        w = (np.exp(-0.5 * (d / (max_cost / 3.0)) ** 2) - np.exp(-4.5)) / (1 - np.exp(-4.5))
    elif weight_fn == "step":
        # Luo & Qi (2009) E2SFCA zones: 1.00, 0.68, 0.22 for the three thirds of the catchment
        w = np.select([d <= max_cost / 3, d <= 2 * max_cost / 3], [1.0, 0.68], default=0.22)
    else:
        raise InclusionGeoError(f"weight_fn={weight_fn!r} is not one of {DECAY_FUNCTIONS}.")
    return np.where(inside, w, 0.0)


def e2sfca(
    centroids: gpd.GeoSeries,
    population: pd.Series,
    assets: gpd.GeoDataFrame,
    *,
    max_cost: float = 1600.0,
    weight_fn: str = "gaussian",
    capacity: str | None = "capacity",
    circuity: float = 1.0,
) -> pd.Series:
    """Enhanced two-step floating catchment supply per 1,000 residents.

    Step 1: each asset's ratio ``R_j = S_j / sum_i(P_i f(d_ij))`` over areas within ``max_cost``.
    Step 2: each area's access ``A_i = 1000 * sum_j(R_j f(d_ij))``. ``S_j`` is the asset's
    ``capacity`` column where known (e.g. public PCs or opening hours), else 1. ``f`` is the
    distance decay: ``gaussian`` (default), ``linear``, ``step`` (E2SFCA zones) or ``none``.
    An asset that reaches no residents contributes nothing; an area out of reach of every asset
    gets 0.
    """
    max_cost = positive_number(max_cost, name="max_cost")
    circuity = positive_number(circuity, name="circuity")
    centroids = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
    assets = to_bng(assets, what="assets")
    pop = population.reindex(centroids.index)
    if pop.isna().any() or (pop < 0).any():
        raise DataQualityError(
            "population must be given, and non-negative, for every centroid; missing for "
            f"{centroids.index[pop.isna()][:5].tolist()}."
        )
    supply = np.ones(len(assets))
    if capacity is not None and capacity in assets.columns:
        cap = pd.to_numeric(assets[capacity], errors="coerce").to_numpy(dtype=float)
        supply = np.where(np.isfinite(cap) & (cap > 0), cap, 1.0)
    access, _ = _fca(centroids, pop.to_numpy(dtype=float), assets, supply, max_cost=max_cost,
                     weight_fn=weight_fn, circuity=circuity)  # fmt: skip
    access = access * 1000.0
    return pd.Series(access, index=centroids.index, name=f"e2sfca_per_1000_{max_cost:g}m")


def _fca(
    centroids: gpd.GeoSeries,
    demand: np.ndarray,
    assets: gpd.GeoDataFrame,
    supply: np.ndarray,
    *,
    max_cost: float,
    weight_fn: str,
    circuity: float,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The two floating-catchment steps: each area's ``sum_j R_j f(d_ij)``, and the pairs
    ``(i, j, R_j f(d_ij))`` it adds up (area position, asset position, contribution)."""
    area_xy, asset_xy = _xy(centroids), _xy(assets)
    pairs = cKDTree(asset_xy).sparse_distance_matrix(
        cKDTree(area_xy), max_cost / circuity, output_type="coo_matrix"
    )
    j, i, d = pairs.row, pairs.col, pairs.data * circuity
    # sparse_distance_matrix omits exact zero distances; an asset at a centroid is rare but real
    zero_j, zero_i = _coincident(asset_xy, area_xy)
    j, i, d = np.r_[j, zero_j], np.r_[i, zero_i], np.r_[d, np.zeros(zero_j.size)]
    f = _decay(d, max_cost, weight_fn)
    need = np.bincount(j, weights=f * demand[i], minlength=len(assets))
    ratio = np.divide(supply, need, out=np.zeros_like(supply, dtype=float), where=need > 0)
    part = f * ratio[j]
    access = np.bincount(i, weights=part, minlength=len(centroids))
    return access, (i, j, part)


def _coincident(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    hits = cKDTree(a).query_ball_point(b, 1e-9)
    i = np.repeat(np.arange(len(b)), [len(h) for h in hits])
    j = np.fromiter((x for h in hits for x in h), dtype=np.int64, count=i.size)
    return j, i


def coverage(
    access: pd.DataFrame,
    population: pd.Series,
    at_risk: pd.Series,
    *,
    catchment_m: float = 1600.0,
    column: str = "dist_any_m",
) -> dict[str, float]:
    """Share of the at-risk population within ``catchment_m`` of at least one suitable asset.

    ``at_risk`` is a boolean Series (e.g. areas in the top two risk deciles). Returns the at-risk
    population, how many of them are covered, and the share covered (0 to 1).
    """
    require_columns(access, [column], what="access")
    table = coverage_by(
        access[[column]].assign(_group=0), population, at_risk, by="_group",
        catchment_m=catchment_m, column=column,
    )  # fmt: skip
    return {key: float(value) for key, value in table.iloc[0].items()}


def covered_areas(
    areas: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    *,
    by: str | None = None,
    covers: str | Sequence[str] = "auto",
) -> pd.Series:
    """Which areas an asset list can measure access for (True) and which it does not cover.

    An asset list is often complete for one place only (an OpenStreetMap extract clipped to a
    borough, a council's own list): distances from elsewhere would be to the wrong places.
    ``covers="auto"`` takes each group of areas (by the column ``by``, e.g. ``lad_code``; the
    whole study area without it) as covered when at least one of ``assets`` lies inside it;
    ``"all"`` trusts the list everywhere; a list of group codes names the groups it covers
    (codes of groups not among ``areas`` are ignored).
    """
    if isinstance(covers, str) and covers not in ("auto", "all"):
        raise InclusionGeoError(
            f"covers={covers!r}; use 'auto', 'all' or a list of the {by or 'group'} codes the "
            "asset list covers."
        )
    groups = pd.Series(0, index=areas.index) if by is None else areas[by]
    if isinstance(covers, str) and covers == "all":
        return pd.Series(True, index=areas.index, name="access_known")
    if not isinstance(covers, str):
        if by is None:
            raise InclusionGeoError(
                "covers as a list of codes needs by= (the column those codes are in)."
            )
        return pd.Series(
            groups.isin(list(covers)).to_numpy(), index=areas.index, name="access_known"
        )
    import shapely

    areas = to_bng(areas, what="areas")
    points = to_bng(assets, what="assets").geometry.to_numpy()
    _, hit = shapely.STRtree(areas.geometry.to_numpy()).query(points, predicate="intersects")
    inside = set(groups.iloc[np.unique(hit)])
    return pd.Series(groups.isin(inside).to_numpy(), index=areas.index, name="access_known")


def coverage_by(
    access: pd.DataFrame,
    population: pd.Series,
    at_risk: pd.Series,
    *,
    by: str,
    catchment_m: float = 1600.0,
    column: str = "dist_any_m",
) -> pd.DataFrame:
    """:func:`coverage` for each group of areas (by the column ``by`` of ``access``, e.g.
    ``lad_code``): one row per group with ``at_risk_population``, ``covered_population`` and
    ``share_covered`` (NaN where at-risk areas have no measured distance)."""
    require_columns(access, [column, by], what="access")
    mask = at_risk.reindex(access.index).fillna(False).to_numpy(dtype=bool)
    pop = population.reindex(access.index).to_numpy(dtype=float)
    distance = access[column].to_numpy(dtype=float)
    covered = distance <= catchment_m
    codes, labels = pd.factorize(access[by], sort=True)
    total = np.bincount(codes, weights=np.where(mask, pop, 0.0), minlength=len(labels))
    got = np.bincount(codes, weights=np.where(mask & covered, pop, 0.0), minlength=len(labels))
    unmeasured = np.bincount(codes, weights=mask & np.isnan(distance), minlength=len(labels))
    share = np.divide(got, total, out=np.full(total.shape, np.nan), where=total > 0)
    share[unmeasured > 0] = np.nan  # access not measured (the asset list does not cover them)
    got[unmeasured > 0] = np.nan
    return pd.DataFrame(
        {"at_risk_population": total, "covered_population": got, "share_covered": share},
        index=pd.Index(labels, name=by),
    )


def select_sites(
    centroids: gpd.GeoSeries,
    demand: pd.Series,
    candidates: gpd.GeoDataFrame,
    *,
    k: int = 5,
    catchment_m: float = 1600.0,
    circuity: float = 1.0,
    already_covered: pd.Series | None = None,
) -> pd.DataFrame:
    """Choose up to ``k`` sites that cover the most demand (greedy maximal covering).

    An area is covered by a site when its centroid is within ``catchment_m`` (after
    ``circuity``). Each step picks the candidate covering the most still-uncovered demand; ties go
    to the candidate listed first. The greedy answer is within 63 % (1 - 1/e) of the best
    possible for any k, and each pick's marginal gain is what it adds on top of the earlier picks.

    Parameters
    ----------
    centroids
        Population-weighted centroids, indexed by area code.
    demand
        People to cover per area, e.g. residents of high-risk areas (0 elsewhere).
    candidates
        Existing assets or candidate sites (``name`` column, points).
    already_covered
        Boolean per area: demand already served (e.g. by existing hubs) does not count.

    Returns
    -------
    DataFrame
        One row per pick: ``order``, ``site`` (candidate index), ``name``, ``marginal_covered``,
        ``cumulative_covered``, ``share_covered`` (of all demand) and ``areas_added``.
    """
    if k < 1:
        raise InclusionGeoError(f"k must be at least 1, got {k}.")
    catchment_m = positive_number(catchment_m, name="catchment_m")
    centroids = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
    candidates = to_bng(candidates, what="candidates")
    if candidates.empty:
        raise DataQualityError("There are no candidate sites to choose from.")
    need = demand.reindex(centroids.index)
    if need.isna().any() or (need < 0).any():
        raise DataQualityError("demand must be given, and non-negative, for every centroid.")
    need = need.to_numpy(dtype=float).copy()
    if already_covered is not None:
        need[already_covered.reindex(centroids.index).fillna(False).to_numpy(dtype=bool)] = 0.0
    total = float(demand.reindex(centroids.index).sum())
    reach = cKDTree(_xy(centroids)).query_ball_point(_xy(candidates), catchment_m / circuity)
    covered = np.zeros(len(centroids), dtype=bool)
    rows, cumulative = [], 0.0
    for order in range(1, k + 1):
        gains = np.array([need[r][~covered[r]].sum() if len(r) else 0.0 for r in reach])
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        added = [a for a in reach[best] if not covered[a]]
        covered[added] = True
        cumulative += gains[best]
        rows.append(
            {
                "order": order,
                "site": candidates.index[best],
                "name": candidates["name"].iloc[best]
                if "name" in candidates
                else str(candidates.index[best]),
                "marginal_covered": gains[best],
                "cumulative_covered": cumulative,
                "share_covered": cumulative / total if total > 0 else float("nan"),
                "areas_added": len(added),
            }
        )
    return pd.DataFrame(rows)


def weekly_supply(
    assets: gpd.GeoDataFrame,
    *,
    default_hours: dict[int, float] | None = None,
    default_capacity: dict[int, float] | None = None,
) -> pd.DataFrame:
    """Person-hours of help each place offers in a week: ``capacity x hours_per_week``.

    Where ``hours_per_week`` is unknown (missing or not positive) the tier's typical week
    (:data:`DEFAULT_HOURS_PER_WEEK`: 30 h for tier 1, 10 h for tier 2) is used; where
    ``capacity`` is, the tier's :data:`DEFAULT_CAPACITY` (4 and 8 people at once). Tier 3 places
    offer no help (supply 0). Each assumption is flagged, including a capacity the register
    filled in by default (``capacity_source`` starting ``"default"``).

    Returns
    -------
    DataFrame
        Indexed like the included assets: ``tier``, ``capacity``, ``hours_per_week``,
        ``capacity_assumed``, ``hours_assumed`` and ``supply_hours_per_week`` (person-hours).

    Example
    -------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> reg = gpd.GeoDataFrame({"name": ["Lib"], "tier": [1], "capacity": [5.0],
    ...     "hours_per_week": [float("nan")]}, geometry=[Point(0, 0)], crs=27700)
    >>> weekly_supply(reg)[["hours_per_week", "hours_assumed", "supply_hours_per_week"]]
       hours_per_week  hours_assumed  supply_hours_per_week
    0            30.0           True                  150.0
    """
    hours_of = DEFAULT_HOURS_PER_WEEK | (default_hours or {})
    capacity_of = DEFAULT_CAPACITY | (default_capacity or {})
    reg = tiered(assets)
    tier = reg["tier"]

    source = reg.get("capacity_source", pd.Series("", index=reg.index))
    by_default = source.astype(str).str.startswith("default")  # the register filled it in
    hours, capacity = (
        pd.to_numeric(reg.get(c, pd.Series(np.nan, index=reg.index)), errors="coerce").where(
            lambda v: v > 0
        )
        for c in ("hours_per_week", "capacity")
    )
    out = pd.DataFrame(
        {
            "tier": tier,
            "capacity": capacity.fillna(tier.map(capacity_of)).fillna(0.0),
            "hours_per_week": hours.fillna(tier.map(hours_of)).fillna(0.0),
            "capacity_assumed": (capacity.isna() | by_default) & tier.lt(3),
            "hours_assumed": hours.isna() & tier.lt(3),
        },
        index=reg.index,
    )
    out.loc[tier.eq(3).to_numpy(), ["capacity", "hours_per_week"]] = 0.0
    out["supply_hours_per_week"] = out["capacity"] * out["hours_per_week"]
    return out


def access_by_tier(
    centroids: gpd.GeoSeries,
    assets: gpd.GeoDataFrame,
    *,
    catchments_m: Sequence[float] = DEFAULT_CATCHMENTS_M,
    circuity: float = 1.0,
) -> pd.DataFrame:
    """Distance to the nearest place of digital support (tier 1) and of support or a venue
    (tier 1 or 2), and how many lie within each catchment.

    Rows of ``assets`` with ``include`` false are left out; tier 3 never counts. Where the
    register has no place of a kind at all, distances are infinite and counts 0.

    Returns
    -------
    DataFrame
        Indexed like ``centroids``: ``dist_tier1_m``, ``n_tier1_<r>m``, ``dist_tier1_2_m``,
        ``n_tier1_2_<r>m``, full precision.
    """
    circuity = positive_number(circuity, name="circuity")
    radii = [positive_number(r, name="catchments_m") for r in catchments_m]
    centroids = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
    reg = tiered(assets)
    origin = _xy(centroids)
    out: dict[str, np.ndarray] = {}
    for label, tiers in (("tier1", [1]), ("tier1_2", [1, 2])):
        tree = cKDTree(_xy(reg[reg["tier"].isin(tiers).to_numpy()]).reshape(-1, 2))
        out[f"dist_{label}_m"] = tree.query(origin, k=1)[0] * circuity
        for r in radii:
            counts = tree.query_ball_point(origin, r / circuity, return_length=True)
            out[f"n_{label}_{r:g}m"] = np.asarray(counts, dtype=np.int64)
    return pd.DataFrame(out, index=centroids.index)


def support_hours(
    centroids: gpd.GeoSeries,
    at_risk: pd.Series,
    assets: gpd.GeoDataFrame,
    *,
    max_cost: float = 1600.0,
    weight_fn: str = "gaussian",
    circuity: float = 1.0,
    default_hours: dict[int, float] | None = None,
    default_capacity: dict[int, float] | None = None,
) -> pd.DataFrame:
    """Hours of digital help per week per 1,000 residents at risk (capacity-aware E2SFCA).

    Supply is each tier-1 place's person-hours a week, ``S_j = capacity_j x hours_per_week_j``
    (:func:`weekly_supply`, with its flagged defaults where hours or capacity are unknown);
    demand is ``at_risk``, residents at risk per area (e.g. residents of high-need areas, 0
    elsewhere, or estimated offline adults). With the distance decay ``f`` of :func:`e2sfca`:

    * step 1: ``R_j = S_j / sum_i(P_i f(d_ij))`` over areas within ``max_cost`` (hours a week
      per resident at risk around place ``j``);
    * step 2: ``A_i = 1000 * sum_j(R_j f(d_ij))``, in **hours of help per week per 1,000
      residents at risk**.

    ``sum_i A_i P_i / 1000 = sum_j S_j`` over places that reach anyone at risk: the hours are
    shared out, not invented. An area beyond ``max_cost`` of every tier-1 place gets 0.

    Returns
    -------
    DataFrame
        Indexed like ``centroids``: :data:`SUPPLY_COLUMN` (``A_i``, full precision) and
        ``e2sfca_share_hours_assumed``, the share of ``A_i`` that comes from places whose hours
        or capacity were assumed (NaN where ``A_i`` is 0).

    Example
    -------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import Point
    >>> areas = gpd.GeoSeries([Point(0, 0)], index=["a"], crs=27700)
    >>> reg = gpd.GeoDataFrame({"name": ["Lib"], "tier": [1], "capacity": [4.0],
    ...     "hours_per_week": [30.0]}, geometry=[Point(100, 0)], crs=27700)
    >>> float(support_hours(areas, pd.Series({"a": 200}), reg).iloc[0, 0])  # 120 h / 200 * 1000
    600.0
    """
    max_cost = positive_number(max_cost, name="max_cost")
    circuity = positive_number(circuity, name="circuity")
    centroids = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
    demand = at_risk.reindex(centroids.index)
    if demand.isna().any() or (demand < 0).any():
        raise DataQualityError(
            "at_risk must be given, and non-negative, for every centroid; missing or negative "
            f"for {centroids.index[demand.isna() | (demand < 0)][:5].tolist()}. Pass 0 for areas "
            "with no residents at risk."
        )
    reg = tiered(assets)
    tier1 = reg[reg["tier"].eq(1).to_numpy()]
    week = weekly_supply(tier1, default_hours=default_hours, default_capacity=default_capacity)
    access, (i, j, part) = _fca(
        centroids, demand.to_numpy(dtype=float), tier1, week["supply_hours_per_week"].to_numpy(),
        max_cost=max_cost, weight_fn=weight_fn, circuity=circuity,
    )  # fmt: skip
    assumed = (week["hours_assumed"] | week["capacity_assumed"]).to_numpy()
    from_assumed = np.bincount(i, weights=part * assumed[j], minlength=len(centroids))
    share = np.divide(from_assumed, access, out=np.full(len(centroids), np.nan), where=access > 0)
    return pd.DataFrame(
        {SUPPLY_COLUMN: access * 1000.0, "e2sfca_share_hours_assumed": share},
        index=centroids.index,
    )


def access_by_focus(
    centroids: gpd.GeoSeries,
    assets: gpd.GeoDataFrame,
    *,
    at_risk: pd.Series | None = None,
    catchment_m: float = 1600.0,
    circuity: float = 1.0,
) -> pd.DataFrame:
    """Access to help of each kind: for each focus area of the Digital Inclusion Action Plan
    (:data:`inclusion_geo.barriers.FOCUS`), the distance to the nearest included tier-1 or
    tier-2 place whose ``helps_with`` names it (``dist_focus_<focus>_m``, infinite where none
    exists), that place's name (``nearest_focus_<focus>``) and, given ``at_risk``, the
    capacity-aware supply of its tier-1 places (``e2sfca_focus_<focus>``, hours of help a week
    per 1,000 residents at risk, :func:`support_hours`).

    Without a ``helps_with`` column (a register from before it existed) every tier-1 and
    tier-2 place counts for every focus area.
    """
    from .barriers import FOCUS

    centroids = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
    reg = tiered(assets)
    reg = reg[reg["tier"].le(2).to_numpy()]
    helps = (
        reg["helps_with"].fillna("").astype(str)
        if "helps_with" in reg
        else pd.Series("; ".join(FOCUS), index=reg.index)
    )
    names = reg[next(c for c in ("display_name", "label", "name") if c in reg)].astype(str)
    xy = _xy(centroids)
    out = {}
    for focus in FOCUS:
        mine = helps.str.contains(focus, regex=False).to_numpy()
        if mine.any():
            dist, idx = cKDTree(_xy(reg[mine])).query(xy, k=1)
            out[f"dist_focus_{focus}_m"] = dist * circuity
            out[f"nearest_focus_{focus}"] = names[mine].to_numpy()[idx]
        else:
            out[f"dist_focus_{focus}_m"] = np.full(len(xy), np.inf)
            out[f"nearest_focus_{focus}"] = np.full(len(xy), "", dtype=object)
        if at_risk is not None:
            subset = reg[mine & reg["tier"].eq(1).to_numpy()]
            out[f"e2sfca_focus_{focus}"] = (
                support_hours(centroids, at_risk, subset, max_cost=catchment_m, circuity=circuity)[
                    SUPPLY_COLUMN
                ].to_numpy()
                if len(subset)
                else np.zeros(len(xy))
            )
    return pd.DataFrame(out, index=centroids.index)


def support_coverage(
    access: pd.DataFrame,
    at_risk: pd.Series,
    *,
    column: str = "dist_tier1_m",
    supply_column: str = SUPPLY_COLUMN,
    catchment_m: float = 1600.0,
    hours_per_person: float = HOURS_PER_PERSON,
    by: str | None = None,
) -> dict[str, float] | pd.DataFrame:
    """How many residents at risk digital support can reach, plainly and by capacity.

    * plain: ``within_reach`` = residents at risk (``P_i``) of areas within ``catchment_m`` of
      a tier-1 place (``column``); ``share_within_reach`` = that / all residents at risk;
    * capacity-adjusted: ``could_be_served`` = ``sum_i min(P_i, 52 A_i P_i / (1000 h))`` over
      areas within reach, where ``A_i`` is ``supply_column`` (hours a week per 1,000 at risk,
      :func:`support_hours`) and ``h`` is ``hours_per_person`` (person-hours one resident
      needs in a year, default 6). ``A_i P_i / 1000`` is the weekly hours shared out to the
      area; over 52 weeks they serve ``52 A_i P_i / (1000 h)`` people, at most everyone at
      risk there. So an area with ``A_i >= 1000 h / 52`` (115 hours a week per 1,000 at
      risk for ``h`` = 6) is fully served. ``share_could_be_served`` is at most
      ``share_within_reach``.

    Areas at risk whose access was not measured (NaN in ``column``) make their group's figures
    NaN, as in :func:`coverage_by`. Without ``by`` a dict, with ``by`` (a column of ``access``)
    one row per group.
    """
    hours_per_person = positive_number(hours_per_person, name="hours_per_person")
    require_columns(access, [column, supply_column] + ([by] if by else []), what="access")
    pop = at_risk.reindex(access.index).fillna(0.0).to_numpy(dtype=float)
    if (pop < 0).any():
        raise DataQualityError("at_risk must be non-negative (residents at risk per area).")
    distance = access[column].to_numpy(dtype=float)
    supply = access[supply_column].to_numpy(dtype=float)
    reach = distance <= catchment_m
    served = np.where(
        reach, np.minimum(pop, 52.0 * np.nan_to_num(supply) * pop / (1000.0 * hours_per_person)), 0
    )
    keys = pd.Series(0, index=access.index) if by is None else access[by]
    codes, labels = pd.factorize(keys, sort=True)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=values, minlength=len(labels))

    everyone, within, could = total(pop), total(np.where(reach, pop, 0.0)), total(served)
    unmeasured = total(((pop > 0) & np.isnan(distance)).astype(float)) > 0
    table = pd.DataFrame(
        {
            "at_risk_residents": everyone,
            "within_reach": np.where(unmeasured, np.nan, within),
            "share_within_reach": np.nan,
            "could_be_served": np.where(unmeasured, np.nan, could),
            "share_could_be_served": np.nan,
        },
        index=pd.Index(labels, name=by),
    )
    has = everyone > 0
    table.loc[has, "share_within_reach"] = table["within_reach"][has] / everyone[has]
    table.loc[has, "share_could_be_served"] = table["could_be_served"][has] / everyone[has]
    if by is None:
        return {key: float(value) for key, value in table.iloc[0].items()}
    return table

"""Geography codes and vintages.

Small-area frames are indexed by the GSS code of their geography; the index *name* says which
geography and vintage it is (``lsoa11cd``, ``lsoa21cd``, ``wd13cd`` ...). This module knows the code
patterns, tells the vintage of a frame, and refuses to combine frames of different vintages. Its
``check_*`` functions refuse inputs that disagree geographically (centroids outside their areas,
longitude/latitude declared as British National Grid, assets of another place, overlapping
wards, a lookup that misses areas) instead of silently dropping or guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ._errors import InclusionGeoError, UnknownCodeError, VintageMismatchError

__all__ = [
    "Geography",
    "GEOGRAPHIES",
    "geography_of",
    "detect_vintage",
    "check_codes",
    "check_same_vintage",
    "conversion_weights",
    "convert_counts",
    "best_fit_lookup",
    "infer_lsoa_vintage",
    "check_bng_coordinates",
    "check_centroids_in_areas",
    "check_assets_near",
    "check_no_overlaps",
    "check_ward_coverage",
    "check_lookup_complete",
]


@dataclass(frozen=True)
class Geography:
    """A kind of area: its index name, code pattern and vintage."""

    key: str  # index name, e.g. "lsoa11cd"
    level: str  # "lsoa", "oa", "msoa", "ward", "lad"
    vintage: str  # "2011", "2021", "2013", "demo" ...
    pattern: str  # regular expression a code must match
    label: str

    def matches(self, codes: pd.Index) -> pd.Series:
        return pd.Series(codes.astype(str), index=codes).str.fullmatch(self.pattern)


_LSOA = r"[EW]01\d{6}"
_OA = r"[EW]00\d{6}"
_MSOA = r"[EW]02\d{6}"
_WARD = r"[EW]05\d{6}"
_LAD = r"[EW]0[6789]\d{6}"
# The synthetic demo borough uses an "X" prefix, which no GSS code has, so demo codes can never be
# mistaken for real ones.
_DEMO_AREA = r"X01\d{6}"
_DEMO_WARD = r"X05\d{6}"

GEOGRAPHIES: dict[str, Geography] = {
    g.key: g
    for g in [
        Geography("lsoa11cd", "lsoa", "2011", _LSOA, "LSOA (2011 Census geography)"),
        Geography("lsoa21cd", "lsoa", "2021", _LSOA, "LSOA (2021 Census geography)"),
        Geography("oa11cd", "oa", "2011", _OA, "Output Area (2011)"),
        Geography("oa21cd", "oa", "2021", _OA, "Output Area (2021)"),
        Geography("msoa11cd", "msoa", "2011", _MSOA, "MSOA (2011)"),
        Geography("msoa21cd", "msoa", "2021", _MSOA, "MSOA (2021)"),
        Geography("wd13cd", "ward", "2013", _WARD, "Electoral ward (2013)"),
        Geography("wd22cd", "ward", "2022", _WARD, "Electoral ward (2022)"),
        Geography("wd23cd", "ward", "2023", _WARD, "Electoral ward (2023)"),
        Geography("wd24cd", "ward", "2024", _WARD, "Electoral ward (2024)"),
        Geography("lad19cd", "lad", "2019", _LAD, "Local authority district (2019)"),
        Geography("lad22cd", "lad", "2022", _LAD, "Local authority district (2022)"),
        Geography("lad23cd", "lad", "2023", _LAD, "Local authority district (2023)"),
        Geography("demo_area", "lsoa", "demo", _DEMO_AREA, "Demo borough small area (synthetic)"),
        Geography("demo_ward", "ward", "demo", _DEMO_WARD, "Demo borough ward (synthetic)"),
    ]
}

_KEY_RE = re.compile(r"^(lsoa|oa|msoa|wd|lad)(\d{2})cd$", re.IGNORECASE)


def geography_of(frame: pd.DataFrame | pd.Series | pd.Index) -> Geography:
    """Return the :class:`Geography` named by a frame's index name.

    Raises
    ------
    UnknownCodeError
        If the index is unnamed or names no known geography.
    """
    index = frame if isinstance(frame, pd.Index) else frame.index
    name = index.name
    if isinstance(name, str) and name.lower() in GEOGRAPHIES:
        return GEOGRAPHIES[name.lower()]
    raise UnknownCodeError(
        f"The frame's index is named {name!r}, which names no known geography. Index small-area "
        f"frames by their GSS code column and name the index after it, e.g. "
        f"frame.rename_axis('lsoa11cd'). Known names: {sorted(GEOGRAPHIES)}."
    )


def detect_vintage(frame: pd.DataFrame | pd.Series | pd.Index) -> str:
    """Return the geography vintage of ``frame`` (``"2011"``, ``"2021"``, ``"demo"`` ...).

    Example
    -------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> detect_vintage(load_demo_borough().areas)
    'demo'
    """
    return geography_of(frame).vintage


def check_codes(frame: pd.DataFrame | pd.Series | pd.Index, *, what: str = "frame") -> Geography:
    """Check every code in the index matches its geography's pattern; return the geography."""
    geo = geography_of(frame)
    index = frame if isinstance(frame, pd.Index) else frame.index
    ok = geo.matches(index)
    if not ok.all():
        bad = index[~ok.to_numpy()][:8].tolist()
        raise UnknownCodeError(
            f"{what} is indexed as {geo.key} ({geo.label}) but {int((~ok).sum())} code(s) do not "
            f"look like {geo.level.upper()} codes, e.g. {bad}. Check the code column, and that the "
            "file is for the geography you expect."
        )
    return geo


def check_same_vintage(*frames: pd.DataFrame | pd.Series, names: list[str] | None = None) -> str:
    """Raise :class:`VintageMismatchError` unless all frames share one small-area geography."""
    geos = [geography_of(f) for f in frames]
    names = names or [f"frame {i + 1}" for i in range(len(frames))]
    first = geos[0]
    for geo, name in zip(geos[1:], names[1:], strict=True):
        if geo.key != first.key:
            raise VintageMismatchError(
                f"{names[0]} is on {first.label} ({first.key}) but {name} is on {geo.label} "
                f"({geo.key}). Convert one of them first, e.g. with "
                "inclusion_geo.geography.convert_counts and the ONS LSOA 2011 to 2021 change lookup."
            )
    return first.vintage


# --- converting between vintages ---------------------------------------------------------------


def conversion_weights(
    change_lookup: pd.DataFrame,
    *,
    to: str = "2011",
    population: pd.Series | None = None,
    missing_population: str = "error",
) -> pd.DataFrame:
    """Weights that move LSOA counts between 2021 and 2011 geography.

    Returns a long frame ``source``, ``target``, ``weight``: a source area's count goes to each
    target in proportion to ``weight``, and each source's weights add up to 1, so totals are
    conserved.

    * ``U`` (unchanged) and, going 2021 -> 2011, ``S`` (the 2011 area was split): every 2021
      area lies inside one 2011 area, weight 1 (splits are summed back together).
    * ``M`` (2011 areas were merged into one 2021 area) and ``X`` (irregular): the 2021 area's
      count is shared among the 2011 areas it overlaps **in proportion to their population**
      (``population``, indexed by ``lsoa11cd``, e.g. IoD 2019 File 6 or Census 2011 counts).

    Going 2011 -> 2021 the roles swap: merges sum, splits and irregular changes are shared in
    proportion to the 2021 areas' population (``population`` indexed by ``lsoa21cd``).

    ``missing_population="equal"`` shares equally where ``population`` has no value for the
    areas concerned (e.g. Welsh LSOAs with an English-only population file), with a warning
    giving the count; the default is an error.
    """
    import warnings

    if missing_population not in ("error", "equal"):
        raise InclusionGeoError(
            f"missing_population={missing_population!r}; use 'error' or 'equal'."
        )
    if to not in ("2011", "2021"):
        raise InclusionGeoError(f"to={to!r} must be '2011' or '2021'.")
    src, tgt = ("lsoa21cd", "lsoa11cd") if to == "2011" else ("lsoa11cd", "lsoa21cd")
    pairs = change_lookup[[src, tgt]].drop_duplicates()
    fan_out = pairs.groupby(src)[tgt].transform("size")
    shared = pairs[fan_out > 1]
    weights = pd.Series(1.0, index=pairs.index)
    if len(shared):
        if population is None and missing_population == "error":
            kinds = (
                change_lookup.loc[shared.index, "chgind"].unique().tolist()
                if "chgind" in change_lookup
                else []
            )
            raise InclusionGeoError(
                f"{shared[src].nunique()} {src[:4].upper()} {src[4:6]} area(s) map to several "
                f"{tgt} areas (change types {kinds}), so their counts must be shared out: pass "
                f"population= a Series indexed by {tgt} (e.g. IoD 2019 File 6 population)."
            )
        known = population if population is not None else pd.Series(dtype=float)
        pop = pd.Series(known.reindex(shared[tgt]).to_numpy(dtype=float), index=shared.index)
        unknown = pop.isna().groupby(shared[src]).transform("any")
        if unknown.any():
            if missing_population == "error":
                missing = shared[tgt][pop.isna().to_numpy()].unique()[:5].tolist()
                raise UnknownCodeError(
                    f"population has no value for {missing}, needed to share out counts; pass "
                    "missing_population='equal' to share those equally."
                )
            warnings.warn(
                f"No population for the parts of {int(shared.loc[unknown, src].nunique())} {src} "
                "area(s) that must be shared out; they are shared equally between their parts.",
                UserWarning,
                stacklevel=3,
            )
            pop = pop.where(~unknown, 1.0)
        total = pop.groupby(shared[src]).transform("sum")
        weights.loc[shared.index] = np.where(
            total > 0, pop / total.where(total > 0, 1), 1.0 / fan_out[shared.index]
        )
    return pd.DataFrame(
        {
            "source": pairs[src].to_numpy(),
            "target": pairs[tgt].to_numpy(),
            "weight": weights.to_numpy(),
        }
    )


def convert_counts(
    counts: pd.DataFrame,
    change_lookup: pd.DataFrame,
    *,
    to: str = "2011",
    population: pd.Series | None = None,
    missing_population: str = "error",
) -> pd.DataFrame:
    """Move LSOA counts from one Census geography to the other, conserving totals.

    ``counts`` is indexed by ``lsoa21cd`` (to 2011) or ``lsoa11cd`` (to 2021); every code must be
    in the lookup. Rates must not be converted this way: convert their numerators and
    denominators, then recompute the rates (:func:`inclusion_geo.indicators.compute_indicators`).

    Example
    -------
    Leeds has 473 unchanged, 14 split and 2 merged LSOAs: 488 LSOA 2021 become 482 LSOA 2011.
    """
    src, tgt = ("lsoa21cd", "lsoa11cd") if to == "2011" else ("lsoa11cd", "lsoa21cd")
    geo = geography_of(counts)
    if geo.key != src:
        raise VintageMismatchError(
            f"counts are on {geo.label} ({geo.key}); converting to {to} needs {src} counts."
        )
    relevant = change_lookup[change_lookup[src].isin(counts.index)]
    weights = conversion_weights(
        relevant, to=to, population=population, missing_population=missing_population
    )
    unknown = counts.index.difference(pd.Index(weights["source"].unique()))
    if len(unknown):
        raise UnknownCodeError(
            f"{len(unknown)} {src} code(s) are not in the change lookup, e.g. {unknown[:5].tolist()}."
        )
    numeric = counts.select_dtypes(include=[np.number])
    if len(numeric.columns) < len(counts.columns):
        dropped = [c for c in counts.columns if c not in numeric.columns]
        raise InclusionGeoError(f"convert_counts moves numbers only; drop {dropped} first.")
    w = weights[weights["source"].isin(counts.index)]
    moved = numeric.loc[w["source"]].to_numpy() * w["weight"].to_numpy()[:, None]
    out = pd.DataFrame(moved, columns=numeric.columns).groupby(w["target"].to_numpy()).sum()
    out.index.name = tgt
    out.attrs = dict(counts.attrs)
    return out


def best_fit_lookup(
    centroids: gpd.GeoSeries,
    polygons: gpd.GeoDataFrame,
    *,
    name: str | None = None,
    outside: str = "nearest",
) -> pd.Series:
    """Assign each small area to the polygon containing its population-weighted centroid (the ONS
    best-fit method), e.g. LSOA -> ward.

    A centroid inside no polygon goes, with ``outside="nearest"`` (default: generalised
    boundaries leave slivers), to the nearest polygon, the count reported in a warning; with
    ``outside="missing"`` (polygons that cover only part of the areas, such as one authority's
    wards in a national run) it is left missing. Returns a Series indexed like ``centroids``
    whose values are the polygons' index codes (named after ``polygons.index.name``).
    """
    import warnings

    if outside not in ("nearest", "missing"):
        raise InclusionGeoError(f"outside={outside!r}: use 'nearest' or 'missing'.")

    pts = gpd.GeoDataFrame(geometry=centroids.to_crs("EPSG:27700"))
    polys = polygons.to_crs("EPSG:27700")[[polygons.geometry.name]]
    code_name = polys.index.name or "code"
    polys = polys.rename_axis(code_name).reset_index()
    joined = gpd.sjoin(pts, polys, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    missing = joined[code_name].isna()
    if outside == "missing":
        codes = joined[code_name].where(~missing)
        return pd.Series(
            codes.astype(object).where(~missing, None).map(lambda c: c if c is None else str(c))
            .to_numpy(),
            index=centroids.index, name=name or code_name,
        )  # fmt: skip
    if missing.any():
        near = gpd.sjoin_nearest(pts[missing.to_numpy()], polys, how="left")
        near = near[~near.index.duplicated(keep="first")]
        joined.loc[missing, code_name] = near[code_name]
        warnings.warn(
            f"{int(missing.sum())} centroid(s) fell outside every polygon and were given the nearest "
            f"one, e.g. {joined.index[missing][:3].tolist()}.",
            UserWarning,
            stacklevel=2,
        )
    return pd.Series(
        joined[code_name].astype(str).to_numpy(), index=centroids.index, name=name or code_name
    )


def infer_lsoa_vintage(codes: pd.Index | pd.Series, change_lookup: pd.DataFrame) -> str:
    """Tell from the codes themselves whether LSOAs are 2011 or 2021 ones.

    Most codes exist in both (unchanged areas); the ones that exist in only one vintage decide.
    Returns ``"2011"``, ``"2021"`` or ``"either"`` (every code is unchanged). Codes from both
    vintages at once, or codes in neither, raise an error naming examples.
    """
    values = pd.Index(pd.Series(codes).astype(str).unique())
    old = pd.Index(change_lookup["lsoa11cd"].astype(str).unique())
    new = pd.Index(change_lookup["lsoa21cd"].astype(str).unique())
    only_old = values.intersection(old.difference(new))
    only_new = values.intersection(new.difference(old))
    unknown = values.difference(old.union(new))
    if len(unknown):
        raise UnknownCodeError(
            f"{len(unknown)} code(s) are neither 2011 nor 2021 LSOAs, e.g. {unknown[:5].tolist()}."
        )
    if len(only_old) and len(only_new):
        raise VintageMismatchError(
            f"The codes mix geography vintages: {len(only_old)} exist only in LSOA 2011 (e.g. "
            f"{only_old[:3].tolist()}) and {len(only_new)} only in LSOA 2021 (e.g. "
            f"{only_new[:3].tolist()}). Split the frame by vintage and convert one part with "
            "convert_counts."
        )
    if len(only_old):
        return "2011"
    if len(only_new):
        return "2021"
    return "either"


# --- checks that inputs agree geographically -------------------------------------------------

# British National Grid's range, with a margin (the grid covers Great Britain: eastings about
# 0-700 km, northings 0-1,250 km), and the longitude/latitude box of Great Britain.
_BNG_X = (-100_000.0, 800_000.0)
_BNG_Y = (-100_000.0, 1_400_000.0)
_LONLAT_GB = (-11.0, 49.0, 4.0, 62.0)


def _geoms(frame) -> np.ndarray:
    return (frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame).to_numpy()


def check_bng_coordinates(frame: gpd.GeoDataFrame | gpd.GeoSeries, *, what: str) -> None:
    """Check that coordinates in British National Grid (EPSG:27700) are eastings and northings.

    ``frame`` must already be in EPSG:27700 (declared or reprojected). Longitude/latitude
    numbers declared as EPSG:27700 (they all sit within a few metres of the grid's origin, in
    the sea south-west of Cornwall) and coordinates beyond the grid's range (X and Y from another
    grid, or a wrong reprojection) raise :class:`DataQualityError` naming what was found and the
    fix.
    """
    import shapely

    from ._errors import DataQualityError

    geoms = _geoms(frame)
    bounds = shapely.bounds(geoms)
    known = ~np.isnan(bounds).any(axis=1)
    if not known.any():
        return
    b = bounds[known]
    xmin, ymin = b[:, 0].min(), b[:, 1].min()
    xmax, ymax = b[:, 2].max(), b[:, 3].max()
    lo_x, lo_y, hi_x, hi_y = _LONLAT_GB
    if xmin >= lo_x and xmax <= hi_x and ymin >= lo_y and ymax <= hi_y:
        raise DataQualityError(
            f"{what} is declared as EPSG:27700 (British National Grid, metres) but its coordinates "
            f"run from x {xmin:.3f} to {xmax:.3f} and y {ymin:.3f} to {ymax:.3f}: these are "
            "longitude/latitude degrees. Declare them as such, e.g. "
            "frame.set_crs('EPSG:4326', allow_override=True), or fix the file's CRS."
        )
    out = (
        (b[:, 0] < _BNG_X[0])
        | (b[:, 2] > _BNG_X[1])
        | (b[:, 1] < _BNG_Y[0])
        | (b[:, 3] > _BNG_Y[1])
    )
    out |= ~np.isfinite(b).all(axis=1)
    if out.any():
        index = frame.index[known][out]
        first = b[out][0]
        raise DataQualityError(
            f"{int(out.sum())} of {int(known.sum())} {what} lie outside British National Grid's "
            f"range (eastings {_BNG_X[0] / 1000:.0f} to {_BNG_X[1] / 1000:.0f} km, northings "
            f"{_BNG_Y[0] / 1000:.0f} to {_BNG_Y[1] / 1000:.0f} km), e.g. {index[0]!r} at x "
            f"{first[0]:.1f}, y {first[1]:.1f}. Check which CRS the coordinates are in (are X and "
            "Y swapped, or are they from another grid?) and declare it with set_crs."
        )


def check_centroids_in_areas(
    areas: gpd.GeoDataFrame,
    centroids: gpd.GeoSeries,
    *,
    tolerance_m: float = 250.0,
    what: str = "centroids",
    stacklevel: int = 2,
) -> None:
    """Check that each area's (population-weighted) centroid lies in or near its own polygon.

    Both in EPSG:27700 with the same index in the same order. Population-weighted centroids of
    2011 and generalised boundaries do not match exactly (ONS super-generalised boundaries are
    simplified to about 200 m; on the England and Wales file the farthest centroid lies 175 m
    outside its own area), so a centroid counts as in its area within ``tolerance_m``.
    When most centroids are outside their own areas (X and Y swapped, a shift, a wrong CRS,
    or centroids and polygons for different places), :class:`DataQualityError` says what was
    found; when some are, a warning gives the count. One vectorised distance per area: about
    0.1 s for the 34,753 LSOAs of England and Wales.
    """
    import warnings

    import shapely

    from ._errors import DataQualityError

    polygons, points = _geoms(areas), centroids.to_numpy()
    distance = shapely.distance(polygons, points)
    far = ~(distance <= tolerance_m)  # NaN (a missing point) counts as far
    n_far, n = int(far.sum()), len(points)
    if not n_far:
        return
    examples = centroids.index[far][:3].tolist()
    if n_far * 2 > n:
        median_km = float(np.nanmedian(distance[far])) / 1000
        hint = "are X and Y swapped, or is the CRS wrong?"
        swapped = shapely.points(shapely.get_coordinates(points)[:, ::-1])
        if len(swapped) == n:
            n_swapped = int((shapely.distance(polygons, swapped) <= tolerance_m).sum())
            if n_swapped * 2 > n:
                hint = (
                    f"with X and Y swapped, {n_swapped} would lie in their areas: swap the "
                    "centroids' X and Y columns."
                )
            else:
                shift = shapely.get_coordinates(points) - shapely.get_coordinates(
                    shapely.point_on_surface(polygons)
                )
                dx, dy = np.round(np.nanmedian(shift, axis=0) / 1000, 1) + 0.0  # no -0.0
                if np.hypot(dx, dy) > 2 * tolerance_m / 1000:
                    hint = (
                        f"the centroids sit a median {dx:+.1f} km east and {dy:+.1f} km north of "
                        "their areas: are X and Y swapped, is one of the two shifted or in the "
                        "wrong CRS, or are they for different places?"
                    )
        raise DataQualityError(
            f"{n_far} of {n} {what} lie outside their own area (by more than {tolerance_m:.0f} m; "
            f"median distance {median_km:.1f} km; e.g. {examples}); {hint} Check the "
            "coordinates and the CRS declared for the centroids and for the boundaries."
        )
    warnings.warn(
        f"{n_far} of {n} {what} lie more than {tolerance_m:.0f} m outside their own area (e.g. "
        f"{examples}, up to {float(np.nanmax(distance)) / 1000:.1f} km); distances from them are "
        "measured from where they are. Check they are for the same geography vintage as the "
        "boundaries.",
        UserWarning,
        stacklevel=stacklevel,
    )


def check_assets_near(
    assets: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    distance_m: float = 10_000.0,
    error_share: float = 0.9,
    warn_share: float = 0.5,
    what: str = "assets",
    stacklevel: int = 2,
) -> None:
    """Check that an asset list lies near the study area (both in EPSG:27700).

    People cross borders to use a library, so assets beyond the study area are fine, but when
    more than ``warn_share`` of them lie more than ``distance_m`` from every area a warning gives
    the count, and above ``error_share`` it is a :class:`DataQualityError` (a wrong CRS, or the
    file of another place), unless the list is a wider one that holds this area too: a national
    list of libraries has as many assets inside the study area as an even spread over the list's
    extent would put there, or more (at least half as many is enough), where a list in a wrong
    CRS or of another place has next to none. ``areas`` is the whole study extent: a run over
    several authorities passes when the assets lie near any of them.
    """
    import warnings

    import shapely

    from ._errors import DataQualityError

    points = _geoms(assets)
    points = points[~(shapely.is_missing(points) | shapely.is_empty(points))]
    if not len(points):
        return
    polygons = _geoms(areas)
    tree = shapely.STRtree(polygons)
    inside = np.zeros(len(points), dtype=bool)
    inside[tree.query(points, predicate="intersects")[0]] = True  # most are inside: cheap
    near = inside.copy()
    rest = np.flatnonzero(~near)
    if len(rest):
        found, _ = tree.query_nearest(points[rest], max_distance=distance_m, all_matches=False)
        near[rest[found]] = True
    n, n_far = len(points), int((~near).sum())
    if n_far <= warn_share * n:
        return
    ax0, ay0, ax1, ay1 = shapely.total_bounds(points)
    sx0, sy0, sx1, sy1 = shapely.total_bounds(polygons)
    where = (
        f"the assets lie within x {ax0 / 1000:.1f} to {ax1 / 1000:.1f} km, y {ay0 / 1000:.1f} to "
        f"{ay1 / 1000:.1f} km, the study area within x {sx0 / 1000:.1f} to {sx1 / 1000:.1f} km, "
        f"y {sy0 / 1000:.1f} to {sy1 / 1000:.1f} km (British National Grid)"
    )
    study_m2 = float(shapely.area(polygons).sum())
    extent_m2 = max((ax1 - ax0) * (ay1 - ay0), study_m2)
    wider = inside.any() and inside.sum() >= 0.5 * n * study_m2 / extent_m2
    if n_far > error_share * n and not wider:
        raise DataQualityError(
            f"{n_far} of {n} {what} lie more than {distance_m / 1000:.0f} km from every area of the "
            f"study area ({where}). Is the assets' CRS wrong (declare it with set_crs, or give the "
            "file's own CRS), or is it the asset file of another place?"
        )
    warnings.warn(
        f"{n_far} of {n} {what} lie more than {distance_m / 1000:.0f} km from every area of the "
        f"study area ({where}); they are kept. Check the asset file is for this place.",
        UserWarning,
        stacklevel=stacklevel,
    )


def check_no_overlaps(
    polygons: gpd.GeoDataFrame | gpd.GeoSeries, *, what: str, max_share: float = 0.01
) -> None:
    """Raise if any two polygons overlap by more than ``max_share`` of the smaller one's area.

    Generalised boundaries of one vintage overlap by slivers at most (the 33 Leeds wards of
    2013 not at all); a larger overlap means a ward listed twice, two vintages mixed in one
    file, or a shifted polygon, and would make the assignment of areas to wards depend on the
    order of the rows. ``polygons`` in EPSG:27700.
    """
    import shapely

    from ._errors import DataQualityError

    geoms = _geoms(polygons)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return
    shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    share = np.divide(shared, smaller, out=np.ones_like(shared), where=smaller > 0)
    bad = np.flatnonzero(share > max_share)
    if not len(bad):
        return
    bad = bad[np.argsort(-share[bad])]
    codes = polygons.index
    pairs = ", ".join(
        f"{codes[left[i]]} and {codes[right[i]]} ({100 * share[i]:.0f}%)" for i in bad[:5]
    )
    raise DataQualityError(
        f"{what}: {len(bad)} pair(s) of polygons overlap by more than {100 * max_share:g}% of the "
        f"smaller one's area: {pairs}. Each place must lie in one polygon: use a file of one "
        "vintage in which each polygon appears once, or remove the duplicates."
    )


def check_ward_coverage(
    centroids: gpd.GeoSeries,
    wards: gpd.GeoDataFrame,
    *,
    what: str,
    place: str = "the study area",
    min_share: float = 0.5,
) -> float:
    """Raise if fewer than ``min_share`` of the centroids lie inside the ward polygons.

    A ward file for another place (Leeds wards for a Bradford run) would otherwise put every
    area in the nearest few wards across the border. Returns the share inside. Both in
    EPSG:27700.
    """
    import shapely

    from ._errors import DataQualityError

    points = centroids.to_numpy()
    hit, _ = shapely.STRtree(_geoms(wards)).query(points, predicate="within")
    inside = len(np.unique(hit))
    share = inside / len(points) if len(points) else 1.0
    if share < min_share:
        raise DataQualityError(
            f"{what}: only {inside} of {len(points)} areas of {place} lie inside its wards "
            f"({100 * share:.0f}%), so it seems to be the ward file of another place. Give the "
            f"ward file of {place} (or a national one), or leave the wards out to group areas by "
            "MSOA."
        )
    return share


def check_lookup_complete(
    boundaries: gpd.GeoDataFrame,
    lookup: pd.Series,
    selected: pd.Index,
    *,
    what: str,
    place: str = "the study area",
    stacklevel: int = 2,
) -> None:
    """Check that a lookup that picks the study area's areas out of a boundary file misses none.

    ``lookup`` maps area codes (its index) to larger areas; ``selected`` are the codes it put
    in the study area. Areas of ``boundaries`` with no lookup row that lie inside the study area
    (most of their neighbours with a lookup row are selected, or, with no such neighbour, the
    nearest area with one is) would be left out silently: :class:`UnknownCodeError`. Areas with
    no row elsewhere give one warning with the count. Areas of a nation the lookup has no code of
    at all (Welsh areas and an English lookup) are not its to cover and are ignored.
    """
    import warnings

    import shapely

    codes = pd.Index(boundaries.index.astype(str))
    listed = pd.Index(lookup.index.astype(str)).unique()
    first = codes.str[:1]
    absent = (listed.get_indexer(codes) < 0) & first.isin(set(listed.str[:1].unique()))
    if not absent.any():
        return
    geoms = _geoms(boundaries)
    has_row = ~absent
    chosen = pd.Index(selected.astype(str)).unique().get_indexer(codes) >= 0
    missing_at = np.flatnonzero(absent)
    near_from, near_to = shapely.STRtree(geoms).query(
        geoms[missing_at], predicate="dwithin", distance=1.0
    )
    near_to_row = has_row[near_to]
    votes_in = np.bincount(
        near_from, weights=(near_to_row & chosen[near_to]), minlength=len(missing_at)
    )
    votes_all = np.bincount(near_from, weights=near_to_row, minlength=len(missing_at))
    inside = votes_in * 2 > votes_all
    alone = votes_all == 0
    if alone.any() and has_row.any():
        rows_at = np.flatnonzero(has_row)
        _, nearest = shapely.STRtree(geoms[rows_at]).query_nearest(
            geoms[missing_at[alone]], all_matches=False
        )
        inside[np.flatnonzero(alone)] = chosen[rows_at[nearest]]
    n_in = int(inside.sum())
    if n_in:
        raise UnknownCodeError(
            f"{what}: {n_in} area(s) of the boundary file lie inside {place} but have no row in "
            f"the lookup, e.g. {codes[missing_at[inside]][:5].tolist()}, so they would be left "
            "out of the analysis. Use a complete lookup of the same geography vintage as the "
            f"boundaries ({boundaries.index.name})."
        )
    warnings.warn(
        f"{what}: {len(missing_at)} area(s) of the boundary file outside {place} have no row in "
        f"the lookup (e.g. {codes[missing_at][:3].tolist()}); they are not part of this run, but "
        f"check the lookup is complete and of the boundaries' vintage ({boundaries.index.name}).",
        UserWarning,
        stacklevel=stacklevel,
    )

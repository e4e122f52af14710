"""Geography codes and vintages.

Small-area frames are indexed by the GSS code of their geography; the index *name* says which
geography and vintage it is (``lsoa11cd``, ``lsoa21cd``, ``wd13cd`` ...). This module knows the code
patterns, tells the vintage of a frame, and refuses to combine frames of different vintages.
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
) -> pd.Series:
    """Assign each small area to the polygon containing its population-weighted centroid (the ONS
    best-fit method), e.g. LSOA -> ward.

    A centroid inside no polygon (generalised boundaries leave slivers) goes to the nearest
    polygon; the count is reported in a warning. Returns a Series indexed like ``centroids``
    whose values are the polygons' index codes (named after ``polygons.index.name``).
    """
    import warnings

    pts = gpd.GeoDataFrame(geometry=centroids.to_crs("EPSG:27700"))
    polys = polygons.to_crs("EPSG:27700")[[polygons.geometry.name]]
    code_name = polys.index.name or "code"
    polys = polys.rename_axis(code_name).reset_index()
    joined = gpd.sjoin(pts, polys, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    missing = joined[code_name].isna()
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

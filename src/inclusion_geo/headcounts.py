"""Headcounts with ranges: how many adults are likely offline, or lack basic digital skills.

The risk index ranks areas; it is not a count of people. This module turns published national
rates (``data/rates.csv``: ONS Internet users, Lloyds Essential Digital Skills) and each area's
Census 2021 adults by age into a **modelled estimate, not a count**: the adults likely offline
(or without basic skills) in each area, with a low-high range, which add up to wards,
authorities and the catchments of places.

The method (``docs/methodology.md``, "Headcounts: adults likely offline"):

1. **Bands the Census supports.** Adults 16+ come from TS067 (its base is all usual residents
   aged 16 and over), 65+ and 75+ from RM121 (or TS007A): so the model bands are 16-64, 65-74
   and 75+.
2. **Band rates from the published rates** (:func:`band_rates`), for each band in turn:
   a published rate for exactly that band (every edition found: the point is the latest
   edition's, the range runs from the lowest low to the highest high); otherwise the *residual*
   of a wider published band once the other published bands inside it are taken out, weighted by
   the national Census 2021 adults in each band (England, :data:`ENGLAND_ADULTS_2021`), edition
   by edition; otherwise the rate of the narrowest published band containing it.
3. **Counts**: ``adults in band x band rate``, summed over the bands; low and high use the low
   and high band rates, so every area's point lies inside its range.
4. **Tilt** (optional): within each authority, the point is shared out in proportion to
   ``point x tilt`` (e.g. the risk index over its mean), so the authority total is unchanged
   exactly, and each area's range is the authority's relative range.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ._errors import DataQualityError, InclusionGeoError, MissingColumnsError
from ._validate import positive_number, require_numeric, require_unique_index, to_bng

__all__ = [
    "BANDS",
    "ENGLAND_ADULTS_2021",
    "LABEL",
    "band_rates",
    "catchment_headcounts",
    "estimate_offline",
    "load_rates",
    "rollup_headcounts",
]

LABEL = "modelled estimate, not a count"
#: the endings of the columns a headcount writes: ``<measure>_adults``, ``_low``, ``_high``
HEADCOUNT_SUFFIXES = ("_adults", "_adults_low", "_adults_high")

#: The model's age bands, as half-open intervals of age in years.
BANDS: dict[str, tuple[float, float]] = {
    "16-64": (16, 65),
    "65-74": (65, 75),
    "75+": (75, math.inf),
}

#: Usual residents of England in each band on Census Day 2021, from the real files: adults 16+
#: from TS067 (46,007,598, the sum over English output areas of its base), 65+ (10,400,668) and
#: 75+ (4,836,865) from RM121 summed over English LSOAs. They weight the residual rates; the
#: test ``test_england_adults_match_the_census_files`` recomputes them from the files.
ENGLAND_ADULTS_2021: dict[str, float] = {
    "16-64": 46_007_598 - 10_400_668,
    "65-74": 10_400_668 - 4_836_865,
    "75+": 4_836_865,
}

_RATE_COLUMNS = ("measure", "group", "geography", "value", "low", "high")
_BAND_COLUMNS = {"16-64": "adults_16_64", "65-74": "adults_65_74", "75+": "adults_75_plus"}
_CENSUS_SOURCES = {
    "residents_16_plus": "Census 2021 TS067 (its base: all usual residents aged 16 and over)",
    "aged_65_plus": "Census 2021 RM121 Sex by age, or TS007A age bands ([sources.age])",
    "aged_75_plus": "Census 2021 RM121 Sex by age, or TS007A age bands ([sources.age])",
}


# ---------------------------------------------------------------------------------------------
# the rates table


def load_rates(path: str | Path | None = None) -> pd.DataFrame:
    """The published rates table (default: the packaged ``data/rates.csv``), checked.

    Parameters
    ----------
    path
        A CSV with at least the columns ``measure, group, geography, value, low, high`` (and,
        to choose between editions, ``year``). Default: the table shipped with the package,
        whose sources are listed in ``data/rates.md``.

    Returns
    -------
    DataFrame
        One row per published rate.

    Raises
    ------
    InclusionGeoError
        If a rate is outside 0-1, or ``low > value`` or ``value > high``, naming the row.

    Example
    -------
    >>> rates = load_rates()
    >>> sorted(rates["measure"].unique())
    ['never_used', 'no_basic_skills', 'offline']
    """
    if path is None:
        with resources.files("inclusion_geo").joinpath("data/rates.csv").open("rb") as fh:
            table = pd.read_csv(fh)
        what = "the packaged rates table (inclusion_geo/data/rates.csv)"
    else:
        table = pd.read_csv(path)
        what = f"rates table {Path(str(path)).name}"
    return _check_rates(table, what=what)


def _check_rates(table: pd.DataFrame, *, what: str) -> pd.DataFrame:
    missing = [c for c in _RATE_COLUMNS if c not in table.columns]
    if missing:
        raise MissingColumnsError(
            f"{what} is missing column(s) {missing}; a rates table has the columns "
            f"{list(_RATE_COLUMNS)} (and year, publisher, url ... for its provenance)."
        )
    table = table.copy()
    if "year" not in table.columns:
        table["year"] = 0
    for col in ("value", "low", "high", "year"):
        numbers = pd.to_numeric(table[col], errors="coerce")
        bad = numbers.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InclusionGeoError(
                f"{what}: {col!r} is not a number in {_row(table, row)}: "
                f"{table[col].iloc[row]!r}. Give rates as shares between 0 and 1 (0.08, not 8%)."
            )
        table[col] = numbers.astype(float)
    for col in ("value", "low", "high"):
        out = ~table[col].between(0.0, 1.0)
        if out.any():
            row = int(np.flatnonzero(out.to_numpy())[0])
            raise InclusionGeoError(
                f"{what}: {col}={_num(table[col].iloc[row])} in {_row(table, row)} is outside 0-1. "
                "Rates are shares of adults: write 8% as 0.08."
            )
    for lower, upper in (("low", "value"), ("value", "high")):
        bad = table[lower] > table[upper]
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InclusionGeoError(
                f"{what}: {lower}={_num(table[lower].iloc[row])} is above {upper}="
                f"{_num(table[upper].iloc[row])} in {_row(table, row)}. A range must hold its point: "
                "low <= value <= high (swap them, or correct the figure from its source)."
            )
    for col in ("measure", "group", "geography"):
        table[col] = table[col].astype(str).str.strip()
    return table


def _row(table: pd.DataFrame, row: int) -> str:
    r = table.iloc[row]
    year = r.get("year", 0)
    return (
        f"row {row + 2} (measure={r['measure']!r}, group={str(r['group'])!r}, "
        f"geography={r['geography']!r}{f', year={year:g}' if year else ''})"
    )


def _num(x) -> str:
    return f"{float(x):g}" if isinstance(x, int | float | np.number) else repr(x)


_RANGE = re.compile(r"^\s*(\d+)\s*(?:-|to)\s*(\d+)\s*$")
_PLUS = re.compile(r"^\s*(\d+)\s*(?:\+|and over)\s*$")


def _interval(group: str) -> tuple[float, float] | None:
    """An age group as ``[lo, hi)``, clipped to adults (16+); None for non-age groups."""
    if m := _RANGE.match(group):
        lo, hi = float(m.group(1)), float(m.group(2)) + 1
    elif m := _PLUS.match(group):
        lo, hi = float(m.group(1)), math.inf
    else:
        return None
    lo = max(lo, 16.0)
    return (lo, hi) if lo < hi else None  # a band wholly under 16 is not about adults


def _narrowness(interval: tuple[float, float]) -> tuple[float, float]:
    """Sort key: narrower intervals first (an open-ended band is narrower the later it starts)."""
    return (interval[1] - interval[0], -interval[0])


def _weight(interval: tuple[float, float], population: Mapping[str, float]) -> float | None:
    """Adults in an interval that is a union of model bands; None if it is not one."""
    inside = [b for b, (lo, hi) in BANDS.items() if lo >= interval[0] and hi <= interval[1]]
    covered = sorted(BANDS[b] for b in inside)
    if not covered or covered[0][0] != interval[0] or covered[-1][1] != interval[1]:
        return None
    return float(sum(population[b] for b in inside))


def band_rates(
    rates: pd.DataFrame | None = None,
    *,
    measure: str = "offline",
    geography: str = "UK",
    population: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The rate for each model band (16-64, 65-74, 75+), from the published rates.

    Parameters
    ----------
    rates
        A published rates table (:func:`load_rates`); default: the packaged one.
    measure
        ``"offline"``, ``"no_basic_skills"`` (or any measure in ``rates``).
    geography
        The rows to use (``"UK"`` by default; a region where the table has every band for it).
    population
        Adults in each band, weighting the residual rates; default
        :data:`ENGLAND_ADULTS_2021`.

    Returns
    -------
    DataFrame
        Indexed by band: ``value``, ``low``, ``high`` (shares), ``method`` and ``editions``.

    Raises
    ------
    InclusionGeoError
        If no row gives or implies a band's rate, naming the band and what to add.

    Example
    -------
    >>> r = band_rates(measure="offline")
    >>> list(r.index), bool((r["low"] <= r["value"]).all() and (r["value"] <= r["high"]).all())
    (['16-64', '65-74', '75+'], True)
    """
    if rates is None and population is None:  # the packaged table: the same every time
        return _packaged_band_rates(measure, geography).copy()
    table = load_rates() if rates is None else _check_rates(rates, what="rates")
    population = dict(ENGLAND_ADULTS_2021 if population is None else population)
    missing = [b for b in BANDS if b not in population]
    bad = [b for b in BANDS if b in population and not float(population[b]) > 0]
    if missing or bad:
        raise InclusionGeoError(
            f"population needs a positive number of adults for each band {list(BANDS)}; "
            f"missing {missing}, not positive {bad}."
        )
    rows = table[(table["measure"] == measure) & (table["geography"] == geography)]
    if rows.empty:
        have = table.groupby("measure")["geography"].unique().map(sorted).to_dict()
        raise InclusionGeoError(
            f"rates has no rows for measure={measure!r} in geography={geography!r}. It has: "
            f"{have}. Choose one of those, or add the rows to the rates table."
        )
    rows = rows.assign(_interval=rows["group"].map(_interval)).dropna(subset=["_interval"])
    out = {band: _band_rate(band, rows, population, measure, geography) for band in BANDS}
    return pd.DataFrame.from_dict(out, orient="index").rename_axis("band")


@functools.lru_cache(maxsize=16)
def _packaged_band_rates(measure: str, geography: str) -> pd.DataFrame:
    """:func:`band_rates` of the packaged table, worked out once per process."""
    return band_rates(load_rates(), measure=measure, geography=geography)


def _band_rate(band, rows, population, measure, geography) -> dict:
    target = BANDS[band]
    direct = rows[rows["_interval"] == target]
    if len(direct):
        return _combine(
            [(r.year, r.value, r.low, r.high) for r in direct.itertuples()],
            method=f"published for ages {band}",
        )
    found = []
    for year, edition in rows.groupby("year"):
        residual = _residual(target, edition, population)
        if residual is not None:
            found.append((year, *residual[:3]))
            parts = residual[3]
    if found:
        return _combine(found, method=f"residual: {parts}, weighted by adults in each band")
    containing = rows[rows["_interval"].map(lambda iv: iv[0] <= target[0] and iv[1] >= target[1])]
    if len(containing):
        key = containing["_interval"].map(_narrowness)
        narrowest = containing[key == min(key)]
        return _combine(
            [(r.year, r.value, r.low, r.high) for r in narrowest.itertuples()],
            method=f"rate of the containing band {narrowest['group'].iloc[0]}",
        )
    raise InclusionGeoError(
        f"rates has no {measure!r} rate for ages {band} in {geography!r}, nor a wider band that "
        f"contains it (groups found: {sorted(rows['group'].unique())}). Add a row with "
        f"group '{band}', or a wider band such as '16+' with the other bands inside it, to the "
        "rates table."
    )


def _residual(target, edition, population):
    """The target band's rate from the narrowest wider band of one edition, less the published
    bands of that edition that tile the rest of it; None when they do not."""
    wider = edition[
        edition["_interval"].map(
            lambda iv: iv != target and iv[0] <= target[0] and iv[1] >= target[1]
        )
    ]
    if wider.empty:
        return None
    key = wider["_interval"].map(_narrowness)
    w = wider[key == min(key)].iloc[0]
    pieces = [(w["_interval"][0], target[0]), (target[1], w["_interval"][1])]
    parts = []
    for lo, hi in pieces:
        while lo < hi:
            nxt = edition[
                edition["_interval"].map(lambda iv, lo=lo, hi=hi: iv[0] == lo and iv[1] <= hi)
            ]
            if nxt.empty:
                return None
            part = nxt.iloc[0]
            parts.append(part)
            lo = part["_interval"][1]
    n_w = _weight(w["_interval"], population)
    n_t = _weight(target, population)
    n_p = [_weight(p["_interval"], population) for p in parts]
    if n_w is None or n_t is None or any(n is None for n in n_p):
        return None
    value = (w["value"] * n_w - sum(p["value"] * n for p, n in zip(parts, n_p, strict=True))) / n_t
    low = (w["low"] * n_w - sum(p["high"] * n for p, n in zip(parts, n_p, strict=True))) / n_t
    high = (w["high"] * n_w - sum(p["low"] * n for p, n in zip(parts, n_p, strict=True))) / n_t
    if not 0.0 <= value <= 1.0:
        raise InclusionGeoError(
            f"The rates for {w['group']} and {[p['group'] for p in parts]} (year "
            f"{w['year']:g}) imply a rate of {value:.3f} for the rest of the band: they are "
            "inconsistent. Check them against their sources."
        )
    names = " - ".join([str(w["group"]), *[str(p["group"]) for p in parts]])
    return value, min(max(low, 0.0), value), max(min(high, 1.0), value), names


def _combine(found, *, method: str) -> dict:
    """Latest edition's point; the range from the lowest low to the highest high."""
    found = sorted(found, key=lambda f: f[0])
    return {
        "value": float(found[-1][1]),
        "low": float(min(f[2] for f in found)),
        "high": float(max(f[3] for f in found)),
        "method": method,
        "editions": ", ".join(f"{f[0]:g}" for f in found),
    }


# ---------------------------------------------------------------------------------------------
# the model


def _as_band_rates(rates, *, measure, geography, population) -> pd.DataFrame:
    """Band rates from a published table, or a band table given directly (checked)."""
    if isinstance(rates, pd.DataFrame) and "group" not in rates.columns:
        missing = [c for c in ("value", "low", "high") if c not in rates.columns]
        absent = [b for b in BANDS if b not in rates.index]
        if missing or absent:
            raise MissingColumnsError(
                f"rates given per band needs the columns value, low, high (missing {missing}) "
                f"and a row for each band {list(BANDS)} (missing {absent}); or pass a published "
                "rates table (columns measure, group, geography, value, low, high)."
            )
        table = rates.loc[list(BANDS)].reset_index(names="group")
        table = table.assign(measure=measure, geography=geography)
        _check_rates(table, what="rates (per band)")
        return rates.loc[list(BANDS), ["value", "low", "high"]].astype(float)
    return band_rates(rates, measure=measure, geography=geography, population=population)


def _band_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Adults 16-64, 65-74 and 75+ per area, from the harmonised Census counts."""
    require_unique_index(counts, what="counts")
    missing = [c for c in _CENSUS_SOURCES if c not in counts.columns]
    if missing:
        sources = "; ".join(f"{c} from {_CENSUS_SOURCES[c]}" for c in missing)
        raise MissingColumnsError(
            f"counts is missing the age column(s) {missing}: {sources}. Load those tables with "
            "inclusion_geo.sources.load_census_tables / load_census_table and join them."
        )
    cols = list(_CENSUS_SOURCES)
    require_numeric(counts, cols, what="counts")
    data = counts[cols].astype(float)
    gaps = data.isna().any(axis=1)
    if gaps.any():
        raise DataQualityError(
            f"counts has missing age counts for {int(gaps.sum())} area(s), e.g. "
            f"{data.index[gaps][:5].tolist()} (columns {[c for c in cols if data[c].isna().any()]}). "
            "A headcount needs every band: fill them from the source table, or drop those areas."
        )
    for col in cols:
        negative = data[col] < 0
        if negative.any():
            raise DataQualityError(
                f"counts column {col!r} is negative for {int(negative.sum())} area(s), e.g. "
                f"{data.index[negative][:5].tolist()}: {data.loc[negative, col].iloc[0]:g}. "
                "Counts of people cannot be negative; reload the table as published."
            )
    for inner, outer in (("aged_75_plus", "aged_65_plus"), ("aged_65_plus", "residents_16_plus")):
        over = data[inner] > data[outer]
        if over.any():
            raise DataQualityError(
                f"counts column {inner!r} exceeds {outer!r} in {int(over.sum())} area(s), e.g. "
                f"{data.index[over][:5].tolist()}. The tables are for different areas or "
                "releases: use Census 2021 tables on the same geography."
            )
    return pd.DataFrame(
        {
            "adults_16_64": data["residents_16_plus"] - data["aged_65_plus"],
            "adults_65_74": data["aged_65_plus"] - data["aged_75_plus"],
            "adults_75_plus": data["aged_75_plus"],
        },
        index=counts.index,
    )


def estimate_offline(
    counts: pd.DataFrame,
    *,
    rates: pd.DataFrame | None = None,
    measure: str = "offline",
    geography: str = "UK",
    population: Mapping[str, float] | None = None,
    tilt: pd.Series | None = None,
    tilt_by: pd.Series | None = None,
) -> pd.DataFrame:
    """Adults likely offline (or lacking basic digital skills) per area, with a range.

    A **modelled estimate, not a count**: national rates by age applied to each area's adults.

    Parameters
    ----------
    counts
        Census 2021 counts per area, with ``residents_16_plus`` (TS067), ``aged_65_plus`` and
        ``aged_75_plus`` (RM121 or TS007A), as the project's Census loaders name them.
    rates
        A published rates table (:func:`load_rates`, default the packaged one), or rates per
        band (index ``16-64``, ``65-74``, ``75+``; columns ``value``, ``low``, ``high``).
    measure
        ``"offline"`` (not used the internet in the last three months) or
        ``"no_basic_skills"`` (lacks the Essential Digital Skills for life).
    geography
        Which rows of a published table to use (default ``"UK"``).
    population
        Adults per band weighting the residual band rates; default
        :data:`ENGLAND_ADULTS_2021`.
    tilt
        Optional non-negative weights per area (e.g. ``risk_index / risk_index.mean()``): the
        point is shared out within each ``tilt_by`` group in proportion to ``point x tilt``,
        conserving the group's total exactly; each area's range is then its group's relative
        range (so group lows and highs are conserved too).
    tilt_by
        Group of each area for the tilt (e.g. its authority code); default: one group.

    Returns
    -------
    DataFrame
        Same index as ``counts``: ``adults_16_64``, ``adults_65_74``, ``adults_75_plus``,
        ``adults`` and ``<measure>_adults``, ``<measure>_adults_low``,
        ``<measure>_adults_high`` (floats; low <= point <= high). ``attrs["label"]`` is
        :data:`LABEL`; ``attrs["band_rates"]`` the rates used.

    Raises
    ------
    MissingColumnsError
        If an age column is missing (the message names the table that gives it).
    DataQualityError
        If counts are missing, negative or inconsistent.
    InclusionGeoError
        If a rate is outside 0-1 or outside its own range, or a band has no rate.

    Example
    -------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> est = estimate_offline(load_demo_borough().counts)
    >>> bool((est["offline_adults_low"] <= est["offline_adults"]).all())
    True
    >>> est.attrs["label"]
    'modelled estimate, not a count'
    """
    bands = _band_counts(counts)
    rate = _as_band_rates(rates, measure=measure, geography=geography, population=population)
    name = f"{measure}_adults"
    out = bands.copy()
    out["adults"] = bands.sum(axis=1)
    for suffix, col in (("", "value"), ("_low", "low"), ("_high", "high")):
        out[name + suffix] = sum(bands[_BAND_COLUMNS[b]] * float(rate.loc[b, col]) for b in BANDS)
    if tilt is not None:
        out = _tilt(out, name, tilt, tilt_by)
    out.attrs = {
        "label": LABEL,
        "measure": measure,
        "geography": geography,
        "band_rates": {b: dict(rate.loc[b]) for b in BANDS},
    }
    return out


def _tilt(out: pd.DataFrame, name: str, tilt: pd.Series, tilt_by: pd.Series | None):
    weights = pd.Series(tilt).reindex(out.index)
    if weights.isna().any():
        raise InclusionGeoError(
            f"tilt has no value for {int(weights.isna().sum())} area(s), e.g. "
            f"{out.index[weights.isna()][:5].tolist()}: give a weight for every area of counts."
        )
    weights = pd.to_numeric(weights, errors="coerce")
    if weights.isna().any() or (weights < 0).any() or not np.isfinite(weights).all():
        bad = out.index[weights.isna() | ~(weights >= 0) | ~np.isfinite(weights)][:5].tolist()
        raise InclusionGeoError(
            f"tilt must be non-negative finite numbers; areas {bad} are not. Use e.g. "
            "risk_index / risk_index.mean()."
        )
    groups = (
        pd.Series(0, index=out.index) if tilt_by is None else pd.Series(tilt_by).reindex(out.index)
    )
    if groups.isna().any():
        raise InclusionGeoError(
            f"tilt_by has no group for {int(groups.isna().sum())} area(s), e.g. "
            f"{out.index[groups.isna()][:5].tolist()}."
        )
    point, low, high = out[name], out[name + "_low"], out[name + "_high"]
    share = point * weights
    share_total = share.groupby(groups).transform("sum")
    point_total = point.groupby(groups).transform("sum")
    empty = (share_total <= 0) & (point_total > 0)
    if empty.any():
        raise InclusionGeoError(
            f"tilt is zero for every area of group(s) {sorted(set(groups[empty]))[:5]}: the "
            "group's total has nowhere to go. Give at least one area a positive weight."
        )
    tilted = (share / share_total.where(share_total > 0, 1.0) * point_total).where(
        point_total > 0, 0.0
    )
    ratio_low = (low.groupby(groups).transform("sum") / point_total).where(point_total > 0, 0.0)
    ratio_high = (high.groupby(groups).transform("sum") / point_total).where(point_total > 0, 0.0)
    out = out.copy()
    out[name] = tilted
    out[name + "_low"] = tilted * ratio_low
    out[name + "_high"] = tilted * ratio_high
    return out


# ---------------------------------------------------------------------------------------------
# adding up


def _headcount_columns(frame: pd.DataFrame) -> list[str]:
    cols = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if not any(c.endswith(HEADCOUNT_SUFFIXES) for c in cols):
        raise MissingColumnsError(
            "per_area has no headcount columns (<measure>_adults, _low, _high); pass the frame "
            "estimate_offline returns."
        )
    return cols


def rollup_headcounts(per_area: pd.DataFrame, by: str | pd.Series) -> pd.DataFrame:
    """Add area headcounts up to wards, authorities or any grouping.

    Points add to points, lows to lows and highs to highs. Every area's range comes from the
    same national rates, so the added range is the range of the total computed directly; it is
    conservative in that it does not narrow as areas are added (it treats the areas' errors as
    moving together, which the shared national rates make them do).

    Parameters
    ----------
    per_area
        The output of :func:`estimate_offline` (or several measures joined).
    by
        A column of ``per_area`` or a Series (indexed by area) naming each area's group.

    Returns
    -------
    DataFrame
        One row per group: ``n_areas`` (the small areas in it, also when ``per_area`` is
        itself a rollup) and the sum of every numeric column.

    Example
    -------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> demo = load_demo_borough()
    >>> est = estimate_offline(demo.counts)
    >>> wards = rollup_headcounts(est, demo.areas["ward_code"])
    >>> bool(abs(wards["offline_adults"].sum() - est["offline_adults"].sum()) < 1e-6)
    True
    """
    cols = _headcount_columns(per_area)
    if isinstance(by, str):
        if by not in per_area.columns:
            raise MissingColumnsError(f"per_area has no column {by!r} to group by.")
        groups = per_area[by]
        cols = [c for c in cols if c != by]
    else:
        groups = pd.Series(by).reindex(per_area.index)
    if groups.isna().any():
        raise DataQualityError(
            f"{int(groups.isna().sum())} area(s) have no group, e.g. "
            f"{per_area.index[groups.isna()][:5].tolist()}. Assign every area (a missing area "
            "would silently drop its people from the total)."
        )
    out = per_area[cols].groupby(groups.to_numpy()).sum()
    if "n_areas" not in out.columns:  # rolling up groups (wards -> authority) adds their counts
        out.insert(0, "n_areas", groups.value_counts().reindex(out.index).astype(np.int64))
    out.index.name = getattr(groups, "name", None) or "group"
    out.attrs = dict(per_area.attrs)
    return out


def catchment_headcounts(
    per_area: pd.DataFrame,
    centroids: gpd.GeoSeries,
    places: gpd.GeoDataFrame,
    *,
    radius_m: float,
) -> pd.DataFrame:
    """The headcounts of the areas whose population-weighted centroid is within reach of each place.

    A catchment counts an area whole when its centroid is within ``radius_m`` (straight line,
    British National Grid) of the place. Catchments overlap, so they do not add up to the
    authority: a person is counted in every catchment that reaches them.

    Parameters
    ----------
    per_area
        The output of :func:`estimate_offline`.
    centroids
        Population-weighted centroids, indexed like ``per_area``.
    places
        The places (hubs, libraries ...), one row each, as points.
    radius_m
        The catchment radius in metres.

    Returns
    -------
    DataFrame
        Indexed like ``places``: ``n_areas`` and the sum of every numeric column of
        ``per_area`` over the areas in reach.

    Example
    -------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> demo = load_demo_borough()
    >>> est = estimate_offline(demo.counts)
    >>> reach = catchment_headcounts(est, demo.centroids, demo.assets, radius_m=1600)
    >>> bool((reach["offline_adults"] <= est["offline_adults"].sum() + 1e-6).all())
    True
    """
    radius = positive_number(radius_m, name="radius_m")
    cols = _headcount_columns(per_area)
    points = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
    missing = per_area.index.difference(points.index)
    if len(missing):
        raise InclusionGeoError(
            f"centroids has no point for {len(missing)} area(s) of per_area, e.g. "
            f"{missing[:5].tolist()}: give a centroid for every area (same codes and vintage)."
        )
    points = points.reindex(per_area.index)
    sites = to_bng(places, what="places").geometry
    if not sites.geom_type.eq("Point").all():
        sites = sites.representative_point()
    xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    sxy = np.column_stack([sites.x.to_numpy(), sites.y.to_numpy()])
    hits = cKDTree(xy).query_ball_point(sxy, radius) if len(sxy) else []
    place = np.repeat(np.arange(len(sxy)), [len(h) for h in hits])
    area = np.fromiter((i for h in hits for i in h), dtype=np.int64, count=place.size)
    values = per_area[cols].to_numpy(dtype=float)
    out = {"n_areas": np.bincount(place, minlength=len(sxy)).astype(np.int64)}
    for j, col in enumerate(cols):
        out[col] = np.bincount(place, weights=values[area, j], minlength=len(sxy))
    frame = pd.DataFrame(out, index=places.index)
    frame.attrs = dict(per_area.attrs, radius_m=radius)
    return frame

"""ONS lookups and population-weighted centroids, in their published CSV layouts (BOMs, mixed
upper/lower case headers, ``F_`` prefixes)."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import DataQualityError, InclusionGeoError
from .._text import clean_text_columns
from ._read import file_rows, find_column, find_named_column, read_table

__all__ = [
    "load_lsoa_change_lookup",
    "load_oa_lsoa_lookup",
    "load_area_lookup",
    "load_centroids",
    "areas_in",
]

CHANGE_KINDS = {"U": "unchanged", "S": "split", "M": "merged", "X": "irregular"}


def load_lsoa_change_lookup(path: str | Path) -> pd.DataFrame:
    """The ONS LSOA (2011) to LSOA (2021) to LAD (2022) lookup.

    Returns one row per 2011-2021 pair: ``lsoa11cd``, ``lsoa11nm``, ``lsoa21cd``, ``lsoa21nm``,
    ``chgind`` (``U`` unchanged, ``S`` the 2011 area was split, ``M`` 2011 areas were merged,
    ``X`` irregular redrawing) and, where present, ``lad22cd`` / ``lad22nm``. The best-fit
    variant (one row per 2011 LSOA, no change indicator) is read too, with ``chgind`` missing.
    """
    what = f"LSOA change lookup {Path(str(path)).name}"
    raw = read_table(path, what=what, dtype_str=None)
    cols = {}
    for target, patterns in {
        "lsoa11cd": [r"f_lsoa11cd", r"lsoa11cd"],
        "lsoa11nm": [r"lsoa11nm"],
        "lsoa21cd": [r"lsoa21cd"],
        "lsoa21nm": [r"lsoa21nm"],
        "chgind": [r"chgind"],
        "lad22cd": [r"lad2\dcd"],
        "lad22nm": [r"lad2\dnm"],
    }.items():
        try:
            cols[find_column(raw, patterns, what=what, role=target)] = target
        except InclusionGeoError:
            if target in ("lsoa11cd", "lsoa21cd"):
                raise
    out = raw[list(cols)].rename(columns=cols)
    out = clean_text_columns(out, ["lsoa11nm", "lsoa21nm", "lad22nm"], what=what)
    for c in out.select_dtypes(exclude="number"):
        out[c] = out[c].astype("string").str.strip()
    if "chgind" in out:
        bad = sorted(set(out["chgind"].dropna()) - set(CHANGE_KINDS))
        if bad:
            raise DataQualityError(
                f"{what}: unknown change indicators {bad}; expected U, S, M or X."
            )
    out.attrs["source"] = "ONS LSOA (2011) to LSOA (2021) to LAD (2022) lookup"
    return out


def load_oa_lsoa_lookup(path: str | Path) -> pd.Series:
    """OA 2021 -> LSOA 2021, as a Series indexed by ``oa21cd`` named ``lsoa21cd``."""
    what = f"OA to LSOA lookup {Path(str(path)).name}"
    raw = read_table(path, what=what)
    oa = find_column(raw, [r"oa21cd", r"oa"], what=what, role="OA code")
    lsoa = find_column(raw, [r"lsoa21cd", r"geography_code", r"lsoa"], what=what, role="LSOA code")
    out = pd.Series(
        raw[lsoa].astype(str).to_numpy(),
        index=pd.Index(raw[oa].astype(str), name="oa21cd"),
        name="lsoa21cd",
    )
    if not out.index.is_unique:
        raise DataQualityError(
            f"{what}: OA codes appear more than once, e.g. {out.index[out.index.duplicated()][:3].tolist()}."
        )
    return out


def load_area_lookup(path: str | Path, *, source: str, target: str) -> pd.Series:
    """A column-to-column lookup from any ONS lookup file, e.g. ``source="lsoa11cd"``,
    ``target="lad21cd"``.

    Column names are matched literally, ignoring case and spacing (``LAD22CD (2022)`` or
    ``lsoa.*`` mean exactly those headers); ``source`` also matches its ``F_`` prefixed form,
    and ``?`` stands for one digit (``lad2?cd`` matches ``LAD21CD`` or ``LAD22CD``): pass the
    exact names if a file has several.
    """
    what = f"lookup {Path(str(path)).name}"
    raw = read_table(path, what=what)
    src = find_named_column(raw, [source, "f_" + source], what=what, role="source")
    tgt = find_named_column(raw, [target], what=what, role="target")
    frame = raw[[src, tgt]].dropna().drop_duplicates()
    if frame[src].duplicated().any():
        raise DataQualityError(
            f"{what}: {source} maps to more than one {target} (e.g. "
            f"{frame.loc[frame[src].duplicated(), src].head(3).tolist()}); it is not a best-fit lookup."
        )
    name = re.sub(r"[^a-z0-9]", "", tgt.lower())
    return pd.Series(
        frame[tgt].astype(str).to_numpy(),
        index=pd.Index(frame[src].astype(str), name=source.lower()),
        name=name,
    )


def load_centroids(path: str | Path) -> gpd.GeoSeries:
    """ONS population-weighted centroids (CSV with ``X``/``Y`` or ``x``/``y`` eastings and
    northings in British National Grid), indexed by ``lsoa11cd`` or ``lsoa21cd``."""
    what = f"centroids {Path(str(path)).name}"
    raw = read_table(path, what=what)
    code = find_column(
        raw,
        [r"lsoa11cd", r"lsoa21cd", r"msoa11cd", r"msoa21cd", r"oa11cd", r"oa21cd"],
        what=what,
        role="area code",
    )
    x = find_column(raw, [r"x", r"bng_e", r"easting"], what=what, role="easting")
    y = find_column(raw, [r"y", r"bng_n", r"northing"], what=what, role="northing")
    xs, ys = pd.to_numeric(raw[x], errors="coerce"), pd.to_numeric(raw[y], errors="coerce")
    bad = xs.isna() | ys.isna() | ~np.isfinite(xs) | ~np.isfinite(ys)
    if bad.any():
        raise DataQualityError(
            f"{what}: {int(bad.sum())} rows without usable coordinates at "
            f"{file_rows(raw.index[bad.to_numpy()])}, e.g. {raw.loc[bad, code].head(3).tolist()}."
        )
    if xs.between(-10, 5).all() and ys.between(45, 65).all():
        raise DataQualityError(
            f"{what}: coordinates look like longitude/latitude, not eastings/northings."
        )
    index = pd.Index(raw[code].astype(str).str.strip(), name=code.lower())
    if not index.is_unique:
        raise DataQualityError(
            f"{what}: duplicate codes, e.g. {index[index.duplicated()][:3].tolist()}."
        )
    return gpd.GeoSeries(gpd.points_from_xy(xs, ys), index=index, crs="EPSG:27700", name="pwc")


def areas_in(lookup: pd.Series, codes: str | list[str]) -> pd.Index:
    """The small areas a lookup puts in the given larger areas (e.g. one local authority)."""
    codes = [codes] if isinstance(codes, str) else list(codes)
    unknown = sorted(set(codes) - set(lookup.unique()))
    if unknown:
        raise InclusionGeoError(
            f"{unknown} do not appear in the lookup's {lookup.name!r} values; check the code and "
            "the lookup's vintage (e.g. local authority codes change when councils merge)."
        )
    return lookup.index[lookup.isin(codes)]

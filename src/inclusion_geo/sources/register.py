"""The asset register as a file a council can edit: :func:`write_register` writes it (XLSX or
CSV), :func:`read_register` reads it back after editing, checked row by row, for
:func:`inclusion_geo.register.build_register` to apply.

A council can drop rows or set ``include`` to no (false, 0), change ``tier`` (1, 2 or 3) and
``capacity``, edit ``opening_hours``, ``name``, ``category`` and the rest, and add places of its
own: a row with a blank (or new) ``id``, a ``name``, a ``category``, a ``tier`` and a location
(``lat``/``lon``, ``easting``/``northing`` or a ``postcode`` found in ``postcodes=``).
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import DataQualityError, InclusionGeoError, MissingColumnsError
from .._safe import csv_text_cells, xlsx_text
from .._validate import BNG
from ..hours import opening_hours_table
from ._read import as_path, read_table

__all__ = ["REGISTER_FILE_COLUMNS", "write_register", "read_register"]

REGISTER_FILE_COLUMNS = [
    "id", "name", "tier", "tier_reason", "include", "exclusion_reason", "category", "subcategory",
    "opening_hours", "hours_per_week", "open_evenings", "open_weekends", "capacity",
    "capacity_source", "helps_with", "source", "last_checked", "operator", "postcode", "lat",
    "lon", "easting", "northing",
]  # fmt: skip
_FOCUS_WORDS = {"skills", "data_and_device_poverty", "barriers_to_services", "confidence"}
REQUIRED = ("id", "name", "tier", "include", "category")
_SUFFIXES = (".xlsx", ".csv")
_YES = {"yes", "true", "1", "y", "1.0"}
_NO = {"no", "false", "0", "n", "0.0"}
# Great Britain in British National Grid metres, and in degrees
_GB_BNG = ((0.0, 700_000.0), (0.0, 1_300_000.0))
_GB_LONLAT = ((-8.7, 2.0), (49.8, 61.0))
_AGREE_M = 100.0  # lat/lon and easting/northing of one row further apart than this: an error
_WIDTHS = {"id": 22, "name": 36, "tier_reason": 40, "exclusion_reason": 30, "opening_hours": 34}


def _yes_no(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return "yes" if bool(value) else "no"


def _file_frame(register: gpd.GeoDataFrame) -> pd.DataFrame:
    missing = [c for c in ("name", "tier", "include", "category") if c not in register.columns]
    if missing or not isinstance(register, gpd.GeoDataFrame):
        raise MissingColumnsError(
            f"register lacks {missing or ['geometry']}; build it with inclusion_geo.register.build_register."
        )
    bng = register.geometry.to_crs(BNG)
    lonlat = register.geometry.to_crs("EPSG:4326")
    out = pd.DataFrame(index=register.index)
    out["id"] = register.index.astype(str)
    for col in REGISTER_FILE_COLUMNS[1:]:
        if col in register.columns:
            out[col] = register[col]
    out["include"] = register["include"].map(_yes_no)
    for col in ("open_evenings", "open_weekends"):
        if col in out:
            out[col] = register[col].astype("object").map(_yes_no)
    if "last_checked" in out:
        dates = pd.to_datetime(register["last_checked"], errors="coerce")
        out["last_checked"] = dates.dt.strftime("%Y-%m-%d").where(dates.notna(), None)
    out["tier"] = pd.to_numeric(register["tier"], errors="coerce").astype("Int64")
    out["lat"], out["lon"] = lonlat.y.round(6).to_numpy(), lonlat.x.round(6).to_numpy()
    out["easting"], out["northing"] = bng.x.round(1).to_numpy(), bng.y.round(1).to_numpy()
    out = out[[c for c in REGISTER_FILE_COLUMNS if c in out.columns]].reset_index(drop=True)
    for col in out.columns:  # text cells hold text: never "nan", never a character XLSX refuses
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].astype("object").map(lambda v: xlsx_text(str(v)) if isinstance(v, str) else v)  # fmt: skip
            out[col] = out[col].where(out[col].notna(), None)
    return out


def write_register(
    register: gpd.GeoDataFrame, path: str | Path, *, overwrite: bool = False
) -> Path:
    """Write a register for a council to review and edit (``.xlsx``, or ``.csv`` by suffix).

    Every text cell is stored as text, never a formula (a CSV's cells that a spreadsheet would
    read as a formula start with ``'``, which :func:`read_register` removes); the XLSX has a
    bold, frozen header with filters and sized columns. Locations are written both as
    ``lat``/``lon`` and ``easting``/``northing``: edit one pair, clear the other.

    Parameters
    ----------
    register
        A frame from :func:`inclusion_geo.register.build_register`.
    path
        The file to write; its suffix chooses the format.
    overwrite
        Replace an existing file (default: refuse).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InclusionGeoError
        An unknown suffix, or the file exists and ``overwrite`` is False.
    """
    p = Path(path).expanduser()
    suffix = p.suffix.lower()
    if suffix not in _SUFFIXES:
        raise InclusionGeoError(
            f"register file {p.name}: unknown type {suffix or '(none)'!r}; use .xlsx or .csv."
        )
    if p.exists() and not overwrite:
        raise InclusionGeoError(
            f"register file {p} already exists; choose another name or pass overwrite=True "
            "(--force on the command line) to replace it."
        )
    table = _file_frame(register)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp{os.getpid()}{suffix}")
    try:
        if suffix == ".csv":
            csv_text_cells(table).to_csv(tmp, index=False, encoding="utf-8")
        else:
            _write_xlsx(table, tmp)
        os.replace(tmp, p)
    finally:
        if tmp.exists():
            tmp.unlink()
    return p


def _write_xlsx(table: pd.DataFrame, path: Path) -> None:
    from .._workbook import Workbook

    with Workbook(path) as book:
        book.table("register", table, widths=_WIDTHS)


# --- reading ----------------------------------------------------------------------------------


def _strip_csv_quote(value: object) -> object:
    return value[1:] if isinstance(value, str) and value.startswith("'") else value


def _blank(series: pd.Series) -> pd.Series:
    s = series.astype("object").map(lambda v: v.strip() if isinstance(v, str) else v)
    return s.map(lambda v: v == "" or v is None or (isinstance(v, float) and np.isnan(v)))


def read_register(
    path: str | Path, *, postcodes: pd.DataFrame | None = None, sheet: str | int | None = None
) -> gpd.GeoDataFrame:
    """Read a register file a council has edited.

    Parameters
    ----------
    path
        The ``.xlsx`` or ``.csv`` file (from :func:`write_register`, then edited).
    postcodes
        A frame indexed by postcode with ``easting``/``northing`` columns (e.g. from the ONS
        Postcode Directory), to place added rows that give only a postcode.
    sheet
        The XLSX sheet (default the first).

    Returns
    -------
    GeoDataFrame
        Indexed by ``id`` (blank ids become ``council/row-<n>``), with the file's columns:
        ``tier`` (Int64, NA where blank), ``include`` (boolean, NA where blank), ``capacity``
        (float), text columns with NA for blanks, and a point geometry in EPSG:27700 where the row
        gives a location (None where not: the place keeps its mapped location). ``_row`` is the
        spreadsheet row of each entry, ``attrs["path"]`` the file, ``attrs["hours"]`` the
        opening-hours counts.

    Raises
    ------
    MissingColumnsError
        A required column (``id``, ``name``, ``tier``, ``include``, ``category``) is missing.
    DataQualityError
        An unknown tier or include value, a negative or non-numeric capacity, duplicate ids,
        coordinates that are not numbers or lie outside Great Britain, lat/lon and
        easting/northing that disagree, or a postcode not found; each names the file, the
        spreadsheet row and the column.
    """
    p = as_path(path, what="register file")
    what = f"register file {p.name}"
    raw = read_table(p, what=what, sheet=sheet, text=True)
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise MissingColumnsError(
            f"{what}: no {missing} column(s); columns are {list(raw.columns)}. Keep the header "
            "row the register was written with."
        )
    if p.suffix.lower() == ".csv":
        raw = raw.map(_strip_csv_quote)
    rows = pd.Series(np.arange(len(raw)) + 2, index=raw.index)  # row 1 is the header

    def fail(mask: pd.Series | np.ndarray, column: str, problem: str, fix: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            where = ", ".join(
                f"row {r} ({raw[column].iloc[i]!r})"
                for i, r in zip(np.flatnonzero(mask)[:5], rows[mask][:5], strict=True)
            )
            raise DataQualityError(f"{what}, column {column!r}: {problem} at {where}. {fix}")

    out = pd.DataFrame(index=raw.index)
    for col in raw.columns:
        if col in ("tier", "include", "capacity", "lat", "lon", "easting", "northing"):
            continue
        values = raw[col].astype("object").map(lambda v: v.strip() if isinstance(v, str) else v)
        out[col] = values.where(~_blank(raw[col]), None)
    ids = out["id"].where(out["id"].notna(), "council/row-" + rows.astype(str))
    dup = ids.duplicated(keep=False)
    fail(dup, "id", "the same id appears more than once", "Give each row its own id.")
    # tier
    tier_text = raw["tier"].astype("object").map(lambda v: v.strip() if isinstance(v, str) else v)
    tier = pd.to_numeric(tier_text.where(~_blank(raw["tier"]), None), errors="coerce")
    bad = ~_blank(raw["tier"]) & ~tier.isin([1, 2, 3])
    fail(bad, "tier", "a tier that is not 1, 2 or 3", "Use 1 (digital support offered), 2 (could host support) or 3 (context only).")  # fmt: skip
    out["tier"] = tier.astype("Int64")
    # include
    word = (
        raw["include"]
        .astype("object")
        .map(lambda v: str(v).strip().lower() if isinstance(v, str) else v)
    )
    bad = ~_blank(raw["include"]) & ~word.isin(_YES | _NO)
    fail(bad, "include", "a value that is not yes or no", "Use yes or no (true/false, 1/0).")
    out["include"] = pd.array(
        [True if w in _YES else (False if w in _NO else pd.NA) for w in word], dtype="boolean"
    )
    # capacity
    if "capacity" in raw.columns:
        capacity = pd.to_numeric(
            raw["capacity"].where(~_blank(raw["capacity"]), None), errors="coerce"
        )
        fail(~_blank(raw["capacity"]) & capacity.isna(), "capacity", "a capacity that is not a number", "Give the number of people who can be helped at once.")  # fmt: skip
        fail(capacity < 0, "capacity", "a negative capacity", "Give 0 or more people helped at once.")  # fmt: skip
        out["capacity"] = capacity.astype(float)
    if "helps_with" in out:
        words = out["helps_with"].map(
            lambda v: (
                set()
                if v is None or (not isinstance(v, str) and pd.isna(v))
                else {w.strip().lower().replace(" ", "_") for w in re.split(r"[;,]", str(v))}
                - {"", "none"}
            )
        )
        fail(
            words.map(lambda w: bool(w - _FOCUS_WORDS)), "helps_with",
            "a focus area that is not one of " + ", ".join(sorted(_FOCUS_WORDS)),
            "List the focus areas the place helps with, separated by ';', or none (leave it "
            "blank for the default of its category).",
        )  # fmt: skip
    geometry = _locations(raw, out, rows, postcodes, fail, what)
    if "opening_hours" in out:
        hours = opening_hours_table(out["opening_hours"])
        bad = out["opening_hours"].notna() & ~hours["hours_parsed"]
        if bad.any():
            warnings.warn(
                f"{what}: {int(bad.sum())} opening_hours value(s) could not be read (hours "
                f"unknown), e.g. rows {rows[bad].head(5).tolist()}: "
                f"{out.loc[bad, 'opening_hours'].head(3).tolist()}. See the OSM opening_hours syntax.",
                UserWarning,
                stacklevel=2,
            )
    out["_row"] = rows
    out.index = pd.Index(ids.astype(str), name="id")
    out = out.drop(columns="id")
    frame = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geometry, crs=BNG).to_numpy(), crs=BNG)
    frame.attrs = {"path": str(p), "hours": hours.attrs.get("counts", {}) if "opening_hours" in out else {}}  # fmt: skip
    return frame


def _numbers(raw: pd.DataFrame, col: str, fail) -> pd.Series:
    if col not in raw.columns:
        return pd.Series(np.nan, index=raw.index)
    text = raw[col].where(~_blank(raw[col]), None)
    values = pd.to_numeric(text, errors="coerce")
    fail(text.notna() & values.isna(), col, "a coordinate that is not a number", "Give a number or leave it blank.")  # fmt: skip
    return values.astype(float)


def _locations(raw, out, rows, postcodes, fail, what) -> list:
    """A BNG point per row from easting/northing, else lat/lon, else a postcode; else None."""
    import shapely

    east, north = _numbers(raw, "easting", fail), _numbers(raw, "northing", fail)
    lat, lon = _numbers(raw, "lat", fail), _numbers(raw, "lon", fail)
    has_en, has_ll = east.notna() & north.notna(), lat.notna() & lon.notna()
    for col, values, (lo, hi) in (
        ("easting", east, _GB_BNG[0]), ("northing", north, _GB_BNG[1]),
        ("lon", lon, _GB_LONLAT[0]), ("lat", lat, _GB_LONLAT[1]),
    ):  # fmt: skip
        fail(values.notna() & ~values.between(lo, hi), col, "a coordinate outside Great Britain", "Check the number (and that lat and lon are not swapped).")  # fmt: skip
    x, y = east.copy(), north.copy()
    if has_ll.any():
        pts = gpd.GeoSeries(gpd.points_from_xy(lon[has_ll], lat[has_ll]), crs="EPSG:4326").to_crs(BNG)  # fmt: skip
        lx = pd.Series(pts.x.to_numpy(), index=lat.index[has_ll])
        ly = pd.Series(pts.y.to_numpy(), index=lat.index[has_ll])
        both = has_en & has_ll
        gap = np.hypot(x[both] - lx[both], y[both] - ly[both])
        far = pd.Series(False, index=raw.index)
        far[both] = gap > _AGREE_M
        fail(far, "lat", f"lat/lon more than {_AGREE_M:g} m from the row's easting/northing", "Edit one pair and clear the other.")  # fmt: skip
        only = has_ll & ~has_en
        x[only], y[only] = lx[only], ly[only]
    if "postcode" in out.columns:
        osm = (
            out["id"]
            .astype("object")
            .where(out["id"].notna(), "")
            .astype(str)
            .str.startswith("osm/")
        )
        need = x.isna() & out["postcode"].notna() & ~osm
        if need.any() and postcodes is not None:
            key = out.loc[need, "postcode"].str.upper().str.replace(r"\s+", "", regex=True)
            table = postcodes.copy()
            table.index = table.index.astype(str).str.upper().str.replace(r"\s+", "", regex=True)
            found = table.reindex(key.to_numpy())
            lost = pd.Series(False, index=raw.index)
            lost[need] = found["easting"].isna().to_numpy()
            fail(lost, "postcode", "a postcode not in the postcode table", "Check it or give coordinates.")  # fmt: skip
            x[need], y[need] = found["easting"].to_numpy(float), found["northing"].to_numpy(float)
        elif need.any():
            raise InclusionGeoError(
                f"{what}: rows {rows[need].head(5).tolist()} are placed by postcode only; pass "
                "postcodes= a frame indexed by postcode with easting/northing columns (e.g. from "
                "the ONS Postcode Directory), or give lat/lon or easting/northing."
            )
    located = x.notna() & y.notna()
    geometry = [None] * len(raw)
    if located.any():
        points = shapely.points(x[located].to_numpy(), y[located].to_numpy())
        for i, pt in zip(np.flatnonzero(located.to_numpy()), points, strict=True):
            geometry[i] = pt
    return geometry

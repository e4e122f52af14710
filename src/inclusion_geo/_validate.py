"""Checks made at the public boundary. Each raises with a message naming the problem and the fix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from ._errors import DataQualityError, InclusionGeoError, MissingColumnsError

BNG = "EPSG:27700"


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, what: str) -> None:
    """Raise if ``frame`` lacks any of ``columns``; ``what`` names the frame in the message."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        available = ", ".join(map(str, list(frame.columns)[:25]))
        raise MissingColumnsError(
            f"{what} is missing column(s) {missing}. Available columns: {available}. "
            "Rename the columns, or pass a frame built by the matching inclusion_geo loader."
        )


def require_unique_index(frame: pd.DataFrame, *, what: str) -> None:
    if not frame.index.is_unique:
        dupes = frame.index[frame.index.duplicated()].unique()[:10].tolist()
        raise DataQualityError(
            f"{what} has duplicate area codes in its index, e.g. {dupes}. "
            "Each small area must appear once: drop or aggregate the duplicate rows first."
        )


def require_same_index(left: pd.Index, right: pd.Index, *, left_what: str, right_what: str) -> None:
    """Both frames must describe exactly the same areas."""
    only_left = left.difference(right)
    only_right = right.difference(left)
    if len(only_left) or len(only_right):
        raise InclusionGeoError(
            f"{left_what} and {right_what} cover different areas: "
            f"{len(only_left)} code(s) only in {left_what} (e.g. {only_left[:5].tolist()}), "
            f"{len(only_right)} only in {right_what} (e.g. {only_right[:5].tolist()}). "
            "Check both are for the same local authority and geography vintage "
            "(inclusion_geo.geography.detect_vintage tells which), or filter them to the same areas."
        )


def require_numeric(frame: pd.DataFrame, columns: Sequence[str], *, what: str) -> None:
    for col in columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            bad = frame.index[pd.to_numeric(frame[col], errors="coerce").isna()][:5].tolist()
            raise DataQualityError(
                f"{what} column {col!r} is not numeric (e.g. areas {bad}). "
                "Convert it with pandas.to_numeric, or remove suppressed markers such as '..' first."
            )


def require_no_missing(frame: pd.DataFrame, columns: Sequence[str], *, what: str) -> None:
    sub = frame[list(columns)]
    mask = sub.isna()
    if mask.to_numpy().any():
        bad_cols = [c for c in columns if mask[c].any()]
        bad_rows = sub.index[mask.any(axis=1)]
        raise DataQualityError(
            f"{what} has missing values in {bad_cols} for {len(bad_rows)} area(s), "
            f"e.g. {bad_rows[:8].tolist()}. Fill them from another source, drop those areas "
            "explicitly, or choose an imputation option where the function offers one."
        )


def require_geodataframe(frame: object, *, what: str) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(
            f"{what} must be a geopandas.GeoDataFrame, got {type(frame).__name__}. "
            "Load boundaries with inclusion_geo.sources.read_boundaries or geopandas.read_file."
        )
    return frame


def to_bng(frame: gpd.GeoDataFrame, *, what: str) -> gpd.GeoDataFrame:
    """Return ``frame`` in British National Grid, reprojecting a copy if needed."""
    require_geodataframe(frame, what=what)
    if frame.crs is None:
        raise DataQualityError(
            f"{what} has no coordinate reference system. Set it with "
            "frame.set_crs('EPSG:27700') (eastings/northings) or frame.set_crs('EPSG:4326') "
            "(longitude/latitude) before passing it in."
        )
    if frame.crs.to_epsg() == 27700:
        return frame
    return frame.to_crs(BNG)


def require_valid_geometry(frame: gpd.GeoDataFrame, *, what: str) -> None:
    geoms = frame.geometry
    empty = geoms.isna() | geoms.is_empty
    if empty.any():
        raise DataQualityError(
            f"{what} has {int(empty.sum())} empty or missing geometries, e.g. "
            f"{frame.index[empty][:5].tolist()}. Remove those rows or supply their boundaries."
        )
    invalid = ~geoms.is_valid
    if invalid.any():
        raise DataQualityError(
            f"{what} has {int(invalid.sum())} invalid geometries, e.g. "
            f"{frame.index[invalid][:5].tolist()}. Repair them with frame.make_valid() "
            "(geopandas) and check the result before running the analysis again."
        )


def positive_number(value: float, *, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InclusionGeoError(f"{name} must be a number, got {value!r}.") from None
    if not np.isfinite(number) or number <= 0:
        raise InclusionGeoError(f"{name} must be a positive number of metres, got {value!r}.")
    return number


def one_of(value: str, options: Iterable[str], *, name: str) -> str:
    options = list(options)
    if value not in options:
        raise InclusionGeoError(f"{name}={value!r} is not recognised. Valid options: {options}.")
    return value


def read_toml(path, *, what: str) -> dict:
    """A TOML file as a dict; a missing, non-UTF-8 or malformed file is an error naming it.

    A UTF-8 byte-order mark (as Windows Notepad may write) is accepted."""
    import tomllib
    from pathlib import Path

    path = Path(str(path))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InclusionGeoError(f"{what} {path} does not exist.") from None
    except IsADirectoryError:
        raise InclusionGeoError(f"{what} {path} is a folder; give the .toml file in it.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InclusionGeoError(
            f"{what} {path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}, "
            "perhaps a Latin-1 or Windows-1252 character such as an accented letter or '£'). "
            "Save it as UTF-8 (in most editors: Save As, Encoding UTF-8) and run again."
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InclusionGeoError(f"{what} {path} is not valid TOML: {exc}.") from None

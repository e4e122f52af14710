"""Reading published tables as they are: CSV (optionally gzipped, with a BOM, quoted thousands
separators), Excel (a named or numbered sheet) and Parquet."""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import DataQualityError, InclusionGeoError, MissingColumnsError

SUPPRESSED = ["..", ".", "-", "*", "c", "x", ":", "z", "[c]", "[x]", "[z]", "[low]"]


def as_path(path: str | Path, *, what: str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise InclusionGeoError(f"{what}: file {p} does not exist. Check the path.")
    if p.is_dir():
        raise InclusionGeoError(f"{what}: {p} is a folder; pass the file inside it.")
    if p.stat().st_size == 0:
        raise DataQualityError(f"{what}: file {p} is empty (0 bytes); download it again.")
    return p


def suffixes(path: Path) -> str:
    s = "".join(path.suffixes[-2:]).lower()
    return s if s.endswith(".gz") else path.suffix.lower()


# what a damaged or cut-short file raises, by the library that opens it: gzip/zlib (EOFError,
# BadGzipFile, zlib.error), zip containers (.xlsx: BadZipFile, XML ParseError, a missing
# member's KeyError), pyarrow (OSError; ArrowInvalid is a ValueError, handled by file type)
_DAMAGED = (EOFError, OSError, zlib.error, zipfile.BadZipFile, SyntaxError, KeyError)


def damaged(p: Path, *, what: str, exc: BaseException) -> DataQualityError:
    """The error for a file that cannot be decoded: it names the file and says to fetch it again."""
    return DataQualityError(
        f"{what}: {p} seems damaged or cut short and could not be read "
        f"({type(exc).__name__}: {str(exc)[:200]}). Download it again (or copy it again in full); "
        "if it still fails, check it is the published file in its published format."
    )


def read_table(
    path: str | Path,
    *,
    what: str,
    sheet: str | int | None = None,
    dtype_str: list[str] | None = None,
    text: bool = False,
    **kwargs,
) -> pd.DataFrame:
    """Read a CSV / CSV.GZ / XLSX / Parquet file into a frame with stripped column names.

    ``text=True`` reads every CSV and Excel cell as text (no thousands separators parsed), for
    callers that check numbers themselves. A file that cannot be decoded (a truncated
    ``.csv.gz``, a corrupt ``.xlsx`` or ``.parquet``) is a :class:`DataQualityError` naming it
    and saying to download it again.
    """
    p = as_path(path, what=what)
    kind = suffixes(p)
    try:
        if kind in (".csv", ".csv.gz", ".txt"):
            options = {
                "encoding": "utf-8-sig",
                "thousands": None if text else ",",
                "keep_default_na": False,
                "na_values": [""],
                "dtype": str if text else {c: str for c in (dtype_str or [])},
                "low_memory": False,
            }
            frame = pd.read_csv(p, **{**options, **kwargs})
        elif kind in (".xlsx", ".xls", ".xlsm"):
            if text:
                kwargs = {"dtype": str, **kwargs}
            frame = pd.read_excel(p, sheet_name=0 if sheet is None else sheet, **kwargs)
        elif kind == ".parquet":
            frame = pd.read_parquet(p, **kwargs)
        else:
            raise InclusionGeoError(
                f"{what}: cannot read {p.name} (type {kind or 'unknown'}); expected .csv, "
                ".csv.gz, .xlsx or .parquet."
            )
    except InclusionGeoError:
        raise
    except PermissionError as exc:
        raise InclusionGeoError(
            f"{what}: cannot open {p}: permission denied. Check the file's permissions."
        ) from exc
    except UnicodeDecodeError as exc:
        raise DataQualityError(
            f"{what}: {p} is not UTF-8 text ({exc}); is it the file you meant, or a compressed "
            "download that needs unzipping?"
        ) from exc
    except _DAMAGED as exc:
        raise damaged(p, what=what, exc=exc) from exc
    except (ValueError, IndexError) as exc:
        sheet_problem = "worksheet" in str(exc).lower() or isinstance(exc, IndexError)
        if kind in (".xlsx", ".xls", ".xlsm") and sheet_problem:
            raise InclusionGeoError(
                f"{what}: {p.name} has no sheet {sheet!r} ({exc}); its sheets are "
                f"{sheet_names(p, what=what)}."
            ) from exc
        if kind in (".xlsx", ".xls", ".xlsm", ".parquet", ".csv.gz"):
            raise damaged(p, what=what, exc=exc) from exc
        raise DataQualityError(f"{what}: could not read {p}: {exc}") from exc
    if frame.empty:
        raise DataQualityError(f"{what}: {p} has a header but no rows.")
    frame.columns = [re.sub(r"\s+", " ", str(c)).strip() for c in frame.columns]
    return frame


def sheet_names(path: str | Path, *, what: str) -> list[str]:
    """The sheet names of a workbook; a damaged workbook is an error saying to download it again."""
    p = as_path(path, what=what)
    try:
        with pd.ExcelFile(p) as book:
            return [str(s) for s in book.sheet_names]
    except PermissionError as exc:
        raise InclusionGeoError(f"{what}: cannot open {p}: permission denied.") from exc
    except (*_DAMAGED, ValueError) as exc:
        raise damaged(p, what=what, exc=exc) from exc


def find_column(frame: pd.DataFrame, patterns: list[str], *, what: str, role: str) -> str:
    """The first column whose name matches one of ``patterns`` (regex, case-insensitive).

    The patterns are the package's own; a column name a user gives goes through
    :func:`find_named_column`, which matches it literally.
    """
    for pattern in patterns:
        for col in frame.columns:
            if re.fullmatch(pattern, col, flags=re.IGNORECASE):
                return col
    raise MissingColumnsError(
        f"{what}: no {role} column found (looked for {patterns}); columns are "
        f"{list(frame.columns)[:12]}. Is this the right file?"
    )


def name_pattern(name: str) -> str:
    """A user's column name as a pattern that matches it literally: case and runs of spaces
    are ignored, and ``?`` stands for one digit (``lad2?cd`` matches ``LAD21CD`` and
    ``LAD22CD``); every other character, ``(``, ``.``, ``*`` included, means itself."""
    text = re.sub(r"\s+", " ", str(name)).strip()
    return "".join(r"\d" if ch == "?" else re.escape(ch) for ch in text)


def find_named_column(frame: pd.DataFrame, names: list[str], *, what: str, role: str) -> str:
    """The first column named one of ``names`` (given by a user): matched literally, ignoring
    case and spacing, with ``?`` as a digit wildcard (see :func:`name_pattern`)."""
    try:
        return find_column(frame, [name_pattern(n) for n in names], what=what, role=role)
    except MissingColumnsError:
        raise MissingColumnsError(
            f"{what}: no column named {' or '.join(repr(n) for n in names)} for the {role}; "
            f"columns are {list(frame.columns)[:12]}. Give the column's name as the file's "
            "header has it (case does not matter)."
        ) from None


def file_rows(index: pd.Index, *, limit: int = 5) -> str:
    """Rows of a frame read by :func:`read_table`, as the file numbers them (header = row 1)."""
    labels = list(index[:limit])
    if all(isinstance(i, (int, np.integer)) for i in labels):
        shown = ", ".join(str(int(i) + 2) for i in labels)
        more = f" and {len(index) - limit} more" if len(index) > limit else ""
        return f"row{'s' if len(index) > 1 else ''} {shown}{more} (the header is row 1)"
    more = f" and {len(index) - limit} more" if len(index) > limit else ""
    return f"the rows of {', '.join(map(str, labels))}{more}"


def to_numeric(
    frame: pd.DataFrame, columns: list[str], *, what: str, warn: bool = True
) -> pd.DataFrame:
    """Numbers as numbers: thousands separators removed; suppression markers ('..', 'c' ...)
    become missing with a warning that counts them (``warn=False``: the caller counts them);
    anything else, infinity included, is an error naming the column, the rows and the values."""
    import warnings

    out = frame.copy()
    for col in columns:
        values = out[col]
        if not pd.api.types.is_numeric_dtype(values):
            cleaned = values.astype("string").str.replace(",", "", regex=False).str.strip()
            suppressed = cleaned.isin(SUPPRESSED)
            if suppressed.any() and warn:
                warnings.warn(
                    f"{what}: {int(suppressed.sum())} value(s) in {col!r} are suppressed "
                    f"({sorted(cleaned[suppressed].unique())[:4]}) and are missing.",
                    UserWarning,
                    stacklevel=3,
                )
            cleaned = cleaned.mask(suppressed)
            numbers = pd.to_numeric(cleaned, errors="coerce")
            bad = numbers.isna() & cleaned.notna()
            if bad.any():
                raise DataQualityError(
                    f"{what}: column {col!r} has non-numeric values such as "
                    f"{cleaned[bad].unique()[:5].tolist()} at {file_rows(out.index[bad.to_numpy()])}; "
                    "check the file is the published one."
                )
            values = numbers
        values = values.astype(float)
        infinite = np.isinf(values.to_numpy())
        if infinite.any():
            raise DataQualityError(
                f"{what}: column {col!r} holds infinite values at "
                f"{file_rows(out.index[infinite])}; they are not numbers. Check the file is the "
                "published one."
            )
        out[col] = values
    return out


# Great Britain in British National Grid metres, with a margin for the islands and the sea
GB_BOUNDS = (-100_000, -100_000, 800_000, 1_300_000)
_DEGREES = {"latitude": 90, "longitude": 180}


def coordinate_values(frame: pd.DataFrame, column: str, *, what: str, kind: str) -> pd.Series:
    """The numbers in a coordinate column (``kind``: latitude, longitude, easting or northing),
    missing where a cell is empty.

    A decimal comma (``"53,8"``), text, infinity or an absurd magnitude (``1e30``) is an error
    naming the column, the rows and the values, and saying how to fix it. Thousands separators
    in eastings and northings (``"430,000"``) are read as such.
    """
    text = frame[column].astype("string").str.strip()
    text = text.mask(text == "")
    where = f"{what}: column {column!r} ({kind})"
    if kind in _DEGREES:
        comma = text.str.fullmatch(r"[+-]?\d*,\d+").fillna(False)
    else:
        thousands = text.str.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?").fillna(False)
        text = text.mask(thousands, text.str.replace(",", "", regex=False))
        comma = text.str.fullmatch(r"[+-]?\d*,\d+").fillna(False)
    comma = comma.to_numpy(dtype=bool)
    if comma.any():
        raise DataQualityError(
            f"{where} has numbers written with a decimal comma, e.g. "
            f"{text[comma].head(3).tolist()}, at {file_rows(frame.index[comma])}. Write them "
            "with a decimal point (53.8, not 53,8), or save the file with a UK/US number format."
        )
    numbers = pd.to_numeric(text, errors="coerce").astype(float)
    not_number = (numbers.isna() & text.notna()).to_numpy()
    if not_number.any():
        raise DataQualityError(
            f"{where} has values that are not numbers, e.g. {text[not_number].head(3).tolist()}, "
            f"at {file_rows(frame.index[not_number])}. Give plain numbers, or leave the cell "
            "empty and give a postcode."
        )
    absurd = (~np.isfinite(numbers) & numbers.notna()) | (numbers.abs() > 1e7)
    absurd = absurd.to_numpy(dtype=bool)
    if absurd.any():
        raise DataQualityError(
            f"{where} has values that cannot be a place, e.g. {numbers[absurd].head(3).tolist()}, "
            f"at {file_rows(frame.index[absurd])}. Check those cells."
        )
    return numbers


def check_lonlat(
    frame: pd.DataFrame, lon: pd.Series, lat: pd.Series, *, what: str, columns: tuple[str, str]
) -> None:
    """Longitudes within ±180 and latitudes within ±90; eastings in lon/lat columns are named
    as such."""
    out = ((lat.abs() > 90) | (lon.abs() > 180)).to_numpy(dtype=bool)
    if not out.any():
        return
    if (lat[out].abs() > 1_000).all() or (lon[out].abs() > 1_000).all():
        raise DataQualityError(
            f"{what}: columns {columns[0]}/{columns[1]} hold values like "
            f"{lat[out].iloc[0]:.0f}, {lon[out].iloc[0]:.0f} at {file_rows(frame.index[out])}: "
            "these look like eastings/northings, not latitudes and longitudes; name the columns "
            "easting/northing."
        )
    raise DataQualityError(
        f"{what}: latitudes must lie within ±90 and longitudes within ±180; "
        f"{file_rows(frame.index[out])} have latitude {lat[out].head(3).tolist()}, longitude "
        f"{lon[out].head(3).tolist()}. Check those cells."
    )


def check_in_gb(frame: pd.DataFrame, points, *, what: str, hint: str = "") -> None:
    """Every point (a GeoSeries in any CRS) lies in or near Great Britain."""
    bng = points.to_crs("EPSG:27700")
    x, y = bng.x.to_numpy(), bng.y.to_numpy()
    minx, miny, maxx, maxy = GB_BOUNDS
    far = ~((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)) & ~bng.is_empty.to_numpy()
    if far.any():
        axes = "longitude, latitude" if points.crs.is_geographic else "easting, northing"
        shown = ", ".join(f"({p.x:g}, {p.y:g})" for p in points[far].head(3))
        raise DataQualityError(
            f"{what}: {int(far.sum())} place(s) lie far outside Great Britain, at "
            f"{file_rows(frame.index[far])}: {shown} ({axes}). "
            f"{hint or 'Check those coordinates.'}"
        )

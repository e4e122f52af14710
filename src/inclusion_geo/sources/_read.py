"""Reading published tables as they are: CSV (optionally gzipped, with a BOM, quoted thousands
separators), Excel (a named or numbered sheet) and Parquet."""

from __future__ import annotations

import re
from pathlib import Path

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


def read_table(
    path: str | Path,
    *,
    what: str,
    sheet: str | int | None = None,
    dtype_str: list[str] | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Read a CSV / CSV.GZ / XLSX / Parquet file into a frame with stripped column names."""
    p = as_path(path, what=what)
    kind = suffixes(p)
    try:
        if kind in (".csv", ".csv.gz", ".txt"):
            frame = pd.read_csv(
                p,
                encoding="utf-8-sig",
                thousands=",",
                keep_default_na=False,
                na_values=[""],
                dtype={c: str for c in (dtype_str or [])},
                low_memory=False,
                **kwargs,
            )
        elif kind in (".xlsx", ".xls", ".xlsm"):
            frame = pd.read_excel(p, sheet_name=0 if sheet is None else sheet, **kwargs)
        elif kind == ".parquet":
            frame = pd.read_parquet(p, **kwargs)
        else:
            raise InclusionGeoError(
                f"{what}: cannot read {p.name} (type {kind or 'unknown'}); expected .csv, "
                ".csv.gz, .xlsx or .parquet."
            )
    except (ValueError, KeyError) as exc:
        if isinstance(exc, InclusionGeoError):
            raise
        raise DataQualityError(f"{what}: could not read {p}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise DataQualityError(
            f"{what}: {p} is not UTF-8 text ({exc}); is it the file you meant, or a compressed "
            "download that needs unzipping?"
        ) from exc
    if frame.empty:
        raise DataQualityError(f"{what}: {p} has a header but no rows.")
    frame.columns = [re.sub(r"\s+", " ", str(c)).strip() for c in frame.columns]
    return frame


def find_column(frame: pd.DataFrame, patterns: list[str], *, what: str, role: str) -> str:
    """The first column whose name matches one of ``patterns`` (regex, case-insensitive)."""
    for pattern in patterns:
        for col in frame.columns:
            if re.fullmatch(pattern, col, flags=re.IGNORECASE):
                return col
    raise MissingColumnsError(
        f"{what}: no {role} column found (looked for {patterns}); columns are "
        f"{list(frame.columns)[:12]}. Is this the right file?"
    )


def to_numeric(frame: pd.DataFrame, columns: list[str], *, what: str) -> pd.DataFrame:
    """Numbers as numbers: thousands separators removed; suppression markers ('..', 'c' ...)
    become missing with a warning that counts them; anything else is an error naming it."""
    import warnings

    out = frame.copy()
    for col in columns:
        values = out[col]
        if not pd.api.types.is_numeric_dtype(values):
            cleaned = values.astype("string").str.replace(",", "", regex=False).str.strip()
            suppressed = cleaned.isin(SUPPRESSED)
            if suppressed.any():
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
                    f"{cleaned[bad].unique()[:5].tolist()}; check the file is the published one."
                )
            values = numbers
        out[col] = values.astype(float)
    return out

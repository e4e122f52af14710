"""Census 2021 tables (ONS, via Nomis) in each published layout, decoded to named counts.

Three layouts are read:

* **Nomis bulk CSVs** (``census2021-ts038-lsoa.csv`` ...): ``date``, ``geography``,
  ``geography code`` then one column per category named ``"<Table>: <category>"`` (some with
  ``"; measures: Value"``).
* **Coded OA tables** whose columns are ``ts0380001 ...``, decoded with ``Table_Metadata.csv``
  (``new_names`` -> the Nomis category).
* **Nomis web exports** (e.g. RM121 *Sex by age*): metadata lines above the header, a blank
  line, rows keyed ``"E01011954 : Hartlepool 001A"``, and footnotes below.

Each table is reduced to the counts the indicators use (:data:`TABLES`), indexed by the Census
2021 code of its geography (``oa21cd``, ``lsoa21cd``, ``msoa21cd``, ``lad22cd``).

Missing values are never counted as 0. An empty cell, a suppression marker (``..``, ``.``,
``-``, ``*``, ``c``, ``x`` ...) or a negative number stays missing, one warning per table gives
their number and share, and every count derived from such a cell is missing too, through to
the LSOA sums: the scoring's missing-value rule then names the areas (or imputes them, with
``missing="impute_median"``). An area present in some tables and absent from others is
treated the same way, with a warning naming the table and examples.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import DataQualityError, InclusionGeoError, MissingColumnsError, UnknownCodeError
from .._text import clean_names
from ._read import SUPPRESSED, as_path, damaged, read_table, to_numeric

__all__ = [
    "CensusTable",
    "TABLES",
    "load_census_table",
    "load_census_tables",
    "load_nomis_export",
    "aggregate_counts",
]


@dataclass(frozen=True)
class CensusTable:
    """A Census table and the counts derived from its categories.

    ``counts`` maps an output column to the categories (Nomis names, without the table name)
    whose values are summed into it; a category given as ``"age>=65"`` sums every age band
    starting at 65 or older.
    """

    table_id: str
    title: str
    counts: Mapping[str, tuple[str, ...]]


TABLES: dict[str, CensusTable] = {
    t.table_id: t
    for t in [
        CensusTable("ts001", "Residence type", {
            "residents": ("Total",),
            "household_residents": ("Lives in a household",),
            "communal_residents": ("Lives in a communal establishment",)}),
        CensusTable("ts041", "Number of households", {"households": ("Number of households",)}),
        CensusTable("ts003", "Household composition", {
            "hh_composition_base": ("Total",),
            "one_person_66_plus": ("One person household: Aged 66 years and over",)}),
        CensusTable("ts007a", "Age by five-year age bands", {
            "age_base": ("Total",), "aged_65_plus": ("age>=65",), "aged_75_plus": ("age>=75",)}),
        CensusTable("rm121", "Sex by age", {
            "age_base": ("Total",), "aged_65_plus": ("age>=65",), "aged_75_plus": ("age>=75",)}),
        CensusTable("ts038", "Disability", {
            "disability_base": ("Total: All usual residents",),
            "disabled": ("Disabled under the Equality Act",)}),
        CensusTable("ts037", "General health", {
            "health_base": ("Total: All usual residents",),
            "bad_health": ("Bad health", "Very bad health")}),
        CensusTable("ts067", "Highest level of qualification", {
            "residents_16_plus": ("Total: All usual residents aged 16 years and over",),
            "no_qualifications": ("No qualifications",)}),
        CensusTable("ts029", "Proficiency in English language", {
            "residents_3_plus": ("Total: All usual residents aged 3 years and over",),
            "poor_english": (
                "Main language is not English (English or Welsh in Wales): Cannot speak English well",
                "Main language is not English (English or Welsh in Wales): Cannot speak English")}),
        CensusTable("ts011", "Household deprivation", {
            "hh_deprivation_base": ("Total: All households",),
            "hh_deprived_3_plus": ("Household is deprived in three dimensions",
                                   "Household is deprived in four dimensions")}),
        CensusTable("ts054", "Tenure of household", {
            "tenure_base": ("Total: All households",), "social_rented": ("Social rented",)}),
        CensusTable("ts062", "National Statistics Socio-economic Classification (NS-SEC)", {
            "nssec_base": ("Total: All usual residents aged 16 years and over",),
            "nssec_routine_never_worked": ("L13 Routine occupations",
                                           "L14.1 and L14.2 Never worked and long-term unemployed")}),
        CensusTable("ts017", "Household size", {
            "household_spaces": ("Total: All household spaces",),
            "one_person_households": ("1 person in household",)}),
        CensusTable("ts045", "Number of cars or vans", {
            "cars_base": ("Total: All households",),
            "no_car": ("No cars or vans in household",)}),
    ]
}  # fmt: skip

_LEVELS = {"E00": "oa21cd", "W00": "oa21cd", "E01": "lsoa21cd", "W01": "lsoa21cd",
           "E02": "msoa21cd", "W02": "msoa21cd"}  # fmt: skip


def _norm(text: str) -> str:
    text = re.sub(r";\s*measures:\s*value$", "", str(text).strip(), flags=re.IGNORECASE)
    text = re.sub(
        r"^national statistics socio-economic classification \(ns-sec\):\s*", "", text, flags=re.I
    )
    return re.sub(r"\s+", " ", text).strip().lower()


def _table_id(path: Path, table: str | None) -> str:
    if table:
        key = table.lower()
    else:
        m = re.search(r"(ts\d{3}[a-z]?|rm\d{3})", path.name.lower())
        if not m:  # a web export names its table on its first line: "RM121 - Sex by age"
            with open(path, encoding="utf-8-sig", errors="replace") as fh:
                m = re.match(r'^"?(ts\d{3}[a-z]?|rm\d{3})\b', fh.readline().strip().lower())
        if not m:
            raise InclusionGeoError(
                f"Cannot tell which Census table {path.name} is; pass table='ts038' (for example)."
            )
        key = m.group(1)
    if key not in TABLES:
        raise InclusionGeoError(
            f"Census table {key!r} is not supported; supported: {sorted(TABLES)}."
        )
    return key


def _age_lower(category: str) -> int | None:
    low = category.lower()
    if "under" in low and "and over" not in low:
        return 0
    m = re.search(r"aged (\d+)", low)
    return int(m.group(1)) if m else None


def _derive(values: pd.DataFrame, spec: CensusTable, *, what: str) -> pd.DataFrame:
    """Sum the categories of each derived count; ``values`` columns are normalised names."""
    out = {}
    for name, categories in spec.counts.items():
        cols: list[str] = []
        for category in categories:
            if category.startswith("age>="):
                bound = int(category[5:])
                cols += [c for c in values if c != "total" and (_age_lower(c) or -1) >= bound]
                if not cols:
                    raise MissingColumnsError(f"{what}: no age bands of {bound} or over found.")
                continue
            key = _norm(category)
            # the table name may or may not lead the header
            match = [c for c in values if c == key or c.endswith(": " + key)]
            if len(match) != 1:
                raise MissingColumnsError(
                    f"{what}: category {category!r} of {spec.table_id.upper()} not found "
                    f"(columns: {list(values)[:8]} ...). Is this the {spec.title} table?"
                )
            cols += match
        out[name] = values[cols].sum(axis=1, skipna=False)  # a missing part: a missing sum
    return pd.DataFrame(out, index=values.index)


def _census_values(data: pd.DataFrame, *, what: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """Numbers, with empty cells, suppression markers and negative counts all missing; and how
    many cells were missing of each kind."""
    kinds: dict[str, int] = {}
    for col in data:
        if not pd.api.types.is_numeric_dtype(data[col]):
            text = data[col].astype("string").str.strip()
            for marker, n in text[text.isin(SUPPRESSED)].value_counts().items():
                kinds[f"'{marker}'"] = kinds.get(f"'{marker}'", 0) + int(n)
    values = to_numeric(data, list(data.columns), what=what, warn=False)
    empty = int(values.isna().to_numpy().sum()) - sum(kinds.values())
    negative = values < 0
    if negative.to_numpy().any():
        kinds["negative numbers"] = int(negative.to_numpy().sum())
        values = values.mask(negative)
    if empty:
        kinds["empty cells"] = empty
    return values, kinds


def _warn_missing(kinds: dict[str, int], cells: int, out: pd.DataFrame, *, what: str) -> None:
    """One warning per table: how many cells are missing, their share, and what they hide."""
    total = sum(kinds.values())
    if not total:
        return
    hit = out.index[out.isna().any(axis=1).to_numpy()]
    shown = ", ".join(f"{n:,} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    warnings.warn(
        f"{what}: {total:,} of {cells:,} cells ({total / max(cells, 1):.2%}) are missing or "
        f"suppressed ({shown}). They stay missing, never 0: the counts they feed are missing for "
        f"{len(hit):,} area(s){', e.g. ' + ', '.join(hit[:3]) if len(hit) else ''}, and the "
        "scoring names those areas (or imputes them with missing='impute_median').",
        UserWarning,
        stacklevel=3,
    )


def _index_from_codes(codes: pd.Series, *, what: str) -> pd.Index:
    codes = codes.astype(str).str.strip()
    prefixes = codes.str[:3].unique()
    names = {_LEVELS.get(p) for p in prefixes}
    if None in names or len(names) != 1:
        raise UnknownCodeError(
            f"{what}: codes are not all 2021 OA, LSOA or MSOA codes of one level (prefixes "
            f"{sorted(prefixes)[:6]}). Census 2021 tables are on 2021 Census geography."
        )
    return pd.Index(codes.to_numpy(), name=names.pop())


def load_census_table(
    path: str | Path,
    *,
    table: str | None = None,
    metadata: str | Path | pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Read one Census 2021 table and return its derived counts.

    Parameters
    ----------
    path
        A Nomis bulk CSV (``census2021-ts038-lsoa.csv``), a coded OA table (``ts038.parquet`` /
        ``.csv`` with ``ts0380001`` columns) or a Nomis web export (``RM121``).
    table
        Table id (``"ts038"``); default: from the file name.
    metadata
        ``Table_Metadata.csv`` (path or frame), needed for coded columns.

    Returns
    -------
    DataFrame
        Counts (see :data:`TABLES`) indexed by ``oa21cd``, ``lsoa21cd`` or ``msoa21cd``.
    """
    p = as_path(path, what="Census table")
    key = _table_id(p, table)
    spec = TABLES[key]
    what = f"Census table {p.name}"
    if p.suffix.lower() == ".csv" and _is_web_export(p):
        return load_nomis_export(p, table=key)
    raw = read_table(p, what=what)
    code_col = next(
        (c for c in ["geography code", "OA", "oa21cd", "lsoa21cd", "Geography code"] if c in raw),
        None,
    )
    if code_col is None:
        raise MissingColumnsError(
            f"{what}: no geography code column ('geography code' in Nomis bulk files, 'OA' in "
            f"coded tables); columns: {list(raw.columns)[:6]}."
        )
    data = raw.drop(columns=[c for c in ["date", "geography", code_col, "Geography"] if c in raw])
    coded = [c for c in data if re.fullmatch(rf"{key}\d{{4}}", c, flags=re.I)]
    if coded:
        names = _decode(coded, metadata, what=what)
        data = data[coded].rename(columns=names)
    else:
        data = data.rename(columns=_norm)
    data, kinds = _census_values(data, what=what)
    data.index = _index_from_codes(raw[code_col], what=what)
    out = _derive(data, spec, what=what)
    _check_counts(out, what)
    _warn_missing(kinds, data.size, out, what=what)
    out.attrs["source"] = f"Census 2021 {key.upper()} {spec.title} (ONS, Nomis)"
    return out


def _decode(coded: list[str], metadata, *, what: str) -> dict[str, str]:
    if metadata is None:
        raise InclusionGeoError(
            f"{what} has coded columns ({coded[0]} ...); pass metadata= the Table_Metadata.csv "
            "that maps them to Nomis category names."
        )
    meta = (
        metadata
        if isinstance(metadata, pd.DataFrame)
        else read_table(metadata, what="Census metadata")
    )
    need = {"new_names", "Variable_Name"}
    if not need <= set(meta.columns):
        raise MissingColumnsError(
            f"Census metadata needs columns {sorted(need)}; has {list(meta.columns)[:6]}."
        )
    lookup = dict(zip(meta["new_names"].str.lower(), meta["Variable_Name"], strict=False))
    missing = [c for c in coded if c.lower() not in lookup]
    if missing:
        raise UnknownCodeError(f"{what}: columns {missing[:5]} are not in the metadata file.")
    return {c: _norm(lookup[c.lower()]) for c in coded}


def _check_counts(out: pd.DataFrame, what: str) -> None:
    if not out.index.is_unique:
        raise DataQualityError(
            f"{what}: duplicate area codes {out.index[out.index.duplicated()][:5].tolist()}."
        )
    if (out < 0).to_numpy().any():
        raise DataQualityError(f"{what}: negative counts; the file is not as published.")


def _is_web_export(path: Path) -> bool:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        head = fh.readline()
    return not re.match(r'^"?(date|geography|oa|lsoa)', head.strip(), flags=re.I)


_EXPORT_CODE = re.compile(r"^\s*([EWSN]\d{8})\s*:\s*(.*)$")


def load_nomis_export(path: str | Path, *, table: str | None = None) -> pd.DataFrame:
    """A Nomis web export: metadata lines, header, rows keyed ``"CODE : Name"``, footnotes.

    Returns the derived counts plus an ``area_name`` column.
    """
    p = as_path(path, what="Nomis export")
    key = _table_id(p, table)
    what = f"Nomis export {p.name}"
    try:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise damaged(p, what=what, exc=exc) from exc
    data_rows = [i for i, r in enumerate(rows) if r and _EXPORT_CODE.match(r[0])]
    if not data_rows:
        raise DataQualityError(
            f"{what}: no rows keyed 'CODE : Name' found; is this a Nomis export?"
        )
    first = data_rows[0]
    header_at = max(
        i for i in range(first) if rows[i] and any(cell.strip() for cell in rows[i][1:])
    )
    header = [c.strip() for c in rows[header_at]]
    body = [rows[i] for i in data_rows]
    keyed = set(data_rows)
    gaps = [i for i in range(first, data_rows[-1] + 1) if i not in keyed and any(rows[i])]
    if gaps:
        raise DataQualityError(
            f"{what}: unexpected rows among the data at lines {[g + 1 for g in gaps[:5]]}."
        )
    # index: the file's line number less 2, so that errors name the line (see file_rows)
    frame = pd.DataFrame(
        [r[: len(header)] for r in body], columns=header, index=[i - 1 for i in data_rows]
    )
    parsed = frame.iloc[:, 0].str.extract(_EXPORT_CODE)
    values, kinds = _census_values(frame.iloc[:, 1:].rename(columns=_norm), what=what)
    values.index = _index_from_codes(parsed[0], what=what)
    out = _derive(values, TABLES[key], what=what)
    out.insert(0, "area_name", clean_names(parsed[1], what=what).to_numpy())
    _check_counts(out.drop(columns="area_name"), what)
    _warn_missing(kinds, values.size, out.drop(columns="area_name"), what=what)
    out.attrs["source"] = f"Census 2021 {key.upper()} {TABLES[key].title} (ONS, Nomis web export)"
    return out


def load_census_tables(
    paths: Iterable[str | Path],
    *,
    metadata: str | Path | pd.DataFrame | None = None,
    lookup: pd.Series | None = None,
) -> pd.DataFrame:
    """Read several tables and join their counts on one geography.

    Each table brings its own base (``disability_base`` from TS038, ``tenure_base`` from TS054
    ...), because Census tables are perturbed independently for disclosure control and a rate
    is only exact over its own table's total. With ``lookup`` (OA -> LSOA), OA tables are summed
    to LSOAs first.
    """
    if isinstance(metadata, (str, Path)):
        metadata = read_table(metadata, what="Census metadata")
    loaded = []
    for path in paths:
        frame = load_census_table(path, metadata=metadata)
        frame = frame.drop(columns=[c for c in ["area_name"] if c in frame])
        loaded.append((Path(str(path)).name, frame))
    if not loaded:
        raise InclusionGeoError("No Census tables given.")
    # an area absent from one table is missing there, never summed as if it were 0
    loaded = _same_areas(loaded)
    frames = [
        aggregate_counts(frame, lookup)
        if lookup is not None and frame.index.name == "oa21cd"
        else frame
        for _, frame in loaded
    ]
    names = {f.index.name for f in frames}
    if len(names) != 1:
        raise InclusionGeoError(
            f"The tables are on different geographies ({sorted(names)}); pass lookup= to sum OAs "
            "to LSOAs, or use tables of one level."
        )
    out = frames[0].copy()
    for frame in frames[1:]:
        shared = [c for c in frame if c in out]
        if shared:
            raise InclusionGeoError(
                f"Two of the tables give {shared}: is one table listed twice? Each count, and each "
                "table's own base (disability_base, tenure_base ...), comes from one table."
            )
        out = out.join(frame, how="outer")
    if lookup is not None:  # tables given at different levels (OA and LSOA) are compared here
        _same_areas([(name, frame) for (name, _), frame in zip(loaded, frames, strict=True)])
    return out


def _same_areas(tables: list[tuple[str, pd.DataFrame]]) -> list[tuple[str, pd.DataFrame]]:
    """Each table reindexed to every area of its level found in any table, with one warning per
    table that lacks some: the count, the table and examples."""
    out = []
    for name, frame in tables:
        level = frame.index.name
        every = frame.index
        for _, other in tables:
            if other.index.name == level:
                every = every.union(other.index, sort=False)
        absent = every.difference(frame.index, sort=False)
        if len(absent):
            warnings.warn(
                f"Census table {name} has no row for {len(absent):,} {level} area(s) that other "
                f"tables have, e.g. {', '.join(map(str, absent[:5]))}. Its counts "
                f"({', '.join(frame.columns[:4])}{' ...' if frame.shape[1] > 4 else ''}) are "
                "missing for them (and for the areas they are summed into), never 0. Use tables "
                "from the same release and geography.",
                UserWarning,
                stacklevel=3,
            )
            frame = frame.reindex(every)
        out.append((name, frame))
    return out


def aggregate_counts(counts: pd.DataFrame, lookup: pd.Series) -> pd.DataFrame:
    """Sum counts from small areas to larger ones (e.g. OA 2021 -> LSOA 2021).

    ``lookup`` maps each small-area code (its index) to the larger area (its values; its name
    becomes the new index name). Every code in ``counts`` must be in the lookup. A larger area
    any of whose small areas has a missing count gets a missing count, not a partial sum.
    """
    unknown = counts.index.difference(lookup.index)
    if len(unknown):
        raise UnknownCodeError(
            f"{len(unknown)} code(s) are not in the lookup (e.g. {unknown[:5].tolist()}); use a "
            "lookup of the same vintage as the table."
        )
    numeric = counts.select_dtypes(include=[np.number])
    keys = lookup.reindex(counts.index).to_numpy()
    out = numeric.groupby(keys).sum()
    # a larger area with a missing part is missing, not the sum of the parts that are known
    gaps = numeric.isna().groupby(keys).any()
    if gaps.to_numpy().any():
        out = out.mask(gaps)
    out.index.name = lookup.name
    out.attrs = dict(counts.attrs)
    return out

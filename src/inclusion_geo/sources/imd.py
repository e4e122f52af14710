"""English Indices of Deprivation (MHCLG) and mySociety's composite UK IMD.

One reader understands every published layout, because it reads the *column headers*: IoD 2019
File 1 (xlsx, data on the second sheet: ranks and deciles), Files 2, 5 and 7 (CSV exports with
their exact published names), File 6 (population denominators with quoted thousands separators),
the IoD 2025 files (LSOA 2021) and cut-down copies of any of them. Columns come back as
``<domain>_<measure>`` (``imd_score``, ``income_rank``, ``health_decile`` ...), indexed by
``lsoa11cd`` (IoD 2019) or ``lsoa21cd`` (IoD 2025). What a file lacks is listed in
``frame.attrs["lacks"]``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .._errors import DataQualityError, InclusionGeoError
from .._text import clean_text_columns
from ._read import file_rows, find_column, read_table, sheet_names, to_numeric

__all__ = ["IOD_DOMAINS", "load_iod", "load_imd2019", "load_composite_uk_imd"]

# domain key -> header prefix regex (published names; IoD 2019 and 2025 use the same)
IOD_DOMAINS = {
    "imd": r"index of multiple deprivation(?: \(imd\))?",
    "income": r"income(?: domain)?",
    "employment": r"employment(?: domain)?",
    "education": r"education, skills and training(?: domain)?",
    "health": r"health deprivation and disability(?: domain)?",
    "crime": r"crime(?: domain)?",
    "barriers": r"barriers to housing and services(?: domain)?",
    "living_environment": r"living environment(?: domain)?",
    "idaci": r"(?:income deprivation affecting children index )?\(?idaci\)?",
    "idaopi": r"(?:income deprivation affecting older people )?\(?idaopi\)?",
    "children_young_people": r"children and young people sub-domain",
    "adult_skills": r"adult skills sub-domain",
    "geographical_barriers": r"geographical barriers sub-domain",
    "wider_barriers": r"wider barriers sub-domain",
    "indoors": r"indoors sub-domain",
    "outdoors": r"outdoors sub-domain",
}
_MEASURE = r"(score|rank|decile)(?: \(rate\))?(?: \(where 1 is most deprived.*\))?"
DENOMINATORS = {
    "population_total": r"total population: mid 20\d\d.*",
    "population_0_15": r"dependent children aged 0-15: mid 20\d\d.*",
    "population_16_59": r"population aged 16-59: mid 20\d\d.*",
    "population_60_plus": r"older population aged 60 and over: mid 20\d\d.*",
    "population_working_age": r"working age population 18-59/64.*",
}
CORE = [f"{d}_{m}" for d in list(IOD_DOMAINS)[:8] for m in ("score", "rank", "decile")]
# scores that cannot be negative: the IMD and the domains combined by exponential
# transformation (0-100) and the rates (0-1). Health, crime and several sub-domain scores are
# standardised and are negative for the less deprived half, so they are not checked.
NON_NEGATIVE = ["imd_score", "income_score", "employment_score", "education_score",
                "barriers_score", "living_environment_score", "idaci_score", "idaopi_score",
                "uk_imd_e_score"]  # fmt: skip
# LSOAs in England, and in England and Wales together (a copy ranked across both nations)
_LSOAS = {"lsoa11cd": (32_844, 34_753), "lsoa21cd": (33_755, 35_672)}


def _parse_headers(columns: Sequence[str]) -> dict[str, str]:
    mapping = {}
    for col in columns:
        low = col.lower()
        for key, prefix in IOD_DOMAINS.items():
            m = re.fullmatch(rf"{prefix} {_MEASURE}", low)
            if m:
                mapping[col] = f"{key}_{m.group(1)}"
                break
        else:
            for key, pattern in DENOMINATORS.items():
                if re.fullmatch(pattern, low):
                    mapping[col] = key
    return mapping


def load_iod(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    nations: Sequence[str] = ("E",),
) -> pd.DataFrame:
    """Read any English Indices of Deprivation file (2019 or 2025) in its published layout.

    Parameters
    ----------
    path
        The file: ``File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx`` (data on the second
        sheet, found automatically), a File 2/5/6/7 CSV, an IoD 2025 file, or a cut of one.
    sheet
        Excel sheet; default: the sheet holding the LSOA codes.
    nations
        Keep rows whose code starts with these letters. Some copies append Welsh rows whose
        values are on the Welsh index's own scale; they are dropped (with a warning giving the
        count) unless ``"W"`` is listed.

    Returns
    -------
    DataFrame
        Indexed by ``lsoa11cd`` (2011 codes, IoD 2019) or ``lsoa21cd`` (IoD 2025): ``lsoa_name``,
        ``lad_code``, ``lad_name`` and ``<domain>_<score|rank|decile>`` / ``population_*``.
        ``attrs["lacks"]`` lists the core IoD columns the file does not have.
    """
    what = f"IoD file {Path(str(path)).name}"
    if sheet is None and str(path).lower().endswith((".xlsx", ".xls")):
        sheet = _data_sheet(path)
    raw = read_table(path, what=what, sheet=sheet)
    code = find_column(
        raw,
        [r"lsoa code \((2011|2021)\)", r"lsoa(11|21)cd", r"lsoa code"],
        what=what,
        role="LSOA code",
    )
    vintage = "2021" if re.search(r"2021|21", code) else "2011"
    mapping = _parse_headers(raw.columns)
    if not mapping:
        raise DataQualityError(
            f"{what}: found no Indices of Deprivation score, rank, decile or population columns "
            f"(columns: {list(raw.columns)[:10]}). Is this an IoD file?"
        )
    out = to_numeric(raw, list(mapping), what=what).rename(columns=mapping)
    names = {}
    for role, patterns in {
        "lsoa_name": [r"lsoa name.*", r"lsoa(11|21)nm"],
        "lad_code": [r"local authority district code.*", r"lad\d\dcd"],
        "lad_name": [r"local authority district name.*", r"lad\d\dnm"],
    }.items():
        try:
            names[find_column(raw, patterns, what=what, role=role)] = role
        except InclusionGeoError:
            pass
    out = out.rename(columns=names)
    keep = [c for c in ["lsoa_name", "lad_code", "lad_name"] if c in out] + list(mapping.values())
    out = clean_text_columns(out, ["lsoa_name", "lad_name"], what=what)
    out = out.set_index(out[code].astype(str).str.strip())[keep]
    out.index.name = f"lsoa{vintage[2:]}cd"
    out = _filter_nations(out, nations, what=what)
    _check_values(
        out,
        what,
        ranks=[c for c in out if c.endswith("_rank")],
        rank_limit=_LSOAS[out.index.name][1],
    )
    for col in [c for c in out if c.endswith(("_rank", "_decile"))]:
        out[col] = out[col].astype("int64")
    _check_unique(out, what)
    _check_rank_scale(out, what)
    out.attrs["source"] = f"English Indices of Deprivation ({Path(str(path)).name})"
    out.attrs["vintage"] = vintage
    out.attrs["lacks"] = [c for c in CORE if c not in out.columns]
    return out


def load_imd2019(
    path: str | Path | None = None, *, offline: bool | None = None, **kwargs
) -> pd.DataFrame:
    """English IoD 2019 (LSOA 2011) from a local file; see :func:`load_iod`.

    With no ``path``, the official File 1 is fetched from the registry (GOV.UK) into the cache
    and checked against its SHA-256.
    """
    if path is None:
        from .._fetch import fetch

        path = fetch("imd2019_file1", offline=offline)
    frame = load_iod(path, **kwargs)
    if frame.index.name != "lsoa11cd":
        raise InclusionGeoError(
            f"{Path(str(path)).name} is on LSOA 2021 codes: it is an IoD 2025 file. Use load_iod."
        )
    return frame


def _data_sheet(path) -> str | int:
    sheets = sheet_names(path, what=f"IoD file {Path(str(path)).name}")
    for name in sheets:
        if name.strip().lower() not in ("notes", "contents", "cover", "readme"):
            return name
    return 0


def _filter_nations(frame: pd.DataFrame, nations: Sequence[str], *, what: str) -> pd.DataFrame:
    first = frame.index.str[0]
    keep = first.isin(list(nations))
    dropped = int((~keep).sum())
    if dropped:
        by = pd.Series(first[~keep]).value_counts().to_dict()
        warnings.warn(
            f"{what}: {dropped} row(s) from other nations ({by}) were left out: their values are "
            "on another index's scale. Pass nations=('E', 'W') to keep them.",
            UserWarning,
            stacklevel=3,
        )
    return frame.loc[keep]


def _check_values(
    frame: pd.DataFrame, what: str, *, ranks: list[str], rank_limit: int, whole: bool = True
) -> None:
    """Scores that cannot be negative are not; ranks run from 1 to the number of small areas
    ranked (whole numbers, unless ``whole=False``: mySociety's composite averages tied ranks,
    250.5); deciles are whole numbers from 1 to 10. Each fault is an error naming the column,
    the values and the areas."""
    limit = rank_limit
    kind = "whole numbers" if whole else "numbers"
    checks = []
    for col in [c for c in NON_NEGATIVE if c in frame]:
        checks.append((col, frame[col] < 0, "negative scores", "these scores cannot be negative"))
    for col in ranks:
        values = frame[col]
        bad = values.isna() | (values < 1) | (values > limit)
        if whole:
            bad |= values % 1 != 0
        checks.append((col, bad, f"ranks that are missing or not {kind} from 1 to {limit:,}", ""))
    for col in [c for c in frame if c.endswith("decile")]:
        values = frame[col]
        bad = values.isna() | ~values.isin(range(1, 11))
        checks.append((col, bad, "deciles that are missing or not 1 to 10", ""))
    for col, bad, problem, why in checks:
        bad = bad.fillna(False).to_numpy(dtype=bool)
        if bad.any():
            shown = frame[col][bad].head(5).tolist()
            raise DataQualityError(
                f"{what}: column {col!r} has {int(bad.sum())} {problem} ({shown}) at "
                f"{file_rows(frame.index[bad])}{'; ' + why if why else ''}. The file is not as "
                "published: download it again, or check which column holds what."
            )


def _check_rank_scale(frame: pd.DataFrame, what: str) -> None:
    """Ranks beyond the number of English LSOAs mean a copy re-ranked across nations."""
    limit = _LSOAS[frame.index.name][0]
    over = [c for c in frame if c.endswith("_rank") and frame[c].max() > limit]
    if over:
        warnings.warn(
            f"{what}: ranks in {over} run past {limit:,}, the number of English LSOAs: this copy "
            "was ranked across more than England. Rank scores afresh rather than comparing these "
            "ranks with the official ones.",
            UserWarning,
            stacklevel=3,
        )


def _check_unique(frame: pd.DataFrame, what: str) -> None:
    if not frame.index.is_unique:
        dupes = frame.index[frame.index.duplicated()].unique()[:5].tolist()
        raise DataQualityError(
            f"{what}: duplicate LSOA codes {dupes}; the file is not as published."
        )


def load_composite_uk_imd(
    path: str | Path | None = None, *, nations: Sequence[str] = ("E",), offline: bool | None = None
) -> pd.DataFrame:
    """mySociety's composite UK IMD (``UK_IMD_E.csv``).

    ``income_score`` and ``employment_score`` are published as percentages (0.7 means 0.7 %);
    they are returned as rates (0.007) to match the IoD files. With no ``path`` the file is
    fetched from mySociety's repository into the cache and checked against its SHA-256. ``imd_score`` is the nation's own
    IMD score (for English rows, the IoD 2019 score). Scottish data zones and Northern Irish SOAs
    are not LSOAs, so only English and Welsh rows can be kept.
    """
    if path is None:
        from .._fetch import fetch

        path = fetch("composite_uk_imd_e", offline=offline)
    what = f"composite UK IMD file {Path(str(path)).name}"
    bad = sorted(set(nations) - {"E", "W"})
    if bad:
        raise InclusionGeoError(
            f"nations={list(nations)}: only 'E' and 'W' rows are LSOAs; {bad} use other geographies."
        )
    raw = read_table(path, what=what)
    for col in ["nation", "lsoa", "overall_local_score", "income_score", "employment_score"]:
        if col not in raw.columns:
            find_column(raw, [col], what=what, role=col)
    ranked = len(raw)  # the composite ranks every UK small area in the file
    raw = raw[raw["nation"].isin(list(nations))]
    numeric = [c for c in raw.columns if c not in ("nation", "lsoa")]
    out = to_numeric(raw, numeric, what=what).set_index("lsoa")
    out.index.name = "lsoa11cd"
    out = out.rename(columns={"overall_local_score": "imd_score"}).drop(columns="nation")
    out["income_score"] = out["income_score"] / 100.0
    out["employment_score"] = out["employment_score"] / 100.0
    out.columns = [c.lower() for c in out.columns]
    _check_values(
        out,
        what,
        ranks=[c for c in out if c.endswith("_rank")],
        rank_limit=max(ranked, 1),
        whole=False,
    )
    _check_unique(out, what)
    out.attrs["source"] = "mySociety composite UK IMD (from IoD 2019 and devolved indices)"
    out.attrs["vintage"] = "2011"
    out.attrs["lacks"] = [c for c in CORE if c not in out.columns]
    return out

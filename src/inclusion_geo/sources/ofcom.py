"""Ofcom Connected Nations fixed broadband: coverage and performance files, by output area or
postcode, aggregated to LSOAs weighted by premises (coverage) or lines (performance).

Ofcom's headers change between releases. Each measure accepts the header variants listed in
:data:`COVERAGE_HEADERS` / :data:`PERFORMANCE_HEADERS` (matched ignoring case and spacing); a
file missing a needed column fails with the headers it does have, and columns not recognised
are named in a warning rather than silently ignored.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import DataQualityError, MissingColumnsError, UnknownCodeError
from ._read import read_table, to_numeric

__all__ = [
    "COVERAGE_HEADERS",
    "PERFORMANCE_HEADERS",
    "load_ofcom_coverage",
    "load_ofcom_performance",
]

CODE_HEADERS = {
    "oa11cd": ["output_area", "oa11cd", "oa11", "output area"],
    "oa21cd": ["oa21cd", "oa21"],
    "postcode": ["postcode", "postcode_space", "pcds", "pcd"],
}
# canonical name -> accepted published headers
COVERAGE_HEADERS = {
    "premises": ["All Premises", "All premises", "All Premises (number)"],
    "matched_premises": ["All Matched Premises", "All matched premises"],
    "pct_sfbb": ["SFBB availability (% premises)", "Superfast availability (% premises)", "% of premises with SFBB"],
    "pct_ufbb": ["UFBB (100Mbit/s) availability (% premises)", "UFBB availability (% premises)"],
    "pct_full_fibre": ["Full Fibre availability (% premises)", "FTTP availability (% premises)"],
    "pct_gigabit": ["Gigabit availability (% premises)"],
    "pct_below_2mbit": ["% of premises unable to receive 2Mbit/s"],
    "pct_below_5mbit": ["% of premises unable to receive 5Mbit/s"],
    "pct_below_10mbit": ["% of premises unable to receive 10Mbit/s", "% of premises unable to receive 10 Mbit/s"],
    "pct_below_30mbit": ["% of premises unable to receive 30Mbit/s", "% of premises unable to receive 30 Mbit/s"],
    "pct_below_uso": ["% of premises below the USO", "% of premises below USO"],
}  # fmt: skip
PERFORMANCE_HEADERS = {
    "median_download_mbit": ["Median download speed (Mbit/s)"],
    "average_download_mbit": ["Average download speed (Mbit/s)"],
    "median_upload_mbit": ["Median upload speed (Mbit/s)"],
    "average_upload_mbit": ["Average upload speed (Mbit/s)"],
    "lines": ["Number of lines", "All Matched Premises"],
}  # fmt: skip
_IGNORED = re.compile(
    r"^(postcode area|postcode_area|la code|la name|laua|lad\d\dcd|.*\(fwa\).*|.*fwa.*|"
    r"number of connections .*|% of premises with nga|.*data usage.*|.*maximum .*|.*minimum .*)$",
    re.IGNORECASE,
)
_PREMISE_COUNTS = {
    "pct_sfbb": "premises_sfbb",
    "pct_ufbb": "premises_ufbb",
    "pct_full_fibre": "premises_full_fibre",
    "pct_gigabit": "premises_gigabit",
    "pct_below_2mbit": "premises_below_2mbit",
    "pct_below_5mbit": "premises_below_5mbit",
    "pct_below_10mbit": "premises_below_10mbit",
    "pct_below_30mbit": "premises_below_30mbit",
    "pct_below_uso": "premises_below_uso",
}


def _key(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).lower()


def _match(columns, headers: dict[str, list[str]]) -> dict[str, str]:
    lookup = {_key(c): c for c in columns}
    found = {}
    for canonical, variants in headers.items():
        for variant in variants:
            if _key(variant) in lookup:
                found[lookup[_key(variant)]] = canonical
                break
    return found


def _code_column(frame: pd.DataFrame, *, what: str) -> tuple[str, str]:
    lookup = {_key(c): c for c in frame.columns}
    for level, variants in CODE_HEADERS.items():
        for v in variants:
            if _key(v) in lookup:
                return lookup[_key(v)], level
    raise MissingColumnsError(
        f"{what}: no area column (one of {sum(CODE_HEADERS.values(), [])}); headers are "
        f"{list(frame.columns)[:10]}. Is this an Ofcom Connected Nations fixed file?"
    )


def _to_lsoa(codes: pd.Series, level: str, lookup: pd.Series, *, what: str) -> pd.Series:
    keys = codes.astype(str)
    index = lookup.index.astype(str)
    if level == "postcode":
        keys = keys.str.upper().str.replace(r"\s+", "", regex=True)
        index = index.str.upper().str.replace(r"\s+", "", regex=True)
    table = pd.Series(lookup.to_numpy(), index=index)
    mapped = table.reindex(keys)
    missing = mapped.isna().to_numpy()
    if missing.any():
        raise UnknownCodeError(
            f"{what}: {int(missing.sum())} {level} code(s) are not in the lookup, e.g. "
            f"{codes[missing].head(5).tolist()}. Use a lookup of the same vintage (Ofcom's OA "
            "files are on 2011 output areas)."
        )
    return pd.Series(mapped.to_numpy(), index=codes.index, name=lookup.name)


def _read(path, *, what: str, headers: dict[str, list[str]]):
    raw = read_table(path, what=what)
    code, level = _code_column(raw, what=what)
    mapping = _match(raw.columns, headers)
    other = [c for c in raw.columns if c != code and c not in mapping and not _IGNORED.match(c)]
    other = [
        c for c in other if _key(c) not in {_key(v) for vs in CODE_HEADERS.values() for v in vs}
    ]
    if other:
        warnings.warn(
            f"{what}: columns not recognised and not used: {other[:8]}. If Ofcom renamed a "
            "measure this release, add its header to inclusion_geo.sources.ofcom.",
            UserWarning,
            stacklevel=3,
        )
    data = to_numeric(raw[list(mapping)], list(mapping), what=what).rename(columns=mapping)
    return raw[code], level, data, raw


def load_ofcom_coverage(
    path: str | Path,
    *,
    lookup: pd.Series | None = None,
) -> pd.DataFrame:
    """Connected Nations fixed coverage (OA or postcode file) as premises counts per LSOA.

    Each percentage is turned back into premises (``pct / 100 * All Premises``), summed over the
    output areas or postcodes of an LSOA, so ``premises_below_30mbit / premises`` is the
    premises-weighted LSOA share. ``lookup`` maps the file's OA codes (or postcodes) to LSOAs;
    without it the counts stay on the file's own areas.

    Returns
    -------
    DataFrame
        ``premises`` and ``premises_<measure>`` for every measure the file has, indexed by the
        lookup's LSOA codes (or by ``oa11cd`` / ``postcode``).
    """
    what = f"Ofcom coverage file {Path(str(path)).name}"
    codes, level, data, _ = _read(path, what=what, headers=COVERAGE_HEADERS)
    if "premises" not in data:
        raise MissingColumnsError(
            f"{what}: no premises count (one of {COVERAGE_HEADERS['premises']}); cannot weight by premises."
        )
    pcts = [c for c in data if c in _PREMISE_COUNTS]
    if not pcts:
        raise MissingColumnsError(f"{what}: no coverage measures found among its headers.")
    over = (data[pcts] > 100.0001).any(axis=1) | (data[pcts] < 0).any(axis=1)
    if over.any():
        raise DataQualityError(
            f"{what}: percentages outside 0-100 for {codes[over].head(3).tolist()}."
        )
    counts = pd.DataFrame({"premises": data["premises"]})
    for col in pcts:
        counts[_PREMISE_COUNTS[col]] = data[col].fillna(0.0) / 100.0 * data["premises"]
    missing_pct = data[pcts].isna().any(axis=1) & (data["premises"] > 0)
    if missing_pct.any():
        warnings.warn(
            f"{what}: {int(missing_pct.sum())} area(s) with premises but blank percentages were "
            "counted as 0 % for the blank measures.",
            UserWarning,
            stacklevel=2,
        )
    return _aggregate(
        counts, codes, level, lookup, what=what, source="Ofcom Connected Nations coverage"
    )


def load_ofcom_performance(path: str | Path, *, lookup: pd.Series | None = None) -> pd.DataFrame:
    """Connected Nations fixed performance as speeds per LSOA, weighted by lines.

    An LSOA's ``median_download_mbit`` is the line-weighted mean of its OAs' (or postcodes')
    medians: Ofcom does not publish the lines behind each median, so this is the standard
    approximation, and it is documented as such. Areas without a speed (too few lines to
    publish) are left out of the average and counted in a warning.
    """
    what = f"Ofcom performance file {Path(str(path)).name}"
    codes, level, data, raw = _read(path, what=what, headers=PERFORMANCE_HEADERS)
    if "lines" not in data:  # most releases publish lines by speed band only: add them up
        bands = [
            c
            for c in raw.columns
            if re.match(r"^number of connections .*\(number of lines\)$", c, re.I)
        ]
        if bands:
            data["lines"] = to_numeric(raw[bands], bands, what=what).sum(axis=1)
    speeds = [c for c in data if c != "lines"]
    if not speeds:
        raise MissingColumnsError(
            f"{what}: no speed columns (e.g. 'Median download speed (Mbit/s)')."
        )
    if "lines" not in data:
        raise MissingColumnsError(
            f"{what}: no line counts ({PERFORMANCE_HEADERS['lines']}) to weight by."
        )
    lines = data["lines"].fillna(0.0)
    blank = data[speeds].isna().all(axis=1) & (lines > 0)
    if blank.any():
        warnings.warn(
            f"{what}: {int(blank.sum())} area(s) have lines but no published speed (suppressed); "
            "they are left out of the line-weighted averages.",
            UserWarning,
            stacklevel=2,
        )
    frame = pd.DataFrame({"lines": lines})
    slow = [
        c
        for c in raw.columns
        if re.match(r"^number of connections (< ?2|2 ?< ?5|5 ?< ?10) mbit/s", c, re.I)
    ]
    if len(slow) == 3:
        frame["lines_below_10mbit"] = to_numeric(raw[slow], slow, what=what).sum(axis=1).to_numpy()
    for col in speeds:
        has = data[col].notna()
        frame[f"{col}__w"] = np.where(has, data[col].fillna(0) * lines, 0.0)
        frame[f"{col}__n"] = np.where(has, lines, 0.0)
    agg = _aggregate(
        frame, codes, level, lookup, what=what, source="Ofcom Connected Nations performance"
    )
    out = agg[[c for c in ("lines", "lines_below_10mbit") if c in agg]].copy()
    for col in speeds:
        out[col] = agg[f"{col}__w"] / agg[f"{col}__n"].where(agg[f"{col}__n"] > 0)
    out.attrs = agg.attrs
    return out


def _aggregate(counts, codes, level, lookup, *, what: str, source: str) -> pd.DataFrame:
    if codes.duplicated().any():
        raise DataQualityError(
            f"{what}: codes appear more than once, e.g. {codes[codes.duplicated()].head(3).tolist()}."
        )
    if lookup is None:
        out = counts.set_axis(pd.Index(codes.astype(str).to_numpy(), name=level))
    else:
        target = _to_lsoa(codes, level, lookup, what=what)
        out = counts.groupby(target.to_numpy()).sum()
        out.index.name = lookup.name
    out.attrs["source"] = source
    return out

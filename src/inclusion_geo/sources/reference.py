"""Reference indices to validate against: the GMCA DERI (as packaged in DEPAHRI), CACI's
digital vulnerability score (via British Red Cross), and the CDRC Internet User Classification."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._errors import DataQualityError, InclusionGeoError
from ._read import as_path, find_column, read_table

__all__ = ["load_deri", "load_caci_vulnerability", "load_iuc", "IUC_UNENGAGED"]

# CDRC IUC 2018 groups 7-10: Passive and Uncommitted Users, Digital Seniors, Settled Offline
# Communities, e-Withdrawn - the least engaged with the internet.
IUC_UNENGAGED = (7, 8, 9, 10)


def load_deri(path: str | Path) -> pd.DataFrame:
    """GMCA DERI v1.6 national scores and components from DEPAHRI's ``england_lsoa_depahri.rda``
    (read with pyreadr), indexed by ``lsoa11cd``: ``deri_score``, ``demography``,
    ``broadband``, ``deprivation``."""
    p = as_path(path, what="DERI file")
    try:
        import pyreadr
    except ImportError:  # pragma: no cover - pyreadr is in the test and validation extras
        raise InclusionGeoError("Reading .rda files needs pyreadr: pip install pyreadr.") from None
    frames = pyreadr.read_r(str(p))
    if not frames:
        raise DataQualityError(f"{p.name} holds no data frame.")
    raw = next(iter(frames.values()))
    need = [
        "lsoa11_code",
        "deri_score_national",
        "demography_comp_national",
        "broadband_comp_national",
        "deprivation_comp_national",
    ]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise DataQualityError(
            f"{p.name} lacks {missing}; is it DEPAHRI's england_lsoa_depahri.rda?"
        )
    out = raw.set_index(pd.Index(raw["lsoa11_code"].astype(str), name="lsoa11cd"))[need[1:]]
    out.columns = ["deri_score", "demography", "broadband", "deprivation"]
    return out


def load_caci_vulnerability(path: str | Path) -> pd.DataFrame:
    """CACI digital vulnerability (British Red Cross recalculation): ``score`` (higher = more
    vulnerable), ``rank``, ``decile``; English and Welsh LSOAs only (the file also has Scottish
    data zones and Northern Irish SOAs, which are dropped)."""
    what = f"CACI file {Path(str(path)).name}"
    raw = read_table(path, what=what)
    code = find_column(raw, [r"lsoa11cd"], what=what, role="LSOA code")
    score = find_column(raw, [r"digital vulnerability score"], what=what, role="score")
    out = raw[raw[code].astype(str).str.match(r"^[EW]01")].set_index(code)
    out.index.name = "lsoa11cd"
    return out.rename(
        columns={
            score: "score",
            "Digital Vulnerability rank": "rank",
            "Digital Vulnerability decile": "decile",
        }
    )[["score", "rank", "decile"]]


def load_iuc(path: str | Path) -> pd.DataFrame:
    """CDRC Internet User Classification 2018: ``group`` (1-10) and ``label`` per LSOA 2011."""
    what = f"IUC file {Path(str(path)).name}"
    raw = read_table(path, what=what)
    code = find_column(raw, [r"lsoa11_cd", r"lsoa11cd"], what=what, role="LSOA code")
    grp = find_column(raw, [r"grp_cd"], what=what, role="group")
    label = find_column(raw, [r"grp_label"], what=what, role="label")
    out = raw[raw[code].astype(str).str.match(r"^[EW]01")].set_index(code)[[grp, label]]
    out.index.name = "lsoa11cd"
    out.columns = ["group", "label"]
    return out

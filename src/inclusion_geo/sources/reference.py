"""Reference indices to validate against: the GMCA DERI (as packaged in DEPAHRI), CACI's
digital vulnerability score (via British Red Cross), and the CDRC Internet User Classification;
the DERI's broadband component as an optional connectivity input; and the 2011 rural-urban
classification of LSOAs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._errors import DataQualityError, InclusionGeoError
from ._read import as_path, find_column, read_table

__all__ = [
    "load_deri",
    "load_deri_connectivity",
    "load_caci_vulnerability",
    "load_iuc",
    "load_rural_urban",
    "IUC_UNENGAGED",
    "IUC_ENGAGED",
    "DERI_CONNECTIVITY_SOURCE",
]

# CDRC IUC 2018 groups 7-10: Passive and Uncommitted Users, Digital Seniors, Settled Offline
# Communities, e-Withdrawn - the least engaged with the internet.
IUC_UNENGAGED = (7, 8, 9, 10)
# groups 1-6: e-Cultural Creators ... e-Mainstream, the engaged groups each unengaged group is
# compared with
IUC_ENGAGED = (1, 2, 3, 4, 5, 6)

DERI_CONNECTIVITY_SOURCE = (
    "GMCA DERI v1.6 broadband component (broadband_comp_national, England, LSOA 2011; GMCA, "
    "OGL v3): a 2022 input DERIVED from Ofcom Connected Nations, not Ofcom's own file"
)


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


def load_deri_connectivity(path: str | Path) -> pd.DataFrame:
    """The DERI's broadband component as a connectivity input, for runs without an Ofcom file.

    Returns
    -------
    DataFrame
        Indexed by ``lsoa11cd`` (English LSOAs only), one column ``deri_broadband_score``
        (0-10, higher = poorer broadband; GMCA's national min-max of Ofcom 2022 measures).
        ``attrs["source"]`` says it is a 2022 derived input (:data:`DERI_CONNECTIVITY_SOURCE`).
    """
    frame = load_deri(path)
    if frame["broadband"].isna().all():
        raise DataQualityError(f"{Path(str(path)).name}: broadband_comp_national has no values.")
    out = frame[["broadband"]].rename(columns={"broadband": "deri_broadband_score"})
    out.attrs["source"] = DERI_CONNECTIVITY_SOURCE
    return out


# ONS/Defra RUC 2011 classes, from most urban to most rural and sparse
_RUC_ORDER = {"A1": 0, "B1": 0, "C1": 0, "C2": 1, "D1": 2, "D2": 3, "E1": 3, "E2": 4}


def load_rural_urban(path: str | Path) -> pd.DataFrame:
    """The ONS 2011 rural-urban classification of LSOAs (England and Wales).

    Returns
    -------
    DataFrame
        Indexed by ``lsoa11cd``: ``ruc11cd`` (A1 ... E2), ``ruc11`` (its name) and
        ``rurality`` (0 urban; 1 urban in a sparse setting; 2 town and fringe; 3 village or
        sparse town and fringe; 4 sparse village and dispersed).
    """
    what = f"rural-urban classification file {Path(str(path)).name}"
    raw = read_table(path, what=what)
    code = find_column(raw, [r"lsoa11cd"], what=what, role="LSOA code")
    cls = find_column(raw, [r"ruc11cd"], what=what, role="class code")
    name = find_column(raw, [r"ruc11"], what=what, role="class name")
    out = raw.set_index(raw[code].astype(str).str.strip())[[cls, name]]
    out.index.name = "lsoa11cd"
    out.columns = ["ruc11cd", "ruc11"]
    out["ruc11cd"] = out["ruc11cd"].astype(str).str.strip()
    unknown = sorted(set(out["ruc11cd"]) - set(_RUC_ORDER))
    if unknown:
        raise DataQualityError(
            f"{what}: unknown class code(s) {unknown[:5]}; expected {sorted(_RUC_ORDER)}."
        )
    out["rurality"] = out["ruc11cd"].map(_RUC_ORDER).astype(float)
    out.attrs["source"] = "ONS rural-urban classification 2011 of LSOAs (OGL v3)"
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

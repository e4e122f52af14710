"""Geography codes and vintages.

Small-area frames are indexed by the GSS code of their geography; the index *name* says which
geography and vintage it is (``lsoa11cd``, ``lsoa21cd``, ``wd13cd`` ...). This module knows the code
patterns, tells the vintage of a frame, and refuses to combine frames of different vintages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ._errors import UnknownCodeError, VintageMismatchError

__all__ = [
    "Geography",
    "GEOGRAPHIES",
    "geography_of",
    "detect_vintage",
    "check_codes",
    "check_same_vintage",
]


@dataclass(frozen=True)
class Geography:
    """A kind of area: its index name, code pattern and vintage."""

    key: str  # index name, e.g. "lsoa11cd"
    level: str  # "lsoa", "oa", "msoa", "ward", "lad"
    vintage: str  # "2011", "2021", "2013", "demo" ...
    pattern: str  # regular expression a code must match
    label: str

    def matches(self, codes: pd.Index) -> pd.Series:
        return pd.Series(codes.astype(str), index=codes).str.fullmatch(self.pattern)


_LSOA = r"[EW]01\d{6}"
_OA = r"[EW]00\d{6}"
_MSOA = r"[EW]02\d{6}"
_WARD = r"[EW]05\d{6}"
_LAD = r"[EW]0[6789]\d{6}"
# The synthetic demo borough uses an "X" prefix, which no GSS code has, so demo codes can never be
# mistaken for real ones.
_DEMO_AREA = r"X01\d{6}"
_DEMO_WARD = r"X05\d{6}"

GEOGRAPHIES: dict[str, Geography] = {
    g.key: g
    for g in [
        Geography("lsoa11cd", "lsoa", "2011", _LSOA, "LSOA (2011 Census geography)"),
        Geography("lsoa21cd", "lsoa", "2021", _LSOA, "LSOA (2021 Census geography)"),
        Geography("oa11cd", "oa", "2011", _OA, "Output Area (2011)"),
        Geography("oa21cd", "oa", "2021", _OA, "Output Area (2021)"),
        Geography("msoa11cd", "msoa", "2011", _MSOA, "MSOA (2011)"),
        Geography("msoa21cd", "msoa", "2021", _MSOA, "MSOA (2021)"),
        Geography("wd13cd", "ward", "2013", _WARD, "Electoral ward (2013)"),
        Geography("wd22cd", "ward", "2022", _WARD, "Electoral ward (2022)"),
        Geography("wd23cd", "ward", "2023", _WARD, "Electoral ward (2023)"),
        Geography("wd24cd", "ward", "2024", _WARD, "Electoral ward (2024)"),
        Geography("lad19cd", "lad", "2019", _LAD, "Local authority district (2019)"),
        Geography("lad22cd", "lad", "2022", _LAD, "Local authority district (2022)"),
        Geography("lad23cd", "lad", "2023", _LAD, "Local authority district (2023)"),
        Geography("demo_area", "lsoa", "demo", _DEMO_AREA, "Demo borough small area (synthetic)"),
        Geography("demo_ward", "ward", "demo", _DEMO_WARD, "Demo borough ward (synthetic)"),
    ]
}

_KEY_RE = re.compile(r"^(lsoa|oa|msoa|wd|lad)(\d{2})cd$", re.IGNORECASE)


def geography_of(frame: pd.DataFrame | pd.Series | pd.Index) -> Geography:
    """Return the :class:`Geography` named by a frame's index name.

    Raises
    ------
    UnknownCodeError
        If the index is unnamed or names no known geography.
    """
    index = frame if isinstance(frame, pd.Index) else frame.index
    name = index.name
    if isinstance(name, str) and name.lower() in GEOGRAPHIES:
        return GEOGRAPHIES[name.lower()]
    raise UnknownCodeError(
        f"The frame's index is named {name!r}, which names no known geography. Index small-area "
        f"frames by their GSS code column and name the index after it, e.g. "
        f"frame.rename_axis('lsoa11cd'). Known names: {sorted(GEOGRAPHIES)}."
    )


def detect_vintage(frame: pd.DataFrame | pd.Series | pd.Index) -> str:
    """Return the geography vintage of ``frame`` (``"2011"``, ``"2021"``, ``"demo"`` ...).

    Example
    -------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> detect_vintage(load_demo_borough().areas)
    'demo'
    """
    return geography_of(frame).vintage


def check_codes(frame: pd.DataFrame | pd.Series | pd.Index, *, what: str = "frame") -> Geography:
    """Check every code in the index matches its geography's pattern; return the geography."""
    geo = geography_of(frame)
    index = frame if isinstance(frame, pd.Index) else frame.index
    ok = geo.matches(index)
    if not ok.all():
        bad = index[~ok.to_numpy()][:8].tolist()
        raise UnknownCodeError(
            f"{what} is indexed as {geo.key} ({geo.label}) but {int((~ok).sum())} code(s) do not "
            f"look like {geo.level.upper()} codes, e.g. {bad}. Check the code column, and that the "
            "file is for the geography you expect."
        )
    return geo


def check_same_vintage(*frames: pd.DataFrame | pd.Series, names: list[str] | None = None) -> str:
    """Raise :class:`VintageMismatchError` unless all frames share one small-area geography."""
    geos = [geography_of(f) for f in frames]
    names = names or [f"frame {i + 1}" for i in range(len(frames))]
    first = geos[0]
    for geo, name in zip(geos[1:], names[1:], strict=True):
        if geo.key != first.key:
            raise VintageMismatchError(
                f"{names[0]} is on {first.label} ({first.key}) but {name} is on {geo.label} "
                f"({geo.key}). Convert one of them first, e.g. with "
                "inclusion_geo.geography.convert_counts and the ONS LSOA 2011 to 2021 change lookup."
            )
    return first.vintage

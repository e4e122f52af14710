"""Priority areas: where risk is high and support is far.

Risk and access are each put into three plain levels, and a documented matrix turns the pair into
a priority band from 1 (act first) to 5:

==============  ============  ============  ============  ============
risk \\ access   poor          fair          good          unknown
==============  ============  ============  ============  ============
high            1             2             3             2
medium          2             3             4             3
low             4             5             5             5
==============  ============  ============  ============  ============

* **risk** is *high* for areas in the top two deciles of the index, or in the top three deciles and
  a statistically significant hot spot (95 % or more); *medium* for deciles 3 to 5 or any hot spot;
  *low* otherwise.
* **access** is *good* when a suitable asset is within the short catchment (800 m by default),
  *fair* within the long catchment (1,600 m), *poor* beyond it, and *unknown* where the asset
  list does not cover the area (no distance was measured): those areas are banded on risk
  alone, as if access were fair, and their reason says so.

Areas are ranked by band, then by index (highest first), then by population.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validate import require_columns

__all__ = ["PRIORITY_MATRIX", "risk_level", "access_level", "priority_areas"]

PRIORITY_MATRIX = pd.DataFrame(
    [[1, 2, 3, 2], [2, 3, 4, 3], [4, 5, 5, 5]],
    index=pd.Index(["high", "medium", "low"], name="risk"),
    columns=pd.Index(["poor", "fair", "good", "unknown"], name="access"),
)
BAND_LABELS = {
    1: "1 - high risk, support far",
    2: "2 - high risk or far support",
    3: "3 - watch",
    4: "4 - lower priority",
    5: "5 - low priority",
}


def risk_level(risk_decile: pd.Series, hotspot_class: pd.Series) -> pd.Series:
    """``high`` / ``medium`` / ``low`` from the risk decile and the Gi* hotspot class."""
    strong_hot = hotspot_class.isin(["Hot spot (99%)", "Hot spot (95%)"])
    any_hot = hotspot_class.str.startswith("Hot spot")
    level = np.select(
        [(risk_decile <= 2) | ((risk_decile <= 3) & strong_hot), (risk_decile <= 5) | any_hot],
        ["high", "medium"],
        default="low",
    )
    return pd.Series(level, index=risk_decile.index, name="risk_level")


def access_level(
    distance_m: pd.Series, *, short_m: float = 800.0, long_m: float = 1600.0
) -> pd.Series:
    """``good`` / ``fair`` / ``poor`` from the distance to the nearest suitable asset;
    ``unknown`` where no distance was measured."""
    level = np.select(
        [distance_m.isna(), distance_m <= short_m, distance_m <= long_m],
        ["unknown", "good", "fair"],
        default="poor",
    )
    return pd.Series(level, index=distance_m.index, name="access_level")


def priority_areas(
    areas: pd.DataFrame,
    *,
    distance_column: str = "dist_any_m",
    short_m: float = 800.0,
    long_m: float = 1600.0,
    by: str | None = None,
) -> pd.DataFrame:
    """Rank areas by the risk x access matrix and say why, in one line each.

    With ``by`` (a column such as ``lad_code``), areas are ranked within each group.

    Parameters
    ----------
    areas
        One row per area with ``risk_index``, ``risk_decile``, ``hotspot_class``,
        ``population``, ``top_barriers``, ``nearest_support`` and ``distance_column``.

    Returns
    -------
    DataFrame
        ``areas`` with ``risk_level``, ``access_level``, ``priority_band``,
        ``priority_label``, ``priority_rank`` (1 = first) and ``reason``, sorted by rank.
    """
    need = ["risk_index", "risk_decile", "hotspot_class", "population", distance_column]
    require_columns(areas, need, what="areas")
    out = areas.copy()
    out["risk_level"] = risk_level(out["risk_decile"], out["hotspot_class"])
    out["access_level"] = access_level(out[distance_column], short_m=short_m, long_m=long_m)
    bands = {
        (r, a): int(PRIORITY_MATRIX.loc[r, a])
        for r in PRIORITY_MATRIX.index
        for a in PRIORITY_MATRIX.columns
    }
    out["priority_band"] = [
        bands[pair] for pair in zip(out["risk_level"], out["access_level"], strict=True)
    ]
    out["priority_label"] = out["priority_band"].map(BAND_LABELS)
    keys = ["priority_band", "risk_index", "population"]
    order = [True, False, False]
    if by is not None:
        keys, order = [by, *keys], [True, *order]
    out = out.sort_values(keys, ascending=order, kind="stable")
    out["priority_rank"] = (
        np.arange(1, len(out) + 1) if by is None else out.groupby(by).cumcount().to_numpy() + 1
    )
    barriers = out["top_barriers"] if "top_barriers" in out else pd.Series("", index=out.index)
    out["reason"] = [
        _reason(*row)
        for row in zip(
            out["risk_level"], out["risk_decile"], out["hotspot_class"], out[distance_column],
            out["access_level"], barriers, strict=True,
        )
    ]  # fmt: skip
    return out


def _reason(risk: str, decile: int, hotspot: str, dist: float, access: str, barriers: str) -> str:
    hot = "" if hotspot == "Not significant" else f", {hotspot.lower()}"
    lead = f"{risk.capitalize()} risk (decile {int(decile)}{hot})"
    if access == "unknown":
        support = "access to digital support not measured (the asset list does not cover this area)"
    else:
        where = f"{dist / 1000:.1f} km" if dist >= 1000 else f"{dist:.0f} m"
        support = f"nearest digital support {where} away ({access} access)"
    tail = (
        f"; barriers: {barriers}" if barriers and barriers != "no single barrier stands out" else ""
    )
    return f"{lead}; {support}{tail}."

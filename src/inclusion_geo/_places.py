"""The places of an asset register that count, and how they are named in a plan.

A register gives each asset a ``tier`` (1 = digital support offered, 2 = a venue that could host
support, 3 = context only), ``include``, ``display_name``, ``hours_per_week``,
``open_evenings``, ``open_weekends`` and ``capacity``. Public through
:mod:`inclusion_geo.assets`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ._errors import DataQualityError, InclusionGeoError
from ._validate import positive_number, require_columns, to_bng

__all__ = ["tiered", "work_through", "distance_text"]


def _xy(points: gpd.GeoSeries | gpd.GeoDataFrame) -> np.ndarray:
    geom = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    return np.column_stack([geom.x.to_numpy(), geom.y.to_numpy()])


def tiered(assets: gpd.GeoDataFrame, *, what: str = "assets") -> gpd.GeoDataFrame:
    """The register's assets that count: ``include`` true (where given), ``tier`` 1, 2 or 3."""
    require_columns(assets, ["tier"], what=what)
    out = to_bng(assets, what=what)
    if "include" in out.columns:
        out = out[out["include"].map(_yes).to_numpy(dtype=bool)]
    tier = pd.to_numeric(out["tier"], errors="coerce")
    bad = ~tier.isin([1, 2, 3])
    if bad.any():
        raise DataQualityError(
            f"{int(bad.sum())} of {what} have a tier other than 1, 2 or 3, e.g. "
            f"{out.loc[bad, 'tier'].head(3).tolist()} for "
            f"{out.loc[bad, 'name'].head(3).tolist() if 'name' in out else out.index[bad][:3].tolist()}."
            " Give every asset tier 1 (digital support offered), 2 (a venue that could host "
            "support) or 3 (context only)."
        )
    return out.assign(tier=tier.astype(np.int64))


def distance_text(d: float) -> str:
    """A distance as people say it: ``"350 m"``, ``"1.6 km"``."""
    return f"{d / 1000:.1f} km" if d >= 1000 else f"{d:.0f} m"


def _place_parts(reg: gpd.GeoDataFrame) -> list[tuple[str, str, str]]:
    """Per place: its name, what it is (``library``, ``community centre, venue``) and what
    follows the distance (``, 38 h/week; evenings``), so that only distances vary by area."""

    def col(name: str, default: object) -> list:
        return reg[name].tolist() if name in reg else [default] * len(reg)

    hours = pd.to_numeric(pd.Series(col("hours_per_week", np.nan), dtype=object), errors="coerce")
    parts = []
    for shown, name, category, tier, h, evening, weekend in zip(
        col("display_name", None), col("name", ""), col("category", ""), reg["tier"], hours,
        col("open_evenings", False), col("open_weekends", False), strict=True,
    ):  # fmt: skip
        kind = str(category).replace("_", " ") + (", venue" if tier == 2 else "")
        opens = [w for w, yes in (("evenings", evening), ("weekends", weekend)) if _yes(yes)]
        tail = f", {round(h, 1):g} h/week" if h > 0 else ""  # NaN > 0 is False
        tail += f"; {', '.join(opens)}" if opens else ""
        parts.append((shown if isinstance(shown, str) and shown else str(name), kind, tail))
    return parts


def _yes(value: object) -> bool:
    return value is not None and not pd.isna(value) and bool(value)


def work_through(
    centroids: gpd.GeoSeries,
    assets: gpd.GeoDataFrame,
    *,
    catchment_m: float = 1600.0,
    k: int = 3,
    circuity: float = 1.0,
) -> pd.Series:
    """Up to ``k`` named places within ``catchment_m`` of each area to work through: tier 1
    (support offered) first, then tier 2 (venues that could host it), nearest first within a
    tier, e.g. ``"Armley Library (library, 350 m, 38 h/week; evenings)"``; a venue says
    ``venue``; weekly hours only where known. Places are joined by ``"; "``; an area with none
    in reach gets ``""``. Names are used as given (``display_name``, else ``name``): escaping
    is the job of each output."""
    if k < 1:
        raise InclusionGeoError(f"k must be at least 1, got {k}.")
    catchment_m = positive_number(catchment_m, name="catchment_m")
    circuity = positive_number(circuity, name="circuity")
    centroids = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
    reg = tiered(assets)
    reg = reg[reg["tier"].isin([1, 2]).to_numpy()]
    text = pd.Series("", index=centroids.index, name="work_through", dtype=object)
    if reg.empty:
        return text
    origin, pts = _xy(centroids), _xy(reg)
    near = cKDTree(pts).query_ball_point(origin, catchment_m / circuity)
    tiers = reg["tier"].to_numpy()
    parts = _place_parts(reg)
    for pos, hits in enumerate(near):
        if hits:
            d = np.hypot(*(pts[hits] - origin[pos]).T) * circuity
            picks = [(parts[hits[o]], d[o]) for o in np.lexsort((d, tiers[hits]))[:k]]
            text.iloc[pos] = "; ".join(
                f"{name} ({kind}, {distance_text(dj)}{tail})" for (name, kind, tail), dj in picks
            )
    return text

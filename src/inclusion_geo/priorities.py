"""Priority areas: need leads, assets shape the action.

**Need decides whether an area is a priority**; access to support decides **what kind of
action** fits it. A library next to an area of high need is an *opportunity* (work through it),
never a reason to rank the area lower.

Need level, from the risk decile (1 = the 10 % most at risk) and the Gi* hotspot class
(a *strong* hot spot is significant at 95 % or 99 %; *any* hot spot includes 90 %):

===========  ======================================================  ====
need         rule (the first that applies)                            band
===========  ======================================================  ====
very high    decile 1; or decile 2 in a strong hot spot               1
high         decile 2; or decile 3 in a strong hot spot               2
medium       deciles 3 to 5; or any hot spot, whatever the decile      3
low          the rest                                                 4
===========  ======================================================  ====

Within a band, areas rank by risk index (highest first), then population (largest first),
then their order in the input: never by distance, so moving a building changes no band and no
rank. Bands 1 and 2 are the *priority areas*.

Action (for bands 1 to 3; band 3's is advisory; band 4 gets ``none``), from the distance to
the nearest tier-1 place (digital support offered) and tier-1-or-2 place (support, or a venue
that could host it) and, optionally, the capacity-aware supply ``A_i`` (hours of help a week
per 1,000 residents at risk, :func:`inclusion_geo.assets.support_hours`):

* ``unknown``: access not measured (the asset list does not cover the area);
* ``gap``: no tier-1 or tier-2 place within the long catchment: new provision, outreach or a
  pop-up;
* ``stretched``: tier-1 support within reach, but ``A_i`` is above 0 and under half the median
  ``A`` of the areas of the study area (of the group, with ``by``) that have tier-1 support
  within reach and ``A`` above 0: add capacity. (``A_i`` is 0 with support in reach only when
  no one counted at risk lives around those places: their hours are free, an opportunity.)
* ``opportunity``: tier-1 support within reach (work through it);
* ``opportunity_venue``: no tier-1 support, but a tier-2 venue within reach (it could host
  sessions).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._errors import InclusionGeoError
from ._places import distance_text
from ._validate import positive_number, require_columns

__all__ = [
    "NEED_BANDS",
    "PRIORITY_NEEDS",
    "ACTION_LABELS",
    "need_level",
    "risk_level",
    "access_level",
    "typical_supply",
    "area_actions",
    "priority_areas",
]

#: need level -> priority band
NEED_BANDS = {"very high": 1, "high": 2, "medium": 3, "low": 4}
#: the need levels of the priority areas (bands 1 and 2): their residents are "at risk"
PRIORITY_NEEDS = ("very high", "high")
#: action -> plain words (``opportunity`` has two, by what is within reach)
ACTION_LABELS = {
    "gap": "no digital support or venue within reach: new provision, outreach or a pop-up",
    "opportunity": "digital support within reach: work through it",
    "opportunity_venue": "a venue within reach could host support sessions",
    "stretched": "digital support within reach but little capacity for the need: add capacity",
    "unknown": "access not measured: the asset list does not cover this area",
    "none": "lower need: no targeted action",
}
STRONG_HOT = ("Hot spot (99%)", "Hot spot (95%)")


def need_level(risk_decile: pd.Series, hotspot_class: pd.Series) -> pd.Series:
    """``very high`` / ``high`` / ``medium`` / ``low`` from the risk decile and the Gi* class
    (rules in the module docstring)."""
    decile = pd.to_numeric(risk_decile, errors="coerce")
    hot = hotspot_class.astype(str)
    strong, any_hot = hot.isin(STRONG_HOT), hot.str.startswith("Hot spot")
    level = np.select(
        [
            (decile <= 1) | ((decile <= 2) & strong),
            (decile <= 2) | ((decile <= 3) & strong),
            (decile <= 5) | any_hot,
        ],
        ["very high", "high", "medium"],
        default="low",
    )
    return pd.Series(level, index=risk_decile.index, name="need_level")


def risk_level(risk_decile: pd.Series, hotspot_class: pd.Series) -> pd.Series:
    """The former three-level risk: ``high`` (need very high or high), ``medium``, ``low``."""
    need = need_level(risk_decile, hotspot_class)
    return need.replace({"very high": "high"}).rename("risk_level")


def access_level(
    distance_m: pd.Series, *, short_m: float = 800.0, long_m: float = 1600.0
) -> pd.Series:
    """``good`` / ``fair`` / ``poor`` from the distance to the nearest digital support
    (within ``short_m``, within ``long_m``, beyond); ``unknown`` where none was measured.
    Descriptive only: it never changes a band."""
    level = np.select(
        [distance_m.isna(), distance_m <= short_m, distance_m <= long_m],
        ["unknown", "good", "fair"],
        default="poor",
    )
    return pd.Series(level, index=distance_m.index, name="access_level")


def typical_supply(
    supply: pd.Series,
    support_m: pd.Series,
    *,
    long_m: float = 1600.0,
    groups: pd.Series | None = None,
) -> pd.Series:
    """Per area, the median ``supply`` of the areas of its study area (its group) that have
    tier-1 support within ``long_m`` and supply above 0: the yardstick of ``stretched``."""
    keys = pd.Series(0, index=supply.index) if groups is None else groups.reindex(supply.index)
    reach = (support_m.reindex(supply.index) <= long_m) & (supply > 0)
    return supply.where(reach).groupby(keys).transform("median").rename("typical_supply")


def area_actions(
    support_m: pd.Series,
    *,
    venue_m: pd.Series | None = None,
    supply: pd.Series | None = None,
    long_m: float = 1600.0,
    stretched_share: float = 0.5,
    groups: pd.Series | None = None,
) -> pd.Series:
    """The action for each area: ``unknown``, ``gap``, ``stretched`` or ``opportunity``
    (rules in the module docstring), whatever its need.

    Parameters
    ----------
    support_m
        Distance to the nearest tier-1 place (NaN: not measured).
    venue_m
        Distance to the nearest tier-1-or-2 place (default: ``support_m``, no venues known).
    supply
        Hours of help a week per 1,000 residents at risk; without it nothing is ``stretched``.
    stretched_share
        ``stretched`` below this share of the median supply of areas with support in reach.
    groups
        Study areas (e.g. ``lad_code``) whose medians are taken separately.
    """
    stretched_share = positive_number(stretched_share, name="stretched_share")
    venue = support_m if venue_m is None else venue_m.reindex(support_m.index)
    has_support = (support_m <= long_m).to_numpy()
    has_venue = has_support | (venue <= long_m).to_numpy()
    stretched = np.zeros(len(support_m), dtype=bool)
    if supply is not None:
        values = supply.reindex(support_m.index)
        median = typical_supply(values, support_m, long_m=long_m, groups=groups)
        low = (values > 0) & (values < stretched_share * median)
        stretched = has_support & low.to_numpy()
    action = np.select(
        [support_m.isna().to_numpy(), ~has_venue, stretched],
        ["unknown", "gap", "stretched"],
        default="opportunity",
    )
    return pd.Series(action, index=support_m.index, name="action")


def priority_areas(
    areas: pd.DataFrame,
    *,
    distance_column: str = "dist_any_m",
    venue_distance_column: str | None = None,
    supply_column: str | None = None,
    short_m: float = 800.0,
    long_m: float = 1600.0,
    stretched_share: float = 0.5,
    by: str | None = None,
) -> pd.DataFrame:
    """Rank areas by need and say what to do in each, in one line.

    Parameters
    ----------
    areas
        One row per area with ``risk_index``, ``risk_decile``, ``hotspot_class``,
        ``population`` and ``distance_column``; optionally ``top_barriers``, ``work_through``
        (places within reach, :func:`inclusion_geo.assets.work_through`), and the columns
        named by ``venue_distance_column`` and ``supply_column``.
    distance_column
        Distance to the nearest tier-1 place (digital support offered), e.g.
        ``dist_tier1_m``; NaN where access was not measured.
    venue_distance_column
        Distance to the nearest tier-1-or-2 place (``dist_tier1_2_m``); default: none known.
    supply_column
        Hours of help a week per 1,000 residents at risk
        (:data:`inclusion_geo.assets.SUPPLY_COLUMN`); without it nothing is ``stretched``.
    short_m, long_m
        Catchments: ``long_m`` is "within reach"; both describe ``access_level``.
    stretched_share
        Share of the study area's median supply below which support is ``stretched``.
    by
        A column such as ``lad_code``: areas are ranked, and medians taken, within each group.

    Returns
    -------
    DataFrame
        ``areas`` sorted by rank, with ``need_level``, ``risk_level`` (the former three
        levels), ``access_level``, ``priority_band`` (1 to 4), ``action`` (``none`` in band 4),
        ``action_label``, ``priority_label`` (e.g. ``"1 - very high need: gap"``),
        ``work_through`` (empty for gaps and unmeasured areas), ``priority_rank`` (1 = first)
        and ``reason``.

    Example
    -------
    >>> import pandas as pd
    >>> areas = pd.DataFrame({"risk_index": [9.0, 2.0], "risk_decile": [1, 9],
    ...     "hotspot_class": ["Hot spot (99%)", "Not significant"], "population": [1500, 1200],
    ...     "dist_any_m": [90.0, 5000.0]}, index=["E01000001", "E01000002"])
    >>> priority_areas(areas)["priority_label"].tolist()
    ['1 - very high need: opportunity', '4 - low need']
    """
    need = ["risk_index", "risk_decile", "hotspot_class", "population", distance_column]
    optional = [c for c in (venue_distance_column, supply_column, by) if c is not None]
    require_columns(areas, need + optional, what="areas")
    if long_m <= short_m:
        raise InclusionGeoError(f"long_m ({long_m}) must be more than short_m ({short_m}).")
    out = areas.copy()
    out["need_level"] = need_level(out["risk_decile"], out["hotspot_class"])
    out["risk_level"] = risk_level(out["risk_decile"], out["hotspot_class"])
    out["access_level"] = access_level(out[distance_column], short_m=short_m, long_m=long_m)
    out["priority_band"] = out["need_level"].map(NEED_BANDS).astype(np.int64)
    support = out[distance_column].astype(float)
    venue = support if venue_distance_column is None else out[venue_distance_column].astype(float)
    action = area_actions(
        support,
        venue_m=venue,
        supply=None if supply_column is None else out[supply_column].astype(float),
        long_m=long_m,
        stretched_share=stretched_share,
        groups=None if by is None else out[by],
    )
    # only a venue that could host within reach: an opportunity of its own kind, never
    # counted as "work through nearby support"
    venue_only = action.eq("opportunity") & ~(support <= long_m)
    action = action.where(~venue_only, "opportunity_venue")
    out["action"] = action.where(out["priority_band"] <= 3, "none")
    out["action_label"] = out["action"].map(ACTION_LABELS)
    out["priority_label"] = [
        _label(band, level, act)
        for band, level, act in zip(
            out["priority_band"], out["need_level"], out["action"], strict=True
        )
    ]
    places = out["work_through"] if "work_through" in out else pd.Series("", index=out.index)
    places = places.fillna("").astype(str)
    out["work_through"] = places.where(~action.isin(["gap", "unknown"]).to_numpy(), "")
    keys, order = ["priority_band", "risk_index", "population"], [True, False, False]
    if by is not None:
        keys, order = [by, *keys], [True, *order]
    out = out.sort_values(keys, ascending=order, kind="stable")
    out["priority_rank"] = (
        np.arange(1, len(out) + 1) if by is None else out.groupby(by).cumcount().to_numpy() + 1
    )
    barriers = out["top_barriers"] if "top_barriers" in out else pd.Series("", index=out.index)
    if supply_column is None:
        supply = typical = pd.Series(np.nan, index=out.index)
    else:
        supply = out[supply_column].astype(float)
        groups = None if by is None else out[by]
        typical = typical_supply(supply, support.reindex(out.index), long_m=long_m, groups=groups)
    out["reason"] = [
        _reason(*row, long_m=long_m)
        for row in zip(
            out["need_level"], out["risk_decile"], out["hotspot_class"], barriers.fillna(""),
            out["action"], action.reindex(out.index), support.reindex(out.index),
            venue.reindex(out.index), out["work_through"], supply, typical, strict=True,
        )
    ]  # fmt: skip
    return out


def _label(band: int, level: str, action: str) -> str:
    lead = f"{band} - {level} need"
    if action == "none":
        return lead
    return f"{lead}: {action}" + (" (advisory)" if band == 3 else "")


def _figure(x: float) -> str:
    """Two significant figures, for a sentence."""
    return f"{float(f'{x:.2g}'):g}" if x else "0"


def _reason(
    level: str, decile, hotspot: str, barriers: str, action: str, measured: str,
    support: float, venue: float, places: str, supply: float, typical: float, *, long_m: float,
) -> str:  # fmt: skip
    """One line: need (decile, hotspot), barriers, then the action and why."""
    hot = "" if str(hotspot) == "Not significant" else f", {str(hotspot).lower()}"
    need = f"{level.capitalize()} need (decile {int(decile)}{hot})"
    if barriers and barriers != "no single barrier stands out":
        need += f"; barriers: {barriers}"
    if measured == "unknown":
        return (
            f"{need}; access to digital support not measured (the asset list does not cover "
            "this area)."
        )
    near = (
        "no digital support at all"
        if np.isinf(support)
        else f"nearest digital support {distance_text(support)} away"
    )
    if action == "none":
        return f"{need}; {near}."
    if action == "gap":
        what = f"gap: no digital support or venue within {distance_text(long_m)} ({near})"
        return f"{need}; {what}: new provision, outreach or a pop-up."
    if action == "stretched":
        what = (
            f"stretched: {near}, but only {_figure(supply)} hours of help a week per 1,000 "
            f"residents at risk, under half the study area's median of {_figure(typical)} for "
            "areas with support in reach: add capacity"
        )
        return f"{need}; {what}" + (f" at {places}." if places else ".")
    if support <= long_m:
        return f"{need}; opportunity: {near}, work through " + (f"{places}." if places else "it.")
    what = f"opportunity: {near}, but a venue {distance_text(venue)} away could host sessions"
    return f"{need}; {what}" + (f": {places}." if places else ".")

"""Roll small areas up to wards (or local authorities): population-weighted means of rates and
scores, sums of counts, and the facts an average hides."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._errors import DataQualityError
from ._validate import require_columns

__all__ = ["rollup"]


def rollup(
    areas: pd.DataFrame,
    *,
    by: str = "ward_code",
    population: str = "population",
    intensive_variables: Sequence[str] = (),
    extensive_variables: Sequence[str] = (),
    names: pd.Series | None = None,
    top_decile_column: str = "risk_decile",
    hotspot_column: str | None = "hotspot_class",
    priority_column: str | None = "priority_band",
    within: str | None = None,
    score_column: str = "risk_index",
) -> pd.DataFrame:
    """Aggregate areas to a higher geography.

    Parameters
    ----------
    areas
        One row per small area with a ``by`` column naming its ward (or LA).
    by
        Column with the higher-level code.
    population
        Column of residents, used as the weight for intensive variables.
    intensive_variables
        Rates and scores: population-weighted means.
    extensive_variables
        Counts: sums (totals are conserved).
    names
        Optional Series of names indexed by the higher-level code.
    within
        A column grouping the groups (e.g. ``lad_code`` when rolling up wards of many
        authorities): ``rank`` and ``hides_extremes`` are then within it.
    top_decile_column, hotspot_column, priority_column
        The areas' risk decile (1 = most at risk), hotspot class and priority band, counted
        per group where present (``None``: not counted).
    score_column
        The score whose highest value per group is ``max_<score_column>`` and whose mean, when
        among ``intensive_variables``, ranks the groups (a national run rolls its authorities
        up by ``national_risk_index``).

    Returns
    -------
    DataFrame
        One row per group: ``n_areas``, ``population``, the variables, ``pct_pop_top_decile``
        (share of residents living in areas in the top risk decile), ``n_hotspot_areas``,
        ``n_priority_areas`` (bands 1-2), ``max_risk_index`` and ``hides_extremes`` (a ward
        whose own average is outside the top two deciles of wards, but which contains an area in
        the top risk decile), ranked by ``rank`` (1 = highest mean risk index). The names
        follow ``score_column``: ``max_national_risk_index`` for ``national_risk_index``.
    """
    cols = [by, population, *intensive_variables, *extensive_variables]
    require_columns(areas, cols, what="areas")
    if areas[by].isna().any():
        bad = areas.index[areas[by].isna()][:5].tolist()
        raise DataQualityError(
            f"{int(areas[by].isna().sum())} area(s) have no {by!r}, e.g. {bad}. Assign every area "
            "to a ward (inclusion_geo.geography.best_fit_lookup does it from centroids)."
        )
    pop = areas[population].astype(float)
    if (pop <= 0).any():
        raise DataQualityError(
            f"Areas {areas.index[pop <= 0][:5].tolist()} have no population; population-weighted "
            "means need residents in every area."
        )
    groups = areas[by]
    out = pd.DataFrame(
        {"n_areas": areas.groupby(by).size(), "population": pop.groupby(groups).sum()}
    )
    for col in intensive_variables:
        out[col] = (areas[col].astype(float) * pop).groupby(groups).sum() / out["population"]
    for col in extensive_variables:
        out[col] = areas[col].groupby(groups).sum()
    if top_decile_column in areas.columns:
        top = areas[top_decile_column] == 1
        out["pct_pop_top_decile"] = (
            100.0 * pop.where(top, 0.0).groupby(groups).sum() / out["population"]
        )
        out["n_top_decile_areas"] = top.groupby(groups).sum().astype(np.int64)
    if hotspot_column and hotspot_column in areas.columns:
        hot = areas[hotspot_column].astype(str).str.startswith("Hot spot")
        out["n_hotspot_areas"] = hot.groupby(groups).sum().astype(np.int64)
    if priority_column and priority_column in areas.columns:
        out["n_priority_areas"] = (
            (areas[priority_column] <= 2).groupby(groups).sum().astype(np.int64)
        )
    if score_column in areas.columns:
        out[f"max_{score_column}"] = areas[score_column].groupby(groups).max()
        if score_column in intensive_variables:
            parent = areas.groupby(by)[within].first() if within else pd.Series(0, index=out.index)
            parent = parent.reindex(out.index)
            order = out[score_column].groupby(parent).rank(ascending=False, method="first")
            out["rank"] = order.astype(np.int64)
            if "n_top_decile_areas" in out.columns:
                cut = np.ceil(parent.map(parent.value_counts()) * 0.2)
                out["hides_extremes"] = (out["rank"] > cut) & (out["n_top_decile_areas"] > 0)
            if within:
                out.insert(0, within, parent)
                out = out.sort_values([within, "rank"])
            else:
                out = out.sort_values("rank")
    if names is not None:
        out.insert(0, "name", names.reindex(out.index))
    out.index.name = by
    return out

"""Where the next hubs should go, proven best; and what closing a place, cutting its hours or
running a weekly pop-up rota would do.

* :func:`plan_sites` solves the maximal covering location problem (MCLP) exactly, as a mixed
  integer programme (``scipy.optimize.milp``, HiGHS): choose ``k`` new sites from candidates so
  that the most demand lies within ``catchment_m`` of a site, with the existing tier-1 places
  kept. Options: a capacity per site (each serves at most that much demand, shared out
  fractionally), a minimum share of each ward's demand covered, and a budget with site costs.
  The greedy solver :func:`inclusion_geo.assets.select_sites` runs alongside as the fast
  comparison, and the plan reports how far it falls short.
* :func:`closure_scenario`: residents (and offline adults) newly out of reach of any tier-1
  place when named places close or cut their hours, by ward, and the weekly hours lost.
* :func:`popup_rota`: ``k`` weekly sessions across candidate sites and days, each on a day the
  site is open, reaching the most demand with diminishing returns for areas already served.

Reach is the project's: an area is within reach of a site when its population-weighted centroid
lies within ``catchment_m / circuity`` of it in a straight line (as in
:func:`~inclusion_geo.assets.select_sites` and :func:`~inclusion_geo.assets.access_by_tier`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ._errors import InclusionGeoError
from ._places import tiered
from ._siting_model import (
    _TOL,
    DAYS,
    _allowed,
    _area_values,
    _check_ward_minimum,
    _Covering,
    _days_of,
    _dual_bound,
    _fallback_bound,
    _gap,
    _labels,
    _names,
    _reach,
    _rota_greedy,
    _rota_model,
    _rota_value,
    _run_milp,
    _site_values,
    _sites_table,
)
from ._validate import positive_number, to_bng
from .assets import (
    HOURS_PER_PERSON,
    SUPPLY_COLUMN,
    _xy,
    access_by_tier,
    select_sites,
    support_hours,
    weekly_supply,
)

__all__ = [
    "DAYS",
    "SitePlan",
    "plan_sites",
    "yearly_capacity",
    "ClosureScenario",
    "closure_scenario",
    "Rota",
    "popup_rota",
]


# ------------------------------------------------------------------------- maximal covering
@dataclass(frozen=True)
class SitePlan:
    """The chosen sites and how much demand they cover, with the greedy comparison.

    Attributes
    ----------
    sites : DataFrame
        One row per new site, in the order a greedy pass over the chosen set adds them:
        ``order``, ``site`` (candidate id), ``name``, ``demand_covered`` (demand within reach;
        with capacities, demand assigned to the site), ``marginal_gain`` (added on top of the
        existing places and the earlier rows), ``cumulative_covered``, ``areas_served``,
        ``wards_served`` (``"; "``-joined ward codes, ``""`` without wards), and ``capacity`` /
        ``cost`` where used.
    areas : DataFrame
        Indexed like the centroids: ``demand``, ``covered_before`` (by the existing places),
        ``covered_after`` and ``ward`` (where given).
    covered, share, total_demand, existing_covered : float
        Demand covered by the existing and new sites, as a share of all demand; all demand; and
        what the existing places cover alone.
    optimal : bool
        Proven optimal (HiGHS, relative gap 1e-9).
    bound : float
        Proven upper bound on the demand any plan could cover (``covered`` when optimal).
    gap : float
        ``(bound - covered) / covered``: how much more the best plan could cover at most.
    greedy_covered, greedy_gap : float
        What the greedy solver's picks cover (evaluated under the same capacities), and
        ``(covered - greedy_covered) / covered``.
    greedy_sites : tuple
        The greedy picks (candidate ids), in pick order.
    solve_seconds : float
        Time spent in the MILP solver.
    status : str
        A sentence saying what was found, and why when it is not proven optimal.
    """

    sites: pd.DataFrame
    areas: pd.DataFrame
    covered: float
    share: float
    total_demand: float
    existing_covered: float
    optimal: bool
    bound: float
    gap: float
    greedy_covered: float
    greedy_gap: float
    greedy_sites: tuple
    solve_seconds: float
    status: str


def plan_sites(
    demand: pd.Series,
    centroids: gpd.GeoSeries,
    candidates: gpd.GeoDataFrame,
    *,
    k: int,
    catchment_m: float,
    existing: gpd.GeoDataFrame | None = None,
    capacity: float | str | pd.Series | None = None,
    min_cover_by: pd.Series | None = None,
    min_share: float | None = None,
    budget: float | None = None,
    cost: float | str | pd.Series | None = None,
    time_limit: float = 10.0,
    circuity: float = 1.0,
    wards: pd.Series | None = None,
) -> SitePlan:
    """Choose ``k`` new sites that cover the most demand, exactly (maximal covering, MCLP).

    Maximise ``sum_i d_i y_i`` over binary ``x_j`` (site ``j`` chosen) with ``y_i <= sum x_j``
    over the candidates within reach of area ``i``, ``y_i <= 1`` and ``sum x_j <= k``; areas
    within reach of an existing place are covered already (``y_i = 1``). With ``capacity`` the
    coverage is capacitated: demand ``z_ij >= 0`` is assigned from area ``i`` to any site in
    reach (existing or new), ``sum_j z_ij <= d_i``, ``sum_i z_ij <= c_j x_j`` (existing sites
    ``x_j = 1``) and ``z_ij <= d_i x_j``; the covered demand is ``sum z_ij``. With
    ``min_share``, every ward's covered demand is at least ``min_share`` of its demand. With
    ``budget``, ``sum cost_j x_j <= budget`` and ``k`` is a maximum.

    Solved by HiGHS (``scipy.optimize.milp``) to a relative gap of 1e-9. If ``time_limit`` is
    reached, the best plan found (or the greedy plan, if better) is returned with its proven gap
    and ``optimal=False``. Equal-coverage sites that add nothing may be left out, so fewer than
    ``k`` sites can be returned when they already cover all the demand in reach.

    Parameters
    ----------
    demand
        People to reach per area (e.g. estimated offline adults), indexed like ``centroids``.
    centroids
        Population-weighted centroids, indexed by area code (any CRS; distances in EPSG:27700).
    candidates
        Sites to choose from (points; ``display_name`` / ``name`` for the table). Candidates
        whose id is among ``existing`` are left out (they are kept already).
    k
        New sites to choose (at most, with ``budget``).
    catchment_m
        Reach of a site, in metres (after ``circuity``).
    existing
        Places kept as they are (their coverage counts); a register (``tier`` column) gives its
        included tier-1 places.
    capacity
        Demand each site can serve (same units as ``demand``, e.g. people a year, see
        :func:`yearly_capacity`): a number for every site, a column name, or a Series by site id
        covering candidates and existing places. ``None``: uncapacitated.
    min_cover_by, min_share
        Ward code per area and the least share (0 to 1) of each ward's demand to cover.
        ``min_cover_by`` defaults to ``wards``.
    budget, cost
        The most to spend, and each candidate's cost (number, column name or Series by id).
    time_limit
        Seconds the solver may take.
    circuity
        Factor applied to straight-line distances (1.0 = straight line).
    wards
        Ward code per area, to list the wards each site serves.

    Returns
    -------
    SitePlan

    Raises
    ------
    InclusionGeoError
        No candidates; ``k`` below 1 or above the number of candidates; negative or missing
        demand, capacity or cost; capacities that cannot cover anyone; a ward minimum no choice
        of sites can meet; a budget below the cheapest candidate; no plan found in the time.

    Example
    -------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import Point
    >>> areas = gpd.GeoSeries([Point(0, 0), Point(2000, 0), Point(4000, 0)], index=list("abc"),
    ...                       crs=27700)
    >>> sites = gpd.GeoDataFrame({"name": ["West", "Mid", "East"]}, index=["w", "m", "e"],
    ...                          geometry=[Point(500, 0), Point(2000, 0), Point(3500, 0)], crs=27700)
    >>> plan = plan_sites(pd.Series([10, 50, 20], index=list("abc")), areas, sites, k=2,
    ...                   catchment_m=800)
    >>> plan.sites["site"].tolist(), plan.covered, plan.optimal
    (['m', 'e'], 70.0, True)
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InclusionGeoError(f"k must be a whole number of sites, at least 1, got {k!r}.")
    catchment_m = positive_number(catchment_m, name="catchment_m")
    circuity = positive_number(circuity, name="circuity")
    time_limit = positive_number(time_limit, name="time_limit")
    centroids = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
    d = _area_values(demand, centroids.index, name="demand")
    candidates = to_bng(candidates, what="candidates")
    if existing is not None:
        existing = to_bng(existing, what="existing")
        if "tier" in existing.columns:
            existing = tiered(existing, what="existing")
            existing = existing[existing["tier"].eq(1).to_numpy()]
        candidates = candidates[~candidates.index.isin(existing.index)]
    else:
        existing = candidates.iloc[:0]
    if candidates.empty:
        raise InclusionGeoError(
            "candidates is empty (after leaving out sites already among existing): there is "
            "nothing to choose from. Pass venues (e.g. the register's tier-2 places) or your own sites."
        )
    if k > len(candidates):
        raise InclusionGeoError(
            f"k={k} but there are only {len(candidates)} candidate sites (not counting existing "
            f"places); lower k to at most {len(candidates)} or add candidates."
        )
    cap_old = cap_new = None
    if capacity is not None:
        cap_new = _site_values(capacity, candidates, name="capacity", what="candidates")
        cap_old = _site_values(capacity, existing, name="capacity", what="existing")
        if not (cap_new > 0).any():
            raise InclusionGeoError(
                f"capacity is 0 for all {len(candidates)} candidates, so no new site could cover "
                "anyone; give each site the demand it can serve (e.g. yearly_capacity(register)),"
                " or leave capacity out for uncapacitated coverage."
            )
    if (budget is None) != (cost is None):
        raise InclusionGeoError(
            "budget and cost go together: give both (cost per candidate, the most to spend) or neither."
        )
    cost_new = None
    if budget is not None:
        budget = positive_number(budget, name="budget")
        cost_new = _site_values(cost, candidates, name="cost", what="candidates")
        if cost_new.min() > budget:
            raise InclusionGeoError(
                f"budget={budget:g} is below the cheapest candidate's cost ({cost_new.min():g}); "
                "raise the budget or add cheaper candidates."
            )
    ward_of = _labels(wards, centroids.index, name="wards")
    groups = _labels(min_cover_by if min_cover_by is not None else wards, centroids.index,
                     name="min_cover_by") if min_share is not None else None  # fmt: skip
    if min_share is not None:
        if groups is None:
            raise InclusionGeoError(
                "min_share needs min_cover_by (or wards): a ward code per area."
            )
        min_share = float(min_share)
        if not 0 <= min_share <= 1:
            raise InclusionGeoError(f"min_share must be between 0 and 1, got {min_share!r}.")
        if ward_of is None:
            ward_of = groups

    tree = cKDTree(_xy(centroids))
    radius = catchment_m / circuity
    problem = _Covering(
        d, _reach(tree, len(d), existing, radius), _reach(tree, len(d), candidates, radius),
        cap_old, cap_new, cost_new, budget, int(k), groups, min_share,
    )  # fmt: skip
    if min_share is not None:
        _check_ward_minimum(problem, min_share)

    # the greedy comparison: the project's greedy solver, then the same capacities
    covered_old = pd.Series(problem.old_hit, index=centroids.index)
    picks = select_sites(centroids, demand.reindex(centroids.index), candidates, k=int(k),
                         catchment_m=catchment_m, circuity=circuity,
                         already_covered=covered_old)  # fmt: skip
    greedy_pos = [candidates.index.get_loc(s) for s in (picks["site"] if len(picks) else [])]
    if budget is not None:
        spent = np.cumsum(cost_new[greedy_pos]) if greedy_pos else np.zeros(0)
        greedy_pos = greedy_pos[: int((spent <= budget + _TOL).sum())]
    greedy_mask = np.zeros(problem.n, dtype=bool)
    greedy_mask[greedy_pos] = True
    greedy_eval = problem.evaluate(greedy_mask)
    greedy_covered = float(greedy_eval[0].sum())
    greedy_ok = problem.meets_wards(greedy_eval[0])

    res, seconds, chosen, found = problem.solve(time_limit)
    if res.status == 2:
        raise InclusionGeoError(
            f"No choice of at most k={k} sites"
            + (f" within budget={budget:g}" if budget is not None else "")
            + (f" covers min_share={min_share:g} of every ward's demand" if min_share is not None else "")
            + ": raise k" + (" or the budget" if budget is not None else "")
            + (", or lower min_share." if min_share is not None else ".")
        )  # fmt: skip
    if res.status not in (0, 1):
        raise InclusionGeoError(f"The solver failed: {res.message}")
    optimal = res.status == 0
    used_greedy = False
    if chosen is None or (not optimal and greedy_ok and greedy_covered > found[0].sum() + _TOL):
        if not greedy_ok:
            raise InclusionGeoError(
                f"No plan meeting min_share={min_share:g} in every ward was found within "
                f"time_limit={time_limit:g} s; raise time_limit."
            )
        chosen, found, used_greedy = greedy_mask, greedy_eval, True
    per_area, per_site, z = found
    covered = float(per_area.sum())
    before = problem.evaluate(np.zeros(problem.n, dtype=bool))[0]
    existing_covered = float(before.sum())
    bound = covered if optimal else min(_dual_bound(res), _fallback_bound(problem, picks, k))
    total = float(d.sum())

    sites = _sites_table(problem, chosen, per_site, z, candidates, ward_of, existing_covered,
                         cost_new)  # fmt: skip
    areas = pd.DataFrame({"demand": d, "covered_before": before, "covered_after": per_area},
                         index=centroids.index)  # fmt: skip
    if ward_of is not None:
        areas["ward"] = ward_of
    gap = 0.0 if optimal else _gap(bound, covered)
    # floating-point noise can put greedy a hair above the optimum: never a negative gap
    greedy_gap = max(0.0, (covered - greedy_covered) / covered) if covered > 0 else 0.0
    share = covered / total if total > 0 else float("nan")
    if optimal:
        status = f"optimal (proven, {seconds:.2f} s)"
    else:
        status = (
            f"time limit of {time_limit:g} s reached: the best plan found"
            + (
                (
                    " (the greedy plan: the solver had found none)"
                    if res.x is None
                    else " (the greedy plan, better than the solver's)"
                )
                if used_greedy
                else ""
            )
            + f" is within {gap:.2%} of the best possible (proven bound {bound:,.1f})"
        )
    status += (
        f": {len(sites)} new site(s) and {len(existing)} existing place(s) cover "
        f"{covered:,.0f} of {total:,.0f} ({share:.1%}); greedy covers {greedy_covered:,.0f} "
        f"({greedy_gap:.2%} less)"
        + ("" if greedy_ok else f", and does not meet min_share={min_share:g} in every ward")
        + "."
    )
    return SitePlan(
        sites=sites, areas=areas, covered=covered, share=share, total_demand=total,
        existing_covered=existing_covered, optimal=optimal, bound=bound, gap=gap,
        greedy_covered=greedy_covered, greedy_gap=greedy_gap,
        greedy_sites=tuple(candidates.index[greedy_pos]), solve_seconds=seconds, status=status,
    )  # fmt: skip


def yearly_capacity(register: gpd.GeoDataFrame, *, hours_per_person: float = HOURS_PER_PERSON,
                    default_hours=None, default_capacity=None) -> pd.Series:  # fmt: skip
    """People each place could help in a year: ``52 x capacity x hours_per_week / h``.

    The person-hours of :func:`~inclusion_geo.assets.weekly_supply` (with its flagged defaults
    where hours or capacity are unknown; tier 3 offers none) over a year, divided by
    ``hours_per_person`` (``h``, person-hours one person needs, default 6), as in
    :func:`~inclusion_geo.assets.support_coverage`. Use it as :func:`plan_sites`'s
    ``capacity`` when demand counts people.

    Returns
    -------
    Series
        Indexed like the register's included places, named ``people_per_year``.
    """
    h = positive_number(hours_per_person, name="hours_per_person")
    week = weekly_supply(register, default_hours=default_hours, default_capacity=default_capacity)
    return (week["supply_hours_per_week"] * 52.0 / h).rename("people_per_year")


# ----------------------------------------------------------------------------- closures
@dataclass(frozen=True)
class ClosureScenario:
    """What closing places, or cutting their hours, does to who can reach tier-1 help.

    Attributes
    ----------
    wards : DataFrame
        One row per ward (index ``ward``): ``residents``, ``residents_in_reach_before``,
        ``residents_in_reach_after``, ``residents_newly_out_of_reach``; the same four for
        ``demand`` (e.g. offline adults) when given; ``support_hours_before``,
        ``support_hours_after`` and ``support_hours_change``: weekly person-hours of tier-1 help
        shared out to the ward's residents at risk (E2SFCA, :func:`~inclusion_geo.assets.support_hours`).
    areas : DataFrame
        The areas affected (newly out of reach, or losing support hours), indexed by area code:
        ``ward``, ``residents``, ``demand``, ``dist_tier1_before_m``, ``dist_tier1_after_m``,
        ``newly_out_of_reach``, ``support_hours_before``, ``support_hours_after``; newly out of
        reach first, then by hours lost.
    places : DataFrame
        The places named, indexed by id: ``name``, ``tier``, ``action``, ``hours_per_week_before``,
        ``hours_per_week_after``, ``supply_hours_before``, ``supply_hours_after`` (person-hours a
        week, :func:`~inclusion_geo.assets.weekly_supply`, its defaults where unknown).
    residents_newly_out_of_reach, demand_newly_out_of_reach : float
        Totals over all wards (``nan`` for demand when not given).
    opening_hours_before, opening_hours_after : float
        Weekly opening hours of all included tier-1 places together.
    supply_hours_before, supply_hours_after : float
        Weekly person-hours of help of all included tier-1 places together.
    """

    wards: pd.DataFrame
    areas: pd.DataFrame
    places: pd.DataFrame
    residents_newly_out_of_reach: float
    demand_newly_out_of_reach: float
    opening_hours_before: float
    opening_hours_after: float
    supply_hours_before: float
    supply_hours_after: float


def _norm(text: object) -> str:
    return " ".join(str(text).casefold().split())


def _match_places(register: pd.DataFrame, close) -> list:
    """Register ids for the ids or names in ``close``; unknown or ambiguous names raise."""
    tokens = [close] if isinstance(close, str) or not isinstance(close, Iterable) else list(close)
    if not tokens:
        raise InclusionGeoError("close is empty; name at least one place (its id or name).")
    ids = [str(i) for i in register.index]
    by_id = dict(zip(ids, register.index, strict=True))
    names = {c: register[c].map(_norm) for c in ("display_name", "name") if c in register}
    found = []
    for token in tokens:
        if str(token) in by_id:
            found.append(by_id[str(token)])
            continue
        hit = np.zeros(len(register), dtype=bool)
        for col in names.values():
            hit |= (col == _norm(token)).to_numpy()
        if hit.sum() == 1:
            found.append(register.index[hit][0])
        elif hit.sum() > 1:
            listed = [
                f"{i} ({n})"
                for i, n in zip(register.index[hit], _names(register[hit]), strict=True)
            ]
            raise InclusionGeoError(
                f"close: {token!r} names {int(hit.sum())} places: {listed[:10]}. Give the id of "
                "the one to close."
            )
        else:
            pool = sorted({n for n in _names(register) if n} | set(ids))
            near = difflib.get_close_matches(str(token), pool, n=5, cutoff=0.6)
            near = near or difflib.get_close_matches(_norm(token), [_norm(p) for p in pool], n=5)
            raise InclusionGeoError(
                f"close: no place in the register has the id or name {token!r}."
                + (f" Near matches: {near}." if near else "")
                + " Give an id (the register's index) or a name as the register spells it."
            )
    return list(dict.fromkeys(found))


def closure_scenario(
    register: gpd.GeoDataFrame,
    centroids: gpd.GeoSeries,
    population: pd.Series,
    *,
    close,
    catchment_m: float = 1600.0,
    demand: pd.Series | None = None,
    hours_cut: float | None = None,
    wards: pd.Series | None = None,
    circuity: float = 1.0,
) -> ClosureScenario:
    """Who is newly out of reach of any tier-1 place if named places close or cut their hours.

    An area is in reach when its centroid is within ``catchment_m`` of an included tier-1 place
    (:func:`~inclusion_geo.assets.access_by_tier`). Closing places removes them; ``hours_cut``
    instead keeps them open with their weekly hours cut by that fraction, so nobody loses reach
    but the hours of help shared out to each ward fall (E2SFCA with ``max_cost=catchment_m``,
    demand = ``demand`` where given, else residents).

    Parameters
    ----------
    register
        An asset register (:func:`inclusion_geo.register.build_register`): ``tier``,
        ``include``, names, ``hours_per_week``, ``capacity``.
    centroids
        Population-weighted centroids, indexed by area code.
    population
        Residents per area.
    close
        The places: ids (the register's index) or names (``display_name`` or ``name``, any
        case), one or a list. An unknown name raises with near matches.
    catchment_m
        Reach, in metres (after ``circuity``).
    demand
        Optional people at risk per area (e.g. estimated offline adults).
    hours_cut
        A fraction between 0 and 1: cut the places' hours instead of closing them.
    wards
        Ward code per area (default: one group, ``"all"``).
    circuity
        Factor applied to straight-line distances.

    Returns
    -------
    ClosureScenario

    Example
    -------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import Point
    >>> areas = gpd.GeoSeries([Point(0, 0), Point(3000, 0)], index=["a", "b"], crs=27700)
    >>> reg = gpd.GeoDataFrame({"name": ["West Library", "East Library"], "tier": [1, 1],
    ...     "include": [True, True], "hours_per_week": [30.0, 20.0], "capacity": [4.0, 4.0]},
    ...     index=["w", "e"], geometry=[Point(100, 0), Point(3100, 0)], crs=27700)
    >>> s = closure_scenario(reg, areas, pd.Series({"a": 1500, "b": 900}), close="east library")
    >>> s.residents_newly_out_of_reach, s.supply_hours_before - s.supply_hours_after
    (900.0, 80.0)
    """
    catchment_m = positive_number(catchment_m, name="catchment_m")
    circuity = positive_number(circuity, name="circuity")
    centroids = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
    index = centroids.index
    residents = _area_values(population, index, name="population")
    need = _area_values(demand, index, name="demand") if demand is not None else None
    ward = _labels(wards, index, name="wards")
    ward = np.full(len(index), "all", dtype=object) if ward is None else ward
    if hours_cut is not None:
        hours_cut = float(hours_cut)
        if not 0 < hours_cut < 1:
            raise InclusionGeoError(
                f"hours_cut must be a fraction between 0 and 1 (0.5 = half the hours), got "
                f"{hours_cut!r}; to close the places, leave hours_cut out."
            )
    ids = _match_places(register, close)
    reg = tiered(register, what="register")
    dropped = [i for i in ids if i not in reg.index]
    if dropped:
        raise InclusionGeoError(
            f"close: {dropped} are excluded from the register (include is false), so they count "
            "for nothing already; name included places."
        )
    week = weekly_supply(reg)
    after = reg.drop(index=ids)
    if hours_cut is not None:
        after = reg.copy()
        after["hours_per_week"] = week["hours_per_week"].where(~reg.index.isin(ids),
                                                               week["hours_per_week"] * (1 - hours_cut))  # fmt: skip
    week_after = weekly_supply(after)

    at_risk = pd.Series(need if need is not None else residents, index=index)
    state = {}
    for label, places in (("before", reg), ("after", after)):
        dist = access_by_tier(centroids, places, catchments_m=[catchment_m], circuity=circuity)
        hours = _shared_hours(centroids, at_risk, places, catchment_m, circuity)
        state[label] = (dist["dist_tier1_m"].to_numpy(), hours)
    reach_before = state["before"][0] <= catchment_m
    reach_after = state["after"][0] <= catchment_m
    lost = reach_before & ~reach_after

    columns = {"residents": residents}
    if need is not None:
        columns["demand"] = need
    table = {}
    for key, values in columns.items():
        table[key] = values
        table[f"{key}_in_reach_before"] = np.where(reach_before, values, 0.0)
        table[f"{key}_in_reach_after"] = np.where(reach_after, values, 0.0)
        table[f"{key}_newly_out_of_reach"] = np.where(lost, values, 0.0)
    table["support_hours_before"] = state["before"][1]
    table["support_hours_after"] = state["after"][1]
    by_ward = pd.DataFrame(table, index=index).groupby(ward).sum()
    by_ward.index.name = "ward"
    by_ward["support_hours_change"] = (
        by_ward["support_hours_after"] - by_ward["support_hours_before"]
    )

    areas = pd.DataFrame(
        {
            "ward": ward,
            "residents": residents,
            "demand": need if need is not None else np.nan,
            "dist_tier1_before_m": state["before"][0],
            "dist_tier1_after_m": state["after"][0],
            "newly_out_of_reach": lost,
            "support_hours_before": state["before"][1],
            "support_hours_after": state["after"][1],
        },
        index=index,
    )
    change = areas["support_hours_after"] - areas["support_hours_before"]
    affected = lost | (change < -_TOL * np.maximum(areas["support_hours_before"], 1)).to_numpy()
    areas = (
        areas[affected]
        .assign(_c=change[affected])
        .sort_values(["newly_out_of_reach", "_c"], ascending=[False, True])
        .drop(columns="_c")
    )

    tier1, tier1_after = week["tier"].eq(1), week_after["tier"].eq(1)
    places = pd.DataFrame(
        {
            "name": _names(reg.loc[ids]),
            "tier": reg.loc[ids, "tier"].to_numpy(),
            "action": "closed" if hours_cut is None else f"hours cut by {hours_cut:.0%}",
            "hours_per_week_before": week.loc[ids, "hours_per_week"].to_numpy(),
            "hours_per_week_after": 0.0
            if hours_cut is None
            else week_after.loc[ids, "hours_per_week"].to_numpy(),
            "supply_hours_before": week.loc[ids, "supply_hours_per_week"].to_numpy(),
            "supply_hours_after": 0.0
            if hours_cut is None
            else week_after.loc[ids, "supply_hours_per_week"].to_numpy(),
        },
        index=pd.Index(ids, name=reg.index.name or "id"),
    )
    return ClosureScenario(
        wards=by_ward,
        areas=areas,
        places=places,
        residents_newly_out_of_reach=float(residents[lost].sum()),
        demand_newly_out_of_reach=float(need[lost].sum()) if need is not None else float("nan"),
        opening_hours_before=float(week.loc[tier1, "hours_per_week"].sum()),
        opening_hours_after=float(week_after.loc[tier1_after, "hours_per_week"].sum()),
        supply_hours_before=float(week.loc[tier1, "supply_hours_per_week"].sum()),
        supply_hours_after=float(week_after.loc[tier1_after, "supply_hours_per_week"].sum()),
    )


def _shared_hours(
    centroids, at_risk: pd.Series, places, catchment_m: float, circuity: float
) -> np.ndarray:
    """Weekly person-hours of tier-1 help shared out to each area, ``A_i P_i / 1000``."""
    if not places["tier"].eq(1).any():
        return np.zeros(len(centroids))
    per_1000 = support_hours(centroids, at_risk, places, max_cost=catchment_m, circuity=circuity)
    return per_1000[SUPPLY_COLUMN].to_numpy() * at_risk.to_numpy(dtype=float) / 1000.0


# ----------------------------------------------------------------------------- pop-up rota
@dataclass(frozen=True)
class Rota:
    """A week of pop-up sessions: which site, which day.

    Attributes
    ----------
    sessions : DataFrame
        One row per session, in the order a greedy pass over them adds value: ``order``,
        ``site``, ``name``, ``day``, ``demand_in_reach`` and ``marginal_value``.
    areas : DataFrame
        Indexed like the centroids: ``demand`` and ``days_reached`` (distinct days with a
        session in reach).
    value : float
        The objective: ``sum_i d_i (1 + 1/2 + ... + 1/2^(n_i - 1))`` over areas reached on
        ``n_i`` distinct days (at most twice the demand).
    reached, total_demand : float
        Demand in reach of at least one session, and all demand.
    optimal, bound, gap, greedy_value, greedy_gap, solve_seconds, status
        As in :class:`SitePlan`, for ``value``.
    assumed_open : tuple
        Candidates whose open days were not known and were taken as every day.
    """

    sessions: pd.DataFrame
    areas: pd.DataFrame
    value: float
    reached: float
    total_demand: float
    optimal: bool
    bound: float
    gap: float
    greedy_value: float
    greedy_gap: float
    solve_seconds: float
    status: str
    assumed_open: tuple


def popup_rota(
    demand: pd.Series,
    centroids: gpd.GeoSeries,
    candidates: gpd.GeoDataFrame,
    *,
    k: int,
    catchment_m: float = 1600.0,
    days: Sequence[str] = DAYS,
    opening: Mapping | None = None,
    circuity: float = 1.0,
    time_limit: float = 10.0,
) -> Rota:
    """Choose ``k`` weekly pop-up sessions (a site on a day) that reach the most demand.

    A site can host one session a day, on the days it is open: from ``opening``
    (``{site id: set of days}``), else from its ``opening_hours`` text (a plain week; a text
    that is missing or cannot be read counts as open every day, listed in ``assumed_open``),
    else every day. An area's demand counts in full on the first day a session is within reach,
    half on a second distinct day, a quarter on a third, and so on (``d_i (2 - 2^(1 - n_i))``
    for ``n_i`` days): a second day helps people who cannot come on the first, but less than
    reaching new people; two sessions in reach on the same day add nothing. Solved exactly
    (``scipy.optimize.milp``); a greedy rota (within 63 % of the best, as the value is
    submodular) is the comparison and the fallback if ``time_limit`` stops the solver.

    Parameters
    ----------
    demand, centroids, candidates, catchment_m, circuity, time_limit
        As in :func:`plan_sites`.
    k
        Sessions a week.
    days
        The days sessions may run (``DAYS`` spelling).
    opening
        Open days by candidate id, overriding ``opening_hours``.

    Returns
    -------
    Rota

    Example
    -------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import Point
    >>> areas = gpd.GeoSeries([Point(0, 0), Point(5000, 0)], index=["a", "b"], crs=27700)
    >>> halls = gpd.GeoDataFrame({"name": ["Hall A", "Hall B"],
    ...     "opening_hours": ["Mo 10:00-12:00", "Tu,Th 18:00-20:00"]},
    ...     index=["ha", "hb"], geometry=[Point(0, 100), Point(5000, 100)], crs=27700)
    >>> rota = popup_rota(pd.Series({"a": 100, "b": 60}), areas, halls, k=3, catchment_m=800)
    >>> rota.sessions[["site", "day"]].values.tolist(), rota.value
    ([['ha', 'Mo'], ['hb', 'Tu'], ['hb', 'Th']], 190.0)
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InclusionGeoError(f"k must be a whole number of sessions, at least 1, got {k!r}.")
    catchment_m = positive_number(catchment_m, name="catchment_m")
    circuity = positive_number(circuity, name="circuity")
    time_limit = positive_number(time_limit, name="time_limit")
    days = [days] if isinstance(days, str) else list(days)
    if not days or set(days) - set(DAYS) or len(set(days)) < len(days):
        raise InclusionGeoError(f"days={days!r}; give distinct days from {list(DAYS)}.")
    centroids = to_bng(gpd.GeoDataFrame(geometry=centroids), what="centroids").geometry
    d = _area_values(demand, centroids.index, name="demand")
    candidates = to_bng(candidates, what="candidates")
    if candidates.empty:
        raise InclusionGeoError("candidates is empty: there are no sites to run sessions at.")
    allowed, assumed = _allowed(candidates, days, opening)
    if allowed.sum() < k:
        raise InclusionGeoError(
            f"k={k} sessions but the candidates are open for only {int(allowed.sum())} "
            f"site-days among {days}; lower k, allow more days, or add candidates."
        )
    reach = _reach(cKDTree(_xy(centroids)), len(d), candidates, catchment_m / circuity)

    greedy, greedy_days = _rota_greedy(d, reach, allowed, int(k))
    greedy_value = _rota_value(d, greedy_days)
    res, seconds = _run_milp(*_rota_model(d, reach, allowed, int(k)), time_limit)
    optimal = res.status == 0
    chosen = np.zeros_like(allowed)
    if res.x is not None:
        sessions = np.argwhere(allowed)
        chosen[tuple(sessions[res.x[: len(sessions)] > 0.5].T)] = True
    used_greedy = res.x is None or (
        not optimal and greedy_value > _rota_value(d, _days_of(reach, chosen)) + _TOL
    )
    if used_greedy:
        chosen = np.zeros_like(allowed)
        for j, t, _ in greedy:
            chosen[j, t] = True
    order, n_days = _rota_greedy(d, reach, allowed, int(chosen.sum()), only=chosen)
    value = _rota_value(d, n_days)
    bound = value if optimal else min(_dual_bound(res), 2.0 * float(d.sum()),
                                      greedy_value / (1 - np.exp(-1)))  # fmt: skip
    gap = 0.0 if optimal else _gap(bound, value)
    greedy_gap = max(0.0, (value - greedy_value) / value) if value > 0 else 0.0
    names = _names(candidates)
    in_reach = np.asarray(reach.T.astype(float) @ d).ravel()
    table = pd.DataFrame(
        [{"order": r, "site": candidates.index[j], "name": names[j], "day": days[t],
          "demand_in_reach": float(in_reach[j]), "marginal_value": gain}
         for r, (j, t, gain) in enumerate(order, start=1) if gain > _TOL or r == 1],
        columns=["order", "site", "name", "day", "demand_in_reach", "marginal_value"],
    )  # fmt: skip
    reached = float(d[n_days > 0].sum())
    status = (
        f"optimal (proven, {seconds:.2f} s)" if optimal
        else f"time limit of {time_limit:g} s reached: within {gap:.2%} of the best possible"
        + (" (the greedy rota)" if used_greedy else "")
    ) + (
        f": {len(table)} session(s) reach {reached:,.0f} of {float(d.sum()):,.0f}, value "
        f"{value:,.0f}; greedy {greedy_value:,.0f} ({greedy_gap:.2%} less)"
        + (f"; open days assumed for {len(assumed)} site(s) with unknown hours" if assumed else "")
        + "."
    )  # fmt: skip
    return Rota(
        sessions=table,
        areas=pd.DataFrame({"demand": d, "days_reached": n_days}, index=centroids.index),
        value=value, reached=reached, total_demand=float(d.sum()), optimal=optimal, bound=bound,
        gap=gap, greedy_value=greedy_value, greedy_gap=greedy_gap, solve_seconds=seconds,
        status=status, assumed_open=tuple(assumed),
    )  # fmt: skip

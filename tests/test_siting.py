"""Exact site planning, closures and pop-up rotas: checked against brute force on small random
instances, hand-worked examples and (with ``shared_data``) Leeds."""

from __future__ import annotations

import itertools
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow
from shapely.geometry import Point

from inclusion_geo._errors import DataQualityError, InclusionGeoError
from inclusion_geo.siting import (
    closure_scenario,
    plan_sites,
    popup_rota,
    yearly_capacity,
)
from tests.hostile import HOSTILE, PRINTABLE

R = 1000.0  # catchment of the random instances, metres


def instance(seed: int, n_areas=14, n_cand=7, n_old=2, size=4000.0):
    """Random areas, candidates and existing sites on a square; integer demand."""
    rng = np.random.default_rng(seed)
    area_xy = rng.uniform(0, size, (n_areas, 2))
    cand_xy = rng.uniform(0, size, (n_cand, 2))
    old_xy = rng.uniform(0, size, (n_old, 2))
    areas = gpd.GeoSeries(gpd.points_from_xy(*area_xy.T), crs=27700,
                          index=pd.Index([f"E0{i:07d}" for i in range(n_areas)], name="lsoa11cd"))  # fmt: skip
    cand = gpd.GeoDataFrame({"name": [f"Venue {j}" for j in range(n_cand)]},
                            index=[f"c{j}" for j in range(n_cand)],
                            geometry=gpd.points_from_xy(*cand_xy.T), crs=27700)  # fmt: skip
    old = gpd.GeoDataFrame({"name": [f"Library {j}" for j in range(n_old)]},
                           index=[f"o{j}" for j in range(n_old)],
                           geometry=gpd.points_from_xy(*old_xy.T), crs=27700)  # fmt: skip
    demand = pd.Series(rng.integers(0, 60, n_areas).astype(float), index=areas.index)

    def reach(xy):  # independent of the library's distance code: plain numpy
        return np.hypot(*(area_xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) <= R

    return areas, cand, old, demand, reach(cand_xy), reach(old_xy), rng


def brute_uncapacitated(d, reach_new, reach_old, k, *, ok=lambda hit: True):
    best = -1.0
    for r in range(k + 1):
        for subset in itertools.combinations(range(reach_new.shape[1]), r):
            hit = reach_old.any(axis=1) | reach_new[:, list(subset)].any(axis=1)
            if ok(hit):
                best = max(best, float(d[hit].sum()))
    return best


def flow_cover(d, reach, cap) -> float:
    """Most demand a set of capacitated sites can serve: a max flow (integer data)."""
    n_a, n_s = reach.shape
    size = n_a + n_s + 2
    src, sink = size - 2, size - 1
    rows, cols, vals = [], [], []
    for i in range(n_a):
        rows.append(src), cols.append(i), vals.append(int(d[i]))
        for j in np.flatnonzero(reach[i]):
            rows.append(i), cols.append(n_a + j), vals.append(int(d[i]))
    for j in range(n_s):
        rows.append(n_a + j), cols.append(sink), vals.append(int(cap[j]))
    graph = csr_matrix((np.array(vals, dtype=np.int32), (rows, cols)), shape=(size, size))
    return float(maximum_flow(graph, src, sink).flow_value)


@pytest.mark.parametrize("seed", range(6))
def test_exact_matches_brute_force_uncapacitated_with_existing_kept(seed):
    areas, cand, old, demand, reach_new, reach_old, _ = instance(seed)
    plan = plan_sites(demand, areas, cand, k=3, catchment_m=R, existing=old)
    best = brute_uncapacitated(demand.to_numpy(), reach_new, reach_old, 3)
    assert plan.optimal and plan.gap == 0
    assert plan.covered == pytest.approx(best)
    assert plan.covered >= plan.greedy_covered - 1e-9
    assert plan.greedy_gap == pytest.approx((plan.covered - plan.greedy_covered) / plan.covered)
    assert not set(plan.sites["site"]) & set(old.index)  # existing places are not chosen again
    assert plan.existing_covered == pytest.approx(demand[reach_old.any(axis=1)].sum())
    # the table adds up: existing + marginal gains in greedy order = covered
    assert plan.existing_covered + plan.sites["marginal_gain"].sum() == pytest.approx(plan.covered)
    assert plan.sites["marginal_gain"].is_monotonic_decreasing
    assert plan.areas["covered_after"].sum() == pytest.approx(plan.covered)
    assert plan.share == pytest.approx(plan.covered / demand.sum())


@pytest.mark.parametrize("seed", range(6))
def test_exact_matches_brute_force_capacitated_with_existing_kept(seed):
    areas, cand, old, demand, reach_new, reach_old, rng = instance(seed)
    cap = pd.Series(rng.integers(0, 90, len(cand) + len(old)).astype(float),
                    index=list(cand.index) + list(old.index))  # fmt: skip
    cap_new, cap_old = cap[cand.index].to_numpy(), cap[old.index].to_numpy()
    if not (cap_new > 0).any():
        cap_new[0] = cap[cand.index[0]] = 10.0
    d = demand.to_numpy()
    best = max(
        flow_cover(
            d,
            np.hstack([reach_old, reach_new[:, list(s)]]),
            np.concatenate([cap_old, cap_new[list(s)]]),
        )  # fmt: skip
        for s in itertools.combinations(range(len(cand)), 3)
    )
    plan = plan_sites(demand, areas, cand, k=3, catchment_m=R, existing=old, capacity=cap)
    assert plan.optimal
    assert plan.covered == pytest.approx(best)
    assert plan.covered >= plan.greedy_covered - 1e-6
    assert plan.existing_covered == pytest.approx(flow_cover(d, reach_old, cap_old))
    served = plan.sites.set_index("site")["demand_covered"]
    assert (served <= cap_new[[cand.index.get_loc(s) for s in served.index]] + 1e-6).all()
    assert (plan.areas["covered_after"] <= plan.areas["demand"] + 1e-6).all()


def test_ward_minimum_and_budget_against_brute_force():
    areas, cand, old, demand, reach_new, reach_old, rng = instance(11, n_areas=16, n_cand=8)
    d = demand.to_numpy()
    wards = pd.Series(np.where(np.arange(16) < 8, "W1", "W2"), index=areas.index)
    reach_any = reach_old.any(axis=1) | reach_new.any(axis=1)
    cap_share = min(d[reach_any & (wards == w).to_numpy()].sum() / d[(wards == w).to_numpy()].sum()
                    for w in ("W1", "W2"))  # fmt: skip
    share = round(0.8 * cap_share, 3)

    def meets(hit):
        return all(d[hit & (wards == w).to_numpy()].sum() >= share * d[(wards == w).to_numpy()].sum() - 1e-9
                   for w in ("W1", "W2"))  # fmt: skip

    best = brute_uncapacitated(d, reach_new, reach_old, 2, ok=meets)
    plan = plan_sites(demand, areas, cand, k=2, catchment_m=R, existing=old,
                      min_cover_by=wards, min_share=share)  # fmt: skip
    assert plan.optimal and plan.covered == pytest.approx(best)
    got = plan.areas.groupby("ward")[["covered_after", "demand"]].sum()
    assert (got["covered_after"] >= share * got["demand"] - 1e-6).all()
    assert set(";".join(plan.sites["wards_served"]).replace(" ", "").split(";")) <= {"W1", "W2"}

    cost = pd.Series(rng.integers(1, 10, len(cand)).astype(float), index=cand.index)
    budget = 9.0
    best_b = -1.0
    for r in range(4):
        for s in itertools.combinations(range(len(cand)), r):
            if cost.iloc[list(s)].sum() <= budget:
                hit = reach_old.any(axis=1) | reach_new[:, list(s)].any(axis=1)
                best_b = max(best_b, float(d[hit].sum()))
    plan_b = plan_sites(demand, areas, cand, k=3, catchment_m=R, existing=old, budget=budget,
                        cost=cost)  # fmt: skip
    assert plan_b.optimal and plan_b.covered == pytest.approx(best_b)
    assert plan_b.sites["cost"].sum() <= budget
    assert cost[list(plan_b.greedy_sites)].sum() <= budget


def test_exact_beats_greedy_where_greedy_is_short_sighted():
    """Greedy takes the middle site (12) first and ends at 17; the two outer sites cover 22."""
    areas = gpd.GeoSeries(
        [Point(x, 0) for x in (0, 1000, 2000, 3000)], index=list("abcd"), crs=27700
    )
    sites = gpd.GeoDataFrame({"name": ["Left", "Middle", "Right"]}, index=["L", "M", "R"],
                             geometry=[Point(500, 0), Point(1500, 0), Point(2500, 0)], crs=27700)  # fmt: skip
    demand = pd.Series([5.0, 6.0, 6.0, 5.0], index=list("abcd"))
    wards = pd.Series(["W1", "W1", "W2", "W2"], index=list("abcd"))
    plan = plan_sites(demand, areas, sites, k=2, catchment_m=600, wards=wards)
    assert sorted(plan.sites["site"]) == ["L", "R"] and plan.covered == 22
    assert plan.greedy_sites[0] == "M" and plan.greedy_covered == 17
    assert plan.greedy_gap == pytest.approx(5 / 22)
    assert plan.sites["wards_served"].tolist() == ["W1", "W2"]
    assert plan.sites["marginal_gain"].tolist() == [11.0, 11.0]
    assert "optimal" in plan.status and "greedy covers 17" in plan.status


def test_time_limit_returns_the_best_plan_with_its_gap():
    rng = np.random.default_rng(0)
    pts, cs = rng.uniform(0, 20000, (3000, 2)), rng.uniform(0, 20000, (400, 2))
    areas = gpd.GeoSeries(
        gpd.points_from_xy(*pts.T), index=[f"a{i}" for i in range(3000)], crs=27700
    )
    cand = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*cs.T), index=[f"s{j}" for j in range(400)],
                            crs=27700)  # fmt: skip
    demand = pd.Series(rng.integers(1, 1000, 3000).astype(float), index=areas.index)
    plan = plan_sites(demand, areas, cand, k=20, catchment_m=1500, time_limit=0.01)
    assert not plan.optimal
    assert 0 < plan.gap < np.inf and plan.bound > plan.covered
    assert plan.gap == pytest.approx((plan.bound - plan.covered) / plan.covered)
    assert plan.covered >= plan.greedy_covered and len(plan.sites) <= 20
    assert "time limit of 0.01 s reached" in plan.status


def test_bad_inputs_say_which_input_and_what_to_change():
    areas, cand, old, demand, *_ = instance(3)
    with pytest.raises(InclusionGeoError, match=r"k=9 but there are only 7 candidate.*lower k"):
        plan_sites(demand, areas, cand, k=9, catchment_m=R)
    with pytest.raises(InclusionGeoError, match="k must be"):
        plan_sites(demand, areas, cand, k=0, catchment_m=R)
    with pytest.raises(InclusionGeoError, match=r"capacity is 0 for all 7 candidates"):
        plan_sites(demand, areas, cand, k=2, catchment_m=R, capacity=0)
    with pytest.raises(DataQualityError, match=r"capacity is missing or negative .* of existing"):
        plan_sites(demand, areas, cand, k=2, catchment_m=R, existing=old,
                   capacity=pd.Series(5.0, index=cand.index))  # fmt: skip
    with pytest.raises(DataQualityError, match=r"demand is negative for 1 area"):
        plan_sites(
            demand.where(demand.index != demand.index[2], -4), areas, cand, k=2, catchment_m=R
        )
    with pytest.raises(DataQualityError, match=r"demand is missing .* for 1 area"):
        plan_sites(demand.iloc[1:], areas, cand, k=2, catchment_m=R)
    with pytest.raises(InclusionGeoError, match="candidates is empty"):
        plan_sites(demand, areas, cand.iloc[:0], k=1, catchment_m=R)
    with pytest.raises(InclusionGeoError, match="candidates is empty"):  # all already existing
        plan_sites(demand, areas, cand, k=1, catchment_m=R, existing=cand)
    with pytest.raises(InclusionGeoError, match="budget and cost go together"):
        plan_sites(demand, areas, cand, k=2, catchment_m=R, budget=10)
    with pytest.raises(InclusionGeoError, match="below the cheapest"):
        plan_sites(demand, areas, cand, k=2, catchment_m=R, budget=1, cost=5)
    with pytest.raises(InclusionGeoError, match="min_share needs min_cover_by"):
        plan_sites(demand, areas, cand, k=2, catchment_m=R, min_share=0.5)
    wards = pd.Series("W1", index=areas.index)
    with pytest.raises(InclusionGeoError, match="between 0 and 1"):
        plan_sites(demand, areas, cand, k=2, catchment_m=R, min_cover_by=wards, min_share=1.5)
    # a ward nobody can reach: no choice of sites meets any minimum there
    far = areas.copy()
    far.iloc[0] = Point(90000, 90000)
    lone = pd.Series(["W1"] + ["W2"] * (len(areas) - 1), index=areas.index)
    need = demand.copy()
    need.iloc[0] = 10
    with pytest.raises(
        InclusionGeoError, match=r"cannot be met in 1 ward.*W1 \(at most 0.0%\).*Lower min_share"
    ):
        plan_sites(need, far, cand, k=2, catchment_m=R, min_cover_by=lone, min_share=0.1)


def test_ward_minimum_that_needs_more_sites_than_k_is_an_error():
    areas = gpd.GeoSeries([Point(0, 0), Point(5000, 0)], index=["a", "b"], crs=27700)
    sites = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(5000, 0)], index=["x", "y"], crs=27700)
    wards = pd.Series(["W1", "W2"], index=["a", "b"])
    plan = plan_sites(pd.Series([1.0, 1.0], index=["a", "b"]), areas, sites, k=2, catchment_m=100,
                      min_cover_by=wards, min_share=1)  # fmt: skip
    assert plan.covered == 2
    with pytest.raises(
        InclusionGeoError, match=r"No choice of at most k=1 sites covers min_share=1.*raise k"
    ):
        plan_sites(pd.Series([1.0, 1.0], index=["a", "b"]), areas, sites, k=1, catchment_m=100,
                   min_cover_by=wards, min_share=1)  # fmt: skip


def test_register_as_existing_keeps_its_included_tier1_and_yearly_capacity():
    areas = gpd.GeoSeries([Point(0, 0), Point(3000, 0)], index=["a", "b"], crs=27700)
    reg = gpd.GeoDataFrame(
        {"name": ["Lib", "Closed lib", "Hall"], "tier": [1, 1, 2], "include": [True, False, True],
         "hours_per_week": [30.0, 40.0, 10.0], "capacity": [4.0, 4.0, 8.0]},
        index=["lib", "old", "hall"], geometry=[Point(0, 0), Point(3000, 0), Point(3000, 50)],
        crs=27700,
    )  # fmt: skip
    cap = yearly_capacity(reg)
    assert cap["lib"] == pytest.approx(52 * 4 * 30 / 6) and "old" not in cap.index
    plan = plan_sites(pd.Series([2000.0, 300.0], index=["a", "b"]), areas, reg.loc[["hall"]], k=1,
                      catchment_m=800, existing=reg, capacity=cap)  # fmt: skip
    # the library serves 1,040 a year of area a; the excluded library counts for nothing
    assert plan.existing_covered == pytest.approx(1040)
    assert plan.covered == pytest.approx(1340)


def test_matches_spopt_mclp_when_installed():
    """Uncapacitated MCLP against spopt's. Skipped only when spopt is not importable (it is not
    a dependency of inclusion_geo)."""
    locate = pytest.importorskip("spopt.locate")
    pulp = pytest.importorskip("pulp")
    areas, cand, _, demand, reach_new, _, _ = instance(5, n_areas=30, n_cand=10)
    a = np.column_stack([areas.x, areas.y])
    c = np.column_stack([cand.geometry.x, cand.geometry.y])
    cost = np.hypot(*(a[:, None, :] - c[None, :, :]).transpose(2, 0, 1))
    with warnings.catch_warnings():  # pulp's and spopt's own deprecations, not ours
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        model = locate.MCLP.from_cost_matrix(
            cost, demand.to_numpy(), service_radius=R, p_facilities=3
        )
        model = model.solve(pulp.PULP_CBC_CMD(msg=False))
        model.facility_client_array()
    covered = {int(i) for clients in model.fac2cli for i in clients}
    plan = plan_sites(demand, areas, cand, k=3, catchment_m=R)
    assert plan.covered == pytest.approx(demand.iloc[sorted(covered)].sum())


# ----------------------------------------------------------------------------- closures
def closure_inputs():
    areas = gpd.GeoSeries([Point(0, 0), Point(1000, 0), Point(4000, 0), Point(9000, 0)],
                          index=["a1", "a2", "a3", "a4"], crs=27700)  # fmt: skip
    reg = gpd.GeoDataFrame(
        {"name": ["West Library", "East Library", "East Hall", "Old Library"],
         "display_name": ["West Library", "East Library", "East Hall", "Old Library"],
         "tier": [1, 1, 2, 1], "include": [True, True, True, False],
         "hours_per_week": [30.0, np.nan, 10.0, 20.0], "capacity": [4.0, 2.0, 8.0, 4.0]},
        index=["w", "e", "h", "x"],
        geometry=[Point(500, 0), Point(4200, 0), Point(4000, 100), Point(9000, 0)], crs=27700,
    )  # fmt: skip
    population = pd.Series([1000.0, 1500.0, 1200.0, 800.0], index=areas.index)
    offline = pd.Series([100.0, 150.0, 240.0, 80.0], index=areas.index)
    wards = pd.Series(["W1", "W1", "W2", "W2"], index=areas.index)
    return reg, areas, population, offline, wards


def test_closure_by_hand():
    reg, areas, population, offline, wards = closure_inputs()
    s = closure_scenario(reg, areas, population, close="EAST  library", catchment_m=1600,
                         demand=offline, wards=wards)  # fmt: skip
    # a3 (1,200 residents, 240 offline) was 200 m from East Library; West Library is 3.5 km away
    assert s.residents_newly_out_of_reach == 1200 and s.demand_newly_out_of_reach == 240
    w = s.wards
    assert w.loc["W2", "residents_newly_out_of_reach"] == 1200
    assert w.loc["W1", "residents_newly_out_of_reach"] == 0
    assert (
        w.loc["W2", "residents_in_reach_before"] == 1200
        and w.loc["W2", "residents_in_reach_after"] == 0
    )
    assert w["residents_newly_out_of_reach"].sum() == s.residents_newly_out_of_reach
    assert w["demand_newly_out_of_reach"].sum() == s.demand_newly_out_of_reach
    assert s.areas.index.tolist() == ["a3"] and bool(s.areas["newly_out_of_reach"].iloc[0])
    # East Library's hours are unknown: weekly_supply's tier-1 default (30 h) x capacity 2
    assert (
        s.places.loc["e", "supply_hours_before"] == 60 and s.places.loc["e", "action"] == "closed"
    )
    assert s.supply_hours_before - s.supply_hours_after == 60
    assert s.opening_hours_before - s.opening_hours_after == 30
    # E2SFCA shares the hours out: before, West's 120 h and East's 60 h reach someone
    assert w["support_hours_before"].sum() == pytest.approx(180)
    assert w["support_hours_after"].sum() == pytest.approx(120)
    assert w.loc["W2", "support_hours_change"] == pytest.approx(-60)


def test_hours_cut_moves_no_one_out_of_reach_but_cuts_hours():
    reg, areas, population, offline, wards = closure_inputs()
    s = closure_scenario(reg, areas, population, close=["w"], hours_cut=0.5, wards=wards)
    assert s.residents_newly_out_of_reach == 0 and np.isnan(s.demand_newly_out_of_reach)
    assert s.supply_hours_before - s.supply_hours_after == pytest.approx(60)  # half of 4 x 30
    assert s.places.loc["w", "hours_per_week_after"] == 15
    assert s.wards.loc["W1", "support_hours_change"] == pytest.approx(-60)
    assert set(s.areas.index) == {"a1", "a2"}
    with pytest.raises(InclusionGeoError, match="hours_cut must be a fraction"):
        closure_scenario(reg, areas, population, close="w", hours_cut=1.0)


def test_closing_every_tier1_place_leaves_no_support_hours():
    reg, areas, population, _, _ = closure_inputs()
    s = closure_scenario(reg, areas, population, close=["w", "e"])
    assert s.supply_hours_after == 0 and s.wards["support_hours_after"].sum() == 0
    assert s.residents_newly_out_of_reach == 3700  # everyone but a4, never in reach


def test_closure_names_unknown_ambiguous_or_excluded_places():
    reg, areas, population, _, _ = closure_inputs()
    with pytest.raises(
        InclusionGeoError, match=r"no place .* 'Eastt Library'.*Near matches: \['East Library'"
    ):
        closure_scenario(reg, areas, population, close="Eastt Library")
    twin = reg.assign(display_name=["West Library", "West Library", "East Hall", "Old Library"],
                      name=["West Library", "West Library", "East Hall", "Old Library"])  # fmt: skip
    with pytest.raises(
        InclusionGeoError, match=r"names 2 places: \['w \(West Library\)', 'e \(West Library\)'\]"
    ):
        closure_scenario(twin, areas, population, close="West Library")
    with pytest.raises(InclusionGeoError, match=r"\['x'\] are excluded from the register"):
        closure_scenario(reg, areas, population, close="Old Library")
    with pytest.raises(InclusionGeoError, match="close is empty"):
        closure_scenario(reg, areas, population, close=[])


@pytest.mark.parametrize("key", sorted(PRINTABLE))
def test_closure_matches_hostile_names_literally(key):
    reg, areas, population, _, _ = closure_inputs()
    reg = reg.assign(display_name=[HOSTILE[key], "East Library", "East Hall", "Old Library"],
                     name=[HOSTILE[key], "East Library", "East Hall", "Old Library"])  # fmt: skip
    s = closure_scenario(reg, areas, population, close=HOSTILE[key])
    assert s.places.index.tolist() == ["w"] and s.places["name"].tolist() == [HOSTILE[key]]


@pytest.mark.shared_data
def test_closing_a_leeds_library(shared_data):
    from inclusion_geo.geography import best_fit_lookup
    from inclusion_geo.register import build_register
    from inclusion_geo.sources import load_centroids, load_iod, read_boundaries, read_osm_layers

    osm = shared_data / "osm-west-yorkshire"
    bounds = shared_data / "ons-boundaries-martinjc"
    with warnings.catch_warnings():  # the published files' own caveats (repaired polygons...)
        warnings.simplefilter("ignore", UserWarning)
        reg = build_register(read_osm_layers([osm / "leeds-amenities-library.geojson",
                                              osm / "leeds-amenities-advice.geojson"]))  # fmt: skip
        lsoas = read_boundaries(bounds / "lsoa_by_lad" / "E08000035.json")
        centroids = load_centroids(
            shared_data / "ons-lookups"
            / "Lower_Layer_Super_Output_Areas_December_2011_Population_Weighted_Centroids.csv"
        ).loc[lsoas.index]  # fmt: skip
        population = load_iod(
            shared_data / "mhclg-iod2019" / "File_6_-_IoD2019_Population_Denominators.csv.gz"
        )["population_total"]
        ward_shapes = read_boundaries(bounds / "wards_by_lad" / "E08000035.json", expect="wards")
        wards = best_fit_lookup(centroids, ward_shapes)
    s = closure_scenario(reg, centroids, population, close="Wetherby Library", catchment_m=1600,
                         wards=wards)  # fmt: skip
    assert s.residents_newly_out_of_reach > 0
    assert s.wards["residents_newly_out_of_reach"].sum() == pytest.approx(
        s.residents_newly_out_of_reach
    )
    lost = s.areas[s.areas["newly_out_of_reach"]]
    assert lost["residents"].sum() == pytest.approx(s.residents_newly_out_of_reach)
    assert (lost["dist_tier1_after_m"] > 1600).all() and (lost["dist_tier1_before_m"] <= 1600).all()
    by_ward = lost.groupby("ward")["residents"].sum()
    pd.testing.assert_series_equal(
        by_ward, s.wards["residents_newly_out_of_reach"][lambda v: v > 0], check_names=False
    )
    assert s.supply_hours_after < s.supply_hours_before
    # two places are called Crossgates Library: a name must pick one
    with pytest.raises(InclusionGeoError, match="names 2 places"):
        closure_scenario(reg, centroids, population, close="Crossgates Library")


# ----------------------------------------------------------------------------- pop-up rota
def rota_value(d, reach, sessions):
    days = [{t for j, t in sessions if reach[i, j]} for i in range(len(d))]
    return sum(di * 2 * (1 - 0.5 ** len(s)) for di, s in zip(d, days, strict=True))


def test_rota_by_hand_uses_open_days_only():
    areas = gpd.GeoSeries([Point(0, 0), Point(5000, 0)], index=["a", "b"], crs=27700)
    halls = gpd.GeoDataFrame(
        {"name": ["Hall A", "Hall B", "Hall C"],
         "opening_hours": ["Mo 10:00-12:00", "Tu,Th 18:00-20:00", "not a time"]},
        index=["ha", "hb", "hc"], geometry=[Point(0, 100), Point(5000, 100), Point(20000, 0)],
        crs=27700,
    )  # fmt: skip
    rota = popup_rota(pd.Series({"a": 100.0, "b": 60.0}), areas, halls, k=3, catchment_m=800)
    # Hall A can only host on Monday; a second Hall A day is impossible, so Hall B gets two days
    assert rota.sessions[["site", "day"]].values.tolist() == [
        ["ha", "Mo"],
        ["hb", "Tu"],
        ["hb", "Th"],
    ]
    assert rota.value == 100 + 60 * 1.5 and rota.reached == 160 and rota.optimal
    assert rota.areas["days_reached"].tolist() == [1, 2]
    assert rota.assumed_open == ("hc",)  # unreadable hours: every day assumed, and said
    only_weekend = popup_rota(pd.Series({"a": 100.0, "b": 60.0}), areas, halls, k=1,
                              catchment_m=800, days=("Sa", "Su"),
                              opening={"ha": {"Sa"}, "hb": set(), "hc": set()})  # fmt: skip
    assert only_weekend.sessions[["site", "day"]].values.tolist() == [["ha", "Sa"]]


@pytest.mark.parametrize("seed", range(4))
def test_rota_matches_brute_force(seed):
    areas, cand, _, demand, reach_new, _, rng = instance(seed, n_areas=12, n_cand=4)
    days = ("Mo", "We", "Sa")
    opening = {s: {d for d in days if rng.random() < 0.7} for s in cand.index}
    opening[cand.index[0]] = set(days)
    pairs = [(j, t) for j, s in enumerate(cand.index) for t in days if t in opening[s]]
    d = demand.to_numpy()
    best = (
        max(rota_value(d, reach_new, c) for c in itertools.combinations(pairs, 3))
        if len(pairs) >= 3
        else None
    )
    rota = popup_rota(demand, areas, cand, k=3, catchment_m=R, days=days, opening=opening)
    assert rota.optimal and rota.value == pytest.approx(best)
    assert rota.value >= rota.greedy_value - 1e-9
    assert all(day in opening[site] for site, day in rota.sessions[["site", "day"]].values)
    assert rota.sessions["marginal_value"].sum() == pytest.approx(rota.value)


def test_rota_bad_inputs():
    areas, cand, _, demand, *_ = instance(1, n_cand=2)
    with pytest.raises(
        InclusionGeoError, match=r"k=3 sessions but the candidates are open for only 2"
    ):
        popup_rota(demand, areas, cand, k=3, catchment_m=R, opening={"c0": {"Mo"}, "c1": {"Tu"}})
    with pytest.raises(InclusionGeoError, match=r"opening names no days for 1 candidate"):
        popup_rota(demand, areas, cand, k=1, catchment_m=R, opening={"c0": {"Mo"}})
    with pytest.raises(InclusionGeoError, match=r"opening\['c0'\] has days \['Monday'\]"):
        popup_rota(demand, areas, cand, k=1, catchment_m=R, opening={"c0": {"Monday"}, "c1": set()})
    with pytest.raises(InclusionGeoError, match="days="):
        popup_rota(demand, areas, cand, k=1, catchment_m=R, days=("Mon",))
    with pytest.raises(InclusionGeoError, match="candidates is empty"):
        popup_rota(demand, areas, cand.iloc[:0], k=1, catchment_m=R)
    assert popup_rota(demand, areas, cand, k=1, catchment_m=R).assumed_open == ("c0", "c1")

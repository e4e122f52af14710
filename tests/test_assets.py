import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from inclusion_geo._errors import DataQualityError, InclusionGeoError
from inclusion_geo.assets import (
    access_by_tier,
    access_measures,
    coverage,
    covered_areas,
    e2sfca,
    nearest_assets,
    validate_assets,
)

IDX = pd.Index(["E01000001", "E01000002", "E01000003"], name="lsoa11cd")


def centroids():
    return gpd.GeoSeries([Point(0, 0), Point(1000, 0), Point(3000, 0)], index=IDX, crs="EPSG:27700")


def assets():
    return gpd.GeoDataFrame(
        {
            "name": ["Lib A", "Lib B", "Hall", "Cafe"],
            "category": ["library", "library", "community_centre", "cafe_wifi"],
            "capacity": [10.0, np.nan, np.nan, np.nan],
        },
        geometry=[Point(0, 500), Point(3000, 1200), Point(1000, 300), Point(0, 0)],
        crs="EPSG:27700",
    )


def test_nearest_and_catchment_counts_by_hand():
    acc = access_measures(centroids(), assets(), categories=["library", "community_centre"])
    assert acc["dist_library_m"].tolist() == pytest.approx([500, np.hypot(1000, 500), 1200])
    assert acc["n_library_800m"].tolist() == [1, 0, 0]
    assert acc["n_library_1600m"].tolist() == [1, 1, 1]
    assert acc["dist_community_centre_m"].tolist() == pytest.approx(
        [np.hypot(1000, 300), 300, np.hypot(2000, 300)]
    )
    # 'any' = the measured categories together
    assert acc["dist_any_m"].tolist() == pytest.approx([500, 300, 1200])
    assert acc.index.equals(IDX)


def test_circuity_scales_distances_and_shrinks_catchments():
    acc = access_measures(centroids(), assets(), categories=["library"], circuity=2.0)
    assert acc["dist_library_m"].iloc[0] == pytest.approx(1000)
    assert acc["n_library_800m"].iloc[0] == 0
    with pytest.raises(InclusionGeoError, match="circuity"):
        access_measures(centroids(), assets(), circuity=0)
    with pytest.raises(InclusionGeoError, match="catchments_m"):
        access_measures(centroids(), assets(), catchments_m=[-5])


def test_e2sfca_by_hand_with_no_decay():
    pop = pd.Series([1000, 2000, 500], index=IDX)
    libs = assets()[assets()["category"] == "library"]
    out = e2sfca(centroids(), pop, libs, max_cost=1600, weight_fn="none")
    # Lib A (capacity 10) reaches areas 1 and 2 (dist 500, 1118): R = 10 / 3000
    # Lib B (capacity 1) reaches area 2? dist hypot(2000,1200)=2332 no; area 3 (1200) yes: R = 1/500
    assert out.tolist() == pytest.approx([1000 * 10 / 3000, 1000 * 10 / 3000, 1000 / 500])


def test_e2sfca_total_supply_is_conserved_without_decay():
    pop = pd.Series([1000, 2000, 500], index=IDX)
    libs = assets()[assets()["category"] == "library"]
    out = e2sfca(centroids(), pop, libs, max_cost=5000, weight_fn="none")
    assert (out * pop / 1000).sum() == pytest.approx(11)


def test_coverage_of_at_risk_population():
    acc = access_measures(centroids(), assets(), categories=["library"])
    pop = pd.Series([1000, 2000, 500], index=IDX)
    res = coverage(acc, pop, pd.Series([True, True, False], index=IDX), catchment_m=800)
    assert res == {
        "at_risk_population": 3000.0,
        "covered_population": 1000.0,
        "share_covered": 1 / 3,
    }


def test_nearest_assets_long_table():
    near = nearest_assets(centroids(), assets(), k=2, categories=["library"])
    assert near.loc[near["area"] == "E01000003", "name"].tolist() == ["Lib B", "Lib A"]


def test_validate_assets_reports_and_refuses(demo):
    a = assets()
    with pytest.raises(InclusionGeoError, match=r"categories \['gym'\]"):
        access_measures(centroids(), a, categories=["gym"])
    dup = pd.concat([a, a.iloc[[0]]])
    with pytest.warns(UserWarning, match="1 duplicate"):
        assert len(validate_assets(dup)) == 4
    with pytest.warns(UserWarning, match="outside the study area"):
        validate_assets(a, study_area=box(-10, -10, 1500, 1500))
    nogeom = a.copy()
    nogeom.loc[1, "geometry"] = None
    with pytest.raises(DataQualityError, match="no location"):
        validate_assets(nogeom)
    poly = a.copy()
    poly.loc[0, "geometry"] = box(0, 0, 10, 10)
    assert (validate_assets(poly).geom_type == "Point").all()
    latlon = demo.assets.to_crs("EPSG:4326")
    assert validate_assets(latlon).crs.to_epsg() == 27700


def test_greedy_site_selection_by_hand():
    from inclusion_geo.assets import select_sites

    pts = gpd.GeoSeries([Point(0, 0), Point(100, 0), Point(5000, 0), Point(5100, 0), Point(10000, 0)], crs=27700,
                        index=pd.Index([f"E0100000{i}" for i in range(5)], name="lsoa11cd"))  # fmt: skip
    demand = pd.Series([100, 100, 500, 0, 50], index=pts.index)
    sites = gpd.GeoDataFrame({"name": ["West", "Middle", "East", "Far"]},
                             geometry=[Point(50, 0), Point(5050, 0), Point(9900, 0), Point(20000, 0)], crs=27700)  # fmt: skip
    picks = select_sites(pts, demand, sites, k=4, catchment_m=800)
    assert picks["name"].tolist() == ["Middle", "West", "East"]  # Far covers nobody: stops at 3
    assert picks["marginal_covered"].tolist() == [500, 200, 50]
    assert picks["share_covered"].iloc[-1] == pytest.approx(1.0)
    covered = pd.Series([False, False, True, True, False], index=pts.index)
    assert select_sites(pts, demand, sites, k=1, already_covered=covered, catchment_m=800)[
        "name"
    ].tolist() == ["West"]
    with pytest.raises(InclusionGeoError, match="k must be"):
        select_sites(pts, demand, sites, k=0)


def test_result_site_selection(demo_result):
    picks = demo_result.select_sites(k=3)
    assert 1 <= len(picks) <= 3 and picks["marginal_covered"].is_monotonic_decreasing
    assert picks["cumulative_covered"].iloc[-1] <= demo_result.areas["population"].sum()


def test_assets_outside_can_be_dropped():
    with pytest.warns(UserWarning, match="dropped"):
        kept = validate_assets(assets(), study_area=box(-10, -10, 1500, 1500), outside="drop")
    assert kept["name"].tolist() == ["Lib A", "Hall", "Cafe"]
    with pytest.raises(InclusionGeoError, match="outside="):
        validate_assets(assets(), outside="maybe")


def test_covered_areas_auto_all_and_named(demo):
    areas = demo.areas.assign(lad=np.where(demo.areas["ward_code"] <= "X05000010", "A", "B"))
    inside_a = gpd.sjoin(demo.assets, areas[areas["lad"] == "A"][["geometry"]], predicate="within")
    only_a = demo.assets.loc[inside_a.index.unique()]
    auto = covered_areas(areas, only_a, by="lad")
    assert auto.to_numpy().tolist() == (areas["lad"] == "A").tolist()
    assert covered_areas(areas, only_a, by="lad", covers="all").all()
    named = covered_areas(areas, only_a, by="lad", covers=["B", "Z"])  # Z: not in these areas
    assert named.to_numpy().tolist() == (areas["lad"] == "B").tolist()
    assert covered_areas(areas, only_a).all()  # the study area as a whole has assets
    with pytest.raises(InclusionGeoError, match="covers="):
        covered_areas(areas, only_a, covers="some")
    with pytest.raises(InclusionGeoError, match="needs by="):
        covered_areas(areas, only_a, covers=["A"])


def register():
    """A hand-made asset register (the columns ``register.py`` gives every asset)."""
    return gpd.GeoDataFrame(
        {
            "name": ["LIB A", "HALL B", "ST MARYS", "CAFE", "OLD LIB"],
            "display_name": ["Lib A", "Hall B", "St Mary's Hall", "Cafe", None],
            "category": ["library", "community_centre", "community_centre", "cafe_wifi", "library"],
            "tier": [1, 1, 2, 3, 1],
            "include": [True, True, True, True, False],
            "capacity": [2.0, 2.0, 8.0, np.nan, 50.0],
            "hours_per_week": [3.0, np.nan, 12.0, np.nan, 60.0],
            "open_evenings": [True, False, False, False, True],
            "open_weekends": [False, False, True, False, True],
        },
        geometry=[Point(0, 500), Point(3000, 1200), Point(1000, 300), Point(0, 0), Point(1, 1)],
        crs="EPSG:27700",
    )


def test_support_hours_and_coverage_by_hand():
    from inclusion_geo.assets import SUPPLY_COLUMN, support_coverage, support_hours

    at_risk = pd.Series([200.0, 100.0, 50.0], index=IDX)
    out = support_hours(centroids(), at_risk, register(), max_cost=1600, weight_fn="none")
    # Two tier-1 places count (St Mary's is tier 2, the cafe tier 3, Old Lib is not included):
    #   Lib A  at (0, 500):     S = 2 people x 3 h/week = 6 person-hours a week; within 1,600 m
    #          of area 1 (500 m) and area 2 (hypot(1000, 500) = 1,118 m), not area 3 (3,041 m).
    #          R = 6 / (200 + 100) = 0.02 hours a week per resident at risk.
    #   Hall B at (3000, 1200): hours unknown -> tier-1 typical week 30 h: S = 2 x 30 = 60;
    #          within reach of area 3 only (1,200 m; area 2 is 2,332 m away). R = 60 / 50 = 1.2.
    # A = 1000 x sum of R in reach = [20, 20, 1200] hours a week per 1,000 residents at risk.
    assert out[SUPPLY_COLUMN].tolist() == pytest.approx([20.0, 20.0, 1200.0])
    assert out["e2sfca_share_hours_assumed"].tolist() == pytest.approx([0.0, 0.0, 1.0])
    # the hours are shared out, not invented: 20 x 200 + 20 x 100 + 1200 x 50 = 1000 x (6 + 60)
    assert (out[SUPPLY_COLUMN] * at_risk).sum() / 1000 == pytest.approx(66.0)

    acc = access_by_tier(centroids(), register()).join(out)
    cov = support_coverage(acc, at_risk, hours_per_person=6.0)
    # plain: all three areas have tier-1 support within 1,600 m -> 350 of 350 at risk
    # capacity-adjusted, min(P, 52 A P / (1000 x 6)) per area:
    #   area 1: 52 x 20 x 200 / 6000 = 34.667; area 2: 52 x 20 x 100 / 6000 = 17.333;
    #   area 3: min(50, 52 x 1200 x 50 / 6000 = 520) = 50  -> 102 of 350 = 0.29143
    assert cov == pytest.approx(
        {
            "at_risk_residents": 350.0,
            "within_reach": 350.0,
            "share_within_reach": 1.0,
            "could_be_served": 102.0,
            "share_could_be_served": 102.0 / 350.0,
        }
    )
    # within 1,000 m only area 1 (500 m) is in reach: areas 2 (1,118 m) and 3 (1,200 m) drop out
    near = support_coverage(acc, at_risk, catchment_m=1000)
    assert near["within_reach"] == 200.0 and near["could_be_served"] == pytest.approx(104 / 3)


def test_support_coverage_by_group_and_unmeasured():
    from inclusion_geo.assets import support_coverage

    acc = pd.DataFrame(
        {"dist_tier1_m": [100.0, 2000.0, np.nan, 50.0], "e2sfca_hours_per_1000_at_risk": [
            57.6923, 0.0, np.nan, 500.0], "lad": ["A", "A", "B", "B"]},
        index=["a", "b", "c", "d"],
    )  # fmt: skip
    at_risk = pd.Series({"a": 100.0, "b": 100.0, "c": 10.0, "d": 0.0})
    table = support_coverage(acc, at_risk, by="lad")
    # A: 100 of 200 within reach; 57.6923 h/week per 1,000 serves 52 x 57.6923 / 6000 = 0.5
    assert table.loc["A", "share_within_reach"] == 0.5
    assert table.loc["A", "could_be_served"] == pytest.approx(50.0, 1e-5)
    assert np.isnan(table.loc["B", "share_within_reach"])  # residents at risk not measured
    assert (table["could_be_served"].fillna(0) <= table["within_reach"].fillna(0)).all()


def test_access_by_tier_distances_and_counts():
    acc = access_by_tier(centroids(), register())
    # tier 1: Lib A (0, 500) and Hall B (3000, 1200); Old Lib is excluded (include False)
    assert acc["dist_tier1_m"].tolist() == pytest.approx([500, np.hypot(1000, 500), 1200])
    # tier 1 or 2 adds St Mary's Hall (1000, 300); the cafe (tier 3) never counts
    assert acc["dist_tier1_2_m"].tolist() == pytest.approx([500, 300, 1200])
    assert acc["n_tier1_800m"].tolist() == [1, 0, 0]
    assert acc["n_tier1_2_1600m"].tolist() == [2, 2, 1]
    assert acc.index.equals(IDX)
    unsure = register().assign(include=pd.Series([True, None, True, True, False], dtype=object))
    assert access_by_tier(centroids(), unsure)["n_tier1_1600m"].tolist() == [1, 1, 0]
    only_venues = register().assign(tier=[2, 2, 2, 3, 3])
    none = access_by_tier(centroids(), only_venues)
    assert np.isinf(none["dist_tier1_m"]).all() and none["n_tier1_1600m"].eq(0).all()


def test_weekly_supply_defaults_are_flagged():
    from inclusion_geo.assets import DEFAULT_CAPACITY, DEFAULT_HOURS_PER_WEEK, weekly_supply

    week = weekly_supply(register())
    assert week.index.tolist() == [0, 1, 2, 3]  # Old Lib is not included
    assert week["hours_per_week"].tolist() == [3.0, DEFAULT_HOURS_PER_WEEK[1], 12.0, 0.0]
    assert week["hours_assumed"].tolist() == [False, True, False, False]
    assert week["supply_hours_per_week"].tolist() == [6.0, 60.0, 96.0, 0.0]
    no_cap = register().assign(capacity=np.nan)
    assert weekly_supply(no_cap)["capacity"].iloc[0] == DEFAULT_CAPACITY[1]
    assert weekly_supply(no_cap, default_hours={1: 20.0})["hours_per_week"].iloc[1] == 20.0
    filled = register().assign(capacity_source=["register", "default for tier 1"] + [""] * 3)
    assert weekly_supply(filled)["capacity_assumed"].tolist() == [False, True, False, False]
    bad = register().assign(tier=[1, 4, 2, 3, 1])
    with pytest.raises(DataQualityError, match=r"tier other than 1, 2 or 3.*\[4\].*HALL B"):
        weekly_supply(bad)
    with pytest.raises(InclusionGeoError, match="tier"):
        weekly_supply(assets())  # no tier column


def test_support_hours_refuses_missing_demand():
    from inclusion_geo.assets import support_hours

    with pytest.raises(DataQualityError, match="at_risk"):
        support_hours(centroids(), pd.Series([1.0, np.nan, 2.0], index=IDX), register())


def test_support_hours_conserves_hours_with_decay():
    from inclusion_geo.assets import SUPPLY_COLUMN, support_hours, weekly_supply

    at_risk = pd.Series([200.0, 100.0, 50.0], index=IDX)
    out = support_hours(centroids(), at_risk, register(), max_cost=5000)  # Gaussian decay
    supply = weekly_supply(register())
    total = supply.loc[supply["tier"] == 1, "supply_hours_per_week"].sum()
    assert (out[SUPPLY_COLUMN] * at_risk).sum() / 1000 == pytest.approx(total)
    # full precision: nothing is rounded
    assert out[SUPPLY_COLUMN].iloc[0] != round(out[SUPPLY_COLUMN].iloc[0])


def test_work_through_names_tier_one_first():
    from inclusion_geo.assets import work_through

    text = work_through(centroids(), register(), catchment_m=1600)
    # area 2: Lib A (tier 1, 1,118 m) before St Mary's (tier 2, 300 m) though farther
    assert text.iloc[1] == (
        "Lib A (library, 1.1 km, 3 h/week; evenings); "
        "St Mary's Hall (community centre, venue, 300 m, 12 h/week; weekends)"
    )
    assert text.iloc[2] == "Hall B (community centre, 1.2 km)"  # hours unknown: not shown
    assert work_through(centroids(), register(), catchment_m=400).iloc[0] == ""
    assert work_through(centroids(), register(), k=1).iloc[0].count(";") == 1  # one, evenings
    with pytest.raises(InclusionGeoError, match="k must be"):
        work_through(centroids(), register(), k=0)


def test_work_through_keeps_hostile_names_literal():
    from inclusion_geo.assets import work_through

    from .hostile import PRINTABLE, assert_not_evaluated

    names = list(PRINTABLE.values())
    reg = gpd.GeoDataFrame(
        {"display_name": names, "name": names, "category": "library", "tier": 1},
        geometry=[Point(0, 10 * i) for i in range(len(names))],
        crs="EPSG:27700",
    )
    text = work_through(centroids(), reg, k=len(names)).iloc[0]
    for name in names:
        assert f"{name} (library," in text
    assert_not_evaluated(text)


def test_priority_table_keeps_supply_at_full_precision(demo_result):
    # the table rounded e2sfca_* to whole numbers: in Leeds 417 of 482 areas read 0
    table = demo_result.priority_table().set_index("area_code")
    areas = demo_result.areas
    supply = [c for c in areas.columns if c.startswith("e2sfca_")]
    assert supply
    for col in supply:
        got = table[col].reindex(areas.index)
        np.testing.assert_array_equal(got.to_numpy(), areas[col].to_numpy())
        assert (got.dropna() % 1 != 0).any()

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from inclusion_geo._errors import DataQualityError, InclusionGeoError
from inclusion_geo.assets import (
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

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from inclusion_geo import run_demo, run_stage_two
from inclusion_geo._errors import InclusionGeoError, MissingColumnsError, VintageMismatchError
from inclusion_geo.priorities import NEED_BANDS


def test_every_area_ranked_once_and_every_ward_present(demo_result, demo):
    a = demo_result.areas
    assert sorted(a["priority_rank"]) == list(range(1, len(demo.areas) + 1))
    assert set(a.index) == set(demo.areas.index)
    assert a["priority_rank"].is_monotonic_increasing
    assert a["reason"].str.len().min() > 20
    assert a["nearest_support"].notna().all()
    assert (a["data_label"] == "synthetic demo data").all()
    assert a.crs.to_epsg() == 27700


def test_groups_the_asset_list_does_not_cover_are_flagged_not_guessed(demo):
    from inclusion_geo import run_stage_two_by

    areas = demo.areas.assign(lad_code=np.where(demo.areas["ward_code"] <= "X05000010", "A", "B"))
    inside = gpd.sjoin(
        demo.assets, areas[areas["lad_code"] == "A"][["geometry"]], predicate="within"
    )
    only_a = demo.assets.loc[inside.index.unique()]
    with pytest.warns(
        UserWarning, match=r"no place of digital support .* inside 1 of 2 .*\(e.g. South\)"
    ):
        results = run_stage_two_by(
            areas, demo.counts, only_a, by="lad_code", places={"A": "North", "B": "South"},
            centroids=demo.centroids, permutations=99,
        )  # fmt: skip
    north, south = results["A"], results["B"]
    assert north.areas["dist_any_m"].notna().all()
    assert north.areas["access_level"].ne("unknown").all()
    assert south.areas["dist_any_m"].isna().all() and south.areas["n_any_800m"].isna().all()
    assert south.areas["access_level"].eq("unknown").all()
    # need alone sets the band; the action says access was not measured
    bands = south.areas["need_level"].map(NEED_BANDS)
    assert (south.areas["priority_band"] == bands).all()
    assert south.areas["action"].isin(["unknown", "none"]).all()
    assert south.areas["nearest_support"].str.startswith("not measured").all()
    assert np.isnan(south.coverage["share_within_reach"])
    assert "not measured for" in south.summary() and "not measured" not in north.summary()
    # risk, hotspots and local ranks are unaffected by the missing assets
    assert south.areas["risk_rank"].min() == 1 and south.areas["gi_z"].notna().all()
    with pytest.raises(InclusionGeoError, match="Pass candidates="):
        south.select_sites(k=2)
    picks = south.select_sites(k=2, candidates=demo.assets.iloc[:10])
    assert 1 <= len(picks) <= 2


def test_the_result_says_where_its_time_went(demo_result):
    stages = demo_result.timings
    assert {"scores", "hotspots", "access", "ward roll-up"} <= set(stages)
    assert all(seconds >= 0 for seconds in stages.values())


def test_risk_concentrates_in_space_on_the_demo(demo_result):
    assert demo_result.global_moran["I"] > 0.3
    assert demo_result.areas["hotspot_class"].str.startswith("Hot spot").sum() > 10
    cover = demo_result.coverage
    assert 0 <= cover["share_could_be_served"] <= cover["share_within_reach"] <= 1


def test_same_seed_gives_identical_tables():
    one, two = run_demo(5, permutations=99), run_demo(5, permutations=99)
    pd.testing.assert_frame_equal(one.priority_table(), two.priority_table())
    pd.testing.assert_frame_equal(one.wards, two.wards)


def test_inputs_are_not_mutated(demo):
    before = demo.counts.copy(), demo.areas.copy(), demo.assets.copy()
    run_stage_two(demo.areas, demo.counts, demo.assets, centroids=demo.centroids, permutations=0)
    pd.testing.assert_frame_equal(demo.counts, before[0])
    assert demo.areas.equals(before[1]) and demo.assets.equals(before[2])


def test_bad_arguments_name_the_problem(demo):
    with pytest.raises(MissingColumnsError, match="ward_code"):
        run_stage_two(
            demo.areas.drop(columns="ward_code"), demo.counts, demo.assets, centroids=demo.centroids
        )
    with pytest.raises(InclusionGeoError, match="cover different areas"):
        run_stage_two(demo.areas, demo.counts.iloc[:-3], demo.assets, centroids=demo.centroids)
    wrong = demo.counts.rename_axis("lsoa11cd")
    with pytest.raises(VintageMismatchError, match="lsoa11cd"):
        run_stage_two(demo.areas, wrong, demo.assets, centroids=demo.centroids)
    with pytest.raises(InclusionGeoError, match="suitable"):
        run_stage_two(
            demo.areas, demo.counts, demo.assets, centroids=demo.centroids, suitable=["gym"]
        )
    with pytest.raises(InclusionGeoError, match="catchments_m"):
        run_stage_two(
            demo.areas, demo.counts, demo.assets, centroids=demo.centroids, catchments_m=(900, 800)
        )
    with pytest.raises(TypeError, match="GeoDataFrame"):
        run_stage_two(pd.DataFrame(demo.areas), demo.counts, demo.assets)


def test_missing_centroids_warns(demo):
    with pytest.warns(UserWarning, match="population-weighted centroids"):
        run_stage_two(demo.areas, demo.counts, demo.assets, permutations=0)


def test_result_map_and_summary(demo_result):
    m = demo_result.map()
    html = m.get_root().render()
    assert "synthetic demo data" in html
    assert "synthetic demo data" in demo_result.summary()
    table = demo_result.priority_table()
    assert table["priority_rank"].tolist() == list(range(1, len(table) + 1))


def test_every_index_is_the_sum_of_its_contributions(demo_result):
    a = demo_result.areas
    parts = a[[c for c in a.columns if c.startswith("contrib_")]]
    assert len(parts.columns) == len(demo_result.recipe.indicators)
    assert ((parts.sum(axis=1) - a["risk_index"]).abs() < 1e-9).all()
    assert "## Sources and method" in demo_result.summary()


def test_many_study_areas_in_one_pass_match_running_each_alone(demo):
    from inclusion_geo import run_stage_two_by

    areas = demo.areas.assign(lad_code=np.where(demo.areas["ward_code"] <= "X05000010", "A", "B"))
    options = dict(centroids=demo.centroids, ward_boundaries=demo.wards, permutations=99, seed=3)
    together = run_stage_two_by(
        areas,
        demo.counts,
        demo.assets,
        by="lad_code",
        places={"A": "North", "B": "South"},
        **options,
    )
    assert set(together) == {"A", "B"}
    for code, place in [("A", "North"), ("B", "South")]:
        part = areas[areas["lad_code"] == code].drop(columns="lad_code")
        own = options | {"centroids": demo.centroids.loc[part.index]}
        with pytest.warns(UserWarning, match="outside the study area"):
            alone = run_stage_two(
                part, demo.counts.loc[part.index], demo.assets, place=place, **own
            )
        got = together[code]
        # by design the one pass shares each place's hours among the residents at risk of
        # every group near it, so supply, and the "stretched" action that rests on it, may differ
        on_supply = ("action", "action_label", "priority_label", "reason")
        keep = [c for c in alone.areas.columns if not c.startswith("e2sfca") and c not in on_supply]
        pd.testing.assert_frame_equal(
            pd.DataFrame(got.areas[keep]),
            pd.DataFrame(alone.areas[keep]),
            check_exact=False,
            atol=1e-9,
        )
        pd.testing.assert_frame_equal(got.wards, alone.wards, check_exact=False, atol=1e-9)
        assert got.global_moran == pytest.approx(alone.global_moran, nan_ok=True)
        # capacity-adjusted coverage shares each place's hours across groups in the same way
        plain = {k: v for k, v in alone.coverage.items() if "could_be_served" not in k}
        assert {k: got.coverage[k] for k in plain} == pytest.approx(plain)
        assert got.place == place


def test_headcounts_add_up_and_sit_inside_their_ranges(demo_result):
    a, w = demo_result.areas, demo_result.wards
    heads = demo_result.headcounts()
    assert heads.attrs["label"] == "modelled estimate, not a count"
    for measure in ("offline", "no_basic_skills"):
        col = f"{measure}_adults"
        assert (a[f"{col}_low"] <= a[col]).all() and (a[col] <= a[f"{col}_high"]).all()
        assert w[col].sum() == pytest.approx(a[col].sum())  # areas add to wards
        assert heads.loc[measure, "adults"] == pytest.approx(w[col].sum())  # and to the place
        assert (
            heads.loc[measure, "low"] <= heads.loc[measure, "adults"] <= heads.loc[measure, "high"]
        )
        gaps = a.loc[(a["priority_band"] <= 2) & a["action"].eq("gap"), col].sum()
        assert heads.loc[measure, "in_gap_areas"] == pytest.approx(gaps)


def test_focus_areas_and_the_help_for_each(demo_result):
    a = demo_result.areas
    focus = a[[c for c in a.columns if c.startswith("focus_")]]
    assert ((focus.sum(axis=1) - a["risk_index"]).abs() < 1e-9).all()
    assert set(a["leading_focus"]) <= {
        "skills", "data_and_device_poverty", "barriers_to_services", "confidence"
    }  # fmt: skip
    reg = demo_result.assets
    library = reg[reg["category"].eq("library")].iloc[0]
    assert "data_and_device_poverty" in library["helps_with"]
    # the distance to help of a kind is never less than to any support or venue
    for f in ("skills", "data_and_device_poverty", "barriers_to_services", "confidence"):
        assert (a[f"dist_focus_{f}_m"] >= a["dist_tier1_2_m"] - 1e-6).all()


def test_plans_on_the_demo(demo_result):
    from inclusion_geo import with_plans
    from inclusion_geo.datasets import DEMO_CLOSURE

    result = with_plans(demo_result, new_sites=2, close=DEMO_CLOSURE, popup_sessions=2)
    plan = result.plans["site_plan"]
    assert plan.optimal and len(plan.sites) == 2 and plan.covered >= plan.greedy_covered - 1e-6
    closure = result.plans["closure"]
    assert closure.residents_newly_out_of_reach >= 0
    assert closure.wards["residents"].sum() == demo_result.areas["population"].sum()
    assert len(result.plans["popup_rota"].sessions) == 2
    # every column of the plan tables is in the column dictionary (columns.csv)
    from inclusion_geo._columns import undocumented
    from inclusion_geo.tables import _plan_tables

    tables = {name: list(frame.columns) for name, frame in _plan_tables(result).items()}
    assert set(tables) == {"site_plan", "closure", "popup_rota"}
    assert undocumented(tables) == []
    # and the map shows the planned hubs, the closed place and who would lose support
    html = result.map().get_root().render()
    for layer in ("Plan: 2 new hubs", "Scenario: places closed", "Scenario: areas losing support"):
        assert layer in html
    with pytest.raises(InclusionGeoError, match="demand="):
        demo_result.plan_sites(2, demand="everyone")
    with pytest.raises(InclusionGeoError, match="hours_cut needs close"):
        with_plans(demo_result, hours_cut=0.5)

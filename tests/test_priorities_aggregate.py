import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inclusion_geo._errors import DataQualityError, InclusionGeoError, MissingColumnsError
from inclusion_geo.aggregate import rollup
from inclusion_geo.priorities import (
    ACTION_LABELS,
    NEED_BANDS,
    area_actions,
    need_level,
    priority_areas,
    typical_supply,
)

HOTSPOTS = [
    "Hot spot (99%)",
    "Hot spot (95%)",
    "Hot spot (90%)",
    "Not significant",
    "Cold spot (90%)",
    "Cold spot (95%)",
    "Cold spot (99%)",
]


def areas():
    return pd.DataFrame(
        {
            "risk_index": [9.0, 8.0, 5.0, 2.0, 1.0],
            "risk_decile": [1, 2, 4, 9, 10],
            "hotspot_class": [
                "Hot spot (99%)",
                "Not significant",
                "Hot spot (90%)",
                "Not significant",
                "Cold spot (95%)",
            ],
            "population": [1500, 1400, 1600, 1200, 1000],
            "dist_any_m": [2500.0, 300.0, 2000.0, 3000.0, 100.0],
            "top_barriers": ["Aged 75+ 20%", "", "", "", ""],
            "ward_code": ["W1", "W1", "W2", "W2", "W2"],
            "pct_aged_75_plus": [20.0, 10.0, 8.0, 5.0, 4.0],
            "residents": [1500, 1400, 1600, 1200, 1000],
        },
        index=pd.Index([f"E0100000{i}" for i in range(1, 6)], name="lsoa11cd"),
    )


def test_need_bands_and_ranking():
    out = priority_areas(areas())
    # Need alone orders the areas. Before issue [2/6] the decile-4 hot spot 2 km from support
    # (E01000003) ranked above the decile-2 area 300 m from it (E01000002): distance lifted it.
    assert out.index.tolist() == ["E01000001", "E01000002", "E01000003", "E01000004", "E01000005"]
    assert out["priority_band"].tolist() == [1, 2, 3, 4, 4]
    assert out["need_level"].tolist() == ["very high", "high", "medium", "low", "low"]
    assert out["action"].tolist() == ["gap", "opportunity", "gap", "none", "none"]
    assert out["priority_label"].tolist() == [
        "1 - very high need: gap",
        "2 - high need: opportunity",
        "3 - medium need: gap (advisory)",
        "4 - low need",
        "4 - low need",
    ]
    assert out.loc["E01000001", "access_level"] == "poor"  # still reported, never banded on
    assert out.loc["E01000001", "risk_level"] == "high"  # the former three levels
    assert out["priority_rank"].tolist() == [1, 2, 3, 4, 5]
    assert out.loc["E01000001", "reason"] == (
        "Very high need (decile 1, hot spot (99%)); barriers: Aged 75+ 20%; gap: no digital "
        "support or venue within 1.6 km (nearest digital support 2.5 km away): new provision, "
        "outreach or a pop-up."
    )
    assert out.loc["E01000002", "action_label"] == ACTION_LABELS["opportunity"]


@pytest.mark.parametrize(
    ("decile", "hotspot", "level"),
    [
        (1, "Not significant", "very high"),
        (1, "Cold spot (99%)", "very high"),
        (2, "Hot spot (99%)", "very high"),
        (2, "Hot spot (95%)", "very high"),
        (2, "Hot spot (90%)", "high"),
        (2, "Not significant", "high"),
        (3, "Hot spot (95%)", "high"),
        (3, "Hot spot (90%)", "medium"),
        (3, "Not significant", "medium"),
        (5, "Cold spot (95%)", "medium"),
        (6, "Not significant", "low"),
        (9, "Hot spot (90%)", "medium"),
        (10, "Hot spot (99%)", "medium"),
        (10, "Cold spot (99%)", "low"),
    ],
)
def test_need_level_rules(decile, hotspot, level):
    got = need_level(pd.Series([decile]), pd.Series([hotspot]))
    assert got.iloc[0] == level


def action_areas():
    """Six decile-1 areas: support and venues at hand-picked distances, supply per 1,000."""
    idx = pd.Index([f"E0100001{i}" for i in range(6)], name="lsoa11cd")
    return pd.DataFrame(
        {
            "risk_index": [9.5, 9.4, 9.3, 9.2, 9.1, 9.0],
            "risk_decile": 1,
            "hotspot_class": "Hot spot (99%)",
            "population": 1500,
            "dist_tier1_m": [90.0, 400.0, 1200.0, 3000.0, 2500.0, np.nan],
            "dist_tier1_2_m": [90.0, 400.0, 1200.0, 600.0, 2500.0, np.nan],
            "hours": [10.0, 40.0, 30.0, 0.0, 0.0, np.nan],
            "work_through": [
                "Armley Library (library, 90 m, 38 h/week; evenings)",
                "Hub (advice, 400 m)",
                "Centre (community centre, 1.2 km)",
                "St Mary's Hall (community centre, venue, 600 m)",
                "",
                "not measured",
            ],
        },
        index=idx,
    )


def test_actions_gap_opportunity_stretched_unknown():
    out = priority_areas(
        action_areas(),
        distance_column="dist_tier1_m",
        venue_distance_column="dist_tier1_2_m",
        supply_column="hours",
    ).sort_index()
    # median supply of areas with tier-1 support within 1,600 m: median(10, 40, 30) = 30;
    # stretched below 15: only the first (10 hours a week per 1,000 at risk)
    assert out["action"].tolist() == [
        "stretched", "opportunity", "opportunity", "opportunity_venue", "gap", "unknown",
    ]  # fmt: skip
    assert out["priority_band"].eq(1).all()  # a building 90 m away changes nothing
    assert out["priority_rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert out.iloc[3]["action_label"] == ACTION_LABELS["opportunity_venue"]
    assert "venue 600 m away could host sessions: St Mary's Hall" in out.iloc[3]["reason"]
    assert out["work_through"].tolist()[4:] == ["", ""]  # empty for gaps and unmeasured areas
    assert out.iloc[0]["reason"] == (
        "Very high need (decile 1, hot spot (99%)); stretched: nearest digital support 90 m "
        "away, but only 10 hours of help a week per 1,000 residents at risk, under half the "
        "study area's median of 30 for areas with support in reach: add capacity at Armley "
        "Library (library, 90 m, 38 h/week; evenings)."
    )
    assert out.iloc[1]["reason"].endswith("400 m away, work through Hub (advice, 400 m).")
    assert "access to digital support not measured" in out.iloc[5]["reason"]
    assert out.iloc[0]["priority_label"] == "1 - very high need: stretched"


def test_stretched_median_is_within_each_group():
    a = action_areas().assign(lad=["A", "A", "B", "B", "B", "B"])
    out = priority_areas(
        a, distance_column="dist_tier1_m", supply_column="hours", by="lad"
    ).sort_index()
    # group A: median(10, 40) = 25, 10 < 12.5 is stretched; group B: median(30) = 30
    assert out["action"].tolist()[:3] == ["stretched", "opportunity", "opportunity"]
    assert out["priority_rank"].tolist() == [1, 2, 1, 2, 3, 4]
    med = typical_supply(a["hours"], a["dist_tier1_m"], groups=a["lad"])
    assert med.tolist()[:3] == [25.0, 25.0, 30.0]


def test_area_actions_without_supply_or_venues():
    d = pd.Series([100.0, 1700.0, np.nan])
    assert area_actions(d).tolist() == ["opportunity", "gap", "unknown"]
    assert area_actions(d, long_m=2000).tolist() == ["opportunity", "opportunity", "unknown"]
    with pytest.raises(InclusionGeoError, match="stretched_share"):
        area_actions(d, stretched_share=0)
    # supply 0 with support in reach: no one counted at risk around those places, so their
    # hours are free (an opportunity), and zeros do not drag the median down:
    # median(10, 40) = 25, and only 10 is under half of it
    near = pd.Series([100.0] * 5)
    got = area_actions(near, supply=pd.Series([0.0, 0.0, 0.0, 10.0, 40.0]))
    assert got.tolist() == ["opportunity"] * 3 + ["stretched", "opportunity"]


def test_priority_areas_refuses_bad_arguments():
    with pytest.raises(MissingColumnsError, match="dist_tier1_2_m"):
        priority_areas(areas(), venue_distance_column="dist_tier1_2_m")
    with pytest.raises(InclusionGeoError, match="long_m"):
        priority_areas(areas(), short_m=2000, long_m=1600)


def test_input_not_mutated_and_index_kept():
    a = areas()
    before = a.copy()
    out = priority_areas(a)
    pd.testing.assert_frame_equal(a, before)
    assert sorted(out.index) == sorted(a.index)


@st.composite
def random_areas(draw):
    n = draw(st.integers(2, 30))
    decile = draw(st.lists(st.integers(1, 10), min_size=n, max_size=n))
    hot = draw(st.lists(st.sampled_from(HOTSPOTS), min_size=n, max_size=n))
    index = draw(st.lists(st.floats(0, 10), min_size=n, max_size=n))
    pop = draw(st.lists(st.integers(1, 3000), min_size=n, max_size=n))
    dist = draw(st.lists(st.floats(0, 5000) | st.just(np.nan), min_size=n, max_size=n))
    ward = draw(st.lists(st.sampled_from(["W1", "W2", "W3"]), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "risk_index": index,
            "risk_decile": decile,
            "hotspot_class": hot,
            "population": pop,
            "dist_any_m": dist,
            "venue_m": dist,
            "supply": draw(st.lists(st.floats(0, 500), min_size=n, max_size=n)),
            "ward_code": ward,
        },
        index=pd.Index([f"E01{i:06d}" for i in range(n)], name="lsoa11cd"),
    )


@settings(max_examples=60, deadline=None)
@given(random_areas(), st.randoms(use_true_random=False))
def test_moving_assets_changes_actions_never_bands_or_ranks(a, rnd):
    kw = {"venue_distance_column": "venue_m", "supply_column": "supply"}
    before = priority_areas(a, **kw)
    moved = a.copy()
    for col in ["dist_any_m", "venue_m", "supply"]:  # every asset moved, shut or opened
        values = moved[col].tolist()
        rnd.shuffle(values)
        moved[col] = values
    moved["dist_any_m"] = moved["dist_any_m"].where(moved.index != moved.index[0], 10.0)
    after = priority_areas(moved, **kw)
    for col in ["priority_band", "priority_rank", "need_level"]:
        assert after[col].reindex(a.index).tolist() == before[col].reindex(a.index).tolist()


@settings(max_examples=60, deadline=None)
@given(random_areas())
def test_need_leads_the_ranking(a):
    out = priority_areas(a, venue_distance_column="venue_m", supply_column="supply")
    band = out["need_level"].map(NEED_BANDS)
    assert (band == out["priority_band"]).all()
    assert out["priority_band"].is_monotonic_increasing
    # a top-decile area or a significant hot spot never ranks below an area of lower need
    strong = out["risk_decile"].eq(1) | out["hotspot_class"].str.startswith("Hot spot")
    for code in out.index[strong.to_numpy()]:
        lower_need = out["priority_band"] > out.loc[code, "priority_band"]
        assert (out.loc[lower_need, "priority_rank"] > out.loc[code, "priority_rank"]).all()
    assert out.loc[out["risk_decile"].eq(1), "priority_band"].eq(1).all()
    assert out.loc[out["priority_band"].eq(4), "action"].eq("none").all()
    assert out.loc[out["priority_band"].le(3), "action"].ne("none").all()


@settings(max_examples=60, deadline=None)
@given(random_areas())
def test_every_ward_with_a_top_decile_area_has_a_priority_area(a):
    wards = rollup(priority_areas(a), intensive_variables=["risk_index"])
    has_top = wards["n_top_decile_areas"] > 0
    assert (wards.loc[has_top, "n_priority_areas"] >= 1).all()


def test_rollup_conserves_totals_and_weights_by_population():
    a = priority_areas(areas())
    wards = rollup(
        a, intensive_variables=["risk_index", "pct_aged_75_plus"], extensive_variables=["residents"]
    )
    assert wards["population"].sum() == a["population"].sum()
    assert wards["residents"].sum() == a["residents"].sum()
    assert wards.loc["W1", "risk_index"] == pytest.approx((9 * 1500 + 8 * 1400) / 2900)
    assert wards.loc["W1", "pct_pop_top_decile"] == pytest.approx(100 * 1500 / 2900)
    assert wards.loc["W2", "n_hotspot_areas"] == 1
    assert wards["rank"].tolist() == [1, 2]
    # both W1 areas are priorities now: decile 1 (a gap) and decile 2 (an opportunity, support
    # 300 m away), which the former matrix put in band 3 because support was near
    assert wards.loc["W1", "n_priority_areas"] == 2
    assert wards.loc["W2", "n_priority_areas"] == 0


def test_rollup_by_another_score_names_and_ranks_by_it():
    """A national run rolls its authorities up by national_risk_index: the same roll-up, the
    names following the score."""
    areas = pd.DataFrame(
        {
            "lad_code": ["A", "A", "B", "B"],
            "population": [100, 300, 200, 200],
            "national_risk_index": [8.0, 2.0, 4.0, 5.0],
            "risk_index": [9.0, 1.0, 9.0, 1.0],  # the local score: not what ranks here
            "national_decile": [1, 8, 3, 2],
        }
    )
    out = rollup(
        areas, by="lad_code", intensive_variables=["national_risk_index"],
        top_decile_column="national_decile", score_column="national_risk_index",
    )  # fmt: skip
    assert out.loc["A", "national_risk_index"] == pytest.approx((800 + 600) / 400)
    assert out["max_national_risk_index"].to_dict() == {"A": 8.0, "B": 5.0}
    assert "max_risk_index" not in out and out.index.tolist() == ["B", "A"]
    assert out["rank"].to_dict() == {"B": 1, "A": 2}
    assert out["hides_extremes"].to_dict() == {"B": False, "A": True}
    assert out.loc["A", "pct_pop_top_decile"] == pytest.approx(25.0)


def test_rollup_refuses_unassigned_and_empty_areas():
    a = areas()
    a.loc["E01000002", "ward_code"] = np.nan
    with pytest.raises(DataQualityError, match="E01000002"):
        rollup(a)
    a = areas()
    a.loc["E01000004", "population"] = 0
    with pytest.raises(DataQualityError, match="no population"):
        rollup(a)


def test_demo_ward_table_is_complete(demo_result, demo):
    wards = demo_result.wards
    assert set(wards.index) == set(demo.wards.index)
    assert wards["population"].sum() == demo.counts["residents"].sum()
    assert wards["n_areas"].sum() == len(demo.areas)


def test_unmeasured_access_is_unknown_and_banded_on_need_alone():
    a = areas()
    a["dist_any_m"] = [np.nan, 300.0, np.nan, np.nan, 100.0]
    out = priority_areas(a)
    assert out.loc[["E01000001", "E01000003", "E01000004"], "access_level"].eq("unknown").all()
    # banded on need, as every area is (was band 2: "as if access were fair")
    assert out.loc["E01000001", "priority_band"] == 1
    assert out.loc["E01000001", "action"] == "unknown"
    assert out.loc["E01000004", "priority_band"] == 4
    assert "access to digital support not measured" in out.loc["E01000001", "reason"]
    assert "access to digital support not measured" in out.loc["E01000004", "reason"]
    assert "nearest digital support 300 m away" in out.loc["E01000002", "reason"]

"""Headcounts with ranges (inclusion_geo.headcounts) and focus areas (inclusion_geo.barriers)."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from inclusion_geo._errors import DataQualityError, InclusionGeoError, MissingColumnsError
from inclusion_geo.barriers import DOMAIN_FOCUS, FOCUS, FOCUS_AREAS, focus_of, focus_scores
from inclusion_geo.headcounts import (
    BANDS,
    ENGLAND_ADULTS_2021,
    LABEL,
    band_rates,
    catchment_headcounts,
    estimate_offline,
    load_rates,
    rollup_headcounts,
)
from inclusion_geo.indicators import CATALOGUE, compute_indicators
from inclusion_geo.scoring import Recipe, RecipeIndicator, contributions, default_recipe, score

from .hostile import PRINTABLE

# rates per band, hand-checkable
RATES = pd.DataFrame(
    {"value": [0.02, 0.2, 0.5], "low": [0.01, 0.1, 0.4], "high": [0.03, 0.3, 0.6]},
    index=["16-64", "65-74", "75+"],
)
# area A: 700 aged 16-64, 200 aged 65-74, 100 aged 75+; area B: 450, 0, 50
TWO = pd.DataFrame(
    {"residents_16_plus": [1000, 500], "aged_65_plus": [300, 50], "aged_75_plus": [100, 50]},
    index=pd.Index(["A", "B"], name="lsoa21cd"),
)


def _published(rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["measure", "group", "geography", "value", "low", "high", "year"]
    )


# --- the hand-computed example ----------------------------------------------------------------


def test_two_areas_by_hand():
    est = estimate_offline(TWO, rates=RATES)
    # A: 700*0.02 + 200*0.2 + 100*0.5 = 14 + 40 + 50; low 7 + 20 + 40; high 21 + 60 + 60
    # B: 450*0.02 + 0 + 50*0.5 = 9 + 25; low 4.5 + 20; high 13.5 + 30
    assert est["offline_adults"].tolist() == pytest.approx([104.0, 34.0])
    assert est["offline_adults_low"].tolist() == pytest.approx([67.0, 24.5])
    assert est["offline_adults_high"].tolist() == pytest.approx([141.0, 43.5])
    assert est["adults_16_64"].tolist() == [700.0, 450.0]
    assert est["adults_65_74"].tolist() == [200.0, 0.0]
    assert est["adults"].tolist() == [1000.0, 500.0]
    assert est.index.equals(TWO.index)
    assert est.attrs["label"] == LABEL == "modelled estimate, not a count"
    assert TWO["aged_65_plus"].tolist() == [300, 50]  # the input is not changed


def test_a_published_table_with_every_band_gives_the_same_answer():
    table = _published(
        [("offline", b, "UK", *RATES.loc[b], 2020) for b in RATES.index]
        + [("offline", "disabled", "UK", 0.9, 0.9, 0.9, 2020)]  # not an age band: not used
    )
    direct = estimate_offline(TWO, rates=table)
    assert direct["offline_adults"].tolist() == pytest.approx([104.0, 34.0])
    assert direct["offline_adults_high"].tolist() == pytest.approx([141.0, 43.5])


def test_no_basic_skills_measure_names_its_columns():
    table = _published([("no_basic_skills", b, "UK", *RATES.loc[b], 2020) for b in RATES.index])
    est = estimate_offline(TWO, rates=table, measure="no_basic_skills")
    assert {"no_basic_skills_adults", "no_basic_skills_adults_low"} <= set(est.columns)
    assert est["no_basic_skills_adults"].tolist() == pytest.approx([104.0, 34.0])


# --- band rates from published rates ----------------------------------------------------------

POP = {"16-64": 800.0, "65-74": 100.0, "75+": 100.0}


def test_residual_band_by_hand():
    table = _published(
        [
            ("offline", "16+", "UK", 0.1, 0.09, 0.11, 2019),
            ("offline", "65-74", "UK", 0.2, 0.2, 0.2, 2019),
            ("offline", "75+", "UK", 0.5, 0.5, 0.5, 2019),
        ]
    )
    r = band_rates(table, population=POP)
    # (0.1*1000 - 0.2*100 - 0.5*100) / 800; low (90 - 70) / 800; high (110 - 70) / 800
    assert r.loc["16-64", ["value", "low", "high"]].tolist() == pytest.approx(
        [30 / 800, 20 / 800, 40 / 800]
    )
    assert r.loc["16-64", "method"].startswith("residual: 16+ - 65-74 - 75+")


def test_containing_band_and_15_plus_base():
    table = _published(
        [
            ("no_basic_skills", "15+", "UK", 0.2, 0.2, 0.2, 2020),
            ("no_basic_skills", "65+", "UK", 0.5, 0.5, 0.5, 2020),
        ]
    )
    r = band_rates(table, measure="no_basic_skills", population=POP)
    assert r.loc["65-74", "value"] == r.loc["75+", "value"] == 0.5
    assert r.loc["75+", "method"] == "rate of the containing band 65+"
    assert r.loc["16-64", "value"] == pytest.approx((0.2 * 1000 - 0.5 * 200) / 800)


def test_editions_latest_point_and_the_spread_as_range():
    table = _published(
        [
            ("offline", "16-64", "UK", 0.02, 0.02, 0.02, 2020),
            ("offline", "65-74", "UK", 0.2, 0.2, 0.2, 2020),
            ("offline", "75+", "UK", 0.46, 0.455, 0.465, 2020),
            ("offline", "75+", "UK", 0.53, 0.525, 0.535, 2019),
        ]
    )
    r = band_rates(table, population=POP)
    assert r.loc["75+", ["value", "low", "high"]].tolist() == [0.46, 0.455, 0.535]
    assert r.loc["75+", "editions"] == "2019, 2020"


def test_packaged_rates_are_sourced_and_resolve():
    table = load_rates()
    assert table["url"].str.startswith("https://").all()
    assert table["licence"].str.len().gt(0).all()
    assert set(table["source_kind"]) <= {"primary", "secondary"}
    assert set(table["range_basis"]) == {"rounding"}
    assert ((table["low"] <= table["value"]) & (table["value"] <= table["high"])).all()
    for measure in ("offline", "no_basic_skills"):
        r = band_rates(measure=measure)
        assert list(r.index) == list(BANDS)
        assert ((r["low"] <= r["value"]) & (r["value"] <= r["high"])).all()
        assert r["value"].is_monotonic_increasing  # older bands are more often offline
    # the published 75+ rate (ONS 2020: 54% recent users) is the point
    assert band_rates(measure="offline").loc["75+", "value"] == pytest.approx(0.46)


# --- invariants -------------------------------------------------------------------------------

counts_strategy = st.lists(
    st.tuples(
        st.integers(0, 3000), st.integers(0, 1000), st.integers(0, 1000)
    ),  # 16-64, 65-74, 75+
    min_size=1,
    max_size=30,
)
rate_strategy = st.lists(
    st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)).map(sorted),
    min_size=3,
    max_size=3,
)


def _counts(rows) -> pd.DataFrame:
    a, b, c = (np.array(x, dtype=float) for x in zip(*rows, strict=True))
    return pd.DataFrame(
        {"residents_16_plus": a + b + c, "aged_65_plus": b + c, "aged_75_plus": c},
        index=[f"E01{i:06d}" for i in range(len(rows))],
    )


def _bands(rates) -> pd.DataFrame:
    return pd.DataFrame(rates, columns=["low", "value", "high"], index=list(BANDS))


@settings(max_examples=60, deadline=None)
@given(counts_strategy, rate_strategy)
def test_point_lies_inside_its_range(rows, rates):
    est = estimate_offline(_counts(rows), rates=_bands(rates))
    tol = 1e-9 * (1 + est["offline_adults"].abs())
    assert (est["offline_adults_low"] <= est["offline_adults"] + tol).all()
    assert (est["offline_adults"] <= est["offline_adults_high"] + tol).all()
    assert (est["offline_adults_low"] >= 0).all()
    assert (est["offline_adults_high"] <= est["adults"] + tol).all()


@settings(max_examples=60, deadline=None)
@given(counts_strategy, rate_strategy, st.integers(0, 2), st.floats(0, 1))
def test_raising_a_rate_never_lowers_a_count(rows, rates, band, bump):
    counts = _counts(rows)
    before = estimate_offline(counts, rates=_bands(rates))
    raised = [list(r) for r in rates]
    raised[band] = [raised[band][0], min(1.0, raised[band][1] + bump), 1.0]
    after = estimate_offline(counts, rates=_bands(raised))
    for col in ("offline_adults", "offline_adults_high"):
        assert (after[col] >= before[col] - 1e-9).all()


@settings(max_examples=40, deadline=None)
@given(counts_strategy, st.data())
def test_areas_add_to_wards_add_to_the_authority(rows, data):
    counts = _counts(rows)
    est = estimate_offline(counts, rates=RATES)
    ward = pd.Series(
        data.draw(st.lists(st.sampled_from("abc"), min_size=len(rows), max_size=len(rows))),
        index=counts.index,
        name="ward_code",
    )
    wards = rollup_headcounts(est, ward)
    authority = rollup_headcounts(wards, pd.Series("E08000035", index=wards.index, name="lad"))
    direct = rollup_headcounts(est, pd.Series("E08000035", index=est.index, name="lad"))
    for col in ("offline_adults", "offline_adults_low", "offline_adults_high", "adults"):
        assert wards[col].sum() == pytest.approx(est[col].sum(), rel=1e-12, abs=1e-9)
        assert authority[col].iloc[0] == pytest.approx(direct[col].iloc[0], rel=1e-12, abs=1e-9)
    assert int(wards["n_areas"].sum()) == len(est)
    assert wards.index.name == "ward_code"


@settings(max_examples=40, deadline=None)
@given(counts_strategy, st.data())
def test_the_tilt_conserves_each_authority_total(rows, data):
    counts = _counts(rows)
    n = len(rows)
    tilt = pd.Series(data.draw(st.lists(st.floats(0.01, 10), min_size=n, max_size=n)), counts.index)
    groups = pd.Series(
        data.draw(st.lists(st.sampled_from("xy"), min_size=n, max_size=n)), counts.index
    )
    plain = estimate_offline(counts, rates=RATES)
    tilted = estimate_offline(counts, rates=RATES, tilt=tilt, tilt_by=groups)
    for col in ("offline_adults", "offline_adults_low", "offline_adults_high"):
        before = plain[col].groupby(groups).sum()
        after = tilted[col].groupby(groups).sum()
        assert after.to_numpy() == pytest.approx(before.to_numpy(), rel=1e-9, abs=1e-9)
    assert (tilted["offline_adults_low"] <= tilted["offline_adults"] + 1e-9).all()
    assert (tilted["offline_adults"] <= tilted["offline_adults_high"] + 1e-9).all()


def test_the_tilt_moves_people_towards_higher_weights():
    even = pd.DataFrame(
        {"residents_16_plus": [100, 100], "aged_65_plus": [20, 20], "aged_75_plus": [10, 10]},
        index=["A", "B"],
    )
    est = estimate_offline(even, rates=RATES, tilt=pd.Series({"A": 3.0, "B": 1.0}))
    total = estimate_offline(even, rates=RATES)["offline_adults"].sum()
    # equal areas, weights 3:1: three quarters of the total go to A
    assert est.loc["A", "offline_adults"] == pytest.approx(0.75 * total)
    same = estimate_offline(even, rates=RATES, tilt=pd.Series({"A": 1.0, "B": 1.0}))
    assert same["offline_adults"].tolist() == pytest.approx([total / 2, total / 2])


def test_tilt_errors():
    with pytest.raises(InclusionGeoError, match=r"tilt has no value .*\['B'\]"):
        estimate_offline(TWO, rates=RATES, tilt=pd.Series({"A": 1.0}))
    with pytest.raises(InclusionGeoError, match="non-negative"):
        estimate_offline(TWO, rates=RATES, tilt=pd.Series({"A": -1.0, "B": 1.0}))
    with pytest.raises(InclusionGeoError, match="zero for every area"):
        estimate_offline(TWO, rates=RATES, tilt=pd.Series({"A": 0.0, "B": 0.0}))


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("offline", "75+", "UK", 46, 0.4, 0.5, 2020), r"value=46 .*'75\+'.* outside 0-1.*0\.08"),
        (("offline", "75+", "UK", 0.46, 0.5, 0.6, 2020), r"low=0.5 is above value=0.46 .*'75\+'"),
        (("offline", "75+", "UK", 0.46, 0.4, 0.45, 2020), r"value=0.46 is above high=0.45"),
        (("offline", "75+", "UK", "8%", 0.4, 0.5, 2020), r"'value' is not a number .*'8%'"),
    ],
)
def test_bad_rates_name_the_row_and_the_fix(row, message):
    table = _published([row, ("offline", "16+", "UK", 0.08, 0.07, 0.09, 2020)])
    with pytest.raises(InclusionGeoError, match=message):
        estimate_offline(TWO, rates=table)


def test_bad_band_rates_are_refused():
    bad = RATES.copy()
    bad.loc["65-74", "low"] = 0.25
    with pytest.raises(InclusionGeoError, match=r"low=0.25 is above value=0.2 .*'65-74'"):
        estimate_offline(TWO, rates=bad)
    with pytest.raises(MissingColumnsError, match=r"missing \['75\+'\]"):
        estimate_offline(TWO, rates=RATES.drop(index="75+"))


def test_a_band_without_a_rate_names_it():
    table = _published([("offline", "75+", "UK", 0.46, 0.455, 0.465, 2020)])
    with pytest.raises(
        InclusionGeoError, match=r"no 'offline' rate for ages 16-64 .*group '16-64'"
    ):
        estimate_offline(TWO, rates=table)
    with pytest.raises(InclusionGeoError, match=r"geography='Wales'.*'offline': \['UK'\]"):
        estimate_offline(TWO, rates=table, geography="Wales")


def test_inconsistent_rates_for_a_residual_are_refused():
    table = _published(
        [
            ("offline", "16+", "UK", 0.01, 0.01, 0.01, 2020),
            ("offline", "65-74", "UK", 0.5, 0.5, 0.5, 2020),
            ("offline", "75+", "UK", 0.9, 0.9, 0.9, 2020),
        ]
    )
    with pytest.raises(InclusionGeoError, match="inconsistent"):
        band_rates(table, population=POP)


@pytest.mark.parametrize(
    ("drop", "table"),
    [("residents_16_plus", "TS067"), ("aged_75_plus", "RM121"), ("aged_65_plus", "TS007A")],
)
def test_missing_age_columns_name_the_table_that_gives_them(drop, table):
    with pytest.raises(MissingColumnsError, match=rf"\['{drop}'\].*{table}"):
        estimate_offline(TWO.drop(columns=drop), rates=RATES)


def test_bad_counts_are_refused():
    negative = TWO.assign(aged_75_plus=[-5, 50])
    with pytest.raises(DataQualityError, match=r"'aged_75_plus' is negative .*\['A'\].*-5"):
        estimate_offline(negative, rates=RATES)
    nested = TWO.assign(aged_75_plus=[400, 50])
    with pytest.raises(DataQualityError, match=r"'aged_75_plus' exceeds 'aged_65_plus'.*\['A'\]"):
        estimate_offline(nested, rates=RATES)
    gaps = TWO.astype(float).assign(aged_65_plus=[np.nan, 50.0])
    with pytest.raises(DataQualityError, match=r"missing age counts .*\['A'\]"):
        estimate_offline(gaps, rates=RATES)


# --- catchments and hostile names -------------------------------------------------------------


def test_catchments_by_hand():
    est = estimate_offline(TWO, rates=RATES)
    centroids = gpd.GeoSeries([Point(0, 0), Point(1000, 0)], index=TWO.index, crs="EPSG:27700")
    places = gpd.GeoDataFrame(
        {"name": ["near A", "between", "far"]},
        geometry=[Point(100, 0), Point(500, 0), Point(9000, 9000)],
        index=["p1", "p2", "p3"],
        crs="EPSG:27700",
    )
    reach = catchment_headcounts(est, centroids, places, radius_m=600)
    assert reach["n_areas"].tolist() == [1, 2, 0]
    assert reach["offline_adults"].tolist() == pytest.approx([104.0, 138.0, 0.0])
    assert reach["offline_adults_high"].tolist() == pytest.approx([141.0, 184.5, 0.0])
    assert reach.index.tolist() == ["p1", "p2", "p3"]
    with pytest.raises(InclusionGeoError, match=r"centroids has no point .*'B'"):
        catchment_headcounts(est, centroids.iloc[:1], places, radius_m=600)
    with pytest.raises(InclusionGeoError, match="radius_m"):
        catchment_headcounts(est, centroids, places, radius_m=-1)


def test_hostile_group_codes_are_only_keys():
    est = estimate_offline(TWO, rates=RATES)
    names = list(PRINTABLE.values())[:2]
    wards = rollup_headcounts(est, pd.Series(names, index=est.index, name="ward"))
    assert sorted(wards.index) == sorted(names)
    assert wards["offline_adults"].sum() == pytest.approx(138.0)
    with pytest.raises(DataQualityError, match=r"have no group.*'B'"):
        rollup_headcounts(est, pd.Series({"A": "w1"}))


# --- focus areas ------------------------------------------------------------------------------


def test_every_catalogue_indicator_has_a_focus_area():
    assert set(CATALOGUE) == set(FOCUS_AREAS)
    assert set(FOCUS_AREAS.values()) == set(FOCUS)
    assert set(DOMAIN_FOCUS.values()) <= set(FOCUS)


def test_focus_scores_add_up_to_the_risk_index(demo):
    scores = score(compute_indicators(demo.counts))
    focus = focus_scores(contributions(scores))
    parts = focus[[f"focus_{f}" for f in FOCUS]]
    assert np.allclose(parts.sum(axis=1), scores["risk_index"], rtol=0, atol=1e-9)
    assert (focus["leading_focus"] == parts.idxmax(axis=1).str.removeprefix("focus_")).all()
    assert focus.index.equals(scores.index)


def test_focus_scores_by_hand_and_recipe_domains():
    recipe = Recipe(
        name="t",
        indicators=(
            RecipeIndicator("pct_aged_75_plus"),
            RecipeIndicator("pct_no_qualifications"),
            RecipeIndicator("pct_social_rented"),
        ),
    )
    contrib = pd.DataFrame(
        {"pct_aged_75_plus": [1.0, 0.0], "pct_no_qualifications": [2.0, 0.5],
         "pct_social_rented": [0.5, np.nan]},
        index=["A", "B"],
    )  # fmt: skip
    f = focus_scores(contrib, recipe)
    assert f.loc["A", ["focus_skills", "focus_confidence"]].tolist() == [2.0, 1.0]
    assert f.loc["A", "focus_barriers_to_services"] == 0.0
    assert f.loc["A", "leading_focus"] == "skills"
    assert f.loc["B"].isna().all()  # a missing contribution: no focus, not a guess
    assert focus_of("pct_aged_75_plus", focus_areas={"pct_aged_75_plus": "skills"}) == "skills"
    # an indicator of a recipe's own domain has no focus area of the plan: "other", and the
    # focus scores still add up to the index (before: an error late in every run)
    assert focus_of("my_indicator", default_recipe()) == "other"
    own = contrib[["pct_aged_75_plus"]].assign(my_indicator=[2.0, 0.5])
    g = focus_scores(own)  # my_indicator: in no focus area of the plan, nor a known domain
    assert g.loc["A", "focus_other"] == 2.0 and g.loc["A", "leading_focus"] == "other"
    assert g.drop(columns="leading_focus").sum(axis=1).tolist() == [3.0, 0.5]
    with pytest.raises(InclusionGeoError, match="not one of"):
        focus_of("pct_disabled", focus_areas={"pct_disabled": "language"})


# --- real data --------------------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.slow
def test_england_and_leeds_from_the_census_files(shared_data):
    from inclusion_geo.sources import (
        aggregate_counts,
        load_area_lookup,
        load_census_table,
        load_oa_lsoa_lookup,
    )

    oa = shared_data / "ons-census2021-oa-tables"
    lookups = shared_data / "ons-lookups"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qualifications = load_census_table(oa / "ts067.parquet", metadata=oa / "Table_Metadata.csv")
        age = load_census_table(
            shared_data / "ons-census2021-nomis" / "Census 2021 - Population.csv"
        )
    adults = aggregate_counts(
        qualifications, load_oa_lsoa_lookup(lookups / "OA21_to_LSOA21_EW.csv")
    )
    counts = adults.join(age.drop(columns="area_name"), how="inner")
    england = counts[counts.index.str.startswith("E")]
    assert len(england) == 33_755

    # the national weights in the module are these files' England totals
    assert (
        england["residents_16_plus"].sum() - england["aged_65_plus"].sum()
        == ENGLAND_ADULTS_2021["16-64"]
    )
    assert (
        england["aged_65_plus"].sum() - england["aged_75_plus"].sum()
        == ENGLAND_ADULTS_2021["65-74"]
    )
    assert england["aged_75_plus"].sum() == ENGLAND_ADULTS_2021["75+"]

    lad = load_area_lookup(
        lookups
        / "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_England_and_Wales.csv",
        source="lsoa21cd",
        target="lad22cd",
    )
    lad = lad[~lad.index.duplicated()]
    rates = load_rates()
    n_adults = england["residents_16_plus"].sum()
    report = []
    for measure, national_group in (("offline", "16+"), ("no_basic_skills", "15+")):
        est = estimate_offline(england, measure=measure)
        col = f"{measure}_adults"
        total = est[[col, col + "_low", col + "_high"]].sum()
        # the published national figure the bands were built from: every edition's rate for
        # all adults, times England's adults
        national = rates[
            (rates["measure"] == measure)
            & (rates["group"] == national_group)
            & (rates["geography"] == "UK")
        ]
        latest = national.loc[national["year"].idxmax()]
        low, high = national["low"].min() * n_adults, national["high"].max() * n_adults
        assert low <= total[col] <= high, (measure, total[col], low, high)
        assert total[col + "_low"] <= latest["value"] * n_adults <= total[col + "_high"]
        by_lad = rollup_headcounts(est, lad.reindex(est.index).rename("lad22cd"))
        assert by_lad[col].sum() == pytest.approx(total[col], rel=1e-12)
        leeds = by_lad.loc["E08000035"]
        assert leeds["n_areas"] == 488
        assert leeds[col + "_low"] <= leeds[col] <= leeds[col + "_high"]
        report.append(
            f"{measure}: England {total[col]:,.0f} ({total[col + '_low']:,.0f}-"
            f"{total[col + '_high']:,.0f}) of {n_adults:,.0f} adults; published national "
            f"{latest['value']:.1%} x adults = {latest['value'] * n_adults:,.0f} "
            f"(editions' range {low:,.0f}-{high:,.0f}); Leeds {leeds[col]:,.0f} "
            f"({leeds[col + '_low']:,.0f}-{leeds[col + '_high']:,.0f}) of {leeds['adults']:,.0f}"
        )
    print("\n" + "\n".join(report))
    assert math.isfinite(n_adults)

import pandas as pd
import pytest

from inclusion_geo._errors import DataQualityError, InclusionGeoError, MissingColumnsError
from inclusion_geo.indicators import CATALOGUE, IndicatorSpec, compute_indicators


def counts():
    return pd.DataFrame(
        {"age_base": [100, 200, 50], "aged_65_plus": [10, 50, 0], "imd_score": [5.0, 30.0, 12.5]},
        index=pd.Index(["E01000001", "E01000002", "E01000003"], name="lsoa11cd"),
    )


def test_rates_are_hand_computable_and_raw_scores_pass_through():
    out = compute_indicators(counts(), ["pct_aged_65_plus", "imd_score"])
    assert out["pct_aged_65_plus"].tolist() == [10.0, 25.0, 0.0]
    assert out["imd_score"].tolist() == [5.0, 30.0, 12.5]
    assert out.index.equals(counts().index)


def test_default_uses_every_indicator_the_counts_allow(demo):
    out = compute_indicators(demo.counts)
    assert "pct_routine_never_worked" not in out  # demo has no NS-SeC
    assert {"pct_aged_75_plus", "pct_premises_below_30mbit", "median_download_mbit"} <= set(out)
    pct = [c for c in out if CATALOGUE[c].unit == "%"]
    assert out[pct].ge(0).all().all() and out[pct].le(100).all().all()


def test_catalogue_covers_the_issue_list():
    needed = {
        "pct_aged_65_plus", "pct_aged_75_plus", "pct_disabled", "pct_bad_health",
        "pct_no_qualifications", "pct_poor_english", "pct_hh_deprived_3_plus",
        "pct_social_rented", "pct_one_person_66_plus", "pct_routine_never_worked", "imd_score",
        "income_score", "employment_score", "pct_premises_below_30mbit", "median_download_mbit",
    }  # fmt: skip
    assert needed <= set(CATALOGUE)
    assert CATALOGUE["median_download_mbit"].direction == "lower_is_risk"


def test_zero_denominator_names_the_areas():
    c = counts()
    c.loc["E01000003", "age_base"] = 0
    with pytest.raises(DataQualityError, match="E01000003"):
        compute_indicators(c, ["pct_aged_65_plus"])


def test_numerator_above_denominator_is_refused():
    c = counts()
    c.loc["E01000001", "aged_65_plus"] = 101
    with pytest.raises(DataQualityError, match="exceeds"):
        compute_indicators(c, ["pct_aged_65_plus"])


def test_missing_column_and_unknown_indicator():
    with pytest.raises(MissingColumnsError, match="disabled"):
        compute_indicators(counts(), ["pct_disabled"])
    with pytest.raises(InclusionGeoError, match="Unknown indicator 'nope'"):
        compute_indicators(counts(), ["nope"])


def test_non_numeric_column_is_refused():
    c = counts().astype({"aged_65_plus": object})
    c.loc["E01000002", "aged_65_plus"] = ".."
    with pytest.raises(DataQualityError, match="not numeric"):
        compute_indicators(c, ["pct_aged_65_plus"])


def test_bad_direction_in_a_custom_spec():
    with pytest.raises(InclusionGeoError, match="direction"):
        IndicatorSpec("x", "X", "a", None, "%", "up", "d", "s", "2021")

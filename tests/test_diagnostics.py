import numpy as np
import pandas as pd
import pytest

from inclusion_geo._errors import InclusionGeoError
from inclusion_geo.diagnostics import compare_indices, correlation_check, sensitivity, typology
from inclusion_geo.indicators import compute_indicators
from inclusion_geo.presets import get_preset, gmca_deri
from inclusion_geo.scoring import index_from_domains, score


@pytest.fixture(scope="module")
def ind(demo):
    return compute_indicators(demo.counts)


def test_sensitivity_is_seeded_and_sensible(ind):
    a = sensitivity(ind, draws=300, seed=1)
    b = sensitivity(ind, draws=300, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert (a["rank_p05"] <= a["rank_median"]).all() and (a["rank_median"] <= a["rank_p95"]).all()
    assert a["p_top"].between(0, 1).all()
    # areas ranked first by the recipe are usually in the top decile
    assert a.sort_values("rank")["p_top"].head(5).mean() > 0.5
    assert 0 < a.attrs["top_retained"] <= 1
    # with near-fixed weights and one method, ranks barely move
    tight = sensitivity(ind, draws=50, concentration=1e6, normalisations=["minmax"])
    assert (tight["rank_median"] - tight["rank"]).abs().max() <= 1
    with pytest.raises(InclusionGeoError, match="normalisations"):
        sensitivity(ind, normalisations=["fancy"])


def test_correlation_check_warns_on_double_counting(ind):
    with pytest.warns(UserWarning, match=r"pct_aged_75_plus ~ pct_aged_65_plus"):
        corr = correlation_check(ind)
    assert corr.loc["pct_aged_65_plus", "pct_aged_65_plus"] == pytest.approx(1)
    # download speed is oriented: slower is more risk, so it correlates positively with poor coverage
    assert corr.loc["median_download_mbit", "pct_premises_below_30mbit"] > 0


def test_typology_names_profiles_from_their_centres(ind):
    labels, profiles = typology(ind, k=5, seed=0)
    assert labels.index.equals(ind.index) and profiles["n_areas"].sum() == len(ind)
    assert profiles.index.is_unique
    joined = " | ".join(profiles.index)
    assert "low connectivity" in joined and ("deprived" in joined or "low qualifications" in joined)
    assert typology(ind, k=5, seed=0)[0].equals(labels)


def test_compare_indices_spearman_and_auc():
    idx = pd.Series([1.0, 2, 3, 4, 5], index=list("abcde"))
    ref = pd.Series([10.0, 20, 30, 40, 50], index=list("abcde"))
    assert compare_indices(idx, ref)["spearman"] == pytest.approx(1)
    groups = pd.Series([1, 1, 2, 9, 9], index=list("abcde"))
    res = compare_indices(idx, groups, positive=[9])
    assert res["roc_auc"] == pytest.approx(1) and res["n"] == 5
    with pytest.raises(InclusionGeoError, match="in both"):
        compare_indices(idx, pd.Series([1.0], index=["z"]))


def test_imputation_is_explicit_and_flagged(ind):
    holes = ind.copy()
    holes.iloc[3, holes.columns.get_loc("pct_disabled")] = np.nan
    s = score(holes, missing="impute_median")
    assert s["imputed"].iloc[3] == "pct_disabled" and (s["imputed"].drop(s.index[3]) == "").all()
    assert s["risk_index"].notna().all()


def test_deri_preset_weights():
    normal, documented = gmca_deri(), gmca_deri(as_documented=True)
    w = normal.weights_table()
    assert w.loc["pct_no_qualifications", "share_of_domain"] == pytest.approx(0.4)
    assert w.loc["pct_aged_65_plus", "share_of_domain"] == pytest.approx(5 / 14)
    d = documented.weights_table()
    assert d.loc["pct_aged_65_plus", "share_of_domain"] == pytest.approx(0.5)
    assert d.loc["pct_disabled", "share_of_domain"] == pytest.approx(2 / 14)
    # as documented, the demography component can reach 10 + 40/14
    assert d.loc[d["domain"] == "demography", "share_of_domain"].sum() * 10 == pytest.approx(
        10 + 40 / 14
    )
    assert get_preset("gmca_deri_v1_6", scope="reference").scope == "reference"


@pytest.mark.shared_data
def test_deri_final_step_reproduces_the_published_national_scores(shared_data):
    import pyreadr  # in the test extra

    frame = next(
        iter(
            pyreadr.read_r(
                str(shared_data / "digital-exclusion-reference" / "england_lsoa_depahri.rda")
            ).values()
        )
    )
    assert len(frame) == 32_844
    domains = pd.DataFrame(
        {
            "domain_demography": frame["demography_comp_national"],
            "domain_broadband": frame["broadband_comp_national"],
            "domain_deprivation": frame["deprivation_comp_national"],
        }
    )
    ours = index_from_domains(domains, gmca_deri())
    np.testing.assert_allclose(ours, frame["deri_score_national"], atol=1e-6)

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from inclusion_geo._errors import DataQualityError, InclusionGeoError, MissingColumnsError
from inclusion_geo.scoring import (
    Recipe,
    RecipeIndicator,
    contributions,
    default_recipe,
    load_recipe,
    normalise,
    recipe_from_dict,
    score,
    top_barriers,
)

IDX = pd.Index([f"E0100000{i}" for i in range(1, 6)], name="lsoa11cd")


def frame():
    return pd.DataFrame(
        {
            "pct_aged_75_plus": [2.0, 4.0, 6.0, 8.0, 10.0],
            "pct_disabled": [10.0, 20.0, 20.0, 30.0, 50.0],
            "median_download_mbit": [80.0, 60.0, 40.0, 20.0, 10.0],
        },
        index=IDX,
    )


def recipe(**kw):
    return Recipe(
        name="t",
        indicators=(
            RecipeIndicator("pct_aged_75_plus", weight=3),
            RecipeIndicator("pct_disabled", weight=1),
            RecipeIndicator("median_download_mbit", weight=1),
        ),
        **kw,
    )


def test_minmax_matches_hand_computed_values():
    s = score(frame(), recipe())
    assert s["score_pct_aged_75_plus"].tolist() == [0.0, 2.5, 5.0, 7.5, 10.0]
    assert s["score_pct_disabled"].tolist() == [0.0, 2.5, 2.5, 5.0, 10.0]
    # lower speed is more risk: 80 -> 0, 10 -> 10
    assert s["score_median_download_mbit"].tolist() == pytest.approx(
        [0, 20 / 7, 40 / 7, 60 / 7, 10]
    )
    # demography = (3 * 75+ + 1 * disabled) / 4; connectivity alone; index = mean of domains
    demo_dom = (3 * s["score_pct_aged_75_plus"] + s["score_pct_disabled"]) / 4
    assert s["domain_demography"].tolist() == pytest.approx(demo_dom.tolist())
    expected = (demo_dom + s["score_median_download_mbit"]) / 2
    assert s["risk_index"].tolist() == pytest.approx(expected.tolist())
    assert s["risk_rank"].tolist() == [5, 4, 3, 2, 1]
    assert s.index.equals(IDX)


def test_minmax_against_a_reference_scope():
    ref = pd.DataFrame({"pct_aged_75_plus": [0.0, 20.0]})
    out = normalise(frame()["pct_aged_75_plus"], reference=ref["pct_aged_75_plus"])
    assert out.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    r = recipe(scope="reference")
    reference = pd.concat([frame(), frame() * 2])
    s = score(frame(), r, reference=reference)
    assert s["score_pct_aged_75_plus"].max() == pytest.approx(10 * (10 - 2) / (20 - 2))


def test_rank_and_zscore_and_exponential():
    x = frame()["pct_disabled"]
    assert normalise(x, method="rank").tolist() == [1.0, 4.0, 4.0, 7.0, 9.0]
    z = normalise(x, method="zscore")
    assert z.mean() == pytest.approx(0) and z.std(ddof=0) == pytest.approx(1)
    e = normalise(x, method="exponential")
    assert e.is_monotonic_increasing and e.between(0, 10).all()


def test_log_transform_before_scaling():
    x = pd.Series([0.0, 0.2, 10.0], name="pct_poor_english")
    out = normalise(x, transform="log")
    assert out.tolist() == pytest.approx([0, 10 * np.log1p(0.2) / np.log1p(10), 10])
    with pytest.raises(DataQualityError, match="negative"):
        normalise(pd.Series([-1.0, 2.0]), transform="log")


def test_zero_variance_warns_and_scores_zero():
    f = frame().assign(pct_disabled=7.0)
    with pytest.warns(UserWarning, match="zero variance"):
        s = score(f, recipe())
    assert (s["score_pct_disabled"] == 0).all()
    assert s["risk_index"].notna().all()


def test_contributions_add_up_to_the_index(demo):
    from inclusion_geo.indicators import compute_indicators

    s = score(compute_indicators(demo.counts))
    c = contributions(s)
    np.testing.assert_allclose(c.sum(axis=1), s["risk_index"], atol=1e-12)
    assert default_recipe().weights_table()["share_of_index"].sum() == pytest.approx(1)


def test_missing_values_are_an_error_naming_areas_and_indicators():
    f = frame()
    f.loc["E01000003", "pct_disabled"] = np.nan
    with pytest.raises(DataQualityError, match=r"pct_disabled.*E01000003"):
        score(f, recipe())


def test_recipe_validation_messages():
    with pytest.raises(InclusionGeoError, match="unknown indicator 'nope'"):
        Recipe(name="x", indicators=(RecipeIndicator("nope"),))
    with pytest.raises(InclusionGeoError, match="unknown direction"):
        Recipe(name="x", indicators=(RecipeIndicator("pct_disabled", direction="sideways"),))
    with pytest.raises(InclusionGeoError, match="weights must be"):
        Recipe(name="x", indicators=(RecipeIndicator("pct_disabled", weight=-1),))
    with pytest.raises(InclusionGeoError, match="weight 0"):
        Recipe(name="x", indicators=(RecipeIndicator("pct_disabled", weight=0),))
    with pytest.raises(MissingColumnsError, match="pct_aged_75_plus"):
        score(frame().drop(columns="pct_aged_75_plus"), recipe())
    with pytest.raises(DataQualityError, match="at least two areas"):
        score(frame().iloc[:1], recipe())


def test_recipe_from_toml(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(
        'name = "mine"\nnormalisation = "rank"\n[domains]\ndemography = 2\nconnectivity = 1\n'
        "[indicators.pct_aged_75_plus]\nweight = 2\n[indicators.median_download_mbit]\n"
    )
    r = load_recipe(path)
    assert r.normalisation == "rank"
    w = r.weights_table()
    assert w.loc["pct_aged_75_plus", "share_of_index"] == pytest.approx(2 / 3)
    path.write_text("[indicators.pct_aged_75_plus]\nweigth = 2\n")
    with pytest.raises(InclusionGeoError, match="weigth"):
        load_recipe(path)
    with pytest.raises(InclusionGeoError, match="unknown key"):
        recipe_from_dict({"indicators": {"pct_disabled": {}}, "colour": "red"})


def test_top_barriers_names_the_worst_indicators():
    text = top_barriers(frame(), recipe(), place="Testville", n=2)
    # all three are worst in area 5; the two with the largest share of the index are named
    assert text["E01000005"] == (
        "Median download speed 10 Mbit/s (worst 20% of Testville); "
        "Aged 75+ 10.0% (worst 20% of Testville)"
    )
    assert text["E01000001"] == "no single barrier stands out"


# --- properties ---------------------------------------------------------------------------

# rates to 0.1 % steps: distinct values stay distinct after the transforms below
values = arrays(np.int64, st.integers(3, 30), elements=st.integers(0, 10_000), unique=True).map(
    lambda a: a / 10.0
)


@settings(max_examples=50, deadline=None)
@given(values, st.sampled_from(["minmax", "rank"]))
def test_monotone_rescaling_leaves_minmax_and_rank_scores_unchanged(x, method):
    s = pd.Series(x, name="v")
    base = normalise(s, method=method)
    # an increasing affine map keeps min-max scores; any increasing map keeps rank scores
    transformed = s * 3.5 + 7 if method == "minmax" else np.exp(s / 200.0)
    np.testing.assert_allclose(normalise(transformed, method=method), base, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.permutations(list(range(5))), st.floats(0.1, 100))
def test_permuting_rows_permutes_outputs_and_scaling_weights_changes_nothing(order, factor):
    f = frame()
    base = score(f, recipe())
    permuted = score(f.iloc[list(order)], recipe())
    pd.testing.assert_frame_equal(permuted, base.iloc[list(order)])
    scaled = Recipe(
        name="t",
        indicators=tuple(
            RecipeIndicator(i.name, weight=i.weight * factor) for i in recipe().indicators
        ),
        domain_weights={"demography": factor, "connectivity": factor},
    )
    pd.testing.assert_frame_equal(score(f, scaled), base, atol=1e-9)


def test_a_one_area_comparison_set_is_refused():
    with pytest.raises(DataQualityError, match="at least two areas"):
        score(frame(), recipe(scope="reference"), reference=frame().iloc[:1])


@pytest.mark.parametrize("method", ["minmax", "rank", "zscore"])
def test_scoring_groups_in_one_pass_equals_scoring_each_group(method, demo):
    from inclusion_geo.indicators import compute_indicators

    ind = compute_indicators(demo.counts)
    recipe = default_recipe()
    recipe = Recipe(
        name="r",
        indicators=recipe.indicators,
        domain_weights=recipe.domain_weights,
        normalisation=method,
    )
    groups = demo.areas["ward_code"]
    together = score(ind, recipe, groups=groups)
    for ward in ["X05000001", "X05000007"]:
        alone = score(ind[groups == ward], recipe)
        pd.testing.assert_frame_equal(together[groups == ward], alone, check_exact=False, atol=1e-9)
    with pytest.raises(DataQualityError, match="at least two areas"):
        score(ind.iloc[:3], recipe, groups=pd.Series(["a", "a", "b"], index=ind.index[:3]))


def test_recipe_names_must_be_plain_because_they_become_column_names(tmp_path):
    """An indicator or domain name is a column name in every table (CSV headers too): a
    formula or markup there would reach a spreadsheet, so only plain names load."""
    base = '[indicators."=1+2"]\nweight = 1\nnumerator = "residents"\ndomain = "skills"\n'
    path = tmp_path / "r.toml"
    path.write_text('name = "x"\n' + base)
    with pytest.raises(InclusionGeoError, match="not plain names"):
        load_recipe(path)
    path.write_text('name = "x"\n[indicators.pct_aged_65_plus]\nweight = 1\ndomain = "<b>d</b>"\n')
    with pytest.raises(InclusionGeoError, match="not plain names"):
        load_recipe(path)

"""Validation against the IUC, DERI and CACI: docs/validation.md is what benchmarks/validate.py
renders, its figures are recomputed from the data (slow), and the helpers behind it."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from inclusion_geo._errors import DataQualityError, InclusionGeoError
from inclusion_geo.diagnostics import (
    iuc_aucs,
    learn_weights,
    national_and_local_scores,
    within_authority_aucs,
)
from inclusion_geo.indicators import compute_indicators
from inclusion_geo.scoring import load_recipe, score
from inclusion_geo.sources.reference import (
    DERI_CONNECTIVITY_SOURCE,
    load_deri_connectivity,
    load_rural_urban,
)

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "validation.md"
FIGURES = REPO / "docs" / "validation.json"


def _script():
    spec = importlib.util.spec_from_file_location(
        "inclusion_geo_validate", REPO / "benchmarks" / "validate.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_docs_are_what_the_script_renders():
    figures = json.loads(FIGURES.read_text(encoding="utf-8"))
    assert DOCS.read_text(encoding="utf-8") == _script().render(figures)


def test_docs_state_the_targets_both_halves_and_every_reference():
    text = DOCS.read_text(encoding="utf-8")
    figures = json.loads(FIGURES.read_text(encoding="utf-8"))
    assert set(figures["selection"]) == {"odd", "even"}
    for name in ("GMCA DERI v1.6", "CACI", "IMD 2019"):
        assert text.count(f"| {name} |") >= 4  # two chosen tables, two full tables
    # the default's figures match the measurements on the whole of England (0.931)
    d = figures["candidates"]["default"]
    assert 0.925 < (d["odd"]["7-10"] + d["even"]["7-10"]) / 2 < 0.937
    assert "/work/" not in text and "/tmp/" not in text


def test_selection_uses_only_the_half_it_is_chosen_on():
    script = _script()
    figures = json.loads(FIGURES.read_text(encoding="utf-8"))
    for half, sel in figures["selection"].items():
        assert sel["reported_on"] != half
        scores = {
            k: (script.met(c[half]), np.mean([c[half][m] for m in script.MEASURES]))
            for k, c in figures["candidates"].items()
        }
        assert sel["chosen"] == max(scores, key=scores.get)


@pytest.mark.slow
@pytest.mark.shared_data
def test_figures_are_recomputed_from_the_data(shared_data, monkeypatch):
    """The default and the shipped IUC recipe, scored again from the published files by the
    national code, give the page's figures (about 30-40 s: the Census tables are read)."""
    script = _script()
    monkeypatch.setattr(script, "SHARED", shared_data)
    fresh = script.compute(None, only=("default", "iuc_engagement"))
    stored = json.loads(FIGURES.read_text(encoding="utf-8"))
    for key in ("default", "iuc_engagement"):
        for half in ("odd", "even"):
            for m in script.MEASURES:
                assert fresh["candidates"][key][half][m] == pytest.approx(
                    stored["candidates"][key][half][m], abs=1e-3
                ), (key, half, m)
    for name, ref in stored["references"].items():
        assert fresh["references"][name]["even"]["7-10"] == pytest.approx(
            ref["even"]["7-10"], abs=1e-3
        )
    assert "DERIVED" in fresh["sources"]["deri_connectivity"]


def test_iuc_aucs_each_group_against_the_engaged():
    idx = pd.Series([1.0, 2, 3, 4, 5, 6, 7], index=list("abcdefg"))
    grp = pd.Series([1, 2, 8, 6, 9, 8, 10], index=list("abcdefg"))
    auc = iuc_aucs(idx, grp)
    # 7-10 (c, e, f, g) against a, b, d: c is below d, the rest above all
    assert auc["7-10"] == pytest.approx(11 / 12)
    assert auc["9"] == pytest.approx(1.0) and auc["8"] == pytest.approx(5 / 6)
    assert np.isnan(auc["7"])  # no area of group 7


def test_within_authority_aucs_score_each_authority_alone():
    idx = pd.Series([1.0, 2, 3, 9, 8, 7], index=list("abcdef"))
    grp = pd.Series([1, 1, 9, 1, 1, 9], index=list("abcdef"))
    lad = pd.Series(["L1", "L1", "L1", "L2", "L2", "L2"], index=list("abcdef"))
    out = within_authority_aucs(idx, grp, lad=lad)
    assert out["L1"] == pytest.approx(1.0) and out["L2"] == pytest.approx(0.0)
    lad_one_class = pd.Series(["L1"] * 2 + ["L3"] * 4, index=list("abcdef"))
    assert "L1" not in within_authority_aucs(idx, grp, lad=lad_one_class)


def test_learn_weights_are_non_negative_and_find_the_signal():
    rng = np.random.default_rng(0)
    n = 2000
    signal = rng.uniform(0, 10, n)
    scores = pd.DataFrame({"signal": signal, "noise": rng.uniform(0, 10, n), "anti": 10 - signal})
    y = pd.Series(np.where(signal + rng.normal(0, 1, n) > 6, 8, 3), index=scores.index)
    w = learn_weights(scores, y)
    assert (w >= 0).all() and w.sum() == pytest.approx(1)
    assert w["signal"] > 0.9 and w["anti"] == pytest.approx(0, abs=1e-6)
    with pytest.raises(InclusionGeoError, match="one class"):
        learn_weights(scores, pd.Series(3, index=scores.index))


def test_national_and_local_scores_are_the_projects_scores(demo):
    recipe = load_recipe(REPO / "src" / "inclusion_geo" / "recipes" / "iuc_engagement.toml")
    recipe = recipe.without(["pct_routine_never_worked"])  # the demo has no TS062
    lad = pd.Series("A", index=demo.counts.index)
    lad.iloc[: len(lad) // 2] = "B"
    lad.iloc[0] = "C"  # an authority of one area cannot be scored within itself
    national, local = national_and_local_scores(demo.counts, recipe, lad=lad)
    ind = compute_indicators(demo.counts, [recipe.spec(i.name) for i in recipe.indicators])
    pd.testing.assert_frame_equal(national, score(ind, recipe))
    keep = lad.index[lad != "C"]
    pd.testing.assert_frame_equal(local, score(ind.loc[keep], recipe, groups=lad.loc[keep]))


def test_shipped_recipes_load_and_differ_from_the_default_as_documented():
    iuc = load_recipe(REPO / "src" / "inclusion_geo" / "recipes" / "iuc_engagement.toml")
    names = {i.name for i in iuc.indicators}
    assert "pct_routine_never_worked" in names and "pct_poor_english" not in names
    assert iuc.domain_weights["demography"] == 1.25
    ew = load_recipe(REPO / "examples" / "recipes" / "england_wales_iuc_engagement.toml")
    assert {i.name for i in ew.indicators} == (names - {"imd_score"}) | {"uk_imd_e_score"}
    deri = load_recipe(REPO / "examples" / "recipes" / "england_wales_deri_connectivity.toml")
    assert deri.spec("deri_broadband_score").vintage == "2022"
    assert "derived" in deri.spec("deri_broadband_score").description.lower()


def _rda(tmp_path, frame):
    pyreadr = pytest.importorskip("pyreadr")
    path = tmp_path / "deri.rda"
    pyreadr.write_rdata(str(path), frame, df_name="england_lsoa_depahri")
    return path


def test_deri_connectivity_is_labelled_a_2022_derived_input(tmp_path):
    frame = pd.DataFrame(
        {
            "lsoa11_code": ["E01000001", "E01000002"],
            "broadband_comp_national": [3.5, 8.0],
            "demography_comp_national": [1.0, 2.0],
            "deprivation_comp_national": [1.0, 2.0],
            "deri_score_national": [1.0, 2.0],
        }
    )
    out = load_deri_connectivity(_rda(tmp_path, frame))
    assert out.index.name == "lsoa11cd" and list(out.columns) == ["deri_broadband_score"]
    assert out.loc["E01000002", "deri_broadband_score"] == 8.0
    assert out.attrs["source"] == DERI_CONNECTIVITY_SOURCE
    assert "2022" in DERI_CONNECTIVITY_SOURCE and "DERIVED" in DERI_CONNECTIVITY_SOURCE
    with pytest.raises(DataQualityError, match="broadband_comp_national"):
        load_deri_connectivity(_rda(tmp_path, frame.drop(columns="broadband_comp_national")))


def test_rural_urban_orders_the_classes(tmp_path):
    path = tmp_path / "ruc.csv"
    path.write_text(
        "\ufeffLSOA11CD,LSOA11NM,RUC11CD,RUC11,FID\n"
        "E01000001,a,A1,Urban major conurbation,1\n"
        "E01000002,b,D1,Rural town and fringe,2\n"
        "E01000003,c,E2,Rural village and dispersed in a sparse setting,3\n",
        encoding="utf-8",
    )
    out = load_rural_urban(path)
    assert out["rurality"].tolist() == [0.0, 2.0, 4.0]
    path.write_text("LSOA11CD,RUC11CD,RUC11\nE01000001,Z9,odd\n", encoding="utf-8")
    with pytest.raises(DataQualityError, match="Z9"):
        load_rural_urban(path)


@pytest.mark.slow
@pytest.mark.shared_data
def test_deri_connectivity_source_is_named_in_the_outputs(shared_data, tmp_path):
    """A Leeds run with [sources.deri_connectivity] and a recipe that uses it scores the
    connectivity domain and names the derived input among its sources."""
    from inclusion_geo.runner import run_config

    recipe = REPO / "examples" / "recipes" / "england_wales_deri_connectivity.toml"
    text = (
        (REPO / "examples" / "leeds.toml")
        .read_text()
        .replace("../../shared/data", str(shared_data))
    )
    text = text.replace('recipe = "default"', f'recipe = "{recipe}"')
    text += (
        "\n[sources.deri_connectivity]\n"
        f'path = "{shared_data}/digital-exclusion-reference/england_lsoa_depahri.rda"\n'
    )
    config = tmp_path / "leeds.toml"
    config.write_text(text)
    with pytest.warns(UserWarning):
        result = run_config(config)
    assert "DERIVED" in result.sources["deri_connectivity"]
    assert result.areas["domain_connectivity"].between(0, 10).all()
    assert result.areas["domain_connectivity"].std() > 0
    # every output writes result.sources into its header (report.py)
    assert "deri_connectivity" in result.sources and "ofcom_coverage" not in result.sources


# --- indicators defined in a recipe ------------------------------------------------------------

NO_CAR = {
    "name": "with no car",
    "domains": {"demography": 1, "deprivation": 1},
    "indicators": {
        "pct_aged_75_plus": {"weight": 1},
        "pct_no_car": {
            "weight": 1,
            "numerator": "no_car",
            "denominator": "cars_base",
            "direction": "higher_is_risk",
            "transform": "log",
            "domain": "deprivation",
            "label": "No car or van",
        },
    },
}


def test_recipe_defines_an_indicator_from_columns():
    from inclusion_geo.scoring import recipe_from_dict

    recipe = recipe_from_dict(NO_CAR, source="no_car.toml")
    spec = recipe.spec("pct_no_car")
    assert spec.columns == ("no_car", "cars_base") and spec.label == "No car or van"
    assert spec.unit == "%" and "no_car.toml" in spec.source
    counts = pd.DataFrame(
        {"no_car": [10.0, 50, 0], "cars_base": [100.0, 100, 80], "aged_75_plus": [5.0, 9, 1],
         "age_base": [100.0, 100, 100]},
        index=["E01000001", "E01000002", "E01000003"],
    )  # fmt: skip
    rates = compute_indicators(counts, [recipe.spec(i.name) for i in recipe.indicators])
    assert rates["pct_no_car"].tolist() == [10.0, 50.0, 0.0]
    scored = score(rates, recipe)
    assert scored["score_pct_no_car"].idxmax() == "E01000002"
    # sums of columns
    summed = recipe_from_dict(
        {**NO_CAR, "domains": {}, "indicators": {"pct_x": {"numerator": ["no_car", "aged_75_plus"],
                                            "denominator": "cars_base", "domain": "d"}}},
    )  # fmt: skip
    assert compute_indicators(counts, [summed.spec("pct_x")])["pct_x"].iloc[0] == 15.0


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"numerator": 3}, "numerator = 3"),
        ({"numerator": []}, "numerator = "),
        ({"denominator": ["ok", ""]}, "denominator"),
        ({"domain": None}, "needs domain"),
        ({"direction": "up"}, "direction"),
        ({"label": 1}, "label = 1"),
    ],
)
def test_recipe_indicator_errors_name_the_key(change, match):
    from inclusion_geo.scoring import recipe_from_dict

    opts = {**NO_CAR["indicators"]["pct_no_car"], **change}
    opts = {k: v for k, v in opts.items() if v is not None}
    with pytest.raises(InclusionGeoError, match=match) as err:
        recipe_from_dict({**NO_CAR, "indicators": {"pct_no_car": opts}}, source="r.toml")
    assert "r.toml" in str(err.value)


def test_recipe_indicator_cannot_shadow_the_catalogue():
    from inclusion_geo.scoring import recipe_from_dict

    bad = {"pct_disabled": {"numerator": "no_car", "domain": "demography"}}
    with pytest.raises(InclusionGeoError, match="catalogue indicator"):
        recipe_from_dict({**NO_CAR, "indicators": bad}, source="r.toml")


def test_recipe_indicator_zero_denominator_and_unknown_column():
    from inclusion_geo.runner import check_recipe_columns
    from inclusion_geo.scoring import recipe_from_dict

    recipe = recipe_from_dict(NO_CAR, source="r.toml")
    counts = pd.DataFrame(
        {"no_car": [1.0, 2], "cars_base": [0.0, 10], "aged_75_plus": [1.0, 1],
         "age_base": [10.0, 10]},
        index=["E01000001", "E01000002"],
    )  # fmt: skip
    with pytest.raises(DataQualityError, match=r"'pct_no_car'.*zero or negative.*E01000001"):
        compute_indicators(counts, [recipe.spec("pct_no_car")])
    typo = recipe_from_dict(
        {**NO_CAR, "domains": {"deprivation": 1}, "indicators": {"pct_no_car": {**NO_CAR["indicators"]["pct_no_car"],
                                                 "numerator": "no_cars"}}},
        source="r.toml",
    )  # fmt: skip
    with pytest.raises(InclusionGeoError, match=r"'no_cars'.*did you mean 'no_car'") as err:
        check_recipe_columns(typo, counts, where="run.toml")
    assert "run.toml" in str(err.value) and "pct_no_car" in str(err.value)


@pytest.mark.slow
@pytest.mark.shared_data
def test_no_car_from_ts045_in_a_leeds_run(shared_data, tmp_path):
    """A recipe file adds "no car" (Census TS045) without Python; the Leeds run scores it."""
    from inclusion_geo.runner import run_config

    recipe = tmp_path / "no_car.toml"
    recipe.write_text(
        (REPO / "src" / "inclusion_geo" / "recipes" / "default.toml").read_text()
        + '\n[indicators.pct_no_car]\nweight = 1\nnumerator = "no_car"\n'
        'denominator = "cars_base"\ndomain = "deprivation"\nlabel = "No car or van"\n'
    )
    text = (
        (REPO / "examples" / "leeds.toml")
        .read_text()
        .replace("../../shared/data", str(shared_data))
    )
    text = text.replace('recipe = "default"', f'recipe = "{recipe}"').replace(
        'ts062.parquet",',
        'ts062.parquet",\n  "' + str(shared_data) + '/ons-census2021-oa-tables/ts045.parquet",',
    )
    config = tmp_path / "leeds.toml"
    config.write_text(text)
    with pytest.warns(UserWarning):
        result = run_config(config)
    no_car = result.areas["score_pct_no_car"]
    assert no_car.between(0, 10).all() and no_car.std() > 0
    assert "ts045" in result.sources["census"]

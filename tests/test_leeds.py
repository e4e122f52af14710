"""Stage two on real Leeds data from examples/leeds.toml (../shared/data)."""

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from inclusion_geo._errors import InclusionGeoError, VintageMismatchError
from inclusion_geo.cli import main
from inclusion_geo.config import load_config
from inclusion_geo.hotspots import build_weights, global_moran
from inclusion_geo.runner import load_inputs, run_config
from inclusion_geo.sources import load_composite_uk_imd, read_boundaries

pytestmark = pytest.mark.shared_data
REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "leeds.toml"


@pytest.fixture(scope="module")
def config(shared_data, tmp_path_factory):
    """examples/leeds.toml, pointed at the shared data wherever it is."""
    folder = tmp_path_factory.mktemp("cfg")
    text = EXAMPLE.read_text().replace("../../shared/data", str(shared_data))
    path = folder / "leeds.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def leeds(config):
    with pytest.warns(UserWarning):
        return run_config(config)


def test_leeds_end_to_end(leeds):
    a, w = leeds.areas, leeds.wards
    assert len(a) == 482 and a.index.name == "lsoa11cd"
    assert len(w) == 33
    assert w["population"].sum() == a["population"].sum()
    assert a["population"].sum() == pytest.approx(811_964, abs=2)  # Census 2021 usual residents
    assert sorted(a["priority_rank"]) == list(range(1, 483))
    assert list(leeds.settings.dropped_indicators) == [
        "pct_one_person_66_plus",
        "pct_premises_below_30mbit",
        "median_download_mbit",
    ]
    assert "tolerant contiguity" in leeds.weights.report
    # the most deprived inner-east wards carry the most risk
    assert set(w.head(5)["name"]) & {
        "Gipton and Harehills",
        "Burmantofts and Richmond Hill",
        "Killingbeck and Seacroft",
    }


def test_leeds_imd_clusters_strongly(shared_data):
    with pytest.warns(UserWarning, match="invalid polygon"):
        b = read_boundaries(
            shared_data / "ons-boundaries-martinjc" / "lsoa_by_lad" / "E08000035.json"
        )
    imd = load_composite_uk_imd(shared_data / "mysociety-composite-uk-imd" / "UK_IMD_E.csv")[
        "imd_score"
    ].loc[b.index]
    moran = global_moran(imd, build_weights(b), permutations=99)
    assert 0.55 < moran["I"] < 0.7 and moran["p_sim"] == pytest.approx(0.01)


def test_inputs_match_the_files(config, shared_data):
    with pytest.warns(UserWarning):
        inputs = load_inputs(config)
    imd = pd.read_csv(shared_data / "mysociety-composite-uk-imd" / "UK_IMD_E.csv").set_index("lsoa")
    code = "E01011264"
    assert inputs.counts.loc[code, "imd_score"] == pytest.approx(
        imd.loc[code, "overall_local_score"]
    )
    assert inputs.counts.loc[code, "income_score"] == pytest.approx(
        imd.loc[code, "income_score"] / 100
    )
    assert (inputs.counts["disabled"] <= inputs.counts["disability_base"]).all()
    assert inputs.areas["ward_code"].nunique() == 33
    assert set(inputs.timings) >= {"boundaries", "census", "imd", "assets"}
    # the national Census counts are cached, and the cached copy gives the same frame
    from inclusion_geo._fetch import cache_dir

    assert list((cache_dir() / "harmonised").glob("census-lsoa21-*.parquet"))
    with pytest.warns(UserWarning):
        again = load_inputs(config)
    pd.testing.assert_frame_equal(again.counts, inputs.counts)


def test_cli_with_config_writes_the_full_set(config, tmp_path, capsys):
    out = tmp_path / "leeds"
    assert main(["run", "--config", str(config), "--out", str(out), "--permutations", "99"]) == 0
    for name in [
        "map.html",
        "priority_areas.csv",
        "priority_areas.xlsx",
        "wards.csv",
        "summary.md",
    ]:
        assert (out / name).stat().st_size > 0
    notes = [
        line
        for line in (out / "priority_areas.csv").read_text().splitlines()
        if line.startswith("# ")
    ]
    assert any("IoD" in n or "Deprivation" in n for n in notes) and any(
        "Census 2021" in n for n in notes
    )
    table = pd.read_csv(out / "priority_areas.csv", skiprows=len(notes))
    assert len(table) == 482 and table["area_code"].str.startswith("E01").all()
    assert "synthetic" not in (out / "summary.md").read_text()
    assert "scoring without" in capsys.readouterr().err.lower()


def test_config_errors_name_the_key_and_file(config, tmp_path):
    data = config.read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(data.replace('code = "E08000035"', 'code = "Leeds"'))
    with pytest.raises(InclusionGeoError, match=r"bad.toml: \[area\] code 'Leeds'"):
        load_config(bad)
    bad.write_text(data.replace("ts038.parquet", "ts038-missing.parquet"))
    with pytest.raises(
        InclusionGeoError, match=r"\[sources.census\] paths = .*ts038-missing.parquet"
    ):
        with pytest.warns(UserWarning):
            run_config(bad)
    bad.write_text(data.replace('missing_indicators = "drop"', 'missing_indicators = "error"'))
    with pytest.raises(InclusionGeoError, match="median_download_mbit"):
        with pytest.warns(UserWarning):
            run_config(bad)
    bad.write_text(data.replace('geography = "lsoa11"', 'geography = "lsoa21"'))
    with pytest.raises(VintageMismatchError, match="lsoa11cd"):
        with pytest.warns(UserWarning):
            load_inputs(bad)
    bad.write_text(data + "\n[colours]\nx = 1\n")
    with pytest.raises(InclusionGeoError, match="unknown section"):
        load_config(bad)
    osm = 'osm = "'
    bad.write_text(data.replace(osm, 'covers = "some"\n' + osm))
    with pytest.raises(InclusionGeoError, match=r"\[sources.assets\] covers = 'some'"):
        load_config(bad)
    bad.write_text(data.replace(osm, 'covers = ["E08000032"]\n' + osm))
    with pytest.raises(InclusionGeoError, match="does not include E08000035"):
        load_config(bad)  # checked at load, before any file is read


def test_same_config_on_national_boundaries(config, shared_data, tmp_path):
    """Another LA only changes the code and paths: here Leeds cut out of the national file."""
    data = tomllib.loads(config.read_text())
    text = config.read_text().replace(
        data["sources"]["boundaries"]["path"],
        str(
            shared_data
            / "ons-boundaries-bsc"
            / "LSOA_Dec_2011_Boundaries_Super_Generalised_Clipped_BSC_EW_V3.geojson"
        ),
    )
    national = tmp_path / "national.toml"
    national.write_text(text)
    with pytest.warns(UserWarning):
        inputs = load_inputs(national)
    assert len(inputs.areas) == 482
    assert np.isfinite(inputs.counts["imd_score"]).all()


def test_leeds_hotspots_agree_with_esda(leeds):
    import esda
    import libpysal

    y = leeds.areas["risk_index"].reindex(leeds.weights.ids)
    lw = libpysal.weights.fill_diagonal(leeds.weights.to_libpysal(), 1.0)
    gi = esda.G_Local(y.to_numpy(), lw, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(leeds.areas["gi_z"].reindex(leeds.weights.ids), gi.Zs, atol=1e-9)


def test_need_leads_the_leeds_priorities(leeds):
    """Issue [2/6]'s checks on real Leeds data: need decides the priority, access the action."""
    a, w = leeds.areas, leeds.wards
    top = a.nsmallest(20, "priority_rank")
    assert top["risk_decile"].le(2).all()
    assert a.loc[a["risk_index"].idxmax(), "priority_rank"] <= 20
    # the most at-risk areas are priorities whatever their distance to a library
    hot = a[a["risk_decile"].eq(1) | a["hotspot_class"].isin(["Hot spot (99%)", "Hot spot (95%)"])]
    others = a.drop(hot.index)
    assert (
        hot["priority_band"].max() <= others.loc[others["risk_decile"] > 2, "priority_band"].min()
    )
    needy_wards = w.index[w["pct_pop_top_decile"] >= 20]
    assert len(needy_wards) >= 4 and w.loc[needy_wards, "n_priority_areas"].ge(1).all()
    priority = a[a["priority_band"] <= 2]
    assert set(priority["action"]) <= {"gap", "opportunity", "opportunity_venue", "stretched"}
    near = priority[priority["action"] == "opportunity"]
    assert near["work_through"].str.len().gt(0).all()
    # coverage is reported plainly and by capacity, the second never above the first
    cover = leeds.coverage
    assert 0 < cover["share_could_be_served"] <= cover["share_within_reach"] <= 1


def test_leeds_support_is_vetted(leeds):
    reg = leeds.register
    support = reg[reg["include"] & reg["tier"].le(2)]
    words = "universit|college|school|hospital|nhs|conservatoire"
    assert not support["display_name"].str.contains(words, case=False).any()
    assert not reg.loc[~reg["include"], "exclusion_reason"].eq("").any()
    # only included places are used, and they are the register's included rows
    assert len(leeds.assets) == int(reg["include"].sum())


def test_headcounts_plans_and_a_closure_in_leeds(config, tmp_path):
    """Issue [3/6] on real Leeds data, end to end through the CLI: headcounts add up from areas
    to wards to Leeds with each point inside its range, five new hubs are planned exactly, and
    closing one library says who loses reach, by ward."""
    assert 'close = "Seacroft Library"' in config.read_text()  # examples/leeds.toml asks
    out = tmp_path / "out"
    assert main(["run", "--config", str(config), "--out", str(out), "--permutations", "99"]) == 0
    table = _csv(out / "priority_areas.csv")
    wards = pd.read_csv(out / "wards.csv")
    for measure in ("offline_adults", "no_basic_skills_adults"):
        point, low, high = table[measure], table[f"{measure}_low"], table[f"{measure}_high"]
        assert ((low <= point) & (point <= high)).all()
        # wards.csv shows whole people: each ward's figure is rounded
        assert wards[measure].sum() == pytest.approx(point.sum(), abs=len(wards))
        assert wards[f"{measure}_low"].sum() == pytest.approx(low.sum(), abs=len(wards))
    # Leeds: about 48,000 adults offline (ONS 2020 rates by age), a range around it
    assert 40_000 < table["offline_adults"].sum() < 60_000
    summary = (out / "summary.md").read_text()
    assert "adults are likely offline in Leeds" in summary and "modelled estimates" in summary
    # the leading barrier is matched to a place that helps with it
    assert table["leading_focus"].notna().all()
    assert table["help_for_leading_focus"].str.len().gt(0).any()
    assert {f"dist_focus_{f}_m" for f in ("skills", "confidence")} <= set(table.columns)
    plan = _csv(out / "site_plan.csv")
    assert len(plan) == 5 and plan["demand_covered"].gt(0).all()
    assert "optimal (proven" in (out / "site_plan.csv").read_text().splitlines()[0]
    closure = _csv(out / "closure.csv")
    assert closure["residents_newly_out_of_reach"].sum() > 0
    assert closure["residents"].sum() == pytest.approx(table["population"].sum())
    assert len(_csv(out / "popup_rota.csv")) == 5


def _csv(path):
    notes = sum(1 for line in path.read_text().splitlines() if line.startswith("# "))
    return pd.read_csv(path, skiprows=notes)

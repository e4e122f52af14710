"""Several local authorities in one run, from national files (a small West Yorkshire subset)."""

from pathlib import Path

import pandas as pd
import pytest

from inclusion_geo._errors import InclusionGeoError
from inclusion_geo.cli import main
from inclusion_geo.national import extent, la_summaries, run_national

pytestmark = pytest.mark.shared_data
REPO = Path(__file__).resolve().parents[1]
CODES = ["E08000035", "E08000032", "E08000033"]  # Leeds, Bradford, Calderdale


@pytest.fixture
def config(shared_data, tmp_path):
    text = (
        (REPO / "examples" / "west_yorkshire.toml")
        .read_text()
        .replace("../../shared/data", str(shared_data))
    )
    path = tmp_path / "wy.toml"
    path.write_text(text.replace("permutations = 999", "permutations = 99"))
    return path


def test_national_run_writes_per_authority_outputs_and_summaries(config, tmp_path):
    with pytest.warns(UserWarning) as caught:
        run = run_national(config, tmp_path / "out", progress=False)
    # the authorities' own data-quality warnings reach the user, once each (they were
    # switched off before): e.g. Leeds' OSM places lying outside the other authorities
    messages = [str(w.message) for w in caught]
    passed_on = [m for m in messages if m.endswith("(authorities' own scope)")]
    assert passed_on and len(passed_on) == len(set(passed_on))
    assert sorted(run.succeeded) == sorted(CODES) and run.failed == {}
    out = run.out_dir
    for code in CODES:
        assert (out / code / "map.html").exists() and (out / code / "priority_areas.csv").exists()
    national = pd.read_csv(out / "national_priority_areas.csv")
    assert len(national) == 482 + 310 + 128
    assert national["national_rank"].tolist() == sorted(national["national_rank"])
    assert national["national_hotspot_class"].str.startswith("Hot spot").any()
    assert set(national["lad_code"]) == set(CODES)
    # national deciles are shared across the run; local ranks restart in each authority
    assert national.groupby("lad_code")["risk_rank"].min().eq(1).all()
    summaries = pd.read_csv(out / "local_authorities.csv", index_col=0)
    assert summaries.loc["E08000035", "name"] == "Leeds" and summaries["n_areas"].sum() == 920
    assert summaries["population"].sum() == pytest.approx(national["population"].sum())
    index = (out / "index.html").read_text()
    assert "Bradford" in index and "E08000032/map.html" in index
    # the OSM extract is clipped to Leeds: elsewhere access is flagged as not measured
    access = national.groupby("lad_code")["access_level"].agg(set)
    assert access["E08000032"] == {"unknown"} == access["E08000033"]
    assert "unknown" not in access["E08000035"]
    measured = summaries["pct_areas_access_measured"].to_dict()
    assert measured == {"E08000032": 0.0, "E08000033": 0.0, "E08000035": 100.0}
    assert "not measured" in index and "national_priority_areas.csv" in index
    assert (
        "not measured in 2 authorities (Bradford, Calderdale)" in (out / "summary.md").read_text()
    )


def test_one_failing_authority_does_not_stop_the_run(config, tmp_path, monkeypatch):
    import inclusion_geo.national as national
    from inclusion_geo._errors import DataQualityError

    real = national.run_stage_two_by

    def flaky(areas, *args, **kwargs):
        if "E08000033" in set(areas["lad_code"]):
            raise DataQualityError("Calderdale: census rows missing (simulated)")
        return real(areas, *args, **kwargs)

    monkeypatch.setattr(national, "run_stage_two_by", flaky)
    with pytest.warns(UserWarning):
        run = run_national(config, tmp_path / "out", progress=False)
    assert run.failed == {"E08000033": "Calderdale: census rows missing (simulated)"}
    assert sorted(run.succeeded) == ["E08000032", "E08000035"]
    assert (
        "E08000033 (Calderdale): Calderdale: census rows missing"
        in (run.out_dir / "summary.md").read_text()
    )
    assert run.label("E08000033") == "E08000033 (Calderdale)"
    assert "census rows missing" in (run.out_dir / "index.html").read_text()
    assert not (run.out_dir / "E08000033").exists()


def test_cli_routes_a_list_of_codes_to_the_national_run(config, tmp_path, capsys):
    # declared: the asset list is complete for Leeds and for Bradford (trusted, though it holds
    # no place in Bradford); Calderdale is not covered
    text = config.read_text().replace('osm = "', 'covers = ["E08000035", "E08000032"]\nosm = "')
    config.write_text(text)
    args = ["run", "--config", str(config), "--out", str(tmp_path / "cli"), "--workers", "1"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "3 authorities done, 0 failed" in captured.out
    assert "inside 1 of 3" in captured.err and "Calderdale" in captured.err
    national = pd.read_csv(tmp_path / "cli" / "national_priority_areas.csv")
    unknown = national.groupby("lad_code")["access_level"].agg(lambda s: s.eq("unknown").all())
    assert unknown.to_dict() == {"E08000032": False, "E08000033": True, "E08000035": False}
    config.write_text(text.replace('"E08000032"]', '"E08000099"]'))
    assert main(args[:-2] + ["--out", str(tmp_path / "cli2")]) == 1
    assert "E08000099" in capsys.readouterr().err


def test_pages_written_in_worker_processes_match_one_process(config, tmp_path):
    """The default run (above) writes pages in worker processes; one process gives the same."""
    from dataclasses import replace

    from inclusion_geo.config import load_config

    cfg = load_config(config)
    with pytest.warns(UserWarning):
        pooled = run_national(replace(cfg, workers=2), tmp_path / "pooled", progress=False)
        serial = run_national(replace(cfg, workers=1), tmp_path / "serial", progress=False)
    for name in ["national_priority_areas.csv", "local_authorities.csv", "E08000032/wards.csv"]:
        assert (pooled.out_dir / name).read_bytes() == (serial.out_dir / name).read_bytes()


def test_an_authority_whose_pages_fail_is_reported(config, tmp_path, monkeypatch):
    import inclusion_geo.report as report
    from inclusion_geo._errors import InclusionGeoError

    real = report.write_outputs

    def flaky(result, folder, **kwargs):
        if folder.name == "E08000032":
            raise InclusionGeoError("disk full (simulated)")
        return real(result, folder, **kwargs)

    monkeypatch.setattr(report, "write_outputs", flaky)
    with pytest.warns(UserWarning):
        run = run_national(config, tmp_path / "out", progress=False, workers=1)
    assert run.failed == {"E08000032": "writing its pages failed: disk full (simulated)"}
    assert "E08000032" not in set(
        pd.read_csv(run.out_dir / "national_priority_areas.csv")["lad_code"]
    )


def test_extent_and_summaries_by_hand():
    pop = pd.Series([100.0, 100.0, 100.0, 100.0])
    pct = pd.Series([5.0, 20.0, 30.0, 50.0])  # weights 1, 0.5, 0.05, 0
    assert extent(pop, pct) == pytest.approx((100 + 50 + 5) / 400)
    areas = pd.DataFrame(
        {
            "lad_code": ["A", "A", "B"],
            "population": [1000, 3000, 2000],
            "national_risk_index": [8.0, 4.0, 2.0],
            "national_decile": [1, 5, 9],
            "national_percentile": [5.0, 45.0, 85.0],
        }
    )
    s = la_summaries(areas)
    # aggregate.rollup's names, as in wards.csv, and the national run's additions
    assert s.loc["A", "national_risk_index"] == pytest.approx(5.0)
    assert s.loc["A", "max_national_risk_index"] == 8.0
    assert s.loc["A", "pct_pop_top_decile"] == pytest.approx(25.0)
    assert s.loc["A", "n_top_decile_areas"] == 1 and s.loc["A", "pct_areas_top_decile"] == 50.0
    assert s["rank"].to_dict() == {"A": 1, "B": 2} and s.index.tolist() == ["A", "B"]
    assert s.loc["A", "extent"] == pytest.approx(0.25) and s.loc["B", "extent"] == 0.0
    assert s["extent_rank"].to_dict() == {"A": 1, "B": 2}
    assert "pct_areas_access_measured" not in s  # only with access_level


def england_wales_config(
    shared_data, path, *, code, name="England and Wales", before_centroids=""
) -> Path:
    """examples/england_wales.toml pointed at the shared data, for ``code`` (a TOML value),
    with 99 permutations and ``before_centroids`` inserted as extra sources."""
    text = (
        (REPO / "examples" / "england_wales.toml")
        .read_text()
        .replace("../../shared/data", str(shared_data))
        .replace('recipe = "recipes/', f'recipe = "{REPO / "examples" / "recipes"}/')
        .replace('code = "all"', f"code = {code}")
        .replace('name = "England and Wales"', f'name = "{name}"')
        .replace("permutations = 999", "permutations = 99")
        .replace("[sources.centroids]", before_centroids + "[sources.centroids]")
    )
    path.write_text(text)
    return path


def test_an_nhs_area_that_spans_two_authorities(shared_data, tmp_path):
    """[area] code names a CCG through [sources.group_lookup]: its areas in Bradford and in
    Craven (North Yorkshire) are run together, each authority scored within itself."""
    ccg = "Lower_Layer_Super_Output_Area_(2011)_to_Clinical_Commissioning_Group_to_Local_Authority_District_(April_2021)_Lookup_in_England.csv"
    config = england_wales_config(
        shared_data,
        tmp_path / "ccg.toml",
        code='"E38000232"',
        name="NHS Bradford District and Craven CCG",
        before_centroids=f'[sources.group_lookup]\npath = "{shared_data}/ons-lookups/{ccg}"\n'
        'target = "ccg21cd"\n\n',
    )
    with pytest.warns(UserWarning):
        run = run_national(config, tmp_path / "out", progress=False, workers=1)
    assert sorted(run.succeeded) == ["E07000163", "E08000032"]  # Craven, Bradford
    national = pd.read_csv(run.out_dir / "national_priority_areas.csv")
    assert national["lad_code"].value_counts().to_dict() == {"E08000032": 310, "E07000163": 29}
    assert national.groupby("lad_code")["risk_rank"].max().to_dict() == {
        "E07000163": 29, "E08000032": 310
    }  # fmt: skip
    assert "339 areas" in (run.out_dir / "index.html").read_text()
    bad = config.read_text().replace('code = "E38000232"', 'code = "E38999999"')
    config.write_text(bad)
    with pytest.warns(UserWarning), pytest.raises(InclusionGeoError, match="E38999999.*ccg21cd"):
        run_national(config, tmp_path / "out2", progress=False)


def test_england_and_wales_together(shared_data, tmp_path):
    """Welsh and English authorities in one run, on the composite UK IMD's English scale."""
    config = england_wales_config(
        shared_data, tmp_path / "ew.toml", code='["W06000011", "E08000035"]'
    )
    with pytest.warns(UserWarning):
        run = run_national(config, tmp_path / "out", progress=False)
    assert sorted(run.succeeded) == ["E08000035", "W06000011"]
    national = pd.read_csv(run.out_dir / "national_priority_areas.csv")
    assert set(national["lad_name"]) == {"Swansea", "Leeds"}
    assert national.loc[national["lad_code"] == "W06000011", "national_decile"].between(1, 10).all()


def test_pages_finish_in_process_if_a_worker_dies(config, tmp_path, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    import inclusion_geo._jobs as _jobs

    class DyingPool:  # stands in for a pool whose worker is killed after the first page
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, fn, *args):  # the warm-up imports
            pass

        def shutdown(self, **kwargs):
            pass

        def map(self, fn, jobs, chunksize=1):
            yield fn(jobs[0])
            raise BrokenProcessPool("a worker was killed (simulated)")

    monkeypatch.setattr(_jobs, "ProcessPoolExecutor", DyingPool)
    with pytest.warns(UserWarning) as caught:
        run = run_national(config, tmp_path / "out", progress=False, workers=2)
    assert sorted(run.succeeded) == sorted(CODES) and run.failed == {}
    assert any(
        "doing the other 2 of 3 local authorities in this process" in str(w.message) for w in caught
    )
    assert all((run.out_dir / code / "map.html").exists() for code in CODES)


def test_a_warning_while_writing_one_authoritys_pages_names_it(config, tmp_path, monkeypatch):
    """Page-writing warnings used to be switched off; now each reaches the user once, naming
    the authorities whose pages raised it."""
    import warnings

    import inclusion_geo.report as report

    real = report.write_outputs

    def caveat(result, folder, **kwargs):
        if folder.name == "E08000033":
            warnings.warn("3 areas have no ward name (simulated)", UserWarning, stacklevel=2)
        return real(result, folder, **kwargs)

    monkeypatch.setattr(report, "write_outputs", caveat)
    with pytest.warns(UserWarning) as caught:
        run = run_national(config, tmp_path / "out", progress=False, workers=1)
    said = [str(w.message) for w in caught if "simulated" in str(w.message)]
    assert said == ["3 areas have no ward name (simulated) (writing the pages of Calderdale)"]
    assert sorted(run.succeeded) == sorted(CODES)


def test_page_warnings_come_back_from_worker_processes(demo_result, tmp_path):
    """A warning raised in a worker process (here mapclassify's, on a map whose values are all
    the same) is passed back and said in this process, naming the group."""
    from dataclasses import replace

    import inclusion_geo.pages as pages

    parts = pages._split_by(demo_result, "ward_code", "ward_name")
    flat_code, other_code = sorted(parts)[:2]
    flat = parts[flat_code].areas.copy()
    for col in flat.columns[flat.dtypes.map(lambda d: d.kind == "f")]:
        flat[col] = 1.0
    two = {flat_code: replace(parts[flat_code], areas=flat), other_code: parts[other_code]}
    with pytest.warns(UserWarning) as caught:
        outcomes = dict(pages.write_pages(two, tmp_path, maps_only=True, workers=2))
    assert outcomes == {flat_code: None, other_code: None}
    messages = [str(w.message) for w in caught]
    flat_place = parts[flat_code].place
    assert any(
        m.startswith("Not enough unique values")
        and m.endswith(f"(writing the pages of {flat_place})")
        for m in messages
    )
    assert len(messages) == len(set(messages))  # each caveat said once
    assert sorted(p.name for p in tmp_path.glob("*.html")) == sorted(
        f"{c}.html" for c in two
    )  # fmt: skip

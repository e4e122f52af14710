"""The run configuration: every setting is used (never silently ignored), and the whole file is
checked once, at load, with errors that name the file, the key, the value and the fix."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from inclusion_geo import _defaults
from inclusion_geo._errors import InclusionGeoError
from inclusion_geo.cli import _parser, main
from inclusion_geo.config import _SOURCE_KEYS, RunConfig, load_config
from inclusion_geo.scoring import load_recipe
from tests.hostile import HOSTILE, PRINTABLE

REPO = Path(__file__).resolve().parents[1]
AREA = '[area]\ncode = "E08000035"\nname = "Leeds"\n'


def write(folder: Path, text: str, name: str = "run.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- 1. the config's settings win unless a flag is given -------------------------------------


@pytest.fixture
def captured(monkeypatch):
    """What the CLI hands on: the merged RunConfig (single or many) or the demo's arguments."""
    import inclusion_geo.national as national
    import inclusion_geo.pipeline as pipeline
    import inclusion_geo.runner as runner

    seen: dict = {}

    def stop(name):
        def fake(first=None, *args, **kwargs):
            seen[name] = (first, kwargs)
            raise InclusionGeoError("captured")

        return fake

    monkeypatch.setattr(runner, "load_inputs", lambda cfg: None)  # the CLI loads first
    monkeypatch.setattr(runner, "run_config", stop("single"))
    monkeypatch.setattr(national, "run_national", stop("many"))
    monkeypatch.setattr(pipeline, "run_demo", stop("demo"))
    return seen


SETTINGS = AREA + '[hotspots]\nseed = 7\npermutations = 9\n[output]\ntiles = "OpenStreetMap"\n'


def test_cli_keeps_the_configs_seed_permutations_and_tiles(tmp_path, captured):
    config = write(tmp_path, SETTINGS)
    assert main(["run", "--config", str(config), "--out", str(tmp_path / "out")]) == 1
    cfg = captured["single"][0]
    assert (cfg.seed, cfg.permutations, cfg.tiles) == (7, 9, "OpenStreetMap")


def test_cli_flags_given_override_the_config(tmp_path, captured):
    config = write(tmp_path, SETTINGS)
    args = ["run", "--config", str(config), "--out", str(tmp_path / "out")]
    assert main([*args, "--seed", "3", "--permutations", "0", "--tiles", "none"]) == 1
    cfg = captured["single"][0]
    assert (cfg.seed, cfg.permutations, cfg.tiles) == (3, 0, "none")
    assert main([*args, "--seed", "0"]) == 1  # 0 given is an override too, not "unset"
    assert (captured["single"][0].seed, captured["single"][0].permutations) == (0, 9)


def test_cli_keeps_the_configs_settings_for_many_authorities(tmp_path, captured):
    config = write(tmp_path, SETTINGS.replace('"E08000035"', '["E08000035", "E08000032"]'))
    assert main(["run", "--config", str(config), "--out", str(tmp_path / "out")]) == 1
    cfg = captured["many"][0]
    assert cfg.many and (cfg.seed, cfg.permutations, cfg.tiles) == (7, 9, "OpenStreetMap")


def test_demo_keeps_its_own_defaults(tmp_path, captured):
    assert main(["run", "--out", str(tmp_path / "out")]) == 1
    _, kwargs = captured["demo"]
    assert kwargs == {"seed": 0, "permutations": 999}
    assert main(["run", "--out", str(tmp_path / "out"), "--seed", "5"]) == 1
    assert captured["demo"][1]["seed"] == 5


def test_cli_refuses_a_negative_seed(tmp_path, capsys):
    assert main(["run", "--out", str(tmp_path / "out"), "--seed", "-1"]) == 2
    assert "--seed must be 0 or more" in capsys.readouterr().err


def test_stage_two_options_carry_the_configs_settings(tmp_path):
    from inclusion_geo.runner import stage_two_options

    text = SETTINGS + "[assets]\ncatchments_m = [500, 1000]\ncircuity = 1.3\n"
    text += '[sources.assets]\nosm = "osm"\ncovers = ["E08000035"]\n'
    options = stage_two_options(load_config(write(tmp_path, text)))
    assert (options["seed"], options["permutations"]) == (7, 9)
    assert options["catchments_m"] == (500.0, 1000.0) and options["circuity"] == 1.3
    assert options["assets_cover"] == "all"  # a list naming this one authority


# --- 2. unknown keys are errors that suggest the near match ----------------------------------


@pytest.mark.parametrize(
    "section, key, near",
    [
        ("hotspots", "permutation", "permutations"),
        ("hotspots", "Seed", "seed"),
        ("assets", "catchment_m", "catchments_m"),
        ("assets", "suitible", "suitable"),
        ("area", "nmae", "name"),
        ("scoring", "recipie", "recipe"),
        ("output", "tile", "tiles"),
    ],
)
def test_unknown_key_in_a_section_suggests_the_near_match(tmp_path, section, key, near):
    text = (AREA if section != "area" else AREA) + f"[{section}]\n{key} = 1\n"
    if section == "area":
        text = AREA.replace('name = "Leeds"', f'{key} = "Leeds"')
    path = write(tmp_path, text)
    message = rf"{re.escape(str(path))}: \[{section}\] has an unknown key '{key}'; did you mean '{near}'\?"
    with pytest.raises(InclusionGeoError, match=message):
        load_config(path)


@pytest.mark.parametrize("source", sorted(_SOURCE_KEYS))
def test_unknown_key_in_every_source_table_suggests_the_near_match(tmp_path, source):
    keys = sorted(_SOURCE_KEYS[source])
    typo = keys[0][:-1] + "z" + keys[0][-1]  # e.g. 'path' -> 'patzh'
    path = write(tmp_path, AREA + f'[sources.{source}]\n{typo} = "x"\n')
    with pytest.raises(
        InclusionGeoError,
        match=rf"\[sources.{source}\] has an unknown key '{typo}'; did you mean '{keys[0]}'",
    ):
        load_config(path)


def test_a_key_in_the_wrong_section_says_where_it_belongs(tmp_path):
    with pytest.raises(InclusionGeoError, match=r"'seed' belongs in \[hotspots\]"):
        load_config(write(tmp_path, AREA + "[assets]\nseed = 1\n"))
    with pytest.raises(InclusionGeoError, match=r"'covers' belongs in \[sources.assets\]"):
        load_config(write(tmp_path, AREA + '[assets]\ncovers = "all"\n'))
    with pytest.raises(InclusionGeoError, match=r"unknown key 'indicators'.*recipe file"):
        load_config(write(tmp_path, AREA + "[scoring]\nindicators = 3\n"))
    with pytest.raises(
        InclusionGeoError, match=r"unknown section 'hotspot'; did you mean 'hotspots'"
    ):
        load_config(write(tmp_path, AREA + "[hotspot]\nseed = 1\n"))
    with pytest.raises(InclusionGeoError, match=r"\[sources.imds\]; did you mean \[sources.imd\]"):
        load_config(write(tmp_path, AREA + '[sources.imds]\npath = "x"\n'))


def test_every_key_the_runner_reads_is_allowed(tmp_path):
    """Every source key read by runner.py/national.py (and two that other work will read:
    [sources.assets] register, [assets] capacity_default) loads."""
    text = (
        AREA
        + """
[sources.boundaries]
path = "b.geojson"
[sources.wards]
path = "w.geojson"
[sources.centroids]
path = "c.csv"
[sources.area_lookup]
path = "l.csv"
source = "lsoa11cd"
target = "lad21cd"
[sources.change_lookup]
path = "ch.csv"
[sources.population]
path = "p.csv"
missing = "equal"
[sources.census]
paths = ["ts001.csv", "ts038.parquet"]
metadata = "m.csv"
oa_lookup = "oa.csv"
[sources.age]
path = "age.csv"
[sources.imd]
path = "imd.csv"
kind = "composite_uk_imd"
nations = ["E", "W"]
[sources.imd_domains]
path = "iod.csv"
kind = "iod"
[sources.ofcom_coverage]
path = "cov.csv"
lookup = "oa.csv"
lookup_source = "oa11cd"
[sources.ofcom_performance]
path = "perf.csv"
lookup = "oa.csv"
[sources.deri_connectivity]
path = "deri.rda"
[sources.rural_urban]
path = "ruc.csv"
[sources.assets]
osm = ["a.gpkg", "b.gpkg"]
council = "council.csv"
register = "register.xlsx"
categories = { Hub = "digital_hub" }
covers = "all"
[scoring]
recipe = "gmca_deri_v1_6"
missing_indicators = "error"
[assets]
suitable = ["library", "digital_hub"]  # a council category, renamed
catchments_m = [400, 1200.5]
circuity = 1.25
capacity_default = { 1 = 6, 2 = 10 }
[hotspots]
permutations = 0
seed = 12
[output]
tiles = "CartoDB positron"
workers = 2
"""
    )
    cfg = load_config(write(tmp_path, text))
    assert cfg.sources["census"]["metadata"] == "m.csv"
    assert (cfg.catchments_m, cfg.circuity, cfg.workers) == ((400.0, 1200.5), 1.25, 2)
    assert set(cfg.sources) == set(_SOURCE_KEYS) - {"group_lookup"}


# --- 3. types and ranges checked at load ----------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("[hotspots]\nseed = 1.7", r"\[hotspots\] seed = 1.7: must be a whole number .*not cut"),
        ('[hotspots]\nseed = "7"', r"seed = '7': must be a whole number.*without quotes"),
        ("[hotspots]\nseed = -1", r"seed = -1: must be 0 or more"),
        ('[hotspots]\npermutations = "999"', r"permutations = '999': must be a whole number"),
        ("[hotspots]\npermutations = 99.0", r"permutations = 99.0: must be a whole number"),
        ("[hotspots]\npermutations = true", r"permutations = True: must be a whole number"),
        ('[assets]\ncircuity = "1.3"', r"circuity = '1.3': must be a number >= 1"),
        ("[assets]\ncircuity = 0.8", r"circuity = 0.8: must be a number >= 1"),
        ("[assets]\ncircuity = nan", r"circuity = nan: must be a number >= 1"),
        (
            '[assets]\ncatchments_m = ["800", "1600"]',
            r"catchments_m = \['800', '1600'\]: give \[short, long\]",
        ),
        ("[assets]\ncatchments_m = 800", r"catchments_m = 800: give \[short, long\]"),
        ("[assets]\ncatchments_m = [1600, 800]", r"short < long"),
        ("[assets]\ncatchments_m = [0, 800]", r"short < long"),
        ("[assets]\ncatchments_m = [400, 800, 1600]", r"short < long"),
        ('[assets]\nsuitable = "library"', r"suitable = 'library': must be a list of text"),
        ("[assets]\nsuitable = [1, 2]", r"suitable = \[1, 2\]: must be a list of text"),
        ("[assets]\nsuitable = []", r"suitable = \[\]: must be a list of text"),
        ('[assets]\nsuitable = ["libary"]', r"'libary': did you mean 'library'"),
        (
            '[output]\ntiles = "openstreetmap"',
            r"tiles = 'openstreetmap': did you mean 'OpenStreetMap'",
        ),
        ('[output]\ntiles = "google"', r"tiles = 'google': use one of \['none', 'OpenStreetMap'"),
        ("[output]\nworkers = 1.5", r"workers = 1.5: must be a whole number"),
        ('[scoring]\nmissing_indicators = "skip"', r"missing_indicators = 'skip': use one of"),
        ("[scoring]\nrecipe = 3", r"recipe = 3: must be text"),
        ('[scoring]\nrecipe = "mine.toml"', r"recipe = 'mine.toml': no such recipe file"),
        ('[area]\ngeography = "LSOA11"', r"geography = 'LSOA11': did you mean 'lsoa11'"),
        ("[area]\nname = 3", r"\[area\] name = 3: must be text"),
        ('[sources.assets]\nosm = "x"\ncovers = "some"', r"\[sources.assets\] covers = 'some'"),
        ('[sources.assets]\nosm = "x"\ncovers = []', r"covers = \[\]: give 'auto'"),
        ('[sources.assets]\nosm = "x"\ncovers = ["Leeds"]', r"covers = \['Leeds'\]: give 'auto'"),
        ('[sources.assets]\nosm = "x"\ncovers = ["E08000032"]', r"does not include E08000035"),
        ('[sources.assets]\nosm = "x"\ncategories = "Hub"', r"categories = 'Hub': must be a table"),
        ('[sources.assets]\ncovers = "all"', r"\[sources.assets\] needs osm = ... or council"),
        ('[sources.imd]\npath = "x"\nkind = "IoD"', r"kind = 'IoD': did you mean 'iod'"),
        ('[sources.imd]\npath = "x"\nnations = "E"', r"nations = 'E': must be a list"),
        ('[sources.imd]\npath = "x"\nnations = ["S"]', r"nations = \['S'\]: must be a list"),
        ('[sources.census]\npaths = "ts001.csv"', r"paths = 'ts001.csv': must be a list of text"),
        ('[sources.census]\npath = "ts001.csv"', r"unknown key 'path'; did you mean 'paths'"),
        (
            '[sources.population]\npath = "x"\nmissing = "zero"',
            r"missing = 'zero': .*use one of \['error', 'equal'\]",
        ),
        ("[sources.boundaries]\npath = 3", r"\[sources.boundaries\] path = 3: must be text"),
        ("[sources.wards]", r"\[sources.wards\] needs path = ..."),
        ('[sources.group_lookup]\npath = "x"', r"group_lookup\] needs target"),
        (
            '[sources]\nimd = "imd.csv"',
            r"\[sources\] imd = 'imd.csv' must be a table: write a \[sources.imd\]",
        ),
    ],
)
def test_bad_values_are_errors_naming_file_key_value_and_fix(tmp_path, text, message):
    if text.startswith("[area]\n"):  # more keys for the [area] table
        text = '[area]\ncode = "E08000035"\n' + text.removeprefix("[area]\n")
    else:
        text = AREA + text
    path = write(tmp_path, text + "\n")
    with pytest.raises(InclusionGeoError, match=re.escape(str(path)) + ".*" + message):
        load_config(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("hotspots = 3\n" + AREA, r"hotspots = 3 must be a table: write a \[hotspots\] heading"),
        ('sources = "x"\n' + AREA, r"sources = 'x' must be a table"),
        ('area = "Leeds"\n', r"area = 'Leeds' must be a table"),
        ("seed = 7\n" + AREA, r"unknown section 'seed'; 'seed' belongs in \[hotspots\]"),
        ('[area]\nname = "Leeds"\n', r"\[area\] code = .* is required"),
        ("[area]\ncode = []\n", r"\[area\] code = \[\]: name at least one"),
        ('[area]\ncode = ["E08000035", 7]\n', r"\[area\] code 7 is not a local authority GSS code"),
    ],
)
def test_bad_layout_is_an_error(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(InclusionGeoError, match=re.escape(str(path)) + ".*" + message):
        load_config(path)


def test_suitable_categories_outside_the_taxonomy_warn_with_a_council_list(tmp_path):
    text = AREA + '[sources.assets]\ncouncil = "c.csv"\n[assets]\nsuitable = ["libary", "Hub"]\n'
    with pytest.warns(UserWarning, match=r"\['libary', 'Hub'\].*did you mean 'library'"):
        cfg = load_config(write(tmp_path, text))
    assert cfg.suitable == ("libary", "Hub")  # kept: a council list may use its own categories


@pytest.mark.parametrize("kind", ["control", "newlines", "bidi"])
def test_area_name_with_control_characters_is_an_error(tmp_path, kind):
    text = AREA.replace('"Leeds"', json.dumps(HOSTILE[kind]))
    with pytest.raises(InclusionGeoError, match=r"\[area\] name = .*control character U\+"):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize("kind", sorted(PRINTABLE))
def test_printable_hostile_area_names_load_unchanged(tmp_path, kind):
    text = AREA.replace('"Leeds"', json.dumps(PRINTABLE[kind]))
    if kind == "formula_tab":  # a tab is a control character: the rest of it is fine
        with pytest.raises(InclusionGeoError, match="U\\+0009"):
            load_config(write(tmp_path, text))
        return
    assert load_config(write(tmp_path, text)).area_name == PRINTABLE[kind].strip()


# --- 4. recipe files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '[indicators.pct_disabled]\nweight = "2"',
            r"\[indicators.pct_disabled\] weight = '2' must be a number.*without quotes",
        ),
        ("[indicators.pct_disabled]\ndivisor = true", r"divisor = True must be a number"),
        ("[indicators.pct_disabled]\ntransform = 1", r"transform = 1 must be text"),
        ("indicators = 3", r"indicators = 3: needs an \[indicators.<name>\] table"),
        ('indicators = ["pct_disabled"]', r"indicators = \['pct_disabled'\]: needs"),
        (
            "[indicators]\npct_disabled = 2",
            r"indicators.pct_disabled = 2 must be a table: write \[indicators.pct_disabled\]",
        ),
        (
            "[indicators.pct_disabled]\nwieght = 2",
            r"unknown key\(s\) \['wieght'\] \(did you mean 'weight'\?\)",
        ),
        (
            'normalization = "rank"\n[indicators.pct_disabled]',
            r"unknown key\(s\) \['normalization'\] \(did you mean 'normalisation'\?\)",
        ),
        ("normalisation = 3\n[indicators.pct_disabled]", r"normalisation = 3 must be text"),
        (
            'normalisation = "min-max"\n[indicators.pct_disabled]',
            r"normalisation 'min-max' is not one of",
        ),
        ("domains = 3\n[indicators.pct_disabled]", r"domains = 3 must be a table"),
        (
            '[domains]\ndemography = "1"\n[indicators.pct_disabled]',
            r"\[domains\] demography = '1' must be a number",
        ),
        (
            "[indicators.pct_disabld]",
            r"unknown indicator 'pct_disabld' \(did you mean 'pct_disabled'\?\)",
        ),
    ],
)
def test_bad_recipe_files_name_the_file_key_and_fix(tmp_path, text, message):
    path = write(tmp_path, 'name = "mine"\n' + text + "\n", name="recipe.toml")
    with pytest.raises(InclusionGeoError, match=re.escape(str(path)) + ".*" + message):
        load_recipe(path)


def test_a_bad_recipe_is_caught_when_the_config_is_loaded(tmp_path):
    write(tmp_path, '[indicators.pct_disabled]\nweight = "2"\n', name="recipe.toml")
    path = write(tmp_path, AREA + '[scoring]\nrecipe = "recipe.toml"\n')
    match = r"run.toml: \[scoring\] recipe = 'recipe.toml': .*recipe.toml: \[indicators.pct_disabled\] weight"
    with pytest.raises(InclusionGeoError, match=match):
        load_config(path)


# --- 5. encodings ----------------------------------------------------------------------------


def test_a_config_that_is_not_utf8_says_to_save_it_as_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(AREA.replace("Leeds", "Ynys Môn").encode("latin-1"))
    with pytest.raises(
        InclusionGeoError, match=re.escape(str(path)) + r" is not UTF-8 .*line 3.*Save it as UTF-8"
    ):
        load_config(path)
    recipe = tmp_path / "recipe.toml"
    recipe.write_bytes('name = "£ recipe"\n[indicators.pct_disabled]\n'.encode("cp1252"))
    with pytest.raises(InclusionGeoError, match=re.escape(str(recipe)) + r" is not UTF-8"):
        load_recipe(recipe)


def test_a_utf8_config_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(AREA.replace("Leeds", "Ynys Môn").encode("utf-8-sig"))
    assert load_config(path).area_name == "Ynys Môn"


def test_a_folder_given_as_the_config_is_a_clear_error(tmp_path):
    with pytest.raises(InclusionGeoError, match="is a folder"):
        load_config(tmp_path)


# --- 6. defaults in one place; the examples still load ----------------------------------------


def test_basemaps_match_the_map_module():
    from inclusion_geo.mapping import TILES

    assert _defaults.BASEMAPS == tuple(TILES)
    tiles = next(
        a
        for a in _parser()._subparsers._group_actions[0].choices["run"]._actions
        if a.dest == "tiles"
    )
    assert tuple(tiles.choices) == _defaults.BASEMAPS


def test_defaults_are_the_shared_ones(tmp_path):
    from inclusion_geo.assets import DEFAULT_CATCHMENTS_M
    from inclusion_geo.hotspots import global_moran, local_statistics
    from inclusion_geo.pipeline import run_stage_two
    from inclusion_geo.priorities import access_level, priority_areas

    cfg = load_config(write(tmp_path, AREA))
    assert cfg.catchments_m == _defaults.DEFAULT_CATCHMENTS_M == DEFAULT_CATCHMENTS_M
    assert (cfg.permutations, cfg.seed, cfg.tiles, cfg.circuity) == (999, 0, "none", 1.0)
    assert cfg.recipe == "default" and cfg.missing_indicators == "error" and cfg.suitable is None
    for fn in (local_statistics, global_moran, run_stage_two):
        assert inspect.signature(fn).parameters["permutations"].default == 999
    for fn in (access_level, priority_areas):
        params = inspect.signature(fn).parameters
        assert (params["short_m"].default, params["long_m"].default) == (800.0, 1600.0)
    assert inspect.signature(run_stage_two).parameters["catchments_m"].default == (800.0, 1600.0)


def test_config_keeps_its_recipe_keys_in_step_with_scoring():
    from inclusion_geo import config, scoring

    assert config._RECIPE_KEYS == scoring._RECIPE_KEYS


@pytest.mark.parametrize(
    "example", sorted((REPO / "examples").glob("*.toml")), ids=lambda p: p.name
)
def test_every_example_config_loads(example):
    cfg = load_config(example)
    assert isinstance(cfg, RunConfig) and cfg.area_name
    assert cfg.catchments_m == (800.0, 1600.0) and cfg.permutations == 999


@pytest.mark.parametrize(
    "recipe",
    [
        *sorted((REPO / "examples" / "recipes").glob("*.toml")),
        REPO / "src" / "inclusion_geo" / "recipes" / "default.toml",
    ],
    ids=lambda p: p.name,
)
def test_every_recipe_file_loads(recipe):
    assert load_recipe(recipe).indicators


def test_capacity_default_is_checked_and_reaches_the_register(tmp_path):
    """[assets] capacity_default is never ignored: it is checked at load and is what the
    register uses where neither a register nor the asset list gives a capacity."""
    import geopandas as gpd
    from shapely.geometry import Point

    from inclusion_geo.register import build_register

    text = '[area]\ncode = "E08000035"\n[assets]\ncapacity_default = { 1 = 6, 2 = 10 }\n'
    path = tmp_path / "run.toml"
    path.write_text(text)
    cfg = load_config(path)
    assert cfg.capacity_default == {1: 6.0, 2: 10.0}
    assets = gpd.GeoDataFrame(
        {"name": ["Central Library", "Hall"], "category": ["library", "community_centre"],
         "subcategory": ["library", "community_centre"], "source": "test"},
        geometry=[Point(430000, 433000), Point(431000, 433000)], crs="EPSG:27700",
    )  # fmt: skip
    reg = build_register(assets, capacity_default=cfg.capacity_default)
    assert reg["capacity"].tolist() == [6.0, 10.0]
    for bad in ("20", "{ 4 = 1 }", "{ 1 = -2 }", '{ 1 = "four" }'):
        path.write_text(text.replace("{ 1 = 6, 2 = 10 }", bad))
        with pytest.raises(InclusionGeoError, match="capacity_default"):
            load_config(path)


def test_run_config_refuses_a_run_over_several_authorities(tmp_path):
    """run_config scores one study area: a config naming several is refused, not merged."""
    from inclusion_geo.runner import run_config

    path = tmp_path / "many.toml"
    path.write_text('[area]\ncode = ["E08000035", "E08000032"]\n')
    with pytest.raises(InclusionGeoError, match="run_national"):
        run_config(path)


def test_workers_in_a_single_authority_run_sets_its_output_processes(
    tmp_path, captured, monkeypatch
):
    """[output] workers (or --workers) is used by a single run too: that many processes write
    its outputs at once (this one included), --workers winning over the config."""
    import inclusion_geo.cli as cli

    asked = []
    real = cli._output_pool

    def spy(workers):
        asked.append(workers)
        return real(1)  # no worker processes: the run stops at scoring anyway

    monkeypatch.setattr(cli, "_output_pool", spy)
    config = write(tmp_path, AREA + "[output]\nworkers = 2\n")
    args = ["run", "--config", str(config), "--out", str(tmp_path / "out")]
    assert main(args) == 1 and main([*args, "--workers", "1"]) == 1
    assert asked == [2, 1]

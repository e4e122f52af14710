"""Inputs that disagree geographically are refused or reported, never silently dropped or
guessed: a lookup that misses areas, centroids outside their areas, coordinates in the wrong CRS,
assets of another place, overlapping or foreign ward files, a damaged Census cache.

Real Leeds files from the shared data, perturbed in memory or as copies in tmp_path."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from inclusion_geo import run_stage_two
from inclusion_geo._errors import DataQualityError, UnknownCodeError
from inclusion_geo.config import load_config
from inclusion_geo.geography import (
    check_assets_near,
    check_bng_coordinates,
    check_centroids_in_areas,
    check_lookup_complete,
    check_no_overlaps,
    check_ward_coverage,
)
from inclusion_geo.inputs import _national_census, load_inputs
from inclusion_geo.runner import resolve_recipe
from inclusion_geo.sources import read_boundaries

REPO = Path(__file__).resolve().parents[1]
LOOKUP = (
    "Lower_Layer_Super_Output_Area_(2011)_to_Clinical_Commissioning_Group_to_Local_Authority_"
    "District_(April_2021)_Lookup_in_England.csv"
)
CENTROIDS = "Lower_Layer_Super_Output_Areas_December_2011_Population_Weighted_Centroids.csv"
NATIONAL = "LSOA_Dec_2011_Boundaries_Super_Generalised_Clipped_BSC_EW_V3.geojson"


@contextmanager
def quietly():
    """Loading real files gives known caveats (repaired polygons, dropped indicators ...);
    the tests here look at errors, or at one warning with pytest.warns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def leeds_config(shared_data: Path, folder: Path, replace: dict[str, str] | None = None) -> Path:
    text = (
        (REPO / "examples" / "leeds.toml")
        .read_text()
        .replace("../../shared/data", str(shared_data))
    )
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "leeds.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def config(shared_data, tmp_path_factory):
    return leeds_config(shared_data, tmp_path_factory.mktemp("cfg"))


@pytest.fixture(scope="module")
def inputs(config):
    with quietly():
        return load_inputs(config)


@pytest.fixture(scope="module")
def recipe(config, inputs):
    with quietly():
        return resolve_recipe(load_config(config), inputs.counts)[0]


def run(inputs, recipe, **changes):
    frames = {
        "areas": inputs.areas,
        "counts": inputs.counts,
        "assets": inputs.assets,
        "centroids": inputs.centroids,
        "ward_boundaries": inputs.ward_boundaries,
    } | changes
    return run_stage_two(
        frames.pop("areas"), frames.pop("counts"), frames.pop("assets"), recipe=recipe,
        permutations=9, place="Leeds", **frames,
    )  # fmt: skip


def swap_xy(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    return gpd.GeoSeries(
        shapely.transform(geoms.to_numpy(), lambda xy: xy[:, ::-1]),
        index=geoms.index,
        crs=geoms.crs,
    )


# --- 1. a lookup that misses areas of the study area ------------------------------------------


def test_a_lookup_missing_12_of_leeds_areas_is_an_error(shared_data, tmp_path):
    """Before: a 470-area analysis of Leeds, with no word about the 12 areas left out."""
    lookup = pd.read_csv(shared_data / "ons-lookups" / LOOKUP, encoding="utf-8-sig")
    leeds = lookup.index[lookup["LAD21CD"] == "E08000035"]
    gone = leeds[::40][:12]  # 12 areas spread over Leeds
    dropped = lookup.loc[gone, "LSOA11CD"].tolist()
    lookup.drop(gone).to_csv(tmp_path / "short.csv", index=False)
    cfg = leeds_config(
        shared_data,
        tmp_path,
        {str(shared_data / "ons-lookups" / LOOKUP): str(tmp_path / "short.csv")},
    )
    with quietly(), pytest.raises(UnknownCodeError) as caught:
        load_inputs(cfg)
    message = str(caught.value)
    assert "[sources.area_lookup] short.csv: 12 area(s)" in message and "inside Leeds" in message
    assert "complete lookup of the same geography vintage" in message
    named = message.split("e.g. ")[1].split("]")[0]
    assert sum(code in named for code in dropped) == 5  # examples of the areas left out


def grid(n: int = 6, prefix: str = "E", x0: float = 400_000) -> gpd.GeoDataFrame:
    """n x n squares of 1 km, codes E01000000 ... row by row from the south-west."""
    boxes = [
        shapely.box(
            x0 + i * 1000, 400_000 + j * 1000, x0 + (i + 1) * 1000, 400_000 + (j + 1) * 1000
        )
        for j in range(n)
        for i in range(n)
    ]
    codes = pd.Index([f"{prefix}01{k:06d}" for k in range(n * n)], name="lsoa11cd")
    return gpd.GeoDataFrame(geometry=boxes, index=codes, crs="EPSG:27700")


def test_lookup_gaps_inside_outside_and_in_another_nation_by_hand():
    areas = grid(6)
    codes = areas.index
    west = codes[[k for k in range(36) if k % 6 < 3]]  # the three western columns: "our" LA
    lookup = pd.Series(
        np.where(codes.isin(west), "E08000001", "E08000002"), index=codes, name="lad21cd"
    )
    # a hole in the middle of the study area (surrounded by it) is an error
    hole = codes[6 * 2 + 1]
    with pytest.raises(UnknownCodeError, match=rf"1 area\(s\) .* inside West .*{hole}"):
        check_lookup_complete(areas, lookup.drop(hole), west.drop(hole), what="x", place="West")
    # so is one on the study area's edge: all its neighbours with a lookup row are in it
    edge = codes[6 * 5 + 0]
    with pytest.raises(UnknownCodeError, match=r"1 area\(s\)"):
        check_lookup_complete(areas, lookup.drop(edge), west.drop(edge), what="x", place="West")
    # gaps elsewhere: one warning with the count
    east = codes[[6 * 1 + 5, 6 * 4 + 4]]
    with pytest.warns(UserWarning, match=r"x: 2 area\(s\) of the boundary file outside West"):
        check_lookup_complete(areas, lookup.drop(east), west, what="x", place="West")
    # Welsh areas and an English lookup: not the lookup's to cover, no word
    both = pd.concat([areas, grid(2, prefix="W", x0=390_000)])
    check_lookup_complete(both, lookup, west, what="x", place="West")


def test_real_lookups_are_complete_for_the_national_boundaries(shared_data):
    with quietly():
        national = read_boundaries(shared_data / "ons-boundaries-bsc" / NATIONAL)
    english = pd.read_csv(shared_data / "ons-lookups" / LOOKUP, encoding="utf-8-sig")
    lookup = pd.Series(english["LAD21CD"].to_numpy(), index=english["LSOA11CD"], name="lad21cd")
    leeds = lookup.index[lookup == "E08000035"]
    check_lookup_complete(national, lookup, leeds, what="x", place="Leeds")  # Wales ignored
    cornwall = lookup.index[lookup == "E06000052"][:5]
    with pytest.warns(UserWarning, match=r"5 area\(s\) of the boundary file outside Leeds"):
        check_lookup_complete(national, lookup.drop(cornwall), leeds, what="x", place="Leeds")
    with pytest.raises(UnknownCodeError, match=r"12 area\(s\) .* inside Leeds"):
        check_lookup_complete(
            national, lookup.drop(leeds[:12]), leeds[12:], what="x", place="Leeds"
        )


# --- 2. centroids outside their own areas, coordinates in the wrong CRS -----------------------


def test_the_real_leeds_centroids_lie_in_their_areas(inputs):
    check_centroids_in_areas(inputs.areas, inputs.centroids)  # no warning (warnings are errors)
    check_bng_coordinates(inputs.areas, what="areas")
    check_bng_coordinates(inputs.centroids, what="centroids")


def test_swapped_centroid_columns_in_the_file_are_an_error(shared_data, tmp_path):
    """Before: the run went on, and 481 of 482 ranks changed."""
    table = pd.read_csv(shared_data / "ons-lookups" / CENTROIDS, encoding="utf-8-sig")
    table = table.rename(columns={"X": "Y", "Y": "X"})
    table.to_csv(tmp_path / "swapped.csv", index=False)
    cfg = leeds_config(
        shared_data,
        tmp_path,
        {str(shared_data / "ons-lookups" / CENTROIDS): str(tmp_path / "swapped.csv")},
    )
    from inclusion_geo.runner import run_config

    with quietly(), pytest.raises(DataQualityError, match="swap the centroids' X and Y"):
        run_config(cfg)


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (
            "centroids shifted 50 km",
            r"482 of 482 centroids lie outside .* median distance 49\.5 km.* \+50\.0 km east",
        ),
        ("centroids swapped", r"centroids lie outside .*swap the centroids' X and Y"),
        ("areas shifted 33 km", r"centroids lie outside .*\+33\.0 km east"),
    ],
)
def test_centroids_away_from_their_areas_are_an_error(inputs, recipe, change, found):
    if change == "centroids shifted 50 km":
        changes = {"centroids": inputs.centroids.translate(50_000, 0)}
    elif change == "centroids swapped":
        changes = {"centroids": swap_xy(inputs.centroids)}
    else:  # the polygons move 33 km west: the centroids sit 33 km east of them
        changes = {"areas": inputs.areas.set_geometry(inputs.areas.translate(-33_000, 0))}
    with pytest.raises(DataQualityError, match=found):
        run(inputs, recipe, **changes)


def test_longitude_latitude_declared_as_british_national_grid_is_an_error(inputs, recipe):
    lonlat = inputs.areas.to_crs("EPSG:4326").set_crs("EPSG:27700", allow_override=True)
    with pytest.raises(DataQualityError, match=r"areas is declared as EPSG:27700 .* longitude"):
        run(inputs, recipe, areas=lonlat)
    points = inputs.centroids.to_crs("EPSG:4326").set_crs("EPSG:27700", allow_override=True)
    with pytest.raises(DataQualityError, match=r"centroids is declared .*set_crs\('EPSG:4326'"):
        run(inputs, recipe, centroids=points)
    # numbers far outside the grid (here: eastings and northings multiplied by 10)
    far = inputs.centroids.scale(10, 10, origin=(0, 0))
    with pytest.raises(DataQualityError, match=r"482 of 482 centroids lie outside British"):
        run(inputs, recipe, centroids=far)


def test_a_few_centroids_outside_their_areas_are_counted_in_a_warning(inputs):
    moved = inputs.centroids.copy()
    moved.iloc[:3] = moved.iloc[:3].translate(2_000, 0)
    with pytest.warns(UserWarning, match=r"3 of 482 centroids lie more than 250 m outside"):
        check_centroids_in_areas(inputs.areas, moved)


# --- 3. assets far from the study area ---------------------------------------------------------


def test_assets_of_another_place_or_crs_are_an_error(inputs, recipe):
    shifted = inputs.assets.set_geometry(inputs.assets.translate(100_000, 0))
    with pytest.warns(UserWarning, match="outside the study area"):  # validate_assets counts them
        with pytest.raises(DataQualityError, match=r"of \d+ assets lie more than 10 km from every"):
            run(inputs, recipe, assets=shifted)
    lonlat = inputs.assets.to_crs("EPSG:4326").set_crs("EPSG:27700", allow_override=True)
    with pytest.warns(UserWarning):  # duplicates (to the metre) and outside, from validate_assets
        with pytest.raises(DataQualityError, match="assets is declared as EPSG:27700"):
            run(inputs, recipe, assets=lonlat)


def test_assets_far_away_are_fine_unless_most_of_them(inputs):
    assets, areas = inputs.assets, inputs.areas
    check_assets_near(assets, areas)  # the real extract: no word
    # two thirds of the list 100 km away: kept, with a warning giving the count
    n = len(assets)
    away = [assets.set_geometry(assets.translate(100_000, dy)) for dy in (0, 700)]
    with pytest.warns(UserWarning, match=rf"{2 * n} of {3 * n} assets lie more than 10 km"):
        check_assets_near(pd.concat([assets, *away]), areas)
    # a national list that holds Leeds (one place per LSOA of England and Wales would do; here
    # a regular grid over England at a 10th of Leeds' density, plus Leeds' own): a warning only
    xs, ys = np.meshgrid(np.arange(150_000, 650_000, 5_000), np.arange(50_000, 650_000, 5_000))
    spread = gpd.GeoDataFrame(
        {"name": "x", "category": "library"},
        geometry=gpd.points_from_xy(xs.ravel(), ys.ravel()),
        crs="EPSG:27700",
        index=pd.RangeIndex(len(xs.ravel())),
    )
    national = pd.concat([assets, spread], ignore_index=True)
    with pytest.warns(UserWarning, match="assets lie more than 10 km"):
        check_assets_near(national, areas)


# --- 4. ward files: overlapping, or of another place -------------------------------------------


def test_real_leeds_wards_do_not_overlap_and_cover_leeds(inputs):
    check_no_overlaps(inputs.ward_boundaries, what="wards")
    share = check_ward_coverage(inputs.centroids, inputs.ward_boundaries, what="wards")
    assert share == pytest.approx(1.0)


def test_overlapping_wards_are_an_error(shared_data, tmp_path, inputs, recipe):
    wards = inputs.ward_boundaries
    first, second = wards.index[:2]
    shifted = wards.copy()
    shifted.loc[first, "geometry"] = shapely.affinity.translate(wards.geometry[first], 400, 400)
    with pytest.raises(DataQualityError, match=rf"{first} and \w+ \(\d+%\)"):
        run(inputs, recipe, ward_boundaries=shifted)
    # a file that lists one ward twice, under two codes: named, in the config's own words
    twice = pd.concat([wards, wards.loc[[second]].rename(index={second: "E05999999"})])
    twice.to_file(tmp_path / "wards.geojson", driver="GeoJSON")
    cfg = leeds_config(
        shared_data,
        tmp_path,
        {
            str(shared_data / "ons-boundaries-martinjc" / "wards_by_lad" / "E08000035.json"): str(
                tmp_path / "wards.geojson"
            )
        },
    )
    with (
        quietly(),
        pytest.raises(
            DataQualityError,
            match=rf"\[sources.wards\] wards.geojson: 1 pair.*{second} and E05999999 \(100%\)",
        ),
    ):
        load_inputs(cfg)


def test_leeds_wards_for_a_bradford_run_are_an_error(shared_data, tmp_path):
    """Before: a warning, and all of Bradford put into 6 Leeds wards."""
    leeds_lsoas = str(shared_data / "ons-boundaries-martinjc" / "lsoa_by_lad" / "E08000035.json")
    cfg = leeds_config(
        shared_data,
        tmp_path,
        {
            'code = "E08000035"': 'code = "E08000032"',
            'name = "Leeds"': 'name = "Bradford"',
            leeds_lsoas: str(shared_data / "ons-boundaries-bsc" / NATIONAL),
        },
    )
    with quietly(), pytest.raises(DataQualityError) as caught:
        load_inputs(cfg)
    message = str(caught.value)
    assert "[sources.wards] E08000035.json: only 0 of 310 areas of Bradford" in message
    assert "ward file of Bradford" in message and "MSOA" in message


# --- 5. a damaged Census cache ----------------------------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong frame"])
def test_a_damaged_census_cache_is_rebuilt_with_a_warning(config, cache, monkeypatch, damage):
    """Before: every run failed on the damaged file until it was deleted by hand.

    The real cache key (paths, sizes, times of the Leeds config's files) and the real
    read/write; the national build itself (minutes on this machine) is replaced by a small
    frame, counted."""
    import inclusion_geo.sources as src

    built = []

    def tables(paths, *, metadata=None, lookup=None):
        built.append(1)
        codes = pd.Index(["E01000001", "E01000002", "W01000003"], name="lsoa21cd")
        return pd.DataFrame({"residents": [1500.0, 1600.0, 1700.0]}, index=codes)

    monkeypatch.setattr(src, "load_census_tables", tables)
    monkeypatch.setattr(src, "load_oa_lsoa_lookup", lambda path: None)
    monkeypatch.setattr(
        src, "load_census_table", lambda path: pd.DataFrame({"aged_65_plus": [300.0] * 3},
                                                           index=tables(()).index)
    )  # fmt: skip
    cfg = load_config(config)
    first = _national_census(cfg)
    assert len(built) == 2  # tables and age
    (cached,) = (cache / "harmonised").glob("census-lsoa21-*.parquet")
    assert _national_census(cfg).equals(first) and len(built) == 2  # read from the cache
    if damage == "garbage":
        cached.write_bytes(b"not a parquet file \x00\xff" * 100)
    elif damage == "truncated":
        cached.write_bytes(cached.read_bytes()[:-200])
    else:
        first.reset_index().to_parquet(cached)  # readable, but not indexed by area
    with pytest.warns(UserWarning, match=r"cached Census counts .*census-lsoa21-.* damaged"):
        again = _national_census(cfg)
    assert len(built) == 4  # rebuilt
    pd.testing.assert_frame_equal(again, first)
    pd.testing.assert_frame_equal(pd.read_parquet(cached), first)  # written back in place
    pd.testing.assert_frame_equal(_national_census(cfg), first)  # and used, with no warning
    assert len(built) == 4

"""Lookups, vintages, boundaries, centroids and assets on the real files in ../shared/data."""

import pandas as pd
import pytest
from shapely.geometry import Point

from inclusion_geo._errors import (
    DataQualityError,
    InclusionGeoError,
    UnknownCodeError,
    VintageMismatchError,
)
from inclusion_geo.geography import (
    best_fit_lookup,
    check_same_vintage,
    convert_counts,
    detect_vintage,
)
from inclusion_geo.sources import (
    areas_in,
    categorise_tags,
    load_area_lookup,
    load_centroids,
    load_iod,
    load_lsoa_change_lookup,
    load_nomis_export,
    read_asset_table,
    read_boundaries,
    read_osm_layers,
)
from inclusion_geo.sources.assets import parse_hstore

pytestmark = pytest.mark.shared_data
LEEDS = "E08000035"
CHANGE = (
    "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_England_and_Wales.csv"
)


@pytest.fixture(scope="module")
def change(shared_data):
    return load_lsoa_change_lookup(shared_data / "ons-lookups" / CHANGE)


@pytest.fixture(scope="module")
def lad(shared_data):
    """LSOA 2011 -> LAD 2021 (the CCG lookup's LAD columns)."""
    return load_area_lookup(
        shared_data
        / "ons-lookups"
        / "Lower_Layer_Super_Output_Area_(2011)_to_Clinical_Commissioning_Group_to_Local_Authority_District_(April_2021)_Lookup_in_England.csv",
        source="lsoa11cd",
        target="lad21cd",
    )


@pytest.fixture(scope="module")
def population11(shared_data):
    return load_iod(
        shared_data / "mhclg-iod2019" / "File_6_-_IoD2019_Population_Denominators.csv.gz"
    )["population_total"]


def test_change_lookup_leeds(change):
    leeds = change[change["lad22cd"] == LEEDS]
    assert leeds["chgind"].value_counts().to_dict() == {"U": 473, "S": 14, "M": 2}
    assert leeds["lsoa11cd"].nunique() == 482 and leeds["lsoa21cd"].nunique() == 488


def test_leeds_census_2021_counts_on_2011_geography_conserve_totals(
    shared_data, change, population11
):
    age = load_nomis_export(shared_data / "ons-census2021-nomis" / "Census 2021 - Population.csv")
    leeds21 = change.loc[change["lad22cd"] == LEEDS, "lsoa21cd"].unique()
    counts21 = age.loc[leeds21].drop(columns="area_name")
    counts11 = convert_counts(counts21, change, to="2011", population=population11)
    assert len(counts11) == 482 and detect_vintage(counts11) == "2011"
    pd.testing.assert_series_equal(counts11.sum(), counts21.sum(), check_names=False)
    # a split 2011 LSOA is the sum of its 2021 parts
    split = change[(change["chgind"] == "S") & (change["lad22cd"] == LEEDS)]
    parent = split["lsoa11cd"].iloc[0]
    parts = split.loc[split["lsoa11cd"] == parent, "lsoa21cd"]
    assert counts11.loc[parent, "age_base"] == counts21.loc[parts, "age_base"].sum()
    # a merged 2021 LSOA is shared between its 2011 parts in proportion to their population
    merged = change[(change["chgind"] == "M") & (change["lad22cd"] == LEEDS)]
    m21 = merged["lsoa21cd"].iloc[0]
    olds = merged.loc[merged["lsoa21cd"] == m21, "lsoa11cd"].tolist()
    share = population11[olds] / population11[olds].sum()
    assert counts11.loc[olds, "age_base"].to_numpy() == pytest.approx(
        counts21.loc[m21, "age_base"] * share.to_numpy()
    )


def test_conversion_errors(shared_data, change):
    age = load_nomis_export(
        shared_data / "ons-census2021-nomis" / "Census 2021 - Population.csv"
    ).drop(columns="area_name")
    leeds21 = change.loc[change["lad22cd"] == LEEDS, "lsoa21cd"].unique()
    with pytest.raises(InclusionGeoError, match="population="):
        convert_counts(age.loc[leeds21], change, to="2011")
    with pytest.raises(VintageMismatchError, match="needs lsoa11cd"):
        convert_counts(age.loc[leeds21], change, to="2021")
    with pytest.raises(VintageMismatchError, match="LSOA \\(2011 Census geography\\)"):
        check_same_vintage(
            age.rename_axis("lsoa21cd"), age.rename_axis("lsoa11cd"), names=["census", "imd"]
        )


def test_boundaries_leeds(shared_data):
    with pytest.warns(UserWarning, match="2 invalid polygon"):
        lsoa = read_boundaries(
            shared_data / "ons-boundaries-martinjc" / "lsoa_by_lad" / f"{LEEDS}.json"
        )
    assert len(lsoa) == 482 and lsoa.index.name == "lsoa11cd" and lsoa.crs.to_epsg() == 27700
    assert lsoa.is_valid.all()
    assert lsoa.loc["E01011264", "name"] == "Leeds 011A"
    wards = read_boundaries(
        shared_data / "ons-boundaries-martinjc" / "wards_by_lad" / f"{LEEDS}.json"
    )
    assert len(wards) == 33 and wards.index.name == "wd13cd"
    assert "Adel and Wharfedale" in set(wards["name"])
    with pytest.warns(UserWarning, match="8 invalid polygon"):
        oas = read_boundaries(
            shared_data / "ons-boundaries-martinjc" / "oa_by_lad" / f"{LEEDS}.json"
        )
    assert oas.index.name == "oa11cd" and len(oas) == 2_543  # OA11CD chosen over LAD11CD


def test_boundary_formats_and_errors(shared_data, tmp_path):
    wards = read_boundaries(
        shared_data / "ons-boundaries-martinjc" / "wards_by_lad" / f"{LEEDS}.json"
    )
    out = wards.reset_index().rename(columns={"wd13cd": "WD13CD", "name": "WD13NM"})
    out.to_file(tmp_path / "w.gpkg")
    out.to_file(tmp_path / "w.shp")
    out.to_parquet(tmp_path / "w.parquet")
    for f in ["w.gpkg", "w.shp", "w.parquet"]:
        again = read_boundaries(tmp_path / f)
        assert again.index.name == "wd13cd" and len(again) == 33
    nocrs = out.set_crs(None, allow_override=True)
    with pytest.warns(UserWarning, match="crs"):
        nocrs.to_file(tmp_path / "nocrs.shp")  # no .prj file
    with pytest.raises(DataQualityError, match="coordinate reference system"):
        read_boundaries(tmp_path / "nocrs.shp")
    # GeoJSON without a crs member means longitude/latitude; eastings there are a wrong CRS
    with pytest.warns(UserWarning, match="crs"):
        nocrs.to_file(tmp_path / "bng-as-lonlat.geojson")
    with pytest.raises(DataQualityError, match="look like British National Grid"):
        read_boundaries(tmp_path / "bng-as-lonlat.geojson")
    out.drop(columns="WD13CD").to_file(tmp_path / "nocode.geojson")
    with pytest.raises(InclusionGeoError, match="No area code column"):
        read_boundaries(tmp_path / "nocode.geojson")


def test_centroids_and_best_fit_wards(shared_data, lad):
    pwc11 = load_centroids(
        shared_data
        / "ons-lookups"
        / "Lower_Layer_Super_Output_Areas_December_2011_Population_Weighted_Centroids.csv"
    )
    pwc21 = load_centroids(
        shared_data
        / "ons-lookups"
        / "LLSOA_Dec_2021_PWC_for_England_and_Wales_2022_6710512803259349539.csv"
    )
    assert (len(pwc11), pwc11.index.name) == (34_753, "lsoa11cd")
    assert (len(pwc21), pwc21.index.name) == (35_672, "lsoa21cd")
    assert pwc11.crs.to_epsg() == 27700
    wards = read_boundaries(
        shared_data / "ons-boundaries-martinjc" / "wards_by_lad" / f"{LEEDS}.json"
    )
    leeds = areas_in(lad, LEEDS)
    assert len(leeds) == 482
    fit = best_fit_lookup(pwc11.loc[leeds], wards)
    assert fit.nunique() == 33 and fit.index.equals(leeds)
    with pytest.raises(InclusionGeoError, match="do not appear"):
        areas_in(lad, "E99999999")


def test_osm_layers_become_one_asset_table(shared_data):
    with pytest.warns(UserWarning, match="more than one layer"):
        assets = read_osm_layers(shared_data / "osm-west-yorkshire")
    assert len(assets) == 1_965  # node 27470967 is in two layers, once with a float id "27470967.0"
    assert (assets.geom_type == "Point").all() and assets.crs.to_epsg() == 27700
    counts = assets["category"].value_counts()
    assert counts["library"] == 55 and counts["place_of_worship"] == 353
    assert counts["digital"] == 60  # shop=computer and mobile_phone live in other_tags
    central = assets[assets["name"] == "Leeds Central Library"].iloc[0]
    assert central["internet_access"] == "terminal;wlan" and central["wheelchair"] == "yes"
    assert central["operator"] == "Leeds City Council"
    unnamed = assets[assets["name"].isna()]  # no name tag: the name stays missing, not invented
    assert len(unnamed) == 82 and not assets["name"].dropna().isin(["nan", "None", ""]).any()
    assert unnamed["label"].str.fullmatch(r"unnamed [a-z ]+ \(OSM (node|way|relation) \d+\)").all()
    assert (assets["label"] == assets["name"]).sum() == len(assets) - 82
    hack = assets[assets["subcategory"] == "hackerspace"]
    assert len(hack) == 1  # a polygon, now its representative point


def test_tags_and_hstore():
    tags = parse_hstore('"addr:postcode"=>"LS1 3AB","name:en"=>"A \\"quoted\\" name","x"=>""')
    assert tags == {"addr:postcode": "LS1 3AB", "name:en": 'A "quoted" name', "x": ""}
    assert categorise_tags({"amenity": "cafe", "internet_access": "wlan"}) == ("cafe_wifi", "cafe")
    assert categorise_tags({"amenity": "cafe"}) == ("cafe", "cafe")
    assert categorise_tags({"amenity": "bench"}) is None


def test_council_asset_list(tmp_path):
    csv = tmp_path / "hubs.csv"
    csv.write_text(
        "Name,Type,Latitude,Longitude,opening_hours\n"
        "Central <Hub> & Co,Hub,53.8008,-1.5491,Mo-Fr 09:00-17:00\n"
        "Library West,library,53.80,-1.60,\n"
    )
    with pytest.warns(UserWarning, match="not in the taxonomy"):
        a = read_asset_table(csv, name="Name", category="Type")
    assert a.crs.to_epsg() == 27700 and a["name"].iloc[0] == "Central <Hub> & Co"
    a = read_asset_table(csv, name="Name", category="Type", categories={"Hub": "community_centre"})
    assert a["category"].tolist() == ["community_centre", "library"]
    en = tmp_path / "en.csv"
    en.write_text("name,category,easting,northing\nA,library,430000,433000\n")
    assert read_asset_table(en).geometry.iloc[0].equals(Point(430000, 433000))
    pc = tmp_path / "pc.xlsx"
    pd.DataFrame(
        {"name": ["A", "B"], "category": ["advice", "advice"], "postcode": ["ls1 3ab", "LS2 9JT"]}
    ).to_excel(pc, index=False)
    postcodes = pd.DataFrame(
        {"easting": [430000, 429000], "northing": [433000, 434000]}, index=["LS1 3AB", "LS29JT"]
    )
    assert len(read_asset_table(pc, postcodes=postcodes)) == 2
    with pytest.raises(InclusionGeoError, match="postcodes="):
        read_asset_table(pc)
    with pytest.raises(DataQualityError, match="not found"):
        read_asset_table(pc, postcodes=postcodes.iloc[:1])
    bad = tmp_path / "bad.csv"
    bad.write_text("name,category,lat,lon\nA,library,,\n")
    with pytest.raises(DataQualityError, match="no usable location"):
        read_asset_table(bad)


def test_unknown_codes_are_named(lad):
    from inclusion_geo.sources import aggregate_counts

    counts = pd.DataFrame({"x": [1]}, index=pd.Index(["E01999999"], name="lsoa11cd"))
    with pytest.raises(UnknownCodeError, match="E01999999"):
        aggregate_counts(counts, lad)

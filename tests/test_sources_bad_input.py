"""Bad input at the loaders: clear errors or counted warnings, and untrusted text cleaned at load.

Bad files are made in tmp_path from copies of the real published files in ../shared/data
(truncated, overwritten, one cell changed) or written as small tables.
"""

import json

import numpy as np
import pandas as pd
import pytest

from inclusion_geo._errors import DataQualityError, MissingColumnsError, UnknownCodeError
from inclusion_geo._text import UNSAFE, asset_label, clean_names, clean_text
from inclusion_geo.sources import (
    aggregate_counts,
    load_area_lookup,
    load_census_table,
    load_census_tables,
    load_composite_uk_imd,
    load_iod,
    load_lsoa_change_lookup,
    load_nomis_export,
    read_asset_table,
    read_boundaries,
    read_osm_layers,
)

from .hostile import BIDI, CONTROL, NEWLINES, PRINTABLE

pytestmark = pytest.mark.shared_data
LEEDS = "E08000035"
CLEAN = {
    CONTROL: "Nulandbell[31mred",
    NEWLINES: "Line one Line two Line three",
    BIDI: "Library redli",
}
# GDAL reads a GeoJSON string only up to a NUL, so spatial files get CONTROL without it
NO_NUL = CONTROL.replace("\x00", "")
CLEAN_GEO = {NO_NUL: "Nulandbell[31mred", NEWLINES: CLEAN[NEWLINES], BIDI: CLEAN[BIDI]}


def _no_unsafe(values) -> None:
    for v in values:
        assert not (isinstance(v, str) and UNSAFE.search(v)), repr(v)


# 1. control and text-direction characters ------------------------------------------------------


def test_clean_names_one_counted_warning():
    names = pd.Series([CONTROL, NEWLINES, BIDI, "Plain", None, " \t "], index=list("abcdef"))
    with pytest.warns(UserWarning, match=r"^4 names in test had control or text-direction") as rec:
        out = clean_names(names, what="test")
    assert len(rec) == 1
    assert out[:3].tolist() == list(CLEAN.values())
    assert out["d"] == "Plain" and out["e"] is None and out["f"] is None  # never "nan"
    assert out.index.equals(names.index)
    # every right-to-left, embedding, isolate and mark character goes
    marks = "".join(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
    assert clean_text(f"a{marks}\u200e\u200fb\x85c\x9bd") == "ab cd"


def test_printable_hostile_names_load_unchanged(tmp_path):
    """Markup, formulas and template syntax are the outputs' business: loading keeps them."""
    csv = tmp_path / "hubs.csv"
    names = {k: v for k, v in PRINTABLE.items() if k != "formula_tab"}
    pd.DataFrame(
        {"name": list(names.values()), "category": "library", "lat": 53.8, "lon": -1.55}
    ).to_csv(csv, index=False)
    assets = read_asset_table(csv)
    assert assets["name"].tolist() == list(names.values())


def test_osm_names_and_tags_are_cleaned(shared_data, tmp_path):
    data = json.loads(
        (shared_data / "osm-west-yorkshire" / "leeds-amenities-library.geojson").read_text()
    )
    for feature, text in zip(data["features"], CLEAN_GEO, strict=False):
        feature["properties"]["name"] = text
    props = data["features"][0]["properties"]
    props["other_tags"] = '"opening_hours"=>"Mo 09:00\\u000712:00","operator"=>"Council\u202e"'
    props["other_tags"] = props["other_tags"].replace("\\u0007", "\x07")
    path = tmp_path / "leeds-amenities-library.geojson"
    path.write_text(json.dumps(data))
    with pytest.warns(UserWarning, match="values in OpenStreetMap.*had control") as rec:
        assets = read_osm_layers(path)
    messages = [str(w.message) for w in rec]
    assert any(m.startswith("5 values in OpenStreetMap") for m in messages), messages
    assert "'name'" in messages[0] and "'opening_hours'" in messages[0]
    assert set(CLEAN_GEO.values()) <= set(assets["name"])
    first = assets.loc[assets["name"] == CLEAN_GEO[NO_NUL]].iloc[0]
    assert first["opening_hours"] == "Mo 09:0012:00"
    assert first["operator"] == "Council"
    for col in ["name", "label", "opening_hours", "operator", "subcategory"]:
        _no_unsafe(assets[col])
    if "tags" in assets:  # the raw OSM tags kept for the register are cleaned too
        _no_unsafe(first["tags"].values())


def test_council_names_are_cleaned_and_write_to_xlsx(tmp_path):
    """A NUL in a name used to crash the XLSX writer after all the computation."""
    csv = tmp_path / "hubs.csv"
    pd.DataFrame(
        {
            "name": [CONTROL, NEWLINES, BIDI],
            "category": ["library", "advice", "library"],
            "lat": [53.80, 53.81, 53.82],
            "lon": [-1.55, -1.56, -1.57],
            "operator": ["Leeds\x00City", "Council", None],
        }
    ).to_csv(csv, index=False)
    with pytest.raises(Exception, match="IllegalCharacter|cannot be used in worksheets"):
        pd.DataFrame({"name": [CONTROL]}).to_excel(
            tmp_path / "raw.xlsx", engine="openpyxl"
        )  # the crash, before
    with pytest.warns(UserWarning, match=r"^4 values in asset list hubs\.csv") as rec:
        assets = read_asset_table(csv)
    assert len(rec) == 1
    assert assets["name"].tolist() == list(CLEAN.values())
    assert assets["operator"].tolist()[:2] == ["LeedsCity", "Council"]
    pd.DataFrame(assets.drop(columns="geometry")).to_excel(
        tmp_path / "assets.xlsx", engine="openpyxl"
    )


def test_boundary_area_and_ward_names_are_cleaned(shared_data, tmp_path):
    data = json.loads(
        (shared_data / "ons-boundaries-martinjc" / "wards_by_lad" / f"{LEEDS}.json").read_text()
    )
    for feature, text in zip(data["features"], CLEAN_GEO, strict=False):
        feature["properties"]["WD13NM"] = text
    data["features"][3]["properties"]["WD13NM"] = None
    path = tmp_path / "wards.json"
    path.write_text(json.dumps(data))
    with pytest.warns(UserWarning, match="^3 names in boundary file wards.json had control"):
        wards = read_boundaries(path, expect="wards")
    assert wards["name"].iloc[:3].tolist() == list(CLEAN_GEO.values())
    assert pd.isna(wards["name"].iloc[3])  # missing stays missing, not the text "nan"
    _no_unsafe(wards["name"])


def test_lookup_and_imd_names_are_cleaned(shared_data, tmp_path):
    change = pd.read_csv(
        shared_data
        / "ons-lookups"
        / "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_England_and_Wales.csv",
        encoding="utf-8-sig",
        nrows=20,
    )
    change.loc[0, "LSOA11NM"], change.loc[1, "LAD22NM"] = CONTROL, BIDI
    change.to_csv(tmp_path / "change.csv", index=False)
    with pytest.warns(UserWarning, match="^2 values in LSOA change lookup change.csv"):
        out = load_lsoa_change_lookup(tmp_path / "change.csv")
    assert out.loc[0, "lsoa11nm"] == CLEAN[CONTROL] and out.loc[1, "lad22nm"] == CLEAN[BIDI]
    imd = tmp_path / "imd.csv"
    pd.DataFrame(
        {
            "LSOA code (2011)": ["E01000001", "E01000002"],
            "LSOA name (2011)": [NEWLINES, "City of London 001B"],
            "Local Authority District name (2019)": [BIDI, "City of London"],
            "Index of Multiple Deprivation (IMD) Score": [6.2, 5.1],
        }
    ).to_csv(imd, index=False)
    with pytest.warns(UserWarning, match="^2 values in IoD file imd.csv"):
        f = load_iod(imd)
    assert f["lsoa_name"].iloc[0] == CLEAN[NEWLINES] and f["lad_name"].iloc[0] == CLEAN[BIDI]


# 2. empty names -----------------------------------------------------------------------------------


def test_council_rows_without_a_name_keep_no_name_and_get_a_label(tmp_path):
    csv = tmp_path / "hubs.csv"
    csv.write_text(
        "name,category,lat,lon\n"
        "Central Hub,library,53.80,-1.55\n"
        ",community_centre,53.81,-1.56\n"
        "   ,library,53.82,-1.57\n"
    )
    with pytest.warns(UserWarning, match=r"2 place\(s\) have no name, at rows 3, 4"):
        assets = read_asset_table(csv)
    assert assets["name"].tolist() == ["Central Hub", None, None]
    assert assets["label"].tolist() == [
        "Central Hub",
        "unnamed community centre (hubs.csv row 3)",
        "unnamed library (hubs.csv row 4)",
    ]
    text = pd.DataFrame(assets.drop(columns="geometry")).to_csv()
    assert "nan" not in text.lower().replace("unnamed", "")


def test_osm_feature_without_a_name_tag(tmp_path):
    layer = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"osm_id": "123", "amenity": "library", "name": None},
                "geometry": {"type": "Point", "coordinates": [-1.55, 53.8]},
            }
        ],
    }
    path = tmp_path / "leeds-amenities-library.geojson"
    path.write_text(json.dumps(layer))
    assets = read_osm_layers(path)
    assert assets["name"].iloc[0] is None
    assert assets["label"].iloc[0] == "unnamed library (OSM node 123)"
    assert asset_label(None, "community_centre", "x.csv row 2") == (
        "unnamed community centre (x.csv row 2)"
    )


# 3. asset coordinates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (
            "A,library,430000,433000\n",
            r"hubs\.csv: columns lat/lon hold values like 430000.*row 2 .*look like "
            r"eastings/northings.*name the columns easting/northing",
        ),
        ("A,library,53.8,-1.55\nB,library,95,-1.5\n", r"hubs\.csv: latitudes.*row 3 .*\[95\.0\]"),
        ("A,library,inf,-1.55\n", r"hubs\.csv: column 'lat'.*cannot be a place.*row 2"),
        ("A,library,53.8,1e30\n", r"hubs\.csv: column 'lon'.*cannot be a place.*row 2"),
        ('A,library,"53,8","-1,55"\n', r"hubs\.csv: column 'lat'.*decimal comma.*'53,8'.*row 2"),
        ("A,library,53.8,-1.55\nB,library,0,0\n", r"hubs\.csv: 1 place.*far outside Great Britain"
         r", at row 3 .*swapped"),
        ("A,library,-1.55,53.8\n", r"far outside Great Britain, at row 2.*lat and lon swapped"),
        ("A,library,north,-1.5\n", r"column 'lat'.*not numbers.*'north'.*row 2"),
        ("A,library,,-1.5\n", r"no usable location, at row 2"),
    ],
)  # fmt: skip
def test_bad_coordinates_name_file_rows_and_fix(tmp_path, rows, match):
    csv = tmp_path / "hubs.csv"
    csv.write_text("name,category,lat,lon\n" + rows)
    with pytest.raises(DataQualityError, match=match):
        read_asset_table(csv)


def test_bad_eastings_and_excel_decimal_commas(tmp_path):
    csv = tmp_path / "en.csv"
    csv.write_text('name,category,easting,northing\nA,library,"430,000",433000\n')
    assert read_asset_table(csv).geometry.iloc[0].x == 430_000  # a thousands separator
    csv.write_text("name,category,easting,northing\nA,library,-1.55,53.8\n")
    with pytest.raises(DataQualityError, match="look like longitudes/latitudes.*name the columns"):
        read_asset_table(csv)
    csv.write_text("name,category,easting,northing\nA,library,430000,433000\nB,library,9e6,1\n")
    with pytest.raises(DataQualityError, match="far outside Great Britain, at row 3"):
        read_asset_table(csv)
    xlsx = tmp_path / "hubs.xlsx"
    pd.DataFrame(
        {"name": ["A", "B"], "category": "library", "lat": [53.8, "53,81"], "lon": [-1.5, -1.6]}
    ).to_excel(xlsx, index=False)
    with pytest.raises(DataQualityError, match=r"hubs\.xlsx: column 'lat'.*decimal comma.*row 3"):
        read_asset_table(xlsx)


# 4. damaged files ---------------------------------------------------------------------------------


def _truncate(src, dst, keep=0.5):
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    return dst


def _overwrite(src, dst, start, length):
    data = bytearray(src.read_bytes())
    data[start : start + length] = b"x" * length
    dst.write_bytes(bytes(data))
    return dst


DAMAGED = r"seems damaged or cut short.*Download it again"


def test_damaged_xlsx_csv_gz_and_parquet(shared_data, tmp_path):
    iod = shared_data / "mhclg-iod2019"
    xlsx = iod / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    cut = _truncate(xlsx, tmp_path / "File_1.xlsx")
    with pytest.raises(DataQualityError, match=rf"File_1\.xlsx {DAMAGED}"):
        load_iod(cut)
    broken = _overwrite(xlsx, tmp_path / "File_1b.xlsx", 20_000, 20_000)
    with pytest.raises(DataQualityError, match=rf"File_1b\.xlsx {DAMAGED}"):
        load_iod(broken, sheet="IMD2019")
    gz = _truncate(iod / "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz", tmp_path / "f2.csv.gz")
    with pytest.raises(DataQualityError, match=rf"f2\.csv\.gz {DAMAGED}"):
        load_iod(gz)
    meta = shared_data / "ons-census2021-oa-tables" / "Table_Metadata.csv"
    ts038 = shared_data / "ons-census2021-oa-tables" / "ts038.parquet"
    (tmp_path / "x").mkdir()
    for bad in [
        _truncate(ts038, tmp_path / "ts038.parquet"),
        _overwrite(ts038, tmp_path / "x" / "ts038.parquet", 5_000, 4_000),
    ]:
        with pytest.raises(DataQualityError, match=rf"ts038\.parquet {DAMAGED}"):
            load_census_table(bad, metadata=meta)
    with pytest.raises(DataQualityError, match=rf"hubs\.xlsx {DAMAGED}"):
        read_asset_table(_truncate(xlsx, tmp_path / "hubs.xlsx"))


def test_damaged_boundary_file(shared_data, tmp_path):
    src = shared_data / "ons-boundaries-martinjc" / "wards_by_lad" / f"{LEEDS}.json"
    with pytest.raises(DataQualityError, match=r"wards\.json.*damaged or cut short: download"):
        read_boundaries(_truncate(src, tmp_path / "wards.json"))


def test_lsoa_file_given_as_wards(shared_data, tmp_path):
    lsoa = shared_data / "ons-boundaries-martinjc" / "lsoa_by_lad" / f"{LEEDS}.json"
    with pytest.raises(
        UnknownCodeError,
        match=r"E08000035\.json: its areas are not electoral wards: 482 LSOA code.*E01.*"
        r"\[sources\.wards\]",
    ):
        read_boundaries(lsoa, expect="wards")
    wards = shared_data / "ons-boundaries-martinjc" / "wards_by_lad" / f"{LEEDS}.json"
    assert len(read_boundaries(wards, expect="wards")) == 33


def test_runner_rejects_lsoa_file_as_wards(shared_data, tmp_path):
    from pathlib import Path

    from inclusion_geo.runner import load_inputs

    example = Path(__file__).resolve().parents[1] / "examples" / "leeds.toml"
    text = example.read_text().replace("../../shared/data", str(shared_data))
    text = text.replace("wards_by_lad/E08000035.json", "lsoa_by_lad/E08000035.json")
    config = tmp_path / "leeds.toml"
    config.write_text(text)
    with pytest.warns(UserWarning, match="invalid polygon"):
        with pytest.raises(UnknownCodeError, match="not electoral wards"):
            load_inputs(config)


# 5. column names with regex characters ------------------------------------------------------------


def test_lookup_columns_are_matched_literally(tmp_path):
    path = tmp_path / "lookup.csv"
    path.write_text(
        "LSOA11CD,lsoa.*,LAD22CD 2022,LAD22CD (2022)\n"
        "E01000001,E01000009,E09000099,E09000001\n"
        "E01000002,E01000008,E09000099,E09000002\n"
    )
    out = load_area_lookup(path, source="lsoa.*", target="LAD22CD (2022)")
    assert out.index.tolist() == ["E01000009", "E01000008"]  # not LSOA11CD
    assert out.tolist() == ["E09000001", "E09000002"]  # not "LAD22CD 2022"
    # case, spacing, the F_ prefix and ? as a digit still work
    path.write_text("F_LSOA11CD,LAD21CD\nE01000001,E09000001\n")
    assert load_area_lookup(path, source="lsoa11cd", target="lad2?cd").tolist() == ["E09000001"]
    with pytest.raises(MissingColumnsError, match=r"no column named 'lad\.\*'"):
        load_area_lookup(path, source="lsoa11cd", target="lad.*")


# 6. IMD values --------------------------------------------------------------------------------------


def _iod(tmp_path, **columns):
    path = tmp_path / "iod.csv"
    frame = pd.DataFrame({"LSOA code (2011)": ["E01000001", "E01000002", "E01000003"], **columns})
    frame.to_csv(path, index=False)
    return path


SCORE = "Index of Multiple Deprivation (IMD) Score"
RANK = "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"


def test_negative_and_non_numeric_imd_scores(tmp_path):
    with pytest.raises(
        DataQualityError, match=r"iod\.csv: column 'imd_score' has 1 negative.*E01000002"
    ):
        load_iod(_iod(tmp_path, **{SCORE: [10.0, -3.5, 4.0]}))
    with pytest.raises(DataQualityError, match=r"iod\.csv: column .*IMD\) Score.*'abc'.*row 4"):
        load_iod(_iod(tmp_path, **{SCORE: [10.0, 2.0, "abc"]}))
    with pytest.raises(DataQualityError, match=r"column .*IMD\) Score.*infinite.*row 2"):
        load_iod(_iod(tmp_path, **{SCORE: ["inf", 2.0, 3.0]}))
    # standardised scores (health, crime) are negative for the less deprived half
    ok = load_iod(_iod(tmp_path, **{"Crime Score": [-1.2, 0.3, 1.5]}))
    assert ok["crime_score"].min() == -1.2


@pytest.mark.parametrize("ranks", [[1, 0, 3], [1, 2, 40_000], [1, None, 3], [1, 2.5, 3]])
def test_ranks_outside_one_to_n(tmp_path, ranks):
    with pytest.raises(DataQualityError, match=r"column 'imd_rank'.*from 1 to 34,753.*E0100000"):
        load_iod(_iod(tmp_path, **{RANK: ranks}))


def test_composite_negative_score(shared_data, tmp_path):
    raw = pd.read_csv(shared_data / "mysociety-composite-uk-imd" / "UK_IMD_E.csv")
    row = raw.index[raw["lsoa"] == "E01000001"][0]
    raw.loc[row, "overall_local_score"] = -6.2
    raw.to_csv(tmp_path / "UK_IMD_E.csv", index=False)
    with pytest.raises(DataQualityError, match=r"UK_IMD_E\.csv: column 'imd_score'.*E01000001"):
        load_composite_uk_imd(tmp_path / "UK_IMD_E.csv")


# 7. Census missing values -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def oa_tables(shared_data):
    return shared_data / "ons-census2021-oa-tables"


def test_suppressed_census_cells_stay_missing(oa_tables, tmp_path):
    meta = oa_tables / "Table_Metadata.csv"
    table = pd.read_parquet(oa_tables / "ts038.parquet").head(20).astype(object)
    table.iloc[0, 1] = "c"  # ts0380001: the base
    table.iloc[1, 2] = "-"  # ts0380002: disabled
    table.iloc[2, 2] = ".."
    table.iloc[3, 2] = -5.0
    table.iloc[4, 2] = None
    table.iloc[5, 5] = "x"  # a category no count uses
    path = tmp_path / "ts038.csv"
    table.to_csv(path, index=False)
    with pytest.warns(
        UserWarning,
        match=r"ts038\.csv: 6 of 140 cells \(4\.29%\).*1 'c', 1 '-'.*1 negative.*never 0.*5 area",
    ):
        t = load_census_table(path, metadata=meta)
    assert t["disability_base"].isna().tolist()[:2] == [True, False]
    assert t["disabled"].isna().tolist()[:6] == [False, True, True, True, True, False]
    assert t.iloc[6:].notna().all().all()
    # an LSOA with a missing OA is missing, not the sum of the others
    lookup = pd.Series(["L1"] * 10 + ["L2"] * 10, index=t.index, name="lsoa21cd")
    lsoa = aggregate_counts(t, lookup)
    assert lsoa.loc["L1"].isna().all() and lsoa.loc["L2"].notna().all()


def test_suppressed_cells_in_a_nomis_export(shared_data, tmp_path):
    src = shared_data / "ons-census2021-nomis" / "Census 2021 - Population.csv"
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("E01011954"))
    lines[at] = lines[at].replace(",17,", ",c,")
    path = tmp_path / "rm121.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match=r"1 of 249,704 cells.*1 'c'.*1 area\(s\), e.g. E01011954"):
        t = load_nomis_export(path)
    assert np.isnan(t.loc["E01011954", "aged_65_plus"])
    assert t.loc["E01011954", "aged_75_plus"] == 137  # counts without the cell are kept


def test_areas_missing_from_one_table(oa_tables, tmp_path):
    meta = pd.read_csv(oa_tables / "Table_Metadata.csv")
    ts038 = pd.read_parquet(oa_tables / "ts038.parquet").head(30)
    ts037 = pd.read_parquet(oa_tables / "ts037.parquet").head(30)
    ts038.drop(index=[3, 4]).to_parquet(tmp_path / "ts038.parquet")
    ts037.to_parquet(tmp_path / "ts037.parquet")
    paths = [tmp_path / "ts038.parquet", tmp_path / "ts037.parquet"]
    gone = ", ".join(ts038["OA"].iloc[[3, 4]])
    with pytest.warns(UserWarning, match=rf"ts038\.parquet has no row for 2 oa21cd area.*{gone}"):
        counts = load_census_tables(paths, metadata=meta)
    assert counts["disabled"].isna().sum() == 2 and counts["bad_health"].notna().all()
    lookup = pd.Series(["L1"] * 10 + ["L2"] * 20, index=ts037["OA"], name="lsoa21cd")
    with pytest.warns(UserWarning, match="has no row for 2"):
        lsoa = load_census_tables(paths, metadata=meta, lookup=lookup)
    assert lsoa.loc["L1", "disabled"] != lsoa.loc["L1", "disabled"]  # missing, not undercounted
    assert lsoa.loc["L2"].notna().all()


def test_real_files_raise_no_new_warnings(shared_data, oa_tables):
    """The published files are clean: none of the new checks fires on them."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_census_table(oa_tables / "ts001.csv", metadata=oa_tables / "Table_Metadata.csv")
        load_composite_uk_imd(shared_data / "mysociety-composite-uk-imd" / "UK_IMD_E.csv")
        read_boundaries(shared_data / "ons-boundaries-martinjc" / "wards_by_lad" / f"{LEEDS}.json")

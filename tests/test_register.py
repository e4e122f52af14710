"""The asset register: tiers, OSM hygiene, hours, capacity, and the council's file round trip."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import Point

from inclusion_geo._errors import DataQualityError, InclusionGeoError, MissingColumnsError
from inclusion_geo.cli import main
from inclusion_geo.register import (
    DEFAULT_CAPACITY,
    REGISTER_COLUMNS,
    build_register,
    exclusion_counts,
)
from inclusion_geo.sources import read_osm_layers, read_register, write_register
from tests.hostile import HOSTILE, PRINTABLE

X0, Y0 = 430_000.0, 433_000.0  # Leeds, in British National Grid


def _osm(rows: list[tuple]) -> gpd.GeoDataFrame:
    """Assets shaped like read_osm_layers output: (id, category, subcategory, tags, dx, dy)."""
    records = []
    for rid, cat, sub, tags, dx, dy in rows:
        records.append(
            {
                "id": rid,
                "name": tags.get("name") or f"Unnamed {sub}",
                "category": cat,
                "subcategory": sub,
                "source": "OpenStreetMap",
                "opening_hours": tags.get("opening_hours"),
                "internet_access": tags.get("internet_access"),
                "wheelchair": None,
                "operator": tags.get("operator"),
                "capacity": np.nan,
                "postcode": tags.get("addr:postcode"),
                "tags": tags,
                "geometry": Point(X0 + dx, Y0 + dy),
            }
        )
    frame = gpd.GeoDataFrame(records, geometry="geometry", crs=27700)
    return frame.set_index(pd.Index(frame["id"], name=None))


CASES = [
    # id, category, subcategory, tags, dx, dy -> expected tier, include, reason word
    ("osm/node/1", "library", "library", {"amenity": "library", "name": "Beeston Library"}, 0, 0, 1, True, "public library"),  # noqa: E501
    ("osm/node/2", "cafe_wifi", "cafe", {"amenity": "cafe", "name": "Byte Cafe", "internet_access": "terminal;wlan"}, 1000, 0, 1, True, "internet_access=terminal"),  # noqa: E501
    ("osm/node/3", "community_centre", "community_centre", {"amenity": "community_centre", "name": "Hub", "computer": "yes"}, 2000, 0, 1, True, "computer=yes"),  # noqa: E501
    ("osm/node/4", "social_facility", "social_facility", {"amenity": "social_facility", "name": "Help Point", "service:digital_skills": "yes"}, 3000, 0, 1, True, "service:digital_skills"),  # noqa: E501
    ("osm/node/5", "advice", "advice", {"amenity": "advice", "name": "Citizens Advice"}, 4000, 0, 1, True, "advice"),  # noqa: E501
    ("osm/node/6", "job_centre", "job_centre", {"amenity": "job_centre", "name": "Jobcentre Plus"}, 5000, 0, 1, True, "job centre"),  # noqa: E501
    ("osm/way/7", "community_centre", "community_hall", {"amenity": "community_hall", "name": "Village Hall"}, 6000, 0, 2, True, "community hall: could host"),  # noqa: E501
    ("osm/node/8", "community_centre", "youth_centre", {"amenity": "youth_centre", "name": "Youth Club"}, 7000, 0, 2, True, "youth centre"),  # noqa: E501
    ("osm/node/9", "community_centre", "social_club", {"amenity": "social_club", "name": "Working Men's Club"}, 8000, 0, 3, True, "members' club"),  # noqa: E501
    ("osm/node/10", "community_centre", "arts_centre", {"amenity": "arts_centre", "name": "Arts"}, 9000, 0, 3, True, "context only"),  # noqa: E501
    ("osm/node/11", "civic", "townhall", {"amenity": "townhall", "name": "Town Hall"}, 10000, 0, 3, True, "context only"),  # noqa: E501
    ("osm/node/12", "library", "library", {"amenity": "library"}, 11000, 0, 3, True, "unnamed place"),  # noqa: E501
    ("osm/node/13", "job_centre", "employment_agency", {"office": "employment_agency", "name": "Reed"}, 12000, 0, 3, True, "context only"),  # noqa: E501
    ("osm/node/14", "other", "public_bookcase", {"amenity": "public_bookcase", "name": "Book Box", "disused:amenity": "telephone"}, 13000, 0, 3, True, "context only"),  # noqa: E501
    ("osm/node/15", "library", "library", {"amenity": "library", "name": "Mini library"}, 14000, 0, 3, True, "book exchange"),  # noqa: E501
    # hygiene
    ("osm/way/20", "library", "library", {"amenity": "library", "name": "Burley Library", "disused:amenity": "library"}, 0, 1000, 3, False, "disused, closed or not yet open"),  # noqa: E501
    ("osm/way/21", "library", "library", {"amenity": "library", "name": "St James's Hospital Library"}, 1000, 1000, 3, False, "academic"),  # noqa: E501
    ("osm/way/22", "library", "library", {"amenity": "library", "name": "Laidlaw", "library": "academic"}, 2000, 1000, 3, False, "academic"),  # noqa: E501
    ("osm/way/23", "library", "library", {"amenity": "library", "name": "Learning Centre", "building": "university"}, 3000, 1000, 3, False, "academic"),  # noqa: E501
    ("osm/way/24", "library", "library", {"amenity": "library", "name": "Law Library"}, 4000, 1000, 3, False, "academic"),  # noqa: E501
    ("osm/node/25", "library", "library", {"amenity": "library", "name": "Reading Room", "operator": "Leeds Sixth Form College"}, 5000, 1000, 3, False, "academic"),  # noqa: E501
    ("osm/node/26", "community_centre", "community_centre", {"amenity": "community_centre", "name": "Members Lounge", "access": "private"}, 6000, 1000, 3, False, "private access"),  # noqa: E501
    ("osm/node/27", "cafe", "cafe", {"amenity": "cafe", "name": "Staff Cafe", "access": "customers"}, 7000, 1000, 3, False, "private access"),  # noqa: E501
    # the same library as a node and a polygon 30 m apart: the polygon has more tags
    ("osm/node/30", "library", "library", {"amenity": "library", "name": "Rothwell Library"}, 0, 2000, 3, False, "duplicate of osm/way/31"),  # noqa: E501
    ("osm/way/31", "library", "library", {"amenity": "library", "name": "Rothwell  library", "operator": "Leeds City Council", "opening_hours": "Mo-Fr 09:00-17:00"}, 30, 2000, 1, True, "public library"),  # noqa: E501
    # the same name 200 m apart: two places
    ("osm/node/32", "cafe", "cafe", {"amenity": "cafe", "name": "Costa"}, 1000, 2000, 3, True, "context only"),  # noqa: E501
    ("osm/node/33", "cafe", "cafe", {"amenity": "cafe", "name": "Costa"}, 1200, 2000, 3, True, "context only"),  # noqa: E501
]  # fmt: skip


@pytest.fixture(scope="module")
def cases():
    assets = _osm([c[:6] for c in CASES])
    return assets, build_register(assets)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_tiers_and_hygiene(cases, case):
    _, reg = cases
    rid, *_, tier, include, word = case
    row = reg.loc[rid]
    assert row["tier"] == tier and row["include"] == include
    text = row["tier_reason"] if include else row["exclusion_reason"]
    assert word in text


def test_register_contract(cases):
    assets, reg = cases
    assert list(reg.columns) == [*REGISTER_COLUMNS, "geometry"]
    assert reg.index.name == "id" and reg.index.equals(pd.Index(assets.index, name="id"))
    assert str(reg["tier"].dtype) == "Int64" and reg["include"].dtype == bool
    assert str(reg["open_evenings"].dtype) == "boolean"
    assert reg["capacity"].dtype == float and reg.crs.to_epsg() == 27700
    # unnamed: NA, never the text "nan"; the display name says what and where it is
    assert pd.isna(reg.loc["osm/node/12", "name"])
    assert reg.loc["osm/node/12", "display_name"] == "unnamed library (OSM node 12)"
    assert not reg["name"].astype(str).str.lower().eq("nan").any()
    assert (reg.loc[reg["include"], "exclusion_reason"] == "").all()
    assert (reg.loc[~reg["include"], "exclusion_reason"] != "").all()
    # capacity: defaults by tier, and what they are
    assert reg.loc["osm/node/1", "capacity"] == DEFAULT_CAPACITY[1]
    assert reg.loc["osm/node/1", "capacity_source"] == "default for tier 1"
    assert reg.loc["osm/way/7", "capacity"] == DEFAULT_CAPACITY[2]
    assert reg.loc["osm/node/9", "capacity"] == 0.0
    assert reg.loc["osm/way/31", "hours_per_week"] == 40.0
    assert np.isnan(reg.loc["osm/node/1", "hours_per_week"])  # no tag: unknown, not 0


def test_exclusion_counts_add_up(cases):
    assets, reg = cases
    counts = exclusion_counts(reg)
    assert counts["count"].sum() == len(assets)
    as_dict = dict(zip(counts["reason"], counts["count"], strict=True))
    assert as_dict == {
        "kept": 18,
        "academic, hospital, school or private library": 5,
        "disused, closed or not yet open": 1,
        "duplicate": 1,
        "private access": 2,
    }
    assert reg.attrs["exclusions"] == {k: v for k, v in as_dict.items() if k != "kept"}


def test_capacity_default_override_and_checks(cases):
    assets, _ = cases
    reg = build_register(assets, capacity_default={1: 6, 3: 0.5})
    assert reg.loc["osm/node/1", "capacity"] == 6.0
    assert reg.loc["osm/way/7", "capacity"] == DEFAULT_CAPACITY[2]
    assert reg.loc["osm/node/9", "capacity"] == 0.5
    with pytest.raises(InclusionGeoError, match="tiers 1, 2 and 3"):
        build_register(assets, capacity_default={4: 1})
    with pytest.raises(InclusionGeoError, match="0 or more"):
        build_register(assets, capacity_default={1: -1})


def test_council_rows_are_not_put_through_osm_hygiene():
    council = gpd.GeoDataFrame(
        {
            "name": ["Leeds College Digital Hub", None, "nan"],
            "category": ["community_centre", "library", "advice"],
            "subcategory": ["community_centre", "library", "advice"],
            "source": ["hubs.csv"] * 3,
            "capacity": [12.0, np.nan, np.nan],
        },
        geometry=[Point(X0, Y0), Point(X0 + 500, Y0), Point(X0 + 900, Y0)],
        index=["hubs/1", "hubs/2", "hubs/3"],
        crs=27700,
    )
    reg = build_register(council)
    assert reg["include"].all()
    assert reg.loc["hubs/1", "tier"] == 2 and reg.loc["hubs/1", "capacity"] == 12.0
    assert reg.loc["hubs/1", "capacity_source"] == "asset list"
    assert pd.isna(reg.loc["hubs/2", "name"]) and pd.isna(reg.loc["hubs/3", "name"])
    assert reg.loc["hubs/2", "display_name"] == "unnamed library (hubs/2)"


def test_demo_borough_register(demo):
    reg = build_register(demo.assets)
    assert len(reg) == len(demo.assets)
    assert reg.attrs["exclusions"] == {
        "academic, hospital, school or private library": 1,
        "duplicate": 1,
        "private access": 1,
    }
    assert set(reg.loc[reg["include"], "tier"]) == {1, 2, 3}
    # hostile names from the demo come through as they are
    assert reg["name"].str.contains("<Size>").any()
    # some libraries open evenings, some weekends, one unknown, one odd string unread
    libs = reg[(reg["category"] == "library") & reg["include"]]
    assert libs["open_evenings"].eq(True).any() and libs["open_weekends"].eq(True).any()
    assert libs["hours_per_week"].isna().any() and libs["hours_per_week"].notna().sum() >= 5
    assert reg.attrs["hours"]["not in the grammar"] == 1
    assert set(reg["capacity_source"]) >= {"asset list", "default for tier 1", "default for tier 3"}


# --- Leeds ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def leeds_assets(shared_data):
    with pytest.warns(UserWarning, match="more than one layer"):
        return read_osm_layers(shared_data / "osm-west-yorkshire")


def test_leeds_register_vets_the_real_layers(leeds_assets):
    start = time.perf_counter()
    reg = build_register(leeds_assets)
    elapsed = time.perf_counter() - start
    assert elapsed < 10  # about 0.6 s here; vectorised over ~2,000 features
    assert len(reg) == len(leeds_assets) == 1_965
    counts = exclusion_counts(reg)
    assert counts["count"].sum() == len(leeds_assets)
    assert reg.attrs["exclusions"] == {
        "academic, hospital, school or private library": 4,
        "disused, closed or not yet open": 2,  # Burley Library; a proposed community hub
        "duplicate": 7,
        "private access": 4,
    }
    kept = reg[reg["include"]]
    assert kept["tier"].value_counts().to_dict() == {1: 44, 2: 141, 3: 1_763}
    support = reg[reg["tier"].isin([1, 2])]
    assert support["include"].all()
    words = r"universit|college|school|hospital|nhs|academy|sixth form|conservatoire"
    assert not support["name"].fillna("").str.contains(words, case=False).any()
    tags = leeds_assets["tags"]
    private = tags.map(lambda t: t.get("access") in ("private", "no", "customers"))
    assert private.sum() == 4 and not reg.loc[private[private].index, "include"].any()
    for name in ("St James's Hospital Library", "Brotherton Library", "Burley Library"):
        assert not reg.loc[reg["name"] == name, "include"].any(), name
    # the examples: a social club, an arts centre, a town hall are context only
    for sub in ("social_club", "arts_centre", "townhall", "public_bookcase"):
        assert (reg.loc[reg["subcategory"] == sub, "tier"] == 3).all(), sub
    assert (reg.loc[reg["name"].isna(), "tier"] == 3).all() and reg["name"].isna().sum() == 82
    central = reg.loc[reg["name"] == "Leeds Central Library"].iloc[0]
    assert central["tier"] == 1 and central["hours_per_week"] == 58.0
    assert central["open_evenings"] and central["open_weekends"]
    assert reg["last_checked"].notna().sum() == 38
    assert reg.attrs["hours"]["with opening_hours"] == 150


def _edit(path, edits):
    """Apply {id: {column: value}} to a register workbook; None as id appends a row."""
    book = load_workbook(path)
    sheet = book["register"]
    header = [c.value for c in sheet[1]]
    rows = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
    for rid, values in edits:
        if rid == "drop":
            sheet.delete_rows(rows[values])
            rows = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
            continue
        r = rows.get(rid, sheet.max_row + 1)
        for col, value in values.items():
            sheet.cell(row=r, column=header.index(col) + 1, value=value)
    book.save(path)


def test_leeds_round_trip_with_council_edits(leeds_assets, tmp_path):
    reg = build_register(leeds_assets)
    path = write_register(reg, tmp_path / "register.xlsx")
    # written: text cells are text, bold frozen header with filters
    sheet = load_workbook(path)["register"]
    assert sheet.freeze_panes == "B2" and sheet.auto_filter.ref
    assert sheet.cell(row=1, column=1).font.bold
    # the unchanged file changes nothing
    with pytest.warns(UserWarning, match="could not be read"):  # the real "9-5"
        same = build_register(leeds_assets, register=read_register(path))
    pd.testing.assert_frame_equal(
        pd.DataFrame(reg.drop(columns="geometry")),
        pd.DataFrame(same.drop(columns="geometry")),
        check_dtype=False,
    )
    headingley = reg.index[reg["name"] == "Headingley Library"][0]
    hall = reg.index[(reg["tier"] == 2)][0]
    hospital = reg.index[reg["name"] == "St James's Hospital Library"][0]
    cafe = reg.index[(reg["subcategory"] == "cafe") & reg["name"].notna()][0]
    _edit(
        path,
        [
            ("drop", headingley),
            (hall, {"tier": 1, "capacity": 12, "opening_hours": "Mo-Fr 10:00-20:00"}),
            (cafe, {"include": "no", "exclusion_reason": "closed in 2024"}),
            (hospital, {"include": "yes", "tier": 1}),
            (
                None,
                {"name": "Council Digital Hub", "category": "community_centre", "tier": 1,
                 "include": "yes", "capacity": 20, "lat": 53.7997, "lon": -1.5492,
                 "opening_hours": "Mo-Sa 09:00-17:00"},
            ),
        ],
    )  # fmt: skip
    _edit(
        path,
        [
            (
                "council/hub-east",
                {"id": "council/hub-east", "name": "East Leeds Hub", "category": "advice",
                 "tier": 1, "include": "yes", "easting": 436_000, "northing": 434_000},
            ),
        ],
    )  # fmt: skip
    with pytest.warns(UserWarning) as caught:
        edited = read_register(path)
        new = build_register(leeds_assets, register=edited)
    messages = " ".join(str(w.message) for w in caught)
    assert "not in the register" in messages and "could not be read" in messages
    assert len(new) == len(reg) + 2  # nothing dropped: the removed row is kept, excluded
    assert not new.loc[headingley, "include"]
    assert new.loc[headingley, "exclusion_reason"] == "not in the register"
    assert new.loc[hall, "tier"] == 1 and new.loc[hall, "capacity"] == 12.0
    assert new.loc[hall, "capacity_source"] == "register"
    assert new.loc[hall, "hours_per_week"] == 50.0 and new.loc[hall, "open_evenings"]
    assert "set in the register" in new.loc[hall, "tier_reason"]
    assert not new.loc[cafe, "include"] and new.loc[cafe, "exclusion_reason"] == "closed in 2024"
    assert new.loc[hospital, "include"] and new.loc[hospital, "tier"] == 1
    added = new[new["name"] == "Council Digital Hub"].iloc[0]
    assert added["tier"] == 1 and added["capacity"] == 20.0 and added["include"]
    assert added["hours_per_week"] == 48.0 and added["source"] == "register"
    assert added.name.startswith("council/row-")
    assert abs(added.geometry.x - 429_790) < 5 and abs(added.geometry.y - 433_805) < 5
    east = new.loc["council/hub-east"]
    assert east.geometry.x == 436_000 and east.geometry.y == 434_000 and east["tier"] == 1
    counts = exclusion_counts(new)
    assert counts["count"].sum() == len(new)
    assert dict(zip(counts["reason"], counts["count"], strict=True))["not in the register"] == 1


def test_added_row_placed_by_postcode(tmp_path):
    path = tmp_path / "reg.csv"
    path.write_text(
        "id,name,tier,include,category,postcode\n,Postcode Hub,1,yes,community_centre,ls1 3ab\n"
    )
    postcodes = pd.DataFrame({"easting": [429_950.0], "northing": [433_780.0]}, index=["LS1 3AB"])
    edited = read_register(path, postcodes=postcodes)
    assert edited.index.tolist() == ["council/row-2"]
    reg = build_register(_osm([CASES[0][:6]]), register=None)
    with pytest.warns(UserWarning, match="not in the register"):
        both = build_register(_osm([CASES[0][:6]]), register=edited)
    assert len(both) == len(reg) + 1
    hub = both.loc["council/row-2"]
    assert (hub.geometry.x, hub.geometry.y) == (429_950.0, 433_780.0) and hub["include"]
    with pytest.raises(InclusionGeoError, match="postcode only"):
        read_register(path)
    with pytest.raises(DataQualityError, match=r"postcode.*postcode table at row 2"):
        read_register(path, postcodes=postcodes.rename(index={"LS1 3AB": "LS2 9JT"}))


def test_hostile_text_round_trips_as_text(tmp_path):
    names = list(PRINTABLE.values())
    assets = _osm(
        [
            (f"osm/node/{i}", "library", "library", {"amenity": "library", "name": n}, i * 500, 0)
            for i, n in enumerate(names, start=1)
        ]
    )
    reg = build_register(assets)
    for suffix in ("xlsx", "csv"):
        path = write_register(reg, tmp_path / f"r.{suffix}")
        if suffix == "xlsx":
            sheet = load_workbook(path)["register"]
            cells = [sheet.cell(row=r, column=2) for r in range(2, sheet.max_row + 1)]
            assert all(c.data_type == "s" for c in cells)
            assert [c.value for c in cells] == [n.strip() for n in names]  # "\t=1+1" too
        back = read_register(path)
        assert back["name"].tolist() == [n.strip() for n in names]
    with pytest.raises(InclusionGeoError, match="already exists"):
        write_register(reg, tmp_path / "r.csv")
    write_register(reg, tmp_path / "r.csv", overwrite=True)
    with pytest.raises(InclusionGeoError, match=r"\.xlsx or \.csv"):
        write_register(reg, tmp_path / "r.json")
    # characters a workbook cannot hold are replaced, not a crash
    control = _osm([("osm/node/1", "library", "library", {"name": HOSTILE["control"]}, 0, 0)])
    write_register(build_register(control), tmp_path / "control.xlsx")


HEADER = "id,name,tier,include,category,capacity,opening_hours,lat,lon\n"


@pytest.mark.parametrize(
    ("body", "error", "match"),
    [
        ("a,A,4,yes,library,,,,\n", DataQualityError, r"column 'tier'.*row 2 \('4'\)"),
        ("a,A,high,yes,library,,,,\n", DataQualityError, r"column 'tier'.*row 2"),
        ("a,A,1,maybe,library,,,,\n", DataQualityError, r"column 'include'.*row 2"),
        ("a,A,1,yes,library,-2,,,\n", DataQualityError, r"negative capacity at row 2"),
        ("a,A,1,yes,library,lots,,,\n", DataQualityError, r"not a number at row 2"),
        ("a,A,1,yes,library,,,,\na,B,2,yes,library,,,,\n", DataQualityError, r"id.*rows? 2.*row 3"),
        (
            "a,A,1,yes,library,,,48.0,-1.5\n",
            DataQualityError,
            r"'lat'.*outside Great Britain.*row 2",
        ),
        ("a,A,1,yes,library,,,-1.5,53.8\n", DataQualityError, r"outside Great Britain"),
    ],
)
def test_bad_register_rows_are_named(tmp_path, body, error, match):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + body)
    with pytest.raises(error, match=match) as info:
        read_register(path)
    assert "bad.csv" in str(info.value)


def test_register_file_checks(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,name,include,category\na,A,yes,library\n")
    with pytest.raises(MissingColumnsError, match=r"r\.csv.*\['tier'\]"):
        read_register(path)
    path.write_text(
        "id,name,tier,include,category,lat,lon,easting,northing\n"
        "a,A,1,yes,library,53.80,-1.55,440000,433000\n"
    )
    with pytest.raises(DataQualityError, match="clear the other"):
        read_register(path)
    path.write_text(HEADER + "a,A,1,yes,library,,9-5,53.8,-1.55\n")
    with pytest.warns(UserWarning, match=r"1 opening_hours value.*rows \[2\]"):
        edited = read_register(path)
    reg = build_register(edited.iloc[:0].pipe(lambda f: _osm([CASES[0][:6]])), register=None)
    assert len(reg) == 1
    with pytest.warns(UserWarning, match="not in the register"):
        added = build_register(_osm([CASES[0][:6]]), register=edited)
    assert np.isnan(added.loc["a", "hours_per_week"])  # counted, hours unknown
    path.write_text("id,name,tier,include,category\nnew,A,1,yes,library\n")
    with pytest.raises(DataQualityError, match=r"row 2.*no location"):
        build_register(_osm([CASES[0][:6]]), register=read_register(path))


def test_cli_writes_a_register_and_refuses_to_overwrite(shared_data, tmp_path, capsys):
    layer = shared_data / "osm-west-yorkshire" / "leeds-amenities-library.geojson"
    config = tmp_path / "leeds.toml"
    config.write_text(f'[area]\ncode = "E08000035"\n[sources.assets]\nosm = "{layer}"\n')
    out = tmp_path / "register.xlsx"
    assert main(["assets", "--config", str(config), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    # 42 public libraries; 2 unnamed and a "Mini library" are context only
    assert "55 places read" in printed and "tier 1: 42" in printed and "tier 3: 3" in printed
    assert "excluded (academic, hospital, school or private library): 4" in printed
    before = out.read_bytes()
    assert main(["assets", "--config", str(config), "--out", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == before
    # the council's edits, named in the config, are applied when the assets are loaded
    _edit(out, [(reg_id, {"include": "no"}) for reg_id in ["osm/node/20694184"]])
    config.write_text(
        f'[area]\ncode = "E08000035"\n[sources.assets]\nosm = "{layer}"\nregister = "register.xlsx"\n'
    )
    from inclusion_geo.runner import load_register

    with pytest.warns(UserWarning, match="could not be read"):  # a library's "9-5"
        reg = load_register(config)
    assert not reg.loc["osm/node/20694184", "include"]
    assert reg.loc["osm/node/20694184", "exclusion_reason"] == "excluded in the register"
    assert main(["assets", "--config", str(config), "--out", str(out), "--force"]) == 0
    assert "tier 1: 41" in capsys.readouterr().out


def test_helps_with_defaults_and_council_edits(demo, tmp_path):
    """Each place says which focus areas it helps with; a council can change that in the
    register, and an unknown focus area is an error naming the row."""
    reg = build_register(demo.assets)
    library = reg[reg["category"].eq("library") & reg["include"]].index[0]
    assert reg.loc[library, "helps_with"].split("; ") == [
        "skills", "data_and_device_poverty", "barriers_to_services", "confidence"
    ]  # fmt: skip
    assert reg.loc[reg["tier"].eq(3), "helps_with"].eq("").all()
    path = write_register(reg, tmp_path / "register.csv")
    table = pd.read_csv(path)
    table.loc[table["id"] == library, "helps_with"] = "Confidence, skills"
    table.to_csv(path, index=False)
    with pytest.warns(UserWarning, match="opening_hours"):  # the demo's one odd string
        edited = build_register(demo.assets, register=read_register(path))
    assert edited.loc[library, "helps_with"] == "skills; confidence"
    table.loc[table["id"] == library, "helps_with"] = "broadband"
    table.to_csv(path, index=False)
    with pytest.raises(DataQualityError, match="helps_with.*row"):
        read_register(path)

"""Every hostile string, in every field an analyst's files can carry, end to end through the CLI.

The run uses real Leeds files (boundaries, wards, OSM layers, Census, IMD) with hostile text
written into copies of them: an OSM ``name`` and ``opening_hours`` tag, a council asset name
and category, area names from the boundary file, ward names and ``[area] name``. Whatever the
output (map, CSV, XLSX, Markdown, figures), nothing is evaluated, no file appears outside the
output folder, and the text reads as it was typed.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from inclusion_geo.cli import main

from .hostile import (
    FORMULA_EQ,
    HOSTILE,
    HTML_TAG,
    MARKDOWN_LINK,
    PRINTABLE,
    TEMPLATE_EXPR,
    assert_not_evaluated,
    fs_payload,
)
from .test_output_injection import _assert_no_markup_but_ours, _shown

pytestmark = pytest.mark.shared_data
REPO = Path(__file__).resolve().parents[1]
WARDS = ["E05001422", "E05001423", "E05001418"]  # three inner-east Leeds wards (2013)


@pytest.fixture(scope="module")
def hostile_run(shared_data, tmp_path_factory):
    """A CLI run over part of Leeds whose names are all hostile; returns (out, evil, names)."""
    root = tmp_path_factory.mktemp("hostile")
    evil = root / "created-by-a-template"
    names = [*HOSTILE.values(), fs_payload(evil)]
    printable = [*PRINTABLE.values(), fs_payload(evil)]
    boundaries = shared_data / "ons-boundaries-martinjc"
    wards = gpd.read_file(boundaries / "wards_by_lad" / "E08000035.json")
    wards = wards[wards["WD13CD"].isin(WARDS)].copy()
    wards["WD13NM"] = [f"{printable[i]} ward" for i in range(len(wards))]
    wards.to_file(root / "wards.geojson", driver="GeoJSON")
    lsoas = gpd.read_file(boundaries / "lsoa_by_lad" / "E08000035.json")
    inside = lsoas.representative_point().within(wards.geometry.union_all())
    lsoas = lsoas[inside.to_numpy()].copy()
    lsoas.iloc[: len(names), lsoas.columns.get_loc("LSOA11NM")] = names
    lsoas.to_file(root / "lsoas.geojson", driver="GeoJSON")

    osm = root / "osm"
    osm.mkdir()
    for layer in ("library", "community_centre"):
        data = json.loads(
            (shared_data / "osm-west-yorkshire" / f"leeds-amenities-{layer}.geojson").read_text()
        )
        for i, feature in enumerate(data["features"][: len(printable)]):
            text = printable[i]
            feature["properties"]["name"] = text
            hours = text.replace("\\", "").replace('"', "'")
            tags = feature["properties"].get("other_tags") or ""
            feature["properties"]["other_tags"] = f'"opening_hours"=>"{hours}"' + (
                "," + tags if tags else ""
            )
        (osm / f"leeds-amenities-{layer}.geojson").write_text(json.dumps(data))
    centre = wards.to_crs(4326).geometry.union_all().representative_point()
    council = pd.DataFrame(
        {
            "name": names,
            "category": ["library"] * (len(names) - 1) + [f"{TEMPLATE_EXPR} hub"],
            "lat": [centre.y + 0.001 * i for i in range(len(names))],
            "lon": [centre.x] * len(names),
        }
    )
    council.to_csv(root / "council.csv", index=False)

    text = (REPO / "examples" / "leeds.toml").read_text()
    text = text.replace("../../shared/data", str(shared_data))
    text = re.sub(r"\[sources\.area_lookup\][^\[]*", "", text)  # the study area is the file
    text = re.sub(
        r'(\[sources\.boundaries\][^\n]*\n)path = "[^"]*"', r'\1path = "lsoas.geojson"', text
    )
    text = re.sub(r'(\[sources\.wards\][^\n]*\n)path = "[^"]*"', r'\1path = "wards.geojson"', text)
    text = re.sub(r'osm = "[^"]*"', 'osm = "osm"\ncouncil = "council.csv"', text)
    text = text.replace(
        'name = "Leeds"', f"name = {json.dumps(fs_payload(evil) + ' ' + TEMPLATE_EXPR)}"
    )
    (root / "run.toml").write_text(text)
    out = root / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        code = main(
            ["run", "--config", str(root / "run.toml"), "--out", str(out), "--permutations", "99"]
        )
    assert code == 0
    return out, evil, printable


def _texts(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in folder.rglob("*")
        if p.suffix in (".html", ".csv", ".md")
    }


def test_nothing_was_evaluated_and_nothing_was_created(hostile_run):
    out, evil, _ = hostile_run
    assert not evil.exists()
    assert [p.name for p in evil.parent.iterdir() if p.name.startswith("created")] == []
    texts = _texts(out)
    assert "map.html" in texts and "summary.md" in texts
    for text in texts.values():
        assert_not_evaluated(text)


def test_the_map_shows_every_name_as_typed(hostile_run):
    import html

    out, evil, printable = hostile_run
    raw = (out / "map.html").read_text(encoding="utf-8")
    decoded = re.sub(
        r'\\(u[0-9a-fA-F]{4}|["\\/bfnrt])', lambda m: json.loads(f'"{m.group(0)}"'), raw
    )
    shown = html.unescape(decoded)
    assert str(evil) in shown
    assert f"{TEMPLATE_EXPR} hub" in shown  # the council's category, as a layer name
    assert HTML_TAG not in raw and "<img" not in decoded.replace("&lt;img", "")
    for text in printable:
        assert text in shown, text


def test_tables_hold_text_not_formulas(hostile_run):
    from openpyxl import load_workbook

    out, _, _ = hostile_run
    book = load_workbook(out / "priority_areas.xlsx")
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert formulas == []
    assert any(c.value == FORMULA_EQ or str(c.value).startswith(FORMULA_EQ) for c in cells)


def test_markdown_holds_no_markup_or_links(hostile_run):
    out, _, printable = hostile_run
    shown = ""
    for name, text in _texts(out).items():
        if not name.endswith(".md"):
            continue
        assert "<img" not in text and "<script" not in text, name
        _assert_no_markup_but_ours(text, name)  # parsed: no HTML, maths or foreign links
        shown += _shown(text)
    assert MARKDOWN_LINK in shown  # the link's text reads as typed, and is no link

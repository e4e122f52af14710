import re

import geopandas as gpd
import pytest
from shapely.geometry import Point

from inclusion_geo import mapping
from inclusion_geo._errors import InclusionGeoError

EVIL_ASSET = "<img src=x onerror=alert(1)>"
EVIL_AREA = "</script><script>alert(2)</script>"


def hostile_result(demo_result):
    """The demo result with an HTML-injecting asset and area name."""
    from dataclasses import replace

    areas = demo_result.areas.copy()
    areas.iloc[0, areas.columns.get_loc("name")] = EVIL_AREA
    assets = demo_result.assets.copy()
    assets.iloc[0, assets.columns.get_loc("name")] = EVIL_ASSET
    return replace(demo_result, areas=areas, assets=assets)


def test_data_strings_are_escaped_everywhere(demo_result, tmp_path):
    result = hostile_result(demo_result)
    path = mapping.save_map(result.map(), tmp_path / "m.html")
    raw = path.read_text()
    assert EVIL_ASSET not in raw and EVIL_AREA not in raw
    # what the browser's JavaScript sees once JSON string escapes are decoded
    html = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), raw)
    assert EVIL_ASSET not in html and EVIL_AREA not in html
    assert "alert(2)" in html  # the text is there, escaped
    assert html.count("<script>alert") == 0
    # the demo's own hostile name is escaped too
    assert "Tom &amp; Jerry&#x27;s &quot;Byte &lt;Size&gt;&quot; Caf" in html


def test_page_needs_no_network(demo_result, tmp_path):
    html = mapping.save_map(demo_result.map(), tmp_path / "m.html").read_text()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []


def test_layers_title_and_legends(demo_result):
    html = demo_result.map().get_root().render()
    for layer in ["Risk index", "Hotspots (Getis-Ord Gi*)", "Clusters (local Moran", "Priority areas",
                  "Wards", "Assets: library", "Catchments: "]:  # fmt: skip
        assert layer in html
    assert "synthetic demo data" in html
    assert html.count("class='ig-legend'") >= 8


def test_composable_layers_and_bad_options(demo_result):
    m = mapping.new_map(demo_result.areas)
    assert mapping.add_choropleth(m, demo_result.areas, "risk_index", scheme="natural_breaks") is m
    assert mapping.add_assets(m, demo_result.assets) is m
    with pytest.raises(InclusionGeoError, match="scheme"):
        mapping.add_choropleth(m, demo_result.areas, "risk_index", scheme="jenks-ish")
    with pytest.raises(InclusionGeoError, match="tiles"):
        mapping.new_map(demo_result.areas, tiles="Google")


def test_web_geometry_is_lon_lat_and_rounded(demo):
    web = mapping.to_web_geometry(demo.areas, simplify_m=5)
    assert web.crs.to_epsg() == 4326
    x, y = web.geometry.iloc[0].exterior.coords[0]
    assert round(x, 5) == x and -3 < x < 2 and 50 < y < 56
    assert web.index.equals(demo.areas.index)


def test_assets_without_optional_attributes(demo):
    bare = gpd.GeoDataFrame(
        {"name": ["A & B"], "category": ["library"]}, geometry=[Point(445000, 292000)], crs=27700
    )
    m = mapping.add_assets(mapping.new_map(demo.areas), bare)
    assert "A \\u0026amp; B" in m.get_root().render()  # escaped, then JSON-encoded


def test_markdown_cells_are_escaped():
    from inclusion_geo.report import _md

    assert _md("<b>a|b</b>\nc") == "&lt;b&gt;a\\|b&lt;/b&gt; c"


def test_maps_split_by_group_and_big_maps_warn(demo_result, tmp_path, monkeypatch):
    import inclusion_geo.report as report

    index = report.write_maps_by(demo_result, tmp_path / "maps", by="ward_code", names="ward_name")
    pages = sorted((tmp_path / "maps").glob("X05*.html"))
    assert len(pages) == 20 and "Greystone" in index.read_text()
    monkeypatch.setattr(report, "MAX_AREAS_PER_PAGE", 100)
    with pytest.warns(UserWarning, match="write_maps_by"):
        report.build_map(demo_result)
    with pytest.raises(InclusionGeoError, match="lad_code"):
        report.write_maps_by(demo_result, tmp_path / "x")

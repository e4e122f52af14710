import html as html_module
import re
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from inclusion_geo import mapping
from inclusion_geo._errors import InclusionGeoError

from .hostile import HOSTILE, PRINTABLE, TEMPLATE_EXPR, assert_not_evaluated, fs_payload

EVIL_ASSET = "<img src=x onerror=alert(1)>"
EVIL_AREA = "</script><script>alert(2)</script>"
TOKEN = "ZQXTOKEN"  # marks every hostile name, to find it in compiled templates


def hostile_result(demo_result, evil_dir: Path | None = None):
    """The demo result with every hostile string (and, given ``evil_dir``, a template that
    would create that folder if evaluated) as area, ward, asset, opening-hours, category and
    place names."""
    from dataclasses import replace

    names = [*HOSTILE.values()] + ([fs_payload(evil_dir)] if evil_dir else [])
    areas = demo_result.areas.copy()
    assets = demo_result.assets.copy()
    for i, text in enumerate(names):
        areas.iloc[i, areas.columns.get_loc("name")] = f"{text} {TOKEN}"
        areas.iloc[-1 - i, areas.columns.get_loc("ward_name")] = f"{text} {TOKEN}"
        assets.iloc[i, assets.columns.get_loc("name")] = f"{text} {TOKEN}"
        assets.iloc[-1 - i, assets.columns.get_loc("opening_hours")] = f"{text} {TOKEN}"
    areas.iloc[0, areas.columns.get_loc("name")] = EVIL_AREA
    assets.iloc[0, assets.columns.get_loc("name")] = EVIL_ASSET
    # a category label: the asset layers' names and legends
    category = assets.columns.get_loc("category")
    assets.iloc[1, category] = f"{TEMPLATE_EXPR} {TOKEN}"
    ward_boundaries = demo_result.ward_boundaries.copy()
    ward_boundaries.iloc[0, ward_boundaries.columns.get_loc("name")] = f"{TEMPLATE_EXPR} {TOKEN}"
    place = f"{fs_payload(evil_dir) if evil_dir else TEMPLATE_EXPR} {TOKEN}"
    return replace(
        demo_result, areas=areas, assets=assets, ward_boundaries=ward_boundaries, place=place
    )


def _as_displayed(raw: str) -> str:
    """The page as its text reads once JSON string escapes and HTML entities are decoded."""
    import json

    decoded = re.sub(
        r'\\(u[0-9a-fA-F]{4}|["\\/bfnrt])', lambda m: json.loads(f'"{m.group(0)}"'), raw
    )
    return html_module.unescape(decoded)


@pytest.fixture
def template_log(monkeypatch):
    """Every template source Jinja2 compiles while the test runs."""
    import jinja2

    sources: list[str] = []
    compile_ = jinja2.Environment.from_string

    def spy(self, source, *args, **kwargs):
        sources.append(str(source))
        return compile_(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "from_string", spy)
    return sources


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


def test_no_name_is_ever_compiled_as_a_template(demo_result, tmp_path, template_log):
    """The class of bug, not the instance: whatever path a name takes into the page (tooltip,
    popup, layer name, legend, title, search index), no template compiled while the map is
    built and saved contains it, so nothing in it can be evaluated; and it reads literally."""
    evil = tmp_path / "created-by-template"
    result = hostile_result(demo_result, evil)
    template_log.clear()
    m = result.map()
    raw = mapping.save_map(m, tmp_path / "m.html").read_text()
    notebook = m._repr_html_()  # the notebook path renders the page too
    assert template_log, "the spy saw no template: the test would prove nothing"
    assert [s for s in template_log if TOKEN in s] == []
    assert not evil.exists()
    for page in (raw, notebook):
        assert_not_evaluated(page)
        assert TOKEN in page
    shown = _as_displayed(raw)
    for key, text in PRINTABLE.items():
        if key not in ("html_tag", "html_script"):  # replaced by the EVIL_* names above
            assert text in shown, key
    assert str(evil) in shown  # the payload itself, as text


def test_a_layer_added_without_escaping_is_still_not_evaluated(demo_result, tmp_path):
    """A future layer that forgets to escape its text must still not run it: the page never
    compiles rendered text a second time."""
    import folium

    evil = tmp_path / "created-by-template"
    m = demo_result.map()
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {"label": fs_payload(evil) + TEMPLATE_EXPR},
            "geometry": {"type": "Point", "coordinates": [-1.5, 53.8]},
        }]},
        tooltip=folium.GeoJsonTooltip(fields=["label"]),
        name=TEMPLATE_EXPR,
    )  # fmt: skip
    layer.add_to(m)
    folium.Marker([53.8, -1.5], tooltip=TEMPLATE_EXPR, popup=TEMPLATE_EXPR).add_to(m)
    raw = mapping.save_map(m, tmp_path / "m.html").read_text()
    assert not evil.exists()
    assert_not_evaluated(raw)


def test_escaped_text_holds_no_template_syntax():
    for text in HOSTILE.values():
        escaped = mapping._e(text)
        assert not {"{", "}", "<", ">"} & set(escaped)
        assert html_module.unescape(escaped) == text


def test_page_needs_no_network(demo_result, tmp_path):
    html = mapping.save_map(demo_result.map(), tmp_path / "m.html").read_text()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []


def test_layers_title_and_legends(demo_result):
    html = demo_result.map().get_root().render()
    for layer in ["Risk index", "Hotspots (Getis-Ord Gi*)", "Clusters (local Moran", "Priority areas",
                  "Wards", "Digital support: library", "Venue that could host: community centre",
                  "Context: ", "Catchments: digital support", "Priority areas: what to do"]:  # fmt: skip
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


def test_asset_layers_follow_the_register_tiers(demo_result):
    import folium

    m = demo_result.map()
    layers = {e.layer_name: e.show for e in mapping._walk(m) if isinstance(e, folium.FeatureGroup)}
    tiers = {"Digital support:": True, "Venue that could host:": True, "Context:": False}
    for prefix, shown in tiers.items():
        named = [name for name in layers if name.startswith(prefix)]
        assert named and all(layers[name] is shown for name in named), prefix
    html = m.get_root().render()
    assert "h a week" in html and "at once" in html  # popups carry hours and capacity
    # the places the register left out are not on the map
    reg = demo_result.register
    left_out = reg.loc[
        ~reg["include"] & ~reg["exclusion_reason"].str.startswith("duplicate"), "display_name"
    ]
    assert len(left_out) and not any(mapping._e(name) in html for name in left_out)

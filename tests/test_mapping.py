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
    # a source's name and text (the credits and the sources panel), and an indicator the
    # index was scored without (the caveat box)
    sources = {**demo_result.sources, f"{TEMPLATE_EXPR} {TOKEN}": f"{EVIL_ASSET} {TOKEN}"}
    settings = replace(demo_result.settings, dropped_indicators=(f"{TEMPLATE_EXPR} {TOKEN}",))
    return replace(
        demo_result, areas=areas, assets=assets, ward_boundaries=ward_boundaries, place=place,
        sources=sources, settings=settings,
    )  # fmt: skip


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


def _external_resources(page: str) -> list[str]:
    """Scripts, styles, images and frames the page would load from the network (in markup or
    in the strings its scripts insert), in any quoting; links a reader may follow are not."""
    text = _as_displayed(page)
    tags = re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*>", text, flags=re.IGNORECASE)
    found = [t for t in tags if re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", t)]
    found += re.findall(r"""url\(\s*["']?(?:https?:)?//[^)]*\)""", text)
    found += re.findall(r"""@import\s+["']?(?:url\()?\s*["']?(?:https?:)?//""", text)
    return found


@pytest.mark.parametrize("tiles", ["none", "OpenStreetMap"])
def test_page_needs_no_network(demo_result, tmp_path, tiles):
    html = mapping.save_map(demo_result.map(tiles=tiles), tmp_path / "m.html").read_text()
    assert _external_resources(html) == []
    # the check finds what it is for
    assert _external_resources("<script src='https://cdn.example/x.js'></script>")
    assert _external_resources('<link rel="stylesheet" href="//cdn.example/x.css">')


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
    import inclusion_geo.pages as pages
    import inclusion_geo.report as report

    index = pages.write_maps_by(demo_result, tmp_path / "maps", by="ward_code", names="ward_name")
    written = sorted((tmp_path / "maps").glob("X05*.html"))
    assert len(written) == 20 and "Greystone" in index.read_text()
    monkeypatch.setattr(report, "MAX_AREAS_PER_PAGE", 100)
    with pytest.warns(UserWarning, match="write_maps_by"):
        report.build_map(demo_result)
    with pytest.raises(InclusionGeoError, match="lad_code"):
        pages.write_maps_by(demo_result, tmp_path / "x")


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


def partial_result(demo_result, sources=None):
    """The demo scored as if broadband (the whole connectivity domain) and living alone 66+
    had no source, with real-looking sources."""
    from dataclasses import replace

    dropped = ["median_download_mbit", "pct_premises_below_30mbit", "pct_one_person_66_plus"]
    return replace(
        demo_result,
        recipe=demo_result.recipe.without(dropped),
        settings=replace(demo_result.settings, dropped_indicators=tuple(dropped)),
        sources=sources
        or {
            "boundaries": "LSOA_2021_EW_BGC.gpkg",
            "census": "Census 2021 (ONS, Nomis): ts001.csv",
            "assets": "OpenStreetMap contributors (ODbL)",
        },
    )


def test_page_title_is_the_results_title_escaped(demo_result):
    page = demo_result.map().get_root().render()
    assert re.findall(r"<title>(.*?)</title>", page) == [mapping._e(demo_result.title)]
    evil = hostile_result(demo_result)
    (title,) = re.findall(r"<title>(.*?)</title>", evil.map().get_root().render(), re.S)
    assert "<" not in title and "{" not in title
    assert html_module.unescape(title) == evil.title


def test_caveat_box_names_what_the_index_left_out(demo_result):
    page = _as_displayed(partial_result(demo_result).map().get_root().render())
    assert (
        "Scored without Median download speed and No superfast broadband (no Ofcom Connected "
        "Nations data): connectivity is not in this index." in page
    )
    assert (
        "Scored without Living alone, 66+ (no Census 2021 TS003 data): demography rests on its "
        "other indicators." in page
    )
    assert "partial: 8 of 11 indicators" in page
    assert "class='ig-caveat'" not in demo_result.map().get_root().render()  # nothing left out


def test_credits_for_every_source(demo_result):
    from inclusion_geo._map_page import OS_CREDIT, OSM_CREDIT, credits_for

    result = partial_result(demo_result)
    page = _as_displayed(result.map().get_root().render())
    assert "Contains OS data © Crown copyright and database right" in page
    assert "© OpenStreetMap contributors" in page and "openstreetmap.org/copyright" in page
    listing = re.sub(r"<[^>]+>", "", page[page.index("<div id='ig-sources' hidden>") :])
    for key, text in result.sources.items():  # each source in full, in the sources panel
        assert f"{key}: {text}" in listing
    assert "Sources (3)" in page
    # what each kind of source calls for
    assert credits_for({"boundaries": "x.gpkg"})[0] == OS_CREDIT
    assert credits_for({"assets": "OpenStreetMap contributors (ODbL), via Overpass"}) == [
        OSM_CREDIT
    ]
    assert OS_CREDIT not in credits_for({"census": "Census 2021 (ONS, Nomis)"})
    assert credits_for(demo_result.sources) == []  # synthetic data needs no licence credit
    assert "Sources (1)" in demo_result.map().get_root().render()


def test_osm_basemap_is_optional_named_and_credited(demo_result):
    plain = demo_result.map().get_root().render()
    assert "tile.openstreetmap.org" not in plain  # no basemap by default
    page = _as_displayed(demo_result.map(tiles="OpenStreetMap").get_root().render())
    assert "tile.openstreetmap.org" in page
    assert "Basemap: OpenStreetMap (online only)" in page
    assert "OpenStreetMap basemap not loaded (offline?)" in page  # said when tiles fail


def test_areas_are_drawn_below_the_markers(demo_result):
    """Area layers live in panes under the overlay pane where the asset markers are drawn, so
    switching one off and on cannot put it over them (checked in a browser in test_browser)."""
    m = demo_result.map()
    page = m.get_root().render()
    assert re.search(r"createPane\(\"igAreas\"\)\.style\.zIndex = 3\d\d", page)
    layers = [e for e in mapping._walk(m) if isinstance(e, mapping._AreaLayer)]
    assert layers and all(e.pane in ("igAreas", "igLines") for e in layers)
    assert {e.pane for e in layers if e.fill_key} == {"igAreas"}


def test_tooltip_is_compact_and_the_panel_has_the_details(demo_result):
    m = demo_result.map()
    layer = next(e for e in mapping._walk(m) if isinstance(e, mapping._AreaLayer) and e.interactive)
    tooltip = [k for k, _ in layer.fields]
    assert tooltip == ["name", "ward_name", "risk_index", "risk_decile", "priority_label",
                       "action_label"]  # fmt: skip
    panel = [k for k, _ in layer.panel]
    for key in ["top_barriers", "work_through", "nearest_support", "hotspot_class",
                "population", "residents_at_risk", "risk_rank", "__code__"]:  # fmt: skip
        assert key in panel, key
    page = m.get_root().render()
    assert "igShowArea(" in page and "id='ig-panel'" in page and "ig-panel-close" in page
    # the search shows the area found in the panel too
    assert re.search(
        r"moveToLocation: function\(latlng, title, map\) \{[\s\S]{0,300}?igShowArea", page
    )


def test_legends_read_well(demo_result):
    page = _as_displayed(demo_result.map().get_root().render())
    # asset layers grouped by tier, a row per category with its count
    for title in ["Digital support: help to get online", "Venues that could host help",
                  "Context: other places"]:  # fmt: skip
        assert f"<div class='ig-legend-title'>{title}</div>" in page
    assert re.search(r"data-layer='Digital support: library \(\d+\)'>.*?library \(\d+\)", page)
    # what to do in priority areas, each with its count of areas
    legend = page[page.index("Priority areas: what to do</div>") :]
    legend = legend[: legend.index("</div></div>")]
    assert "priority bands 1-2, by what to do" in legend
    assert re.search(r"gap: no help within reach \(\d+\)", legend)
    assert re.search(r"opportunity: work through nearby support \(\d+\)", legend)
    assert "0-10, higher = more at risk" in page


def test_importing_mapping_compiles_nothing():
    """mapclassify (which compiles a numba kernel at import when numba is installed) is
    imported only when a map is classified."""
    import subprocess
    import sys

    code = "import sys, inclusion_geo.mapping; print('mapclassify' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_panel_gives_adults_likely_offline_as_an_estimate(demo_result):
    html = demo_result.map().get_root().render()
    assert "Adults likely offline" in html and "a modelled estimate" in html


# --- building and saving stays cheap, and writes what it wrote row by row ------------------


def test_saving_a_map_compiles_no_template_per_layer(demo_result, tmp_path, template_log):
    """folium's GeoJsonTooltip and GeoJsonPopup compiled a template for every layer when the
    page was saved (21 for the demo map, 33 for Leeds'); the map's elements have fixed
    templates, compiled once at import."""
    m = demo_result.map()
    template_log.clear()
    mapping.save_map(m, tmp_path / "m.html")
    assert template_log == []


@pytest.mark.parametrize(
    "values",
    [
        ["a & b", "a & b", None, float("nan"), "{{ x }}", "", "<i>"],
        [1, True, 1.0, None, "1", ["a", "<b>"]],  # 1 and True must not share an escaped text
        [],
    ],
)
def test_escaping_a_column_is_escaping_each_value(values):
    import pandas as pd

    expected = [mapping._e(v) for v in values]
    assert mapping._e_all(pd.Series(values, dtype=object)) == expected
    assert mapping._e_all(values) == expected
    if all(isinstance(v, str) or v is None for v in values):
        assert mapping._e_all(pd.Series(values, dtype="str")) == expected


def test_feature_collection_is_script_safe_and_reads_back(demo):
    """GeoJSON written as text (one GEOS call for the geometry, no dicts) parses back to the
    same geometry and properties, and nothing in it can end the script element."""
    import json

    from shapely.geometry import shape

    from inclusion_geo._map_elements import feature_collection, geometry_texts

    texts = [*HOSTILE.values(), "</script><script>alert(1)</script>", "it's"]
    web = mapping.to_web_geometry(demo.areas.iloc[: len(texts)], simplify_m=5)
    page = feature_collection(
        geometry_texts(web.geometry), {"shown": mapping._e_all(texts), "raw": texts}
    )
    assert not set("<>&'") & set(page)
    features = json.loads(page)["features"]
    assert [f["properties"]["raw"] for f in features] == texts
    assert [f["properties"]["shown"] for f in features] == [mapping._e(t) for t in texts]
    for feature, geometry in zip(features, web.geometry, strict=True):
        assert shape(feature["geometry"]).equals_exact(geometry, 0)
    assert json.loads(feature_collection([], {}))["features"] == []


def test_the_pages_area_data_holds_each_areas_details(demo_result):
    import json

    from shapely.geometry import shape

    m = demo_result.map()
    (data,) = [e for e in mapping._walk(m) if isinstance(e, mapping._AreaData)]
    features = json.loads(data.text())["features"]
    areas = demo_result.areas
    props = [f["properties"] for f in features]
    assert [p["name"] for p in props] == [mapping._e(n) for n in areas["name"]]
    assert [p["__code__"] for p in props] == [mapping._e(c) for c in areas.index]
    assert [p["risk_index"] for p in props] == [f"{v:,.2f}" for v in areas["risk_index"]]
    assert [p["population"] for p in props] == [f"{v:,}" for v in areas["population"]]  # ints
    assert {p["search"] for p in props} >= {
        f"{mapping._e(n)} | {mapping._e(w)}"
        for n, w in zip(areas["name"], areas["ward_name"], strict=True)
    }
    web = mapping.to_web_geometry(areas, simplify_m=5)
    for feature, geometry in zip(features, web.geometry, strict=True):
        assert shape(feature["geometry"]).equals_exact(geometry, 0)


def _popup_row_by_row(row) -> str:
    """An asset's popup as the map made it before, one row at a time (the reference)."""
    e = mapping._e
    lines = [f"<b>{e(row.get('display_name', row.get('name')))}</b>"]
    for col, label in mapping._ASSET_FIELDS:
        value = row.get(col)
        if not mapping._missing(value):
            lines.append(f"{e(label)}: {e(value)}")
    return "<br>".join(lines)


def test_asset_popups_are_those_made_row_by_row(demo_result):
    import pandas as pd

    assets = mapping._asset_texts(demo_result.assets.head(60))
    for i, text in enumerate(HOSTILE.values()):
        assets.iloc[i, assets.columns.get_loc("display_name")] = text
        assets.iloc[-1 - i, assets.columns.get_loc("opening_hours")] = text
    assets.iloc[0, assets.columns.get_loc("operator")] = ""  # blank: left out
    assets.iloc[1, assets.columns.get_loc("operator")] = None  # missing: left out
    # an object column mixing text, blanks, missing values, numbers and flags
    mixed = ["", None, float("nan"), 0, False, "yes & <no>"] * 10
    assets["wheelchair"] = pd.Series(mixed, index=assets.index, dtype=object)
    names = mapping._e_all(assets["display_name"])
    popups = mapping._popups(assets, names)
    assert popups == [_popup_row_by_row(row) for _, row in assets.iterrows()]
    assert any("Wheelchair access: 0" in p for p in popups)
    assert any("Wheelchair access: False" in p for p in popups)

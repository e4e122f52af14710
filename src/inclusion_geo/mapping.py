"""Interactive maps (folium). The only module that imports folium or reprojects to EPSG:4326.

Every layer function takes an existing map and returns it, so maps compose. Every string that
comes from data (area, ward and asset names, categories, recipe text) is HTML-escaped before it
reaches a tooltip, popup, legend, layer name or title. The page works offline: Leaflet and its
plugins are bundled with the package and inlined, and the default basemap is none.

No text is ever parsed as a template. folium and branca render pages with Jinja2, and
``folium.Element(text)`` compiles ``text`` as a template, so a name holding ``{{ ... }}`` would
run as code when the map is saved. This module never does that: markup goes into the page
through :class:`_Raw`, whose template is fixed and receives the markup as a value, and
:func:`_e` also turns ``{`` and ``}`` into character references, so escaped data holds no
template syntax wherever it ends up. ``tests/test_mapping.py`` checks that no template compiled
while a map is built and saved contains data.
"""

from __future__ import annotations

import base64
import html
import json
import re
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template
from matplotlib import colormaps
from matplotlib.colors import to_hex

from ._errors import InclusionGeoError
from ._validate import require_columns, to_bng

__all__ = [
    "TILES",
    "SCHEMES",
    "new_map",
    "add_choropleth",
    "add_hotspots",
    "add_clusters",
    "add_priority_outline",
    "add_actions",
    "add_assets",
    "add_wards",
    "add_catchments",
    "add_search",
    "finish_map",
    "DEFAULT_AREA_TOOLTIP",
    "save_map",
    "to_web_geometry",
]

TILES = {
    "none": None,
    "OpenStreetMap": ("OpenStreetMap", None),
    "CartoDB positron": ("CartoDB positron", None),
}
SCHEMES = {
    "quantiles": lambda y, k: mapclassify.Quantiles(y, k=k),
    "natural_breaks": lambda y, k: _fisher_jenks(y, k),
    "equal_interval": lambda y, k: mapclassify.EqualInterval(y, k=k),
}
# Okabe & Ito (2008): distinguishable with the common forms of colour blindness
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
# beyond eight categories: Paul Tol's colour-blind-safe dark tones
OKABE_ITO_EXTENDED = OKABE_ITO + ["#332288", "#117733", "#999933", "#882255", "#88CCEE", "#AA4499"]
HOTSPOT_COLOURS = {  # ColorBrewer RdBu, colour-blind safe
    "Hot spot (99%)": "#b2182b",
    "Hot spot (95%)": "#ef8a62",
    "Hot spot (90%)": "#fddbc7",
    "Not significant": "#f7f7f7",
    "Cold spot (90%)": "#d1e5f0",
    "Cold spot (95%)": "#67a9cf",
    "Cold spot (99%)": "#2166ac",
}
CLUSTER_COLOURS = {
    "High-High": "#d7191c",
    "High-Low": "#fdae61",
    "Low-High": "#abd9e9",
    "Low-Low": "#2c7bb6",
    "Not significant": "#f7f7f7",
}

_LEGEND_KEY = "_inclusion_geo_legends"


def _fisher_jenks(y: np.ndarray, k: int):
    """Fisher-Jenks natural breaks; sampled above 2,000 values (exact is O(k n^2))."""
    import warnings

    with warnings.catch_warnings():
        # without numba mapclassify warns it is slow; at these sizes it is not
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        if y.size > 2000:
            return mapclassify.FisherJenksSampled(y, k=k, pct=min(1.0, 2000 / y.size))
        return mapclassify.FisherJenks(y, k=k)


_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


def _e(value: object) -> str:
    """HTML-escape any value for display (quotes included), with ``{`` and ``}`` as character
    references so that no template syntax survives in data."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True).translate(_BRACES)


class _Raw(Element):
    """Markup placed in the page as it is: never compiled or evaluated (unlike
    ``folium.Element(text)``, which compiles ``text`` as a template). Build the markup with
    :func:`_e` around every piece of data."""

    def __init__(self, markup: str):
        super().__init__()
        self._name = "IgRaw"
        self.markup = markup

    def render(self, **kwargs) -> str:
        return self.markup


class _Literal(Element):
    """Stands in for ``Element`` while a page is rendered: text given to it is kept as it is.

    branca's ``MacroElement.render`` and several folium ``render`` methods wrap the text they
    have just rendered (data included) in ``Element(text)``, which compiles it as a template
    again: that second pass is what would evaluate ``{{ ... }}`` in a name. During
    :meth:`_SafeFigure.render` those calls make a ``_Literal`` instead.
    """

    def __init__(self, template: str | None = None, template_name: str | None = None):
        super().__init__(template_name=template_name)
        self._literal = template

    def render(self, **kwargs) -> str:
        return super().render(**kwargs) if self._literal is None else self._literal


_RENDER_LOCK = threading.RLock()


@contextmanager
def _no_second_pass() -> Iterator[None]:
    """Within the block, ``Element(text)`` in branca and folium keeps ``text`` literal."""
    with _RENDER_LOCK:
        modules = [
            module
            for name, module in list(sys.modules.items())
            if name.split(".")[0] in ("branca", "folium")
            and getattr(module, "Element", None) is Element
        ]
        for module in modules:
            module.Element = _Literal
        try:
            yield
        finally:
            for module in modules:
                module.Element = Element


class _SafeFigure(Figure):
    """The page of every map made here: rendered without evaluating rendered text again
    (saving, ``_repr_html_`` in Jupyter and ``get_root().render()`` all come through here)."""

    def render(self, **kwargs) -> str:
        with _no_second_pass():
            return super().render(**kwargs)


def to_web_geometry(
    frame: gpd.GeoDataFrame, *, simplify_m: float = 0.0, precision: float = 1e-5
) -> gpd.GeoDataFrame:
    """A copy in EPSG:4326, simplified without opening gaps between neighbours, coordinates
    rounded to ``precision`` degrees (1e-5 is about a metre)."""
    out = to_bng(frame, what="layer").copy()
    geoms = out.geometry.to_numpy()
    if simplify_m > 0 and out.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        try:
            geoms = shapely.coverage_simplify(geoms, simplify_m)  # shared edges stay shared
        except Exception:  # not a valid coverage (overlaps): simplify each, keeping topology
            geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs)).to_crs("EPSG:4326")
    out = out.set_geometry(shapely.set_precision(out.geometry.to_numpy(), precision))
    return out


def new_map(
    areas: gpd.GeoDataFrame,
    *,
    tiles: str = "none",
    title: str | None = None,
    subtitle: str | None = None,
) -> folium.Map:
    """An empty map fitted to ``areas``, with a basemap (``none`` by default: works offline)."""
    if tiles not in TILES:
        raise InclusionGeoError(f"tiles={tiles!r} is not one of {list(TILES)}.")
    bounds = gpd.GeoSeries(areas.geometry).to_crs("EPSG:4326").total_bounds
    # a max zoom is needed for marker clustering when there is no tile layer to set one
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    _SafeFigure().add_child(m)  # the page renders data as data (see _SafeFigure)
    m.options["maxZoom"] = 19
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    if TILES[tiles] is not None:
        folium.TileLayer(TILES[tiles][0], name=f"Basemap: {tiles}", control=True).add_to(m)
    else:
        m.get_root().header.add_child(
            _Raw("<style>.leaflet-container{background:#f2f2ee;}</style>")
        )
    setattr(m, _LEGEND_KEY, [])
    if title:
        _add_title(m, title, subtitle)
    return m


def _add_title(m: folium.Map, title: str, subtitle: str | None) -> None:
    sub = f"<div class='ig-subtitle'>{_e(subtitle)}</div>" if subtitle else ""
    m.get_root().html.add_child(
        _Raw(
            "<div class='ig-title' style='position:fixed;top:10px;left:60px;z-index:1000;"
            "background:rgba(255,255,255,.92);padding:6px 10px;border-radius:4px;"
            "font:14px/1.3 sans-serif;max-width:60%;box-shadow:0 1px 4px rgba(0,0,0,.3)'>"
            f"<b>{_e(title)}</b>{sub}</div>"
        )
    )


def _legends(m: folium.Map) -> list:
    if not hasattr(m, _LEGEND_KEY):
        setattr(m, _LEGEND_KEY, [])
    return getattr(m, _LEGEND_KEY)


def _register_legend(m: folium.Map, layer_name: str, title: str, items: Sequence[tuple[str, str]]):
    _legends(m).append((layer_name, title, list(items)))


def _features(frame: gpd.GeoDataFrame, props: pd.DataFrame) -> dict:
    """GeoJSON with every property escaped for display (tooltips insert them as HTML)."""
    geo = json.loads(frame.geometry.to_json(drop_id=True))
    for feature, (_, row) in zip(geo["features"], props.iterrows(), strict=True):
        feature["properties"] = {k: _e(v) for k, v in row.items()}
    return geo


def _display(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.map({True: "yes", False: "no"})
    if pd.api.types.is_float_dtype(values):
        return values.map(
            lambda v: "" if pd.isna(v) else (f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}")
        )
    if pd.api.types.is_integer_dtype(values):
        return values.map(lambda v: "" if pd.isna(v) else f"{v:,}")
    return values


DEFAULT_AREA_TOOLTIP = {
    "name": "Area",
    "__code__": "Code",
    "ward_name": "Ward",
    "population": "Population",
    "risk_index": "Risk index (0-10)",
    "risk_rank": "Rank (1 = most at risk)",
    "risk_decile": "Decile (1 = most at risk)",
    "hotspot_class": "Hotspot",
    "priority_label": "Priority",
    "action_label": "What to do",
    "top_barriers": "Top barriers",
    "nearest_support": "Nearest support",
}

_TOOLTIP_JS = """
function igTooltip(p, fields) {
  var rows = fields.filter(function(f) { return p[f[0]] !== undefined && p[f[0]] !== ''; })
    .map(function(f) { return '<tr><th>' + f[1] + '</th><td>' + p[f[0]] + '</td></tr>'; });
  return '<table class="ig-tip">' + rows.join('') + '</table>';
}
"""


class _AreaData(MacroElement):
    """The areas' GeoJSON, written into the page once and shared by every area layer.

    Properties hold display text, already HTML-escaped; the ``tojson`` filter also escapes
    ``<``, ``>`` and ``&`` so nothing in the data can close the script element.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}var {{ this.get_name() }} = {{ this.data|tojson }};"
        "{% endmacro %}"
    )

    def __init__(self, data: dict, index: pd.Index):
        super().__init__()
        self._name = "IgAreas"
        self.data = data
        self.index = index

    def set_property(self, key: str, values: pd.Series) -> None:
        for feature, value in zip(self.data["features"], values.reindex(self.index), strict=True):
            feature["properties"][key] = _e(value)


class _AreaLayer(folium.map.Layer):
    """One view of the shared area data: its own fill colours, outline and tooltip."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJSON({{ this.source.get_name() }}, {
  {% if this.only %}filter: function(f) { return f.properties[{{ this.only|tojson }}] === 'yes'; },{% endif %}
  style: function(f) { return {
    fillColor: {% if this.fill_key %}f.properties[{{ this.fill_key|tojson }}]{% else %}'#000000'{% endif %},
    fill: {{ 'true' if this.fill_key else 'false' }}, fillOpacity: {{ this.fill_opacity }},
    color: {{ this.line|tojson }}, weight: {{ this.weight }}{% if this.dash %}, dashArray: {{ this.dash|tojson }}{% endif %} }; },
  {% if this.interactive %}onEachFeature: function(f, layer) {
    layer.bindTooltip(function() { return igTooltip(f.properties, {{ this.fields|tojson }}); }, {sticky: true});
    layer.on({mouseover: function(e) { e.target.setStyle({weight: 2.5, color: '#000000'}); },
              mouseout: function(e) { {{ this.get_name() }}.resetStyle(e.target); }});
  }{% else %}interactive: false{% endif %}
});
{% endmacro %}"""
    )

    def __init__(self, source: _AreaData, *, name, fill_key=None, fields=(), show=True, only=None,
                 line="#555555", weight=0.4, fill_opacity=0.75, dash=None, interactive=True):  # fmt: skip
        super().__init__(name=_e(name), overlay=True, control=True, show=show)
        self._name = "IgAreaLayer"
        self.source, self.fill_key, self.only = source, fill_key, only
        self.fields = [[k, _e(v)] for k, v in fields]
        self.line, self.weight, self.fill_opacity, self.dash = line, weight, fill_opacity, dash
        self.interactive = interactive


_SHARED_KEY = "_inclusion_geo_area_data"


def _area_data(m: folium.Map, areas: gpd.GeoDataFrame, *, simplify_m: float, tooltip) -> _AreaData:
    """The shared data element for these areas on this map (created on first use)."""
    shared = getattr(m, _SHARED_KEY, None)
    if shared is None:
        shared = {}
        setattr(m, _SHARED_KEY, shared)
        m.get_root().script.add_child(_Raw(_TOOLTIP_JS))
        m.get_root().header.add_child(
            _Raw(
                "<style>.ig-tip th{text-align:left;padding-right:8px;vertical-align:top}"
                ".ig-tip td{max-width:360px;white-space:normal}</style>"
            )
        )
    key = (tuple(areas.index), round(simplify_m, 3))
    if key not in shared:
        web = to_web_geometry(areas, simplify_m=simplify_m)
        fields = tooltip or DEFAULT_AREA_TOOLTIP
        cols = {}
        for col in fields:
            if col == "__code__":
                cols[col] = areas.index.astype(str)
            elif col in areas.columns:
                cols[col] = _display(areas[col]).to_numpy()
        data = _AreaData(_features(web, pd.DataFrame(cols, index=areas.index)), areas.index)
        m.add_child(data)
        shared[key] = data
    return shared[key]


def _fields(data: _AreaData, tooltip) -> list[tuple[str, str]]:
    present = set(data.data["features"][0]["properties"]) if data.data["features"] else set()
    return [(k, v) for k, v in (tooltip or DEFAULT_AREA_TOOLTIP).items() if k in present]


def add_choropleth(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    column: str,
    *,
    name: str | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    palette: str = "YlOrRd",
    tooltip: Mapping[str, str] | None = None,
    show: bool = True,
    simplify_m: float = 5.0,
) -> folium.Map:
    """A choropleth of ``column`` classified by ``scheme`` (quantiles, natural_breaks,
    equal_interval; mapclassify) in a colour-blind-safe sequential ColorBrewer palette.

    Area geometry is written into the page once per map, however many area layers use it.
    """
    require_columns(areas, [column], what="areas")
    if scheme not in SCHEMES:
        raise InclusionGeoError(f"scheme={scheme!r} is not one of {list(SCHEMES)}.")
    values = areas[column].astype(float)
    k = max(2, min(k, int(values.nunique())))
    classifier = SCHEMES[scheme](values.to_numpy(), k)
    cmap = colormaps[palette].resampled(len(classifier.bins))
    palette_hex = [to_hex(cmap(i)) for i in range(len(classifier.bins))]
    name = name or column
    data = _area_data(m, areas, simplify_m=simplify_m, tooltip=tooltip)
    fill_key = f"__fill_{column}"
    data.set_property(
        fill_key, pd.Series([palette_hex[c] for c in classifier.yb], index=areas.index)
    )
    _AreaLayer(data, name=name, fill_key=fill_key, fields=_fields(data, tooltip), show=show).add_to(
        m
    )
    lower = [values.min(), *classifier.bins[:-1]]
    items = [
        (c, f"{lo:,.2f} to {hi:,.2f}")
        for c, lo, hi in zip(palette_hex, lower, classifier.bins, strict=True)
    ]
    _register_legend(m, name, f"{name} ({scheme.replace('_', ' ')})", items)
    return m


def _add_categorical(
    m, areas, column, colours, *, name, tooltip, show, simplify_m, where=None, labels=None
):
    """Areas filled by category; ``where`` (a boolean Series) limits the layer to some areas,
    ``labels`` gives the legend's words for each category."""
    require_columns(areas, [column], what="areas")
    data = _area_data(m, areas, simplify_m=simplify_m, tooltip=tooltip)
    fill_key = f"__fill_{column}"
    data.set_property(fill_key, areas[column].map(colours).fillna("#cccccc"))
    only = None
    if where is not None:
        only = f"__in_{column}_{name}"
        data.set_property(only, where.map({True: "yes", False: "no"}))
    _AreaLayer(
        data, name=name, fill_key=fill_key, fields=_fields(data, tooltip), show=show, only=only
    ).add_to(m)
    present = set(areas[column] if where is None else areas.loc[where, column])
    _register_legend(
        m,
        name,
        name,
        [(c, (labels or {}).get(key, key)) for key, c in colours.items() if key in present],
    )
    return m


# what to do in each priority area (colour-blind-safe Okabe-Ito tones)
ACTION_COLOURS = {
    "gap": "#D55E00",
    "stretched": "#E69F00",
    "opportunity": "#0072B2",
    "opportunity_venue": "#56B4E9",
    "unknown": "#999999",
}
ACTION_LEGEND = {
    "gap": "gap: no help within reach",
    "stretched": "stretched: help in reach, little capacity",
    "opportunity": "opportunity: work through nearby support",
    "opportunity_venue": "opportunity: a nearby venue could host",
    "unknown": "access not measured",
}


def add_actions(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    *,
    column: str = "action",
    band_column: str = "priority_band",
    max_band: int = 2,
    name: str = "Priority areas: what to do",
    tooltip: Mapping[str, str] | None = None,
    show: bool = True,
    simplify_m: float = 5.0,
) -> folium.Map:
    """Priority areas (band <= ``max_band``) coloured by their action: *gap* (no help within
    reach), *stretched*, *opportunity* (work through a nearby place) or not measured."""
    require_columns(areas, [column, band_column], what="areas")
    return _add_categorical(
        m, areas, column, ACTION_COLOURS, name=name, tooltip=tooltip, show=show,
        simplify_m=simplify_m, where=areas[band_column] <= max_band, labels=ACTION_LEGEND,
    )  # fmt: skip


def add_hotspots(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    *,
    column: str = "hotspot_class",
    name: str = "Hotspots (Getis-Ord Gi*)",
    tooltip: Mapping[str, str] | None = None,
    show: bool = False,
    simplify_m: float = 5.0,
) -> folium.Map:
    """Gi* hot and cold spots, 99/95/90 % confidence (ColorBrewer RdBu)."""
    return _add_categorical(
        m,
        areas,
        column,
        HOTSPOT_COLOURS,
        name=name,
        tooltip=tooltip,
        show=show,
        simplify_m=simplify_m,
    )


def add_clusters(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    *,
    column: str = "cluster_class",
    name: str = "Clusters (local Moran's I)",
    tooltip: Mapping[str, str] | None = None,
    show: bool = False,
    simplify_m: float = 5.0,
) -> folium.Map:
    """Local Moran's I cluster classes (High-High, Low-Low, High-Low, Low-High)."""
    return _add_categorical(
        m,
        areas,
        column,
        CLUSTER_COLOURS,
        name=name,
        tooltip=tooltip,
        show=show,
        simplify_m=simplify_m,
    )


def add_priority_outline(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    *,
    column: str = "priority_band",
    max_band: int = 2,
    name: str = "Priority areas (bands 1-2)",
    show: bool = True,
    simplify_m: float = 5.0,
) -> folium.Map:
    """Thick outlines around priority areas (band <= ``max_band``)."""
    require_columns(areas, [column], what="areas")
    data = _area_data(m, areas, simplify_m=simplify_m, tooltip=None)
    key = f"__is_{column}_{max_band}"
    data.set_property(key, (areas[column] <= max_band).map({True: "yes", False: "no"}))
    _AreaLayer(
        data, name=name, only=key, show=show, line="#000000", weight=2.5, interactive=False
    ).add_to(m)
    _register_legend(m, name, name, [("outline:#000000", f"priority band 1-{max_band}")])
    return m


def add_wards(
    m: folium.Map,
    wards: gpd.GeoDataFrame,
    *,
    name_column: str = "name",
    name: str = "Wards",
    show: bool = True,
) -> folium.Map:
    """Ward boundaries with their names on hover."""
    web = to_web_geometry(wards, simplify_m=5.0)
    props = pd.DataFrame({"ward": web[name_column] if name_column in web.columns else web.index})
    group = folium.FeatureGroup(name=_e(name), show=show)
    folium.GeoJson(
        _features(web, props),
        style_function=lambda f: {
            "fill": False,
            "color": "#333333",
            "weight": 1.6,
            "dashArray": "4 3",
        },
        tooltip=folium.GeoJsonTooltip(fields=["ward"], aliases=["Ward"]),
    ).add_to(group)
    group.add_to(m)
    _register_legend(m, name, name, [("outline-dash:#333333", "ward boundary")])
    return m


_ASSET_FIELDS = [
    ("tier_reason", "Why listed"),
    ("category", "Category"),
    ("subcategory", "Type"),
    ("hours_text", "Open"),
    ("capacity_text", "Capacity"),
    ("source", "Source"),
    ("opening_hours", "Opening hours"),
    ("internet_access", "Internet access"),
    ("wheelchair", "Wheelchair access"),
    ("operator", "Operator"),
]


def _missing(value: object) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value))) or value == ""


def _popup_html(row: pd.Series) -> str:
    lines = [f"<b>{_e(row.get('display_name', row.get('name')))}</b>"]
    for col, label in _ASSET_FIELDS:
        value = row.get(col)
        if not _missing(value):
            lines.append(f"{_e(label)}: {_e(value)}")
    return "<br>".join(lines)


TIER_NAMES = {1: "Digital support", 2: "Venue that could host", 3: "Context"}


def _asset_texts(assets: pd.DataFrame) -> pd.DataFrame:
    """Opening hours and capacity in words, for popups."""
    out = assets.copy()
    if "hours_per_week" in out:
        hours = pd.to_numeric(out["hours_per_week"], errors="coerce")
        flags = [
            "; ".join(
                word
                for word, on in (("evenings", ev), ("weekends", we))
                if not _missing(on) and bool(on)
            )
            for ev, we in zip(
                out.get("open_evenings", pd.Series(pd.NA, index=out.index)),
                out.get("open_weekends", pd.Series(pd.NA, index=out.index)),
                strict=True,
            )
        ]
        raw = out.get("opening_hours", pd.Series(pd.NA, index=out.index))
        out["hours_text"] = [
            (f"{r} " if not _missing(r) else "")
            + (
                f"({h:.3g} h a week{'; ' + f if f else ''})"
                if np.isfinite(h)
                else "(hours unknown)"
            )
            for r, h, f in zip(raw, hours, flags, strict=True)
        ]
    elif "opening_hours" in out:
        out["hours_text"] = out["opening_hours"]
    if "capacity" in out:
        cap = pd.to_numeric(out["capacity"], errors="coerce")
        source = out.get("capacity_source", pd.Series("", index=out.index)).fillna("")
        out["capacity_text"] = [
            "" if not np.isfinite(c) else f"{c:g} at once" + (f" ({s})" if s else "")
            for c, s in zip(cap, source, strict=True)
        ]
    return out


def add_assets(
    m: folium.Map,
    assets: gpd.GeoDataFrame,
    *,
    categories: Sequence[str] | None = None,
    cluster: bool | None = None,
    show: bool | Sequence[str] = True,
    show_tiers: Sequence[int] = (1, 2),
) -> folium.Map:
    """Community assets as circle markers, one toggleable layer per category (Okabe-Ito colours),
    clustered when a category has more than 100 points (or as ``cluster`` says). ``show`` is
    True/False for every layer, or the categories to switch on at first.

    With a ``tier`` column (an asset register, :func:`inclusion_geo.register.build_register`),
    there is one layer per tier and category, named for the tier (digital support, venue that
    could host, context), and only ``show_tiers`` are on at first.

    Each layer is one GeoJSON layer (not one script per marker), so thousands of assets stay
    light. Popups show the name, why the place is listed, category, type, opening hours (with
    weekly hours, evenings and weekends), capacity, source, internet and wheelchair access and
    operator where known; every value is escaped.
    """
    require_columns(assets, ["name", "category"], what="assets")
    web = _asset_texts(to_web_geometry(assets))
    tiered = "tier" in web.columns
    if tiered:
        web["tier"] = pd.to_numeric(web["tier"], errors="coerce").fillna(3).astype(int)
    cats = (
        list(categories) if categories is not None else sorted(web["category"].astype(str).unique())
    )
    colour_of = {cat: OKABE_ITO_EXTENDED[i % len(OKABE_ITO_EXTENDED)] for i, cat in enumerate(cats)}
    keys = (
        sorted(
            {(t, c) for t, c in zip(web["tier"], web["category"], strict=True) if c in colour_of}
        )
        if tiered
        else [(None, c) for c in cats]
    )
    for tier, cat in keys:
        colour = colour_of[cat]
        subset = web[web["category"] == cat]
        if tier is not None:
            subset = subset[subset["tier"] == tier]
        label = str(cat).replace("_", " ")
        prefix = "Assets" if tier is None else f"{TIER_NAMES.get(tier, f'Tier {tier}')}"
        layer_name = f"{prefix}: {label} ({len(subset)})"
        visible = show if isinstance(show, bool) else cat in set(show)
        if tier is not None and show is True:
            visible = tier in set(show_tiers)
        group = folium.FeatureGroup(name=_e(layer_name), show=visible)
        use_cluster = len(subset) > 100 if cluster is None else cluster
        target = folium.plugins.MarkerCluster(control=False).add_to(group) if use_cluster else group
        geo = json.loads(subset.geometry.to_json(drop_id=True))
        names = subset.get("display_name", subset["name"])
        for feature, (_, row), name in zip(geo["features"], subset.iterrows(), names, strict=True):
            # already-escaped HTML: the popup and tooltip insert these strings as HTML
            feature["properties"] = {"popup": _popup_html(row), "label": _e(name)}
        folium.GeoJson(
            geo,
            marker=folium.CircleMarker(
                radius=6 if tier in (None, 1) else 4.5,
                color="#222222",
                weight=1.5 if tier == 1 else 1,
                fill=True,
                fill_color=colour,
                fill_opacity=0.95 if tier in (None, 1, 2) else 0.6,
            ),
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
            highlight_function=None,
        ).add_to(target)
        group.add_to(m)
        _register_legend(m, layer_name, layer_name, [("dot:" + colour, label)])
    return m


def add_catchments(
    m: folium.Map,
    assets: gpd.GeoDataFrame,
    *,
    category: str | None = None,
    radius_m: float = 800.0,
    name: str | None = None,
    show: bool = False,
) -> folium.Map:
    """Catchment circles of ``radius_m`` around assets (of one ``category``, or all of those
    given), off by default; ``name`` says what they are around."""
    subset = assets if category is None else assets[assets["category"] == category]
    subset = to_web_geometry(subset)
    what = name or (category or "assets").replace("_", " ")
    layer_name = f"Catchments: {what} ({radius_m:g} m)"
    group = folium.FeatureGroup(name=_e(layer_name), show=show)
    for point in subset.geometry:
        folium.Circle(
            location=[point.y, point.x],
            radius=radius_m,
            color="#0072B2",
            weight=1,
            fill=True,
            fill_opacity=0.08,
            interactive=False,
        ).add_to(group)
    group.add_to(m)
    _register_legend(
        m, layer_name, layer_name, [("outline:#0072B2", f"{radius_m:g} m around each")]
    )
    return m


class _SearchControl(JSCSSMixin, MacroElement):
    """leaflet-search over the area names and wards, zooming to the area found."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = new L.Control.Search({
  layer: {{ this.layer.get_name() }}, propertyName: 'search', marker: false, initial: false,
  collapsed: false, position: 'topright', textPlaceholder: 'Search area or ward',
  moveToLocation: function(latlng, title, map) { map.fitBounds(latlng.layer.getBounds()); }
});
{{ this._parent.get_name() }}.addControl({{ this.get_name() }});
{% endmacro %}"""
    )
    default_js = [
        (
            "Leaflet.Search.js",
            "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.js",
        )
    ]
    default_css = [
        (
            "Leaflet.Search.css",
            "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.css",
        )
    ]

    def __init__(self, layer):
        super().__init__()
        self._name = "IgSearch"
        self.layer = layer


def add_search(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    *,
    fields: Sequence[str] = ("name", "ward_name"),
    simplify_m: float = 5.0,
) -> folium.Map:
    """A search box over area and ward names (leaflet-search) that zooms to the area."""
    present = [f for f in fields if f in areas.columns]
    data = _area_data(m, areas, simplify_m=simplify_m, tooltip=None)
    data.set_property("search", areas[present].astype(str).agg(" | ".join, axis=1))
    layer = _AreaLayer(data, name="search index", show=False, interactive=False)
    layer.control = False
    m.add_child(layer)
    m.add_child(_SearchControl(layer))
    return m


def finish_map(m: folium.Map, *, fullscreen: bool = True) -> folium.Map:
    """Add the layer control, the legend box (each legend shown while its layer is on) and the
    full-screen button. Call once, after the last layer."""
    if fullscreen:
        folium.plugins.Fullscreen(position="topleft").add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    blocks = []
    for layer_name, title, items in _legends(m):
        rows = "".join(
            f"<div class='ig-row'>{_swatch(colour)}<span>{_e(label)}</span></div>"
            for colour, label in items
        )
        blocks.append(
            f"<div class='ig-legend' data-layer='{_e(layer_name)}'>"
            f"<div class='ig-legend-title'>{_e(title)}</div>{rows}</div>"
        )
    css = (
        "<style>.ig-legends{position:fixed;bottom:48px;left:10px;z-index:1000;max-height:45%;"
        "overflow:auto;background:rgba(255,255,255,.93);padding:6px 8px;border-radius:4px;"
        "font:12px/1.35 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)}"
        ".ig-legend-title{font-weight:bold;margin-top:4px}.ig-row{display:flex;align-items:center}"
        ".ig-sw{display:inline-block;width:14px;height:12px;margin-right:6px;border:1px solid #777}"
        ".ig-dot{border-radius:50%}</style>"
    )
    m.get_root().html.add_child(_Raw(css + "<div class='ig-legends'>" + "".join(blocks) + "</div>"))
    # show a legend only while its layer is switched on
    script = f"""
    (function() {{
      var map = {m.get_name()};
      function names() {{
        var on = {{}};
        document.querySelectorAll('.leaflet-control-layers-overlays label').forEach(function(l) {{
          var box = l.querySelector('input');
          on[l.textContent.trim()] = box && box.checked;
        }});
        return on;
      }}
      function sync() {{
        var on = names();
        document.querySelectorAll('.ig-legend').forEach(function(d) {{
          var key = d.getAttribute('data-layer');
          d.style.display = (key in on && !on[key]) ? 'none' : '';
        }});
      }}
      map.on('overlayadd overlayremove', sync);
      setTimeout(sync, 0);
    }})();
    """
    m.add_child(_Script(script))
    return m


class _Script(MacroElement):
    """JavaScript run after the map and its layers exist (rendered as a child of the map)."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str):
        super().__init__()
        self._name = "IgScript"
        self.code = code


def _swatch(colour: str) -> str:
    if colour.startswith("outline-dash:"):
        return (
            f"<span class='ig-sw' style='border:2px dashed {colour[13:]};background:none'></span>"
        )
    if colour.startswith("outline:"):
        return f"<span class='ig-sw' style='border:2px solid {colour[8:]};background:none'></span>"
    if colour.startswith("dot:"):
        return f"<span class='ig-sw ig-dot' style='background:{colour[4:]}'></span>"
    return f"<span class='ig-sw' style='background:{colour}'></span>"


# --- offline page ----------------------------------------------------------------------------

_STATIC = {
    "leaflet": "leaflet.js",
    "leaflet_css": "leaflet.css",
    "markerclusterjs": "leaflet.markercluster.js",
    "markerclustercss": "MarkerCluster.css",
    "markerclusterdefaultcss": "MarkerCluster.Default.css",
    "Control.Fullscreen.js": "Control.FullScreen.js",
    "Control.FullScreen.css": "Control.FullScreen.css",
    "Leaflet.Search.js": "leaflet-search.min.js",
    "Leaflet.Search.css": "leaflet-search.min.css",
}
_MIME = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}


def _data_uri(filename: str) -> str:
    path = resources.files("inclusion_geo") / "_static" / filename
    data = path.read_bytes()
    suffix = Path(filename).suffix
    if suffix == ".css":
        text = data.decode("utf-8")

        def inline(match: re.Match) -> str:
            ref = match.group(1).strip("'\"")
            name = ref.rsplit("/", 1)[-1]
            candidate = resources.files("inclusion_geo") / "_static" / name
            if ref.startswith("#") or not candidate.is_file():
                return match.group(0)
            return f"url({_data_uri(name)})"

        data = re.sub(r"url\(([^)]*)\)", inline, text).encode("utf-8")
    return f"data:{_MIME[suffix]};base64,{base64.b64encode(data).decode('ascii')}"


def _inline_dependencies(m: folium.Map) -> None:
    """Point every JS/CSS dependency at a bundled copy; drop the ones these maps do not use."""
    unused = {"jquery", "bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
              "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css"}  # fmt: skip
    for element in _walk(m):
        for attr in ("default_js", "default_css"):
            deps = getattr(element, attr, None)
            if not deps:
                continue
            kept = []
            for name, url in deps:
                if name in unused:
                    continue
                if name not in _STATIC:
                    raise InclusionGeoError(
                        f"Map element {type(element).__name__} needs {name} ({url}), which is not "
                        "bundled; the page would not work offline."
                    )
                kept.append((name, _data_uri(_STATIC[name])))
            setattr(element, attr, kept)


def _walk(element):
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write the map as one self-contained HTML file that works with no network."""
    _inline_dependencies(m)
    path = Path(path)
    m.save(str(path))
    return path

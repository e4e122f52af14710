"""The folium/branca elements behind :mod:`inclusion_geo.mapping`'s layers (private).

Each has a fixed template: data reaches the page only as values, either through Jinja2's
``tojson`` filter or as GeoJSON text made by :func:`feature_collection` (both escape ``<``,
``>``, ``&`` and ``'``), and every string in the data was escaped with
:func:`inclusion_geo._map_page._e` first. Area layers draw in their own pane, below the asset
markers (see :data:`inclusion_geo._map_page.AREA_PANE`).

GeoJSON is written as text, not built as Python dicts: each geometry is serialised once by
GEOS (:func:`shapely.to_geojson`) and each feature's properties once by :mod:`json`, so a map
of thousands of features costs milliseconds to build and save.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from ._map_page import AREA_PANE, LINE_PANE, _e, _e_all, _html_safe_json

_ENCODE = json.JSONEncoder().encode  # as json.dumps: ASCII only, so the text is plain ASCII


def geometry_texts(geometries) -> list[str]:
    """Each geometry as GeoJSON text (``null`` for a missing one)."""
    texts = shapely.to_geojson(np.asarray(geometries, dtype=object))
    return ["null" if t is None else t for t in texts.tolist()]


def feature_collection(geometries: Sequence[str], properties: Mapping[str, Sequence[str]]) -> str:
    """A GeoJSON FeatureCollection as text safe inside a ``<script>`` element.

    ``geometries`` are GeoJSON texts (:func:`geometry_texts`); ``properties`` maps each key to
    a value per feature (already escaped for display, see :func:`_e_all`). The JSON is then
    made HTML-safe (``<``, ``>``, ``&``, ``'`` as ``\\u`` escapes), as the ``tojson`` filter
    does.
    """
    keys = list(properties)
    rows = zip(*(properties[k] for k in keys), strict=True) if keys else [()] * len(geometries)
    features = ",".join(
        '{"type":"Feature","properties":' + _ENCODE(dict(zip(keys, row, strict=True)))
        + ',"geometry":' + geometry + "}"
        for geometry, row in zip(geometries, rows, strict=True)
    )  # fmt: skip
    return _html_safe_json('{"type":"FeatureCollection","features":[' + features + "]}")


class _AreaData(MacroElement):
    """The areas' GeoJSON, written into the page once and shared by every area layer.

    Properties hold display text, HTML-escaped by :meth:`set_property`; the page gets them
    through :func:`feature_collection`, which also escapes ``<``, ``>`` and ``&`` so nothing in
    the data can close the script element.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}var {{ this.get_name() }} = {{ this.text() }};"
        "{% endmacro %}"
    )

    def __init__(self, geometries: Sequence[str], index: pd.Index):
        super().__init__()
        self._name = "IgAreas"
        self.geometries = list(geometries)
        self.index = index
        self.properties: dict[str, list[str]] = {}

    def set_property(self, key: str, values: pd.Series) -> None:
        """Give every area the value of ``values`` (by index) under ``key``, escaped."""
        self.properties[key] = _e_all(values.reindex(self.index))

    def text(self) -> str:
        return feature_collection(self.geometries, self.properties)


class _AreaLayer(folium.map.Layer):
    """One view of the shared area data: its own fill colours, outline and pane; a compact
    tooltip on hover and the full details in the side panel on click."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJSON({{ this.source.get_name() }}, {
  pane: {{ this.pane|tojson }},
  {% if this.only %}filter: function(f) { return f.properties[{{ this.only|tojson }}] === 'yes'; },{% endif %}
  style: function(f) { return {
    fillColor: {% if this.fill_key %}f.properties[{{ this.fill_key|tojson }}]{% else %}'#000000'{% endif %},
    fill: {{ 'true' if this.fill_key else 'false' }}, fillOpacity: {{ this.fill_opacity }},
    color: {{ this.line|tojson }}, weight: {{ this.weight }}{% if this.dash %}, dashArray: {{ this.dash|tojson }}{% endif %} }; },
  {% if this.interactive %}onEachFeature: function(f, layer) {
    layer.bindTooltip(function() {
      return igTooltip(f.properties, {{ this.fields|tojson }}, {{ 'true' if this.panel else 'false' }});
    }, {sticky: true, className: 'ig-tooltip'});
    layer.on({mouseover: function(e) { e.target.setStyle({weight: 2.5, color: '#000000'}); e.target.bringToFront(); },
              mouseout: function(e) { {{ this.get_name() }}.resetStyle(e.target); }
              {% if this.panel %}, click: function(e) { igShowArea({{ this._parent.get_name() }}, f, {{ this.panel|tojson }}); }{% endif %}});
  }{% else %}interactive: false{% endif %}
});
{% endmacro %}"""
    )

    def __init__(self, source: _AreaData, *, name, fill_key=None, fields=(), panel=(), show=True,
                 only=None, line="#555555", weight=0.4, fill_opacity=0.75, dash=None,
                 interactive=True, pane=AREA_PANE):  # fmt: skip
        super().__init__(name=_e(name), overlay=True, control=True, show=show)
        self._name = "IgAreaLayer"
        self.source, self.fill_key, self.only = source, fill_key, only
        self.fields = [[k, _e(v)] for k, v in fields]
        self.panel = [[k, _e(v)] for k, v in panel]
        self.line, self.weight, self.fill_opacity, self.dash = line, weight, fill_opacity, dash
        self.interactive, self.pane = interactive, pane


class _Circles(MacroElement):
    """Circles of one radius around points, drawn below the markers and never catching the
    mouse: one script for all of them (the data is coordinates only)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJSON({{ this.text() }}, {
  pane: {{ this.pane|tojson }}, interactive: false,
  pointToLayer: function(f, latlng) { return L.circle(latlng, {radius: {{ this.radius }},
    color: '#0072B2', weight: 1, fill: true, fillOpacity: 0.08, interactive: false,
    pane: {{ this.pane|tojson }}}); }
}).addTo({{ this._parent.get_name() }});
{% endmacro %}"""
    )

    def __init__(self, points, radius_m: float):
        super().__init__()
        self._name = "IgCircles"
        self.geometries = geometry_texts(points)
        self.radius = float(radius_m)
        self.pane = LINE_PANE

    def text(self) -> str:
        return feature_collection(self.geometries, {})


class _Features(MacroElement):
    """Places (circle markers) or lines (e.g. ward boundaries) as one GeoJSON layer, added to
    its parent (a feature group or a marker cluster), with a tooltip and a popup each showing
    properties in a small table, as folium's ``GeoJsonTooltip`` and ``GeoJsonPopup`` do.

    ``markup`` maps keys to a value per feature, which the page inserts as HTML: build each
    with :func:`_e` (or :func:`_e_all`) around every piece of data. ``tooltip`` and ``popup``
    are ``(key, label)`` pairs (labels shown when ``labels``). ``marker`` is the circle
    markers' options (points); ``style`` the lines' or polygons' style.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJSON({{ this.text() }}, {
  {% if this.pane %}pane: {{ this.pane|tojson }},{% endif %}
  {% if this.marker %}pointToLayer: function(f, latlng) { return L.circleMarker(latlng, {{ this.marker|tojson }}); },{% endif %}
  {% if this.style %}style: function(f) { return {{ this.style|tojson }}; },{% endif %}
  onEachFeature: function(f, layer) {
    {% if this.tooltip %}layer.bindTooltip(function() {
      return igDetail(f.properties, {{ this.tooltip|tojson }}, {{ 'true' if this.labels else 'false' }});
    }, {sticky: true, className: 'foliumtooltip'});{% endif %}
    {% if this.popup %}layer.bindPopup(function() {
      return igDetail(f.properties, {{ this.popup|tojson }}, false);
    }, {className: 'foliumpopup'});{% endif %}
  }
}).addTo({{ this._parent.get_name() }});
{% endmacro %}"""
    )

    def __init__(self, geometries: Sequence[str], markup: Mapping[str, Sequence[str]], *,
                 tooltip=(), popup=(), labels=False, marker=None, style=None, pane=None):  # fmt: skip
        super().__init__()
        self._name = "IgFeatures"
        self.geometries = list(geometries)
        self.properties = {k: list(v) for k, v in markup.items()}
        self.tooltip = [[k, _e(v)] for k, v in tooltip]
        self.popup = [[k, _e(v)] for k, v in popup]
        self.labels, self.marker, self.style, self.pane = labels, marker, style, pane

    def text(self) -> str:
        return feature_collection(self.geometries, self.properties)


class _SearchControl(JSCSSMixin, MacroElement):
    """leaflet-search over the area names and wards: the area found is zoomed to, outlined
    and its details opened in the side panel."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = new L.Control.Search({
  layer: {{ this.layer.get_name() }}, propertyName: 'search', marker: false, initial: false,
  collapsed: false, position: 'topright', textPlaceholder: 'Search area or ward',
  moveToLocation: function(latlng, title, map) {
    var found = latlng.layer;
    map.fitBounds(found.getBounds(), {paddingTopLeft: [20, 80], paddingBottomRight: [330, 20], maxZoom: 16});
    igShowArea(map, found.feature, {{ this.panel|tojson }});
  }
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

    def __init__(self, layer, panel):
        super().__init__()
        self._name = "IgSearch"
        self.layer = layer
        self.panel = [[k, _e(v)] for k, v in panel]


# --- asset popups: built a column at a time, every piece of data escaped ---------------------

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


def _popups(assets: pd.DataFrame, names: list[str]) -> list[str]:
    """Each asset's popup: its name (``names``, escaped), then a line per field it has."""
    popups = [f"<b>{n}</b>" for n in names]
    for col, label in _ASSET_FIELDS:
        if col not in assets.columns:
            continue
        values = assets[col]
        shown = ~(values.isna().to_numpy() | _is_blank(values))
        head = f"<br>{_e(label)}: "
        for i, text in zip(np.flatnonzero(shown), _e_all(values[shown]), strict=True):
            popups[i] += head + text
    return popups


def _is_blank(values: pd.Series) -> np.ndarray:
    """Where a value is the empty string (missing values are not)."""
    if values.dtype == object:
        return np.array([isinstance(v, str) and v == "" for v in values], dtype=bool)
    if pd.api.types.is_string_dtype(values):
        return values.eq("").to_numpy(dtype=bool, na_value=False)
    return np.zeros(len(values), dtype=bool)


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

"""The folium/branca elements behind :mod:`inclusion_geo.mapping`'s layers (private).

Each has a fixed template: data reaches the page only as values, through Jinja2's ``tojson``
filter (which escapes ``<``, ``>`` and ``&``), and every string in the data was escaped with
:func:`inclusion_geo._map_page._e` first. Area layers draw in their own pane, below the asset
markers (see :data:`inclusion_geo._map_page.AREA_PANE`).
"""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from ._map_page import AREA_PANE, LINE_PANE, _e


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
var {{ this.get_name() }} = L.geoJSON({{ this.data|tojson }}, {
  pane: {{ this.pane|tojson }}, interactive: false,
  pointToLayer: function(f, latlng) { return L.circle(latlng, {radius: {{ this.radius }},
    color: '#0072B2', weight: 1, fill: true, fillOpacity: 0.08, interactive: false,
    pane: {{ this.pane|tojson }}}); }
}).addTo({{ this._parent.get_name() }});
{% endmacro %}"""
    )

    def __init__(self, points: gpd.GeoSeries, radius_m: float):
        super().__init__()
        self._name = "IgCircles"
        self.data = json.loads(points.to_json(drop_id=True))
        self.radius = float(radius_m)
        self.pane = LINE_PANE


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

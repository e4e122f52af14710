"""The page around every interactive map (private to :mod:`inclusion_geo.mapping`).

Safety first: the page is a :class:`_SafeFigure`, which renders without compiling rendered text
a second time; markup goes in through :class:`_Raw`, never compiled; every data string goes
through :func:`_e` (HTML-escaped, ``{`` and ``}`` as character references); JavaScript that
carries data gets it through :func:`_js` (JSON with ``<``, ``>``, ``&`` and ``'`` escaped).
See ``docs/security.md`` ("Interactive maps").

Then the page's furniture, laid out to fit a 1366x768 screen without covering the map: the
title box (with a caveat box when the index leaves something out), the compact hover tooltip,
the click side panel with an area's full details (closable; the selected area outlined), the
credits in Leaflet's attribution control with every source listed in the panel, the map panes
that keep areas below the asset markers, and the offline bundling of Leaflet and its plugins.
"""

from __future__ import annotations

import base64
import html
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from branca.element import Element, Figure, MacroElement
from jinja2 import Template
from jinja2.utils import htmlsafe_json_dumps

from ._errors import InclusionGeoError

_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


def _e(value: object) -> str:
    """HTML-escape any value for display (quotes included), with ``{`` and ``}`` as character
    references so that no template syntax survives in data."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True).translate(_BRACES)


def _e_all(values: Iterable) -> list[str]:
    """:func:`_e` of every value, each distinct text escaped once (a column of a thousand
    rows usually holds far fewer distinct values)."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
        return [_e(v) for v in series]  # mixed types: 1 and True must not share an entry
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.array([_e(u) for u in uniques] + [""], dtype=object)  # code -1 (missing): ""
    return table[codes].tolist()


def _js(value: object) -> str:
    """A JSON literal safe inside a ``<script>`` element (``<``, ``>``, ``&``, ``'`` escaped)."""
    return str(htmlsafe_json_dumps(value))


def _html_safe_json(text: str) -> str:
    """JSON text made safe inside a ``<script>`` element as :func:`_js` makes it: ``<``, ``>``,
    ``&`` and ``'`` as ``\\u`` escapes (the same string once parsed)."""
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


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
    (saving, ``_repr_html_`` in Jupyter and ``get_root().render()`` all come through here).
    Its ``title`` (the page's ``<title>``) must already be escaped with :func:`_e`."""

    def render(self, **kwargs) -> str:
        with _no_second_pass():
            return super().render(**kwargs)


class _Script(MacroElement):
    """JavaScript run after the map and its layers exist (rendered as a child of the map).
    ``code`` is inserted as a value, never compiled; data in it must come through :func:`_js`."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str):
        super().__init__()
        self._name = "IgScript"
        self.code = code


# --- panes: areas below the asset markers, whatever is switched off and on -------------------

# Leaflet draws every vector layer of a pane into one SVG, in the order the layers were added:
# an area layer switched off and on again would be drawn over the asset markers (also vectors)
# and catch their clicks. Areas and lines get panes of their own, below the overlay pane
# (z-index 400) where the markers are drawn.
AREA_PANE, LINE_PANE = "igAreas", "igLines"
_PANES_KEY = "_inclusion_geo_panes"


def ensure_panes(m) -> None:
    """Create the area and line panes on ``m`` (once), before any layer that uses them."""
    if getattr(m, _PANES_KEY, False):
        return
    setattr(m, _PANES_KEY, True)
    name = m.get_name()
    m.add_child(
        _Script(
            f"{name}.createPane({_js(AREA_PANE)}).style.zIndex = 350;"
            f"{name}.createPane({_js(LINE_PANE)}).style.zIndex = 380;"
        )
    )


# --- furniture: styles, tooltip, side panel, layout ------------------------------------------

_CSS = """<style>
.leaflet-container{font:12px/1.35 sans-serif}
.ig-title{position:fixed;top:10px;left:54px;z-index:1000;background:rgba(255,255,255,.94);
  padding:6px 10px;border-radius:4px;font:14px/1.3 sans-serif;box-sizing:border-box;
  max-width:calc(100vw - 54px - 330px);box-shadow:0 1px 4px rgba(0,0,0,.3)}
.ig-subtitle{font-size:12px;color:#333}
.ig-caveat{margin-top:4px;padding:4px 6px;background:#fff4d6;border-left:4px solid #E69F00;
  font-size:12px;color:#222}
.leaflet-tooltip.ig-tooltip{white-space:normal;width:max-content;max-width:300px;
  font:12px/1.3 sans-serif;padding:4px 6px}
.ig-tip{border-collapse:collapse;font:inherit}
.ig-tip th{text-align:left;padding:1px 8px 1px 0;vertical-align:top;font-weight:600;
  white-space:nowrap}
.ig-tip td{white-space:normal;vertical-align:top}
.ig-tooltip .ig-tip th{white-space:normal;width:35%}
.ig-tooltip .ig-hint{color:#555;font-size:11px;margin-top:2px}
.leaflet-top.leaflet-right .leaflet-control{max-width:300px}
.leaflet-control-layers{font:12px/1.3 sans-serif}
.leaflet-control-layers label{font-size:12px;white-space:normal}
.leaflet-control-layers-list{max-height:calc(100vh - 120px);overflow-x:hidden;overflow-y:auto}
.leaflet-control-attribution{max-width:calc(100vw - 320px);white-space:normal;font-size:11px}
.ig-panel{position:fixed;right:10px;top:50vh;bottom:36px;width:300px;z-index:1001;
  box-sizing:border-box;overflow:auto;background:#fff;padding:8px 10px;border-radius:4px;
  font:12px/1.35 sans-serif;box-shadow:0 1px 6px rgba(0,0,0,.4)}
.ig-panel[hidden]{display:none}
.ig-panel h2{font-size:14px;margin:0 24px 6px 0}
.ig-panel-close{position:absolute;top:4px;right:6px;border:0;background:none;font-size:20px;
  line-height:1;cursor:pointer;padding:2px 6px}
.ig-panel ul{margin:0;padding-left:16px}
.ig-credits-link{cursor:pointer;text-decoration:underline}
.ig-legends{position:fixed;bottom:48px;left:10px;z-index:1000;max-height:45vh;max-width:270px;
  box-sizing:border-box;overflow:auto;background:rgba(255,255,255,.94);padding:6px 8px;
  border-radius:4px;font:12px/1.35 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)}
.ig-legend-title{font-weight:bold;margin-top:4px}
.ig-legend-note{color:#444;font-size:11px}
.ig-row{display:flex;align-items:center}
.ig-sw{display:inline-block;flex:none;width:14px;height:12px;margin-right:6px;
  border:1px solid #777}
.ig-dot{border-radius:50%}
.ig-dot.ig-small{width:9px;height:9px;margin:0 8px 0 3px}
.foliumpopup{margin:auto}
.foliumtooltip table,.foliumpopup table{margin:auto}
.foliumtooltip tr,.foliumpopup tr{text-align:left}
.foliumtooltip th,.foliumpopup th{padding:2px;padding-right:8px}
</style>"""

_PANEL = (
    "<aside id='ig-panel' class='ig-panel' role='dialog' aria-label='Details' hidden>"
    "<button type='button' class='ig-panel-close' aria-label='Close' title='Close'>&#215;"
    "</button><div class='ig-panel-body'></div></aside>"
)

# Functions only (no data): every string they insert was escaped before it reached the page.
_JS = """
function igRows(p, fields, skip) {
  return fields.filter(function(f) {
    return f[0] !== skip && p[f[0]] !== undefined && p[f[0]] !== '';
  }).map(function(f) { return '<tr><th>' + f[1] + '</th><td>' + p[f[0]] + '</td></tr>'; }).join('');
}
function igDetail(p, fields, labels) {
  // a place's or ward's tooltip or popup, as folium's GeoJsonTooltip and GeoJsonPopup made it
  return '<div><table>' + fields.map(function(f) {
    var v = p[f[0]];
    return '<tr>' + (labels ? '<th>' + f[1] + '</th> ' : '') + '<td>' +
      (v === null || v === undefined ? '' : v) + '</td></tr>';
  }).join('') + '</table></div>';
}
function igTooltip(p, fields, hint) {
  return '<table class="ig-tip">' + igRows(p, fields) + '</table>' +
    (hint ? '<div class="ig-hint">Click for details</div>' : '');
}
var igSelected = null;
function igUnselect() { if (igSelected) { igSelected.remove(); igSelected = null; } }
function igSelect(map, feature) {
  igUnselect();
  var pane = map.getPane('igLines') ? 'igLines' : 'overlayPane';
  function outline(colour, weight) {
    return L.geoJSON(feature, {pane: pane, interactive: false, style: function() {
      return {color: colour, weight: weight, opacity: 1, fill: false}; }});
  }
  igSelected = L.layerGroup([outline('#ffffff', 7), outline('#000000', 3.5)]).addTo(map);
}
function igPanelOpen(markup) {
  var panel = document.getElementById('ig-panel');
  if (!panel) return;
  panel.querySelector('.ig-panel-body').innerHTML = markup;
  panel.hidden = false;
  panel.scrollTop = 0;
  igLayout();
}
function igPanelClose() {
  var panel = document.getElementById('ig-panel');
  if (panel) panel.hidden = true;
  igUnselect();
  igLayout();
}
function igShowArea(map, feature, fields) {
  var p = feature.properties;
  var head = p.name ? '<h2>' + p.name + '</h2>' : '';
  igPanelOpen(head + '<table class="ig-tip">' + igRows(p, fields, 'name') + '</table>');
  igSelect(map, feature);
}
function igShowCredits() {
  var sources = document.getElementById('ig-sources');
  if (sources) { igUnselect(); igPanelOpen(sources.innerHTML); }
}
function igLayout() {
  // the right-hand column: search, then the layer list, then (when open) the side panel, above
  // the credits; the layer list gives the panel room while it is open
  var h = window.innerHeight, panel = document.getElementById('ig-panel');
  var title = document.querySelector('.ig-title'), legends = document.querySelector('.ig-legends');
  var credits = document.querySelector('.leaflet-control-attribution');
  var floor = credits ? credits.getBoundingClientRect().top - 8 : h - 10;
  var list = document.querySelector('.leaflet-control-layers-list');
  var open = panel && !panel.hidden;
  if (list) {
    var control = list.closest('.leaflet-control-layers');
    var above = control.getBoundingClientRect().top;
    var room = floor - above - 16;
    list.style.height = '';
    list.style.maxHeight = Math.max(80, open ? Math.min(room * 0.4, 260) : room) + 'px';
  }
  if (panel) {
    var top = 10;
    document.querySelectorAll('.leaflet-top.leaflet-right .leaflet-control').forEach(function(c) {
      top = Math.max(top, c.getBoundingClientRect().bottom + 8);
    });
    panel.style.top = top + 'px';
    panel.style.bottom = Math.max(10, Math.min(h - floor, h - top - 120)) + 'px';
  }
  if (legends) {
    var below = title ? title.getBoundingClientRect().bottom + 10 : 10;
    legends.style.maxHeight = Math.max(60, h - below - 48) + 'px';
  }
}
document.addEventListener('click', function(e) {
  if (e.target.closest('.ig-panel-close')) { igPanelClose(); }
  else if (e.target.closest('.ig-credits-link')) { e.preventDefault(); igShowCredits(); }
});
document.addEventListener('keydown', function(e) {
  if (e.key === 'Escape') { igPanelClose(); }
  else if (e.key === 'Enter' && e.target.closest && e.target.closest('.ig-credits-link')) {
    igShowCredits();
  }
});
window.addEventListener('resize', igLayout);
"""

_FURNISHED_KEY = "_inclusion_geo_furnished"


def furnish(m) -> None:
    """Styles, the side panel and its functions, added once to the page of ``m``."""
    if getattr(m, _FURNISHED_KEY, False):
        return
    setattr(m, _FURNISHED_KEY, True)
    root = m.get_root()
    root.header.add_child(_Raw(_CSS))
    root.html.add_child(_Raw(_PANEL))
    root.script.add_child(_Raw(_JS))
    ensure_panes(m)
    # place the panel and legend once Leaflet has laid out its controls
    m.add_child(_Script(f"{m.get_name()}.whenReady(function() {{ setTimeout(igLayout, 0); }});"))


def title_box(title: str, subtitle: str | None, caveats: Sequence[str]) -> str:
    """The title box's markup: title, subtitle and a caveat box, each escaped."""
    sub = f"<div class='ig-subtitle'>{_e(subtitle)}</div>" if subtitle else ""
    notes = "".join(f"<div>{_e(text)}</div>" for text in caveats)
    caveat = f"<div class='ig-caveat' role='note'>{notes}</div>" if notes else ""
    return f"<div class='ig-title'><b>{_e(title)}</b>{sub}{caveat}</div>"


# --- legends ---------------------------------------------------------------------------------


def legend_blocks(legends: list) -> str:
    """One block per legend, or per group of legends (a row per layer); each block or row
    carries the name of the layer it describes, so it shows only while that layer is on."""
    blocks: dict[object, list] = {}
    for layer_name, title, items, note, group in legends:
        blocks.setdefault(group or len(blocks), []).append((layer_name, title, items, note))
    out = []
    for key, entries in blocks.items():
        grouped = isinstance(key, str)
        title, notes = entries[0][1], dict.fromkeys(e[3] for e in entries if e[3])
        rows = "".join(
            f"<div class='ig-row'{layer_attr(layer_name) if grouped else ''}>"
            f"{swatch(colour)}<span>{_e(label)}</span></div>"
            for layer_name, _, items, _ in entries
            for colour, label in items
        )
        note = "".join(f"<div class='ig-legend-note'>{_e(n)}</div>" for n in notes)
        out.append(
            f"<div class='ig-legend'{'' if grouped else layer_attr(entries[0][0])}>"
            f"<div class='ig-legend-title'>{_e(title)}</div>{note}{rows}</div>"
        )
    return "".join(out)


def layer_attr(layer_name: str) -> str:
    return f" data-layer='{_e(layer_name)}'"


# show a legend (or a row of one) only while its layer is switched on
LEGEND_SYNC = """
(function(map) {
  function sync() {
    var on = {};
    document.querySelectorAll('.leaflet-control-layers-overlays label').forEach(function(l) {
      var box = l.querySelector('input');
      on[l.textContent.trim()] = box && box.checked;
    });
    document.querySelectorAll('.ig-legends [data-layer]').forEach(function(d) {
      var key = d.getAttribute('data-layer');
      d.style.display = (key in on && !on[key]) ? 'none' : '';
    });
    document.querySelectorAll('.ig-legend:not([data-layer])').forEach(function(d) {
      var rows = Array.prototype.slice.call(d.querySelectorAll('[data-layer]'));
      d.style.display = rows.some(function(r) { return r.style.display !== 'none'; }) ? '' : 'none';
    });
    igLayout();
  }
  map.on('overlayadd overlayremove', sync);
  setTimeout(sync, 0);
})"""


def swatch(colour: str) -> str:
    kind, _, value = colour.rpartition(":") if ":" in colour else ("", "", colour)
    value = _e(value)
    if kind == "outline-dash":
        return f"<span class='ig-sw' style='border:2px dashed {value};background:none'></span>"
    if kind == "outline":
        return f"<span class='ig-sw' style='border:2px solid {value};background:none'></span>"
    if kind == "dot":
        return f"<span class='ig-sw ig-dot' style='background:{value}'></span>"
    if kind == "dot-small":
        return f"<span class='ig-sw ig-dot ig-small' style='background:{value}'></span>"
    return f"<span class='ig-sw' style='background:{value}'></span>"


# --- credits ---------------------------------------------------------------------------------

OS_CREDIT = "Contains OS data \u00a9 Crown copyright and database right"
ONS_CREDIT = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0"
)
OGL_CREDIT = "Contains public sector information licensed under the Open Government Licence v3.0"
OSM_CREDIT = "\u00a9 OpenStreetMap contributors (ODbL)"
_OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"
_BOUNDARY_KEYS = ("boundaries", "wards", "areas", "centroids")
_PUBLIC_SECTOR = re.compile(
    r"\b(ONS|Office for National Statistics|Nomis|Census|Indices of Deprivation|IoD|IMD|DWP|"
    r"Ofcom|Open Government Licence|OGL|Ordnance Survey|Open Geography)\b",
    re.IGNORECASE,
)
_SYNTHETIC = re.compile(r"synthetic|not real places", re.IGNORECASE)


def credits_for(sources: Mapping[str, str]) -> list[str]:
    """The licence credits the sources call for, as plain text (escape before display).

    Boundaries and centroids from the ONS (every real run's) carry Ordnance Survey data:
    "Contains OS data (c) Crown copyright and database right" and the ONS/OGL statement.
    Other public-sector sources (Census, indices of deprivation, DWP, Ofcom) need the OGL
    statement; OpenStreetMap places need "(c) OpenStreetMap contributors (ODbL)". A synthetic
    source needs none.
    """
    real = {str(k): str(v) for k, v in sources.items() if not _SYNTHETIC.search(str(v))}
    out = []
    if any(k.lower() in _BOUNDARY_KEYS for k in real) or any(
        re.search(r"Ordnance Survey|Open Geography|boundar", v, re.IGNORECASE)
        for v in real.values()
    ):
        out += [OS_CREDIT, ONS_CREDIT]
    elif any(_PUBLIC_SECTOR.search(v) for v in real.values()):
        out.append(OGL_CREDIT)
    if any("openstreetmap" in v.lower() or k.lower() == "osm" for k, v in real.items()):
        out.append(OSM_CREDIT)
    return out


def credits_markup(sources: Mapping[str, str]) -> tuple[str, str]:
    """(attribution markup, the panel's list of every source), every piece escaped."""
    parts = []
    for text in credits_for(sources):
        if text == OSM_CREDIT:
            parts.append(
                f"<a href='{_OSM_COPYRIGHT}' target='_blank' rel='noopener'>{_e(text)}</a>"
            )
        else:
            parts.append(_e(text))
    if sources:
        parts.append(
            f"<a class='ig-credits-link' role='button' tabindex='0'>Sources ({len(sources)})</a>"
        )
    items = "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in sources.items())
    needed = "".join(f"<li>{_e(text)}</li>" for text in credits_for(sources))
    listing = (
        "<h2>Sources and credits</h2>"
        + (f"<ul>{items}</ul>" if items else "<p>No sources recorded.</p>")
        + (f"<p><b>Credits</b></p><ul>{needed}</ul>" if needed else "")
    )
    return " | ".join(parts), listing


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


@cache
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


def _inline_dependencies(m) -> None:
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

"""Interactive maps (folium). The only module, with its private helpers ``_map_page`` and
``_map_elements``, that imports folium or reprojects to EPSG:4326.

Every layer function takes an existing map and returns it, so maps compose. Every string that
comes from data (area, ward and asset names, categories, recipe text, sources) is HTML-escaped
before it reaches a tooltip, panel, popup, legend, layer name, title or credit. The page works
offline: Leaflet and its plugins are bundled with the package and inlined, and the default
basemap is none (``tiles="OpenStreetMap"`` is online only, and says so).

The page fits a 1366x768 screen: a title box (with a caveat box when the index leaves
something out), a compact hover tooltip, a side panel with an area's full details on click or
search (the area outlined), the layer list and legend each showing only what is switched on,
and credits for every source. Areas are drawn in their own panes below the asset markers, so
switching a layer off and on never hides the markers.

No text is ever parsed as a template. folium and branca render pages with Jinja2, and
``folium.Element(text)`` compiles ``text`` as a template, so a name holding ``{{ ... }}`` would
run as code when the map is saved. This module never does that: markup goes into the page
through :class:`_Raw`, whose template is fixed and receives the markup as a value, and
:func:`_e` also turns ``{`` and ``}`` into character references, so escaped data holds no
template syntax wherever it ends up. ``tests/test_mapping.py`` checks that no template compiled
while a map is built and saved contains data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps
from matplotlib.colors import to_hex

from ._errors import InclusionGeoError
from ._map_elements import (
    _ASSET_FIELDS,  # noqa: F401  (tests check popups against it)
    _AreaData,
    _AreaLayer,
    _asset_texts,
    _Circles,
    _Features,
    _missing,  # noqa: F401  (tests check popups against it)
    _popups,
    _SearchControl,
    geometry_texts,
)
from ._map_page import (
    LEGEND_SYNC,
    LINE_PANE,
    _e,
    _e_all,
    _inline_dependencies,
    _js,
    _Literal,  # noqa: F401  (part of the page's safety; tests and docs name it here)
    _Raw,
    _SafeFigure,
    _Script,
    _walk,  # noqa: F401  (tests walk a map's elements)
    credits_markup,
    ensure_panes,
    furnish,
    legend_blocks,
    title_box,
)
from ._palette import (
    ACTION_COLOURS,
    ACTION_LEGEND,
    CLUSTER_COLOURS,
    HOTSPOT_COLOURS,
    OKABE_ITO_EXTENDED,
)
from ._validate import require_columns, to_bng

__all__ = [
    "TILES",
    "SCHEMES",
    "new_map",
    "add_choropleth",
    "add_hotspots",
    "add_clusters",
    "add_priority_outline",
    "add_outline",
    "add_places",
    "add_actions",
    "add_assets",
    "add_wards",
    "add_catchments",
    "add_search",
    "add_credits",
    "finish_map",
    "DEFAULT_AREA_TOOLTIP",
    "DEFAULT_AREA_PANEL",
    "save_map",
    "to_web_geometry",
]

TILES = {
    "none": None,
    "OpenStreetMap": ("OpenStreetMap", None),
    "CartoDB positron": ("CartoDB positron", None),
}


# Quantile and equal-interval classes are computed here as mapclassify computes them
# (inclusion_geo._palette); mapclassify itself, whose import takes about 2 s (and compiles a
# kernel where numba is installed), is imported only for natural breaks.
def _quantiles(y: np.ndarray, k: int):
    from ._palette import quantile_classes

    return quantile_classes(y, k)


def _equal_interval(y: np.ndarray, k: int):
    from ._palette import equal_interval_classes

    return equal_interval_classes(y, k)


def _fisher_jenks(y: np.ndarray, k: int):
    """Fisher-Jenks natural breaks; sampled above 2,000 values (exact is O(k n^2))."""
    import warnings

    import mapclassify

    with warnings.catch_warnings():
        # without numba mapclassify warns it is slow; at these sizes it is not
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        if y.size > 2000:
            return mapclassify.FisherJenksSampled(y, k=k, pct=min(1.0, 2000 / y.size))
        return mapclassify.FisherJenks(y, k=k)


SCHEMES = {
    "quantiles": _quantiles,
    "natural_breaks": _fisher_jenks,
    "equal_interval": _equal_interval,
}

_LEGEND_KEY = "_inclusion_geo_legends"


def to_web_geometry(
    frame: gpd.GeoDataFrame, *, simplify_m: float = 0.0, precision: float = 1e-5
) -> gpd.GeoDataFrame:
    """A copy in EPSG:4326, simplified without opening gaps between neighbours, coordinates
    rounded to ``precision`` degrees (1e-5 is about a metre)."""
    out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    web = _web_geometries(frame, simplify_m=simplify_m, precision=precision)
    return gpd.GeoDataFrame(out, geometry=web, crs=web.crs)


def _web_geometries(
    frame: gpd.GeoDataFrame, *, simplify_m: float = 0.0, precision: float = 1e-5
) -> gpd.GeoSeries:
    """The geometry of :func:`to_web_geometry` alone (no copy of the other columns).

    Each coordinate is rounded on its own ("pointwise"): shared vertices round alike, so
    neighbours still meet, and no overlay is run (rounding with a valid-output overlay costs
    ten times as much and only moves where each ring starts).
    """
    bng = to_bng(frame, what="layer")
    geoms = bng.geometry.to_numpy()
    if simplify_m > 0 and bng.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        try:
            geoms = shapely.coverage_simplify(geoms, simplify_m)  # shared edges stay shared
        except Exception:  # not a valid coverage (overlaps): simplify each, keeping topology
            geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
    web = gpd.GeoSeries(geoms, index=frame.index, crs=bng.crs).to_crs("EPSG:4326")
    rounded = shapely.set_precision(web.to_numpy(), precision, mode="pointwise")
    return gpd.GeoSeries(rounded, index=frame.index, crs=web.crs)


def new_map(
    areas: gpd.GeoDataFrame,
    *,
    tiles: str = "none",
    title: str | None = None,
    subtitle: str | None = None,
    caveats: Sequence[str] = (),
) -> folium.Map:
    """An empty map fitted to ``areas``, with a basemap (``none`` by default: works offline).

    ``title`` heads the page (and is its ``<title>``), ``subtitle`` goes under it and
    ``caveats`` (e.g. what the index was scored without) go in a caveat box below; all of them
    are escaped. ``tiles="OpenStreetMap"`` adds the OSM basemap, named in the layer list and
    credited in the attribution; offline its tiles do not load, the page says so in the
    attribution and everything else works.
    """
    if tiles not in TILES:
        raise InclusionGeoError(f"tiles={tiles!r} is not one of {list(TILES)}.")
    bounds = gpd.GeoSeries(areas.geometry).to_crs("EPSG:4326").total_bounds
    # a max zoom is needed for marker clustering when there is no tile layer to set one
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    page = _SafeFigure(title=_e(title) if title else None)  # renders data as data
    page.add_child(m)
    m.options["maxZoom"] = 19
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    # a plain background: shown with no basemap, or while (or because) tiles do not load
    m.get_root().header.add_child(_Raw("<style>.leaflet-container{background:#f2f2ee;}</style>"))
    furnish(m)
    if TILES[tiles] is not None:
        layer = folium.TileLayer(
            TILES[tiles][0], name=_e(f"Basemap: {tiles} (online only)"), control=True
        ).add_to(m)
        m.add_child(
            _Script(
                f"{layer.get_name()}.once('tileerror', function() {{ "
                f"{m.get_name()}.attributionControl.addAttribution("
                f"{_js(_e(f'{tiles} basemap not loaded (offline?)'))}); }});"
            )
        )
    setattr(m, _LEGEND_KEY, [])
    if title or caveats:
        m.get_root().html.add_child(_Raw(title_box(title or "", subtitle, caveats)))
    return m


def add_credits(m: folium.Map, sources: Mapping[str, str]) -> folium.Map:
    """Credit every source in the map's attribution control: the licence statements the
    sources call for ("Contains OS data (c) Crown copyright and database right" for ONS
    boundaries, the Open Government Licence, "(c) OpenStreetMap contributors" for OSM places)
    and a "Sources" link that lists each source in full in the side panel. Escaped."""
    furnish(m)
    attribution, listing = credits_markup(sources)
    m.get_root().html.add_child(_Raw(f"<div id='ig-sources' hidden>{listing}</div>"))
    if attribution:
        m.add_child(
            _Script(f"{m.get_name()}.attributionControl.addAttribution({_js(attribution)});")
        )
    return m


def _legends(m: folium.Map) -> list:
    if not hasattr(m, _LEGEND_KEY):
        setattr(m, _LEGEND_KEY, [])
    return getattr(m, _LEGEND_KEY)


def _register_legend(
    m: folium.Map,
    layer_name: str,
    title: str,
    items: Sequence[tuple[str, str]],
    *,
    note: str | None = None,
    group: str | None = None,
):
    """A legend for a layer: shown while the layer is on. Legends with the same ``group`` share
    one block under that title, a row per layer."""
    _legends(m).append((layer_name, title, list(items), note, group))


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


# what a hover shows: a few lines that fit on any screen
DEFAULT_AREA_TOOLTIP = {
    "name": "Area",
    "ward_name": "Ward",
    "risk_index": "Risk index (0-10)",
    "risk_decile": "Decile (1 = most at risk)",
    "priority_label": "Priority",
    "action_label": "What to do",
}
# what a click shows in the side panel: everything known about the area
DEFAULT_AREA_PANEL = {
    "name": "Area",
    "__code__": "Code",
    "ward_name": "Ward",
    "population": "Population",
    "residents_at_risk": "Residents at risk",
    "offline_text": "Adults likely offline",
    "risk_index": "Risk index (0-10)",
    "risk_rank": "Rank (1 = most at risk)",
    "risk_decile": "Decile (1 = most at risk)",
    "priority_label": "Priority",
    "action_label": "What to do",
    "work_through": "Work through",
    "top_barriers": "Top barriers",
    "nearest_support": "Nearest support",
    "access_level": "Access to help",
    "help_for_leading_focus": "Help for the main need",
    "hotspot_class": "Hotspot (Gi*)",
    "cluster_class": "Cluster (local Moran)",
}


_SHARED_KEY = "_inclusion_geo_area_data"


def _area_data(
    m: folium.Map, areas: gpd.GeoDataFrame, *, simplify_m: float, tooltip=None, panel=None
) -> _AreaData:
    """The shared data element for these areas on this map (created on first use, with the
    columns of the tooltip and the panel)."""
    shared = getattr(m, _SHARED_KEY, None)
    if shared is None:
        shared = {}
        setattr(m, _SHARED_KEY, shared)
        furnish(m)
    key = (tuple(areas.index), round(simplify_m, 3))
    if key not in shared:
        web = _web_geometries(areas, simplify_m=simplify_m)
        data = _AreaData(geometry_texts(web), areas.index)
        wanted = [*(tooltip or DEFAULT_AREA_TOOLTIP), *(panel or DEFAULT_AREA_PANEL)]
        for col in dict.fromkeys(wanted):
            if col == "__code__":
                data.set_property(col, pd.Series(areas.index.astype(str), index=areas.index))
            elif col in areas.columns:
                data.set_property(col, _display(areas[col]))
        m.add_child(data)
        shared[key] = data
    return shared[key]


def _fields(data: _AreaData, fields, default=DEFAULT_AREA_TOOLTIP) -> list[tuple[str, str]]:
    present = set(data.properties) if len(data.index) else set()
    return [(k, v) for k, v in (fields or default).items() if k in present]


def _views(data: _AreaData, tooltip, panel) -> dict:
    """The tooltip and panel fields of an interactive area layer."""
    return {
        "fields": _fields(data, tooltip),
        "panel": _fields(data, panel, DEFAULT_AREA_PANEL),
    }


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
    panel: Mapping[str, str] | None = None,
    legend_note: str | None = None,
    show: bool = True,
    simplify_m: float = 5.0,
) -> folium.Map:
    """A choropleth of ``column`` classified by ``scheme`` (quantiles, natural_breaks,
    equal_interval; mapclassify) in a colour-blind-safe sequential ColorBrewer palette.

    Hovering an area shows ``tooltip``'s fields (column: label; by default
    :data:`DEFAULT_AREA_TOOLTIP`), clicking it opens the side panel with ``panel``'s
    (:data:`DEFAULT_AREA_PANEL`). ``legend_note`` is a line under the legend's title. Area
    geometry is written into the page once per map, however many area layers use it.
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
    data = _area_data(m, areas, simplify_m=simplify_m, tooltip=tooltip, panel=panel)
    fill_key = f"__fill_{column}"
    data.set_property(
        fill_key, pd.Series([palette_hex[c] for c in classifier.yb], index=areas.index)
    )
    views = _views(data, tooltip, panel)
    _AreaLayer(data, name=name, fill_key=fill_key, show=show, **views).add_to(m)
    lower = [values.min(), *classifier.bins[:-1]]
    items = [
        (c, f"{lo:,.2f} to {hi:,.2f}")
        for c, lo, hi in zip(palette_hex, lower, classifier.bins, strict=True)
    ]
    _register_legend(m, name, f"{name} ({scheme.replace('_', ' ')})", items, note=legend_note)
    return m


def _add_categorical(
    m, areas, column, colours, *, name, tooltip, panel, show, simplify_m, where=None,
    labels=None, note=None,
):  # fmt: skip
    """Areas filled by category; ``where`` (a boolean Series) limits the layer to some areas,
    ``labels`` gives the legend's words for each category, ``note`` a line under its title."""
    require_columns(areas, [column], what="areas")
    data = _area_data(m, areas, simplify_m=simplify_m, tooltip=tooltip, panel=panel)
    fill_key = f"__fill_{column}"
    data.set_property(fill_key, areas[column].map(colours).fillna("#cccccc"))
    only = None
    if where is not None:
        only = f"__in_{column}_{name}"
        data.set_property(only, where.map({True: "yes", False: "no"}))
    views = _views(data, tooltip, panel)
    _AreaLayer(data, name=name, fill_key=fill_key, show=show, only=only, **views).add_to(m)
    present = set(areas[column] if where is None else areas.loc[where, column])
    counts = (areas[column] if where is None else areas.loc[where, column]).value_counts()
    _register_legend(
        m,
        name,
        name,
        [
            (c, f"{(labels or {}).get(key, key)} ({counts[key]:,})")
            for key, c in colours.items()
            if key in present
        ],
        note=note,
    )
    return m


def add_actions(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    *,
    column: str = "action",
    band_column: str = "priority_band",
    max_band: int = 2,
    name: str = "Priority areas: what to do",
    tooltip: Mapping[str, str] | None = None,
    panel: Mapping[str, str] | None = None,
    show: bool = True,
    simplify_m: float = 5.0,
) -> folium.Map:
    """Priority areas (band <= ``max_band``) coloured by their action: *gap* (no help within
    reach), *stretched*, *opportunity* (work through a nearby place) or not measured. The
    legend counts the areas of each."""
    require_columns(areas, [column, band_column], what="areas")
    return _add_categorical(
        m, areas, column, ACTION_COLOURS, name=name, tooltip=tooltip, panel=panel, show=show,
        simplify_m=simplify_m, where=areas[band_column] <= max_band, labels=ACTION_LEGEND,
        note=f"priority bands 1-{max_band}, by what to do (number of areas)",
    )  # fmt: skip


def add_hotspots(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    *,
    column: str = "hotspot_class",
    name: str = "Hotspots (Getis-Ord Gi*)",
    tooltip: Mapping[str, str] | None = None,
    panel: Mapping[str, str] | None = None,
    show: bool = False,
    simplify_m: float = 5.0,
) -> folium.Map:
    """Gi* hot and cold spots, 99/95/90 % confidence (ColorBrewer RdBu)."""
    return _add_categorical(
        m, areas, column, HOTSPOT_COLOURS, name=name, tooltip=tooltip, panel=panel, show=show,
        simplify_m=simplify_m, note="risk clustered high (hot) or low (cold) (number of areas)",
    )  # fmt: skip


def add_clusters(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    *,
    column: str = "cluster_class",
    name: str = "Clusters (local Moran's I)",
    tooltip: Mapping[str, str] | None = None,
    panel: Mapping[str, str] | None = None,
    show: bool = False,
    simplify_m: float = 5.0,
) -> folium.Map:
    """Local Moran's I cluster classes (High-High, Low-Low, High-Low, Low-High)."""
    return _add_categorical(
        m, areas, column, CLUSTER_COLOURS, name=name, tooltip=tooltip, panel=panel, show=show,
        simplify_m=simplify_m, note="an area's risk, then its neighbours' (number of areas)",
    )  # fmt: skip


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
    where = areas[column] <= max_band
    label = f"priority band 1-{max_band} ({int(where.sum()):,})"
    return add_outline(m, areas, where, name=name, label=label, show=show, simplify_m=simplify_m)


def add_outline(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    where: pd.Series,
    *,
    name: str,
    label: str,
    colour: str = "#000000",
    dash: str | None = None,
    show: bool = True,
    simplify_m: float = 5.0,
) -> folium.Map:
    """Thick outlines around the areas where ``where`` (a boolean Series) is true."""
    data = _area_data(m, areas, simplify_m=simplify_m)
    key = f"__outline{len(_legends(m))}"
    data.set_property(key, where.reindex(areas.index).fillna(False).map({True: "yes", False: "no"}))
    _AreaLayer(
        data, name=name, only=key, show=show, line=colour, weight=2.5, interactive=False,
        pane=LINE_PANE, dash=dash,
    ).add_to(m)  # fmt: skip
    _register_legend(m, name, name, [(f"outline:{colour}", label)])
    return m


def _marker_options(**style) -> dict:
    """A circle marker's Leaflet options, as ``folium.CircleMarker(fill=True, **style)`` sets
    them (radius, colours, weights)."""
    return folium.CircleMarker(fill=True, **style).options


def add_places(
    m: folium.Map,
    places: gpd.GeoDataFrame,
    *,
    name: str,
    colour: str,
    label: str,
    show: bool = True,
) -> folium.Map:
    """Places of a plan or scenario (new hubs, closed places) as large markers: ``places``
    has ``name`` and ``description`` (shown on click); every value is escaped."""
    require_columns(places, ["name", "description"], what="places")
    group = folium.FeatureGroup(name=_e(name), show=show)
    names, texts = _e_all(places["name"]), _e_all(places["description"])
    markup = {
        "label": names,
        "popup": [f"<b>{n}</b><br>{t}" for n, t in zip(names, texts, strict=True)],
    }
    marker = _marker_options(
        radius=10, color="#000000", weight=3, fill_color=colour, fill_opacity=0.9
    )
    group.add_child(
        _Features(
            geometry_texts(_web_geometries(places)),
            markup,
            tooltip=[("label", "")],
            popup=[("popup", "")],
            marker=marker,
        )
    )
    group.add_to(m)
    _register_legend(m, name, name, [("dot:" + colour, label)])
    return m


def add_wards(
    m: folium.Map,
    wards: gpd.GeoDataFrame,
    *,
    name_column: str = "name",
    name: str = "Wards",
    show: bool = True,
) -> folium.Map:
    """Ward boundaries with their names on hover (drawn above the areas, below the markers)."""
    ensure_panes(m)
    names = wards[name_column] if name_column in wards.columns else wards.index.to_series()
    group = folium.FeatureGroup(name=_e(name), show=show)
    style = {"fill": False, "color": "#333333", "weight": 1.6, "dashArray": "4 3"}
    group.add_child(
        _Features(
            geometry_texts(_web_geometries(wards, simplify_m=5.0)),
            {"ward": _e_all(names)},
            tooltip=[("ward", "Ward")],
            labels=True,
            style=style,
            pane=LINE_PANE,
        )
    )
    group.add_to(m)
    _register_legend(m, name, name, [("outline-dash:#333333", "ward boundary")])
    return m


TIER_NAMES = {1: "Digital support", 2: "Venue that could host", 3: "Context"}
TIER_LEGEND = {
    1: "Digital support: help to get online",
    2: "Venues that could host help",
    3: "Context: other places",
}


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
    names = _e_all(web.get("display_name", web["name"]))
    markup = {
        "popup": np.array(_popups(web, names), dtype=object),
        "label": np.array(names, dtype=object),
    }
    geometries = np.array(geometry_texts(web.geometry), dtype=object)
    category = web["category"].to_numpy()
    tier_of = web["tier"].to_numpy() if tiered else None
    for tier, cat in keys:
        colour = colour_of[cat]
        rows = np.flatnonzero(
            (category == cat) if tier is None else (category == cat) & (tier_of == tier)
        )
        label = str(cat).replace("_", " ")
        prefix = "Assets" if tier is None else f"{TIER_NAMES.get(tier, f'Tier {tier}')}"
        layer_name = f"{prefix}: {label} ({len(rows)})"
        visible = show if isinstance(show, bool) else cat in set(show)
        if tier is not None and show is True:
            visible = tier in set(show_tiers)
        group = folium.FeatureGroup(name=_e(layer_name), show=visible)
        use_cluster = len(rows) > 100 if cluster is None else cluster
        target = folium.plugins.MarkerCluster(control=False).add_to(group) if use_cluster else group
        marker = _marker_options(
            radius=6 if tier in (None, 1) else 4.5,
            color="#222222",
            weight=1.5 if tier == 1 else 1,
            fill_color=colour,
            fill_opacity=0.95 if tier in (None, 1, 2) else 0.6,
        )
        # already-escaped HTML: the popup and tooltip insert these strings as HTML
        target.add_child(
            _Features(
                geometries[rows],
                {k: v[rows] for k, v in markup.items()},
                tooltip=[("label", "")],
                popup=[("popup", "")],
                marker=marker,
            )
        )
        group.add_to(m)
        title = TIER_LEGEND.get(tier, prefix) if tier is not None else "Places (assets)"
        swatch = ("dot:" if tier in (None, 1) else "dot-small:") + colour
        note = "numbered circles: groups of places, zoom in" if use_cluster else None
        _register_legend(
            m, layer_name, title, [(swatch, f"{label} ({len(rows):,})")], note=note, group=title
        )
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
    given), off by default; ``name`` says what they are around. Drawn below the markers."""
    ensure_panes(m)
    subset = assets if category is None else assets[assets["category"] == category]
    subset = _web_geometries(subset)
    what = name or (category or "assets").replace("_", " ")
    layer_name = f"Catchments: {what} ({radius_m:g} m)"
    group = folium.FeatureGroup(name=_e(layer_name), show=show)
    group.add_child(_Circles(subset, radius_m))
    group.add_to(m)
    _register_legend(
        m, layer_name, layer_name, [("outline:#0072B2", f"{radius_m:g} m around each")]
    )
    return m


def add_search(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    *,
    fields: Sequence[str] = ("name", "ward_name"),
    panel: Mapping[str, str] | None = None,
    simplify_m: float = 5.0,
) -> folium.Map:
    """A search box over area and ward names (leaflet-search): the area found is zoomed to,
    outlined, and its details (``panel``'s fields) shown in the side panel."""
    present = [f for f in fields if f in areas.columns]
    data = _area_data(m, areas, simplify_m=simplify_m, panel=panel)
    text = pd.Series("", index=areas.index, dtype=object)
    for i, field in enumerate(present):
        text = text + (" | " if i else "") + areas[field].astype(str).astype(object)
    data.set_property("search", text)
    layer = _AreaLayer(data, name="search index", show=False, interactive=False)
    layer.control = False
    m.add_child(layer)
    m.add_child(_SearchControl(layer, _fields(data, panel, DEFAULT_AREA_PANEL)))
    return m


def finish_map(m: folium.Map, *, fullscreen: bool = True) -> folium.Map:
    """Add the layer control, the legend box (each legend shown while its layer is on) and the
    full-screen button. Call once, after the last layer."""
    furnish(m)
    if fullscreen:
        folium.plugins.Fullscreen(position="topleft").add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.get_root().html.add_child(_Raw(f"<div class='ig-legends'>{legend_blocks(_legends(m))}</div>"))
    m.add_child(_Script(f"{LEGEND_SYNC}({m.get_name()});"))
    return m


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write the map as one self-contained HTML file that works with no network."""
    _inline_dependencies(m)
    path = Path(path)
    m.save(str(path))
    return path

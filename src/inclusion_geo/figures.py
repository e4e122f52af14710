"""Static figures for reports (matplotlib): maps of the risk index, hotspots and what to do in
the priority areas, each with its legend outside the map and a scale bar; the score
distribution; domain contributions by ward; and per-ward maps and profiles.

Figures are drawn on an explicit Agg canvas (:class:`matplotlib.figure.Figure`), never through
``pyplot``: importing this module leaves a notebook's backend alone, and no figure is redrawn
until it is saved. Polygons are drawn as one collection per map (no per-polygon artists), and
the per-ward figures reuse one figure for every ward: the borough is classified once and each
ward is a crop of it, on the borough's colour scale.

Every text drawn is literal: each figure is built and saved with ``text.parse_math`` off, so a
``$`` in a name is never maths, and names are cleaned of control characters
(:func:`inclusion_geo._safe.clean_text`) that have no glyph.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.text import Text

from ._palette import ACTION_COLOURS, ACTION_LEGEND, HOTSPOT_COLOURS, quantile_bins
from ._palette import classify as _classify
from ._safe import clean_text
from ._validate import require_columns, to_bng

__all__ = [
    "choropleth_png",
    "hotspot_map_png",
    "action_map_png",
    "score_distribution_png",
    "domain_contributions_png",
    "ward_profile_png",
    "ward_maps_png",
    "ward_profiles_png",
    "quantile_bins",
    "HOTSPOT_COLOURS",
    "ACTION_COLOURS",
]

_OTHER_AREAS = "#eeeeee"
_EDGE = "#777777"
_TIER_MARKERS = {
    1: ("o", "#000000", "tier 1: digital support"),
    2: ("^", "#CC79A7", "tier 2: venue"),
}
# map axes and the legend beside them, in figure fractions (no "tight" pass: one draw a save)
_MAP_BOX = (0.01, 0.01, 0.64, 0.89)
_LEGEND_AT = (1.03, 1.0)  # axes fraction: just right of the map, at its top


def _literal_text(func):
    """Build and save the figure with maths parsing off, so every Text (titles, tick labels,
    legend entries, including those matplotlib creates while drawing) is shown as written."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
            return func(*args, **kwargs)

    return wrapper


class _Canvas(FigureCanvasAgg):
    """An Agg canvas that draws only when asked (a save): ``draw_idle`` is a no-op, so adding
    artists never renders the figure (geopandas' plotting calls it after every layer)."""

    def draw_idle(self, *args, **kwargs) -> None:
        pass


def _figure(figsize: tuple[float, float], *, layout: str | None = None) -> Figure:
    fig = Figure(figsize=figsize, layout=layout)
    _Canvas(fig)
    return fig


def _save(fig: Figure, path: str | Path, *, dpi: int) -> Path:
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path


# ------------------------------------------------------------------------------ geometry


def _polygon_paths(geoms) -> list[MplPath]:
    """One matplotlib path (holes included) per polygon or multipolygon, built with array
    operations from the coordinates; an empty or missing geometry gives an empty path."""
    geoms = np.asarray(geoms, dtype=object)
    # exteriors one way round and holes the other: the fill rule (non-zero) then leaves holes
    parts, part_of = shapely.get_parts(shapely.orient_polygons(geoms), return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_of = shapely.get_coordinates(rings, return_index=True)
    owner = part_of[ring_of][coord_of] if len(coords) else np.zeros(0, dtype=int)
    codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
    if len(coords):
        starts = np.r_[True, coord_of[1:] != coord_of[:-1]]
        codes[starts] = MplPath.MOVETO
        codes[np.r_[starts[1:], True]] = MplPath.CLOSEPOLY
    cuts = np.cumsum(np.bincount(owner, minlength=len(geoms)))[:-1]
    return [
        MplPath(v, c) if len(v) else MplPath(np.zeros((1, 2)), [MplPath.MOVETO])
        for v, c in zip(np.split(coords, cuts), np.split(codes, cuts), strict=True)
    ]


def _polygons(ax, geoms, facecolors, *, edgecolor=_EDGE, linewidth=0.2) -> PathCollection:
    coll = PathCollection(
        _polygon_paths(geoms), facecolors=facecolors, edgecolors=edgecolor, linewidths=linewidth
    )
    ax.add_collection(coll, autolim=False)
    return coll


def _outlines(ax, geoms, *, color="#222222", linewidth=0.8) -> PathCollection:
    coll = PathCollection(
        _polygon_paths(geoms), facecolors="none", edgecolors=color, linewidths=linewidth
    )
    ax.add_collection(coll, autolim=False)
    return coll


def _points(ax, points: gpd.GeoDataFrame | None, *, tiers: bool = False) -> list:
    """Asset points; with ``tiers``, tier 1 and tier 2 each with their own marker and legend
    entry (other tiers left off)."""
    if points is None or not len(points):
        return []
    pts = to_bng(points, what="points")
    xy = shapely.get_coordinates(pts.geometry.representative_point())
    if not tiers or "tier" not in pts:
        ax.scatter(xy[:, 0], xy[:, 1], s=8, c="#0072B2", edgecolors="white", linewidths=0.3, zorder=3)  # fmt: skip
        return []
    handles = []
    tier = pts["tier"].to_numpy(dtype=float, na_value=np.nan)
    for level, (marker, colour, label) in _TIER_MARKERS.items():
        mine = tier == level
        if mine.any():
            ax.scatter(xy[mine, 0], xy[mine, 1], s=14, marker=marker, c=colour, edgecolors="white", linewidths=0.4, zorder=3)  # fmt: skip
            handles.append(Line2D([], [], ls="", marker=marker, color=colour, markeredgecolor="white", label=label))  # fmt: skip
    return handles


def _view(ax, bounds, *, pad: float = 0.03) -> tuple[float, float, float, float]:
    """Set the axes to ``bounds`` (minx, miny, maxx, maxy) plus ``pad``, widened to the
    axes' shape so that metres are square; returns the limits set."""
    minx, miny, maxx, maxy = bounds
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    minx, maxx, miny, maxy = minx - pad * w, maxx + pad * w, miny - pad * h, maxy + pad * h
    fw, fh = ax.figure.get_size_inches()
    pos = ax.get_position()
    shape = (pos.height * fh) / (pos.width * fw)  # height / width of the axes box
    w, h = maxx - minx, maxy - miny
    if h / w < shape:
        extra = (w * shape - h) / 2
        miny, maxy = miny - extra, maxy + extra
    else:
        extra = (h / shape - w) / 2
        minx, maxx = minx - extra, maxx + extra
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="datalim")
    return minx, miny, maxx, maxy


def _scale_bar(ax, limits) -> list:
    """A scale bar of a round length (metres; British National Grid) in the lower left;
    returns its artists."""
    x0, y0, x1, y1 = limits
    nice = [100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000]
    length = max([n for n in nice if n <= (x1 - x0) / 4] or [nice[0]])
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    (bar,) = ax.plot([x, x + length], [y, y], color="black", lw=3, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    text = ax.text(x + length / 2, y + 0.012 * (y1 - y0), label, ha="center", va="bottom", fontsize=8)  # fmt: skip
    return [bar, text]


def _title(ax, text: str, *, fontsize: float, pad: float = 6) -> None:
    """The axes' title (``ax.get_title()``), cleaned, aligned with the axes' left edge."""
    ax.set_title(clean_text(text), fontsize=fontsize, pad=pad)
    ax.title.set_horizontalalignment("left")
    ax.title.set_x(0.0)


def _map_axes(figsize: tuple[float, float]):
    fig = _figure(figsize)
    ax = fig.add_axes(_MAP_BOX)
    ax.set_axis_off()
    return fig, ax


def _legend(ax, handles: Sequence, title: str, *, fontsize: float = 7) -> None:
    ax.legend(
        handles=list(handles), loc="upper left", bbox_to_anchor=_LEGEND_AT, frameon=False,
        fontsize=fontsize, title=clean_text(title), title_fontsize=fontsize + 1, alignment="left",
    )  # fmt: skip


# ------------------------------------------------------------------------------ classes


def _class_colours(n: int, cmap: str) -> np.ndarray:
    return matplotlib.colormaps[cmap](np.linspace(0, 1, n) if n > 1 else [0.5])


def _class_handles(values, bins: np.ndarray, colours: np.ndarray) -> list[Patch]:
    lows = np.r_[np.nanmin(np.asarray(values, dtype=float)), bins[:-1]]
    return [
        Patch(facecolor=c, edgecolor=_EDGE, linewidth=0.3, label=f"{lo:.2f} to {hi:.2f}")
        for lo, hi, c in zip(lows, bins, colours, strict=True)
    ]


# ------------------------------------------------------------------------------ maps


@_literal_text
def choropleth_png(
    areas: gpd.GeoDataFrame,
    column: str,
    path: str | Path,
    *,
    title: str = "",
    scheme: str = "quantiles",
    k: int = 5,
    cmap: str = "YlOrRd",
    bins: Sequence[float] | None = None,
    outline: gpd.GeoDataFrame | None = None,
    points: gpd.GeoDataFrame | None = None,
    figsize: tuple[float, float] = (8, 6),
) -> Path:
    """A choropleth PNG of ``column`` in quantile classes (``bins``: given upper class
    bounds instead), with its legend beside the map, a scale bar and optional outlines
    (e.g. wards) and points (e.g. assets)."""
    if scheme != "quantiles":
        raise ValueError(f"scheme={scheme!r} is not supported here; use scheme='quantiles'.")
    require_columns(areas, [column], what="areas")
    bng = to_bng(areas, what="areas")
    values = bng[column].to_numpy(dtype=float)
    bins = np.asarray(bins, dtype=float) if bins is not None else quantile_bins(values, k)
    colours = _class_colours(len(bins), cmap)
    fig, ax = _map_axes(figsize)
    _polygons(ax, bng.geometry.array, colours[_classify(values, bins)])
    if outline is not None:
        _outlines(ax, to_bng(outline, what="outline").geometry.array)
    _points(ax, points)
    _legend(ax, _class_handles(values, bins, colours), column.replace("_", " "))
    _scale_bar(ax, _view(ax, bng.total_bounds))
    _title(ax, title, fontsize=10)
    return _save(fig, path, dpi=110)


def _categorical_png(
    bng: gpd.GeoDataFrame, classes: pd.Series, colours: Mapping[str, str], labels: Mapping[str, str],
    path, *, title: str, legend_title: str, outline, points=None, tiers=False, figsize=(8, 6),
    other: str | None = None,
) -> Path:  # fmt: skip
    """Areas coloured by a class (a class not in ``colours`` is ``other``, light grey)."""
    fill = classes.map(colours).fillna(_OTHER_AREAS).to_numpy()
    fig, ax = _map_axes(figsize)
    _polygons(ax, bng.geometry.array, list(fill))
    if outline is not None:
        _outlines(ax, to_bng(outline, what="outline").geometry.array, linewidth=0.6)
    marks = _points(ax, points, tiers=tiers)
    present = set(classes.dropna())
    handles = [
        Patch(facecolor=c, edgecolor=_EDGE, linewidth=0.3, label=labels.get(key, key))
        for key, c in colours.items()
        if key in present
    ]
    if other and (~classes.isin(list(colours))).any():
        handles.append(Patch(facecolor=_OTHER_AREAS, edgecolor=_EDGE, linewidth=0.3, label=other))
    _legend(ax, handles + marks, legend_title)
    _scale_bar(ax, _view(ax, bng.total_bounds))
    _title(ax, title, fontsize=10)
    return _save(fig, path, dpi=110)


@_literal_text
def hotspot_map_png(
    areas: gpd.GeoDataFrame,
    path: str | Path,
    *,
    column: str = "hotspot_class",
    title: str = "",
    outline: gpd.GeoDataFrame | None = None,
    figsize: tuple[float, float] = (8, 6),
) -> Path:
    """Hot and cold spots of risk (Getis-Ord Gi* classes, as on the interactive map), with a
    legend, a scale bar and optional outlines (e.g. wards)."""
    require_columns(areas, [column], what="areas")
    bng = to_bng(areas, what="areas")
    return _categorical_png(
        bng, bng[column].astype(object), HOTSPOT_COLOURS, {}, path, title=title,
        legend_title="Hotspots of risk (Gi*)", outline=outline, figsize=figsize,
    )  # fmt: skip


@_literal_text
def action_map_png(
    areas: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame | None,
    path: str | Path,
    *,
    column: str = "action",
    band_column: str = "priority_band",
    max_band: int = 2,
    title: str = "",
    outline: gpd.GeoDataFrame | None = None,
    figsize: tuple[float, float] = (8, 6),
) -> Path:
    """Priority areas (band <= ``max_band``) coloured by what to do there (gap, stretched,
    opportunity), other areas grey, with tier-1 (digital support) and tier-2 (venue) places
    as points, a legend and a scale bar."""
    require_columns(areas, [column, band_column], what="areas")
    bng = to_bng(areas, what="areas")
    classes = bng[column].astype(object).where(bng[band_column] <= max_band)
    places = None
    if assets is not None and len(assets) and "tier" in assets:
        places = assets[assets["tier"].isin([1, 2]).fillna(False).to_numpy(dtype=bool)]
    return _categorical_png(
        bng, classes, ACTION_COLOURS, ACTION_LEGEND, path, title=title,
        legend_title="Priority areas: what to do", outline=outline, points=places, tiers=True,
        figsize=figsize, other="not a priority area",
    )  # fmt: skip


class _Frames:
    """Many PNGs of one figure: the artists that do not change (legend, axes, ticks) are drawn
    once; each frame restores that background and draws only ``dynamic`` artists and the
    frame's own, in order. Each frame is encoded and written (as ``savefig`` would, without its
    full redraw) in a second thread while the next is drawn: PNG encoding releases the GIL.
    Use as a context manager: leaving it waits for every file and raises the first error."""

    def __init__(self, fig: Figure, dynamic: Sequence) -> None:
        self.fig, self.dynamic = fig, list(dynamic)
        # texts (titles) stay visible but blank, so that the axes place them while drawing
        texts = {a: a.get_text() for a in self.dynamic if isinstance(a, Text)}
        for artist in self.dynamic:
            artist.set_text(" ") if artist in texts else artist.set_visible(False)
        fig.canvas.draw()
        self.background = fig.canvas.copy_from_bbox(fig.bbox)
        for artist in self.dynamic:
            artist.set_text(texts[artist]) if artist in texts else artist.set_visible(True)
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending = []

    def __enter__(self) -> _Frames:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True)
        for job in self._pending:
            job.result()  # raises the first failure (e.g. a folder that cannot be written)

    def save(self, path: str | Path, extra: Sequence = ()) -> Path:
        canvas = self.fig.canvas
        canvas.restore_region(self.background)
        for artist in [*self.dynamic, *extra]:
            self.fig.draw_artist(artist)
        path = Path(path)
        pixels = np.array(canvas.buffer_rgba())  # a copy: the next frame reuses the buffer
        self._pending.append(self._pool.submit(
            matplotlib.image.imsave, path, pixels, format="png", origin="upper", dpi=self.fig.dpi,
        ))  # fmt: skip
        return path


_WHITE, _INK = np.array([1.0, 1.0, 1.0, 1.0]), np.array([0.102, 0.102, 0.102, 1.0])


def _text_path(text: str, *, size: float) -> MplPath:
    """``text`` as glyph outlines (literal: never parsed as maths), ``size`` points high,
    centred on (0, 0), in points."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    vertices, codes = text_to_path.get_text_path(FontProperties(size=size), text, ismath=False)
    vertices = np.asarray(vertices, dtype=float).reshape(-1, 2)
    if not len(vertices):
        return MplPath(np.zeros((1, 2)))
    scale = size / text_to_path.FONT_SCALE
    vertices = vertices * scale
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    return MplPath(vertices - (lo + hi) / 2, codes)


class _Labels(PathCollection):
    """Text labels as one collection of glyph outlines; ``texts`` says what they read."""

    def __init__(self, texts: list[str], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.texts = list(texts)


def _labels(ax, texts: list[str], paths: list, xy: np.ndarray, colours: np.ndarray) -> _Labels:
    """``texts`` drawn as one collection of their glyph outlines (``paths``, from
    :func:`_text_path`), each centred on its point of ``xy`` (data coordinates), at a constant
    size in points: one draw for all of them instead of one text layout and rendering each
    (a third of a ward map's time)."""
    from matplotlib.transforms import Affine2D

    labels = _Labels(
        texts, paths, offsets=xy, offset_transform=ax.transData, facecolors=colours,
        edgecolors="none", linewidths=0,
    )  # fmt: skip
    labels.set_transform(Affine2D().scale(ax.figure.dpi / 72.0))
    ax.add_collection(labels, autolim=False)
    return labels


def _short_names(names: pd.Series) -> tuple[pd.Series, str]:
    """Area names without the words all of them start with ("Leeds 001A" -> "001A"), and
    those words."""
    text = names.astype(str).map(clean_text)
    prefix = os.path.commonprefix(text.tolist()) if len(text) > 1 else ""
    prefix = prefix[: prefix.rfind(" ") + 1]
    if prefix and (text.str.len() > len(prefix)).all():
        return text.str.slice(len(prefix)), prefix.strip()
    return text, ""


def _overlapping(bounds: np.ndarray, limits) -> np.ndarray:
    x0, y0, x1, y1 = limits
    return (bounds[:, 2] >= x0) & (bounds[:, 0] <= x1) & (bounds[:, 3] >= y0) & (bounds[:, 1] <= y1)


@_literal_text
def ward_maps_png(
    areas: gpd.GeoDataFrame,
    column: str,
    paths: Mapping[str, str | Path],
    *,
    ward_column: str = "ward_code",
    titles: Mapping[str, str] | None = None,
    bins: Sequence[float] | None = None,
    k: int = 5,
    cmap: str = "YlOrRd",
    ward_boundaries: gpd.GeoDataFrame | None = None,
    points: gpd.GeoDataFrame | None = None,
    labels: str | None = "name",
    figsize: tuple[float, float] = (6, 4.5),
    dpi: int = 100,
) -> list[Path]:
    """One map per ward (``paths``: ward code -> PNG), each a crop of the borough on the
    borough's colour scale (``bins``, or ``k`` quantile classes of all ``areas``): the ward's
    areas labelled and the ward outlined, neighbouring areas faded for context, tier-1 and
    tier-2 ``points`` marked, the legend beside the map and a scale bar.

    The borough's polygons are converted and classified once; one figure serves every ward,
    its legend drawn once and each ward's view drawn over it (the areas in view only).
    """
    require_columns(areas, [column, ward_column], what="areas")
    bng = to_bng(areas, what="areas")
    values = bng[column].to_numpy(dtype=float)
    bins = np.asarray(bins, dtype=float) if bins is not None else quantile_bins(values, k)
    colours = _class_colours(len(bins), cmap)
    fill = colours[_classify(values, bins)]
    dark = (fill[:, :3] @ [0.299, 0.587, 0.114]) < 0.45  # white labels on dark classes
    area_paths = _polygon_paths(bng.geometry.array)
    bounds = shapely.bounds(bng.geometry.array)
    label_xy = shapely.get_coordinates(bng.geometry.representative_point())
    names, dropped = (
        _short_names(bng[labels]) if labels and labels in bng
        else (pd.Series(bng.index.astype(str), index=bng.index), "")
    )  # fmt: skip
    label_paths = [_text_path(name, size=5.5) for name in names]
    ward_paths, ward_bounds, ward_codes = [], np.zeros((0, 4)), np.array([], dtype=object)
    if ward_boundaries is not None and len(ward_boundaries):
        wards = to_bng(ward_boundaries, what="ward_boundaries")
        ward_paths = _polygon_paths(wards.geometry.array)
        ward_bounds, ward_codes = shapely.bounds(wards.geometry.array), wards.index.to_numpy()

    fig = _figure(figsize)
    fig.set_dpi(dpi)
    ax = fig.add_axes(_MAP_BOX)
    ax.set_axis_off()
    coll = PathCollection([], edgecolors=_EDGE, linewidths=0.3)
    others = PathCollection([], facecolors="none", edgecolors="#555555", linewidths=0.5)
    mine_line = PathCollection([], facecolors="none", edgecolors="#000000", linewidths=1.6)
    for c in (coll, others, mine_line):
        ax.add_collection(c, autolim=False)
    before = len(ax.collections)
    marks = _points(ax, points, tiers=True)
    dots = ax.collections[before:]
    _legend(ax, _class_handles(values, bins, colours) + marks, f"{column.replace('_', ' ')} (borough classes)")  # fmt: skip
    if dropped:
        ax.text(1.03, 0.0, f"areas labelled by name\nwithout '{dropped}'", transform=ax.transAxes,
                fontsize=6.5, va="bottom", ha="left", color="#444444")  # fmt: skip
    _title(ax, " ", fontsize=9)
    codes = bng[ward_column].to_numpy()
    written = []
    with _Frames(fig, [coll, others, mine_line, *dots, ax.title]) as frames:
        for code, path in paths.items():
            mine = codes == code
            if not mine.any():
                continue
            b = bounds[mine]
            limits = _view(
                ax, (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()), pad=0.06
            )
            seen = np.flatnonzero(_overlapping(bounds, limits))
            face = fill[seen].copy()
            face[~mine[seen], 3] = 0.4  # neighbours faded
            coll.set_paths([area_paths[i] for i in seen])
            coll.set_facecolor(face)
            near = np.flatnonzero(_overlapping(ward_bounds, limits))
            others.set_paths([ward_paths[i] for i in near if ward_codes[i] != code])
            mine_line.set_paths([ward_paths[i] for i in near if ward_codes[i] == code])
            extra = _scale_bar(ax, limits)
            own = np.flatnonzero(mine)
            extra.append(_labels(
                ax, [names.iloc[i] for i in own], [label_paths[i] for i in own], label_xy[own],
                np.where(dark[own, None], _WHITE, _INK),
            ))  # fmt: skip
            ax.title.set_text(clean_text((titles or {}).get(code, code)))
            written.append(frames.save(path, extra))
            for artist in extra:
                artist.remove()
    return written


# ------------------------------------------------------------------------------ charts


@_literal_text
def score_distribution_png(areas: pd.DataFrame, path: str | Path, *, title: str = "") -> Path:
    """Histogram of the risk index with the decile cut points marked."""
    require_columns(areas, ["risk_index", "risk_decile"], what="areas")
    fig = _figure((7, 3.5))
    ax = fig.add_axes((0.09, 0.14, 0.88, 0.76))
    ax.hist(areas["risk_index"], bins=40, color="#E69F00", edgecolor="white")
    cuts = areas.groupby("risk_decile")["risk_index"].min().sort_index()
    for decile, value in cuts.items():
        if decile <= 2:
            ax.axvline(value, color="#b2182b", ls="--", lw=1)
            ax.text(value, ax.get_ylim()[1] * 0.95, f" decile {decile}", color="#b2182b", fontsize=7, va="top")  # fmt: skip
    ax.set_xlabel("risk index (0-10)")
    ax.set_ylabel("areas")
    ax.set_title(clean_text(title), fontsize=10)
    return _save(fig, path, dpi=110)


@_literal_text
def domain_contributions_png(
    wards: pd.DataFrame, shares: dict[str, float], path: str | Path, *, title: str = ""
) -> Path:
    """Stacked bars: each ward's population-weighted mean index split into domain contributions
    (domain score x domain share), wards sorted by index."""
    cols = [f"domain_{d}" for d in shares if f"domain_{d}" in wards]
    parts = pd.DataFrame(
        {c: wards[c].to_numpy(dtype=float) * shares[c.removeprefix("domain_")] for c in cols}
    )
    names = [clean_text(n) for n in (wards["name"] if "name" in wards else wards.index)]
    order = np.argsort(parts.sum(axis=1).to_numpy(), kind="stable")  # names may repeat
    # margins from the longest ward name (a "tight" layout would draw the figure twice)
    width, height = 7.0, max(3.0, 0.22 * len(parts) + 1)
    left = min(0.45, (0.25 + 0.055 * max([len(n) for n in names] or [1])) / width)
    fig = _figure((width, height))
    ax = fig.add_axes((left, 0.55 / height, 0.97 - left, 1 - 0.95 / height))
    colours = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7"]
    y = np.arange(len(order))
    left = np.zeros(len(order))
    for i, col in enumerate(cols):
        width = parts[col].to_numpy()[order]
        label = clean_text(col.removeprefix("domain_"))
        ax.barh(y, width, left=left, height=0.8, color=colours[i % len(colours)], label=label)
        left += np.nan_to_num(width)
    ax.set_yticks(y, [names[i] for i in order], fontsize=7)
    ax.set_ylim(-0.6, len(order) - 0.4)
    ax.set_xlabel("contribution to the ward's mean risk index")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(clean_text(title), fontsize=10)
    return _save(fig, path, dpi=110)


def _profile_figure(la_mean: pd.Series, *, dpi: int = 100):
    """The domain bars of a ward profile: the local authority's bars, and the ward's (returned,
    width 0) to be set for each ward; the legend above the bars, beside the title."""
    domains = [c for c in la_mean.index if c.startswith("domain_")]
    labels = [clean_text(d.removeprefix("domain_").replace("_", " ")) for d in domains]
    y = np.arange(len(domains))
    height = 0.42 * len(domains) + 1.1
    fig = _figure((5, height))
    fig.set_dpi(dpi)
    left = min(0.5, (0.2 + 0.065 * max([len(s) for s in labels] or [1])) / 5)  # tick labels
    ax = fig.add_axes((left, 0.5 / height, 0.96 - left, 1 - 1.1 / height))
    bars = ax.barh(y + 0.2, np.zeros(len(domains)), height=0.4, color="#D55E00", label="ward")
    ax.barh(y - 0.2, [la_mean[d] for d in domains], height=0.4, color="#999999", label="local authority")  # fmt: skip
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_ylim(-0.6, len(domains) - 0.4)
    ax.set_xlim(0, 10)
    ax.set_xlabel("domain score (0-10)", fontsize=8, labelpad=2)
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, frameon=False,
              borderaxespad=0.1)  # fmt: skip
    _title(ax, " ", fontsize=9, pad=16)
    return fig, ax, domains, list(bars), ax.title


@_literal_text
def ward_profile_png(
    ward_row: pd.Series, la_mean: pd.Series, path: str | Path, *, title: str = ""
) -> Path:
    """Bars of a ward's domain scores against the local authority's (population-weighted)."""
    fig, ax, domains, bars, text = _profile_figure(la_mean)
    for bar, d in zip(bars, domains, strict=True):
        bar.set_width(float(ward_row[d]))
    text.set_text(clean_text(title))
    return _save(fig, path, dpi=100)


@_literal_text
def ward_profiles_png(
    wards: pd.DataFrame,
    la_mean: pd.Series,
    paths: Sequence[str | Path],
    *,
    titles: Sequence[str] | None = None,
) -> list[Path]:
    """For each row of ``wards`` (one path each), bars of its domain scores against the local
    authority's: the chart is drawn once and only each ward's bars and title drawn over it."""
    fig, ax, domains, bars, text = _profile_figure(la_mean)
    written = []
    with _Frames(fig, [*bars, ax.spines["left"], text]) as frames:
        for i, path in enumerate(paths):
            row = wards.iloc[i]
            for bar, d in zip(bars, domains, strict=True):
                bar.set_width(float(row[d]))
            text.set_text(clean_text(titles[i] if titles else ""))
            written.append(frames.save(path))
    return written

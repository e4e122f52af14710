"""Static figures for reports (matplotlib): a choropleth with legend and scale bar, the score
distribution, domain contributions by ward, and per-ward profile figures.

Every text drawn is literal: each figure is built and saved with ``text.parse_math`` off, so a
``$`` in a name is never maths, and names are cleaned of control characters
(:func:`inclusion_geo._safe.clean_text`) that have no glyph.
"""

from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ._safe import clean_text  # noqa: E402
from ._validate import require_columns, to_bng  # noqa: E402

__all__ = [
    "choropleth_png",
    "score_distribution_png",
    "domain_contributions_png",
    "ward_profile_png",
]


def _literal_text(func):
    """Build and save the figure with maths parsing off, so every Text (titles, tick labels,
    legend entries, including those matplotlib creates while drawing) is shown as written."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
            return func(*args, **kwargs)

    return wrapper


def _scale_bar(ax, extent_m: float) -> None:
    """A scale bar of a round length (metres; British National Grid) in the lower left."""
    nice = [100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000]
    length = max([n for n in nice if n <= extent_m / 4] or [nice[0]])
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([x, x + length], [y, y], color="black", lw=3, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x + length / 2, y + 0.015 * (y1 - y0), label, ha="center", va="bottom", fontsize=8)


def _save(fig, path: str | Path, *, dpi: int) -> Path:
    path = Path(path)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path


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
    outline: gpd.GeoDataFrame | None = None,
    points: gpd.GeoDataFrame | None = None,
    figsize: tuple[float, float] = (7, 7),
) -> Path:
    """A choropleth PNG with a classified legend, a scale bar and optional outlines and points."""
    require_columns(areas, [column], what="areas")
    bng = to_bng(areas, what="areas")
    fig, ax = plt.subplots(figsize=figsize)
    bng.plot(
        column=column, scheme=scheme, k=min(k, int(bng[column].nunique())), cmap=cmap, legend=True,
        edgecolor="#777777", linewidth=0.2, ax=ax,
        legend_kwds={"loc": "upper left", "fontsize": 7, "title": clean_text(column.replace("_", " ")), "title_fontsize": 8},
    )  # fmt: skip
    if outline is not None:
        to_bng(outline, what="outline").boundary.plot(ax=ax, color="#222222", linewidth=0.8)
    if points is not None and len(points):
        to_bng(points, what="points").plot(
            ax=ax, markersize=8, color="#0072B2", edgecolor="white", linewidth=0.3
        )
    minx, miny, maxx, maxy = bng.total_bounds
    _scale_bar(ax, max(maxx - minx, maxy - miny))
    ax.set_axis_off()
    ax.set_title(clean_text(title), fontsize=10)
    return _save(fig, path, dpi=110)


@_literal_text
def score_distribution_png(areas: pd.DataFrame, path: str | Path, *, title: str = "") -> Path:
    """Histogram of the risk index with the decile cut points marked."""
    require_columns(areas, ["risk_index", "risk_decile"], what="areas")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.hist(areas["risk_index"], bins=40, color="#E69F00", edgecolor="white")
    cuts = areas.groupby("risk_decile")["risk_index"].min().sort_index()
    for decile, value in cuts.items():
        if decile <= 2:
            ax.axvline(value, color="#b2182b", ls="--", lw=1)
            ax.text(
                value,
                ax.get_ylim()[1] * 0.95,
                f" decile {decile}",
                color="#b2182b",
                fontsize=7,
                va="top",
            )
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
        {
            clean_text(c.removeprefix("domain_")): wards[c] * shares[c.removeprefix("domain_")]
            for c in cols
        }
    )
    parts.index = [clean_text(n) for n in (wards["name"] if "name" in wards else wards.index)]
    parts = parts.iloc[np.argsort(parts.sum(axis=1).to_numpy(), kind="stable")]  # names may repeat
    fig, ax = plt.subplots(figsize=(7, max(3, 0.22 * len(parts) + 1)))
    colours = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7"]
    parts.plot.barh(stacked=True, ax=ax, color=colours[: len(parts.columns)], width=0.8)
    ax.set_xlabel("contribution to the ward's mean risk index")
    ax.set_ylabel("")
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(clean_text(title), fontsize=10)
    return _save(fig, path, dpi=110)


@_literal_text
def ward_profile_png(
    ward_row: pd.Series, la_mean: pd.Series, path: str | Path, *, title: str = ""
) -> Path:
    """Bars of a ward's domain scores against the local authority's (population-weighted)."""
    domains = [c for c in la_mean.index if c.startswith("domain_")]
    labels = [clean_text(d.removeprefix("domain_").replace("_", " ")) for d in domains]
    y = np.arange(len(domains))
    fig, ax = plt.subplots(figsize=(5, 0.45 * len(domains) + 1))
    ax.barh(y + 0.2, [ward_row[d] for d in domains], height=0.4, color="#D55E00", label="ward")
    ax.barh(
        y - 0.2, [la_mean[d] for d in domains], height=0.4, color="#999999", label="local authority"
    )
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 10)
    ax.set_xlabel("domain score (0-10)")
    ax.legend(fontsize=7)
    ax.set_title(clean_text(title), fontsize=9)
    return _save(fig, path, dpi=100)

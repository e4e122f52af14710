"""The project's colours and classes, in one place: the interactive map and the static
figures use the same palettes and the same class bounds, so a hot spot, a gap or a risk class
looks the same on screen and in a report."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

__all__ = [
    "OKABE_ITO",
    "OKABE_ITO_EXTENDED",
    "HOTSPOT_COLOURS",
    "CLUSTER_COLOURS",
    "ACTION_COLOURS",
    "ACTION_LEGEND",
    "Classes",
    "quantile_bins",
    "equal_interval_bins",
    "classify",
]

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


# --- classes ----------------------------------------------------------------------------------
# Quantile and equal-interval classes as mapclassify computes them (tests compare the two), in a
# few lines of numpy: importing mapclassify takes about 2 s (it loads scikit-learn, scipy.stats
# and pyplot), which a map on its own would otherwise pay. Natural breaks still use mapclassify.


class Classes(NamedTuple):
    """Class upper bounds (``bins``) and each value's class (``yb``, 0 = lowest), the two
    attributes of a mapclassify classifier that the map uses."""

    bins: np.ndarray
    yb: np.ndarray


def quantile_bins(values, k: int = 5) -> np.ndarray:
    """Upper bounds of ``k`` quantile classes, as ``mapclassify.Quantiles`` computes them:
    repeated bounds collapse, so there may be fewer than ``k``."""
    y = np.asarray(values, dtype=float)
    y = y[np.isfinite(y)]
    if not y.size:
        return np.array([0.0])
    return np.unique(np.percentile(y, np.linspace(100 / k, 100, k)))


def equal_interval_bins(values, k: int = 5) -> np.ndarray:
    """Upper bounds of ``k`` classes of equal width from the least to the greatest value, as
    ``mapclassify.EqualInterval`` computes them."""
    y = np.asarray(values, dtype=float)
    y = y[np.isfinite(y)]
    if not y.size:
        return np.array([0.0])
    low, high = float(y.min()), float(y.max())
    bins = low + (high - low) * np.arange(1, k + 1) / k
    bins[-1] = high
    return bins


def classify(values, bins: np.ndarray) -> np.ndarray:
    """Class of each value (0 = lowest: a value belongs to the first class whose upper bound
    it does not exceed); values beyond the last bound go in the top class."""
    y = np.asarray(values, dtype=float)
    return np.minimum(np.searchsorted(bins, y, side="left"), len(bins) - 1)


def quantile_classes(values, k: int) -> Classes:
    """:func:`quantile_bins` and :func:`classify` together; warns, as mapclassify does, when
    ties leave fewer than ``k`` classes."""
    bins = quantile_bins(values, k)
    if len(bins) < k:
        warnings.warn(
            f"Not enough unique values in array to form {k} classes. Setting k to {len(bins)}.",
            UserWarning,
            stacklevel=3,
        )
    return Classes(bins, classify(values, bins))


def equal_interval_classes(values, k: int) -> Classes:
    """:func:`equal_interval_bins` and :func:`classify` together."""
    bins = equal_interval_bins(values, k)
    return Classes(bins, classify(values, bins))

"""The project's colours, in one place: the interactive map and the static figures use the
same palettes, so a hot spot or a gap looks the same on screen and in a report."""

from __future__ import annotations

__all__ = [
    "OKABE_ITO",
    "OKABE_ITO_EXTENDED",
    "HOTSPOT_COLOURS",
    "CLUSTER_COLOURS",
    "ACTION_COLOURS",
    "ACTION_LEGEND",
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

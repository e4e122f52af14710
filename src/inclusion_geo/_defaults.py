"""Defaults written once: the config file, the command line and the functions they call all take
them from here. Imports nothing, so any module can use it."""

from __future__ import annotations

__all__ = [
    "BASEMAPS",
    "DEFAULT_CATCHMENTS_M",
    "DEFAULT_CIRCUITY",
    "DEFAULT_PERMUTATIONS",
    "DEFAULT_SEED",
    "DEFAULT_TILES",
]

#: short and long catchments in metres: about a 10- and a 20-minute walk
DEFAULT_CATCHMENTS_M: tuple[float, float] = (800.0, 1600.0)
#: conditional permutations for hotspot inference (pseudo p-values down to 0.001)
DEFAULT_PERMUTATIONS = 999
DEFAULT_SEED = 0
#: network distance / straight-line distance; 1.0 = straight lines
DEFAULT_CIRCUITY = 1.0
#: the basemaps :data:`inclusion_geo.mapping.TILES` knows (kept here so that checking a config
#: does not import folium; a test checks the two agree)
BASEMAPS = ("none", "OpenStreetMap", "CartoDB positron")
DEFAULT_TILES = "none"

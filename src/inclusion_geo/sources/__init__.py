"""Loaders for the open data analysts already use, one module per publisher. Each reads the
published layout (quirks included) from a local ``path`` and returns a tidy frame indexed by the
GSS code of its geography; downloads go through :mod:`inclusion_geo._fetch`."""

from .assets import (
    TAXONOMY,
    categorise_tags,
    fetch_osm_assets,
    overpass_query,
    read_asset_table,
    read_osm_layers,
)
from .boundaries import detect_code_column, fetch_ons_boundaries, read_boundaries
from .census import (
    TABLES,
    aggregate_counts,
    load_census_table,
    load_census_tables,
    load_nomis_export,
)
from .imd import load_composite_uk_imd, load_imd2019, load_iod
from .lookups import (
    areas_in,
    load_area_lookup,
    load_centroids,
    load_lsoa_change_lookup,
    load_oa_lsoa_lookup,
)
from .ofcom import load_ofcom_coverage, load_ofcom_performance
from .reference import IUC_UNENGAGED, load_caci_vulnerability, load_deri, load_iuc
from .register import read_register, write_register

__all__ = [
    "IUC_UNENGAGED",
    "load_caci_vulnerability",
    "load_deri",
    "load_iuc",
    "TAXONOMY",
    "TABLES",
    "aggregate_counts",
    "areas_in",
    "categorise_tags",
    "detect_code_column",
    "fetch_ons_boundaries",
    "fetch_osm_assets",
    "load_area_lookup",
    "load_census_table",
    "load_census_tables",
    "load_centroids",
    "load_composite_uk_imd",
    "load_imd2019",
    "load_iod",
    "load_lsoa_change_lookup",
    "load_nomis_export",
    "load_oa_lsoa_lookup",
    "load_ofcom_coverage",
    "load_ofcom_performance",
    "overpass_query",
    "read_asset_table",
    "read_boundaries",
    "read_osm_layers",
    "read_register",
    "write_register",
]

"""Boundary files (GeoJSON, GeoPackage, Shapefile, GeoParquet) and the ONS Open Geography Portal.

:func:`read_boundaries` finds the code column (``LSOA11CD``, ``LSOA21CD``, ``WD13CD``,
``LAD22CD`` ...), indexes by it (lower case, which names the geography and its vintage), and
returns polygons in EPSG:27700. Invalid polygons are repaired with ``make_valid`` and counted in
a warning; empty ones are an error.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .._errors import DataQualityError, InclusionGeoError, UnknownCodeError
from .._text import clean_names
from .._validate import BNG
from ._read import as_path

__all__ = ["read_boundaries", "detect_code_column", "ONS_SERVICES", "fetch_ons_boundaries"]

_CODE = re.compile(r"^(oa|lsoa|msoa|wd|lad|cty|ward)(\d{2})cd$", re.IGNORECASE)
_ORDER = ["oa", "lsoa", "msoa", "wd", "ward", "lad", "cty"]


def detect_code_column(columns) -> str:
    """The finest-grained GSS code column, e.g. ``OA11CD`` over ``LAD11CD``."""
    found = [(c, _CODE.match(str(c))) for c in columns]
    found = [(c, m) for c, m in found if m]
    if not found:
        raise InclusionGeoError(
            f"No area code column found among {list(columns)[:10]}; expected e.g. LSOA11CD, "
            "LSOA21CD, WD24CD or LAD22CD. Pass code_column= to name it."
        )
    found.sort(key=lambda cm: _ORDER.index(cm[1].group(1).lower()))
    return found[0][0]


# GSS code prefixes of electoral wards: England E05, Wales W05, Scotland S13, N. Ireland N08
WARD_PREFIXES = ("E05", "W05", "S13", "N08")
_SMALL_AREAS = {"E00": "OA", "W00": "OA", "E01": "LSOA", "W01": "LSOA", "E02": "MSOA",
                "W02": "MSOA", "S00": "OA", "S01": "data zone", "S02": "intermediate zone",
                "E06": "local authority", "E07": "local authority", "E08": "local authority",
                "E09": "local authority", "W06": "local authority", "S12": "local authority",
                "N09": "local authority"}  # fmt: skip


def read_boundaries(
    path: str | Path,
    *,
    layer: str | None = None,
    code_column: str | None = None,
    repair: bool = True,
    expect: str | None = None,
) -> gpd.GeoDataFrame:
    """Read polygons and index them by their GSS code.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile or GeoParquet.
    layer
        Layer of a multi-layer file.
    code_column
        The code column; default: the finest GSS code column found (``OA11CD`` over ``LAD11CD``).
    repair
        Repair invalid polygons with ``make_valid`` (with a warning) rather than raise.
    expect
        ``"wards"``: the codes must be electoral ward codes (``E05``/``W05``/``S13``/``N08``);
        a file of LSOA, OA, MSOA or local authority codes is an error saying so.

    Returns
    -------
    GeoDataFrame
        Indexed by e.g. ``lsoa11cd``, with a ``name`` column (from ``LSOA11NM`` ...) where the
        file has one, in EPSG:27700. Names are cleaned of control and text-direction
        characters (a warning counts them); a missing name stays missing.

    Raises
    ------
    DataQualityError
        The file is damaged, has no CRS, has coordinates that do not fit its CRS, duplicate
        codes or empty geometries.
    UnknownCodeError
        ``expect="wards"`` and the codes are not ward codes.
    """
    if expect not in (None, "wards"):
        raise InclusionGeoError(f"expect={expect!r}; use 'wards' or leave it out.")
    p = as_path(path, what="boundary file")
    what = f"boundary file {p.name}"
    try:
        frame = (
            gpd.read_parquet(p) if p.suffix.lower() == ".parquet" else gpd.read_file(p, layer=layer)
        )
    except Exception as exc:  # pyogrio raises its own types
        raise DataQualityError(
            f"{what}: could not be read as a boundary file ({type(exc).__name__}: "
            f"{str(exc)[:200]}). It may be damaged or cut short: download it again; or it is "
            "not a GeoJSON, GeoPackage, Shapefile or GeoParquet file."
        ) from exc
    if frame.empty:
        raise DataQualityError(f"{what}: has no features.")
    if frame.crs is None:
        raise DataQualityError(
            f"{what}: has no coordinate reference system; set one (EPSG:27700 for eastings and "
            "northings, EPSG:4326 for longitude/latitude) in the file or with set_crs."
        )
    _check_coordinates(frame, what=what)
    code = code_column or detect_code_column(frame.columns)
    if code not in frame.columns:
        raise InclusionGeoError(f"{what}: no column {code!r}; columns: {list(frame.columns)[:10]}.")
    if frame[code].isna().any():
        raise DataQualityError(
            f"{what}: {int(frame[code].isna().sum())} feature(s) have no {code}; every area needs "
            "its code. Download the file again or remove those features."
        )
    out = _indexed(frame, code, what=what)
    if expect == "wards":
        _check_wards(out.index, path=p)
    if not out.index.is_unique:
        dupes = out.index[out.index.duplicated()].unique()[:5].tolist()
        raise DataQualityError(f"{what}: area codes appear more than once: {dupes}.")
    empty = out.geometry.isna() | out.geometry.is_empty
    if empty.any():
        raise DataQualityError(
            f"{what}: {int(empty.sum())} features have no geometry, e.g. {out.index[empty][:5].tolist()}."
        )
    invalid = ~out.geometry.is_valid
    if invalid.any():
        if not repair:
            raise DataQualityError(
                f"{what}: {int(invalid.sum())} invalid polygons, e.g. {out.index[invalid][:5].tolist()}."
            )
        out.loc[invalid, "geometry"] = out.geometry[invalid].make_valid()
        warnings.warn(
            f"{what}: {int(invalid.sum())} invalid polygon(s) (e.g. {out.index[invalid][:3].tolist()}) "
            "were repaired with make_valid.",
            UserWarning,
            stacklevel=2,
        )
    out.attrs["source"] = p.name
    return out


def _check_wards(codes: pd.Index, *, path: Path) -> None:
    """Ward boundaries must carry ward codes: an LSOA file given as wards is a config mistake."""
    prefixes = pd.Series(codes.astype(str).str[:3])
    if prefixes.isin(WARD_PREFIXES).all():
        return
    found = prefixes[~prefixes.isin(WARD_PREFIXES)].value_counts().head(4)
    kinds = ", ".join(
        f"{n} {_SMALL_AREAS.get(pre, 'other')} code(s) ({pre}...)" for pre, n in found.items()
    )
    raise UnknownCodeError(
        f"ward boundary file {path}: its areas are not electoral wards: {kinds}, e.g. "
        f"{codes[~prefixes.isin(WARD_PREFIXES).to_numpy()][:3].tolist()}. Ward codes start "
        f"with {'/'.join(WARD_PREFIXES)} (column WD24CD or similar). Give a ward boundary file "
        "in [sources.wards] (the small-area file belongs in [sources.boundaries]), or leave "
        "[sources.wards] out to group areas by MSOA."
    )


def _indexed(frame: gpd.GeoDataFrame, code: str, *, what: str = "boundaries") -> gpd.GeoDataFrame:
    """Polygons indexed by their code column (named in lower case), with ``name``, in BNG."""
    name_col = next((c for c in frame.columns if c.lower() == code.lower()[:-2] + "nm"), None)
    names = clean_names(frame[name_col], what=what, stacklevel=4) if name_col else None
    return gpd.GeoDataFrame(
        {"name": names.to_numpy()} if name_col else {},
        geometry=frame.geometry.to_numpy(),
        index=pd.Index(frame[code].astype(str).str.strip().to_numpy(), name=code.lower()),
        crs=frame.crs,
    ).to_crs(BNG)


def _check_coordinates(frame: gpd.GeoDataFrame, *, what: str) -> None:
    """Coordinates must fit the CRS the file declares (GeoJSON without one means lon/lat)."""
    minx, miny, maxx, maxy = frame.total_bounds
    if frame.crs.is_geographic and (
        abs(minx) > 180 or abs(maxx) > 180 or abs(miny) > 90 or abs(maxy) > 90
    ):
        raise DataQualityError(
            f"{what}: declares longitude/latitude ({frame.crs.to_string()}) but its coordinates "
            f"reach {maxx:,.0f}, {maxy:,.0f}: they look like British National Grid eastings and "
            "northings. Read it with geopandas, .set_crs('EPSG:27700', allow_override=True), and "
            "pass the frame on, or fix the file's CRS."
        )
    bng = frame.to_crs(BNG).total_bounds
    if bng[0] < -100_000 or bng[2] > 800_000 or bng[1] < -100_000 or bng[3] > 1_300_000:
        raise DataQualityError(
            f"{what}: its areas lie outside Great Britain once projected (bounds {bng.round(0).tolist()}); "
            "check the file's coordinate reference system."
        )


# ONS Open Geography Portal feature services (ArcGIS REST). The portal renames services when it
# republishes; pass service_url= for one not listed.
ONS_SERVICES = {
    "lsoa11": "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
    "Lower_Layer_Super_Output_Areas_Dec_2011_Boundaries_Generalised_Clipped_BGC_EW_V3/FeatureServer/0",
    "lsoa21": "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
    "Lower_layer_Super_Output_Areas_2021_EW_BGC_V3/FeatureServer/0",
    "wards24": "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
    "Wards_May_2024_Boundaries_UK_BGC/FeatureServer/0",
    "lad24": "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
    "Local_Authority_Districts_May_2024_Boundaries_UK_BGC/FeatureServer/0",
}


def fetch_ons_boundaries(
    layer: str,
    *,
    where: str = "1=1",
    service_url: str | None = None,
    page_size: int = 1000,
    offline: bool | None = None,
) -> gpd.GeoDataFrame:
    """Download boundaries from an ONS ArcGIS feature service, page by page, with caching.

    ``where`` filters on the service's fields, e.g. ``"LAD22CD = 'E08000035'"`` or
    ``"LSOA21NM LIKE 'Leeds %'"``. Pages are fetched until the service says there are no more,
    each cached under a hash of its request, and the result is read like a local file.
    """
    from .._fetch import fetch_json

    url = service_url or ONS_SERVICES.get(layer)
    if url is None:
        raise InclusionGeoError(
            f"Unknown ONS layer {layer!r}; known: {sorted(ONS_SERVICES)}, or pass service_url=."
        )
    features: list[dict] = []
    offset = 0
    while True:
        params = {
            "where": where,
            "outFields": "*",
            "outSR": "4326",
            "f": "geojson",
            "resultOffset": str(offset),
            "resultRecordCount": str(page_size),
            "orderByFields": "FID" if "FID" in where else "",
        }
        params = {k: v for k, v in params.items() if v != ""}
        page = fetch_json(url.rstrip("/") + "/query", params=params, offline=offline)
        if "error" in page:
            raise DataQualityError(f"ONS service error for {url}: {page['error']}")
        batch = page.get("features", [])
        features += batch
        more = page.get("exceededTransferLimit") or page.get("properties", {}).get(
            "exceededTransferLimit"
        )
        if not batch or not more:
            break
        offset += len(batch)
    if not features:
        raise DataQualityError(
            f"The ONS service returned no features for where={where!r}; check the filter."
        )
    frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    out = _indexed(frame, detect_code_column(frame.columns), what=f"ONS service {url}")
    out.attrs["source"] = f"ONS Open Geography Portal ({url})"
    return out

"""Community assets from OpenStreetMap (Overpass API or extracts) and from a council's own list,
in one schema: ``id``, ``name``, ``category``, ``subcategory``, ``source``, ``opening_hours``,
``internet_access``, ``wheelchair``, ``operator``, ``capacity``, ``postcode``, ``tags`` (the raw
OpenStreetMap tags as a dict, None for other sources) and a point geometry in
EPSG:27700 (polygons become representative points).

The category taxonomy (:data:`TAXONOMY`) maps OSM tags to the categories the analysis uses.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import DataQualityError, InclusionGeoError, MissingColumnsError
from .._text import asset_label, clean_text_columns
from .._validate import BNG
from ._read import as_path, check_in_gb, check_lonlat, coordinate_values, file_rows, read_table

__all__ = [
    "TAXONOMY",
    "ASSET_SCHEMA",
    "categorise_tags",
    "parse_hstore",
    "read_osm_layers",
    "read_asset_table",
    "overpass_query",
    "fetch_osm_assets",
    "OVERPASS_URL",
]

ASSET_SCHEMA = [
    "id", "name", "category", "subcategory", "source", "opening_hours", "internet_access",
    "wheelchair", "operator", "capacity", "postcode", "tags",
]  # fmt: skip

# category -> list of (OSM key, value) that belong to it. "cafe_wifi" needs internet access too.
TAXONOMY: dict[str, list[tuple[str, str]]] = {
    "library": [("amenity", "library")],
    "community_centre": [("amenity", v) for v in ("community_centre", "community_hall", "social_centre", "youth_centre", "arts_centre", "social_club")],
    "place_of_worship": [("amenity", "place_of_worship")],
    "health": [("amenity", v) for v in ("doctors", "clinic", "health_centre", "pharmacy")],
    "advice": [("amenity", "advice"), ("office", "advice"), ("office", "charity")],
    "social_facility": [("amenity", "social_facility")],
    "job_centre": [("office", "employment_agency"), ("amenity", "job_centre")],
    "cafe_wifi": [("amenity", "cafe")],
    "post_office": [("amenity", "post_office")],
    "civic": [("amenity", "townhall"), ("amenity", "public_building")],
    "digital": [("leisure", "hackerspace"), ("shop", "computer"), ("shop", "mobile_phone")],
    "other": [("amenity", "public_bookcase")],
}  # fmt: skip
_WIFI = {"wlan", "yes", "wifi", "terminal;wlan", "wlan;terminal"}
_BY_TAG = {tag: cat for cat, tags in TAXONOMY.items() for tag in tags}

_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def parse_hstore(text: str | None) -> dict[str, str]:
    """Parse an ogr2ogr ``other_tags`` hstore string: ``"k"=>"v","k2"=>"v2"``."""
    if not isinstance(text, str) or not text:
        return {}
    return {k.replace('\\"', '"'): v.replace('\\"', '"') for k, v in _HSTORE.findall(text)}


def categorise_tags(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """``(category, subcategory)`` for an OSM tag set, or None if no category takes it.

    A cafe counts as ``cafe_wifi`` only when it offers internet access; otherwise ``cafe``.
    """
    for key in ("amenity", "office", "leisure", "shop"):
        value = tags.get(key)
        if value is None:
            continue
        category = _BY_TAG.get((key, value))
        if category == "cafe_wifi" and str(tags.get("internet_access", "")).lower() not in _WIFI:
            return "cafe", value
        if category:
            return category, value
    return None


def _asset_frame(rows: list[dict], crs) -> gpd.GeoDataFrame:
    """The asset table: text cleaned of control and text-direction characters (one warning
    counts them), a missing name left missing (None, never "nan" or an invented name), and a
    ``label`` column for display: the name, or ``"unnamed library (OSM node 123)"``."""
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    for col in ASSET_SCHEMA:
        if col not in frame:
            frame[col] = np.nan if col == "capacity" else None
    where = frame["where"] if "where" in frame else frame["id"].map(_where)
    frame = frame[[*ASSET_SCHEMA, "geometry"]].to_crs(BNG)
    what = str(rows[0].get("source") or "assets") if rows else "assets"
    text = [c for c in ASSET_SCHEMA if c not in ("id", "capacity")]
    frame = clean_text_columns(frame, text, what=what, stacklevel=4)
    frame["label"] = [
        asset_label(n, s, w)
        for n, s, w in zip(frame["name"], frame["subcategory"], where, strict=True)
    ]
    not_point = frame.geom_type != "Point"
    if not_point.any():
        frame.loc[not_point, "geometry"] = frame.geometry[not_point].representative_point()
    return frame.set_index(pd.Index(frame["id"].astype(str), name=None))


def read_osm_layers(paths: Iterable[str | Path] | str | Path) -> gpd.GeoDataFrame:
    """Read OSM extract layers (GeoJSON from ogr2ogr: tags as properties plus an hstore
    ``other_tags``; points and polygons mixed) into one asset table.

    ``paths`` may be a folder (every ``.geojson`` in it) or a list of files. Features that no
    category takes are left out and counted in a warning; features with no name keep a
    missing ``name`` and count all the same (their ``label`` reads ``"unnamed library (OSM
    node 123)"``).
    """
    if isinstance(paths, (str, Path)) and Path(paths).is_dir():
        files = sorted(Path(paths).glob("*.geojson"))
    elif isinstance(paths, (str, Path)):
        files = [Path(paths)]
    else:
        files = [Path(p) for p in paths]
    if not files:
        raise InclusionGeoError(f"No .geojson OSM layers found in {paths}.")
    rows: list[dict] = []
    skipped: dict[str, int] = {}
    for f in files:
        layer = gpd.read_file(as_path(f, what="OSM layer"))
        if layer.crs is None:
            raise DataQualityError(f"OSM layer {f.name} has no CRS.")
        layer = layer.to_crs("EPSG:4326")
        props = layer.drop(columns="geometry")
        for i, record in enumerate(props.to_dict("records")):
            tags = {
                k: str(v)
                for k, v in record.items()
                if k != "other_tags"
                and v is not None
                and not (isinstance(v, float) and np.isnan(v))
            }
            tags.update(parse_hstore(record.get("other_tags")))
            geom = layer.geometry.iloc[i]
            if geom is None or geom.is_empty:
                skipped["no geometry"] = skipped.get("no geometry", 0) + 1
                continue
            found = categorise_tags(tags)
            if found is None:
                skipped[f.name] = skipped.get(f.name, 0) + 1
                continue
            category, sub = found
            osm_id = (tags.get("osm_id") or tags.get("osm_way_id") or "").removesuffix(".0")
            # ogr2ogr: points carry osm_id (nodes), closed ways osm_way_id, and multipolygon
            # relations osm_id on a polygon
            kind = (
                "way"
                if "osm_id" not in tags
                else ("node" if geom.geom_type == "Point" else "relation")
            )
            rows.append(_osm_row(tags, category, sub, f"osm/{kind}/{osm_id}", geom))
    if skipped:
        warnings.warn(
            f"OSM features left out (no category, or no geometry): {skipped}.",
            UserWarning,
            stacklevel=2,
        )
    if not rows:
        raise DataQualityError(f"No community assets found in {[f.name for f in files][:5]}.")
    out = _asset_frame(rows, "EPSG:4326")
    dupes = out.index.duplicated()
    if dupes.any():  # the same OSM object in two layer files
        warnings.warn(
            f"{int(dupes.sum())} OSM objects appeared in more than one layer; kept once.",
            UserWarning,
            stacklevel=2,
        )
        out = out[~dupes]
    out.attrs["source"] = "OpenStreetMap contributors (ODbL)"
    return out


def _where(asset_id: object) -> str:
    """``"OSM node 123"`` for ``osm/node/123``; any other id as it is."""
    parts = str(asset_id).split("/")
    return f"OSM {parts[1]} {parts[2]}" if len(parts) == 3 and parts[0] == "osm" else str(asset_id)


def _osm_row(tags: Mapping[str, str], category: str, sub: str, osm_id: str, geom) -> dict:
    name = tags.get("name")  # no name tag: None; the display label says "unnamed <type>"
    return {
        "id": osm_id,
        "name": name,
        "category": category,
        "subcategory": sub,
        "source": "OpenStreetMap",
        "opening_hours": tags.get("opening_hours"),
        "internet_access": tags.get("internet_access"),
        "wheelchair": tags.get("wheelchair"),
        "operator": tags.get("operator"),
        "capacity": np.nan,
        "postcode": tags.get("addr:postcode"),
        "tags": dict(tags),  # every raw tag, for the asset register's hygiene and tiers
        "geometry": geom,
    }


def read_asset_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    name: str = "name",
    category: str = "category",
    postcodes: pd.DataFrame | None = None,
    categories: Mapping[str, str] | None = None,
    source: str | None = None,
) -> gpd.GeoDataFrame:
    """A council's own list of places (CSV or XLSX) as an asset table.

    Locations come from ``lat``/``lon`` (or ``latitude``/``longitude``), ``easting``/``northing``
    (or ``x``/``y``), or a ``postcode`` column looked up in ``postcodes`` (a frame indexed by
    postcode with ``easting``/``northing`` columns, e.g. from the ONS Postcode Directory).
    ``categories`` renames the council's categories to the taxonomy's (e.g.
    ``{"Hub": "community_centre"}``). Rows without a location, coordinates that are not
    numbers, lie outside Great Britain or are in the wrong columns (eastings under lat/lon) are
    errors naming the rows. Text is cleaned of control and text-direction characters (one
    warning counts them); a row with no name keeps a missing ``name`` (a warning counts them)
    and a ``label`` such as ``"unnamed library (hubs.csv row 5)"``.
    """
    p = as_path(path, what="asset list")
    what = f"asset list {p.name}"
    raw = read_table(p, what=what, sheet=sheet, text=True)
    raw = clean_text_columns(raw, list(raw.columns), what=what)
    lower = {c.lower(): c for c in raw.columns}
    for col in (name, category):
        if col not in raw.columns and col.lower() not in lower:
            raise MissingColumnsError(
                f"{what}: no {col!r} column; columns are {list(raw.columns)}. Pass name=/category= to name them."
            )
    frame = raw.rename(
        columns={
            lower.get(name.lower(), name): "name",
            lower.get(category.lower(), category): "category",
        }
    )
    no_category = frame["category"].isna().to_numpy()
    if no_category.any():
        raise DataQualityError(
            f"{what}: {int(no_category.sum())} place(s) have no category, at "
            f"{file_rows(frame.index[no_category])}. Give each place a category (e.g. library, "
            "community_centre) or remove the row."
        )
    if categories:
        frame["category"] = frame["category"].replace(dict(categories))
    geometry = _locate(frame, lower, postcodes, what=what)
    unknown = sorted(set(frame["category"]) - set(TAXONOMY) - {"cafe"})
    if unknown:
        warnings.warn(
            f"{what}: categories {unknown} are not in the taxonomy {sorted(TAXONOMY)}; they are kept "
            "as given. Map them with categories={...} to count them as support by default.",
            UserWarning,
            stacklevel=2,
        )
    unnamed = frame["name"].isna().to_numpy()
    if unnamed.any():
        warnings.warn(
            f"{what}: {int(unnamed.sum())} place(s) have no name, at "
            f"{file_rows(frame.index[unnamed])}; they are kept with an empty name and shown as "
            f"'unnamed <category> ({p.name} row N)'.",
            UserWarning,
            stacklevel=2,
        )
    rows = []
    for i, record in enumerate(frame.to_dict("records")):
        rows.append(
            {
                "id": f"{p.stem}/{record.get(lower.get('id', 'id')) or i + 1}",
                "where": f"{p.name} row {i + 2}",
                "name": record["name"],
                "category": record["category"],
                "subcategory": record.get(lower.get("subcategory", "subcategory"))
                or record["category"],
                "source": source or p.name,
                **{
                    k: record.get(lower.get(k, k))
                    for k in (
                        "opening_hours",
                        "internet_access",
                        "wheelchair",
                        "operator",
                        "postcode",
                    )
                },
                "capacity": pd.to_numeric(
                    str(record.get(lower.get("capacity", "capacity"))).replace(",", ""),
                    errors="coerce",
                ),
                "geometry": geometry[i],
            }
        )
    out = _asset_frame(rows, geometry.crs)
    out.attrs["source"] = source or p.name
    return out


def _locate(
    frame: pd.DataFrame, lower: Mapping[str, str], postcodes, *, what: str
) -> gpd.GeoSeries:
    def pick(*names):
        return next((lower[n] for n in names if n in lower), None)

    lat, lon = pick("lat", "latitude"), pick("lon", "lng", "long", "longitude")
    east, north = pick("easting", "eastings", "x"), pick("northing", "northings", "y")
    post = pick("postcode", "post_code", "postcode_space")
    hint = ""
    if lat and lon:
        ys = coordinate_values(frame, lat, what=what, kind="latitude")
        xs = coordinate_values(frame, lon, what=what, kind="longitude")
        check_lonlat(frame, xs, ys, what=what, columns=(lat, lon))
        crs, hint = "EPSG:4326", f"Are {lat} and {lon} swapped, or the signs wrong?"
    elif east and north:
        xs = coordinate_values(frame, east, what=what, kind="easting")
        ys = coordinate_values(frame, north, what=what, kind="northing")
        crs, known = BNG, xs.notna() & ys.notna()
        if known.any() and (xs[known].abs() <= 180).all() and (ys[known].abs() <= 90).all():
            raise DataQualityError(
                f"{what}: columns {east}/{north} hold values like {xs[known].iloc[0]:g}, "
                f"{ys[known].iloc[0]:g}: these look like longitudes/latitudes, not eastings and "
                "northings in metres; name the columns lon/lat."
            )
    elif post:
        if postcodes is None:
            raise InclusionGeoError(
                f"{what} locates places by postcode only; pass postcodes= a frame indexed by "
                "postcode with easting/northing columns (e.g. from the ONS Postcode Directory)."
            )
        key = frame[post].astype(str).str.upper().str.replace(r"\s+", "", regex=True)
        table = postcodes.copy()
        table.index = table.index.astype(str).str.upper().str.replace(r"\s+", "", regex=True)
        found = table.reindex(key)
        missing = found.iloc[:, 0].isna().to_numpy()
        if missing.any():
            raise DataQualityError(
                f"{what}: {int(missing.sum())} postcode(s) not found, e.g. "
                f"{frame.loc[missing, post].head(5).tolist()}. Check them or give coordinates."
            )
        xs, ys, crs = found["easting"].to_numpy(), found["northing"].to_numpy(), BNG
        hint = "Check the postcode table's easting/northing columns."
    else:
        raise MissingColumnsError(
            f"{what} has no location columns: give lat/lon, easting/northing or postcode."
        )
    xs, ys = (
        pd.to_numeric(pd.Series(xs), errors="coerce"),
        pd.to_numeric(pd.Series(ys), errors="coerce"),
    )
    bad = (xs.isna() | ys.isna() | ~np.isfinite(xs) | ~np.isfinite(ys)).to_numpy()
    if bad.any():
        raise DataQualityError(
            f"{what}: {int(bad.sum())} place(s) have no usable location, at "
            f"{file_rows(frame.index[bad])}, e.g. {frame.loc[bad, 'name'].head(5).tolist()}. "
            "Add coordinates or remove them explicitly."
        )
    points = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=crs)
    check_in_gb(frame, points, what=what, hint=hint)
    return points


OVERPASS_URL = "https://overpass-api.de/api/interpreter"


def overpass_query(boundary, categories: Sequence[str] | None = None, *, timeout: int = 180) -> str:
    """An Overpass QL query for the taxonomy's tags inside ``boundary`` (a shapely polygon in
    EPSG:27700 or a GeoSeries/GeoDataFrame), simplified to a few hundred vertices."""
    import shapely

    cats = list(categories) if categories is not None else [c for c in TAXONOMY if c != "other"]
    unknown = sorted(set(cats) - set(TAXONOMY))
    if unknown:
        raise InclusionGeoError(
            f"Unknown categories {unknown}; the taxonomy has {sorted(TAXONOMY)}."
        )
    if isinstance(boundary, (gpd.GeoSeries, gpd.GeoDataFrame)):
        boundary = (
            boundary.to_crs(BNG).geometry.union_all()
            if isinstance(boundary, gpd.GeoDataFrame)
            else boundary.to_crs(BNG).union_all()
        )
    hull = shapely.simplify(
        shapely.convex_hull(boundary) if boundary.geom_type == "MultiPolygon" else boundary, 100
    )
    ring = gpd.GeoSeries([hull.exterior], crs=BNG).to_crs("EPSG:4326").iloc[0]
    poly = " ".join(f"{lat:.5f} {lon:.5f}" for lon, lat in ring.coords)
    clauses = [f'nwr["{k}"="{v}"](poly:"{poly}");' for c in cats for k, v in TAXONOMY[c]]
    return f"[out:json][timeout:{timeout}];\n(\n" + "\n".join(clauses) + "\n);\nout center tags;"


def fetch_osm_assets(
    boundary,
    categories: Sequence[str] | None = None,
    *,
    url: str = OVERPASS_URL,
    offline: bool | None = None,
) -> gpd.GeoDataFrame:
    """Community assets from the Overpass API inside ``boundary`` (answers are cached)."""
    from shapely.geometry import Point

    from .._fetch import fetch_json

    answer = fetch_json(url, data=overpass_query(boundary, categories), offline=offline)
    rows = []
    for el in answer.get("elements", []):
        tags = el.get("tags", {})
        found = categorise_tags(tags)
        if found is None:
            continue
        lat = el.get("lat", el.get("center", {}).get("lat"))
        lon = el.get("lon", el.get("center", {}).get("lon"))
        if lat is None or lon is None:
            continue
        rows.append(_osm_row(tags, *found, f"osm/{el['type']}/{el['id']}", Point(lon, lat)))
    if not rows:
        raise DataQualityError(
            "Overpass returned no community assets for that area and those categories."
        )
    out = _asset_frame(rows, "EPSG:4326")
    out.attrs["source"] = "OpenStreetMap contributors (ODbL), via Overpass"
    return out

"""ONS ArcGIS and Overpass clients against a local server that answers like them, from real files."""

import json

import pytest

from inclusion_geo._errors import DataQualityError
from inclusion_geo.sources import (
    fetch_ons_boundaries,
    fetch_osm_assets,
    overpass_query,
    read_boundaries,
)

pytestmark = pytest.mark.shared_data
LEEDS = "E08000035"


def test_ons_feature_service_is_paged(http_server, cache, shared_data):
    features = json.loads(
        (shared_data / "ons-boundaries-martinjc" / "wards_by_lad" / f"{LEEDS}.json").read_text()
    )["features"]
    seen = []

    def page(handler):
        from urllib.parse import parse_qs, urlparse

        q = parse_qs(urlparse(handler.path).query)
        seen.append(q)
        offset, count = int(q["resultOffset"][0]), int(q["resultRecordCount"][0])
        chunk = features[offset : offset + count]
        body = {
            "type": "FeatureCollection",
            "features": chunk,
            "exceededTransferLimit": offset + count < len(features),
        }
        return 200, json.dumps(body).encode(), {"Content-Type": "application/geo+json"}

    service = http_server.url + "/arcgis/rest/services/Wards/FeatureServer/0"
    http_server.routes["/arcgis/rest/services/Wards/FeatureServer/0/query"] = [page]
    wards = fetch_ons_boundaries(
        "wards", service_url=service, where="LAD13CD = 'E08000035'", page_size=10
    )
    assert len(wards) == 33 and wards.index.name == "wd13cd" and wards.crs.to_epsg() == 27700
    assert len(seen) == 4 and seen[0]["where"] == ["LAD13CD = 'E08000035'"]
    expected = read_boundaries(
        shared_data / "ons-boundaries-martinjc" / "wards_by_lad" / f"{LEEDS}.json"
    )
    assert set(wards.index) == set(expected.index)
    # cached: no more requests
    fetch_ons_boundaries("wards", service_url=service, where="LAD13CD = 'E08000035'", page_size=10)
    assert len(seen) == 4


def test_overpass_query_and_answer(http_server, cache, shared_data):
    wards = read_boundaries(
        shared_data / "ons-boundaries-martinjc" / "wards_by_lad" / f"{LEEDS}.json"
    )
    query = overpass_query(wards, ["library", "community_centre"])
    assert '["amenity"="library"](poly:"53.' in query and query.endswith("out center tags;")
    libraries = json.loads(
        (shared_data / "osm-west-yorkshire" / "leeds-amenities-library.geojson").read_text()
    )
    elements = []
    for f in libraries["features"]:
        p = f["properties"]
        if f["geometry"]["type"] != "Point":
            continue
        lon, lat = f["geometry"]["coordinates"]
        tags = {k: v for k, v in p.items() if k not in ("osm_id", "other_tags") and v}
        elements.append(
            {"type": "node", "id": int(p["osm_id"]), "lat": lat, "lon": lon, "tags": tags}
        )
    http_server.routes["/api/interpreter"] = [
        (200, json.dumps({"elements": elements}).encode(), {})
    ]
    assets = fetch_osm_assets(wards, ["library"], url=http_server.url + "/api/interpreter")
    assert len(assets) == len(elements) and set(assets["category"]) == {"library"}
    assert "Headingley Library" in set(assets["name"])
    http_server.routes["/empty"] = [(200, b'{"elements": []}', {})]
    with pytest.raises(DataQualityError, match="no community assets"):
        fetch_osm_assets(wards, ["library"], url=http_server.url + "/empty")

"""Downloads against a local HTTP server on 127.0.0.1 serving the real files from shared/."""

import hashlib
import json

import pytest

from inclusion_geo._errors import DownloadError
from inclusion_geo._fetch import (
    REGISTRY,
    RegistryEntry,
    cache_dir,
    cache_path,
    download,
    fetch,
    fetch_json,
)

pytestmark = pytest.mark.shared_data


@pytest.fixture
def real_file(shared_data):
    path = shared_data / "mhclg-iod2019" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    return path.read_bytes(), hashlib.sha256(path.read_bytes()).hexdigest()


def registry(server, sha):
    return {"imd": RegistryEntry(server.url + "/file1.xlsx", "file1.xlsx", sha, "MHCLG", "OGL v3")}


def test_download_verify_cache_and_load(http_server, cache, real_file):
    body, sha = real_file
    http_server.routes["/file1.xlsx"] = [(200, body, {})]
    path = fetch("imd", registry=registry(http_server, sha))
    assert path.parent == cache and path.read_bytes() == body
    # second call: from the cache, no request
    assert fetch("imd", registry=registry(http_server, sha)) == path
    assert http_server.hits["/file1.xlsx"] == 1
    from inclusion_geo.sources import load_imd2019

    assert len(load_imd2019(path)) == 32_844
    assert not list(cache.glob(".download-*"))


def test_404_fails_at_once_with_advice(http_server, cache):
    with pytest.raises(DownloadError, match="HTTP 404.*local path="):
        download(http_server.url + "/missing.csv", retries=3, backoff=0)
    assert http_server.hits.get("/missing.csv") == 1


def test_500_then_success_is_retried(http_server, cache, real_file):
    body, sha = real_file
    http_server.routes["/flaky.xlsx"] = [(500, b"oops", {}), (503, b"busy", {}), (200, body, {})]
    path = download(http_server.url + "/flaky.xlsx", sha256=sha, backoff=0.01)
    assert path.read_bytes() == body and http_server.hits["/flaky.xlsx"] == 3


def test_truncated_transfer_never_reaches_the_cache(http_server, cache, real_file):
    body, sha = real_file
    cut = (200, body[: len(body) // 3], {"Content-Length": str(len(body))})
    http_server.routes["/cut.xlsx"] = [cut]
    with pytest.raises(DownloadError, match="truncated|broken"):
        download(http_server.url + "/cut.xlsx", sha256=sha, retries=1, backoff=0.01)
    assert not cache_path(http_server.url + "/cut.xlsx").exists()
    assert not list(cache.glob(".download-*"))
    # a later good transfer succeeds
    http_server.routes["/cut.xlsx"] = [(200, body, {})]
    http_server.hits.clear()
    assert download(http_server.url + "/cut.xlsx", sha256=sha).read_bytes() == body


def test_hash_mismatch_names_both_causes(http_server, cache, shared_data):
    import io
    import zipfile

    # a valid zip (so it passes the format check) that is not the registered file
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.write(shared_data / "ons-lookups" / "OA21_to_LSOA21_EW.csv", "sheet.csv")
    http_server.routes["/file1.xlsx"] = [(200, other.getvalue(), {})]
    with pytest.raises(DownloadError, match="corrupted.*registry is out of date"):
        fetch("imd", registry=registry(http_server, "0" * 64))
    assert not cache_path(http_server.url + "/file1.xlsx", "file1.xlsx").exists()
    assert not list(cache.glob(".download-*"))


def test_offline_uses_only_the_cache(http_server, cache, real_file, monkeypatch):
    body, sha = real_file
    monkeypatch.setenv("INCLUSION_GEO_OFFLINE", "1")
    with pytest.raises(DownloadError, match="Offline mode"):
        fetch("imd", registry=registry(http_server, sha))
    assert http_server.hits == {}
    cache.mkdir(parents=True)
    cache_path(http_server.url + "/file1.xlsx", "file1.xlsx").write_bytes(body)
    assert fetch("imd", registry=registry(http_server, sha)).exists()


def test_corrupt_cached_file_is_downloaded_again(http_server, cache, real_file):
    body, sha = real_file
    cache.mkdir(parents=True)
    cache_path(http_server.url + "/file1.xlsx", "file1.xlsx").write_bytes(b"garbage")
    http_server.routes["/file1.xlsx"] = [(200, body, {})]
    with pytest.warns(UserWarning, match="registered .*discarded and is downloaded again"):
        path = fetch("imd", registry=registry(http_server, sha))
    assert path.read_bytes() == body and http_server.hits["/file1.xlsx"] == 1


def test_cache_dir_env(cache):
    assert cache_dir() == cache


def test_api_answers_are_cached_by_request(http_server, cache):
    http_server.routes["/api"] = [
        (200, json.dumps({"n": 1}).encode(), {}),
        (200, json.dumps({"n": 2}).encode(), {}),
    ]
    assert fetch_json(http_server.url + "/api", params={"a": "1"}) == {"n": 1}
    assert fetch_json(http_server.url + "/api", params={"a": "1"}) == {"n": 1}  # cached
    assert fetch_json(http_server.url + "/api", params={"a": "2"}) == {"n": 2}
    http_server.routes["/bad"] = [(200, b"<html>not json</html>", {})]
    with pytest.raises(DownloadError, match="did not answer JSON"):
        fetch_json(http_server.url + "/bad")


def test_loader_without_a_path_uses_the_registry(cache, real_file, monkeypatch):
    from inclusion_geo.sources import load_imd2019

    body, _ = real_file
    monkeypatch.setenv("INCLUSION_GEO_OFFLINE", "1")
    with pytest.raises(DownloadError, match="Offline mode"):
        load_imd2019()
    cache.mkdir(parents=True)
    # copied in under its bare name (as older versions kept it): adopted because its SHA-256
    # matches the registry, then kept under its URL-keyed name
    (cache / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx").write_bytes(body)
    assert len(load_imd2019()) == 32_844  # verified against the registered SHA-256
    entry = REGISTRY["imd2019_file1"]
    assert cache_path(entry.url, entry.filename).read_bytes() == body

"""Downloads against a local HTTP server on 127.0.0.1 serving the real files from shared/."""

import hashlib
import json
from pathlib import Path

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
    with pytest.raises(DownloadError, match="corrupted.*registry is out of date") as info:
        fetch("imd", registry=registry(http_server, "0" * 64))
    assert hashlib.sha256(other.getvalue()).hexdigest() in str(info.value)  # what arrived
    assert not cache_path(http_server.url + "/file1.xlsx", "file1.xlsx").exists()
    assert not [p for p in cache.rglob("*") if p.is_file()]  # no partial or pooch temp file


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


def test_downloads_go_through_pooch_retrieve_with_the_registered_hash(
    http_server, cache, real_file, monkeypatch
):
    import pooch

    from inclusion_geo import _fetch

    body, sha = real_file
    calls = []
    real_retrieve = pooch.retrieve

    def spy(url, **kwargs):
        calls.append((url, kwargs))
        return real_retrieve(url, **kwargs)

    monkeypatch.setattr(pooch, "retrieve", spy)
    http_server.routes["/file1.xlsx"] = [(200, body, {})]
    path = fetch("imd", registry=registry(http_server, sha))
    ((url, kwargs),) = calls
    assert url == http_server.url + "/file1.xlsx"
    assert kwargs["known_hash"] == sha  # pooch checks the hash before the move
    assert kwargs["fname"] == path.name and Path(kwargs["path"]) == cache  # our URL-keyed name
    assert isinstance(kwargs["downloader"], _fetch._CheckedDownloader)
    assert kwargs["downloader"].sha256 == sha
    assert fetch("imd", registry=registry(http_server, sha)) == path
    assert len(calls) == 1  # a verified cache hit needs neither pooch nor the network


# Registry hashes: which published files are byte-identical copies in shared/data
# (shared/data/PROVENANCE.md); the others must have no hash, and a reason in docs/security.md.
BYTE_IDENTICAL = {
    "imd2019_file1": "mhclg-iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
    "composite_uk_imd_e": "mysociety-composite-uk-imd/UK_IMD_E.csv",
}


def test_registered_hashes_are_those_of_the_byte_identical_copies(shared_data):
    for key, entry in REGISTRY.items():
        if key in BYTE_IDENTICAL:
            data = (shared_data / BYTE_IDENTICAL[key]).read_bytes()
            assert entry.sha256 == hashlib.sha256(data).hexdigest(), key
            assert entry.filename == Path(BYTE_IDENTICAL[key]).name, key
        else:
            assert entry.sha256 is None, f"{key}: no copy of the original to hash it from"


def _hash_table():
    """The rows of the "Hashes" table in docs/security.md, by registry key."""
    docs = Path(__file__).resolve().parents[1] / "docs" / "security.md"
    text = docs.read_text(encoding="utf-8")
    section = text[text.index("### Hashes") :]
    rows = {}
    for line in section.splitlines()[1:]:
        if line.startswith("#"):
            break
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 4 and cells[0] not in ("Key", "---"):
            rows[cells[0]] = cells
    return rows


def test_every_registry_entry_has_a_row_in_the_hash_table_of_the_docs():
    rows = _hash_table()
    assert set(REGISTRY) <= set(rows)
    for key, entry in REGISTRY.items():
        _, url, sha, why = rows[key][:4]
        assert url == entry.url.rsplit("/", 1)[-1], key
        if entry.sha256 is None:
            assert sha.lower() == "none" and len(why) > 40, key  # a reason, not a blank
        else:
            assert sha == entry.sha256, key

"""Download and cache safety, against local servers on 127.0.0.1: short, empty, invalid and
error bodies are never cached; a bad cached copy is discarded with a warning; the cache is
keyed by URL; a total deadline; partial files are cleaned up; every HTTP-client failure is a
DownloadError."""

import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from inclusion_geo import _fetch
from inclusion_geo._errors import DownloadError
from inclusion_geo._fetch import cache_path, download, fetch_json

from .hostile import HOSTILE

pytestmark = pytest.mark.shared_data


@pytest.fixture
def xlsx(shared_data):
    imd = shared_data / "mhclg-iod2019"
    return (imd / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx").read_bytes()


@pytest.fixture
def csv_gz(shared_data):
    imd = shared_data / "mhclg-iod2019"
    return (imd / "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz").read_bytes()


def nothing_cached(cache):
    """No file, no partial file: only (empty) folders."""
    return not cache.exists() or all(p.is_dir() for p in cache.rglob("*"))


# 1. length and format checks -----------------------------------------------------------------


def test_short_body_names_url_expected_and_received_and_is_not_cached(http_server, cache, xlsx):
    url = http_server.url + "/short.xlsx"
    http_server.routes["/short.xlsx"] = [(200, xlsx[:1000], {"Content-Length": str(len(xlsx))})]
    with pytest.raises(DownloadError) as info:
        download(url, retries=1, backoff=0)
    message = str(info.value)
    assert url in message and " 1000 " in message and f" {len(xlsx)} bytes" in message
    assert http_server.hits["/short.xlsx"] == 2  # retried
    assert nothing_cached(cache)


def test_empty_body_is_an_error_and_not_cached(http_server, cache):
    http_server.routes["/empty.csv"] = [(200, b"", {})]
    with pytest.raises(DownloadError, match="empty"):
        download(http_server.url + "/empty.csv", retries=1, backoff=0)
    assert nothing_cached(cache)


ARCGIS_ERROR = {"error": {"code": 400, "message": "Invalid query", "details": ["bad where"]}}
OVERPASS_ERROR = {
    "elements": [],
    "remark": 'runtime error: Query timed out in "query" at line 3 after 26 seconds.',
}
HTML_PAGE = b"<!DOCTYPE html><html><body>Service unavailable</body></html>"


def bad_files(xlsx, csv_gz):
    return {
        "html-as-xlsx": ("data.xlsx", HTML_PAGE, "HTML page"),
        "half-zip": ("data.zip", xlsx[: len(xlsx) // 2], "not a readable zip"),
        "cut-gz": ("data.csv.gz", csv_gz[: len(csv_gz) // 2], "does not decompress to the end"),
        "cut-json": ("data.json", b'{"features": [{"a": 1}', "not valid JSON"),
        "arcgis-json": ("data.json", json.dumps(ARCGIS_ERROR).encode(), "ArcGIS error"),
        "overpass-json": ("data.json", json.dumps(OVERPASS_ERROR).encode(), "Overpass remark"),
        "error-as-csv": ("data.csv", json.dumps(ARCGIS_ERROR).encode(), "error answer"),
        "binary-as-csv": ("data.csv", b"\x00\x01\x02" * 50, "not text"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "html-as-xlsx",
        "half-zip",
        "cut-gz",
        "cut-json",
        "arcgis-json",
        "overpass-json",
        "error-as-csv",
        "binary-as-csv",
    ],
)
def test_a_body_that_is_not_its_format_is_an_error_and_not_cached(
    http_server, cache, xlsx, csv_gz, case
):
    name, body, reason = bad_files(xlsx, csv_gz)[case]
    http_server.routes["/" + name] = [(200, body, {})]
    with pytest.raises(DownloadError, match=reason) as info:
        download(http_server.url + "/" + name, backoff=0)
    assert "Nothing was cached" in str(info.value)
    assert http_server.hits["/" + name] == 1  # the same answer again would not help
    assert nothing_cached(cache)


@pytest.mark.parametrize(
    "body, reason",
    [
        (json.dumps(ARCGIS_ERROR).encode(), "ArcGIS error code 400.*Invalid query"),
        (json.dumps(OVERPASS_ERROR).encode(), "Overpass remark.*runtime error"),
        (HTML_PAGE, "did not answer JSON but an HTML page"),
    ],
)
def test_an_api_error_sent_with_http_200_is_an_error_and_never_cached(
    http_server, cache, body, reason
):
    good = json.dumps({"features": []}).encode()
    http_server.routes["/api"] = [(200, body, {}), (200, good, {})]
    with pytest.raises(DownloadError, match=reason):
        fetch_json(http_server.url + "/api", params={"q": "1"}, backoff=0)
    assert nothing_cached(cache)
    # the next call asks again instead of replaying the error
    assert fetch_json(http_server.url + "/api", params={"q": "1"}) == {"features": []}
    assert http_server.hits["/api"] == 2


def test_a_busy_arcgis_service_is_retried(http_server, cache):
    busy = {"error": {"code": 503, "message": "Service busy"}}
    http_server.routes["/busy"] = [(200, json.dumps(busy).encode(), {}), (200, b'{"n": 1}', {})]
    assert fetch_json(http_server.url + "/busy", backoff=0) == {"n": 1}


def test_short_api_answer_is_an_error_and_not_cached(http_server, cache):
    body = json.dumps({"features": [{"id": i} for i in range(200)]}).encode()
    http_server.routes["/api"] = [(200, body[:100], {"Content-Length": str(len(body))})]
    with pytest.raises(DownloadError, match=f"100 of the {len(body)} bytes"):
        fetch_json(http_server.url + "/api", retries=0)
    assert nothing_cached(cache)


@pytest.mark.parametrize("name", ["data.xlsx", "data.csv.gz", "data.csv"])
def test_a_cached_file_that_fails_its_checks_is_discarded_and_fetched_again(
    http_server, cache, xlsx, csv_gz, name
):
    body = {"data.xlsx": xlsx, "data.csv.gz": csv_gz, "data.csv": b"a,b\n1,2\n"}[name]
    http_server.routes["/" + name] = [(200, body, {})]
    url = http_server.url + "/" + name
    path = download(url)
    # damaged later (a disk error, an older version, a copy by hand)
    path.write_bytes(b"" if name == "data.csv" else body[: len(body) // 2])
    with pytest.warns(UserWarning, match="discarded and is downloaded again"):
        again = download(url)
    assert again == path and path.read_bytes() == body
    assert http_server.hits["/" + name] == 2


def test_a_cached_error_answer_is_discarded_offline_too(http_server, cache):
    path = cache_path(http_server.url + "/data.json")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(ARCGIS_ERROR))
    with (
        pytest.warns(UserWarning, match="ArcGIS error"),
        pytest.raises(DownloadError, match="Offline"),
    ):
        download(http_server.url + "/data.json", offline=True)
    assert not path.exists()


# 2. the cache is keyed by URL ----------------------------------------------------------------


def test_two_urls_with_the_same_file_name_get_two_entries(http_server, cache):
    http_server.routes["/2019/data.csv"] = [(200, b"year,n\n2019,1\n", {})]
    http_server.routes["/2021/data.csv"] = [(200, b"year,n\n2021,2\n", {})]
    a = download(http_server.url + "/2019/data.csv")
    b = download(http_server.url + "/2021/data.csv")
    assert a != b and a.name.endswith("-data.csv") and b.name.endswith("-data.csv")
    assert a.read_bytes() == b"year,n\n2019,1\n" and b.read_bytes() == b"year,n\n2021,2\n"
    assert download(http_server.url + "/2019/data.csv").read_bytes() == b"year,n\n2019,1\n"


@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_a_hostile_file_name_stays_inside_the_cache(http_server, cache, key):
    http_server.routes["/x.csv"] = [(200, b"a\n1\n", {})]
    path = download(http_server.url + "/x.csv", filename="../../" + HOSTILE[key] + ".csv")
    assert path.parent == cache and path.read_bytes() == b"a\n1\n"
    assert "/" not in path.name and not path.name.startswith(".")


# 3. a total deadline -------------------------------------------------------------------------


@pytest.fixture
def drip_server():
    """Answers one request with headers announcing 1000 bytes, then one byte every 0.5 s for
    at most 3 s, then closes: bounded in time, and never idle long enough for a read time-out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(5)

    def serve():
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                for _ in range(6):
                    conn.sendall(b"a")
                    time.sleep(0.5)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    thread.join(5)
    listener.close()


@pytest.mark.parametrize("how", ["download", "fetch_json", "environment"])
def test_a_server_that_drips_bytes_hits_the_deadline(drip_server, cache, monkeypatch, how):
    start = time.monotonic()
    with pytest.raises(
        DownloadError, match=r"1 s deadline.*deadline=SECONDS.*INCLUSION_GEO_DEADLINE"
    ):
        if how == "download":
            download(drip_server + "/slow.csv", deadline=1.0, timeout=5, retries=0)
        elif how == "fetch_json":
            fetch_json(drip_server + "/api", deadline=1.0, timeout=5, retries=0)
        else:
            monkeypatch.setenv("INCLUSION_GEO_DEADLINE", "1")
            download(drip_server + "/slow.csv", timeout=5, retries=0)
    assert time.monotonic() - start < 2.5
    assert nothing_cached(cache)


def test_a_bad_deadline_is_refused(cache, monkeypatch):
    with pytest.raises(DownloadError, match="deadline=0"):
        download("http://127.0.0.1:9/x.csv", deadline=0)
    monkeypatch.setenv("INCLUSION_GEO_DEADLINE", "soon")
    with pytest.raises(DownloadError, match="INCLUSION_GEO_DEADLINE='soon'"):
        download("http://127.0.0.1:9/x.csv")


# 4. partial files ----------------------------------------------------------------------------


def ended_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.skipif(os.name != "posix", reason="process check is POSIX-only; age still applies")
def test_stale_partial_files_are_removed_at_the_next_fetch(http_server, cache):
    api = cache / "api"
    api.mkdir(parents=True)
    ours = _fetch._partial_prefix(".download-")  # .download-<host>-<this pid>-
    dead = ours.replace(f"-{os.getpid()}-", f"-{ended_pid()}-")  # its writer was killed
    (cache / (dead + "killed")).write_bytes(b"half")
    (cache / (ours + "live")).write_bytes(b"being written")
    old = cache / ".download-from-another-machine"
    old.write_bytes(b"old")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    api_dead = api / (".api-" + dead.removeprefix(".download-") + "x")
    api_dead.write_bytes(b"{")
    http_server.routes["/a.csv"] = [(200, b"a\n1\n", {})]
    http_server.routes["/api"] = [(200, b"{}", {})]
    download(http_server.url + "/a.csv")
    fetch_json(http_server.url + "/api")
    assert sorted(p.name for p in cache.glob(".download-*")) == [ours + "live"]
    assert not list(api.glob(".api-*"))


def test_old_pooch_temporary_files_are_removed_at_the_next_fetch(http_server, cache):
    """pooch's temporary files carry no owner, so only their age tells they are litter."""
    cache.mkdir(parents=True)
    old, fresh = cache / "tmpab_cd123", cache / "tmpwxyz5678"
    notes = cache / "tmp_my_notes.txt"  # not pooch's pattern: never touched
    for path in (old, fresh, notes):
        path.write_bytes(b"half a file")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    os.utime(notes, (time.time() - 7200, time.time() - 7200))
    http_server.routes["/a.csv"] = [(200, b"a\n1\n", {})]
    download(http_server.url + "/a.csv", deadline=600)
    assert not old.exists() and fresh.exists() and notes.exists()


def test_an_exception_during_a_download_leaves_no_partial_file(http_server, cache, monkeypatch):
    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_fetch, "file_problem", boom)
    http_server.routes["/a.csv"] = [(200, b"a\n1\n", {})]
    with pytest.raises(KeyboardInterrupt):
        download(http_server.url + "/a.csv")
    assert nothing_cached(cache)


# 5. every failure of the HTTP client is a DownloadError --------------------------------------


def test_a_redirect_loop_is_a_download_error(http_server, cache):
    http_server.routes["/loop.csv"] = [(302, b"", {"Location": "/loop.csv"})]
    with pytest.raises(DownloadError, match="redirects in a loop.*browser"):
        download(http_server.url + "/loop.csv")
    with pytest.raises(DownloadError, match="redirects in a loop"):
        fetch_json(http_server.url + "/loop.csv")
    assert nothing_cached(cache)


@pytest.mark.parametrize("url", ["htp://example.invalid/x.csv", "http:///x.csv", "no-scheme.csv"])
def test_a_bad_address_is_a_download_error(cache, url):
    with pytest.raises(DownloadError, match="not a valid http"):
        download(url)
    with pytest.raises(DownloadError, match="not a valid http"):
        fetch_json(url)


def test_a_refused_connection_is_retried_then_a_download_error(cache):
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match=f"127.0.0.1:{port}.*after 2 attempts.*path="):
        download(f"http://127.0.0.1:{port}/x.csv", retries=1, backoff=0)


# 6. a corrupt cached API answer --------------------------------------------------------------


@pytest.mark.parametrize(
    "damage", [b'{"features": [', b"", b"\xff\xfe not utf-8", json.dumps(ARCGIS_ERROR).encode()]
)
def test_a_corrupt_cached_api_answer_is_discarded_and_fetched_again(http_server, cache, damage):
    http_server.routes["/api"] = [(200, b'{"n": 1}', {})]
    url = http_server.url + "/api"
    assert fetch_json(url, params={"a": "1"}) == {"n": 1}
    (cached,) = (cache / "api").glob("*.json")
    cached.write_bytes(damage)
    with pytest.warns(UserWarning, match="cached answer .*discarded and is fetched again"):
        assert fetch_json(url, params={"a": "1"}) == {"n": 1}
    assert http_server.hits["/api"] == 2
    assert json.loads(cached.read_text()) == {"n": 1}
    assert fetch_json(url, params={"a": "1"}) == {"n": 1}  # and it is good again


def test_gzip_content_encoding_is_not_mistaken_for_a_short_body(http_server, cache):
    body = b"a,b\n" + b"1,2\n" * 5000
    packed = gzip.compress(body)
    http_server.routes["/z.csv"] = [(200, packed, {"Content-Encoding": "gzip"})]
    assert download(http_server.url + "/z.csv").read_bytes() == body


def test_a_download_prints_nothing(http_server, cache, capfd):
    """pooch's logger prints every download to stderr (and advice about its own API); a
    library that is not the CLI prints nothing: our own log records are enough."""
    http_server.routes["/a.csv"] = [(200, b"a\n1\n", {})]
    download(http_server.url + "/a.csv", progressbar=False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""

"""Shared fixtures. Real published files are found in $INCLUSION_GEO_SHARED_DATA (default
../shared/data beside the repository); tests that need them fail in CI if they are missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inclusion_geo.datasets import load_demo_borough
from inclusion_geo.pipeline import run_demo

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("INCLUSION_GEO_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Keep the tests' downloads and harmonised files out of the user's own cache."""
    previous = os.environ.get("INCLUSION_GEO_CACHE")
    os.environ["INCLUSION_GEO_CACHE"] = str(tmp_path_factory.mktemp("inclusion-geo-cache"))
    yield
    if previous is None:
        os.environ.pop("INCLUSION_GEO_CACHE", None)
    else:
        os.environ["INCLUSION_GEO_CACHE"] = previous


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real published files; missing is a failure in CI, a skip elsewhere."""
    if not (SHARED / "PROVENANCE.md").exists():
        message = (
            f"real data not found at {SHARED}; set INCLUSION_GEO_SHARED_DATA to the shared/data "
            "folder"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED


@pytest.fixture(scope="session")
def demo():
    return load_demo_borough(0)


@pytest.fixture(scope="session")
def demo_result():
    return run_demo(0, permutations=199)


@pytest.fixture
def http_server():
    """A local HTTP server on 127.0.0.1. ``routes[path] = handler`` where a handler is a list of
    responses served in turn (the last one repeats): ``(status, body_bytes, headers)``."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    routes: dict[str, list] = {}
    hits: dict[str, int] = {}

    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            path = self.path
            key = path if path in routes else path.split("?", 1)[0]
            n = hits.get(key, 0)
            hits[key] = n + 1
            if key not in routes:
                self.send_error(404)
                return
            responses = routes[key]
            response = responses[min(n, len(responses) - 1)]
            if callable(response):
                response = response(self)
            status, body, headers = response
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.routes = routes
    server.hits = hits
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("INCLUSION_GEO_CACHE", str(folder))
    monkeypatch.delenv("INCLUSION_GEO_OFFLINE", raising=False)
    return folder

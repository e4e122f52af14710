"""Checks on a transfer and on what it delivered, for :mod:`._fetch`.

The transfer (requests, streamed): a total deadline (:class:`Clock`) over every attempt and every
byte, retries with back-off inside it (:func:`retrying`), an HTTP status check, a body that must
be as long as its ``Content-Length`` (:func:`read_body`), and every failure of the HTTP client
turned into a :class:`DownloadError` that names the URL and the fix (:func:`request_failed`).
pooch's own downloader has none of these; :mod:`._fetch` plugs them into pooch as its
``downloader=``.

What arrived: a file must be non-empty and parse as its declared format where that is cheap (a
``.zip`` or ``.xlsx`` opens as a zip, a ``.gz`` decompresses to the end, a ``.json`` parses, a
``.csv`` is text); an API answer must not be an error sent with HTTP 200 (an ArcGIS
``{"error": ...}``, an Overpass ``"remark": "runtime error ..."``, an HTML error page).
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import re
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ._errors import DownloadError

__all__ = [
    "DEADLINE_ENV",
    "FIX",
    "Clock",
    "Retryable",
    "check_status",
    "content_length",
    "error_answer",
    "file_problem",
    "looks_like_html",
    "open_response",
    "parse_answer",
    "read_body",
    "request_failed",
    "retrying",
]

log = logging.getLogger(__name__)

DEADLINE_ENV = "INCLUSION_GEO_DEADLINE"

_ZIP_SUFFIXES = {".zip", ".xlsx", ".xlsm", ".docx", ".ods", ".kmz"}
_JSON_SUFFIXES = {".json", ".geojson", ".topojson"}
_TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
_JSON_PARSE_LIMIT = 50_000_000  # bytes: larger cached JSON files get a bracket check only


def looks_like_html(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    return text.startswith((b"<!doctype html", b"<html")) or (
        text.startswith(b"<?xml") and b"<html" in text
    )


def file_problem(path: Path, name: str, *, thorough: bool) -> str | None:
    """Why the file at ``path`` (to be called ``name``) is not a valid file of its type, or None.

    ``thorough`` (fresh downloads) also checks every zip member's CRC and parses any JSON.
    """
    size = path.stat().st_size
    if size == 0:
        return "is empty (0 bytes)"
    suffix = Path(name).suffix.lower()
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if suffix not in (".html", ".htm") and looks_like_html(head):
        snippet = head[:120].decode("utf-8", "replace")
        kind = suffix or "data"
        return f"is an HTML page (an error or login page?), not a {kind} file: {snippet!r}"
    if suffix in _ZIP_SUFFIXES:
        try:
            with zipfile.ZipFile(path) as archive:
                if not archive.infolist():
                    return "is a zip archive with no files in it"
                bad = archive.testzip() if thorough else None
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            return f"is not a readable zip archive ({suffix} files are zip archives): {exc}"
        if bad is not None:
            return f"is a damaged zip archive (member {bad!r} fails its CRC check)"
    elif suffix == ".gz":
        try:
            with gzip.open(path, "rb") as fh:
                while fh.read(1 << 20):
                    pass
        except (OSError, EOFError, zlib.error) as exc:
            return f"does not decompress to the end; it is truncated or damaged ({exc})"
    elif suffix in _JSON_SUFFIXES:
        if thorough or size <= _JSON_PARSE_LIMIT:
            try:
                with open(path, "rb") as fh:
                    payload = json.load(fh)
            except (ValueError, UnicodeDecodeError) as exc:
                return f"is not valid JSON; it is truncated or damaged ({exc})"
            error = error_answer(payload)
            if error is not None:
                return f"holds an error answer, not data: {error}"
        else:
            with open(path, "rb") as fh:
                fh.seek(max(0, size - 64))
                tail = fh.read().rstrip()
            if not tail.endswith((b"}", b"]")):
                return "does not end like JSON; it is truncated"
    elif suffix in _TEXT_SUFFIXES:
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "is not text (it contains NUL bytes)"
        if re.match(rb'\s*\{\s*"error"\s*:', head):
            return f"holds an error answer, not data: {head[:200].decode('utf-8', 'replace')!r}"
    return None


def error_answer(payload) -> str | None:
    """The error an API answered with HTTP 200 (ArcGIS ``error``, Overpass ``remark``), or None."""
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    if error:
        if isinstance(error, dict):
            details = "; ".join(str(d) for d in error.get("details") or [])
            text = f"code {error.get('code')!r}: {error.get('message')!r}"
            return f"ArcGIS error {text}" + (f" ({details!r})" if details else "")
        return f"error {str(error)[:300]!r}"
    remark = payload.get("remark")
    if isinstance(remark, str) and re.search(r"error", remark, re.IGNORECASE):
        return f"Overpass remark {remark[:300]!r}"
    return None


# The transfer ---------------------------------------------------------------------------------


FIX = "try again later, or download the file by hand and pass the loader a local path="


@dataclass
class Clock:
    """The total time allowed for one download (all attempts, all bytes)."""

    seconds: float
    url: str
    start: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.start)

    def expired(self, detail: str = "") -> DownloadError:
        detail = f" ({detail})" if detail else ""
        return DownloadError(
            f"{self.url} did not finish within the {self.seconds:g} s deadline{detail}; nothing "
            f"was cached. The server is slow or stalled: raise the deadline with deadline=SECONDS "
            f"(or the {DEADLINE_ENV} environment variable), {FIX}."
        )


class Retryable(Exception):
    pass


def retrying(attempt, *, retries: int, backoff: float, what: str, clock: Clock):
    """Call ``attempt`` until it succeeds, retrying on :class:`Retryable` up to ``retries``
    times with exponential back-off (``backoff``, ``2 x backoff`` ...) within ``clock``."""
    last: Exception | None = None
    for n in range(retries + 1):
        if n:
            pause = backoff * 2 ** (n - 1)
            if clock.remaining() <= pause:
                raise clock.expired(f"last attempt: {last}") from last
            time.sleep(pause)
        try:
            return attempt()
        except Retryable as exc:
            last = exc
            log.info("%s failed (%s); attempt %d of %d", what, exc, n + 1, retries + 1)
    raise DownloadError(
        f"Could not {what} after {retries + 1} attempts: {last}. Nothing was cached; check the "
        f"address and the connection, {FIX}."
    ) from last


def open_response(requests, url: str, *, timeout: float, clock: Clock, params=None, data=None):
    """Send the request (GET, or POST of ``data``) and return the streamed response."""
    left = clock.remaining()
    if left <= 0:
        raise clock.expired()
    wait = min(timeout, left)
    try:
        if data is None:
            return requests.get(url, params=params, stream=True, timeout=(wait, wait))
        return requests.post(url, data={"data": data}, stream=True, timeout=(wait, wait))
    except requests.RequestException as exc:
        raise request_failed(requests, exc, url, clock) from exc


def request_failed(requests, exc: Exception, url: str, clock: Clock) -> Exception:
    """The error to raise for an exception of the HTTP client: retryable or a DownloadError."""
    rex = requests.exceptions
    if clock.remaining() <= 0:
        return clock.expired(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, rex.SSLError):
        return DownloadError(
            f"The secure connection to {url} failed ({exc}). Check the computer's clock and "
            "certificates; behind a proxy that inspects HTTPS, set REQUESTS_CA_BUNDLE to its "
            f"certificate; or {FIX}."
        )
    if isinstance(exc, (rex.ConnectionError, rex.Timeout, rex.ChunkedEncodingError)):
        return Retryable(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, rex.TooManyRedirects):
        return DownloadError(
            f"{url} redirects in a loop ({exc}). The publisher may have moved the file: open the "
            f"address in a browser and update the URL (or the registry entry), or {FIX}."
        )
    if isinstance(exc, (rex.MissingSchema, rex.InvalidSchema, rex.InvalidURL, rex.URLRequired)):
        return DownloadError(
            f"{url!r} is not a valid http(s) address ({type(exc).__name__}: {exc}). Check the "
            "URL, e.g. 'https://...'."
        )
    return DownloadError(f"Requesting {url} failed ({type(exc).__name__}: {exc}); {FIX}.")


def content_length(response) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None and "," not in value else None
    except ValueError:
        return None


def check_status(response, url: str, *, clock: Clock, timeout: float) -> None:
    code = response.status_code
    if code >= 500 or code == 429:
        raise Retryable(f"{url} answered HTTP {code}")
    if 200 <= code < 300:
        return
    sink = io.BytesIO()
    try:
        read_body(response, url, sink, clock=clock, timeout=timeout, limit=300)
    except Exception:  # the error text is a courtesy; the status is the error
        pass
    text = sink.getvalue()[:300].decode("utf-8", "replace")
    raise DownloadError(
        f"{url} answered HTTP {code}: {text!r}. Check the URL (publishers move files; the "
        "registry may need the new address), or pass a local path= instead."
    )


def _socket_of(raw):
    connection = getattr(raw, "connection", None)
    return getattr(connection, "sock", None)


def read_body(
    response, url: str, sink, *, clock: Clock, timeout: float, bar=None, limit: int | None = None
) -> int:
    """Copy the body into ``sink`` within ``clock``; a body shorter than its Content-Length is
    :class:`Retryable`. Each read waits at most ``min(timeout, time left)``."""
    import urllib3

    raw = response.raw
    expected = content_length(response)
    sock = _socket_of(raw)
    read1 = getattr(raw, "read1", None)
    received = 0
    while True:
        left = clock.remaining()
        if left <= 0:
            raise clock.expired(f"{received} bytes received")
        if sock is not None:
            try:
                sock.settimeout(min(timeout, left))
            except OSError:
                pass
        try:
            if read1 is not None:
                chunk = read1(1 << 16, decode_content=True)
            else:
                chunk = raw.read(1 << 14, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if clock.remaining() <= 0:
                raise clock.expired(f"{received} bytes received") from exc
            wire = raw.tell() if hasattr(raw, "tell") else received
            of = f" of the {expected} bytes announced (Content-Length)" if expected else " bytes"
            raise Retryable(
                f"the transfer of {url} was truncated: {wire}{of} arrived before the connection "
                f"broke ({type(exc).__name__})"
            ) from exc
        if not chunk:
            break
        sink.write(chunk)
        received += len(chunk)
        if bar is not None:
            bar.update(len(chunk))
        if limit is not None and received >= limit:
            return received
    wire = raw.tell() if hasattr(raw, "tell") else received
    if expected is not None and wire != expected:
        raise Retryable(
            f"the transfer of {url} was truncated: {wire} of the {expected} bytes announced "
            "(Content-Length) arrived"
        )
    return received


def parse_answer(url: str, body: bytes):
    """The parsed JSON answer, or an error (retryable for a busy ArcGIS service)."""
    if not body:
        raise Retryable(f"{url} answered an empty body (0 bytes)")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        kind = "an HTML page (an error or rate-limit page?)" if looks_like_html(body) else "text"
        raise DownloadError(
            f"{url} did not answer JSON but {kind}: "
            f"{body[:200].decode('utf-8', 'replace')!r}. Nothing was cached; check the request, "
            f"{FIX}."
        ) from exc
    error = error_answer(payload)
    if error is None:
        return payload
    code = payload.get("error", {}).get("code") if isinstance(payload.get("error"), dict) else None
    if code in (429, 500, 502, 503, 504):
        raise Retryable(f"{url} answered {error}")
    raise DownloadError(
        f"{url} answered HTTP 200 with {error}. Nothing was cached. Check the query (an ArcGIS "
        "where= filter and field names; an Overpass area that is too large or too many "
        f"categories), or try again later if the service is busy."
    )

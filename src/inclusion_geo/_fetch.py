"""Downloads and the cache: one registry of official URLs with SHA-256 hashes, a per-user cache,
retries with back-off, a progress bar, an offline mode, and download-to-temp-then-verify-then-move
so that a broken transfer never lands in the cache. API answers (ONS ArcGIS, Overpass) are cached
under a hash of the request. Nothing here touches the disk or the network at import.

What a download guarantees (see ``docs/security.md``):

- the cache is keyed by URL (``<sha256(url)[:16]>-<file name>``), so two addresses that end in
  the same file name never share an entry;
- a body shorter than its ``Content-Length``, an empty body, a file that does not parse as its
  declared format (zip, xlsx, gz, json, csv), and an error answer that arrives with HTTP 200
  (an ArcGIS ``{"error": ...}``, an Overpass ``"remark": "runtime error ..."``, an HTML page) is
  a :class:`DownloadError` and is never cached;
- a cached file or API answer that fails those checks on a later run is discarded and fetched
  again, with a ``UserWarning``;
- each download has a total deadline (``deadline=``, ``$INCLUSION_GEO_DEADLINE``), so a server
  that sends one byte at a time cannot hold a run for ever;
- partial files (``.download-*``, ``.api-*``) are removed on any error, and ones left by a killed
  process are removed at the next fetch;
- every failure of ``requests`` (redirect loops, bad addresses, TLS, connection) is a
  :class:`DownloadError` that names the URL and the fix.

Why not ``pooch.retrieve``: pooch supplies the cache folder (``pooch.os_cache``) and the
download-then-hash-then-move idea, but its cache check trusts any existing file when no hash is
known, its temporary files carry no owner (so litter from a killed process cannot be told from a
live download), and it has no total deadline, no Content-Length check and no error-body check.
Those would all live in a custom downloader and around the call, which is most of this module.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import socket
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

from ._errors import DownloadError, InclusionGeoError
from ._fetch_checks import error_answer, file_problem, looks_like_html

__all__ = [
    "RegistryEntry",
    "REGISTRY",
    "cache_dir",
    "cache_path",
    "fetch",
    "download",
    "fetch_json",
    "is_offline",
]

log = logging.getLogger(__name__)

CACHE_ENV = "INCLUSION_GEO_CACHE"
OFFLINE_ENV = "INCLUSION_GEO_OFFLINE"
DEADLINE_ENV = "INCLUSION_GEO_DEADLINE"
DEFAULT_DEADLINE = 600.0  # seconds for one download or API answer, retries included


@dataclass(frozen=True)
class RegistryEntry:
    """An official file: where it is published, its name in the cache and its SHA-256.

    ``sha256=None`` means no hash could be verified when the entry was written (see the note on
    :data:`REGISTRY`); such a file is still checked for length and format, and the SHA-256 it
    arrives with is logged so that it can be added here.
    """

    url: str
    filename: str
    sha256: str | None
    publisher: str
    licence: str
    note: str = ""


_GOV = "https://assets.publishing.service.gov.uk/government/uploads/system/uploads/attachment_data/file"
# Hashes: File 1 and UK_IMD_E.csv are byte-identical copies of the published files (see
# shared/data/PROVENANCE.md), so their SHA-256 is known. Files 2, 6 and 7 have sha256=None on
# purpose: the only copies available offline are re-exports (File 2 and 6 as gzipped CSV) or a cut
# (File 7a, 10 columns) made by third parties, not the MHCLG originals, so no hash of the original
# can be verified without the network. A download of one of them logs its SHA-256; check the file
# and record that hash here.
REGISTRY: dict[str, RegistryEntry] = {
    "imd2019_file1": RegistryEntry(
        f"{_GOV}/833970/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
        "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
        "b95ca12952c3a8ebdb2e5c3bb03d5b0e56b76ede3fcf45205db26f280b912d9d",
        "MHCLG", "OGL v3", "IMD ranks and deciles (data on the second sheet)",
    ),
    "imd2019_file2": RegistryEntry(
        f"{_GOV}/833973/File_2_-_IoD2019_Domains_of_Deprivation.xlsx",
        "File_2_-_IoD2019_Domains_of_Deprivation.xlsx", None, "MHCLG", "OGL v3",
        "ranks and deciles of the IMD and its seven domains; no hash: original not available offline",
    ),
    "imd2019_file6": RegistryEntry(
        f"{_GOV}/833980/File_6_-_IoD2019_Population_Denominators.xlsx",
        "File_6_-_IoD2019_Population_Denominators.xlsx", None, "MHCLG", "OGL v3",
        "mid-2015 population denominators; no hash: original not available offline",
    ),
    "imd2019_file7": RegistryEntry(
        f"{_GOV}/845345/File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",
        "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv", None,
        "MHCLG", "OGL v3",
        "every score, rank and decile with denominators; no hash: original not available offline",
    ),
    "composite_uk_imd_e": RegistryEntry(
        "https://raw.githubusercontent.com/mysociety/composite_uk_imd/"
        "af4866b06fe603b65beced39ec120b5217b1b754/data/packages/uk_index/UK_IMD_E.csv",
        "UK_IMD_E.csv", "cfcef5086a8759068195b341db32bd643931a2dfa0a101edf99b1a27e0190138",
        "mySociety", "CC BY 4.0", "composite UK IMD, English-scaled",
    ),
}  # fmt: skip

_FIX = "try again later, or download the file by hand and pass the loader a local path="


def cache_dir() -> Path:
    """``$INCLUSION_GEO_CACHE`` if set, else the OS user cache (``~/.cache/inclusion_geo``)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("inclusion_geo"))


def is_offline(offline: bool | None = None) -> bool:
    """``offline`` if given, else whether ``$INCLUSION_GEO_OFFLINE`` is ``1``/``true``/``yes``."""
    if offline is not None:
        return offline
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes")


def _safe_name(name: str) -> str:
    """A file name that stays inside the cache folder and is readable."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip(".")
    return name[-120:] or "download"


def cache_path(url: str, filename: str | None = None) -> Path:
    """Where :func:`download` keeps ``url``: ``<cache>/<sha256(url)[:16]>-<file name>``.

    The file name (``filename``, else the URL's last path segment) is kept readable; the prefix
    keys the entry by the whole URL, so two URLs that end in the same name get two files.
    """
    name = filename or unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return cache_dir() / f"{key}-{_safe_name(name)}"


def _deadline_seconds(deadline: float | None) -> float:
    if deadline is None:
        env = os.environ.get(DEADLINE_ENV, "").strip()
        try:
            deadline = float(env) if env else DEFAULT_DEADLINE
        except ValueError as exc:
            raise DownloadError(
                f"${DEADLINE_ENV}={env!r} is not a number of seconds; set it to e.g. 1800."
            ) from exc
    if not deadline > 0:
        raise DownloadError(f"deadline={deadline!r} must be a positive number of seconds.")
    return float(deadline)


@dataclass
class _Clock:
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
            f"(or the {DEADLINE_ENV} environment variable), {_FIX}."
        )


class _Retryable(Exception):
    pass


def fetch(
    name: str,
    *,
    offline: bool | None = None,
    progressbar: bool | None = None,
    registry: Mapping[str, RegistryEntry] | None = None,
    deadline: float | None = None,
) -> Path:
    """Path to the registered file ``name`` in the cache, downloading it if needed.

    Parameters
    ----------
    name
        A key of ``registry`` (default :data:`REGISTRY`).
    offline
        Use only the cache (default ``$INCLUSION_GEO_OFFLINE``).
    progressbar
        Show a progress bar (default: on a terminal, for files over 5 MB).
    registry
        Another registry, e.g. in tests.
    deadline
        Seconds allowed for the whole download (default ``$INCLUSION_GEO_DEADLINE`` or 600).

    Returns
    -------
    Path
        The verified file in the cache.

    Raises
    ------
    DownloadError
        See :func:`download`.
    """
    registry = REGISTRY if registry is None else registry
    if name not in registry:
        raise InclusionGeoError(f"No registered file {name!r}; registered: {sorted(registry)}.")
    entry = registry[name]
    return download(
        entry.url,
        filename=entry.filename,
        sha256=entry.sha256,
        offline=offline,
        progressbar=progressbar,
        deadline=deadline,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    url: str,
    *,
    filename: str | None = None,
    sha256: str | None = None,
    offline: bool | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    timeout: float = 60.0,
    deadline: float | None = None,
    progressbar: bool | None = None,
) -> Path:
    """Download ``url`` into the cache (if not already there and valid) and return its path.

    Parameters
    ----------
    url
        The address.
    filename
        The readable part of the cache name (default: the URL's last segment); the cache is
        keyed by the whole URL (:func:`cache_path`).
    sha256
        The expected SHA-256; ``None`` checks length and format only and logs the hash.
    offline
        Use only the cache (default ``$INCLUSION_GEO_OFFLINE``).
    retries, backoff
        Connection errors, time-outs, short or invalid bodies and 5xx/429 answers are retried
        ``retries`` times, waiting ``backoff * 2**attempt`` seconds; other HTTP errors fail at once.
    timeout
        Seconds to wait for the connection and for each read.
    deadline
        Seconds for the whole download, retries included (default ``$INCLUSION_GEO_DEADLINE``
        or 600).
    progressbar
        Show a progress bar (default: on a terminal, for files over 5 MB).

    Returns
    -------
    Path
        The file in the cache. It is written to a temporary file beside its final place,
        checked (Content-Length, format, ``sha256``) and only then moved into the cache.

    Raises
    ------
    DownloadError
        Offline without a cached copy; an HTTP error; a short, empty, invalid or error body; a
        hash mismatch; the deadline passed; any failure of the HTTP client.

    Warns
    -----
    UserWarning
        A cached copy failed its checks and was discarded.
    """
    import requests

    limit = _deadline_seconds(deadline)
    target = cache_path(url, filename)
    folder = target.parent
    _clean_stale(folder, max_age=max(limit, timeout))
    if not target.exists() and sha256 is not None:
        _adopt_legacy(folder / _safe_name(filename or target.name[17:]), target, sha256)
    if target.exists():
        problem = _cached_problem(target, sha256)
        if problem is None:
            return target
        target.unlink(missing_ok=True)
        warnings.warn(
            f"The cached copy of {url} ({target}) {problem}; it was discarded and is downloaded "
            "again.",
            UserWarning,
            stacklevel=2,
        )
    if is_offline(offline):
        raise DownloadError(
            f"Offline mode: {url} is not in the cache. Download it once with network access, "
            f"copy the file to {target}, or pass the loader a local path= instead."
        )
    folder.mkdir(parents=True, exist_ok=True)
    clock = _Clock(limit, url)
    tmp = _retrying(
        lambda: _get_to_temp(
            requests,
            url,
            folder,
            target.name,
            timeout=timeout,
            clock=clock,
            progressbar=progressbar,
        ),
        retries=retries,
        backoff=backoff,
        what=f"download {url}",
        clock=clock,
    )
    try:
        got = _sha256(tmp)
        if sha256 is not None and got != sha256:
            raise DownloadError(
                f"{url} downloaded, but its SHA-256 is {got}, not the registered {sha256}. "
                "Either the download was corrupted (try again), or the publisher changed the "
                "file and the registry is out of date (check the file, then update its hash)."
            )
        if sha256 is None:
            log.warning("no registered hash for %s; its SHA-256 is %s", url, got)
        try:
            os.replace(tmp, target)
        except FileNotFoundError as exc:
            raise DownloadError(
                f"The partial download of {url} was removed before it was complete (another "
                "process cleaning the cache?); nothing was cached. Try again."
            ) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _adopt_legacy(legacy: Path, target: Path, sha256: str) -> None:
    """A file kept under its bare name (older versions, or copied by hand) is moved to its
    URL-keyed place, but only when it matches the registered hash."""
    try:
        if legacy.is_file() and not legacy.is_symlink() and _sha256(legacy) == sha256:
            os.replace(legacy, target)
    except OSError:
        pass


def _cached_problem(path: Path, sha256: str | None) -> str | None:
    if sha256 is not None:
        got = _sha256(path)
        return None if got == sha256 else f"has SHA-256 {got}, not the registered {sha256}"
    return file_problem(path, path.name, thorough=False)


def _retrying(attempt, *, retries: int, backoff: float, what: str, clock: _Clock):
    """Call ``attempt`` until it succeeds, retrying on :class:`_Retryable` up to ``retries``
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
        except _Retryable as exc:
            last = exc
            log.info("%s failed (%s); attempt %d of %d", what, exc, n + 1, retries + 1)
    raise DownloadError(
        f"Could not {what} after {retries + 1} attempts: {last}. Nothing was cached; check the "
        f"address and the connection, {_FIX}."
    ) from last


def _open(requests, url: str, *, timeout: float, clock: _Clock, params=None, data=None):
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
        raise _request_failed(requests, exc, url, clock) from exc


def _request_failed(requests, exc: Exception, url: str, clock: _Clock) -> Exception:
    """The error to raise for an exception of the HTTP client: retryable or a DownloadError."""
    rex = requests.exceptions
    if clock.remaining() <= 0:
        return clock.expired(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, rex.SSLError):
        return DownloadError(
            f"The secure connection to {url} failed ({exc}). Check the computer's clock and "
            "certificates; behind a proxy that inspects HTTPS, set REQUESTS_CA_BUNDLE to its "
            f"certificate; or {_FIX}."
        )
    if isinstance(exc, (rex.ConnectionError, rex.Timeout, rex.ChunkedEncodingError)):
        return _Retryable(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, rex.TooManyRedirects):
        return DownloadError(
            f"{url} redirects in a loop ({exc}). The publisher may have moved the file: open the "
            f"address in a browser and update the URL (or the registry entry), or {_FIX}."
        )
    if isinstance(exc, (rex.MissingSchema, rex.InvalidSchema, rex.InvalidURL, rex.URLRequired)):
        return DownloadError(
            f"{url!r} is not a valid http(s) address ({type(exc).__name__}: {exc}). Check the "
            "URL, e.g. 'https://...'."
        )
    return DownloadError(f"Requesting {url} failed ({type(exc).__name__}: {exc}); {_FIX}.")


def _content_length(response) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None and "," not in value else None
    except ValueError:
        return None


def _check_status(response, url: str, *, clock: _Clock, timeout: float) -> None:
    code = response.status_code
    if code >= 500 or code == 429:
        raise _Retryable(f"{url} answered HTTP {code}")
    if 200 <= code < 300:
        return
    sink = io.BytesIO()
    try:
        _read_body(response, url, sink, clock=clock, timeout=timeout, limit=300)
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


def _read_body(
    response, url: str, sink, *, clock: _Clock, timeout: float, bar=None, limit: int | None = None
) -> int:
    """Copy the body into ``sink`` within ``clock``; a body shorter than its Content-Length is
    :class:`_Retryable`. Each read waits at most ``min(timeout, time left)``."""
    import urllib3

    raw = response.raw
    expected = _content_length(response)
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
            raise _Retryable(
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
        raise _Retryable(
            f"the transfer of {url} was truncated: {wire} of the {expected} bytes announced "
            "(Content-Length) arrived"
        )
    return received


def _partial_prefix(kind: str) -> str:
    """``.download-<host>-<pid>-``: the owner of a partial file, for :func:`_clean_stale`."""
    host = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
    return f"{kind}{host}-{os.getpid()}-"


_PARTIAL_KINDS = (".download-", ".api-")


def _writer_gone(name: str) -> bool:
    """Whether the process that wrote the partial file ``name`` has ended (POSIX, same host)."""
    kind = next(k for k in _PARTIAL_KINDS if name.startswith(k))
    ours = _partial_prefix(kind).split("-")
    parts = name.split("-")
    if os.name != "posix" or len(parts) < 4 or parts[1] != ours[1] or not parts[2].isdigit():
        return False
    pid = int(parts[2])
    if pid == os.getpid() or pid <= 1:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _clean_stale(folder: Path, *, max_age: float) -> None:
    """Remove partial files in ``folder`` older than ``max_age`` s or whose writer has ended."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(_PARTIAL_KINDS):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if age > max_age or _writer_gone(entry.name):
                os.unlink(entry.path)
                log.info("removed the stale partial download %s", entry.path)
        except OSError:
            continue


def _get_to_temp(
    requests,
    url: str,
    folder: Path,
    name: str,
    *,
    timeout: float,
    clock: _Clock,
    progressbar: bool | None,
) -> Path:
    response = _open(requests, url, timeout=timeout, clock=clock)
    with response:
        _check_status(response, url, clock=clock, timeout=timeout)
        expected = _content_length(response) or 0
        show = (
            progressbar
            if progressbar is not None
            else (sys.stderr.isatty() and expected > 5_000_000)
        )
        fd, tmpname = tempfile.mkstemp(prefix=_partial_prefix(".download-"), dir=folder)
        tmp = Path(tmpname)
        try:
            bar = _bar(expected, url) if show else None
            try:
                with os.fdopen(fd, "wb") as fh:
                    size = _read_body(response, url, fh, clock=clock, timeout=timeout, bar=bar)
            finally:
                if bar is not None:
                    bar.close()
            problem = file_problem(tmp, name, thorough=True)
            if problem is not None and size == 0:
                raise _Retryable(f"{url} answered a file that {problem}")
            if problem is not None:  # the same answer again would not help: fail at once
                raise DownloadError(
                    f"{url} answered a file that {problem}. Nothing was cached. The address may "
                    f"now serve an error page or another file: open it in a browser, {_FIX}."
                )
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return tmp


def _bar(total: int, url: str):
    from tqdm import tqdm

    return tqdm(
        total=total or None,
        unit="B",
        unit_scale=True,
        desc=url.rsplit("/", 1)[-1][:40],
        file=sys.stderr,
    )


def _api_cache_path(url: str, params: Mapping[str, str] | None, data: str | None) -> Path:
    key_text = url + "?" + urlencode(sorted((params or {}).items())) + "\n" + (data or "")
    key = hashlib.sha256(key_text.encode("utf-8")).hexdigest()[:32]
    return cache_dir() / "api" / f"{key}.json"


def fetch_json(
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    data: str | None = None,
    offline: bool | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    timeout: float = 120.0,
    deadline: float | None = None,
) -> dict:
    """GET (or POST ``data``) a JSON API, caching the answer under a hash of the request.

    Parameters
    ----------
    url, params, data
        The request: ``params`` go in the query string; ``data`` is POSTed as the form field
        ``data`` (Overpass).
    offline
        Use only the cache (default ``$INCLUSION_GEO_OFFLINE``).
    retries, backoff, timeout, deadline
        As for :func:`download`.

    Returns
    -------
    dict
        The parsed answer. Only a complete, parsed answer that is not an error is cached.

    Raises
    ------
    DownloadError
        An HTTP error; a short or non-JSON body (e.g. an HTML error page); an error answered
        with HTTP 200 (ArcGIS ``{"error": ...}``, an Overpass ``remark`` about an error); the
        deadline passed; any failure of the HTTP client; offline without a cached answer.

    Warns
    -----
    UserWarning
        A cached answer was not valid JSON or was an error answer, and was fetched again.
    """
    import requests

    limit = _deadline_seconds(deadline)
    target = _api_cache_path(url, params, data)
    folder = target.parent
    _clean_stale(folder, max_age=max(limit, timeout))
    if target.exists():
        try:
            payload = json.loads(target.read_text(encoding="utf-8"))
            problem = error_answer(payload)
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            problem = f"is not valid JSON ({exc})"
        if problem is None:
            return payload
        target.unlink(missing_ok=True)
        warnings.warn(
            f"The cached answer from {url} ({target}) {problem}; it was discarded and is "
            "fetched again.",
            UserWarning,
            stacklevel=2,
        )
    if is_offline(offline):
        raise DownloadError(f"Offline mode: no cached answer for {url} with {dict(params or {})}.")
    folder.mkdir(parents=True, exist_ok=True)
    clock = _Clock(limit, url)

    def attempt():
        response = _open(requests, url, timeout=timeout, clock=clock, params=params, data=data)
        with response:
            _check_status(response, url, clock=clock, timeout=timeout)
            sink = io.BytesIO()
            _read_body(response, url, sink, clock=clock, timeout=timeout)
        return _parse_answer(url, sink.getvalue())

    payload = _retrying(attempt, retries=retries, backoff=backoff, what=f"reach {url}", clock=clock)
    fd, name = tempfile.mkstemp(prefix=_partial_prefix(".api-"), dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh)
        os.replace(name, target)
    finally:
        Path(name).unlink(missing_ok=True)
    return payload


def _parse_answer(url: str, body: bytes):
    """The parsed JSON answer, or an error (retryable for a busy ArcGIS service)."""
    if not body:
        raise _Retryable(f"{url} answered an empty body (0 bytes)")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        kind = "an HTML page (an error or rate-limit page?)" if looks_like_html(body) else "text"
        raise DownloadError(
            f"{url} did not answer JSON but {kind}: "
            f"{body[:200].decode('utf-8', 'replace')!r}. Nothing was cached; check the request, "
            f"{_FIX}."
        ) from exc
    error = error_answer(payload)
    if error is None:
        return payload
    code = payload.get("error", {}).get("code") if isinstance(payload.get("error"), dict) else None
    if code in (429, 500, 502, 503, 504):
        raise _Retryable(f"{url} answered {error}")
    raise DownloadError(
        f"{url} answered HTTP 200 with {error}. Nothing was cached. Check the query (an ArcGIS "
        "where= filter and field names; an Overpass area that is too large or too many "
        f"categories), or try again later if the service is busy."
    )

"""Downloads and the cache, built on pooch: one registry of official URLs with SHA-256 hashes, a
per-user cache, retries with back-off, a progress bar, an offline mode, and
download-to-temp-then-verify-then-move so that a broken transfer never lands in the cache. API
answers (ONS ArcGIS, Overpass) are cached under a hash of the request. Nothing here touches the
disk or the network at import.

What pooch does and what this module adds:

- :func:`download` hands every file download to :func:`pooch.retrieve`: pooch supplies the cache
  folder (:func:`pooch.os_cache`), writes to a temporary file beside the cache entry, checks the
  registered SHA-256 (``known_hash``) and only then moves the file into place.
- The transfer itself is done by :class:`_CheckedDownloader`, a pooch ``downloader=`` built on
  requests that adds what pooch's :class:`pooch.HTTPDownloader` lacks: a total deadline, a
  Content-Length check, format and error-body checks, retries with back-off inside that deadline,
  owner-named partial files, and a :class:`DownloadError` naming the URL and the fix for every
  failure of the HTTP client.
- Reuse of a cached file is decided here, not by pooch: pooch replaces a file whose hash differs
  without a word and trusts any existing file that has no known hash. A hashed file is checked
  with :func:`pooch.file_hash` and a mismatch is a ``UserWarning``; a file without a hash (see
  ``docs/security.md``, "Hashes", for why some have none) gets our format check
  (:func:`._fetch_checks.file_problem`) on every reuse instead.
- :func:`fetch_json` (API answers) is ours alone: pooch caches files by name and cannot key a
  cache by a query string or a POST body, nor reject an error answered with HTTP 200.

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
  process are removed at the next fetch, as are pooch's own temporary files (``tmpXXXXXXXX``)
  once they are older than the deadline;
- every failure of ``requests`` (redirect loops, bad addresses, TLS, connection) is a
  :class:`DownloadError` that names the URL and the fix.
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
import threading
import time
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

from ._errors import DownloadError, InclusionGeoError
from ._fetch_checks import (
    DEADLINE_ENV,
    FIX,
    Clock,
    Retryable,
    check_status,
    content_length,
    error_answer,
    file_problem,
    open_response,
    parse_answer,
    read_body,
    retrying,
)

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
DEFAULT_DEADLINE = 600.0  # seconds for one download or API answer, retries included


@dataclass(frozen=True)
class RegistryEntry:
    """An official file: where it is published, its name in the cache and its SHA-256.

    ``sha256=None`` means no hash could be verified when the entry was written (why, entry by
    entry: ``docs/security.md``, "Hashes"); such a file is still checked for length and format
    when it arrives and on every reuse, and the SHA-256 it arrives with is logged so that it can
    be added here once the file has been checked.
    """

    url: str
    filename: str
    sha256: str | None
    publisher: str
    licence: str
    note: str = ""


_GOV = "https://assets.publishing.service.gov.uk/government/uploads/system/uploads/attachment_data/file"
# SHA-256 hashes: why each entry has one or has none is the table "Hashes" in docs/security.md
# (tests/test_fetch.py checks that every key is in that table and that the hashes given match the
# byte-identical copies in shared/data).
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
        "ranks and deciles of the IMD and its seven domains; no hash (docs/security.md)",
    ),
    "imd2019_file6": RegistryEntry(
        f"{_GOV}/833980/File_6_-_IoD2019_Population_Denominators.xlsx",
        "File_6_-_IoD2019_Population_Denominators.xlsx", None, "MHCLG", "OGL v3",
        "mid-2015 population denominators; no hash (docs/security.md)",
    ),
    "imd2019_file7": RegistryEntry(
        f"{_GOV}/845345/File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",
        "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv", None,
        "MHCLG", "OGL v3",
        "every score, rank and decile with denominators; no hash (docs/security.md)",
    ),
    "composite_uk_imd_e": RegistryEntry(
        "https://raw.githubusercontent.com/mysociety/composite_uk_imd/"
        "af4866b06fe603b65beced39ec120b5217b1b754/data/packages/uk_index/UK_IMD_E.csv",
        "UK_IMD_E.csv", "cfcef5086a8759068195b341db32bd643931a2dfa0a101edf99b1a27e0190138",
        "mySociety", "CC BY 4.0", "composite UK IMD, English-scaled",
    ),
}  # fmt: skip


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
        The file in the cache. :func:`pooch.retrieve` fetches it with our checked downloader
        (Content-Length, format, deadline) into a temporary file beside its final place, checks
        ``sha256`` and only then moves it into the cache.

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
    import pooch

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
    downloader = _CheckedDownloader(
        clock=Clock(limit, url),
        name=target.name,
        timeout=timeout,
        retries=retries,
        backoff=backoff,
        progressbar=progressbar,
    )
    try:
        # pooch: temporary file beside the entry, SHA-256 check (known_hash), then the move
        with _quiet_pooch(pooch):
            pooch.retrieve(
                url, known_hash=sha256, fname=target.name, path=folder, downloader=downloader
            )
    except DownloadError:
        raise
    except ValueError as exc:  # after a complete transfer: pooch's hash check
        if downloader.sha256 is None:
            raise DownloadError(f"Downloading {url} failed ({exc}); nothing was cached.") from exc
        raise DownloadError(
            f"{url} downloaded, but its SHA-256 is {downloader.sha256}, not the registered "
            f"{sha256}. "
            "Either the download was corrupted (try again), or the publisher changed the "
            "file and the registry is out of date (check the file, then update its hash). "
            "Nothing was cached."
        ) from exc
    except FileNotFoundError as exc:
        raise DownloadError(
            f"The partial download of {url} was removed before it was complete (another "
            "process cleaning the cache?); nothing was cached. Try again."
        ) from exc
    if sha256 is None and downloader.sha256 is not None:
        log.warning("no registered hash for %s; its SHA-256 is %s", url, downloader.sha256)
    return target


_POOCH_LOG_LOCK = threading.Lock()
_pooch_calls = 0
_pooch_level = logging.NOTSET


@contextmanager
def _quiet_pooch(pooch):
    """Raise pooch's logger to WARNING while we call pooch.

    pooch's logger has its own stderr handler and reports every download at INFO, with advice
    about its own API ("use this value as the 'known_hash' argument of 'pooch.retrieve'"); this
    module logs what matters through :data:`log`, with no handler. Counted, so that overlapping
    calls from several threads restore the user's level only when the last one ends.
    """
    global _pooch_calls, _pooch_level
    logger = pooch.get_logger()
    with _POOCH_LOG_LOCK:
        if _pooch_calls == 0:
            _pooch_level = logger.level
            logger.setLevel(max(_pooch_level, logging.WARNING))
        _pooch_calls += 1
    try:
        yield
    finally:
        with _POOCH_LOG_LOCK:
            _pooch_calls -= 1
            if _pooch_calls == 0:
                logger.setLevel(_pooch_level)


@dataclass
class _CheckedDownloader:
    """A pooch ``downloader=`` (``(url, output_file, pooch)``) that adds our checks to the transfer.

    The body is fetched with requests into an owner-named partial file (``.download-<host>-
    <pid>-*``, see :func:`_clean_stale`) within the total deadline ``clock``, retried on
    connection errors, 5xx/429 answers and short or empty bodies, and checked for its
    Content-Length and format (:func:`._fetch_checks.file_problem`). Only a file that passes is
    moved onto pooch's temporary ``output_file``; pooch then checks its hash and moves it into
    the cache. The SHA-256 of what arrived is kept in :attr:`sha256` for the messages.
    """

    clock: Clock
    name: str
    timeout: float
    retries: int
    backoff: float
    progressbar: bool | None
    sha256: str | None = None

    def __call__(self, url: str, output_file, pooch_instance=None) -> None:
        import pooch
        import requests

        out = Path(output_file)
        tmp = retrying(
            lambda: _get_to_temp(
                requests,
                url,
                out.parent,
                self.name,
                timeout=self.timeout,
                clock=self.clock,
                progressbar=self.progressbar,
            ),
            retries=self.retries,
            backoff=self.backoff,
            what=f"download {url}",
            clock=self.clock,
        )
        try:
            self.sha256 = pooch.file_hash(str(tmp))
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)


def _adopt_legacy(legacy: Path, target: Path, sha256: str) -> None:
    """A file kept under its bare name (older versions, or copied by hand) is moved to its
    URL-keyed place, but only when it matches the registered hash."""
    try:
        if legacy.is_file() and not legacy.is_symlink():
            import pooch

            if pooch.file_hash(str(legacy)) == sha256:
                os.replace(legacy, target)
    except OSError:
        pass


def _cached_problem(path: Path, sha256: str | None) -> str | None:
    """Why the cached ``path`` cannot be reused, or None: a hash mismatch (pooch's hash) where a
    hash is registered, else our format check, since pooch would trust any file it finds."""
    if sha256 is not None:
        import pooch

        got = pooch.file_hash(str(path))
        return None if got == sha256 else f"has SHA-256 {got}, not the registered {sha256}"
    return file_problem(path, path.name, thorough=False)


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


# pooch's temporary files (``tempfile.NamedTemporaryFile(dir=cache)``): no owner in the name,
# so they are removed by age only.
_POOCH_TMP = re.compile(r"tmp[a-z0-9_]{8}")


def _clean_stale(folder: Path, *, max_age: float) -> None:
    """Remove partial files in ``folder`` older than ``max_age`` s or whose writer has ended, and
    pooch's temporary files older than ``max_age`` s."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        ours = entry.name.startswith(_PARTIAL_KINDS)
        if not ours and not _POOCH_TMP.fullmatch(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if age > max_age or (ours and _writer_gone(entry.name)):
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
    clock: Clock,
    progressbar: bool | None,
) -> Path:
    response = open_response(requests, url, timeout=timeout, clock=clock)
    with response:
        check_status(response, url, clock=clock, timeout=timeout)
        expected = content_length(response) or 0
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
                    size = read_body(response, url, fh, clock=clock, timeout=timeout, bar=bar)
            finally:
                if bar is not None:
                    bar.close()
            problem = file_problem(tmp, name, thorough=True)
            if problem is not None and size == 0:
                raise Retryable(f"{url} answered a file that {problem}")
            if problem is not None:  # the same answer again would not help: fail at once
                raise DownloadError(
                    f"{url} answered a file that {problem}. Nothing was cached. The address may "
                    f"now serve an error page or another file: open it in a browser, {FIX}."
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
    clock = Clock(limit, url)

    def attempt():
        response = open_response(
            requests, url, timeout=timeout, clock=clock, params=params, data=data
        )
        with response:
            check_status(response, url, clock=clock, timeout=timeout)
            sink = io.BytesIO()
            read_body(response, url, sink, clock=clock, timeout=timeout)
        return parse_answer(url, sink.getvalue())

    payload = retrying(attempt, retries=retries, backoff=backoff, what=f"reach {url}", clock=clock)
    fd, name = tempfile.mkstemp(prefix=_partial_prefix(".api-"), dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh)
        os.replace(name, target)
    finally:
        Path(name).unlink(missing_ok=True)
    return payload

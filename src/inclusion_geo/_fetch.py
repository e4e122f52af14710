"""Downloads and the cache: one registry of official URLs with SHA-256 hashes, a per-user cache,
retries with back-off, a progress bar, an offline mode, and download-to-temp-then-verify-then-move
so that a broken transfer never lands in the cache. API answers (ONS ArcGIS, Overpass) are cached
under a hash of the request. Nothing here touches the disk or the network at import."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from ._errors import DownloadError, InclusionGeoError

__all__ = [
    "RegistryEntry",
    "REGISTRY",
    "cache_dir",
    "fetch",
    "download",
    "fetch_json",
    "is_offline",
]

log = logging.getLogger(__name__)

CACHE_ENV = "INCLUSION_GEO_CACHE"
OFFLINE_ENV = "INCLUSION_GEO_OFFLINE"


@dataclass(frozen=True)
class RegistryEntry:
    """An official file: where it is published, its name in the cache and its SHA-256."""

    url: str
    filename: str
    sha256: str | None
    publisher: str
    licence: str
    note: str = ""


_GOV = "https://assets.publishing.service.gov.uk/government/uploads/system/uploads/attachment_data/file"
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
        "ranks and deciles of the IMD and its seven domains",
    ),
    "imd2019_file6": RegistryEntry(
        f"{_GOV}/833980/File_6_-_IoD2019_Population_Denominators.xlsx",
        "File_6_-_IoD2019_Population_Denominators.xlsx", None, "MHCLG", "OGL v3",
        "mid-2015 population denominators",
    ),
    "imd2019_file7": RegistryEntry(
        f"{_GOV}/845345/File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",
        "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv", None,
        "MHCLG", "OGL v3", "every score, rank and decile with denominators",
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
    if offline is not None:
        return offline
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes")


def fetch(
    name: str,
    *,
    offline: bool | None = None,
    progressbar: bool | None = None,
    registry: Mapping[str, RegistryEntry] | None = None,
) -> Path:
    """Path to the registered file ``name`` in the cache, downloading it if needed."""
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
    progressbar: bool | None = None,
) -> Path:
    """Download ``url`` into the cache (if not already there and verified) and return its path.

    Retries connection errors, time-outs, truncated transfers and 5xx/429 answers ``retries``
    times, waiting ``backoff * 2**attempt`` seconds; other HTTP errors fail at once. The file is
    written to a temporary file beside its final place, checked against ``sha256`` (when given),
    and only then moved into the cache.
    """
    import requests

    folder = cache_dir()
    target = folder / (filename or url.rstrip("/").rsplit("/", 1)[-1])
    if target.exists():
        if sha256 is None or _sha256(target) == sha256:
            return target
        log.warning("cached %s does not match its hash; downloading again", target)
    if is_offline(offline):
        raise DownloadError(
            f"Offline mode: {target.name} is not in the cache ({folder}). Download it once with "
            f"network access, copy it there, or pass the loader a local path= instead."
        )
    folder.mkdir(parents=True, exist_ok=True)
    tmp = _retrying(
        lambda: _get_to_temp(requests, url, folder, timeout=timeout, progressbar=progressbar),
        retries=retries,
        backoff=backoff,
        what=f"download {url}",
    )
    got = _sha256(tmp)
    if sha256 is not None and got != sha256:
        tmp.unlink(missing_ok=True)
        raise DownloadError(
            f"{url} downloaded, but its SHA-256 is {got}, not the registered {sha256}. Either "
            "the download was corrupted (try again), or the publisher changed the file and "
            "the registry is out of date (check the file, then update its hash)."
        )
    if sha256 is None:
        log.warning("no registered hash for %s; its SHA-256 is %s", url, got)
    os.replace(tmp, target)
    return target


def _retrying(attempt, *, retries: int, backoff: float, what: str):
    """Call ``attempt`` until it succeeds, retrying on :class:`_Retryable` up to ``retries``
    times with exponential back-off (``backoff``, ``2 x backoff`` ...)."""
    last: Exception | None = None
    for n in range(retries + 1):
        if n:
            time.sleep(backoff * 2 ** (n - 1))
        try:
            return attempt()
        except _Retryable as exc:
            last = exc
            log.info("%s failed (%s); attempt %d of %d", what, exc, n + 1, retries + 1)
    raise DownloadError(f"Could not {what} after {retries + 1} attempts: {last}.")


class _Retryable(Exception):
    pass


def _get_to_temp(
    requests, url: str, folder: Path, *, timeout: float, progressbar: bool | None
) -> Path:
    try:
        response = requests.get(url, stream=True, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _Retryable(str(exc)) from exc
    with response:
        if response.status_code >= 500 or response.status_code == 429:
            raise _Retryable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise DownloadError(
                f"{url} answered HTTP {response.status_code}. Check the URL (publishers move "
                "files; the registry may need the new address), or pass a local path= instead."
            )
        expected = int(response.headers.get("Content-Length", 0) or 0)
        show = (
            progressbar
            if progressbar is not None
            else (sys.stderr.isatty() and expected > 5_000_000)
        )
        fd, name = tempfile.mkstemp(prefix=".download-", dir=folder)
        tmp = Path(name)
        received = 0
        try:
            bar = _bar(expected, url) if show else None
            with os.fdopen(fd, "wb") as fh:
                for chunk in response.iter_content(1 << 16):
                    fh.write(chunk)
                    received += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            if bar is not None:
                bar.close()
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            tmp.unlink(missing_ok=True)
            raise _Retryable(f"transfer broken after {received} bytes: {exc}") from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    if expected and received != expected:
        tmp.unlink(missing_ok=True)
        raise _Retryable(f"truncated: got {received} of {expected} bytes")
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


def fetch_json(
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    data: str | None = None,
    offline: bool | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    timeout: float = 120.0,
) -> dict:
    """GET (or POST ``data``) a JSON API, caching the answer under a hash of the request."""
    import requests

    key_text = url + "?" + urlencode(sorted((params or {}).items())) + "\n" + (data or "")
    key = hashlib.sha256(key_text.encode("utf-8")).hexdigest()[:32]
    folder = cache_dir() / "api"
    target = folder / f"{key}.json"
    if target.exists():
        return json.loads(target.read_text(encoding="utf-8"))
    if is_offline(offline):
        raise DownloadError(f"Offline mode: no cached answer for {url} with {dict(params or {})}.")
    folder.mkdir(parents=True, exist_ok=True)

    def attempt():
        try:
            if data is None:
                response = requests.get(url, params=params, timeout=timeout)
            else:
                response = requests.post(url, data={"data": data}, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retryable(str(exc)) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise _Retryable(f"HTTP {response.status_code}")
        return response

    response = _retrying(attempt, retries=retries, backoff=backoff, what=f"reach {url}")
    if response.status_code >= 400:
        raise DownloadError(f"{url} answered HTTP {response.status_code}: {response.text[:200]}")
    try:
        payload = response.json()
    except ValueError as exc:
        raise DownloadError(f"{url} did not answer JSON: {response.text[:200]!r}") from exc
    fd, name = tempfile.mkstemp(prefix=".api-", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh)
    os.replace(name, target)
    return payload

"""Checks that a downloaded file or API answer is what it claims to be, for :mod:`._fetch`.

A file must be non-empty and parse as its declared format where that is cheap (a ``.zip`` or
``.xlsx`` opens as a zip, a ``.gz`` decompresses to the end, a ``.json`` parses, a ``.csv`` is
text); an API answer must not be an error sent with HTTP 200 (an ArcGIS ``{"error": ...}``, an
Overpass ``"remark": "runtime error ..."``, an HTML error page).
"""

from __future__ import annotations

import gzip
import json
import re
import zipfile
import zlib
from pathlib import Path

__all__ = ["file_problem", "error_answer", "looks_like_html"]

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

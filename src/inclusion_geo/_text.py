"""Untrusted text, cleaned once, at load.

Names and other free text come from other people's files: OpenStreetMap tags, a council's
asset list, the names in a boundary file or a lookup. A control character (a NUL, a bell, an
escape sequence) in one of them breaks the spreadsheet writer after all the computation, and
text-direction controls (U+202E RIGHT-TO-LEFT OVERRIDE ...) make a name display as something
it is not. :func:`clean_names` removes both, turns line breaks and tabs into a space, and says
in one warning how many values it changed. Everything else (markup, formulas, template
syntax) is left as it is: each output escapes it for its own format.

:func:`asset_label` gives an unnamed place a readable label for display (``"unnamed library
(OSM node 123)"``) without ever writing an invented name into a ``name`` column.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

import pandas as pd

__all__ = ["clean_text", "clean_names", "clean_text_columns", "asset_label", "UNSAFE"]

# line breaks and tabs (and the Unicode line/paragraph separators) become one space
_BREAKS = r"\t\n\r\v\f\u0085\u2028\u2029"
_SPACE = re.compile(rf" *[{_BREAKS}][{_BREAKS} ]*")
# C0 and C1 controls, DEL, and the bidirectional controls: LRM/RLM, ALM, the embeddings and
# overrides (U+202A-U+202E) and the isolates (U+2066-U+2069)
_DROP = re.compile(
    r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
#: every character :func:`clean_text` removes or replaces
UNSAFE = re.compile(rf"[{_BREAKS}]|{_DROP.pattern}")


def clean_text(text: str) -> str:
    """``text`` without control or text-direction characters, line breaks as one space, and
    surrounding whitespace stripped."""
    return _DROP.sub("", _SPACE.sub(" ", text)).strip()


def _clean(series: pd.Series, *, as_text: bool) -> tuple[pd.Series, int]:
    """Cleaned values (missing or empty ones become None) and how many held unsafe characters."""
    out: list[object] = []
    count = 0
    for value in series.tolist():
        if isinstance(value, str) and not UNSAFE.search(value):  # the usual case, quickly
            out.append(value.strip() or None)
            continue
        if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
            out.append(None)
            continue
        if isinstance(value, dict) and not as_text:
            # raw OSM tags: cleaned, not counted (their name, opening_hours ... are counted in
            # their own columns)
            # one search of all the values together: the pattern matches single characters
            unsafe = UNSAFE.search("".join(v for v in value.values() if isinstance(v, str)))
            out.append(
                {k: clean_text(v) if isinstance(v, str) else v for k, v in value.items()}
                if unsafe
                else value
            )
            continue
        if not isinstance(value, str):
            if not as_text:
                out.append(value)
                continue
            is_whole = isinstance(value, float) and value.is_integer()
            value = str(int(value)) if is_whole else str(value)
        if UNSAFE.search(value):
            count += 1
        out.append(clean_text(value) or None)
    return pd.Series(out, index=series.index, name=series.name, dtype=object), count


def _warn(count: int, *, what: str, noun: str, stacklevel: int) -> None:
    if count:
        warnings.warn(
            f"{count} {noun} in {what} had control or text-direction characters; they were "
            "removed (line breaks and tabs became spaces).",
            UserWarning,
            stacklevel=stacklevel + 1,
        )


def clean_names(series: pd.Series, *, what: str, stacklevel: int = 3) -> pd.Series:
    """Names with control and text-direction characters removed, in one counted warning.

    Parameters
    ----------
    series
        Names as read from a file. Values that are not text (a number in a spreadsheet's name
        column) become text; missing values stay missing.
    what
        Where the names come from, for the warning (``"asset list hubs.csv"``).
    stacklevel
        Passed to :func:`warnings.warn`; the default points at the loader's caller.

    Returns
    -------
    Series
        Same index and name, object dtype; missing and empty names are ``None``, never the
        text ``"nan"``.

    Warns
    -----
    UserWarning
        Once per call, when any name held a control (C0/C1), line-break, tab or bidirectional
        character: ``"3 names in <what> had control or text-direction characters ..."``.

    Examples
    --------
    >>> import pandas as pd
    >>> clean_names(pd.Series(["Leeds Library ", None]), what="example").tolist()
    ['Leeds Library', None]
    """
    out, count = _clean(series, as_text=True)
    _warn(count, what=what, noun="name" if count == 1 else "names", stacklevel=stacklevel)
    return out


def clean_text_columns(
    frame: pd.DataFrame, columns: Iterable[str], *, what: str, stacklevel: int = 3
) -> pd.DataFrame:
    """A copy of ``frame`` whose text in ``columns`` is cleaned as :func:`clean_names` cleans
    names, with one warning for all the columns together. Missing and empty text becomes
    ``None``; the text values of a dict (raw OSM tags) are cleaned too, without being counted;
    other values (numbers) are left as they are; columns absent from ``frame`` are skipped."""
    out = frame.copy()
    total, hit = 0, []
    for col in columns:
        if col not in out or pd.api.types.is_numeric_dtype(out[col]):
            continue
        cleaned, count = _clean(out[col], as_text=False)
        out[col] = cleaned
        if count:
            total += count
            hit.append(str(col))
    if total:
        _warn(
            total,
            what=f"{what} (columns {', '.join(map(repr, hit))})",
            noun="value" if total == 1 else "values",
            stacklevel=stacklevel,
        )
    return out


def asset_label(name: object, kind: object, where: str) -> str:
    """A place's display label: its name, or ``"unnamed <kind> (<where>)"`` when it has none.

    ``kind`` is its category or OSM tag value (``"community_centre"`` reads ``"community
    centre"``); ``where`` says how to find it (``"OSM node 123"``, ``"hubs.csv row 5"``).
    """
    if isinstance(name, str) and name.strip():
        return name
    kind_text = str(kind).replace("_", " ") if isinstance(kind, str) and kind else "place"
    return f"unnamed {kind_text} ({where})"

"""Other people's text made literal in our outputs: Markdown, HTML, CSV, XLSX and figures.

Every name that reaches an output (an area, ward or asset name, a ward code, a category, the
``place``) comes from someone else's file. These helpers are the one place that decides how
such text is written so that it is always shown as the text it is: never markup, a link, a
spreadsheet formula or maths. See ``docs/security.md`` ("Tables and reports").
"""

from __future__ import annotations

import hashlib
import html
import re

import pandas as pd

from ._text import _BREAKS, _DROP

__all__ = [
    "clean_text",
    "md_text",
    "html_text",
    "file_stem",
    "csv_text_cells",
    "csv_note",
    "xlsx_text",
    "CSV_PREFIX_NOTE",
]

REPLACEMENT = "\ufffd"

# line and tab characters become a space; other control characters and the bidirectional
# controls (which reorder the text around them on screen) become U+FFFD
# the same characters the loaders clean (inclusion_geo._text), one definition of both
_SPACE_RE = re.compile(rf"[{_BREAKS}]+")
_CONTROL_RE = _DROP

# Markdown (CommonMark/GFM) punctuation that can make markup anywhere in a line, plus "$" (maths
# on GitHub and in Jupyter) and "&" (entities): each is written with a backslash, which every
# CommonMark renderer shows as the character itself. "<" and ">" become entities so no renderer
# can see an HTML tag or an autolink. With "[" and "]" escaped no link can form, so "(" and ")"
# stay as they are; "+", "-" and "." matter only where they could start a list, so they are
# escaped there (a leading "-", "+" or "1." / "1)"), keeping ordinary text readable as plain
# text too.
_MD_BACKSLASH = set("\\`*_[]#!|~$&")
_MD_ENTITY = {"<": "&lt;", ">": "&gt;"}
_MD_LEADING = re.compile(r"^(\s*)([-+]|\d+[.)])")

# OWASP "CSV injection": a cell starting with one of these is a formula to a spreadsheet. "'" is
# included so the rule "remove one leading ' from a text cell" restores every original exactly.
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")
CSV_PREFIX_NOTE = (
    "Text cells that began with = + - @ ' a tab or a carriage return start with an added ' "
    "so spreadsheets show them as text: remove one leading ' to get the original."
)
_CSV_NOTE_FIELD_RE = re.compile(r"([,;])(?=[ \"]*[=+\-@\t\r'])")

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(10)}  # fmt: skip
_STEM_RE = re.compile("[^A-Za-z0-9]")


def clean_text(text: object) -> str:
    """``text`` as one printable line: line breaks and tabs become a space, other control and
    bidirectional-override characters become U+FFFD.

    Examples
    --------
    >>> clean_text("Line one\\nLine two\\x00")
    'Line one Line two\ufffd'
    """
    return _CONTROL_RE.sub(REPLACEMENT, _SPACE_RE.sub(" ", str(text)))


def md_text(text: object) -> str:
    """``text`` as literal Markdown text, safe in a heading, list item, table cell, link text
    or image alt text: Markdown punctuation is backslash-escaped and ``<``, ``>`` are HTML
    entities, so nothing in it is markup, raw HTML, a link, maths or a table column break.

    Examples
    --------
    >>> print(md_text("[click](javascript:x) <b>&</b>"))
    \\[click\\](javascript:x) &lt;b&gt;\\&&lt;/b&gt;
    >>> print(md_text("- 1. item"))
    \\- 1. item
    """
    out = []
    for ch in clean_text(text):
        if ch in _MD_BACKSLASH:
            out.append("\\" + ch)
        else:
            out.append(_MD_ENTITY.get(ch, ch))
    return _MD_LEADING.sub(
        lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], "".join(out)
    )


def html_text(text: object) -> str:
    """``text`` as literal HTML text or attribute value (``html.escape`` with quotes)."""
    return html.escape(clean_text(text), quote=True)


def file_stem(code: object) -> str:
    """A file name stem made from a code: the code itself when it is plain ASCII letters,
    digits and underscores (GSS codes are), otherwise its letters and digits with ``_`` for the rest and a short
    hash of the code, so two codes never share a file. Never empty, never a path, never a
    Windows device name.

    Examples
    --------
    >>> file_stem("E05012345")
    'E05012345'
    >>> file_stem("../x")[:5]
    '___x-'
    """
    code = str(code)
    stem = _STEM_RE.sub("_", code)[:64]
    if stem == code and stem and stem.upper() not in _WINDOWS_RESERVED:
        return stem
    digest = hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{stem}-{digest}" if stem else digest


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(CSV_TRIGGERS):
        return "'" + value
    return value


def csv_text_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and text index labels) that a spreadsheet would
    read as a formula start with ``'`` (:data:`CSV_TRIGGERS`); numbers are untouched.

    Removing one leading ``'`` from every text cell that has one restores the original:
    ``df[col].str.removeprefix("'")``.
    """
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_csv_cell, na_action="ignore")
    if pd.api.types.is_object_dtype(out.index) or pd.api.types.is_string_dtype(out.index):
        out.index = out.index.map(_csv_cell)
    return out


def csv_note(line: object) -> str:
    """One ``#`` note line of a CSV, on one line, with a ``'`` before any part that a
    spreadsheet splitting the line at commas (or semicolons) would read as a formula."""
    return _CSV_NOTE_FIELD_RE.sub(r"\1'", clean_text(line))


# openpyxl refuses these in a cell (IllegalCharacterError): XML 1.0 cannot hold them
_XLSX_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_text(value: str) -> str:
    """``value`` with the characters an XLSX file cannot hold replaced by U+FFFD."""
    return _XLSX_ILLEGAL_RE.sub(REPLACEMENT, value)

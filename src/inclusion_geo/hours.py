"""OpenStreetMap ``opening_hours`` as weekly hours and evening/weekend flags.

The text is parsed by `opening-hours-py <https://pypi.org/project/opening-hours-py/>`_ (a Rust
parser of the full OSM grammar) and evaluated over reference weeks with no public holidays
(no country is given, so ``PH`` rules never apply). What the text does not say stays unknown
(``NaN`` / ``pd.NA``), never 0:

* no tag, or text the grammar cannot read (``"9-5"``): unknown;
* hours that differ between reference weeks spread over the year (``Jul-Aug ...``,
  ``week 1-53/2 ...``, ``Mo[1] ...``) or that name a year: "varies through the year", hours unknown;
* times tied to daylight (``sunrise-sunset``), an open end (``17:00+``), an ``unknown`` state
  or a rule that is only a comment (``Sa "appointments only"``): hours unknown; the evening and
  weekend flags are still True where the known opening shows it.

``"24/7"`` is 168 hours. A few common slips are read leniently and noted: lower-case day names,
times with seconds (``09:00:00``), hours without minutes after a day (``Mo-Fr 9-17``), dots
(``9.30``) and en dashes.

"Evenings" means open at some time after 18:00 on some day; "weekends" means open at some time
on a Saturday or Sunday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

__all__ = ["OpeningHours", "parse_opening_hours", "opening_hours_table", "HOURS_COLUMNS"]

HOURS_COLUMNS = ["hours_per_week", "open_evenings", "open_weekends", "hours_parsed", "hours_note"]

# Mondays of weeks with no English public holiday, spread over the year, and two weeks in a row
# (alternate-week rules) and a first-Monday-of-the-month week (Mo[1] rules)
_REFERENCE_MONDAYS = (
    datetime(2025, 1, 13),
    datetime(2025, 1, 20),
    datetime(2025, 4, 7),
    datetime(2025, 7, 14),
    datetime(2025, 10, 20),
)
_WEEK = timedelta(days=7)
_EVENING_FROM = 18  # hour of the day after which an opening counts as an evening one

_DAYS = {"mo": "Mo", "tu": "Tu", "we": "We", "th": "Th", "fr": "Fr", "sa": "Sa", "su": "Su", "ph": "PH", "sh": "SH"}  # fmt: skip
_DAY_RE = re.compile(r"\b(mo|tu|we|th|fr|sa|su|ph|sh)\b", re.IGNORECASE)
_SECONDS_RE = re.compile(r"\b(\d{1,2}:\d{2}):\d{2}\b")
_DOT_TIME_RE = re.compile(r"\b(\d{1,2})\.(\d{2})\b")
_BARE_HOURS_RE = re.compile(
    r"(?<=(?:Mo|Tu|We|Th|Fr|Sa|Su|PH) )([01]?\d|2[0-4])-([01]?\d|2[0-4])\b(?![:.])"
)
_OPEN_END_RE = re.compile(r"\d\+")
_DAYLIGHT_RE = re.compile(r"sunrise|sunset|dawn|dusk", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?<![\d:])(19|20)\d{2}(?![\d:])")


@dataclass(frozen=True)
class OpeningHours:
    """What an ``opening_hours`` text says about a typical week.

    Attributes
    ----------
    hours_per_week
        Hours open in a week with no public holiday; ``nan`` when unknown.
    evenings
        Open at some time after 18:00 on some day; ``None`` when unknown.
    weekends
        Open at some time on a Saturday or Sunday; ``None`` when unknown.
    parsed
        The text was read by the grammar (perhaps leniently, see ``note``).
    note
        Why something is unknown, or how the text was read; ``""`` when plain.
    """

    hours_per_week: float
    evenings: bool | None
    weekends: bool | None
    parsed: bool
    note: str = ""


_UNKNOWN = OpeningHours(np.nan, None, None, False, "no opening_hours")


def _lenient(text: str) -> tuple[str, list[str]]:
    notes = []
    fixed = text.replace("\u2013", "-").replace("\u2014", "-")
    if _DAY_RE.search(fixed) and any(
        m.group(0) != _DAYS[m.group(0).lower()] for m in _DAY_RE.finditer(fixed)
    ):
        fixed = _DAY_RE.sub(lambda m: _DAYS[m.group(0).lower()], fixed)
        notes.append("day names capitalised")
    if _SECONDS_RE.search(fixed):
        fixed = _SECONDS_RE.sub(r"\1", fixed)
        notes.append("seconds dropped")
    if _DOT_TIME_RE.search(fixed):
        fixed = _DOT_TIME_RE.sub(r"\1:\2", fixed)
        notes.append("'.' read as ':'")
    if _BARE_HOURS_RE.search(fixed):
        fixed = _BARE_HOURS_RE.sub(lambda m: f"{int(m[1]):02d}:00-{int(m[2]):02d}:00", fixed)
        notes.append("hours without minutes read as :00")
    return fixed, notes


def _week(oh, monday: datetime) -> tuple[float, float, bool, bool, bool, bool]:
    """Open hours, unknown hours and (open, unknown) at evenings / weekends in one week."""
    from opening_hours import State

    open_h = unknown_h = 0.0
    flags = {"eve_open": False, "eve_unknown": False, "wkd_open": False, "wkd_unknown": False}
    saturday = monday + timedelta(days=5)
    for start, end, state, comment in oh.intervals(monday, monday + _WEEK):
        start, end = max(start, monday), min(end, monday + _WEEK)
        hours = (end - start).total_seconds() / 3600
        if hours <= 0 or state == State.CLOSED:
            continue
        whole_day = start.hour == start.minute == 0 and hours >= 24
        is_open = state == State.OPEN and not (comment and whole_day)  # comment-only rule
        kind = "open" if is_open else "unknown"
        if is_open:
            open_h += hours
        else:
            unknown_h += hours
        if end > saturday:
            flags[f"wkd_{kind}"] = True
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < end:  # any part of the interval between 18:00 and midnight of some day
            if max(start, day + timedelta(hours=_EVENING_FROM)) < min(end, day + timedelta(days=1)):
                flags[f"eve_{kind}"] = True
                break
            day += timedelta(days=1)
    return open_h, unknown_h, *flags.values()


def parse_opening_hours(text: object) -> OpeningHours:
    """Read one OSM ``opening_hours`` value.

    Parameters
    ----------
    text
        The tag's text; ``None``, ``NaN`` or blank give an unknown result.

    Returns
    -------
    OpeningHours

    Examples
    --------
    >>> parse_opening_hours("Mo-Fr 09:00-17:00; Sa 10:00-13:00").hours_per_week
    43.0
    >>> parse_opening_hours("24/7").hours_per_week
    168.0
    >>> parse_opening_hours("9-5").parsed
    False
    """
    from opening_hours import OpeningHours as _Parser
    from opening_hours import ParserError

    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return _UNKNOWN
    raw = str(text).strip()
    if not raw:
        return _UNKNOWN
    fixed, notes = _lenient(raw)
    try:
        oh = _Parser(fixed)
    except ParserError:
        return OpeningHours(np.nan, None, None, False, "not in the opening_hours grammar")
    weeks = [_week(oh, monday) for monday in _REFERENCE_MONDAYS]
    open_h, unknown_h, eve_open, eve_unknown, wkd_open, wkd_unknown = weeks[0]
    note = "; ".join(notes)
    varies = len({(round(w[0], 4), round(w[1], 4)) for w in weeks}) > 1 or _YEAR_RE.search(fixed)
    if varies:
        return OpeningHours(np.nan, None, None, True, _join(note, "varies through the year"))
    daylight, open_end = bool(_DAYLIGHT_RE.search(fixed)), bool(_OPEN_END_RE.search(fixed))
    reasons = [
        reason
        for flag, reason in (
            (daylight, "times follow daylight"),
            (open_end, "open end (+): closing time unknown"),
            (unknown_h > 0, "some times unknown or only a comment"),
        )
        if flag
    ]
    # an open end or daylight times make the parser's evening closing time a guess
    eve_trusted = eve_open and not (daylight or open_end)
    evenings = True if eve_trusted else (None if eve_unknown or daylight or open_end else False)
    weekends = True if wkd_open else (None if wkd_unknown else False)
    return OpeningHours(
        np.nan if reasons else round(open_h, 4), evenings, weekends, True, _join(note, *reasons)
    )


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def opening_hours_table(values: pd.Series) -> pd.DataFrame:
    """:func:`parse_opening_hours` over a column, each distinct text parsed once.

    Parameters
    ----------
    values
        ``opening_hours`` texts (missing values allowed).

    Returns
    -------
    DataFrame
        Indexed like ``values``: ``hours_per_week`` (float, NaN unknown), ``open_evenings``
        and ``open_weekends`` (``boolean``, NA unknown), ``hours_parsed`` (bool) and
        ``hours_note``. ``attrs["counts"]`` counts texts given, parsed and each reason hours
        are unknown.

    Examples
    --------
    >>> t = opening_hours_table(pd.Series(["24/7", None, "Sa 10:00-12:00"]))
    >>> t["hours_per_week"].tolist()
    [168.0, nan, 2.0]
    """
    series = pd.Series(values)
    text = series.astype("object").where(series.notna(), None)
    text = text.map(lambda v: v.strip() if isinstance(v, str) else v)
    text = text.where(text.map(lambda v: isinstance(v, str) and v != ""), None)
    unique = pd.unique(text.dropna().to_numpy())
    parsed = {u: parse_opening_hours(u) for u in unique}
    lookup = pd.DataFrame(
        {
            "hours_per_week": [p.hours_per_week for p in parsed.values()],
            "open_evenings": pd.array([p.evenings for p in parsed.values()], dtype="boolean"),
            "open_weekends": pd.array([p.weekends for p in parsed.values()], dtype="boolean"),
            "hours_parsed": [p.parsed for p in parsed.values()],
            "hours_note": [p.note for p in parsed.values()],
        },
        index=pd.Index(list(parsed), dtype="object"),
    )
    has = text.notna().to_numpy()
    out = lookup.reindex(pd.Index(text.to_numpy(), dtype="object"))
    out.index = series.index
    out["hours_per_week"] = out["hours_per_week"].astype(float)
    out["hours_parsed"] = np.where(has, out["hours_parsed"].to_numpy(dtype=object), False).astype(
        bool
    )
    out["hours_note"] = out["hours_note"].where(has, _UNKNOWN.note)
    notes = out.loc[has, "hours_note"]
    counts = {
        "with opening_hours": int(has.sum()),
        "parsed": int(out["hours_parsed"].sum()),
        "hours known": int(out["hours_per_week"].notna().sum()),
        "not in the grammar": int((notes == "not in the opening_hours grammar").sum()),
    }
    for reason in (
        "varies through the year",
        "times follow daylight",
        "open end",
        "some times unknown",
    ):
        counts[reason] = int(notes.str.contains(reason, regex=False).sum())
    out.attrs["counts"] = counts
    return out

"""Opening hours: OSM ``opening_hours`` text -> weekly hours, evenings, weekends; unknown stays
unknown."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inclusion_geo.hours import OpeningHours, opening_hours_table, parse_opening_hours
from inclusion_geo.sources.assets import parse_hstore

# (text, hours per week, evenings, weekends): worked out by hand
EXACT = [
    ("Mo-Fr 09:00-17:00; Sa 10:00-13:00", 43.0, False, True),
    ("24/7", 168.0, True, True),
    ("Mo-Th 10:00-19:00; Fr 10:00-17:00; PH off", 43.0, True, False),
    ("mo-fr 09:00-17:00", 40.0, False, False),  # lower case
    ("Mo-Fr 09:00:00-17:00:00", 40.0, False, False),  # seconds
    ("Mo-Fr 9-17", 40.0, False, False),  # no minutes
    ("Mo-Fr 9.30-17.00", 37.5, False, False),
    ("Mo-Fr 08:30-18:00", 47.5, False, False),  # closing at 18:00 is not an evening
    ("Mo-Fr 08:30-18:00;Sa 08:30-17:30", 56.5, False, True),  # no space after ';'
    ("Mo-Fr 10:00-14:00; Tu off; Sa-Su 11:00-15:00", 24.0, False, True),  # a later rule wins
    ("Mo-Sa 09:00-14:00; Su closed", 30.0, False, True),
    ("Mo-Fr 09:30-14:00,15:00-17:30; Sa 09:00-17:30", 43.5, False, True),
    ("Mo-Fr 10:00-22:00, Sa-Su 09:00-22:00", 86.0, True, True),
    # past midnight: Mo-Th,Su 14 h each, Fr,Sa 15 h each, less what the Fr and Sa rules
    # override of the night before (Fr 00-02, Sa 00-03): a later rule replaces the whole day
    ("Mo-Th,Su 12:00-02:00; Fr,Sa 12:00-03:00", 95.0, True, True),
    ("week 01-53/2 Mo 10:00-12:00 || Mo-Fr 9-17", np.nan, None, None),
    ("Mo-Su,PH 07:00-18:00", 77.0, False, True),  # no public holiday in the reference week
    ("off", 0.0, False, False),
    ("Tu 19:00-23:30", 4.5, True, False),
]


@pytest.mark.parametrize(("text", "hours", "evenings", "weekends"), EXACT)
def test_exact_hours_worked_out_by_hand(text, hours, evenings, weekends):
    got = parse_opening_hours(text)
    assert got.parsed
    assert got.hours_per_week == pytest.approx(hours, nan_ok=True)
    assert got.evenings is evenings and got.weekends is weekends


@pytest.mark.parametrize(
    ("text", "parsed", "note"),
    [
        ("9-5", False, "grammar"),
        ("ring first - usually mornings", False, "grammar"),
        ('"various as people book hall, some recurring events /clubs"', True, "comment"),
        ("Jul-Aug Mo-Fr 10:00-12:00", True, "varies through the year"),
        ("week 01-53/2 Mo 10:00-12:00", True, "varies through the year"),
        ("Mo[1] 10:00-12:00", True, "varies through the year"),
        ("2023 Mo-Fr 09:00-17:00", True, "varies through the year"),
        ("sunrise-sunset", True, "daylight"),
        ("Mo-Su 11:00+", True, "open end"),
        ("Mo-Fr 09:00-17:00 unknown", True, "unknown"),
    ],
)
def test_what_the_text_does_not_say_stays_unknown_never_zero(text, parsed, note):
    got = parse_opening_hours(text)
    assert math.isnan(got.hours_per_week)
    assert got.parsed is parsed and note in got.note


def test_flags_known_from_the_known_part():
    # Saturday is "appointments only": hours unknown, but Monday is open until 21:00
    got = parse_opening_hours(
        'Mo-Tu 10:00-21:00; We 09:30-14:00; Sa "appointments only"; Su closed'
    )
    assert math.isnan(got.hours_per_week)
    assert got.evenings is True and got.weekends is None
    # an open end starting Saturday: open at the weekend for sure, evenings unknown
    got = parse_opening_hours("Sa 11:00+")
    assert got.weekends is True and got.evenings is None


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, "", "   "])
def test_missing_is_unknown(missing):
    got = parse_opening_hours(missing)
    assert math.isnan(got.hours_per_week) and got.evenings is None and got.weekends is None
    assert not got.parsed


def test_result_is_frozen():
    got = parse_opening_hours("24/7")
    assert isinstance(got, OpeningHours)
    with pytest.raises(AttributeError):
        got.hours_per_week = 1.0  # type: ignore[misc]


def test_table_is_vectorised_and_keeps_the_index():
    s = pd.Series(["24/7", None, "Sa 10:00-12:00", "9-5", "24/7", np.nan], index=list("abcdef"))
    t = opening_hours_table(s)
    assert t.index.equals(s.index)
    assert t.loc["a", "hours_per_week"] == 168.0 and t.loc["e", "hours_per_week"] == 168.0
    assert math.isnan(t.loc["b", "hours_per_week"]) and t.loc["c", "hours_per_week"] == 2.0
    assert t["open_evenings"].dtype == "boolean" and t["open_weekends"].dtype == "boolean"
    assert t.loc["c", "open_weekends"] and pd.isna(t.loc["d", "open_weekends"])
    assert t["hours_parsed"].tolist() == [True, False, True, False, True, False]
    assert t.attrs["counts"]["with opening_hours"] == 4
    assert t.attrs["counts"]["not in the grammar"] == 1
    assert t.attrs["counts"]["hours known"] == 3


def _leeds_hours(shared_data) -> pd.Series:
    import geopandas as gpd

    texts = []
    for f in sorted((shared_data / "osm-west-yorkshire").glob("*.geojson")):
        layer = gpd.read_file(f)
        if "other_tags" not in layer:
            continue
        for tags in layer["other_tags"]:
            value = parse_hstore(tags).get("opening_hours")
            if value is not None:
                texts.append(value)
    return pd.Series(texts)


def test_real_leeds_strings(shared_data):
    texts = _leeds_hours(shared_data)
    assert len(texts) == 150  # Leeds places with the tag
    t = opening_hours_table(texts)
    counts = t.attrs["counts"]
    assert counts["with opening_hours"] == 150
    assert counts["parsed"] == 149  # all but "9-5"
    assert counts["hours known"] == 146  # an open end, a comment-only day, a comment-only text
    known = dict(zip(texts, t["hours_per_week"], strict=True))
    # at least 15 real strings, each worked out by hand
    real = {
        "Mo-We 09:00-19:00; Th 09:00-18:00; Fr 09:00-17:00; Sa 10:00-17:00; Su 11:00-15:00; PH off": 58.0,  # noqa: E501
        "Mo-Fr 09:00-17:30; Sa 09:00-12:30": 46.0,
        "Mo-Fr 09:00-17:30; Sa 09:00-14:30": 48.0,
        "24/7": 168.0,
        "Tu-Sa 10:00-17:00; Su 11:00-15:00": 39.0,
        "Mo,We-Sa 09:00-17:30; Tu 09:30-17:30": 50.5,
        "Mo-Sa 05:15-22:00; Su 07:15-21:30; PH off": 114.75,
        "Mo-Fr 10:00-22:00, Sa-Su 09:00-22:00": 86.0,
        "PH off; Mo-We 08:00-15:00; Th,Fr 08:00-16:00; Sa 09:00-16:00": 44.0,
        "Mo-Tu off; We-Sa 09:30-15:00; Su 09:00-13:00": 26.0,
        "Mo-Th,Su 12:00-02:00; Fr,Sa 12:00-03:00": 95.0,
        "Mo-Th 08:00-16:00; Fr 08:00-14:30; Sa 21:00-24:00; Su 00:00-01:00,07:00-14:30": 50.0,
        "Mo-Fr 09:00-17:30; We 09:00-13:00; Sa 09:00-12:30; PH off": 41.5,
        "Tu 09:30-11:30,12:30-14:30; We-Mo closed": 4.0,
        "Mo-Sa 09:00-12:30, Mo,Tu 14:00-17:30, We-Fr 14:00-18:00": 40.0,
        "Mo 08:00-13:00,14:00-17:30; We-Fr 08:00-17:30; Tu 08:00-13:00; Sa 08:00-13:00": 47.0,
        'Mo-Fr 10:00-17:00; Sa 10:00-18:00 " last food orders 5pm"; Su 11:00-17:00 "last food orders 4pm"': 49.0,  # noqa: E501
    }
    for text, hours in real.items():
        assert known[text] == pytest.approx(hours), text
    for text in (
        "9-5",
        "Mo-Su 11:00+",
        '"various as people book hall, some recurring events /clubs"',
    ):
        assert math.isnan(known[text]), text

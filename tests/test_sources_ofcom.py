"""Ofcom Connected Nations loaders. No real Ofcom file is available offline: these tests use the
small hand-made fixtures in tests/fixtures/ofcom, written in the exact published layouts."""

from pathlib import Path

import pandas as pd
import pytest

from inclusion_geo._errors import MissingColumnsError, UnknownCodeError
from inclusion_geo.sources import load_ofcom_coverage, load_ofcom_performance

HERE = Path(__file__).parent / "fixtures" / "ofcom"
OA_LOOKUP = pd.Series(
    ["E01000001", "E01000001", "E01000002"],
    index=["E00056750", "E00056751", "E00056752"],
    name="lsoa11cd",
)
PC_LOOKUP = pd.Series(
    ["E01000001", "E01000001", "E01000002"],
    index=["LS1 3AB", "LS2 9JT", "LS7 1AD"],
    name="lsoa11cd",
)


def test_oa_coverage_weighted_by_premises():
    cov = load_ofcom_coverage(HERE / "202305_fixed_oa11_coverage_r01.csv", lookup=OA_LOOKUP)
    assert cov.index.name == "lsoa11cd" and cov.loc["E01000001", "premises"] == 200
    # (5% of 120 + 0% of 80) / 200 = 3% of premises below 30 Mbit/s
    assert cov.loc["E01000001", "premises_below_30mbit"] / cov.loc[
        "E01000001", "premises"
    ] == pytest.approx(0.03)
    assert cov.loc["E01000002", "premises_gigabit"] == pytest.approx(20)


def test_older_headers_are_accepted():
    cov = load_ofcom_coverage(HERE / "201809_fixed_oa11_coverage_r01.csv", lookup=OA_LOOKUP)
    assert "premises_ufbb" in cov and "premises_full_fibre" in cov and "premises_gigabit" not in cov
    assert cov.loc["E01000002", "premises_below_30mbit"] == pytest.approx(199 * 0.302)


def test_postcode_coverage_and_performance():
    cov = load_ofcom_coverage(HERE / "202305_fixed_postcode_coverage_r01.csv", lookup=PC_LOOKUP)
    assert cov.loc["E01000001", "premises"] == 50
    assert cov.loc["E01000001", "premises_below_30mbit"] == pytest.approx(20)
    with pytest.warns(UserWarning, match="no published speed"):
        perf = load_ofcom_performance(
            HERE / "202305_fixed_postcode_performance_r01.csv", lookup=PC_LOOKUP
        )
    # lines 8 at 80 Mbit/s and 30 at 20 Mbit/s
    assert perf.loc["E01000001", "median_download_mbit"] == pytest.approx((8 * 80 + 30 * 20) / 38)
    assert pd.isna(perf.loc["E01000002", "median_download_mbit"])  # its only postcode is suppressed


def test_unknown_layout_and_missing_lookup():
    with pytest.raises(MissingColumnsError, match="premises count"):
        with pytest.warns(UserWarning, match=r"not recognised.*'Homes', 'Superfast %'"):
            load_ofcom_coverage(HERE / "unknown_layout.csv", lookup=OA_LOOKUP)
    # without a lookup the figures stay on the file's own areas
    with pytest.warns(UserWarning, match="no published speed"):
        own = load_ofcom_performance(HERE / "202305_fixed_postcode_performance_r01.csv")
    assert own.index.name == "postcode" and len(own) == 3


def test_codes_missing_from_the_lookup():
    with pytest.raises(UnknownCodeError, match="not in the lookup"):
        load_ofcom_coverage(HERE / "201809_fixed_oa11_coverage_r01.csv", lookup=OA_LOOKUP.iloc[:2])

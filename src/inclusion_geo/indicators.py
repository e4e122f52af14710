"""Indicators: loaded counts turned into rates, each with the metadata needed to defend it.

An :class:`IndicatorSpec` says how an indicator is computed (numerator / denominator, or a column
taken as it is), its unit, which direction means more risk, its domain, source and vintage. The
:data:`CATALOGUE` covers what the loaders provide; :func:`compute_indicators` applies specs to a
counts frame and returns a new frame with one column per indicator, same index.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._errors import DataQualityError, InclusionGeoError
from ._validate import require_columns, require_numeric, require_unique_index

__all__ = ["IndicatorSpec", "CATALOGUE", "DIRECTIONS", "compute_indicators", "get_indicator"]

DIRECTIONS = ("higher_is_risk", "lower_is_risk")


@dataclass(frozen=True)
class IndicatorSpec:
    """How one indicator is computed and what it means.

    ``value = 100 * numerator / denominator`` when ``denominator`` is set (unit ``%``), otherwise
    the ``numerator`` column is used as it is (scores, speeds).
    """

    name: str
    label: str
    numerator: str
    denominator: str | None
    unit: str
    direction: str
    domain: str
    source: str
    vintage: str
    description: str = ""

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise InclusionGeoError(
                f"Indicator {self.name!r} has direction {self.direction!r}; use one of {DIRECTIONS}."
            )

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.numerator,) if self.denominator is None else (self.numerator, self.denominator)


def _pct(
    name, label, num, den, domain, source, vintage, description="", direction="higher_is_risk"
):
    return IndicatorSpec(
        name, label, num, den, "%", direction, domain, source, vintage, description
    )


CATALOGUE: dict[str, IndicatorSpec] = {
    s.name: s
    for s in [
        _pct("pct_aged_65_plus", "Aged 65+", "aged_65_plus", "age_base", "demography",
             "Census 2021 TS007A / RM121", "2021",
             "Share of usual residents aged 65 and over."),
        _pct("pct_aged_75_plus", "Aged 75+", "aged_75_plus", "age_base", "demography",
             "Census 2021 TS007A / RM121", "2021",
             "Share of usual residents aged 75 and over: the group least likely to be online."),
        _pct("pct_disabled", "Disabled", "disabled", "disability_base", "demography",
             "Census 2021 TS038", "2021",
             "Share of residents disabled under the Equality Act (limited a little or a lot)."),
        _pct("pct_bad_health", "Bad health", "bad_health", "health_base", "demography",
             "Census 2021 TS037", "2021", "Share of residents in bad or very bad general health."),
        _pct("pct_no_qualifications", "No qualifications", "no_qualifications",
             "residents_16_plus", "skills", "Census 2021 TS067", "2021",
             "Share of residents aged 16+ with no qualifications."),
        _pct("pct_poor_english", "Poor English", "poor_english", "residents_3_plus", "skills",
             "Census 2021 TS029", "2021",
             "Share of residents aged 3+ who cannot speak English well or at all."),
        _pct("pct_hh_deprived_3_plus", "Households deprived in 3+ dimensions",
             "hh_deprived_3_plus", "hh_deprivation_base", "deprivation", "Census 2021 TS011", "2021",
             "Share of households deprived in 3 or 4 of the Census dimensions (employment, "
             "education, health and disability, housing)."),
        _pct("pct_social_rented", "Social renting", "social_rented", "tenure_base", "deprivation",
             "Census 2021 TS054", "2021", "Share of households renting from a council or HA."),
        _pct("pct_one_person_66_plus", "Living alone, 66+", "one_person_66_plus", "hh_composition_base",
             "demography", "Census 2021 TS003", "2021",
             "Share of households that are one person aged 66 or over."),
        _pct("pct_routine_never_worked", "Routine work or never worked",
             "nssec_routine_never_worked", "nssec_base", "deprivation",
             "Census 2021 TS062", "2021",
             "Share of residents aged 16+ in NS-SeC 7 (routine) or 8 (never worked, long-term "
             "unemployed)."),
        _pct("pct_premises_below_30mbit", "No superfast broadband", "premises_below_30mbit",
             "premises", "connectivity", "Ofcom Connected Nations", "varies",
             "Share of premises unable to receive 30 Mbit/s download."),
        _pct("pct_premises_below_10mbit", "Below 10 Mbit/s", "premises_below_10mbit",
             "premises", "connectivity", "Ofcom Connected Nations", "varies",
             "Share of premises unable to receive 10 Mbit/s (the USO speed)."),
        _pct("pct_premises_gigabit", "Gigabit available", "premises_gigabit", "premises",
             "connectivity", "Ofcom Connected Nations", "varies",
             "Share of premises where gigabit-capable broadband is available.",
             direction="lower_is_risk"),
        IndicatorSpec("median_download_mbit", "Median download speed", "median_download_mbit",
                      None, "Mbit/s", "lower_is_risk", "connectivity",
                      "Ofcom Connected Nations", "varies",
                      "Median download speed of lines in use."),
        _pct("pct_grade_de", "Social grade DE", "grade_de", "grade_base", "demography",
             "Census approximated social grade", "2011",
             "Share of household reference persons in approximated social grade D or E."),
        _pct("pct_pension_credit_65_plus", "Pension Credit (65+)", "pension_credit_65_plus",
             "aged_65_plus", "deprivation", "DWP Stat-Xplore", "varies",
             "Share of residents aged 65+ receiving Pension Credit (guarantee element)."),
        _pct("pct_alt_claimant", "Alternative claimant count", "alt_claimant_count",
             "population_16_64", "deprivation", "DWP Stat-Xplore", "varies",
             "Alternative claimant count as a share of residents aged 16 to 64."),
        _pct("pct_lines_below_10mbit", "Connections below 10 Mbit/s", "lines_below_10mbit",
             "lines", "connectivity", "Ofcom Connected Nations (performance)", "varies",
             "Share of broadband connections receiving less than 10 Mbit/s."),
        IndicatorSpec("average_download_mbit", "Average download speed", "average_download_mbit",
                      None, "Mbit/s", "lower_is_risk", "connectivity",
                      "Ofcom Connected Nations (performance)", "varies",
                      "Average download speed of lines in use."),
        IndicatorSpec("imd_score", "IMD score", "imd_score", None, "score", "higher_is_risk",
                      "deprivation", "English Indices of Deprivation", "2019",
                      "Index of Multiple Deprivation score (higher is more deprived)."),
        IndicatorSpec("uk_imd_e_score", "Composite UK IMD score", "uk_imd_e_score", None,
                      "score", "higher_is_risk", "deprivation",
                      "mySociety composite UK IMD (English-scaled)", "2019",
                      "Each nation's IMD rescaled to the English IMD, so English and Welsh areas "
                      "can be compared (mySociety)."),
        IndicatorSpec("income_score", "Income deprivation", "income_score", None, "rate",
                      "higher_is_risk", "deprivation", "English Indices of Deprivation", "2019",
                      "Income domain score: share of people income deprived."),
        IndicatorSpec("employment_score", "Employment deprivation", "employment_score", None,
                      "rate", "higher_is_risk", "deprivation", "English Indices of Deprivation",
                      "2019", "Employment domain score: share of working-age people "
                      "involuntarily out of work."),
        IndicatorSpec("education_score", "Education deprivation", "education_score", None,
                      "score", "higher_is_risk", "deprivation", "English Indices of Deprivation",
                      "2019", "Education, skills and training domain score."),
        IndicatorSpec("health_score", "Health deprivation", "health_score", None, "score",
                      "higher_is_risk", "deprivation", "English Indices of Deprivation", "2019",
                      "Health deprivation and disability domain score."),
    ]
}  # fmt: skip


def get_indicator(name: str) -> IndicatorSpec:
    """Return the catalogue spec called ``name``, or raise naming the known indicators."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise InclusionGeoError(
            f"Unknown indicator {name!r}. Known indicators: {sorted(CATALOGUE)}. "
            "Define your own with inclusion_geo.indicators.IndicatorSpec."
        ) from None


def compute_indicators(
    counts: pd.DataFrame, specs: Iterable[IndicatorSpec | str] | None = None
) -> pd.DataFrame:
    """Compute indicator values from counts.

    Parameters
    ----------
    counts
        Counts per small area, indexed by area code, with the columns the specs name.
    specs
        Indicator specs or catalogue names. Default: every catalogue indicator whose columns
        ``counts`` has.

    Returns
    -------
    DataFrame
        One column per indicator, same index as ``counts``.

    Raises
    ------
    MissingColumnsError
        If a requested indicator's columns are not in ``counts``.
    DataQualityError
        If a denominator is zero or negative, or a numerator exceeds its denominator.

    Example
    -------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> rates = compute_indicators(load_demo_borough().counts, ["pct_aged_75_plus"])
    >>> bool(rates["pct_aged_75_plus"].between(0, 100).all())
    True
    """
    require_unique_index(counts, what="counts")
    if specs is None:
        resolved = [s for s in CATALOGUE.values() if all(c in counts.columns for c in s.columns)]
        if not resolved:
            raise InclusionGeoError(
                "counts has none of the columns any catalogue indicator needs "
                f"(columns: {list(counts.columns)[:20]}). Pass specs= explicitly."
            )
    else:
        resolved = [get_indicator(s) if isinstance(s, str) else s for s in specs]
    out = {}
    for spec in resolved:
        require_columns(counts, spec.columns, what=f"counts (for indicator {spec.name!r})")
        require_numeric(counts, spec.columns, what="counts")
        num = counts[spec.numerator].astype(float)
        if spec.denominator is None:
            out[spec.name] = num
            continue
        den = counts[spec.denominator].astype(float)
        bad = den <= 0
        if bad.any():
            raise DataQualityError(
                f"Indicator {spec.name!r}: denominator {spec.denominator!r} is zero or negative "
                f"for {int(bad.sum())} area(s), e.g. {counts.index[bad][:5].tolist()}. An area "
                "with no residents/households/premises cannot have a rate: drop it explicitly "
                "or check the source table."
            )
        over = num > den
        if over.any():
            raise DataQualityError(
                f"Indicator {spec.name!r}: {spec.numerator!r} exceeds {spec.denominator!r} in "
                f"{int(over.sum())} area(s), e.g. {counts.index[over][:5].tolist()}. The two "
                "columns probably come from different tables or geographies."
            )
        out[spec.name] = 100.0 * num / den
    frame = pd.DataFrame(out, index=counts.index)
    return frame.astype(np.float64)

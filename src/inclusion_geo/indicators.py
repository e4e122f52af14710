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

__all__ = [
    "IndicatorSpec",
    "CATALOGUE",
    "DIRECTIONS",
    "compute_indicators",
    "get_indicator",
    "indicator_from_recipe",
    "RECIPE_SPEC_KEYS",
]

DIRECTIONS = ("higher_is_risk", "lower_is_risk")


@dataclass(frozen=True)
class IndicatorSpec:
    """How one indicator is computed and what it means.

    ``value = 100 * numerator / denominator`` when ``denominator`` is set (unit ``%``), otherwise
    the ``numerator`` column is used as it is (scores, speeds). A numerator or denominator given
    as a tuple of columns is their sum (e.g. two NS-SeC classes).
    """

    name: str
    label: str
    numerator: str | tuple[str, ...]
    denominator: str | tuple[str, ...] | None
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
        """Every input column, numerator first."""
        out: list[str] = []
        for part in (self.numerator, self.denominator):
            if part is not None:
                out += [part] if isinstance(part, str) else list(part)
        return tuple(out)


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
        IndicatorSpec("deri_broadband_score", "Poor broadband (DERI component, 2022)",
                      "deri_broadband_score", None, "score", "higher_is_risk", "connectivity",
                      "GMCA DERI v1.6 broadband component (derived from Ofcom Connected Nations "
                      "2022; [sources.deri_connectivity])", "2022",
                      "GMCA's national 0-10 broadband score, a DERIVED 2022 input for runs with "
                      "no Ofcom file; England only. Prefer the Ofcom indicators when you have "
                      "the file."),
        IndicatorSpec("idaopi_score", "Pension-age income deprivation (IDAOPI)", "idaopi_score",
                      None, "rate", "higher_is_risk", "deprivation",
                      "English Indices of Deprivation (File 7)", "2019",
                      "Income Deprivation Affecting Older People Index: share of people aged 60+ "
                      "who are income deprived (England only)."),
        IndicatorSpec("rurality", "Rurality (RUC 2011)", "rurality", None, "class",
                      "higher_is_risk", "connectivity",
                      "ONS rural-urban classification 2011 ([sources.rural_urban])", "2011",
                      "0 urban, 1 urban in a sparse setting, 2 town and fringe, 3 village or "
                      "sparse town and fringe, 4 sparse village and dispersed."),
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


def _total(counts: pd.DataFrame, part: str | tuple[str, ...]) -> pd.Series:
    if isinstance(part, str):
        return counts[part].astype(float)
    return counts[list(part)].astype(float).sum(axis=1, skipna=False)


RECIPE_SPEC_KEYS = ("numerator", "denominator", "label", "unit", "description")


def indicator_from_recipe(name: str, options, *, source: str = "recipe") -> IndicatorSpec:
    """An indicator defined in a recipe's ``[indicators.<name>]`` table, without Python.

    ``numerator`` (required) and ``denominator`` (optional) are column names of the loaded
    counts, or lists of them to be summed; ``domain`` is required; ``direction`` (default
    ``higher_is_risk``), ``label``, ``unit`` and ``description`` are optional. Weight and
    transform stay with the recipe. Columns are checked against the loaded tables when the
    run starts; a zero or negative denominator is an error when the indicator is computed.

    Example
    -------
    >>> spec = indicator_from_recipe("pct_no_car", {"numerator": "no_car",
    ...     "denominator": "cars_base", "domain": "deprivation", "label": "No car or van"})
    >>> spec.columns, spec.unit
    (('no_car', 'cars_base'), '%')
    """
    where = f"{source}: [indicators.{name}]"
    if name in CATALOGUE:
        raise InclusionGeoError(
            f"{where} defines a numerator, but {name!r} is a catalogue indicator; give your "
            "indicator another name (e.g. my_{name}) or remove numerator/denominator."
        )

    def columns(key: str) -> str | tuple[str, ...] | None:
        value = options.get(key)
        if value is None:
            return None
        if isinstance(value, str) and value.strip():
            return value.strip()
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, str) and v.strip() for v in value)
        ):
            return tuple(v.strip() for v in value)
        raise InclusionGeoError(
            f"{where} {key} = {value!r}: give a column name of the loaded tables, or a list of "
            f'them to add up, e.g. {key} = "no_car" or {key} = ["col_a", "col_b"].'
        )

    numerator, denominator = columns("numerator"), columns("denominator")
    if numerator is None:
        raise InclusionGeoError(f"{where} needs numerator = a column name (or a list of them).")
    domain = options.get("domain")
    if not isinstance(domain, str) or not domain.strip():
        raise InclusionGeoError(
            f'{where} needs domain = the domain it belongs to, e.g. domain = "deprivation".'
        )
    for key in ("label", "unit", "description", "direction"):
        if key in options and not isinstance(options[key], str):
            raise InclusionGeoError(f'{where} {key} = {options[key]!r} must be text ("...").')
    direction = options.get("direction", "higher_is_risk")
    if direction not in DIRECTIONS:
        raise InclusionGeoError(f"{where} direction = {direction!r}: use one of {DIRECTIONS}.")
    return IndicatorSpec(
        name=name,
        label=options.get("label", name),
        numerator=numerator,
        denominator=denominator,
        unit=options.get("unit", "%" if denominator is not None else "value"),
        direction=direction,
        domain=domain.strip(),
        source=f"defined in {source}",
        vintage="as loaded",
        description=options.get("description", ""),
    )


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
        num = _total(counts, spec.numerator)
        if spec.denominator is None:
            out[spec.name] = num
            continue
        den = _total(counts, spec.denominator)
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

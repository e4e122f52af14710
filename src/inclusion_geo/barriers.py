"""Which kind of help: the index's barriers grouped into the focus areas of the UK government's
Digital Inclusion Action Plan.

The Digital Inclusion Action Plan: First Steps (DSIT, 26 February 2025,
https://www.gov.uk/government/publications/digital-inclusion-action-plan-first-steps) proposes
four focus areas for its call for evidence, reported as "opening up opportunities through skills;
tackling data and device poverty; breaking down barriers to digital services; and building
confidence" (UKAuthority, "DSIT publishes Digital Inclusion Action Plan", 26 February 2025;
techUK's summary the same day: "boost digital skills, reduce data and device poverty across the
country, break down barriers to digital services, and increase confidence in digital"). Each
indicator of the index is assigned to the one focus area whose kind of help answers it
(:data:`FOCUS_AREAS`); an area's focus scores are its index contributions summed per focus area,
so they add up to its risk index exactly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ._errors import InclusionGeoError
from .scoring import Recipe, default_recipe

__all__ = ["FOCUS", "FOCUS_AREAS", "DOMAIN_FOCUS", "OTHER", "focus_of", "focus_scores"]

#: The focus "area" of indicators of a recipe's own domains, which the plan does not name.
OTHER = "other"

#: The four focus areas, in the plan's order, with the plan's wording.
FOCUS: dict[str, str] = {
    "skills": "Opening up opportunities through skills",
    "data_and_device_poverty": "Tackling data and device poverty",
    "barriers_to_services": "Breaking down barriers to digital services",
    "confidence": "Building confidence",
}

#: Each catalogue indicator's focus area, and why:
#: skills: no qualifications and poor English (the index's skills domain; digital skills
#: courses, in the learner's language); data and device poverty: the deprivation indicators
#: (income, household deprivation, social renting, benefits), which is what keeps devices and
#: data unaffordable; barriers to services: connectivity (no usable line), disability and bad
#: health (services that are not accessible); confidence: age and living alone in later life,
#: where most non-users say they see no need or lack confidence, and help is reassurance and
#: someone to ask.
FOCUS_AREAS: dict[str, str] = {
    "pct_no_qualifications": "skills",
    "pct_poor_english": "skills",
    "education_score": "skills",
    "pct_hh_deprived_3_plus": "data_and_device_poverty",
    "imd_score": "data_and_device_poverty",
    "uk_imd_e_score": "data_and_device_poverty",
    "income_score": "data_and_device_poverty",
    "employment_score": "data_and_device_poverty",
    "pct_social_rented": "data_and_device_poverty",
    "pct_routine_never_worked": "data_and_device_poverty",
    "pct_grade_de": "data_and_device_poverty",
    "pct_pension_credit_65_plus": "data_and_device_poverty",
    "pct_alt_claimant": "data_and_device_poverty",
    "idaopi_score": "data_and_device_poverty",
    "pct_premises_below_30mbit": "barriers_to_services",
    "pct_premises_below_10mbit": "barriers_to_services",
    "pct_premises_gigabit": "barriers_to_services",
    "median_download_mbit": "barriers_to_services",
    "pct_lines_below_10mbit": "barriers_to_services",
    "average_download_mbit": "barriers_to_services",
    "deri_broadband_score": "barriers_to_services",
    "rurality": "barriers_to_services",
    "pct_disabled": "barriers_to_services",
    "pct_bad_health": "barriers_to_services",
    "health_score": "barriers_to_services",
    "pct_aged_65_plus": "confidence",
    "pct_aged_75_plus": "confidence",
    "pct_one_person_66_plus": "confidence",
}

#: The focus area of an indicator not in :data:`FOCUS_AREAS`, from its recipe domain.
DOMAIN_FOCUS: dict[str, str] = {
    "skills": "skills",
    "deprivation": "data_and_device_poverty",
    "connectivity": "barriers_to_services",
    "demography": "confidence",
}


def focus_of(
    indicator: str, recipe: Recipe | None = None, *, focus_areas: Mapping[str, str] | None = None
) -> str:
    """The focus area of one indicator: ``focus_areas``, then :data:`FOCUS_AREAS`, then its
    recipe domain through :data:`DOMAIN_FOCUS`; ``"other"`` (:data:`OTHER`) for an indicator
    of a domain a recipe defines itself, which none of the plan's focus areas names."""
    mapping = {**FOCUS_AREAS, **(focus_areas or {})}
    focus = mapping.get(indicator)
    if focus is None and recipe is not None:
        item = next((i for i in recipe.indicators if i.name == indicator), None)
        if item is not None:
            focus = DOMAIN_FOCUS.get(recipe.domain_of(item))
    if focus is None:  # a recipe's own domain (e.g. "transport"): no focus area of the plan
        return OTHER
    if focus not in FOCUS:
        raise InclusionGeoError(
            f"focus area {focus!r} for indicator {indicator!r} is not one of {list(FOCUS)}."
        )
    return focus


def focus_scores(
    contributions: pd.DataFrame,
    recipe: Recipe | None = None,
    *,
    focus_areas: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Each area's index contributions summed per focus area, and its leading focus.

    Parameters
    ----------
    contributions
        One column per indicator (:func:`inclusion_geo.scoring.contributions`); rows add up to
        the risk index.
    recipe
        The recipe that made them (for the domain of indicators not in :data:`FOCUS_AREAS`);
        default: the default recipe.
    focus_areas
        Overrides: ``{indicator: focus}``.

    Returns
    -------
    DataFrame
        Same index: ``focus_<area>`` for each of the four focus areas (they add up to the
        risk index) and ``leading_focus``, the focus area with the largest score (the first in
        the plan's order on a tie; missing where the contributions are).

    Example
    -------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> from inclusion_geo.indicators import compute_indicators
    >>> from inclusion_geo.scoring import contributions, score
    >>> s = score(compute_indicators(load_demo_borough().counts))
    >>> f = focus_scores(contributions(s))
    >>> bool(((f.filter(like="focus_").sum(axis=1) - s["risk_index"]).abs() < 1e-9).all())
    True
    """
    recipe = recipe or default_recipe()
    focus = {c: focus_of(str(c), recipe, focus_areas=focus_areas) for c in contributions.columns}
    data = contributions.astype(float)
    areas = [*FOCUS, *([OTHER] if OTHER in focus.values() else [])]
    out = pd.DataFrame(
        {
            f"focus_{area}": data[[c for c, f in focus.items() if f == area]].sum(
                axis=1, min_count=1
            )
            if any(f == area for f in focus.values())
            else pd.Series(0.0, index=data.index)
            for area in areas
        },
        index=data.index,
    )
    gaps = data.isna().any(axis=1)
    out.loc[gaps] = np.nan
    scores = out.to_numpy()
    leading = np.array(areas, dtype=object)[np.argmax(np.nan_to_num(scores, nan=-1), axis=1)]
    out["leading_focus"] = pd.Series(leading, index=data.index).where(~gaps)
    return out

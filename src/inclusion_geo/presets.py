"""Published and default recipes.

* ``"default"``: inclusion_geo's recipe for Census 2021 era data (``recipes/default.toml``).
* ``"gmca_deri_v1_6"``: the GMCA Digital Exclusion Risk Index v1.6, normalised: components
  demography (aged 65+ 5, aged 75+ 5, disability 2, social grade DE 2), broadband (premises
  below 30 Mbit/s 3, connections below 10 Mbit/s 3, average download speed 3) and deprivation
  (Pension Credit 65+ 2, no qualifications 4, alternative claimant count 2, IMD score 2), each
  a weighted mean of 0-10 min-max scores, and the DERI score the mean of the three components.
* ``"gmca_deri_v1_6_as_documented"``: the same, but the demography component computed as the
  methodology writes it: the 65+ and 75+ scores divided by the sum of *their* two weights (10)
  and the disability and grade DE scores by the sum of all four (14). That component can reach
  10 + 40/14 = 12.86, so the DERI score can exceed 10. See docs/methodology.md.

The DERI's min/max scope (local authority, nation or Great Britain) is the choice of comparison
set: score with ``scope="local"`` for the LA, or with ``scope="reference"`` and the nation's
indicator values as ``reference=``.
"""

from __future__ import annotations

from dataclasses import replace

from ._errors import InclusionGeoError
from .scoring import Recipe, RecipeIndicator, default_recipe

__all__ = ["PRESETS", "get_preset", "gmca_deri"]


def gmca_deri(*, as_documented: bool = False, scope: str = "local") -> Recipe:
    """The GMCA DERI v1.6 recipe (see the module docstring)."""
    demo_div = {
        "pct_aged_65_plus": 10.0,
        "pct_aged_75_plus": 10.0,
        "pct_disabled": 14.0,
        "pct_grade_de": 14.0,
    }
    demography = [
        ("pct_aged_65_plus", 5),
        ("pct_aged_75_plus", 5),
        ("pct_disabled", 2),
        ("pct_grade_de", 2),
    ]
    items = [
        RecipeIndicator(
            name, weight=w, domain="demography", divisor=demo_div[name] if as_documented else None
        )
        for name, w in demography
    ]
    items += [
        RecipeIndicator("pct_premises_below_30mbit", weight=3, domain="broadband"),
        RecipeIndicator("pct_lines_below_10mbit", weight=3, domain="broadband"),
        RecipeIndicator("average_download_mbit", weight=3, domain="broadband"),
        RecipeIndicator("pct_pension_credit_65_plus", weight=2, domain="deprivation"),
        RecipeIndicator("pct_no_qualifications", weight=4, domain="deprivation"),
        RecipeIndicator("pct_alt_claimant", weight=2, domain="deprivation"),
        RecipeIndicator("imd_score", weight=2, domain="deprivation"),
    ]
    label = "as documented" if as_documented else "normalised"
    return Recipe(
        name=f"GMCA Digital Exclusion Risk Index v1.6 ({label})",
        description="GMCA DERI v1.6: demography, broadband and deprivation components, equally weighted.",
        indicators=tuple(items),
        domain_weights={"demography": 1.0, "broadband": 1.0, "deprivation": 1.0},
        normalisation="minmax",
        scope=scope,
    )


PRESETS = {
    "default": default_recipe,
    "gmca_deri_v1_6": lambda: gmca_deri(),
    "gmca_deri_v1_6_as_documented": lambda: gmca_deri(as_documented=True),
}


def get_preset(name: str, *, scope: str | None = None) -> Recipe:
    """A preset recipe by name, optionally with another scope (``local`` or ``reference``)."""
    if name not in PRESETS:
        raise InclusionGeoError(f"Unknown preset {name!r}; presets: {sorted(PRESETS)}.")
    recipe = PRESETS[name]()
    return recipe if scope is None else replace(recipe, scope=scope)

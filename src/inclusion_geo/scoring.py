"""The digital-exclusion risk index: normalise, orient, weight, combine, rank, explain.

Every step is arithmetic a council analyst can redo in a spreadsheet:

1. **transform** (optional): ``log`` replaces a rate ``x`` with ``log(1 + x)`` so that moving from
   0.2 % to 0 counts for more than moving from 10 % to 9.8 %.
2. **normalise** each indicator against a comparison set (``reference``; by default the areas being
   scored) and **orient** it so that 10 always means most risk:

   * ``minmax``: ``10 * (x - min) / (max - min)`` (the GMCA DERI method);
   * ``rank``: ``10 *`` the mid-rank percentile of ``x`` within the reference;
   * ``zscore``: ``(x - mean) / sd`` (population sd);
   * ``exponential``: the IoD exponential transformation of the rank, ``-23 ln(1 - R (1 -
     exp(-100/23)))`` divided by 10 (so 0 to 10), with ``R`` the rank scaled to (0, 1]:
     against a reference, the share of reference values at or below ``x``; within the scored
     areas themselves, the mid-rank ``(rank - 1/2) / N``, so the most extreme of ``N`` areas
     scores a little under 10 (the IoD itself uses ``rank / N``).

   A zero-variance indicator (every reference value equal) separates no areas: it scores 0 under
   ``minmax`` and ``zscore``, 5 (the tied mid-rank) under ``rank`` and ``exponential``, and a
   warning names it.
3. **weight**: an indicator's weight is divided by the sum of the weights in its domain; a domain's
   weight by the sum of the domain weights. A domain score is the weighted mean of its indicator
   scores; the index is the weighted mean of the domain scores. So each indicator contributes
   ``domain_share * indicator_share * score`` and the contributions add up to the index exactly.
4. **rank**: rank 1 is the highest index; decile 1 is the 10 % of areas most at risk (as the IoD
   numbers deprivation deciles).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import DataQualityError, InclusionGeoError
from ._validate import require_unique_index
from .indicators import (
    CATALOGUE,
    DIRECTIONS,
    RECIPE_SPEC_KEYS,
    IndicatorSpec,
    indicator_from_recipe,
)

__all__ = [
    "RecipeIndicator",
    "Recipe",
    "NORMALISATIONS",
    "TRANSFORMS",
    "load_recipe",
    "recipe_from_dict",
    "default_recipe",
    "normalise",
    "score",
    "contributions",
    "top_barriers",
    "index_from_domains",
    "rank_columns",
]

NORMALISATIONS = ("minmax", "rank", "zscore", "exponential")
TRANSFORMS = ("none", "log")
SCOPES = ("local", "reference")


@dataclass(frozen=True)
class RecipeIndicator:
    """One indicator in a recipe: its weight within its domain, and overrides of the catalogue."""

    name: str
    weight: float = 1.0
    transform: str = "none"
    domain: str | None = None
    direction: str | None = None
    divisor: float | None = None  # default: the sum of the weights in its domain


@dataclass(frozen=True)
class Recipe:
    """A declarative risk index: which indicators, how transformed, weighted and normalised.

    Build one in Python, or from TOML with :func:`load_recipe`. ``scope`` is ``"local"`` (the
    min/max or ranks come from the areas scored) or ``"reference"`` (they come from the frame
    passed as ``reference=`` to :func:`score`, e.g. all of England).
    """

    name: str
    indicators: tuple[RecipeIndicator, ...]
    domain_weights: Mapping[str, float] = field(default_factory=dict)
    normalisation: str = "minmax"
    scope: str = "local"
    description: str = ""
    specs: Mapping[str, IndicatorSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _validate_recipe(self)

    def spec(self, name: str) -> IndicatorSpec:
        """The indicator spec (recipe-local specs first, then the catalogue)."""
        if name in self.specs:
            return self.specs[name]
        return CATALOGUE[name]

    def domain_of(self, item: RecipeIndicator) -> str:
        return item.domain or self.spec(item.name).domain

    def direction_of(self, item: RecipeIndicator) -> str:
        return item.direction or self.spec(item.name).direction

    @property
    def domains(self) -> list[str]:
        seen: list[str] = []
        for item in self.indicators:
            d = self.domain_of(item)
            if d not in seen:
                seen.append(d)
        return seen

    def weights_table(self) -> pd.DataFrame:
        """Each indicator's raw and effective weight: the share of the index it can move."""
        rows = []
        dw = self._domain_shares()
        for item in self.indicators:
            domain = self.domain_of(item)
            in_domain = sum(i.weight for i in self.indicators if self.domain_of(i) == domain)
            divisor = in_domain if item.divisor is None else item.divisor
            rows.append(
                {
                    "indicator": item.name,
                    "domain": domain,
                    "weight": item.weight,
                    "share_of_domain": item.weight / divisor,
                    "domain_share": dw[domain],
                    "share_of_index": dw[domain] * item.weight / divisor,
                    "direction": self.direction_of(item),
                    "transform": item.transform,
                }
            )
        return pd.DataFrame(rows).set_index("indicator")

    def _domain_shares(self) -> dict[str, float]:
        raw = {d: float(self.domain_weights.get(d, 1.0)) for d in self.domains}
        total = sum(raw.values())
        return {d: w / total for d, w in raw.items()}

    def without(self, names: list[str]) -> Recipe:
        """A copy of the recipe without the named indicators (domains left empty are dropped)."""
        kept = tuple(i for i in self.indicators if i.name not in names)
        if not kept:
            raise InclusionGeoError(f"Removing {names} would leave recipe {self.name!r} empty.")
        domains = {self.domain_of(i) for i in kept}
        return Recipe(
            name=self.name,
            indicators=kept,
            domain_weights={d: w for d, w in self.domain_weights.items() if d in domains},
            normalisation=self.normalisation,
            scope=self.scope,
            description=self.description,
            specs=self.specs,
        )


_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


def _validate_recipe(recipe: Recipe) -> None:
    where = f"recipe {recipe.name!r}"
    if not recipe.indicators:
        raise InclusionGeoError(f"{where} has no indicators; add at least one.")
    if recipe.normalisation not in NORMALISATIONS:
        raise InclusionGeoError(
            f"{where}: normalisation {recipe.normalisation!r} is not one of {NORMALISATIONS}."
        )
    if recipe.scope not in SCOPES:
        raise InclusionGeoError(f"{where}: scope {recipe.scope!r} is not one of {SCOPES}.")
    names = [i.name for i in recipe.indicators]
    # names become column names in every table (CSV headers included): plain identifiers only
    odd = [n for n in names if not _IDENTIFIER.fullmatch(str(n))]
    if odd:
        raise InclusionGeoError(
            f"{where}: indicator name(s) {odd[:3]} are not plain names; use lower-case "
            "letters, digits and _ starting with a letter (e.g. pct_no_car), and put the words "
            "a reader sees in label = ..."
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InclusionGeoError(f"{where} lists {dupes} more than once; list each indicator once.")
    for item in recipe.indicators:
        if item.name not in recipe.specs and item.name not in CATALOGUE:
            raise InclusionGeoError(
                f"{where}: unknown indicator {item.name!r}{_did_you_mean(item.name, CATALOGUE)}. "
                f"Known indicators: {sorted(CATALOGUE)}; or give its spec in the recipe's specs."
            )
        if item.direction is not None and item.direction not in DIRECTIONS:
            raise InclusionGeoError(
                f"{where}: indicator {item.name!r} has unknown direction {item.direction!r}; "
                f"use one of {DIRECTIONS}."
            )
        if item.transform not in TRANSFORMS:
            raise InclusionGeoError(
                f"{where}: indicator {item.name!r} has unknown transform {item.transform!r}; "
                f"use one of {TRANSFORMS}."
            )
        if item.divisor is not None and (not np.isfinite(item.divisor) or item.divisor <= 0):
            raise InclusionGeoError(
                f"{where}: indicator {item.name!r} has divisor {item.divisor!r}; use a positive number."
            )
        if not np.isfinite(item.weight) or item.weight < 0:
            raise InclusionGeoError(
                f"{where}: indicator {item.name!r} has weight {item.weight!r}; weights must be "
                "zero or positive numbers (remove an indicator rather than weighting it negatively)."
            )
    domains = recipe.domains
    odd = [d for d in domains if not _IDENTIFIER.fullmatch(str(d))]
    if odd:
        raise InclusionGeoError(
            f"{where}: domain name(s) {odd[:3]} are not plain names; use lower-case letters, "
            "digits and _ starting with a letter (they become domain_<name> columns)."
        )
    for d in domains:
        if sum(i.weight for i in recipe.indicators if recipe.domain_of(i) == d) <= 0:
            raise InclusionGeoError(
                f"{where}: every indicator in domain {d!r} has weight 0; give one a positive "
                "weight or remove the domain."
            )
    unknown = sorted(set(recipe.domain_weights) - set(domains))
    if unknown:
        raise InclusionGeoError(
            f"{where}: domain weights name {unknown}, which no indicator belongs to "
            f"(domains: {domains})."
        )
    for d, w in recipe.domain_weights.items():
        if not np.isfinite(w) or w < 0:
            raise InclusionGeoError(f"{where}: domain {d!r} has weight {w!r}; use a number >= 0.")
    if sum(float(recipe.domain_weights.get(d, 1.0)) for d in domains) <= 0:
        raise InclusionGeoError(f"{where}: all domain weights are 0; give one a positive weight.")


_RECIPE_KEYS = ("name", "description", "normalisation", "scope", "domains", "indicators")
# numerator, denominator, label, unit, description: an indicator defined in the recipe itself
_INDICATOR_KEYS = ("weight", "transform", "domain", "direction", "divisor", *RECIPE_SPEC_KEYS)


def _did_you_mean(word: str, options) -> str:
    from difflib import get_close_matches

    near = get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def recipe_from_dict(data: Mapping, *, source: str = "recipe") -> Recipe:
    """Build a :class:`Recipe` from a mapping in the TOML layout (see ``recipes/default.toml``).

    Every key is checked: an unknown key (with the near match), a weight that is not a number,
    or a table given as a single value is an error naming ``source``, the key and the fix."""
    extra = sorted(set(data) - set(_RECIPE_KEYS))
    if extra:
        raise InclusionGeoError(
            f"{source}: unknown key(s) {extra}{_did_you_mean(extra[0], _RECIPE_KEYS)}; "
            f"allowed keys: {sorted(_RECIPE_KEYS)}."
        )
    for key in ("name", "description", "normalisation", "scope"):
        if key in data and not isinstance(data[key], str):
            raise InclusionGeoError(
                f'{source}: {key} = {data[key]!r} must be text, e.g. {key} = "...".'
            )
    raw = data.get("indicators")
    if not isinstance(raw, Mapping) or not raw:
        raise InclusionGeoError(
            f"{source}: indicators = {raw!r}: needs an [indicators.<name>] table for each "
            "indicator, e.g. [indicators.pct_aged_75_plus] weight = 2."
        )
    items, specs = [], {}
    for name, opts in raw.items():
        if not isinstance(opts, Mapping):
            raise InclusionGeoError(
                f"{source}: indicators.{name} = {opts!r} must be a table: write "
                f"[indicators.{name}] and then weight = {opts!r} (or the other settings) below it."
            )
        bad = sorted(set(opts) - set(_INDICATOR_KEYS))
        if bad:
            raise InclusionGeoError(
                f"{source}: [indicators.{name}] has unknown key(s) {bad}"
                f"{_did_you_mean(bad[0], _INDICATOR_KEYS)}; allowed: {', '.join(_INDICATOR_KEYS)}."
            )
        if any(k in opts for k in RECIPE_SPEC_KEYS):
            specs[name] = indicator_from_recipe(name, opts, source=source)
            opts = {k: v for k, v in opts.items() if k not in RECIPE_SPEC_KEYS}
        for key, value in opts.items():
            number = key in ("weight", "divisor")
            if number and not _is_number(value):
                raise InclusionGeoError(
                    f"{source}: [indicators.{name}] {key} = {value!r} must be a number, e.g. "
                    f"{key} = 2 (without quotes)."
                )
            if not number and not isinstance(value, str):
                raise InclusionGeoError(
                    f"{source}: [indicators.{name}] {key} = {value!r} must be text, e.g. "
                    f'{key} = "...".'
                )
        items.append(RecipeIndicator(name=name, **opts))
    domains = data.get("domains", {})
    if not isinstance(domains, Mapping):
        raise InclusionGeoError(
            f"{source}: domains = {domains!r} must be a table of domain weights: write [domains] "
            "and then e.g. demography = 1 below it."
        )
    for domain, weight in domains.items():
        if not _is_number(weight):
            raise InclusionGeoError(
                f"{source}: [domains] {domain} = {weight!r} must be a number, e.g. "
                f"{domain} = 1 (without quotes)."
            )
    try:
        return Recipe(
            name=data.get("name", source),
            description=data.get("description", ""),
            indicators=tuple(items),
            domain_weights={k: float(v) for k, v in domains.items()},
            normalisation=data.get("normalisation", "minmax"),
            scope=data.get("scope", "local"),
            specs=specs,
        )
    except InclusionGeoError as exc:
        if source in str(exc):
            raise
        raise InclusionGeoError(f"{source}: {exc}") from None


def load_recipe(path: str | Path) -> Recipe:
    """Read a recipe TOML file.

    Example
    -------
    >>> from importlib import resources
    >>> recipe = load_recipe(resources.files("inclusion_geo") / "recipes" / "default.toml")
    >>> recipe.normalisation
    'minmax'
    """
    from ._validate import read_toml

    return recipe_from_dict(read_toml(path, what="Recipe file"), source=str(path))


def default_recipe() -> Recipe:
    """The project's default recipe for Census 2021 era data (``recipes/default.toml``)."""
    with resources.as_file(resources.files("inclusion_geo") / "recipes" / "default.toml") as p:
        return load_recipe(p)


# --- normalisation ---------------------------------------------------------------------------


def normalise(
    values: pd.Series,
    *,
    method: str = "minmax",
    direction: str = "higher_is_risk",
    reference: pd.Series | None = None,
    transform: str = "none",
) -> pd.Series:
    """Normalise one indicator to a risk score where larger always means more risk.

    Parameters
    ----------
    values
        The indicator per area.
    method
        One of :data:`NORMALISATIONS` (see the module docstring for the formulas).
    direction
        ``higher_is_risk`` or ``lower_is_risk``.
    reference
        Comparison set the min/max, mean/sd or ranks come from; default ``values``.
    transform
        ``none`` or ``log`` (``log1p``, for non-negative values), applied to both.

    Returns
    -------
    Series
        Same index as ``values``.
    """
    if method not in NORMALISATIONS:
        raise InclusionGeoError(f"method={method!r} is not one of {NORMALISATIONS}.")
    if direction not in DIRECTIONS:
        raise InclusionGeoError(f"direction={direction!r} is not one of {DIRECTIONS}.")
    x = values.astype(float).to_numpy()
    ref = x if reference is None else reference.dropna().astype(float).to_numpy()
    if ref.size == 0:
        raise DataQualityError(f"Indicator {values.name!r}: the comparison set has no values.")
    if transform == "log":
        if (x < 0).any() or (ref < 0).any():
            raise DataQualityError(
                f"Indicator {values.name!r} has negative values, so transform='log' is undefined; "
                "use transform='none' for it."
            )
        x, ref = np.log1p(x), np.log1p(ref)
    elif transform != "none":
        raise InclusionGeoError(f"transform={transform!r} is not one of {TRANSFORMS}.")
    if direction == "lower_is_risk":
        x, ref = -x, -ref
    lo, hi = ref.min(), ref.max()
    constant = np.isclose(hi, lo, rtol=0, atol=1e-12 * max(1.0, abs(hi)))
    if constant:
        warnings.warn(
            f"Indicator {values.name!r} has the same value in every area of the comparison set "
            f"(zero variance), so it cannot separate areas: it scores "
            f"{5 if method in ('rank', 'exponential') else 0} everywhere under {method!r}. "
            "Consider removing it from the recipe or widening the scope.",
            UserWarning,
            stacklevel=3,
        )
    if method == "minmax":
        out = np.zeros_like(x) if constant else 10.0 * (x - lo) / (hi - lo)
    elif method == "zscore":
        out = np.zeros_like(x) if constant else (x - ref.mean()) / ref.std()
    else:
        sorted_ref = np.sort(ref)
        below = np.searchsorted(sorted_ref, x, side="left")
        upto = np.searchsorted(sorted_ref, x, side="right")
        share = (below + upto) / 2.0 / sorted_ref.size  # mid-rank percentile in [0, 1]
        if method == "rank":
            out = 10.0 * share
        else:
            r = np.clip(share, 1e-12, 1.0)
            out = -23.0 * np.log(1.0 - r * (1.0 - np.exp(-100.0 / 23.0))) / 10.0
    return pd.Series(out, index=values.index, name=values.name)


# --- the index -------------------------------------------------------------------------------


def score(
    indicators: pd.DataFrame,
    recipe: Recipe | None = None,
    *,
    reference: pd.DataFrame | None = None,
    missing: str = "error",
    groups: pd.Series | None = None,
) -> pd.DataFrame:
    """Score areas with a recipe.

    Parameters
    ----------
    indicators
        Indicator values per area (from :func:`inclusion_geo.indicators.compute_indicators`).
    recipe
        Default: :func:`default_recipe`.
    reference
        Indicator values of the comparison set (e.g. every LSOA in England); needed when
        ``recipe.scope == "reference"``.
    groups
        Score each group of areas within itself (e.g. each local authority in a national run):
        the same as scoring each group separately with ``scope="local"``, in one pass. Ranks,
        deciles and percentiles are within the group too.
    missing
        ``"error"`` (default): a missing value raises, naming the areas and indicators.
        ``"impute_median"``: a missing value is replaced by the median of that indicator over
        the comparison set, and the output's ``imputed`` column lists, per area, the indicators
        imputed (empty when none), so every imputed cell is visible.

    Returns
    -------
    DataFrame
        Same index as ``indicators``: ``score_<indicator>`` (0-10 oriented risk scores for
        ``minmax``/``rank``), ``domain_<domain>``, ``risk_index``, ``risk_rank`` (1 = most at
        risk), ``risk_decile`` (1 = most at risk 10 %) and ``risk_percentile``.

    Raises
    ------
    MissingColumnsError
        If an indicator of the recipe is not in ``indicators``.
    DataQualityError
        If a value is missing (the error names the areas and indicators), or the frame has fewer
        than two areas.

    Example
    -------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> from inclusion_geo.indicators import compute_indicators
    >>> scores = score(compute_indicators(load_demo_borough().counts))
    >>> int(scores["risk_rank"].min()), int(scores["risk_decile"].max())
    (1, 10)
    """
    from ._validate import require_columns, require_no_missing

    recipe = recipe or default_recipe()
    require_unique_index(indicators, what="indicators")
    names = [i.name for i in recipe.indicators]
    require_columns(indicators, names, what=f"indicators (for recipe {recipe.name!r})")
    imputed = None
    if missing == "impute_median":
        holes = indicators[names].isna()
        source = indicators if reference is None else reference
        medians = source[names].median()
        if medians.isna().any():
            raise DataQualityError(
                f"Cannot impute {medians.index[medians.isna()].tolist()}: no values at all."
            )
        indicators = indicators.copy()
        indicators[names] = indicators[names].fillna(medians)
        imputed = holes.apply(lambda row: ", ".join(row.index[row]), axis=1)
    elif missing != "error":
        raise InclusionGeoError(f"missing={missing!r}; use 'error' or 'impute_median'.")
    require_no_missing(indicators, names, what="indicators")
    if groups is not None:
        groups = groups.reindex(indicators.index)
        sizes = groups.value_counts()
        if groups.isna().any() or (sizes < 2).any():
            small = sizes.index[sizes < 2].tolist()[:5]
            raise DataQualityError(
                f"Every group needs at least two areas (and every area a group); too small: {small}."
            )
        if recipe.scope == "reference" or reference is not None:
            raise InclusionGeoError(
                "groups= scores each group within itself; it cannot use a reference."
            )
    if len(indicators) < 2:
        raise DataQualityError(
            f"Only {len(indicators)} area(s) to score: a relative index needs at least two areas. "
            "Widen the study area, or score against a national reference (scope='reference')."
        )
    if recipe.scope == "reference":
        if reference is None:
            raise InclusionGeoError(
                f"Recipe {recipe.name!r} has scope='reference' but no reference= frame was given; "
                "pass the indicator values of the comparison set (e.g. all of England)."
            )
        require_columns(reference, names, what="reference")
        if len(reference) < 2:
            raise DataQualityError(
                f"The comparison set (reference=) has {len(reference)} area(s); a scope needs at "
                "least two areas to scale against."
            )
    elif reference is not None:
        raise InclusionGeoError(
            f"reference= was given but recipe {recipe.name!r} has scope='local'; set the "
            "recipe's scope to 'reference' to use it."
        )
    out = pd.DataFrame(index=indicators.index)
    for item in recipe.indicators:
        if groups is not None:
            out[f"score_{item.name}"] = _normalise_by_group(
                indicators[item.name],
                groups,
                method=recipe.normalisation,
                direction=recipe.direction_of(item),
                transform=item.transform,
            )
            continue
        out[f"score_{item.name}"] = normalise(
            indicators[item.name],
            method=recipe.normalisation,
            direction=recipe.direction_of(item),
            reference=None if reference is None else reference[item.name],
            transform=item.transform,
        )
    contrib = _contributions_from_scores(out, recipe)
    weights = recipe.weights_table()
    for domain in recipe.domains:
        members = weights.index[weights["domain"] == domain]
        share = weights.loc[members, "domain_share"].iloc[0]
        out[f"domain_{domain}"] = contrib[members].sum(axis=1) / share
    out["risk_index"] = index_from_domains(out, recipe)
    out = out.join(rank_columns(out["risk_index"], groups=groups))
    if imputed is not None:
        out["imputed"] = imputed
    return out


def _normalise_by_group(
    values: pd.Series, groups: pd.Series, *, method: str, direction: str, transform: str
) -> pd.Series:
    """:func:`normalise` within each group, vectorised for min-max and z-scores."""
    if method in ("rank", "exponential"):
        parts = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _, part in values.groupby(groups):
                parts.append(
                    normalise(part, method=method, direction=direction, transform=transform)
                )
        if caught:
            _warn_constant(values.name, len(caught), method)
        return pd.concat(parts).reindex(values.index)
    x = values.astype(float)
    if transform == "log":
        if (x < 0).any():
            raise DataQualityError(
                f"Indicator {values.name!r} has negative values, so transform='log' is undefined."
            )
        x = np.log1p(x)
    if direction == "lower_is_risk":
        x = -x
    grouped = x.groupby(groups)
    if method == "minmax":
        lo, hi = grouped.transform("min"), grouped.transform("max")
        spread, centred = hi - lo, x - lo
        scale = 10.0
    else:
        mean, sd = grouped.transform("mean"), grouped.transform(lambda v: v.std(ddof=0))
        spread, centred = sd, x - mean
        scale = 1.0
    constant = np.isclose(
        spread, 0.0, rtol=0, atol=1e-12 * np.maximum(1.0, hi.abs() if method == "minmax" else 1.0)
    )
    if constant.any():
        _warn_constant(values.name, int(groups[constant].nunique()), method)
    out = np.where(constant, 0.0, scale * centred / spread.where(~constant, 1.0))
    return pd.Series(out, index=values.index, name=values.name)


def _warn_constant(name, n_groups: int, method: str) -> None:
    warnings.warn(
        f"Indicator {name!r} has the same value in every area of {n_groups} group(s) (zero "
        f"variance there), so it scores {5 if method in ('rank', 'exponential') else 0} in those "
        "groups.",
        UserWarning,
        stacklevel=4,
    )


def index_from_domains(domains: pd.DataFrame, recipe: Recipe) -> pd.Series:
    """The index from domain scores (columns ``domain_<name>``): their weighted mean.

    This is the last step of :func:`score`, exposed so that published component scores (e.g. the
    GMCA DERI's) can be combined exactly as the recipe says.
    """
    from ._validate import require_columns

    shares = recipe._domain_shares()
    require_columns(domains, [f"domain_{d}" for d in shares], what="domains")
    total = sum(domains[f"domain_{d}"].astype(float) * w for d, w in shares.items())
    return pd.Series(total, index=domains.index, name="risk_index")


def rank_columns(index_values: pd.Series, *, groups: pd.Series | None = None) -> pd.DataFrame:
    """Rank (1 = highest value), decile (1 = top 10 %) and percentile of a score, over all
    areas or within each group."""
    g = (
        np.zeros(len(index_values))
        if groups is None
        else groups.reindex(index_values.index).astype(str).to_numpy()
    )
    # ties broken by code so the ranking is reproducible
    order = pd.DataFrame(
        {"g": g, "v": index_values.to_numpy(), "c": index_values.index.astype(str)}
    )
    order = order.sort_values(["g", "v", "c"], ascending=[True, False, True])
    position = np.empty(len(order), dtype=np.int64)
    position[order.index.to_numpy()] = order.groupby("g").cumcount().to_numpy() + 1
    n = pd.Series(g).map(pd.Series(g).value_counts()).to_numpy()
    decile = np.ceil(position * 10 / n).astype(np.int64)
    percentile = 100.0 * (n - position) / np.maximum(n - 1, 1)
    return pd.DataFrame(
        {"risk_rank": position, "risk_decile": decile, "risk_percentile": percentile},
        index=index_values.index,
    )


def _contributions_from_scores(scores: pd.DataFrame, recipe: Recipe) -> pd.DataFrame:
    weights = recipe.weights_table()
    return pd.DataFrame(
        {
            name: scores[f"score_{name}"] * weights.loc[name, "share_of_index"]
            for name in weights.index
        },
        index=scores.index,
    )


def contributions(scores: pd.DataFrame, recipe: Recipe | None = None) -> pd.DataFrame:
    """Each indicator's contribution to each area's index; rows add up to ``risk_index``.

    Example
    -------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> from inclusion_geo.indicators import compute_indicators
    >>> s = score(compute_indicators(load_demo_borough().counts))
    >>> bool(((contributions(s).sum(axis=1) - s["risk_index"]).abs() < 1e-9).all())
    True
    """
    return _contributions_from_scores(scores, recipe or default_recipe())


def top_barriers(
    indicators: pd.DataFrame,
    recipe: Recipe | None = None,
    *,
    n: int = 3,
    place: str = "the study area",
    min_share_pct: float = 25.0,
    groups: pd.Series | None = None,
    places: Mapping[str, str] | None = None,
) -> pd.Series:
    """A plain-English list of each area's top barriers.

    An indicator is a barrier for an area when the area is among the ``min_share_pct`` % most at
    risk on it; the ``n`` with the highest percentile are named, worst first (ties go to the
    indicator with the larger share of the index), e.g. ``"Aged 75+ 14.1% (worst 3% of Leeds)"``.

    With ``groups`` (e.g. each area's local authority), percentiles are taken within each group
    and ``places`` names each group in the text (default: ``place``).
    """
    recipe = recipe or default_recipe()
    if groups is None:
        groups = pd.Series("all", index=indicators.index)
        names_of = {"all": place}
    else:
        groups = groups.reindex(indicators.index)
        names_of = dict(places or {})
    size = groups.map(groups.value_counts()).to_numpy(dtype=float)
    where = np.array([names_of.get(g, place) for g in groups], dtype=object)
    items = [item for item in recipe.indicators if item.weight > 0]
    pct = np.empty((len(indicators), len(items)))
    for j, item in enumerate(items):
        values = indicators[item.name].astype(float)
        oriented = values if recipe.direction_of(item) == "higher_is_risk" else -values
        # share of the group's areas at least as much at risk: 100 * n_at_least / n
        pct[:, j] = (
            100.0 * oriented.groupby(groups).rank(ascending=False, method="max").to_numpy() / size
        )
    # worst first; ties in percentile go to the indicator with more weight in the index
    share = recipe.weights_table()["share_of_index"].reindex([i.name for i in items]).to_numpy()
    tie_order = np.argsort(-share, kind="stable")
    order = tie_order[np.argsort(pct[:, tie_order], axis=1, kind="stable")[:, :n]]
    chosen = np.take_along_axis(pct, order, axis=1) <= min_share_pct
    text = np.full(order.shape, "", dtype=object)
    for j, item in enumerate(items):  # write out only the barriers that are named
        rows, slots = np.nonzero(chosen & (order == j))
        spec = recipe.spec(item.name)
        values = indicators[item.name].to_numpy(dtype=float)[rows]
        text[rows, slots] = [
            f"{spec.label} {_fmt_value(v, spec.unit)} (worst {max(1, round(t))}% of {w})"
            for v, t, w in zip(values, pct[rows, j], where[rows], strict=True)
        ]
    out = [
        "; ".join(row[ok]) if ok.any() else "no single barrier stands out"
        for row, ok in zip(text, chosen, strict=True)
    ]
    return pd.Series(out, index=indicators.index, name="top_barriers")


def _fmt_value(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "Mbit/s":
        return f"{value:.0f} Mbit/s"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"

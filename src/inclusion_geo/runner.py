"""Run stage two from a configuration file: load its inputs (:mod:`inclusion_geo.inputs`),
resolve its recipe and options, and hand them to :func:`inclusion_geo.pipeline.run_stage_two`.

A run over several authorities is :func:`inclusion_geo.national.run_national`'s job;
:func:`run_config` refuses one, rather than score them as one study area.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from ._errors import InclusionGeoError
from .config import RunConfig, load_config
from .inputs import StudyInputs, load_inputs, load_register
from .pipeline import StageTwoResult, run_stage_two, with_plans
from .scoring import Recipe, default_recipe, load_recipe

__all__ = [
    "run_config",
    "resolve_recipe",
    "check_recipe_columns",
    "stage_two_options",
    # loading lives in inclusion_geo.inputs; kept here for existing callers
    "StudyInputs",
    "load_inputs",
    "load_register",
]


def resolve_recipe(cfg: RunConfig, counts: pd.DataFrame) -> tuple[Recipe, list[str]]:
    """The config's recipe, with indicators whose inputs are absent dropped (if allowed)."""
    if cfg.recipe == "default":
        recipe = default_recipe()
    else:
        from . import presets

        recipe = (
            presets.get_preset(cfg.recipe)
            if cfg.recipe in presets.PRESETS
            else load_recipe(cfg.path.parent / cfg.recipe)
        )
    check_recipe_columns(recipe, counts, where=str(cfg.path))
    absent = [
        i.name
        for i in recipe.indicators
        if not all(c in counts.columns for c in recipe.spec(i.name).columns)
    ]
    if absent and cfg.missing_indicators == "error":
        raise InclusionGeoError(
            f"{cfg.path}: recipe {recipe.name!r} needs {absent}, whose inputs no source provides. "
            "Add the source (e.g. [sources.ofcom_coverage] for broadband), choose another recipe, "
            "or set [scoring] missing_indicators = 'drop' to score without them."
        )
    if absent:
        warnings.warn(
            f"Scoring without {absent}: their inputs are not among the sources "
            "([scoring] missing_indicators = 'drop').",
            UserWarning,
            stacklevel=2,
        )
        recipe = recipe.without(absent)
    return recipe, absent


def check_recipe_columns(recipe: Recipe, counts: pd.DataFrame, *, where: str) -> None:
    """Raise if an indicator defined in the recipe itself (``[indicators.<name>]`` with a
    numerator) names a column no loaded table has: a typo there is never a missing source, so
    it is not dropped like a catalogue indicator whose source is absent."""
    from difflib import get_close_matches

    for name, spec in recipe.specs.items():
        unknown = [c for c in spec.columns if c not in counts.columns]
        if not unknown:
            continue
        near = get_close_matches(unknown[0], [str(c) for c in counts.columns], n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise InclusionGeoError(
            f"{where}: recipe {recipe.name!r} defines [indicators.{name}] from column(s) "
            f"{unknown}{hint}, which no loaded table has. Loaded columns: "
            f"{sorted(map(str, counts.columns))}. Add the table to [sources.census] paths or "
            "correct the name."
        )


def stage_two_options(cfg: RunConfig) -> dict:
    """The :func:`run_stage_two` settings a config gives: support categories, catchments,
    circuity, permutations, seed and where the assets are complete."""
    covers = (cfg.source("assets", required=False) or {}).get("covers", "auto")
    if isinstance(covers, list) and not cfg.many:
        covers = "all"  # load_config checked that the list names this authority
    return {
        "assets_cover": covers,
        "suitable": cfg.suitable,
        "catchments_m": cfg.catchments_m,
        "circuity": cfg.circuity,
        "permutations": cfg.permutations,
        "seed": cfg.seed,
    }


def run_config(
    config: RunConfig | str | Path, *, inputs: StudyInputs | None = None
) -> StageTwoResult:
    """Load the inputs a config names and run stage two on them (``inputs``: already loaded
    with :func:`load_inputs`, e.g. by the command line, which times each stage)."""
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    if cfg.many:
        raise InclusionGeoError(
            f"{cfg.path} covers several local authorities ({', '.join(cfg.area_codes)}); "
            "run_config scores one study area. Use inclusion_geo.national.run_national(config, "
            "out_dir), or the command line, which scores each authority within itself and "
            "against the whole run."
        )
    inputs = load_inputs(cfg) if inputs is None else inputs
    recipe, dropped = resolve_recipe(cfg, inputs.counts)
    result = run_stage_two(
        inputs.areas,
        inputs.counts,
        inputs.assets,
        centroids=inputs.centroids,
        ward_boundaries=inputs.ward_boundaries,
        recipe=recipe,
        place=cfg.area_name,
        sources=inputs.sources,
        **stage_two_options(cfg),
    )
    if dropped:
        from dataclasses import replace

        result = replace(
            result, settings=replace(result.settings, dropped_indicators=tuple(dropped))
        )
    if cfg.plan or cfg.scenario:
        result = with_plans(result, **cfg.plan, **cfg.scenario)
    return result

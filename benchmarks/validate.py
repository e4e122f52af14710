"""Validation of the risk index against the CDRC Internet User Classification (IUC 2018), the
GMCA DERI v1.6, CACI's digital vulnerability score and the IMD, measured out of sample.

One command regenerates docs/validation.md (and docs/validation.json, the figures it shows):

    .venv/bin/python benchmarks/validate.py [--cache /tmp/validate-cache]

Method (also written into the page):
- the England and Wales run of examples/england_wales.toml, plus three optional inputs
  (IoD File 7a for IDAOPI, the DERI broadband component, the rural-urban classification);
- every candidate recipe is scored with the project's national code
  (:func:`inclusion_geo.diagnostics.national_and_local_scores`: ``score()`` across the run, and
  ``score(groups=)`` per authority, as ``run_national`` does);
- English authorities are split by the last digit of their code: odd and even. A candidate is
  chosen on one half (targets met, then mean AUC) and reported on the other, both ways;
- learned weights (logistic regression, non-negative) are fitted on one half, scored on the
  other.

``--cache DIR`` keeps the loaded inputs in DIR between runs (the load takes ~20-40 s).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from _common import SHARED  # noqa: E402

from inclusion_geo.diagnostics import (  # noqa: E402
    iuc_aucs,
    learn_weights,
    national_and_local_scores,
    within_authority_aucs,
)
from inclusion_geo.scoring import Recipe, RecipeIndicator, load_recipe  # noqa: E402
from inclusion_geo.sources.reference import (  # noqa: E402
    load_caci_vulnerability,
    load_deri,
    load_iuc,
)

DOCS = REPO / "docs" / "validation.md"
FIGURES = REPO / "docs" / "validation.json"
REF = "digital-exclusion-reference"
LEEDS, BRADFORD = "E08000035", "E08000032"
MEASURES = ("7-10", "8", "9", "median", "p10", "local")
TARGETS = {"7-10": 0.945, "8": 0.87, "9": 0.97, "median": 0.945, "p10": 0.877, "local": 0.965}
LABELS = {
    "7-10": "IUC groups 7-10, England",
    "8": "Digital Seniors (group 8), England",
    "9": "Settled Offline Communities (group 9), England",
    "median": "within-authority median",
    "p10": "within-authority 10th percentile",
    "local": "the half's own city, local scope (odd: Leeds, even: Bradford)",
}
EXTRA_SOURCES = f"""
[sources.imd_domains]  # IoD 2019 File 7a: IDAOPI (pensioner income deprivation), England only
path = "{SHARED}/mhclg-iod2019/File_7a_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv"
kind = "iod"

[sources.deri_connectivity]  # GMCA DERI v1.6 broadband component: a 2022 derived input
path = "{SHARED}/{REF}/england_lsoa_depahri.rda"

[sources.rural_urban]
path = "{SHARED}/ons-lookups/Rural_Urban_Classification_2011_of_Lower_Layer_Super_Output_Areas_in_England_and_Wales.csv"
"""


@dataclass(frozen=True)
class Candidate:
    """A change to the default recipe: indicators added or re-weighted (name -> settings),
    domain weights, normalisation."""

    key: str
    label: str
    add: dict = field(default_factory=dict)
    domains: dict = field(default_factory=dict)
    normalisation: str | None = None
    recipe_file: str | None = None  # instead of changes: a recipe in examples/recipes/


CANDIDATES = (
    Candidate("default", "default recipe (connectivity dropped: no Ofcom file)"),
    Candidate("deri_bb", "+ DERI broadband component (connectivity domain; "
              "england_wales_deri_connectivity.toml)",
              recipe_file="england_wales_deri_connectivity.toml"),
    Candidate("deri_bb_quarter", "+ DERI broadband, connectivity domain weight 0.25",
              {"deri_broadband_score": {}}, {"connectivity": 0.25}),
    Candidate("rural", "+ rurality (RUC 2011), demography, weight 0.5",
              {"rurality": {"domain": "demography", "weight": 0.5}}),
    Candidate("idaopi", "+ IDAOPI (pensioner income deprivation), deprivation",
              {"idaopi_score": {}}),
    Candidate("routine", "+ routine work or never worked (TS062)",
              {"pct_routine_never_worked": {}}),
    Candidate("routine_demog125", "+ TS062, demography domain weight 1.25",
              {"pct_routine_never_worked": {}}, {"demography": 1.25}),
    Candidate("routine_demog150", "+ TS062, demography domain weight 1.5",
              {"pct_routine_never_worked": {}}, {"demography": 1.5}),
    Candidate("routine_idaopi_demog125", "+ TS062 + IDAOPI, demography 1.25",
              {"pct_routine_never_worked": {}, "idaopi_score": {}}, {"demography": 1.25}),
    Candidate("routine_demog125_rank", "+ TS062, demography 1.25, rank normalisation",
              {"pct_routine_never_worked": {}}, {"demography": 1.25}, "rank"),
    Candidate("even_ages", "+ TS062 x2, ages and disability weighted 1, demography 1.5, "
              "deprivation 2",
              {"pct_aged_75_plus": {"weight": 1}, "pct_routine_never_worked": {"weight": 2}},
              {"demography": 1.5, "deprivation": 2}),
    Candidate("even_ages_12", "+ TS062 x2, ages and disability weighted 1, demography 1.25, "
              "deprivation 1.5",
              {"pct_aged_75_plus": {"weight": 1}, "pct_routine_never_worked": {"weight": 2}},
              {"demography": 1.25, "deprivation": 1.5}),
    Candidate("learned_rounded", "learned shares, rounded: ages and disability 1 each, TS062 x2, "
              "no poor English; domains 7:4:9",
              {"pct_aged_75_plus": {"weight": 1}, "pct_poor_english": {"weight": 0},
               "pct_routine_never_worked": {"weight": 2}},
              {"demography": 7, "skills": 4, "deprivation": 9}),
    Candidate("learned_rounded_pe", "the same, poor English kept at weight 0.5",
              {"pct_aged_75_plus": {"weight": 1}, "pct_poor_english": {"weight": 0.5},
               "pct_routine_never_worked": {"weight": 2}},
              {"demography": 7, "skills": 4, "deprivation": 9}),
    Candidate("iuc_engagement", "+ TS062, demography 1.25, no poor English "
              "(england_wales_iuc_engagement.toml)",
              recipe_file="england_wales_iuc_engagement.toml"),
)  # fmt: skip
# the inputs the learned weights choose among (each as a 0-10 score)
LEARNED_INPUTS = (
    "pct_aged_75_plus", "pct_aged_65_plus", "pct_disabled", "pct_no_qualifications",
    "pct_poor_english", "pct_hh_deprived_3_plus", "uk_imd_e_score", "pct_social_rented",
    "pct_routine_never_worked", "idaopi_score", "deri_broadband_score", "rurality",
)  # fmt: skip


def build_recipe(base: Recipe, cand: Candidate, counts: pd.DataFrame) -> Recipe:
    """``base`` with the candidate's changes, without indicators whose inputs are absent (as
    :func:`inclusion_geo.runner.resolve_recipe` drops them with missing_indicators = 'drop')."""
    if cand.recipe_file is not None:
        base = load_recipe(REPO / "examples" / "recipes" / cand.recipe_file)
    items = [replace(i, **cand.add[i.name]) if i.name in cand.add else i for i in base.indicators]
    have = {i.name for i in items}
    items += [RecipeIndicator(name=n, **o) for n, o in cand.add.items() if n not in have]
    recipe = replace(
        base,
        name=cand.label,
        indicators=tuple(items),
        domain_weights={**base.domain_weights, **cand.domains},
        normalisation=cand.normalisation or base.normalisation,
    )
    absent = [
        i.name for i in recipe.indicators if not set(recipe.spec(i.name).columns) <= set(counts)
    ]
    return recipe.without(absent) if absent else recipe


def load(cache: Path | None):
    """The run's counts and authorities, and the reference files (cached in ``cache``)."""
    if cache is not None and (cache / "counts.parquet").exists():
        counts = pd.read_parquet(cache / "counts.parquet")
        lad = pd.read_parquet(cache / "lad.parquet")["lad_code"]
        sources = json.loads((cache / "sources.json").read_text())
    else:
        from inclusion_geo.runner import load_inputs

        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "england_wales.toml"
            text = (REPO / "examples" / "england_wales.toml").read_text()
            text = text.replace("../../shared/data", str(SHARED)).replace(
                'recipe = "recipes/', f'recipe = "{REPO / "examples" / "recipes"}/'
            )
            config.write_text(text + EXTRA_SOURCES)
            inputs = load_inputs(config)
        counts, lad, sources = inputs.counts, inputs.areas["lad_code"], dict(inputs.sources)
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            counts.to_parquet(cache / "counts.parquet")
            lad.to_frame().to_parquet(cache / "lad.parquet")
            (cache / "sources.json").write_text(json.dumps(sources))
    iuc = load_iuc(SHARED / REF / "iuc2018.csv")["group"]
    refs = {
        "GMCA DERI v1.6": load_deri(SHARED / REF / "england_lsoa_depahri.rda")["deri_score"],
        "CACI": load_caci_vulnerability(SHARED / REF / "digital-exclusion-lsoa.csv")["score"],
        "IMD 2019": counts["imd_score"],
    }
    return counts, lad, iuc, refs, sources


def halves(lad: pd.Series) -> dict[str, pd.Index]:
    """English areas by the last digit of their authority's code."""
    eng = lad[lad.index.str.startswith("E") & lad.notna()]
    odd = eng.str[-1].astype(int) % 2 == 1
    return {"odd": eng.index[odd.to_numpy()], "even": eng.index[~odd.to_numpy()]}


def measure(national: pd.Series, local: pd.Series, iuc, lad, areas: pd.Index, city: str) -> dict:
    """The six measures of the targets table on the areas ``areas``."""
    national = national.reindex(areas).dropna()
    local = local.reindex(areas).dropna()
    auc = iuc_aucs(national, iuc)
    within = within_authority_aucs(local, iuc, lad=lad)
    in_city = local[lad.reindex(local.index).eq(city).to_numpy()]
    return {
        "7-10": auc["7-10"], "8": auc["8"], "9": auc["9"],
        "median": float(within.median()), "p10": float(within.quantile(0.1)),
        "local": float(within.get(city, math.nan)), "authorities": int(len(within)),
        "groups": auc, "city_groups": iuc_aucs(in_city, iuc),
    }  # fmt: skip


def met(row: dict) -> int:
    return sum(row[m] >= TARGETS[m] - 5e-4 for m in MEASURES)


def compute(cache: Path | None = None, *, only: tuple[str, ...] | None = None) -> dict:
    """Every figure of the page, as a JSON-ready dict. ``only`` limits the candidates (for a
    quick check) and skips the selection and the learned weights."""
    warnings.simplefilter("ignore", UserWarning)
    counts, lad, iuc, refs, sources = load(cache)
    base = load_recipe(REPO / "examples" / "recipes" / "england_wales.toml")
    parts = halves(lad)
    city = {"odd": LEEDS, "even": BRADFORD}
    out: dict = {"candidates": {}, "references": {}, "sources": sources}
    scored = {}
    for cand in CANDIDATES:
        if only is not None and cand.key not in only:
            continue
        recipe = build_recipe(base, cand, counts)
        national, local = national_and_local_scores(counts, recipe, lad=lad)
        scored[cand.key] = (recipe, national, local)
        out["candidates"][cand.key] = {
            "label": cand.label,
            "indicators": [i.name for i in recipe.indicators],
            **{h: measure(national["risk_index"], local["risk_index"], iuc, lad, idx, city[h])
               for h, idx in parts.items()},
        }  # fmt: skip
    for name, ref in refs.items():
        # a reference ranks areas the same within an authority as across the country
        out["references"][name] = {
            h: measure(ref, ref, iuc, lad, idx, city[h]) for h, idx in parts.items()
        }
    if only is not None:
        return out
    # choose on one half, report on the other
    out["selection"] = {}
    for chosen_on, reported_on in (("odd", "even"), ("even", "odd")):
        best = max(
            out["candidates"],
            key=lambda k: (
                met(out["candidates"][k][chosen_on]),
                np.mean([out["candidates"][k][chosen_on][m] for m in MEASURES]),
            ),
        )
        out["selection"][chosen_on] = {"chosen": best, "reported_on": reported_on}
    out["learned"] = learned(counts, lad, iuc, base, parts, city)
    out["leeds_run"] = leeds_run()
    return out


def leeds_run() -> list[dict]:
    """Spearman and top-20 % overlap with the DERI and CACI, and the IUC AUC, for the default
    Leeds run (examples/leeds.toml, run_config), as ``validation_table`` gives them."""
    from inclusion_geo.diagnostics import validation_table
    from inclusion_geo.runner import run_config

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "leeds.toml"
        text = (REPO / "examples" / "leeds.toml").read_text()
        config.write_text(text.replace("../../shared/data", str(SHARED)))
        result = run_config(config)
    table = validation_table(
        result.areas["risk_index"],
        deri=load_deri(SHARED / REF / "england_lsoa_depahri.rda")["deri_score"],
        caci=load_caci_vulnerability(SHARED / REF / "digital-exclusion-lsoa.csv")["score"],
        iuc_group=load_iuc(SHARED / REF / "iuc2018.csv")["group"],
    )
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in table.to_dict(orient="records")
    ]


def learned(counts, lad, iuc, base, parts, city) -> dict:
    """Non-negative weights fitted on one half's national scores, tested on the other half."""
    add = {n: {} for n in LEARNED_INPUTS if n not in {i.name for i in base.indicators}}
    recipe = build_recipe(base, Candidate("all", "every input", add), counts)
    names = [i.name for i in recipe.indicators if i.name in LEARNED_INPUTS]
    national, local = national_and_local_scores(counts, recipe, lad=lad)
    cols = [f"score_{n}" for n in names]
    expert = base.weights_table()["share_of_index"]
    out = {"expert": {n: float(expert.get(n, 0.0)) for n in names}}
    for fit_on, test_on in (("odd", "even"), ("even", "odd")):
        w = learn_weights(national.loc[national.index.intersection(parts[fit_on]), cols], iuc)
        w.index = names
        nat = national[cols].to_numpy() @ w.to_numpy()
        loc = local[cols].to_numpy() @ w.to_numpy()
        out[f"fit_{fit_on}"] = {
            "weights": {n: float(v) for n, v in w.items()},
            "test": measure(
                pd.Series(nat, index=national.index), pd.Series(loc, index=local.index),
                iuc, lad, parts[test_on], city[test_on],
            ),
        }  # fmt: skip
    return out


# --- the page ----------------------------------------------------------------------------------


def _f(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def _table(rows: list[tuple[str, dict]], half: str) -> list[str]:
    head = "| | " + " | ".join(LABELS[m].split(",")[0] for m in MEASURES) + " | targets met |"
    lines = [head, "| --- " * (len(MEASURES) + 2) + "|"]
    for name, res in rows:
        r = res[half]
        count = "" if name == "target" else f"{met(r)} of 6"
        lines.append(f"| {name} | " + " | ".join(_f(r[m]) for m in MEASURES) + f" | {count} |")
    return lines


def render(fig: dict) -> str:
    """docs/validation.md from the figures (a pure function: the test re-renders and compares)."""
    cands, refs = fig["candidates"], fig["references"]
    n_la = {h: cands["default"][h]["authorities"] for h in ("odd", "even")}
    lines = [
        "# Validation against indices already in use",
        "",
        "<!-- Generated by benchmarks/validate.py from docs/validation.json; do not edit by hand. -->",
        "",
        "How well does the index pick out the small areas that the CDRC Internet User",
        "Classification 2018 (IUC) puts in its least engaged groups, compared with the GMCA DERI",
        "v1.6, CACI's digital vulnerability score and the IMD? Every figure is a ROC AUC: the",
        "chance that an area of the group has a higher index than an area outside it.",
        "",
        "## Method",
        "",
        "- **Run**: `examples/england_wales.toml` (all LSOA 2011 of England and Wales, Census 2021",
        "  converted), with three optional inputs added: IoD 2019 File 7a (IDAOPI),",
        "  `[sources.deri_connectivity]` (the DERI's 2022 broadband component, a *derived* input)",
        "  and `[sources.rural_urban]` (RUC 2011). There is no Ofcom file, so the default recipe's",
        "  connectivity domain is dropped. Only English LSOAs are measured (the IUC, DERI and",
        '  IDAOPI files are English or GB). "default" is the default recipe in its England and',
        "  Wales form (`examples/recipes/england_wales.toml`: the composite UK IMD for the IMD).",
        "- **Scoring**: `inclusion_geo.diagnostics.national_and_local_scores`, the project's own",
        "  national code: `score()` across the run (national scope) and `score(groups=)` per",
        "  authority (local scope), as `run_national` does.",
        "- **Measures**: groups 7-10 against every other area; group 8 (Digital Seniors) and group 9",
        "  (Settled Offline Communities) each against the engaged groups 1-6; within each English",
        "  authority, scored on its own, groups 7-10 against the rest (median and 10th percentile",
        "  over authorities); the half's own city scored on its own (Leeds E08000035 is in the odd",
        "  half, Bradford E08000032 in the even half).",
        "- **Out of sample**: authorities are split by the last digit of their code (odd:"
        f" {n_la['odd']} authorities with both classes, even: {n_la['even']}). A candidate is",
        "  chosen on one half (most targets met, then highest mean AUC) and reported on the other,",
        "  both ways. Learned weights are fitted on one half and tested on the other.",
        "- **Regenerate**: `.venv/bin/python benchmarks/validate.py` (about a minute after the",
        "  Census cache is warm). `tests/test_validation.py` checks that this page is what the",
        "  script renders from `docs/validation.json`, and (marked `slow`) recomputes the figures",
        "  of the default and of the IUC engagement recipe from the data.",
        "",
        "## Chosen on one half, reported on the other",
        "",
    ]
    for chosen_on, sel in fig["selection"].items():
        key, on = sel["chosen"], sel["reported_on"]
        lines += [
            f"Chosen on the {chosen_on} half: **{cands[key]['label']}**; on the {on} half:",
            "",
            *_table(
                [
                    ("target", {on: {**TARGETS, "authorities": 0}}),
                    ("default", cands["default"]),
                    ("chosen", cands[key]),
                    *[(f"{name}", r) for name, r in refs.items()],
                ],
                on,
            ),  # fmt: skip
            "",
        ]
    lines += [
        "## Each IUC group",
        "",
        "Each group against the engaged groups 1-6 (groups 7-10 together: against every other",
        "area). England is scored nationally, Leeds and Bradford each on their own.",
        "",
        "| index | where | 7-10 | 7 Passive and Uncommitted | 8 Digital Seniors | "
        "9 Settled Offline | 10 e-Withdrawn |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    shown = [("default", cands["default"]), *((n, r) for n, r in refs.items())]
    chosen = {sel["chosen"] for sel in fig["selection"].values()}
    shown[1:1] = [(cands[k]["label"].split(" (")[0], cands[k]) for k in sorted(chosen)]
    order = ("7-10", "7", "8", "9", "10")
    for half, city in (("odd", "Leeds"), ("even", "Bradford")):
        for name, res in shown:
            lines.append(
                f"| {name} | England, {half} half | "
                + " | ".join(_f(res[half]["groups"][g]) for g in order)
                + " |"
            )
        for name, res in shown:
            lines.append(
                f"| {name} | {city} | "
                + " | ".join(_f(res[half]["city_groups"][g]) for g in order)
                + " |"
            )
    lines += [
        "",
        "## Leeds, the default run",
        "",
        "`examples/leeds.toml` (482 LSOAs, default recipe, no broadband data) through",
        "`inclusion_geo.diagnostics.validation_table`; Spearman is not a target, shown for context",
        "(`tests/test_docs.py` recomputes this table).",
        "",
        "| reference | measure | value | top-20 % overlap |",
        "| --- | --- | --- | --- |",
    ]
    for row in fig["leeds_run"]:
        overlap = row["top_20pct_overlap"]
        lines.append(
            f"| {row['reference']} | {row['measure']} | {row['value']:.3f} | "
            f"{'—' if overlap is None else f'{overlap:.3f}'} |"
        )
    lines += ["", "## Every candidate, both halves", ""]
    for half in ("odd", "even"):
        lines += [f"**{half.capitalize()} half**", ""]
        lines += _table([(c["label"], c) for c in cands.values()], half)
        lines += _table([(name, r) for name, r in refs.items()], half)[2:]
        lines += [""]
    lw = fig["learned"]
    lines += [
        "## Learned weights (a diagnostic)",
        "",
        "Non-negative logistic regression (`inclusion_geo.diagnostics.learn_weights`) of IUC",
        "groups 7-10 on each input's national 0-10 score, fitted on one half; shares of the index",
        "beside the default recipe's expert shares (0 where the default has no such input):",
        "",
        "| input | expert | fitted on odd | fitted on even |",
        "| --- | --- | --- | --- |",
    ]
    for name, e in lw["expert"].items():
        lines.append(
            f"| {name} | {e:.3f} | {lw['fit_odd']['weights'][name]:.3f} | "
            f"{lw['fit_even']['weights'][name]:.3f} |"
        )
    lines += ["", "Out-of-sample AUC of the learned weights (each tested on the other half):", ""]
    lines += _table(
        [("fitted on odd", {"even": lw["fit_odd"]["test"]}),
         ("default", cands["default"])], "even")  # fmt: skip
    lines += _table(
        [("fitted on even", {"odd": lw["fit_even"]["test"]}),
         ("default", cands["default"])], "odd")[2:]  # fmt: skip
    lines += ["", "## Targets missed", ""]
    for chosen_on, sel in fig["selection"].items():
        key, on = sel["chosen"], sel["reported_on"]
        r = cands[key][on]
        gaps = [f"{LABELS[m]} {_f(r[m])}, short by {TARGETS[m] - r[m]:.3f}"
                for m in MEASURES if r[m] < TARGETS[m] - 5e-4]  # fmt: skip
        lines.append(
            f"- Chosen on the {chosen_on} half, on the {on} half: "
            + ("; ".join(gaps) if gaps else "none")
            + "."
        )
    lines += ["", NOTES.strip(), ""]
    return "\n".join(lines)


NOTES = """
## Reading the numbers

- **What wins, out of sample, on both halves.** Both halves choose the same candidate: the
  default recipe plus Census TS062 (routine work or never worked, a stand-in for social grade
  DE), the demography domain weighted 1.25, and *without* poor English. The learned weights
  (fitted on one half, tested on the other) point the same way on both halves, within 0.02
  of each other: more weight on age and disability, about a sixth of the index on TS062, and
  nothing on poor English, the DERI broadband component or rurality.
- **Why poor English lowers the AUC.** Areas where many residents speak little English are
  already ranked high by deprivation and qualifications (of the English LSOAs in the top tenth
  for poor English, 63 % are in IUC groups 7 or 10); what the indicator adds is rank for
  group 4 (Youthful Urban Fringe, 27 % of that tenth, engaged) and, through its log transform,
  for small differences among areas where almost everyone speaks English. Neither helps to
  find Digital Seniors or Settled Offline Communities, where almost no one lacks English.
  Language remains a barrier to *services* that councils rightly weigh; dropping it is a
  choice about what the index is for, not a finding that it does not matter.
- **The default recipe is unchanged.** The winner loses on Bradford (0.961 against the
  default's 0.968, below the 0.965 target), where many residents speak little English. It also
  needs TS062 in every run (the demo borough and older configs lack it). It is shipped as
  `recipes/iuc_engagement.toml` (and `examples/recipes/england_wales_iuc_engagement.toml`) for
  councils whose question is engagement. The smaller change that keeps poor English (TS062,
  demography 1.25) beats the default on every measure of the odd half and five of six on the
  even half (Bradford 0.965 against 0.968), but misses four targets on the odd half and
  three on the even half.
- **Caveat on the selection.** The candidate list was drawn up after seeing results on both
  halves (and the learned weights from each); only the choice *among* the listed candidates
  and the learned weights are strictly out of sample. The two halves agree, which is the
  evidence that the choice generalises.
- **Connectivity from the DERI, rurality and IDAOPI do not help.** The DERI's 2022 broadband
  component as the whole connectivity domain lowers every measure (IUC 7-10 by 0.014-0.017,
  within-authority 10th percentile by about 0.12): IUC groups 7-10 are mostly urban, where
  broadband is good. At a quarter of a domain it moves the England AUCs by less than 0.004
  but still lowers the within-authority 10th percentile by 0.01-0.02. It is offered as an optional,
  labelled input for councils that need the connectivity domain on the map, not for accuracy.
  Rurality (RUC 2011) and IDAOPI lower the AUC slightly; the learned weights give both about 0.
- **Missed targets and what would close them.** Digital Seniors (group 8) and Settled Offline
  (group 9) are older, often owner-occupier areas that are not income deprived. The inputs
  that describe them directly are age-specific: Census 2021 disability and general health
  *by age* (people aged 65+ in bad health; ONS multivariate tables, e.g. from the "create a
  custom dataset" service), one-person households aged 66+ (TS003, not among the shared
  files), and approximated social grade. Bradford needs an input that separates language
  barriers among older residents from those among young ones (proficiency in English by age,
  also a multivariate Census 2021 table).
- *Vintages*: the IUC is from 2018, the DERI v1.6 uses 2020 populations and 2022 Ofcom data,
  CACI 2020; our run uses Census 2021 and IoD 2019. Areas that changed in between (new
  housing, student areas) disagree most.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=None, help="keep loaded inputs here")
    args = parser.parse_args(argv)
    text = json.dumps(compute(args.cache), indent=1) + "\n"
    FIGURES.write_text(text, encoding="utf-8")
    DOCS.write_text(render(json.loads(text)), encoding="utf-8")
    print(f"wrote {DOCS.relative_to(REPO)} and {FIGURES.relative_to(REPO)}")


if __name__ == "__main__":
    main()

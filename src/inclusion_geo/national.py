"""Many local authorities in one run: national files read once, each authority scored within
itself and against the whole run, per-authority outputs, a national priority table,
authority summaries in the style of the IoD local authority summaries, and an index page.

A failure in one authority (a missing input, say) is recorded and the run goes on."""

from __future__ import annotations

import logging
import sys
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import InclusionGeoError
from ._jobs import default_workers, pool_of
from ._output import claim_output
from ._safe import csv_text_cells, html_text, md_text
from .aggregate import rollup
from .config import RunConfig, load_config
from .hotspots import build_weights, local_statistics
from .indicators import compute_indicators
from .pages import PAGE_IMPORTS, write_index, write_pages
from .pipeline import run_stage_two_by, warn_unmeasured
from .report import priority_table, staged_output, write_columns
from .runner import load_inputs, resolve_recipe, stage_two_options
from .scoring import score

__all__ = ["NationalRun", "run_national", "la_summaries", "extent"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NationalRun:
    """What a run over several authorities did."""

    out_dir: Path
    succeeded: list[str]
    failed: dict[str, str]
    summaries: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    workers: int = 1
    names: dict[str, str] = field(default_factory=dict)

    def label(self, code: str) -> str:
        """``"E06000053 (Isles of Scilly)"``: an authority's code and, where known, its name."""
        name = self.names.get(code)
        return f"{code} ({name})" if name and name != code else code


def extent(population: pd.Series, national_percentile: pd.Series) -> float:
    """The IoD *extent*: the share of residents in the most at-risk 30 % of areas, weighted 1 in
    the top 10 % and sliding linearly from 0.95 to 0.05 between the 11th and 30th percentiles.

    ``national_percentile`` is each area's position from the top (0 = most at risk, 100 = least).
    """
    pop = population.to_numpy(dtype=float)
    return float((_extent_weight(national_percentile) * pop).sum() / pop.sum())


def _extent_weight(national_percentile: pd.Series) -> np.ndarray:
    p = national_percentile.to_numpy(dtype=float)
    return np.where(p <= 10, 1.0, np.where(p <= 30, 0.95 - 0.9 * (p - 10) / 20, 0.0))


def la_summaries(areas: pd.DataFrame, *, names: pd.Series | None = None) -> pd.DataFrame:
    """Local authority summaries, in the style of the IoD local authority summaries: the areas
    (carrying ``lad_code``, ``population`` and the national scores ``national_risk_index``,
    ``national_decile``, ``national_percentile``) rolled up by :func:`inclusion_geo.aggregate.rollup`
    (the ward roll-up's columns and names: ``national_risk_index`` is the population-weighted
    mean, ``rank`` its rank, 1 = most at risk, ``pct_pop_top_decile`` the share of residents in
    the run's top decile, and, where the areas carry them, ``n_hotspot_areas`` of the national
    hotspots and ``n_priority_areas`` of the authority's own bands 1-2), with the additions of a
    national run: ``pct_areas_top_decile``, the IoD ``extent`` and ``extent_rank``, and with
    ``access_level`` the share of areas whose access to support was measured,
    ``pct_areas_access_measured`` (see :func:`inclusion_geo.assets.covered_areas`)."""
    out = rollup(
        areas, by="lad_code", intensive_variables=["national_risk_index"], names=names,
        top_decile_column="national_decile", hotspot_column="national_hotspot_class",
        score_column="national_risk_index",
    )  # fmt: skip
    groups = areas["lad_code"]
    pop = areas["population"].astype(float)
    out["pct_areas_top_decile"] = 100.0 * out["n_top_decile_areas"] / out["n_areas"]
    weighted = pd.Series(_extent_weight(areas["national_percentile"]) * pop.to_numpy(), areas.index)
    out["extent"] = weighted.groupby(groups).sum() / out["population"]
    out["extent_rank"] = out["extent"].rank(ascending=False, method="min").astype(int)
    if "access_level" in areas:
        measured = areas["access_level"].ne("unknown").groupby(groups).sum()
        out["pct_areas_access_measured"] = 100.0 * measured / out["n_areas"]
    return out


def run_national(
    config: RunConfig | str | Path,
    out_dir: str | Path,
    *,
    progress: bool | None = None,
    workers: int | None = None,
) -> NationalRun:
    """Run every authority the config names (``[area] code`` a list, or ``"all"``).

    ``workers`` processes write the per-authority pages (default ``[output] workers``: one per
    core, at most four); ``progress`` shows a progress bar (default: when run in a terminal).
    """
    out = Path(out_dir).expanduser().absolute()
    with claim_output(out):  # checked and locked before any loading, until the final move
        return _run_national(config, out, progress=progress, workers=workers)


def _run_national(config, out: Path, *, progress, workers) -> NationalRun:
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    cfg = cfg if workers is None else replace(cfg, workers=workers)
    # the page-writing processes start now: their imports overlap the loading and scoring
    workers = default_workers(cfg.workers) if cfg.many else 1
    with pool_of(workers if workers > 1 else 0, PAGE_IMPORTS) as pool:
        return _run_loaded(cfg, out, progress=progress, pool=pool)


def _run_loaded(cfg: RunConfig, out: Path, *, progress, pool) -> NationalRun:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    inputs = load_inputs(cfg)
    timings["load"] = time.perf_counter() - start
    if "lad_code" not in inputs.areas:
        raise InclusionGeoError(
            f"{cfg.path}: a run over several authorities needs [sources.area_lookup]."
        )
    names = _lad_names(cfg, inputs.areas)
    recipe, dropped = resolve_recipe(cfg, inputs.counts)
    # national scope: every area in the run (rows with missing inputs are left to fail in their LA)
    t = time.perf_counter()
    indicators = compute_indicators(
        inputs.counts.dropna(subset=_needed(recipe)),
        [recipe.spec(i.name) for i in recipe.indicators],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        national = score(indicators, recipe)
    _pass_on(caught, "national scope")
    timings["national scoring"] = time.perf_counter() - t
    # national hotspots: clusters of risk that cross authority borders
    t = time.perf_counter()
    scored = inputs.areas.loc[national.index]
    weights = build_weights(scored)
    hot = local_statistics(
        national["risk_index"], weights, permutations=cfg.permutations, seed=cfg.seed
    )
    timings["national hotspots"] = time.perf_counter() - t
    national_cols = pd.DataFrame(
        {
            "national_risk_index": national["risk_index"],
            "national_rank": national["risk_rank"],
            "national_decile": national["risk_decile"],
            "national_percentile": 100.0 - national["risk_percentile"],
            "national_hotspot_class": hot["hotspot_class"],
        }
    )

    succeeded, failed = [], {}
    codes = sorted(inputs.areas["lad_code"].dropna().unique())
    show = progress if progress is not None else sys.stderr.isatty()
    t = time.perf_counter()
    # screen out the authorities that cannot be scored, saying why, then do the rest in one pass
    needed = _needed(recipe)
    lad = inputs.areas["lad_code"]
    gaps = inputs.counts.reindex(inputs.areas.index)[needed].isna()
    sizes = lad.value_counts()
    with_gaps = gaps.any(axis=1).groupby(lad).sum()
    usable = []
    for code in codes:
        if sizes[code] < 2:
            failed[code] = f"only {sizes[code]} area: a relative index needs at least two areas."
        elif with_gaps[code]:
            rows = gaps[(lad == code).to_numpy()]
            holes = rows.any(axis=1)
            cols = [c for c in needed if rows[c].any()]
            failed[code] = (
                f"{int(holes.sum())} area(s) lack {cols} (e.g. {rows.index[holes][:3].tolist()})."
            )
        else:
            usable.append(code)
    results, stages = _compute(cfg, inputs, usable, names, recipe, failed, weights)
    timings["per-authority compute"] = time.perf_counter() - t
    timings |= {f"per-authority compute: {name}": seconds for name, seconds in stages.items()}
    t = time.perf_counter()
    with staged_output(out) as tmp:
        # each page says which indicators the run scored without
        parts = {
            code: replace(result, settings=replace(result.settings, dropped_indicators=tuple(dropped)))
            for code, result in results.items()
        }  # fmt: skip
        pages = write_pages(
            parts, tmp, tiles=cfg.tiles, workers=default_workers(cfg.workers), show=show,
            desc="local authorities", pool=pool,
        )  # fmt: skip
        for code, why in pages:
            if why:
                failed[code] = why
            else:
                succeeded.append(code)
        timings["per-authority pages"] = time.perf_counter() - t
        if not succeeded:
            raise InclusionGeoError(
                "Every authority failed: "
                + "; ".join(f"{k} ({names.get(k, k)}): {v}" for k, v in list(failed.items())[:3])
            )
        all_areas = _national_table(results, succeeded, names, national_cols)
        all_areas = all_areas.sort_values(["national_rank"])
        csv_text_cells(all_areas).to_csv(tmp / "national_priority_areas.csv", index=False)
        t = time.perf_counter()
        summaries = la_summaries(all_areas, names=pd.Series(names))
        timings["roll-ups"] = time.perf_counter() - t
        csv_text_cells(summaries.round(4)).to_csv(tmp / "local_authorities.csv")
        tables = {"national_priority_areas": list(all_areas.columns), "local_authorities": [summaries.index.name or "lad_code", *summaries.columns]}  # fmt: skip
        write_columns(tables, tmp / "columns.csv", recipe=recipe)  # what every column means
        _write_index(tmp, cfg, summaries, failed, dropped, names=names)
    timings["total"] = time.perf_counter() - start
    return NationalRun(
        out_dir=out, succeeded=succeeded, failed=failed, summaries=summaries, timings=timings,
        workers=default_workers(cfg.workers), names={c: names.get(c, c) for c in codes},
    )  # fmt: skip


def _needed(recipe) -> list[str]:
    return sorted({c for i in recipe.indicators for c in recipe.spec(i.name).columns})


def _lad_names(cfg: RunConfig, areas: pd.DataFrame) -> dict[str, str]:
    from .sources import load_area_lookup

    entry = cfg.source("area_lookup")
    target = str(entry.get("target", "lad21cd"))
    try:
        lookup = load_area_lookup(
            cfg.resolve("area_lookup"), source=target, target=target[:-2] + "nm"
        )
        return lookup.to_dict()
    except InclusionGeoError:
        return {code: code for code in areas["lad_code"].dropna().unique()}


def _compute(cfg, inputs, codes, names, recipe, failed, weights=None) -> tuple[dict, dict]:
    """Every usable authority in one pass (:func:`run_stage_two_by`); if that pass fails, each
    authority is run alone so that one bad authority cannot stop the others. Returns the
    results and the seconds spent in each stage."""
    mask = inputs.areas["lad_code"].isin(codes).to_numpy()
    areas = inputs.areas.loc[mask]
    options = dict(
        centroids=inputs.centroids.loc[areas.index], ward_boundaries=inputs.ward_boundaries,
        recipe=recipe, sources=inputs.sources, **stage_two_options(cfg),
    )  # fmt: skip
    if isinstance(options["assets_cover"], list):
        unknown = sorted(set(options["assets_cover"]) - set(names))
        if unknown:
            raise InclusionGeoError(
                f"{cfg.path}: [sources.assets] covers names {unknown}, which are not local "
                "authorities of [sources.area_lookup]."
            )
        options["assets_cover"] = [c for c in options["assets_cover"] if c in codes]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            if weights is not None and (weights.ids.get_indexer(areas.index) < 0).any():
                weights = None  # the national weights miss areas scored nowhere: build afresh
            results = run_stage_two_by(
                areas, inputs.counts.loc[areas.index], inputs.assets, by="lad_code",
                places={c: names.get(c, c) for c in codes}, weights=weights, **options,
            )  # fmt: skip
            stages = dict(next(iter(results.values())).timings)
        except (InclusionGeoError, ValueError) as exc:
            log.warning("one pass over all authorities failed (%s); running each alone", exc)
            results, stages = _each_alone(inputs, areas, codes, names, failed, options)
    # data-quality warnings of the pass reach the user, once each; access not measured is
    # said once for the run, below
    _pass_on(caught, "authorities' own scope", skip="no place of digital support")
    uncovered = [
        names.get(code, code)
        for code, result in results.items()
        if result.areas["access_level"].eq("unknown").all()
    ]
    if uncovered:
        where = f"{len(uncovered)} of {len(results)} authorities (e.g. {', '.join(uncovered[:3])})"
        warn_unmeasured(where, options["suitable"], stacklevel=3)
    return results, stages


def _pass_on(caught: list, where: str, *, skip: str | None = None) -> None:
    """Warn again, once per distinct message, what a step of the run warned about (the step
    ran with its warnings recorded, so that repeats across authorities are said once)."""
    seen = set()
    for w in caught:
        message = str(w.message)
        if not issubclass(w.category, UserWarning) or message in seen:
            continue
        if skip and skip in message:
            continue
        seen.add(message)
        warnings.warn(f"{message} ({where})", UserWarning, stacklevel=3)


def _each_alone(inputs, areas, codes, names, failed, options) -> tuple[dict, dict]:
    """Each authority on its own; one that fails is recorded in ``failed``."""
    results = {}
    for code in codes:
        part = areas[areas["lad_code"] == code]
        try:
            results.update(
                run_stage_two_by(
                    part, inputs.counts.loc[part.index], inputs.assets, by="lad_code",
                    places={code: names.get(code, code)},
                    **(options | {"centroids": inputs.centroids.loc[part.index]}),
                )
            )  # fmt: skip
        except (InclusionGeoError, ValueError) as exc:
            failed[code] = str(exc)
    stages = pd.DataFrame([r.timings for r in results.values()]).sum().to_dict()
    return results, stages


def _national_table(results: dict, codes: list, names: dict, national_cols) -> pd.DataFrame:
    """The national table: the authorities' priority tables (in code order, as one
    :func:`~inclusion_geo.report.priority_table` of all their areas), each row with its
    authority's code and name and the national columns."""
    codes = sorted(codes)
    areas = pd.concat([results[code].areas for code in codes])
    table = priority_table(replace(results[codes[0]], areas=areas))
    sizes = [len(results[code].areas) for code in codes]
    table.insert(0, "lad_name", np.repeat([names.get(code, code) for code in codes], sizes))
    table.insert(0, "lad_code", np.repeat(codes, sizes))
    national = national_cols.reindex(areas.index)
    for col in national_cols.columns:
        table[col] = national[col].to_numpy()
    return table


def _measured(share: float) -> str:
    """The index's words for the share of an authority's areas whose access was measured."""
    return (
        "measured" if share >= 100.0 else "not measured" if share == 0 else f"{share:.0f}% of areas"
    )


def _write_index(
    folder: Path,
    cfg: RunConfig,
    summaries: pd.DataFrame,
    failed: dict,
    dropped: list,
    *,
    names: dict | None = None,
) -> None:
    """``index.html`` (:func:`inclusion_geo.pages.write_index`) and ``summary.md`` of a
    national run; ``failed`` maps codes to why. Every name is escaped
    (:mod:`inclusion_geo._safe`); links go only to the folders
    :func:`inclusion_geo.pages.write_pages` wrote."""
    names = names or {}

    def who(code, escape) -> str:  # "E08000033 (Calderdale)", each part escaped
        name = names.get(code)
        return f"{escape(code)} ({escape(name)})" if name is not None else escape(code)

    codes = summaries.index
    label = summaries["name"] if "name" in summaries else pd.Series(codes, index=codes)
    measured = summaries.get("pct_areas_access_measured", pd.Series(100.0, index=codes))
    entries = pd.DataFrame(
        {
            "rank": summaries["rank"].astype(int).astype(str),
            "authority": label.where(label.notna(), pd.Series(codes, index=codes)),
            "code": codes,
            "average score": summaries["national_risk_index"].map("{:.2f}".format),
            "residents in national top decile": summaries["pct_pop_top_decile"].map("{:.0f}%".format),
            "extent": summaries["extent"].map("{:.2f}".format),
            "access to support": measured.map(_measured),
            "": "summary",
        },
        index=codes,
    )  # fmt: skip
    fails = "".join(f"<li>{who(k, html_text)}: {html_text(v)}</li>" for k, v in failed.items())
    note = f"<p>Scored without {html_text(', '.join(dropped))} (no source).</p>" if dropped else ""
    scope = (
        f"<p>National columns (score, rank, decile, hotspots, average score, top decile, "
        f"extent) compare each area with all {int(summaries['n_areas'].sum()):,} areas of "
        "this run; local columns compare it with its own authority.</p>"
    )
    write_index(
        folder, f"Digital exclusion risk: {cfg.area_name}", entries,
        links={"authority": "{stem}/map.html", "": "{stem}/summary.md"}, table=True,
        before=scope + note,
        after=(f"<h2>Failed</h2><ul>{fails}</ul>" if fails else "")
        + "<p>Tables: <a href='national_priority_areas.csv'>every area, ranked across the run</a>"
        " &middot; <a href='local_authorities.csv'>authority summaries</a></p>",
    )  # fmt: skip
    lines = [
        f"# {md_text(cfg.area_name)}",
        "",
        f"{len(summaries)} authorities succeeded, {len(failed)} failed.",
        "",
    ]
    lines += [f"- failed {who(k, md_text)}: {md_text(v)}" for k, v in failed.items()]
    unmeasured = summaries.index[summaries.get("pct_areas_access_measured", 100.0) < 100.0]
    if len(unmeasured):
        named = ", ".join(md_text(summaries.loc[c].get("name", c)) for c in unmeasured[:10])
        more = f" and {len(unmeasured) - 10} more" if len(unmeasured) > 10 else ""
        lines += [
            "",
            f"Access to support was not measured in {len(unmeasured)} authorities ({named}{more}): "
            "the asset list does not cover them, so the action for their areas of need is unknown (priorities rest on need, as everywhere).",
        ]
    (folder / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

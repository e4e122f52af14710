"""The input assembler: from a run configuration to loaded, checked, harmonised frames.

:func:`load_inputs` reads every source a config names (boundaries, lookups, centroids, wards,
Census tables, the IoD, Ofcom, assets), puts them on one geography and vintage, and returns
:class:`StudyInputs`; :func:`load_register` builds the asset register. Running stage two on
them is :mod:`inclusion_geo.runner`'s job."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import sources as src
from ._errors import DataQualityError, InclusionGeoError, VintageMismatchError
from ._timing import StageTimer
from .config import RunConfig, load_config
from .geography import (
    best_fit_lookup,
    check_lookup_complete,
    check_no_overlaps,
    check_ward_coverage,
    convert_counts,
)

__all__ = ["StudyInputs", "load_inputs", "load_register"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StudyInputs:
    """Everything loaded for one study area, on one geography, ready for scoring."""

    areas: gpd.GeoDataFrame
    counts: pd.DataFrame
    assets: gpd.GeoDataFrame
    centroids: gpd.GeoSeries
    ward_boundaries: gpd.GeoDataFrame | None
    sources: Mapping[str, str]
    timings: Mapping[str, float] = field(default_factory=dict)


def load_inputs(config: RunConfig | str | Path) -> StudyInputs:
    """Load and harmonise the inputs a config names (see ``examples/leeds.toml``)."""
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    key = "lsoa11cd" if cfg.geography == "lsoa11" else "lsoa21cd"
    timer = StageTimer()
    sources: dict[str, str] = {}

    with timer("boundaries"):
        boundaries = src.read_boundaries(cfg.resolve("boundaries"))
    if boundaries.index.name != key:
        raise VintageMismatchError(
            f"{cfg.path}: [sources.boundaries] is on {boundaries.index.name} but [area] geography "
            f"is {cfg.geography}; use {cfg.geography.upper()} boundaries or change the geography."
        )
    if cfg.source("area_lookup", required=False):
        entry = cfg.source("area_lookup")
        with timer("lookups"):
            lookup = src.load_area_lookup(
                cfg.resolve("area_lookup"),
                source=entry.get("source", key),
                target=entry.get("target", "lad21cd"),
            )
        chooser = lookup
        if cfg.source("group_lookup", required=False):
            group = cfg.source("group_lookup")
            if "target" not in group:
                raise InclusionGeoError(
                    f"{cfg.path}: [sources.group_lookup] needs target = the column of the "
                    "larger areas that [area] code names (e.g. 'ccg21cd' or 'rgn22cd')."
                )
            with timer("lookups"):
                chooser = src.load_area_lookup(
                    cfg.resolve("group_lookup"),
                    source=group.get("source", key),
                    target=group["target"],
                )
            outside = chooser.index.difference(lookup.index)
            if len(outside):
                raise InclusionGeoError(
                    f"{cfg.path}: {len(outside)} area(s) of [sources.group_lookup] have no local "
                    f"authority in [sources.area_lookup], e.g. {outside[:3].tolist()}; use "
                    "lookups of the same geography vintage."
                )
        wanted = sorted(chooser.unique()) if cfg.area_codes == ("all",) else list(cfg.area_codes)
        codes = src.areas_in(chooser, wanted)
        missing = codes.difference(boundaries.index)
        if len(missing) and not (cfg.many and cfg.area_codes == ("all",)):
            raise InclusionGeoError(
                f"{cfg.path}: {len(missing)} {key} area(s) of {cfg.area_name} are not in the "
                f"boundary file, e.g. {missing[:5].tolist()}."
            )
        picker = "group_lookup" if cfg.source("group_lookup", required=False) else "area_lookup"
        check_lookup_complete(
            boundaries,
            chooser,
            codes,
            what=f"{cfg.path}: [sources.{picker}] {cfg.resolve(picker).name}",
            place=cfg.area_name,
        )
        boundaries = boundaries.loc[codes.intersection(boundaries.index, sort=False)]
        lad_of = lookup.reindex(boundaries.index)
    elif cfg.many:
        raise InclusionGeoError(
            f"{cfg.path}: a run over several local authorities needs [sources.area_lookup]."
        )
    else:
        lad_of = None
    sources["boundaries"] = boundaries.attrs.get("source", "")
    with timer("centroids"):
        pwc = src.load_centroids(cfg.resolve("centroids"))
    absent = boundaries.index.difference(pwc.index)
    if len(absent):
        raise InclusionGeoError(
            f"{cfg.path}: [sources.centroids] lacks {len(absent)} areas, e.g. {absent[:5].tolist()}."
        )
    centroids = pwc.loc[boundaries.index]

    ward_boundaries = None
    areas = gpd.GeoDataFrame(
        {"name": boundaries["name"]}, geometry=boundaries.geometry, crs=boundaries.crs
    )
    if lad_of is not None:
        areas["lad_code"] = lad_of
    msoa = areas["name"].str.replace(r"[A-Z]+$", "", regex=True).str.strip()
    areas["ward_code"], areas["ward_name"] = msoa, msoa
    if cfg.source("wards", required=False):
        with timer("boundaries"):
            ward_boundaries = src.read_boundaries(cfg.resolve("wards"), expect="wards")
        wards_what = f"{cfg.path}: [sources.wards] {cfg.resolve('wards').name}"
        check_no_overlaps(ward_boundaries, what=wards_what)
        if cfg.many:  # a ward file may cover only some authorities: the others keep MSOA groups
            fit = best_fit_lookup(centroids, ward_boundaries, outside="missing")
            if fit.isna().any():
                warnings.warn(
                    f"{int(fit.isna().sum())} areas lie outside the ward file; they are grouped by MSOA.",
                    UserWarning,
                    stacklevel=2,
                )
            has = fit.notna()
            areas.loc[has, "ward_code"] = fit[has].astype(str)
            if "name" in ward_boundaries:
                names = fit[has].map(ward_boundaries["name"])
                areas.loc[has, "ward_name"] = names.fillna(fit[has]).astype(str)
        else:
            check_ward_coverage(centroids, ward_boundaries, what=wards_what, place=cfg.area_name)
            fit = best_fit_lookup(centroids, ward_boundaries)
            areas["ward_code"] = fit
            areas["ward_name"] = (
                fit.map(ward_boundaries["name"]).fillna(fit) if "name" in ward_boundaries else fit
            )  # a ward with no name is shown by its code
        sources["wards"] = (
            f"{ward_boundaries.attrs.get('source', '')} (best fit by population-weighted centroid)"
        )
    else:
        warnings.warn(
            "No [sources.wards]: areas are grouped by MSOA (their name without the final letter) "
            "instead of wards.",
            UserWarning,
            stacklevel=2,
        )

    with timer("census"):
        counts = _census_counts(cfg, key, areas.index, sources)
    with timer("imd"):
        counts = counts.join(_imd(cfg, key, areas.index, sources))
    with timer("ofcom"):
        counts = counts.join(_ofcom(cfg, key, areas.index, sources))
    with timer("assets"):
        assets = _register(cfg, sources)
    return StudyInputs(
        areas=areas,
        counts=counts,
        assets=assets,
        centroids=centroids,
        ward_boundaries=ward_boundaries,
        sources=sources,
        timings=timer.times,
    )


def _census_counts(cfg: RunConfig, key: str, codes: pd.Index, sources: dict) -> pd.DataFrame:
    counts = _national_census(cfg)
    sources["census"] = "Census 2021 (ONS, Nomis): " + ", ".join(
        p.name for p in cfg.resolve("census", "paths")
    )
    if counts.index.name != "lsoa21cd":
        raise VintageMismatchError(
            f"{cfg.path}: the Census tables are on {counts.index.name}; give LSOA tables or an "
            "OA tables with oa_lookup = an OA 2021 -> LSOA 2021 lookup."
        )
    if key == "lsoa21cd":
        return _subset(counts, codes, cfg, "census")
    change = src.load_lsoa_change_lookup(cfg.resolve("change_lookup"))
    needed = change.loc[change["lsoa11cd"].isin(codes), "lsoa21cd"].unique()
    if cfg.many:
        needed = pd.Index(needed).intersection(counts.index)
    population = None
    if cfg.source("population", required=False):
        population = src.load_iod(cfg.resolve("population"))["population_total"]
        sources["population"] = "mid-2015 populations (IoD 2019 File 6), to share out merged LSOAs"
    converted = convert_counts(
        _subset(counts, pd.Index(needed), cfg, "census"),
        change,
        to="2011",
        population=population,
        missing_population=str(
            (cfg.source("population", required=False) or {}).get("missing", "error")
        ),
    )
    sources["census"] += "; converted from LSOA 2021 to LSOA 2011 with the ONS change lookup"
    return _subset(converted, codes, cfg, "census (after conversion)")


def _national_census(cfg: RunConfig) -> pd.DataFrame:
    """The Census tables summed to LSOA 2021 for the whole country, cached.

    Reading and summing 188,880 output areas for several tables is the slowest step of a run;
    the result is kept in the cache folder (``$INCLUSION_GEO_CACHE``) under a hash of the input
    files' paths, sizes and modification times, so the next run on the same files reads one
    small Parquet file instead. A changed input file changes the hash.
    """
    import hashlib

    from ._fetch import cache_dir

    entry = cfg.source("census")
    files = list(cfg.resolve("census", "paths"))
    for extra in ("metadata", "oa_lookup"):
        if entry.get(extra):
            files.append(cfg.resolve("census", extra))
    if cfg.source("age", required=False):
        files.append(cfg.resolve("age"))
    stamp = "\n".join(f"{p.resolve()}|{p.stat().st_size}|{p.stat().st_mtime_ns}" for p in files)
    digest = hashlib.sha256(stamp.encode()).hexdigest()[:24]
    cached = cache_dir() / "harmonised" / f"census-lsoa21-{digest}.parquet"
    if cached.exists() and (found := _read_census_cache(cached)) is not None:
        return found
    oa_lookup = (
        src.load_oa_lsoa_lookup(cfg.resolve("census", "oa_lookup"))
        if entry.get("oa_lookup")
        else None
    )
    metadata = cfg.resolve("census", "metadata") if entry.get("metadata") else None
    counts = src.load_census_tables(
        cfg.resolve("census", "paths"), metadata=metadata, lookup=oa_lookup
    )
    if cfg.source("age", required=False):
        age = src.load_census_table(cfg.resolve("age"))
        counts = counts.join(age.drop(columns=[c for c in ["area_name"] if c in age]), how="inner")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".tmp{os.getpid()}")
        counts.to_parquet(tmp)
        os.replace(tmp, cached)
    except OSError as exc:  # a read-only cache is no reason to fail the run
        log.info("could not cache Census counts: %s", exc)
    return counts


def _subset(frame: pd.DataFrame, codes: pd.Index, cfg: RunConfig, name: str) -> pd.DataFrame:
    missing = codes.difference(frame.index)
    if len(missing) and cfg.many:
        # several authorities: the areas without data fail in their own authority's run
        warnings.warn(
            f"[sources.{name.split()[0]}] has no rows for {len(missing)} area(s), e.g. "
            f"{missing[:3].tolist()}; the authorities they are in will report it.",
            UserWarning,
            stacklevel=3,
        )
        return frame.reindex(codes)
    if len(missing):
        raise DataQualityError(
            f"{cfg.path}: [sources.{name.split()[0]}] has no rows for {len(missing)} area(s), e.g. "
            f"{missing[:5].tolist()}. Check it covers {cfg.area_name} on {cfg.geography}."
        )
    return frame.loc[codes]


def _imd(cfg: RunConfig, key: str, codes: pd.Index, sources: dict) -> pd.DataFrame:
    out = pd.DataFrame(index=codes)
    for name in ("imd", "imd_domains"):
        entry = cfg.source(name, required=name == "imd")
        if entry is None:
            continue
        kind = entry.get("kind", "iod")
        nations = tuple(entry.get("nations", ["E"]))
        if kind == "composite_uk_imd":
            frame = src.load_composite_uk_imd(cfg.resolve(name), nations=nations)
        elif kind == "iod":
            frame = src.load_iod(cfg.resolve(name), nations=nations)
        else:
            raise InclusionGeoError(
                f"{cfg.path}: [sources.{name}] kind = {kind!r}; use 'iod' or 'composite_uk_imd'."
            )
        if frame.index.name != key:
            raise VintageMismatchError(
                f"{cfg.path}: [sources.{name}] is on {frame.index.name} but the analysis is on "
                f"{key}: the IoD 2019 is on LSOA 2011 (use geography = 'lsoa11'), the IoD 2025 on LSOA 2021."
            )
        wanted = [c for c in frame.columns if c.endswith("_score") and c not in out.columns]
        out = out.join(_subset(frame, codes, cfg, name)[wanted])
        sources[name] = frame.attrs.get("source", name)
    return out


def _ofcom(cfg: RunConfig, key: str, codes: pd.Index, sources: dict) -> pd.DataFrame:
    out = pd.DataFrame(index=codes)
    for name, loader in (
        ("ofcom_coverage", src.load_ofcom_coverage),
        ("ofcom_performance", src.load_ofcom_performance),
    ):
        entry = cfg.source(name, required=False)
        if entry is None:
            continue
        lookup = src.load_area_lookup(
            cfg.resolve(name, "lookup"), source=entry.get("lookup_source", "oa11cd"), target=key
        )
        frame = loader(cfg.resolve(name), lookup=lookup)
        out = out.join(_subset(frame, codes, cfg, name))
        sources[name] = frame.attrs.get("source", name)
    return out.join(_derived_area_inputs(cfg, key, codes, sources))


def _derived_area_inputs(cfg: RunConfig, key: str, codes: pd.Index, sources: dict) -> pd.DataFrame:
    """Optional per-LSOA inputs read only when configured: the DERI's broadband component
    (``[sources.deri_connectivity]``, named in the sources as a 2022 derived input; the Ofcom
    loaders stay the first choice) and the rural-urban classification."""
    from .sources.reference import load_deri_connectivity, load_rural_urban

    out = pd.DataFrame(index=codes)
    for name, loader, column in (
        ("deri_connectivity", load_deri_connectivity, "deri_broadband_score"),
        ("rural_urban", load_rural_urban, "rurality"),
    ):
        if cfg.source(name, required=False) is None:
            continue
        if key != "lsoa11cd":
            raise VintageMismatchError(
                f"{cfg.path}: [sources.{name}] is on LSOA 2011 but the analysis is on {key}; "
                "use [area] geography = 'lsoa11'."
            )
        frame = loader(cfg.resolve(name))
        out = out.join(_subset(frame[[column]], codes, cfg, name))
        sources[name] = frame.attrs["source"]
    return out


def _assets(cfg: RunConfig, sources: dict) -> gpd.GeoDataFrame:
    entry = cfg.source("assets")
    frames = []
    if entry.get("osm"):
        frames.append(src.read_osm_layers(cfg.resolve("assets", "osm")))
        sources["assets"] = "OpenStreetMap contributors (ODbL)"
    if entry.get("council"):
        paths = cfg.resolve("assets", "council")
        for p in paths if isinstance(paths, list) else [paths]:
            frames.append(src.read_asset_table(p, categories=entry.get("categories")))
        sources["assets"] = (sources.get("assets", "") + "; council list").strip("; ")
    if not frames:
        raise InclusionGeoError(
            f"{cfg.path}: [sources.assets] needs osm = ... and/or council = ...."
        )
    return pd.concat(frames) if len(frames) > 1 else frames[0]


def load_register(config: RunConfig | str | Path) -> gpd.GeoDataFrame:
    """The asset register for a config's assets: ``[sources.assets]`` osm and/or council
    lists, with ``register = "register.xlsx"`` (a file from ``inclusion-geo assets``, edited by
    the council) applied when the config names one, and ``[assets] capacity_default``.

    Returns
    -------
    GeoDataFrame
        See :func:`inclusion_geo.register.build_register`.
    """
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    return _register(cfg, {})


def _register(cfg: RunConfig, sources: dict) -> gpd.GeoDataFrame:
    from .register import build_register
    from .sources.register import read_register

    assets = _assets(cfg, sources)
    edited = None
    if cfg.source("assets").get("register"):
        path = cfg.resolve("assets", "register")
        edited = read_register(path)
        sources["assets"] = f"{sources.get('assets', '')}; council register {path.name}".strip("; ")
    return build_register(assets, register=edited, capacity_default=cfg.capacity_default)


def _read_census_cache(path: Path) -> pd.DataFrame | None:
    """The harmonised Census counts cached at ``path``, or None (with a warning, the file
    removed) if it cannot be read or is not what :func:`_national_census` writes: counts
    indexed by unique LSOA 2021 codes, numeric, with a ``residents`` column (suppressed or
    missing Census cells stay missing, as the loaders leave them)."""
    import re

    try:
        counts = pd.read_parquet(path)
        codes = counts.index.astype(str)
        faults = {
            "its index is not lsoa21cd": counts.index.name != "lsoa21cd",
            "it is empty": counts.empty,
            "its area codes repeat": not counts.index.is_unique,
            "its area codes are not LSOA codes": not codes.str.fullmatch(r"[EW]01\d{6}").all(),
            "it has no residents column": "residents" not in counts.columns,
            "it has non-numeric columns": not all(
                pd.api.types.is_numeric_dtype(d) for d in counts.dtypes
            ),
        }
        problem = next((fault for fault, found in faults.items() if found), "")
    except Exception as exc:  # pyarrow raises its own types for a damaged file
        detail = re.sub(r"\s+", " ", str(exc))[:120]
        problem = f"it cannot be read ({type(exc).__name__}: {detail})"
    if not problem:
        return counts
    warnings.warn(
        f"The cached Census counts {path} are damaged ({problem}); they were discarded and are "
        "rebuilt from the Census tables.",
        UserWarning,
        stacklevel=4,
    )
    try:
        path.unlink()
    except OSError as exc:
        log.info("could not remove the damaged Census cache %s: %s", path, exc)
    return None

"""Run configurations: a TOML file that names the area, its input files and the method, so the
whole analysis can be redone next year by changing paths. Every path is relative to the config
file; every error names the key and the file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._errors import InclusionGeoError
from ._validate import read_toml

__all__ = ["RunConfig", "load_config", "GEOGRAPHIES"]

GEOGRAPHIES = ("lsoa11", "lsoa21")
_SECTIONS = {"area", "sources", "scoring", "assets", "hotspots", "output"}
_SOURCES = {
    "boundaries": "LSOA polygons (national or for the area)",
    "wards": "ward polygons (optional; without them areas are grouped by MSOA)",
    "centroids": "LSOA population-weighted centroids",
    "area_lookup": "LSOA -> local authority lookup (needed with national boundaries)",
    "group_lookup": "LSOA -> larger area (region, ICB or CCG, combined authority), so that "
    "[area] code names those areas (source, target = column names)",
    "change_lookup": "ONS LSOA 2011 -> 2021 change lookup",
    "population": "LSOA 2011 populations for sharing out merged areas (IoD 2019 File 6)",
    "census": "Census 2021 tables (paths = [...], metadata, oa_lookup)",
    "age": "Census 2021 age table (Nomis RM121 export or TS007A)",
    "imd": "Indices of Deprivation (kind = 'iod' or 'composite_uk_imd')",
    "imd_domains": "a second IoD file for domain scores (optional)",
    "ofcom_coverage": "Ofcom Connected Nations coverage (optional; with lookup)",
    "ofcom_performance": "Ofcom Connected Nations performance (optional; with lookup)",
    "assets": "community assets: osm = folder or files, council = CSV/XLSX",
}


@dataclass(frozen=True)
class RunConfig:
    """A parsed, validated run configuration (see ``examples/leeds.toml``)."""

    path: Path
    area_codes: tuple[str, ...]
    area_name: str
    geography: str
    sources: Mapping[str, Mapping]
    recipe: str = "default"
    missing_indicators: str = "error"
    suitable: tuple[str, ...] | None = None
    catchments_m: tuple[float, float] = (800.0, 1600.0)
    circuity: float = 1.0
    permutations: int = 999
    seed: int = 0
    tiles: str = "none"
    workers: int = 0
    raw: Mapping = field(default_factory=dict)

    @property
    def many(self) -> bool:
        """True when the run covers several local authorities (a list, ``"all"``, or areas
        chosen through ``[sources.group_lookup]``, which may span authorities)."""
        return (
            self.area_codes == ("all",)
            or len(self.area_codes) > 1
            or "group_lookup" in self.sources
        )

    def source(self, name: str, *, required: bool = True) -> Mapping | None:
        entry = self.sources.get(name)
        if entry is None and required:
            raise InclusionGeoError(
                f"{self.path}: [sources.{name}] is missing: it gives the {_SOURCES[name]}."
            )
        return entry

    def resolve(self, name: str, key: str = "path") -> Path | list[Path]:
        """The path(s) under ``[sources.<name>] <key>``, relative to the config file, checked."""
        entry = self.source(name) or {}
        value = entry.get(key)
        if value is None:
            raise InclusionGeoError(f"{self.path}: [sources.{name}] needs a {key!r} key.")
        values = value if isinstance(value, list) else [value]
        paths = []
        for v in values:
            p = (self.path.parent / str(v)).expanduser()
            if not p.exists():
                raise InclusionGeoError(
                    f"{self.path}: [sources.{name}] {key} = {v!r} points to {p.resolve()}, which does "
                    "not exist. Paths are relative to the config file."
                )
            paths.append(p)
        return paths if isinstance(value, list) else paths[0]


def load_config(path: str | Path) -> RunConfig:
    """Read and check a run configuration."""
    path = Path(path).expanduser().absolute()
    data = read_toml(path, what="Config file")
    unknown = sorted(set(data) - _SECTIONS)
    if unknown:
        raise InclusionGeoError(
            f"{path}: unknown section(s) {unknown}; allowed: {sorted(_SECTIONS)}."
        )
    area = data.get("area")
    if not isinstance(area, dict) or "code" not in area:
        raise InclusionGeoError(
            f'{path}: [area] code = "E08000035" (a local authority code) is required.'
        )
    codes = area["code"] if isinstance(area["code"], list) else [area["code"]]
    if codes == ["all"]:
        codes = ["all"]
    for code in [] if codes == ["all"] else codes:
        if not isinstance(code, str) or len(code) != 9 or code[0] not in "EW":
            raise InclusionGeoError(
                f"{path}: [area] code {code!r} is not a local authority GSS code like 'E08000035'."
            )
    geography = area.get("geography", "lsoa11")
    if geography not in GEOGRAPHIES:
        raise InclusionGeoError(
            f"{path}: [area] geography = {geography!r}; use one of {GEOGRAPHIES}."
        )
    sources = data.get("sources", {})
    bad = sorted(set(sources) - set(_SOURCES))
    if bad:
        raise InclusionGeoError(
            f"{path}: unknown [sources.*] table(s) {bad}; known: {sorted(_SOURCES)}."
        )
    scoring = data.get("scoring", {})
    assets = data.get("assets", {})
    hotspots = data.get("hotspots", {})
    output = data.get("output", {})
    missing = scoring.get("missing_indicators", "error")
    if missing not in ("error", "drop"):
        raise InclusionGeoError(
            f"{path}: [scoring] missing_indicators = {missing!r}; use 'error' or 'drop'."
        )
    catch = tuple(float(x) for x in assets.get("catchments_m", (800.0, 1600.0)))
    if len(catch) != 2 or not 0 < catch[0] < catch[1]:
        raise InclusionGeoError(
            f"{path}: [assets] catchments_m = {list(catch)}; give [short, long] metres, short < long."
        )
    suitable = assets.get("suitable")
    covers = (sources.get("assets") or {}).get("covers", "auto")
    if not (covers in ("auto", "all") or (isinstance(covers, list) and covers)):
        raise InclusionGeoError(
            f"{path}: [sources.assets] covers = {covers!r}; give 'auto' (where a support place "
            "lies inside an authority), 'all', or the list of authority codes the assets cover."
        )
    workers = output.get("workers", 0)
    if not isinstance(workers, int) or workers < 0:
        raise InclusionGeoError(
            f"{path}: [output] workers = {workers!r}; give a whole number of processes "
            "(0 = one per core, at most four)."
        )
    return RunConfig(
        path=path,
        area_codes=tuple(codes),
        area_name=str(area.get("name", ", ".join(codes))),
        geography=geography,
        sources=sources,
        recipe=str(scoring.get("recipe", "default")),
        missing_indicators=missing,
        suitable=tuple(suitable) if suitable is not None else None,
        catchments_m=catch,
        circuity=float(assets.get("circuity", 1.0)),
        permutations=int(hotspots.get("permutations", 999)),
        seed=int(hotspots.get("seed", 0)),
        tiles=str(output.get("tiles", "none")),
        workers=workers,
        raw=data,
    )

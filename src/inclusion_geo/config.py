"""Run configurations: a TOML file that names the area, its input files and the method, so the
whole analysis can be redone next year by changing paths. Every path is relative to the config
file; every error names the file, the key, the value and the fix.

The whole file is checked once, by :func:`load_config`: every section and every key must be
known (a misspelt key is an error that suggests the near match, never silently ignored), and
every value must have the right type and range. Code that receives a :class:`RunConfig` can
trust it."""

from __future__ import annotations

import math
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import NoReturn

from ._defaults import (
    BASEMAPS,
    DEFAULT_CATCHMENTS_M,
    DEFAULT_CIRCUITY,
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    DEFAULT_TILES,
)
from ._errors import InclusionGeoError
from ._validate import read_toml

__all__ = ["RunConfig", "load_config", "GEOGRAPHIES"]

GEOGRAPHIES = ("lsoa11", "lsoa21")
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
    "deri_connectivity": "GMCA DERI LSOA file (.rda) whose broadband component stands in for "
    "Ofcom (optional; a 2022 derived input, England, LSOA 2011)",
    "rural_urban": "ONS rural-urban classification 2011 of LSOAs (optional)",
    "assets": "community assets: osm = folder or files, council = CSV/XLSX",
}

# --- value checks: each returns None when the value is fine, else what is wrong and the fix ---

Check = Callable[[str, object], "str | None"]


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _unquote(v: object) -> str:
    return " (without quotes)" if isinstance(v, str) else ""


def _whole(minimum: int, example: int) -> Check:
    def check(key: str, v: object) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int):
            cut = ", not cut to a whole number" if isinstance(v, float) else ""
            return (
                f"must be a whole number {minimum} or more{cut}; "
                f"write e.g. {key} = {example}{_unquote(v)}"
            )
        if v < minimum:
            return f"must be {minimum} or more, e.g. {key} = {example}"
        return None

    return check


def _number(minimum: float, example: float, meaning: str) -> Check:
    def check(key: str, v: object) -> str | None:
        if not _is_number(v) or v < minimum:
            return f"must be a number >= {minimum:g} ({meaning}); write e.g. {key} = {example:g}{_unquote(v)}"
        return None

    return check


def _choice(options: tuple[str, ...]) -> Check:
    def check(key: str, v: object) -> str | None:
        if isinstance(v, str) and v in options:
            return None
        near = _near(v, options) if isinstance(v, str) else None
        hint = f"did you mean {near!r}? " if near else ""
        return f"{hint}use one of {list(options)}"

    return check


def _text(example: str) -> Check:
    def check(key: str, v: object) -> str | None:
        if not isinstance(v, str) or not v.strip():
            return f"must be text, e.g. {key} = {example!r}"
        return None

    return check


def _texts(example: str, *, single: bool = False) -> Check:
    """A non-empty list of non-empty strings (or, with ``single``, one string)."""

    def check(key: str, v: object) -> str | None:
        if single and isinstance(v, str) and v.strip():
            return None
        if isinstance(v, list) and v and all(isinstance(x, str) and x.strip() for x in v):
            return None
        one = f"{key} = {example!r} or " if single else ""
        return (
            f"must be {'text or ' if single else ''}a list of text, e.g. {one}{key} = [{example!r}]"
        )

    return check


def _name(key: str, v: object) -> str | None:
    if not isinstance(v, str) or not v.strip():
        return 'must be text, e.g. name = "Leeds"'
    bad = [c for c in v if unicodedata.category(c) == "Cc" or c in _BIDI]
    if bad:
        return (
            f"contains the control character U+{ord(bad[0]):04X}; give the name as printable text "
            "on one line (it is shown in titles, file headers and maps)"
        )
    return None


_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _catchments(key: str, v: object) -> str | None:
    fix = "give [short, long] metres, short < long, e.g. catchments_m = [800, 1600]"
    if not isinstance(v, list) or len(v) != 2 or not all(_is_number(x) for x in v):
        return fix
    return None if 0 < v[0] < v[1] else fix


def _categories(key: str, v: object) -> str | None:
    if isinstance(v, dict) and all(isinstance(x, str) and x.strip() for x in v.values()):
        return None
    return (
        "must be a table from the council's category to the taxonomy's, e.g. "
        'categories = { "Hub" = "community_centre" }'
    )


def _nations(key: str, v: object) -> str | None:
    if isinstance(v, list) and v and set(v) <= {"E", "W"} and all(isinstance(x, str) for x in v):
        return None
    return "must be a list of 'E' (England) and/or 'W' (Wales), e.g. nations = ['E', 'W']"


def _covers(key: str, v: object) -> str | None:
    if v in ("auto", "all") or (isinstance(v, list) and v and all(_is_lad(c) for c in v)):
        return None
    return (
        "give 'auto' (where a support place lies inside an authority), 'all', or the list of "
        "authority codes the assets cover, e.g. covers = ['E08000035']"
    )


def _capacity_default(key: str, v: object) -> str | None:
    fix = (
        "give people helped at once per tier, e.g. capacity_default = { 1 = 4, 2 = 8 } "
        "(tiers 1 to 3, numbers of 0 or more)"
    )
    if not isinstance(v, dict) or not v:
        return fix
    for tier, value in v.items():
        if str(tier) not in ("1", "2", "3") or not _is_number(value) or value < 0:
            return f"has {tier} = {value!r}: {fix}"
    return None


def _bool(key: str, v: object) -> str | None:
    return None if isinstance(v, bool) else f"must be true or false, e.g. {key} = true"


def _share(key: str, v: object) -> str | None:
    if _is_number(v) and 0 < v <= 1:
        return None
    return f"must be a share above 0 and at most 1, e.g. {key} = 0.5"


def _anything(key: str, v: object) -> str | None:
    return None


def _is_lad(code: object) -> bool:
    return isinstance(code, str) and len(code) == 9 and code[0] in "EW" and code[1:].isdigit()


# --- the schema: every section, every key, and how each is checked -------------------------

_PATH, _COLUMN = _text("folder/file.csv"), _text("lsoa11cd")
_SECTION_KEYS: dict[str, dict[str, Check]] = {
    "area": {
        "code": _anything,  # checked below, with its own messages
        "name": _name,
        "geography": _choice(GEOGRAPHIES),
    },
    "scoring": {"recipe": _text("default"), "missing_indicators": _choice(("error", "drop"))},
    "assets": {
        "suitable": _texts("library"),
        "catchments_m": _catchments,
        "circuity": _number(1, 1.3, "network distance over straight-line distance"),
        "capacity_default": _capacity_default,
    },
    "hotspots": {
        "permutations": _whole(0, DEFAULT_PERMUTATIONS),
        "seed": _whole(0, DEFAULT_SEED),
    },
    "output": {"tiles": _choice(BASEMAPS), "workers": _whole(0, 0)},
    "plan": {
        "new_sites": _whole(0, 5),
        "demand": _choice(("offline", "no_basic_skills", "at_risk")),
        "capacity": _bool,
        "min_share": _share,
        "time_limit": _number(0.1, 10, "seconds the exact solver may take"),
    },
    "scenario": {
        "close": _texts("Seacroft Library", single=True),
        "hours_cut": _share,
        "popup_sessions": _whole(0, 5),
    },
}
_SECTIONS = {"sources", *_SECTION_KEYS}
_RECIPE_KEYS = ("name", "description", "normalisation", "scope", "domains", "indicators")
_IMD = {"path": _PATH, "kind": _choice(("iod", "composite_uk_imd")), "nations": _nations}
_LOOKUP = {"path": _PATH, "source": _COLUMN, "target": _COLUMN}
_OFCOM = {"path": _PATH, "lookup": _PATH, "lookup_source": _COLUMN}
_SOURCE_KEYS: dict[str, dict[str, Check]] = {
    "boundaries": {"path": _PATH},
    "wards": {"path": _PATH},
    "centroids": {"path": _PATH},
    "area_lookup": _LOOKUP,
    "group_lookup": _LOOKUP,
    "change_lookup": {"path": _PATH},
    "population": {"path": _PATH, "missing": _choice(("error", "equal"))},
    "census": {"paths": _texts("ts001.csv"), "metadata": _PATH, "oa_lookup": _PATH},
    "age": {"path": _PATH},
    "imd": _IMD,
    "imd_domains": _IMD,
    "ofcom_coverage": _OFCOM,
    "ofcom_performance": _OFCOM,
    "deri_connectivity": {"path": _PATH},
    "rural_urban": {"path": _PATH},
    "assets": {
        "osm": _texts("osm-folder", single=True),
        "council": _texts("assets.csv", single=True),
        "register": _PATH,  # an edited asset register file (one .xlsx or .csv)
        "categories": _categories,
        "covers": _covers,
    },
}
# keys without which a source cannot be read (any one of a tuple will do)
_REQUIRED: dict[str, tuple[str, ...]] = {
    **{name: ("path",) for name in _SOURCE_KEYS},
    "census": ("paths",),
    "assets": ("osm", "council"),  # a register only edits what these give
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
    capacity_default: Mapping[int, float] | None = None
    catchments_m: tuple[float, float] = DEFAULT_CATCHMENTS_M
    circuity: float = DEFAULT_CIRCUITY
    permutations: int = DEFAULT_PERMUTATIONS
    seed: int = DEFAULT_SEED
    tiles: str = DEFAULT_TILES
    workers: int = 0
    plan: Mapping[str, object] = field(default_factory=dict)
    scenario: Mapping[str, object] = field(default_factory=dict)
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
    """Read a run configuration and check all of it.

    Raises
    ------
    InclusionGeoError
        For an unknown section or key (suggesting the near match), a value of the wrong type or
        range, a section that is not a table, or a recipe that cannot be read; the message names
        the file, the key, the value and the fix.
    """
    path = Path(path).expanduser().absolute()
    data = read_toml(path, what="Config file")
    _check_layout(path, data)
    area = data["area"]
    codes = _area_codes(path, area["code"])
    sources = data.get("sources", {})
    scoring, assets = data.get("scoring", {}), data.get("assets", {})
    hotspots, output = data.get("hotspots", {}), data.get("output", {})
    config = RunConfig(
        path=path,
        area_codes=codes,
        area_name=area.get("name", ", ".join(codes)).strip(),
        geography=area.get("geography", "lsoa11"),
        sources=sources,
        recipe=scoring.get("recipe", "default"),
        missing_indicators=scoring.get("missing_indicators", "error"),
        suitable=tuple(assets["suitable"]) if "suitable" in assets else None,
        capacity_default=(
            {int(k): float(v) for k, v in assets["capacity_default"].items()}
            if "capacity_default" in assets
            else None
        ),
        catchments_m=tuple(float(x) for x in assets.get("catchments_m", DEFAULT_CATCHMENTS_M)),
        circuity=float(assets.get("circuity", DEFAULT_CIRCUITY)),
        permutations=hotspots.get("permutations", DEFAULT_PERMUTATIONS),
        seed=hotspots.get("seed", DEFAULT_SEED),
        tiles=output.get("tiles", DEFAULT_TILES),
        workers=output.get("workers", 0),
        plan=dict(data.get("plan", {})),
        scenario=dict(data.get("scenario", {})),
        raw=data,
    )
    if config.many and (config.plan or config.scenario):
        raise InclusionGeoError(
            f"{path}: [plan] and [scenario] work on one local authority; this run covers "
            f"several ({', '.join(codes)}). Remove them here and run each authority with its "
            "own config to plan sites or test a closure."
        )
    covers = sources.get("assets", {}).get("covers", "auto")
    if isinstance(covers, list) and not config.many and codes[0] not in covers:
        raise InclusionGeoError(
            f"{path}: [sources.assets] covers = {covers} does not include {codes[0]}, so access "
            "could not be measured there; add it, or give assets that cover it."
        )
    _check_recipe(path, config.recipe)
    if config.suitable is not None:
        _check_suitable(path, config.suitable, sources.get("assets", {}))
    return config


def _check_layout(path: Path, data: dict) -> None:
    """Every section a table of known keys, every value of the right type."""
    for section, value in data.items():
        if section not in _SECTIONS:
            _unknown(path, None, section, _SECTIONS)
        if not isinstance(value, dict):
            raise InclusionGeoError(
                f"{path}: {section} = {_show(value)} must be a table: write a [{section}] heading "
                f"followed by key = value lines (see examples/leeds.toml)."
            )
    area = data.get("area")
    if area is None or "code" not in area:
        raise InclusionGeoError(
            f'{path}: [area] code = "E08000035" (a local authority code) is required.'
        )
    for section, checks in _SECTION_KEYS.items():
        _check_table(path, section, data.get(section, {}), checks)
    for name, entry in data.get("sources", {}).items():
        if name not in _SOURCE_KEYS:
            near = _near(name, _SOURCE_KEYS)
            hint = f"did you mean [sources.{near}]? " if near else ""
            raise InclusionGeoError(
                f"{path}: unknown [sources.*] table [sources.{name}]; {hint}"
                f"known: {sorted(_SOURCE_KEYS)}."
            )
        where = f"sources.{name}"
        if not isinstance(entry, dict):
            raise InclusionGeoError(
                f"{path}: [sources] {name} = {_show(entry)} must be a table: write a [{where}] "
                f"heading followed by e.g. {_REQUIRED[name][0]} = ... ."
            )
        _check_table(path, where, entry, _SOURCE_KEYS[name])
        if not any(key in entry for key in _REQUIRED[name]):
            keys = " or ".join(f"{k} = ..." for k in _REQUIRED[name])
            raise InclusionGeoError(f"{path}: [{where}] needs {keys}: the {_SOURCES[name]}.")
    lookup = data.get("sources", {}).get("group_lookup")
    if lookup is not None and "target" not in lookup:
        raise InclusionGeoError(
            f"{path}: [sources.group_lookup] needs target = the column of the larger areas that "
            "[area] code names (e.g. 'ccg21cd' or 'rgn22cd')."
        )


def _check_table(path: Path, where: str, table: dict, checks: Mapping[str, Check]) -> None:
    for key, value in table.items():
        if key not in checks:
            _unknown(path, where, key, checks)
        problem = checks[key](key, value)
        if problem:
            raise InclusionGeoError(f"{path}: [{where}] {key} = {_show(value)}: {problem}.")


def _area_codes(path: Path, code: object) -> tuple[str, ...]:
    codes = code if isinstance(code, list) else [code]
    if not codes:
        raise InclusionGeoError(
            f'{path}: [area] code = []: name at least one local authority, e.g. code = "E08000035".'
        )
    if codes == ["all"]:
        return ("all",)
    for c in codes:
        if not isinstance(c, str) or len(c) != 9 or c[0] not in "EW":
            raise InclusionGeoError(
                f"{path}: [area] code {_show(c)} is not a local authority GSS code like "
                "'E08000035' (or use code = \"all\")."
            )
    return tuple(codes)


def _check_recipe(path: Path, recipe: str) -> None:
    """The recipe must be 'default', a preset, or a readable recipe file."""
    from . import presets
    from .scoring import load_recipe

    if recipe == "default" or recipe in presets.PRESETS:
        return
    file = path.parent / recipe
    if not file.is_file():
        near = _near(recipe, ["default", *presets.PRESETS])
        hint = f"did you mean {near!r}? " if near else ""
        raise InclusionGeoError(
            f"{path}: [scoring] recipe = {recipe!r}: no such recipe file ({file}); {hint}give "
            f"'default', a preset ({sorted(presets.PRESETS)}) or a recipe file relative to the "
            "config file."
        )
    try:
        load_recipe(file)
    except InclusionGeoError as exc:
        raise InclusionGeoError(f"{path}: [scoring] recipe = {recipe!r}: {exc}") from None


def _check_suitable(path: Path, suitable: tuple[str, ...], assets: Mapping) -> None:
    """Support categories must be ones the asset sources can give; a misspelling is caught."""
    from .sources.assets import TAXONOMY

    known = set(TAXONOMY) | set(assets.get("categories", {}).values())
    unknown = [s for s in suitable if s not in known]
    if not unknown:
        return
    near = {s: _near(s, known) for s in unknown}
    hints = "; ".join(f"{s!r}: did you mean {n!r}?" for s, n in near.items() if n)
    message = (
        f"{path}: [assets] suitable names {unknown}, which are not categories of the taxonomy "
        f"{sorted(TAXONOMY)}{' (' + hints + ')' if hints else ''}"
    )
    if not any(k in assets for k in ("council", "register")):
        raise InclusionGeoError(message + "; OpenStreetMap places only ever have those.")
    warnings.warn(
        message + "; they count only if the council list uses them as they are.",
        UserWarning,
        stacklevel=3,
    )


def _near(word: object, options) -> str | None:
    """The option closest to ``word`` (ignoring case), if one is close."""
    by_lower = {str(o).lower(): str(o) for o in options}
    found = get_close_matches(str(word).lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[found[0]] if found else None


def _unknown(path: Path, where: str | None, key: str, allowed) -> NoReturn:
    near = _near(key, allowed)
    hint = f"did you mean {near!r}? " if near else ""
    homes = [f"[{s}]" for s, keys in _SECTION_KEYS.items() if key in keys and s != where]
    homes += [f"[sources.{s}]" for s, keys in _SOURCE_KEYS.items() if key in keys]
    if homes and not near:
        hint += f"{key!r} belongs in {homes[0]}. "
    if where == "scoring" and key in _RECIPE_KEYS:
        hint += (
            f"{key!r} belongs in a recipe file: write the recipe in its own .toml file (see "
            "examples/recipes/england_wales.toml) and set [scoring] recipe = its path. "
        )
    if where is None:
        raise InclusionGeoError(
            f"{path}: unknown section {key!r}; {hint}allowed sections: {sorted(_SECTIONS)}."
        )
    raise InclusionGeoError(
        f"{path}: [{where}] has an unknown key {key!r}; {hint}allowed keys: {sorted(allowed)}."
    )


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

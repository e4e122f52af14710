"""A vetted, capacity-aware asset register: every place read, with a tier, a reason, and whether
it counts.

:func:`build_register` takes the loaded assets (OpenStreetMap layers and/or a council's list, in
the schema of :mod:`inclusion_geo.sources.assets`) and returns every one of them, never fewer,
with a stable ``id`` index and these columns: ``name`` (NA when the place has none),
``display_name``, ``category``, ``subcategory``, ``tier``, ``tier_reason``, ``include``,
``exclusion_reason``, ``source``, ``opening_hours``, ``hours_per_week``, ``open_evenings``,
``open_weekends``, ``capacity``, ``capacity_source``, ``last_checked``, ``operator``,
``internet_access``, ``wheelchair``, ``postcode`` and the point geometry (EPSG:27700).

Tiers
    1. **Digital support offered**: public libraries; places tagged as offering computers,
       internet terminals or digital help (``internet_access=terminal``, ``computer=yes``,
       ``service:*=digital``...); advice services and job centres, which help people with online
       services; and rows a council list or register marks as tier 1.
    2. **Could host support**: community centres and halls, social centres, youth centres
       (social *clubs* are members' clubs, so tier 3).
    3. **Context only**: cafes, worship, health, post offices, shops, social clubs, arts centres,
       town halls, book exchanges, anything else, and every unnamed place (a place nobody named
       cannot be sent people; a register can confirm it).

OpenStreetMap hygiene (rows from OSM, or carrying OSM ``tags``; a council's own list is taken as
vetted). Excluded rows stay
in the register with ``include=False`` and a named ``exclusion_reason``, so a council can review
them; they are tier 3 while excluded:

* ``disused, closed or not yet open``: ``disused=yes``, ``abandoned=yes``, a lifecycle prefix
  (``disused:``, ``abandoned:``, ``proposed:``, ``construction:``...) naming the
  feature's own tag (``disused:amenity=library`` on a library; a phone box that *became* a book
  exchange, ``disused:amenity=telephone``, is not disused) or ``(closed)`` in the name;
* ``academic, hospital, school or private library``: from ``library=*``, ``operator:type``,
  ``building=university|college|school|hospital`` and words in the name or operator
  (University, College, School, Hospital, NHS, Academy, Sixth Form, Law Library, Medical,
  Conservatoire, British Library);
* ``private access``: ``access=private|no|customers``;
* ``duplicate``: the same normalised name within 50 m (a node and a polygon of the same place,
  or one place in two layers); the row kept is the one with more tags, a council row before an
  OSM one.

Capacity (people who can be helped at once) comes from a register's ``capacity`` where given
(``capacity_source="register"``), else from the asset list's own ``capacity`` column where given
(``"asset list"``: council lists and the demo; never OSM's ``capacity`` tag, which counts seats),
else a default per tier (``"default for tier N"``, :data:`DEFAULT_CAPACITY`): **4** for tier 1
(a branch library's public PCs, or an advice desk with a few helpers), **8** for tier 2 (a hall
session with a tutor and a trolley of laptops or tablets), **0** for tier 3 (no help offered).
These match :data:`inclusion_geo.assets.DEFAULT_CAPACITY`; ``capacity_default={tier: value}``
overrides them.

A register file (see :mod:`inclusion_geo.sources.register`) edited by a council overrides rows by
``id`` and adds council-only venues: see :func:`build_register`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from ._errors import DataQualityError, InclusionGeoError, MissingColumnsError
from ._validate import BNG
from .hours import opening_hours_table

__all__ = [
    "REGISTER_COLUMNS",
    "HELPS_WITH_DEFAULT",
    "DEFAULT_CAPACITY",
    "EXCLUSION_REASONS",
    "build_register",
    "exclusion_counts",
]

REGISTER_COLUMNS = [
    "name", "display_name", "category", "subcategory", "tier", "tier_reason", "include",
    "exclusion_reason", "source", "opening_hours", "hours_per_week", "open_evenings",
    "open_weekends", "capacity", "capacity_source", "last_checked", "operator",
    "internet_access", "wheelchair", "postcode", "helps_with",
]  # fmt: skip

#: The focus areas of the Digital Inclusion Action Plan (:data:`inclusion_geo.barriers.FOCUS`)
#: each kind of place helps with by default; a council register's ``helps_with`` overrides it.
#: Public libraries do all four (skills sessions, free computers and wifi, help with online
#: services, reassurance); advice services help with services (benefits, forms); job centres
#: with skills and services; venues that could host (tier 2) with skills and confidence (a
#: session in a familiar place); a place with public computers or free wifi also helps with
#: data and device poverty. Context places (tier 3) help with none.
HELPS_WITH_DEFAULT: dict[str, tuple[str, ...]] = {
    "library": ("skills", "data_and_device_poverty", "barriers_to_services", "confidence"),
    "advice": ("barriers_to_services",),
    "job_centre": ("skills", "barriers_to_services"),
    "community_centre": ("skills", "confidence"),
    "digital": ("skills", "data_and_device_poverty"),
}
_FOCUS_KEYS = ("skills", "data_and_device_poverty", "barriers_to_services", "confidence")
_CONNECTED = {"terminal", "wlan", "yes", "wifi", "terminal;wlan", "wlan;terminal", "free"}

#: people who can be helped at once, by tier, when neither a register nor the asset list says
DEFAULT_CAPACITY: dict[int, float] = {1: 4.0, 2: 8.0, 3: 0.0}

DISUSED = "disused, closed or not yet open"
ACADEMIC = "academic, hospital, school or private library"
PRIVATE = "private access"
DUPLICATE = "duplicate"
NOT_IN_REGISTER = "not in the register"
EXCLUDED_IN_REGISTER = "excluded in the register"
#: the reasons the hygiene gives, in the order they are tested (the first that applies is named)
EXCLUSION_REASONS = (DISUSED, ACADEMIC, PRIVATE, DUPLICATE)

DUPLICATE_WITHIN_M = 50.0
_LIFECYCLE = ("disused", "abandoned", "demolished", "removed", "razed", "was", "construction", "planned", "proposed")  # fmt: skip
_LIFECYCLE_RE = re.compile(rf"^({'|'.join(_LIFECYCLE)}):(.+)$")
_MAIN_KEYS = ("amenity", "office", "leisure", "shop")
_ACADEMIC_WORDS = re.compile(
    r"\b(?:universit(?:y|ies)|college|school|hospital|nhs|academy|sixth form|law library|medical|"
    r"conservatoire|british library)\b",
    re.IGNORECASE,
)
_ACADEMIC_LIBRARY = {"academic", "university", "college", "school", "research", "private", "hospital", "medical", "law", "specialized", "special"}  # fmt: skip
_ACADEMIC_OPERATOR = {"private", "university", "education", "school", "college", "academic", "hospital"}  # fmt: skip
_ACADEMIC_BUILDING = {"university", "college", "school", "hospital"}
_PRIVATE_ACCESS = {"private", "no", "customers"}
_BOOK_EXCHANGE = re.compile(
    r"\b(?:mini library|little free library|book (?:exchange|swap))\b", re.I
)
_CLOSED_NAME = re.compile(r"\((?:closed|disused|former)\)", re.IGNORECASE)
_TRUE = {"yes", "true", "1", "y"}
_DIGITAL_VALUE = re.compile(r"digital|computer|internet|online", re.IGNORECASE)
_CHECK_KEYS = ("check_date", "survey:date", "check_date:opening_hours", "survey_date", "lastcheck", "last_checked")  # fmt: skip
_TIER2_SUBS = {"community_centre", "community_hall", "social_centre", "youth_centre"}
_NAN_TEXT = {"", "nan", "none", "null", "<na>", "nat"}


def _text(series: pd.Series) -> pd.Series:
    """Text with missing values (and the words pandas writes for them) as NA."""
    s = series.astype("object")
    s = s.where(s.notna(), None).map(lambda v: None if v is None else str(v).strip())
    return s.where(~s.fillna("").str.lower().isin(_NAN_TEXT), None)


def _filled(series: pd.Series) -> pd.Series:
    """Text with missing values as "" (whatever dtype an all-missing column has)."""
    return series.astype("object").where(series.notna(), "").astype(str)


def _tags(assets: gpd.GeoDataFrame) -> list[dict]:
    if "tags" not in assets.columns:
        return [{} for _ in range(len(assets))]
    return [t if isinstance(t, Mapping) else {} for t in assets["tags"]]


def _tag(tags: list[dict], key: str, index: pd.Index) -> pd.Series:
    return pd.Series([t.get(key) for t in tags], index=index, dtype="object")


def _lifecycle(tags: list[dict]) -> np.ndarray:
    """Features whose own main tag carries a lifecycle prefix, or tagged disused/abandoned."""
    out = np.zeros(len(tags), dtype=bool)
    for i, t in enumerate(tags):
        if (
            str(t.get("disused", "")).lower() in _TRUE
            or str(t.get("abandoned", "")).lower() in _TRUE
        ):
            out[i] = True
            continue
        for key, value in t.items():
            m = _LIFECYCLE_RE.match(key)
            if m and m[2] in _MAIN_KEYS and t.get(m[2]) == value:
                out[i] = True
                break
    return out


def _digital_tag(tags: list[dict]) -> pd.Series:
    """``"tagged k=v"`` for places tagged as offering computers or digital help, else None."""
    found = []
    for t in tags:
        reason = None
        for key, value in t.items():
            k, v = key.lower(), str(value).lower()
            if k in ("computer", "computers", "internet_access:computer") and (
                v in _TRUE or (v.isdigit() and int(v) > 0)
            ):
                reason = f"tagged {key}={value}"
            elif (
                k.startswith("service:")
                and (_DIGITAL_VALUE.search(k) or _DIGITAL_VALUE.search(v))
                and v != "no"
            ):
                reason = f"tagged {key}={value}"
            if reason:
                break
        found.append(reason)
    return pd.Series(found, dtype="object")


def _base(assets: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """The assets in register columns, before tiers and hygiene."""
    if not isinstance(assets, gpd.GeoDataFrame):
        raise TypeError("assets must be a GeoDataFrame from read_osm_layers / read_asset_table.")
    for col in ("category", "geometry"):
        if col not in assets.columns:
            raise MissingColumnsError(
                f"assets have no {col!r} column; load them with read_osm_layers or read_asset_table."
            )
    if assets.crs is None:
        raise DataQualityError("assets have no CRS; give them one (e.g. EPSG:27700).")
    index = pd.Index(assets.index.astype(str), name="id")
    if index.has_duplicates:
        raise DataQualityError(
            f"asset ids are not unique, e.g. {index[index.duplicated()][:3].tolist()}; "
            "give each asset its own id."
        )
    tags = _tags(assets)
    frame = pd.DataFrame(index=index)
    osm = index.str.startswith("osm/")
    raw_name = _text(assets["name"] if "name" in assets else pd.Series(None, index=assets.index))
    raw_name.index = index
    tag_name = _text(_tag(tags, "name", index))
    has_tags = np.array([bool(t) for t in tags])
    # a row read with its OSM tags: the name tag (the reader fills "Unnamed ..." for display)
    frame["name"] = tag_name.where(has_tags, raw_name)
    unnamed_fill = osm & ~has_tags & raw_name.fillna("").str.startswith("Unnamed ")
    frame.loc[unnamed_fill, "name"] = None
    for col in ("category", "subcategory", "source", "opening_hours", "operator", "internet_access", "wheelchair", "postcode"):  # fmt: skip
        values = _text(assets[col]) if col in assets else pd.Series(None, index=assets.index)
        frame[col] = values.to_numpy()
    frame["subcategory"] = frame["subcategory"].fillna(frame["category"])
    frame["category"] = frame["category"].fillna("other")
    frame["asset_capacity"] = (
        pd.to_numeric(assets["capacity"], errors="coerce").to_numpy(dtype=float)
        if "capacity" in assets and not osm.all()
        else np.nan
    )
    frame.loc[osm, "asset_capacity"] = np.nan  # OSM capacity counts seats, not helpers
    frame["asset_tier"] = (
        pd.to_numeric(assets["tier"], errors="coerce").to_numpy() if "tier" in assets else np.nan
    )
    geometry = assets.geometry.to_crs(BNG)
    not_point = (geometry.geom_type != "Point").to_numpy()
    if not_point.any():
        geometry = geometry.copy()
        geometry[not_point] = geometry[not_point].representative_point()
    out = gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs=BNG)
    out["_osm"] = osm | has_tags  # OpenStreetMap data (or shaped like it): hygiene applies
    out["_added"] = False
    out["_richness"] = (
        np.array([len(t) for t in tags])
        + out[["name", "opening_hours", "operator", "postcode", "internet_access", "wheelchair"]]
        .notna()
        .sum(axis=1)
        .to_numpy()
    )
    return out, tags


def _last_checked(tags: list[dict], index: pd.Index) -> pd.Series:
    dates = [
        pd.to_datetime(_tag(tags, key, index), errors="coerce", format="ISO8601")
        for key in _CHECK_KEYS
    ]
    latest = pd.concat(dates, axis=1).max(axis=1) if dates else pd.Series(pd.NaT, index=index)
    return latest.dt.normalize()


def _exclusions(reg: gpd.GeoDataFrame, tags: list[dict]) -> pd.Series:
    """The hygiene's exclusion reason per row ("" to keep), OSM rows only."""
    idx = reg.index
    osm = reg["_osm"].to_numpy()
    library = (reg["category"] == "library").to_numpy()
    words = (_filled(reg["name"]) + " | " + _filled(reg["operator"])).str.contains(_ACADEMIC_WORDS)
    lower = {k: _filled(_tag(tags, k, idx)).str.lower() for k in ("library", "operator:type", "building", "access")}  # fmt: skip
    academic = library & (
        words.to_numpy()
        | lower["library"].isin(_ACADEMIC_LIBRARY).to_numpy()
        | lower["operator:type"].isin(_ACADEMIC_OPERATOR).to_numpy()
        | lower["building"].isin(_ACADEMIC_BUILDING).to_numpy()
    )
    disused = _lifecycle(tags) | _filled(reg["name"]).str.contains(_CLOSED_NAME).to_numpy()
    private = lower["access"].isin(_PRIVATE_ACCESS).to_numpy()
    reason = np.select(
        [osm & disused, osm & academic, osm & private], [DISUSED, ACADEMIC, PRIVATE], default=""
    )
    reason = pd.Series(reason, index=idx, dtype="object")
    return _duplicates(reg, reason)


def _normalise_name(names: pd.Series) -> pd.Series:
    n = _filled(names).str.lower().str.replace(r"[^\w\s]", " ", regex=True)
    n = n.str.replace(r"\s+", " ", regex=True).str.strip()
    return n.str.replace(r"^the ", "", regex=True)


def _duplicates(reg: gpd.GeoDataFrame, reason: pd.Series) -> pd.Series:
    """Mark all but the richest of each cluster of same-named places within 50 m."""
    from scipy.spatial import cKDTree

    key = _normalise_name(reg["name"])
    live = (reason == "").to_numpy() & (key != "").to_numpy()
    if live.sum() < 2:
        return reason
    xy = np.column_stack([reg.geometry.x.to_numpy(), reg.geometry.y.to_numpy()])
    pos = np.flatnonzero(live)
    pairs = cKDTree(xy[pos]).query_pairs(DUPLICATE_WITHIN_M, output_type="ndarray")
    if not len(pairs):
        return reason
    keys = key.to_numpy()[pos]
    pairs = pairs[keys[pairs[:, 0]] == keys[pairs[:, 1]]]
    if not len(pairs):
        return reason
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(pos)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    rank = pd.DataFrame(
        {
            "label": label,
            "osm": reg["_osm"].to_numpy()[pos],
            "rich": -reg["_richness"].to_numpy()[pos],
            "id": reg.index[pos],
        }
    )
    sizes = rank["label"].map(rank["label"].value_counts())
    rank = rank[sizes.to_numpy() > 1].sort_values(["label", "osm", "rich", "id"])
    keep = rank.groupby("label")["id"].transform("first")
    dropped = rank["id"] != keep
    out = reason.copy()
    out.loc[rank.loc[dropped, "id"].to_numpy()] = DUPLICATE
    reg.loc[rank.loc[dropped, "id"].to_numpy(), "_duplicate_of"] = keep[dropped].to_numpy()
    return out


def _tiers(reg: gpd.GeoDataFrame, tags: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    idx = reg.index
    cat, sub = reg["category"], _filled(reg["subcategory"])
    words = sub.str.replace("_", " ")
    internet = _filled(reg["internet_access"]).str.lower()
    digital = _digital_tag(tags)
    digital.index = idx
    name = _filled(reg["name"])
    jobcentre = (sub == "job_centre") | name.str.contains(r"job\s*centre", case=False)
    given = pd.to_numeric(reg["asset_tier"], errors="coerce")
    conditions = [
        given.isin([1, 2, 3]).to_numpy(),
        reg["name"].isna().to_numpy(),
        ((cat == "library") & name.str.contains(_BOOK_EXCHANGE)).to_numpy(),
        ((cat == "library") & (sub == "library")).to_numpy(),
        internet.str.contains("terminal").to_numpy(),
        digital.notna().to_numpy(),
        ((cat == "advice") & sub.isin(["advice"])).to_numpy(),
        ((cat == "job_centre") & jobcentre).to_numpy(),
        ((cat == "community_centre") & sub.isin(_TIER2_SUBS)).to_numpy(),
        (sub == "social_club").to_numpy(),
    ]
    tiers = [given.fillna(3).to_numpy(), 3, 3, 1, 1, 1, 1, 1, 2, 3]
    reasons = [
        "set in the asset list (" + _filled(reg["source"]).replace("", "council list") + ")",
        "unnamed place: context only unless the register confirms it",
        "book exchange, not a staffed library",
        "public library",
        "tagged internet_access=" + _filled(reg["internet_access"]),
        digital.fillna(""),
        "advice service: helps people with online services",
        "job centre: helps people with online services",
        words + ": could host sessions",
        "social club: a members' club",
    ]
    tier = np.select(conditions, tiers, default=3).astype(int)
    reason = np.select(
        conditions, [np.asarray(r, dtype=object) if not isinstance(r, str) else r for r in reasons],
        default=(words + ": context only").to_numpy(dtype=object),
    )  # fmt: skip
    return tier, reason


def build_register(
    assets: gpd.GeoDataFrame,
    *,
    register: pd.DataFrame | None = None,
    capacity_default: Mapping[int, float] | None = None,
) -> gpd.GeoDataFrame:
    """Every asset read, tiered, vetted and with its hours and capacity.

    Parameters
    ----------
    assets
        Loaded assets (``read_osm_layers``, ``read_asset_table``, or both concatenated), any
        CRS. OSM rows (ids ``osm/<type>/<n>``) carry their raw ``tags`` (dicts).
    register
        A register a council has edited, from :func:`inclusion_geo.sources.read_register`
        (indexed by ``id``). Its rows override the assets' row by row: ``tier``, ``include``
        (with its ``exclusion_reason``), ``capacity``, ``name``, ``category``, ``subcategory``,
        ``opening_hours``, ``operator``, ``postcode`` and the location (when moved more than
        10 m). Rows whose id is not among the assets are added (council-only venues; they need
        a location). Assets missing from the register are kept with ``include=False`` and
        ``exclusion_reason="not in the register"`` (a warning counts them).
    capacity_default
        ``{tier: people helped at once}`` overriding :data:`DEFAULT_CAPACITY`.

    Returns
    -------
    GeoDataFrame
        Indexed by ``id``, columns :data:`REGISTER_COLUMNS` and the point geometry
        (EPSG:27700); one row per asset (plus the register's added rows).
        ``attrs["exclusions"]`` = ``{reason: count}``; ``attrs["hours"]`` counts the opening
        hours read.

    Raises
    ------
    InclusionGeoError
        An unknown tier or a negative capacity in ``capacity_default``; a register row to add
        without a location or a category.

    Examples
    --------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> reg = build_register(load_demo_borough().assets)
    >>> sorted(reg["tier"].unique().tolist())
    [1, 2, 3]
    >>> int(reg["include"].sum()) + sum(reg.attrs["exclusions"].values()) == len(reg)
    True
    """
    defaults = dict(DEFAULT_CAPACITY)
    for tier, value in (capacity_default or {}).items():
        if tier not in (1, 2, 3):
            raise InclusionGeoError(
                f"capacity_default has tier {tier!r}; give values for tiers 1, 2 and 3 only."
            )
        if not np.isfinite(float(value)) or float(value) < 0:
            raise InclusionGeoError(
                f"capacity_default[{tier}] = {value!r}; give 0 or more people helped at once."
            )
        defaults[tier] = float(value)
    reg, tags = _base(assets)
    if register is not None:
        reg, tags = _add_register_rows(reg, tags, register)
        reg = _override_fields(reg, register)
    reg["_duplicate_of"] = None
    reason = _exclusions(reg, tags)
    tier, tier_reason = _tiers(reg, tags)
    include = (reason == "").to_numpy()
    tier_reason = np.where(
        include, tier_reason, "context only while excluded: " + reason.to_numpy()
    )
    tier = np.where(include, tier, 3)
    dup = reg["_duplicate_of"].notna().to_numpy()
    reason = reason.where(~dup, DUPLICATE + " of " + _filled(reg["_duplicate_of"]))
    out = reg
    out["tier"] = pd.array(tier, dtype="Int64")
    out["tier_reason"] = tier_reason
    out["include"] = include
    out["exclusion_reason"] = reason.to_numpy()
    if register is not None:
        out = _override_decisions(out, register)
    out["helps_with"] = _helps_with(out, register)
    hours = opening_hours_table(out["opening_hours"])
    out["hours_per_week"] = hours["hours_per_week"]
    out["open_evenings"] = hours["open_evenings"]
    out["open_weekends"] = hours["open_weekends"]
    _capacity(out, register, defaults)
    out["last_checked"] = _last_checked(tags, out.index)
    if register is not None and "last_checked" in register.columns:
        theirs = pd.to_datetime(register["last_checked"], errors="coerce", format="ISO8601")
        theirs = theirs.reindex(out.index).astype(out["last_checked"].dtype)
        out["last_checked"] = pd.concat([out["last_checked"], theirs], axis=1).max(axis=1)
    out["display_name"] = _display_names(out)
    out = out[[*REGISTER_COLUMNS, "geometry"]]
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=BNG)
    out["include"] = out["include"].astype(bool)
    out["capacity"] = out["capacity"].astype(float)
    out.attrs = {
        "exclusions": _reason_counts(out),
        "hours": hours.attrs.get("counts", {}),
        "capacity_default": defaults,
    }
    return out


def _helps_with(reg: gpd.GeoDataFrame, register: pd.DataFrame | None) -> pd.Series:
    """Which focus areas each place helps with, as ``"skills; confidence"``: from its category
    (:data:`HELPS_WITH_DEFAULT`), plus data and device poverty where it offers public computers
    or free wifi, none for context places; a register's ``helps_with`` wins where given."""
    category = reg["category"].astype(str)
    wifi = (
        reg["internet_access"]
        .astype("object")
        .map(lambda v: isinstance(v, str) and v.strip().lower() in _CONNECTED)
    )
    out = []
    for cat, tier, connected in zip(category, reg["tier"], wifi, strict=True):
        helps = set(HELPS_WITH_DEFAULT.get(cat, ()))
        if tier == 1 and not helps:  # tier 1 by a tag (public computers, digital help)
            helps = {"skills", "data_and_device_poverty"}
        if connected:
            helps.add("data_and_device_poverty")
        out.append("" if tier == 3 else "; ".join(f for f in _FOCUS_KEYS if f in helps))
    helps = pd.Series(out, index=reg.index, dtype=object)
    if register is not None and "helps_with" in register.columns:
        given = register["helps_with"].reindex(reg.index)
        given = given[given.notna() & given.astype(str).str.strip().ne("")]
        helps[given.index] = given.map(_focus_list).to_numpy()
    return helps


def _focus_list(value: object) -> str:
    """``helps_with`` text (focus keys or words, separated by ``;`` or ``,``) in canonical form."""
    words = [w.strip().lower().replace(" ", "_") for w in re.split(r"[;,]", str(value))]
    return "; ".join(f for f in _FOCUS_KEYS if f in words)


def _capacity(reg: gpd.GeoDataFrame, register: pd.DataFrame | None, defaults: dict) -> None:
    """Capacity and its source, in place: the register's where it says something new, else the
    asset list's, else the tier's default."""
    tier = reg["tier"].astype(int)
    listed = reg["asset_capacity"].notna()
    reg["capacity"] = reg["asset_capacity"].where(listed, tier.map(defaults)).astype(float)
    reg["capacity_source"] = np.where(listed, "asset list", "default for tier " + tier.astype(str))
    if register is None or "capacity" not in register.columns:
        return
    common = register.index.intersection(reg.index, sort=False)
    given = pd.to_numeric(register.loc[common, "capacity"], errors="coerce")
    source = (
        _text(register.loc[common, "capacity_source"]).fillna("")
        if "capacity_source" in register.columns
        else pd.Series("", index=common)
    )
    # a value the export filled in (a default or the asset list's) is not the council's word
    # unless they changed it
    automatic = source.str.startswith("default for tier") | (source == "asset list")
    differs = given.to_numpy() != reg.loc[common, "capacity"].to_numpy()
    take = given.notna().to_numpy() & (~automatic.to_numpy() | differs)
    rows = common[take]
    reg.loc[rows, "capacity"] = given[take].to_numpy(dtype=float)
    reg.loc[rows, "capacity_source"] = "register"


def _display_names(reg: pd.DataFrame) -> pd.Series:
    parts = reg.index.to_series().str.extract(r"^osm/(node|way|relation)/(.+)$")
    words = reg["subcategory"].fillna(reg["category"]).fillna("place").str.replace("_", " ")
    where = ("OSM " + parts[0] + " " + parts[1]).fillna(reg.index.to_series())
    return reg["name"].where(reg["name"].notna(), "unnamed " + words + " (" + where + ")")


def _reason_counts(reg: pd.DataFrame) -> dict[str, int]:
    reasons = reg.loc[~reg["include"], "exclusion_reason"].fillna("")
    reasons = reasons.str.replace(r"^duplicate of .*$", DUPLICATE, regex=True)
    return {str(k): int(v) for k, v in reasons.value_counts().sort_index().items()}


def exclusion_counts(register: pd.DataFrame) -> pd.DataFrame:
    """How many places were kept and how many each reason excluded.

    Parameters
    ----------
    register
        A frame from :func:`build_register`.

    Returns
    -------
    DataFrame
        ``reason`` and ``count``: ``"kept"`` first, then each exclusion reason (duplicates
        counted together); the counts add up to the number of rows.

    Examples
    --------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> reg = build_register(load_demo_borough().assets)
    >>> int(exclusion_counts(reg)["count"].sum()) == len(reg)
    True
    """
    for col in ("include", "exclusion_reason"):
        if col not in register.columns:
            raise MissingColumnsError(
                f"register has no {col!r} column; build it with build_register."
            )
    kept = int(register["include"].astype(bool).sum())
    rows = [
        ("kept", kept),
        *_reason_counts(register.assign(include=register["include"].astype(bool))).items(),
    ]
    return pd.DataFrame(rows, columns=["reason", "count"])


# --- applying a council's register ----------------------------------------------------------


def _where(register: pd.DataFrame, rid: object) -> str:
    path = register.attrs.get("path", "register")
    row = register["_row"].get(rid) if "_row" in register.columns else None
    return f"{path}, row {row} (id {rid!r})" if row is not None else f"{path}, id {rid!r}"


def _add_register_rows(
    reg: gpd.GeoDataFrame, tags: list[dict], register: pd.DataFrame
) -> tuple[gpd.GeoDataFrame, list[dict]]:
    new_ids = register.index.difference(reg.index, sort=False)
    if not len(new_ids):
        return reg, tags
    new = register.loc[new_ids]
    geometry = new.geometry if isinstance(new, gpd.GeoDataFrame) else gpd.GeoSeries([None] * len(new), index=new.index)  # fmt: skip
    for rid in new_ids:
        g = geometry.get(rid)
        if g is None or g.is_empty:
            raise DataQualityError(
                f"{_where(register, rid)}: a place to add has no location; give lat/lon, "
                "easting/northing or a postcode."
            )
        if not isinstance(new.at[rid, "category"], str) or not new.at[rid, "category"].strip():
            raise DataQualityError(
                f"{_where(register, rid)}: a place to add has no category; give one of the "
                "taxonomy's categories (e.g. library, community_centre, advice)."
            )
    was_osm = new_ids.str.startswith("osm/")
    if was_osm.any():
        warnings.warn(
            f"{int(was_osm.sum())} register row(s) are OpenStreetMap places no longer in the data, "
            f"e.g. {new_ids[was_osm][:3].tolist()}; they are kept as the register gives them.",
            UserWarning,
            stacklevel=3,
        )
    frame = pd.DataFrame(index=new_ids)
    for col in ("name", "category", "subcategory", "opening_hours", "operator", "internet_access", "wheelchair", "postcode"):  # fmt: skip
        frame[col] = _text(new[col]).to_numpy() if col in new else None
    frame["subcategory"] = frame["subcategory"].fillna(frame["category"])
    frame["source"] = (
        _text(new["source"]).fillna("register").to_numpy() if "source" in new else "register"
    )
    frame["asset_capacity"] = np.nan
    frame["asset_tier"] = np.nan
    added = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry.loc[new_ids]).to_crs(BNG).to_numpy(), crs=BNG)  # fmt: skip
    added["_osm"] = False
    added["_added"] = True
    added["_richness"] = 1_000  # a council's row wins a duplicate against OSM
    out = pd.concat([reg, added])
    return gpd.GeoDataFrame(out, geometry="geometry", crs=BNG), [*tags, *({} for _ in new_ids)]


def _override_fields(reg: gpd.GeoDataFrame, register: pd.DataFrame) -> gpd.GeoDataFrame:
    """The register's descriptive fields and moved locations over the assets' values."""
    out = reg.copy()
    common = register.index.intersection(out.index, sort=False)
    for col in ("name", "category", "subcategory", "opening_hours", "operator", "postcode"):
        if col not in register.columns:
            continue
        given = _text(register.loc[common, col])
        given = given[given.notna()]
        out.loc[given.index, col] = given.to_numpy()
    if isinstance(register, gpd.GeoDataFrame) and len(common):
        theirs = register.geometry.loc[common].to_crs(BNG)
        has = theirs.notna() & ~theirs.is_empty
        moved = has & (theirs.distance(out.geometry.loc[common]) > 10.0)
        if moved.any():
            out.loc[moved[moved].index, "geometry"] = theirs[moved].to_numpy()
    return out


def _override_decisions(reg: gpd.GeoDataFrame, register: pd.DataFrame) -> gpd.GeoDataFrame:
    """The register's tier, include and capacity; assets it leaves out are not included."""
    out = reg.copy()
    common = register.index.intersection(out.index, sort=False)
    if "tier" in register.columns:
        tier = pd.to_numeric(register.loc[common, "tier"], errors="coerce").dropna()
        changed = tier[tier.to_numpy() != out.loc[tier.index, "tier"].to_numpy()]
        out.loc[changed.index, "tier_reason"] = (
            "set in the register (was tier "
            + out.loc[changed.index, "tier"].astype(str)
            + ": "
            + out.loc[changed.index, "tier_reason"].astype(str)
            + ")"
        )
        out.loc[tier.index, "tier"] = tier.astype(int).to_numpy()
    if "include" in register.columns:
        include = register.loc[common, "include"].dropna().astype(bool)
        given = (
            _text(register.loc[include.index, "exclusion_reason"])
            if "exclusion_reason" in register.columns
            else pd.Series(None, index=include.index, dtype="object")
        )
        now_out = include.index[~include.to_numpy()]
        out.loc[now_out, "exclusion_reason"] = (
            given.loc[now_out].fillna(EXCLUDED_IN_REGISTER).to_numpy()
        )
        now_in = include.index[include.to_numpy() & ~out.loc[include.index, "include"].to_numpy()]
        out.loc[now_in, "tier_reason"] = "included in the register"
        out.loc[include.index, "include"] = include.to_numpy()
        out.loc[include[include].index, "exclusion_reason"] = ""
    added = out.index[out["_added"].to_numpy()]
    if len(added):
        given = (
            _text(register.loc[added, "tier_reason"])
            if "tier_reason" in register.columns
            else pd.Series(None, index=added, dtype="object")
        )
        out.loc[added, "tier_reason"] = given.fillna("added in the register").to_numpy()
    absent = out.index.difference(register.index, sort=False)
    if len(absent):
        warnings.warn(
            f"{len(absent)} asset(s) are not in the register {register.attrs.get('path', '')} "
            f"(removed by the council, or new in the data), e.g. {absent[:3].tolist()}; they are "
            "kept with include = no. Add them to the register to count them.",
            UserWarning,
            stacklevel=3,
        )
        out.loc[absent, "include"] = False
        out.loc[absent, "exclusion_reason"] = NOT_IN_REGISTER
        out.loc[absent, "tier_reason"] = "context only: " + NOT_IN_REGISTER
        out.loc[absent, "tier"] = 3
    return out

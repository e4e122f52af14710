"""The column dictionary: what every column of every table inclusion-geo writes means.

One place describes each column (its meaning in plain words, its unit, and where it comes
from or how it is made). :func:`column_dictionary` turns the columns a run actually wrote into
the ``columns.csv`` file and the workbook's "columns" sheet; :func:`undocumented` lists any
that have no entry, which a test keeps empty, so a new column must be described here.

Columns named after an indicator, a domain or a category (``score_*``, ``contrib_*``,
``domain_*``, ``dist_<category>_m`` ...) are described by pattern, with the indicator's label,
unit and source from the recipe (or the catalogue).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from .scoring import Recipe

__all__ = [
    "DICTIONARY_COLUMNS",
    "describe",
    "column_dictionary",
    "undocumented",
    "number_format",
]

#: the columns of ``columns.csv`` and of the workbook's "columns" sheet
DICTIONARY_COLUMNS = ["table", "column", "meaning", "unit", "source"]

# units: each maps to a number format in the workbook (see number_format)
COUNT, PEOPLE, METRES, INDEX, PCT, SHARE, RANK, HOURS, SUPPLY, TEXT, YESNO, CODE = (
    "count", "people", "metres", "index, 0 to 10", "% (0 to 100)", "share (0 to 1)",
    "rank (1 = first)", "hours a week", "hours a week per 1,000 residents at risk", "text",
    "yes/no", "code",
)  # fmt: skip
ESTIMATE = "adults (modelled estimate)"

_RECIPE = "risk index recipe (docs/methodology.md, section 2)"
_PRIORITY = "inclusion_geo.priorities (docs/methodology.md, section 5)"
_ACCESS = "asset register and population-weighted centroids (inclusion_geo.assets)"
_HOT = "Getis-Ord Gi* with FDR control (inclusion_geo.hotspots)"
_HEADS = (
    "national rates by age (ONS Internet users; Lloyds Essential Digital Skills) applied to "
    "the area's Census 2021 adults (inclusion_geo.headcounts)"
)
_REG = "asset register (inclusion_geo.register; register.xlsx)"
_NATIONAL = "this run's areas scored together (inclusion_geo.national)"
_SITING = "inclusion_geo.siting (docs/methodology.md, site planning and scenarios)"

Entry = tuple[str, str, str]  # meaning, unit, source/method

# fmt: off
# columns that mean the same thing wherever they appear
_EXACT: dict[str, Entry] = {
    # identity
    "area_code": ("GSS code of the small area (LSOA)", CODE, "boundary file"),
    "area_name": ("Name of the small area", TEXT, "boundary file"),
    "ward": ("Name of the ward the area lies in", TEXT, "ward file (best fit by centroid)"),
    "ward_code": ("GSS code of the ward", CODE, "ward file (best fit by population-weighted centroid)"),
    "lad_code": ("GSS code of the local authority", CODE, "area lookup"),
    "lad_name": ("Name of the local authority", TEXT, "area lookup"),
    "data_label": ("Label of the data: 'synthetic demo data' means not real places", TEXT, "inclusion_geo"),
    "population": ("Usual residents", PEOPLE, "Census 2021 TS001 (or the demo)"),
    # priority
    "priority_rank": ("Order to act in: by band, then risk index, then population", RANK, _PRIORITY),
    "priority_band": ("Priority band from need alone: 1 very high, 2 high (bands 1-2 are the priority areas), 3 medium (advisory), 4 low", "band (1 to 4)", _PRIORITY),
    "priority_label": ("Band, need and action in words, e.g. '1 - very high need: gap'", TEXT, _PRIORITY),
    "need_level": ("Need from the risk decile and hotspot class: very high (decile 1, or decile 2 in a 95%+ hot spot), high (decile 2, or decile 3 in a 95%+ hot spot), medium (deciles 3-5 or any hot spot), low", TEXT, _PRIORITY),
    "action": ("What kind of work fits the area: opportunity (support or a venue within reach), gap (nothing within reach), stretched (support within reach, little capacity), unknown (access not measured), none (band 4)", TEXT, _PRIORITY),
    "what_to_do": ("The action in plain words", TEXT, _PRIORITY),
    "work_through": ("Up to three places within the long catchment to work through, with kind, distance and weekly hours", TEXT, _ACCESS),
    "residents_at_risk": ("Residents of the area if it is a priority area (very high or high need), else 0", PEOPLE, _PRIORITY),
    "reason": ("One line saying why the area has its band and action", TEXT, _PRIORITY),
    "top_barriers": ("Up to three indicators on which the area is among the 25% most at risk of the study area, worst first, with value and percentile", TEXT, _RECIPE),
    # risk index
    "risk_index": ("Digital exclusion risk index: weighted mean of the domain scores; higher is more at risk. Relative to the study area, not a count of people offline", INDEX, _RECIPE),
    "risk_rank": ("Rank of the risk index within the study area (1 = most at risk)", RANK, _RECIPE),
    "risk_decile": ("Decile of the risk index within the study area (1 = the 10% most at risk)", "decile (1 to 10)", _RECIPE),
    "hotspot_class": ("Whether the area sits in a statistically significant cluster of high (hot spot) or low (cold spot) risk, with confidence", TEXT, _HOT),
    "cluster_class": ("Local Moran cluster type (High-High, Low-Low, High-Low, Low-High) where significant after FDR control", TEXT, "local Moran's I (inclusion_geo.hotspots)"),
    "leading_focus": ("The Digital Inclusion Action Plan focus area that contributes most to the area's index", TEXT, "inclusion_geo.barriers"),
    "help_for_leading_focus": ("The nearest place that helps with the leading focus area and its distance, or that none is within reach", TEXT, _ACCESS),
    # access
    "access_level": ("Distance to the nearest digital support: good (within the short catchment), fair (within the long one), poor (beyond), unknown (not measured). Descriptive: never changes a band", TEXT, _ACCESS),
    "dist_digital_support_m": ("Distance to the nearest place that offers digital support (tier 1); empty where not measured", METRES, _ACCESS),
    "dist_support_or_venue_m": ("Distance to the nearest place that offers digital support or could host it (tier 1 or 2)", METRES, _ACCESS),
    "dist_support_category_m": ("Distance to the nearest place of any category that has a support place or venue somewhere in the register (any tier, so context-only places of those categories count too)", METRES, _ACCESS),
    "nearest_support": ("The nearest place of digital support (tier 1) and its distance, however far", TEXT, _ACCESS),
    "e2sfca_hours_per_1000_at_risk": ("Hours of digital help a week within reach per 1,000 residents at risk (capacity-aware enhanced two-step floating catchment; a modelled estimate)", SUPPLY, "inclusion_geo.assets.support_hours"),
    "e2sfca_share_hours_assumed": ("Share of those hours that come from places whose hours or capacity were assumed, not known", SHARE, "inclusion_geo.assets.support_hours"),
    # headcounts
    "offline_adults": ("Adults likely offline (no internet use in the last three months): a modelled estimate, not a count", ESTIMATE, _HEADS),
    "offline_adults_low": ("Low end of the range of adults likely offline", ESTIMATE, _HEADS),
    "offline_adults_high": ("High end of the range of adults likely offline", ESTIMATE, _HEADS),
    "no_basic_skills_adults": ("Adults likely lacking the Essential Digital Skills for life: a modelled estimate, not a count", ESTIMATE, _HEADS),
    "no_basic_skills_adults_low": ("Low end of the range of adults lacking basic digital skills", ESTIMATE, _HEADS),
    "no_basic_skills_adults_high": ("High end of the range of adults lacking basic digital skills", ESTIMATE, _HEADS),
    # national columns
    "national_risk_index": ("Risk index scored against every area of this run (not only the authority's)", INDEX, _NATIONAL),
    "national_rank": ("Rank of the national risk index across the run (1 = most at risk)", RANK, _NATIONAL),
    "national_decile": ("Decile of the national risk index across the run (1 = the 10% most at risk)", "decile (1 to 10)", _NATIONAL),
    "national_percentile": ("Position from the top across the run (0 = most at risk, 100 = least)", "percentile", _NATIONAL),
    "national_hotspot_class": ("Hotspot class of the national risk index (clusters may cross authority borders)", TEXT, _HOT),
    # register / assets sheet
    "id": ("Identifier of the place (osm/<type>/<id> for OpenStreetMap, council/... for a council's own rows)", CODE, _REG),
    "name": ("Name", TEXT, "source file"),
    "tier": ("1 offers digital support, 2 a venue that could host it, 3 context only", "tier (1 to 3)", _REG),
    "tier_reason": ("Why the place has its tier", TEXT, _REG),
    "include": ("Whether the place is used in the run", YESNO, _REG),
    "exclusion_reason": ("Why a place is left out (empty if included)", TEXT, _REG),
    "category": ("Kind of place (library, community_centre, advice ...)", TEXT, "OpenStreetMap tags or the council's list"),
    "subcategory": ("Finer kind of place, from the source tags", TEXT, "OpenStreetMap tags or the council's list"),
    "opening_hours": ("Opening hours in OpenStreetMap syntax", TEXT, "OpenStreetMap opening_hours or the council's list"),
    "hours_per_week": ("Hours open a week, read from opening_hours (empty if unknown)", HOURS, "inclusion_geo.hours"),
    "open_evenings": ("Open at some time after 18:00 on some day", YESNO, "inclusion_geo.hours"),
    "open_weekends": ("Open on Saturday or Sunday", YESNO, "inclusion_geo.hours"),
    "capacity": ("People who can be helped at once (assumed where the source gives none: see capacity_source)", PEOPLE, _REG),
    "capacity_source": ("Where capacity comes from: the register, the asset list, or the assumed default for its tier", TEXT, _REG),
    "source": ("File or layer the place was read from", TEXT, "source file"),
    "last_checked": ("Date the place was last checked", "date (YYYY-MM-DD)", "source file"),
    "operator": ("Who runs the place", TEXT, "OpenStreetMap operator or the council's list"),
    "postcode": ("Postcode of the place", TEXT, "source file"),
    "lat": ("Latitude (WGS84)", "degrees", "source location"),
    "lon": ("Longitude (WGS84)", "degrees", "source location"),
    "easting": ("Easting (British National Grid, EPSG:27700)", METRES, "source location"),
    "northing": ("Northing (British National Grid, EPSG:27700)", METRES, "source location"),
    "helps_with": ("Focus areas the place helps with (; separated)", TEXT, _REG),
    "display_name": ("Name shown on the map (with its kind where the name alone is unclear)", TEXT, _REG),
    "internet_access": ("Internet access offered (OpenStreetMap internet_access)", TEXT, "OpenStreetMap"),
    "wheelchair": ("Wheelchair access (OpenStreetMap wheelchair)", TEXT, "OpenStreetMap"),
}

# columns whose meaning depends on the table (ward and authority roll-ups)
_ROLLUP = "aggregate.rollup: areas to wards, population-weighted"
_LA = "aggregate.rollup: areas to local authorities, population-weighted (national.la_summaries)"
_LA_EXTRA = "national.la_summaries (after the IoD local authority summaries)"
_BY_TABLE: dict[tuple[str, str], Entry] = {
    ("wards", "ward"): ("Name of the ward", TEXT, "ward file"),
    ("wards", "n_areas"): ("Small areas in the ward", COUNT, _ROLLUP),
    ("wards", "population"): ("Usual residents of the ward's areas", PEOPLE, _ROLLUP),
    ("wards", "risk_index"): ("Population-weighted mean risk index of the ward's areas (can hide a top-decile area: see hides_extremes)", INDEX, _ROLLUP),
    ("wards", "pct_pop_top_decile"): ("Share of residents living in areas in the top risk decile", PCT, _ROLLUP),
    ("wards", "n_top_decile_areas"): ("Areas in the top risk decile", COUNT, _ROLLUP),
    ("wards", "n_hotspot_areas"): ("Areas in a significant hot spot of risk", COUNT, _ROLLUP),
    ("wards", "n_priority_areas"): ("Priority areas (bands 1-2)", COUNT, _ROLLUP),
    ("wards", "max_risk_index"): ("Highest risk index of the ward's areas", INDEX, _ROLLUP),
    ("wards", "rank"): ("Rank of the ward by mean risk index (1 = most at risk)", RANK, _ROLLUP),
    ("wards", "hides_extremes"): ("The ward's average is outside the top two deciles of wards but it contains a top-decile area", YESNO, _ROLLUP),
    ("local_authorities", "name"): ("Name of the local authority", TEXT, "area lookup"),
    ("local_authorities", "n_areas"): ("Small areas scored", COUNT, _LA),
    ("local_authorities", "population"): ("Usual residents of the areas", PEOPLE, _LA),
    ("local_authorities", "national_risk_index"): ("Population-weighted mean national risk index of the authority's areas (can hide a top-decile area: see hides_extremes)", INDEX, _LA),
    ("local_authorities", "pct_pop_top_decile"): ("Share of residents in areas in the run's top decile", PCT, _LA),
    ("local_authorities", "n_top_decile_areas"): ("Areas in the run's top decile", COUNT, _LA),
    ("local_authorities", "n_hotspot_areas"): ("Areas in a significant national hot spot of risk", COUNT, _LA),
    ("local_authorities", "n_priority_areas"): ("Priority areas (bands 1-2, scored within the authority)", COUNT, _LA),
    ("local_authorities", "max_national_risk_index"): ("Highest national risk index of the authority's areas", INDEX, _LA),
    ("local_authorities", "rank"): ("Rank of the authority by mean national risk index (1 = most at risk)", RANK, _LA),
    ("local_authorities", "hides_extremes"): ("The authority's average is outside the top two deciles of authorities but it contains a top-decile area", YESNO, _LA),
    ("local_authorities", "pct_areas_top_decile"): ("Share of the authority's areas in the run's top decile", PCT, _LA_EXTRA),
    ("local_authorities", "extent"): ("IoD extent: share of residents in the run's most at-risk 30% of areas, weighted 1 in the top 10% sliding to 0.05 at the 30th percentile", SHARE, _LA_EXTRA),
    ("local_authorities", "extent_rank"): ("Rank by extent (1 = most at risk)", RANK, _LA_EXTRA),
    ("local_authorities", "pct_areas_access_measured"): ("Share of areas whose access to support was measured (the asset list covers them)", PCT, _LA_EXTRA),
    # site plan, closure scenario and pop-up rota (inclusion_geo.siting; [plan], [scenario])
    ("site_plan", "order"): ("Order in which a greedy pass over the chosen sites adds them (most gain first)", RANK, _SITING),
    ("site_plan", "site"): ("Id of the chosen place in the asset register", CODE, _REG),
    ("site_plan", "name"): ("Name of the chosen place", TEXT, _REG),
    ("site_plan", "demand_covered"): ("Demand (e.g. adults likely offline) within the long catchment of this site", ESTIMATE, _SITING),
    ("site_plan", "marginal_gain"): ("Demand this site adds to what existing support and the sites before it already cover", ESTIMATE, _SITING),
    ("site_plan", "cumulative_covered"): ("Demand covered by existing support and the sites up to this one", ESTIMATE, _SITING),
    ("site_plan", "areas_served"): ("Small areas within the site's catchment", COUNT, _SITING),
    ("site_plan", "wards_served"): ("Codes of the wards those areas lie in", TEXT, _SITING),
    ("site_plan", "ward_names_served"): ("Names of the wards those areas lie in", TEXT, _SITING),
    ("closure", "ward"): ("Name of the ward", TEXT, "ward file"),
    ("site_plan", "capacity"): ("People the site can help in a year (capacity x weekly hours x 52 / hours each person needs)", PEOPLE, _SITING),
    ("site_plan", "cost"): ("Cost of the site as given", "as given", "the caller"),
    ("closure", "ward_code"): ("GSS code of the ward", CODE, "ward file"),
    ("closure", "residents"): ("Usual residents of the ward", PEOPLE, "Census 2021"),
    ("closure", "residents_in_reach_before"): ("Residents within the long catchment of digital support (tier 1) today", PEOPLE, _SITING),
    ("closure", "residents_in_reach_after"): ("The same, with the places closed", PEOPLE, _SITING),
    ("closure", "residents_newly_out_of_reach"): ("Residents who would lose digital support within reach", PEOPLE, _SITING),
    ("closure", "demand"): ("Adults likely offline in the ward", ESTIMATE, _HEADS),
    ("closure", "demand_in_reach_before"): ("Adults likely offline within reach of digital support today", ESTIMATE, _SITING),
    ("closure", "demand_in_reach_after"): ("The same, with the places closed", ESTIMATE, _SITING),
    ("closure", "demand_newly_out_of_reach"): ("Adults likely offline who would lose digital support within reach", ESTIMATE, _SITING),
    ("closure", "support_hours_before"): ("Weekly person-hours of digital help shared out to the ward's residents at risk today", HOURS, _SITING),
    ("closure", "support_hours_after"): ("The same, with the places closed or their hours cut", HOURS, _SITING),
    ("closure", "support_hours_change"): ("After minus before", HOURS, _SITING),
    ("popup_rota", "order"): ("Order in which a greedy pass over the chosen sessions adds them", RANK, _SITING),
    ("popup_rota", "site"): ("Id of the venue in the asset register", CODE, _REG),
    ("popup_rota", "name"): ("Name of the venue", TEXT, _REG),
    ("popup_rota", "day"): ("Day of the week of the session (Mo to Su)", TEXT, _SITING),
    ("popup_rota", "demand_in_reach"): ("Demand within the session's catchment", ESTIMATE, _SITING),
    ("popup_rota", "marginal_value"): ("What the session adds: an area reached on a further day counts half as much again each time", ESTIMATE, _SITING),
}
# fmt: on

_RADIUS = r"(?P<r>\d+(?:\.\d+)?)m"


def _indicator(name: str, recipe: Recipe | None):
    """The indicator spec of ``name`` (the recipe's own first, then the catalogue), or None."""
    from .indicators import CATALOGUE

    if recipe is not None:
        try:
            return recipe.spec(name)
        except KeyError:
            pass
    return CATALOGUE.get(name)


def _focus_words(focus: str) -> str | None:
    from .barriers import FOCUS

    return FOCUS.get(focus)


def _category(cat: str) -> str:
    return cat.replace("_", " ")


def _patterns(table: str, recipe: Recipe | None) -> list[tuple[str, Callable]]:
    rollup = " (population-weighted mean of the ward's areas)" if table == "wards" else ""

    def ind(prefix_words: str, unit: str | None, method: str):
        def make(m: re.Match) -> Entry | None:
            spec = _indicator(m["ind"], recipe)
            if spec is None:
                return None
            return (
                prefix_words.format(label=spec.label) + rollup,
                spec.unit if unit is None else unit,
                f"{spec.source}; {method}" if method else spec.source,
            )

        return make

    def focus(words: str, unit: str, source: str):
        def make(m: re.Match) -> Entry | None:
            label = _focus_words(m["f"])
            return None if label is None else (words.format(label=label), unit, source)

        return make

    def reach(kind: str):
        return lambda m: (
            f"{kind} within {m['r']} m of the area's population-weighted centroid",
            COUNT,
            _ACCESS,
        )

    # fmt: off
    return [
        (r"score_(?P<ind>.+)", ind("Score of {label}, 0 to 10 (10 = most at risk in the study area)", INDEX, "normalised and oriented by the recipe")),
        (r"contrib_(?P<ind>.+)", ind("Points of the risk index from {label} (the contributions add up to risk_index)", "index points", "recipe weights")),
        (r"domain_(?P<d>.+)", lambda m: (f"Domain score: {m['d'].replace('_', ' ')}, 0 to 10 (weighted mean of its indicators' scores){rollup}", INDEX, _RECIPE)),
        (r"focus_(?P<f>.+)", focus("Points of the risk index from the focus area '{label}'", "index points", "inclusion_geo.barriers")),
        (r"dist_focus_(?P<f>.+)_m", focus("Distance to the nearest support place or venue that helps with '{label}'", METRES, _ACCESS)),
        (r"nearest_focus_(?P<f>.+)", focus("Nearest support place or venue that helps with '{label}'", TEXT, _ACCESS)),
        (r"e2sfca_focus_(?P<f>.+)", focus("Hours of help with '{label}' a week per 1,000 residents at risk (capacity-aware E2SFCA, a modelled estimate)", SUPPLY, "inclusion_geo.assets.access_by_focus")),
        (rf"n_digital_support_{_RADIUS}", reach("Places offering digital support (tier 1)")),
        (rf"n_support_or_venue_{_RADIUS}", reach("Places offering digital support or able to host it (tier 1 or 2)")),
        (rf"n_support_category_{_RADIUS}", reach("Places of any category that has a support place or venue in the register (any tier)")),
        (rf"n_(?P<c>.+)_{_RADIUS}", lambda m: (f"Places of the category '{_category(m['c'])}' (any tier) within {m['r']} m of the area's population-weighted centroid", COUNT, _ACCESS)),
        (r"dist_(?P<c>.+)_m", lambda m: (f"Distance to the nearest place of the category '{_category(m['c'])}' (any tier)", METRES, _ACCESS)),
        (r"(?P<ind>.+)", ind("{label}", None, "")),  # an indicator's own value
    ]
    # fmt: on


def describe(column: str, *, table: str = "", recipe: Recipe | None = None) -> Entry | None:
    """``(meaning, unit, source)`` of ``column`` in ``table``, or None if it has no entry.

    Examples
    --------
    >>> describe("dist_library_m")[0]
    "Distance to the nearest place of the category 'library' (any tier)"
    >>> describe("no_such_column") is None
    True
    """
    if (table, column) in _BY_TABLE:
        return _BY_TABLE[(table, column)]
    if column in _EXACT:
        return _EXACT[column]
    for pattern, make in _patterns(table, recipe):
        match = re.fullmatch(pattern, column)
        if match:
            entry = make(match)
            if entry is not None:
                return entry
    return None


def column_dictionary(
    tables: Mapping[str, Iterable[str]], *, recipe: Recipe | None = None
) -> pd.DataFrame:
    """One row per column of each table: ``table``, ``column``, ``meaning``, ``unit``,
    ``source``. A column with no entry reads "not described" (a test keeps there being none).

    Examples
    --------
    >>> column_dictionary({"wards": ["ward", "population"]})["meaning"].tolist()
    ['Name of the ward', "Usual residents of the ward's areas"]
    """
    rows = []
    for table, columns in tables.items():
        for column in columns:
            meaning, unit, source = describe(str(column), table=table, recipe=recipe) or (
                "not described",
                "",
                "",
            )
            rows.append((table, str(column), meaning, unit, source))
    return pd.DataFrame(rows, columns=DICTIONARY_COLUMNS)


def undocumented(
    tables: Mapping[str, Iterable[str]], *, recipe: Recipe | None = None
) -> list[tuple[str, str]]:
    """``(table, column)`` pairs that have no entry in the dictionary."""
    return [
        (table, str(c))
        for table, columns in tables.items()
        for c in columns
        if describe(str(c), table=table, recipe=recipe) is None
    ]


_FORMATS = {
    COUNT: "#,##0",
    PEOPLE: "#,##0",
    ESTIMATE: "#,##0",
    METRES: "#,##0",
    INDEX: "0.000",
    "index points": "0.000",
    PCT: '0.0"%"',
    "%": '0.0"%"',
    SHARE: "0.0%",
    RANK: "#,##0",
    "band (1 to 4)": "0",
    "decile (1 to 10)": "0",
    "tier (1 to 3)": "0",
    "percentile": "0.0",
    HOURS: "0.0",
    SUPPLY: "#,##0.0",
    "score": "0.00",
    "rate": "0.000",
    "Mbit/s": "0.0",
    "degrees": "0.000000",
}


def number_format(unit: str, column: str = "") -> str | None:
    """The workbook number format for a unit (None: leave the cell's general format).
    Easting and northing keep one decimal (a tenth of a metre)."""
    if column in ("easting", "northing"):
        return "0.0"
    return _FORMATS.get(unit)

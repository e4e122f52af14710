"""The bundled synthetic demo borough.

``load_demo_borough`` generates, deterministically from a seed, a fictional English local authority
("Demoborough") so that the whole stage-two journey runs with no download. It behaves like a real
borough: small areas of about 1,500 residents tile it without gaps or overlaps (Voronoi cells of a
population-density-weighted point pattern, clipped to an irregular outline, in EPSG:27700), grouped
into about 20 wards. Its counts have the structure analysts see in real places:

* a **deprived inner core**: low qualifications, more social renting, more households deprived in
  several dimensions, and a sector where more residents do not speak English well;
* **affluent suburbs**, with one or two deprived estates in them;
* an **older, rural fringe** with poor broadband (few superfast or gigabit premises, slow speeds).

Codes start with ``X`` (``X01000123`` for small areas, ``X05000007`` for wards), which no real GSS
code does. Everything generated here is labelled "synthetic demo data".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point, Polygon

__all__ = [
    "DemoBorough",
    "load_demo_borough",
    "DEMO_LABEL",
    "DEMO_LA_CODE",
    "DEMO_LA_NAME",
    "DEMO_CLOSURE",
]

DEMO_LABEL = "synthetic demo data"
DEMO_LA_CODE = "X08000001"
DEMO_LA_NAME = "Demoborough"
#: the place the demo run closes, to show what a closure would cost
DEMO_CLOSURE = "Northgate Library"
_CENTRE = (445_000.0, 292_000.0)  # somewhere in the English midlands, in British National Grid
_RADIUS_M = 9_000.0

_WARD_NAMES = [
    "Ashby Vale", "Brookfield", "Castle Green", "Dunmere", "Elmstead", "Fallowfield Moor",
    "Greystone", "Hollins Park", "Ironbridge Row", "Juniper Hill", "Kettlewell", "Larkrise",
    "Millbank", "Netherby", "Oakhurst", "Pennyford", "Queensway", "Riverside", "Saltmarsh",
    "Thornley", "Upperton", "Westgate", "Yewdale", "Zennor Fields",
]  # fmt: skip

# The columns of DemoBorough.counts, in the words of the Census 2021 / Ofcom / IoD tables they mimic.
COUNT_COLUMNS = {
    "residents": "Usual residents (TS001)",
    "age_base": "Usual residents, base of the age table (TS007A)",
    "disability_base": "Usual residents, base of the disability table (TS038)",
    "health_base": "Usual residents, base of the general health table (TS037)",
    "hh_deprivation_base": "Households, base of the household deprivation table (TS011)",
    "tenure_base": "Households, base of the tenure table (TS054)",
    "hh_composition_base": "Households, base of the household composition table (TS003)",
    "aged_65_plus": "Residents aged 65 and over (TS007A)",
    "aged_75_plus": "Residents aged 75 and over (TS007A)",
    "disabled": "Disabled under the Equality Act (TS038)",
    "bad_health": "Bad or very bad general health (TS037)",
    "residents_16_plus": "Residents aged 16 and over (TS067 base)",
    "no_qualifications": "No qualifications (TS067)",
    "residents_3_plus": "Residents aged 3 and over (TS029 base)",
    "poor_english": "Cannot speak English well or at all (TS029)",
    "households": "Households (TS041)",
    "hh_deprived_3_plus": "Households deprived in 3 or 4 dimensions (TS011)",
    "social_rented": "Social rented households (TS054)",
    "one_person_66_plus": "One-person households aged 66 and over (TS003)",
    "premises": "All premises (Ofcom Connected Nations)",
    "premises_below_30mbit": "Premises unable to receive 30 Mbit/s (Ofcom)",
    "premises_below_10mbit": "Premises unable to receive 10 Mbit/s (Ofcom)",
    "premises_gigabit": "Premises with gigabit availability (Ofcom)",
    "median_download_mbit": "Median download speed, Mbit/s (Ofcom)",
    "imd_score": "Index of Multiple Deprivation score (IoD)",
    "income_score": "IoD income domain score (rate)",
    "employment_score": "IoD employment domain score (rate)",
    "education_score": "IoD education, skills and training domain score",
    "health_score": "IoD health deprivation and disability domain score",
}

ASSET_CATEGORIES = {
    # category: (how many, how they are placed)
    "library": (8, "population"),
    "community_centre": (16, "deprivation"),
    "place_of_worship": (18, "population"),
    "health": (12, "population"),
    "cafe_wifi": (14, "urban"),
    "advice": (7, "deprivation"),
    "job_centre": (3, "deprivation"),
}


@dataclass(frozen=True)
class DemoBorough:
    """The synthetic demo borough: its areas, wards, counts and community assets.

    Attributes
    ----------
    areas : GeoDataFrame
        One row per small area, indexed by ``demo_area`` code: ``name``, ``ward_code``,
        ``ward_name``, ``population`` and the polygon (EPSG:27700).
    wards : GeoDataFrame
        One row per ward, indexed by ``demo_ward`` code: ``name`` and the polygon.
    centroids : GeoSeries
        Population-weighted centroid of each small area (EPSG:27700).
    counts : DataFrame
        Indicator counts per small area (see ``COUNT_COLUMNS``), plus IoD-like scores.
    assets : GeoDataFrame
        Community assets in the common asset schema (``id``, ``name``, ``category``,
        ``subcategory``, ``source``, ``opening_hours``, ``internet_access``, ``wheelchair``,
        ``operator``, ``capacity``, ``tags`` (OpenStreetMap-style, so the asset register's
        hygiene applies), point geometry). Three places are there for the hygiene to leave
        out: a university library, a private venue and a library mapped twice.
    """

    areas: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame
    centroids: gpd.GeoSeries
    counts: pd.DataFrame
    assets: gpd.GeoDataFrame
    seed: int
    la_code: str = DEMO_LA_CODE
    la_name: str = DEMO_LA_NAME
    label: str = DEMO_LABEL
    sources: dict[str, str] = field(
        default_factory=lambda: {
            "all inputs": f"{DEMO_LABEL}, generated by inclusion_geo.datasets (not real places)"
        }
    )


def load_demo_borough(seed: int = 0, *, n_areas: int = 320, n_wards: int = 20) -> DemoBorough:
    """Generate the synthetic demo borough.

    Parameters
    ----------
    seed
        Random seed; the same seed always gives identical frames.
    n_areas
        Number of small areas (250 to 400 keeps it like a real borough).
    n_wards
        Number of wards (at most 24).

    Returns
    -------
    DemoBorough

    Example
    -------
    >>> demo = load_demo_borough()
    >>> len(demo.areas), demo.areas.index.name, demo.areas.crs.to_epsg()
    (320, 'demo_area', 27700)
    """
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, got {seed!r}.")
    if not 50 <= n_areas <= 2000:
        raise ValueError(f"n_areas must be between 50 and 2000, got {n_areas}.")
    if not 2 <= n_wards <= len(_WARD_NAMES) or n_wards * 5 > n_areas:
        raise ValueError(
            f"n_wards must be between 2 and {len(_WARD_NAMES)} and at most n_areas / 5, "
            f"got {n_wards}."
        )
    rng = np.random.default_rng(seed)
    outline = _outline(rng)
    seeds = _area_seeds(rng, outline, n_areas)
    cells = _tessellate(seeds, outline)
    ward_of = _group_into_wards(seeds, n_wards, seed)

    areas, wards = _name_areas_and_wards(cells, ward_of, n_wards)
    centroids = _population_weighted_centroids(rng, areas)
    geography = _geography_factors(rng, centroids, outline)
    counts = _counts(rng, geography)
    areas["population"] = counts["residents"]
    assets = _assets(rng, areas, geography)
    return DemoBorough(
        areas=areas, wards=wards, centroids=centroids, counts=counts, assets=assets, seed=seed
    )


# --- geometry -------------------------------------------------------------------------------


def _outline(rng: np.random.Generator) -> Polygon:
    theta = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    phase = rng.uniform(0, 2 * np.pi, 4)
    radius = _RADIUS_M * (
        1
        + 0.16 * np.sin(2 * theta + phase[0])
        + 0.08 * np.sin(3 * theta + phase[1])
        + 0.04 * np.sin(7 * theta + phase[2])
        + 0.02 * np.sin(13 * theta + phase[3])
    )
    xs = _CENTRE[0] + radius * np.cos(theta)
    ys = _CENTRE[1] + radius * np.sin(theta)
    return Polygon(np.round(np.column_stack([xs, ys]), 1))


def _area_seeds(rng: np.random.Generator, outline: Polygon, n: int) -> np.ndarray:
    """Points denser in the core (urban areas are small, rural ones large), relaxed twice."""
    minx, miny, maxx, maxy = outline.bounds
    points: list[tuple[float, float]] = []
    while len(points) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        r = np.hypot(x - _CENTRE[0], y - _CENTRE[1]) / _RADIUS_M
        keep = np.exp(-1.6 * r)  # density falls with distance from the centre
        if rng.uniform() < keep and outline.contains(Point(x, y)):
            points.append((x, y))
    seeds = np.array(points)
    for _ in range(2):  # Lloyd relaxation: rounder cells, as real LSOAs are
        cells = _tessellate(seeds, outline)
        seeds = shapely.get_coordinates(shapely.centroid(cells))
    return seeds


def _tessellate(seeds: np.ndarray, outline: Polygon) -> np.ndarray:
    """Voronoi cells of ``seeds`` clipped to ``outline``, in the order of ``seeds``."""
    regions = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=outline.buffer(5_000))
    regions = np.asarray(shapely.get_parts(regions))
    # voronoi_polygons does not keep input order: match each seed to the cell containing it
    tree = shapely.STRtree(regions)
    seed_idx, cell_idx = tree.query(shapely.points(seeds), predicate="within")
    order = np.empty(len(seeds), dtype=int)
    order[seed_idx] = cell_idx
    cells = shapely.intersection(regions[order], outline)
    # coordinates on a 0.1 m grid, without keeping a fixed precision model on the geometries:
    # a copy sent to another process (pickled as WKB) loses it, and GEOS results such as
    # representative points would then differ from the original's
    snapped = shapely.set_precision(cells, 0.1)
    return np.asarray(shapely.set_precision(snapped, 0.0))


def _kmeans(points: np.ndarray, k: int, seed: int, *, starts: int = 4, rounds: int = 100):
    """Cluster labels of ``points``: k-means (k-means++ starts, Lloyd's rounds), the best of
    ``starts`` by within-cluster sum of squares. A few lines of numpy instead of importing
    scikit-learn's (1.3 s of the demo's start-up) for 320 points."""
    rng = np.random.default_rng(seed)
    best, best_cost = None, np.inf
    for _ in range(starts):
        centres = points[[rng.integers(len(points))]]
        while len(centres) < k:  # k-means++: far points are likelier next centres
            d2 = ((points[:, None, :] - centres[None]) ** 2).sum(-1).min(axis=1)
            centres = np.vstack([centres, points[rng.choice(len(points), p=d2 / d2.sum())]])
        for _ in range(rounds):
            labels = ((points[:, None, :] - centres[None]) ** 2).sum(-1).argmin(axis=1)
            moved = np.array([
                points[labels == j].mean(axis=0) if (labels == j).any() else centres[j]
                for j in range(k)
            ])  # fmt: skip
            if np.allclose(moved, centres):
                break
            centres = moved
        cost = ((points - centres[labels]) ** 2).sum()
        if cost < best_cost:
            best, best_cost = labels, cost
    return best


def _group_into_wards(seeds: np.ndarray, n_wards: int, seed: int) -> np.ndarray:
    labels = _kmeans(seeds, n_wards, seed)
    # number wards west to east, north to south, like a printed ward list
    centres = np.array([seeds[labels == k].mean(axis=0) for k in range(n_wards)])
    order = np.lexsort((centres[:, 0], -np.round(centres[:, 1], -3)))
    rank = np.empty(n_wards, dtype=int)
    rank[order] = np.arange(n_wards)
    return rank[labels]


def _name_areas_and_wards(
    cells: np.ndarray, ward_of: np.ndarray, n_wards: int
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    ward_codes = [f"X05{k + 1:06d}" for k in range(n_wards)]
    ward_names = _WARD_NAMES[:n_wards]
    centroid_xy = shapely.get_coordinates(shapely.centroid(cells))
    # areas ordered by ward then north to south, named like LSOAs: "<LA> <MSOA no.><letter>"
    order = np.lexsort((-centroid_xy[:, 1], ward_of))
    codes, names, wcodes, wnames = [], [], [], []
    letters: dict[int, int] = {}
    for i, idx in enumerate(order):
        ward = int(ward_of[idx])
        n = letters.get(ward, 0)
        letters[ward] = n + 1
        codes.append(f"X01{i + 1:06d}")
        names.append(f"{DEMO_LA_NAME} {ward + 1:03d}{_letters(n)}")
        wcodes.append(ward_codes[ward])
        wnames.append(ward_names[ward])
    areas = gpd.GeoDataFrame(
        {"name": names, "ward_code": wcodes, "ward_name": wnames},
        geometry=list(cells[order]),
        index=pd.Index(codes, name="demo_area"),
        crs="EPSG:27700",
    )
    ward_geoms = areas.geometry.groupby(areas["ward_code"]).agg(shapely.union_all)
    wards = gpd.GeoDataFrame(
        {"name": ward_names},
        geometry=list(ward_geoms.loc[ward_codes]),
        index=pd.Index(ward_codes, name="demo_ward"),
        crs="EPSG:27700",
    )
    return areas, wards


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _population_weighted_centroids(
    rng: np.random.Generator, areas: gpd.GeoDataFrame
) -> gpd.GeoSeries:
    """A point inside each area, pulled from the centroid towards the borough centre.

    Real population-weighted centroids sit where the houses are, not at the polygon's centroid;
    here people cluster towards the town, so the point is pulled that way and kept inside.
    """
    points = []
    for geom in areas.geometry:
        c = geom.centroid
        pull = rng.uniform(0.05, 0.3)
        candidate = Point(c.x + (_CENTRE[0] - c.x) * pull, c.y + (_CENTRE[1] - c.y) * pull)
        points.append(candidate if geom.contains(candidate) else geom.representative_point())
    return gpd.GeoSeries(points, index=areas.index, crs=areas.crs, name="pwc")


def _geography_factors(
    rng: np.random.Generator, centroids: gpd.GeoSeries, outline: Polygon
) -> pd.DataFrame:
    """Latent factors in [0, 1] that drive every count: deprivation, age, rurality, language."""
    x = centroids.x.to_numpy() - _CENTRE[0]
    y = centroids.y.to_numpy() - _CENTRE[1]
    n = len(x)
    boundary_dist = shapely.distance(shapely.points(centroids.x, centroids.y), outline.exterior)
    r = 1 - np.clip(boundary_dist / (0.8 * _RADIUS_M), 0, 1)  # 0 at the heart, 1 at the edge
    core = np.clip(1 - r / 0.45, 0, 1)
    fringe = np.clip((r - 0.6) / 0.3, 0, 1)
    # one or two deprived estates in the suburbs
    estates = np.zeros(n)
    for _ in range(2):
        angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(0.35, 0.55) * _RADIUS_M
        ex, ey = dist * np.cos(angle), dist * np.sin(angle)
        estates += np.exp(-((x - ex) ** 2 + (y - ey) ** 2) / (2 * 900.0**2))
    noise = _smooth_noise(rng, x, y)
    deprivation = np.clip(0.15 + 0.65 * core + 0.55 * estates + 0.12 * fringe + noise[0], 0, 1)
    age = np.clip(0.3 - 0.2 * core + 0.6 * fringe + noise[1], 0, 1)
    # language barriers concentrate in one sector of the core, as in real towns
    sector = np.cos(np.arctan2(y, x) - rng.uniform(0, 2 * np.pi))
    language = np.clip(core * (0.35 + 0.65 * np.clip(sector, 0, 1)) + 0.5 * noise[2], 0, 1)
    return pd.DataFrame(
        {
            "deprivation": deprivation,
            "age": age,
            "rural": fringe,
            "language": language,
            "urban": 1 - fringe,
        },
        index=centroids.index,
    )


def _smooth_noise(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spatially smooth noise (three fields): neighbouring areas resemble each other."""
    fields = []
    for _ in range(3):
        k = rng.normal(size=(6, 2)) / 3_000.0
        phase = rng.uniform(0, 2 * np.pi, 6)
        field_ = sum(np.sin(k[i, 0] * x + k[i, 1] * y + phase[i]) for i in range(6)) / 6
        fields.append(0.12 * field_ + rng.normal(0, 0.04, len(x)))
    return np.array(fields)


# --- counts ---------------------------------------------------------------------------------


def _counts(rng: np.random.Generator, g: pd.DataFrame) -> pd.DataFrame:
    d, a, u, lang = (g[c].to_numpy() for c in ["deprivation", "age", "rural", "language"])
    n = len(g)
    residents = np.clip(np.round(rng.normal(1_550, 190, n)), 1_000, 2_600).astype(np.int64)
    binom = rng.binomial

    def rate(base: np.ndarray | float, lo: float = 0.001, hi: float = 0.95) -> np.ndarray:
        return np.clip(base + rng.normal(0, 0.01, n), lo, hi)

    aged_65 = binom(residents, rate(0.08 + 0.22 * a))
    aged_75 = binom(aged_65, rate(0.40 + 0.12 * a))
    disabled = binom(residents, rate(0.12 + 0.12 * d + 0.07 * a))
    bad_health = binom(residents, rate(0.025 + 0.07 * d + 0.025 * a))
    r16 = binom(residents, rate(0.76 + 0.08 * a - 0.04 * d))
    no_quals = binom(r16, rate(0.09 + 0.27 * d + 0.06 * a))
    r3 = binom(residents, rate(0.965, hi=0.99))
    poor_english = binom(r3, rate(0.002 + 0.11 * lang * (0.4 + 0.6 * d), hi=0.4))
    hh_size = np.clip(2.35 + 0.35 * d - 0.3 * a + rng.normal(0, 0.08, n), 1.7, 3.3)
    households = np.round(residents / hh_size).astype(np.int64)
    hh_dep3 = binom(households, rate(0.01 + 0.13 * d))
    social = binom(households, rate(0.04 + 0.50 * d**1.3))
    one_person_66 = binom(households, rate(0.05 + 0.14 * a))
    premises = households + binom(households, 0.06)
    below_30 = binom(premises, rate(0.004 + 0.40 * u**1.5 + 0.03 * d, hi=0.9))
    below_10 = binom(below_30, rate(0.35 + 0.3 * u))
    gigabit = binom(premises - below_30, rate(0.75 - 0.55 * u - 0.15 * d))
    median_speed = np.round(np.clip(72 - 50 * u**1.2 + rng.normal(0, 6, n), 4, 120), 1)
    income = np.round(np.clip(0.03 + 0.30 * d + rng.normal(0, 0.02, n), 0.005, 0.6), 3)
    employment = np.round(np.clip(0.025 + 0.21 * d + rng.normal(0, 0.015, n), 0.005, 0.5), 3)
    education = np.round(np.clip(4 + 60 * d**1.2 + rng.normal(0, 4, n), 0.1, 95), 3)
    health = np.round(np.clip(-1.6 + 3.0 * d + 0.3 * a + rng.normal(0, 0.2, n), -3, 3.5), 3)
    imd = np.round(
        np.clip(3 + 58 * d + 6 * u + rng.normal(0, 3.5, n), 0.5, 90), 3
    )  # barriers to services lift rural scores a little, as in the real IMD
    return pd.DataFrame(
        {
            "residents": residents,
            "age_base": residents,
            "disability_base": residents,
            "health_base": residents,
            "hh_deprivation_base": households,
            "tenure_base": households,
            "hh_composition_base": households,
            "aged_65_plus": aged_65,
            "aged_75_plus": aged_75,
            "disabled": disabled,
            "bad_health": bad_health,
            "residents_16_plus": r16,
            "no_qualifications": no_quals,
            "residents_3_plus": r3,
            "poor_english": poor_english,
            "households": households,
            "hh_deprived_3_plus": hh_dep3,
            "social_rented": social,
            "one_person_66_plus": one_person_66,
            "premises": premises,
            "premises_below_30mbit": below_30,
            "premises_below_10mbit": below_10,
            "premises_gigabit": gigabit,
            "median_download_mbit": median_speed,
            "imd_score": imd,
            "income_score": income,
            "employment_score": employment,
            "education_score": education,
            "health_score": health,
        },
        index=g.index,
    )


# --- assets ---------------------------------------------------------------------------------

_PLACES = [
    "Abbey", "Beacon", "Church Lane", "Dale", "East End", "Fairfield", "Glebe", "High Street",
    "Kingsway", "Market Square", "Northgate", "Old Mill", "Park View", "Station Road",
    "Victoria", "Wellspring", "Windmill", "Mill Lane", "Canal Side", "Orchard",
]  # fmt: skip

_ASSET_NAMES = {
    "library": ["{p} Library", "{p} Community Library"],
    "community_centre": ["{p} Community Centre", "{p} Neighbourhood Hub", "{p} Village Hall"],
    "place_of_worship": ["St Mary's Church, {p}", "{p} Methodist Chapel", "{p} Mosque",
                         "{p} Gurdwara", "St Peter's & St Paul's, {p}"],
    "health": ["{p} Medical Practice", "{p} Surgery", "{p} Health Centre"],
    "cafe_wifi": ["{p} Coffee House", "The {p} Kitchen", "Bean & Byte, {p}"],
    "advice": ["Citizens Advice {p}", "{p} Money & Benefits Advice"],
    "job_centre": ["{p} Jobcentre Plus"],
}  # fmt: skip

_SUBCATEGORY = {
    "library": "library",
    "community_centre": "community_centre",
    "place_of_worship": "place_of_worship",
    "health": "doctors",
    "cafe_wifi": "cafe",
    "advice": "advice",
    "job_centre": "job_centre",
}

_HOURS = [
    "Mo-Fr 09:00-17:00",
    "Mo-Sa 09:00-17:30",
    "Mo-Th 10:00-19:00; Fr-Sa 10:00-16:00",
    "Tu,Th 13:00-16:00",
    None,
]
# libraries in turn (no random draw, so the rest of the borough is unchanged): evenings and
# weekends at some, unknown at one, and the lower-case, seconds-and-all text real tags have
_LIBRARY_HOURS = [
    "Mo-Th 09:00-19:00; Fr 09:00-17:00; Sa 10:00-16:00; PH off",
    "Mo,We,Fr 09:30-17:00; Sa 10:00-13:00",
    None,
    "Tu-Sa 10:00-17:00; Su 11:00-15:00",
    "mo-fr 09:00:00-17:00:00",
    "Mo-Fr 09:00-17:00; Sa 10:00-12:00",
    "Mo,Tu 13:00-19:00; Th 09:00-12:30",
    "Mo-Fr 10:00-16:00",
]
# community centres that say how many people a session can help at once
_CENTRE_CAPACITY = {0: 6.0, 3: 10.0, 7: 4.0}
# an odd string no grammar reads, for the first advice service
_ODD_HOURS = "ring first - usually mornings"


def _assets(rng: np.random.Generator, areas: gpd.GeoDataFrame, g: pd.DataFrame) -> gpd.GeoDataFrame:
    rows = []
    pop = areas["population"].to_numpy(dtype=float)
    weights = {
        "population": pop * (1 - 0.6 * g["rural"].to_numpy()),
        "deprivation": pop
        * (0.2 + g["deprivation"].to_numpy())
        * (1 - 0.7 * g["rural"].to_numpy()),
        "urban": pop * g["urban"].to_numpy() ** 3,
    }
    serial = 0
    for category, (count, placement) in ASSET_CATEGORIES.items():
        w = weights[placement] / weights[placement].sum()
        chosen = rng.choice(len(areas), size=count, replace=True, p=w)
        for i in chosen:
            serial += 1
            geom = areas.geometry.iloc[i]
            point = _random_point_in(rng, geom)
            template = _ASSET_NAMES[category][rng.integers(len(_ASSET_NAMES[category]))]
            name = template.format(p=_PLACES[rng.integers(len(_PLACES))])
            internet = _internet(rng, category)
            rows.append(
                {
                    "id": f"demo/{serial:03d}",
                    "name": name,
                    "category": category,
                    "subcategory": _SUBCATEGORY[category],
                    "source": DEMO_LABEL,
                    "opening_hours": _HOURS[rng.integers(len(_HOURS))],
                    "internet_access": internet,
                    "wheelchair": [None, "yes", "limited", "no"][rng.integers(4)],
                    "operator": "Demoborough Council"
                    if category in ("library", "community_centre", "job_centre")
                    else None,
                    "capacity": float(rng.integers(4, 20))
                    if category == "library"
                    else (float(rng.integers(1, 6)) if internet == "terminal" else np.nan),
                    "geometry": point,
                }
            )
    # the one name every map test relies on: HTML special characters in real-world names
    rows[len(rows) // 2]["name"] = 'Tom & Jerry\'s "Byte <Size>" Café'
    _register_details(rows)
    rows.extend(_places_to_exclude(rows, areas, serial))
    for row in rows:  # shaped like OpenStreetMap data, so the register's hygiene applies
        row["tags"] = _demo_tags(row)
    assets = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:27700")
    assets["id"] = assets["id"].astype(str)
    return assets.set_index("id", drop=False).rename_axis(None)


def _register_details(rows: list[dict]) -> None:
    """Opening hours and capacities of the kind a council register holds (no random draws)."""
    libraries = [r for r in rows if r["category"] == "library"]
    for i, row in enumerate(libraries):
        row["opening_hours"] = _LIBRARY_HOURS[i % len(_LIBRARY_HOURS)]
    centres = [r for r in rows if r["category"] == "community_centre"]
    for i, capacity in _CENTRE_CAPACITY.items():
        if i < len(centres):
            centres[i]["capacity"] = capacity
    advice = [r for r in rows if r["category"] == "advice"]
    if advice:
        advice[0]["opening_hours"] = _ODD_HOURS


def _places_to_exclude(rows: list[dict], areas: gpd.GeoDataFrame, serial: int) -> list[dict]:
    """Three places the register's hygiene must leave out: a university library, a private
    venue and the first library mapped a second time 15 m away with fewer details."""
    first = next(r for r in rows if r["category"] == "library")
    spot = first["geometry"]
    twin = Point(spot.x + 15.0, spot.y)
    if not areas.geometry.contains(twin).any():
        twin = spot
    base = {"source": DEMO_LABEL, "internet_access": None, "wheelchair": None, "capacity": np.nan}
    return [
        {
            **base,
            "id": f"demo/{serial + 1:03d}",
            "name": "University of Demoborough Library",
            "category": "library",
            "subcategory": "library",
            "opening_hours": "Mo-Fr 08:00-22:00",
            "operator": "University of Demoborough",
            "geometry": areas.geometry.iloc[len(areas) // 3].representative_point(),
            "extra_tags": {"library": "academic", "access": "customers"},
        },
        {
            **base,
            "id": f"demo/{serial + 2:03d}",
            "name": "Greystone Business Lounge",
            "category": "community_centre",
            "subcategory": "community_centre",
            "opening_hours": "Mo-Fr 07:00-20:00",
            "operator": None,
            "geometry": areas.geometry.iloc[2 * len(areas) // 3].representative_point(),
            "extra_tags": {"access": "private"},
        },
        {
            **base,
            "id": f"demo/{serial + 3:03d}",
            "name": first["name"],
            "category": "library",
            "subcategory": "library",
            "opening_hours": None,
            "operator": None,
            "geometry": twin,
        },
    ]


def _demo_tags(row: dict) -> dict[str, str]:
    """OpenStreetMap-style tags for a demo place (``extra_tags`` added, then removed)."""
    key = "office" if row["category"] == "job_centre" else "amenity"
    tags = {key: str(row["subcategory"]), "name": str(row["name"])}
    for col in ("opening_hours", "internet_access", "wheelchair", "operator"):
        if row.get(col) is not None:
            tags[col] = str(row[col])
    tags.update(row.pop("extra_tags", {}))
    return tags


def _internet(rng: np.random.Generator, category: str) -> str | None:
    if category == "cafe_wifi":
        return "wlan"
    if category == "library":
        return "terminal"
    return [None, "wlan", "no", "terminal"][rng.integers(4)]


def _random_point_in(rng: np.random.Generator, geom) -> Point:
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(200):
        p = Point(round(rng.uniform(minx, maxx), 1), round(rng.uniform(miny, maxy), 1))
        if geom.contains(p):
            return p
    return geom.representative_point()

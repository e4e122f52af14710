"""Barrier hotspots: spatial weights that survive real boundary files, Getis-Ord Gi*, local and
global Moran's I, conditional permutation inference and false-discovery-rate control.

The statistics follow PySAL ``esda`` exactly (same formulas, same folded pseudo p-values) and are
tested against it; they are computed here in one vectorised pass so that all of England's 34,753
LSOAs take seconds. Both local statistics are functions of the sum of an area's neighbours'
values, so one set of conditional permutations serves both.

Conditional permutation, as in esda: for each of ``permutations`` draws, a random ordering of the
areas is taken once and shared by all areas; area ``i`` with ``k_i`` neighbours takes the first
``k_i`` areas of that ordering other than itself as its random neighbours, holding its own value
fixed. The pseudo p-value is ``(m + 1) / (permutations + 1)`` where ``m`` counts the random
statistics at least as extreme as the observed one in the observed direction (esda's folded
p-value, as shown in GeoDa).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtr  # the normal CDF (scipy.stats costs 0.3 s to import)

from ._defaults import DEFAULT_PERMUTATIONS
from ._errors import DataQualityError, InclusionGeoError
from ._validate import require_valid_geometry, to_bng

__all__ = [
    "SpatialWeights",
    "build_weights",
    "restrict_weights",
    "split_weights",
    "local_statistics",
    "global_moran",
    "benjamini_hochberg",
    "hotspot_classes",
    "HOTSPOT_CLASSES",
    "CLUSTER_CLASSES",
]

log = logging.getLogger(__name__)

HOTSPOT_CLASSES = (
    "Hot spot (99%)",
    "Hot spot (95%)",
    "Hot spot (90%)",
    "Not significant",
    "Cold spot (90%)",
    "Cold spot (95%)",
    "Cold spot (99%)",
)
CLUSTER_CLASSES = ("High-High", "Low-Low", "High-Low", "Low-High", "Not significant")


@dataclass(frozen=True)
class SpatialWeights:
    """Binary, symmetric neighbour relations between areas, and how they were found.

    ``matrix`` is an ``n x n`` scipy CSR matrix of 0/1 with an empty diagonal, in the order of
    ``ids``. ``report`` says in words what was done (Queen contiguity, a snapping tolerance,
    nearest neighbours joined to islands).
    """

    ids: pd.Index
    matrix: sp.csr_matrix
    method: str
    tolerance_m: float
    n_knn_joined: int
    report: str

    @property
    def cardinalities(self) -> np.ndarray:
        return np.diff(self.matrix.indptr)

    def to_libpysal(self):
        """The same weights as a ``libpysal.weights.W`` (binary), e.g. to check with esda."""
        from libpysal.weights import WSP

        return WSP(self.matrix, id_order=list(self.ids)).to_W(silence_warnings=True)


def build_weights(
    areas: gpd.GeoDataFrame,
    *,
    method: str = "auto",
    tolerance_m: float | None = None,
    max_island_share: float = 0.01,
) -> SpatialWeights:
    """Queen contiguity that works on real, generalised boundary files.

    Parameters
    ----------
    areas
        Polygons, indexed by area code (any CRS; distances are taken in EPSG:27700).
    method
        ``"auto"``: Queen contiguity, taken geometrically (areas that touch or overlap are
        neighbours, so boundaries need not share vertices). Generalised boundary files also leave
        slivers between neighbours: if snapping by 1 m adds more than 1 % more neighbour pairs,
        or more than ``max_island_share`` of areas have no neighbour, areas within 1 m (then 5,
        20, 50 m while islands remain) are taken as neighbours. ``"queen"``: touching or
        overlapping only. ``"tolerant"``: within ``tolerance_m``. In every case areas still without a neighbour (islands)
        are joined to their nearest neighbour by centroid distance.
    tolerance_m
        Buffer distance for ``"tolerant"`` (default 5 m).

    Returns
    -------
    SpatialWeights

    Example
    -------
    >>> from inclusion_geo.datasets import load_demo_borough
    >>> w = build_weights(load_demo_borough().areas)
    >>> w.method, int(w.cardinalities.min()) >= 1
    ('queen', True)
    """
    if method not in ("auto", "queen", "tolerant"):
        raise InclusionGeoError(f"method={method!r} is not one of 'auto', 'queen', 'tolerant'.")
    areas = to_bng(areas, what="areas")
    require_valid_geometry(areas, what="areas")
    if len(areas) < 3:
        raise DataQualityError(
            f"Only {len(areas)} area(s): hotspot statistics need at least three areas."
        )
    geoms = areas.geometry.to_numpy()
    notes = []
    used_tol = 0.0
    if method == "tolerant":
        used_tol = 5.0 if tolerance_m is None else float(tolerance_m)
        matrix = _contiguity(*_near_pairs(geoms, used_tol)[:2], len(geoms))
        chosen = "tolerant"
    else:
        left, right, touching = _near_pairs(geoms, 1.0 if method == "auto" else 0.0)
        matrix = _contiguity(left[touching], right[touching], len(geoms))
        chosen = "queen"
        islands = int((np.diff(matrix.indptr) == 0).sum())
        if method == "auto":
            extra = int((~touching).sum())
            if islands > max_island_share * len(areas) or extra > 0.01 * matrix.nnz / 2:
                notes.append(
                    f"exact contiguity left {islands} area(s) without a neighbour and missed "
                    f"{extra} pair(s) less than 1 m apart (the boundaries do not meet exactly)"
                )
                for tol in (1.0, 5.0, 20.0, 50.0):
                    if tol > 1.0:
                        left, right, _ = _near_pairs(geoms, tol)
                    matrix = _contiguity(left, right, len(geoms))
                    islands = int((np.diff(matrix.indptr) == 0).sum())
                    used_tol, chosen = tol, "tolerant"
                    if islands <= max_island_share * len(areas):
                        break
                notes.append(
                    f"so areas within {used_tol:g} m of each other were taken as neighbours"
                )
    matrix, joined = _join_islands(matrix, areas)
    if joined:
        notes.append(f"{joined} area(s) with no neighbour were joined to their nearest area")
    card = np.diff(matrix.indptr)
    summary = (
        f"{chosen} contiguity on {len(areas)} areas: mean {card.mean():.1f} neighbours "
        f"(min {card.min()}, max {card.max()})"
    )
    report = summary + ("; " + "; ".join(notes) if notes else "") + "."
    log.info(report)
    return SpatialWeights(
        ids=areas.index.copy(),
        matrix=matrix,
        method=chosen,
        tolerance_m=used_tol,
        n_knn_joined=joined,
        report=report,
    )


def restrict_weights(weights: SpatialWeights, areas: gpd.GeoDataFrame) -> SpatialWeights:
    """The weights among a subset of areas (e.g. one local authority of a national run):
    neighbours outside the subset are dropped, and areas left with none are joined to their
    nearest area within the subset."""
    return split_weights(weights, areas)[None]


def split_weights(weights: SpatialWeights, areas: gpd.GeoDataFrame, by: str | None = None) -> dict:
    """The weights within each group of ``areas`` (by the column ``by``, e.g. ``lad_code``), as
    :func:`restrict_weights` would give for each group alone, in one pass: ``{group: weights}``
    (``{None: weights}`` without ``by``). Neighbours in another group are dropped; areas left
    with none are joined to their nearest area in their own group."""
    missing = areas.index[weights.ids.get_indexer(areas.index) < 0]
    if len(missing):
        raise InclusionGeoError(
            f"{len(missing)} area(s) are not in the weights, e.g. {missing[:3].tolist()}."
        )
    if by is None:
        codes, labels = np.zeros(len(areas), dtype=np.int64), [None]
    else:
        if areas[by].isna().any():
            raise InclusionGeoError(f"{int(areas[by].isna().sum())} area(s) have no {by!r}.")
        codes, labels = pd.factorize(areas[by], sort=True)
    order = np.argsort(codes, kind="stable")  # areas grouped, in their given order within groups
    group = codes[order]
    idx = weights.ids.get_indexer(areas.index[order])
    sub = weights.matrix[idx][:, idx].tocoo()
    keep = group[sub.row] == group[sub.col]
    n = len(order)
    block = sp.csr_matrix((sub.data[keep], (sub.row[keep], sub.col[keep])), shape=(n, n))
    bounds = np.searchsorted(group, np.arange(len(labels) + 1))
    ordered_ids = areas.index[order]
    out = {}
    for g, label in enumerate(labels):
        start, stop = bounds[g], bounds[g + 1]
        lo, hi = block.indptr[start], block.indptr[stop]
        matrix = sp.csr_matrix(
            (block.data[lo:hi], block.indices[lo:hi] - start, block.indptr[start : stop + 1] - lo),
            shape=(stop - start, stop - start),
        )
        ids = ordered_ids[start:stop]
        joined = 0
        if (np.diff(matrix.indptr) == 0).any():
            matrix, joined = _join_islands(matrix, to_bng(areas.loc[ids], what="areas"))
        card = np.diff(matrix.indptr)
        report = (
            f"{weights.method} contiguity restricted to {len(ids)} areas: mean {card.mean():.1f} "
            f"neighbours (min {card.min()}, max {card.max()})"
            + (
                f"; {joined} area(s) with no neighbour inside were joined to their nearest area"
                if joined
                else ""
            )
            + "."
        )
        out[label] = SpatialWeights(
            ids=ids, matrix=matrix, method=weights.method, tolerance_m=weights.tolerance_m,
            n_knn_joined=joined, report=report,
        )  # fmt: skip
    return out


def _near_pairs(geoms: np.ndarray, tolerance: float) -> tuple[np.ndarray, ...]:
    """Each pair of areas less than ``tolerance`` apart, once: ``(left, right, touching)``,
    ``touching`` True where they touch or overlap. Only pairs whose bounding boxes come within
    ``tolerance`` are tested, and distances only for pairs that do not touch."""
    import shapely

    tree = shapely.STRtree(geoms)
    xmin, ymin, xmax, ymax = shapely.bounds(geoms).T
    boxes = shapely.box(xmin - tolerance, ymin - tolerance, xmax + tolerance, ymax + tolerance)
    left, right = tree.query(boxes)
    once = left < right
    left, right = left[once], right[once]
    touching = shapely.intersects(geoms[left], geoms[right])
    near = touching.copy()
    if tolerance > 0:
        apart = np.flatnonzero(~touching)
        near[apart] = shapely.dwithin(geoms[left[apart]], geoms[right[apart]], tolerance)
    return left[near], right[near], touching[near]


def _contiguity(left: np.ndarray, right: np.ndarray, n: int) -> sp.csr_matrix:
    """The symmetric 0/1 matrix of the pairs ``(left, right)``."""
    rows, cols = np.r_[left, right], np.r_[right, left]
    m = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def _join_islands(matrix: sp.csr_matrix, areas: gpd.GeoDataFrame) -> tuple[sp.csr_matrix, int]:
    from scipy.spatial import cKDTree

    card = np.diff(matrix.indptr)
    islands = np.flatnonzero(card == 0)
    if islands.size == 0 or matrix.shape[0] < 2:
        return matrix, 0
    xy = np.column_stack([areas.geometry.centroid.x, areas.geometry.centroid.y])
    _, nearest = cKDTree(xy).query(xy[islands], k=2)
    nearest = nearest[:, 1]
    n = matrix.shape[0]
    extra = sp.coo_matrix((np.ones(islands.size), (islands, nearest)), shape=(n, n))
    joined = ((matrix + extra + extra.T) > 0).astype(np.float64).tocsr()
    return joined, int(islands.size)


# --- local statistics --------------------------------------------------------------------------


def local_statistics(
    values: pd.Series,
    weights: SpatialWeights | Mapping[Hashable, SpatialWeights],
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
    alpha: float = 0.05,
    fdr: bool = True,
) -> pd.DataFrame:
    """Getis-Ord Gi* and local Moran's I with conditional permutation inference.

    Parameters
    ----------
    values
        One value per area (e.g. the risk index), indexed like ``weights.ids``.
    weights
        From :func:`build_weights`; or ``{group: weights}`` from :func:`split_weights`, to test
        each group (e.g. each local authority) within itself, exactly as if it were run alone
        (its own mean and variance, permutations drawn within it, the FDR applied within it).
    permutations
        Conditional permutations (0 for analytic inference only).
    seed
        Random seed; the same seed gives the same p-values.
    alpha
        Significance level for the local Moran cluster classes.
    fdr
        Apply the Benjamini-Hochberg false discovery rate to the p-values before classifying.

    Returns
    -------
    DataFrame
        Same index as ``values``: ``gi_star`` (the statistic), ``gi_z`` (analytic z, as esda
        ``G_Local.Zs``), ``gi_p_sim``, ``gi_p_norm``, ``gi_q`` (FDR-adjusted), ``hotspot_class``;
        ``moran_i`` (as esda ``Moran_Local.Is``), ``moran_quadrant`` (1 HH, 2 LH, 3 LL, 4 HL),
        ``moran_p_sim``, ``moran_q``, ``cluster_class``.
    """
    if permutations < 0:
        raise InclusionGeoError(f"permutations must be >= 0, got {permutations}.")
    ids, parts = _groups(values, weights)
    columns = [_local_arrays(y, w, permutations=permutations, seed=seed) for _, y, w in parts]
    out = pd.DataFrame(
        {key: np.concatenate([c[key] for c in columns]) for key in columns[0]}, index=ids
    )
    out["gi_p_norm"] = 2 * ndtr(-np.abs(out["gi_z"].to_numpy()))
    if permutations:
        out["gi_p_sim"] = _fold(out.pop("gi_larger").to_numpy(), permutations)
        out["moran_p_sim"] = _fold(out.pop("moran_larger").to_numpy(), permutations)
        gi_p, mo_p = out["gi_p_sim"], out["moran_p_sim"]
    else:
        gi_p = out["gi_p_norm"]
        mo_p = pd.Series(np.ones(len(out)), index=out.index)
    group = np.repeat(np.arange(len(parts)), [len(y) for _, y, _ in parts])
    out["gi_q"] = benjamini_hochberg(gi_p, groups=group) if fdr else gi_p
    out["moran_q"] = benjamini_hochberg(mo_p, groups=group) if fdr else mo_p
    out["hotspot_class"] = hotspot_classes(out["gi_z"], out["gi_q"])
    significant = out["moran_q"].to_numpy() <= alpha
    names = np.array(["", "High-High", "Low-High", "Low-Low", "High-Low"])
    out["cluster_class"] = np.where(
        significant, names[out["moran_quadrant"].to_numpy()], "Not significant"
    )
    return out.reindex(values.index)


def _groups(values, weights) -> tuple[pd.Index, list[tuple[Hashable, np.ndarray, SpatialWeights]]]:
    """``values`` as ``(group, array, weights)`` per weights group (group ``None`` for plain
    weights), and all the groups' ids in that order."""
    if not isinstance(values, pd.Series):
        raise TypeError("values must be a pandas Series indexed by area code.")
    groups = {None: weights} if isinstance(weights, SpatialWeights) else dict(weights)
    if values.isna().any():
        raise DataQualityError(
            f"{values.name!r} is missing for {int(values.isna().sum())} area(s), e.g. "
            f"{values.index[values.isna()][:5].tolist()}; hotspot statistics need every value."
        )
    if not values.index.is_unique:
        dupes = values.index[values.index.duplicated()].unique()[:3].tolist()
        raise InclusionGeoError(f"values has repeated area codes, e.g. {dupes}; give one per area.")
    ids = groups[next(iter(groups))].ids.append([w.ids for w in list(groups.values())[1:]])
    position = values.index.get_indexer(ids)
    extra = len(values) - int((position >= 0).sum())
    if (position < 0).any() or extra or not ids.is_unique:
        missing = ids[position < 0]
        raise InclusionGeoError(
            f"values and weights cover different areas ({len(missing)} only in weights, "
            f"{extra} only in values, e.g. {missing[:3].tolist()}). "
            "Build the weights from the same areas you score."
        )
    y = values.to_numpy(dtype=float)[position]
    bounds = np.cumsum([0] + [len(w.ids) for w in groups.values()])
    parts = []
    for (label, w), start, stop in zip(groups.items(), bounds[:-1], bounds[1:], strict=True):
        part = y[start:stop]
        where = "" if label is None else f" in {label}"
        if part.size < 3:
            raise DataQualityError(
                f"Only {part.size} area(s){where}: hotspot statistics need at least three areas."
            )
        if np.isclose(part.std(), 0.0):
            raise DataQualityError(
                f"{values.name!r} has the same value in every area{where}, so there are no "
                "hotspots to find."
            )
        parts.append((label, part, w))
    return ids, parts


def _local_arrays(
    y: np.ndarray, weights: SpatialWeights, *, permutations: int, seed: int
) -> dict[str, np.ndarray]:
    n = y.size
    W = weights.matrix
    k = weights.cardinalities.astype(np.int64)
    lag = W @ y  # sum of neighbours' values
    # Gi* (binary weights with the area itself included), as esda G_Local(star=True, 'B')
    card_star = k + 1.0
    total = y.sum()
    mean, s = total / n, np.sqrt((y**2).sum() / n - (total / n) ** 2)
    # local Moran's I, row-standardised, as esda Moran_Local
    z = y - mean
    lag_z_mean = (W @ z) / k
    # an area whose neighbourhood is the whole study area has no Gi* variance: z is undefined
    spread = s * np.sqrt(card_star * (n - card_star) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        gi_z = np.where(spread > 0, (lag + y - mean * card_star) / spread, np.nan)
    out = {
        "gi_star": (lag + y) / total,
        "gi_z": gi_z,
        "moran_i": (n - 1) * z * lag_z_mean / (z**2).sum(),
        "moran_quadrant": np.where(
            z > 0, np.where(lag_z_mean > 0, 1, 4), np.where(lag_z_mean > 0, 2, 3)
        ).astype(np.int64),
    }
    if permutations:
        out["gi_larger"], out["moran_larger"] = _conditional_permutations(
            y, k, lag, permutations=permutations, seed=seed
        )
    return out


def _conditional_permutations(
    y: np.ndarray,
    k: np.ndarray,
    lag: np.ndarray,
    *,
    permutations: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Count random statistics >= observed, for Gi* and local Moran, from one set of draws.

    Each draw is a random ordering of all areas, truncated to ``max(k) + 1`` places. Area ``i``'s
    random neighbour sum is the sum of the first ``k_i`` places, unless ``i`` itself is among
    them, in which case it is the first ``k_i + 1`` places less ``y_i``: a uniform draw of
    ``k_i`` other areas either way.

    So every area with ``k`` neighbours shares one column of random sums (the prefix sums at
    ``k``), except in the draws where it is itself among the first ``k`` places (about ``k`` in
    every ``areas`` draws: a few thousand replaced sums in all). Each column is sorted once; an
    area's count is a binary search in its column (both statistics are monotone in the
    neighbour sum, given ``y_i`` and ``k_i``, even as rounded), corrected for its replaced
    sums. That is ``O(areas x log(permutations))`` after the draws, and counts exactly what
    comparing every random sum did.
    """
    rng = np.random.default_rng(seed)
    n = y.size
    width = int(k.max()) + 1
    draws = _draws(rng, n, width, permutations)
    prefix = np.zeros((permutations, width + 1))
    np.cumsum(y[draws], axis=1, out=prefix[:, 1:])
    # where an area appears in a draw at a place before its own k: its sum there is replaced
    fix_perm, fix_place = np.nonzero(np.arange(width) < k[draws])
    fix_area = draws[fix_perm, fix_place]
    replaced = prefix[fix_perm, k[fix_area]]
    replacement = prefix[fix_perm, k[fix_area] + 1] - y[fix_area]

    # Gi* increases with the neighbour sum; local Moran I = c * z_i * (sum - k_i * mean), so it
    # increases with the sum where z_i >= 0 and decreases where z_i < 0 (constant at z_i = 0)
    gi_floor = lag - 1e-12 * np.abs(lag)
    mean = y.mean()
    zi = y - mean
    km = k * mean
    obs_i = zi * (lag - km)
    mo_floor = obs_i - 1e-12 * np.abs(obs_i)
    falling = zi < 0

    def gi_at_least(sums, areas):
        return sums >= gi_floor[areas]

    def mo_at_least(sums, areas):
        return zi[areas] * (sums - km[areas]) >= mo_floor[areas]

    columns = np.sort(prefix, axis=0)
    every = np.arange(n)
    gi_larger = permutations - _first_true(columns, k, lambda s: gi_at_least(s, every))
    first = _first_true(columns, k, lambda s: mo_at_least(s, every) != falling)
    mo_larger = np.where(falling, first, permutations - first)
    gi_larger = gi_larger + np.bincount(
        fix_area,
        gi_at_least(replacement, fix_area).astype(np.int64) - gi_at_least(replaced, fix_area),
        minlength=n,
    )
    mo_larger = mo_larger + np.bincount(
        fix_area,
        mo_at_least(replacement, fix_area).astype(np.int64) - mo_at_least(replaced, fix_area),
        minlength=n,
    )
    return gi_larger.astype(float), mo_larger.astype(float)


def _first_true(columns: np.ndarray, column: np.ndarray, test) -> np.ndarray:
    """For each area, the first row of its sorted column ``columns[:, column[i]]`` where
    ``test`` holds (``len(columns)`` if none), by a binary search run for all areas at once;
    ``test(values)`` takes one value per area and must be monotone (False then True) down each
    column."""
    rows = columns.shape[0]
    lo = np.zeros(column.size, dtype=np.int64)
    hi = np.full(column.size, rows, dtype=np.int64)
    for _ in range(int(rows).bit_length()):
        mid = (lo + hi) >> 1
        ok = test(columns[np.minimum(mid, rows - 1), column])
        open_ = lo < hi
        hi = np.where(open_ & ok, mid, hi)
        lo = np.where(open_ & ~ok, mid + 1, lo)
    return lo


#: up to this many values (areas x permutations), permutations shuffle whole rows at once (every
#: study area of up to 500 areas at 999 permutations: one local authority); above it each
#: permutation draws only the places it needs (a full shuffle costs O(areas) a draw: at
#: 20,000 areas x 999 that was 0.6 s, against 0.01 s for the partial draws)
WHOLE_SHUFFLE_MAX = 500_000


def _draws(rng: np.random.Generator, n: int, width: int, permutations: int) -> np.ndarray:
    """``permutations`` random orderings of ``n`` areas, truncated to ``width`` places: each
    row a uniform draw of ``width`` distinct areas in random order."""
    if n * permutations <= WHOLE_SHUFFLE_MAX:  # small study areas: shuffle all rows at once
        return rng.permuted(np.tile(np.arange(n), (permutations, 1)), axis=1)[:, :width]
    if width * width > n:  # many rows would repeat an area: draw each without replacement
        draws = np.empty((permutations, width), dtype=np.int64)
        for p in range(permutations):
            draws[p] = rng.choice(n, size=width, replace=False)
        return draws
    # rows of independent uniform places, redrawn while they repeat an area: an accepted row
    # is a uniform draw of distinct areas (most rows are accepted at once: width^2 <= n)
    draws = rng.integers(0, n, size=(permutations, width))
    redo = _repeats(draws)
    while redo.any():
        rows = np.flatnonzero(redo)
        draws[rows] = rng.integers(0, n, size=(rows.size, width))
        redo[rows] = _repeats(draws[rows])
    return draws


def _repeats(rows: np.ndarray) -> np.ndarray:
    ordered = np.sort(rows, axis=1)
    return (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)


def _fold(larger: np.ndarray, permutations: int) -> np.ndarray:
    larger = larger.copy()
    low = (permutations - larger) < larger
    larger[low] = permutations - larger[low]
    return (larger + 1.0) / (permutations + 1.0)


def benjamini_hochberg(p: pd.Series, groups=None) -> pd.Series:
    """Benjamini-Hochberg adjusted p-values (q-values); ``q <= alpha`` controls the FDR.

    With ``groups`` (one label per value), each group is adjusted on its own."""
    values = p.to_numpy(dtype=float)
    n = values.size
    codes = np.zeros(n, dtype=np.int64) if groups is None else pd.factorize(np.asarray(groups))[0]
    order = np.lexsort((values, codes))
    sorted_codes = codes[order]
    first = np.searchsorted(sorted_codes, sorted_codes)  # where each value's group starts
    size = np.bincount(codes)[sorted_codes]
    ranked = values[order] * size / (np.arange(n) - first + 1)
    # running minimum from the largest p down, within each group
    if codes.size and codes.max() == 0:  # one group
        q = np.minimum.accumulate(ranked[::-1])[::-1]
    else:
        q = pd.Series(ranked[::-1]).groupby(sorted_codes[::-1]).cummin().to_numpy()[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return pd.Series(out, index=p.index, name=p.name)


def hotspot_classes(z: pd.Series, p: pd.Series) -> pd.Series:
    """Hot/cold spot classes at 99/95/90 % confidence from a z-score's sign and a p-value."""
    zv, pv = z.to_numpy(), p.to_numpy()
    level = np.select([pv <= 0.01, pv <= 0.05, pv <= 0.10], [0, 1, 2], default=3)
    labels = np.array(  # [cold, hot] x [99 %, 95 %, 90 %, not significant]
        [[f"Cold spot ({c})" for c in ("99%", "95%", "90%")] + ["Not significant"],
         [f"Hot spot ({c})" for c in ("99%", "95%", "90%")] + ["Not significant"]]
    )  # fmt: skip
    return pd.Series(labels[(zv > 0).astype(np.intp), level], index=z.index, name="hotspot_class")


def global_moran(
    values: pd.Series,
    weights: SpatialWeights | Mapping[Hashable, SpatialWeights],
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
) -> dict:
    """Global Moran's I (row-standardised weights) with its analytic and permutation p-values.

    Returns ``{"I", "expected_I", "z_norm", "p_norm", "z_rand", "p_rand", "p_sim"}`` as esda
    ``Moran`` does: ``p_norm`` two-sided under normality; ``p_rand`` two-sided under
    randomisation (the exact mean and variance of I over all permutations of the values, Cliff
    and Ord 1981: the test stage-two runs report, as ArcGIS's Spatial Autocorrelation tool
    does); ``p_sim`` the one-sided pseudo p-value of ``permutations`` random permutations (NaN
    with 0). With ``{group: weights}`` from :func:`split_weights`, returns
    ``{group: that dict}``, each group taken alone.
    """
    _, parts = _groups(values, weights)
    result = {label: _moran(y, w, permutations=permutations, seed=seed) for label, y, w in parts}
    return result[None] if isinstance(weights, SpatialWeights) else result


def _moran(y: np.ndarray, weights: SpatialWeights, *, permutations: int, seed: int) -> dict:
    n = y.size
    W = weights.matrix  # binary and symmetric, so row-standardised W is W / k row-wise
    k = weights.cardinalities.astype(float)
    z = y - y.mean()
    i_obs = (z @ ((W @ z) / k)) / (z @ z)
    ei = -1.0 / (n - 1)
    rows = np.repeat(np.arange(n), weights.cardinalities)
    s1 = 0.5 * float(((1.0 / k[rows] + 1.0 / k[W.indices]) ** 2).sum())
    s2 = float(((1.0 + W @ (1.0 / k)) ** 2).sum())
    s0 = float(n)
    vi = (n**2 * s1 - n * s2 + 3 * s0**2) / ((n**2 - 1) * s0**2) - ei**2
    z_norm = (i_obs - ei) / np.sqrt(vi)
    # under randomisation: the variance over all permutations, from the values' kurtosis b2
    # (needs 4 areas or more: with 3 the variance's denominator is 0, and the test is NaN)
    z_rand = float("nan")
    if n >= 4 and float((z**2).sum()) > 0:
        b2 = n * float((z**4).sum()) / float((z**2).sum()) ** 2
        vi_rand = (
            n * ((n**2 - 3 * n + 3) * s1 - n * s2 + 3 * s0**2)
            - b2 * ((n**2 - n) * s1 - 2 * n * s2 + 6 * s0**2)
        ) / ((n - 1) * (n - 2) * (n - 3) * s0**2) - ei**2
        z_rand = (i_obs - ei) / np.sqrt(vi_rand) if vi_rand > 0 else float("nan")
    rng = np.random.default_rng(seed)
    sims = np.empty(permutations)
    if n * permutations <= WHOLE_SHUFFLE_MAX:  # small: whole blocks of permutations at once
        zp = rng.permuted(np.tile(z, (permutations, 1)), axis=1)  # (permutations, n)
        lagged = (W @ zp.T).T / k
        sims[:] = (zp * lagged).sum(axis=1) / (zp * zp).sum(axis=1)
    elif permutations:
        sims[:] = _pair_sims(z, W, k, rng, permutations, i_obs)
    larger = (sims >= i_obs).sum()
    if permutations - larger < larger:
        larger = permutations - larger
    return {
        "I": float(i_obs),
        "expected_I": ei,
        "z_norm": float(z_norm),
        "p_norm": float(2 * ndtr(-abs(z_norm))),
        "z_rand": float(z_rand),
        "p_rand": float(2 * ndtr(-abs(z_rand))),
        "p_sim": float((larger + 1) / (permutations + 1)) if permutations else float("nan"),
    }


#: global Moran's I takes its permutations in blocks of about this many values (areas x
#: permutations), 8 to 32 permutations at a time, each block through one sparse product (15
#: permutations at 34,753 areas; measured fastest at 1,000-35,000 areas)
MORAN_BLOCK_VALUES = 2**19


def _pair_sims(
    z: np.ndarray, W: sp.csr_matrix, k: np.ndarray, rng: np.random.Generator, permutations: int,
    i_obs: float,
) -> np.ndarray:  # fmt: skip
    """Global Moran's I of ``permutations`` random permutations of ``z`` (``rng.permutation``
    each, in turn), over each neighbour pair once: ``sum z_i z_j (1/k_i + 1/k_j) / z'z`` (W is
    binary and symmetric; ``z'z`` does not change under permutation).

    Blocks of permutations go through one sparse product with the upper triangle of W. That
    sums in another order than one permutation at a time did, so a permuted I may differ in its
    last bits; any within a rounding bound of the observed I (where that could change which
    side of it the permuted I falls) is taken again one permutation at a time, as before, so
    the counts, and the p-value, are exactly what they were.
    """
    n = z.size
    upper = sp.triu(W, k=1, format="csr")
    upper.sort_indices()
    rows = np.repeat(np.arange(n), np.diff(upper.indptr))
    upper.data = 1.0 / k[rows] + 1.0 / k[upper.indices]
    zz = z @ z
    # |sum of terms| / z'z <= max_i (1 + sum_j 1/k_j) / 2 under any permutation, and each sum
    # of (pairs + areas) terms is within (pairs + areas) x eps of it, either way of summing
    bound = float((1.0 + W @ (1.0 / k)).max())
    tol = 4.0 * (upper.nnz + n + 8) * np.finfo(float).eps * bound
    sims = np.empty(permutations)
    pairs = None
    block = min(max(MORAN_BLOCK_VALUES // n, 8), 32, permutations)
    for start in range(0, permutations, block):
        stop = min(start + block, permutations)
        orders = np.array([rng.permutation(n) for _ in range(stop - start)])
        permuted = np.ascontiguousarray(z[orders].T)  # (areas, permutations in this block)
        product = upper @ permuted
        product *= permuted
        sims[start:stop] = product.sum(axis=0) / zz
        for j in np.flatnonzero(np.abs(sims[start:stop] - i_obs) <= tol):
            if pairs is None:
                coo = W.tocoo()
                once = coo.row < coo.col
                pairs = coo.row[once].astype(np.intp), coo.col[once].astype(np.intp)
            left, right = pairs
            zp = z[orders[j]]  # as before: one permutation alone, each pair once, in turn
            sims[start + j] = (zp[left] * zp[right] * (1.0 / k[left] + 1.0 / k[right])).sum() / zz
    return sims

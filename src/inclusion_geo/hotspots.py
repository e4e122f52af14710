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
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from ._errors import DataQualityError, InclusionGeoError
from ._validate import require_valid_geometry, to_bng

__all__ = [
    "SpatialWeights",
    "build_weights",
    "restrict_weights",
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
        matrix = _contiguity(geoms, used_tol)
        chosen = "tolerant"
    else:
        matrix = _contiguity(geoms, 0.0)
        chosen = "queen"
        islands = int((np.diff(matrix.indptr) == 0).sum())
        if method == "auto":
            snapped = _contiguity(geoms, 1.0)
            extra = (snapped.nnz - matrix.nnz) // 2
            if islands > max_island_share * len(areas) or extra > 0.01 * matrix.nnz / 2:
                notes.append(
                    f"exact contiguity left {islands} area(s) without a neighbour and missed "
                    f"{extra} pair(s) less than 1 m apart (the boundaries do not meet exactly)"
                )
                for tol in (1.0, 5.0, 20.0, 50.0):
                    matrix = snapped if tol == 1.0 else _contiguity(geoms, tol)
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
    areas = to_bng(areas, what="areas")
    position = pd.Series(np.arange(len(weights.ids)), index=weights.ids)
    missing = areas.index.difference(weights.ids)
    if len(missing):
        raise InclusionGeoError(
            f"{len(missing)} area(s) are not in the weights, e.g. {missing[:3].tolist()}."
        )
    idx = position.reindex(areas.index).to_numpy()
    sub = weights.matrix[idx][:, idx].tocsr()
    sub, joined = _join_islands(sub, areas)
    card = np.diff(sub.indptr)
    report = (
        f"{weights.method} contiguity restricted to {len(areas)} areas: mean {card.mean():.1f} "
        f"neighbours (min {card.min()}, max {card.max()})"
        + (
            f"; {joined} area(s) with no neighbour inside were joined to their nearest area"
            if joined
            else ""
        )
        + "."
    )
    return SpatialWeights(
        ids=areas.index.copy(), matrix=sub, method=weights.method, tolerance_m=weights.tolerance_m,
        n_knn_joined=joined, report=report,
    )  # fmt: skip


def _contiguity(geoms: np.ndarray, tolerance: float) -> sp.csr_matrix:
    import shapely

    tree = shapely.STRtree(geoms)
    if tolerance > 0:
        left, right = tree.query(geoms, predicate="dwithin", distance=tolerance)
    else:
        left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    n = len(geoms)
    m = sp.coo_matrix((np.ones(keep.sum()), (left[keep], right[keep])), shape=(n, n)).tocsr()
    m = ((m + m.T) > 0).astype(np.float64)
    m.setdiag(0)
    m.eliminate_zeros()
    return m.tocsr()


def _join_islands(matrix: sp.csr_matrix, areas: gpd.GeoDataFrame) -> tuple[sp.csr_matrix, int]:
    from scipy.spatial import cKDTree

    card = np.diff(matrix.indptr)
    islands = np.flatnonzero(card == 0)
    if islands.size == 0:
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
    weights: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
    fdr: bool = True,
    chunk_size: int = 4096,
) -> pd.DataFrame:
    """Getis-Ord Gi* and local Moran's I with conditional permutation inference.

    Parameters
    ----------
    values
        One value per area (e.g. the risk index), indexed like ``weights.ids``.
    weights
        From :func:`build_weights`.
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
    y = _aligned(values, weights)
    n = y.size
    W = weights.matrix
    k = weights.cardinalities.astype(np.int64)
    if permutations < 0:
        raise InclusionGeoError(f"permutations must be >= 0, got {permutations}.")
    if np.isclose(y.std(), 0.0):
        raise DataQualityError(
            f"{values.name!r} has the same value in every area, so there are no hotspots to find."
        )
    lag = W @ y  # sum of neighbours' values
    # Gi* (binary weights with the area itself included), as esda G_Local(star=True, 'B')
    card_star = k + 1.0
    total = y.sum()
    gi = (lag + y) / total
    mean, s = total / n, np.sqrt((y**2).sum() / n - (total / n) ** 2)
    gi_z = (lag + y - mean * card_star) / (s * np.sqrt(card_star * (n - card_star) / (n - 1)))
    # local Moran's I, row-standardised, as esda Moran_Local
    z = y - mean
    den = (z**2).sum()
    lag_z_mean = (W @ z) / k
    moran = (n - 1) * z * lag_z_mean / den
    quadrant = np.where(z > 0, np.where(lag_z_mean > 0, 1, 4), np.where(lag_z_mean > 0, 2, 3))
    out = pd.DataFrame(
        {
            "gi_star": gi,
            "gi_z": gi_z,
            "gi_p_norm": 2 * stats.norm.sf(np.abs(gi_z)),
            "moran_i": moran,
            "moran_quadrant": quadrant.astype(np.int64),
        },
        index=weights.ids,
    )
    if permutations:
        gi_larger, mo_larger = _conditional_permutations(
            y, k, lag, permutations=permutations, seed=seed, chunk_size=chunk_size
        )
        out["gi_p_sim"] = _fold(gi_larger, permutations)
        out["moran_p_sim"] = _fold(mo_larger, permutations)
        gi_p, mo_p = out["gi_p_sim"], out["moran_p_sim"]
    else:
        gi_p = out["gi_p_norm"]
        mo_p = pd.Series(np.ones(n), index=out.index)
    out["gi_q"] = benjamini_hochberg(gi_p) if fdr else gi_p
    out["moran_q"] = benjamini_hochberg(mo_p) if fdr else mo_p
    out["hotspot_class"] = hotspot_classes(out["gi_z"], out["gi_q"])
    significant = out["moran_q"] <= alpha
    names = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}
    out["cluster_class"] = np.where(
        significant, out["moran_quadrant"].map(names), "Not significant"
    )
    return out.reindex(values.index)


def _aligned(values: pd.Series, weights: SpatialWeights) -> np.ndarray:
    if not isinstance(values, pd.Series):
        raise TypeError("values must be a pandas Series indexed by area code.")
    if values.isna().any():
        raise DataQualityError(
            f"{values.name!r} is missing for {int(values.isna().sum())} area(s), e.g. "
            f"{values.index[values.isna()][:5].tolist()}; hotspot statistics need every value."
        )
    missing = weights.ids.difference(values.index)
    extra = values.index.difference(weights.ids)
    if len(missing) or len(extra):
        raise InclusionGeoError(
            f"values and weights cover different areas ({len(missing)} only in weights, "
            f"{len(extra)} only in values, e.g. {missing[:3].tolist() + extra[:3].tolist()}). "
            "Build the weights from the same areas you score."
        )
    return values.reindex(weights.ids).to_numpy(dtype=float)


def _conditional_permutations(
    y: np.ndarray,
    k: np.ndarray,
    lag: np.ndarray,
    *,
    permutations: int,
    seed: int,
    chunk_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Count random statistics >= observed, for Gi* and local Moran, from one set of draws.

    Each draw is a random ordering of all areas, truncated to ``max(k) + 1`` places. Area ``i``'s
    random neighbour sum is the sum of the first ``k_i`` places, unless ``i`` itself is among
    them, in which case it is the first ``k_i + 1`` places less ``y_i``: a uniform draw of
    ``k_i`` other areas either way. Prefix sums make this O(permutations x n).
    """
    rng = np.random.default_rng(seed)
    n = y.size
    width = int(k.max()) + 1
    draws = _draws(rng, n, width, permutations)
    prefix = np.zeros((permutations, width + 1))
    np.cumsum(y[draws], axis=1, out=prefix[:, 1:])
    # where an area appears in a draw at a place before its own k: (perm, area) -> fix-up
    places = np.broadcast_to(np.arange(width), draws.shape)
    inside = places < k[draws]
    fix_perm, fix_place = np.nonzero(inside)
    fix_area = draws[fix_perm, fix_place]
    order = np.argsort(fix_area, kind="stable")
    fix_perm, fix_area = fix_perm[order], fix_area[order]
    bounds = np.searchsorted(fix_area, np.arange(0, n + 1))

    obs_gi_sum = lag  # Gi* and Moran are monotone in the neighbour sum, given y_i and k_i
    gi_larger = np.empty(n)
    mo_larger = np.empty(n)
    mean = y.mean()
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        idx = np.arange(start, stop)
        kk = k[idx]
        sums = prefix[:, kk]  # (perm, chunk)
        lo, hi = bounds[start], bounds[stop]
        if hi > lo:
            fp, fa = fix_perm[lo:hi], fix_area[lo:hi]
            sums[fp, fa - start] = prefix[fp, k[fa] + 1] - y[fa]
        # Gi*: statistic increases with the neighbour sum
        gi_larger[idx] = (sums >= obs_gi_sum[idx] - 1e-12 * np.abs(obs_gi_sum[idx])).sum(axis=0)
        # local Moran: I = c * z_i * (sum - k_i * mean); direction depends on the sign of z_i
        zi = y[idx] - mean
        rand_i = zi * (sums - kk * mean)
        obs_i = zi * (obs_gi_sum[idx] - kk * mean)
        mo_larger[idx] = (rand_i >= obs_i - 1e-12 * np.abs(obs_i)).sum(axis=0)
    return gi_larger, mo_larger


def _draws(rng: np.random.Generator, n: int, width: int, permutations: int) -> np.ndarray:
    """``permutations`` random orderings of ``n`` areas, truncated to ``width`` places."""
    if n * permutations <= 20_000_000:  # small study areas: shuffle all rows at once
        return rng.permuted(np.tile(np.arange(n), (permutations, 1)), axis=1)[:, :width]
    draws = np.empty((permutations, width), dtype=np.int64)
    for p in range(permutations):
        draws[p] = rng.choice(n, size=width, replace=False)
    return draws


def _fold(larger: np.ndarray, permutations: int) -> np.ndarray:
    larger = larger.copy()
    low = (permutations - larger) < larger
    larger[low] = permutations - larger[low]
    return (larger + 1.0) / (permutations + 1.0)


def benjamini_hochberg(p: pd.Series) -> pd.Series:
    """Benjamini-Hochberg adjusted p-values (q-values); ``q <= alpha`` controls the FDR."""
    values = p.to_numpy(dtype=float)
    n = values.size
    order = np.argsort(values)
    ranked = values[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return pd.Series(out, index=p.index, name=p.name)


def hotspot_classes(z: pd.Series, p: pd.Series) -> pd.Series:
    """Hot/cold spot classes at 99/95/90 % confidence from a z-score's sign and a p-value."""
    zv, pv = z.to_numpy(), p.to_numpy()
    level = np.select([pv <= 0.01, pv <= 0.05, pv <= 0.10], ["99%", "95%", "90%"], default="")
    kind = np.where(zv > 0, "Hot spot", "Cold spot")
    labels = np.where(level == "", "Not significant", np.char.add(np.char.add(kind, " ("), level))
    labels = np.where(level == "", labels, np.char.add(labels.astype(str), ")"))
    return pd.Series(labels, index=z.index, name="hotspot_class")


def global_moran(
    values: pd.Series, weights: SpatialWeights, *, permutations: int = 999, seed: int = 0
) -> dict[str, float]:
    """Global Moran's I (row-standardised weights) with its analytic and permutation p-values.

    Returns ``{"I", "expected_I", "z_norm", "p_norm", "p_sim"}`` as esda ``Moran`` does
    (``p_norm`` two-sided under normality, ``p_sim`` one-sided pseudo p-value).
    """
    y = _aligned(values, weights)
    n = y.size
    W = weights.matrix
    k = weights.cardinalities.astype(float)
    Wr = sp.diags(1.0 / k) @ W
    z = y - y.mean()
    s0 = float(n)
    i_obs = (n / s0) * (z @ (Wr @ z)) / (z @ z)
    ei = -1.0 / (n - 1)
    s1 = 0.5 * float(((Wr + Wr.T).power(2)).sum())
    s2 = float(
        ((np.asarray(Wr.sum(axis=1)).ravel() + np.asarray(Wr.sum(axis=0)).ravel()) ** 2).sum()
    )
    vi = (n**2 * s1 - n * s2 + 3 * s0**2) / ((n**2 - 1) * s0**2) - ei**2
    z_norm = (i_obs - ei) / np.sqrt(vi)
    rng = np.random.default_rng(seed)
    sims = np.empty(permutations)
    block = max(1, 20_000_000 // max(n, 1))
    for start in range(0, permutations, block):  # whole blocks of permutations at once
        count = min(block, permutations - start)
        zp = rng.permuted(np.tile(z, (count, 1)), axis=1)  # (count, n)
        lagged = (Wr @ zp.T).T
        sims[start : start + count] = (zp * lagged).sum(axis=1) / (zp * zp).sum(axis=1)
    larger = (sims >= i_obs).sum()
    if permutations - larger < larger:
        larger = permutations - larger
    return {
        "I": float(i_obs),
        "expected_I": ei,
        "z_norm": float(z_norm),
        "p_norm": float(2 * stats.norm.sf(abs(z_norm))),
        "p_sim": float((larger + 1) / (permutations + 1)) if permutations else float("nan"),
    }

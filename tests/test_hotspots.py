import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from inclusion_geo._errors import DataQualityError, InclusionGeoError
from inclusion_geo.hotspots import (
    benjamini_hochberg,
    build_weights,
    global_moran,
    hotspot_classes,
    local_statistics,
    restrict_weights,
    split_weights,
)


def grid(n=5, gap=0.0):
    """n x n squares of 100 m; with gap > 0 the squares do not touch."""
    cells = [
        box(x * 100, y * 100, x * 100 + 100 - gap, y * 100 + 100 - gap)
        for y in range(n)
        for x in range(n)
    ]
    idx = pd.Index([f"E01{i:06d}" for i in range(n * n)], name="lsoa11cd")
    return gpd.GeoDataFrame(geometry=cells, index=idx, crs="EPSG:27700")


def test_queen_on_a_grid_by_hand():
    w = build_weights(grid(3))
    card = dict(zip(w.ids, w.cardinalities, strict=True))
    assert card["E01000004"] == 8  # centre
    assert card["E01000000"] == 3  # corner
    assert card["E01000001"] == 5  # edge
    assert w.method == "queen" and w.n_knn_joined == 0
    assert (w.matrix != w.matrix.T).nnz == 0


def test_boundaries_that_do_not_touch_fall_back_to_tolerant_contiguity():
    w = build_weights(grid(3, gap=3.0))  # 3 m slivers between every pair
    assert w.method == "tolerant" and w.tolerance_m == 5.0
    assert dict(zip(w.ids, w.cardinalities, strict=True))["E01000004"] == 8
    assert "without a neighbour" in w.report


def test_islands_are_joined_to_their_nearest_area():
    g = grid(3)
    far = gpd.GeoDataFrame(
        geometry=[box(5000, 5000, 5100, 5100)],
        index=pd.Index(["E01999999"], name="lsoa11cd"),
        crs=g.crs,
    )
    w = build_weights(pd.concat([g, far]))
    assert w.n_knn_joined == 1
    assert w.cardinalities.min() >= 1


def _conditional_p_sim(y: np.ndarray, w, *, permutations: int, seed: int) -> dict:
    """esda's conditional permutation p-values, written out plainly: for each area, its value
    held fixed and ``k_i`` of the others drawn at random (``permutations`` times), the folded
    share of random statistics at least the observed one."""
    rng = np.random.default_rng(seed)
    n = y.size
    W = w.matrix.tocsr()
    z = y - y.mean()
    out = {"gi_p_sim": np.empty(n), "moran_p_sim": np.empty(n)}
    for i in range(n):
        neighbours = W.indices[W.indptr[i] : W.indptr[i + 1]]
        k = neighbours.size
        others = np.delete(np.arange(n), i)
        drawn = rng.permuted(np.tile(others, (permutations, 1)), axis=1)[:, :k]
        for key, observed, random in [
            ("gi_p_sim", y[neighbours].sum(), y[drawn].sum(axis=1)),  # Gi*: the neighbour sum
            ("moran_p_sim", z[i] * z[neighbours].mean(), z[i] * z[drawn].mean(axis=1)),
        ]:
            larger = (random >= observed - 1e-12 * abs(observed)).sum()
            larger = min(larger, permutations - larger)
            out[key][i] = (larger + 1) / (permutations + 1)
    return out


def test_gi_star_and_local_moran_agree_with_esda(demo):
    """The statistics equal esda's, taken on its analytic path (``permutations=0``: esda's
    permutation path compiles numba kernels, which once made this test take minutes); the
    permutation p-values agree with the conditional permutation written out plainly, and
    Gi*'s with esda's analytic (normal) p-values."""
    y = demo.counts["imd_score"]
    w = build_weights(demo.areas)
    ours = local_statistics(y, w, permutations=999, seed=7)
    lw = w.to_libpysal()
    gi = esda.G_Local(
        y.to_numpy(),
        libpysal.weights.fill_diagonal(lw, 1.0),
        transform="B",
        star=True,
        permutations=0,
    )
    np.testing.assert_allclose(ours["gi_z"], gi.Zs, atol=1e-9)
    np.testing.assert_allclose(ours["gi_star"], gi.Gs, atol=1e-12)
    lw.transform = "r"
    lm = esda.Moran_Local(y.to_numpy(), lw, permutations=0)
    np.testing.assert_allclose(ours["moran_i"], lm.Is, atol=1e-9)
    # quadrants follow esda's numbering (1 HH, 2 LH, 3 LL, 4 HL)
    assert (ours["moran_quadrant"].to_numpy() == lm.q).all()
    # permutation p-values: different random draws (999 against 299), same distribution
    plain = _conditional_p_sim(y.to_numpy(dtype=float), w, permutations=299, seed=11)
    for col, ref in plain.items():
        assert np.corrcoef(ours[col], ref)[0, 1] > 0.97
        assert np.abs(ours[col].to_numpy() - ref).max() < 0.15
        assert ((ours[col] <= 0.05) == (ref <= 0.05)).mean() > 0.9
    assert np.corrcoef(ours["gi_p_sim"], gi.p_norm)[0, 1] > 0.95


def test_permutation_p_values_are_seeded(demo):
    y = demo.counts["imd_score"]
    w = build_weights(demo.areas)
    a = local_statistics(y, w, permutations=99, seed=1)
    b = local_statistics(y, w, permutations=99, seed=1)
    c = local_statistics(y, w, permutations=99, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a["gi_p_sim"].equals(c["gi_p_sim"])


def test_permutation_null_is_uniform_for_random_values():
    """Under spatial randomness, p_sim should not pile up near 0."""
    g = grid(12)
    rng = np.random.default_rng(0)
    y = pd.Series(rng.normal(size=len(g)), index=g.index, name="noise")
    res = local_statistics(y, build_weights(g), permutations=499, seed=3)
    assert (res["gi_p_sim"] <= 0.05).mean() < 0.15
    assert (res["gi_q"] <= 0.05).sum() <= 3


def test_global_moran_matches_esda(demo):
    y = demo.counts["imd_score"]
    w = build_weights(demo.areas)
    ours = global_moran(y, w, permutations=99)
    lw = w.to_libpysal()
    lw.transform = "r"
    ref = esda.Moran(y.to_numpy(), lw, permutations=0)
    assert ours["I"] == pytest.approx(ref.I, abs=1e-12)
    assert ours["z_norm"] == pytest.approx(ref.z_norm, abs=1e-9)
    assert ours["p_norm"] == pytest.approx(ref.p_norm, rel=1e-6)
    assert ours["z_rand"] == pytest.approx(ref.z_rand, abs=1e-9)
    assert ours["p_rand"] == pytest.approx(ref.p_rand, rel=1e-6)


def test_randomisation_variance_is_the_variance_over_every_permutation():
    """Moran's I over all 5! orderings of 5 values on a ring: the analytic mean and variance
    under randomisation are those of the 120 permuted statistics exactly."""
    import itertools

    from inclusion_geo.hotspots import SpatialWeights

    n = 5
    ring = np.zeros((n, n))
    for i in range(n):
        ring[i, (i + 1) % n] = ring[(i + 1) % n, i] = 1
    ids = [f"a{i}" for i in range(n)]
    import scipy.sparse as sp

    w = SpatialWeights(pd.Index(ids), sp.csr_matrix(ring), "ring", 0.0, 0, "a ring of 5")
    y = np.array([1.0, 4.0, 2.0, 8.0, 3.0])
    stats_ = [
        global_moran(pd.Series(y[list(p)], index=ids), w, permutations=0)["I"]
        for p in itertools.permutations(range(n))
    ]
    out = global_moran(pd.Series(y, index=ids), w, permutations=0)
    z_exact = (out["I"] - np.mean(stats_)) / np.std(stats_)
    assert np.mean(stats_) == pytest.approx(out["expected_I"], abs=1e-12)
    assert out["z_rand"] == pytest.approx(z_exact, rel=1e-9)


def test_benjamini_hochberg_by_hand():
    p = pd.Series([0.01, 0.04, 0.03, 0.20])
    # sorted 0.01,0.03,0.04,0.20 -> 0.04,0.06,0.0533,0.20 -> monotone 0.04,0.0533,0.0533,0.20
    np.testing.assert_allclose(benjamini_hochberg(p), [0.04, 0.16 / 3, 0.16 / 3, 0.2])


def test_hotspot_classes():
    z = pd.Series([3.0, 2.0, 1.7, 0.5, -2.0])
    p = pd.Series([0.001, 0.03, 0.08, 0.5, 0.009])
    assert hotspot_classes(z, p).tolist() == [
        "Hot spot (99%)", "Hot spot (95%)", "Hot spot (90%)", "Not significant", "Cold spot (99%)"
    ]  # fmt: skip


def test_bad_inputs(demo):
    w = build_weights(demo.areas)
    y = demo.counts["imd_score"].copy()
    with pytest.raises(DataQualityError, match="same value"):
        local_statistics(y * 0 + 1, w)
    y.iloc[3] = np.nan
    with pytest.raises(DataQualityError, match="missing"):
        local_statistics(y, w)
    with pytest.raises(DataQualityError, match="at least three"):
        build_weights(grid(1))
    y = demo.counts["imd_score"]
    with pytest.raises(InclusionGeoError, match="repeated area codes"):
        local_statistics(pd.concat([y, y.iloc[:2]]), w)
    with pytest.raises(InclusionGeoError, match="cover different areas"):
        local_statistics(y.iloc[:-5], w)


def test_split_weights_and_grouped_statistics_equal_each_group_alone():
    g = grid(6)
    rng = np.random.default_rng(4)
    y = pd.Series(rng.normal(size=len(g)), index=g.index, name="risk")
    # columns 0-2 in "A", 3-5 in "B", and one "B" cell stranded among "A" (an island in B)
    col = np.arange(len(g)) % 6
    g["lad"] = np.where(col < 3, "A", "B")
    g.loc["E01000001", "lad"] = "B"
    w = build_weights(g)
    parts = split_weights(w, g, "lad")
    assert list(parts) == ["A", "B"]
    for lad, own in parts.items():
        alone = restrict_weights(w, g[g["lad"] == lad])
        assert own.ids.equals(alone.ids)
        assert (own.matrix != alone.matrix).nnz == 0
    assert parts["B"].n_knn_joined == 1 and "joined" in parts["B"].report
    together = local_statistics(y, parts, permutations=99, seed=5)
    moran = global_moran(y, parts, permutations=99, seed=5)
    for lad, own in parts.items():
        alone = local_statistics(y.loc[own.ids], own, permutations=99, seed=5)
        pd.testing.assert_frame_equal(together.loc[own.ids], alone)
        assert moran[lad] == pytest.approx(
            global_moran(y.loc[own.ids], own, permutations=99, seed=5)
        )


def test_grouped_statistics_name_the_group_that_cannot_be_tested():
    g = grid(4)
    g["lad"] = ["A"] * 14 + ["B"] * 2
    y = pd.Series(np.arange(16.0), index=g.index, name="risk")
    with pytest.raises(DataQualityError, match="Only 2 area.* in B"):
        local_statistics(y, split_weights(build_weights(g), g, "lad"))


def test_benjamini_hochberg_within_groups_by_hand():
    p = pd.Series([0.01, 0.04, 0.03, 0.20, 0.5, 0.01])
    groups = ["x", "x", "x", "x", "y", "y"]
    q = benjamini_hochberg(p, groups=groups)
    np.testing.assert_allclose(q[:4], benjamini_hochberg(p[:4]))
    np.testing.assert_allclose(q[4:], benjamini_hochberg(p[4:]))
    np.testing.assert_allclose(q[4:], [0.5, 0.02])


def test_partial_draws_are_uniform_draws_of_distinct_areas():
    """Above WHOLE_SHUFFLE_MAX each permutation draws only its first places (rows redrawn
    while they repeat an area): each row distinct, each area equally likely at each place."""
    from inclusion_geo import hotspots

    n, width, permutations = 60, 7, 100_000
    assert n * permutations > hotspots.WHOLE_SHUFFLE_MAX and width * width <= n
    draws = hotspots._draws(np.random.default_rng(0), n, width, permutations)
    assert draws.shape == (permutations, width)
    assert not hotspots._repeats(draws).any()
    for place in (0, width - 1):
        counts = np.bincount(draws[:, place], minlength=n)
        expected = permutations / n
        assert ((counts - expected) ** 2 / expected).sum() < 110  # chi-squared, 59 d.f.


def test_global_moran_of_a_large_study_area_takes_the_pair_path_and_agrees():
    """The per-pair permutation path (large study areas) gives the same null distribution as
    the whole-row path: pseudo p-values for one data set agree within noise."""
    from inclusion_geo import hotspots

    g = grid(30)  # 900 areas: x 999 permutations is above WHOLE_SHUFFLE_MAX
    rng = np.random.default_rng(4)
    y = rng.normal(size=len(g)) + 0.002 * (np.arange(len(g)) % 30)  # no clear pattern
    w = build_weights(g)
    assert len(g) * 999 > hotspots.WHOLE_SHUFFLE_MAX
    pair = global_moran(pd.Series(y, index=g.index), w, permutations=999, seed=1)
    whole = hotspots._moran(y, w, permutations=0, seed=1)
    assert pair["I"] == pytest.approx(whole["I"]) and pair["z_norm"] == pytest.approx(
        whole["z_norm"]
    )
    ref = esda.Moran(y, _row_standardised(w), permutations=0)
    assert pair["I"] == pytest.approx(ref.I, abs=1e-12)
    # the permutation p-value agrees with the normal approximation where that holds
    one_sided = pair["p_norm"] / 2
    assert 0.1 < pair["p_sim"] and abs(pair["p_sim"] - one_sided) < 0.05


def _row_standardised(w):
    lw = w.to_libpysal()
    lw.transform = "r"
    return lw


def _pinned_case(side: int, kind: str):
    """The inputs whose results are pinned below, drawn in order from one generator."""
    rng = np.random.default_rng(15)
    for s, k in ((12, "normal"), (30, "normal"), (30, "binary"), (30, "integers")):
        g = grid(s)
        n = len(g)
        values = {  # all three drawn for every case, as when the figures were recorded
            "normal": rng.normal(size=n) + np.arange(n) % s / s,
            "binary": (rng.random(n) < 0.05).astype(float),
            "integers": rng.integers(0, 5, n).astype(float),
        }
        if (s, k) == (side, kind):
            return g, pd.Series(values[k], index=g.index, name="v")
    raise AssertionError((side, kind))


@pytest.mark.parametrize(
    "side, kind, gi_sum, gi_moment, mo_sum, mo_moment, p_sim, moran_i, n_hot, n_clusters",
    [
        (12, "normal", 29453, 2037796, 29453, 2037796, 0.021, 0.09237116609186795, 0, 0),
        (30, "normal", 202726, 91037044, 202726, 91037044, 0.001, 0.07239284027174588, 0, 0),
        (30, "binary", 100490, 46670992, 197849, 87333897, 0.071, -0.02570588235294117, 571, 40),
        (30, "integers", 206913, 90924604, 205629, 91950847, 0.336, 0.006187378405159448, 0, 0),
    ],
)
def test_results_are_those_of_the_earlier_implementation(
    side, kind, gi_sum, gi_moment, mo_sum, mo_moment, p_sim, moran_i, n_hot, n_clusters
):
    """Same seed, same results as the code before the speed-up (2026-11-26), which compared
    every random sum and took global Moran's I one permutation at a time: figures recorded
    from it. 144 areas take the whole-shuffle paths; 900 the partial draws and the per-pair
    global Moran; binary and small-integer values make many exact ties."""
    g, y = _pinned_case(side, kind)
    w = build_weights(g)
    loc = local_statistics(y, w, permutations=999, seed=7)
    moran = global_moran(y, w, permutations=999, seed=7)
    gi = np.rint(loc["gi_p_sim"].to_numpy() * 1000).astype(int)  # (count + 1), folded
    mo = np.rint(loc["moran_p_sim"].to_numpy() * 1000).astype(int)
    at = np.arange(len(g))
    assert (gi.sum(), gi @ at, mo.sum(), mo @ at) == (gi_sum, gi_moment, mo_sum, mo_moment)
    assert moran["p_sim"] == p_sim and moran["I"] == moran_i
    assert (loc["hotspot_class"] != "Not significant").sum() == n_hot
    assert (loc["cluster_class"] != "Not significant").sum() == n_clusters


@pytest.mark.parametrize("n, permutations", [(60, 99), (150, 999), (900, 999)])
def test_sorted_counts_equal_comparing_every_random_sum(n, permutations):
    """The counts from sorted columns and binary search equal those from comparing every
    random neighbour sum (each area's first ``k_i`` places other than itself in each draw),
    on values with many exact ties."""
    from inclusion_geo import hotspots

    g = grid(int(np.sqrt(n)))
    w = build_weights(g)
    rng = np.random.default_rng(n)
    y = rng.integers(0, 4, len(g)).astype(float)
    k = w.cardinalities.astype(np.int64)
    lag = w.matrix @ y
    gi, mo = hotspots._conditional_permutations(y, k, lag, permutations=permutations, seed=3)
    draws = hotspots._draws(np.random.default_rng(3), len(g), int(k.max()) + 1, permutations)
    mean = y.mean()
    for i in range(len(g)):
        others = draws != i
        take = others & (np.cumsum(others, axis=1) <= k[i])
        sums = (y[draws] * take).sum(axis=1)
        assert (take.sum(axis=1) == k[i]).all()
        # rounding aside (the tolerance), the sums are the same numbers
        gi_floor = lag[i] - 1e-12 * abs(lag[i])
        zi = y[i] - mean
        obs = zi * (lag[i] - k[i] * mean)
        assert gi[i] == (sums >= gi_floor).sum()
        assert mo[i] == (zi * (sums - k[i] * mean) >= obs - 1e-12 * abs(obs)).sum()


def test_global_moran_blocks_take_ties_one_permutation_at_a_time():
    """Blocks of permutations sum in another order, so a permuted I equal to the observed one
    can come out a bit either side of it; those are recomputed one at a time, as before, so
    the count of permuted I >= observed is exactly the one-at-a-time count."""
    from inclusion_geo import hotspots

    g = grid(30)
    w = build_weights(g)
    W, k = w.matrix, w.cardinalities.astype(float)
    coo = W.tocoo()
    once = coo.row < coo.col
    left, right = coo.row[once], coo.col[once]
    flips = 0
    for trial in (13, 16, 17):  # seeds whose blocks put ties on the wrong side
        y = (np.random.default_rng(trial).random(len(g)) < 0.05).astype(float)
        z = y - y.mean()
        i_obs = (z @ ((W @ z) / k)) / (z @ z)
        rng = np.random.default_rng(trial)
        plain = np.array(
            [
                (zp[left] * zp[right] * (1.0 / k[left] + 1.0 / k[right])).sum() / (z @ z)
                for zp in (rng.permutation(z) for _ in range(999))
            ]
        )
        sims = hotspots._pair_sims(z, W, k, np.random.default_rng(trial), 999, i_obs)
        assert ((sims >= i_obs) == (plain >= i_obs)).all()
        np.testing.assert_allclose(sims, plain, rtol=0, atol=1e-12)
        # the same blocks with nothing recomputed (no permuted I is near +inf)
        raw = hotspots._pair_sims(z, W, k, np.random.default_rng(trial), 999, np.inf)
        flips += int(((raw >= i_obs) != (plain >= i_obs)).sum())
    assert flips > 0  # so the recomputation is needed, and tested


def test_three_areas_give_no_randomisation_test_rather_than_an_error(demo):
    """Three areas are enough to run; the randomisation variance needs four, so the global
    test is NaN (and the summary says why) instead of a division by zero."""
    from inclusion_geo.pipeline import run_stage_two
    from inclusion_geo.report import summary_text

    ward = demo.areas["ward_code"].iloc[0]
    areas = demo.areas[demo.areas["ward_code"] == ward].iloc[:3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # assets outside so small an area
        result = run_stage_two(
            areas, demo.counts.loc[areas.index], demo.assets,
            centroids=demo.centroids.loc[areas.index], permutations=99,
        )  # fmt: skip
    assert np.isnan(result.global_moran["z_rand"]) and np.isnan(result.global_moran["p_rand"])
    assert "no test: too few areas" in summary_text(result)

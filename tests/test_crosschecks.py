"""Cross-checks of the statistics against independent implementations and published formulas.

- Benjamini-Hochberg q-values against ``scipy.stats.false_discovery_control`` (random p-values,
  and the real Leeds hotspot p-values, pooled and by group).
- Contiguity weights against ``libpysal.weights.fuzzy_contiguity`` on the real Leeds LSOAs.
- The IoD exponential transformation against values worked out by hand from the IoD 2019
  technical report's formula.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libpysal.weights import fuzzy_contiguity
from scipy.stats import false_discovery_control

from inclusion_geo.hotspots import (
    benjamini_hochberg,
    build_weights,
    local_statistics,
    split_weights,
)
from inclusion_geo.scoring import normalise

LEEDS = ("ons-boundaries-martinjc", "lsoa_by_lad", "E08000035.json")


def scipy_bh(p: pd.Series, groups=None) -> np.ndarray:
    """SciPy's BH q-values, applied to each group on its own."""
    values = p.to_numpy(dtype=float)
    if groups is None:
        return false_discovery_control(values, method="bh")
    groups = np.asarray(groups)
    out = np.empty(values.size)
    for g in np.unique(groups):
        mask = groups == g
        out[mask] = false_discovery_control(values[mask], method="bh")
    return out


# --- Benjamini-Hochberg ------------------------------------------------------------------------

# p-values with ties (permutation p-values are discrete) as well as arbitrary floats
p_values = st.lists(
    st.one_of(
        st.floats(0.0, 1.0, allow_nan=False),
        st.sampled_from([0.001, 0.01, 0.05, 0.5, 1.0]),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(p_values)
def test_benjamini_hochberg_equals_scipy(p):
    p = pd.Series(p)
    np.testing.assert_allclose(benjamini_hochberg(p), scipy_bh(p), rtol=1e-12, atol=0)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_grouped_benjamini_hochberg_equals_scipy_on_each_group(data):
    p = pd.Series(data.draw(p_values))
    groups = data.draw(st.lists(st.sampled_from("abcd"), min_size=len(p), max_size=len(p)))
    np.testing.assert_allclose(
        benjamini_hochberg(p, groups=groups), scipy_bh(p, groups), rtol=1e-12, atol=0
    )


@pytest.fixture(scope="module")
def leeds_areas(shared_data):
    from inclusion_geo.sources import load_composite_uk_imd, read_boundaries

    with pytest.warns(UserWarning, match="invalid polygon"):
        areas = read_boundaries(shared_data.joinpath(*LEEDS))
    imd = load_composite_uk_imd(shared_data / "mysociety-composite-uk-imd" / "UK_IMD_E.csv")
    return areas.assign(imd_score=imd["imd_score"].reindex(areas.index))


@pytest.fixture(scope="module")
def leeds_weights(leeds_areas):
    return build_weights(leeds_areas)


@pytest.mark.shared_data
def test_benjamini_hochberg_equals_scipy_on_leeds_hotspot_p_values(leeds_areas, leeds_weights):
    y = leeds_areas["imd_score"].rename("imd_score")
    out = local_statistics(y, leeds_weights, permutations=999, seed=0)
    for p, q in (("gi_p_sim", "gi_q"), ("moran_p_sim", "moran_q")):
        assert out[p].nunique() < len(out)  # discrete permutation p-values: ties are tested
        np.testing.assert_allclose(out[q], scipy_bh(out[p]), rtol=1e-12, atol=0)
    # the q-values decide classes: some, but not all, areas stay significant after the FDR
    assert 0 < (out["gi_q"] <= 0.05).sum() < (out["gi_p_sim"] <= 0.05).sum()
    # grouped form, direct: q within each MSOA ("Leeds 011A" -> "Leeds 011")
    msoa = leeds_areas["name"].str[:-1].reindex(out.index)
    np.testing.assert_allclose(
        benjamini_hochberg(out["gi_p_sim"], groups=msoa),
        scipy_bh(out["gi_p_sim"], msoa),
        rtol=1e-12,
        atol=0,
    )


@pytest.mark.shared_data
def test_grouped_hotspot_fdr_equals_scipy_within_each_group_on_leeds(leeds_areas, leeds_weights):
    """local_statistics with {group: weights} applies the FDR within each group."""
    half = np.where(leeds_areas["name"].str[6:9].astype(int) < 60, "north", "south")
    areas = leeds_areas.assign(half=half)
    parts = split_weights(leeds_weights, areas, "half")
    y = areas["imd_score"].rename("imd_score")
    out = local_statistics(y, parts, permutations=999, seed=0)
    groups = areas["half"].reindex(out.index)
    assert groups.value_counts().min() > 100
    np.testing.assert_allclose(out["gi_q"], scipy_bh(out["gi_p_sim"], groups), rtol=1e-12)
    np.testing.assert_allclose(out["moran_q"], scipy_bh(out["moran_p_sim"], groups), rtol=1e-12)
    # and it is not the pooled adjustment
    assert not np.allclose(out["gi_q"], scipy_bh(out["gi_p_sim"]))


# --- contiguity --------------------------------------------------------------------------------


def neighbour_sets(ids, matrix) -> dict:
    return {code: set(ids[matrix[k].indices]) for k, code in enumerate(ids)}


def differences(ours: dict, theirs: dict) -> list[tuple]:
    """(area, neighbour, in ours, in theirs) for each pair where the two disagree."""
    return sorted(
        (i, j, j in ours[i], j in theirs.get(i, set())) for i in ours for j in ours[i] ^ theirs[i]
    )


def fuzzy_neighbours(areas, buffer=None) -> dict:
    """libpysal's fuzzy contiguity (on a copy: it adds a column to the frame it is given)."""
    if buffer is None:
        w = fuzzy_contiguity(areas.copy())
    else:
        w = fuzzy_contiguity(areas.copy(), buffering=True, buffer=buffer)
    return {k: set(v) for k, v in w.neighbors.items()}


@pytest.mark.shared_data
def test_automatic_weights_on_leeds_choose_1_m_snapping(leeds_weights):
    """build_weights tries exact Queen contiguity, and Leeds's generalised boundaries miss 73
    pairs under 1 m apart (more than 1 % of pairs), so it snaps at the first tolerance, 1 m;
    no area is left without a neighbour, so none is joined by nearest neighbour."""
    w = leeds_weights
    assert (w.method, w.tolerance_m, w.n_knn_joined) == ("tolerant", 1.0, 0)
    assert "missed 73 pair(s) less than 1 m apart" in w.report
    assert "areas within 1 m of each other were taken as neighbours" in w.report


@pytest.mark.shared_data
def test_leeds_contiguity_equals_libpysal_fuzzy_contiguity(leeds_areas, leeds_weights):
    """Areas within ``t`` of each other are neighbours here; in libpysal's fuzzy contiguity,
    areas whose buffers of ``buffer`` intersect, i.e. areas within ``2 * buffer``. So the same
    relation is ``buffer = t / 2``. Two things could still make them differ, and neither does on
    Leeds: shapely's buffer is a polygon inscribed in the true buffer (16 segments a quarter
    circle), so pairs between ``t cos(pi/64)`` and ``t`` apart (a band 1.2 mm wide at 1 m) may be
    missed by libpysal; and areas with no neighbour are joined to their nearest area here only
    (``n_knn_joined``, 0 on Leeds). The neighbour sets agree exactly."""
    w = leeds_weights
    theirs = fuzzy_neighbours(leeds_areas, w.tolerance_m / 2)
    ours = neighbour_sets(w.ids, w.matrix)
    assert set(theirs) == set(ours)
    diff = differences(ours, theirs)
    assert diff == [], f"{len(diff)} neighbour pair(s) differ, e.g. {diff[:5]}"
    assert sum(map(len, ours.values())) == w.matrix.nnz == 2 * 1383  # 1,383 pairs


@pytest.mark.shared_data
def test_leeds_exact_contiguity_equals_libpysal_and_the_gaps_it_misses_are_slivers(leeds_areas):
    """``queen`` (touching or overlapping) is fuzzy contiguity without buffering (predicate
    ``intersects``): 1,310 pairs. The 73 pairs that 1 m snapping adds are all less than 1 mm
    apart (floating-point slivers of the generalised file), and the nearest pair that is not
    taken is 3.06 m apart. So on Leeds any tolerance from 1 mm to 3 m gives the same weights,
    and the 1 m comparison above cannot tell 1 m from 2 m: the 5, 20 and 50 m comparisons
    below, which each add pairs, can."""
    import shapely

    queen = build_weights(leeds_areas, method="queen")
    assert queen.n_knn_joined == 0
    ours = neighbour_sets(queen.ids, queen.matrix)
    assert differences(ours, fuzzy_neighbours(leeds_areas)) == []
    assert queen.matrix.nnz == 2 * (1383 - 73)
    g = leeds_areas.geometry.to_numpy()
    left, right = shapely.STRtree(g).query(g, predicate="dwithin", distance=10.0)
    once = left < right
    d = np.sort(shapely.distance(g[left[once]], g[right[once]]))
    assert (d == 0).sum() == 1310 and d[1310 + 72] < 1e-3  # the 73 snapped pairs
    assert d[1383] == pytest.approx(3.062, abs=1e-3)  # the next pair out


@pytest.mark.shared_data
@pytest.mark.parametrize(("tolerance_m", "pairs"), [(5.0, 1386), (20.0, 1405), (50.0, 1473)])
def test_leeds_tolerant_contiguity_equals_libpysal(leeds_areas, tolerance_m, pairs):
    """``tolerant`` at ``t`` m is fuzzy contiguity with a ``t / 2`` m buffer, exactly, at each
    snapping distance build_weights can choose beyond 1 m (no island is joined at any)."""
    w = build_weights(leeds_areas, method="tolerant", tolerance_m=tolerance_m)
    assert w.n_knn_joined == 0 and w.matrix.nnz == 2 * pairs
    ours = neighbour_sets(w.ids, w.matrix)
    diff = differences(ours, fuzzy_neighbours(leeds_areas, tolerance_m / 2))
    assert diff == [], f"{len(diff)} neighbour pair(s) differ, e.g. {diff[:5]}"


# --- the IoD exponential transformation --------------------------------------------------------
#
# IoD 2019 technical report: X = -23 ln(1 - R (1 - exp(-100/23))), R the rank scaled to (0, 1]
# (1/N least deprived, 1 most deprived); X runs from 0 to 100. This package divides by 10.
# Worked out by hand (values to 10 significant figures):
#   100/23 = 4.347826087;  exp(-4.347826087) = 0.01293490139;  c = 1 - 0.01293490139 = 0.9870650986
#   R = 1/4: 1 - 0.25 c = 0.7532337253;  ln = -0.2833797071;  X = 23 x 0.2833797071 =  6.517733264
#   R = 1/2: 1 - 0.50 c = 0.5064674507;  ln = -0.6802952205;  X = 23 x 0.6802952205 = 15.64679007
#   R = 3/4: 1 - 0.75 c = 0.2597011760;  ln = -1.348223632;   X = 23 x 1.348223632  = 31.00914353
#   R = 1:   1 - c = exp(-100/23);       ln = -100/23;        X = 100 exactly
# Without a reference, R is an area's mid-rank share, (rank - 1/2) / N, so that tied areas score
# alike; N = 4 gives R = 1/8, 3/8, 5/8, 7/8 and, e.g.,
#   R = 1/8: 1 - 0.125 c = 0.8766168627; ln = -0.1316852547;  X = 3.028760859
#   R = 7/8: 1 - 0.875 c = 0.1363180387; ln = -1.992764603;   X = 45.83358588
# (the top area of 4 scores 45.8, not 100: the mid-rank keeps it below the IoD's R = N/N).

HAND = {0.25: 6.517733264, 0.5: 15.64679007, 0.75: 31.00914353, 1.0: 100.0}


def test_exponential_transform_equals_iod_formula_worked_by_hand():
    # against a reference of 4 values, a value strictly between the k-th and (k+1)-th has
    # k of them below it and none tied: R = k/4 exactly, as in the IoD
    ref = pd.Series([1.0, 2.0, 3.0, 4.0])
    x = pd.Series([1.5, 2.5, 3.5, 9.0], name="income_score")
    out = normalise(x, method="exponential", reference=ref)
    np.testing.assert_allclose(out, [HAND[r] / 10 for r in HAND], rtol=1e-9)
    assert out.iloc[-1] == pytest.approx(10.0, abs=1e-12)
    # the hand values follow from the formula as written (a check on the arithmetic above)
    for r, value in HAND.items():
        assert -23 * math.log(1 - r * (1 - math.exp(-100 / 23))) == pytest.approx(value, rel=1e-9)


def test_exponential_transform_uses_the_mid_rank_without_a_reference():
    x = pd.Series([40.0, 10.0, 30.0, 20.0], name="income_score")
    out = normalise(x, method="exponential")
    assert out[1] == pytest.approx(0.3028760859, rel=1e-9)  # R = 1/8, lowest
    assert out[0] == pytest.approx(4.583358588, rel=1e-9)  # R = 7/8, highest
    # lower_is_risk turns the order round
    flipped = normalise(x, method="exponential", direction="lower_is_risk")
    assert flipped[1] == pytest.approx(4.583358588, rel=1e-9)

"""Hotspot statistics and asset distances at national scale.

All 34,753 England and Wales LSOA 2011 polygons (ONS super generalised, clipped) with the
IMD score (each nation's own: IoD 2019 for England, WIMD 2019 for Wales, from mySociety's
composite file): spatial weights, Gi* and local Moran's I with 999 conditional permutations,
compared with esda's G_Local + Moran_Local (default settings) on the same weights; then
nearest-asset distances from 35k centroids to 50k assets.

Then a scaling table: the hotspot statistics as a run computes them (Gi* and local Moran's I
together with 999 conditional permutations; global Moran's I tested analytically, under
randomisation) on the first 1,000 to 34,753 areas (in code order: contiguous places), against
esda's G_Local + Moran_Local (999) and Moran (permutations=0: the same z_rand/p_rand test) on
the same weights, in CPU seconds of this process (time.process_time, best of 3, both sides: the
machine is shared) with the speed-up of each and of the total. A last column gives our global
Moran with 999 full permutations (``p_sim``, on request), for reference.

Run: .venv/bin/python benchmarks/bench_hotspots.py          (``--quick``: 1,000 and 2,000 areas)
Targets: weights + both local statistics <= 5 s and >= 5x faster than esda; distances < 1 s;
hotspot statistics (global Moran included) >= 10x faster than esda at every size.
esda's local statistics need numba to run at their normal speed (pip install numba, or the
[bench] extra); without it the table compares global Moran's I only, and says numba is absent.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import warnings

import geopandas as gpd
import numpy as np
from _common import RESULTS, shared, timed

from inclusion_geo.assets import access_measures
from inclusion_geo.hotspots import build_weights, global_moran, local_statistics
from inclusion_geo.sources import load_composite_uk_imd, read_boundaries

SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 34_753)


def _cpu(fn, *args, repeat: int = 3, **kwargs) -> float:
    """Best of ``repeat`` runs, in this process's CPU seconds (``time.process_time``: the
    machine is shared, so wall time varies with other jobs; CPU time much less)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn(*args, **kwargs)
        best = min(best, time.process_time() - start)
    return best


def _warm_esda() -> None:
    """Compile esda's numba kernels before timing them."""
    import esda
    from libpysal.weights import fill_diagonal, lat2W

    small = lat2W(10, 10)
    esda.G_Local(np.arange(100.0), fill_diagonal(small, 1.0), transform="B", star=True, seed=0)
    small.transform = "r"
    esda.Moran_Local(np.arange(100.0), small, seed=0)


def scaling_table(areas, y, *, sizes=SIZES, repeat: int = 3) -> None:
    """Ours against esda's, by size: local statistics (Gi* + local Moran's I) and global
    Moran's I, 999 permutations each, on the same weights, in CPU seconds (best of ``repeat``).

    esda's local statistics need numba to run at their normal speed: without it only global
    Moran's I (which does not use numba) is compared.
    """
    has_numba = importlib.util.find_spec("numba") is not None
    import esda
    from libpysal.weights import fill_diagonal

    if has_numba:
        _warm_esda()
    print(
        "hotspot statistics by size: local with 999 conditional permutations, global Moran "
        "under randomisation (analytic) on both sides; CPU seconds "
        f"(time.process_time, best of {repeat}); numba {'installed' if has_numba else 'absent'}; "
        "esda local = G_Local(star) + Moran_Local, esda global = Moran(permutations=0), same "
        "weights; glob 999 = ours with 999 full permutations (p_sim, on request)"
    )
    print(
        f"{'areas':>8} {'local':>7} {'global':>7} {'ours':>7} {'esda-loc':>8} {'esda-glob':>9} "
        f"{'esda':>7} {'local x':>8} {'global x':>8} {'total x':>8} {'glob 999':>9}"
    )
    order = np.argsort(areas.index.to_numpy())
    for n in sizes:
        part = areas.iloc[order[: min(n, len(areas))]]
        values = y.loc[part.index]
        w = build_weights(part)
        local = _cpu(local_statistics, values, w, permutations=999, seed=0, repeat=repeat)
        glob = _cpu(global_moran, values, w, permutations=0, repeat=repeat)
        ours = local + glob
        line = f"{len(part):>8,} {local:7.3f} {glob:7.3f} {ours:7.3f}"
        lw = w.to_libpysal()
        yv = values.to_numpy()
        if has_numba:
            lw_star = fill_diagonal(lw, 1.0)
            their_local = _cpu(
                esda.G_Local, yv, lw_star, transform="B", star=True, seed=0, repeat=repeat
            )
        lw.transform = "r"
        if has_numba:
            their_local += _cpu(esda.Moran_Local, yv, lw, seed=0, repeat=repeat)
        their_glob = _cpu(esda.Moran, yv, lw, permutations=0, repeat=repeat)
        permuted = _cpu(global_moran, values, w, permutations=999, seed=0, repeat=1)
        if has_numba:
            theirs = their_local + their_glob
            line += (
                f" {their_local:8.3f} {their_glob:9.3f} {theirs:7.3f} {their_local / local:7.1f}x"
                f" {their_glob / glob:7.1f}x {theirs / ours:7.1f}x {permuted:9.3f}"
            )
        else:
            line += (
                f" {'-':>8} {their_glob:9.3f} {'-':>7} {'-':>8} {their_glob / glob:7.1f}x"
                f" {'-':>8} {permuted:9.3f}"
            )
        print(line, flush=True)


def main() -> None:
    warnings.simplefilter("ignore", UserWarning)
    with timed("read 34,753 LSOA polygons"):
        areas = read_boundaries(
            shared(
                "ons-boundaries-bsc",
                "LSOA_Dec_2011_Boundaries_Super_Generalised_Clipped_BSC_EW_V3.geojson",
            )
        )
    imd = load_composite_uk_imd(
        shared("mysociety-composite-uk-imd", "UK_IMD_E.csv"), nations=("E", "W")
    )
    y = imd["imd_score"].reindex(areas.index)
    print(f"areas {len(areas):,}; with an IMD score {int(y.notna().sum()):,}")
    y = y.fillna(y.median())
    if "--quick" in sys.argv:  # the test suite: the table's shape, on small sizes only
        scaling_table(areas, y, sizes=(1_000, 2_000), repeat=1)
        return
    with timed("weights (contiguity, tolerant if needed)"):
        w = build_weights(areas)
    print(f"  {w.report}")
    with timed("Gi* + local Moran's I, 999 permutations"):
        local_statistics(y, w, permutations=999, seed=0)
    ours = (
        RESULTS["weights (contiguity, tolerant if needed)"]
        + RESULTS["Gi* + local Moran's I, 999 permutations"]
    )
    print(f"{'weights + both local statistics':<48} {ours:8.3f} s   (target <= 5 s)")

    if importlib.util.find_spec("numba") is None:
        print("esda comparison skipped: numba is not installed (pip install numba)")
    else:
        import esda
        from libpysal.weights import fill_diagonal

        lw = w.to_libpysal()
        lw_star = fill_diagonal(lw, 1.0)
        from libpysal.weights import lat2W

        small = lat2W(10, 10)  # compile esda's numba kernels before timing them
        esda.G_Local(np.arange(100.0), fill_diagonal(small, 1.0), transform="B", star=True, seed=0)
        small.transform = "r"
        esda.Moran_Local(np.arange(100.0), small, seed=0)
        with timed("esda G_Local (star, defaults)"):
            esda.G_Local(y.to_numpy(), lw_star, transform="B", star=True, seed=0)
        lw.transform = "r"
        with timed("esda Moran_Local (defaults)"):
            esda.Moran_Local(y.to_numpy(), lw, seed=0)
        theirs = RESULTS["esda G_Local (star, defaults)"] + RESULTS["esda Moran_Local (defaults)"]
        local_only = RESULTS["Gi* + local Moran's I, 999 permutations"]
        print(
            f"{'speed-up, local statistics vs esda':<48} {theirs / local_only:8.1f} x   (target >= 5x)"
        )
        print(f"{'speed-up, weights + statistics vs esda calls':<48} {theirs / ours:8.1f} x")

    centroids = areas.geometry.representative_point()
    rng = np.random.default_rng(0)
    minx, miny, maxx, maxy = areas.total_bounds
    n_assets = 50_000
    assets = gpd.GeoDataFrame(
        {
            "name": [f"asset {i}" for i in range(n_assets)],
            "category": rng.choice(["library", "community_centre"], n_assets),
        },
        geometry=gpd.points_from_xy(
            rng.uniform(minx, maxx, n_assets), rng.uniform(miny, maxy, n_assets)
        ),
        crs=areas.crs,
    )
    with timed("nearest-asset distances, 35k areas x 50k assets"):
        access_measures(centroids, assets, catchments_m=[800, 1600])
    scaling_table(areas, y)


if __name__ == "__main__":
    main()

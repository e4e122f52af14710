"""The maximal covering model behind :func:`inclusion_geo.siting.plan_sites`, and the input
checks and solver call the siting functions share. Private: see :mod:`inclusion_geo.siting`."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from ._errors import DataQualityError, InclusionGeoError
from .assets import _xy

#: the days of the week, in OpenStreetMap ``opening_hours`` spelling
DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_TOL = 1e-9
_MIP_OPTIONS = {"mip_rel_gap": 1e-9}  # HiGHS's default 1e-4 would stop short of the optimum


# ----------------------------------------------------------------------------- shared helpers
def _names(frame: pd.DataFrame) -> list[str]:
    """Each place's display name, else its name, else its id."""
    out = pd.Series(frame.index.astype(str), index=frame.index, dtype=object)
    for col in ("name", "display_name"):  # the later one wins where it has text
        if col in frame:
            given = frame[col].map(lambda v: isinstance(v, str) and bool(v.strip()))
            out = out.where(~given.to_numpy(dtype=bool), frame[col])
    return out.tolist()


def _reach(
    tree: cKDTree, n_areas: int, sites: gpd.GeoDataFrame, radius: float
) -> sparse.csc_matrix:
    """Areas x sites, True where the area's centroid is within ``radius`` of the site."""
    if len(sites) == 0:
        return sparse.csc_matrix((n_areas, 0), dtype=bool)
    hits = tree.query_ball_point(_xy(sites), radius)
    cols = np.repeat(np.arange(len(sites)), [len(h) for h in hits])
    rows = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
    return sparse.csc_matrix(
        (np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n_areas, len(sites))
    )


def _area_values(values: pd.Series, index: pd.Index, *, name: str) -> np.ndarray:
    """Non-negative numbers for every area of ``index``."""
    if not isinstance(values, pd.Series):
        raise InclusionGeoError(f"{name} must be a pandas Series indexed by area code.")
    v = pd.to_numeric(values.reindex(index), errors="coerce")
    missing = index[v.isna().to_numpy()]
    if len(missing):
        raise DataQualityError(
            f"{name} is missing (or not a number) for {len(missing)} area(s), e.g. "
            f"{missing[:5].tolist()}. Give a value for every centroid; pass 0 where there is none."
        )
    negative = v < 0
    if negative.any():
        raise DataQualityError(
            f"{name} is negative for {int(negative.sum())} area(s), e.g. "
            f"{dict(v[negative].head(3))}. Give counts of people (0 or more) per area."
        )
    return v.to_numpy(dtype=float)


def _site_values(spec, frame: pd.DataFrame, *, name: str, what: str) -> np.ndarray:
    """Per-site numbers from a scalar, a column name, or a Series/mapping by site id."""
    if frame.empty:
        return np.zeros(0)
    if isinstance(spec, str):
        if spec not in frame.columns:
            raise InclusionGeoError(
                f"{name}={spec!r} is not a column of {what}; give a column name, a number, or a "
                "Series indexed by site id."
            )
        values = pd.to_numeric(frame[spec], errors="coerce")
    elif isinstance(spec, pd.Series | Mapping):
        values = pd.to_numeric(pd.Series(spec).reindex(frame.index), errors="coerce")
    else:
        try:
            values = pd.Series(float(spec), index=frame.index)
        except (TypeError, ValueError):
            raise InclusionGeoError(
                f"{name} must be a number, a column name or a Series by site id, got {spec!r}."
            ) from None
    bad = ~np.isfinite(values.to_numpy(dtype=float)) | (values.to_numpy(dtype=float) < 0)
    if bad.any():
        raise DataQualityError(
            f"{name} is missing or negative for {int(bad.sum())} of {what}, e.g. "
            f"{frame.index[bad][:5].tolist()}. Give 0 or more for every site."
        )
    return values.to_numpy(dtype=float)


def _labels(values: pd.Series | None, index: pd.Index, *, name: str) -> np.ndarray | None:
    if values is None:
        return None
    out = values.reindex(index)
    if out.isna().any():
        raise DataQualityError(
            f"{name} has no ward for {int(out.isna().sum())} area(s), e.g. "
            f"{index[out.isna().to_numpy()][:5].tolist()}. Give every centroid a ward code."
        )
    return out.astype(str).to_numpy()


def _gap(bound: float, value: float) -> float:
    if not np.isfinite(bound):
        return float("inf")
    return max(0.0, (bound - value) / value) if value > 0 else (0.0 if bound <= 0 else np.inf)


def _run_milp(c, integrality, bounds, constraints, time_limit: float):
    start = time.perf_counter()
    res = milp(c, integrality=integrality, bounds=bounds, constraints=constraints,
               options={**_MIP_OPTIONS, "time_limit": time_limit})  # fmt: skip
    return res, time.perf_counter() - start


def _dual_bound(res) -> float:
    """Upper bound on the maximised objective (milp minimises its negative)."""
    bound = getattr(res, "mip_dual_bound", None)
    return float(-bound) if bound is not None and np.isfinite(bound) else float("inf")


class _Covering:
    """One MCLP instance on arrays: area demand, reach of existing and candidate sites."""

    def __init__(self, demand, reach_old, reach_new, cap_old, cap_new, cost, budget, k,
                 groups, min_share):  # fmt: skip
        self.d, self.k, self.cost, self.budget = demand, k, cost, budget
        self.r_old, self.r_new = reach_old, reach_new
        self.cap_old, self.cap_new = cap_old, cap_new
        self.capacitated = cap_new is not None
        self.groups, self.min_share = groups, min_share
        self.n = reach_new.shape[1]
        self.old_hit = np.asarray(reach_old.sum(axis=1)).ravel() > 0

    # coverage of a fixed choice ------------------------------------------------------------
    def evaluate(self, chosen: np.ndarray):
        """Demand covered per area and per new site for a fixed choice, and (capacitated) the
        assignment ``z`` of demand to area-site pairs."""
        if not self.capacitated:
            hit = self.old_hit | (np.asarray(self.r_new[:, chosen].sum(axis=1)).ravel() > 0)
            per_site = np.asarray(self.r_new.T.astype(float) @ np.where(hit, self.d, 0.0)).ravel()
            return np.where(hit, self.d, 0.0), np.where(chosen, per_site, 0.0), None
        fixed = np.zeros(self.n)
        fixed[chosen] = 1.0
        res, _ = self._solve(fixed=fixed, wards=False, time_limit=60.0)
        return self._decode(res.x)

    def meets_wards(self, per_area: np.ndarray) -> bool:
        if self.min_share is None:
            return True
        got = pd.Series(per_area).groupby(self.groups).sum()
        need = pd.Series(self.d).groupby(self.groups).sum() * self.min_share
        return bool((got >= need - 1e-6 * np.maximum(need, 1)).all())

    # the model ------------------------------------------------------------------------------
    def _build(self, fixed: np.ndarray | None, wards: bool):
        n, d = self.n, self.d
        rows: list[sparse.spmatrix] = []
        lo: list[np.ndarray] = []
        hi: list[np.ndarray] = []
        if not self.capacitated:
            live = (d > 0) & ~self.old_hit & (np.asarray(self.r_new.sum(axis=1)).ravel() > 0)
            sub = self.r_new[live].tocsr()
            ward_key = self.groups[live] if wards and self.min_share is not None else None
            keys = [
                sub.indices[sub.indptr[i] : sub.indptr[i + 1]].tobytes()
                + (b"|" + str(ward_key[i]).encode() if ward_key is not None else b"")
                for i in range(sub.shape[0])
            ]
            group = pd.factorize(pd.Series(keys, dtype=object))[0]
            _, first = np.unique(group, return_index=True)
            g = len(first)
            weight = np.bincount(group, weights=d[live], minlength=g)
            self._live, self._group = live, group
            cover = sub[first].astype(float)  # groups x candidates
            rows.append(sparse.hstack([-cover, sparse.identity(g)]))
            lo.append(np.full(g, -np.inf))
            hi.append(np.zeros(g))
            c = np.concatenate([np.zeros(n), -weight])
            n_other, ub_other = g, np.ones(g)
            area_term = sparse.csr_matrix(  # per live area's y (via its group) times demand
                (d[live], (np.arange(live.sum()), group)), shape=(live.sum(), g)
            )
            const_area = np.where(self.old_hit, d, 0.0)
        else:
            r_all = sparse.hstack([self.r_old, self.r_new]).tocsc()
            m_old = self.r_old.shape[1]
            cap = np.concatenate([self.cap_old, self.cap_new])
            live = (d > 0) & (np.asarray(r_all.sum(axis=1)).ravel() > 0)
            coo = r_all[live].tocoo()
            pa, ps = coo.row, coo.col
            p = len(pa)
            dl = d[live]
            self._live, self._pairs = live, (pa, ps)
            nl = int(live.sum())
            z_area = sparse.csr_matrix((np.ones(p), (pa, np.arange(p))), shape=(nl, p))
            z_site = sparse.csr_matrix((np.ones(p), (ps, np.arange(p))), shape=(len(cap), p))
            x_new = sparse.vstack([
                sparse.csr_matrix((m_old, n)), -sparse.diags(self.cap_new, format="csr")
            ])  # fmt: skip
            rows += [sparse.hstack([sparse.csr_matrix((nl, n)), z_area]),
                     sparse.hstack([x_new, z_site])]  # fmt: skip
            lo += [np.full(nl, -np.inf), np.full(len(cap), -np.inf)]
            hi += [dl, np.concatenate([self.cap_old, np.zeros(n)])]
            new_pairs = np.flatnonzero(ps >= m_old)
            if len(new_pairs):  # z_ij <= d_i x_j: a much tighter relaxation
                q = len(new_pairs)
                xs = sparse.csr_matrix((-dl[pa[new_pairs]], (np.arange(q), ps[new_pairs] - m_old)),
                                       shape=(q, n))  # fmt: skip
                zs = sparse.csr_matrix((np.ones(q), (np.arange(q), new_pairs)), shape=(q, p))
                rows.append(sparse.hstack([xs, zs]))
                lo.append(np.full(q, -np.inf))
                hi.append(np.zeros(q))
            c = np.concatenate([np.zeros(n), -np.ones(p)])
            n_other, ub_other = p, np.minimum(dl[pa], cap[ps])
            area_term = z_area
            const_area = np.zeros(len(d))
        if fixed is None:
            rows.append(sparse.hstack([sparse.csr_matrix(np.ones((1, n))),
                                       sparse.csr_matrix((1, n_other))]))  # fmt: skip
            lo.append(np.array([-np.inf]))
            hi.append(np.array([float(self.k)]))
            if self.budget is not None:
                rows.append(sparse.hstack([sparse.csr_matrix(self.cost[None, :]),
                                           sparse.csr_matrix((1, n_other))]))  # fmt: skip
                lo.append(np.array([-np.inf]))
                hi.append(np.array([self.budget]))
        if wards and self.min_share is not None:
            codes, labels = pd.factorize(self.groups[live], sort=True)
            member = sparse.csr_matrix(
                (np.ones(len(codes)), (codes, np.arange(len(codes)))),
                shape=(len(labels), len(codes)),
            )
            need = (
                pd.Series(d).groupby(self.groups).sum().reindex(labels).to_numpy() * self.min_share
            )
            have = pd.Series(const_area).groupby(self.groups).sum().reindex(labels).to_numpy()
            rows.append(sparse.hstack([sparse.csr_matrix((len(labels), n)), member @ area_term]))
            lo.append(need - have - 1e-9 * np.maximum(need, 1))
            hi.append(np.full(len(labels), np.inf))
        lb = np.zeros(n + n_other)
        ub = np.concatenate([np.ones(n), ub_other])
        if fixed is not None:
            lb[:n] = ub[:n] = fixed
        integrality = np.concatenate([np.ones(n) if fixed is None else np.zeros(n),
                                      np.zeros(n_other)])  # fmt: skip
        A = sparse.vstack(rows).tocsr() if rows else None
        cons = (
            [LinearConstraint(A, np.concatenate(lo), np.concatenate(hi))] if A is not None else []
        )
        return c, integrality, Bounds(lb, ub), cons

    def _solve(self, *, fixed, wards, time_limit):
        c, integrality, bounds, cons = self._build(fixed, wards)
        return _run_milp(c, integrality, bounds, cons, time_limit)

    def _decode(self, x: np.ndarray):
        """:meth:`evaluate`'s triple from a model solution."""
        chosen = x[: self.n] > 0.5
        if not self.capacitated:
            return self.evaluate(chosen)
        pa, ps = self._pairs
        z = np.clip(x[self.n :], 0.0, None)
        per_area = np.zeros(len(self.d))
        per_area[np.flatnonzero(self._live)] = np.bincount(
            pa, weights=z, minlength=int(self._live.sum())
        )
        m_old = self.r_old.shape[1]
        per_site = np.bincount(ps, weights=z, minlength=m_old + self.n)[m_old:]
        return per_area, per_site, z

    def solve(self, time_limit: float):
        """The MILP: solver result, seconds, chosen mask (None if nothing found) and
        :meth:`evaluate`'s triple."""
        res, seconds = self._solve(fixed=None, wards=True, time_limit=time_limit)
        if res.x is None:
            return res, seconds, None, None
        return res, seconds, res.x[: self.n] > 0.5, self._decode(res.x)

    def greedy_order(self, chosen: np.ndarray) -> list[tuple[int, float]]:
        """The chosen sites in the order a greedy pass adds them, with each marginal gain."""
        left = list(np.flatnonzero(chosen))
        picked = np.zeros(self.n, dtype=bool)
        base = float(self.evaluate(picked)[0].sum())
        order = []
        while left:
            gains = []
            for j in left:
                trial = picked.copy()
                trial[j] = True
                gains.append(float(self.evaluate(trial)[0].sum()) - base)
            best = int(np.argmax(gains))
            j = left.pop(best)
            picked[j] = True
            base += gains[best]
            order.append((j, max(gains[best], 0.0)))
        return order


def _check_ward_minimum(problem: _Covering, min_share: float) -> None:
    """Raise if some ward cannot reach ``min_share`` even with every candidate open."""
    reach_any = problem.old_hit | (np.asarray(problem.r_new.sum(axis=1)).ravel() > 0)
    table = pd.DataFrame(
        {"ward": problem.groups, "d": problem.d, "r": np.where(reach_any, problem.d, 0.0)}
    )
    by = table.groupby("ward")[["d", "r"]].sum()
    by = by[by["d"] > 0]
    short = by[by["r"] < min_share * by["d"] - 1e-9 * by["d"]]
    if len(short):
        best = (short["r"] / short["d"]).sort_values()
        raise InclusionGeoError(
            f"min_share={min_share:g} cannot be met in {len(short)} ward(s) even with every "
            f"candidate open, e.g. {', '.join(f'{w} (at most {s:.1%})' for w, s in best.head(5).items())}. "
            f"Lower min_share to at most {best.min():.3f}, add candidates near those wards, or "
            "widen catchment_m."
        )


def _fallback_bound(problem: _Covering, picks: pd.DataFrame, k: int) -> float:
    """A valid upper bound without the solver's: all demand in reach and, uncapacitated, the
    greedy guarantee (greedy's new coverage >= (1 - 1/e) of the best's)."""
    reach_any = problem.old_hit | (np.asarray(problem.r_new.sum(axis=1)).ravel() > 0)
    bound = float(problem.d[reach_any].sum())
    if not problem.capacitated and len(picks):
        base = float(problem.d[problem.old_hit].sum())
        gained = float(picks["marginal_covered"].sum())
        if len(picks) < k:  # greedy stopped: everything in reach is covered
            return min(bound, base + gained)
        bound = min(bound, base + gained / (1 - np.exp(-1)))
    return bound


def _sites_table(problem, chosen, per_site, z, candidates, ward_of, existing_covered,
                 cost) -> pd.DataFrame:  # fmt: skip
    capacitated = problem.capacitated
    order = problem.greedy_order(chosen)
    if not capacitated:  # sites adding nothing on top of the others are dropped (coverage same)
        order = [(j, g) for j, g in order if g > _TOL] or order[:1]
    names = _names(candidates)
    rows, cumulative = [], existing_covered
    for rank, (j, gain) in enumerate(order, start=1):
        cumulative += gain
        if capacitated:
            served = _served_areas(problem, j, z)
        else:
            served = problem.r_new[:, j].toarray().ravel() & (problem.d > 0)
        row = {
            "order": rank,
            "site": candidates.index[j],
            "name": names[j],
            "demand_covered": float(per_site[j]),
            "marginal_gain": gain,
            "cumulative_covered": cumulative,
            "areas_served": int(served.sum()),
            "wards_served": "; ".join(sorted(set(ward_of[served]))) if ward_of is not None else "",
        }
        if capacitated:
            row["capacity"] = float(problem.cap_new[j])
        if cost is not None:
            row["cost"] = float(cost[j])
        rows.append(row)
    columns = ["order", "site", "name", "demand_covered", "marginal_gain", "cumulative_covered",
               "areas_served", "wards_served"] + (["capacity"] if capacitated else []) + (
               ["cost"] if cost is not None else [])  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _served_areas(problem: _Covering, j: int, z: np.ndarray) -> np.ndarray:
    """Areas the capacitated assignment ``z`` sends demand from to new site ``j``."""
    out = np.zeros(len(problem.d), dtype=bool)
    pa, ps = problem._pairs
    m_old = problem.r_old.shape[1]
    hit = (ps == m_old + j) & (z > _TOL)
    out[np.flatnonzero(problem._live)[pa[hit]]] = True
    return out


# ----------------------------------------------------------------------------- rota
def _open_days(text: object) -> set[str] | None:
    """The days an ``opening_hours`` text opens in a plain week; ``None`` when unknown."""
    from opening_hours import OpeningHours as _Parser
    from opening_hours import State

    from .hours import _REFERENCE_MONDAYS, _lenient, parse_opening_hours

    if not isinstance(text, str) or not text.strip() or not parse_opening_hours(text).parsed:
        return None
    monday = _REFERENCE_MONDAYS[0]
    end_of_week = monday + timedelta(days=7)
    days: set[str] = set()
    for start, end, state, _ in _Parser(_lenient(text.strip())[0]).intervals(monday, end_of_week):
        if state != State.OPEN:
            continue
        for offset, day in enumerate(DAYS):
            day_start = monday + timedelta(days=offset)
            if start < day_start + timedelta(days=1) and end > day_start:
                days.add(day)
    return days


def _allowed(candidates: pd.DataFrame, days: Sequence[str], opening) -> tuple[np.ndarray, list]:
    """Candidates x days: True where the site can host a session that day."""
    assumed = []
    if opening is not None:
        if not isinstance(opening, Mapping):
            raise InclusionGeoError(
                "opening must be a mapping {site id: set of days}, e.g. {'hall': {'Mo', 'We'}}."
            )
        missing = [i for i in candidates.index if i not in opening]
        if missing:
            raise InclusionGeoError(
                f"opening names no days for {len(missing)} candidate(s), e.g. {missing[:5]}; give "
                "every candidate its open days (an empty set for none)."
            )
        sets = []
        for site in candidates.index:
            given = {opening[site]} if isinstance(opening[site], str) else set(opening[site])
            unknown = given - set(DAYS)
            if unknown:
                raise InclusionGeoError(
                    f"opening[{site!r}] has days {sorted(unknown)}; use {list(DAYS)}."
                )
            sets.append(given)
    elif "opening_hours" in candidates.columns:
        sets = []
        for site, text in zip(candidates.index, candidates["opening_hours"], strict=True):
            found = _open_days(text)
            if found is None:
                assumed.append(site)
            sets.append(set(DAYS) if found is None else found)
    else:
        sets, assumed = [set(DAYS)] * len(candidates), list(candidates.index)
    return np.array([[d in s for d in days] for s in sets], dtype=bool).reshape(
        -1, len(days)
    ), assumed


def _rota_value(d: np.ndarray, days_reached: np.ndarray) -> float:
    return float((d * 2.0 * (1.0 - 0.5**days_reached)).sum())


def _rota_greedy(d, reach: sparse.csc_matrix, allowed: np.ndarray, k: int, only=None):
    """Greedy sessions (site, day) by marginal value; ``only`` limits the choice to a set."""
    cov = np.zeros((len(d), allowed.shape[1]), dtype=bool)
    free = allowed.copy() if only is None else only.copy()
    picks = []
    reach_t = reach.T.tocsr().astype(float)
    for _ in range(k):
        n = cov.sum(axis=1)
        weight = (d * 0.5**n)[:, None] * ~cov  # what reaching area i on day t would add
        gain = np.where(free, np.asarray(reach_t @ weight), -np.inf)
        if not np.isfinite(gain).any():
            break
        j, t = np.unravel_index(int(np.argmax(gain)), gain.shape)
        if only is None and gain[j, t] <= 0:
            break
        picks.append((int(j), int(t), float(gain[j, t])))
        free[j, t] = False
        cov[:, t] |= reach[:, j].toarray().ravel()
    return picks, cov.sum(axis=1)


def _days_of(reach: sparse.csc_matrix, chosen: np.ndarray) -> np.ndarray:
    """Distinct days each area has a chosen session in reach."""
    return (np.asarray(reach.astype(float) @ chosen.astype(float)) > 0).sum(axis=1)


def _rota_model(d: np.ndarray, reach: sparse.csc_matrix, allowed: np.ndarray, k: int):
    """The rota MILP: binary sessions ``x_s``; ``u_it <= sum x_s`` over day-``t`` sessions in
    reach of area ``i``; levels ``w_im`` (value ``d_i / 2^(m-1)``) with ``sum_m w_im <= sum_t
    u_it``; ``sum x_s <= k``."""
    live = (d > 0) & (np.asarray(reach.sum(axis=1)).ravel() > 0)
    r = reach[live].tocsc()
    nl, n_days = int(live.sum()), allowed.shape[1]
    sessions = np.argwhere(allowed)  # (site, day) rows
    n_s = len(sessions)
    levels = min(k, n_days)
    # u pairs: (area, day) with a session of that day in reach
    blocks, u_area, u_day = [], [], []
    for t in range(n_days):
        on_t = np.flatnonzero(sessions[:, 1] == t)
        if not len(on_t):
            continue
        sub = r[:, sessions[on_t, 0]].tocoo()  # live areas x day-t sessions
        areas_t = np.unique(sub.row)
        row_of = np.full(nl, -1)
        row_of[areas_t] = np.arange(len(areas_t)) + len(u_area)
        blocks.append((row_of[sub.row], on_t[sub.col]))
        u_area += areas_t.tolist()
        u_day += [t] * len(areas_t)
    n_u = len(u_area)
    rr = np.concatenate([b[0] for b in blocks]) if blocks else np.zeros(0, int)
    cc = np.concatenate([b[1] for b in blocks]) if blocks else np.zeros(0, int)
    n_w = nl * levels
    size = n_s + n_u + n_w
    link = sparse.hstack([sparse.csr_matrix((-np.ones(len(rr)), (rr, cc)), shape=(n_u, n_s)),
                          sparse.identity(n_u), sparse.csr_matrix((n_u, n_w))])  # fmt: skip
    w_cols = np.arange(n_w)
    levels_rows = sparse.hstack([
        sparse.csr_matrix((nl, n_s)),
        sparse.csr_matrix((-np.ones(n_u), (np.asarray(u_area, dtype=int), np.arange(n_u))), shape=(nl, n_u)),
        sparse.csr_matrix((np.ones(n_w), (w_cols // levels, w_cols)), shape=(nl, n_w)),
    ])  # fmt: skip
    count = sparse.csr_matrix((np.ones(n_s), (np.zeros(n_s, int), np.arange(n_s))), shape=(1, size))
    A = sparse.vstack([link, levels_rows, count]).tocsr()
    hi = np.concatenate([np.zeros(n_u + nl), [float(k)]])
    c = np.concatenate(
        [np.zeros(n_s + n_u), -(np.repeat(d[live], levels) * np.tile(0.5 ** np.arange(levels), nl))]
    )
    integrality = np.concatenate([np.ones(n_s), np.zeros(n_u + n_w)])
    return c, integrality, Bounds(np.zeros(size), np.ones(size)), [LinearConstraint(A, -np.inf, hi)]

"""How far to trust an index: sensitivity to weights and normalisation, double counting,
typologies of areas, and agreement with other indices."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._errors import InclusionGeoError
from .scoring import NORMALISATIONS, Recipe, default_recipe, normalise, score

__all__ = [
    "sensitivity",
    "correlation_check",
    "typology",
    "compare_indices",
    "validation_table",
    "national_and_local_scores",
    "iuc_aucs",
    "within_authority_aucs",
    "learn_weights",
]


def _score_matrix(indicators: pd.DataFrame, recipe: Recipe, method: str, reference) -> np.ndarray:
    cols = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zero-variance warnings come from score()
        for item in recipe.indicators:
            cols.append(
                normalise(
                    indicators[item.name],
                    method=method,
                    direction=recipe.direction_of(item),
                    reference=None if reference is None else reference[item.name],
                    transform=item.transform,
                ).to_numpy()
            )
    return np.column_stack(cols)


def sensitivity(
    indicators: pd.DataFrame,
    recipe: Recipe | None = None,
    *,
    draws: int = 1000,
    concentration: float = 50.0,
    normalisations: Sequence[str] | None = None,
    top_share: float = 0.1,
    seed: int = 0,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Monte Carlo sensitivity of each area's rank to the weights and the normalisation.

    Each draw takes indicator weights within each domain, and domain weights, from Dirichlet
    distributions centred on the recipe's shares (``concentration`` sets how tight: 50 keeps
    most shares within about +-30 % of the recipe's), and one normalisation from
    ``normalisations`` (default: the recipe's and ``rank``). Scores are recomputed and areas
    re-ranked.

    Returns
    -------
    DataFrame
        Per area: ``rank`` (the recipe's), ``rank_p05``, ``rank_median``, ``rank_p95`` and
        ``p_top`` (share of draws in which the area is in the top ``top_share`` of areas).
        ``attrs["top_retained"]`` is the mean share of the recipe's top areas that stay in the
        top in a draw.
    """
    recipe = recipe or default_recipe()
    base = score(indicators, recipe, reference=reference)
    methods = (
        list(normalisations)
        if normalisations is not None
        else sorted({recipe.normalisation, "rank"})
    )
    bad = [m for m in methods if m not in NORMALISATIONS]
    if bad or draws < 1 or concentration <= 0:
        raise InclusionGeoError(
            f"sensitivity: normalisations must be among {NORMALISATIONS} (got {bad}), draws >= 1 "
            f"and concentration > 0."
        )
    rng = np.random.default_rng(seed)
    table = recipe.weights_table()
    domains = recipe.domains
    domain_of = table["domain"].to_numpy()
    share_in_domain = table["share_of_domain"].to_numpy()
    domain_share = np.array([recipe._domain_shares()[d] for d in domains])
    matrices = {m: _score_matrix(indicators, recipe, m, reference) for m in methods}
    n, k = len(indicators), len(table)
    chosen = rng.integers(len(methods), size=draws)
    weights = np.zeros((k, draws))
    dom_w = rng.dirichlet(concentration * domain_share, size=draws).T  # (domains, draws)
    for d_i, d in enumerate(domains):
        members = np.flatnonzero(domain_of == d)
        inner = share_in_domain[members] / share_in_domain[members].sum()
        if len(members) == 1:
            w = np.ones((1, draws))
        else:
            w = rng.dirichlet(concentration * inner, size=draws).T
        weights[members] = w * dom_w[d_i]
    index = np.empty((draws, n))  # one row per draw: row-wise sorts are cache friendly
    for m_i, m in enumerate(methods):
        rows = np.flatnonzero(chosen == m_i)
        if rows.size:
            index[rows] = (matrices[m] @ weights[:, rows]).T
    # rank 1 = highest index in each draw
    order = np.argsort(-index, axis=1)
    ranks = np.empty((draws, n), dtype=np.int32)
    np.put_along_axis(ranks, order, np.arange(1, n + 1, dtype=np.int32)[None, :], axis=1)
    cut = max(1, int(np.ceil(top_share * n)))
    in_top = ranks <= cut
    base_top = (base["risk_rank"] <= cut).to_numpy()
    p05, p50, p95 = np.percentile(ranks, [5, 50, 95], axis=0)
    out = pd.DataFrame(
        {
            "rank": base["risk_rank"].to_numpy(),
            "rank_p05": p05,
            "rank_median": p50,
            "rank_p95": p95,
            "p_top": in_top.mean(axis=0),
        },
        index=indicators.index,
    )
    out.attrs["top_retained"] = (
        float(in_top[:, base_top].mean()) if base_top.any() else float("nan")
    )
    out.attrs["draws"] = draws
    out.attrs["normalisations"] = methods
    return out


def correlation_check(
    indicators: pd.DataFrame, recipe: Recipe | None = None, *, threshold: float = 0.8
) -> pd.DataFrame:
    """Spearman correlations between the recipe's indicators (oriented so that positive means
    both point to more risk); pairs above ``threshold`` may double count one barrier and are
    named in a warning."""
    recipe = recipe or default_recipe()
    oriented = pd.DataFrame(
        {
            i.name: indicators[i.name] * (1 if recipe.direction_of(i) == "higher_is_risk" else -1)
            for i in recipe.indicators
        }
    )
    corr = oriented.corr(method="spearman")
    pairs = [
        (a, b, corr.loc[a, b])
        for i, a in enumerate(corr.index)
        for b in corr.columns[i + 1 :]
        if abs(corr.loc[a, b]) > threshold
    ]
    if pairs:
        listed = "; ".join(f"{a} ~ {b} ({r:.2f})" for a, b, r in pairs)
        warnings.warn(
            f"Indicators that may double count (Spearman above {threshold}): {listed}. Consider "
            "keeping one of each pair or lowering their weights.",
            UserWarning,
            stacklevel=2,
        )
    return corr


_SHORT = {
    "demography": "older",
    "skills": "low skills",
    "deprivation": "deprived",
    "connectivity": "low connectivity",
    "broadband": "low connectivity",
}
_SHORT_BY_INDICATOR = {
    "pct_poor_english": "language barrier",
    "pct_disabled": "disability",
    "pct_bad_health": "poor health",
    "pct_social_rented": "social renting",
    "pct_no_qualifications": "low qualifications",
    "pct_one_person_66_plus": "older, living alone",
}


def typology(
    indicators: pd.DataFrame,
    recipe: Recipe | None = None,
    *,
    k: int = 6,
    seed: int = 0,
) -> tuple[pd.Series, pd.DataFrame]:
    """Group areas into ``k`` profiles with k-means (scikit-learn) on z-scored, risk-oriented
    indicators, and name each profile from its centre.

    Returns
    -------
    (labels, profiles)
        ``labels``: each area's profile name. ``profiles``: one row per profile with its size
        and centre (in standard deviations from the mean; positive = more risk).
    """
    from sklearn.cluster import KMeans

    recipe = recipe or default_recipe()
    if not 2 <= k <= len(indicators) // 5:
        raise InclusionGeoError(f"k={k} profiles need at least {5 * k} areas and k >= 2.")
    z = pd.DataFrame(
        {
            i.name: normalise(indicators[i.name], method="zscore", direction=recipe.direction_of(i))
            for i in recipe.indicators
        }
    )
    model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z.to_numpy())
    centres = pd.DataFrame(model.cluster_centers_, columns=z.columns)
    names = []
    for _, centre in centres.iterrows():
        top = centre[centre > 0.5].sort_values(ascending=False)
        words: list[str] = []
        for name in top.index:
            phrase = _SHORT_BY_INDICATOR.get(name) or _SHORT.get(recipe.spec(name).domain, name)
            for word in phrase.split(", "):
                if word not in words:
                    words.append(word)
        if words:
            names.append(", ".join(words[:3]))
        else:
            names.append("lower risk" if centre.mean() < 0 else "mixed, near average")
    # make names unique
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    centres.index = pd.Index(unique, name="profile")
    centres.insert(0, "n_areas", np.bincount(model.labels_, minlength=k))
    labels = pd.Series(np.array(unique)[model.labels_], index=indicators.index, name="profile")
    return labels, centres


def compare_indices(
    index: pd.Series,
    reference: pd.Series,
    *,
    positive: Sequence | None = None,
    higher_is_risk: bool = True,
) -> dict[str, float]:
    """Agreement of ``index`` with a reference index (Spearman) or classification (ROC AUC).

    With ``positive`` (e.g. the CDRC Internet User Classification groups 7 to 10), the reference
    is a class label and the ROC AUC says how well ``index`` ranks those areas above the others.
    Only areas in both are compared; their number is returned as ``n``.
    """
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    both = pd.concat([index.rename("a"), reference.rename("b")], axis=1, join="inner").dropna()
    if len(both) < 3:
        raise InclusionGeoError(
            f"Only {len(both)} areas are in both indices; check they use the same codes and vintage."
        )
    a = both["a"] if higher_is_risk else -both["a"]
    if positive is None:
        rho = spearmanr(a, both["b"]).statistic
        return {"n": float(len(both)), "spearman": float(rho)}
    y = both["b"].isin(list(positive))
    if y.all() or not y.any():
        raise InclusionGeoError("The reference has only one class among the shared areas.")
    return {
        "n": float(len(both)),
        "roc_auc": float(roc_auc_score(y, a)),
        "share_positive": float(y.mean()),
    }


def validation_table(
    index: pd.Series,
    *,
    deri: pd.Series | None = None,
    caci: pd.Series | None = None,
    iuc_group: pd.Series | None = None,
    unengaged: Sequence[int] = (7, 8, 9, 10),
    top_share: float = 0.2,
) -> pd.DataFrame:
    """Agreement of an index with the reference indices, one row per comparison.

    Spearman correlation with the GMCA DERI score and the CACI digital vulnerability score;
    ROC AUC for picking out CDRC Internet User Classification groups 7-10 (the least engaged);
    and, for each score, the share of this index's top ``top_share`` of areas that are also in
    the reference's top ``top_share``.
    """
    rows = []
    cut = index.rank(ascending=False, pct=True) <= top_share
    for name, ref in (("GMCA DERI v1.6 (national)", deri), ("CACI digital vulnerability", caci)):
        if ref is None:
            continue
        res = compare_indices(index, ref)
        ref_top = ref.reindex(index.index).rank(ascending=False, pct=True) <= top_share
        overlap = float((cut & ref_top).sum() / max(cut.sum(), 1))
        rows.append({"reference": name, "measure": "Spearman rho", "value": res["spearman"], "n": int(res["n"]),
                     f"top_{int(top_share * 100)}pct_overlap": overlap})  # fmt: skip
    if iuc_group is not None:
        res = compare_indices(index, iuc_group, positive=list(unengaged))
        rows.append({"reference": "CDRC IUC groups 7-10 (e-unengaged)", "measure": "ROC AUC", "value": res["roc_auc"],
                     "n": int(res["n"]), f"top_{int(top_share * 100)}pct_overlap": float("nan")})  # fmt: skip
    return pd.DataFrame(rows)


# --- validation against the CDRC Internet User Classification -------------------------------


def national_and_local_scores(
    counts: pd.DataFrame, recipe: Recipe, *, lad: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every area the way :func:`inclusion_geo.national.run_national` does: once across
    the whole run (national scope), and each authority within itself in one pass
    (``score(..., groups=)``, as :func:`inclusion_geo.pipeline.run_stage_two_by` does).

    Areas lacking an input of the recipe, and authorities with fewer than two areas, are left
    out (the national run reports them as failed).

    Returns
    -------
    (national, local)
        The :func:`inclusion_geo.scoring.score` frames.
    """
    from .indicators import compute_indicators

    needed = sorted({c for i in recipe.indicators for c in recipe.spec(i.name).columns})
    indicators = compute_indicators(
        counts.dropna(subset=needed), [recipe.spec(i.name) for i in recipe.indicators]
    )
    groups = lad.reindex(indicators.index)
    sizes = groups.map(groups.value_counts())
    keep = indicators.index[groups.notna() & (sizes >= 2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zero-variance notes, as in run_national
        national = score(indicators, recipe)
        local = score(indicators.loc[keep], recipe, groups=groups.loc[keep])
    return national, local


def iuc_aucs(
    index: pd.Series,
    iuc_group: pd.Series,
    *,
    groups: Sequence[int] = (7, 8, 9, 10),
    engaged: Sequence[int] = (1, 2, 3, 4, 5, 6),
) -> dict[str, float]:
    """ROC AUC of ``index`` for the CDRC IUC groups: ``"7-10"`` (groups 7-10 against every other
    area) and, for each of ``groups``, that group against the engaged groups 1-6. Only areas in
    both are used; a comparison with one class only is NaN."""
    from sklearn.metrics import roc_auc_score

    both = pd.concat([index.rename("x"), iuc_group.rename("g")], axis=1, join="inner").dropna()
    out = {}
    y = both["g"].isin(list(groups))
    out["7-10"] = float(roc_auc_score(y, both["x"])) if 0 < y.sum() < len(y) else float("nan")
    for k in groups:
        part = both[both["g"].isin([*engaged, k])]
        yk = part["g"].eq(k)
        out[str(k)] = (
            float(roc_auc_score(yk, part["x"])) if 0 < yk.sum() < len(yk) else float("nan")
        )
    return out


def within_authority_aucs(
    index: pd.Series,
    iuc_group: pd.Series,
    *,
    lad: pd.Series,
    positive: Sequence[int] = (7, 8, 9, 10),
) -> pd.Series:
    """The ROC AUC for IUC groups 7-10 within each authority (``index`` scored within it);
    authorities whose areas are all in, or all outside, the groups are left out."""
    from sklearn.metrics import roc_auc_score

    both = pd.concat(
        [index.rename("x"), iuc_group.rename("g"), lad.rename("lad")], axis=1, join="inner"
    ).dropna()
    out = {}
    for code, part in both.groupby("lad"):
        y = part["g"].isin(list(positive))
        if 0 < y.sum() < len(y):
            out[code] = roc_auc_score(y, part["x"])
    return pd.Series(out, name="roc_auc", dtype=float)


def learn_weights(
    scores: pd.DataFrame, iuc_group: pd.Series, *, positive: Sequence[int] = (7, 8, 9, 10)
) -> pd.Series:
    """Non-negative weights on indicator scores that best predict IUC groups 7-10: a logistic
    regression whose coefficients are bounded at 0 (scipy L-BFGS-B; a small L2 penalty,
    ``1e-3`` per area, keeps it unique) on the 0-10 scores.

    A diagnostic: it says which inputs the classification rewards, not which it should.

    Returns
    -------
    Series
        One weight per column of ``scores``, summing to 1 (all 0 if none is positive).
    """
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit

    both = scores.join(iuc_group.rename("_g"), how="inner").dropna()
    y = both.pop("_g").isin(list(positive)).to_numpy(dtype=float)
    if y.all() or not y.any():
        raise InclusionGeoError("learn_weights: the areas given hold only one class.")
    x = both.to_numpy(dtype=float) / 10.0
    n, k = x.shape
    penalty = 1e-3

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ theta[:k] + theta[k]
        value = -(y * log_expit(z) + (1 - y) * log_expit(-z)).mean()
        resid = (expit(z) - y) / n
        grad = np.append(x.T @ resid + 2 * penalty * theta[:k], resid.sum())
        return value + penalty * float(theta[:k] @ theta[:k]), grad

    start = np.append(np.full(k, 0.1), 0.0)
    fit = minimize(
        loss, start, jac=True, method="L-BFGS-B", bounds=[(0, None)] * k + [(None, None)]
    )
    w = pd.Series(fit.x[:k], index=both.columns, name="weight")
    return w / w.sum() if w.sum() > 0 else w

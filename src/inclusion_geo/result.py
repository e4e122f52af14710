"""The result of stage two: data first, and the questions asked of it.

:class:`StageTwoResult` holds what a run produced (frames, the recipe, the spatial weights,
:class:`RunSettings`) and answers the analysis questions asked of it (headcounts, site plans,
closures, pop-up rotas), through the analysis modules. It does not draw or write anything.

Its three presentation methods, :meth:`~StageTwoResult.map`, :meth:`~StageTwoResult.summary`
and :meth:`~StageTwoResult.priority_table`, are kept for notebooks: each is one line that
calls :mod:`inclusion_geo.report` when it is used. The dependency runs one way:
:mod:`inclusion_geo.report` and :mod:`inclusion_geo.mapping` never import this module at run
time (they name the type only for type checkers), so there is no import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from . import hotspots as _hotspots
from ._defaults import DEFAULT_CATCHMENTS_M, DEFAULT_PERMUTATIONS
from ._errors import InclusionGeoError
from .scoring import Recipe

__all__ = ["StageTwoResult", "RunSettings"]


@dataclass(frozen=True)
class RunSettings:
    """The options a run used, as its outputs report them.

    Attributes
    ----------
    suitable : tuple of str
        Categories of the places that count as support or venues (tiers 1-2) in this run.
    catchments_m : tuple of float
        Short and long catchment in metres.
    circuity : float
        Network over straight-line distance.
    permutations, seed : int
        For hotspot inference.
    centroids : GeoSeries or None
        Population-weighted centroids of the result's areas (EPSG:27700).
    dropped_indicators : tuple of str
        Indicators of the recipe scored without, for lack of their inputs.
    """

    suitable: tuple[str, ...] = ()
    catchments_m: tuple[float, float] = DEFAULT_CATCHMENTS_M
    circuity: float = 1.0
    permutations: int = DEFAULT_PERMUTATIONS
    seed: int = 0
    centroids: gpd.GeoSeries | None = None
    dropped_indicators: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageTwoResult:
    """Everything stage two produces, ready to inspect, map and save.

    Attributes
    ----------
    areas : GeoDataFrame
        One row per small area, ranked by priority (``priority_rank`` 1 first): indicators,
        their 0-10 scores (``score_*``), each indicator's contribution to the index
        (``contrib_*``, adding up to ``risk_index``), domain scores, hotspot statistics, access
        measures, priority band and a one-line reason.
    wards : DataFrame
        One row per ward, ranked by population-weighted mean risk index.
    assets : GeoDataFrame
        The community places used (EPSG:27700): the asset register's included rows, each with
        its ``tier`` (1 digital support, 2 a venue that could host, 3 context), opening hours,
        weekly hours and capacity.
    register : GeoDataFrame
        The whole asset register: every place read, including those left out (``include`` is
        False) with the reason (:func:`inclusion_geo.register.build_register`).
    ward_boundaries : GeoDataFrame or None
    recipe : Recipe
    weights : SpatialWeights
    global_moran : dict
        Global Moran's I of the risk index.
    coverage : dict
        Residents at risk (of areas of very high or high need) within the long catchment of
        tier-1 support, plainly and capacity-adjusted
        (:func:`inclusion_geo.assets.support_coverage`).
    place, label : str
        The study area's name, and a data label ("synthetic demo data" for the demo).
    sources : dict
        What each input was (publisher, vintage) for titles and table headers.
    plans : dict
        What :func:`with_plans` added: ``"site_plan"`` (a
        :class:`~inclusion_geo.siting.SitePlan`), ``"closure"`` (a
        :class:`~inclusion_geo.siting.ClosureScenario`), ``"popup_rota"`` (a
        :class:`~inclusion_geo.siting.Rota`); empty otherwise.
    timings : dict
        Seconds spent in each stage (checks, scores, hotspots, access, explain and prioritise,
        ward roll-up, split into results); for a run over many areas at once, of the whole pass.
    """

    areas: gpd.GeoDataFrame
    wards: pd.DataFrame
    assets: gpd.GeoDataFrame
    register: gpd.GeoDataFrame | None
    ward_boundaries: gpd.GeoDataFrame | None
    recipe: Recipe
    weights: _hotspots.SpatialWeights
    global_moran: dict
    coverage: dict
    place: str
    label: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)
    settings: RunSettings = field(default_factory=RunSettings)
    timings: dict[str, float] = field(default_factory=dict)
    plans: Mapping[str, object] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The title every output carries: the place, and the data label if any."""
        label = f" ({self.label})" if self.label else ""
        return f"Digital exclusion risk and community assets: {self.place}{label}"

    def priority_table(self) -> pd.DataFrame:
        """The plan-ready priority table: one row per area, ranked."""
        from .report import priority_table

        return priority_table(self)

    def map(self, *, tiles: str = "none", scheme: str = "quantiles"):
        """The interactive map (folium.Map): risk index, domains, hotspots, clusters, priority
        areas, wards, assets by category and (off) library catchments."""
        from .report import build_map

        return build_map(self, tiles=tiles, scheme=scheme)

    def select_sites(
        self,
        *,
        k: int = 5,
        candidates: gpd.GeoDataFrame | None = None,
        max_band: int = 2,
        exclude_covered: bool = False,
    ):
        """Where should the next digital inclusion hubs be? Greedy maximal covering of the
        residents of priority areas (bands 1 to ``max_band``) within the long catchment.

        ``candidates`` default to the suitable existing assets (which of them to develop into
        hubs); pass your own sites (e.g. council buildings) to compare. With
        ``exclude_covered``, residents already within the catchment of a suitable asset do
        not count.
        """
        from .assets import select_sites

        areas = self.areas
        unknown = int(areas["access_level"].eq("unknown").sum())
        if unknown and (candidates is None or exclude_covered):
            raise InclusionGeoError(
                f"The asset list does not cover {unknown} of the {len(areas)} areas of "
                f"{self.place}, so its places cannot be the candidates there and whether residents "
                "are already covered is unknown. Pass candidates= (e.g. council buildings) and "
                "leave exclude_covered off, or run with assets that cover the area."
            )
        demand = areas["population"].where(areas["priority_band"] <= max_band, 0)
        suitable = self.assets[self.assets["category"].isin(self.settings.suitable)]
        long_m = self.settings.catchments_m[1]
        covered = areas["dist_any_m"] <= long_m if exclude_covered else None
        centroids = self.settings.centroids
        return select_sites(
            centroids,
            demand,
            suitable if candidates is None else candidates,
            k=k,
            catchment_m=long_m,
            circuity=self.settings.circuity,
            already_covered=covered,
        )

    def _demand(self, demand: str | pd.Series) -> pd.Series:
        """Demand for site planning: estimated offline adults (``"offline"``), adults lacking
        basic digital skills (``"no_basic_skills"``), residents of areas of very high or high
        need (``"at_risk"``), or a Series per area."""
        a = self.areas
        if isinstance(demand, pd.Series):
            return demand.reindex(a.index).fillna(0.0)
        if demand == "at_risk":
            return a["residents_at_risk"].astype(float)
        column = f"{demand}_adults"
        if demand not in ("offline", "no_basic_skills") or column not in a:
            raise InclusionGeoError(
                f"demand={demand!r}: use 'offline' or 'no_basic_skills' (estimated adults; "
                "needs Census age bands), 'at_risk' (residents of areas of very high or high "
                "need), or a Series of demand per area."
            )
        return a[column].astype(float)

    def _unmeasured_check(self, what: str) -> None:
        unknown = int(self.areas["access_level"].eq("unknown").sum())
        if unknown:
            raise InclusionGeoError(
                f"The asset list does not cover {unknown} of the {len(self.areas)} areas of "
                f"{self.place}, so who is already in reach there is unknown and {what} would "
                "be guessed. Run with assets that cover the area (or [sources.assets] covers)."
            )

    def plan_sites(
        self,
        k: int = 5,
        *,
        demand: str | pd.Series = "offline",
        candidates: gpd.GeoDataFrame | None = None,
        capacity: bool = False,
        min_share: float | None = None,
        budget: float | None = None,
        cost: str | pd.Series | None = None,
        time_limit: float = 10.0,
    ):
        """Where should the next ``k`` digital inclusion hubs go? Exact maximal covering of
        ``demand`` (default: estimated adults likely offline) within the long catchment,
        keeping today's digital support (tier 1) and choosing from ``candidates`` (default:
        the register's venues that could host, tier 2; or your own sites, such as council
        buildings). ``capacity=True`` caps what each site can serve (people a year, from its
        capacity and hours); ``min_share`` covers at least that share of each ward's demand;
        ``budget`` with ``cost`` per site limits spending. Solved with ``scipy.optimize.milp``
        (:func:`inclusion_geo.siting.plan_sites`); the greedy answer and its gap come with it.
        """
        from .siting import plan_sites, yearly_capacity

        self._unmeasured_check("a site plan")
        sites = self.assets[self.assets["tier"] == 2] if candidates is None else candidates
        if capacity and candidates is not None and "capacity" not in candidates:
            raise InclusionGeoError(
                "capacity=True needs candidates with capacity and hours_per_week columns "
                "(people helped at once, weekly hours), as in the asset register."
            )
        return plan_sites(
            self._demand(demand),
            self.settings.centroids,
            sites,
            k=k,
            catchment_m=self.settings.catchments_m[1],
            existing=self.assets,
            capacity=yearly_capacity(
                pd.concat([self.assets, sites]).loc[lambda f: ~f.index.duplicated()]
            )
            if capacity
            else None,
            min_cover_by=self.areas["ward_code"] if min_share is not None else None,
            min_share=min_share,
            budget=budget,
            cost=cost,
            time_limit=time_limit,
            circuity=self.settings.circuity,
            wards=self.areas["ward_code"],
        )

    def closure(self, close, *, hours_cut: float | None = None):
        """What closing (or cutting the hours of) the named places would cost: residents and
        estimated offline adults newly out of reach of digital support, by ward, and the weekly
        hours of help lost (:func:`inclusion_geo.siting.closure_scenario`). ``close`` is a name
        or id, or a list of them."""
        from .siting import closure_scenario

        self._unmeasured_check("a closure's effect")
        a = self.areas
        return closure_scenario(
            self.assets,
            self.settings.centroids,
            a["population"],
            close=close,
            catchment_m=self.settings.catchments_m[1],
            demand=a["offline_adults"] if "offline_adults" in a else None,
            hours_cut=hours_cut,
            wards=a["ward_code"],
            circuity=self.settings.circuity,
        )

    def popup_rota(
        self,
        k: int = 5,
        *,
        demand: str | pd.Series = "offline",
        candidates=None,
        time_limit: float = 10.0,
    ):
        """A weekly pop-up rota: ``k`` sessions across candidate venues (default: the
        register's tier-2 venues) and days, using their opening hours, reaching the most
        ``demand`` (:func:`inclusion_geo.siting.popup_rota`). Demand already within reach of
        digital support (tier 1) does not count: pop-ups are for the places support does not
        reach."""
        from .siting import popup_rota

        sites = self.assets[self.assets["tier"] == 2] if candidates is None else candidates
        reached = self.areas["dist_tier1_m"] <= self.settings.catchments_m[1]
        return popup_rota(
            self._demand(demand).where(~reached, 0.0),
            self.settings.centroids,
            sites,
            k=k,
            catchment_m=self.settings.catchments_m[1],
            circuity=self.settings.circuity,
            time_limit=time_limit,
        )

    def headcounts(self) -> pd.DataFrame:
        """Adults likely offline and lacking basic digital skills in the study area, with their
        ranges, and how many live in priority areas and in gap areas (no help within reach).

        **Modelled estimates, not counts**: published national rates by age applied to each
        area's adults (:func:`inclusion_geo.headcounts.estimate_offline`; sources in
        ``inclusion_geo/data/rates.md``). Empty where the counts lacked the age bands.
        """
        a = self.areas
        rows = {}
        for measure in ("offline", "no_basic_skills"):
            col = f"{measure}_adults"
            if col not in a:
                continue
            priority = a["priority_band"] <= 2
            gap = priority & a["action"].eq("gap") if "action" in a else priority & False
            rows[measure] = {
                "adults": float(a[col].sum()),
                "low": float(a[f"{col}_low"].sum()),
                "high": float(a[f"{col}_high"].sum()),
                "in_priority_areas": float(a.loc[priority, col].sum()),
                "in_gap_areas": float(a.loc[gap, col].sum()),
            }
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "measure"
        out.attrs["label"] = "modelled estimate, not a count"
        return out

    def summary(self) -> str:
        """A short human summary in Markdown."""
        from .report import summary_text

        return summary_text(self)

    def __repr__(self) -> str:
        """One line: place, areas, wards, places used and priority areas."""
        from ._safe import clean_text

        label = f" ({clean_text(self.label)})" if self.label else ""
        n_priority = int((self.areas["priority_band"] <= 2).sum()) if "priority_band" in self.areas else 0  # fmt: skip
        return (
            f"<StageTwoResult {clean_text(self.place)}{label}: {len(self.areas):,} areas, "
            f"{len(self.wards):,} wards, {len(self.assets):,} places, {n_priority:,} priority "
            "areas>"
        )

    def _repr_html_(self) -> str:
        """A summary card for notebooks; every name is escaped (names are other people's text)."""
        from ._safe import html_text as esc
        from .report import recipe_label

        a = self.areas
        band = a["priority_band"] if "priority_band" in a else pd.Series(4, index=a.index)
        top = a[band <= 2]
        rows = [
            ("Small areas", f"{len(a):,} ({int(a['population'].sum()):,} residents)"),
            ("Wards", f"{len(self.wards):,}"),
            (
                "Priority areas",
                f"{len(top):,} in bands 1-2 ({int(top['population'].sum()):,} residents)",
            ),  # fmt: skip
        ]
        if "action" in top and len(top):
            counts = top["action"].value_counts()
            rows.append(("What to do there", ", ".join(f"{n} {k}" for k, n in counts.items())))
        if "tier" in self.assets:
            tiers = self.assets["tier"].value_counts()
            rows.append(
                ("Places used", f"{len(self.assets):,}: {int(tiers.get(1, 0))} offer digital "
                 f"support, {int(tiers.get(2, 0))} could host it, {int(tiers.get(3, 0))} context")
            )  # fmt: skip
        else:
            rows.append(("Places used", f"{len(self.assets):,}"))
        if "offline_adults" in a:
            rows.append(
                ("Adults likely offline", f"about {a['offline_adults'].sum():,.0f} "
                 f"({a['offline_adults_low'].sum():,.0f} to {a['offline_adults_high'].sum():,.0f}; a modelled estimate)")
            )  # fmt: skip
        rows.append(("Recipe", recipe_label(self)))
        dropped = self.settings.dropped_indicators
        if dropped:
            rows.append(("Scored without", ", ".join(map(str, dropped))))
        body = "".join(
            f"<tr><th style='text-align:left;padding-right:1em'>{esc(k)}</th>"
            f"<td style='text-align:left'>{esc(v)}</td></tr>"
            for k, v in rows
        )
        first = "".join(
            f"<li>{esc(row['name'])} ({esc(row['ward_name'])}): {esc(row.get('priority_label', ''))}</li>"  # fmt: skip
            for _, row in top.head(5).iterrows()
        )
        first = f"<p>First priority areas:</p><ol>{first}</ol>" if first else ""
        methods = (
            "<p><code>.map()</code> the interactive map &middot; <code>.priority_table()</code> "
            "&middot; <code>.summary()</code> &middot; <code>.headcounts()</code> &middot; "
            "<code>.select_sites(k=5)</code> &middot; "
            "<code>inclusion_geo.report.write_outputs(result, folder)</code></p>"
        )
        return (
            "<div style='border:1px solid #ccc;border-radius:6px;padding:0.6em 1em;"
            "max-width:46em'>"
            f"<h4 style='margin:0 0 0.4em'>{esc(self.title)}</h4><table>{body}</table>"
            f"{first}{methods}</div>"
        )

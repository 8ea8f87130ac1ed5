"""Hybrid terrestrial-satellite latency: fiber, LEO and GEO side by side, with failures.

One graph per time step joins the satellite network (user-terminal GSLs at
sites, gateway GSLs, ISLs per the :class:`~leolat.links.LinkPolicy`) with the
terrestrial fiber of a :class:`~leolat.terrestrial.Terrestrial`; shortest paths
over it give the hybrid RTT and the medium that carries it:

``fiber``
    no satellite on the path;
``leo``
    satellites, and fiber only on access links (metro tails);
``leo+fiber``
    satellites and backbone fiber.

For comparison, at the same times: the fiber-only RTT (no GSLs), the LEO-only
RTT (no backbone fiber) and a GEO bent pipe; under a :class:`~leolat.scenario.Scenario`
also the normal (no-failure) RTT, the added latency and the reachable share.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ..base.budget import DEFAULT_MEMORY_BUDGET_MB
from ..base.constants import SPEED_OF_LIGHT_KM_S
from ..base.errors import LeolatError
from ..base.types import ArrayLike
from ..ground.terrestrial import Terrestrial
from ..orbits.propagate import DEFAULT_BACKEND
from ..reference.time import TimeLike, as_timegrid
from .geo import geo_bent_pipe_rtt_ms
from .links import LinkPolicy
from .operator import Operator
from .pairs import PairSpec
from .routes import Routes, RoutingVariant
from .routing import Network
from .scenario import Scenario
from .service_hybrid import service_scenario

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from ..orbits.constellation import Constellation

__all__ = ["hybrid_latency", "run_scenario", "compare_scenarios", "scenario_periods",
           "hybrid_summary", "MEDIA", "ROUTINGS"]

ROUTINGS = ("fastest", "fiber_first")

# Medium labels, indexed by the kernel's MEDIUM_* code + 1 (-1 none ... 2 leo+fiber).
MEDIA = np.array(["none", "fiber", "leo", "leo+fiber"])


def hybrid_latency(constellation: Constellation, terrestrial: Terrestrial, times: TimeLike,
                   pairs: PairSpec = "all", *, policy: LinkPolicy = LinkPolicy(),
                   scenario: Scenario | None = None, routing: str = "fastest",
                   geo_longitudes_deg: ArrayLike | None = None, geo_min_elevation_deg: float = 10.0,
                   backend: str = DEFAULT_BACKEND, ut1_utc: bool = True,
                   memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> xr.Dataset:
    """Latency over the hybrid graph, with fiber-only, LEO-only and GEO comparisons.

    Parameters
    ----------
    constellation : Constellation
    terrestrial : Terrestrial
        Ground nodes with roles and the fiber links between them.
    times : TimeGrid
    pairs : "all", or a sequence of (name, name) / (index, index) of ground nodes
    policy : LinkPolicy
        GSL and ISL rules (``ground_relay`` applies to sites only: gateways, PoPs
        and cloud regions always forward).
    scenario : Scenario, optional
        Outages; adds the normal case and the added latency.
    routing : {"fastest", "fiber_first"}
        ``"fastest"``: the shortest path over fiber and satellites together.
        ``"fiber_first"``: the fiber-only path whenever one exists, the fastest
        path otherwise (satellites as failover, as most enterprise WANs are set up).
    geo_longitudes_deg : float or array_like, optional
        GEO slots for the bent-pipe baseline (default: the best-placed slot).
    geo_min_elevation_deg : float
        GEO elevation needed at both ends.
    backend, ut1_utc, memory_budget_mb
        As for :class:`~leolat.network.Network`.

    Returns
    -------
    xarray.Dataset
        dims (time, pair): ``rtt_ms``, ``one_way_ms``, ``medium`` (str),
        ``fiber_ms`` (one-way time in fiber), ``hops``, ``isl_hops``, ``gsl_hops``,
        ``fiber_hops``, ``first_sat``, ``last_sat``, ``path_change``,
        ``fiber_only_rtt_ms``, ``leo_only_rtt_ms``; per pair: ``geodesic_km``,
        ``vacuum_rtt_ms``, ``geo_rtt_ms``, ``geo_longitude_deg``, ``path_changes``,
        ``reachable_pct``. With a scenario also ``normal_rtt_ms``, ``normal_medium``
        and ``added_ms`` (time, pair). NaN RTT where no path exists.
    """
    if not isinstance(terrestrial, Terrestrial):
        raise LeolatError(f"terrestrial must be a leolat.Terrestrial, got {type(terrestrial).__name__}")
    net = Network(constellation, terrestrial, policy, backend=backend, ut1_utc=ut1_utc)
    return run_scenario(net, times, pairs, scenario, routing=routing,
                        geo_longitudes_deg=geo_longitudes_deg,
                        geo_min_elevation_deg=geo_min_elevation_deg,
                        memory_budget_mb=memory_budget_mb)


def run_scenario(network: Network, times: TimeLike, pairs: PairSpec = "all",
                 scenario: Scenario | None = None, *, routing: str = "fastest",
                 geo_longitudes_deg: ArrayLike | None = None, geo_min_elevation_deg: float = 10.0,
                 memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB,
                 normal: Routes | None = None, operator: Operator | None = None) -> xr.Dataset:
    """:func:`hybrid_latency` on an existing hybrid :class:`~leolat.Network`.

    ``normal`` may pass the no-failure routes of the same times and pairs (from
    ``network.route(times, pairs)``) when several scenarios share them.

    With an ``operator``, the LEO medium is the operator's service path — the office's
    serving satellite, lasers to a gateway, the country's PoP, then the terrestrial estimate
    to the destination (:func:`leolat.network.service_hybrid.service_scenario`) — instead of
    the shortest path through satellites and ground nodes.
    """
    if operator is not None:
        if routing not in ROUTINGS:
            raise LeolatError(f"routing must be one of {ROUTINGS}, got {routing!r}")
        return service_scenario(network, operator, times, pairs, scenario, routing=routing,
                                geo_longitudes_deg=geo_longitudes_deg,
                                geo_min_elevation_deg=geo_min_elevation_deg,
                                memory_budget_mb=memory_budget_mb)
    if network.terrestrial is None:
        raise LeolatError("hybrid routing needs a Network built over a leolat.Terrestrial "
                          "(its ground nodes and fiber links)")
    if scenario is not None and not isinstance(scenario, Scenario):
        raise LeolatError(f"scenario must be a leolat.Scenario, got {type(scenario).__name__}")
    if routing not in ROUTINGS:
        raise LeolatError(f"routing must be one of {ROUTINGS}, got {routing!r}")
    grid = as_timegrid(times)
    src, dst = network.resolve_pairs(pairs)
    resolved = scenario.resolve(network, grid) if scenario is not None else None
    failing = scenario is not None and bool(scenario.outages)
    outages = resolved.outages if resolved is not None else None
    failed = resolved.failed_satellites if resolved is not None else ()
    # Every graph variant is routed on the same propagated chunks.
    variants = {"fiber_only": RoutingVariant(gsl=False, outages=resolved.fiber_cuts
                                             if resolved is not None else None),
                "leo_only": RoutingVariant(fiber="access", outages=outages,
                                           failed_satellites=failed)}
    if normal is None:
        variants["normal"] = RoutingVariant()
    if failing:
        variants["routed"] = RoutingVariant(outages=outages, failed_satellites=failed)
        if routing == "fiber_first":
            variants["normal_fiber"] = RoutingVariant(gsl=False)
    routes = network.route(grid, list(zip(src.tolist(), dst.tolist())), variants,
                           memory_budget_mb=memory_budget_mb)
    normal = normal if normal is not None else routes["normal"]
    routed = routes.get("routed", normal)
    fiber_only, leo_only = routes["fiber_only"], routes["leo_only"]
    if routing == "fiber_first":
        routed = fiber_only.where(fiber_only.reachable, routed)
        normal_fiber = routes.get("normal_fiber", fiber_only)
        normal = normal_fiber.where(normal_fiber.reachable, normal)

    ds = network.latency_dataset(routed)
    tp = ("time", "pair")
    ds["medium"] = tp, MEDIA[routed.medium + 1]
    ds["fiber_ms"] = tp, routed.fiber_km * (1e3 / SPEED_OF_LIGHT_KM_S)
    ds["gsl_hops"] = tp, routed.gsl_hops
    ds["fiber_hops"] = tp, routed.fiber_hops
    ds["path_change"] = ds["path_change"] | _medium_change(routed.medium)
    ds["path_changes"] = ds["path_change"].sum("time")
    ds["fiber_only_rtt_ms"] = tp, fiber_only.rtt_ms
    ds["leo_only_rtt_ms"] = tp, leo_only.rtt_ms
    gs = network.sites
    geo_rtt, geo_lon = geo_bent_pipe_rtt_ms(gs[src], gs[dst], geo_longitudes_deg,
                                            min_elevation_deg=geo_min_elevation_deg)
    ds["geo_rtt_ms"] = ("pair",), geo_rtt
    ds["geo_longitude_deg"] = ("pair",), geo_lon
    ds["reachable_pct"] = ("pair",), 100.0 * np.mean(routed.reachable, axis=0)
    if scenario is not None:
        ds["normal_rtt_ms"] = tp, normal.rtt_ms
        ds["normal_medium"] = tp, MEDIA[normal.medium + 1]
        ds["added_ms"] = ds["rtt_ms"] - ds["normal_rtt_ms"]
    for k in ("fiber_ms", "fiber_only_rtt_ms", "leo_only_rtt_ms", "geo_rtt_ms", "normal_rtt_ms",
              "added_ms"):
        if k in ds:
            ds[k].attrs["units"] = "ms"
    ds["geo_longitude_deg"].attrs["units"] = "degree_east"
    ds["reachable_pct"].attrs["units"] = "percent"
    t = network.terrestrial
    starts = sorted({str(o.start)[:19] + "Z" for o in (scenario.outages if scenario else ())
                     if o.start is not None})
    ds.attrs.update(scenario=(scenario.describe() if scenario is not None else "normal"),
                    scenario_name=(scenario.name if scenario is not None else "normal"),
                    outage_starts_utc=" ".join(starts),
                    routing=routing,
                    n_ground_nodes=len(t.nodes), n_fiber_links=t.n_links,
                    fiber_refractive_index=t.refractive_index, fiber_stretch=t.stretch,
                    geo_min_elevation_deg=geo_min_elevation_deg)
    return ds


def _medium_change(medium: np.ndarray) -> np.ndarray:
    change = np.zeros(medium.shape, dtype=bool)
    change[1:] = medium[1:] != medium[:-1]
    return change


def hybrid_summary(ds: xr.Dataset) -> pd.DataFrame:
    """Per-pair table of a hybrid Dataset: RTT median/p95/max, reachable share, time share
    of each medium, and the comparisons (medians over time), as a pandas DataFrame."""
    import pandas as pd

    def med(name):
        return _nan_reduce(np.nanmedian, ds[name].values)

    rtt = ds["rtt_ms"].values
    out = {
        "pair": ds["pair"].values,
        "rtt_median_ms": _nan_reduce(np.nanmedian, rtt),
        "rtt_p95_ms": _nan_reduce(lambda a, axis: np.nanpercentile(a, 95, axis=axis), rtt),
        "rtt_max_ms": _nan_reduce(np.nanmax, rtt),
        # From the RTTs, not ds["reachable_pct"], so a time slice of ds gets its own share.
        "reachable_pct": 100.0 * np.mean(np.isfinite(rtt), axis=0),
    }
    medium = ds["medium"].values
    for m in MEDIA[1:]:
        out[f"pct_{m.replace('+', '_')}"] = 100.0 * np.mean(medium == m, axis=0)
    if "normal_rtt_ms" in ds:
        out["normal_rtt_median_ms"] = med("normal_rtt_ms")
        out["added_median_ms"] = med("added_ms")
        out["added_max_ms"] = _nan_reduce(np.nanmax, ds["added_ms"].values)
    # The comparisons' medians come with their reachability, so an outage never hides in a median.
    out["fiber_only_rtt_median_ms"] = med("fiber_only_rtt_ms")
    out["fiber_only_reachable_pct"] = 100.0 * np.mean(np.isfinite(ds["fiber_only_rtt_ms"].values), axis=0)
    out["leo_only_rtt_median_ms"] = med("leo_only_rtt_ms")
    out["leo_only_reachable_pct"] = 100.0 * np.mean(np.isfinite(ds["leo_only_rtt_ms"].values), axis=0)
    out["geo_rtt_ms"] = ds["geo_rtt_ms"].values
    out["vacuum_rtt_ms"] = ds["vacuum_rtt_ms"].values
    return pd.DataFrame(out)


def _nan_reduce(fn, values):
    """``fn(values, axis=0)`` per column, NaN for columns without a finite value (no warning)."""
    res = np.full(values.shape[1], np.nan)
    ok = np.isfinite(values).any(axis=0)
    if ok.any():
        res[ok] = fn(values[:, ok], axis=0)
    return res


def scenario_periods(scenario: Scenario, times: TimeLike) -> list[tuple[str, np.ndarray]]:
    """The steps before, during and after a scenario's timed outages.

    Returns
    -------
    list of (label, mask)
        ``("before", ...)`` steps before the first outage starts, ``("during", ...)`` steps
        where any outage is in force, ``("after", ...)`` the others once one has started;
        each mask is (n_times,) bool and only non-empty periods are listed.
        ``[("all", all True)]`` when no outage has a time, or one lasts the whole window.
    """
    grid = as_timegrid(times)
    ns = grid.utc.astype("datetime64[ns]")
    everything = [("all", np.ones(len(grid), bool))]
    if not scenario.outages or any(o.start is None and o.end is None for o in scenario.outages):
        return everything
    active = np.zeros(len(grid), bool)
    for o in scenario.outages:
        on = np.ones(len(grid), bool)
        if o.start is not None:
            on &= ns >= o.start.astype("datetime64[ns]")
        if o.end is not None:
            on &= ns < o.end.astype("datetime64[ns]")
        active |= on
    if active.all() or not active.any():
        return everything
    started = np.cumsum(active) > 0
    periods = [("before", ~started), ("during", active), ("after", started & ~active)]
    return [(label, mask) for label, mask in periods if mask.any()]


def compare_scenarios(network: Network, scenarios: Iterable[Scenario], times: TimeLike,
                      pairs: PairSpec = "all", *, split: bool = True, **kw) -> pd.DataFrame:
    """Run several scenarios (the normal case is routed once) and return one tidy
    pandas DataFrame, a row per (scenario, pair), columns as :func:`hybrid_summary`
    (always with ``normal_rtt_median_ms`` and ``added_*``).

    With ``split`` (default) and a scenario whose outages have times, its rows are per
    period instead (:func:`scenario_periods`: ``before``, ``during``, ``after``), so the
    failure is not averaged away by the hours around it; the ``period`` column says which
    (``all`` for unsplit rows) and ``period_steps`` how many steps each row summarises.
    """
    import pandas as pd

    scenarios = list(scenarios)
    if not scenarios:
        raise LeolatError("compare_scenarios needs at least one Scenario")
    grid = as_timegrid(times)
    normal = None if kw.get("operator") is not None else network.route(
        grid, pairs, memory_budget_mb=kw.get("memory_budget_mb", DEFAULT_MEMORY_BUDGET_MB))
    tables = []
    periods = {sc.name: scenario_periods(sc, grid) if split else [("all", np.ones(len(grid), bool))]
               for sc in scenarios}
    with_periods = any(len(p) > 1 for p in periods.values())
    for sc in scenarios:
        ds = run_scenario(network, grid, pairs, sc, normal=normal, **kw)
        for label, mask in periods[sc.name]:
            table = hybrid_summary(ds if mask.all() else ds.isel(time=np.nonzero(mask)[0]))
            if with_periods:
                table.insert(0, "period_steps", int(mask.sum()))
                table.insert(0, "period", label)
            table.insert(0, "scenario", sc.name)
            tables.append(table)
    return pd.concat(tables, ignore_index=True)

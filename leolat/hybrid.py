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

import numpy as np

from .constants import SPEED_OF_LIGHT_KM_S
from .errors import LeolatError
from .geo import geo_bent_pipe_rtt_ms
from .links import LinkPolicy
from .network import Network
from .scenario import Scenario
from .terrestrial import Terrestrial
from .time import TimeGrid

__all__ = ["hybrid_latency", "run_scenario", "compare_scenarios", "hybrid_summary", "MEDIA"]

# Medium labels, indexed by the kernel's MEDIUM_* code + 1 (-1 none ... 2 leo+fiber).
MEDIA = np.array(["none", "fiber", "leo", "leo+fiber"])


def hybrid_latency(constellation, terrestrial: Terrestrial, times: TimeGrid, pairs="all", *,
                   policy: LinkPolicy = LinkPolicy(), scenario: Scenario | None = None,
                   routing: str = "fastest", geo_longitudes_deg=None, geo_min_elevation_deg: float = 10.0,
                   backend: str = "numba", ut1_utc: bool = True,
                   memory_budget_mb: float = 512.0):
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


def run_scenario(network: Network, times: TimeGrid, pairs="all", scenario: Scenario | None = None,
                 *, routing: str = "fastest", geo_longitudes_deg=None, geo_min_elevation_deg: float = 10.0,
                 memory_budget_mb: float = 512.0, _normal=None):
    """:func:`hybrid_latency` on an existing hybrid :class:`~leolat.network.Network`."""
    if network.terrestrial is None:
        raise LeolatError("hybrid routing needs a Network built over a leolat.Terrestrial "
                          "(its ground nodes and fiber links)")
    if scenario is not None and not isinstance(scenario, Scenario):
        raise LeolatError(f"scenario must be a leolat.Scenario, got {type(scenario).__name__}")
    if routing not in ("fastest", "fiber_first"):
        raise LeolatError(f"routing must be 'fastest' or 'fiber_first', got {routing!r}")
    src, dst = network.resolve_pairs(pairs)
    outages, failed, fiber_cuts = (scenario.resolve(network, times) if scenario is not None
                                   else (None, (), None))
    failing = scenario is not None and bool(scenario.outages)
    # Every graph variant is routed on the same propagated chunks.
    variants = {"fiber_only": dict(gsl=False, outages=fiber_cuts),
                "leo_only": dict(fiber="access", outages=outages, failed_sats=failed)}
    if _normal is None:
        variants["normal"] = {}
    if failing:
        variants["routed"] = dict(outages=outages, failed_sats=failed)
        if routing == "fiber_first":
            variants["normal_fiber"] = dict(gsl=False)
    routes = dict(zip(variants, network._route_variants(times, src, dst, list(variants.values()),
                                                        memory_budget_mb)))
    normal = _normal if _normal is not None else routes["normal"]
    routed = routes.get("routed", normal)
    fiber_only, leo_only = routes["fiber_only"], routes["leo_only"]
    if routing == "fiber_first":
        routed = _fiber_first(fiber_only, routed)
        normal = _fiber_first(routes.get("normal_fiber", fiber_only), normal)

    ds = network._dataset(times, src, dst, routed)
    tp = ("time", "pair")
    ds["medium"] = tp, MEDIA[routed["medium"] + 1]
    ds["fiber_ms"] = tp, routed["fiber_km"] * (1e3 / SPEED_OF_LIGHT_KM_S)
    for k in ("gsl_hops", "fiber_hops"):
        ds[k] = tp, routed[k]
    ds["path_change"] = ds["path_change"] | _medium_change(routed["medium"])
    ds["path_changes"] = ds["path_change"].sum("time")
    ds["fiber_only_rtt_ms"] = tp, 2.0 * network.one_way_ms(fiber_only)
    ds["leo_only_rtt_ms"] = tp, 2.0 * network.one_way_ms(leo_only)
    gs = network.ground_stations
    geo_rtt, geo_lon = geo_bent_pipe_rtt_ms(gs[src], gs[dst], geo_longitudes_deg,
                                            min_elevation_deg=geo_min_elevation_deg)
    ds["geo_rtt_ms"] = ("pair",), geo_rtt
    ds["geo_longitude_deg"] = ("pair",), geo_lon
    ds["reachable_pct"] = ("pair",), 100.0 * np.mean(np.isfinite(ds["rtt_ms"].values), axis=0)
    if scenario is not None:
        ds["normal_rtt_ms"] = tp, 2.0 * network.one_way_ms(normal)
        ds["normal_medium"] = tp, MEDIA[normal["medium"] + 1]
        ds["added_ms"] = ds["rtt_ms"] - ds["normal_rtt_ms"]
    for k in ("fiber_ms", "fiber_only_rtt_ms", "leo_only_rtt_ms", "geo_rtt_ms", "normal_rtt_ms",
              "added_ms"):
        if k in ds:
            ds[k].attrs["units"] = "ms"
    ds["geo_longitude_deg"].attrs["units"] = "degree_east"
    ds["reachable_pct"].attrs["units"] = "percent"
    t = network.terrestrial
    ds.attrs.update(scenario=(scenario.describe() if scenario is not None else "normal"),
                    routing=routing,
                    n_ground_nodes=len(t.nodes), n_fiber_links=t.n_links,
                    fiber_refractive_index=t.refractive_index, fiber_stretch=t.stretch,
                    geo_min_elevation_deg=geo_min_elevation_deg)
    return ds


def _fiber_first(fiber: dict, hybrid: dict) -> dict:
    """Per (time, pair): the fiber-only path where there is one, else the hybrid path."""
    use_fiber = np.isfinite(fiber["distance_km"])
    return {k: np.where(use_fiber, fiber[k], hybrid[k]) for k in hybrid}


def _medium_change(medium: np.ndarray) -> np.ndarray:
    change = np.zeros(medium.shape, dtype=bool)
    change[1:] = medium[1:] != medium[:-1]
    return change


def hybrid_summary(ds):
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
        "reachable_pct": ds["reachable_pct"].values,
    }
    medium = ds["medium"].values
    for m in MEDIA[1:]:
        out[f"pct_{m.replace('+', '_')}"] = 100.0 * np.mean(medium == m, axis=0)
    if "normal_rtt_ms" in ds:
        out["normal_rtt_median_ms"] = med("normal_rtt_ms")
        out["added_median_ms"] = med("added_ms")
        out["added_max_ms"] = _nan_reduce(np.nanmax, ds["added_ms"].values)
    out["fiber_only_rtt_median_ms"] = med("fiber_only_rtt_ms")
    out["leo_only_rtt_median_ms"] = med("leo_only_rtt_ms")
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


def compare_scenarios(network: Network, scenarios, times: TimeGrid, pairs="all", **kw):
    """Run several scenarios (the normal case is routed once) and return one tidy
    pandas DataFrame, a row per (scenario, pair), columns as :func:`hybrid_summary`
    (always with ``normal_rtt_median_ms`` and ``added_*``)."""
    import pandas as pd

    scenarios = list(scenarios)
    if not scenarios:
        raise LeolatError("compare_scenarios needs at least one Scenario")
    src, dst = network.resolve_pairs(pairs)
    normal = network._route(times, src, dst, memory_budget_mb=kw.get("memory_budget_mb", 512.0))
    tables = []
    for sc in scenarios:
        ds = run_scenario(network, times, pairs, sc, _normal=normal, **kw)
        table = hybrid_summary(ds)
        table.insert(0, "scenario", sc.name)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)

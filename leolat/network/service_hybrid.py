"""Fiber vs LEO vs GEO with the LEO medium as an operator carries it: an office's traffic on
the satellites goes to its country's PoP (:func:`leolat.service_latency`) and continues over
the terrestrial estimate to the destination; fiber is routed over the WAN as in the hybrid
model. What :func:`leolat.run_scenario` does when given an ``operator``."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..base.budget import DEFAULT_MEMORY_BUDGET_MB
from ..base.types import ArrayLike
from ..ground.fiber import geodesic_km
from ..reference.time import TimeLike, as_timegrid
from .geo import geo_bent_pipe_rtt_ms
from .operator import Operator
from .pairs import PairSpec, pair_labels
from .routes import RoutingVariant
from .routing import Network
from .scenario import Scenario
from .service import service_latency

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["service_scenario"]


def _combine(fiber: np.ndarray, leo: np.ndarray, routing: str) -> tuple[np.ndarray, np.ndarray]:
    """RTT and medium (str) of each step under the routing rule."""
    if routing == "fiber_first":
        use_fiber = np.isfinite(fiber)
    else:  # fastest
        use_fiber = np.isfinite(fiber) & ~(leo < fiber)
    rtt = np.where(use_fiber, fiber, leo)
    medium = np.where(use_fiber, "fiber", np.where(np.isfinite(leo), "leo", "none"))
    return rtt, medium


def service_scenario(network: Network, operator: Operator, times: TimeLike,
                     pairs: PairSpec = "all", scenario: Scenario | None = None, *,
                     routing: str = "fastest", geo_longitudes_deg: ArrayLike | None = None,
                     geo_min_elevation_deg: float = 10.0,
                     memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> xr.Dataset:
    """The hybrid comparison with the operator's service path as the LEO medium.

    Fiber outages of ``scenario`` cut the WAN; its gateway, PoP and satellite outages act
    on the service (:func:`leolat.service_latency`). Returns the hybrid Dataset's variables
    (``rtt_ms``, ``medium``, ``fiber_only_rtt_ms``, ``leo_only_rtt_ms`` — here the service
    path to the PoP and on to the destination —, ``geo_rtt_ms``, ``vacuum_rtt_ms``,
    ``reachable_pct``, and with a scenario ``normal_rtt_ms``, ``added_ms``), plus the
    service's ``serving_sat`` and ``pop`` of each pair's source.
    """
    import xarray as xr

    grid = as_timegrid(times)
    src, dst = network.resolve_pairs(pairs)
    outages = scenario.outages if scenario is not None else ()
    fiber_part = Scenario("fiber", tuple(o for o in outages if o.kind == "fiber"))
    service_part = replace(scenario, outages=tuple(o for o in outages if o.kind != "fiber")) \
        if scenario is not None else None
    cuts = fiber_part.resolve(network, grid).fiber_cuts if fiber_part.outages else None
    variants = {"fiber_only": RoutingVariant(gsl=False, outages=cuts)}
    if scenario is not None:
        variants["normal_fiber"] = RoutingVariant(gsl=False)
    routes = network.route(grid, list(zip(src.tolist(), dst.tolist())), variants,
                           memory_budget_mb=memory_budget_mb)
    offices, office_of = np.unique(src, return_inverse=True)
    places, place_of = np.unique(dst, return_inverse=True)
    gs = network.sites
    kwargs: dict[str, Any] = dict(destinations=gs[places], policy=network.policy,
                                  service=network.service, memory_budget_mb=memory_budget_mb)
    svc = service_latency(network.constellation, operator, gs[offices], grid,
                          scenario=service_part, **kwargs)
    leo = svc["destination_rtt_ms"].values[:, office_of, place_of]
    fiber = routes["fiber_only"].rtt_ms
    rtt, medium = _combine(fiber, leo, routing)
    tp = ("time", "pair")
    geo_rtt, geo_lon = geo_bent_pipe_rtt_ms(gs[src], gs[dst], geo_longitudes_deg,
                                            min_elevation_deg=geo_min_elevation_deg)
    d_km = geodesic_km(gs.lat_deg[src], gs.lon_deg[src], gs.lat_deg[dst], gs.lon_deg[dst])
    ds = xr.Dataset(
        {"rtt_ms": (tp, rtt), "one_way_ms": (tp, rtt / 2.0), "medium": (tp, medium),
         "fiber_only_rtt_ms": (tp, fiber), "leo_only_rtt_ms": (tp, leo),
         "serving_sat": (tp, svc["serving_sat"].values[:, office_of]),
         "pop": (tp, svc["pop"].values[:, office_of]),
         "geo_rtt_ms": (("pair",), geo_rtt), "geo_longitude_deg": (("pair",), geo_lon),
         "geodesic_km": (("pair",), d_km),
         "vacuum_rtt_ms": (("pair",), 2.0 * d_km / 299792.458 * 1e3),
         "reachable_pct": (("pair",), 100.0 * np.mean(np.isfinite(rtt), axis=0))},
        coords={"time": grid.utc, "pair": pair_labels(gs, src, dst),
                "source": (("pair",), gs.names[src]), "destination": (("pair",), gs.names[dst]),
                "pop_code": (("pop_index",), operator.pops.names.astype(str))})
    if scenario is not None:
        normal_svc = service_latency(network.constellation, operator, gs[offices], grid, **kwargs)
        normal_leo = normal_svc["destination_rtt_ms"].values[:, office_of, place_of]
        normal_rtt, normal_medium = _combine(routes["normal_fiber"].rtt_ms, normal_leo, routing)
        ds["normal_rtt_ms"] = tp, normal_rtt
        ds["normal_medium"] = tp, normal_medium
        ds["added_ms"] = ds["rtt_ms"] - ds["normal_rtt_ms"]
    for k in ("rtt_ms", "one_way_ms", "fiber_only_rtt_ms", "leo_only_rtt_ms", "geo_rtt_ms",
              "vacuum_rtt_ms", "normal_rtt_ms", "added_ms"):
        if k in ds:
            ds[k].attrs["units"] = "ms"
    starts = sorted({str(o.start)[:19] + "Z" for o in outages if o.start is not None})
    ds.attrs.update(scenario=(scenario.describe() if scenario is not None else "normal"),
                    scenario_name=(scenario.name if scenario is not None else "normal"),
                    outage_starts_utc=" ".join(starts), routing=routing,
                    leo_medium=f"operator service: {operator!r}; PoP -> destination over the "
                               f"terrestrial estimate",
                    constellation=network.constellation.source,
                    geo_min_elevation_deg=geo_min_elevation_deg, **network.policy.as_attrs())
    return ds

"""Capacity on the operator's service path: how much of each terminal's demand its serving
satellite's user beams, the lasers to the exit satellite and the gateway's feeder antennas
can carry, step by step (:func:`service_capacity`).

The paths are the service model's (:func:`leolat.service_latency` with ``with_paths=True``):
one per terminal and step, so per-terminal max-min fairness is progressive filling, exact.
The backhaul from gateway to PoP, and what lies beyond the PoP, are not bounded here (the
service model's backhaul is a terrestrial estimate with no capacity).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ..base.errors import CapacityError
from ..base.types import ArrayLike
from . import flow_lp
from .allocation import per_path_filling
from .capacity import Capacity, rate_gbps
from .operator import Operator

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["service_capacity", "SERVICE_RESOURCE_KINDS"]

SERVICE_RESOURCE_KINDS = ("user", "isl", "feeder", "terminal")


def _requests(ds: xr.Dataset, demand_gbps) -> np.ndarray:
    names = [str(t) for t in ds["terminal"].values]
    if isinstance(demand_gbps, Mapping):
        unknown = sorted(set(map(str, demand_gbps)) - set(names))
        if unknown:
            raise CapacityError(f"demand_gbps names {unknown[0]!r}, which is no terminal of the "
                                f"service Dataset")
        raw = [demand_gbps.get(n, 0.0) for n in names]
    else:
        raw = np.broadcast_to(np.asarray(demand_gbps, dtype=object), (len(names),)).tolist()
    out = np.empty(len(names))
    for k, v in enumerate(raw):
        try:
            out[k] = rate_gbps(v, "demand_gbps")
        except CapacityError:
            raise CapacityError(f"demand_gbps for terminal {names[k]!r} must be a finite rate "
                                f">= 0 Gbps, got {v!r}") from None
    return out


def _gateway_gbps(operator: Operator, capacity: Capacity) -> np.ndarray:
    ant = (np.full(len(operator.gateways), np.nan) if operator.gateway_antennas is None
           else np.asarray(operator.gateway_antennas, float))
    out = np.empty(len(operator.gateways))
    for g, name in enumerate(operator.gateways.names):
        n = capacity.antennas.get(str(name))
        if n is None:
            n = ant[g] if np.isfinite(ant[g]) else capacity.gateway_antennas
        out[g] = n * capacity.feeder_gbps_per_antenna
    return out


class _Book:
    """This step's resources: an index per key, with capacity and kind."""

    def __init__(self):
        self.index: dict = {}
        self.caps: list = []
        self.kinds: list = []

    def add(self, key, kind: int, gbps: float) -> int:
        if key not in self.index:
            self.index[key] = len(self.caps)
            self.caps.append(gbps)
            self.kinds.append(kind)
        return self.index[key]


def service_capacity(ds: xr.Dataset, operator: Operator, demand_gbps: ArrayLike | Mapping,
                     capacity: Capacity | None = None, *, objective: str = "max_min_fair",
                     direction: str = "down") -> xr.Dataset:
    """Rates each terminal gets over its service path, step by step.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`leolat.service_latency` with ``with_paths=True`` (same ``operator``).
    operator : Operator
        Its gateways' antenna counts bound the feeders (``capacity.antennas`` overrides;
        ``capacity.gateway_antennas`` where neither knows).
    demand_gbps : float, (n_terminals,) array or mapping of terminal name to Gbps
    capacity : Capacity, optional
    objective : {"max_min_fair", "max_throughput"}
    direction : {"down", "up"}
        ``down``: Internet to terminal (feeder uplink, lasers from the exit towards the
        serving satellite, the serving satellite's user downlink); ``up``: the reverse.

    Returns
    -------
    xarray.Dataset
        dims (time, demand) — one demand per terminal, to the Internet at its PoP:
        ``requested_gbps``, ``allocated_gbps``, ``unmet_gbps``, ``leo_gbps`` (all of it),
        ``fiber_gbps`` (0), ``rtt_ms`` (the service's), ``bottleneck`` (the kind of the
        fullest resource on the path), ``reason`` ("" or "no service"); dims (time, kind):
        ``util_mean``, ``util_p95``, ``util_max``. :func:`leolat.capacity_summary` reads it.
    """
    import xarray as xr

    if "path_sat" not in ds:
        raise CapacityError("the service Dataset has no path_sat: call "
                            "leolat.service_latency(..., with_paths=True)")
    if objective not in ("max_min_fair", "max_throughput"):
        raise CapacityError(f"objective must be 'max_min_fair' or 'max_throughput', got "
                            f"{objective!r}")
    if direction not in ("down", "up"):
        raise CapacityError(f"direction must be 'down' or 'up', got {direction!r}")
    capacity = capacity if capacity is not None else Capacity()
    if len(ds["gateway_name"]) != len(operator.gateways):
        raise CapacityError("the service Dataset was computed with another operator "
                            f"({len(ds['gateway_name'])} gateways, this one has "
                            f"{len(operator.gateways)})")
    request = _requests(ds, demand_gbps)
    feeder_gbps = _gateway_gbps(operator, capacity)
    paths, gws = ds["path_sat"].values, ds["gateway"].values
    n_t, n_k = gws.shape
    kinds_n = len(SERVICE_RESOURCE_KINDS)
    alloc = np.zeros((n_t, n_k))
    bottleneck = np.full((n_t, n_k), "", dtype=object)
    util = np.full((n_t, kinds_n, 3), np.nan)
    for t in range(n_t):
        book = _Book()
        res = book.add
        served = np.nonzero((gws[t] >= 0) & (paths[t, :, 0] >= 0))[0]
        ptr, flat = [0], []
        for j in served:
            p = paths[t, j][paths[t, j] >= 0]
            flat.append(res(("user", int(p[0])), 0, capacity.user_gbps))
            hops = zip(p[1:], p[:-1]) if direction == "down" else zip(p[:-1], p[1:])
            flat += [res(("isl", int(a), int(b)), 1, capacity.isl_gbps) for a, b in hops]
            g = int(gws[t, j])
            flat.append(res(("feeder", g), 2, feeder_gbps[g]))
            if capacity.terminal_gbps is not None:
                flat.append(res(("terminal", int(j)), 3, capacity.terminal_gbps))
            ptr.append(len(flat))
        if not served.size:
            continue
        res_ptr, res_idx = np.array(ptr, np.int64), np.array(flat, np.int64)
        cap, kind = np.array(book.caps, float), np.array(book.kinds)
        dem = np.arange(served.size)
        if objective == "max_min_fair":
            x = per_path_filling(res_ptr, res_idx, dem, request[served], cap)
        else:
            from scipy.sparse import csc_matrix, csr_matrix

            a = csc_matrix((np.ones(res_idx.size), res_idx, res_ptr), shape=(cap.size, dem.size))
            d = csr_matrix((np.ones(dem.size), (dem, dem)), shape=(dem.size, dem.size))
            x = flow_lp.max_throughput(flow_lp.Columns(a, d, np.ones(dem.size)),
                                       request[served], cap)
        alloc[t, served] = x
        load = np.bincount(res_idx, weights=np.repeat(x, np.diff(res_ptr)), minlength=cap.size)
        u = np.where(cap > 0, load / np.where(cap > 0, cap, 1.0), np.where(load > 0, np.inf, 0.0))
        for k in range(kinds_n):
            sel = u[kind == k]
            if sel.size:
                util[t, k] = (sel.mean(), np.percentile(sel, 95), sel.max())
        for m, j in enumerate(served):
            on = res_idx[res_ptr[m]:res_ptr[m + 1]]
            bottleneck[t, j] = SERVICE_RESOURCE_KINDS[int(kind[on[np.argmax(u[on])]])]
    req = np.broadcast_to(request, (n_t, n_k)).copy()
    no_service = (gws < 0) | (paths[:, :, 0] < 0)
    td = ("time", "demand")
    out = xr.Dataset(
        {"requested_gbps": (td, req), "allocated_gbps": (td, alloc),
         "unmet_gbps": (td, np.maximum(req - alloc, 0.0)), "leo_gbps": (td, alloc),
         "fiber_gbps": (td, np.zeros((n_t, n_k))),
         "rtt_ms": (td, np.where(alloc > 0, ds["rtt_ms"].values, np.nan)),
         "bottleneck": (td, bottleneck.astype(str)),
         "reason": (td, np.where(no_service & (req > 0), "no service", "")),
         "util_mean": (("time", "kind"), util[:, :, 0]),
         "util_p95": (("time", "kind"), util[:, :, 1]),
         "util_max": (("time", "kind"), util[:, :, 2])},
        coords={"time": ds["time"].values, "demand": ds["terminal"].values,
                "kind": list(SERVICE_RESOURCE_KINDS),
                "pop": ("demand", ds["pop_code"].values[ds["pop"].values[0]])},
        attrs={"objective": objective, "routing": "service path", "direction": direction,
               "step_s": float(np.diff(ds["time"].values).mean() / np.timedelta64(1, "s"))
               if n_t > 1 else 0.0, "capacity": repr(capacity), "scenario": ""})
    return out

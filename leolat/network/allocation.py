"""Flow allocation: how much of a demand fits, on which paths, at what latency, step by step.

Per time step the network's graph (satellites, ground nodes, fiber; scenario outages
applied) gets capacities per *resource*: each directed laser link, each satellite's user
beams (up and down), each gateway's feeder antennas (up and down), each fiber link (each
direction), optionally each office's terminals. Demands are routed over up to ``k_paths``
diverse shortest paths (edge penalties between rounds) and given rates by the objective:

* ``"max_min_fair"``: per demand: progressive filling (numba) when every demand has one
  path, exact; a sequence of LPs otherwise (:func:`leolat.network.flow_lp.max_min_fair`).
* ``"max_throughput"``: one LP for the largest total, short paths preferred among near-equal
  totals.
* ``"max_min_fair_paths"``: per path (each path a flow, a demand's paths within its
  request): event-driven progressive filling, exact and fast.

``k_paths=None`` solves over every path exactly (the arc formulation: one flow variable
per demand and directed link), for small networks. ``routing="fiber_first"`` allocates on
fiber-only paths first and lets what does not fit **overflow** to paths over satellites, on
the capacity left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._kernels import flow as _kf
from ..base.budget import DEFAULT_MEMORY_BUDGET_MB, check_budget
from ..base.errors import CapacityError
from ..base.validate import did_you_mean
from ..reference.time import TimeLike, as_timegrid
from . import flow_lp
from .capacity import Capacity, Demand
from .flow_graph import C_KM_PER_MS, EDGE_FIBER, RESOURCE_KINDS, Resources, diverse_paths, resource_name, step_graph
from .queueing import mm1k_wait_ms
from .routing import Network
from .scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

__all__ = ["allocate", "capacity_summary", "OBJECTIVES", "ROUTINGS", "RESOURCE_KINDS"]

OBJECTIVES = ("max_min_fair", "max_throughput", "max_min_fair_paths")
ROUTINGS = ("fastest", "fiber_first")
_EPS = 1e-12
_TOP = 5  # most loaded resources reported per step
# Unmet demand below this fraction of the request is solver slack, not congestion.
_CONGESTED = 1e-6


class _PathColumns(flow_lp.Columns):
    """Paths as LP columns, the sparse matrices built only when an LP asks for them."""

    def __init__(self, res_ptr, res, dem, cost, n_res: int, n_demands: int):
        self.res_ptr, self.res_idx, self.demand = res_ptr, res, dem
        self._shape = (n_res, n_demands)
        self._res = self._dem = None
        self.cost, self.eq = np.asarray(cost, float), None

    @property
    def res(self):
        if self._res is None:
            from scipy.sparse import csc_matrix

            self._res = csc_matrix((np.ones(self.res_idx.size), self.res_idx, self.res_ptr),
                                   shape=(self._shape[0], self.demand.size))
        return self._res

    @property
    def dem(self):
        if self._dem is None:
            from scipy.sparse import csr_matrix

            n_p = self.demand.size
            self._dem = csr_matrix((np.ones(n_p), (self.demand, np.arange(n_p))),
                                   shape=(self._shape[1], n_p))
        return self._dem

    @property
    def n(self) -> int:
        return int(self.demand.size)

    def load(self, x: np.ndarray) -> np.ndarray:
        """(n_res,) Gbps on each resource for column rates ``x``."""
        return np.bincount(self.res_idx, weights=np.repeat(x, np.diff(self.res_ptr)),
                           minlength=self._shape[0])


def _columns(graph, ptr, edges, dem, n_demands: int):
    """Paths as LP columns, and each path's resources (CSR), light-km and medium."""
    _, _, w, ek, r1, r2, caps = graph[:7]
    n_p = dem.size
    lengths = np.add.reduceat(w[edges], ptr[:-1]) if n_p else np.zeros(0)
    leo = (np.add.reduceat((ek[edges] != EDGE_FIBER).astype(np.int64), ptr[:-1]) > 0
           if n_p else np.zeros(0, bool))
    res_ptr, res = _kf.path_resources(ptr, edges, r1, r2)
    return _PathColumns(res_ptr, res, dem, lengths, caps.size, n_demands), res_ptr, res, \
        lengths, leo


def _solve(cols, res_ptr, res, dem, request, cap, objective: str) -> np.ndarray:
    if dem.size == 0:
        return np.zeros(0)
    if objective == "max_throughput":
        return flow_lp.max_throughput(cols, request, cap)
    if objective == "max_min_fair_paths" or np.bincount(dem, minlength=request.size).max() <= 1:
        return per_path_filling(res_ptr, res, dem, request, cap)
    return flow_lp.max_min_fair(cols, request, cap)


def per_path_filling(res_ptr: np.ndarray, res: np.ndarray, dem: np.ndarray,
                     request: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Max-min fair rates over *paths* (each path a flow, as TCP shares a link per
    connection), each demand's paths together within its request: progressive filling with
    the request as one more resource the demand's paths share. Exact; with one path per
    demand it is the per-demand max-min fair allocation. (n_paths,) Gbps."""
    n_p, n_r = dem.size, cap.size
    counts = np.diff(res_ptr)
    ptr = np.zeros(n_p + 1, np.int64)
    np.cumsum(counts + 1, out=ptr[1:])
    flat = np.empty(ptr[-1], np.int64)
    last = ptr[1:] - 1
    keep = np.ones(ptr[-1], bool)
    keep[last] = False
    flat[keep] = res
    flat[last] = n_r + dem  # the demand's request, shared by its paths
    return _kf.progressive_filling(ptr, flat, np.arange(n_p), np.full(n_p, np.inf),
                                   np.concatenate([cap, request]), 1e-12)


def _arc_columns(graph, net: Network, src_nodes, dst_nodes):
    """Every path at once: one column per (demand, usable directed edge), conservation at
    every node but the demand's ends (ground nodes that do not relay carry no transit)."""
    from scipy.sparse import csr_matrix

    indptr, indices, w, ek, r1, r2, caps = graph[:7]
    n_sats = len(net.constellation)
    n = indptr.size - 1
    tail = np.repeat(np.arange(n), np.diff(indptr))
    head = indices
    transit_ok = np.ones(n, bool)
    transit_ok[n_sats:] = net.relay
    cols_d, cols_e = [], []
    for d, (s, t) in enumerate(zip(src_nodes, dst_nodes)):
        ok = ((transit_ok[head] | (head == t)) & (transit_ok[tail] | (tail == s))
              & (head != s) & (tail != t))
        e = np.nonzero(ok)[0]
        cols_d.append(np.full(e.size, d))
        cols_e.append(e)
    cd, ce = np.concatenate(cols_d), np.concatenate(cols_e)
    m = ce.size
    ar = np.arange(m)
    res = np.concatenate([r1[ce], r2[ce]])
    rc = np.concatenate([ar, ar])
    keep = res >= 0
    a_res = csr_matrix((np.ones(int(keep.sum())), (res[keep], rc[keep])), shape=(caps.size, m))
    s_of, t_of = np.asarray(src_nodes)[cd], np.asarray(dst_nodes)[cd]
    out_s = tail[ce] == s_of  # leaves the source: adds to the demand's rate
    a_dem = csr_matrix((np.ones(int(out_s.sum())), (cd[out_s], ar[out_s])),
                       shape=(len(src_nodes), m))
    # conservation rows, one per (demand, node) other than the ends: inflow - outflow = 0
    key_in = cd * n + head[ce]
    key_out = cd * n + tail[ce]
    inner_in = (head[ce] != s_of) & (head[ce] != t_of)
    inner_out = (tail[ce] != s_of) & (tail[ce] != t_of)
    keys = np.unique(np.concatenate([key_in[inner_in], key_out[inner_out]]))
    row_in = np.searchsorted(keys, key_in[inner_in])
    row_out = np.searchsorted(keys, key_out[inner_out])
    a_eq = csr_matrix((np.concatenate([np.ones(row_in.size), -np.ones(row_out.size)]),
                       (np.concatenate([row_in, row_out]),
                        np.concatenate([ar[inner_in], ar[inner_out]]))), shape=(keys.size, m))
    return flow_lp.Columns(a_res, a_dem, w[ce], a_eq), cd, ce


def _arc_need_bytes(n_demands: int, n_edges: int) -> float:
    # per column: two resource entries, one or two conservation entries, bounds, solution
    return float(n_demands) * n_edges * 8 * 16


def _check_args(network, demand, capacity, objective, routing, k_paths):
    if not isinstance(network, Network):
        raise CapacityError(f"network must be a leolat.Network, got {type(network).__name__}")
    if not isinstance(demand, Demand):
        raise CapacityError(f"demand must be a leolat.Demand, got {type(demand).__name__}")
    if not isinstance(capacity, Capacity):
        raise CapacityError(f"capacity must be a leolat.Capacity, got {type(capacity).__name__}")
    if objective not in OBJECTIVES:
        raise CapacityError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if routing not in ROUTINGS:
        raise CapacityError(f"routing must be one of {ROUTINGS}, got {routing!r}")
    if k_paths is not None and (isinstance(k_paths, bool) or int(k_paths) != k_paths
                                or k_paths < 1):
        raise CapacityError(f"k_paths must be a whole number >= 1 or None (every path), got "
                            f"{k_paths!r}")


def _nodes(net: Network, names: np.ndarray, what: str) -> np.ndarray:
    index = {str(n): k for k, n in enumerate(net.sites.names)}
    out = np.empty(names.size, np.int64)
    for k, nm in enumerate(names):
        nm = str(nm)
        if nm not in index:
            raise CapacityError(f"demand {k}: no ground node is named {nm!r} ({what})"
                                + did_you_mean(nm, sorted(index)))
        out[k] = index[nm]
    return out + len(net.constellation)


def allocate(network: Network, times: TimeLike, demand: Demand, capacity: Capacity | None = None,
             *, objective: str = "max_min_fair", k_paths: int | None = 4,
             routing: str = "fastest", scenario: Scenario | None = None,
             queue_buffer_ms: float | None = None,
             memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> xr.Dataset:
    """Rates for each demand at each step, over the network's satellites and fiber.

    Parameters
    ----------
    network : Network
        Ground nodes (sites, or a Terrestrial with gateways, PoPs, clouds) and satellites.
    times : TimeGrid
    demand : Demand
        (source, destination, Gbps); sources and destinations are ground node names.
    capacity : Capacity, optional
        Rates per link kind (defaults: :class:`~leolat.network.capacity.Capacity`).
    objective : {"max_min_fair", "max_throughput", "max_min_fair_paths"}
        Per demand (LPs when a demand has several paths), the largest total, or max-min fair
        over paths (progressive filling: each path a flow, as TCP connections share links;
        fast).
    k_paths : int or None
        Paths per demand (diverse shortest paths); None: every path, exactly (arc LP).
    routing : {"fastest", "fiber_first"}
        ``fiber_first``: fiber-only paths fill first, the rest overflows over satellites.
    scenario : Scenario, optional
        Fiber cuts, gateways down, failed satellites and planes, over their intervals.
    queue_buffer_ms : float, optional
        Latency under load: every resource an M/M/1/K queue with a buffer of this many ms at
        full rate (:mod:`leolat.network.queueing`); adds ``queue_ms`` (the rate-weighted
        one-way wait) and ``rtt_loaded_ms`` (``rtt_ms`` plus it: the return direction,
        acknowledgements, is taken as unloaded).

    Returns
    -------
    xarray.Dataset
        dims (time, demand): ``requested_gbps``, ``allocated_gbps``, ``unmet_gbps``,
        ``fiber_gbps``, ``leo_gbps``, ``rtt_ms`` (rate-weighted over the demand's paths;
        NaN with nothing allocated), ``n_paths``, ``reason`` ("" or "no path");
        dims (time, kind): ``util_mean``, ``util_p95``, ``util_max`` (allocated / capacity
        over the resources of each kind); dims (time, rank): ``top_resource``,
        ``top_util`` (the most loaded resources).
    """
    import xarray as xr

    capacity = capacity if capacity is not None else Capacity()
    _check_args(network, demand, capacity, objective, routing, k_paths)
    if queue_buffer_ms is not None:
        mm1k_wait_ms(0.0, 1.0, queue_buffer_ms)  # refuses a bad buffer before any work
    grid = as_timegrid(times)
    src = _nodes(network, demand.source, "source")
    dst = _nodes(network, demand.destination, "destination")
    n_t, n_d = len(grid), len(demand)
    st = Resources(network, capacity)
    if k_paths is None:
        n_e = 2 * (len(network.isl_a) + st.n_sats * st.n_gs
                   + (0 if network.terrestrial is None else network.terrestrial.n_links))
        check_budget(_arc_need_bytes(n_d, n_e), memory_budget_mb,
                     f"allocate(k_paths=None) for {n_d} demands and up to {n_e} directed links",
                     "pass k_paths=4 (or fewer demands) for a network this size")
    else:  # the path search's output buffers: (demand, path, hop) edge ids
        check_budget(n_d * int(k_paths) * 64 * 8.0 * 2, memory_budget_mb,
                     f"allocate(k_paths={k_paths}) for {n_d} demands",
                     "pass fewer demands or paths per call")
    resolved = scenario.resolve(network, grid) if scenario is not None else None
    n_links = 0 if network.terrestrial is None else network.terrestrial.n_links
    hours = (grid.unix_ns % (86400 * 10**9)) / 3.6e12
    src_lon = network.sites.lon_deg[src - st.n_sats]
    out = {k: np.zeros((n_t, n_d)) for k in ("requested_gbps", "allocated_gbps", "fiber_gbps",
                                              "leo_gbps", "delay_gbps_km", "wait_gbps_ms")}
    n_paths = np.zeros((n_t, n_d), np.int32)
    util = np.full((n_t, len(RESOURCE_KINDS), 3), np.nan)
    top_name = np.full((n_t, _TOP), "", dtype=object)
    top_util = np.full((n_t, _TOP), np.nan)
    stages = [True, False] if routing == "fiber_first" else [False]
    for ti in range(n_t):
        cut = np.zeros(n_links, bool)
        gw_down = np.zeros(st.n_gs, bool)
        sat_down = np.zeros(st.n_sats, bool)
        if resolved is not None:
            o = resolved.outages
            live = (o.t0 <= ti) & (ti < o.t1)
            items = o.item[live]
            cut[items[items < n_links]] = True
            gw_down[items[items >= n_links] - n_links] = True
            for f in resolved.failed_satellites:
                if f.t0 <= ti < f.t1:
                    sat_down[f.satellites] = True
        graph = step_graph(network, st, capacity, grid[ti], cut, gw_down, sat_down)
        caps = graph[6].copy()
        load = np.zeros(caps.size)
        request = demand.rates_at(float(hours[ti]), src_lon)
        out["requested_gbps"][ti] = request
        left = request.copy()
        done = []  # (columns, rates, demand of each column) of each stage
        for fiber_only in stages:
            if k_paths is None:
                cols, cd, ce = _arc_columns(graph, network, src, dst)
                if fiber_only:
                    keep = graph[3][ce] == EDGE_FIBER
                    cols = flow_lp.Columns(cols.res[:, keep], cols.dem[:, keep], cols.cost[keep],
                                           cols.eq[:, keep])
                    cd, ce = cd[keep], ce[keep]
                if objective == "max_min_fair_paths":
                    raise CapacityError("max_min_fair_paths needs paths: give k_paths")
                fn = (flow_lp.max_throughput if objective == "max_throughput"
                      else flow_lp.max_min_fair)
                x = fn(cols, left, np.maximum(caps - load, 0.0)) if cols.n else np.zeros(0)
                rate: np.ndarray = cols.dem @ x
                via_sat: np.ndarray = np.zeros(n_d)
                leaves = (graph[3][ce] != EDGE_FIBER) & (np.repeat(
                    np.arange(graph[0].size - 1), np.diff(graph[0]))[ce] == src[cd])
                np.add.at(via_sat, cd[leaves], x[leaves])
                np.add.at(out["delay_gbps_km"][ti], cd, x * graph[2][ce])
                n_paths[ti] += (rate > _EPS)
                done.append((cols, x, cd))
            else:
                ptr, edges, dem = diverse_paths(graph, network, src, dst, int(k_paths), fiber_only)
                cols, res_ptr, res, lengths, leo = _columns(graph, ptr, edges, dem, n_d)
                x = _solve(cols, res_ptr, res, dem, left, np.maximum(caps - load, 0.0),
                           objective)
                rate = np.bincount(dem, weights=x, minlength=n_d)
                via_sat = np.bincount(dem, weights=x * leo, minlength=n_d)
                out["delay_gbps_km"][ti] += np.bincount(dem, weights=x * lengths, minlength=n_d)
                n_paths[ti] += np.bincount(dem, minlength=n_d).astype(np.int32)
                done.append((cols, x, dem))
            load += cols.load(x) if isinstance(cols, _PathColumns) else cols.res @ x
            out["allocated_gbps"][ti] += rate
            out["leo_gbps"][ti] += via_sat
            out["fiber_gbps"][ti] += rate - via_sat
            left = np.maximum(left - rate, 0.0)
            left[left <= _CONGESTED * request] = 0.0  # solver slack does not overflow
        if queue_buffer_ms is not None:  # waits at the final load, weighted by rate
            wait = np.nan_to_num(mm1k_wait_ms(load, caps, queue_buffer_ms))
            for cols_s, x_s, owner in done:
                if x_s.size:
                    per_col = np.asarray(cols_s.res.T @ wait).ravel()
                    np.add.at(out["wait_gbps_ms"][ti], owner, x_s * per_col)
        kinds = graph[7]
        with np.errstate(invalid="ignore", divide="ignore"):
            u = np.where(caps > 0, load / caps, np.where(load > 0, np.inf, 0.0))
        for k in range(len(RESOURCE_KINDS)):
            sel = u[kinds == k]
            if sel.size:
                util[ti, k] = (sel.mean(), np.percentile(sel, 95), sel.max())
        top = np.argsort(-u)[:_TOP]
        top_name[ti, :top.size] = [resource_name(graph[8], int(r)) for r in top]
        top_util[ti, :top.size] = u[top]
    alloc = out["allocated_gbps"]
    with np.errstate(invalid="ignore", divide="ignore"):
        rtt = np.where(alloc > _EPS, 2.0 * out["delay_gbps_km"] / alloc / C_KM_PER_MS, np.nan)
    reason = np.where((n_paths == 0) & (out["requested_gbps"] > 0), "no path", "")
    with np.errstate(invalid="ignore", divide="ignore"):
        queue = np.where(alloc > _EPS, out["wait_gbps_ms"] / alloc, np.nan)
    td = ("time", "demand")
    return xr.Dataset(
        {"requested_gbps": (td, out["requested_gbps"]), "allocated_gbps": (td, alloc),
         "unmet_gbps": (td, np.maximum(out["requested_gbps"] - alloc, 0.0)),
         "fiber_gbps": (td, out["fiber_gbps"]), "leo_gbps": (td, out["leo_gbps"]),
         "rtt_ms": (td, rtt), "n_paths": (td, n_paths), "reason": (td, reason.astype(str)),
         "util_mean": (("time", "kind"), util[:, :, 0]),
         "util_p95": (("time", "kind"), util[:, :, 1]),
         "util_max": (("time", "kind"), util[:, :, 2]),
         "top_resource": (("time", "rank"), top_name.astype(str)),
         "top_util": (("time", "rank"), top_util),
         **({} if queue_buffer_ms is None else
            {"queue_ms": (td, queue), "rtt_loaded_ms": (td, rtt + queue)})},
        coords={"time": grid.utc, "demand": demand.labels,
                "kind": list(RESOURCE_KINDS), "rank": np.arange(_TOP),
                "source": ("demand", demand.source), "destination": ("demand", demand.destination)},
        attrs={"objective": objective, "routing": routing,
               "k_paths": "all" if k_paths is None else int(k_paths),
               "step_s": float(grid.step_s or 0.0),
               "capacity": repr(capacity), "scenario": "" if scenario is None else scenario.name})


def capacity_summary(ds: xr.Dataset) -> pd.DataFrame:
    """Per demand (and a ``total`` row): ``served_pct`` (allocated / requested volume),
    ``unmet_p95_gbps``, ``leo_gb`` (volume carried over satellites, the overflow under
    ``fiber_first``), ``congested_h`` (time with unmet demand), ``rtt_median_ms``."""
    import pandas as pd

    step = float(ds.attrs.get("step_s") or 0.0) or 1.0
    req, alloc = ds.requested_gbps.values, ds.allocated_gbps.values
    unmet, leo = ds.unmet_gbps.values, ds.leo_gbps.values

    def row(r, a, u, lo, rtt):
        with np.errstate(invalid="ignore", divide="ignore"):
            served = 100.0 * a.sum() / r.sum() if r.sum() > 0 else np.nan
        return {"requested_gb": r.sum() * step, "served_pct": served,
                "unmet_p95_gbps": float(np.percentile(u, 95)) if u.size else np.nan,
                "leo_gb": lo.sum() * step,
                "congested_h": float((u > _CONGESTED * np.maximum(r, 1.0)).sum()) * step / 3600.0,
                "rtt_median_ms": float(np.nanmedian(rtt)) if np.isfinite(rtt).any() else np.nan}

    rows = {str(d): row(req[:, j], alloc[:, j], unmet[:, j], leo[:, j], ds.rtt_ms.values[:, j])
            for j, d in enumerate(ds.demand.values)}
    total = row(req.sum(1), alloc.sum(1), unmet.sum(1), leo.sum(1), ds.rtt_ms.values.ravel())
    total["congested_h"] = float((unmet.sum(1) > _CONGESTED * np.maximum(req.sum(1), 1.0)).sum()
                                 ) * step / 3600.0
    rows["total"] = total
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "demand"
    return frame

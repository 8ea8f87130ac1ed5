"""How an operator carries a terminal's traffic: one serving satellite at a time, chosen on
the operator's global schedule, lasers to a satellite above a gateway, the gateway, backhaul
to the PoP the terminal's country is served from, and only there the Internet.

Per epoch (every ``Operator.epoch_s`` seconds, at ``epoch_offset_s`` past the minute) each
terminal is given its serving satellite by the operator's rule, and its route to its PoP is
chosen: the cheapest light path from the serving satellite over usable ISLs to a satellite
that a gateway sees above its mask, down to that gateway and over backhaul to the PoP
(a multi-source Dijkstra per PoP, from every gateway's visible satellites). Routes are
chosen per epoch, not per step, because that is when the operator reconfigures: its
controller plans on the 15-s schedule. Between epochs the path is held and its light time
follows the satellites; a terminal is re-served, or re-routed, before the next epoch only
if its serving satellite drops below the mask or a link of its path stops being usable.
Gateways are exits: no path ever goes down to a gateway and back up.

Backhaul from a gateway to a PoP is the terrestrial estimate between them
(:func:`leolat.terrestrial_rtt_ms`, one way), or light in fiber over the geodesic when they
share a metro (:func:`backhaul_one_way_ms`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._kernels import service as _ks
from ..base.budget import DEFAULT_MEMORY_BUDGET_MB
from ..base.constants import SPEED_OF_LIGHT_KM_S, WGS84_A_KM
from ..base.errors import OperatorError, ScenarioError
from ..base.types import ArrayLike
from ..base.validate import did_you_mean
from ..ground.baseline import MATCH_KM, fiber_bound_rtt_ms, sphere_km, terrestrial_rtt_ms
from ..ground.site_frames import site_frames
from ..ground.sites import Sites
from ..reference.time import TimeGrid, TimeLike, as_timegrid
from .links import LinkPolicy
from .operator import SELECTIONS, Operator
from .routing import Network
from .scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from ..orbits.constellation import Constellation

__all__ = ["service_latency", "service_summary", "epoch_index", "backhaul_one_way_ms",
           "antenna_limited"]

C_KM_PER_MS = SPEED_OF_LIGHT_KM_S / 1e3
_MAX_HOPS = 96  # ISL hops a path may take (a route around the Earth is ~40)
_AHEAD_S = 600.0  # look-ahead of "longest_remaining", at the epoch length


def epoch_index(times: TimeGrid, operator: Operator) -> np.ndarray:
    """(n_times,) int64: the operator epoch each instant falls in (epochs start at
    ``epoch_offset_s`` past the minute, every ``epoch_s``)."""
    ns = times.utc.astype("datetime64[ns]").astype(np.int64)
    period = int(round(operator.epoch_s * 1e9))
    offset = int(round(operator.epoch_offset_s * 1e9))
    return np.floor_divide(ns - offset, period)


class _Routes:
    """Per-PoP exit distances at one instant, computed on demand."""

    def __init__(self, r, net: Network, links, gw_frames, backhaul_km, operator: Operator,
                 gw_on: np.ndarray):
        self.r = r
        self.gw_frames = gw_frames
        self.backhaul_km = backhaul_km
        self.operator = operator
        n = r.shape[0]
        a, b, cross = links
        p = net.policy
        self.indptr = np.empty(n + 1, np.int64)
        self.indices = np.empty(2 * a.size, np.int64)
        self.weights = np.zeros(2 * a.size)  # entries past indptr[-1] stay unused: no garbage
        _ks.isl_csr(r, a.astype(np.int64), b.astype(np.int64), cross, float(p.max_isl_range_km),
                    WGS84_A_KM + float(p.grazing_altitude_km), float(p.isl_latitude_cutoff_deg),
                    self.indptr, self.indices, self.weights)
        # Every (gateway, satellite) feeder link usable now, and its length.
        g_idx = np.empty(len(gw_frames) * n, np.int64)
        s_idx = np.empty(len(gw_frames) * n, np.int64)
        m = _ks.feeder_links(r, gw_frames, gw_on, float(operator.gateway_min_elevation_deg), g_idx,
                             s_idx)
        g_idx, s_idx = g_idx[:m], s_idx[:m]
        feeder = np.linalg.norm(r[s_idx] - gw_frames[g_idx, :3], axis=1)
        if operator.antenna_limit and operator.gateway_antennas is not None:
            keep = antenna_limited(g_idx, feeder, operator.gateway_antennas)
            g_idx, s_idx, feeder = g_idx[keep], s_idx[keep], feeder[keep]
        self.g_idx, self.s_idx, self.feeder = g_idx, s_idx, feeder
        self.cache: dict[int, tuple] = {}

    def to_pop(self, pop: int, wanted: np.ndarray):
        """Exit distances towards PoP ``pop``, final at least for the satellites ``wanted``
        (the search stops once they are settled; cached for this instant)."""
        hit = self.cache.get(pop)
        if hit is None or not (hit[4] or hit[3][wanted].all()):
            n = self.r.shape[0]
            g_idx, s_idx = self.g_idx, self.s_idx
            cost = self.feeder + self.backhaul_km[g_idx, pop]
            dist = np.empty(n)
            nxt = np.empty(n, np.int64)
            gw = np.empty(n, np.int64)
            size = s_idx.size + self.indices.size + 1
            asked = np.zeros(n, bool)
            asked[wanted] = True
            target = asked.copy()
            _ks.exit_distances(n, self.indptr, self.indices, self.weights + self.operator.isl_hop_ms
                               * C_KM_PER_MS, s_idx.astype(np.int64), cost,
                               g_idx.astype(np.int64), dist, nxt, gw, np.empty(size),
                               np.empty(size, np.int64), target, int(asked.sum()))
            # Final values: for the satellites asked for; for all if the search ran out
            # (some asked-for satellite has no exit at all and stays marked).
            self.cache[pop] = (dist, nxt, gw, asked, bool(target.any()))
        return self.cache[pop][:3]


def antenna_limited(gateway: np.ndarray, feeder_km: np.ndarray,
                    antennas: np.ndarray) -> np.ndarray:
    """(n_links,) bool: the feeder links kept when each gateway tracks at most its antenna
    count of satellites, the nearest ones (the highest, for one shell); NaN: no limit.

    ``gateway`` (n_links,) int indexes ``antennas``; ``feeder_km`` (n_links,) is each link's
    length. Which satellites an operator really tracks is not public: nearest-first is the
    assumption that keeps the shortest feeder links.
    """
    limit = np.where(np.isfinite(antennas), antennas, np.inf)
    order = np.lexsort((feeder_km, gateway))
    g_sorted = gateway[order]
    rank = np.arange(g_sorted.size) - np.searchsorted(g_sorted, g_sorted, side="left")
    keep = np.zeros(gateway.size, bool)
    keep[order[rank < limit[g_sorted]]] = True
    return keep


def backhaul_one_way_ms(operator: Operator) -> np.ndarray:
    """(n_gateways, n_pops) one-way backhaul: light in fiber over the geodesic for a gateway
    within MATCH_KM of the PoP (same metro), else half the terrestrial estimate between them
    (:func:`leolat.terrestrial_rtt_ms`: measured, or the calibrated model)."""
    gws, pops = operator.gateways, operator.pops
    la, lo = np.repeat(gws.lat_deg, len(pops)), np.repeat(gws.lon_deg, len(pops))
    lb, lob = np.tile(pops.lat_deg, len(gws)), np.tile(pops.lon_deg, len(gws))
    rtt, _ = terrestrial_rtt_ms(la, lo, lb, lob)
    # Same metro: a haversine distance is within 0.5 % of the geodesic, microseconds here.
    d = sphere_km(la, lo, lb, lob)
    rtt = np.where(d <= MATCH_KM, fiber_bound_rtt_ms(d), rtt)
    return (rtt / 2.0).reshape(len(gws), len(pops))


def _path(nxt: np.ndarray, s: int, out: np.ndarray) -> int:
    """Follow next-hops from s to the exit satellite into ``out``; the number of ISL hops."""
    h = 0
    out[0] = s
    while nxt[s] >= 0 and h < _MAX_HOPS:
        s = int(nxt[s])
        h += 1
        out[h] = s
    return h


def service_latency(constellation: Constellation, operator: Operator, terminals: Sites,
                    times: TimeLike, *, destinations: Sites | None = None,
                    policy: LinkPolicy | None = None, service: ArrayLike | None = None,
                    scenario: Scenario | None = None, with_paths: bool = False,
                    memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> xr.Dataset:
    """Latency of each terminal's service, step by step, as the operator carries it.

    Parameters
    ----------
    constellation : Constellation
        With shells (``infer_shells()`` for a catalogue) for +Grid lasers.
    operator : Operator
        Gateways, PoPs, country assignment, epochs, serving rule, delays.
    terminals : Sites
        User terminals (their ``country`` picks the PoP; see :meth:`Operator.pop_for`).
    times : TimeGrid
    destinations : Sites, optional
        Places beyond the PoP (cloud regions, cities): adds ``(time, terminal,
        destination)`` round trips continuing over the terrestrial estimate.
    policy : LinkPolicy, optional
        Laser topology and limits (default: ``LinkPolicy()``, +Grid, 5,000 km).
    service : array_like of bool, optional
        Satellites that serve (default: all but direct-to-cell ones).
    scenario : Scenario, optional
        Outages, as in the hybrid model: ``gateway_down(name)`` (its traffic moves to the
        next cheapest gateway), ``pop_down(code)`` (its countries are served from the next
        nearest PoP), ``fail_satellites`` / ``fail_plane`` (never serving, never relaying).
        Fiber cuts are not part of the service path (backhaul is the terrestrial estimate)
        and are refused.

    Returns
    -------
    xarray.Dataset
        dims (time, terminal): ``rtt_ms``, ``one_way_ms`` and its one-way parts
        ``user_link_ms``, ``isl_ms``, ``feeder_ms``, ``backhaul_ms``, ``processing_ms``
        (``one_way_ms`` is their sum, ``rtt_ms`` twice it: the model is symmetric);
        ``serving_sat`` (-1 when none is eligible), ``gateway``, ``pop`` (indices into the
        coordinates ``gateway_name``, ``pop_code``; the PoP changes only in a PoP outage),
        ``isl_hops``, ``handover`` (the serving satellite changed at this step). NaN where no
        satellite serves or no route exists. With ``destinations``: ``destination_rtt_ms``
        (time, terminal, destination). With ``with_paths``: ``path_sat`` (time, terminal,
        hop), the satellites from the serving one to the exit (-1 beyond; for capacity:
        :func:`leolat.network.service_capacity.service_capacity`).
    """
    import xarray as xr

    if not isinstance(operator, Operator):
        raise OperatorError(f"operator must be a leolat.Operator, got {type(operator).__name__}")
    if not isinstance(terminals, Sites):
        raise OperatorError(f"terminals must be a leolat.Sites, got {type(terminals).__name__}")
    grid = as_timegrid(times)
    policy = policy or LinkPolicy(min_elevation_deg=operator.min_elevation_deg)
    net = Network(constellation, terminals, policy, service=service)
    n_t, n_k = len(grid), len(terminals)
    frames = site_frames(terminals)
    gw_frames = site_frames(operator.gateways)
    pop_of = operator.pop_for(terminals)
    pops = operator.pops
    backhaul_ms = backhaul_one_way_ms(operator) + operator.gateway_ms
    backhaul_km = backhaul_ms * C_KM_PER_MS
    gw_down, pop_down, sat_down = _resolve(scenario, operator, constellation, grid)
    rule = SELECTIONS.index(operator.selection)
    epochs = epoch_index(grid, operator)
    topo_epoch = np.floor(grid.offsets_s / float(policy.topology_epoch_s)).astype(np.int64)
    terms = np.arange(n_k, dtype=np.int64)
    ring = np.empty((n_k, _ks._ARC_SAMPLES, 3))
    _ks.gso_ring_directions(frames, terms, ring)

    out = {k: np.full((n_t, n_k), np.nan) for k in ("user", "isl", "feeder", "backhaul")}
    sat_out = np.full((n_t, n_k), -1, np.int64)
    gw_out = np.full((n_t, n_k), -1, np.int64)
    hops_out = np.full((n_t, n_k), -1, np.int32)
    paths_out = np.full((n_t if with_paths else 0, n_k, _MAX_HOPS + 1), -1, np.int32)
    serving = np.full(n_k, -1, np.int64)
    path = np.full((n_k, _MAX_HOPS + 1), -1, np.int64)
    n_hops = np.zeros(n_k, np.int64)
    exit_gw = np.full(n_k, -1, np.int64)
    user_km, isl_km, feeder_km = np.empty(n_k), np.empty(n_k), np.empty(n_k)
    ok, serving_ok = np.empty(n_k, bool), np.empty(n_k, bool)
    service_mask = net.service
    pop_out = np.empty((n_t, n_k), np.int64)
    pops_by_down: dict[tuple, np.ndarray] = {(): pop_of.copy()}

    topology: dict = {"epoch": None, "links": None}

    def route(which, r, state):
        """Choose the route to its PoP of each terminal in ``which`` at positions r."""
        if state["routes"] is None:
            # Nearest-neighbour lasers are chosen per topology epoch, as in Network.route.
            if topo_epoch[state["g"]] != topology["epoch"]:
                topology["epoch"] = topo_epoch[state["g"]]
                topology["links"] = net.isl_links_at_positions(r)
            state["routes"] = _Routes(r, net, topology["links"], gw_frames, backhaul_km, operator,
                                      state["gw_on"])
        wanted_by_pop: dict[int, np.ndarray] = {}
        for j in which:
            s = int(serving[j])
            exit_gw[j] = -1
            n_hops[j] = 0
            if s < 0:
                continue
            p = int(pop_of[j])
            if p not in wanted_by_pop:
                same = which[pop_of[which] == p]
                wanted_by_pop[p] = np.unique(serving[same][serving[same] >= 0])
            dist, nxt, gw = state["routes"].to_pop(p, wanted_by_pop[p])
            if np.isfinite(dist[s]):
                n_hops[j] = _path(nxt, s, path[j])
                exit_gw[j] = gw[path[j, n_hops[j]]]

    def reserve(which, r, g):
        """Give each terminal in ``which`` its serving satellite at step g (positions r)."""
        ahead = (_ahead(constellation, grid, g, operator, service_mask) if rule == 1
                 else np.empty((0, r.shape[0], 3)))
        sel = np.empty(which.size, np.int64)
        el = np.empty(which.size)
        _ks.select_serving(r, ahead, frames, which, ring[which], operator.min_elevation_deg,
                           operator.gso_exclusion_deg, rule, operator.seed, int(epochs[g]),
                           sel, el)
        serving[which] = sel

    def evaluate(r, gw_on):
        """Light-km of every terminal's held path at positions r, and whether it still holds."""
        _ks.evaluate_paths(r, frames, terms, serving, path, n_hops, exit_gw, gw_frames, gw_on,
                           operator.min_elevation_deg, operator.gateway_min_elevation_deg,
                           float(policy.max_isl_range_km),
                           WGS84_A_KM + float(policy.grazing_altitude_km), user_km, isl_km,
                           feeder_km, ok, serving_ok)

    current_epoch = None
    g = 0
    for eph in constellation.propagate_chunks(grid, positions_only=True,
                                              memory_budget_mb=memory_budget_mb):
        for lt in range(len(eph.times)):
            r = np.ascontiguousarray(eph.r_itrf_km[lt])
            r[~service_mask] = np.nan  # out of service: never serving, never relaying
            for t0, t1, idx in sat_down:
                if t0 <= g < t1:
                    r[idx] = np.nan  # failed: never serving, never relaying
            gw_on = np.ones(len(operator.gateways), bool)
            for t0, t1, k in gw_down:
                if t0 <= g < t1:
                    gw_on[k] = False
            down = tuple(sorted({k for t0, t1, k in pop_down if t0 <= g < t1}))
            if down not in pops_by_down:
                pops_by_down[down] = operator.pop_for(terminals, down=down)
            moved = np.nonzero(pops_by_down[down] != pop_of)[0]
            pop_of[:] = pops_by_down[down]
            state = {"routes": None, "g": g, "gw_on": gw_on}
            if epochs[g] != current_epoch:  # a reconfiguration: everyone re-served, re-routed
                current_epoch = epochs[g]
                reserve(terms, r, g)
                route(terms, r, state)
            elif moved.size:  # their PoP went down or came back: re-route now
                route(moved, r, state)
            evaluate(r, gw_on)
            lost = np.nonzero(~serving_ok)[0]
            if lost.size:  # the serving satellite set (or none was eligible): re-serve now
                reserve(lost, r, g)
                route(lost, r, state)
            broken = np.nonzero(~ok & (serving >= 0))[0]
            if broken.size:  # a link of the held path failed: re-route now
                route(broken, r, state)
            if lost.size or broken.size:
                evaluate(r, gw_on)
            sat_out[g] = np.where(serving_ok, serving, -1)
            good = ok & serving_ok
            out["user"][g] = np.where(serving_ok, user_km / C_KM_PER_MS, np.nan)
            out["isl"][g] = np.where(good, isl_km / C_KM_PER_MS, np.nan)
            out["feeder"][g] = np.where(good, feeder_km / C_KM_PER_MS, np.nan)
            gw_ok = np.where(good, exit_gw, -1)
            gw_out[g] = gw_ok
            out["backhaul"][g] = np.where(good, backhaul_ms[np.maximum(gw_ok, 0), pop_of]
                                          - operator.gateway_ms, np.nan)
            pop_out[g] = pop_of
            hops_out[g] = np.where(good, n_hops, -1)
            if with_paths:  # entries past a path's end may be left from a longer one
                live = good[:, None] & (np.arange(_MAX_HOPS + 1)[None, :] <= n_hops[:, None])
                paths_out[g] = np.where(live, path, -1)
            g += 1

    reach = np.isfinite(out["isl"])
    processing = np.where(reach, operator.user_link_ms + operator.isl_hop_ms * hops_out
                          + operator.gateway_ms + operator.pop_ms, np.nan)
    one_way = out["user"] + out["isl"] + out["feeder"] + out["backhaul"] + processing
    handover = np.zeros((n_t, n_k), bool)
    handover[1:] = (sat_out[1:] != sat_out[:-1]) & (sat_out[1:] >= 0) & (sat_out[:-1] >= 0)
    tk = ("time", "terminal")
    ds = xr.Dataset(
        {"rtt_ms": (tk, 2.0 * one_way), "one_way_ms": (tk, one_way),
         "user_link_ms": (tk, out["user"]), "isl_ms": (tk, out["isl"]),
         "feeder_ms": (tk, out["feeder"]), "backhaul_ms": (tk, out["backhaul"]),
         "processing_ms": (tk, processing), "serving_sat": (tk, sat_out),
         "gateway": (tk, gw_out), "isl_hops": (tk, hops_out), "handover": (tk, handover),
         "pop": (tk, pop_out), "epoch": (("time",), epochs)},
        coords={"time": grid.utc, "terminal": terminals.names.astype(str),
                "gateway_name": (("gateway_index",), operator.gateways.names.astype(str)),
                "pop_code": (("pop_index",), pops.names.astype(str))},
        attrs={"operator": repr(operator), "constellation": constellation.source,
               "epoch_s": operator.epoch_s, "epoch_offset_s": operator.epoch_offset_s,
               "min_elevation_deg": operator.min_elevation_deg,
               "gso_exclusion_deg": operator.gso_exclusion_deg, "selection": operator.selection,
               "n_satellites": len(constellation), "n_serving_satellites": int(service_mask.sum()),
               "routing": "routes chosen per operator epoch, held and re-chosen early only if "
                          "a link fails", "rtt": "symmetric: 2 x one_way_ms",
               "backhaul": "terrestrial estimate gateway -> PoP (leolat.terrestrial_rtt_ms / 2)",
               **policy.as_attrs()})
    for k in ("rtt_ms", "one_way_ms", "user_link_ms", "isl_ms", "feeder_ms", "backhaul_ms",
              "processing_ms"):
        ds[k].attrs["units"] = "ms"
    if scenario is not None:
        ds.attrs["scenario"] = scenario.describe()
    if with_paths:
        ds["path_sat"] = (("time", "terminal", "hop"),
                          paths_out[:, :, :max(int(hops_out.max()) + 1, 1)])
    if destinations is not None:
        n_p, n_d = len(pops), len(destinations)
        d_rtt, _ = terrestrial_rtt_ms(np.repeat(pops.lat_deg, n_d), np.repeat(pops.lon_deg, n_d),
                                      np.tile(destinations.lat_deg, n_p),
                                      np.tile(destinations.lon_deg, n_p))
        beyond = d_rtt.reshape(n_p, n_d)  # PoP -> destination, for the PoP of each step
        ds = ds.assign_coords(destination=destinations.names.astype(str))
        ds["destination_rtt_ms"] = (("time", "terminal", "destination"),
                                    ds["rtt_ms"].values[:, :, None] + beyond[pop_out])
        ds["destination_rtt_ms"].attrs.update(units="ms", long_name=(
            "round trip to the destination: the service to the PoP, then the terrestrial "
            "estimate PoP -> destination"))
    return ds


def _resolve(scenario, operator: Operator, constellation, grid: TimeGrid):
    """Gateway, PoP and satellite outages of ``scenario`` as (t0, t1, index) step ranges."""
    from .scenario import _steps

    gw: list = []
    pop: list = []
    sat: list = []
    if scenario is None:
        return gw, pop, sat
    if not isinstance(scenario, Scenario):
        raise ScenarioError(f"scenario must be a leolat.Scenario, got {type(scenario).__name__}")
    gnames = [str(n) for n in operator.gateways.names]
    pnames = [str(n) for n in operator.pops.names]
    for k, o in enumerate(scenario.outages):
        where = f"scenario {scenario.name!r}, outage {k} ({o.kind} {o.target})"
        t0, t1 = _steps(grid, o.start, o.end)
        if o.kind == "gateway":
            if o.target[0] not in gnames:
                raise ScenarioError(f"{where}: {operator.name} has no gateway {o.target[0]!r}"
                                    + did_you_mean(o.target[0], gnames))
            gw.append((t0, t1, gnames.index(o.target[0])))
        elif o.kind == "pop":
            if o.target[0] not in pnames:
                raise ScenarioError(f"{where}: {operator.name} has no PoP {o.target[0]!r}"
                                    + did_you_mean(o.target[0], pnames))
            pop.append((t0, t1, pnames.index(o.target[0])))
        elif o.kind == "satellite":
            idx = []
            for s in o.target:
                hits = ([int(s)] if isinstance(s, (int, np.integer)) and 0 <= int(s) < len(constellation)
                        else np.nonzero(constellation.names == s)[0].tolist())
                if not hits:
                    raise ScenarioError(f"{where}: no satellite {s!r}")
                idx += hits
            sat.append((t0, t1, np.array(idx, np.int64)))
        elif o.kind == "plane":
            shell, plane = o.target
            members = np.nonzero((constellation.shell == shell) & (constellation.plane == plane))[0]
            if not members.size:
                raise ScenarioError(f"{where}: no plane {plane} in shell {shell}")
            sat.append((t0, t1, members))
        else:
            raise ScenarioError(f"{where}: fiber cuts are not part of the service path (its "
                                f"backhaul is the terrestrial estimate); cut the WAN's fiber "
                                f"with run_scenario")
    return gw, pop, sat


def _ahead(constellation, grid, g, operator, service_mask):
    """Positions every epoch_s over the next _AHEAD_S, for longest_remaining."""
    n = int(_AHEAD_S // operator.epoch_s)
    start = grid.utc[g]
    steps = start + (np.arange(1, n + 1) * operator.epoch_s * 1e9).astype("timedelta64[ns]")
    eph = constellation.propagate(TimeGrid(steps.astype(np.int64)), positions_only=True,
                                  max_element_age_days=None)
    r = eph.r_itrf_km.copy()
    r[:, ~service_mask] = np.nan
    return r


def _runs(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Lengths (steps) of the runs of equal ``values`` whose steps are ``keep``."""
    if not values.size:
        return np.empty(0, np.int64)
    edges = np.flatnonzero(np.diff(values) != 0) + 1
    starts = np.concatenate([[0], edges])
    lengths = np.diff(np.concatenate([starts, [values.size]]))
    return lengths[keep[starts]]


def service_summary(ds: xr.Dataset) -> pd.DataFrame:
    """The figures a planner quotes, per terminal: RTT p50/p95/p99/p99.9, percent of time
    under 20/50/100 ms, reachable percent, handovers per hour, serving-satellite dwell time
    (median, p5, seconds) and the longest outage (seconds)."""
    import pandas as pd

    rtt = ds["rtt_ms"].values
    t = ds["time"].values.astype("datetime64[ns]").astype(np.int64) / 1e9
    step = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    hours = max(t[-1] - t[0] + step, 1e-9) / 3600.0 if t.size else 0.0
    rows = []
    sats = ds["serving_sat"].values
    for j, name in enumerate(ds["terminal"].values):
        x = rtt[:, j]
        ok = np.isfinite(x)
        q = np.nanpercentile(x, [50, 95, 99, 99.9]) if ok.any() else [np.nan] * 4
        dwell = _runs(sats[:, j], sats[:, j] >= 0) * step
        outage = _runs(ok.astype(np.int8), ~ok)
        rows.append({"terminal": str(name), "rtt_p50_ms": q[0], "rtt_p95_ms": q[1],
                     "rtt_p99_ms": q[2], "rtt_p999_ms": q[3],
                     "pct_under_20_ms": 100.0 * np.mean(x < 20), "pct_under_50_ms": 100.0 * np.mean(x < 50),
                     "pct_under_100_ms": 100.0 * np.mean(x < 100), "reachable_pct": 100.0 * ok.mean(),
                     "handovers_per_hour": float(ds["handover"].values[:, j].sum()) / hours,
                     "dwell_median_s": float(np.median(dwell)) if dwell.size else np.nan,
                     "dwell_p5_s": float(np.percentile(dwell, 5)) if dwell.size else np.nan,
                     "longest_outage_s": float(outage.max()) * step if outage.size else 0.0})
    return pd.DataFrame(rows).set_index("terminal")

"""The graph of one allocation step: resources with capacities, the CSR graph whose edges
consume them (scenario outages applied), and diverse shortest paths over it.

Resources, in index order: fiber links (each direction), gateway feeders and office
terminals (up, down), each satellite's user beams (up, down), then this step's laser links
(one per directed link). An edge consumes up to two: a ground-satellite link uses the
satellite's user beams and the office's terminals, or the gateway's feeders.
"""

from __future__ import annotations

import numpy as np

from .._kernels import flow as _kf
from ..base.constants import SPEED_OF_LIGHT_KM_S
from .capacity import Capacity
from .routing import Network

__all__ = ["Resources", "step_graph", "resource_name", "diverse_paths", "RESOURCE_KINDS",
           "EDGE_ISL", "EDGE_GSL", "EDGE_FIBER", "MAX_LINKS"]

RESOURCE_KINDS = ("isl", "user", "feeder", "fiber", "terminal")
_ISL, _USER, _FEEDER, _FIBER, _TERMINAL = range(5)
EDGE_ISL, EDGE_GSL, EDGE_FIBER = 0, 1, 2
C_KM_PER_MS = SPEED_OF_LIGHT_KM_S / 1e3
_PENALTY = 1.0  # a used edge costs twice as much in the source's next path round
# Paths of more links are not used (IP's default TTL is 64): penalised rounds can otherwise
# wander hundreds of links through a mesh.
MAX_LINKS = 64


class Resources:
    """Resources that exist at every step: fiber links, gateways, satellites, terminals."""

    def __init__(self, net: Network, capacity: Capacity):
        t = net.terrestrial
        n_gs, n_sats = len(net.sites), len(net.constellation)
        self.n_sats, self.n_gs = n_sats, n_gs
        roles = t.roles if t is not None else np.full(n_gs, "ground")
        self.is_gateway = roles == "gateway"
        names, kinds, caps = [], [], []

        def add(name, kind, gbps):
            names.append(name)
            kinds.append(kind)
            caps.append(gbps)
            return len(names) - 1

        self.fiber_res = np.empty((0, 2), np.int64)
        if t is not None:
            fr = []
            for i in range(t.n_links):
                g = capacity.fiber_link_gbps(t.link_names[i])
                a, b = t.nodes.names[t.link_a[i]], t.nodes.names[t.link_b[i]]
                fr.append((add(f"fiber {t.link_names[i]} {a}->{b}", _FIBER, g),
                           add(f"fiber {t.link_names[i]} {b}->{a}", _FIBER, g)))
            self.fiber_res = np.array(fr, np.int64).reshape(-1, 2)
        # per ground node: (up, down) resource of its gateway feeder or its terminals
        self.ground_res = np.full((n_gs, 2), -1, np.int64)
        for g in range(n_gs):
            nm = str(net.sites.names[g])
            if self.is_gateway[g]:
                gb = capacity.gateway_gbps(nm)
                self.ground_res[g] = (add(f"feeder {nm} up", _FEEDER, gb),
                                      add(f"feeder {nm} down", _FEEDER, gb))
            elif capacity.terminal_gbps is not None and net.gsl_capable[g]:
                self.ground_res[g] = (add(f"terminals {nm} up", _TERMINAL, capacity.terminal_gbps),
                                      add(f"terminals {nm} down", _TERMINAL, capacity.terminal_gbps))
        sat0 = len(names)
        for nm in net.constellation.names:
            add(f"user beams {nm} up", _USER, capacity.user_gbps)
            add(f"user beams {nm} down", _USER, capacity.user_gbps)
        self.sat_res0 = sat0
        self.names = np.array(names, dtype=object)
        self.kinds = np.array(kinds, np.int8)
        self.caps = np.array(caps, float)


def step_graph(net: Network, st: Resources, capacity: Capacity, t, cut: np.ndarray,
                gw_down: np.ndarray, sat_down: np.ndarray):
    """This step's graph: (indptr, indices, light-km, edge kind, first and second resource,
    capacities (n_res,), resource kinds, names (static, laser ends, satellite names), each
    edge's reverse edge). Ground nodes are ``n_sats + index``."""
    snap = net.snapshot(t)
    n_sats = st.n_sats
    n = snap.n_nodes
    u = np.repeat(np.arange(n), np.diff(snap.indptr))
    v = snap.indices
    kind = snap.edge_kind
    keep = (kind == "isl") | (kind == "gsl")
    u, v, w, kind = u[keep], v[keep], snap.length_km[keep], kind[keep]
    ok = np.ones(u.size, bool)
    for x in (u, v):
        ground = x >= n_sats
        ok &= ~(ground & gw_down[np.where(ground, x - n_sats, 0)])
        ok &= ~((~ground) & sat_down[np.where(ground, 0, x)])
    u, v, w, kind = u[ok], v[ok], w[ok], kind[ok]
    ek = np.where(kind == "isl", EDGE_ISL, EDGE_GSL).astype(np.int8)
    r1 = np.full(u.size, -1, np.int64)
    r2 = np.full(u.size, -1, np.int64)
    gsl = ek == EDGE_GSL
    up = gsl & (u >= n_sats)  # ground -> satellite
    down = gsl & (v >= n_sats)
    gu, su = u[up] - n_sats, v[up]
    gd, sd = v[down] - n_sats, u[down]
    # satellite side: user beams unless the ground end is a gateway (its feeder antennas)
    r1[up] = np.where(st.is_gateway[gu], st.ground_res[gu, 0], st.sat_res0 + 2 * su)
    r1[down] = np.where(st.is_gateway[gd], st.ground_res[gd, 1], st.sat_res0 + 2 * sd + 1)
    r2[up] = np.where(st.is_gateway[gu], -1, st.ground_res[gu, 0])
    r2[down] = np.where(st.is_gateway[gd], -1, st.ground_res[gd, 1])
    isl = np.nonzero(ek == EDGE_ISL)[0]
    r1[isl] = st.caps.size + np.arange(isl.size)
    caps = np.concatenate([st.caps, np.full(isl.size, capacity.isl_gbps)])
    kinds = np.concatenate([st.kinds, np.full(isl.size, _ISL, np.int8)])
    isl_ends = (u[isl], v[isl])  # named only when reported (see resource_name)
    m0 = u.size
    t_ = net.terrestrial
    if t_ is not None and t_.n_links:
        up_links = np.nonzero(~cut)[0]
        a, b = t_.link_a[up_links] + n_sats, t_.link_b[up_links] + n_sats
        lw = t_.latency_ms[up_links] * C_KM_PER_MS
        u = np.concatenate([u, a, b])
        v = np.concatenate([v, b, a])
        w = np.concatenate([w, lw, lw])
        ek = np.concatenate([ek, np.full(2 * up_links.size, EDGE_FIBER, np.int8)])
        r1 = np.concatenate([r1, st.fiber_res[up_links, 0], st.fiber_res[up_links, 1]])
        r2 = np.concatenate([r2, np.full(2 * up_links.size, -1, np.int64)])
    # each edge's reverse: by its end points for satellite links, by position for fiber
    rev = np.arange(u.size)
    key = u[:m0] * n + v[:m0]
    by_key = np.argsort(key)
    hit = np.searchsorted(key[by_key], v[:m0] * n + u[:m0])
    hit = np.minimum(hit, max(m0 - 1, 0))
    found = key[by_key][hit] == v[:m0] * n + u[:m0] if m0 else np.zeros(0, bool)
    rev[:m0] = np.where(found, by_key[hit], rev[:m0])
    n_f = (u.size - m0) // 2
    rev[m0:m0 + n_f] = np.arange(m0 + n_f, u.size)
    rev[m0 + n_f:] = np.arange(m0, m0 + n_f)
    order = np.argsort(u, kind="stable")
    new = np.empty(u.size, np.int64)
    new[order] = np.arange(u.size)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    return (indptr, v[order].astype(np.int64), w[order].astype(float), ek[order], r1[order],
            r2[order], caps, kinds, (st.names, isl_ends, net.constellation.names),
            new[rev[order]])


def resource_name(names, r: int) -> str:
    static, (a, b), sat = names
    if r < static.size:
        return str(static[r])
    k = r - static.size
    return f"laser {sat[a[k]]}->{sat[b[k]]}"


def diverse_paths(graph, net: Network, src_nodes, dst_nodes, k: int, fiber_only: bool):
    """Up to k diverse shortest paths per demand, as CSR edge lists (``ptr``, ``edges``) with
    each path's demand. Searches start from whichever side of the demands has fewer distinct
    nodes (links are symmetric: a path found backwards is reversed edge by edge)."""
    indptr, indices, w, ek = graph[:4]
    rev = graph[9]
    if fiber_only:
        w = np.where(ek == EDGE_FIBER, w, np.inf)
    backwards = np.unique(dst_nodes).size < np.unique(src_nodes).size
    a, b = (dst_nodes, src_nodes) if backwards else (src_nodes, dst_nodes)
    sources, demand_src = np.unique(a, return_inverse=True)
    n_d = len(src_nodes)
    out = np.empty((n_d, k, MAX_LINKS), np.int64)
    length = np.zeros((n_d, k), np.int64)
    _kf.diverse_paths(indptr, indices, w, len(net.constellation), net.relay,
                      sources.astype(np.int64), demand_src.astype(np.int64).ravel(),
                      np.asarray(b, np.int64), k, _PENALTY, out, length)
    return _kf.compact_paths(out, length, rev, backwards)  # longer paths (-1) are dropped

"""Flow kernels: diverse shortest paths by edge penalties, and progressive filling.

Paths are lists of CSR edge indices (``path_ptr`` / ``path_edges``, CSR-style). Resources
are what capacities bound (a directed link, a satellite's user beams in one direction, a
gateway's feeder antennas, a terminal); each edge consumes up to two of them.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from .dijkstra import dijkstra


@jit
def diverse_paths(indptr, indices, weights, n_sats, relay, sources, demand_src, demand_dst,
                  k, penalty, out_ptr, out_edges, out_demand, max_edges):
    """Up to ``k`` distinct shortest paths per demand: after each round, the edges a
    source's paths used cost ``(1 + penalty)`` times more for that source's next round.

    ``sources`` (n_src,) node ids; demands ``demand_src`` index ``sources``; ``demand_dst``
    are node ids. Writes paths (edge lists) into ``out_ptr`` / ``out_edges`` with their
    demand in ``out_demand``; returns (number of paths, number of edges written), or
    (-1, -1) if ``max_edges`` would be exceeded.
    """
    n = indptr.shape[0] - 1
    w = weights.copy()
    dist = np.empty(n)
    pred = np.empty(n, np.int64)
    pred_edge = np.empty(n, np.int64)
    heap_d = np.empty(indices.size + 1)
    heap_v = np.empty(indices.size + 1, np.int64)
    target_mask = np.zeros(n, np.bool_)
    touched = np.empty(indices.size, np.int64)
    seen_hash = np.zeros((demand_src.size, k), np.int64)
    n_found = np.zeros(demand_src.size, np.int64)
    n_paths = 0
    n_edges = 0
    out_ptr[0] = 0
    for si in range(sources.size):
        src = sources[si]
        mine = np.nonzero(demand_src == si)[0]
        if mine.size == 0:
            continue
        n_t = 0
        for d in mine:
            if not target_mask[demand_dst[d]]:
                target_mask[demand_dst[d]] = True
                n_t += 1
        n_touched = 0
        for _round in range(k):
            round_start = n_paths
            dijkstra(indptr, indices, w, n_sats, src, relay, dist, pred, pred_edge, heap_d,
                     heap_v, target_mask, n_t)
            for d in mine:
                v = demand_dst[d]
                if not np.isfinite(dist[v]):
                    continue
                # the path's edges, destination back to source, and a hash to spot repeats
                start = n_edges
                h = np.int64(1469598103934665603)
                while v != src:
                    e = pred_edge[v]
                    if n_edges >= max_edges:
                        return -1, -1
                    out_edges[n_edges] = e
                    n_edges += 1
                    h = (h ^ np.int64(e)) * np.int64(1099511628211)
                    v = pred[v]
                dup = False
                for j in range(n_found[d]):
                    if seen_hash[d, j] == h:
                        dup = True
                if dup:
                    n_edges = start
                    continue
                seen_hash[d, n_found[d]] = h
                n_found[d] += 1
                # reverse into source -> destination order
                lo, hi = start, n_edges - 1
                while lo < hi:
                    out_edges[lo], out_edges[hi] = out_edges[hi], out_edges[lo]
                    lo += 1
                    hi -= 1
                out_demand[n_paths] = d
                n_paths += 1
                out_ptr[n_paths] = n_edges
            if _round + 1 < k:
                for p in range(round_start, n_paths):
                    for j in range(out_ptr[p], out_ptr[p + 1]):
                        e = out_edges[j]
                        touched[n_touched] = e
                        n_touched += 1
                        w[e] *= 1.0 + penalty
        for j in range(n_touched):  # this source's penalties do not carry to the next
            w[touched[j]] = weights[touched[j]]
        for d in mine:
            target_mask[demand_dst[d]] = False
    return n_paths, n_edges


@jit
def progressive_filling(path_ptr, path_res, path_demand, request, cap, eps):
    """Max-min fair rates with one path per demand (a demand's only path: ``path_demand``
    maps paths to demands one to one). Every unfrozen path grows at the same rate until a
    resource fills or a path reaches its request; then its paths freeze. Exact for single
    paths. Returns the (n_paths,) rates."""
    n_p = path_demand.size
    n_r = cap.size
    rate = np.zeros(n_p)
    rem = cap.copy()
    frozen = np.zeros(n_p, np.bool_)
    for p in range(n_p):
        if request[path_demand[p]] <= eps:
            frozen[p] = True
    users = np.zeros(n_r, np.int64)
    while True:
        users[:] = 0
        active = 0
        for p in range(n_p):
            if frozen[p]:
                continue
            active += 1
            for j in range(path_ptr[p], path_ptr[p + 1]):
                users[path_res[j]] += 1
        if active == 0:
            break
        inc = np.inf
        for r in range(n_r):
            if users[r] > 0:
                inc = min(inc, rem[r] / users[r])
        for p in range(n_p):
            if not frozen[p]:
                inc = min(inc, request[path_demand[p]] - rate[p])
        inc = max(inc, 0.0)
        for r in range(n_r):
            if users[r] > 0:
                rem[r] -= inc * users[r]
        for p in range(n_p):
            if frozen[p]:
                continue
            rate[p] += inc
            if rate[p] >= request[path_demand[p]] - eps:
                frozen[p] = True
                continue
            for j in range(path_ptr[p], path_ptr[p + 1]):
                if rem[path_res[j]] <= eps * max(cap[path_res[j]], 1.0):
                    frozen[p] = True
                    break
    return rate

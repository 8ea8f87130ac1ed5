"""Flow kernels: diverse shortest paths by edge penalties, and progressive filling.

Paths are lists of CSR edge indices (``path_ptr`` / ``path_edges``, CSR-style). Resources
are what capacities bound (a directed link, a satellite's user beams in one direction, a
gateway's feeder antennas, a terminal); each edge consumes up to two of them.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import jit, pjit
from .dijkstra import dijkstra


@pjit
def diverse_paths(indptr, indices, weights, n_sats, relay, sources, demand_src, demand_dst,
                  k, penalty, out_edges, out_len):
    """Up to ``k`` distinct shortest paths per demand: after each round, the edges a
    source's paths used cost ``(1 + penalty)`` times more for that source's next round.
    Sources run in parallel (each with its own search arrays and penalties).

    ``sources`` (n_src,) node ids; demands ``demand_src`` index ``sources``; ``demand_dst``
    are node ids. Writes the edges of demand d's j-th path (source to destination) into
    ``out_edges[d, j, :out_len[d, j]]``; ``out_len`` is 0 for no path, -1 if the path had
    more edges than ``out_edges`` holds (the caller retries with more room).
    """
    n = indptr.shape[0] - 1
    max_hops = out_edges.shape[2]
    order = np.argsort(demand_src)
    starts = np.searchsorted(demand_src[order], np.arange(sources.size + 1))
    for si in prange(sources.size):
        mine = order[starts[si]:starts[si + 1]]
        if mine.size == 0:
            continue
        src = sources[si]
        w = weights.copy()
        dist = np.empty(n)
        pred = np.empty(n, np.int64)
        pred_edge = np.empty(n, np.int64)
        heap_d = np.empty(indices.size + 1)
        heap_v = np.empty(indices.size + 1, np.int64)
        target_mask = np.zeros(n, np.bool_)
        hashes = np.zeros((mine.size, k), np.int64)
        found = np.zeros(mine.size, np.int64)
        buf = np.empty(max_hops, np.int64)
        n_t = 0
        for d in mine:
            if not target_mask[demand_dst[d]]:
                target_mask[demand_dst[d]] = True
                n_t += 1
        for rnd in range(k):
            dijkstra(indptr, indices, w, n_sats, src, relay, dist, pred, pred_edge, heap_d,
                     heap_v, target_mask, n_t)
            for m in range(mine.size):
                d = mine[m]
                v = demand_dst[d]
                if not np.isfinite(dist[v]):
                    continue
                h = np.int64(1469598103934665603)
                n_e = 0
                too_long = False
                while v != src:
                    if n_e >= max_hops:
                        too_long = True
                        break
                    e = pred_edge[v]
                    buf[n_e] = e
                    n_e += 1
                    h = (h ^ np.int64(e)) * np.int64(1099511628211)
                    v = pred[v]
                if too_long:
                    out_len[d, found[m]] = -1
                    continue
                dup = False
                for q in range(found[m]):
                    if hashes[m, q] == h:
                        dup = True
                if dup:
                    continue
                slot = found[m]
                hashes[m, slot] = h
                found[m] += 1
                for q in range(n_e):  # source -> destination order
                    out_edges[d, slot, q] = buf[n_e - 1 - q]
                out_len[d, slot] = n_e
                if rnd + 1 < k:
                    for q in range(n_e):
                        w[buf[q]] *= 1.0 + penalty
    return 0


@jit(inline="always")
def _sift_down(heap, pos, key, i, size):
    r = heap[i]
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and key[heap[c + 1]] < key[heap[c]]:
            c += 1
        if key[heap[c]] < key[r]:
            heap[i] = heap[c]
            pos[heap[i]] = i
            i = c
        else:
            break
    heap[i] = r
    pos[r] = i


@jit
def progressive_filling(path_ptr, path_res, path_demand, request, cap, eps):
    """Max-min fair rates of paths, each path a flow (``path_res[path_ptr[p]:path_ptr[p+1]]``
    its resources), each bounded by ``request[path_demand[p]]``: every unfrozen path grows
    at one common level until a resource fills (its paths freeze) or a path reaches its
    request. Event-driven: an indexed heap keyed by the level at which each resource would
    fill; a resource's level only rises as paths freeze (it gives up ``level <= key`` per
    path), so updates sift down. Work: (total path length) x log(resources). Exact.
    Returns the (n_paths,) rates."""
    n_p = path_demand.size
    n_r = cap.size
    rate = np.zeros(n_p)
    frozen = np.zeros(n_p, np.bool_)
    users = np.zeros(n_r, np.int64)
    fixed = np.zeros(n_r)  # load of the frozen paths
    for p in range(n_p):
        if request[path_demand[p]] <= eps:
            frozen[p] = True
        for j in range(path_ptr[p], path_ptr[p + 1]):
            if cap[path_res[j]] <= eps:
                frozen[p] = True
        if not frozen[p]:
            for j in range(path_ptr[p], path_ptr[p + 1]):
                users[path_res[j]] += 1
    r_ptr = np.zeros(n_r + 1, np.int64)  # resource -> paths
    for j in range(path_res.size):
        r_ptr[path_res[j] + 1] += 1
    for r in range(n_r):
        r_ptr[r + 1] += r_ptr[r]
    fill = r_ptr[:-1].copy()
    r_paths = np.empty(path_res.size, np.int64)
    for p in range(n_p):
        for j in range(path_ptr[p], path_ptr[p + 1]):
            r = path_res[j]
            r_paths[fill[r]] = p
            fill[r] += 1
    # items: resources 0..n_r-1, then paths' requests n_r + p (their key never changes)
    key = np.full(n_r + n_p, np.inf)
    heap = np.empty(n_r + n_p, np.int64)
    pos = np.full(n_r + n_p, -1, np.int64)
    size = 0
    for r in range(n_r):
        if users[r] > 0:
            key[r] = cap[r] / users[r]
            heap[size] = r
            size += 1
    for p in range(n_p):
        q = request[path_demand[p]]
        if not frozen[p] and q < np.inf:
            key[n_r + p] = q
            heap[size] = n_r + p
            size += 1
    for i in range(size):
        pos[heap[i]] = i
    for i in range(size // 2 - 1, -1, -1):
        _sift_down(heap, pos, key, i, size)
    level = 0.0
    while size > 0:
        item = heap[0]
        lv = key[item]
        size -= 1
        pos[item] = -1
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, key, 0, size)
        if item < n_r:
            lo, hi = r_ptr[item], r_ptr[item + 1]
        else:
            lo, hi = 0, 1
        level = max(level, lv)
        for k in range(lo, hi):
            p = r_paths[k] if item < n_r else item - n_r
            if frozen[p]:
                continue
            frozen[p] = True
            rate[p] = level
            if pos[n_r + p] >= 0:  # its request no longer matters: key to +inf, sinks
                key[n_r + p] = np.inf
                _sift_down(heap, pos, key, pos[n_r + p], size)
            for j in range(path_ptr[p], path_ptr[p + 1]):
                r = path_res[j]
                users[r] -= 1
                fixed[r] += level
                if pos[r] >= 0:
                    key[r] = (np.inf if users[r] == 0
                              else max((cap[r] - fixed[r]) / users[r], level))
                    _sift_down(heap, pos, key, pos[r], size)
    return rate


@jit
def compact_paths(out_edges, out_len, rev, backwards):
    """The paths of :func:`diverse_paths` as CSR: (ptr, edges, demand). With ``backwards``
    the searches ran from the demands' destinations: each path is reversed, edge by edge
    (``rev`` maps an edge to its reverse)."""
    n_d, k = out_len.shape
    n_p = 0
    n_e = 0
    for d in range(n_d):
        for j in range(k):
            if out_len[d, j] > 0:
                n_p += 1
                n_e += out_len[d, j]
    ptr = np.zeros(n_p + 1, np.int64)
    edges = np.empty(n_e, np.int64)
    dem = np.empty(n_p, np.int64)
    p = 0
    e = 0
    for d in range(n_d):
        for j in range(k):
            m = out_len[d, j]
            if m <= 0:
                continue
            for q in range(m):
                edges[e + q] = rev[out_edges[d, j, m - 1 - q]] if backwards else out_edges[d, j, q]
            e += m
            dem[p] = d
            p += 1
            ptr[p] = e
    return ptr, edges, dem


@jit
def path_resources(ptr, edges, r1, r2):
    """Each path's resources, in path order (CSR: res_ptr, res): the edges' first and second
    resources, where they have one."""
    n_p = ptr.size - 1
    res_ptr = np.zeros(n_p + 1, np.int64)
    res = np.empty(2 * edges.size, np.int64)
    m = 0
    for p in range(n_p):
        for j in range(ptr[p], ptr[p + 1]):
            e = edges[j]
            if r1[e] >= 0:
                res[m] = r1[e]
                m += 1
            if r2[e] >= 0:
                res[m] = r2[e]
                m += 1
        res_ptr[p + 1] = m
    return res_ptr, res[:m]

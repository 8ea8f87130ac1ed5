"""Snapshot graphs (CSR) and shortest paths, on plain arrays.

Nodes: satellites 0..n_sats-1, then ground nodes n_sats..n_sats+n_gs-1.
Edges are undirected, stored in both directions, weighted by light-travel length
in km (geometric length for radio and laser links; length × refractive index for
fiber, so that a weight is always one-way delay × c).

Edge kinds: 0 ISL, 1 GSL, 2 backbone fiber, 3 access fiber (a metro tail that
any satellite path needs to land at a fiber-only node).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import jit, pjit

_RAD2DEG = 180.0 / math.pi
KIND_ISL, KIND_GSL, KIND_BACKBONE, KIND_ACCESS = 0, 1, 2, 3
# Path media (the medium output): no path, fiber only, satellites only (plus access
# tails), satellites and backbone fiber.
MEDIUM_NONE, MEDIUM_FIBER, MEDIUM_LEO, MEDIUM_LEO_FIBER = -1, 0, 1, 2
# End step of an outage without an end.
FOREVER = np.iinfo(np.int64).max // 2


@jit
def isl_usable(r, a, b, max_range_km, min_radius_km, cross, lat_cutoff_deg):
    """Whether the ISL a-b exists at positions r (n_sats, 3): range, Earth clearance,
    and (for cross-plane links) the latitude cutoff. NaN positions give False."""
    ax, ay, az = r[a, 0], r[a, 1], r[a, 2]
    bx, by, bz = r[b, 0], r[b, 1], r[b, 2]
    dx, dy, dz = bx - ax, by - ay, bz - az
    d2 = dx * dx + dy * dy + dz * dz
    if not (d2 <= max_range_km * max_range_km):
        return False, 0.0
    # Closest approach of the segment to the Earth's centre.
    t = -(ax * dx + ay * dy + az * dz) / d2 if d2 > 0.0 else 0.0
    t = min(max(t, 0.0), 1.0)
    cx, cy, cz = ax + t * dx, ay + t * dy, az + t * dz
    if cx * cx + cy * cy + cz * cz < min_radius_km * min_radius_km:
        return False, 0.0
    if cross and lat_cutoff_deg < 90.0:
        la = math.asin(az / math.sqrt(ax * ax + ay * ay + az * az)) * _RAD2DEG
        lb = math.asin(bz / math.sqrt(bx * bx + by * by + bz * bz)) * _RAD2DEG
        if abs(la) > lat_cutoff_deg or abs(lb) > lat_cutoff_deg:
            return False, 0.0
    return True, math.sqrt(d2)


@jit
def gsl_candidates(r, gs, gs_on, min_el_deg, max_range_km, out_g, out_s, out_len, out_metric,
                   by_range):
    """Every ground-station/satellite pair allowed by the range and elevation rules,
    for the stations with ``gs_on`` set.

    Returns the number written. ``out_metric`` is the ranking value (lower is
    better): range, or minus the elevation.
    """
    n_sats = r.shape[0]
    sin_min = math.sin(min_el_deg / _RAD2DEG)
    max_range2 = max_range_km * max_range_km * (1.0 + 1e-12)  # exact test after the sqrt
    m = 0
    for g in range(gs.shape[0]):
        if not gs_on[g]:
            continue
        sx, sy, sz = gs[g, 0], gs[g, 1], gs[g, 2]
        slat, clat, slon, clon = gs[g, 3], gs[g, 4], gs[g, 5], gs[g, 6]
        ux, uy, uz = clat * clon, clat * slon, slat
        for s in range(n_sats):
            dx = r[s, 0] - sx
            dy = r[s, 1] - sy
            dz = r[s, 2] - sz
            rng2 = dx * dx + dy * dy + dz * dz
            if not (rng2 <= max_range2):  # no square root for the many far satellites
                continue
            u = ux * dx + uy * dy + uz * dz
            if u < 0.0 and sin_min >= 0.0:
                continue  # below the horizon
            rng = math.sqrt(rng2)
            if not (rng <= max_range_km):
                continue
            if not (u >= sin_min * rng):
                continue
            out_g[m] = g
            out_s[m] = s
            out_len[m] = rng
            out_metric[m] = rng if by_range else -math.asin(min(1.0, u / rng))
            m += 1
    return m


@jit
def select_gsl(n, g_idx, s_idx, metric, n_gs, n_sats, per_gs, per_sat, keep):
    """Greedy best-first selection under per-station and per-satellite link limits
    (0 = unlimited). Ties are broken by station, then satellite index."""
    if per_gs <= 0 and per_sat <= 0:
        for i in range(n):
            keep[i] = True
        return
    order = np.argsort(metric[:n], kind="mergesort")  # stable: ties keep (g, s) order
    used_g = np.zeros(n_gs, dtype=np.int64)
    used_s = np.zeros(n_sats, dtype=np.int64)
    for i in range(n):
        keep[i] = False
    for j in range(n):
        i = order[j]
        g, s = g_idx[i], s_idx[i]
        if per_gs > 0 and used_g[g] >= per_gs:
            continue
        if per_sat > 0 and used_s[s] >= per_sat:
            continue
        keep[i] = True
        used_g[g] += 1
        used_s[s] += 1


@jit
def build_csr(n_nodes, ea, eb, elen, ekind, n_edges, indptr, indices, weights, kinds):
    """Undirected edge list -> CSR (both directions, with each edge's kind), neighbours
    in edge order."""
    deg = np.zeros(n_nodes + 1, dtype=np.int64)
    for i in range(n_edges):
        deg[ea[i] + 1] += 1
        deg[eb[i] + 1] += 1
    for v in range(n_nodes):
        deg[v + 1] += deg[v]
    for v in range(n_nodes + 1):
        indptr[v] = deg[v]
    fill = deg[:n_nodes].copy()
    for i in range(n_edges):
        a, b, w, k = ea[i], eb[i], elen[i], ekind[i]
        indices[fill[a]] = b
        weights[fill[a]] = w
        kinds[fill[a]] = k
        fill[a] += 1
        indices[fill[b]] = a
        weights[fill[b]] = w
        kinds[fill[b]] = k
        fill[b] += 1


@jit
def snapshot_edges(r, gs, isl_a, isl_b, isl_cross, max_isl_km, min_radius_km, lat_cutoff_deg,
                   min_el_deg, max_gsl_km, by_range, per_gs, per_sat, gs_on,
                   fib_a, fib_b, fib_len, fib_kind, fib_on,
                   ea, eb, elen, ekind, scratch_g, scratch_s, scratch_len, scratch_metric, keep):
    """All usable edges of one time step: ISLs, GSLs of the stations with ``gs_on``,
    and the fiber links with ``fib_on`` (ground-node indices ``fib_a``/``fib_b``,
    light-travel lengths ``fib_len``). Returns the count; see the module for kinds."""
    n_sats = r.shape[0]
    m = 0
    for i in range(isl_a.shape[0]):
        ok, d = isl_usable(r, isl_a[i], isl_b[i], max_isl_km, min_radius_km, isl_cross[i],
                           lat_cutoff_deg)
        if ok:
            ea[m] = isl_a[i]
            eb[m] = isl_b[i]
            elen[m] = d
            ekind[m] = KIND_ISL
            m += 1
    n = gsl_candidates(r, gs, gs_on, min_el_deg, max_gsl_km, scratch_g, scratch_s, scratch_len,
                       scratch_metric, by_range)
    select_gsl(n, scratch_g, scratch_s, scratch_metric, gs.shape[0], n_sats, per_gs, per_sat, keep)
    for i in range(n):
        if keep[i]:
            ea[m] = n_sats + scratch_g[i]
            eb[m] = scratch_s[i]
            elen[m] = scratch_len[i]
            ekind[m] = KIND_GSL
            m += 1
    for i in range(fib_a.shape[0]):
        if fib_on[i]:
            ea[m] = n_sats + fib_a[i]
            eb[m] = n_sats + fib_b[i]
            elen[m] = fib_len[i]
            ekind[m] = fib_kind[i]
            m += 1
    return m


@jit
def dijkstra(indptr, indices, weights, n_sats, source, relay, dist, pred, pred_edge, heap_d,
             heap_v, targets=None, n_targets=0):
    """Shortest distances from ``source`` with a binary heap.

    Ground nodes (>= n_sats) other than the source are endpoints only unless
    ``relay[node - n_sats]``; those that are not targets are never pushed.
    ``pred_edge`` receives the CSR index of each node's incoming edge. The work is
    sequential and depends only on the graph, so results are deterministic (and
    independent of the thread count); among exactly equal path lengths the first
    found wins. If ``targets`` (a boolean mask over nodes with ``n_targets`` True)
    is given, the search stops once every target is settled: their distances are
    final, other nodes' may not be.
    """
    n = indptr.shape[0] - 1
    for v in range(n):
        dist[v] = np.inf
        pred[v] = -1
        pred_edge[v] = -1
    dist[source] = 0.0
    size = 1
    heap_d[0] = 0.0
    heap_v[0] = source
    remaining = n_targets
    while size > 0:
        d, v = heap_d[0], heap_v[0]
        size -= 1
        # pop: move last to root and sift down
        if size > 0:
            ld, lv = heap_d[size], heap_v[size]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                if c + 1 < size and heap_d[c + 1] < heap_d[c]:
                    c += 1
                if heap_d[c] < ld:
                    heap_d[i] = heap_d[c]
                    heap_v[i] = heap_v[c]
                    i = c
                else:
                    break
            heap_d[i] = ld
            heap_v[i] = lv
        if d > dist[v]:
            continue  # stale entry
        if targets is not None and targets[v]:
            remaining -= 1
            if remaining == 0:
                return
        if v >= n_sats and v != source and not relay[v - n_sats]:
            continue  # a ground station is an endpoint
        for e in range(indptr[v], indptr[v + 1]):
            w = indices[e]
            nd = d + weights[e]
            if nd < dist[w]:
                dist[w] = nd
                pred[w] = v
                pred_edge[w] = e
                if w >= n_sats and not relay[w - n_sats] and (targets is None or not targets[w]):
                    continue  # a station that is no target: never expanded, never popped
                # push
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) // 2
                    if heap_d[p] > nd:
                        heap_d[i] = heap_d[p]
                        heap_v[i] = heap_v[p]
                        i = p
                    else:
                        break
                heap_d[i] = nd
                heap_v[i] = w


@jit
def dijkstra_buckets(indptr, indices, weights, n_sats, source, relay, width, n_buckets,
                     dist, pred, pred_edge, settled, head, entry_node, entry_next, targets,
                     n_targets):
    """Dijkstra with a circular bucket queue (Dial's algorithm for real weights).

    Exact when ``width`` is at most the smallest edge weight: every node in bucket k
    (distance in [k·width, (k+1)·width)) is final when bucket k is reached, since any
    edge moves a distance up by at least one bucket. ``n_buckets`` must exceed
    max weight / width + 1 so the circle never wraps onto a live bucket. Same
    contract as :func:`dijkstra` otherwise (stations as endpoints, early stop once
    the targets are settled); O(1) per queue operation instead of O(log n).
    """
    n = indptr.shape[0] - 1
    inv_width = 1.0 / width
    for v in range(n):
        dist[v] = np.inf
        pred[v] = -1
        pred_edge[v] = -1
        settled[v] = False
    for b in range(n_buckets):
        head[b] = -1
    dist[source] = 0.0
    entry_node[0] = source
    entry_next[0] = -1
    head[0] = 0
    n_entries = 1
    pending = 1
    remaining = n_targets
    cur = 0
    while pending > 0:
        b = cur % n_buckets
        while head[b] != -1:
            e = head[b]
            head[b] = -1
            while e != -1:  # the bucket's list, as it was taken
                v = entry_node[e]
                e = entry_next[e]
                pending -= 1
                if settled[v]:
                    # Stale: distances only decrease, so a node's first entry popped is
                    # its final one (all earlier buckets are done).
                    continue
                settled[v] = True
                if v >= n_sats:
                    if targets[v]:
                        remaining -= 1
                        if remaining == 0:
                            return
                    if v != source and not relay[v - n_sats]:
                        continue
                d = dist[v]
                for k in range(indptr[v], indptr[v + 1]):
                    w = indices[k]
                    nd = d + weights[k]
                    if nd < dist[w]:
                        dist[w] = nd
                        pred[w] = v
                        pred_edge[w] = k
                        if w >= n_sats and not relay[w - n_sats] and not targets[w]:
                            continue  # a station that is no target: never expanded
                        nb = int(nd * inv_width) % n_buckets
                        entry_node[n_entries] = w
                        entry_next[n_entries] = head[nb]
                        head[nb] = n_entries
                        n_entries += 1
                        pending += 1
        cur += 1


@jit
def _is_relay(v, n_sats, relay):
    return v < n_sats or relay[v - n_sats]


@jit
def relay_components(n_nodes, n_sats, relay, ea, eb, n_edges, comp):
    """Connected-component label per node over the edges whose two ends both forward
    traffic (satellites, relaying ground nodes); union-find with path halving."""
    for v in range(n_nodes):
        comp[v] = v
    for i in range(n_edges):
        a = ea[i]
        b = eb[i]
        if not (_is_relay(a, n_sats, relay) and _is_relay(b, n_sats, relay)):
            continue
        while comp[a] != a:
            comp[a] = comp[comp[a]]
            a = comp[a]
        while comp[b] != b:
            comp[b] = comp[comp[b]]
            b = comp[b]
        if a != b:
            comp[max(a, b)] = min(a, b)
    for v in range(n_nodes):
        r = v
        while comp[r] != r:
            r = comp[r]
        comp[v] = r


@jit
def mark_reach(src, n_sats, relay, indptr, indices, comp, stamp, comp_mark, adj_mark):
    """Mark what ``src`` can reach: the components of its relaying neighbours (or its
    own, if it relays) in ``comp_mark``, its direct neighbours in ``adj_mark``."""
    if _is_relay(src, n_sats, relay):
        comp_mark[comp[src]] = stamp
    for e in range(indptr[src], indptr[src + 1]):
        x = indices[e]
        adj_mark[x] = stamp
        if _is_relay(x, n_sats, relay):
            comp_mark[comp[x]] = stamp


@jit
def can_reach(dst, n_sats, relay, indptr, indices, comp, stamp, comp_mark, adj_mark):
    """Whether a path from the source marked with ``stamp`` to ``dst`` exists under the
    rule that only satellites and relaying ground nodes forward traffic (exact)."""
    if adj_mark[dst] == stamp:
        return True
    if _is_relay(dst, n_sats, relay):
        return comp_mark[comp[dst]] == stamp
    for e in range(indptr[dst], indptr[dst + 1]):
        y = indices[e]
        if _is_relay(y, n_sats, relay) and comp_mark[comp[y]] == stamp:
            return True
    return False


@jit
def switch_state(t, gsl_ok, off_item, off_t0, off_t1, gs_on, fib_on):
    """Per-step enable masks: every fiber link on, GSLs where ``gsl_ok``, then each
    outage ``off_item`` (a fiber link index, or n_fib + ground node for a GSL outage)
    off during steps ``off_t0 <= t < off_t1``."""
    n_fib = fib_on.shape[0]
    for i in range(n_fib):
        fib_on[i] = True
    for g in range(gs_on.shape[0]):
        gs_on[g] = gsl_ok[g]
    for j in range(off_item.shape[0]):
        if off_t0[j] <= t < off_t1[j]:
            item = off_item[j]
            if item < n_fib:
                fib_on[item] = False
            else:
                gs_on[item - n_fib] = False


@pjit
def route_steps(r_itrf, gs, isl_a, isl_b, isl_cross, max_isl_km, min_radius_km, lat_cutoff_deg,
                min_el_deg, max_gsl_km, by_range, per_gs, per_sat, relay, gsl_ok,
                fib_a, fib_b, fib_len, fib_kind, off_item, off_t0, off_t1, t_offset,
                sources, pairs_ptr, pairs_of_source, pair_dst, n_blocks,
                dist_km, hops, isl_hops, gsl_hops, fiber_hops, fiber_km, medium,
                first_sat, last_sat):
    """Per time step: build the snapshot graph, run Dijkstra from each source ground
    node (stopping once its destinations are settled), and write each pair's
    distance (light-travel km, NaN if unreachable), hop counts by kind (-1 if
    unreachable), the fiber part of the distance, the medium (``MEDIUM_*``) and the
    first/last satellite (-1 if none).

    ``relay`` (n_gs,) says which ground nodes may forward traffic; ``gsl_ok`` (n_gs,)
    which may have GSLs at all; outages (see :func:`switch_state`) use global step
    numbers, ``t_offset`` being the global number of ``r_itrf[0]``.

    Pairs are grouped by source: ``pairs_of_source[pairs_ptr[k]:pairs_ptr[k+1]]`` are
    the pairs of ``sources[k]``. Time steps are split into ``n_blocks`` contiguous
    blocks, one per parallel iteration, each allocating its buffers once; outputs
    are disjoint, so results do not depend on the thread count.
    """
    n_times, n_sats = r_itrf.shape[0], r_itrf.shape[1]
    n_gs = gs.shape[0]
    n_fib = fib_a.shape[0]
    n_nodes = n_sats + n_gs
    max_edges = isl_a.shape[0] + n_gs * n_sats + n_fib
    for blk in prange(n_blocks):
        t_lo = blk * n_times // n_blocks
        t_hi = (blk + 1) * n_times // n_blocks
        ea = np.empty(max_edges, dtype=np.int64)
        eb = np.empty(max_edges, dtype=np.int64)
        elen = np.empty(max_edges)
        ekind = np.empty(max_edges, dtype=np.int8)
        sg = np.empty(n_gs * n_sats, dtype=np.int64)
        ss = np.empty(n_gs * n_sats, dtype=np.int64)
        sl = np.empty(n_gs * n_sats)
        sm = np.empty(n_gs * n_sats)
        keep = np.empty(n_gs * n_sats, dtype=np.bool_)
        gs_on = np.empty(n_gs, dtype=np.bool_)
        fib_on = np.empty(n_fib, dtype=np.bool_)
        indptr = np.empty(n_nodes + 1, dtype=np.int64)
        dist = np.empty(n_nodes)
        pred = np.empty(n_nodes, dtype=np.int64)
        pred_edge = np.empty(n_nodes, dtype=np.int64)
        targets = np.zeros(n_nodes, dtype=np.bool_)
        settled = np.empty(n_nodes, dtype=np.bool_)
        comp = np.empty(n_nodes, dtype=np.int64)
        comp_mark = np.full(n_nodes, -1, dtype=np.int64)
        adj_mark = np.full(n_nodes, -1, dtype=np.int64)
        stamp = 0
        for t in range(t_lo, t_hi):
            r = r_itrf[t]
            switch_state(t + t_offset, gsl_ok, off_item, off_t0, off_t1, gs_on, fib_on)
            m = snapshot_edges(r, gs, isl_a, isl_b, isl_cross, max_isl_km, min_radius_km,
                               lat_cutoff_deg, min_el_deg, max_gsl_km, by_range, per_gs, per_sat,
                               gs_on, fib_a, fib_b, fib_len, fib_kind, fib_on,
                               ea, eb, elen, ekind, sg, ss, sl, sm, keep)
            indices = np.empty(2 * m, dtype=np.int64)
            weights = np.empty(2 * m)
            kinds = np.empty(2 * m, dtype=np.int8)
            build_csr(n_nodes, ea, eb, elen, ekind, m, indptr, indices, weights, kinds)
            # Unreachable targets (no chain of forwarding nodes leads there) are not
            # waited for: the search stops early, and sources with none left skip it.
            relay_components(n_nodes, n_sats, relay, ea, eb, m, comp)
            heap_d = np.empty(2 * m + 1)
            heap_v = np.empty(2 * m + 1, dtype=np.int64)
            # Bucket queue when every edge has a usable length; binary heap otherwise.
            w_min = np.inf
            w_max = 0.0
            for k in range(2 * m):
                w_min = min(w_min, weights[k])
                w_max = max(w_max, weights[k])
            width = 0.999 * w_min
            use_buckets = m > 0 and width > 0.0 and w_max / width < 1e5
            n_buckets = int(w_max / width) + 3 if use_buckets else 1
            head = np.empty(n_buckets, dtype=np.int64)
            entry_node = np.empty(2 * m + 1, dtype=np.int64)
            entry_next = np.empty(2 * m + 1, dtype=np.int64)
            for k in range(sources.shape[0]):
                src = n_sats + sources[k]
                lo, hi = pairs_ptr[k], pairs_ptr[k + 1]
                stamp += 1
                mark_reach(src, n_sats, relay, indptr, indices, comp, stamp, comp_mark, adj_mark)
                n_t = 0
                for q in range(lo, hi):
                    node = n_sats + pair_dst[pairs_of_source[q]]
                    if not targets[node]:
                        targets[node] = True
                        if can_reach(node, n_sats, relay, indptr, indices, comp, stamp, comp_mark,
                                     adj_mark):
                            n_t += 1
                # With no target reachable, no search: the pairs below are unreachable.
                if n_t > 0 and use_buckets:
                    dijkstra_buckets(indptr, indices, weights, n_sats, src, relay, width, n_buckets,
                                     dist, pred, pred_edge, settled, head, entry_node, entry_next,
                                     targets, n_t)
                elif n_t > 0:
                    dijkstra(indptr, indices, weights, n_sats, src, relay, dist, pred, pred_edge,
                             heap_d, heap_v, targets, n_t)
                for q in range(lo, hi):
                    p = pairs_of_source[q]
                    dst = n_sats + pair_dst[p]
                    targets[dst] = False
                    if n_t == 0 or not dist[dst] < np.inf:
                        dist_km[t, p] = np.nan
                        fiber_km[t, p] = np.nan
                        hops[t, p] = -1
                        isl_hops[t, p] = -1
                        gsl_hops[t, p] = -1
                        fiber_hops[t, p] = -1
                        medium[t, p] = MEDIUM_NONE
                        first_sat[t, p] = -1
                        last_sat[t, p] = -1
                        continue
                    n_isl = 0
                    n_gsl = 0
                    n_fiber = 0
                    n_backbone = 0
                    f_km = 0.0
                    first = -1
                    last = -1
                    v = dst
                    while v != src:
                        e = pred_edge[v]
                        kind = kinds[e]
                        if kind == KIND_ISL:
                            n_isl += 1
                        elif kind == KIND_GSL:
                            n_gsl += 1
                        else:
                            n_fiber += 1
                            f_km += weights[e]
                            if kind == KIND_BACKBONE:
                                n_backbone += 1
                        if v < n_sats:
                            if last == -1:
                                last = v
                            first = v
                        v = pred[v]
                    dist_km[t, p] = dist[dst]
                    fiber_km[t, p] = f_km
                    hops[t, p] = n_isl + n_gsl + n_fiber
                    isl_hops[t, p] = n_isl
                    gsl_hops[t, p] = n_gsl
                    fiber_hops[t, p] = n_fiber
                    if n_gsl == 0:
                        medium[t, p] = MEDIUM_FIBER
                    elif n_backbone == 0:
                        medium[t, p] = MEDIUM_LEO
                    else:
                        medium[t, p] = MEDIUM_LEO_FIBER
                    first_sat[t, p] = first
                    last_sat[t, p] = last


@jit
def path_nodes(pred, src, dst):
    """Node path src -> dst from a predecessor array (empty if unreachable)."""
    n = 0
    v = dst
    while v != src and v >= 0:
        n += 1
        v = pred[v]
    if v != src:
        return np.empty(0, dtype=np.int64)
    out = np.empty(n + 1, dtype=np.int64)
    v = dst
    for i in range(n, -1, -1):
        out[i] = v
        if i > 0:
            v = pred[v]
    return out

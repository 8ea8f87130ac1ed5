"""Routing over time: per step, the snapshot graph, then shortest paths from each source."""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import jit, pjit
from .dijkstra import dijkstra, dijkstra_buckets
from .graph import (
    KIND_BACKBONE,
    KIND_GSL,
    KIND_ISL,
    MEDIUM_FIBER,
    MEDIUM_LEO,
    MEDIUM_LEO_FIBER,
    MEDIUM_NONE,
    build_csr,
    snapshot_edges,
)
from .reach import can_reach, mark_reach, relay_components


@jit
def switch_state(t, gsl_ok, outages, gs_on, fib_on):
    """Per-step enable masks: every fiber link on, GSLs where ``gsl_ok``, then each
    outage (see :class:`Outages`) off during its steps."""
    n_fib = fib_on.shape[0]
    for i in range(n_fib):
        fib_on[i] = True
    for g in range(gs_on.shape[0]):
        gs_on[g] = gsl_ok[g]
    for j in range(outages.item.shape[0]):
        if outages.t0[j] <= t < outages.t1[j]:
            item = outages.item[j]
            if item < n_fib:
                fib_on[item] = False
            else:
                gs_on[item - n_fib] = False


@pjit
def route_steps(r_itrf, t_offset, n_blocks, n_groups, isl, gsl, ground, fiber, outages, plan,
                out):
    """Per time step: build the snapshot graph, run Dijkstra from each source ground
    node (stopping once its destinations are settled), and write each pair's
    distance (light-travel km, NaN if unreachable), hop counts by kind (-1 if
    unreachable), the fiber part of the distance, the medium (``MEDIUM_*``) and the
    first/last satellite (-1 if none) into ``out`` (a :class:`RouteOut`).

    ``isl``, ``gsl``, ``ground``, ``fiber``, ``outages`` and ``plan`` are the named
    groups above. Outages use global step numbers, ``t_offset`` being the global number
    of ``r_itrf[0]``. Time steps are split into ``n_blocks`` contiguous blocks and the
    sources into ``n_groups`` interleaved groups (source ``k`` in group ``k % n_groups``, so
    groups near and far from their targets mix); each (block, group) is one parallel
    iteration that builds its steps' graphs and allocates its buffers once. With few steps,
    groups keep every thread busy at the price of building a step's graph once per group.
    Outputs are disjoint and each pair's search is the same whatever the split, so results
    do not depend on the thread count.
    """
    n_times, n_sats = r_itrf.shape[0], r_itrf.shape[1]
    # Arrays are unpacked before the parallel loop: numba loses writes made through a
    # tuple's fields inside one (reads through the groups passed on to calls are fine).
    gs, relay, gsl_ok = ground
    n_gs = gs.shape[0]
    n_fib = fiber.a.shape[0]
    n_nodes = n_sats + n_gs
    max_edges = isl.a.shape[0] + n_gs * n_sats + n_fib
    sources, pairs_ptr, pairs_of_source, pair_dst = (plan.sources, plan.pairs_ptr,
                                                     plan.pairs_of_source, plan.destination)
    dist_km, hops, isl_hops, gsl_hops, fiber_hops, fiber_km, medium, first_sat, last_sat = out
    for it in prange(n_blocks * n_groups):
        blk, group = it // n_groups, it % n_groups
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
            switch_state(t + t_offset, gsl_ok, outages, gs_on, fib_on)
            m = snapshot_edges(r, isl, gsl, gs, gs_on, fiber, fib_on, ea, eb, elen, ekind,
                               sg, ss, sl, sm, keep)
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
            for k in range(group, sources.shape[0], n_groups):
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

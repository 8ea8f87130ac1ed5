"""Shortest paths on CSR graphs: a binary-heap Dijkstra and a bucket-queue (Dial) Dijkstra.

Both treat ground nodes (index >= n_sats) as endpoints unless they relay, never queue
ground nodes that are neither relays nor targets, and stop once the targets are settled.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit


@jit(inline="always")
def heap_push(heap_d, heap_v, size, d, v):
    """Push (d, v) on the binary min-heap of ``size`` entries; returns the new size."""
    i = size
    while i > 0:
        p = (i - 1) // 2
        if heap_d[p] > d:
            heap_d[i] = heap_d[p]
            heap_v[i] = heap_v[p]
            i = p
        else:
            break
    heap_d[i] = d
    heap_v[i] = v
    return size + 1


@jit(inline="always")
def heap_pop(heap_d, heap_v, size):
    """Pop the smallest entry of the binary min-heap: (d, v, new size)."""
    d, v = heap_d[0], heap_v[0]
    size -= 1
    if size > 0:  # move the last entry to the root and sift it down
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
    return d, v, size


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
        d, v, size = heap_pop(heap_d, heap_v, size)
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
                size = heap_push(heap_d, heap_v, size, nd, w)


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

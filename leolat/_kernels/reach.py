"""Exact reachability under the rule that only satellites and relaying ground nodes forward
traffic: connected components of the forwarding nodes, then a test per (source, target).
Targets no forwarding chain reaches are not waited for, so searches stop early."""

from __future__ import annotations

from ._jit import jit


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

"""Shortest paths per snapshot: leolat's router against the graph libraries, same graphs.

Graphs: +Grid satellite graphs of Starlink shell 1 (1,584), Starlink Gen1 (4,408) and the
real 2026-05 Starlink catalogue (its satellites in inferred shells, ~9,700; when
../shared/reference is present), each with the 100 and the 1,000 largest cities as ground
stations (25° elevation mask, lasers up to 5,000 km). Ground stations do not relay: the
libraries get each station as an out-node and an in-node, so no path passes through one.

Timed per snapshot, for the distances between every pair of stations:

* leolat ``Network.route`` end to end (propagation, links, graph, searches, per-pair hops
  and satellites), and ``Network.latency`` (the labelled Dataset as well);
* ``scipy.sparse.csgraph.dijkstra`` from every station at once, ``networkit``'s
  ``SPSP`` (C++, OpenMP over sources) and ``rustworkx``'s Dijkstra (Rust, one call per
  source: it has no multi-source search; timed on 100 sources and scaled), on the graph
  leolat built for that snapshot (``Network.snapshot``), their graph building not charged.

Every library's distances are checked against leolat's (largest difference printed).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from leolat import Constellation, LinkPolicy, Network, Sites, TimeGrid

from ._harness import print_table, write_json

REF = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
POLICY = LinkPolicy(min_elevation_deg=25.0, max_isl_range_km=5000.0)
T0 = "2026-05-13T00:00:00Z"


def _constellations():
    yield "Starlink shell 1", Constellation.preset("starlink-gen1-shell1", epoch=T0)
    yield "Starlink Gen1", Constellation.preset("starlink-gen1", epoch=T0)
    star = REF / "starlink_2026-05" / "starlink.tle"
    if star.exists():
        real = Constellation.from_tle(star).infer_shells()
        yield "Starlink 2026-05 catalogue", real[real.shell >= 0]


def split_graph(net: Network, t):
    """The snapshot as a scipy CSR matrix with each station split into an out-node
    (n_sats + g) and an in-node (n_sats + n_gs + g)."""
    from scipy.sparse import csr_matrix

    snap = net.snapshot(t)
    n_s = len(net.constellation)
    n_g = snap.n_nodes - n_s
    tail = np.repeat(np.arange(snap.n_nodes), np.diff(snap.indptr))
    head = snap.indices.copy()
    head = np.where(head >= n_s, head + n_g, head)  # into a station: its in-node
    n = n_s + 2 * n_g
    return csr_matrix((snap.length_km, (tail, head)), shape=(n, n)), n_s, n_g


def _max_diff(theirs: np.ndarray, ours: np.ndarray) -> float:
    """Largest |difference| (km) where either side has a path; inf if only one has."""
    theirs = np.where(np.isinf(theirs), np.nan, theirs)
    either = np.isfinite(theirs) | np.isfinite(ours)
    return float(np.max(np.abs(theirs[either] - ours[either]))) if either.any() else 0.0


def _time(fn, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(args) -> dict:
    import networkit as nk
    import rustworkx as rx
    from scipy.sparse.csgraph import dijkstra

    nk.setNumberOfThreads(0)  # all cores, as numba
    when = TimeGrid.from_utc(T0, 0.0, 1.0)
    rows = []
    for label, c in _constellations():
        for n_gs in (100, 1000):
            net = Network(c, Sites.top_cities(n_gs), POLICY)
            net.route(when, "all")  # compile and cache the pair plan outside the timing
            t_route, routes = _time(lambda net=net: net.route(when, "all"), args.repeat)
            net.latency(when, "all")
            t_lat, _ = _time(lambda net=net: net.latency(when, "all"), args.repeat)
            ours = routes.distance_km[0]
            src, dst = routes.source, routes.destination
            graph, n_s, n_g = split_graph(net, when)
            outs = n_s + np.arange(n_g)
            ins = n_s + n_g + np.arange(n_g)

            t_sp, dist = _time(lambda g=graph, o=outs: dijkstra(g, indices=o), args.repeat)
            diff_sp = _max_diff(dist[:, ins][src, dst], ours)

            g_nk = nk.graph.GraphFromCsr(graph, directed=True, weighted=True)
            spsp = nk.distance.SPSP(g_nk, outs.tolist())
            t_nk, _ = _time(spsp.run, args.repeat)
            d_nk = np.asarray(spsp.getDistances())[:, ins]
            d_nk[d_nk > 1e300] = np.inf
            diff_nk = _max_diff(d_nk[src, dst], ours)

            g_rx = rx.PyDiGraph()
            g_rx.add_nodes_from(range(graph.shape[0]))
            coo = graph.tocoo()
            g_rx.add_edges_from(list(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist())))
            few = min(n_g, 100)

            def rustworkx_run(g=g_rx, o=outs[:few]):
                return [rx.digraph_dijkstra_shortest_path_lengths(g, int(s), float) for s in o]

            t_rx, res = _time(rustworkx_run, 1)
            t_rx *= n_g / few
            d_rx = np.full((n_g, n_g), np.inf)
            for k, m in enumerate(res):
                for node, v in m.items():
                    if node >= n_s + n_g:
                        d_rx[k, node - n_s - n_g] = v
            sel = src < few
            diff_rx = _max_diff(d_rx[src[sel], dst[sel]], ours[sel])
            name = f"{label} ({len(c):,}) + {n_gs:,} stations"
            base = t_sp
            for impl, t, diff in (("leolat Network.route (end to end)", t_route, 0.0),
                                  ("leolat Network.latency (+ Dataset)", t_lat, 0.0),
                                  ("scipy.sparse.csgraph.dijkstra", t_sp, diff_sp),
                                  ("networkit SPSP", t_nk, diff_nk),
                                  (f"rustworkx, per source (x{n_g / few:g})", t_rx, diff_rx)):
                rows.append({"graph": name, "impl": impl, "ms": t * 1e3, "vs_scipy": base / t,
                             "max_diff_m": diff * 1e3})
            print(f"{name}: {len(src):,} pairs, {np.isfinite(ours).mean() * 100:.1f} % connected")
    print_table("shortest paths between every pair of stations, one snapshot (ms)", rows,
                [("graph", "graph", "s"), ("impl", "implementation", "s"), ("ms", "ms", ".1f"),
                 ("vs_scipy", "scipy time / this", ".2f"), ("max_diff_m", "max |Δd| (m)", ".2e")])
    payload = {"rows": rows}
    write_json("paths", payload, args.out)
    return payload

"""Hybrid terrestrial-satellite routing, per time step.

Workload: Starlink Gen1 (4,408 satellites, +Grid ISLs, 25° mask) joined with a
terrestrial network of the 100 most populous cities as offices (sites with user
terminals), the 27 shipped gateways and the 60 shipped cloud regions; fiber: a
4-nearest mesh between gateways and cloud regions, each office linked to its 2
nearest of those (geodesic × 1.5); pairs: each office to its 3 nearest cloud regions
(300 pairs); 1 hour at 10 s (360 steps).

Reported: the hybrid routing alone, a whole failure scenario (normal, failed,
fiber-only and LEO-only routes: four routings, one GEO computation), and the plain
satellite network on the same stations without fiber. Baseline in the same run:
numpy geometry + scipy.sparse.csgraph Dijkstra on the same union graph (offices
split into out- and in-nodes so that no path passes through one), positions given.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

import leolat
from leolat import Constellation, LinkPolicy, Network, Scenario, Sites, Terrestrial, TimeGrid
from leolat.base.constants import SPEED_OF_LIGHT_KM_S
from leolat.network.hybrid import MEDIA

from ._harness import print_table, write_json

POLICY = LinkPolicy(min_elevation_deg=25.0, max_isl_range_km=5000.0)


def _workload():
    offices = Sites.top_cities(100)
    clouds = leolat.cloud_regions()
    t = Terrestrial.mesh(k=4, site_uplinks=2, sites=offices, gateways=leolat.gateways(),
                         clouds=clouds)
    # Each office to its three nearest cloud regions.
    n_off = len(offices)
    first_cloud = len(t.nodes) - len(clouds)
    d = leolat.geodesic_km(offices.lat_deg[:, None], offices.lon_deg[:, None],
                           clouds.lat_deg[None, :], clouds.lon_deg[None, :])
    near = np.argsort(d, axis=1)[:, :3]
    pairs = [(i, first_cloud + int(j)) for i in range(n_off) for j in near[i]]
    return t, pairs


def scipy_baseline(r, net, t, sources):
    """numpy geometry + scipy Dijkstra on the union graph of one instant."""
    n_s, n_g = r.shape[0], len(t.nodes)
    site = t.roles == "site"
    d_isl = np.linalg.norm(r[net.isl_a] - r[net.isl_b], axis=1)
    ok = d_isl <= POLICY.max_isl_range_km
    gs = t.nodes.r_itrf_km
    lat, lon = np.radians(t.nodes.lat_deg), np.radians(t.nodes.lon_deg)
    up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], 1)
    diff = r[None, :, :] - gs[:, None, :]
    rng = np.linalg.norm(diff, axis=2)
    el_ok = np.einsum("gk,gsk->gs", up, diff) >= np.sin(np.radians(POLICY.min_elevation_deg)) * rng
    el_ok &= t.gsl_capable[:, None]
    g_i, s_i = np.nonzero(el_ok)
    # Node layout: satellites, ground "out" nodes, then "in" copies of the offices.
    in_node = np.full(n_g, -1)
    in_node[site] = n_s + n_g + np.arange(site.sum())
    to_ground = np.where(site[g_i], in_node[g_i], n_s + g_i)  # sat -> ground edge target
    fa, fb = t.link_a, t.link_b
    w_f = t.latency_ms * (SPEED_OF_LIGHT_KM_S / 1e3)
    rows = np.concatenate([net.isl_a[ok], net.isl_b[ok], n_s + g_i, s_i, n_s + fa, n_s + fb])
    cols = np.concatenate([net.isl_b[ok], net.isl_a[ok], s_i, to_ground,
                           np.where(site[fb], in_node[fb], n_s + fb),
                           np.where(site[fa], in_node[fa], n_s + fa)])
    w = np.concatenate([d_isl[ok], d_isl[ok], rng[g_i, s_i], rng[g_i, s_i], w_f, w_f])
    # Offices forward nothing: their "out" node keeps edges only as a source, and
    # arriving traffic lands on the "in" copy, which has no outgoing edges.
    n = n_s + n_g + int(site.sum())
    graph = csr_matrix((w, (rows, cols)), shape=(n, n))
    dist = dijkstra(graph, indices=n_s + sources)
    ground = n_s + np.arange(n_g)
    ground = np.where(site, in_node, ground)
    return dist[:, ground]


def run(args) -> dict:
    c = Constellation.preset("starlink-gen1")
    t, pairs = _workload()
    net = Network(c, t, POLICY)
    n_steps = max(10, int(360 * args.scale))
    times = TimeGrid.from_utc("2026-11-24T00:00:00Z", n_steps * 10, 10)
    src, dst = net.resolve_pairs(pairs)
    net.route(times[:2], pairs)  # compile outside the timing

    def best(fn):
        out, best_s = None, np.inf
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            out = fn()
            best_s = min(best_s, time.perf_counter() - t0)
        return out, best_s

    routed, t_route = best(lambda: net.route(times, pairs))
    cut = Scenario("cut").cut_fiber(str(t.link_names[0]), start="2026-11-24T00:20:00Z")
    _, t_scen = best(lambda: leolat.run_scenario(net, times, pairs, cut))
    plain = Network(c, t.nodes, POLICY)
    plain.route(times[:2], pairs)
    _, t_plain = best(lambda: plain.route(times, pairs))

    sub = times[:: max(1, n_steps // 10)]
    eph = c.propagate(sub, positions_only=True)
    sources = np.unique(src)
    t0 = time.perf_counter()
    base = [scipy_baseline(eph.r_itrf_km[i], net, t, sources) for i in range(len(sub))]
    t_base = (time.perf_counter() - t0) / len(sub)
    ours = net.route(sub, pairs).distance_km
    row_of = {s: k for k, s in enumerate(sources)}
    worst = 0.0
    for i, b in enumerate(base):
        want = np.array([b[row_of[a], d] for a, d in zip(src, dst)])
        want = np.where(np.isinf(want), np.nan, want)
        assert np.array_equal(np.isnan(want), np.isnan(ours[i])), "reachability differs"
        worst = max(worst, float(np.nanmax(np.abs(want - ours[i]))))

    per = 1e3 / n_steps
    rows = [{"name": "leolat hybrid routing (propagation + graph + Dijkstra)", "ms": t_route * per},
            {"name": "leolat run_scenario: 4 routings + GEO + Dataset", "ms": t_scen * per},
            {"name": "leolat satellite-only network, same stations, no fiber", "ms": t_plain * per},
            {"name": "numpy geometry + scipy.sparse.csgraph.dijkstra (positions given)",
             "ms": t_base * 1e3}]
    for r in rows:
        r["ratio"] = t_base * 1e3 / r["ms"]
    medium = MEDIA[routed.medium + 1]
    share = {m: float(np.mean(medium == m)) for m in ("fiber", "leo", "leo+fiber")}
    print_table(f"hybrid routing: {len(c):,} satellites + {len(t.nodes)} ground nodes, "
                f"{t.n_links} fiber links, {len(pairs)} pairs, {n_steps} steps", rows,
                [("name", "implementation", "s"), ("ms", "ms/step", ".2f"),
                 ("ratio", "× scipy baseline", ".1f")])
    print(f"max |distance difference| vs the scipy baseline: {worst * 1e3:.3f} m; path media: "
          + ", ".join(f"{k} {v:.1%}" for k, v in share.items()))
    payload = {"rows": rows, "steps": n_steps, "pairs": len(pairs), "max_diff_vs_scipy_m": worst * 1e3,
               "media": share}
    path = write_json("hybrid", payload, args.out)
    if path:
        print(f"wrote {path}")
    return payload

"""Network routing: snapshot graphs + shortest paths + latency, per snapshot.

Main workload (issue target: <= 3 ms per snapshot): Kuiper K1 (1,156 satellites, the
Hypatia reference file when ../shared is present) + 100 ground stations, all 4,950
pairs, 200 s at 100 ms = 2,000 snapshots, end to end (propagation, GSL, ISL, graph,
routing, results). Baseline in the same run: numpy geometry + scipy.sparse.csgraph
Dijkstra from the 100 stations on the same positions (propagation not charged to it).
Also reported: Starlink Gen1 with 1,000 cities, and the real 10,361-satellite Starlink
snapshot with the 100 reference stations.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from leolat import Constellation, LinkPolicy, Network, Sites, TimeGrid

from ._harness import print_table, write_json

REF = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
KUIPER_POLICY = LinkPolicy(min_elevation_deg=None, max_gsl_range_km=1260.0, isl="plus_grid",
                           max_isl_range_km=5442.958203036287, grazing_altitude_km=0.0)


def _kuiper_and_stations():
    k = REF / "hypatia_kuiper_k1"
    if (k / "constellation.tle").exists():
        c = Constellation.from_tle(k / "constellation.tle").infer_shells()
        return c, Sites.from_csv(k / "ground_stations.csv"), "Hypatia Kuiper K1 file + 100 stations"
    return (Constellation.preset("kuiper-k1", epoch="2000-01-01T00:00:00Z"), Sites.top_cities(100),
            "kuiper-k1 preset + top-100 cities (../shared absent)")


def scipy_baseline(r_itrf, gs_r, isl_a, isl_b, policy):
    """Straightforward: numpy geometry, a split-station graph (stations as out- and in-nodes,
    so no path can pass through one), scipy Dijkstra from every station at once."""
    n_s, n_g = r_itrf.shape[0], gs_r.shape[0]
    d_isl = np.linalg.norm(r_itrf[isl_a] - r_itrf[isl_b], axis=1)
    ok = d_isl <= policy.max_isl_range_km
    d_gsl = np.linalg.norm(r_itrf[None, :, :] - gs_r[:, None, :], axis=2)
    g_i, s_i = np.nonzero(d_gsl <= policy.max_gsl_range_km)
    rows = np.concatenate([isl_a[ok], isl_b[ok], n_s + g_i, s_i])
    cols = np.concatenate([isl_b[ok], isl_a[ok], s_i, n_s + n_g + g_i])
    w = np.concatenate([d_isl[ok], d_isl[ok], d_gsl[g_i, s_i], d_gsl[g_i, s_i]])
    n = n_s + 2 * n_g
    graph = csr_matrix((w, (rows, cols)), shape=(n, n))
    dist = dijkstra(graph, indices=n_s + np.arange(n_g))
    return dist[:, n_s + n_g:]


def run(args) -> dict:
    c, gs, label = _kuiper_and_stations()
    net = Network(c, gs, KUIPER_POLICY, ut1_utc=False)
    n_snap = max(10, int(2000 * args.scale))
    times = TimeGrid.from_utc("2000-01-01T00:00:00Z", n_snap * 0.1, 0.1)
    net.latency(times[:2], "all")  # compile outside the timing
    t0 = time.perf_counter()
    ds = net.latency(times, "all")
    t_ours = time.perf_counter() - t0
    n_pairs = ds.sizes["pair"]
    fast = Network(c, gs, KUIPER_POLICY, ut1_utc=False, backend="numba-approx")
    fast.latency(times[:2], "all")
    t0 = time.perf_counter()
    ds_fast = fast.latency(times, "all")
    t_fast = time.perf_counter() - t0
    fast_diff_ms = float(np.nanmax(np.abs(ds_fast.rtt_ms.values - ds.rtt_ms.values)))

    sub = times[:: max(1, n_snap // 20)]
    eph = c.propagate(sub, ut1_utc=False)
    t0 = time.perf_counter()
    base = [scipy_baseline(eph.r_itrf_km[i], gs.r_itrf_km, net.isl_a, net.isl_b, KUIPER_POLICY)
            for i in range(len(sub))]
    t_base = (time.perf_counter() - t0) / len(sub)
    # Same answers: compare all-pairs distances on those snapshots.
    i_idx, j_idx = np.triu_indices(len(gs), k=1)
    ours_sub = c.propagate(sub, ut1_utc=False)
    ds_sub = net.latency(sub, "all")
    worst = max(float(np.nanmax(np.abs(np.where(np.isinf(b[i_idx, j_idx]), np.nan, b[i_idx, j_idx])
                                       - ds_sub.distance_km.values[k]))) for k, b in enumerate(base))
    del ours_sub
    rows = [{"name": f"leolat Network.latency, end to end ({label})", "ms": t_ours / n_snap * 1e3},
            {"name": "same, propagation backend='numba-approx'", "ms": t_fast / n_snap * 1e3},
            {"name": "numpy geometry + scipy.sparse.csgraph.dijkstra (same positions)",
             "ms": t_base * 1e3}]
    for r in rows:
        r["ratio"] = t_base * 1e3 / r["ms"]

    extra = []
    # Starlink Gen1 + 1,000 cities, a few snapshots (all 499,500 pairs).
    s_net = Network(Constellation.preset("starlink-gen1"), Sites.top_cities(1000),
                    LinkPolicy(min_elevation_deg=25.0, max_isl_range_km=5000.0))
    few = TimeGrid.from_utc("2026-01-01T00:00:00Z", 3, 1)
    s_net.latency(few[:1], [(0, 1)])
    t0 = time.perf_counter()
    s_ds = s_net.latency(few, "all")
    extra.append({"name": "Starlink Gen1 (4,408) + 1,000 cities, all 499,500 pairs",
                  "ms": (time.perf_counter() - t0) / len(few) * 1e3,
                  "reachable": float(np.isfinite(s_ds.rtt_ms.values).mean())})
    star = REF / "starlink_2026-05" / "starlink.tle"
    if star.exists() and (REF / "hypatia_kuiper_k1" / "ground_stations.csv").exists():
        real = Constellation.from_tle(star).infer_shells()
        real = real[real.shell >= 0]
        r_net = Network(real, gs, LinkPolicy(min_elevation_deg=25.0, max_isl_range_km=5000.0))
        when = TimeGrid.from_utc("2026-05-13T00:00:00Z", 10, 1)
        r_net.latency(when[:1], [(0, 1)])
        t0 = time.perf_counter()
        r_ds = r_net.latency(when, "all")
        extra.append({"name": f"real Starlink snapshot ({len(real):,} satellites in inferred shells) "
                              f"+ 100 stations, all 4,950 pairs",
                      "ms": (time.perf_counter() - t0) / len(when) * 1e3,
                      "reachable": float(np.isfinite(r_ds.rtt_ms.values).mean())})

    print_table(f"routing: {len(c):,} satellites + {len(gs)} stations, {n_pairs:,} pairs, "
                f"{n_snap:,} snapshots at 100 ms", rows,
                [("name", "implementation", "s"), ("ms", "ms/snapshot", ".2f"),
                 ("ratio", "× scipy baseline", ".1f")])
    print(f"max |distance difference| vs the scipy baseline: {worst * 1e3:.3f} m; "
          f"numba-approx vs numba: max |ΔRTT| {fast_diff_ms:.2e} ms")
    print_table("larger networks (end to end)", extra,
                [("name", "workload", "s"), ("ms", "ms/snapshot", ".1f"),
                 ("reachable", "reachable pairs", ".3f")])
    payload = {"rows": rows, "extra": extra, "snapshots": n_snap, "pairs": n_pairs,
               "approx_vs_exact_max_rtt_diff_ms": fast_diff_ms,
               "max_diff_vs_scipy_m": worst * 1e3}
    path = write_json("network", payload, args.out)
    if path:
        print(f"wrote {path}")
    return payload

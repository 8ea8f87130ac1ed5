"""The operator service model at scale: the real catalogue × 1,000 terminals at 1 s steps.

Workload: the Starlink snapshot in ../shared/reference/starlink_2026-05/ (about 9,700
satellites in service) when present, else Starlink Gen1 (4,408); the 1,000 most populous
cities as terminals; the shipped Starlink operator (219 gateways, 51 PoPs, 15-s epochs,
25° mask, 22° GSO arc avoidance); 60 s at 1 s.

Reported: ``service_latency`` end to end per step (propagation, serving satellites and
routes per epoch, path light times per step), and a baseline of the same model in numpy +
scipy measured in the same run on the same positions: elevations as a (terminal x
satellite) matrix, the GSO test on the 0.5° ring samples, the ISL graph as a scipy sparse
matrix and one scipy Dijkstra per PoP from a virtual exit node, re-run every epoch, path
lengths every step.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import leolat
from leolat import Constellation, Operator, Sites, TimeGrid

from ._harness import print_table, write_json

SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "reference" / "starlink_2026-05" / "starlink.tle"
T0 = "2026-05-13T00:00:00Z"


def _workload():
    if SNAPSHOT.is_file():
        return Constellation.from_tle(SNAPSHOT).infer_shells(), "Starlink snapshot 2026-05"
    return Constellation.preset("starlink-gen1", epoch=T0), "Starlink Gen1 preset"


def _baseline(c, op, terms, grid):
    """The same model in numpy + scipy (max-elevation rule), positions from leolat."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from leolat.ground.site_frames import site_frames
    from leolat.network.service import backhaul_one_way_ms, epoch_index

    net = leolat.Network(c, terms)
    service = net.service
    tf, gf = site_frames(terms), site_frames(op.gateways)
    up_t = np.stack([tf[:, 4] * tf[:, 6], tf[:, 4] * tf[:, 5], tf[:, 3]], 1)
    up_g = np.stack([gf[:, 4] * gf[:, 6], gf[:, 4] * gf[:, 5], gf[:, 3]], 1)
    lon = np.radians(np.arange(720) * 0.5)
    ring = 42164.17 * np.stack([np.cos(lon), np.sin(lon), np.zeros(720)], 1)
    ring_dir = ring[None] - tf[:, None, :3]
    ring_dir /= np.linalg.norm(ring_dir, axis=2, keepdims=True)
    pop_of = op.pop_for(terms)
    bh = backhaul_one_way_ms(op) * 299.792458
    epochs = epoch_index(grid, op)
    sin_m = np.sin(np.radians(op.min_elevation_deg))
    n = len(c)
    r_all = c.propagate(grid, positions_only=True).r_itrf_km
    total = np.zeros((len(grid), len(terms)))
    serving = None
    path_nodes: dict = {}
    a, b, _ = net.isl_links_at_positions(r_all[0])
    for ti in range(len(grid)):
        r = r_all[ti].copy()
        r[~service] = np.nan
        if ti == 0 or epochs[ti] != epochs[ti - 1]:
            d = r[None, :, :] - tf[:, None, :3]
            rng = np.linalg.norm(d, axis=2)
            sin_el = np.einsum("tsk,tk->ts", d, up_t) / rng
            ok = sin_el >= sin_m
            dirs = d / rng[..., None]
            sep = np.full(ok.shape, 180.0)
            ti_, si_ = np.nonzero(ok)
            cos = np.einsum("pk,prk->pr", dirs[ti_, si_], ring_dir[ti_]).max(axis=1)
            sep[ti_, si_] = np.degrees(np.arccos(np.clip(cos, -1, 1)))
            ok &= sep >= op.gso_exclusion_deg
            serving = np.where(ok.any(1), np.argmax(np.where(ok, sin_el, -2), axis=1), -1)
            length = np.linalg.norm(r[a] - r[b], axis=1)
            good = np.isfinite(length) & (length <= 5000.0)
            graph = csr_matrix((np.r_[length[good], length[good]], (np.r_[a[good], b[good]],
                                np.r_[b[good], a[good]])), shape=(n + 1, n + 1))
            dg = r[None, :, :] - gf[:, None, :3]
            gsin = np.einsum("gsk,gk->gs", dg, up_g) / np.linalg.norm(dg, axis=2)
            gi, gs = np.nonzero(gsin >= sin_m)
            feeder = np.linalg.norm(dg[gi, gs], axis=1)
            path_nodes = {}
            for p in np.unique(pop_of):
                # a virtual exit node n, linked to every satellite a gateway sees
                cost = feeder + bh[gi, p]
                best = np.full(n, np.inf)
                np.minimum.at(best, gs, cost)
                rows = np.nonzero(np.isfinite(best))[0]
                g2 = graph + csr_matrix((best[rows], (np.full(rows.size, n), rows)),
                                        shape=(n + 1, n + 1))
                dist, pred = dijkstra(g2, directed=True, indices=n, return_predecessors=True)
                for j in np.nonzero(pop_of == p)[0]:
                    s = serving[j]
                    if s < 0 or not np.isfinite(dist[s]):
                        continue
                    chain = [s]
                    while pred[chain[-1]] != n:
                        chain.append(pred[chain[-1]])
                    path_nodes[j] = np.array(chain[::-1])  # exit satellite first
        for j, chain in path_nodes.items():
            hops = np.linalg.norm(np.diff(r[chain], axis=0), axis=1).sum()
            total[ti, j] = hops + np.linalg.norm(r[serving[j]] - tf[j, :3])
    return total


def run(args) -> None:
    c, label = _workload()
    op = Operator.preset("starlink")
    terms = Sites.top_cities(1000)
    steps = max(2, int(60 * args.scale))
    grid = TimeGrid.from_utc(T0, steps, 1)
    leolat.service_latency(c, op, terms, TimeGrid.from_utc(T0, 2, 1))  # compile
    best = np.inf
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        ds = leolat.service_latency(c, op, terms, grid)
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    _baseline(c, op, terms, grid)
    t_base = time.perf_counter() - t0
    n_service = int(ds.attrs["n_serving_satellites"])
    rows = [
        {"what": f"service_latency: {n_service:,} serving satellites x 1,000 terminals, per "
                 f"1-s step", "ms": best / steps * 1e3, "ratio": t_base / best},
        {"what": "  the same model in numpy + scipy (per step)", "ms": t_base / steps * 1e3,
         "ratio": 1.0},
    ]
    print(f"workload: {label}, {steps} steps; target: <= 20 ms per step")
    print_table("service model; ratio = baseline time / this", rows,
                [("what", "what", ""), ("ms", "ms/step", ".1f"), ("ratio", "x baseline", ".1f")])
    print(f"reachable: {100 * np.isfinite(ds.rtt_ms.values).mean():.2f} % of terminal-steps")
    write_json("service", {"workload": label, "steps": steps, "rows": rows}, args.out)

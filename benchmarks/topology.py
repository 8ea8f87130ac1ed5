"""Laser topologies of a real catalogue, and terrestrial baselines.

Workload: the Starlink snapshot in ../shared/reference/starlink_2026-05/ (10,361 element
sets) when present, else Starlink Gen1 written to TLE and read back (4,408 sets, no
layout: shells are inferred either way).

Reported:
* building the network: shell inference, then the +Grid matching within the laser budget;
* one topology epoch of ``isl="nearest"`` for every satellite (candidates from a k-d
  tree, k = 8 within 5,000 km and in line of sight, then the laser-budget matching),
  against a brute-force numpy baseline for the candidates alone (all distances in
  blocks, ``argpartition``, the same line-of-sight test), measured in the same run on
  the same positions, with the candidate sets compared;
* routing London -> New York for an hour at 10 s with nearest links chosen per 600 s
  topology epoch, against the same with one epoch for the hour;
* the terrestrial estimate (measured or modelled) for 100,000 pairs of places.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import leolat
from leolat import Constellation, LinkPolicy, Network, Sites, TimeGrid
from leolat.base.constants import WGS84_A_KM
from leolat.network.topology import _candidates

from ._harness import best_time_s, print_table, write_json

SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "reference" / "starlink_2026-05" / "starlink.tle"
T0 = "2026-05-13T00:00:00Z"


def _catalogue() -> tuple[Constellation, str]:
    if SNAPSHOT.is_file():
        return Constellation.from_tle(SNAPSHOT), "Starlink snapshot 2026-05 (10,361 sets)"
    gen1 = Constellation.preset("starlink-gen1", epoch=T0)
    return Constellation.from_tle(gen1.to_tle()), "Starlink Gen1 via TLE (4,408 sets)"


def _brute_candidates(r, k, max_range, clear):
    """The k nearest in range and in sight of every satellite, from all pairwise distances
    (numpy, in blocks of 1,000 satellites)."""
    pairs = set()
    n = r.shape[0]
    for lo in range(0, n, 1000):
        block = r[lo:lo + 1000]
        rows = np.arange(block.shape[0])
        d = np.linalg.norm(block[:, None, :] - r[None, :, :], axis=2)
        d[rows, lo + rows] = np.inf
        near = np.argpartition(d, k, axis=1)[:, :k]
        i = np.repeat(lo + rows, k)
        j = near.ravel()
        ok = d[np.repeat(rows, k), j] <= max_range
        i, j = i[ok], j[ok]
        a, ab = r[i], r[j] - r[i]
        t = np.clip(-np.einsum("ij,ij->i", a, ab) / np.einsum("ij,ij->i", ab, ab), 0, 1)
        sight = np.linalg.norm(a + t[:, None] * ab, axis=1) >= clear
        pairs.update(zip(i[sight].tolist(), j[sight].tolist()))
    return pairs


def run(args) -> None:
    catalogue, label = _catalogue()
    print(f"workload: {label}")
    t_infer = best_time_s(lambda: catalogue.infer_shells(), repeat=args.repeat)
    real = catalogue.infer_shells()
    sites = Sites.from_cities(["London", "New York City"])
    t_build = best_time_s(lambda: Network(real, sites), repeat=args.repeat)
    net = Network(real, sites)
    grid = TimeGrid.from_utc(T0, 1, 1)
    r = real.propagate(grid, positions_only=True).r_itrf_km[0]
    t_epoch = best_time_s(lambda: net.isl_links_at_positions(r), repeat=args.repeat)

    k, max_range, clear = 8, 5000.0, WGS84_A_KM + 80.0
    every = Network(real, sites, LinkPolicy(isl="nearest"))
    t_nearest = best_time_s(lambda: every.isl_links_at_positions(r), repeat=args.repeat)
    everyone = np.arange(len(real))
    t_ours = best_time_s(lambda: _candidates(r, everyone, np.ones(len(real), bool), None, k,
                                             max_range, clear), repeat=args.repeat)
    t_brute = best_time_s(lambda: _brute_candidates(r, k, max_range, clear), repeat=1, warmup=0)
    i, j, _ = _candidates(r, everyone, np.ones(len(real), bool), None, k, max_range, clear)
    mine = set(zip(i.tolist(), j.tolist()))
    theirs = _brute_candidates(r, k, max_range, clear)
    # Both take the k nearest within range, then drop those out of sight: the same pairs.
    agree = mine == theirs

    hour = TimeGrid.from_utc(T0, 3600 * args.scale, 10)
    held = Network(real, sites, LinkPolicy(topology_epoch_s=3600.0 * 10))
    t_route = best_time_s(lambda: net.route(hour, "all"), repeat=args.repeat)
    t_route_one = best_time_s(lambda: held.route(hour, "all"), repeat=args.repeat)

    rng = np.random.default_rng(0)
    lat = rng.uniform(-60, 60, (2, 100_000))
    lon = rng.uniform(-180, 180, (2, 100_000))
    t0 = time.perf_counter()
    leolat.terrestrial_rtt_ms(lat[0], lon[0], lat[1], lon[1])
    t_terr = time.perf_counter() - t0

    rows = [
        {"what": "infer shells", "s": t_infer, "ratio": None},
        {"what": "Network(): +Grid matching within the laser budget", "s": t_build, "ratio": None},
        {"what": "one topology epoch: nearest links for satellites in no shell", "s": t_epoch,
         "ratio": None},
        {"what": f"isl='nearest': one topology epoch, all {len(real):,} satellites",
         "s": t_nearest, "ratio": None},
        {"what": f"  its candidates (k-d tree, k = {k})", "s": t_ours, "ratio": t_brute / t_ours},
        {"what": "  the same candidates by brute-force numpy", "s": t_brute, "ratio": 1.0},
        {"what": f"route London-New York, {len(hour)} steps, 600-s topology epochs",
         "s": t_route, "ratio": t_route_one / t_route},
        {"what": "  the same with one topology epoch", "s": t_route_one, "ratio": 1.0},
        {"what": "terrestrial estimate, 100,000 pairs", "s": t_terr, "ratio": None},
    ]
    print_table(f"topology ({label}); ratio = baseline time / this", rows,
                [("what", "what", ""), ("s", "seconds", ".3f"), ("ratio", "x baseline", ".2f")])
    print(f"candidate sets identical to the brute-force ones: {agree}")
    write_json("topology", {"workload": label, "rows": rows, "candidates_agree": agree}, args.out)

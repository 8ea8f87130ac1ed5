"""Visible-satellite counts: top-100 cities × Starlink Gen1 (4,408 satellites) × 24 h at 10 s.

leolat's streamed ``visible`` (propagation included, chunked, counts and sparse listing)
against a vectorised numpy implementation of the same counts on the same ephemeris
chunks, measured in the same run. The numpy baseline gets the propagation for free
(it reuses leolat's ephemerides), so the ratio isolates the visibility computation;
leolat's end-to-end time is printed too.
"""

from __future__ import annotations

import time

import numpy as np

from leolat import Constellation, Sites, TimeGrid, visible

from ._harness import print_table, write_json


def numpy_counts(r_itrf_km: np.ndarray, sites: Sites, min_elevation_deg: float) -> np.ndarray:
    """Counts (n_times, n_sites) by broadcasting: ENU 'up' against sin(min el)·range."""
    lat, lon = np.radians(sites.lat_deg), np.radians(sites.lon_deg)
    up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
    d = r_itrf_km[:, None, :, :] - sites.r_itrf_km[None, :, None, :]      # (t, site, sat, 3)
    u = np.einsum("tksj,kj->tks", d, up)
    rng = np.linalg.norm(d, axis=3)
    return np.sum(u >= np.sin(np.radians(min_elevation_deg)) * rng, axis=2)


def run(args) -> dict:
    c = Constellation.preset("starlink-gen1")
    sites = Sites.top_cities(100)
    hours = 24.0 * args.scale
    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", hours * 3600, 10)
    min_el = 25.0
    n_pairs = len(grid) * len(sites) * len(c)

    t0 = time.perf_counter()
    vis = visible(c, sites, min_el, times=grid, memory_budget_mb=512)
    t_leolat = time.perf_counter() - t0

    t_vis = t_np = 0.0
    agree = True
    for eph in c.propagate_chunks(grid, memory_budget_mb=512, max_chunk_times=60):
        t1 = time.perf_counter()
        part = visible(eph, sites, min_el)
        t2 = time.perf_counter()
        base = numpy_counts(eph.r_itrf_km, sites, min_el)
        t3 = time.perf_counter()
        t_vis += t2 - t1
        t_np += t3 - t2
        agree &= bool(np.array_equal(part.counts, base))
    rows = [
        {"name": "leolat visible(): propagate + counts + listing, end to end", "seconds": t_leolat},
        {"name": "leolat visible() on precomputed ephemeris chunks", "seconds": t_vis},
        {"name": "numpy broadcasting counts on the same chunks (baseline)", "seconds": t_np},
    ]
    for r in rows:
        r["rate"] = n_pairs / r["seconds"] / 1e9
        r["ratio"] = t_np / r["seconds"]
    print_table(f"visible counts: {len(sites)} cities × {len(c):,} satellites × {len(grid):,} times "
                f"({n_pairs / 1e9:.2f} G pairs), min elevation {min_el}°", rows,
                [("name", "implementation", "s"), ("seconds", "s", ".2f"),
                 ("rate", "G pairs/s", ".3f"), ("ratio", "× numpy", ".1f")])
    print(f"\ncounts identical to the numpy baseline: {agree}; {vis.sat_index.size:,} visible pairs "
          f"listed, mean {vis.counts.mean():.1f} satellites per city")
    payload = {"rows": rows, "pairs": n_pairs, "identical": agree}
    path = write_json("visibility", payload, args.out)
    if path:
        print(f"wrote {path}")
    return payload

"""Global coverage: 1° grid (64,800 points) × Starlink Gen1 (4,408 satellites) × 24 h at 60 s.

Target: <= 30 s end to end on the 2-core machine. Baseline in the same run: brute-force
numpy broadcasting (every satellite against every point) on a subset of the time steps,
extrapolated per step; the ratio compares the visibility-count part.
"""

from __future__ import annotations

import time

import numpy as np

from leolat import Constellation, Sites, TimeGrid, coverage, coverage_summary
from leolat.geometry.coverage import visible_counts

from ._harness import print_table, write_json
from .visibility import numpy_counts


def run(args) -> dict:
    c = Constellation.preset("starlink-gen1")
    grid = Sites.grid(1.0)
    hours = 24.0 * args.scale
    times = TimeGrid.from_utc("2026-01-01T00:00:00Z", hours * 3600, 60)
    coverage(c, grid, times[:2], 25.0)  # compile outside the timing
    t0 = time.perf_counter()
    ds = coverage(c, grid, times, 25.0)
    t_ours = time.perf_counter() - t0

    sub = times[: max(2, len(times) // 240)]
    eph = c.propagate(sub)
    t0 = time.perf_counter()
    ours_counts = visible_counts(eph, grid, 25.0)
    t_ours_counts = (time.perf_counter() - t0) / len(sub)
    t0 = time.perf_counter()
    base = np.concatenate([numpy_counts(eph.r_itrf_km[i:i + 1], grid, 25.0) for i in range(len(sub))])
    t_base = (time.perf_counter() - t0) / len(sub)
    same = bool(np.array_equal(base, ours_counts))
    rows = [
        {"name": "leolat coverage(), end to end (propagation, counts, statistics)",
         "seconds": t_ours, "per_step_ms": t_ours / len(times) * 1e3},
        {"name": "leolat cap search, counts only", "seconds": t_ours_counts * len(times),
         "per_step_ms": t_ours_counts * 1e3},
        {"name": "numpy brute force, counts only (extrapolated from a subset)",
         "seconds": t_base * len(times), "per_step_ms": t_base * 1e3},
    ]
    for r in rows:
        r["ratio"] = rows[2]["seconds"] / r["seconds"]
    print_table(f"coverage: {len(grid):,} points × {len(c):,} satellites × {len(times):,} steps "
                f"at 60 s, min elevation 25°", rows,
                [("name", "implementation", "s"), ("seconds", "s", ".1f"),
                 ("per_step_ms", "ms/step", ".1f"), ("ratio", "× numpy", ".1f")])
    s = coverage_summary(ds).iloc[0].to_dict()
    print(f"\ncounts identical to brute force on the subset: {same}; area-weighted coverage "
          f"{s['percent_covered_weighted']:.2f} %, mean visible {s['mean_visible_weighted']:.2f}")
    payload = {"rows": rows, "identical": same, "summary": s}
    path = write_json("coverage", payload, args.out)
    if path:
        print(f"wrote {path}")
    return payload

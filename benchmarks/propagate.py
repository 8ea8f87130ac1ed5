"""Propagation + conversion to ITRF: leolat vs skyfield end to end, same inputs, same run.

Workload: Starlink Gen1 shell 1 (1,584 satellites) × 1,000 times at 1 s.
Figures: satellite·times per second and the ratio of leolat to each baseline.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from leolat import Constellation, TimeGrid

from ._harness import best_time_s, print_table, write_json


def skyfield_end_to_end(lines: list[str], grid: TimeGrid):
    """What a hand-rolled skyfield script does: one EarthSatellite per TLE, .at(t) -> ITRS."""
    from skyfield.api import EarthSatellite, load
    from skyfield.framelib import itrs

    ts = load.timescale()
    t = ts.from_datetimes([u.astype("datetime64[us]").item().replace(tzinfo=dt.UTC)
                           for u in grid.utc])
    sats = [EarthSatellite(lines[2 * i], lines[2 * i + 1], ts=ts) for i in range(len(lines) // 2)]

    def run():
        out = np.empty((len(grid), len(sats), 3))
        for i, sat in enumerate(sats):
            out[:, i, :] = sat.at(t).frame_xyz(itrs).km.T
        return out

    return run


def run(args) -> dict:
    n_times = args.times
    # An epoch where skyfield's built-in UT1 and the IERS table both hold final values,
    # so the agreement figure measures the frames, not two UT1 predictions.
    epoch = "2020-06-01T00:00:00Z"
    walker = Constellation.preset("starlink-gen1-shell1", epoch=epoch)
    if args.sats < len(walker):
        walker = walker[: args.sats]
    # Both sides read the same TLE text, so both start from identical elements.
    lines = walker.to_tle(names=False).splitlines()
    c = Constellation.from_tle("\n".join(lines))
    grid = TimeGrid.from_utc(epoch, n_times, 1.0)
    n = len(c) * len(grid)

    rows = []
    for backend in ("numba", "numba-approx", "sgp4"):
        t = best_time_s(lambda b=backend: c.propagate(grid, backend=b), repeat=args.repeat)
        rows.append({"name": f"leolat backend={backend!r}", "seconds": t, "rate": n / t / 1e6})
    t_leolat = rows[0]["seconds"]

    sky = skyfield_end_to_end(lines, grid)
    t_sky = best_time_s(sky, repeat=1, warmup=0)
    rows.append({"name": "skyfield EarthSatellite.at().frame_xyz(itrs)", "seconds": t_sky,
                 "rate": n / t_sky / 1e6})
    for r in rows:
        r["ratio"] = t_sky / r["seconds"]
    # Agreement, so a fast wrong answer cannot pass unnoticed.
    ours = c.propagate(grid).r_itrf_km
    diff_m = float(np.nanmax(np.linalg.norm(ours - sky(), axis=2))) * 1e3

    print_table(f"propagate + ITRF: {len(c):,} satellites × {len(grid):,} times = {n:,} states",
                rows, [("name", "implementation", "s"), ("seconds", "best s", ".3f"),
                       ("rate", "M sat·times/s", ".2f"), ("ratio", "× skyfield", ".1f")])
    print(f"\nleolat (default backend) is {t_sky / t_leolat:.1f}× skyfield end to end; "
          f"max ITRF difference {diff_m:.3f} m")
    payload = {"workload": {"sats": len(c), "times": len(grid)}, "rows": rows,
               "max_diff_vs_skyfield_m": diff_m}
    path = write_json("propagate", payload, args.out)
    if path:
        print(f"wrote {path}")
    return payload

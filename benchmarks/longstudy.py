"""A study one would run on a cluster: global 1° coverage (64,800 cells) of the real Starlink
catalogue (~9,600 satellites, ../shared/reference; Gen1's 4,408 when it is absent) over 30
days at 60 s, as a ``coverage_stats`` study on a local Dask cluster.

* Scaling: the same first ``--scaling-days`` (default 1 day: 4 chunks) on 1 and on 2 workers,
  each cluster warmed by an hour's study first (kernels, catalogue, grid); results identical.
* The long run: the whole window (``--scale`` × 30 days) on 2 workers, in chunks of 6 h,
  with the progress bar; with ``--kill`` one worker is killed with SIGKILL after a quarter
  of the chunks, and the run must still complete every chunk. Peak resident memory per
  worker process (``getrusage``), time, chunks, and the merged figures are printed.

Each chunk holds its counts (360 steps × 64,800 cells, int32: 93 MB) and the positions
(360 × n_sats × 3 float64: 83 MB for 9,600 satellites), whatever the window's length.
"""

from __future__ import annotations

import dataclasses
import os
import resource
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from leolat.app.study import load_study, local_client, read_study, run_study
from leolat.app.study_coverage import merge_coverage_stats

from ._harness import print_table, write_json

CATALOGUE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "starlink_2026-05" / "starlink.tle"
DAY_S = 86400
STUDY = """
[study]
name = "{name}"
output = "out"
metrics = ["coverage_stats"]

[[constellations]]
name = "starlink"
source = "{source}"

[[site_sets]]
name = "grid1"
sites = "grid:1"

[[windows]]
name = "w"
start = "{start}"
duration_s = {duration}
step_s = 60
chunk_s = 21600

[[policies]]
name = "el25"
min_elevation_deg = 25
"""


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _write(folder: Path, name: str, source: str, start: str, duration_s: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(STUDY.format(name=name, source=source, start=start, duration=int(duration_s)))
    return path


def _timed(path: Path, client, kill_after: float | None = None) -> tuple[float, int | None]:
    """Run the study at ``path`` on ``client``; with ``kill_after`` (a fraction of the
    chunks) SIGKILL one worker once that many chunk files exist. Returns (s, killed pid)."""
    study = load_study(path)
    killed = None
    stop = threading.Event()

    def killer():
        nonlocal killed
        pid = next(iter(client.run(os.getpid).values()))
        while not stop.is_set():
            if len(list(study.output.rglob("*.parquet"))) >= kill_after * len(study):
                os.kill(pid, signal.SIGKILL)
                killed = pid
                return
            time.sleep(0.5)

    watcher = threading.Thread(target=killer, daemon=True) if kill_after else None
    t0 = time.perf_counter()
    if watcher:
        watcher.start()
    try:
        run_study(study, client=client)
    finally:
        stop.set()
    return time.perf_counter() - t0, killed


def run(args) -> dict:
    source = str(CATALOGUE) if CATALOGUE.exists() else "starlink-gen1"
    if source == str(CATALOGUE):
        from leolat import Constellation

        epochs = Constellation.from_tle(CATALOGUE).epoch_utc
        start = str(epochs.max())[:19] + "Z"
    else:
        start = "2026-01-01T00:00:00Z"
    days = 30.0 * args.scale
    scaling_days = min(days, getattr(args, "scaling_days", 1.0))
    tmp = Path(tempfile.mkdtemp(prefix="leolat-longstudy-"))
    rows, scaling = [], {}
    try:
        small = _write(tmp / "scaling", "scaling", source, start, scaling_days * DAY_S)
        warm = _write(tmp / "warm", "warm", source, start, 3600)
        for workers in (1, 2):
            client = local_client(workers)
            try:
                # Warm the workers (kernels, catalogue, grid) on an hour, then time the days.
                run_study(load_study(warm), out_dir=tmp / f"warm-{workers}", client=client)
                out = tmp / f"scaling-{workers}"
                study = load_study(small)
                t0 = time.perf_counter()
                run_study(study, out_dir=out, client=client)
                seconds = time.perf_counter() - t0
                peak = max(client.run(_peak_rss_mib).values())
            finally:
                client.close()
                client.cluster.close()
            table = read_study(dataclasses.replace(study, output=out))["coverage_stats"]
            scaling[workers] = {"seconds": seconds, "peak_rss_mib": peak, "table": table}
            rows.append({"name": f"{scaling_days:g} day(s), {workers} worker(s)", "seconds": seconds,
                         "peak": peak, "chunks": len(study)})
        pd.testing.assert_frame_equal(scaling[1]["table"].drop(columns="chunk"),
                                      scaling[2]["table"].drop(columns="chunk"))
        speedup = scaling[1]["seconds"] / scaling[2]["seconds"]

        long_path = _write(tmp / "long", "long", source, start, days * DAY_S)
        client = local_client(2)
        try:
            seconds, killed = _timed(long_path, client, kill_after=0.25 if args.kill else None)
            peak = max(client.run(_peak_rss_mib).values())
        finally:
            client.close()
            client.cluster.close()
        study = load_study(long_path)
        before_merge = _peak_rss_mib()
        t0 = time.perf_counter()
        merged = merge_coverage_stats(study)  # chunk by chunk: one chunk in memory at a time
        merge_s = time.perf_counter() - t0
        rows.append({"name": f"{days:g} days, 2 workers{' (one killed at 25%)' if killed else ''}",
                     "seconds": seconds, "peak": peak, "chunks": len(study)})
        print_table(f"coverage_stats study: {source} × 64,800 cells (1°), 60 s steps, 6 h chunks, "
                    f"min elevation 25°", rows,
                    [("name", "run", "s"), ("seconds", "s", ".1f"), ("peak", "peak RSS/worker MiB", ".0f"),
                     ("chunks", "chunks", "d")])
        import numpy as np

        from leolat import Sites

        w = Sites.grid(1.0).weight
        cov = float(np.average(merged["percent_covered"], weights=w))
        mean_vis = float(np.average(merged["mean_visible"], weights=w))
        lat = Sites.grid(1.0).lat_deg
        print(f"\n1→2 workers: {speedup:.2f}× ({scaling_days:g} day(s), results identical).")
        print(f"long run: {len(study)} chunks × {len(merged):,} cells, every chunk written"
              f"{f'; worker {killed} killed at 25 %, its unwritten chunks rerun' if killed else ''}; "
              f"merged chunk by chunk in {merge_s:.1f} s (this process: {before_merge:.0f} MiB peak "
              f"before the merge, {_peak_rss_mib():.0f} MiB after).")
        print(f"area-weighted: covered {cov:.3f} % of the time, {mean_vis:.1f} satellites ≥ 25° on "
              f"average; fewest at any cell and minute {int(merged['min_visible'].min())}, "
              f"most {int(merged['max_visible'].max())}; longest gap {merged['max_gap_s'].max():.0f} s; "
              f"mean visible at the equator {merged['mean_visible'][np.abs(lat) < 1].mean():.1f}, "
              f"at 53° {merged['mean_visible'][np.abs(np.abs(lat) - 53.5) < 0.6].mean():.1f}, "
              f"at the poles {merged['mean_visible'][np.abs(lat) > 89].mean():.1f}")
        payload = {"source": source, "start": start, "days": days, "rows": rows, "speedup": speedup,
                   "killed": bool(killed), "coverage_weighted_pct": cov, "mean_visible_weighted": mean_vis,
                   "merge_s": merge_s}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    path = write_json("longstudy", payload, args.out)
    if path:
        print(f"wrote {path}")
    return payload

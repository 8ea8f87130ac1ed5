"""Batch studies on Dask, and the README's main job end to end.

Study: latency, Starlink Gen1 (4,408 satellites) between the 30 most populous
cities (435 pairs), 2 hours at 10 s in 12 chunks of 10 minutes. Run on a local
Dask cluster of 1 and then 2 worker processes (one thread each, numba kernels on
one thread), and in this process (numba on every core) for reference; the
speed-up is 1 worker's time over 2 workers'. Each cluster is started and runs the study
once before the timed run (``run_study(client=...)``), as a cluster kept for a day of
studies would be: its workers hold the built network and the loaded kernels.
Results are checked identical.

Main job: ``leolat`` as a user runs it (a subprocess, the compiled kernels cached).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from leolat.app.study import load_study, local_client, read_study, run_study

from ._harness import print_table, write_json

STUDY = """
[study]
name = "bench"
output = "out"
metrics = ["latency"]

[[constellations]]
name = "gen1"
source = "starlink-gen1"

[[site_sets]]
name = "top30"
sites = "{sites}"

[[windows]]
name = "w"
start = "2026-01-01T00:00:00Z"
duration_s = {duration}
step_s = 10
chunk_s = 600

[[policies]]
name = "el25"
min_elevation_deg = 25
"""


def run(args) -> dict:
    from leolat import Sites

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sites = Sites.top_cities(30)
        csv = tmp / "top30.csv"
        pd.DataFrame({"name": sites.names, "lat_deg": sites.lat_deg,
                      "lon_deg": sites.lon_deg}).to_csv(csv, index=False)
        duration = max(1200, int(7200 * args.scale) // 600 * 600)
        path = tmp / "study.toml"
        path.write_text(STUDY.format(sites=csv, duration=duration))
        study = load_study(path)
        results = {}
        for label, kw in (("1 worker process (local Dask cluster)", {"workers": 1}),
                          ("2 worker processes (local Dask cluster)", {"workers": 2}),
                          ("in process (numba threads on every core)", {})):
            out = tmp / label.split()[0]
            client = local_client(kw["workers"]) if kw else None
            try:
                # once untimed: cluster start, kernel loading and network building
                run_study(study, out_dir=out / "warm", client=client)
                t0 = time.perf_counter()
                run_study(study, out_dir=out / "run", client=client)
                seconds = time.perf_counter() - t0
            finally:
                if client is not None:
                    client.close()
                    client.cluster.close()
            results[label] = read_study(dataclasses.replace(study, output=out / "run"))["latency"]
            rows.append({"name": label, "s": seconds})
        first = next(iter(results.values()))
        for table in results.values():
            pd.testing.assert_frame_equal(table, first)
        one = rows[0]["s"]
        for r in rows:
            r["speedup"] = one / r["s"]
        print_table(f"chunked latency study: 4,408 satellites, 30 cities (435 pairs), "
                    f"{duration // 10:,} steps in {len(study)} chunks", rows,
                    [("name", "run on", "s"), ("s", "seconds", ".1f"),
                     ("speedup", "× 1 worker", ".2f")])
        print("results identical on every run")

    times = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "leolat", "--no-progress"], capture_output=True,
                             text=True, check=True)
        times.append(time.perf_counter() - t0)
    print(f"\nREADME main job (`leolat`, a subprocess, kernels cached): best {min(times):.2f} s, "
          f"worst {max(times):.2f} s; it printed {len(out.stdout.splitlines())} lines")
    payload = {"rows": rows, "main_job_s": min(times), "chunks": len(study)}
    path = write_json("study", payload, args.out)
    if path:
        print(f"wrote {path}")
    return payload

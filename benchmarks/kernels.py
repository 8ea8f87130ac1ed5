"""Propagation-kernel suite: leolat's kernels against python-sgp4, skyfield, astropy and the
fastest public SGP4 implementations that install from PyPI, on the same inputs in one run.

leolat's positions-only rows (``positions_into``, a kept buffer) stand against astroz's
``propagate_into`` (its fastest entry point, also into a kept buffer) on 1 CPU and on all,
in TEME and Earth-fixed frames, and the run ends with the ratios to astroz and heyoka and
each row's largest distance from the C++ (python-sgp4's TEME; in ITRF, that TEME through
leolat's rotation: astroz's ECEF uses GMST without UT1-UTC, hence its hundreds of metres).

Workloads (satellites × times):

* ``shell1``: Starlink Gen1 shell 1, 1,584 × 10,000 at 1 s;
* ``mixed6k``: 6,000 Walker satellites (Starlink Gen1 then Kuiper shells) × 1,000 at 10 s.

Figures per kernel: satellite·times per second, ns per propagation, peak traced memory
(numpy allocations, via tracemalloc) and the ratio to python-sgp4's ``SatrecArray`` +
numpy rotation to ITRF — the baseline a careful user writes by hand. Peers that
produce TEME only are compared on TEME rate, with their agreement with ``SatrecArray``
in metres. Cold start: import + first call in a fresh process with an empty numba cache.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import tracemalloc

import numba
import numpy as np
from sgp4.api import Satrec, SatrecArray

from leolat import Constellation, TimeGrid
from leolat._kernels.frames import gmst82

from ._harness import best_time_s, print_table, write_json
from .propagate import skyfield_end_to_end

WORKLOADS = {
    "shell1": ("starlink-gen1-shell1", None, 10_000, 1.0),
    "mixed6k": ("starlink-gen1+kuiper", 6000, 1_000, 10.0),
}
EPOCH = "2026-01-01T00:00:00Z"


def _workload(name: str, scale: float):
    preset, n_sats, n_times, step_s = WORKLOADS[name]
    parts = [Constellation.preset(p, epoch=EPOCH) for p in preset.split("+")]
    c = Constellation.concat(parts)
    if n_sats is not None:
        c = c[:n_sats]
    # Presets number their satellites from 1; give the concatenation distinct numbers.
    c = Constellation(dict(c.columns, satnum=np.arange(1, len(c) + 1)), c.shells, c.source)
    n_times = max(10, int(n_times * scale))
    lines = c.to_tle(names=False).splitlines()
    c = Constellation.from_tle("\n".join(lines))  # every implementation reads the same text
    grid = TimeGrid.from_utc(EPOCH, n_times * step_s, step_s)
    return c, lines, grid


# --------------------------------------------------------------------------- baselines
def _satrecarray_numpy_itrf(lines, grid):
    """python-sgp4 SatrecArray, then a numpy GMST rotation to ITRF, time-first."""
    sats = SatrecArray([Satrec.twoline2rv(lines[2 * i], lines[2 * i + 1])
                        for i in range(len(lines) // 2)])
    jd, fr = np.asarray(grid.jd), np.asarray(grid.fr)
    theta = np.array([gmst82(j, f)[0] for j, f in zip(jd, fr)])
    c, s = np.cos(theta), np.sin(theta)
    rot = np.zeros((len(grid), 3, 3))
    rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1], rot[:, 2, 2] = c, s, -s, c, 1.0

    def run():
        e, r, v = sats.sgp4(jd, fr)
        return np.einsum("tij,stj->tsi", rot, r, optimize=True)

    def teme():
        return sats.sgp4(jd, fr)[1].transpose(1, 0, 2)

    return run, teme


def _astropy_frames(r_teme, grid):
    """astropy TEME -> ITRS on precomputed TEME positions (the frame part only)."""
    import astropy.units as u
    from astropy.coordinates import ITRS, TEME, CartesianRepresentation
    from astropy.time import Time
    from astropy.utils import iers

    iers.conf.auto_download = False
    obstime = Time(np.repeat(grid.utc, r_teme.shape[1]), scale="utc")
    flat = r_teme.reshape(-1, 3)

    def run():
        rep = CartesianRepresentation(flat.T * u.km)
        return TEME(rep, obstime=obstime).transform_to(ITRS(obstime=obstime)).cartesian.xyz

    return run


# --------------------------------------------------------------------------- peers (TEME)
def _peer_heyoka(lines, grid, fast_math=False):
    import heyoka as hy

    sats = [Satrec.twoline2rv(lines[2 * i], lines[2 * i + 1]) for i in range(len(lines) // 2)]
    prop = hy.model.sgp4_propagator(sats, fast_math=fast_math) if fast_math else \
        hy.model.sgp4_propagator(sats)
    dates = np.zeros((len(grid), len(sats)), dtype=prop.jdtype)
    dates["jd"] = np.asarray(grid.jd)[:, None]
    dates["frac"] = np.asarray(grid.fr)[:, None]

    def run():
        return prop(dates)

    def teme():
        return run()[:, :3, :].transpose(0, 2, 1)

    return run, teme


def _astroz_into(lines, grid, output, cpus=None):
    """astroz's fastest entry point: ``propagate_into`` preallocated, time-major, as its own
    ``astroz.propagate`` calls it. Its worker threads take the calling thread's CPU affinity,
    so pinning the caller (``cpus``) pins them; their number is fixed at astroz's first call
    (measure an all-CPU run first)."""
    import astroz

    con = astroz.Constellation("\n".join(lines))
    start = grid.utc[0].astype("datetime64[us]").item().replace(tzinfo=dt.UTC)
    start_jd = astroz._start_jd(start)
    minutes = np.ascontiguousarray(grid.offsets_s / 60.0)
    offsets = (start_jd - np.array(con._zig.epochs, dtype=np.float64)) * 1440.0
    pos = np.empty((len(grid), con.num_satellites, 3))

    def run():
        before = os.sched_getaffinity(0)
        if cpus is not None:
            os.sched_setaffinity(0, cpus)
        try:
            con._zig.propagate_into(minutes, pos, None, epoch_offsets=offsets, satellite_mask=None,
                                    output=output, reference_jd=start_jd, time_major=True,
                                    output_stride=con.num_satellites)
        finally:
            os.sched_setaffinity(0, before)
        return pos

    return run, run


def _peer_astroz(lines, grid):
    import astroz

    con = astroz.Constellation("\n".join(lines))
    start = grid.utc[0].astype("datetime64[us]").item().replace(tzinfo=dt.UTC)
    minutes = grid.offsets_s / 60.0

    def run():
        return astroz.propagate(con, minutes, start_time=start, output="teme")

    return run, run


def _peer_satkit(lines, grid):
    import satkit as sk

    tles = sk.TLE.from_lines(lines)
    times = [sk.time.from_datetime(u.astype("datetime64[us]").item().replace(tzinfo=dt.UTC))
             for u in grid.utc]

    def run():
        return sk.sgp4(tles, times, opsmode=sk.sgp4_opsmode.improved)[0]

    def teme():
        return np.asarray(run()).reshape(len(tles), len(times), 3).transpose(1, 0, 2) / 1e3

    return run, teme


def _peer_cysgp4(lines, grid):
    import cysgp4

    tles = np.array([cysgp4.PyTle(f"S{i}", lines[2 * i], lines[2 * i + 1])
                     for i in range(len(lines) // 2)])
    mjd = (np.asarray(grid.jd) - 2400000.5) + np.asarray(grid.fr)

    def run():
        return cysgp4.propagate_many(mjd[:, None], tles[None, :], do_eci_vel=False, do_geo=False,
                                     do_topo=False, do_obs_pos=False, do_sat_azel=False)["eci_pos"]

    return run, run


PEERS = {
    "heyoka sgp4_propagator (Julian dates)": lambda lines, g: _peer_heyoka(lines, g),
    "heyoka sgp4_propagator fast_math": lambda lines, g: _peer_heyoka(lines, g, fast_math=True),
    "astroz propagate (Zig SIMD)": _peer_astroz,
    "astroz propagate_into, 1 CPU": lambda lines, g: _astroz_into(lines, g, "teme", {0}),
    "astroz propagate_into, all CPUs": lambda lines, g: _astroz_into(lines, g, "teme"),
    "satkit sgp4": _peer_satkit,
    "cysgp4 propagate_many": _peer_cysgp4,
}
# astroz's Earth-fixed output, against leolat's ITRF (astroz: GMST rotation, no UT1-UTC).
ITRF_PEERS = {
    "astroz propagate_into ecef, 1 CPU": lambda lines, g: _astroz_into(lines, g, "ecef", {0}),
    "astroz propagate_into ecef, all CPUs": lambda lines, g: _astroz_into(lines, g, "ecef"),
}


# --------------------------------------------------------------------------- measuring
def _peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _leolat(c, grid, backend, threads, positions_only=False):
    def run():
        before = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            return c.propagate(grid, backend=backend, positions_only=positions_only, memory_budget_mb=1e6)
        finally:
            numba.set_num_threads(before)
    return run


def _leolat_into(c, grid, frame, threads, backend="numba-approx"):
    """Positions only, into a kept buffer (as the astroz rows)."""
    out = np.empty((len(grid), len(c), 3))
    error = np.empty((len(grid), len(c)), dtype=np.uint8)

    def run():
        before = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            c.positions_into(grid, out, frame=frame, backend=backend, error=error)
        finally:
            numba.set_num_threads(before)
        return out
    return run


def cold_start_s(backend: str) -> dict:
    """Import + first call in fresh processes: empty numba cache, then warm cache."""
    code = ("import time; t0 = time.perf_counter(); import leolat; "
            "c = leolat.Constellation.preset('starlink-gen1-shell1'); "
            "g = leolat.TimeGrid.from_utc('2026-01-01T00:00:00Z', 600, 1); "
            f"c.propagate(g, backend='{backend}'); print(time.perf_counter() - t0)")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        run = lambda: float(subprocess.run([sys.executable, "-c", code], env=env, check=True,  # noqa: E731
                                           capture_output=True, text=True).stdout)
        return {"cold_s": run(), "warm_cache_s": run()}


def _head_to_head(c, lines, grid, all_threads: int, rounds: int) -> dict:
    """leolat's positions_into and astroz's propagate_into called in turn, ``rounds`` times
    each, per frame and CPU count: {row name: best rate, M/s}. Alternating the two keeps a
    shared machine's drift out of their ratio (the table's rows are minutes apart)."""
    import time

    try:
        import astroz  # noqa: F401
    except ImportError:
        return {}
    n = len(c) * len(grid)
    best: dict[str, float] = {}
    many = f"{all_threads} threads" if all_threads > 1 else "1 thread"
    for frame, az_frame, az_name in (("teme", "teme", "astroz propagate_into"),
                                     ("itrf", "ecef", "astroz propagate_into ecef")):
        # All CPUs first: astroz sizes its thread pool from the CPUs it may use at its first
        # call, so a first call pinned to one CPU would leave it one thread for good.
        for threads, cpus, suffix in ((all_threads, None, "all CPUs"), (1, {0}, "1 CPU")):
            ours = f"leolat positions_into numba-approx {frame}, {'1 thread' if threads == 1 else many}"
            theirs = f"{az_name}, {suffix}"
            fns = {ours: _leolat_into(c, grid, frame, threads), theirs: _astroz_into(lines, grid, az_frame, cpus)[0]}
            for fn in fns.values():
                fn()  # warm
            for _ in range(rounds):
                for name, fn in fns.items():
                    t0 = time.perf_counter()
                    fn()
                    best[name] = max(best.get(name, 0.0), n / (time.perf_counter() - t0) / 1e6)
    return best


def _peer_ratios(rows: list[dict], all_threads: int, head_to_head: dict | None = None) -> dict:
    """leolat's positions_into rate over astroz's propagate_into and heyoka's, same run, same
    frame, same CPUs (each side's best of the table and the interleaved head-to-head); printed
    and returned."""
    rate = {r["name"]: r["rate_M"] for r in rows if "rate_M" in r}
    # Each side's best rate in the run, table or interleaved: interleaving alone would favour
    # leolat on all CPUs (numba's threads spin briefly after their loop, under astroz's).
    for name, value in (head_to_head or {}).items():
        rate[name] = max(rate.get(name, 0.0), value)
    err = {r["name"]: r.get("diff_m") for r in rows}
    many = f"{all_threads} threads" if all_threads > 1 else "1 thread"
    pairs = [
        ("TEME, 1 thread", "leolat positions_into numba-approx teme, 1 thread", "astroz propagate_into, 1 CPU"),
        (f"TEME, {many}", f"leolat positions_into numba-approx teme, {many}", "astroz propagate_into, all CPUs"),
        ("ITRF/ECEF, 1 thread", "leolat positions_into numba-approx itrf, 1 thread",
         "astroz propagate_into ecef, 1 CPU"),
        (f"ITRF/ECEF, {many}", f"leolat positions_into numba-approx itrf, {many}",
         "astroz propagate_into ecef, all CPUs"),
        (f"TEME vs heyoka, {many}", f"leolat positions_into numba-approx teme, {many}",
         "heyoka sgp4_propagator (Julian dates)"),
        (f"TEME vs heyoka fast_math, {many}", f"leolat positions_into numba-approx teme, {many}",
         "heyoka sgp4_propagator fast_math"),
    ]
    out = {}
    print("\nleolat's fastest positions against the fastest peers (same run, ratio > 1: leolat faster; "
          f"{'best of the table and of the two interleaved' if head_to_head else 'from the table'}):")
    for label, ours, theirs in pairs:
        if ours in rate and theirs in rate:
            out[label] = rate[ours] / rate[theirs]
            e_ours, e_theirs = err.get(ours), err.get(theirs)
            errors = (f"; max |Δr| vs C++ {e_ours * 1e3:.4f} mm against {e_theirs * 1e3:.4f} mm"
                      if e_ours is not None and e_theirs is not None else "")
            print(f"  {label:<32} {rate[ours]:6.1f} / {rate[theirs]:6.1f} M/s = {out[label]:.2f}×{errors}")
    return out


def run(args) -> dict:
    scale = args.scale
    all_threads = numba.config.NUMBA_NUM_THREADS
    results = {}
    for wname in WORKLOADS:
        c, lines, grid = _workload(wname, scale)
        n = len(c) * len(grid)
        rows = []

        def add(name, fn, repeat, teme=None, ref=None, frame="ITRF", n=n, rows=rows):
            t = best_time_s(fn, repeat=repeat, warmup=1 if repeat > 1 else 0)
            row = {"name": name, "frame": frame, "seconds": t, "rate_M": n / t / 1e6,
                   "ns": t / n * 1e9, "peak_MiB": _peak_mb(fn)}
            if teme is not None and ref is not None:
                row["diff_m"] = float(np.nanmax(np.abs(np.asarray(teme()) - ref))) * 1e3
            rows.append(row)
            return row

        base_run, base_teme = _satrecarray_numpy_itrf(lines, grid)
        ref_teme = base_teme()
        # The C++ reference in ITRF: python-sgp4's TEME through leolat's rotation (with UT1-UTC;
        # the baseline's plain GMST rotation without it is metres off, skyfield's ITRS is not).
        ref_itrf = c.propagate(grid, backend="sgp4", positions_only=True, memory_budget_mb=1e6).r_itrf_km
        base = add("python-sgp4 SatrecArray + numpy GMST rotation (baseline)", base_run, args.repeat,
                   teme=base_run, ref=ref_itrf)
        plural = lambda k: f"{k} thread{'s' if k > 1 else ''}"  # noqa: E731
        for backend in ("numba", "numba-approx"):
            for threads in (1, all_threads):
                fn = _leolat(c, grid, backend, threads)
                add(f"leolat {backend}, {plural(threads)}", fn, args.repeat,
                    teme=lambda fn=fn: fn().r_teme_km, ref=ref_teme)
        cpp = _leolat(c, grid, "sgp4", all_threads)
        add("leolat sgp4 backend (SatrecArray + numba rotation)", cpp, args.repeat,
            teme=lambda cpp=cpp: cpp().r_teme_km, ref=ref_teme)
        for threads in (1, all_threads):  # positions only, into fresh arrays
            fn = _leolat(c, grid, "numba-approx", threads, positions_only=True)
            add(f"leolat numba-approx positions_only, {plural(threads)}", fn, args.repeat,
                teme=lambda fn=fn: fn().r_itrf_km, ref=ref_itrf)
        # Positions only into a kept buffer: the like-for-like rows for astroz's propagate_into.
        for frame, ref in (("teme", ref_teme), ("itrf", ref_itrf)):
            for threads in (1, all_threads):
                fn = _leolat_into(c, grid, frame, threads)
                add(f"leolat positions_into numba-approx {frame}, {plural(threads)}", fn, args.repeat,
                    teme=fn, ref=ref, frame=frame.upper())
        sky_run = skyfield_end_to_end(lines, grid)
        add("skyfield EarthSatellite.at().frame_xyz(itrs)", sky_run, 1, teme=sky_run, ref=ref_itrf)
        for name, make in PEERS.items():
            try:
                prun, pteme = make(lines, grid)
            except ImportError as exc:
                rows.append({"name": f"{name} (not installed: {exc.name})", "frame": "TEME"})
                continue
            try:
                add(name, prun, args.repeat, teme=pteme, ref=ref_teme, frame="TEME")
            except Exception as exc:  # a peer's failure is a finding, not a crash of the suite
                rows.append({"name": f"{name} (failed: {str(exc).splitlines()[0][:60]})",
                             "frame": "TEME"})
        for name, make in ITRF_PEERS.items():
            try:
                prun, pteme = make(lines, grid)
                add(name, prun, args.repeat, teme=pteme, ref=ref_itrf, frame="ECEF")
            except ImportError as exc:
                rows.append({"name": f"{name} (not installed: {exc.name})", "frame": "ECEF"})
        # astropy on a slice: its transform is ~µs per position.
        sub_t = max(2, len(grid) // 100)
        sub = ref_teme[:sub_t]
        a_fn = _astropy_frames(sub, grid[:sub_t])
        t = best_time_s(a_fn, repeat=1, warmup=0)
        astropy_itrf = np.asarray(a_fn().to_value("km")).T.reshape(sub.shape)
        rows.append({"name": f"astropy TEME->ITRS (frames only, {sub.shape[0] * sub.shape[1]:,} positions)",
                     "frame": "ITRF", "seconds": t, "rate_M": sub.shape[0] * sub.shape[1] / t / 1e6,
                     "ns": t / (sub.shape[0] * sub.shape[1]) * 1e9,
                     # astropy applies polar motion (~10 m at LEO radii): so does this reference.
                     "diff_m": float(np.nanmax(np.abs(astropy_itrf - c.propagate(
                         grid[:sub_t], backend="sgp4", positions_only=True, polar_motion=True,
                         memory_budget_mb=1e6).r_itrf_km))) * 1e3})
        for r in rows:
            if "rate_M" in r:
                r["ratio"] = r["rate_M"] / base["rate_M"]
        print_table(f"{wname}: {len(c):,} satellites × {len(grid):,} times = {n:,} propagations "
                    f"({all_threads} threads available)", rows,
                    [("name", "kernel", "s"), ("frame", "out", "s"), ("seconds", "best s", ".3f"),
                     ("rate_M", "M sat·t/s", ".2f"), ("ns", "ns/prop", ".1f"),
                     ("peak_MiB", "peak MiB", ".0f"), ("ratio", "× SatrecArray", ".2f"),
                     ("diff_m", "max |Δr| vs C++ m", ".2e")])
        h2h = _head_to_head(c, lines, grid, all_threads, rounds=max(5, 2 * args.repeat))
        results[wname] = {"sats": len(c), "times": len(grid), "rows": rows, "head_to_head": h2h,
                          "ratios": _peer_ratios(rows, all_threads, h2h)}
    cold = {b: cold_start_s(b) for b in ("numba", "numba-approx", "sgp4")}
    print("\ncold start (fresh process: import + preset + first propagate of 1,584 × 600):")
    for b, v in cold.items():
        print(f"  {b:<13} empty numba cache {v['cold_s']:.2f} s, warm cache {v['warm_cache_s']:.2f} s")
    payload = {"workloads": results, "cold_start": cold}
    path = write_json("kernels", payload, args.out)
    if path:
        print(f"wrote {path}")
    return payload

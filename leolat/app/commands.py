"""The commands behind ``leolat``'s subcommands: each takes the parsed arguments, does the
work through the library, prints its tables and returns the exit status."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .._kernels._jit import compile_seconds
from ..base.budget import check_budget
from ..base.data import data_path
from ..base.errors import LeolatError
from ..base.version import __version__
from ..ground.sites import Sites
from ..network.pairs import parse_pairs
from ..orbits.constellation import Constellation
from ..orbits.presets import presets
from ..reference.time import TimeGrid
from .fetch_command import cmd_fetch
from .service_command import cmd_service
from .specs import DEFAULT_SITES, is_element_file, load_constellation, load_sites, shells_for_isl

__all__ = ["DEFAULT_CONSTELLATION", "DEFAULT_FAILOVER_CONSTELLATION", "DEFAULT_DURATION_S",
           "DEFAULT_STEP_S", "DEFAULT_PAIRS", "COMMANDS", "source_and_window"]

DEFAULT_CONSTELLATION = "starlink-gen1-shell1"
# What a planner would pick for failover: every Starlink Gen1 shell, polar ones included.
DEFAULT_FAILOVER_CONSTELLATION = "starlink-gen1"
DEFAULT_DURATION_S = 3600.0
DEFAULT_STEP_S = 10.0
# The main job's pairs, among the shipped default sites.
DEFAULT_PAIRS = [("London, GB", "New York City, US"), ("London, GB", "Singapore, SG"),
                 ("Frankfurt am Main, DE", "Johannesburg, ZA"), ("Tokyo, JP", "Sydney, AU"),
                 ("São Paulo, BR", "Lagos, NG"), ("New York City, US", "Tokyo, JP"),
                 ("Mumbai, IN", "Frankfurt am Main, DE")]


# ----------------------------------------------------------------- shared helpers
def source_and_window(args) -> tuple[Constellation, TimeGrid]:
    """The constellation and the time window the options ask for.

    The window starts at ``--start`` if given; else at the newest element epoch of a TLE/OMM
    file (to the second: fitted element sets are best near their epochs), else, for a
    preset, now (to the minute).  A preset's element sets take the window's start as their
    epoch, so its shells are the nominal Walker pattern at the start.  Sets
    ``args.start_reason`` for the header.
    """
    args.inferred_shells = ""
    args.elements_note = ""
    if is_element_file(args.constellation):
        constellation = load_constellation(args.constellation)
        isl = getattr(args, "isl", None)
        if isl is not None:  # a routing command: +Grid on a catalogue needs its shells
            constellation, args.isl, inferred = shells_for_isl(constellation, isl)
            if inferred:
                args.inferred_shells = constellation.shell_table()
                if args.isl != isl:
                    args.inferred_shells += ("\n(no shell found: nearest-neighbour ISLs instead "
                                             "of +Grid)")
        newest = constellation.epoch_utc.astype("datetime64[s]").max()
        args.elements_note = elements_note(constellation)
        if args.start is not None:
            start, args.start_reason = args.start, "--start"
        else:
            start = _iso(newest)
            args.start_reason = "the newest element epoch; --start to choose"
    else:
        if args.start is not None:
            start, args.start_reason = args.start, "--start"
        else:
            start = _iso(np.datetime64("now", "m"))
            args.start_reason = "now; --start to choose"
        # Validate the start before building thousands of element sets from it.
        TimeGrid.from_utc(start, 0.0, 1.0)
        constellation = load_constellation(args.constellation, epoch=start)
    return constellation, TimeGrid.from_utc(start, args.duration, args.step)


def elements_note(constellation: Constellation) -> str:
    """``elements: N sets, epochs A .. B (newest H h old)`` for a header."""
    epochs = constellation.epoch_utc.astype("datetime64[s]")
    age_h = float((np.datetime64("now", "s") - epochs.max()) / np.timedelta64(1, "h"))
    return (f"elements: {len(constellation):,} sets, epochs {_iso(epochs.min())} .. "
            f"{_iso(epochs.max())} (newest {age_h:,.1f} h old)")


def _window(times: TimeGrid, args) -> str:
    """The header line naming the window and why it starts where it does (and the shells
    inferred from a catalogue for +Grid ISLs, when they were)."""
    line = (f"window {_iso(times.start)} .. {_iso(times.window_end)} every {args.step:g} s "
            f"(start: {args.start_reason})")
    if getattr(args, "elements_note", ""):
        line += "\n" + args.elements_note
    if getattr(args, "inferred_shells", ""):
        line += "\nshells inferred from the file for +Grid ISLs:\n" + args.inferred_shells
    return line


# Bytes per satellite·time of `leolat propagate --out`'s Dataset: ITRF position and geodetic
# latitude, longitude, height (8 each) and the error code (1).
_EPHEMERIS_FILE_BYTES = 3 * 8 + 3 * 8 + 1


def _iso(t: np.datetime64) -> str:
    return f"{np.datetime_as_string(t, unit='s')}Z"


def _write(result, args, constellation=None):
    if args.out:
        from ..outputs.results import write_result

        path = write_result(result, args.out, command=args.command_line,
                            constellation=constellation)
        print(f"wrote {path}")


def _plot(fn, *a, args, **kw):
    if args.plot:
        fn(*a, save=args.plot, **kw)
        print(f"wrote {args.plot}")


def _print_table(table, floatfmt="{:.1f}"):
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 30,
                           "display.float_format", floatfmt.format):
        print(table.to_string())


# ----------------------------------------------------------------- commands
def _cmd_main(args) -> int:
    """The main job: latency and coverage on the embedded default."""
    from ..geometry.coverage import coverage
    from ..network.links import LinkPolicy
    from ..network.routing import Network
    from ..network.summary import latency_summary

    t0, c0 = time.perf_counter(), compile_seconds()
    constellation, times = source_and_window(args)
    sites = load_sites(args.sites)
    policy = LinkPolicy(min_elevation_deg=args.min_elevation, isl=args.isl)
    net = Network(constellation, sites, policy, backend=args.backend)
    pairs = DEFAULT_PAIRS if args.sites == DEFAULT_SITES else "all"
    ds = net.latency(times, pairs, memory_budget_mb=args.memory_budget_mb)
    summary = latency_summary(ds)
    cov = coverage(constellation, sites, times, min_elevation_deg=args.min_elevation,
                   backend=args.backend, memory_budget_mb=args.memory_budget_mb)
    t1 = time.perf_counter()
    print(f"leolat {__version__}: {constellation!r}, {len(sites)} sites")
    print(_window(times, args))
    isl = {"plus_grid": "+Grid", "nearest": "nearest-neighbour", "none": "no"}[policy.isl]
    print(f"GSLs at >= {args.min_elevation:g}° elevation, {isl} ISLs up to "
          f"{policy.max_isl_range_km:,.0f} km, {policy.lasers_per_satellite} lasers per "
          f"satellite\n")
    print("Round-trip time over LEO (ms), with the vacuum bound, the ideal fiber bound and the "
          "terrestrial estimate\n(m = a published measurement covers the pair, else the "
          "calibrated model; docs/network.md):")
    lat = summary[["rtt_min_ms", "rtt_median_ms", "rtt_p95_ms", "rtt_max_ms", "vacuum_rtt_ms",
                   "fiber_bound_rtt_ms", "fiber_rtt_ms"]].copy()
    lat["reachable_pct"] = summary["reachable_pct"]
    lat["path_changes"] = summary["path_changes"].astype(int)
    lat.columns = ["min", "median", "p95", "max", "vacuum", "fiber_bound", "terrestrial",
                   "reachable_pct", "path_changes"]
    lat.insert(7, "m", np.where(summary["fiber_rtt_source"].str.startswith("measured"), "m", ""))
    _print_table(lat)
    print(f"\nCoverage at >= {args.min_elevation:g}° elevation:")
    c = cov[["mean_visible", "min_visible", "max_visible", "percent_covered", "max_gap_s"]]
    _print_table(c.to_dataframe().drop(columns=["lat_deg", "lon_deg", "weight"], errors="ignore"))
    compiled = compile_seconds() - c0
    print(f"\n{t1 - t0:.1f} s in all" + (f", {compiled:.1f} s of it compiling kernels (cached for "
                                         f"later runs)" if compiled >= 0.1 else ""))
    _write(ds, args, constellation)  # the latency Dataset (coverage: `leolat coverage --out`)
    if args.plot:
        from ..outputs.plot import rtt_timeseries

        _plot(rtt_timeseries, ds, args=args)
    return 0


def _cmd_propagate(args) -> int:
    t0 = time.perf_counter()
    constellation, times = source_and_window(args)
    t1 = time.perf_counter()
    streamed = bool(args.out) and Path(args.out).suffix.lower() == ".zarr"
    if args.out and not streamed:  # gathered in memory for this format: refuse what cannot fit
        check_budget(len(constellation) * len(times) * _EPHEMERIS_FILE_BYTES, args.memory_budget_mb,
                     f"--out {Path(args.out).suffix} for {len(constellation):,} satellites × "
                     f"{len(times):,} times",
                     "Write FILE.zarr instead (streamed chunk by chunk within the budget), a "
                     "shorter window (--duration) or a coarser --step, or raise --memory-budget-mb.")
    stats = {"alt_min": np.inf, "alt_max": -np.inf, "alt_sum": 0.0, "lat_max": 0.0, "failed": 0,
             "count": 0, "chunks": 0}

    def datasets():
        for eph in constellation.propagate_chunks(times, backend=args.backend,
                                                  memory_budget_mb=args.memory_budget_mb):
            lat, _, alt = eph.subpoints()
            ok = eph.valid
            stats["failed"] += int(np.count_nonzero(~ok))
            if ok.any():
                stats["alt_min"] = min(stats["alt_min"], float(alt[ok].min()))
                stats["alt_max"] = max(stats["alt_max"], float(alt[ok].max()))
                stats["alt_sum"] += float(alt[ok].sum())
                stats["lat_max"] = max(stats["lat_max"], float(np.abs(lat[ok]).max()))
                stats["count"] += int(ok.sum())
            stats["chunks"] += 1
            yield eph.to_dataset() if args.out else None

    written = None
    if streamed:
        from ..outputs.results import write_result_chunks

        written = write_result_chunks(datasets(), args.out, command=args.command_line,
                                      constellation=constellation)
        parts = []
    else:
        parts = [ds for ds in datasets() if ds is not None]
    t2 = time.perf_counter()
    n = len(constellation) * len(times)
    print(f"leolat {__version__}: {constellation!r}")
    if constellation.shells:
        print(constellation.shell_table())
    print(f"times        {len(times):,} instants, {_window(times, args)}")
    print(f"propagated   {len(constellation):,} satellites × {len(times):,} times = {n:,} states "
          f"in {t2 - t1:.2f} s ({n / max(t2 - t1, 1e-9) / 1e6:.2f} M states/s, "
          f"backend {args.backend}, {stats['chunks']} chunk(s))")
    if stats["count"]:
        print(f"altitude     min {stats['alt_min']:.1f} km, mean "
              f"{stats['alt_sum'] / stats['count']:.1f} km, max {stats['alt_max']:.1f} km "
              f"(geodetic height above WGS84)")
        print(f"latitude     sub-satellite points reach ±{stats['lat_max']:.2f}°")
    print(f"failed       {stats['failed']:,} states (SGP4 errors; NaN positions)")
    print(f"total time   {t2 - t0:.2f} s (load {t1 - t0:.2f} s; the first run on a machine also "
          f"compiles the kernels, cached for later runs)")
    if written is not None:
        print(f"wrote {written} ({stats['chunks']} chunk(s) streamed)")
    elif args.out:
        import xarray as xr

        _write(xr.concat(parts, dim="time"), args, constellation)
    if args.plot:
        from ..outputs.plot import ground_tracks

        _plot(ground_tracks, constellation, times, args=args)
    return 0


def _cmd_passes(args) -> int:
    from ..geometry.passes import passes

    constellation, times = source_and_window(args)
    sites = load_sites(args.sites)
    table = passes(constellation, sites, times, args.min_elevation)
    print(f"{len(table):,} passes of {len(constellation):,} satellites over {len(sites)} site(s) "
          f"at elevation >= {args.min_elevation:g}°; {_window(times, args)}")
    cols = ["site", "satellite", "rise_utc", "culminate_utc", "set_utc", "max_elevation_deg",
            "duration_s"]
    _print_table(table[cols].head(args.show), "{:.1f}")
    if len(table) > args.show:
        print(f"... {len(table) - args.show:,} more (--out FILE.csv for all)")
    _write(table, args, constellation)
    if args.plot:
        from ..outputs.plot import ground_tracks

        sats = np.unique(table["satellite"].head(6))
        idx = [int(np.nonzero(constellation.names == s)[0][0]) for s in sats]
        _plot(ground_tracks, constellation, times, satellites=idx, args=args)
    return 0


def _cmd_latency(args) -> int:
    from ..network.links import LinkPolicy
    from ..network.routing import Network
    from ..network.summary import latency_summary

    constellation, times = source_and_window(args)
    sites = load_sites(args.sites)
    policy = LinkPolicy(min_elevation_deg=args.min_elevation, max_isl_range_km=args.max_isl_range,
                        isl="none" if args.no_isl else args.isl,
                        ground_relay=args.ground_relay)
    net = Network(constellation, sites, policy, backend=args.backend)
    pairs = parse_pairs(args.pairs or "all", what="--pairs")
    if pairs == "all" and args.sites == DEFAULT_SITES:
        pairs = DEFAULT_PAIRS
    ds = net.latency(times, pairs, memory_budget_mb=args.memory_budget_mb)
    summary = latency_summary(ds)
    print(f"{constellation!r}, {len(sites)} sites; {_window(times, args)}")
    cols = ["rtt_min_ms", "rtt_median_ms", "rtt_p95_ms", "rtt_max_ms", "jitter_ms", "reachable_pct",
            "path_changes", "vacuum_rtt_ms", "fiber_bound_rtt_ms", "fiber_rtt_ms"]
    _print_table(summary[cols], "{:.2f}")
    _write(ds, args, constellation)
    if args.plot:
        from ..outputs.plot import rtt_timeseries

        _plot(rtt_timeseries, ds, args.pair, args=args)
    return 0


def _cmd_coverage(args) -> int:
    from ..geometry.coverage import coverage
    from ..geometry.coverage_summary import coverage_summary

    constellation, times = source_and_window(args)
    targets = Sites.grid(args.grid) if args.grid else load_sites(args.sites)
    ds = coverage(constellation, targets, times, min_elevation_deg=args.min_elevation,
                  k=args.k, backend=args.backend, memory_budget_mb=args.memory_budget_mb)
    print(f"{constellation!r}, elevation >= {args.min_elevation:g}°, k = {args.k}; "
          f"{_window(times, args)}")
    if args.grid:
        s = coverage_summary(ds)
        print(f"{len(targets):,} grid points ({args.grid:g}°), area-weighted:")
        for name, value in s.iloc[0].items():
            print(f"  {name:<28} {float(value):10.2f}")
    else:
        cols = ["mean_visible", "min_visible", "max_visible", "percent_covered", "n_gaps",
                "max_gap_s", "mean_revisit_s"]
        _print_table(ds[cols].to_dataframe().drop(columns=["lat_deg", "lon_deg", "weight"],
                                                  errors="ignore"), "{:.1f}")
    _write(ds, args, constellation)
    if args.plot:
        from ..outputs.plot import visible_histogram, world_map

        if args.grid:
            _plot(world_map, ds, "mean_visible", args=args)
        else:
            _plot(visible_histogram, ds, args=args)
    return 0


def _parse_when(spec: str):
    """``NAME@START..END`` (either time optional) -> (name, start, end)."""
    if "@" not in spec:
        return spec, None, None
    name, when = spec.split("@", 1)
    start, _, end = when.partition("..")
    return name, start or None, end or None


def _failover_pair(args, offices: Sites) -> int:
    """Index of the pair ``--pair`` names (an office, or ``office->cloud``); 0 without it."""
    if not args.pair:
        return 0
    office = args.pair.split("->", 1)[0].strip()
    if "->" in args.pair and args.pair.split("->", 1)[1].strip() != args.cloud:
        raise LeolatError(f"--pair {args.pair!r}: failover routes offices to --cloud "
                          f"{args.cloud!r}; name an office, or 'office->{args.cloud}'")
    hits = np.nonzero(offices.names == office)[0]
    if not hits.size:  # "Accra" for "Accra, GH", when only one office is so named
        hits = np.nonzero(np.char.partition(offices.names.astype(str), ",")[:, 0] == office)[0]
    if hits.size != 1:
        from ..base.validate import did_you_mean

        raise LeolatError(f"--pair {args.pair!r}: no office is named {office!r}"
                          + (did_you_mean(office, offices.names)
                             or f"; offices are {', '.join(map(str, offices.names))}"))
    return int(hits[0])


def _outage(args, spec: str, option: str, times: TimeGrid) -> tuple[str, str | None, str | None]:
    """``NAME@START..END`` of ``option``, refused when it misses the window entirely (with the
    default start now, a date copied from an example would otherwise cut nothing)."""
    from ..reference.time import parse_utc

    name, start, end = _parse_when(spec)
    lo, hi = times.start, times.window_end
    s = None if start is None else parse_utc(start, what=f"{option} {spec} start")
    e = None if end is None else parse_utc(end, what=f"{option} {spec} end")
    if (s is not None and s >= hi) or (e is not None and e <= lo):
        raise LeolatError(f"{option} {spec}: the outage is outside the window {_iso(lo)} .. "
                          f"{_iso(hi)}; move it, or set --start")
    return name, start, end


def _cmd_failover(args) -> int:
    from ..ground.tables import cloud_regions, gateways
    from ..ground.terrestrial import Terrestrial
    from ..network.hybrid import compare_scenarios, run_scenario
    from ..network.links import LinkPolicy
    from ..network.routing import Network
    from ..network.scenario import Scenario

    offices = load_sites(args.offices)
    plot_pair = _failover_pair(args, offices)  # a bad --pair fails before the work
    constellation, times = source_and_window(args)
    pops = Sites.from_csv(args.pops or data_path("africa_europe_pops.csv"))
    provider, _, region = args.cloud.partition(":")
    gw = gateways(country=[c.strip() for c in args.gateway_countries.split(",")])
    links_file = args.links or data_path("africa_europe_fiber.csv")
    # One links file serves any offices and cloud region: rows naming nodes not in this run
    # are left out, and offices, gateways and regions the file does not link get fiber to
    # their nearest PoP or region.
    wan = Terrestrial.from_csv(links_file, sites=offices, gateways=gw, pops=pops,
                               clouds=cloud_regions(provider=provider, region=region),
                               unknown_nodes="drop")
    n_file = wan.n_links
    wan = wan.link_unconnected()
    net = Network(constellation, wan, LinkPolicy(min_elevation_deg=args.min_elevation,
                                                 isl=args.isl), backend=args.backend)
    pairs = [(o, args.cloud) for o in offices.names]
    failure = Scenario(args.name)
    for spec in args.cut or []:
        name, start, end = _outage(args, spec, "--cut", times)
        failure = failure.cut_fiber(name, start=start, end=end)
    for spec in args.gateway_down or []:
        name, start, end = _outage(args, spec, "--gateway-down", times)
        failure = failure.gateway_down(name, start=start, end=end)
    scenarios = [Scenario("normal")] + ([failure] if failure.outages else [])
    table = compare_scenarios(net, scenarios, times, pairs, routing=args.routing)
    cols = ["scenario", "pair", "normal_rtt_median_ms", "rtt_median_ms", "rtt_p95_ms", "rtt_max_ms",
            "reachable_pct", "pct_fiber", "pct_leo", "pct_leo_fiber", "leo_only_rtt_median_ms",
            "geo_rtt_ms", "vacuum_rtt_ms"]
    if "period" in table:  # scenarios with a start time: before / during-and-after rows
        cols.insert(1, "period")
    print(f"{constellation!r}; {_window(times, args)}")
    print(f"{wan!r}: {n_file} from {Path(links_file).name}"
          + (f", {wan.n_links - n_file} to the nearest PoP or region:" if wan.n_links > n_file else ""))
    for row in wan.links().iloc[n_file:].itertuples():
        print(f"  {row.a} -- {row.b}: {row.length_km:,.0f} km ({row.kind}, geodesic × "
              f"{wan.stretch:g})")
    print(f"routing {args.routing}; {failure.describe()}")
    index = [c for c in ("scenario", "period", "pair") if c in cols]
    _print_table(table[cols].set_index(index), "{:.1f}")
    wants_ds = args.plot or (args.out and Path(args.out).suffix.lower() in (".nc", ".zarr"))
    ds = run_scenario(net, times, pairs, scenarios[-1], routing=args.routing) if wants_ds else None
    if args.out:
        _write(ds if Path(args.out).suffix.lower() in (".nc", ".zarr") else table, args,
               constellation)
    if args.plot:
        from ..outputs.plot import rtt_timeseries

        _plot(rtt_timeseries, ds, plot_pair, args=args)
    return 0


def _cmd_czml(args) -> int:
    from ..outputs.czml import write_czml

    if not args.out or Path(args.out).suffix.lower() != ".czml":
        raise LeolatError("czml needs --out FILE.czml")
    constellation, times = source_and_window(args)
    sites = load_sites(args.sites)
    print(f"{constellation!r}; {_window(times, args)}")
    path = write_czml(args.out, constellation, times, sites=sites, pair=args.pair,
                      min_elevation_deg=args.min_elevation, max_satellites=args.max_satellites)
    print(f"wrote {path}")
    return 0


def _cmd_study(args) -> int:
    from .study import load_study, run_study

    study = load_study(args.file)
    out = run_study(study, out_dir=args.out_dir, workers=args.workers, scheduler=args.scheduler,
                    resume=args.resume)
    print(out.summary())
    return 0


def _cmd_presets(args) -> int:
    table = presets()
    print(f"{'preset':<26} {'shells':>6} {'sats':>6}  first shell")
    for name, shells in table.items():
        s = shells[0]
        print(f"{name:<26} {len(shells):6d} {sum(x.n_sats for x in shells):6d}  "
              f"{s.altitude_km:.0f} km {s.inclination_deg}° {s.planes}×{s.sats_per_plane} {s.kind}")
    return 0


def _cmd_shells(args) -> int:
    constellation = load_constellation(args.constellation)
    if not constellation.has_planes:  # a catalogue; a preset's shells are known
        constellation = constellation.infer_shells()
    print(repr(constellation))
    print(constellation.shell_table())
    return 0


def _cmd_precompile(args) -> int:
    from .precompile import precompile

    for name, seconds in precompile(args.workloads).items():
        print(f"{name}: {seconds:.1f} s (kernels compiled or found in the cache)")
    return 0


# Subcommand name -> function (the main job under "main").
COMMANDS = {"main": _cmd_main, "propagate": _cmd_propagate, "passes": _cmd_passes,
            "latency": _cmd_latency, "coverage": _cmd_coverage, "failover": _cmd_failover,
            "czml": _cmd_czml, "study": _cmd_study, "fetch": cmd_fetch, "service": cmd_service,
            "presets": _cmd_presets, "shells": _cmd_shells, "precompile": _cmd_precompile}

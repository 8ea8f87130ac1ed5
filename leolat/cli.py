"""Command line: ``leolat`` (or ``python -m leolat``).

With no subcommand it runs the main job: a latency and coverage study of
Starlink shell 1 over the shipped list of ten cities, printed as two tables.
Subcommands share their options (``--constellation``, ``--start``,
``--duration``, ``--step``, ``--sites``, ``--min-elevation``, ``--out``,
``--plot``); user errors print one line and exit with status 2 (``--debug``
shows the traceback).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from . import __version__
from . import progress
from ._data import data_path
from .errors import LeolatError
from .presets import presets
from .sites import Sites
from .specs import DEFAULT_SITES, load_constellation, load_sites
from .time import TimeGrid

__all__ = ["main"]

DEFAULT_CONSTELLATION = "starlink-gen1-shell1"
DEFAULT_START = "2026-01-01T00:00:00Z"
DEFAULT_DURATION_S = 3600.0
DEFAULT_STEP_S = 10.0
# The main job's pairs, among the shipped default sites.
DEFAULT_PAIRS = [("London, GB", "New York City, US"), ("London, GB", "Singapore, SG"),
                 ("Frankfurt am Main, DE", "Johannesburg, ZA"), ("Tokyo, JP", "Sydney, AU"),
                 ("São Paulo, BR", "Lagos, NG"), ("New York City, US", "Tokyo, JP"),
                 ("Mumbai, IN", "Frankfurt am Main, DE")]

_EXAMPLES = """\
examples:
  leolat                                    main job: latency + coverage, Starlink shell 1, 10 cities
  leolat latency --sites "London;New York City" --duration 600 --plot rtt.png
  leolat latency --constellation kuiper --pairs all --out latency.nc
  leolat coverage --grid 5 --duration 86400 --step 60 --plot coverage.png
  leolat coverage --sites cities.csv --min-elevation 40 --out coverage.parquet
  leolat passes --sites "Oslo, NO" --constellation starlink.tle --duration 86400 --out passes.csv
  leolat failover --cut WACS@2026-01-01T00:20:00Z --routing fiber_first --plot lagos.png
  leolat study run study.toml --workers 2 --resume
  leolat propagate --constellation starlink.tle --start 2026-05-13T00:00:00Z --out eph.zarr
  leolat czml --sites "London;New York City" --pair "London, GB->New York City, US" --out path.czml
  leolat presets                            the built-in constellations
  leolat shells starlink.tle                infer shells, planes and slots
"""


# ----------------------------------------------------------------- shared helpers
def _times(args) -> TimeGrid:
    return TimeGrid.from_utc(args.start, args.duration, args.step)


def _pairs(spec: str | None, sites: Sites):
    """``all``, or ``"A->B;C->D"`` of site names."""
    if spec is None or spec == "all":
        return "all"
    pairs = []
    for item in spec.split(";"):
        if "->" not in item:
            raise LeolatError(f"--pairs: {item!r} is not 'SOURCE->DESTINATION'")
        a, b = (x.strip() for x in item.split("->", 1))
        pairs.append((a, b))
    return pairs


def _write(result, args, constellation=None):
    if args.out:
        from .results import write_result

        path = write_result(result, args.out, command=["leolat", *sys.argv[1:]],
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
    from .coverage import coverage
    from .links import LinkPolicy
    from .network import Network, latency_summary

    t0 = time.perf_counter()
    constellation = load_constellation(args.constellation)
    sites = load_sites(args.sites)
    times = _times(args)
    policy = LinkPolicy(min_elevation_deg=args.min_elevation)
    net = Network(constellation, sites, policy, backend=args.backend)
    pairs = DEFAULT_PAIRS if args.sites == DEFAULT_SITES else "all"
    ds = net.latency(times, pairs, memory_budget_mb=args.memory_budget_mb)
    summary = latency_summary(ds).to_dataframe()
    cov = coverage(constellation, sites, times, min_elevation_deg=args.min_elevation,
                   backend=args.backend, memory_budget_mb=args.memory_budget_mb)
    t1 = time.perf_counter()
    print(f"leolat {__version__}: {constellation!r}, {len(sites)} sites, {times!r}")
    print(f"GSLs at >= {args.min_elevation:g}° elevation, +Grid ISLs up to "
          f"{policy.max_isl_range_km:,.0f} km\n")
    print("Round-trip time over LEO (ms), with the vacuum bound and a fiber estimate:")
    lat = summary[["rtt_min_ms", "rtt_median_ms", "rtt_p95_ms", "rtt_max_ms", "vacuum_rtt_ms",
                   "fiber_rtt_ms"]].copy()
    lat["reachable_%"] = 100 * summary["reachable"]
    lat["path_changes"] = summary["path_changes"].astype(int)
    lat.columns = ["min", "median", "p95", "max", "vacuum", "fiber", "reachable_%", "path_changes"]
    _print_table(lat)
    print(f"\nCoverage at >= {args.min_elevation:g}° elevation:")
    c = cov[["mean_visible", "min_visible", "max_visible", "percent_covered", "max_gap_s"]]
    _print_table(c.to_dataframe().drop(columns=["lat_deg", "lon_deg", "weight"], errors="ignore"))
    print(f"\n{t1 - t0:.1f} s in all (a machine's first run also compiles the kernels, cached "
          f"for later runs)")
    _write(ds, args, constellation)  # the latency Dataset (coverage: `leolat coverage --out`)
    if args.plot:
        from .plot import rtt_timeseries

        _plot(rtt_timeseries, ds, args=args)
    return 0


def _cmd_propagate(args) -> int:
    t0 = time.perf_counter()
    constellation = load_constellation(args.constellation)
    times = _times(args)
    t1 = time.perf_counter()
    alt_min, alt_max, alt_sum, lat_max, failed, count = np.inf, -np.inf, 0.0, 0.0, 0, 0
    n_chunks = 0
    parts = []
    for eph in constellation.propagate_chunks(times, backend=args.backend,
                                              memory_budget_mb=args.memory_budget_mb):
        lat, _, alt = eph.subpoints()
        ok = eph.valid
        failed += int(np.count_nonzero(~ok))
        if ok.any():
            alt_min = min(alt_min, float(alt[ok].min()))
            alt_max = max(alt_max, float(alt[ok].max()))
            alt_sum += float(alt[ok].sum())
            lat_max = max(lat_max, float(np.abs(lat[ok]).max()))
            count += int(ok.sum())
        if args.out:
            parts.append(eph.to_dataset())
        n_chunks += 1
    t2 = time.perf_counter()
    n = len(constellation) * len(times)
    print(f"leolat {__version__}: {constellation!r}")
    if constellation.shells:
        print(constellation.shell_table())
    print(f"times        {times!r}")
    print(f"propagated   {len(constellation):,} satellites × {len(times):,} times = {n:,} states "
          f"in {t2 - t1:.2f} s ({n / max(t2 - t1, 1e-9) / 1e6:.2f} M states/s, "
          f"backend {args.backend}, {n_chunks} chunk(s))")
    if count:
        print(f"altitude     min {alt_min:.1f} km, mean {alt_sum / count:.1f} km, "
              f"max {alt_max:.1f} km (geodetic height above WGS84)")
        print(f"latitude     sub-satellite points reach ±{lat_max:.2f}°")
    print(f"failed       {failed:,} states (SGP4 errors; NaN positions)")
    print(f"total time   {t2 - t0:.2f} s (load {t1 - t0:.2f} s; the first run on a machine also "
          f"compiles the kernels, cached for later runs)")
    if args.out:
        import xarray as xr

        _write(xr.concat(parts, dim="time"), args, constellation)
    if args.plot:
        from .plot import ground_tracks

        _plot(ground_tracks, constellation, times, args=args)
    return 0


def _cmd_passes(args) -> int:
    from .passes import passes

    constellation = load_constellation(args.constellation)
    sites = load_sites(args.sites)
    times = _times(args)
    table = passes(constellation, sites, times.start, times.end, args.min_elevation)
    print(f"{len(table):,} passes of {len(constellation):,} satellites over {len(sites)} site(s), "
          f"{times.start} .. {times.end}, elevation >= {args.min_elevation:g}°")
    cols = ["site", "satellite", "rise_utc", "culminate_utc", "set_utc", "max_elevation_deg",
            "duration_s"]
    _print_table(table[cols].head(args.show), "{:.1f}")
    if len(table) > args.show:
        print(f"... {len(table) - args.show:,} more (--out FILE.csv for all)")
    _write(table, args, constellation)
    if args.plot:
        from .plot import ground_tracks

        sats = np.unique(table["satellite"].head(6))
        idx = [int(np.nonzero(constellation.names == s)[0][0]) for s in sats]
        _plot(ground_tracks, constellation, times, satellites=idx, args=args)
    return 0


def _cmd_latency(args) -> int:
    from .links import LinkPolicy
    from .network import Network, latency_summary

    constellation = load_constellation(args.constellation)
    sites = load_sites(args.sites)
    policy = LinkPolicy(min_elevation_deg=args.min_elevation, max_isl_range_km=args.max_isl_range,
                        isl="none" if args.no_isl else "plus_grid",
                        ground_relay=args.ground_relay)
    net = Network(constellation, sites, policy, backend=args.backend)
    pairs = _pairs(args.pairs, sites)
    if pairs == "all" and args.sites == DEFAULT_SITES:
        pairs = DEFAULT_PAIRS
    ds = net.latency(_times(args), pairs, memory_budget_mb=args.memory_budget_mb)
    summary = latency_summary(ds).to_dataframe()
    cols = ["rtt_min_ms", "rtt_median_ms", "rtt_p95_ms", "rtt_max_ms", "jitter_ms", "reachable",
            "path_changes", "vacuum_rtt_ms", "fiber_rtt_ms"]
    _print_table(summary[cols], "{:.2f}")
    _write(ds, args, constellation)
    if args.plot:
        from .plot import rtt_timeseries

        _plot(rtt_timeseries, ds, args.pair, args=args)
    return 0


def _cmd_coverage(args) -> int:
    from .coverage import coverage, coverage_summary

    constellation = load_constellation(args.constellation)
    targets = Sites.grid(args.grid) if args.grid else load_sites(args.sites)
    ds = coverage(constellation, targets, _times(args), min_elevation_deg=args.min_elevation,
                  k=args.k, backend=args.backend, memory_budget_mb=args.memory_budget_mb)
    if args.grid:
        s = coverage_summary(ds)
        print(f"{len(targets):,} grid points ({args.grid:g}°), area-weighted:")
        for name, value in s.items():
            print(f"  {name:<28} {float(value):10.2f}")
    else:
        cols = ["mean_visible", "min_visible", "max_visible", "percent_covered", "n_gaps",
                "max_gap_s", "mean_revisit_s"]
        _print_table(ds[cols].to_dataframe().drop(columns=["lat_deg", "lon_deg", "weight"],
                                                  errors="ignore"), "{:.1f}")
    _write(ds, args, constellation)
    if args.plot:
        from .plot import visible_histogram, world_map

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


def _cmd_failover(args) -> int:
    from .hybrid import compare_scenarios, run_scenario
    from .links import LinkPolicy
    from .network import Network
    from .scenario import Scenario
    from .terrestrial import Terrestrial, cloud_regions, gateways

    constellation = load_constellation(args.constellation)
    offices = load_sites(args.offices)
    pops = Sites.from_csv(args.pops or data_path("africa_europe_pops.csv"))
    provider, _, region = args.cloud.partition(":")
    gw = gateways(country=[c.strip() for c in args.gateway_countries.split(",")])
    wan = Terrestrial.from_csv(args.links or data_path("africa_europe_fiber.csv"), sites=offices,
                               gateways=gw, pops=pops,
                               clouds=cloud_regions(provider=provider, region=region))
    net = Network(constellation, wan, LinkPolicy(min_elevation_deg=args.min_elevation),
                  backend=args.backend)
    times = _times(args)
    pairs = [(o, args.cloud) for o in offices.names]
    failure = Scenario(args.name)
    for spec in args.cut or []:
        name, start, end = _parse_when(spec)
        failure = failure.cut_fiber(name, start=start, end=end)
    for spec in args.gateway_down or []:
        name, start, end = _parse_when(spec)
        failure = failure.gateway_down(name, start=start, end=end)
    scenarios = [Scenario("normal")] + ([failure] if failure.outages else [])
    table = compare_scenarios(net, scenarios, times, pairs, routing=args.routing)
    cols = ["scenario", "pair", "normal_rtt_median_ms", "rtt_median_ms", "rtt_p95_ms", "rtt_max_ms",
            "reachable_pct", "pct_fiber", "pct_leo", "pct_leo_fiber", "leo_only_rtt_median_ms",
            "geo_rtt_ms", "vacuum_rtt_ms"]
    print(f"{wan!r}; routing {args.routing}; {failure.describe()}")
    _print_table(table[cols].set_index(["scenario", "pair"]), "{:.1f}")
    wants_ds = args.plot or (args.out and Path(args.out).suffix.lower() in (".nc", ".zarr"))
    ds = run_scenario(net, times, pairs, scenarios[-1], routing=args.routing) if wants_ds else None
    if args.out:
        _write(ds if Path(args.out).suffix.lower() in (".nc", ".zarr") else table, args,
               constellation)
    if args.plot:
        from .plot import rtt_timeseries

        _plot(rtt_timeseries, ds, 0, args=args)
    return 0


def _cmd_czml(args) -> int:
    from .czml import write_czml

    constellation = load_constellation(args.constellation)
    sites = load_sites(args.sites)
    if not args.out or Path(args.out).suffix.lower() != ".czml":
        raise LeolatError("czml needs --out FILE.czml")
    path = write_czml(args.out, constellation, _times(args), sites=sites, pair=args.pair,
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
    constellation = load_constellation(args.constellation).infer_shells()
    print(repr(constellation))
    print(constellation.shell_table())
    return 0


# ----------------------------------------------------------------- parser
def _common(constellation=True, sites=True, output=True, min_elevation=25.0, duration=None,
            step=None):
    p = argparse.ArgumentParser(add_help=False)
    if constellation:
        p.add_argument("--constellation", default=DEFAULT_CONSTELLATION,
                       help=f"preset name or TLE/OMM file (default {DEFAULT_CONSTELLATION})")
    p.add_argument("--start", default=DEFAULT_START, help="UTC start, ISO-8601 with a zone "
                   f"(default {DEFAULT_START})")
    p.add_argument("--duration", type=float, default=duration or DEFAULT_DURATION_S,
                   help="seconds (default %(default)g)")
    p.add_argument("--step", type=float, default=step or DEFAULT_STEP_S,
                   help="seconds (default %(default)g)")
    p.add_argument("--backend", default="numba", choices=("numba", "numba-approx", "sgp4"),
                   help="propagation backend (default numba)")
    p.add_argument("--memory-budget-mb", type=float, default=1024.0,
                   help="peak memory per propagation chunk in MiB (default 1024)")
    if sites:
        p.add_argument("--sites", default=DEFAULT_SITES,
                       help="'default' (10 shipped cities), a CSV file (name, lat_deg, lon_deg), "
                            "or city names separated by ';'")
    if min_elevation is not None:
        p.add_argument("--min-elevation", type=float, default=min_elevation,
                       help="minimum elevation in degrees (default %(default)g)")
    if output:
        p.add_argument("--out", help="write the result: FILE.nc, FILE.zarr (Datasets), "
                                     "FILE.parquet or FILE.csv (tables)")
        p.add_argument("--plot", help="render a figure to FILE.png")
    return p


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="leolat", description="LEO constellation geometry and latency. Without a command: "
        "the main job, a latency and coverage study of Starlink shell 1 over ten cities.",
        epilog=_EXAMPLES, formatter_class=fmt, parents=[_common(step=30.0)])
    parser.add_argument("--version", action="version", version=f"leolat {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(func=_cmd_main)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name, func, help_, parents, examples):
        p = sub.add_parser(name, help=help_, description=help_, parents=parents,
                           epilog="examples:\n" + examples, formatter_class=fmt)
        p.set_defaults(func=func)
        return p

    add("propagate", _cmd_propagate, "propagate a constellation and summarise it (--out: "
        "Earth-fixed positions; --plot: ground tracks)", [_common(sites=False, min_elevation=None)],
        "  leolat propagate --constellation kuiper --duration 600 --step 1\n"
        "  leolat propagate --constellation starlink.tle --out eph.nc --plot tracks.png\n")
    p = add("passes", _cmd_passes, "passes of every satellite over the sites",
            [_common(min_elevation=10.0, duration=86400.0, step=30.0)],
            "  leolat passes --sites \"Oslo, NO\" --constellation iss.tle --out passes.csv\n")
    p.add_argument("--show", type=int, default=20, help="rows to print (default 20)")
    p = add("latency", _cmd_latency, "RTT time series between sites over the constellation",
            [_common()],
            "  leolat latency --sites \"London;New York City\" --plot rtt.png\n"
            "  leolat latency --pairs \"London, GB->Tokyo, JP\" --out rtt.nc\n")
    p.add_argument("--pairs", help="'all' or 'A->B;C->D' (default: all pairs; the default sites "
                                   "use seven long-haul pairs)")
    p.add_argument("--pair", help="the pair to plot (default: the first)")
    p.add_argument("--max-isl-range", type=float, default=5000.0, help="km (default 5000)")
    p.add_argument("--no-isl", action="store_true", help="no inter-satellite links (bent pipe)")
    p.add_argument("--ground-relay", action="store_true", help="paths may pass through sites")
    p = add("coverage", _cmd_coverage, "coverage statistics at sites or on a global grid",
            [_common(step=60.0)],
            "  leolat coverage --grid 2 --duration 86400 --plot map.png --out coverage.nc\n"
            "  leolat coverage --sites cities.csv --k 2\n")
    p.add_argument("--grid", type=float, help="a global grid of this step in degrees instead of sites")
    p.add_argument("--k", type=int, default=1, help="covered = at least k satellites (default 1)")
    p = add("failover", _cmd_failover, "fiber vs LEO vs GEO and a failure scenario (default: the "
            "shipped Lagos/Nairobi/Johannesburg -> Frankfurt example)",
            [_common(sites=False, step=30.0)],
            "  leolat failover --constellation starlink-gen1 --cut WACS --cut MainOne\n"
            "  leolat failover --cut SEACOM@2026-01-01T00:10:00Z..2026-01-01T00:40:00Z "
            "--routing fiber_first --plot nairobi.png\n")
    p.add_argument("--offices", default="Lagos;Nairobi;Johannesburg",
                   help="office sites (as --sites; default Lagos;Nairobi;Johannesburg)")
    p.add_argument("--links", help="fiber links CSV (default: the shipped example)")
    p.add_argument("--pops", help="points of presence CSV (default: the shipped example)")
    p.add_argument("--cloud", default="aws:eu-central-1", help="destination region provider:region")
    p.add_argument("--gateway-countries", default="DE,FR,GB,IE",
                   help="countries of the shipped gateways to use (default DE,FR,GB,IE)")
    p.add_argument("--cut", action="append", metavar="LINK[@START[..END]]",
                   help="cut fiber links of this name (repeatable)")
    p.add_argument("--gateway-down", action="append", metavar="NAME[@START[..END]]",
                   help="take a gateway's GSLs down (repeatable)")
    p.add_argument("--name", default="failure", help="the failure scenario's name")
    p.add_argument("--routing", default="fiber_first", choices=("fastest", "fiber_first"),
                   help="fiber_first (default): fiber while it exists; fastest: shortest path")
    p = add("czml", _cmd_czml, "export satellites, sites and a path to CZML for Cesium",
            [_common(output=False, duration=1800.0, step=60.0)],
            "  leolat czml --sites \"London;New York City\" "
            "--pair \"London, GB->New York City, US\" --out path.czml\n")
    p.add_argument("--pair", help="'A->B': draw this pair's path at each step")
    p.add_argument("--max-satellites", type=int, default=2000, help="cap (default 2000)")
    p.add_argument("--out", help="FILE.czml")
    p = add("study", _cmd_study, "batch studies described in TOML", [],
            "  leolat study run study.toml\n  leolat study run study.toml --workers 2 --resume\n"
            "  leolat study run study.toml --scheduler tcp://10.0.0.5:8786\n")
    ssub = p.add_subparsers(dest="study_command", metavar="ACTION", required=True)
    r = ssub.add_parser("run", help="run (or resume) a study", formatter_class=fmt,
                        epilog="see docs/studies.md for the file format")
    r.add_argument("file", help="STUDY.toml")
    r.add_argument("--out-dir", help="results folder (default: the study's 'output' entry)")
    r.add_argument("--workers", type=int, help="run on a local Dask cluster of N worker processes")
    r.add_argument("--scheduler", help="run on an existing Dask scheduler (tcp://host:port)")
    r.add_argument("--resume", action="store_true", help="compute only chunks not yet written")
    r.set_defaults(func=_cmd_study)
    add("presets", _cmd_presets, "list built-in constellations", [], "  leolat presets\n")
    p = add("shells", _cmd_shells, "infer shells, planes and slots of element sets", [],
            "  leolat shells starlink.tle\n")
    p.add_argument("constellation", help="TLE/OMM file or preset name")
    return parser


def _check_outputs(args):
    """Refuse a bad --out or --plot before the work, not after it."""
    from .results import FORMATS

    out = getattr(args, "out", None)
    if out and args.func is not _cmd_czml and Path(out).suffix.lower() not in FORMATS:
        raise LeolatError(f"--out {out}: unknown result format {Path(out).suffix!r}; use one of "
                          f"{', '.join(FORMATS)}")
    plot = getattr(args, "plot", None)
    if plot and Path(plot).suffix.lower() not in (".png", ".pdf", ".svg"):
        raise LeolatError(f"--plot {plot}: use a .png, .pdf or .svg file name")


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_outputs(args)
        with progress.enabled(not getattr(args, "no_progress", False)):
            return args.func(args)
    except (LeolatError, OSError) as exc:
        if getattr(args, "debug", False):
            raise
        print(f"leolat: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

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
import warnings
from pathlib import Path

from ..base import progress
from ..base.budget import DEFAULT_MEMORY_BUDGET_MB
from ..base.errors import LeolatError, LeolatWarning
from ..base.version import __version__
from ..network.links import ISL_TOPOLOGIES
from ..orbits.propagate import BACKENDS, DEFAULT_BACKEND
from .commands import (
    COMMANDS,
    DEFAULT_CONSTELLATION,
    DEFAULT_DURATION_S,
    DEFAULT_FAILOVER_CONSTELLATION,
    DEFAULT_STEP_S,
)
from .precompile import WORKLOADS
from .specs import DEFAULT_SITES

__all__ = ["main", "build_parser"]

_EXAMPLES = """\
examples:
  leolat                                    main job: latency + coverage, Starlink shell 1, 10 cities
  leolat latency --sites "London;New York City" --duration 600 --plot rtt.png
  leolat latency --constellation kuiper --pairs all --out latency.nc
  leolat coverage --grid 5 --duration 86400 --step 60 --plot coverage.png
  leolat coverage --sites cities.csv --min-elevation 40 --out coverage.parquet
  leolat passes --sites "Oslo, NO" --constellation starlink.tle --duration 86400 --out passes.csv
  leolat failover --cut WACS@2026-12-01T00:20:00Z --start 2026-12-01T00:00:00Z --plot lagos.png
  leolat study run study.toml --workers 2 --resume
  leolat propagate --constellation starlink.tle --start 2026-05-13T00:00:00Z --out eph.zarr
  leolat service --sites "London;Lagos" --destinations aws:eu-central-1   the operator's service
  leolat czml --sites "London;New York City" --pair "London, GB->New York City, US" --out path.czml
  leolat latency --constellation celestrak:starlink --sites "London;New York City"
  leolat fetch starlink --out starlink.json  current elements (OMM), cached for 2 h
  leolat presets                            the built-in constellations
  leolat shells starlink.tle                infer shells, planes and slots
  leolat precompile service capacity        compile those runs' kernels now
"""



# ----------------------------------------------------------------- parser
def _common(constellation=DEFAULT_CONSTELLATION, sites=True, output=True, min_elevation=25.0,
            duration=None, step=None, isl=False):
    p = argparse.ArgumentParser(add_help=False)
    if isl:
        p.add_argument("--isl", default="plus_grid", choices=ISL_TOPOLOGIES,
                       help="laser topology: plus_grid (default; shells are inferred from a "
                            "TLE/OMM file), nearest, or none")
    if constellation:
        p.add_argument("--constellation", default=constellation,
                       help=f"preset name, TLE/OMM file, or celestrak:GROUP / supgp:SOURCE to "
                            f"fetch (default {constellation})")
    p.add_argument("--start", help="UTC start, ISO-8601 with a zone (default: the newest element "
                   "epoch of a TLE/OMM file; now, to the minute, for a preset)")
    p.add_argument("--duration", type=float, default=duration or DEFAULT_DURATION_S,
                   help="seconds (default %(default)g)")
    p.add_argument("--step", type=float, default=step or DEFAULT_STEP_S,
                   help="seconds (default %(default)g)")
    p.add_argument("--backend", default=DEFAULT_BACKEND, choices=BACKENDS,
                   help=f"propagation backend (default {DEFAULT_BACKEND})")
    p.add_argument("--memory-budget-mb", type=float, default=DEFAULT_MEMORY_BUDGET_MB,
                   help="peak memory per propagation chunk in MiB (default %(default)g)")
    if sites:
        p.add_argument("--sites", default=DEFAULT_SITES,
                       help="'default' (10 shipped cities), a CSV file (name, lat_deg, lon_deg), "
                            "city names separated by ';', or a global grid ('grid:1', "
                            "'grid:2:equal_area')")
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
        epilog=_EXAMPLES, formatter_class=fmt, parents=[_common(step=30.0, isl=True)])
    parser.add_argument("--version", action="version", version=f"leolat {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(func=COMMANDS["main"])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name, func, help_, parents, examples):
        p = sub.add_parser(name, help=help_, description=help_, parents=parents,
                           epilog="examples:\n" + examples, formatter_class=fmt)
        p.set_defaults(func=func)
        return p

    add("propagate", COMMANDS["propagate"], "propagate a constellation and summarise it (--out: "
        "Earth-fixed positions; --plot: ground tracks)", [_common(sites=False, min_elevation=None)],
        "  leolat propagate --constellation kuiper --duration 600 --step 1\n"
        "  leolat propagate --constellation starlink.tle --out eph.nc --plot tracks.png\n")
    p = add("passes", COMMANDS["passes"], "passes of every satellite over the sites",
            [_common(min_elevation=10.0, duration=86400.0, step=30.0)],
            "  leolat passes --sites \"Oslo, NO\" --constellation iss.tle --out passes.csv\n")
    p.add_argument("--show", type=int, default=20, help="rows to print (default 20)")
    p = add("latency", COMMANDS["latency"], "RTT time series between sites over the constellation",
            [_common(isl=True)],
            "  leolat latency --sites \"London;New York City\" --plot rtt.png\n"
            "  leolat latency --pairs \"London, GB->Tokyo, JP\" --out rtt.nc\n")
    p.add_argument("--pairs", help="'all' or 'A->B;C->D' (default: all pairs; the default sites "
                                   "use seven long-haul pairs)")
    p.add_argument("--pair", help="the pair to plot (default: the first)")
    p.add_argument("--max-isl-range", type=float, default=5000.0, help="km (default 5000)")
    p.add_argument("--no-isl", action="store_true", help="no inter-satellite links (bent pipe)")
    p.add_argument("--ground-relay", action="store_true", help="paths may pass through sites")
    p = add("coverage", COMMANDS["coverage"], "coverage statistics at sites or on a global grid",
            [_common(step=60.0)],
            "  leolat coverage --grid 2 --duration 86400 --plot map.png --out coverage.nc\n"
            "  leolat coverage --sites cities.csv --k 2\n")
    p.add_argument("--grid", type=float, help="a global grid of this step in degrees instead of sites")
    p.add_argument("--k", type=int, default=1, help="covered = at least k satellites (default 1)")
    p = add("failover", COMMANDS["failover"], "fiber vs LEO vs GEO and a failure scenario (default: the "
            "shipped Lagos/Nairobi/Johannesburg -> Frankfurt example)",
            [_common(DEFAULT_FAILOVER_CONSTELLATION, sites=False, step=30.0, isl=True)],
            "  leolat failover --cut WACS --cut MainOne\n"
            "  leolat failover --offices \"Accra;Nairobi\" --cloud aws:eu-west-1 --pair Accra "
            "--plot accra.png\n"
            "  leolat failover --start 2026-12-01T00:00:00Z "
            "--cut SEACOM@2026-12-01T00:10:00Z..2026-12-01T00:40:00Z "
            "--routing fiber_first --plot nairobi.png\n")
    p.add_argument("--offices", default="Lagos;Nairobi;Johannesburg",
                   help="office sites (as --sites; default Lagos;Nairobi;Johannesburg); offices "
                        "the links file does not name get fiber to their nearest PoP")
    p.add_argument("--pair", help="the office (or 'office->cloud') to plot (default: the first)")
    p.add_argument("--links", help="fiber links CSV (default: the shipped example; rows naming "
                                   "other offices or regions are left out)")
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
    p = add("service", COMMANDS["service"], "latency on the operator's service: one serving "
            "satellite per 15-s epoch, lasers to a gateway, the country's PoP",
            [_common(DEFAULT_FAILOVER_CONSTELLATION, step=1.0, duration=600.0)],
            "  leolat service --sites \"London;Lagos\" --destinations aws:eu-central-1\n"
            "  leolat service --sites Nairobi --min-elevation 40 --plot nairobi.png\n")
    p.add_argument("--destinations", help="beyond the PoP: cloud regions (provider:region) "
                                          "and cities, separated by ';'")
    p.add_argument("--gso-exclusion", type=float, default=22.0,
                   help="degrees from the geostationary arc (default 22)")
    p.add_argument("--selection", default="max_elevation",
                   choices=("max_elevation", "longest_remaining", "seeded_random"))
    p.add_argument("--epoch-s", type=float, default=15.0, help="reconfiguration period (15)")
    p.add_argument("--light-only", action="store_true",
                   help="light time only: no user-link or gateway framing delay")
    p = add("czml", COMMANDS["czml"], "export satellites, sites and a path to CZML for Cesium",
            [_common(output=False, duration=1800.0, step=60.0)],
            "  leolat czml --sites \"London;New York City\" "
            "--pair \"London, GB->New York City, US\" --out path.czml\n")
    p.add_argument("--pair", help="'A->B': draw this pair's path at each step")
    p.add_argument("--max-satellites", type=int, default=2000, help="cap (default 2000)")
    p.add_argument("--out", help="FILE.czml")
    p = add("study", COMMANDS["study"], "batch studies described in TOML", [],
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
    r.set_defaults(func=COMMANDS["study"])
    p = add("fetch", COMMANDS["fetch"], "download current element sets from CelesTrak (cached for "
            "2 h; OMM by default)", [],
            "  leolat fetch starlink --out starlink.json\n"
            "  leolat fetch SpaceX-E --source supgp --out starlink-supgp.json\n"
            "  leolat fetch CATNR=25544 --out iss.tle --format tle\n")
    p.add_argument("query", help="a CelesTrak group (starlink), or KEY=VALUE (CATNR=25544, "
                                 "NAME=ISS, INTDES=2024-001; for supgp SOURCE=SpaceX-E)")
    p.add_argument("--out", required=True, help="FILE.json or FILE.csv (OMM), or FILE.tle")
    p.add_argument("--source", default="celestrak", choices=("celestrak", "supgp"))
    p.add_argument("--format", default="json", choices=("json", "csv", "xml", "tle"),
                   help="what to ask the server for (default json)")
    p.add_argument("--max-age-hours", type=float, default=2.0,
                   help="use a cached set younger than this (default 2, CelesTrak's rule)")
    p.add_argument("--offline", action="store_true", help="use the cached set, never the network")
    p.add_argument("--base-url", help="another server with CelesTrak's paths")
    add("presets", COMMANDS["presets"], "list built-in constellations", [], "  leolat presets\n")
    p = add("shells", COMMANDS["shells"], "infer shells, planes and slots of element sets", [],
            "  leolat shells starlink.tle\n")
    p.add_argument("constellation", help="TLE/OMM file or preset name")
    p = add("precompile", COMMANDS["precompile"], "compile the kernels of common runs into numba's "
            "cache now, not on first use (pip install . already compiles the main job's)", [],
            "  leolat precompile\n  leolat precompile main service capacity\n")
    p.add_argument("workloads", nargs="*", default=["main"], choices=sorted(WORKLOADS),
                   metavar="WORKLOAD", help=f"what to run: {', '.join(WORKLOADS)} (default main)")
    return parser


def _check_outputs(args):
    """Refuse a bad --out or --plot before the work, not after it."""
    from ..outputs.results import FORMATS, check_result_path

    out = getattr(args, "out", None)
    if out and args.func not in (COMMANDS["czml"], COMMANDS["fetch"]):
        if Path(out).suffix.lower() not in FORMATS:
            raise LeolatError(f"--out {out}: unknown result format {Path(out).suffix!r}; use one of "
                              f"{', '.join(FORMATS)}")
        check_result_path(out)
    plot = getattr(args, "plot", None)
    if plot and Path(plot).suffix.lower() not in (".png", ".pdf", ".svg"):
        raise LeolatError(f"--plot {plot}: use a .png, .pdf or .svg file name")


# Top-level switches that apply to every command and may come before it.
_GLOBAL_FLAGS = ("--debug", "--no-progress")


def _check_option_order(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """Refuse options given before a subcommand: argparse would silently replace them by the
    subcommand's own defaults (``leolat --duration 60 propagate`` ran for an hour)."""
    # argparse has no public list of a parser's options; _actions is the documented-by-use one.
    takes_value = {o for a in parser._actions for o in a.option_strings if a.nargs != 0}
    commands = set(COMMANDS) - {"main"}
    given: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in commands:
            if given:
                raise LeolatError(f"{given[0]} was given before the command {token!r}; options go "
                                  f"after it: leolat {token} {given[0]} ...")
            return
        if token.startswith("-"):
            option = token.split("=", 1)[0]
            if option not in _GLOBAL_FLAGS:
                given.append(option)
            if option in takes_value and "=" not in token:
                i += 1  # skip its value
        i += 1


def _one_line_warnings():
    """A ``warnings.showwarning`` that prints leolat's warnings as one line, like its errors
    (the source line of the library that raised them means nothing to a command-line user)."""
    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, LeolatWarning):
            print(f"leolat: warning: {message}", file=sys.stderr)
        else:
            original(message, category, filename, lineno, file, line)
    return show


def main(argv: list[str] | None = None) -> int:
    """Run the ``leolat`` command with ``argv`` (default: ``sys.argv[1:]``); returns the exit
    status (0, or 2 after a one-line error on standard error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = ["leolat", *argv]  # the provenance of files this run writes
    shown = warnings.showwarning
    warnings.showwarning = _one_line_warnings()
    try:
        _check_option_order(parser, argv)
        _check_outputs(args)
        with progress.enabled(not getattr(args, "no_progress", False)):
            return args.func(args)
    except (LeolatError, OSError) as exc:
        if getattr(args, "debug", False):
            raise
        print(f"leolat: error: {exc}", file=sys.stderr)
        return 2
    finally:
        warnings.showwarning = shown


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

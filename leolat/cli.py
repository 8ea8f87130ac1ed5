"""Command line: ``leolat`` (or ``python -m leolat``).

With no subcommand it runs the default job: propagate a preset shell over a
short window and print a compact summary.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from . import __version__
from .constellation import Constellation
from .errors import LeolatError
from .presets import presets
from .time import TimeGrid

__all__ = ["main"]

DEFAULT_CONSTELLATION = "starlink-gen1-shell1"
DEFAULT_START = "2026-01-01T00:00:00Z"
DEFAULT_DURATION_S = 3600.0
DEFAULT_STEP_S = 10.0

_EXAMPLES = """\
examples:
  leolat                                   default job: Starlink shell 1, 1 h at 10 s
  leolat propagate --constellation kuiper --duration 600 --step 1
  leolat propagate --constellation starlink.tle --start 2026-05-13T00:00:00Z
  leolat shells starlink.tle               infer shells, planes and slots
  leolat presets                           list the built-in constellations
"""


def load_constellation(spec: str) -> Constellation:
    """A preset name or a TLE/OMM file path."""
    path = Path(spec)
    if path.exists():
        if path.suffix.lower() in (".csv", ".xml", ".json"):
            return Constellation.from_omm(path)
        return Constellation.from_tle(path)
    return Constellation.preset(spec)


def _cmd_propagate(args) -> int:
    t0 = time.perf_counter()
    constellation = load_constellation(args.constellation)
    times = TimeGrid.from_utc(args.start, args.duration, args.step)
    t1 = time.perf_counter()
    alt_min, alt_max, alt_sum, lat_max, failed, count = np.inf, -np.inf, 0.0, 0.0, 0, 0
    n_chunks = 0
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leolat", description="LEO constellation geometry and latency.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"leolat {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("propagate", help="propagate a constellation and summarise it",
                       epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--constellation", default=DEFAULT_CONSTELLATION,
                   help=f"preset name or TLE/OMM file (default {DEFAULT_CONSTELLATION})")
    p.add_argument("--start", default=DEFAULT_START, help="UTC start, ISO-8601 with zone")
    p.add_argument("--duration", type=float, default=DEFAULT_DURATION_S, help="seconds")
    p.add_argument("--step", type=float, default=DEFAULT_STEP_S, help="seconds")
    p.add_argument("--backend", default="numba", choices=("numba", "sgp4"),
                   help="propagation backend (default numba)")
    p.add_argument("--memory-budget-mb", type=float, default=1024.0,
                   help="peak memory per chunk in MiB (default 1024)")
    p.set_defaults(func=_cmd_propagate)

    p = sub.add_parser("presets", help="list built-in constellations")
    p.set_defaults(func=_cmd_presets)

    p = sub.add_parser("shells", help="infer shells, planes and slots of element sets")
    p.add_argument("constellation", help="TLE/OMM file or preset name")
    p.set_defaults(func=_cmd_shells)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # the default job
        args = parser.parse_args((["--debug"] if args.debug else []) + ["propagate"])
    try:
        return args.func(args)
    except (LeolatError, OSError) as exc:
        if args.debug:
            raise
        print(f"leolat: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

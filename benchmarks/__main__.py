"""Benchmark runner: ``python -m benchmarks SUITE [options]``.

Suites print a table of figures and of ratios against named baselines that are
measured in the same run, and can write JSON (``--out DIR``).
"""

from __future__ import annotations

import argparse

from . import (
    capacity,
    coverage,
    hybrid,
    kernels,
    longstudy,
    network,
    paths,
    propagate,
    service,
    study,
    topology,
    visibility,
)

SUITES = {"propagate": propagate, "kernels": kernels, "visibility": visibility,
          "network": network, "coverage": coverage, "hybrid": hybrid,
          "study": study, "topology": topology, "service": service, "capacity": capacity, "paths": paths,
          "longstudy": longstudy}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", choices=sorted(SUITES))
    parser.add_argument("--sats", type=int, default=1584, help="propagate: satellites (default 1584)")
    parser.add_argument("--times", type=int, default=1000, help="propagate: time steps (default 1000)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="kernels, visibility, network, coverage, hybrid, study: fraction of each "
                             "workload's time span (default 1.0)")
    parser.add_argument("--kill", action="store_true",
                        help="longstudy: SIGKILL one worker after a quarter of the chunks")
    parser.add_argument("--scaling-days", type=float, default=1.0,
                        help="longstudy: days of the 1-vs-2-worker comparison (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (best is kept)")
    parser.add_argument("--out", default="benchmarks/results", help="folder for JSON results ('' for none)")
    args = parser.parse_args(argv)
    args.out = args.out or None
    SUITES[args.suite].run(args)


if __name__ == "__main__":
    main()

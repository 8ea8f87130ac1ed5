"""Compile the kernels a run needs into numba's cache before the first run needs them.

A fresh install would otherwise spend its first run compiling (about 24 s of the main job's
26 on 2 cores). ``leolat precompile`` runs workloads so that their kernels compile now (for
an existing install: a container image, say). ``--record FILE`` writes the signatures a
workload compiled, which the wheel build compiles with numpy and numba alone
(:mod:`leolat._kernels._aot`, ``_backend/``).
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterable

__all__ = ["WORKLOADS", "precompile"]


def _cli(*argv: str) -> None:
    from ..base.errors import LeolatError
    from .cli import main

    if main(["--no-progress", *argv]) != 0:
        raise LeolatError(f"precompile: leolat {' '.join(argv)} failed")


def _main_job() -> None:
    # Three steps (of 30 s) exercise every kernel of the hour-long default window: types, not sizes,
    # select what numba compiles.
    _cli("--duration", "60")


def _service() -> None:
    _cli("service", "--duration", "2", "--step", "1")


def _capacity() -> None:
    import numpy as np

    from ..ground.sites import Sites
    from ..network.allocation import allocate
    from ..network.capacity import Demand
    from ..network.links import LinkPolicy
    from ..network.routing import Network
    from ..orbits.constellation import Constellation
    from ..reference.time import TimeGrid

    sites = Sites.top_cities(6)
    net = Network(Constellation.preset("starlink-gen1-shell1", epoch="2026-12-01T00:00:00Z"),
                  sites, LinkPolicy(min_elevation_deg=25))
    demand = Demand.gravity(sites, sites, 10.0)
    times = TimeGrid.from_utc("2026-12-01T00:00:00Z", 1.0, 1.0)
    for objective in ("max_min_fair", "max_min_fair_paths", "max_throughput"):
        allocate(net, times[:1], demand, objective=objective, k_paths=2)
    allocate(net, times[:1], Demand(demand.source[:1], demand.destination[:1], np.ones(1)),
             k_paths=1)


# Name -> what it runs. "main" is what the wheel build compiles.
WORKLOADS: dict[str, Callable[[], None]] = {"main": _main_job, "service": _service,
                                            "capacity": _capacity}


def precompile(workloads: Iterable[str] = ("main",), *, quiet: bool = True) -> dict[str, float]:
    """Run each named workload once so that numba compiles (and caches) its kernels.

    Parameters
    ----------
    workloads : iterable of str
        Names from :data:`WORKLOADS`.
    quiet : bool
        Swallow what the workloads print.

    Returns
    -------
    dict
        Seconds each workload took (compilation, or loading from the cache when done before).
    """
    from ..base.errors import LeolatError

    names = list(workloads)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        raise LeolatError(f"unknown precompile workload {unknown[0]!r}; choose from "
                          f"{', '.join(WORKLOADS)}")
    seconds = {}
    for name in names:
        t0 = time.perf_counter()
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
            WORKLOADS[name]()
        seconds[name] = time.perf_counter() - t0
    return seconds


def record(path: str, workloads: Iterable[str] = ("main",)) -> int:
    """Run ``workloads`` and write the kernel signatures they used to ``path`` (run it in a
    fresh process: whatever else the process compiled is recorded too). Returns how many."""
    import pickle

    from .._kernels._aot import collect_signatures
    from ..base.atomic import atomic_path

    precompile(workloads)
    entries = collect_signatures()
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        pickle.dump(entries, f, protocol=4)
    return len(entries)


if __name__ == "__main__":  # python -m leolat.app.precompile --record leolat/_kernels/signatures.pkl
    import sys

    if sys.argv[1:2] == ["--record"] and len(sys.argv) >= 3:
        print(f"{record(sys.argv[2], sys.argv[3:] or ('main',))} signatures -> {sys.argv[2]}")
    else:
        for name, s in precompile(sys.argv[1:] or ("main",)).items():
            print(f"{name}: {s:.1f} s")

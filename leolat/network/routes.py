"""What routing returns, and the graph variants it can route over.

A :class:`RoutingVariant` says how one variant of a network's graph differs from the
whole (no GSLs, backbone fiber off, outages, failed satellites); :class:`Routes` holds
the shortest paths of a set of pairs over a time grid on one variant. They are the
public seam between :class:`~leolat.network.routing.Network` and everything built on
it (hybrid comparisons, scenarios, studies).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .._kernels.graph import Outages
from ..base.constants import SPEED_OF_LIGHT_KM_S
from ..base.errors import LeolatError
from ..reference.time import TimeGrid

__all__ = ["RoutingVariant", "Routes", "FIBER_SWITCHES", "FailedSatellites", "no_outages"]

FIBER_SWITCHES = ("all", "access", "none")


def no_outages() -> Outages:
    """An empty outage list."""
    e = np.empty(0, np.int64)
    return Outages(e, e.copy(), e.copy())


@dataclass(frozen=True)
class FailedSatellites:
    """Satellites with no links (NaN positions) over global steps ``t0 <= t < t1``."""

    satellites: np.ndarray
    t0: int
    t1: int


@dataclass(frozen=True)
class RoutingVariant:
    """One variant of a network's graph.

    Parameters
    ----------
    gsl : bool
        False: no ground-satellite links (fiber alone; nothing is propagated for it).
    fiber : {"all", "access", "none"}
        Which fiber links exist: all, access tails only (backbone off), or none.
    outages : Outages, optional
        Fiber links and ground nodes' GSLs down over step intervals (what
        :meth:`leolat.Scenario.resolve` returns).
    failed_satellites : tuple of FailedSatellites
        Satellites without links over step intervals.
    """

    gsl: bool = True
    fiber: str = "all"
    outages: Outages | None = None
    failed_satellites: tuple[FailedSatellites, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.fiber not in FIBER_SWITCHES:
            raise LeolatError(f"fiber must be one of {FIBER_SWITCHES}, got {self.fiber!r}")


@dataclass(frozen=True, eq=False)
class Routes:
    """Shortest paths of ``n_pairs`` pairs at ``n_times`` instants on one graph variant.

    Attributes
    ----------
    times : TimeGrid
    source, destination : numpy.ndarray of int64, shape (n_pairs,)
        Ground-node indices of each pair's ends.
    distance_km : numpy.ndarray of float64, shape (n_times, n_pairs)
        Light-travel length (one-way delay × c; fiber counts its length × refractive
        index); NaN where no path exists.
    hops, isl_hops, gsl_hops, fiber_hops : numpy.ndarray of int32, (n_times, n_pairs)
        Hop counts by link kind; -1 where no path exists.
    fiber_km : numpy.ndarray of float64, (n_times, n_pairs)
        The fiber part of ``distance_km``.
    medium : numpy.ndarray of int8, (n_times, n_pairs)
        Kernel medium code: -1 none, 0 fiber, 1 leo, 2 leo+fiber (see ``hybrid.MEDIA``).
    first_sat, last_sat : numpy.ndarray of int64, (n_times, n_pairs)
        First and last satellite on the path, -1 if none.
    processing_delay_ms : float
        Added per hop (one way) by the link policy.
    """

    times: TimeGrid
    source: np.ndarray
    destination: np.ndarray
    distance_km: np.ndarray
    hops: np.ndarray
    isl_hops: np.ndarray
    gsl_hops: np.ndarray
    fiber_hops: np.ndarray
    fiber_km: np.ndarray
    medium: np.ndarray
    first_sat: np.ndarray
    last_sat: np.ndarray
    processing_delay_ms: float = 0.0

    PATH_FIELDS = ("distance_km", "hops", "isl_hops", "gsl_hops", "fiber_hops", "fiber_km",
                   "medium", "first_sat", "last_sat")

    @property
    def one_way_ms(self) -> np.ndarray:
        """One-way delay (ms): light-travel distance plus per-hop processing; NaN where
        no path exists."""
        one_way = self.distance_km * (1e3 / SPEED_OF_LIGHT_KM_S)
        if self.processing_delay_ms:
            one_way = one_way + self.hops * self.processing_delay_ms
        return one_way

    @property
    def rtt_ms(self) -> np.ndarray:
        """Round-trip time (ms): twice the one-way delay (paths are symmetric)."""
        return 2.0 * self.one_way_ms

    @property
    def reachable(self) -> np.ndarray:
        """(n_times, n_pairs) bool: a path exists."""
        return np.isfinite(self.distance_km)

    def where(self, use_self: np.ndarray, other: Routes) -> Routes:
        """Per (time, pair): these paths where ``use_self``, else ``other``'s."""
        return replace(self, **{k: np.where(use_self, getattr(self, k), getattr(other, k))
                                for k in self.PATH_FIELDS})

    def __repr__(self) -> str:
        n_t, n_p = self.distance_km.shape
        return (f"Routes({n_t} times × {n_p} pairs, "
                f"{100.0 * float(np.mean(self.reachable)):.1f}% reachable)")



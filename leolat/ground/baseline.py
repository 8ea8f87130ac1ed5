"""Terrestrial round-trip baselines: a measured round trip where one is published for the
pair, a model calibrated on those measurements elsewhere, and the ideal fiber bound.

The measurements (``data/measured_rtt.csv``) are Microsoft's published P50 round trips
between Azure regions (1-minute probes over the 30 days to 2026-07-30, across Azure's
backbone), each row with its source and date; a region stands at its metro
(``data/cloud_regions.csv``). A pair of places is *covered* when each end lies within
``MATCH_KM`` of one end of a measured row; it then gets that measurement.

Elsewhere the model answers. A measured round trip is a fixed overhead plus the ideal
fiber round trip over the geodesic times a route stretch,

    rtt = overhead_ms + stretch × 2 · geodesic_km / (c / n),

and route efficiency is regional (a transatlantic cable runs nearly straight, a route from
Europe to Asia does not), so the stretch of a pair is the average of the measured pairs'
stretches weighted by how close their ends are to the pair's ends (a Gaussian of width
``kernel_km``), pulled towards the table's median by ``prior_weight``. The three numbers
are chosen by leave-one-out on the table (each measurement predicted without itself),
and that error is reported with the model (:class:`RttModel`) and in docs/network.md.

These are backbone round trips between cloud regions: the planning figure for enterprise
WANs and cloud interconnects. Public-internet paths are often slower; dedicated low-latency
circuits faster (Hibernia Express tested 58.95 ms New York–London in 2015).
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..base import data as _data
from ..base.constants import FIBER_REFRACTIVE_INDEX, SPEED_OF_LIGHT_KM_S
from ..base.errors import SiteError
from ..base.types import ArrayLike
from .fiber import geodesic_km as _geodesic_km

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RttModel", "measured_rtts", "rtt_model", "terrestrial_rtt_ms",
           "fiber_bound_rtt_ms", "sphere_km", "MATCH_KM"]

# Two places this close (km) are the same metro: a measured row stands for them.
MATCH_KM = 50.0
# The leave-one-out search grid of the model's three numbers.
_OVERHEADS_MS = (0.0, 2.0, 4.0, 6.0, 8.0)
_KERNELS_KM = (300.0, 400.0, 700.0, 1000.0, 1500.0, 2000.0)
_PRIORS = (0.01, 0.05, 0.2)
_MEAN_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


def fiber_bound_rtt_ms(geodesic_km: ArrayLike) -> np.ndarray:
    """The ideal fiber round trip: twice the geodesic at the speed of light in glass (the
    physics floor of any cable between the two places)."""
    return 2.0 * np.asarray(geodesic_km, dtype=float) / (SPEED_OF_LIGHT_KM_S /
                                                          FIBER_REFRACTIVE_INDEX) * 1e3


@dataclass(frozen=True)
class RttModel:
    """The model of terrestrial round trips where no measurement covers a pair.

    Attributes
    ----------
    overhead_ms : float
        Fixed part of every round trip (switching, access).
    kernel_km : float
        Width of the Gaussian weighting measured pairs by the distance of their ends.
    prior_weight : float
        Weight of the table's median stretch (what a pair far from every measurement gets).
    median_stretch : float
        That median: measured round trip less overhead, over the ideal fiber round trip.
    n_rows : int
        Measurements it is calibrated on.
    loo_median_abs_ms, loo_p90_abs_ms, loo_max_abs_ms, loo_median_rel_pct : float
        Leave-one-out errors over those measurements (ms; % of the measurement).
    """

    overhead_ms: float
    kernel_km: float
    prior_weight: float
    median_stretch: float
    n_rows: int
    loo_median_abs_ms: float
    loo_p90_abs_ms: float
    loo_max_abs_ms: float
    loo_median_rel_pct: float


@functools.lru_cache(maxsize=1)
def _table() -> dict:
    regions = {f"{r['provider']}:{r['region']}": r
               for r in csv.DictReader(io.StringIO(_data.read_text("cloud_regions.csv")))}
    rows = []
    for k, r in enumerate(csv.DictReader(io.StringIO(_data.read_text("measured_rtt.csv"))), 2):
        for end in ("a", "b"):
            if r[end] not in regions:  # a shipped-data defect, caught by the tests
                raise SiteError(f"measured_rtt.csv, line {k}: unknown region {r[end]!r}")
        rows.append(r)
    a = np.array([[float(regions[r["a"]]["lat_deg"]), float(regions[r["a"]]["lon_deg"])]
                  for r in rows])
    b = np.array([[float(regions[r["b"]]["lat_deg"]), float(regions[r["b"]]["lon_deg"])]
                  for r in rows])
    d = _geodesic_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return {"rows": rows, "a": a, "b": b, "geodesic_km": d,
            "rtt_ms": np.array([float(r["rtt_ms"]) for r in rows]),
            "cities": ([regions[r["a"]]["city"] for r in rows],
                       [regions[r["b"]]["city"] for r in rows])}


def measured_rtts() -> pd.DataFrame:
    """The shipped measured round trips as a pandas DataFrame: regions ``a``, ``b``, their
    cities, ``geodesic_km``, ``rtt_ms``, ``fiber_bound_rtt_ms``, what was measured, source
    and date."""
    import pandas as pd

    t = _table()
    frame = pd.DataFrame(t["rows"])
    frame["rtt_ms"] = t["rtt_ms"]
    frame.insert(2, "a_city", t["cities"][0])
    frame.insert(3, "b_city", t["cities"][1])
    frame["geodesic_km"] = t["geodesic_km"]
    frame["fiber_bound_rtt_ms"] = fiber_bound_rtt_ms(t["geodesic_km"])
    return frame


def sphere_km(lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike,
              lon2_deg: ArrayLike) -> np.ndarray:
    """Great-circle distance (km, arrays broadcast) on a sphere of the Earth's mean radius (haversine): within 0.5 %
    of the geodesic, ample for weights and a 50 km match, and fast for many places."""
    la1, lo1, la2, lo2 = (np.radians(x) for x in (lat1_deg, lon1_deg, lat2_deg, lon2_deg))
    h = (np.sin((la2 - la1) / 2) ** 2
         + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2)
    return 2.0 * _MEAN_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _end_distance2(da_a, db_b, da_b, db_a) -> np.ndarray:
    """Squared distance of a pair's ends to each row's ends, in the better orientation."""
    return np.minimum(da_a ** 2 + db_b ** 2, da_b ** 2 + db_a ** 2)


@functools.lru_cache(maxsize=1)
def rtt_model() -> RttModel:
    """The model, its three numbers chosen by leave-one-out on the shipped measurements
    (smallest median absolute error)."""
    t = _table()
    a, b, rtt = t["a"], t["b"], t["rtt_ms"]
    n = rtt.size
    bound = fiber_bound_rtt_ms(t["geodesic_km"])
    aa = sphere_km(a[:, None, 0], a[:, None, 1], a[None, :, 0], a[None, :, 1])
    bb = sphere_km(b[:, None, 0], b[:, None, 1], b[None, :, 0], b[None, :, 1])
    ab = sphere_km(a[:, None, 0], a[:, None, 1], b[None, :, 0], b[None, :, 1])
    e2 = _end_distance2(aa, bb, ab, ab.T)
    others = ~np.eye(n, dtype=bool)
    best = None
    for overhead in _OVERHEADS_MS:
        s = (rtt - overhead) / bound
        median_without = np.array([np.median(s[others[k]]) for k in range(n)])
        for kernel in _KERNELS_KM:
            w = np.exp(-e2 / (2.0 * kernel ** 2)) * others  # each row predicted without itself
            for prior in _PRIORS:
                pred = (w @ s + prior * median_without) / (w.sum(axis=1) + prior)
                err = np.abs(overhead + pred * bound - rtt)
                key = (float(np.median(err)), float(np.sqrt(np.mean(err ** 2))))
                if best is None or key < best[0]:
                    best = (key, overhead, kernel, prior, err)
    assert best is not None
    _, overhead, kernel, prior, err = best
    return RttModel(overhead, kernel, prior, float(np.median((rtt - overhead) / bound)), n,
                    float(np.median(err)), float(np.percentile(err, 90)), float(err.max()),
                    float(np.median(err / rtt) * 100.0))


def terrestrial_rtt_ms(lat_a_deg: ArrayLike, lon_a_deg: ArrayLike, lat_b_deg: ArrayLike,
                       lon_b_deg: ArrayLike, *, match_km: float = MATCH_KM,
                       geodesic_km: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Terrestrial round trips between pairs of places (arrays broadcast against each
    other): the measurement where the shipped table covers the pair, the calibrated model
    (:func:`rtt_model`) elsewhere.

    ``geodesic_km`` (n,) may pass the pairs' geodesics when the caller has them already.

    Returns
    -------
    rtt_ms : (n,) float64
    source : (n,) object (str)
        ``"measured: <a> -> <b> (<source>, <date>)"`` or ``"model"``.
    """
    from .._kernels.terrestrial import terrestrial_pairs

    la, oa, lb, ob = (np.ravel(x) for x in np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lat_a_deg, lon_a_deg, lat_b_deg, lon_b_deg))))
    t = _table()
    model = rtt_model()
    bound_rows = fiber_bound_rtt_ms(t["geodesic_km"])
    stretch_rows = (t["rtt_ms"] - model.overhead_ms) / bound_rows
    # Distances from each distinct place to every row end, computed once (a place as one
    # complex number: a 1-D sort, not a row-wise one).
    ends = np.concatenate([la, lb]) + 1j * np.concatenate([oa, ob])
    places, inverse = np.unique(ends, return_inverse=True)
    inverse = inverse.ravel()
    p_lat, p_lon = places.real[:, None], places.imag[:, None]
    to_a = sphere_km(p_lat, p_lon, t["a"][None, :, 0], t["a"][None, :, 1])
    to_b = sphere_km(p_lat, p_lon, t["b"][None, :, 0], t["b"][None, :, 1])
    if geodesic_km is None:
        geodesic_km = _geodesic_km(la, oa, lb, ob)
    bound = fiber_bound_rtt_ms(np.asarray(geodesic_km, dtype=float).ravel())
    rtt = np.empty(la.size)
    row = np.empty(la.size, np.int64)
    terrestrial_pairs(to_a, to_b, inverse[:la.size].astype(np.int64),
                      inverse[la.size:].astype(np.int64), stretch_rows,
                      np.asarray(t["rtt_ms"], float), bound, float(model.kernel_km),
                      float(model.prior_weight), float(model.median_stretch),
                      float(model.overhead_ms), float(match_km), rtt, row)
    # Object strings: one shared "model" per pair, not a fixed-width copy of the longest label.
    labels = np.array(["model"] + [f"measured: {r['a']} -> {r['b']} ({r['source']}, {r['date']})"
                                   for r in t["rows"]], dtype=object)
    return rtt, labels[row + 1]

"""Propagation: backend choice, memory budget, chunking, and the Ephemeris it returns.

The friendly layer here validates and allocates; the backends fill arrays:

* ``"sgp4"`` — python-sgp4's C++ ``SatrecArray`` (Vallado's reference code),
  followed by one fused numba pass that transposes to time-first and rotates
  TEME -> ITRF.

Satellites SGP4 cannot propagate (decayed, eccentricity out of range) are not
exceptions: their positions are NaN and ``Ephemeris.error`` keeps SGP4's code
(1 mean eccentricity, 2 mean motion, 3 perturbed eccentricity, 4 semi-latus
rectum, 6 decayed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
from sgp4.api import WGS72, Satrec

from ._kernels import frames as _kf
from .constants import JD_SGP4_EPOCH0
from .eop import earth_orientation
from .errors import LeolatError, MemoryBudgetError
from .frames import ecef_to_geodetic
from .time import TimeGrid

__all__ = ["Ephemeris", "BACKENDS", "DEFAULT_MEMORY_BUDGET_MB", "bytes_per_sat_time",
           "build_satrecs", "propagate", "propagate_chunks"]

BACKENDS = ("sgp4",)
DEFAULT_MEMORY_BUDGET_MB = 4096.0

_XPDOTP = 1440.0 / (2.0 * math.pi)  # rev/day -> rad/min divisor, exactly as in SGP4.cpp
_DEG2RAD = math.pi / 180.0

# Bytes held per satellite·time: r and v in TEME and ITRF (4 × 3 float64), the
# error code (uint8), and the backend's satellite-major r, v scratch (2 × 3 float64).
_OUTPUT_BYTES = 4 * 3 * 8 + 1
_SCRATCH_BYTES = 2 * 3 * 8 + 1


def bytes_per_sat_time() -> int:
    """Peak bytes one satellite·time costs during :func:`propagate` (outputs + scratch)."""
    return _OUTPUT_BYTES + _SCRATCH_BYTES


@dataclass(frozen=True, eq=False)
class Ephemeris:
    """Satellite states over a time grid, time-first.

    Attributes
    ----------
    times : TimeGrid
        ``n_times`` instants.
    satnum : numpy.ndarray of int64, shape (n_sats,)
    names : numpy.ndarray of str, shape (n_sats,)
    r_teme_km, v_teme_km_s : numpy.ndarray of float64, shape (n_times, n_sats, 3)
        SGP4 output in the True Equator Mean Equinox frame.
    r_itrf_km, v_itrf_km_s : numpy.ndarray of float64, shape (n_times, n_sats, 3)
        Earth-fixed states.
    error : numpy.ndarray of uint8, shape (n_times, n_sats)
        SGP4 error code, 0 where the state is valid; positions are NaN elsewhere.
    backend : numpy.ndarray of str, shape (n_sats,)
        Which backend computed each satellite.
    ut1_utc, polar_motion : bool
        Earth orientation corrections applied in TEME -> ITRF.
    """

    times: TimeGrid
    satnum: np.ndarray
    names: np.ndarray
    r_teme_km: np.ndarray
    v_teme_km_s: np.ndarray
    r_itrf_km: np.ndarray
    v_itrf_km_s: np.ndarray
    error: np.ndarray
    backend: np.ndarray
    ut1_utc: bool = True
    polar_motion: bool = False
    _subpoints: dict = field(default_factory=dict, repr=False)

    @property
    def n_times(self) -> int:
        return self.r_itrf_km.shape[0]

    @property
    def n_sats(self) -> int:
        return self.r_itrf_km.shape[1]

    @property
    def shape(self) -> tuple[int, int]:
        """(n_times, n_sats)."""
        return self.r_itrf_km.shape[:2]

    @property
    def valid(self) -> np.ndarray:
        """Boolean (n_times, n_sats): True where SGP4 succeeded."""
        return self.error == 0

    def subpoints(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sub-satellite points on WGS84.

        Returns
        -------
        lat_deg, lon_deg, alt_km : numpy.ndarray of float64, shape (n_times, n_sats)
            Geodetic latitude, longitude in (-180, 180], height above the
            ellipsoid; NaN where SGP4 failed.
        """
        if not self._subpoints:
            lat, lon, alt = ecef_to_geodetic(self.r_itrf_km)
            self._subpoints.update(lat=lat, lon=lon, alt=alt)
        sp = self._subpoints
        return sp["lat"], sp["lon"], sp["alt"]

    def __repr__(self) -> str:
        failed = int(np.count_nonzero(self.error))
        return (f"Ephemeris({self.n_times} times × {self.n_sats} satellites, {self.times!r}, "
                f"{failed} failed states)")


def build_satrecs(cols: dict) -> list:
    """python-sgp4 ``Satrec`` objects initialised from element columns.

    The arithmetic is that of ``Satrec.twoline2rv``, and the epoch is set to the
    same two-part Julian date, so an element set read from a TLE propagates
    bit-identically to python-sgp4 reading the same lines.
    """
    satrecs = []
    jd = cols["epoch_jd"]
    fr = cols["epoch_fr"]
    for i in range(jd.size):
        sat = Satrec()
        sat.sgp4init(
            WGS72, "i", int(cols["satnum"][i]),
            (float(jd[i]) + float(fr[i])) - JD_SGP4_EPOCH0,
            float(cols["bstar_per_earth_radius"][i]),
            float(cols["mean_motion_dot_rev_day2"][i]) / (_XPDOTP * 1440.0),
            float(cols["mean_motion_ddot_rev_day3"][i]) / (_XPDOTP * 1440.0 * 1440),
            float(cols["eccentricity"][i]),
            float(cols["arg_perigee_deg"][i]) * _DEG2RAD,
            float(cols["inclination_deg"][i]) * _DEG2RAD,
            float(cols["mean_anomaly_deg"][i]) * _DEG2RAD,
            float(cols["mean_motion_rev_day"][i]) / _XPDOTP,
            float(cols["raan_deg"][i]) * _DEG2RAD,
        )
        sat.jdsatepoch = float(jd[i])
        sat.jdsatepochF = float(fr[i])
        satrecs.append(sat)
    return satrecs


def _check_budget(n_sats: int, n_times: int, memory_budget_mb: float):
    need = n_sats * n_times * bytes_per_sat_time()
    budget = memory_budget_mb * 2**20
    if need > budget:
        per_time = n_sats * bytes_per_sat_time()
        fits = max(1, int(budget // per_time))
        raise MemoryBudgetError(
            f"propagating {n_sats:,} satellites × {n_times:,} times needs {need / 2**30:.2f} GiB "
            f"(TEME and ITRF r, v + scratch), over the memory budget of "
            f"{memory_budget_mb / 1024:.2f} GiB (memory_budget_mb={memory_budget_mb:g}). "
            f"Iterate over time instead with constellation.propagate_chunks(times) "
            f"({fits:,} times per chunk fit the budget), or raise memory_budget_mb.")


def _as_timegrid(times) -> TimeGrid:
    if isinstance(times, TimeGrid):
        return times
    return TimeGrid.from_datetimes(times)


def propagate(constellation, times, *, backend: str = "sgp4", ut1_utc: bool = True,
              polar_motion: bool = False,
              memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> Ephemeris:
    """Propagate every satellite of a constellation over a time grid.

    See :meth:`leolat.Constellation.propagate` for the parameters.
    """
    times = _as_timegrid(times)
    if backend not in BACKENDS:
        raise LeolatError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    n_sats, n_times = len(constellation), len(times)
    _check_budget(n_sats, n_times, memory_budget_mb)
    dut1, xp, yp = earth_orientation(times.jd, times.fr, ut1_utc=ut1_utc,
                                     polar_motion=polar_motion)
    sat_array = constellation._satrec_array()
    e_st, r_st, v_st = sat_array.sgp4(np.asarray(times.jd), np.asarray(times.fr))
    shape = (n_times, n_sats, 3)
    r_teme = np.empty(shape)
    v_teme = np.empty(shape)
    r_itrf = np.empty(shape)
    v_itrf = np.empty(shape)
    _kf.teme_to_itrf_sat_major(r_st, v_st, times.jd, times.fr, dut1, xp, yp,
                               r_teme, v_teme, r_itrf, v_itrf)
    del r_st, v_st
    return Ephemeris(
        times=times,
        satnum=constellation.satnum,
        names=constellation.names,
        r_teme_km=r_teme, v_teme_km_s=v_teme, r_itrf_km=r_itrf, v_itrf_km_s=v_itrf,
        error=np.ascontiguousarray(e_st.T),
        backend=np.full(n_sats, backend),
        ut1_utc=ut1_utc, polar_motion=polar_motion,
    )


def propagate_chunks(constellation, times, *, memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB,
                     max_chunk_times: int | None = None, **kwargs) -> Iterator[Ephemeris]:
    """Yield Ephemeris chunks over consecutive slices of ``times``, each within the budget.

    Parameters
    ----------
    constellation : Constellation
    times : TimeGrid
    memory_budget_mb : float
        Peak memory one chunk may take, in MiB (2**20 bytes).
    max_chunk_times : int, optional
        Cap on the instants per chunk (smaller chunks, e.g. for progress).
    **kwargs
        Passed to :func:`propagate` (``backend``, ``ut1_utc``, ``polar_motion``).

    Raises
    ------
    MemoryBudgetError
        If not even one time step fits the budget.
    """
    times = _as_timegrid(times)
    per_time = max(1, len(constellation)) * bytes_per_sat_time()
    chunk = int(memory_budget_mb * 2**20 // per_time)
    if chunk < 1:
        raise MemoryBudgetError(
            f"one time step of {len(constellation):,} satellites needs {per_time / 2**20:.1f} MiB, "
            f"over the memory budget of {memory_budget_mb:g} MiB; raise memory_budget_mb or "
            f"select fewer satellites")
    if max_chunk_times is not None:
        chunk = max(1, min(chunk, int(max_chunk_times)))
    for sub in times.chunks(chunk):
        yield propagate(constellation, sub, memory_budget_mb=memory_budget_mb, **kwargs)


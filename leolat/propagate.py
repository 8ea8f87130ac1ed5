"""Propagation: backend choice, memory budget, chunking, and the Ephemeris it returns.

The friendly layer here validates and allocates; the backends fill arrays:

* ``"numba"`` (default) — leolat's own SGP4 kernel (:mod:`leolat._kernels.sgp4`),
  parallel, with the TEME -> ITRF rotation fused in. Deep-space element sets
  (period >= 225 min) are routed to the C++ code inside the same call;
  ``Ephemeris.backend`` records which served each satellite.
* ``"sgp4"`` — python-sgp4's C++ ``SatrecArray`` (Vallado's reference code),
  followed by one fused numba pass that transposes to time-first and rotates
  TEME -> ITRF.

Satellites SGP4 cannot propagate (decayed, eccentricity out of range) are not
exceptions: their positions are NaN and ``Ephemeris.error`` keeps SGP4's code
(1 mean eccentricity, 2 mean motion, 3 perturbed eccentricity, 4 semi-latus
rectum, 6 decayed). Unlike python-sgp4, which still returns the sub-surface
position with code 6, every failed state is NaN here, so it can never be
mistaken for a satellite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
from sgp4.api import WGS72, Satrec, SatrecArray
from sgp4.model import Satrec as _PySatrec

from ._kernels import frames as _kf
from ._kernels import sgp4 as _ksgp4
from ._kernels import sgp4_approx as _kapprox
from .constants import JD_SGP4_EPOCH0
from .eop import earth_orientation
from . import progress as _progress
from .errors import LeolatError, MemoryBudgetError
from .frames import ecef_to_geodetic
from .time import TimeGrid

__all__ = ["Ephemeris", "BACKENDS", "DEFAULT_BACKEND", "DEFAULT_MEMORY_BUDGET_MB",
           "PreparedElements", "bytes_per_sat_time", "build_satrecs", "propagate",
           "propagate_chunks"]

BACKENDS = ("numba", "numba-approx", "sgp4")
DEFAULT_BACKEND = "numba"
DEFAULT_MEMORY_BUDGET_MB = 4096.0

_XPDOTP = 1440.0 / (2.0 * math.pi)  # rev/day -> rad/min divisor, exactly as in SGP4.cpp
_DEG2RAD = math.pi / 180.0

# Bytes held per satellite·time: r and v in TEME and ITRF (4 × 3 float64), the
# error code (uint8), and the backend's satellite-major r, v scratch (2 × 3 float64).
_OUTPUT_BYTES = 4 * 3 * 8 + 1
_SCRATCH_BYTES = 2 * 3 * 8 + 1


def bytes_per_sat_time(positions_only: bool = False) -> int:
    """Peak bytes one satellite·time costs during :func:`propagate` (outputs + scratch)."""
    if positions_only:
        return 3 * 8 + 1 + _SCRATCH_BYTES
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
    r_teme_km, v_teme_km_s : numpy.ndarray of float64, shape (n_times, n_sats, 3), or None
        SGP4 output in the True Equator Mean Equinox frame (None when propagated
        with ``positions_only=True``).
    r_itrf_km : numpy.ndarray of float64, shape (n_times, n_sats, 3)
        Earth-fixed positions.
    v_itrf_km_s : numpy.ndarray of float64, shape (n_times, n_sats, 3), or None
        Earth-fixed velocities (None with ``positions_only=True``).
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

    def to_dataset(self):
        """The Earth-fixed positions as an ``xarray.Dataset`` (time, satellite): ``r_itrf_km``
        (with an ``xyz`` axis), geodetic ``lat_deg``, ``lon_deg``, ``alt_km`` and the SGP4
        ``error`` code; satellite names and catalogue numbers as coordinates."""
        import xarray as xr

        lat, lon, alt = self.subpoints()
        ds = xr.Dataset(
            {"r_itrf_km": (("time", "satellite", "xyz"), self.r_itrf_km),
             "lat_deg": (("time", "satellite"), lat), "lon_deg": (("time", "satellite"), lon),
             "alt_km": (("time", "satellite"), alt), "error": (("time", "satellite"), self.error)},
            coords={"time": self.times.utc, "satellite": self.names, "satnum": ("satellite", self.satnum),
                    "xyz": ["x", "y", "z"]},
            attrs={"frame": "ITRF (TEME rotated by GMST 1982" + (
                " with polar motion)" if self.polar_motion else ")")})
        for k, u in (("r_itrf_km", "km"), ("lat_deg", "degree_north"), ("lon_deg", "degree_east"),
                     ("alt_km", "km")):
            ds[k].attrs["units"] = u
        return ds

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


class PreparedElements:
    """SGP4-initialised state of a constellation, built once and shared by the backends.

    Initialisation (``sgp4init``) is python-sgp4's C++ for every backend, so the
    numba kernel ports only propagation, and both backends start from identical
    coefficients.

    Attributes
    ----------
    satrecs : tuple of sgp4.api.Satrec
    near : numpy.ndarray of intp
        Indices of near-Earth satellites (period < 225 min), served by the numba kernel.
    deep : numpy.ndarray of intp
        Indices of deep-space satellites (SDP4 terms), always served by the C++ code.
    """

    def __init__(self, cols: dict):
        self.satrecs = tuple(build_satrecs(cols))
        method = np.array([s.method for s in self.satrecs], dtype="U1")
        self.near = np.nonzero(method == "n")[0]
        self.deep = np.nonzero(method != "n")[0]
        self._array = None
        self._deep_array = None
        self._coef = None
        self._near_coef = None
        if self.satrecs:
            first = self.satrecs[0]
            self.xke, self.j2, self.radius_km = first.xke, first.j2, first.radiusearthkm

    @property
    def satrec_array(self) -> SatrecArray:
        if self._array is None:
            self._array = SatrecArray(list(self.satrecs))
        return self._array

    @property
    def deep_array(self) -> SatrecArray:
        if self._deep_array is None:
            self._deep_array = SatrecArray([self.satrecs[i] for i in self.deep])
        return self._deep_array

    @property
    def coef(self) -> np.ndarray:
        """Structure of arrays for the numba kernels: (len(ROWS), n_sats) float64.

        python-sgp4's C++ ``Satrec`` hides the initialised coefficients, so they
        come from its pure-Python twin (``sgp4.model.Satrec``), initialised with
        the same arguments; columns of deep-space satellites stay 0 (never used).
        The derived rows are computed with the C library's pow/sin/cos, exactly
        as the C++ computes them at every call.
        """
        if self._coef is None:
            coef = np.zeros((len(_ksgp4.ROWS), len(self.satrecs)))
            for i in self.near:
                twin = _python_twin(self.satrecs[i])
                coef[:len(_ksgp4.FIELDS), i] = [float(getattr(twin, f)) for f in _ksgp4.FIELDS]
                coef[_ksgp4.AM_BASE, i] = math.pow(twin.xke / twin.no_unkozai, 2.0 / 3.0)
                coef[_ksgp4.SINIO, i] = math.sin(twin.inclo)
                coef[_ksgp4.COSIO, i] = math.cos(twin.inclo)
            self._coef = coef
        return self._coef

    @property
    def near_coef(self) -> tuple[np.ndarray, np.ndarray]:
        """Near-Earth coefficients for the approx kernel: compact columns, and tile blocks."""
        if self._near_coef is None:
            coef = np.ascontiguousarray(self.coef[:, self.near])
            self._near_coef = (coef, _kapprox.tile_blocks(coef))
        return self._near_coef


def _python_twin(sat):
    """python-sgp4's pure-Python Satrec initialised like the C++ one ``sat``."""
    twin = _PySatrec()
    twin.sgp4init(WGS72, "i", sat.satnum, (sat.jdsatepoch + sat.jdsatepochF) - JD_SGP4_EPOCH0,
                  sat.bstar, sat.ndot, sat.nddot, sat.ecco, sat.argpo, sat.inclo, sat.mo,
                  sat.no_kozai, sat.nodeo)
    twin.isimp = float(twin.isimp)
    twin.jdsatepoch = sat.jdsatepoch
    twin.jdsatepochF = sat.jdsatepochF
    return twin


def _check_budget(n_sats: int, n_times: int, memory_budget_mb: float, positions_only: bool = False):
    need = n_sats * n_times * bytes_per_sat_time(positions_only)
    budget = memory_budget_mb * 2**20
    if need > budget:
        per_time = n_sats * bytes_per_sat_time(positions_only)
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


def _cpp_into(sat_array, columns, jd, fr, dut1, xp, yp, full, r_teme, v_teme, r_itrf, v_itrf, error):
    """python-sgp4's C++ for some satellites, rotated and written at ``columns``."""
    e_st, r_st, v_st = sat_array.sgp4(jd, fr)
    if full:
        _kf.teme_to_itrf_sat_major(e_st, r_st, v_st, jd, fr, dut1, xp, yp, columns,
                                   r_teme, v_teme, r_itrf, v_itrf, error)
        return
    # Positions only: rotate into compact scratch, then keep the positions.
    shape = (jd.size, columns.size, 3)
    tmp = [np.empty(shape) for _ in range(4)]
    err = np.empty((jd.size, columns.size), dtype=np.uint8)
    _kf.teme_to_itrf_sat_major(e_st, r_st, v_st, jd, fr, dut1, xp, yp, np.arange(columns.size),
                               tmp[0], tmp[1], tmp[2], tmp[3], err)
    r_itrf[:, columns] = tmp[2]
    error[:, columns] = err


def propagate(constellation, times, *, backend: str = DEFAULT_BACKEND, ut1_utc: bool = True,
              polar_motion: bool = False, positions_only: bool = False,
              memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> Ephemeris:
    """Propagate every satellite of a constellation over a time grid.

    See :meth:`leolat.Constellation.propagate` for the parameters.
    """
    times = _as_timegrid(times)
    if backend not in BACKENDS:
        raise LeolatError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    n_sats, n_times = len(constellation), len(times)
    _check_budget(n_sats, n_times, memory_budget_mb, positions_only)
    dut1, xp, yp = earth_orientation(times.jd, times.fr, ut1_utc=ut1_utc,
                                     polar_motion=polar_motion)
    prepared = constellation._prepared()
    full = not positions_only
    shape = (n_times, n_sats, 3)
    r_itrf = np.empty(shape)
    # Placeholders the kernels never touch when only positions are wanted.
    r_teme, v_teme, v_itrf = (np.empty(shape if full else (1, 1, 3)) for _ in range(3))
    error = np.empty((n_times, n_sats), dtype=np.uint8)
    served_by = np.full(n_sats, "sgp4", dtype="U12")
    jd, fr = np.asarray(times.jd), np.asarray(times.fr)
    if backend == "numba-approx" and prepared.near.size:
        coef, blocks = prepared.near_coef
        contiguous = bool(prepared.near[-1] - prepared.near[0] == prepared.near.size - 1)
        _kapprox.propagate_itrf_approx(coef, blocks, prepared.near, contiguous, jd, fr, dut1, xp,
                                       yp, prepared.xke, prepared.j2, prepared.radius_km, full,
                                       r_teme, v_teme, r_itrf, v_itrf, error)
        served_by[prepared.near] = "numba-approx"
    elif backend == "numba" and prepared.near.size:
        _ksgp4.propagate_itrf(prepared.coef, prepared.near, jd, fr, dut1, xp, yp, prepared.xke,
                              prepared.j2, prepared.radius_km, _ksgp4.TILE_SATS, full,
                              r_teme, v_teme, r_itrf, v_itrf, error)
        served_by[prepared.near] = "numba"
    if backend == "sgp4":
        _cpp_into(prepared.satrec_array, np.arange(n_sats), jd, fr, dut1, xp, yp, full,
                  r_teme, v_teme, r_itrf, v_itrf, error)
    elif prepared.deep.size:
        # Deep-space satellites go through the C++ code inside the same call.
        _cpp_into(prepared.deep_array, prepared.deep, jd, fr, dut1, xp, yp, full,
                  r_teme, v_teme, r_itrf, v_itrf, error)
    return Ephemeris(
        times=times,
        satnum=constellation.satnum,
        names=constellation.names,
        r_teme_km=r_teme if full else None, v_teme_km_s=v_teme if full else None,
        r_itrf_km=r_itrf, v_itrf_km_s=v_itrf if full else None,
        error=error, backend=served_by,
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
    per_time = max(1, len(constellation)) * bytes_per_sat_time(kwargs.get("positions_only", False))
    chunk = int(memory_budget_mb * 2**20 // per_time)
    if chunk < 1:
        raise MemoryBudgetError(
            f"one time step of {len(constellation):,} satellites needs {per_time / 2**20:.1f} MiB, "
            f"over the memory budget of {memory_budget_mb:g} MiB; raise memory_budget_mb or "
            f"select fewer satellites")
    if max_chunk_times is not None:
        chunk = max(1, min(chunk, int(max_chunk_times)))
    if _progress.is_enabled():  # about 50 updates for a bar
        chunk = max(1, min(chunk, -(-len(times) // 50)))
    with _progress.bar(len(times), f"{len(constellation):,} satellites") as bar:
        for sub in times.chunks(chunk):
            yield propagate(constellation, sub, memory_budget_mb=memory_budget_mb, **kwargs)
            bar.update(len(sub))



def positions_at(constellation, sat_index, jd, fr, *, ut1_utc: bool = True,
                 polar_motion: bool = False) -> np.ndarray:
    """ITRF positions (n, 3) km of satellite ``sat_index[i]`` at UTC ``jd[i] + fr[i]``.

    Each pair has its own instant: what root finders need. Near-Earth satellites
    go through the exact numba kernel, deep-space ones through the C++; NaN where
    SGP4 fails.
    """
    sat_index = np.ascontiguousarray(sat_index, dtype=np.intp)
    jd = np.ascontiguousarray(jd, dtype=np.float64)
    fr = np.ascontiguousarray(fr, dtype=np.float64)
    prepared = constellation._prepared()
    dut1, xp, yp = earth_orientation(jd, fr, ut1_utc=ut1_utc, polar_motion=polar_motion)
    out = np.empty((sat_index.size, 3))
    error = np.zeros(sat_index.size, dtype=np.uint8)
    _ksgp4.propagate_pairs(prepared.coef, sat_index, jd, fr, dut1, xp, yp, prepared.xke,
                           prepared.j2, prepared.radius_km, out, error)
    deep = np.nonzero(np.isin(sat_index, prepared.deep))[0]
    for i in deep:  # rare in LEO work; one C++ call per pair
        sat = prepared.satrecs[sat_index[i]]
        e, r, v = sat.sgp4(jd[i], fr[i])
        if e:
            out[i] = np.nan
            continue
        r_itrf, _ = teme_to_itrf_single(np.array(r), np.array(v), jd[i], fr[i], dut1[i], xp[i], yp[i])
        out[i] = r_itrf
    return out


def teme_to_itrf_single(r, v, jd, fr, dut1_s, xp_rad, yp_rad):
    """One TEME state to ITRF (numpy arrays of 3), with the kernels' rotation."""
    w = np.empty((3, 3))
    c, s, omega = _kf.earth_rotation(jd, fr, dut1_s, xp_rad, yp_rad, w)
    out = _kf.rotate_state(c, s, omega, w, r[0], r[1], r[2], v[0], v[1], v[2])
    return np.array(out[:3]), np.array(out[3:])

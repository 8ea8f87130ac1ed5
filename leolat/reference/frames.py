"""Frames: TEME -> ITRF, and geodetic <-> Earth-fixed Cartesian on WGS84.

TEME -> ITRF uses the rotation Vallado (2006) and skyfield use for SGP4
output: GMST 1982 about the z axis (TEME -> pseudo Earth-fixed), then polar
motion. UT1-UTC and the pole coordinates come from the IERS table shipped by
``astropy-iers-data`` (see :mod:`leolat.eop`); each can be switched off.

All arrays are time-first, ``(n_times, n_sats, 3)``, in km and km/s.
"""

from __future__ import annotations

import numpy as np

from .._kernels import frames as _k
from ..base.constants import SECONDS_PER_DAY, WGS84_A_KM, WGS84_E2
from ..base.types import ArrayLike
from .eop import earth_orientation
from .time import TimeGrid

__all__ = [
    "gmst82_rad",
    "teme_to_itrf",
    "geodetic_to_ecef",
    "ecef_to_geodetic",
]


def gmst82_rad(times: TimeGrid, *, ut1_utc: bool = True) -> np.ndarray:
    """Greenwich mean sidereal time (IAU 1982) in radians, shape (n_times,)."""
    dut1, _, _ = earth_orientation(times.jd, times.fr, ut1_utc=ut1_utc)
    return np.array([_k.gmst82(j, f + d / SECONDS_PER_DAY)[0] for j, f, d in zip(times.jd, times.fr, dut1)])


def teme_to_itrf(r_teme_km: ArrayLike, v_teme_km_s: ArrayLike, times: TimeGrid, *, ut1_utc: bool = True,
                 polar_motion: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Rotate TEME states to ITRF.

    Parameters
    ----------
    r_teme_km, v_teme_km_s : array_like, shape (n_times, n_sats, 3) or (n_times, 3)
    times : TimeGrid
        ``n_times`` instants.
    ut1_utc, polar_motion : bool
        Earth orientation corrections (see :func:`leolat.eop.earth_orientation`).

    Returns
    -------
    r_itrf_km, v_itrf_km_s : numpy.ndarray, same shape as the inputs
    """
    r = np.asarray(r_teme_km, dtype=np.float64)
    v = np.asarray(v_teme_km_s, dtype=np.float64)
    squeeze = r.ndim == 2
    if squeeze:
        r = r[:, None, :]
        v = v[:, None, :]
    if r.ndim != 3 or r.shape[-1] != 3 or r.shape != v.shape or r.shape[0] != len(times):
        raise ValueError(f"expected r and v of shape ({len(times)}, n_sats, 3), "
                         f"got {r.shape} and {v.shape}")
    r = np.ascontiguousarray(r)
    v = np.ascontiguousarray(v)
    dut1, xp, yp = earth_orientation(times.jd, times.fr, ut1_utc=ut1_utc, polar_motion=polar_motion)
    r_out = np.empty_like(r)
    v_out = np.empty_like(v)
    _k.teme_to_itrf_time_major(r, v, _k.Instants(times.jd, times.fr, dut1, xp, yp), r_out, v_out)
    if squeeze:
        return r_out[:, 0, :], v_out[:, 0, :]
    return r_out, v_out


def geodetic_to_ecef(lat_deg: ArrayLike, lon_deg: ArrayLike, alt_km: ArrayLike = 0.0) -> np.ndarray:
    """WGS84 geodetic coordinates to Earth-fixed Cartesian.

    Parameters
    ----------
    lat_deg, lon_deg, alt_km : array_like, broadcastable to a common shape S
        Geodetic latitude and longitude in degrees, height above the ellipsoid in km.

    Returns
    -------
    numpy.ndarray, shape S + (3,), km
    """
    lat, lon, h = np.broadcast_arrays(np.asarray(lat_deg, dtype=np.float64),
                                      np.asarray(lon_deg, dtype=np.float64),
                                      np.asarray(alt_km, dtype=np.float64))
    shape = lat.shape
    out = np.empty((lat.size, 3))
    _k.geodetic_to_ecef(np.radians(lat).ravel(), np.radians(lon).ravel(),
                        np.ascontiguousarray(h).ravel(), WGS84_A_KM, WGS84_E2, out)
    return out.reshape(shape + (3,))


def ecef_to_geodetic(r_km: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earth-fixed Cartesian to WGS84 geodetic coordinates (exact closed form).

    Parameters
    ----------
    r_km : array_like, shape S + (3,)

    Returns
    -------
    lat_deg, lon_deg, alt_km : numpy.ndarray, shape S
        NaN where the input is NaN (a satellite SGP4 could not propagate).
    """
    r = np.asarray(r_km, dtype=np.float64)
    if r.shape[-1:] != (3,):
        raise ValueError(f"expected positions with a last axis of 3, got shape {r.shape}")
    shape = r.shape[:-1]
    flat = np.ascontiguousarray(r.reshape(-1, 3))
    lat = np.empty(flat.shape[0])
    lon = np.empty(flat.shape[0])
    h = np.empty(flat.shape[0])
    _k.ecef_to_geodetic(flat, WGS84_A_KM, WGS84_E2, lat, lon, h)
    return np.degrees(lat).reshape(shape), np.degrees(lon).reshape(shape), h.reshape(shape)

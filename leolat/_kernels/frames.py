"""Frame rotations and geodetic conversions on plain arrays."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import prange

from ..base.constants import JD_J2000, SECONDS_PER_DAY
from ._jit import jit, pjit


class Instants(NamedTuple):
    """UTC instants as two-part Julian dates, with the Earth orientation at each."""

    jd: np.ndarray              # (n,) float64, whole part (a midnight)
    fr: np.ndarray              # (n,) float64, fraction of the day
    dut1_s: np.ndarray          # (n,) UT1 - UTC, s
    xp_rad: np.ndarray          # (n,) pole coordinates, rad
    yp_rad: np.ndarray


class States(NamedTuple):
    """Time-first output arrays (n_times, n_sats, 3) and error codes (n_times, n_sats).

    With ``full`` False only ``r_itrf`` and ``error`` are written; the other three may
    be placeholders.
    """

    full: bool
    r_teme: np.ndarray
    v_teme: np.ndarray
    r_itrf: np.ndarray
    v_itrf: np.ndarray
    error: np.ndarray

_TAU = 2.0 * math.pi
_DAY_S = SECONDS_PER_DAY
_T0 = JD_J2000


@jit
def gmst82(jd_ut1, fr_ut1):
    """Greenwich mean sidereal time, IAU 1982 model (Vallado's ``gstime``, skyfield's
    ``theta_GMST1982``), from a two-part UT1 Julian date.

    Returns (theta_rad, theta_dot_rad_per_s). The whole-revolution term is kept
    apart (``jd % 1 + fr``) so the angle keeps full precision decades from J2000.
    """
    t = (jd_ut1 - _T0 + fr_ut1) / 36525.0
    g = 67310.54841 + (8640184.812866 + (0.093104 + (-6.2e-6) * t) * t) * t
    dg = 8640184.812866 + (0.093104 * 2.0 + (-6.2e-6 * 3.0) * t) * t
    theta = ((jd_ut1 % 1.0) + fr_ut1 + g / _DAY_S) % 1.0 * _TAU
    theta_dot = (1.0 + dg / (_DAY_S * 36525.0)) * _TAU / _DAY_S
    return theta, theta_dot


@jit
def earth_rotation(jd, fr, dut1_s, xp_rad, yp_rad, w):
    """Fill ``w`` (3, 3) with Vallado's polar-motion matrix W^T (ITRF <- PEF) and
    return (cos theta, sin theta, theta_dot_rad_s) of GMST 1982 at UT1 = UTC + dut1_s.

    ITRF = W^T · Rz(theta) · TEME (IAU-76/FK5 theory, Vallado's ``teme2ecef`` and
    ``polarm``); W^T is the identity when xp = yp = 0.
    """
    theta, theta_dot = gmst82(jd, fr + dut1_s / _DAY_S)
    cx = math.cos(xp_rad)
    sx = math.sin(xp_rad)
    cy = math.cos(yp_rad)
    sy = math.sin(yp_rad)
    w[0, 0] = cx
    w[0, 1] = sx * sy
    w[0, 2] = sx * cy
    w[1, 0] = 0.0
    w[1, 1] = cy
    w[1, 2] = -sy
    w[2, 0] = -sx
    w[2, 1] = cx * sy
    w[2, 2] = cx * cy
    return math.cos(theta), math.sin(theta), theta_dot


@jit
def rotation_for(teme, jd, fr, dut1_s, xp_rad, yp_rad, w):
    """:func:`earth_rotation`, or with ``teme`` the identity (``w`` = I, cos 1, sin 0, rate 0):
    rotating by it leaves TEME states as they are, exactly in floating point
    (``1·x + 0·y == x``), so one kernel writes either frame."""
    if teme:
        for a in range(3):
            for b in range(3):
                w[a, b] = 1.0 if a == b else 0.0
        return 1.0, 0.0, 0.0
    return earth_rotation(jd, fr, dut1_s, xp_rad, yp_rad, w)


@jit
def rotate_state(c, s, omega, w, x, y, z, vx, vy, vz):
    """One TEME state to ITRF given earth_rotation()'s outputs.

    Velocity is W^T (Rz v - omega x r_pef): the rotating frame's transport term.
    """
    px = c * x + s * y
    py = -s * x + c * y
    pz = z
    qx = c * vx + s * vy + omega * py
    qy = -s * vx + c * vy - omega * px
    qz = vz
    return (w[0, 0] * px + w[0, 1] * py + w[0, 2] * pz,
            w[1, 0] * px + w[1, 1] * py + w[1, 2] * pz,
            w[2, 0] * px + w[2, 1] * py + w[2, 2] * pz,
            w[0, 0] * qx + w[0, 1] * qy + w[0, 2] * qz,
            w[1, 0] * qx + w[1, 1] * qy + w[1, 2] * qz,
            w[2, 0] * qx + w[2, 1] * qy + w[2, 2] * qz)


@pjit
def teme_to_itrf_sat_major(e_st, r_st, v_st, when, columns, out):
    """Scatter satellite-major SGP4 output (n, n_times[, 3]), as python-sgp4's SatrecArray
    returns it, into time-first TEME and ITRF arrays (n_times, n_total, 3) at ``columns``.

    States with a nonzero error code become NaN (python-sgp4 keeps a position for
    code 6, "decayed"; a sub-surface position is not data). One time step per
    parallel iteration: outputs are disjoint, so results do not depend on the
    thread count.
    """
    n_sats = r_st.shape[0]
    n_times = r_st.shape[1]
    # Unpack the groups before the parallel loop: numba loses writes made through a
    # tuple's fields inside one.
    jd, fr, dut1_s, xp_rad, yp_rad = when
    _, r_teme, v_teme, r_itrf, v_itrf, error = out
    for t in prange(n_times):
        w = np.empty((3, 3))
        c, s, omega = earth_rotation(jd[t], fr[t], dut1_s[t], xp_rad[t], yp_rad[t], w)
        for k in range(n_sats):
            col = columns[k]
            code = e_st[k, t]
            error[t, col] = code
            if code != 0:
                for j in range(3):
                    r_teme[t, col, j] = np.nan
                    v_teme[t, col, j] = np.nan
                    r_itrf[t, col, j] = np.nan
                    v_itrf[t, col, j] = np.nan
                continue
            x = r_st[k, t, 0]
            y = r_st[k, t, 1]
            z = r_st[k, t, 2]
            vx = v_st[k, t, 0]
            vy = v_st[k, t, 1]
            vz = v_st[k, t, 2]
            r_teme[t, col, 0] = x
            r_teme[t, col, 1] = y
            r_teme[t, col, 2] = z
            v_teme[t, col, 0] = vx
            v_teme[t, col, 1] = vy
            v_teme[t, col, 2] = vz
            rx, ry, rz, ux, uy, uz = rotate_state(c, s, omega, w, x, y, z, vx, vy, vz)
            r_itrf[t, col, 0] = rx
            r_itrf[t, col, 1] = ry
            r_itrf[t, col, 2] = rz
            v_itrf[t, col, 0] = ux
            v_itrf[t, col, 1] = uy
            v_itrf[t, col, 2] = uz


@pjit
def teme_to_itrf_time_major(r_teme, v_teme, when, r_itrf, v_itrf):
    """Rotate time-first TEME states (n_times, n_sats, 3) to ITRF, one time per iteration."""
    n_times = r_teme.shape[0]
    n_sats = r_teme.shape[1]
    jd, fr, dut1_s, xp_rad, yp_rad = when
    for t in prange(n_times):
        w = np.empty((3, 3))
        c, s, omega = earth_rotation(jd[t], fr[t], dut1_s[t], xp_rad[t], yp_rad[t], w)
        for k in range(n_sats):
            rx, ry, rz, ux, uy, uz = rotate_state(
                c, s, omega, w, r_teme[t, k, 0], r_teme[t, k, 1], r_teme[t, k, 2],
                v_teme[t, k, 0], v_teme[t, k, 1], v_teme[t, k, 2])
            r_itrf[t, k, 0] = rx
            r_itrf[t, k, 1] = ry
            r_itrf[t, k, 2] = rz
            v_itrf[t, k, 0] = ux
            v_itrf[t, k, 1] = uy
            v_itrf[t, k, 2] = uz


@pjit
def ecef_to_geodetic(r, a, e2, lat_rad, lon_rad, h):
    """Earth-fixed Cartesian (n, 3) -> geodetic latitude, longitude (rad) and height,
    in the units of ``r`` and ``a``. Vermeille's (2002, J. Geodesy 76:451) closed form:
    exact, no iteration, valid everywhere but within ~40 km of the Earth's centre.
    """
    e4 = e2 * e2
    a2 = a * a
    for i in prange(r.shape[0]):
        x = r[i, 0]
        y = r[i, 1]
        z = r[i, 2]
        rho2 = x * x + y * y
        p = rho2 / a2
        q = (1.0 - e2) / a2 * z * z
        rr = (p + q - e4) / 6.0
        s = e4 * p * q / (4.0 * rr * rr * rr)
        t = (1.0 + s + math.sqrt(s * (2.0 + s))) ** (1.0 / 3.0)
        u = rr * (1.0 + t + 1.0 / t)
        v = math.sqrt(u * u + e4 * q)
        w = e2 * (u + v - q) / (2.0 * v)
        k = math.sqrt(u + v + w * w) - w
        rho = math.sqrt(rho2)
        d = k * rho / (k + e2)
        dz = math.sqrt(d * d + z * z)
        lat_rad[i] = 2.0 * math.atan2(z, d + dz)
        lon_rad[i] = math.atan2(y, x)
        h[i] = (k + e2 - 1.0) / k * dz


@pjit
def geodetic_to_ecef(lat_rad, lon_rad, h, a, e2, r):
    """Geodetic latitude, longitude (rad) and height -> Earth-fixed Cartesian (n, 3)."""
    for i in prange(lat_rad.shape[0]):
        sl = math.sin(lat_rad[i])
        cl = math.cos(lat_rad[i])
        n = a / math.sqrt(1.0 - e2 * sl * sl)
        r[i, 0] = (n + h[i]) * cl * math.cos(lon_rad[i])
        r[i, 1] = (n + h[i]) * cl * math.sin(lon_rad[i])
        r[i, 2] = (n * (1.0 - e2) + h[i]) * sl

"""SGP4 propagation (near-Earth) fused with TEME -> ITRF, on plain arrays.

A port of the propagation half of Vallado's SGP4 (Spacetrack Report #3 as
revised by Vallado, Crawford, Hujsak & Kelso 2006, AIAA 2006-6753; the
2020 C++ release that python-sgp4 compiles), written for numba:

* element coefficients come in as a structure of arrays, ``coef[row, sat]``
  (rows named by :data:`ROWS`), filled from python-sgp4's ``sgp4init``, plus
  three per-satellite values the C++ recomputes at every call (hoisted here,
  bit-identical);
* the parallel loop runs over (time step, block of satellites) tiles, so the
  outputs of two iterations never overlap and results do not depend on the
  number of threads;
* each state is rotated to ITRF while it is still in registers;
* operation order follows the C++ code (``fmod`` where it uses ``fmod``,
  ``(mrt * ux) * radius``), so results match it to a few ulps.

Error codes are SGP4's: 1 mean eccentricity, 2 mean motion, 4 semi-latus
rectum, 6 decayed (3 is deep-space only). Positions and velocities of a state
with any error are NaN.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import prange

from ..base.constants import MINUTES_PER_DAY as _MIN_PER_DAY
from ._jit import jit, pjit
from .frames import earth_rotation, rotate_state, rotation_for


class Gravity(NamedTuple):
    """The gravity model's constants, as python-sgp4's ``sgp4init`` set them (WGS72)."""

    xke: float                  # sqrt(mu) in Earth radii^1.5 per minute
    j2: float
    radius_km: float

# Rows of the coefficient matrix, in order. All are python-sgp4 Satrec attributes.
FIELDS = (
    "mo", "mdot", "argpo", "argpdot", "nodeo", "nodedot", "nodecf",
    "cc1", "cc4", "cc5", "t2cof", "t3cof", "t4cof", "t5cof", "isimp",
    "omgcof", "eta", "xmcof", "delmo", "d2", "d3", "d4", "sinmao", "bstar",
    "no_unkozai", "ecco", "inclo", "aycof", "xlcof", "con41", "x1mth2", "x7thm1",
    "jdsatepoch", "jdsatepochF",
)
# Rows derived once per satellite by the friendly layer, exactly as the C++ computes
# them at every call: pow(xke / no_unkozai, 2/3), sin(inclo), cos(inclo).
DERIVED = ("am_base", "sinio", "cosio")
ROWS = FIELDS + DERIVED
(MO, MDOT, ARGPO, ARGPDOT, NODEO, NODEDOT, NODECF, CC1, CC4, CC5, T2COF, T3COF, T4COF,
 T5COF, ISIMP, OMGCOF, ETA, XMCOF, DELMO, D2, D3, D4, SINMAO, BSTAR, NO_UNKOZAI, ECCO,
 INCLO, AYCOF, XLCOF, CON41, X1MTH2, X7THM1, JDSATEPOCH, JDSATEPOCHF,
 AM_BASE, SINIO, COSIO) = range(len(ROWS))

_TWOPI = 2.0 * math.pi

# Satellites per parallel tile: large enough to amortise the per-tile Earth rotation,
# small enough that 2 threads share a single time step of a small constellation.
TILE_SATS = 256


@jit
def sgp4_state(c, s, tsince, xke, j2, radius_km, out):
    """Propagate satellite ``s`` of coefficient matrix ``c`` to ``tsince`` minutes.

    Writes (x, y, z, vx, vy, vz) TEME, km and km/s, into ``out[0:6]`` and returns
    SGP4's error code.
    """
    vkmpersec = radius_km * xke / 60.0
    t = tsince
    xmdf = c[MO, s] + c[MDOT, s] * t
    argpdf = c[ARGPO, s] + c[ARGPDOT, s] * t
    nodedf = c[NODEO, s] + c[NODEDOT, s] * t
    argpm = argpdf
    mm = xmdf
    t2 = t * t
    nodem = nodedf + c[NODECF, s] * t2
    tempa = 1.0 - c[CC1, s] * t
    tempe = c[BSTAR, s] * c[CC4, s] * t
    templ = c[T2COF, s] * t2
    if c[ISIMP, s] != 1.0:
        delomg = c[OMGCOF, s] * t
        delmtemp = 1.0 + c[ETA, s] * math.cos(xmdf)
        delm = c[XMCOF, s] * (delmtemp * delmtemp * delmtemp - c[DELMO, s])
        temp = delomg + delm
        mm = xmdf + temp
        argpm = argpdf - temp
        t3 = t2 * t
        t4 = t3 * t
        tempa = tempa - c[D2, s] * t2 - c[D3, s] * t3 - c[D4, s] * t4
        tempe = tempe + c[BSTAR, s] * c[CC5, s] * (math.sin(mm) - c[SINMAO, s])
        templ = templ + c[T3COF, s] * t3 + t4 * (c[T4COF, s] + t * c[T5COF, s])

    nm = c[NO_UNKOZAI, s]
    em = c[ECCO, s]
    inclm = c[INCLO, s]
    if nm <= 0.0:
        return 2
    am = c[AM_BASE, s] * tempa * tempa  # pow(xke / no_unkozai, 2/3), hoisted
    nm = xke / math.pow(am, 1.5)
    em = em - tempe
    if em >= 1.0 or em < -0.001:
        return 1
    if em < 1.0e-6:
        em = 1.0e-6
    mm = mm + c[NO_UNKOZAI, s] * templ
    xlm = mm + argpm + nodem

    nodem = np.fmod(nodem, _TWOPI)
    argpm = np.fmod(argpm, _TWOPI)
    xlm = np.fmod(xlm, _TWOPI)
    mm = np.fmod(xlm - argpm - nodem, _TWOPI)

    sinip = c[SINIO, s]  # sin(inclo), hoisted: inclm is inclo for near-Earth orbits
    cosip = c[COSIO, s]
    ep = em
    xincp = inclm
    argpp = argpm
    nodep = nodem
    mp = mm

    axnl = ep * math.cos(argpp)
    temp = 1.0 / (am * (1.0 - ep * ep))
    aynl = ep * math.sin(argpp) + temp * c[AYCOF, s]
    xl = mp + argpp + nodep + temp * c[XLCOF, s] * axnl

    # Kepler's equation for the eccentric longitude, as in the C++ (<= 10 Newton steps).
    u = np.fmod(xl - nodep, _TWOPI)
    eo1 = u
    tem5 = 9999.9
    ktr = 1
    sineo1 = 0.0
    coseo1 = 0.0
    while abs(tem5) >= 1.0e-12 and ktr <= 10:
        sineo1 = math.sin(eo1)
        coseo1 = math.cos(eo1)
        tem5 = 1.0 - coseo1 * axnl - sineo1 * aynl
        tem5 = (u - aynl * coseo1 + axnl * sineo1 - eo1) / tem5
        if abs(tem5) >= 0.95:
            tem5 = 0.95 if tem5 > 0.0 else -0.95
        eo1 = eo1 + tem5
        ktr = ktr + 1

    ecose = axnl * coseo1 + aynl * sineo1
    esine = axnl * sineo1 - aynl * coseo1
    el2 = axnl * axnl + aynl * aynl
    pl = am * (1.0 - el2)
    if pl < 0.0:
        return 4
    rl = am * (1.0 - ecose)
    rdotl = math.sqrt(am) * esine / rl
    rvdotl = math.sqrt(pl) / rl
    betal = math.sqrt(1.0 - el2)
    temp = esine / (1.0 + betal)
    sinu = am / rl * (sineo1 - aynl - axnl * temp)
    cosu = am / rl * (coseo1 - axnl + aynl * temp)
    su = math.atan2(sinu, cosu)
    sin2u = (cosu + cosu) * sinu
    cos2u = 1.0 - 2.0 * sinu * sinu
    temp = 1.0 / pl
    temp1 = 0.5 * j2 * temp
    temp2 = temp1 * temp

    con41 = c[CON41, s]
    x1mth2 = c[X1MTH2, s]
    mrt = rl * (1.0 - 1.5 * temp2 * betal * con41) + 0.5 * temp1 * x1mth2 * cos2u
    su = su - 0.25 * temp2 * c[X7THM1, s] * sin2u
    xnode = nodep + 1.5 * temp2 * cosip * sin2u
    xinc = xincp + 1.5 * temp2 * cosip * sinip * cos2u
    mvt = rdotl - nm * temp1 * x1mth2 * sin2u / xke
    rvdot = rvdotl + nm * temp1 * (x1mth2 * cos2u + 1.5 * con41) / xke

    sinsu = math.sin(su)
    cossu = math.cos(su)
    snod = math.sin(xnode)
    cnod = math.cos(xnode)
    sini = math.sin(xinc)
    cosi = math.cos(xinc)
    xmx = -snod * cosi
    xmy = cnod * cosi
    ux = xmx * sinsu + cnod * cossu
    uy = xmy * sinsu + snod * cossu
    uz = sini * sinsu
    vx = xmx * cossu - cnod * sinsu
    vy = xmy * cossu - snod * sinsu
    vz = sini * cossu

    out[0] = (mrt * ux) * radius_km
    out[1] = (mrt * uy) * radius_km
    out[2] = (mrt * uz) * radius_km
    out[3] = (mvt * ux + rvdot * vx) * vkmpersec
    out[4] = (mvt * uy + rvdot * vy) * vkmpersec
    out[5] = (mvt * uz + rvdot * vz) * vkmpersec
    if mrt < 1.0:
        return 6
    return 0


@jit(inline="always")
def store_exact(coef, i, s, t, jd_t, fr_t, grav, cth, sth, omega, w, state, full, r_teme, v_teme,
                r_itrf, v_itrf, error):
    """Propagate coefficient column ``i`` to one instant with the exact kernel, rotate it
    with the instant's Earth rotation (``cth, sth, omega, w`` from ``earth_rotation``),
    and store it at [t, s] (NaN on any SGP4 error); with ``full`` False only the ITRF
    position and the error code.

    The outputs come as separate arrays, not a ``frames.States``: this is inlined into
    parallel loops, where numba (0.6x) loses writes made through a tuple's fields.
    """
    tsince = ((jd_t - coef[JDSATEPOCH, i]) * _MIN_PER_DAY
              + (fr_t - coef[JDSATEPOCHF, i]) * _MIN_PER_DAY)
    code = sgp4_state(coef, i, tsince, grav.xke, grav.j2, grav.radius_km, state)
    error[t, s] = code
    if code != 0:
        for k in range(6):
            state[k] = np.nan
    rx, ry, rz, ux, uy, uz = rotate_state(cth, sth, omega, w, state[0], state[1], state[2],
                                          state[3], state[4], state[5])
    r_itrf[t, s, 0] = rx
    r_itrf[t, s, 1] = ry
    r_itrf[t, s, 2] = rz
    if full:
        for k in range(3):
            r_teme[t, s, k] = state[k]
            v_teme[t, s, k] = state[3 + k]
        v_itrf[t, s, 0] = ux
        v_itrf[t, s, 1] = uy
        v_itrf[t, s, 2] = uz


@pjit
def propagate_itrf(coef, sat_index, when, grav, tile_sats, teme, out):
    """SGP4 + TEME -> ITRF for the satellites ``sat_index`` (columns of ``coef``) at every
    instant of ``when`` (a ``frames.Instants``).

    Outputs (``out``, a ``frames.States``) are time-first (n_times, n_total_sats, 3) and
    written at the columns ``sat_index``; other columns are left untouched (another
    backend fills them). With ``teme`` and ``out.full`` False, ``out.r_itrf`` receives
    TEME positions (the rotation becomes the identity, exact in floating point).
    """
    # Unpack the groups before the parallel loop (see store_exact).
    jd, fr, dut1_s, xp_rad, yp_rad = when
    full, r_teme, v_teme, r_itrf, v_itrf, error = out
    n_times = jd.shape[0]
    n = sat_index.shape[0]
    n_tiles = (n + tile_sats - 1) // tile_sats
    for job in prange(n_times * n_tiles):
        t = job // n_tiles
        first = (job % n_tiles) * tile_sats
        last = min(first + tile_sats, n)
        w = np.empty((3, 3))
        cth, sth, omega = rotation_for(teme and not full, jd[t], fr[t], dut1_s[t], xp_rad[t],
                                       yp_rad[t], w)
        state = np.empty(6)
        for i in range(first, last):
            store_exact(coef, sat_index[i], sat_index[i], t, jd[t], fr[t], grav, cth, sth, omega,
                        w, state, full, r_teme, v_teme, r_itrf, v_itrf, error)


@pjit
def propagate_pairs(coef, sat, when, grav, r_itrf, error):
    """ITRF position of satellite ``sat[i]`` at instant ``i`` of ``when``, for arbitrary
    pairs.

    Used by root finders (pass events), where every candidate needs its own time.
    """
    jd, fr, dut1_s, xp_rad, yp_rad = when
    xke, j2, radius_km = grav
    for i in prange(sat.shape[0]):
        s = sat[i]
        w = np.empty((3, 3))
        state = np.empty(6)
        cth, sth, omega = earth_rotation(jd[i], fr[i], dut1_s[i], xp_rad[i], yp_rad[i], w)
        tsince = ((jd[i] - coef[JDSATEPOCH, s]) * _MIN_PER_DAY
                  + (fr[i] - coef[JDSATEPOCHF, s]) * _MIN_PER_DAY)
        code = sgp4_state(coef, s, tsince, xke, j2, radius_km, state)
        error[i] = code
        rx, ry, rz, _, _, _ = rotate_state(cth, sth, omega, w, state[0], state[1], state[2],
                                           state[3], state[4], state[5])
        ok = code == 0
        r_itrf[i, 0] = rx if ok else np.nan
        r_itrf[i, 1] = ry if ok else np.nan
        r_itrf[i, 2] = rz if ok else np.nan

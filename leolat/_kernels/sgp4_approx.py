"""SGP4 (near-Earth) + TEME -> ITRF in a form LLVM vectorises across satellites.

The same algorithm as :mod:`leolat._kernels.sgp4`, rearranged so the loop over
satellites has no calls and no data-dependent branches:

* sine/cosine from :func:`leolat._kernels.polymath.sincos` (≤ 1 ulp) instead
  of library calls;
* ``am^1.5`` as ``am·sqrt(am)``; divisions by a common value as one reciprocal;
  ``fmod(x, 2π)`` by arithmetic; ``atan2`` followed by ``sin``/``cos`` replaced
  by the angle-difference identities (no ``atan2`` at all);
* Kepler's equation: two Newton steps (``KEPLER_STEPS``) and an error bound on the
  result (see ``_make_tile_states``); the few satellites it does not cover (e > 1/2,
  or a last step above ``_LAST_STEP``) are recomputed by the exact scalar kernel in a
  second pass over the tile;
* error conditions become a (floating-point) code and NaN outputs through selects, and
  nothing in the loop converts between integers and doubles (AVX2 does that lane by
  lane);
* two variants of the loop: with velocities, and positions only.

The arithmetic differs from the C++ only in the last bits of each
transcendental: positions agree with python-sgp4 within micrometres (the
documentation and tests state the bound: 1 mm).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ..base.constants import MINUTES_PER_DAY as _MIN_PER_DAY
from ._jit import jit, pjit
from .frames import rotation_for
from .polymath import rotate, sincos, sincos_small
from .sgp4 import (
    AM_BASE,
    ARGPDOT,
    ARGPO,
    AYCOF,
    BSTAR,
    CC1,
    CC4,
    CC5,
    CON41,
    COSIO,
    D2,
    D3,
    D4,
    DELMO,
    ECCO,
    ETA,
    ISIMP,
    JDSATEPOCH,
    JDSATEPOCHF,
    MDOT,
    MO,
    NO_UNKOZAI,
    NODECF,
    NODEDOT,
    NODEO,
    OMGCOF,
    ROWS,
    SINIO,
    SINMAO,
    T2COF,
    T3COF,
    T4COF,
    T5COF,
    X1MTH2,
    X7THM1,
    XLCOF,
    XMCOF,
    store_exact,
)

N_RECORD = len(ROWS)
# Satellites per tile: a compile-time constant (see tile_states). 64..256 measure alike;
# 128 keeps the 14-row scratch (14 KiB) in L1 and the padding of the last tile small.
TILE = 128
KEPLER_STEPS = 2
# Largest final Newton step accepted (see tile_states); larger ones go to the exact kernel.
_LAST_STEP = 1.0e-6
# Largest increment handed to polymath.rotate (its kernels hold to |b| <= pi/4).
_SMALL = 0.78
_TWOPI = 2.0 * math.pi
_INV_TWOPI = 1.0 / _TWOPI


@jit(inline="always")
def _wrap(x):
    """C ``fmod(x, 2π)`` by arithmetic (``frem`` is a library call that blocks SIMD).

    Equal to fmod up to the rounding of ``x / 2π`` (a few ulps of ``x``).
    """
    # np.trunc, not math.floor/ceil: numba's math versions return an int, and AVX2 converts
    # int64 <-> double lane by lane (9 round trips per satellite, measured).
    return x - np.trunc(x * _INV_TWOPI) * _TWOPI


def _make_tile_states(velocities: bool):
    """The vectorised pass, with (``velocities``) or without the velocity rows."""

    @jit(fastmath={"contract"})
    def tile_states(blocks, tile, n_valid, jdt, frt, xke, j2, radius_km, rot, out):
        """The vectorised pass: states of the first ``n_valid`` satellites of tile ``tile``
        at one instant.

        ``blocks`` is flat: per tile, ``N_RECORD`` rows of ``TILE`` values (one row per
        coefficient); ``out`` is flat too: 14 rows of ``TILE`` (TEME r, v; ITRF r, v;
        the error code; 1 where Kepler's iteration had not converged). ``rot`` holds
        (cos θ, sin θ, ω, W^T row-major) of the Earth rotation at this instant. In the
        positions variant the velocity rows (3-5, 9-11) are neither computed nor written.

        With ``TILE`` a compile-time constant every load is a constant offset from one
        base pointer and every store from another, so LLVM needs one runtime alias
        check and vectorises the loop across satellites. (One array per coefficient,
        or writing straight into the four output arrays, needs more checks than LLVM
        allows, and it silently gives up: measured 3-4× slower.)
        """
        vkmpersec = radius_km * xke / 60.0
        inv_xke = 1.0 / xke
        if tile < 0:
            return  # never taken; lets LLVM prove indices are >= 0 (no wraparound, so no gathers)
        base = tile * N_RECORD * TILE
        cth, sth, omega = rot[0], rot[1], rot[2]
        w00, w01, w02, w10, w11, w12, w20, w21, w22 = (rot[3], rot[4], rot[5], rot[6], rot[7],
                                                       rot[8], rot[9], rot[10], rot[11])
        for j in range(n_valid):
            k = base + j  # this satellite's first coefficient; the others are TILE apart
            tsince = ((jdt - blocks[k + JDSATEPOCH * TILE]) * _MIN_PER_DAY
                      + (frt - blocks[k + JDSATEPOCHF * TILE]) * _MIN_PER_DAY)
            tt = tsince
            xmdf = blocks[k + MO * TILE] + blocks[k + MDOT * TILE] * tt
            argpdf = blocks[k + ARGPO * TILE] + blocks[k + ARGPDOT * TILE] * tt
            nodedf = blocks[k + NODEO * TILE] + blocks[k + NODEDOT * TILE] * tt
            t2 = tt * tt
            nodem = nodedf + blocks[k + NODECF * TILE] * t2
            tempa0 = 1.0 - blocks[k + CC1 * TILE] * tt
            tempe0 = blocks[k + BSTAR * TILE] * blocks[k + CC4 * TILE] * tt
            templ0 = blocks[k + T2COF * TILE] * t2
            # The non-simplified drag terms, always computed, selected by isimp.
            sin_xmdf, cos_xmdf = sincos(xmdf)
            delomg = blocks[k + OMGCOF * TILE] * tt
            delmtemp = 1.0 + blocks[k + ETA * TILE] * cos_xmdf
            delm = blocks[k + XMCOF * TILE] * (delmtemp * delmtemp * delmtemp - blocks[k + DELMO * TILE])
            temp = delomg + delm
            temp_drag = temp
            mm_full = xmdf + temp
            t3 = t2 * tt
            t4 = t3 * tt
            sin_mm, _ = rotate(sin_xmdf, cos_xmdf, temp)  # temp is small: drag corrections
            simple = blocks[k + ISIMP * TILE] == 1.0
            mm = xmdf if simple else mm_full
            argpm = argpdf if simple else argpdf - temp
            tempa = tempa0 if simple else (tempa0 - blocks[k + D2 * TILE] * t2 - blocks[k + D3 * TILE] * t3
                                           - blocks[k + D4 * TILE] * t4)
            tempe = tempe0 if simple else (tempe0 + blocks[k + BSTAR * TILE] * blocks[k + CC5 * TILE]
                                           * (sin_mm - blocks[k + SINMAO * TILE]))
            templ = templ0 if simple else (templ0 + blocks[k + T3COF * TILE] * t3
                                           + t4 * (blocks[k + T4COF * TILE] + tt * blocks[k + T5COF * TILE]))

            am = blocks[k + AM_BASE * TILE] * tempa * tempa
            sqrt_am = math.sqrt(am)
            nm = xke / (am * sqrt_am)
            em = blocks[k + ECCO * TILE] - tempe
            # The code is a float: AVX2 has no packed int64 <-> double conversion, and an
            # integer code would be converted lane by lane.
            code = 0.0
            code = 1.0 if (em >= 1.0 or em < -0.001) else code
            em = 1.0e-6 if em < 1.0e-6 else em
            mm = mm + blocks[k + NO_UNKOZAI * TILE] * templ
            xlm = mm + argpm + nodem
            nodem = _wrap(nodem)
            argpm = _wrap(argpm)
            xlm = _wrap(xlm)
            mm = _wrap(xlm - argpm - nodem)

            sinip = blocks[k + SINIO * TILE]
            cosip = blocks[k + COSIO * TILE]
            sin_argp, cos_argp = sincos(argpm)
            axnl = em * cos_argp
            temp = 1.0 / (am * (1.0 - em * em))
            aynl = em * sin_argp + temp * blocks[k + AYCOF * TILE]
            xl = mm + argpm + nodem + temp * blocks[k + XLCOF * TILE] * axnl

            u = _wrap(xl - nodem)
            eo1 = u
            tem5 = 0.0
            sineo1, coseo1 = sincos(eo1)
            big_step = abs(temp_drag) > _SMALL
            for step in range(KEPLER_STEPS):
                if step > 0:
                    # sin/cos at eo1 + tem5 by the addition formulas: no range reduction.
                    big_step = big_step or abs(tem5) > _SMALL
                    sineo1, coseo1 = rotate(sineo1, coseo1, tem5)
                tem5 = 1.0 - coseo1 * axnl - sineo1 * aynl
                tem5 = (u - aynl * coseo1 + axnl * sineo1 - eo1) / tem5
                tem5 = min(max(tem5, -0.95), 0.95)
                eo1 = eo1 + tem5
            # The C++ iterates until a step is below 1e-12 and keeps sin/cos from before that
            # last step, i.e. at the root to ~1e-12 rad. Here: KEPLER_STEPS Newton steps, then
            # sin/cos moved by the last step to first order (error <= tem5²/2 <= 5e-13 for
            # |tem5| <= _LAST_STEP). Newton's error after that step is at most
            # el/(2(1-el))·tem5² (|f''| <= el, f' >= 1-el for f(E) = E - axnl sin E + aynl cos E - u),
            # below 5e-13 rad for el <= 1/2. Together <= 1e-12 rad, <= 7 µm at LEO radii.
            # LEO orbits (e ~ 1e-4) end with |tem5| ~ 1e-12: the bounds hold with room to spare.
            sin_prev = sineo1
            sineo1 = sineo1 + tem5 * coseo1
            coseo1 = coseo1 - tem5 * sin_prev
            el2_k = axnl * axnl + aynl * aynl
            # Not converged, eccentric, or a step too large for rotate(): the exact kernel redoes it.
            unconverged = abs(tem5) > _LAST_STEP or el2_k > 0.25 or big_step

            ecose = axnl * coseo1 + aynl * sineo1
            esine = axnl * sineo1 - aynl * coseo1
            el2 = axnl * axnl + aynl * aynl
            pl = am * (1.0 - el2)
            code = 4.0 if (code == 0.0 and pl < 0.0) else code
            rl = am * (1.0 - ecose)
            inv_rl = 1.0 / rl
            rdotl = sqrt_am * esine * inv_rl
            rvdotl = math.sqrt(pl) * inv_rl
            betal = math.sqrt(1.0 - el2)
            temp = esine / (1.0 + betal)
            am_rl = am * inv_rl
            sinu = am_rl * (sineo1 - aynl - axnl * temp)
            cosu = am_rl * (coseo1 - axnl + aynl * temp)
            sin2u = (cosu + cosu) * sinu
            cos2u = 1.0 - 2.0 * sinu * sinu
            temp = 1.0 / pl
            temp1 = 0.5 * j2 * temp
            temp2 = temp1 * temp
            con41 = blocks[k + CON41 * TILE]
            x1mth2 = blocks[k + X1MTH2 * TILE]
            mrt = rl * (1.0 - 1.5 * temp2 * betal * con41) + 0.5 * temp1 * x1mth2 * cos2u
            # su = atan2(sinu, cosu) - d, then sin/cos of it, by the difference identities.
            d = 0.25 * temp2 * blocks[k + X7THM1 * TILE] * sin2u
            sin_d, cos_d = sincos_small(d)
            # (sinu, cosu) is a unit vector by construction (rl = am(1 - e cos E)), so
            # sin/cos of atan2(sinu, cosu) are sinu and cosu themselves.
            sinsu = sinu * cos_d - cosu * sin_d
            cossu = cosu * cos_d + sinu * sin_d
            xnode = nodem + 1.5 * temp2 * cosip * sin2u
            dinc = 1.5 * temp2 * cosip * sinip * cos2u  # xinc = inclo + dinc
            snod, cnod = sincos(xnode)
            sini, cosi = rotate(sinip, cosip, dinc)
            xmx = -snod * cosi
            xmy = cnod * cosi
            ux = xmx * sinsu + cnod * cossu
            uy = xmy * sinsu + snod * cossu
            uz = sini * sinsu
            code = 6.0 if (code == 0.0 and mrt < 1.0) else code
            bad = code != 0.0
            x = np.nan if bad else (mrt * ux) * radius_km
            y = np.nan if bad else (mrt * uy) * radius_km
            z = np.nan if bad else (mrt * uz) * radius_km
            if velocities:  # the TEME rows: only the full variant copies them out
                out[0 * TILE + j] = x
                out[1 * TILE + j] = y
                out[2 * TILE + j] = z
            # TEME -> PEF -> ITRF (frames.rotate_state, inline so it vectorises too).
            px = cth * x + sth * y
            py = -sth * x + cth * y
            out[6 * TILE + j] = w00 * px + w01 * py + w02 * z
            out[7 * TILE + j] = w10 * px + w11 * py + w12 * z
            out[8 * TILE + j] = w20 * px + w21 * py + w22 * z
            out[12 * TILE + j] = code
            out[13 * TILE + j] = 1.0 if unconverged else 0.0
            if velocities:  # a constant of this variant: compiled in or out, never tested
                mvt = rdotl - nm * temp1 * x1mth2 * sin2u * inv_xke
                rvdot = rvdotl + nm * temp1 * (x1mth2 * cos2u + 1.5 * con41) * inv_xke
                vx = xmx * cossu - cnod * sinsu
                vy = xmy * cossu - snod * sinsu
                vz = sini * cossu
                qx = np.nan if bad else (mvt * ux + rvdot * vx) * vkmpersec
                qy = np.nan if bad else (mvt * uy + rvdot * vy) * vkmpersec
                qz = np.nan if bad else (mvt * uz + rvdot * vz) * vkmpersec
                out[3 * TILE + j] = qx
                out[4 * TILE + j] = qy
                out[5 * TILE + j] = qz
                gx = cth * qx + sth * qy + omega * py
                gy = -sth * qx + cth * qy - omega * px
                out[9 * TILE + j] = w00 * gx + w01 * gy + w02 * qz
                out[10 * TILE + j] = w10 * gx + w11 * gy + w12 * qz
                out[11 * TILE + j] = w20 * gx + w21 * gy + w22 * qz

    return tile_states


# Two variants, not one loop branching on an argument: LLVM does not unswitch a loop
# this large and if-converts the velocity part into masked stores (no time saved).
# numba keys its cache on closure values too, so both variants are cached.
tile_states = _make_tile_states(True)
tile_positions = _make_tile_states(False)


def tile_blocks(rows: np.ndarray) -> np.ndarray:
    """Lay out (len(ROWS), n) coefficient columns as tile blocks.

    The last tile is padded by repeating the last satellite (its results are
    computed and never stored).
    """
    n = rows.shape[1]
    n_tiles = (n + TILE - 1) // TILE
    padded = np.concatenate([rows, np.repeat(rows[:, -1:], n_tiles * TILE - n, axis=1)], axis=1)
    return np.ascontiguousarray(padded.reshape(N_RECORD, n_tiles, TILE).transpose(1, 0, 2)).ravel()


def tiles_per_job(n_times: int, n_sats: int, threads: int) -> int:
    """Tiles per job of :func:`propagate_itrf_approx`: as many as leave at least 8 jobs
    per thread to balance the load."""
    n_tiles = max(1, (n_sats + TILE - 1) // TILE)
    return max(1, min(n_tiles, n_times * n_tiles // (8 * max(1, threads))))


@jit
def _copy_out(out, row, n, t, c0, dest):
    """dest[t, c0 + q, :] = out[row .. row + 2, q] for q < n."""
    if t < 0 or c0 < 0:
        return  # never taken; proves the indices non-negative (no wraparound selects)
    for q in range(n):
        dest[t, c0 + q, 0] = out[row * TILE + q]
        dest[t, c0 + q, 1] = out[(row + 1) * TILE + q]
        dest[t, c0 + q, 2] = out[(row + 2) * TILE + q]


@pjit
def propagate_itrf_approx(coef, blocks, columns, contiguous, when, grav, teme, tiles_per_job,
                          out):
    """SGP4 + TEME -> ITRF for the near-Earth satellites, vectorised across satellites.

    Parameters
    ----------
    coef : (len(sgp4.ROWS), n) float64
        Compact coefficients of the near-Earth satellites, one column each (for
        the exact scalar fallback).
    blocks : (n_tiles · N_RECORD · TILE,) float64
        The same coefficients tiled for :func:`tile_states` (see
        :func:`tile_blocks`); the last tile is padded.
    columns : (n,) intp
        Output column of each satellite in the (n_times, n_total, 3) arrays.
    contiguous : bool
        True when ``columns`` is ``columns[0] + arange(n)``: the copy-out loop
        then has affine addresses and vectorises as well.
    when : frames.Instants
    grav : sgp4.Gravity
    teme : bool
        Only with ``out.full`` False: write TEME positions into ``out.r_itrf`` instead of
        ITRF ones (the Earth rotation becomes the identity, which is exact in floating
        point: ``1·x + 0·y == x``).
    tiles_per_job : int
        Tiles per parallel job (see :func:`tiles_per_job`).
    out : frames.States
        Write TEME and velocities too when ``out.full``; otherwise only ``r_itrf`` and
        ``error`` (the other arrays may be placeholders).
    """
    # Unpack the groups before the parallel loop (see sgp4.store_exact).
    jd, fr, dut1_s, xp_rad, yp_rad = when
    xke, j2, radius_km = grav
    full, r_teme, v_teme, r_itrf, v_itrf, error = out
    n_times = jd.shape[0]
    n = columns.shape[0]
    n_tiles = (n + TILE - 1) // TILE
    # A job is a run of tiles at one instant, so its scratch arrays and the Earth rotation
    # are set up once for all of them. The split never changes a result.
    per_job = max(1, min(n_tiles, tiles_per_job))
    jobs_per_time = (n_tiles + per_job - 1) // per_job
    for job in prange(n_times * jobs_per_time):
        t = job // jobs_per_time
        tile0 = (job % jobs_per_time) * per_job
        tile1 = min(tile0 + per_job, n_tiles)
        w = np.empty((3, 3))
        cth, sth, omega = rotation_for(teme and not full, jd[t], fr[t], dut1_s[t], xp_rad[t],
                                       yp_rad[t], w)
        rot = np.empty(12)
        rot[0] = cth
        rot[1] = sth
        rot[2] = omega
        for a in range(3):
            for b in range(3):
                rot[3 + 3 * a + b] = w[a, b]
        tile_out = np.empty(14 * TILE)
        state = np.empty(6)
        for tile in range(tile0, tile1):
            first = tile * TILE
            last = min(first + TILE, n)
            if full:
                tile_states(blocks, tile, last - first, jd[t], fr[t], xke, j2, radius_km, rot,
                            tile_out)
            else:
                tile_positions(blocks, tile, last - first, jd[t], fr[t], xke, j2, radius_km, rot,
                               tile_out)
            # Copy out to the time-first arrays, one output array per loop: each loop then
            # needs a single alias check and vectorises.
            n_here = last - first
            if contiguous:
                c0 = columns[0] + first
                _copy_out(tile_out, 6, n_here, t, c0, r_itrf)
                if full:
                    _copy_out(tile_out, 0, n_here, t, c0, r_teme)
                    _copy_out(tile_out, 3, n_here, t, c0, v_teme)
                    _copy_out(tile_out, 9, n_here, t, c0, v_itrf)
                for q in range(n_here):
                    error[t, c0 + q] = np.uint8(tile_out[12 * TILE + q])
            else:
                for q in range(n_here):
                    s = columns[first + q]
                    for a in range(3):
                        r_itrf[t, s, a] = tile_out[(6 + a) * TILE + q]
                        if full:
                            r_teme[t, s, a] = tile_out[a * TILE + q]
                            v_teme[t, s, a] = tile_out[(3 + a) * TILE + q]
                            v_itrf[t, s, a] = tile_out[(9 + a) * TILE + q]
                    error[t, s] = np.uint8(tile_out[12 * TILE + q])
            # Pass 3: the exact scalar kernel for satellites whose Kepler iteration had
            # not converged in KEPLER_STEPS (rare: eccentric orbits).
            for k in range(last - first):
                if tile_out[13 * TILE + k] == 0.0:
                    continue
                store_exact(coef, first + k, columns[first + k], t, jd[t], fr[t], grav, cth, sth,
                            omega, w, state, full, r_teme, v_teme, r_itrf, v_itrf, error)

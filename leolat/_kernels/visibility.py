"""Topocentric look angles and visibility on plain arrays.

Sites come as rows of the ``layout.SITE_*`` columns (x, y, z km, sin/cos of the geodetic
latitude, sin/cos of the longitude), so "up" is the ellipsoid normal, as skyfield's ``altaz``.
Satellite positions are ITRF, time-first (n_times, n_sats, 3); NaN positions
(failed SGP4) are never visible. Loops are parallel over time steps and write
disjoint outputs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import jit, pjit
from .layout import SITE_COS_LAT, SITE_COS_LON, SITE_SIN_LAT, SITE_SIN_LON, SITE_X, SITE_Y, SITE_Z

_RAD2DEG = 180.0 / math.pi


@jit(inline="always")
def _enu(site, k, x, y, z):
    """(east, north, up) of the vector from site row ``k`` to (x, y, z)."""
    dx = x - site[k, SITE_X]
    dy = y - site[k, SITE_Y]
    dz = z - site[k, SITE_Z]
    slat, clat = site[k, SITE_SIN_LAT], site[k, SITE_COS_LAT]
    slon, clon = site[k, SITE_SIN_LON], site[k, SITE_COS_LON]
    e = -slon * dx + clon * dy
    t = clon * dx + slon * dy
    n = -slat * t + clat * dz
    u = clat * t + slat * dz
    return e, n, u


@jit(inline="always")
def _mask_at(table, k, az_deg, step_deg):
    """Mask elevation (deg) at ``az_deg`` for site ``k``: linear interpolation, periodic."""
    m = table.shape[1]
    x = az_deg / step_deg
    i = int(math.floor(x)) % m
    f = x - math.floor(x)
    j = (i + 1) % m
    return table[k, i] * (1.0 - f) + table[k, j] * f


@pjit
def look_angles(r_itrf, site, az_deg, el_deg, range_km):
    """Azimuth (0 = north, clockwise), elevation and range, each (n_times, n_sites, n_sats)."""
    n_times, n_sats = r_itrf.shape[0], r_itrf.shape[1]
    n_sites = site.shape[0]
    for t in prange(n_times):
        for k in range(n_sites):
            for s in range(n_sats):
                e, n, u = _enu(site, k, r_itrf[t, s, 0], r_itrf[t, s, 1], r_itrf[t, s, 2])
                horiz = math.sqrt(e * e + n * n)
                az = math.atan2(e, n) * _RAD2DEG
                az_deg[t, k, s] = az + 360.0 if az < 0.0 else az
                el_deg[t, k, s] = math.atan2(u, horiz) * _RAD2DEG
                range_km[t, k, s] = math.sqrt(horiz * horiz + u * u)


@jit
def _is_visible(site, table, step_deg, min_el_deg, k, x, y, z):
    """Exact test for one satellite from site ``k``: elevation >= max(min_el, mask(az)).

    Returns the elevation in degrees if visible, else NaN (also for NaN positions).
    """
    e, n, u = _enu(site, k, x, y, z)
    el = math.atan2(u, math.sqrt(e * e + n * n)) * _RAD2DEG
    if not (el >= min_el_deg):
        return np.nan
    if table.shape[0] > 0:
        az = math.atan2(e, n) * _RAD2DEG
        az = az + 360.0 if az < 0.0 else az
        if el < _mask_at(table, k, az, step_deg):
            return np.nan
    return el


@jit
def _floor_deg(table, k, min_el_deg):
    """Lowest threshold max(min_el, mask(az)) of site k over all azimuths."""
    if table.shape[0] > 0:
        return max(min_el_deg, table[k].min())
    return min_el_deg


# Relative band around the threshold inside which the fast test defers to the exact one:
# far wider than the rounding of either formulation (~1e-16), far narrower than anything
# physical (1e-12 rad is 7 µm at 7,000 km).
_BAND = 1e-12


@jit
def _count_fast(r_itrf, t, site, k, sin_thr):
    """Satellites clearly above sin_thr (u >= sin_thr·range), and how many sit in the
    ambiguous band; written as a plain reduction so LLVM vectorises it."""
    sx, sy, sz = site[k, SITE_X], site[k, SITE_Y], site[k, SITE_Z]
    slat, clat = site[k, SITE_SIN_LAT], site[k, SITE_COS_LAT]
    slon, clon = site[k, SITE_SIN_LON], site[k, SITE_COS_LON]
    ux, uy, uz = clat * clon, clat * slon, slat
    above = 0
    band = 0
    for s in range(r_itrf.shape[1]):
        dx = r_itrf[t, s, 0] - sx
        dy = r_itrf[t, s, 1] - sy
        dz = r_itrf[t, s, 2] - sz
        u = ux * dx + uy * dy + uz * dz
        rng = math.sqrt(dx * dx + dy * dy + dz * dz)
        diff = u - sin_thr * rng
        above += 1 if diff > _BAND * rng else 0
        band += 1 if abs(diff) <= _BAND * rng else 0
    return above, band


@pjit
def visible_counts(r_itrf, site, table, step_deg, min_el_deg, counts):
    """counts[t, k] = number of satellites visible from site k at time t.

    Without a mask, the count is a vectorised test ``up >= sin(min_el)·range`` with the
    rare satellites within 1e-12 of the threshold settled by the exact atan2 test. With
    a mask, satellites above the site's lowest threshold are checked exactly.
    """
    n_times, n_sats = r_itrf.shape[0], r_itrf.shape[1]
    n_sites = site.shape[0]
    masked = table.shape[0] > 0
    for t in prange(n_times):
        for k in range(n_sites):
            floor = _floor_deg(table, k, min_el_deg)
            sin_thr = math.sin(floor / _RAD2DEG)
            above, band = _count_fast(r_itrf, t, site, k, sin_thr)
            if not masked and band == 0:
                counts[t, k] = above
                continue
            # Exact pass over the candidates: everything not clearly below the floor.
            c = 0
            for s in range(n_sats):
                e, n, u = _enu(site, k, r_itrf[t, s, 0], r_itrf[t, s, 1], r_itrf[t, s, 2])
                rng = math.sqrt(e * e + n * n + u * u)
                if not (u - sin_thr * rng >= -_BAND * rng):
                    continue
                el = _is_visible(site, table, step_deg, min_el_deg, k,
                                 r_itrf[t, s, 0], r_itrf[t, s, 1], r_itrf[t, s, 2])
                if el == el:
                    c += 1
            counts[t, k] = c


@pjit
def visible_listing(r_itrf, site, table, step_deg, min_el_deg, offsets, t_out, site_out, sat_out,
                    el_out):
    """Fill the sparse (time, site, satellite, elevation) listing.

    ``offsets[t]`` is where time ``t``'s entries start (a prefix sum of
    :func:`visible_counts` over sites); each time writes its own range.
    """
    n_times, n_sats = r_itrf.shape[0], r_itrf.shape[1]
    n_sites = site.shape[0]
    for t in prange(n_times):
        p = offsets[t]
        for k in range(n_sites):
            sin_thr = math.sin(_floor_deg(table, k, min_el_deg) / _RAD2DEG)
            for s in range(n_sats):
                e, n, u = _enu(site, k, r_itrf[t, s, 0], r_itrf[t, s, 1], r_itrf[t, s, 2])
                rng = math.sqrt(e * e + n * n + u * u)
                if not (u - sin_thr * rng >= -_BAND * rng):
                    continue  # clearly below the lowest threshold (or NaN)
                el = _is_visible(site, table, step_deg, min_el_deg, k,
                                 r_itrf[t, s, 0], r_itrf[t, s, 1], r_itrf[t, s, 2])
                if el == el:
                    t_out[p] = t
                    site_out[p] = k
                    sat_out[p] = s
                    el_out[p] = el
                    p += 1


@pjit
def elevation_pairs(r_itrf, site, site_idx, el_deg):
    """Elevation (deg) of point i (r_itrf[i]) from site site_idx[i], for arbitrary pairs."""
    for i in prange(r_itrf.shape[0]):
        e, n, u = _enu(site, site_idx[i], r_itrf[i, 0], r_itrf[i, 1], r_itrf[i, 2])
        el_deg[i] = math.atan2(u, math.sqrt(e * e + n * n)) * _RAD2DEG


@pjit
def elevations(r_itrf, site, el_deg):
    """Elevation (deg) of every satellite from every site, (n_times, n_sites, n_sats) float32."""
    n_times, n_sats = r_itrf.shape[0], r_itrf.shape[1]
    n_sites = site.shape[0]
    for t in prange(n_times):
        for k in range(n_sites):
            for s in range(n_sats):
                e, n, u = _enu(site, k, r_itrf[t, s, 0], r_itrf[t, s, 1], r_itrf[t, s, 2])
                el_deg[t, k, s] = math.atan2(u, math.sqrt(e * e + n * n)) * _RAD2DEG

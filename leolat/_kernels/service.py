"""Kernels of the operator service model: which satellite serves each terminal, the exit
distances of every satellite to a PoP, and the light time of fixed paths.

Sites are ``layout.SITE_*`` rows; positions are Earth-fixed km; NaN positions (failed or
out-of-service satellites) are never eligible and never relay.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import jit, pjit
from .dijkstra import heap_pop, heap_push
from .graph import isl_usable
from .layout import SITE_COS_LAT, SITE_COS_LON, SITE_SIN_LAT, SITE_SIN_LON, SITE_X, SITE_Y, SITE_Z
from .visibility import _enu

_RAD2DEG = 180.0 / math.pi
GSO_RADIUS_KM = 42164.17  # geostationary orbit radius (IERS/ITU: 42,164 km)
_ARC_SAMPLES = 720        # 0.5° of GSO longitude per coarse sample
SELECT_MAX_ELEVATION, SELECT_LONGEST_REMAINING, SELECT_SEEDED_RANDOM = 0, 1, 2


@jit(inline="always")
def _up_elevation(site, k, x, y, z):
    e, n, u = _enu(site, k, x, y, z)
    return math.atan2(u, math.sqrt(e * e + n * n)) * _RAD2DEG


@jit
def gso_separation_deg(site, k, x, y, z):
    """Smallest angle (deg), seen from site ``k``, between the direction to (x, y, z) and the
    geostationary arc (every point of the ring of radius GSO_RADIUS_KM in the equator
    plane): 0.5° samples, then a golden-section refinement around the best."""
    sx, sy, sz = site[k, SITE_X], site[k, SITE_Y], site[k, SITE_Z]
    dx, dy, dz = x - sx, y - sy, z - sz
    dn = math.sqrt(dx * dx + dy * dy + dz * dz)
    dx, dy, dz = dx / dn, dy / dn, dz / dn
    best, best_lon = -2.0, 0.0
    for i in range(_ARC_SAMPLES):
        lon = 2.0 * math.pi * i / _ARC_SAMPLES
        gx, gy, gz = GSO_RADIUS_KM * math.cos(lon) - sx, GSO_RADIUS_KM * math.sin(lon) - sy, -sz
        c = (dx * gx + dy * gy + dz * gz) / math.sqrt(gx * gx + gy * gy + gz * gz)
        if c > best:
            best, best_lon = c, lon
    lo, hi = best_lon - 2.0 * math.pi / _ARC_SAMPLES, best_lon + 2.0 * math.pi / _ARC_SAMPLES
    phi = 0.6180339887498949
    for _ in range(40):  # golden section on the cosine, unimodal near the coarse best
        m1, m2 = hi - phi * (hi - lo), lo + phi * (hi - lo)
        g1x, g1y = GSO_RADIUS_KM * math.cos(m1) - sx, GSO_RADIUS_KM * math.sin(m1) - sy
        g2x, g2y = GSO_RADIUS_KM * math.cos(m2) - sx, GSO_RADIUS_KM * math.sin(m2) - sy
        c1 = (dx * g1x + dy * g1y - dz * sz) / math.sqrt(g1x * g1x + g1y * g1y + sz * sz)
        c2 = (dx * g2x + dy * g2y - dz * sz) / math.sqrt(g2x * g2x + g2y * g2y + sz * sz)
        if c1 > c2:
            hi = m2
        else:
            lo = m1
    m = 0.5 * (lo + hi)
    gx, gy = GSO_RADIUS_KM * math.cos(m) - sx, GSO_RADIUS_KM * math.sin(m) - sy
    c = (dx * gx + dy * gy - dz * sz) / math.sqrt(gx * gx + gy * gy + sz * sz)
    c = max(c, best)
    return math.acos(min(1.0, max(-1.0, c))) * _RAD2DEG


@pjit
def gso_ring_directions(site, terminals, out):
    """Unit vectors (m, _ARC_SAMPLES, 3) from each terminal to the GSO ring's 0.5° samples:
    fixed for a terminal (both are Earth-fixed), so computed once per run."""
    for j in prange(terminals.size):
        k = terminals[j]
        sx, sy, sz = site[k, SITE_X], site[k, SITE_Y], site[k, SITE_Z]
        for i in range(_ARC_SAMPLES):
            lon = 2.0 * math.pi * i / _ARC_SAMPLES
            gx, gy, gz = GSO_RADIUS_KM * math.cos(lon) - sx, GSO_RADIUS_KM * math.sin(lon) - sy, -sz
            n = math.sqrt(gx * gx + gy * gy + gz * gz)
            out[j, i, 0] = gx / n
            out[j, i, 1] = gy / n
            out[j, i, 2] = gz / n


@jit(inline="always")
def _gso_clear(site, k, ring, j, x, y, z, excl_deg):
    """Whether (x, y, z) is at least ``excl_deg`` from the GSO arc seen from site k: the
    coarse 0.5° samples decide unless the answer is within 1° of the limit (the samples'
    error is below 0.35°), then the exact search does."""
    sx, sy, sz = site[k, SITE_X], site[k, SITE_Y], site[k, SITE_Z]
    dx, dy, dz = x - sx, y - sy, z - sz
    dn = math.sqrt(dx * dx + dy * dy + dz * dz)
    dx, dy, dz = dx / dn, dy / dn, dz / dn
    best = -2.0
    for i in range(ring.shape[1]):
        c = dx * ring[j, i, 0] + dy * ring[j, i, 1] + dz * ring[j, i, 2]
        if c > best:
            best = c
    coarse = math.acos(min(1.0, max(-1.0, best))) * _RAD2DEG
    if coarse > excl_deg + 1.0:
        return True
    return gso_separation_deg(site, k, x, y, z) >= excl_deg


@jit(inline="always")
def _mix(a, b):
    """A deterministic 64-bit hash of two integers (splitmix64 finaliser)."""
    z = (a * 0x9E3779B97F4A7C15 + b) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


@pjit
def select_serving(r, ahead, site, terminals, ring, min_el_deg, gso_excl_deg, rule, seed, epoch,
                   out_sat, out_el):
    """The serving satellite of each terminal at one instant.

    Parameters
    ----------
    r : (n_sats, 3) float64
        Positions now.
    ahead : (n_ahead, n_sats, 3) float64
        Positions at later instants (for ``longest_remaining``; may be empty).
    site : (n_sites, SITE_COLUMNS) float64
    terminals : (m,) int64
        Site rows to serve.
    ring : (m, _ARC_SAMPLES, 3) float64
        :func:`gso_ring_directions` of those terminals.
    min_el_deg, gso_excl_deg : float
        Eligible: elevation >= min_el_deg and separation from the GSO arc >= gso_excl_deg.
    rule : int
        SELECT_MAX_ELEVATION, SELECT_LONGEST_REMAINING (most later instants above the
        mask, ties to the higher satellite) or SELECT_SEEDED_RANDOM (a hash of seed,
        epoch, terminal and satellite).
    out_sat : (m,) int64
        Serving satellite, -1 when none is eligible.
    out_el : (m,) float64
        Its elevation (deg), NaN when none.
    """
    n_sats = r.shape[0]
    n_ahead = ahead.shape[0]
    sin_min = math.sin(min_el_deg / _RAD2DEG)
    for j in prange(terminals.size):
        k = terminals[j]
        sx, sy, sz = site[k, SITE_X], site[k, SITE_Y], site[k, SITE_Z]
        # "up" (the ellipsoid normal) at the site
        ux = site[k, SITE_COS_LAT] * site[k, SITE_COS_LON]
        uy = site[k, SITE_COS_LAT] * site[k, SITE_SIN_LON]
        uz = site[k, SITE_SIN_LAT]
        best, best_key, best_el = -1, -1.0e300, np.nan
        for s in range(n_sats):
            x, y, z = r[s, 0], r[s, 1], r[s, 2]
            dx, dy, dz = x - sx, y - sy, z - sz
            up = dx * ux + dy * uy + dz * uz
            # sin(elevation) = up / |d| >= sin(mask), without a square root or an atan2
            # for the satellites below the horizon or the mask (nearly all of them)
            if not up > 0.0 or up * up < sin_min * sin_min * (dx * dx + dy * dy + dz * dz):
                continue
            el = _up_elevation(site, k, x, y, z)
            if not el >= min_el_deg:
                continue
            if rule == SELECT_MAX_ELEVATION:
                key = el
            elif rule == SELECT_LONGEST_REMAINING:
                stay = 0
                for a in range(n_ahead):
                    if not _up_elevation(site, k, ahead[a, s, 0], ahead[a, s, 1],
                                         ahead[a, s, 2]) >= min_el_deg:
                        break
                    stay += 1
                key = stay * 1000.0 + el
            else:
                key = float(_mix(_mix(seed, epoch), _mix(k, s)) >> 11)
            if not key > best_key:
                continue
            # The GSO test, the costly one, only for a satellite that would be chosen.
            if gso_excl_deg > 0.0 and not _gso_clear(site, k, ring, j, x, y, z, gso_excl_deg):
                continue
            best, best_key, best_el = s, key, el
        out_sat[j] = best
        out_el[j] = best_el


@jit
def exit_distances(n_sats, indptr, indices, weights, seed_sat, seed_cost, seed_gw, dist, nxt,
                   gw, heap_d, heap_v, target, n_target):
    """Multi-source Dijkstra over the ISL graph towards one PoP.

    ``seed_sat[i]`` can exit through gateway ``seed_gw[i]`` at cost ``seed_cost[i]``
    (feeder + backhaul, light-km). On return ``dist[s]`` is the cheapest light-km from
    satellite s to the PoP, ``nxt[s]`` the next satellite on that path (-1 at the exit
    satellite) and ``gw[s]`` the gateway it exits through (-1: unreachable). The search
    stops once the ``n_target`` satellites marked in ``target`` are settled (their values are
    final; others' may not be).
    """
    remaining = n_target
    for v in range(n_sats):
        dist[v] = np.inf
        nxt[v] = -1
        gw[v] = -1
    size = 0
    for i in range(seed_sat.size):
        v = seed_sat[i]
        if seed_cost[i] < dist[v]:
            dist[v] = seed_cost[i]
            gw[v] = seed_gw[i]
            nxt[v] = -1
            size = heap_push(heap_d, heap_v, size, seed_cost[i], v)
    while size > 0:
        d, v, size = heap_pop(heap_d, heap_v, size)
        if d > dist[v]:
            continue
        if target[v]:
            target[v] = False  # settled once
            remaining -= 1
            if remaining <= 0:
                break
        for e in range(indptr[v], indptr[v + 1]):
            w = indices[e]
            nd = d + weights[e]
            if nd < dist[w]:
                dist[w] = nd
                nxt[w] = v
                gw[w] = gw[v]
                size = heap_push(heap_d, heap_v, size, nd, w)


@jit
def isl_csr(r, a, b, cross, max_range_km, min_radius_km, lat_cutoff_deg, indptr, indices,
            weights):
    """CSR (both directions) of the ISLs usable at positions r, weights in km; returns the
    number of directed edges written. ``indptr`` has n_sats + 1 entries."""
    n_sats = indptr.size - 1
    count = np.zeros(n_sats + 1, np.int64)
    ok = np.zeros(a.size, np.bool_)
    length = np.empty(a.size)
    for i in range(a.size):
        u, d = isl_usable(r, a[i], b[i], max_range_km, min_radius_km, cross[i], lat_cutoff_deg)
        ok[i] = u
        length[i] = d
        if u:
            count[a[i] + 1] += 1
            count[b[i] + 1] += 1
    indptr[0] = 0
    for v in range(n_sats):
        indptr[v + 1] = indptr[v] + count[v + 1]
    fill = indptr[:-1].copy()
    for i in range(a.size):
        if ok[i]:
            indices[fill[a[i]]] = b[i]
            weights[fill[a[i]]] = length[i]
            fill[a[i]] += 1
            indices[fill[b[i]]] = a[i]
            weights[fill[b[i]]] = length[i]
            fill[b[i]] += 1
    return indptr[n_sats]


@pjit
def evaluate_paths(r, site, terminals, serving, path, n_hops, exit_gw, gw_site, gw_on,
                   min_el_deg, gw_min_el_deg, max_range_km, min_radius_km, out_user_km,
                   out_isl_km, out_feeder_km, out_ok, out_serving_ok):
    """Light-km of each terminal's fixed path at positions r: terminal -> path[j, 0]
    (its serving satellite) -> ... -> path[j, n_hops[j]] (the exit satellite) -> gateway.
    ``out_serving_ok``: the serving satellite is still above the mask; ``out_ok``: every
    link of the path is still usable (ranges, line of sight, gateway elevation)."""
    for j in prange(terminals.size):
        out_user_km[j] = np.nan
        out_isl_km[j] = np.nan
        out_feeder_km[j] = np.nan
        out_ok[j] = False
        out_serving_ok[j] = False
        s = serving[j]
        if s < 0:
            continue
        k = terminals[j]
        x, y, z = r[s, 0], r[s, 1], r[s, 2]
        if not math.isfinite(x) or not _up_elevation(site, k, x, y, z) >= min_el_deg:
            continue
        out_serving_ok[j] = True
        dx, dy, dz = x - site[k, SITE_X], y - site[k, SITE_Y], z - site[k, SITE_Z]
        out_user_km[j] = math.sqrt(dx * dx + dy * dy + dz * dz)
        g = exit_gw[j]
        if g < 0 or not gw_on[g]:
            continue
        total, ok = 0.0, True
        for h in range(n_hops[j]):
            u, d = isl_usable(r, path[j, h], path[j, h + 1], max_range_km, min_radius_km,
                              False, 90.0)
            if not u:
                ok = False
                break
            total += d
        if not ok:
            continue
        e = path[j, n_hops[j]]
        ex, ey, ez = r[e, 0], r[e, 1], r[e, 2]
        if not _up_elevation(gw_site, g, ex, ey, ez) >= gw_min_el_deg:
            continue
        fx, fy, fz = ex - gw_site[g, SITE_X], ey - gw_site[g, SITE_Y], ez - gw_site[g, SITE_Z]
        out_isl_km[j] = total
        out_feeder_km[j] = math.sqrt(fx * fx + fy * fy + fz * fz)
        out_ok[j] = True


_CELL_DEG = 5.0  # sky-grid cell of the feeder-link search (geocentric latitude x longitude)


@jit
def feeder_links(r, gw_site, gw_on, min_el_deg, out_g, out_s):
    """Every (gateway, satellite) pair with the satellite at least ``min_el_deg`` above the
    gateway, by the sine of the elevation (no atan2); returns how many were written.

    Satellites are binned into 5° cells of geocentric latitude and longitude once; each
    gateway tests only the cells within the largest Earth-central angle at which a satellite
    can clear the mask (about 9° for 550 km at 25°): a gateway sees about 1 % of a
    constellation, and hundreds of gateways would otherwise test every satellite.
    """
    sin_min = math.sin(min_el_deg / _RAD2DEG)
    cos_min = math.cos(min_el_deg / _RAD2DEG)
    n_lat, n_lon = int(180.0 / _CELL_DEG), int(360.0 / _CELL_DEG)
    n = r.shape[0]
    cell = np.full(n, -1, np.int64)
    count = np.zeros(n_lat * n_lon + 1, np.int64)
    r_max = 0.0
    for s in range(n):
        x, y, z = r[s, 0], r[s, 1], r[s, 2]
        rs = math.sqrt(x * x + y * y + z * z)
        if not rs > 0.0:  # NaN: out of service
            continue
        r_max = max(r_max, rs)
        la = min(int((math.asin(z / rs) * _RAD2DEG + 90.0) / _CELL_DEG), n_lat - 1)
        lo = min(int((math.atan2(y, x) * _RAD2DEG + 180.0) / _CELL_DEG), n_lon - 1)
        cell[s] = la * n_lon + lo
        count[cell[s] + 1] += 1
    start = np.cumsum(count)  # CSR over cells
    members = np.empty(n, np.int64)
    fill = start[:-1].copy()
    for s in range(n):
        if cell[s] >= 0:
            members[fill[cell[s]]] = s
            fill[cell[s]] += 1
    m = 0
    for g in range(gw_site.shape[0]):
        if not gw_on[g]:
            continue
        sx, sy, sz = gw_site[g, SITE_X], gw_site[g, SITE_Y], gw_site[g, SITE_Z]
        ux = gw_site[g, SITE_COS_LAT] * gw_site[g, SITE_COS_LON]
        uy = gw_site[g, SITE_COS_LAT] * gw_site[g, SITE_SIN_LON]
        uz = gw_site[g, SITE_SIN_LAT]
        rg = math.sqrt(sx * sx + sy * sy + sz * sz)
        # Largest central angle to radius r_max at the mask (spherical), plus 1° for the
        # geodetic normal's tilt (at most 0.2°) and the cell edges' rounding.
        psi = (math.acos(min(rg * cos_min / max(r_max, rg), 1.0)) * _RAD2DEG - min_el_deg
               + 1.0)
        glat = math.asin(sz / rg) * _RAD2DEG
        glon = math.atan2(sy, sx) * _RAD2DEG
        la0 = max(int((glat - psi + 90.0) / _CELL_DEG), 0)
        la1 = min(int((glat + psi + 90.0) / _CELL_DEG), n_lat - 1)
        edge = min(abs(glat) + psi, 89.0)
        half = psi / math.cos(edge / _RAD2DEG)  # longitude half-width at the far edge
        all_lon = half >= 180.0 - _CELL_DEG
        lo0 = int(math.floor((glon - half + 180.0) / _CELL_DEG))
        lo1 = int(math.floor((glon + half + 180.0) / _CELL_DEG))
        if all_lon:
            lo0, lo1 = 0, n_lon - 1
        for la in range(la0, la1 + 1):
            for lo_raw in range(lo0, lo1 + 1):
                c = la * n_lon + (lo_raw % n_lon)
                for k in range(start[c], start[c + 1]):
                    s = members[k]
                    dx, dy, dz = r[s, 0] - sx, r[s, 1] - sy, r[s, 2] - sz
                    up = dx * ux + dy * uy + dz * uz
                    if up > 0.0 and up * up >= sin_min * sin_min * (dx * dx + dy * dy + dz * dz):
                        out_g[m] = g
                        out_s[m] = s
                        m += 1
    return m

"""Snapshot graphs (CSR) and shortest paths, on plain arrays.

Nodes: satellites 0..n_sats-1, then ground nodes n_sats..n_sats+n_gs-1.
Edges are undirected, stored in both directions, weighted by light-travel length
in km (geometric length for radio and laser links; length × refractive index for
fiber, so that a weight is always one-way delay × c).

Edge kinds: 0 ISL, 1 GSL, 2 backbone fiber, 3 access fiber (a metro tail that
any satellite path needs to land at a fiber-only node).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._jit import jit
from .layout import SITE_COS_LAT, SITE_COS_LON, SITE_SIN_LAT, SITE_SIN_LON, SITE_X, SITE_Y, SITE_Z

_RAD2DEG = 180.0 / math.pi
KIND_ISL, KIND_GSL, KIND_BACKBONE, KIND_ACCESS = 0, 1, 2, 3
# Path media (the medium output): no path, fiber only, satellites only (plus access
# tails), satellites and backbone fiber.
MEDIUM_NONE, MEDIUM_FIBER, MEDIUM_LEO, MEDIUM_LEO_FIBER = -1, 0, 1, 2
# End step of an outage without an end.
FOREVER = np.iinfo(np.int64).max // 2


# ---- Argument groups (numba compiles named tuples field by field: no cost at run time).
class IslLinks(NamedTuple):
    """The static ISL list and the rules that decide, per step, whether a link is usable."""

    a: np.ndarray               # (n_isl,) int64 satellite index of one end
    b: np.ndarray               # (n_isl,) int64 the other end
    cross: np.ndarray           # (n_isl,) bool: cross-plane link (the latitude cutoff applies)
    max_range_km: float
    min_radius_km: float        # line of sight must clear this radius from the Earth's centre
    lat_cutoff_deg: float       # cross-plane links off beyond this latitude (90: never)


class GslRule(NamedTuple):
    """Which ground-satellite links exist at a step."""

    min_elevation_deg: float    # -90 when only the range rule applies
    max_range_km: float         # inf when only the elevation rule applies
    by_range: bool              # rank candidates by range (else by elevation)
    per_station: int            # best links kept per ground node (0: all)
    per_satellite: int          # at most this many per satellite (0: unlimited)


class Ground(NamedTuple):
    """Ground nodes: frames in the ``layout.SITE_*`` columns and two role masks."""

    frames: np.ndarray          # (n_gs, SITE_COLUMNS) float64
    relay: np.ndarray           # (n_gs,) bool: may forward traffic
    gsl_ok: np.ndarray          # (n_gs,) bool: may have GSLs at all


class Fiber(NamedTuple):
    """Static fiber links between ground nodes."""

    a: np.ndarray               # (n_fib,) int64 ground-node index
    b: np.ndarray               # (n_fib,) int64
    length_km: np.ndarray       # (n_fib,) float64 light-travel length: one-way delay × c
    kind: np.ndarray            # (n_fib,) int8 KIND_BACKBONE or KIND_ACCESS


class Outages(NamedTuple):
    """Items switched off over global steps ``t0 <= t < t1``: a fiber link index, or
    n_fib + ground node for that node's GSLs."""

    item: np.ndarray            # (n_out,) int64
    t0: np.ndarray              # (n_out,) int64
    t1: np.ndarray              # (n_out,) int64


class PairPlan(NamedTuple):
    """Pairs grouped by source: ``pairs_of_source[pairs_ptr[k]:pairs_ptr[k+1]]`` are the
    pairs of ground node ``sources[k]``; ``destination[p]`` is pair p's ground node."""

    sources: np.ndarray
    pairs_ptr: np.ndarray
    pairs_of_source: np.ndarray
    destination: np.ndarray


class RouteOut(NamedTuple):
    """Per (time, pair) outputs of :func:`route_steps`, each (n_times, n_pairs)."""

    distance_km: np.ndarray     # float64, NaN if unreachable
    hops: np.ndarray            # int32, -1 if unreachable (and the three below)
    isl_hops: np.ndarray
    gsl_hops: np.ndarray
    fiber_hops: np.ndarray
    fiber_km: np.ndarray        # float64: the fiber part of distance_km
    medium: np.ndarray          # int8 MEDIUM_*
    first_sat: np.ndarray       # int64, -1 if none
    last_sat: np.ndarray


@jit
def isl_usable(r, a, b, max_range_km, min_radius_km, cross, lat_cutoff_deg):
    """Whether the ISL a-b exists at positions r (n_sats, 3): range, Earth clearance,
    and (for cross-plane links) the latitude cutoff. NaN positions give False."""
    ax, ay, az = r[a, 0], r[a, 1], r[a, 2]
    bx, by, bz = r[b, 0], r[b, 1], r[b, 2]
    dx, dy, dz = bx - ax, by - ay, bz - az
    d2 = dx * dx + dy * dy + dz * dz
    if not (d2 <= max_range_km * max_range_km):
        return False, 0.0
    # Closest approach of the segment to the Earth's centre.
    t = -(ax * dx + ay * dy + az * dz) / d2 if d2 > 0.0 else 0.0
    t = min(max(t, 0.0), 1.0)
    cx, cy, cz = ax + t * dx, ay + t * dy, az + t * dz
    if cx * cx + cy * cy + cz * cz < min_radius_km * min_radius_km:
        return False, 0.0
    if cross and lat_cutoff_deg < 90.0:
        la = math.asin(az / math.sqrt(ax * ax + ay * ay + az * az)) * _RAD2DEG
        lb = math.asin(bz / math.sqrt(bx * bx + by * by + bz * bz)) * _RAD2DEG
        if abs(la) > lat_cutoff_deg or abs(lb) > lat_cutoff_deg:
            return False, 0.0
    return True, math.sqrt(d2)


@jit
def gsl_candidates(r, gs, gs_on, min_el_deg, max_range_km, out_g, out_s, out_len, out_metric,
                   by_range):
    """Every ground-station/satellite pair allowed by the range and elevation rules,
    for the stations with ``gs_on`` set.

    Returns the number written. ``out_metric`` is the ranking value (lower is
    better): range, or minus the elevation.
    """
    n_sats = r.shape[0]
    sin_min = math.sin(min_el_deg / _RAD2DEG)
    max_range2 = max_range_km * max_range_km * (1.0 + 1e-12)  # exact test after the sqrt
    m = 0
    for g in range(gs.shape[0]):
        if not gs_on[g]:
            continue
        sx, sy, sz = gs[g, SITE_X], gs[g, SITE_Y], gs[g, SITE_Z]
        slat, clat = gs[g, SITE_SIN_LAT], gs[g, SITE_COS_LAT]
        slon, clon = gs[g, SITE_SIN_LON], gs[g, SITE_COS_LON]
        ux, uy, uz = clat * clon, clat * slon, slat
        for s in range(n_sats):
            dx = r[s, 0] - sx
            dy = r[s, 1] - sy
            dz = r[s, 2] - sz
            rng2 = dx * dx + dy * dy + dz * dz
            if not (rng2 <= max_range2):  # no square root for the many far satellites
                continue
            u = ux * dx + uy * dy + uz * dz
            if u < 0.0 and sin_min >= 0.0:
                continue  # below the horizon
            rng = math.sqrt(rng2)
            if not (rng <= max_range_km):
                continue
            if not (u >= sin_min * rng):
                continue
            out_g[m] = g
            out_s[m] = s
            out_len[m] = rng
            out_metric[m] = rng if by_range else -math.asin(min(1.0, u / rng))
            m += 1
    return m


@jit
def select_gsl(n, g_idx, s_idx, metric, n_gs, n_sats, per_gs, per_sat, keep):
    """Greedy best-first selection under per-station and per-satellite link limits
    (0 = unlimited). Ties are broken by station, then satellite index."""
    if per_gs <= 0 and per_sat <= 0:
        for i in range(n):
            keep[i] = True
        return
    order = np.argsort(metric[:n], kind="mergesort")  # stable: ties keep (g, s) order
    used_g = np.zeros(n_gs, dtype=np.int64)
    used_s = np.zeros(n_sats, dtype=np.int64)
    for i in range(n):
        keep[i] = False
    for j in range(n):
        i = order[j]
        g, s = g_idx[i], s_idx[i]
        if per_gs > 0 and used_g[g] >= per_gs:
            continue
        if per_sat > 0 and used_s[s] >= per_sat:
            continue
        keep[i] = True
        used_g[g] += 1
        used_s[s] += 1


@jit
def build_csr(n_nodes, ea, eb, elen, ekind, n_edges, indptr, indices, weights, kinds):
    """Undirected edge list -> CSR (both directions, with each edge's kind), neighbours
    in edge order."""
    deg = np.zeros(n_nodes + 1, dtype=np.int64)
    for i in range(n_edges):
        deg[ea[i] + 1] += 1
        deg[eb[i] + 1] += 1
    for v in range(n_nodes):
        deg[v + 1] += deg[v]
    for v in range(n_nodes + 1):
        indptr[v] = deg[v]
    fill = deg[:n_nodes].copy()
    for i in range(n_edges):
        a, b, w, k = ea[i], eb[i], elen[i], ekind[i]
        indices[fill[a]] = b
        weights[fill[a]] = w
        kinds[fill[a]] = k
        fill[a] += 1
        indices[fill[b]] = a
        weights[fill[b]] = w
        kinds[fill[b]] = k
        fill[b] += 1


@jit
def snapshot_edges(r, isl, gsl, gs, gs_on, fiber, fib_on, ea, eb, elen, ekind, scratch_g,
                   scratch_s, scratch_len, scratch_metric, keep):
    """All usable edges of one time step: ISLs, GSLs of the ground nodes with ``gs_on``
    (``gs``: their frames), and the fiber links with ``fib_on``. Returns the count;
    see the module for kinds."""
    n_sats = r.shape[0]
    m = 0
    for i in range(isl.a.shape[0]):
        ok, d = isl_usable(r, isl.a[i], isl.b[i], isl.max_range_km, isl.min_radius_km,
                           isl.cross[i], isl.lat_cutoff_deg)
        if ok:
            ea[m] = isl.a[i]
            eb[m] = isl.b[i]
            elen[m] = d
            ekind[m] = KIND_ISL
            m += 1
    n = gsl_candidates(r, gs, gs_on, gsl.min_elevation_deg, gsl.max_range_km, scratch_g,
                       scratch_s, scratch_len, scratch_metric, gsl.by_range)
    select_gsl(n, scratch_g, scratch_s, scratch_metric, gs.shape[0], n_sats, gsl.per_station,
               gsl.per_satellite, keep)
    for i in range(n):
        if keep[i]:
            ea[m] = n_sats + scratch_g[i]
            eb[m] = scratch_s[i]
            elen[m] = scratch_len[i]
            ekind[m] = KIND_GSL
            m += 1
    for i in range(fiber.a.shape[0]):
        if fib_on[i]:
            ea[m] = n_sats + fiber.a[i]
            eb[m] = n_sats + fiber.b[i]
            elen[m] = fiber.length_km[i]
            ekind[m] = fiber.kind[i]
            m += 1
    return m

"""Coverage on plain arrays: visible counts by satellite-centred search, and running statistics.

Targets are indexed by 1° latitude bands, sorted by longitude inside each band.
Each satellite tests only the targets inside a conservative bound of its
visibility cap, then applies the exact test of :mod:`.visibility`, so counts equal
a brute-force search. Cost scales with satellites × nearby targets.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import jit, pjit
from .layout import (
    COV_COVERED,
    COV_EDGE_GAP_MAX,
    COV_EDGE_GAP_SUM,
    COV_EDGE_GAP_SUM2,
    COV_EDGE_GAPS,
    COV_FIRST_START,
    COV_GAP,
    COV_GAP_AT_START,
    COV_GAP_MAX,
    COV_GAP_SUM,
    COV_GAP_SUM2,
    COV_GAPS,
    COV_LAST_START,
    COV_MAX,
    COV_MIN,
    COV_STARTS,
    COV_STEPS,
    COV_SUM,
    COV_WAS_COVERED,
    SITE_COS_LAT,
    SITE_COS_LON,
    SITE_SIN_LAT,
    SITE_SIN_LON,
    SITE_X,
    SITE_Y,
    SITE_Z,
)
from .visibility import _BAND, _RAD2DEG, _is_visible

# Conservative Earth radius for the cap bound (polar radius: a smaller Earth gives a
# larger cap), and a margin for geodetic vs geocentric latitude (<= 0.2°).
_R_MIN_KM = 6356.7
_MARGIN_DEG = 0.5


@jit(inline="always")
def _sees(site, j, x, y, z, sin_min, min_el_deg):
    """Elevation of (x, y, z) from target j >= min_el: the trig-free test, with the exact
    atan2 test only within 1e-12 of the threshold (as visibility.visible_counts)."""
    dx = x - site[j, SITE_X]
    dy = y - site[j, SITE_Y]
    dz = z - site[j, SITE_Z]
    u = (site[j, SITE_COS_LAT] * (site[j, SITE_COS_LON] * dx + site[j, SITE_SIN_LON] * dy)
         + site[j, SITE_SIN_LAT] * dz)
    rng = math.sqrt(dx * dx + dy * dy + dz * dz)
    diff = u - sin_min * rng
    if diff > _BAND * rng:
        return True
    if diff < -_BAND * rng:
        return False
    el = _is_visible(site, np.zeros((0, 1)), 1.0, min_el_deg, j, x, y, z)
    return el == el


@pjit
def counts_by_cap(r_itrf, site, band_ptr, band_lo_deg, sorted_idx, sorted_lon, min_el_deg,
                  counts):
    """counts[t, j] = satellites with elevation >= min_el at target j (targets as
    ``site`` rows, see :func:`leolat.sites.site_frames`). One time step per
    parallel iteration (rows are disjoint)."""
    n_times, n_sats = r_itrf.shape[0], r_itrf.shape[1]
    n_bands = band_ptr.shape[0] - 1
    cos_e = math.cos(min_el_deg / _RAD2DEG)
    sin_min = math.sin(min_el_deg / _RAD2DEG)
    for t in prange(n_times):
        for j in range(counts.shape[1]):
            counts[t, j] = 0
        for s in range(n_sats):
            x, y, z = r_itrf[t, s, 0], r_itrf[t, s, 1], r_itrf[t, s, 2]
            r = math.sqrt(x * x + y * y + z * z)
            if not (r > _R_MIN_KM):
                continue  # NaN (failed) or inside the Earth
            cap = (math.acos(min(1.0, _R_MIN_KM * cos_e / r)) / (1.0 / _RAD2DEG)
                   - min_el_deg + _MARGIN_DEG)
            slat = math.asin(z / r) * _RAD2DEG
            slon = math.atan2(y, x) * _RAD2DEG
            sin_cap = math.sin(min(cap, 90.0) / _RAD2DEG)
            pole = abs(slat) + cap >= 90.0
            b_lo = max(0, int(math.floor(slat - cap - band_lo_deg)))
            b_hi = min(n_bands - 1, int(math.floor(slat + cap - band_lo_deg)))
            for b in range(b_lo, b_hi + 1):
                lo, hi = band_ptr[b], band_ptr[b + 1]
                if lo == hi:
                    continue
                # Widest longitude span of the cap within this band: points at latitude
                # phi within angle cap of the satellite differ in longitude by at most
                # asin(sin(cap) / cos(phi)); a cap over the pole spans every longitude.
                edge = max(abs(band_lo_deg + b), abs(band_lo_deg + b + 1))
                ratio = sin_cap / math.cos(edge / _RAD2DEG) if edge < 90.0 else 2.0
                if pole or ratio >= 1.0:
                    dlon = 360.0
                else:
                    dlon = math.asin(ratio) * _RAD2DEG + _MARGIN_DEG
                if dlon >= 180.0:
                    a0, a1, w0, w1 = lo, hi, lo, lo
                else:
                    l0 = slon - dlon
                    l1 = slon + dlon
                    a0 = lo + np.searchsorted(sorted_lon[lo:hi], max(l0, -180.0))
                    a1 = lo + np.searchsorted(sorted_lon[lo:hi], min(l1, 180.0), side="right")
                    # The part of the window that wraps past ±180°.
                    if l0 < -180.0:
                        w0 = lo + np.searchsorted(sorted_lon[lo:hi], l0 + 360.0)
                        w1 = hi
                    elif l1 > 180.0:
                        w0 = lo
                        w1 = lo + np.searchsorted(sorted_lon[lo:hi], l1 - 360.0, side="right")
                    else:
                        w0, w1 = lo, lo
                for q in range(a0, a1):
                    j = sorted_idx[q]
                    if _sees(site, j, x, y, z, sin_min, min_el_deg):
                        counts[t, j] += 1
                for q in range(w0, w1):
                    j = sorted_idx[q]
                    if _sees(site, j, x, y, z, sin_min, min_el_deg):
                        counts[t, j] += 1


@pjit
def update_stats(counts, k, hist, state):
    """Fold a chunk of counts (n_times, n_targets) into per-target running statistics.

    ``state`` (``COV_ROWS`` rows of float64, one column per target) holds the named rows
    of :mod:`.layout` (``COV_*``): sums, extremes, the gap in progress, closed gaps, and
    apart from them the gaps that touched the window start (for the edge convention).
    """
    n_times, n = counts.shape
    n_bins = hist.shape[1]
    for j in prange(n):
        for t in range(n_times):
            c = counts[t, j]
            step = state[COV_STEPS, j]
            state[COV_SUM, j] += c
            state[COV_MIN, j] = min(state[COV_MIN, j], c)
            state[COV_MAX, j] = max(state[COV_MAX, j], c)
            hist[j, min(c, n_bins - 1)] += 1
            covered = c >= k
            if covered:
                state[COV_COVERED, j] += 1
                if state[COV_GAP, j] > 0:  # a gap ends here
                    g = state[COV_GAP, j]
                    if state[COV_GAP_AT_START, j] > 0:
                        state[COV_EDGE_GAPS, j] += 1
                        state[COV_EDGE_GAP_MAX, j] = max(state[COV_EDGE_GAP_MAX, j], g)
                        state[COV_EDGE_GAP_SUM, j] += g
                        state[COV_EDGE_GAP_SUM2, j] += g * g
                    else:
                        state[COV_GAPS, j] += 1
                        state[COV_GAP_MAX, j] = max(state[COV_GAP_MAX, j], g)
                        state[COV_GAP_SUM, j] += g
                        state[COV_GAP_SUM2, j] += g * g
                    state[COV_GAP, j] = 0.0
                    state[COV_GAP_AT_START, j] = 0.0
                if state[COV_WAS_COVERED, j] == 0.0:  # a coverage interval starts
                    if state[COV_STARTS, j] == 0:
                        state[COV_FIRST_START, j] = step
                    state[COV_STARTS, j] += 1
                    state[COV_LAST_START, j] = step
                state[COV_WAS_COVERED, j] = 1.0
            else:
                if state[COV_GAP, j] == 0 and step == 0:
                    state[COV_GAP_AT_START, j] = 1.0
                state[COV_GAP, j] += 1
                state[COV_WAS_COVERED, j] = 0.0
            state[COV_STEPS, j] = step + 1

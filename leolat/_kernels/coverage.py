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
from .visibility import _BAND, _RAD2DEG, _is_visible

# Conservative Earth radius for the cap bound (polar radius: a smaller Earth gives a
# larger cap), and a margin for geodetic vs geocentric latitude (<= 0.2°).
_R_MIN_KM = 6356.7
_MARGIN_DEG = 0.5


@jit(inline="always")
def _sees(site, j, x, y, z, sin_min, min_el_deg):
    """Elevation of (x, y, z) from target j >= min_el: the trig-free test, with the exact
    atan2 test only within 1e-12 of the threshold (as visibility.visible_counts)."""
    dx = x - site[j, 0]
    dy = y - site[j, 1]
    dz = z - site[j, 2]
    u = site[j, 4] * (site[j, 6] * dx + site[j, 5] * dy) + site[j, 3] * dz
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

    ``state`` rows (float64, one column per target): 0 sum of counts, 1 min, 2 max,
    3 covered steps, 4 steps seen, 5 current gap length (steps), 6 whether the
    current gap started at the window start, 7 gaps closed, 8 longest closed gap,
    9 sum of closed gaps, 10 sum of squared closed gaps, 11 coverage intervals
    started, 12 step index of the first start, 13 step index of the last start,
    14 whether the previous step was covered, and 15..18 the same gap sums for
    gaps that touched the window start (kept apart for the edge convention):
    15 count, 16 max, 17 sum, 18 sum of squares.
    """
    n_times, n = counts.shape
    n_bins = hist.shape[1]
    for j in prange(n):
        for t in range(n_times):
            c = counts[t, j]
            step = state[4, j]
            state[0, j] += c
            state[1, j] = min(state[1, j], c)
            state[2, j] = max(state[2, j], c)
            hist[j, min(c, n_bins - 1)] += 1
            covered = c >= k
            if covered:
                state[3, j] += 1
                if state[5, j] > 0:  # a gap ends here
                    g = state[5, j]
                    if state[6, j] > 0:
                        state[15, j] += 1
                        state[16, j] = max(state[16, j], g)
                        state[17, j] += g
                        state[18, j] += g * g
                    else:
                        state[7, j] += 1
                        state[8, j] = max(state[8, j], g)
                        state[9, j] += g
                        state[10, j] += g * g
                    state[5, j] = 0.0
                    state[6, j] = 0.0
                if state[14, j] == 0.0:  # a coverage interval starts
                    if state[11, j] == 0:
                        state[12, j] = step
                    state[11, j] += 1
                    state[13, j] = step
                state[14, j] = 1.0
            else:
                if state[5, j] == 0 and step == 0:
                    state[6, j] = 1.0
                state[5, j] += 1
                state[14, j] = 0.0
            state[4, j] = step + 1

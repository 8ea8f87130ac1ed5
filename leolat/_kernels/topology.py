"""Nearest-neighbour laser link candidates: for each satellite, its ``k`` nearest others
within range and in line of sight (the segment between them clears the Earth)."""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import jit, pjit


@jit(inline="always")
def _clears(ax, ay, az, bx, by, bz, clear_radius_km):
    """Whether the segment a-b stays at least ``clear_radius_km`` from the Earth's centre."""
    dx, dy, dz = bx - ax, by - ay, bz - az
    dd = dx * dx + dy * dy + dz * dz
    t = 0.0 if dd == 0.0 else -(ax * dx + ay * dy + az * dz) / dd
    t = min(1.0, max(0.0, t))
    px, py, pz = ax + t * dx, ay + t * dy, az + t * dz
    return px * px + py * py + pz * pz >= clear_radius_km * clear_radius_km


@pjit
def nearest_candidates(r, sources, target, group, other_group_only, max_range_km,
                       clear_radius_km, out_j, out_d):
    """The ``k = out_j.shape[1]`` nearest eligible satellites of each source.

    Parameters
    ----------
    r : (n, 3) float64
        Positions (km, any Earth-centred frame); NaN rows take part in nothing.
    sources : (m,) int64
        Satellites to find neighbours for.
    target : (n,) bool
        Satellites that may be chosen.
    group : (n,) int64
        With ``other_group_only``, a neighbour must be of another group (shell).
    max_range_km, clear_radius_km : float
        Longest link; radius the link's line of sight must clear.
    out_j, out_d : (m, k) int64, float64
        Chosen indices (-1 where fewer are eligible) and distances (km), nearest first.
    """
    n = r.shape[0]
    k = out_j.shape[1]
    r2max = max_range_km * max_range_km
    for s in prange(sources.size):
        i = sources[s]
        for q in range(k):
            out_j[s, q] = -1
            out_d[s, q] = np.inf
        ax, ay, az = r[i, 0], r[i, 1], r[i, 2]
        if not (np.isfinite(ax) and np.isfinite(ay) and np.isfinite(az)):
            continue
        for j in range(n):
            if j == i or not target[j]:
                continue
            if other_group_only and group[j] == group[i]:
                continue
            dx, dy, dz = r[j, 0] - ax, r[j, 1] - ay, r[j, 2] - az
            d2 = dx * dx + dy * dy + dz * dz
            if not d2 <= r2max:  # NaN positions fail here too
                continue
            d = np.sqrt(d2)
            if d >= out_d[s, k - 1]:
                continue
            if not _clears(ax, ay, az, r[j, 0], r[j, 1], r[j, 2], clear_radius_km):
                continue
            q = k - 1
            while q > 0 and out_d[s, q - 1] > d:
                out_d[s, q] = out_d[s, q - 1]
                out_j[s, q] = out_j[s, q - 1]
                q -= 1
            out_d[s, q] = d
            out_j[s, q] = j

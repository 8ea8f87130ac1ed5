"""Slow, obviously correct twins of the visibility kernels, for comparison on random inputs."""

from __future__ import annotations

import math

import numpy as np


def enu(site_lat_deg, site_lon_deg, site_r_km, r_km):
    """East, north, up components of r - site in the site's geodetic frame (textbook matrix)."""
    lat, lon = math.radians(site_lat_deg), math.radians(site_lon_deg)
    rot = np.array([
        [-math.sin(lon), math.cos(lon), 0.0],
        [-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat)],
        [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)],
    ])
    return rot @ (np.asarray(r_km) - np.asarray(site_r_km))


def look_angles(r_itrf, sites):
    """(az, el, range) cubes by three nested Python loops."""
    n_t, n_s = r_itrf.shape[:2]
    k_n = len(sites)
    az = np.empty((n_t, k_n, n_s))
    el = np.empty_like(az)
    rng = np.empty_like(az)
    for t in range(n_t):
        for k in range(k_n):
            for s in range(n_s):
                e, n, u = enu(sites.lat_deg[k], sites.lon_deg[k], sites.r_itrf_km[k], r_itrf[t, s])
                az[t, k, s] = math.degrees(math.atan2(e, n)) % 360.0
                el[t, k, s] = math.degrees(math.atan2(u, math.hypot(e, n)))
                rng[t, k, s] = math.sqrt(e * e + n * n + u * u)
    return az, el, rng


def visible_counts(r_itrf, sites, min_elevation_deg, mask=None):
    """Counts by brute force: elevation >= max(min, mask(az)), NaN never visible."""
    az, el, _ = look_angles(r_itrf, sites)
    threshold = np.full(el.shape, float(min_elevation_deg))
    if mask is not None:
        threshold = np.maximum(threshold, mask(az))
    with np.errstate(invalid="ignore"):
        return np.sum(el >= threshold, axis=2)


def coverage_stats(counts_1d, k, step_s, edge_gaps="include"):
    """Coverage figures of one target's count series, by plain Python loops."""
    covered = [c >= k for c in counts_1d]
    n = len(covered)
    gaps = []  # (start, length)
    i = 0
    while i < n:
        if not covered[i]:
            j = i
            while j < n and not covered[j]:
                j += 1
            gaps.append((i, j - i))
            i = j
        else:
            i += 1
    if edge_gaps == "exclude":
        gaps = [(s, g) for s, g in gaps if s != 0 and s + g != n]
    starts = [i for i in range(n) if covered[i] and (i == 0 or not covered[i - 1])]
    lengths = [g * step_s for _, g in gaps]
    return {
        "mean_visible": sum(counts_1d) / n,
        "min_visible": min(counts_1d), "max_visible": max(counts_1d),
        "percent_covered": 100.0 * sum(covered) / n,
        "n_gaps": len(gaps),
        "max_gap_s": max(lengths) if lengths else 0.0,
        "mean_gap_s": sum(lengths) / len(lengths) if lengths else 0.0,
        "time_average_gap_s": sum(x * x for x in lengths) / (n * step_s),
        "mean_revisit_s": ((starts[-1] - starts[0]) / (len(starts) - 1) * step_s
                           if len(starts) >= 2 else float("nan")),
    }

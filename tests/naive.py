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

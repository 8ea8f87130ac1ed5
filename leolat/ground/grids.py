"""Global grids of points at cell centres, with the cell area (km², authalic sphere) of each."""

from __future__ import annotations

import math

import numpy as np

from ..base.errors import SiteError

__all__ = ["grid_points", "AUTHALIC_RADIUS_KM", "MAX_GRID_POINTS"]

# Most points of one global grid: 0.1° (6.5 million points) is the finest.
MAX_GRID_POINTS = 10_000_000
# Authalic radius of WGS84 (a sphere of the ellipsoid's area), for cell areas.
AUTHALIC_RADIUS_KM = 6371.0072


def grid_points(step_deg: float, kind: str = "latlon") -> tuple[list[str], np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """Names, latitudes, longitudes (deg) and cell areas (km²) of a global grid; see
    :meth:`leolat.Sites.grid`."""
    if not (step_deg > 0) or abs(180.0 / step_deg - round(180.0 / step_deg)) > 1e-9:
        raise SiteError(f"step_deg must be positive and divide 180 (and 360), got {step_deg!r}")
    if kind not in ("latlon", "equal_area"):
        raise SiteError(f"kind must be 'latlon' or 'equal_area', got {kind!r}")
    n_lat = int(round(180.0 / step_deg))
    n_points = n_lat * int(round(360.0 / step_deg))  # at most: equal-area grids have fewer
    if n_points > MAX_GRID_POINTS:
        raise SiteError(f"a {step_deg:g}° grid has ~{n_points:,} points, over the {MAX_GRID_POINTS:,} "
                        f"leolat builds at once (~{n_points * 160 / 2**30:.0f} GiB of sites); use a "
                        f"coarser step, or a regional grid of your own points")
    edges = np.linspace(-90.0, 90.0, n_lat + 1)
    lats, lons, areas = [], [], []
    r2 = AUTHALIC_RADIUS_KM ** 2
    for lo, hi in zip(edges[:-1], edges[1:]):
        mid = 0.5 * (lo + hi)
        band = r2 * 2.0 * math.pi * (math.sin(math.radians(hi)) - math.sin(math.radians(lo)))
        if kind == "latlon":
            n_lon = int(round(360.0 / step_deg))
        else:
            n_lon = max(1, int(round(360.0 * math.cos(math.radians(mid)) / step_deg)))
        width = 360.0 / n_lon
        lons.append(-180.0 + width * (np.arange(n_lon) + 0.5))
        lats.append(np.full(n_lon, mid))
        areas.append(np.full(n_lon, band / n_lon))
    lat = np.concatenate(lats)
    lon = np.concatenate(lons)
    names = [f"{a:.4g},{b:.4g}" for a, b in zip(lat, lon)]
    return names, lat, lon, np.concatenate(areas)


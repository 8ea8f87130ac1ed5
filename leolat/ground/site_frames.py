"""Sites as the kernels take them: one row of the named layout in ``_kernels.layout`` per site."""

from __future__ import annotations

import numpy as np

from .._kernels import layout as L
from .sites import Sites

__all__ = ["site_frames"]


def site_frames(sites: Sites) -> np.ndarray:
    """(n_sites, SITE_COLUMNS) float64: Earth-fixed x, y, z (km), sin/cos of the geodetic
    latitude, sin/cos of the longitude, in the columns ``_kernels.layout.SITE_*`` names."""
    lat = np.radians(sites.lat_deg)
    lon = np.radians(sites.lon_deg)
    out = np.empty((len(sites), L.SITE_COLUMNS))
    out[:, [L.SITE_X, L.SITE_Y, L.SITE_Z]] = sites.r_itrf_km
    out[:, L.SITE_SIN_LAT], out[:, L.SITE_COS_LAT] = np.sin(lat), np.cos(lat)
    out[:, L.SITE_SIN_LON], out[:, L.SITE_COS_LON] = np.sin(lon), np.cos(lon)
    return out

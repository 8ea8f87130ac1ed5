"""The GEO baseline: a bent-pipe path through one geostationary satellite.

Traffic goes up from one end to a GEO satellite and straight down to the other
end (a transparent transponder, no inter-satellite links), so the round trip is
``2 (|A - G| + |G - B|) / c``. The satellite must be at least
``min_elevation_deg`` above the horizon at both ends. Propagation delay only:
real GEO services add modem, scheduling and processing time on top.
"""

from __future__ import annotations

import numpy as np

from .._kernels import layout as L
from ..base.constants import GEO_RADIUS_KM, SPEED_OF_LIGHT_KM_S
from ..base.errors import LeolatError
from ..base.types import ArrayLike
from ..base.validate import check_elevation_deg
from ..ground.site_frames import site_frames
from ..ground.sites import Sites

__all__ = ["geo_bent_pipe_rtt_ms", "GEO_SLOT_STEP_DEG"]

# Without given slots, GEO satellites are tried every half degree of longitude: the
# result is then the best-placed GEO satellite (a lower bound for any real one).
GEO_SLOT_STEP_DEG = 0.5
_PAIR_BLOCK = 4096


def geo_bent_pipe_rtt_ms(a: Sites, b: Sites, longitudes_deg: ArrayLike | None = None, *,
                         min_elevation_deg: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """Round-trip time through the best visible GEO satellite, pair by pair.

    Parameters
    ----------
    a, b : Sites, n sites each
        The two ends of each pair (``a[i]`` with ``b[i]``).
    longitudes_deg : float or array_like, optional
        Orbital slots (east longitude) of the GEO satellites to consider; default
        every ``GEO_SLOT_STEP_DEG`` (the best-placed satellite).
    min_elevation_deg : float
        Lowest elevation of the satellite at either end.

    Returns
    -------
    rtt_ms : (n,) float64
        NaN where no slot is visible from both ends.
    longitude_deg : (n,) float64
        The slot used (NaN where none).
    """
    if not (isinstance(a, Sites) and isinstance(b, Sites)) or len(a) != len(b):
        raise LeolatError("a and b must be two leolat.Sites of the same length (one per pair end)")
    check_elevation_deg(min_elevation_deg)
    if longitudes_deg is None:
        lon = np.arange(-180.0, 180.0, GEO_SLOT_STEP_DEG)
    else:
        lon = np.atleast_1d(np.asarray(longitudes_deg, dtype=np.float64))
        if lon.size == 0 or not np.all(np.isfinite(lon)):
            raise LeolatError(f"longitudes_deg must be finite numbers, got {longitudes_deg!r}")
    lam = np.radians(lon)
    g = np.stack([GEO_RADIUS_KM * np.cos(lam), GEO_RADIUS_KM * np.sin(lam), np.zeros_like(lam)], -1)
    sin_min = np.sin(np.radians(min_elevation_deg))
    # Each end's range to every slot depends on the place only: compute it once per distinct
    # place, then combine pair by pair in blocks (memory: block × slots, not pairs × slots).
    coords = np.column_stack([np.concatenate([a.lat_deg, b.lat_deg]),
                              np.concatenate([a.lon_deg, b.lon_deg]),
                              np.concatenate([a.alt_m, b.alt_m])])
    uniq, inverse = np.unique(coords, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    f = site_frames(Sites(np.arange(len(uniq)).astype(str), uniq[:, 0], uniq[:, 1], uniq[:, 2]))
    up = np.stack([f[:, L.SITE_COS_LAT] * f[:, L.SITE_COS_LON],
                   f[:, L.SITE_COS_LAT] * f[:, L.SITE_SIN_LON], f[:, L.SITE_SIN_LAT]], -1)
    xyz = f[:, [L.SITE_X, L.SITE_Y, L.SITE_Z]]
    d = g[None, :, :] - xyz[:, None, :]                         # (n_places, n_slots, 3)
    rng = np.linalg.norm(d, axis=-1)
    leg = np.where(np.einsum("nk,nsk->ns", up, d) >= sin_min * rng, rng, np.inf)
    ia, ib = inverse[: len(a)], inverse[len(a):]
    km = np.empty(len(a))
    best = np.empty(len(a), dtype=np.intp)
    for lo in range(0, len(a), _PAIR_BLOCK):
        total = leg[ia[lo:lo + _PAIR_BLOCK]] + leg[ib[lo:lo + _PAIR_BLOCK]]
        best[lo:lo + _PAIR_BLOCK] = np.argmin(total, axis=1)
        km[lo:lo + _PAIR_BLOCK] = total[np.arange(total.shape[0]), best[lo:lo + _PAIR_BLOCK]]
    found = np.isfinite(km)
    rtt = np.where(found, 2.0 * km / SPEED_OF_LIGHT_KM_S * 1e3, np.nan)
    return rtt, np.where(found, lon[best], np.nan)

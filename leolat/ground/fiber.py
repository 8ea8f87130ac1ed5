"""The fiber delay model: route length over the speed of light in glass, and WGS84 geodesics.

A fiber link's one-way latency is ``length_km / (c / n)``; the route length is measured
(given by the user) or estimated as the WGS84 geodesic (pyproj ``Geod``, Karney's
algorithm) times a route stretch.
"""

from __future__ import annotations

import numpy as np

from ..base.constants import FIBER_REFRACTIVE_INDEX, SPEED_OF_LIGHT_KM_S
from ..base.types import ArrayLike

__all__ = ["geodesic_km", "fiber_latency_ms"]


def geodesic_km(lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike,
                lon2_deg: ArrayLike) -> np.ndarray:
    """WGS84 geodesic distance in km (pyproj ``Geod.inv``, Karney's algorithm); the
    arguments broadcast against each other."""
    from pyproj import Geod

    la1, lo1, la2, lo2 = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in
                                               (lat1_deg, lon1_deg, lat2_deg, lon2_deg)))
    _, _, m = Geod(ellps="WGS84").inv(lo1.ravel(), la1.ravel(), lo2.ravel(), la2.ravel())
    return np.asarray(m, dtype=np.float64).reshape(la1.shape) / 1e3


def fiber_latency_ms(length_km: ArrayLike, refractive_index: float = FIBER_REFRACTIVE_INDEX
                     ) -> np.ndarray:
    """One-way delay in ms over ``length_km`` of fiber: ``length_km / (c / n)``.

    >>> round(float(fiber_latency_ms(1000.0)), 4)  # ~4.9 µs per km at n = 1.468
    4.8967
    """
    return np.asarray(length_km, dtype=np.float64) * refractive_index / SPEED_OF_LIGHT_KM_S * 1e3

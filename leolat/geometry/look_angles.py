"""Look angles from ground sites: azimuth, elevation and range of every satellite, dense.

Elevation is measured from the WGS84 ellipsoid normal at the site, as skyfield's
``altaz`` does. For large problems, :func:`leolat.visible` streams counts instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._kernels import visibility as _kv
from ..base.budget import DEFAULT_MEMORY_BUDGET_MB, check_budget
from ..base.errors import LeolatError
from ..ground.site_frames import site_frames
from ..ground.sites import Sites
from ..orbits.ephemeris import Ephemeris

__all__ = ["LookAngles", "look_angles", "check_sites"]


@dataclass(frozen=True)
class LookAngles:
    """Topocentric look angles, each (n_times, n_sites, n_sats); NaN where SGP4 failed.

    Attributes
    ----------
    azimuth_deg : numpy.ndarray of float64
        0 = north, clockwise, in [0, 360).
    elevation_deg : numpy.ndarray of float64
        Above the WGS84 horizon (ellipsoid normal), in [-90, 90].
    range_km : numpy.ndarray of float64
    """

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    range_km: np.ndarray

    @property
    def az_deg(self) -> np.ndarray:
        """Former name of :attr:`azimuth_deg`."""
        return self.azimuth_deg

    @property
    def el_deg(self) -> np.ndarray:
        """Former name of :attr:`elevation_deg`."""
        return self.elevation_deg



def check_sites(sites: object) -> Sites:
    """``sites`` if it is a :class:`Sites`, else a LeolatError saying how to build one."""
    if not isinstance(sites, Sites):
        raise LeolatError(f"sites must be a leolat.Sites, got {type(sites).__name__} "
                          f"(build one with Sites(...), Sites.from_cities or Sites.from_csv)")
    return sites



def look_angles(ephemeris: Ephemeris, sites: Sites, *,
                memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> LookAngles:
    """Azimuth (deg, 0 = north, clockwise), elevation (deg) and range (km) of every satellite.

    Parameters
    ----------
    ephemeris : Ephemeris
        ``n_times`` × ``n_sats`` ITRF positions.
    sites : Sites
        ``n_sites`` ground sites.

    Returns
    -------
    LookAngles
        Arrays of shape (n_times, n_sites, n_sats).

    Raises
    ------
    MemoryBudgetError
        If the three cubes exceed ``memory_budget_mb``; use :func:`visible` instead.
    """
    sites = check_sites(sites)
    shape = (ephemeris.n_times, len(sites), ephemeris.n_sats)
    check_budget(3 * 8 * float(np.prod(shape, dtype=np.float64)), memory_budget_mb,
                 f"look angles for {shape[0]:,} times × {shape[1]:,} sites × {shape[2]:,} satellites",
                 "For counts and a sparse listing use leolat.visible(...), or fewer times/sites.")
    az, el, rng = np.empty(shape), np.empty(shape), np.empty(shape)
    _kv.look_angles(ephemeris.r_itrf_km, site_frames(sites), az, el, rng)
    return LookAngles(az, el, rng)

"""The Ephemeris: satellite states over a time grid, time-first, as propagation returns them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..base.errors import SelectionError
from ..base.types import ForeignObject
from ..base.validate import did_you_mean
from ..reference.frames import ecef_to_geodetic
from ..reference.time import TimeGrid

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["Ephemeris"]


@dataclass(frozen=True, eq=False)
class Ephemeris:
    """Satellite states over a time grid, time-first.

    Attributes
    ----------
    times : TimeGrid
        ``n_times`` instants.
    satnum : numpy.ndarray of int64, shape (n_sats,)
    names : numpy.ndarray of str, shape (n_sats,)
    r_teme_km, v_teme_km_s : numpy.ndarray of float64, shape (n_times, n_sats, 3), or None
        SGP4 output in the True Equator Mean Equinox frame (None when propagated
        with ``positions_only=True``).
    r_itrf_km : numpy.ndarray of float64, shape (n_times, n_sats, 3)
        Earth-fixed positions.
    v_itrf_km_s : numpy.ndarray of float64, shape (n_times, n_sats, 3), or None
        Earth-fixed velocities (None with ``positions_only=True``).
    error : numpy.ndarray of uint8, shape (n_times, n_sats)
        SGP4 error code, 0 where the state is valid; positions are NaN elsewhere.
    backend : numpy.ndarray of str, shape (n_sats,)
        Which backend computed each satellite.
    ut1_utc, polar_motion : bool
        Earth orientation corrections applied in TEME -> ITRF.
    """

    times: TimeGrid
    satnum: np.ndarray
    names: np.ndarray
    r_teme_km: np.ndarray | None
    v_teme_km_s: np.ndarray | None
    r_itrf_km: np.ndarray
    v_itrf_km_s: np.ndarray | None
    error: np.ndarray
    backend: np.ndarray
    ut1_utc: bool = True
    polar_motion: bool = False

    @property
    def n_times(self) -> int:
        return self.r_itrf_km.shape[0]

    @property
    def n_sats(self) -> int:
        return self.r_itrf_km.shape[1]

    @property
    def shape(self) -> tuple[int, int]:
        """(n_times, n_sats)."""
        return self.r_itrf_km.shape[:2]

    @property
    def valid(self) -> np.ndarray:
        """Boolean (n_times, n_sats): True where SGP4 succeeded."""
        return self.error == 0

    def to_dataset(self) -> xr.Dataset:
        """The Earth-fixed positions as an ``xarray.Dataset`` (time, satellite): ``r_itrf_km``
        (with an ``xyz`` axis), geodetic ``lat_deg``, ``lon_deg``, ``alt_km`` and the SGP4
        ``error`` code; satellite names and catalogue numbers as coordinates."""
        import xarray as xr

        lat, lon, alt = self.subpoints()
        ds = xr.Dataset(
            {"r_itrf_km": (("time", "satellite", "xyz"), self.r_itrf_km),
             "lat_deg": (("time", "satellite"), lat), "lon_deg": (("time", "satellite"), lon),
             "alt_km": (("time", "satellite"), alt), "error": (("time", "satellite"), self.error)},
            coords={"time": self.times.utc, "satellite": self.names, "satnum": ("satellite", self.satnum),
                    "xyz": ["x", "y", "z"]},
            attrs={"frame": "ITRF (TEME rotated by GMST 1982" + (
                " with polar motion)" if self.polar_motion else ")")})
        for k, u in (("r_itrf_km", "km"), ("lat_deg", "degree_north"), ("lon_deg", "degree_east"),
                     ("alt_km", "km")):
            ds[k].attrs["units"] = u
        return ds

    def subpoints(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sub-satellite points on WGS84.

        Returns
        -------
        lat_deg, lon_deg, alt_km : numpy.ndarray of float64, shape (n_times, n_sats)
            Geodetic latitude, longitude in (-180, 180], height above the
            ellipsoid; NaN where SGP4 failed.
        """
        return self._geodetic

    @functools.cached_property
    def _geodetic(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Cached on this instance: ``dataclasses.replace`` makes a new instance, so new
        # positions never come back with the old sub-satellite points.
        return ecef_to_geodetic(self.r_itrf_km)

    def satellite_index(self, satellite: int | str) -> int:
        """Column of ``satellite``: an index, or a name (SelectionError if absent)."""
        if isinstance(satellite, (int, np.integer)) and not isinstance(satellite, bool):
            if not 0 <= int(satellite) < self.n_sats:
                raise SelectionError(f"satellite index {satellite} is outside 0..{self.n_sats - 1}")
            return int(satellite)
        hits = np.nonzero(self.names == str(satellite))[0]
        if not hits.size:
            raise SelectionError(f"no satellite is named {str(satellite)!r}"
                                 + did_you_mean(str(satellite), self.names))
        return int(hits[0])

    def to_skyfield(self, satellite: int | str, ts: ForeignObject = None) -> ForeignObject:
        """One satellite's states as a skyfield ``Geocentric`` position over the grid.

        The Earth-fixed states are handed to skyfield in its ``itrs`` frame, so skyfield's
        own Earth orientation turns them into GCRS; ``position.frame_xyz(itrs)`` gives back
        ``r_itrf_km[:, i]``, and ``wgs84.subpoint_of(position)`` the sub-satellite points.

        Parameters
        ----------
        satellite : int or str
            Index or name.
        ts : skyfield.timelib.Timescale, optional
            Default: ``skyfield.api.load.timescale()`` (its shipped leap-second table).

        Returns
        -------
        skyfield.positionlib.Geocentric
            Position (and velocity where propagated) of shape (3, n_times).
        """
        from skyfield.framelib import itrs
        from skyfield.positionlib import Geocentric
        from skyfield.units import Distance, Velocity

        i = self.satellite_index(satellite)
        t = self.times.to_skyfield(ts)
        r = Distance(km=self.r_itrf_km[:, i].T)
        v = None if self.v_itrf_km_s is None else Velocity(km_per_s=self.v_itrf_km_s[:, i].T)
        return Geocentric.from_time_and_frame_vectors(t, itrs, r, v) if v is not None else \
            Geocentric.from_time_and_frame_vectors(t, itrs, r, Velocity(km_per_s=np.zeros_like(r.km)))

    def __repr__(self) -> str:
        failed = int(np.count_nonzero(self.error))
        return (f"Ephemeris({self.n_times} times × {self.n_sats} satellites, {self.times!r}, "
                f"{failed} failed states)")

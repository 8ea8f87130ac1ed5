"""Earth orientation parameters (UT1-UTC, polar motion) from the IERS tables that the
``astropy-iers-data`` package ships.  Nothing is downloaded, ever.

The table is IERS ``finals2000A.all``: daily values since 1973, final
(Bulletin B) where available, rapid service and predictions (Bulletin A) after
that, about a year into the future.  Values are interpolated linearly between
days; the one-second jumps of UT1-UTC at leap seconds are unwrapped before
interpolating so a day that ends in a leap second is not smeared.

Outside the table, the nearest value is held and an
:class:`~leolat.errors.EarthOrientationWarning` says so.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from ..base.constants import ARCSEC_RAD, JD_UNIX_EPOCH, MJD_OFFSET, SECONDS_PER_DAY
from ..base.errors import EarthOrientationWarning
from ..base.types import ArrayLike

__all__ = ["EOPTable", "eop_table", "earth_orientation"]


class EOPTable:
    """Daily earth orientation values.

    Attributes
    ----------
    mjd : numpy.ndarray of float64, shape (n_days,)
        UTC modified Julian dates (midnights).
    ut1_utc_s : numpy.ndarray of float64
        UT1 - UTC in seconds.
    xp_arcsec, yp_arcsec : numpy.ndarray of float64
        Pole coordinates in arcseconds.
    source : str
        Path of the table file.
    """

    def __init__(self, mjd, ut1_utc_s, xp_arcsec, yp_arcsec, source: str):
        self.mjd = mjd
        self.ut1_utc_s = ut1_utc_s
        self.xp_arcsec = xp_arcsec
        self.yp_arcsec = yp_arcsec
        self.source = source

    @classmethod
    def from_finals2000a(cls, path) -> EOPTable:
        """Parse an IERS ``finals2000A`` file (fixed columns, see its ReadMe)."""
        mjd, dut1, xp, yp = [], [], [], []
        with open(path, encoding="ascii") as fh:
            for line in fh:
                if len(line) < 68 or not line[58:68].strip():
                    continue  # days past the predictions carry no values
                b = line[154:165].strip() if len(line) >= 165 else ""
                mjd.append(float(line[7:15]))
                if b:  # Bulletin B (final) values
                    xp.append(float(line[134:144]))
                    yp.append(float(line[144:154]))
                    dut1.append(float(b))
                else:  # Bulletin A (rapid / predicted)
                    xp.append(float(line[18:27]))
                    yp.append(float(line[37:46]))
                    dut1.append(float(line[58:68]))
        return cls(np.array(mjd), np.array(dut1), np.array(xp), np.array(yp), str(path))

    @functools.cached_property
    def _ut1_utc_unwrapped(self) -> np.ndarray:
        # UT1-UTC jumps by +-1 s at a leap second; remove the jumps so that linear
        # interpolation between two days works, and re-apply them afterwards.
        steps = np.diff(self.ut1_utc_s)
        leap = np.round(steps)
        return self.ut1_utc_s - np.concatenate([[0.0], np.cumsum(leap)])

    def interpolate(self, jd, fr) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """UT1-UTC (s) and pole coordinates (rad) at UTC instants ``jd + fr``.

        Returns
        -------
        dut1_s, xp_rad, yp_rad : numpy.ndarray of float64, shape like ``jd``
        """
        jd = np.asarray(jd, dtype=np.float64)
        fr = np.asarray(fr, dtype=np.float64)
        mjd = (jd - MJD_OFFSET) + fr
        lo, hi = self.mjd[0], self.mjd[-1]
        if mjd.size and (mjd.min() < lo or mjd.max() > hi):
            warnings.warn(
                f"earth orientation data covers MJD {lo:.0f}..{hi:.0f} "
                f"({_date(lo)}..{_date(hi)}); times outside it hold the nearest value "
                f"(UT1-UTC error grows ~1 ms/day, i.e. ~0.5 m/day of Earth rotation at the "
                f"equator). Pass ut1_utc=False to use UT1 = UTC, or a newer astropy-iers-data.",
                EarthOrientationWarning, stacklevel=3)
        unwrapped = np.interp(mjd, self.mjd, self._ut1_utc_unwrapped)
        # Re-apply the leap seconds in force at each instant: the jump belongs to the
        # day *after* it (the leap second is inserted at the end of a UTC day).
        idx = np.clip(np.searchsorted(self.mjd, mjd, side="right") - 1, 0, self.mjd.size - 1)
        offset = self.ut1_utc_s[idx] - self._ut1_utc_unwrapped[idx]
        dut1 = unwrapped + offset
        xp = np.interp(mjd, self.mjd, self.xp_arcsec) * ARCSEC_RAD
        yp = np.interp(mjd, self.mjd, self.yp_arcsec) * ARCSEC_RAD
        return dut1, xp, yp


def _date(mjd: float) -> str:
    seconds = int(round((mjd + MJD_OFFSET - JD_UNIX_EPOCH) * SECONDS_PER_DAY))
    return str(np.datetime64(seconds, "s").astype("datetime64[D]"))


@functools.lru_cache(maxsize=1)
def eop_table() -> EOPTable:
    """The shipped IERS table, parsed once per process."""
    import astropy_iers_data

    return EOPTable.from_finals2000a(astropy_iers_data.IERS_A_FILE)


def earth_orientation(jd: ArrayLike, fr: ArrayLike, *, ut1_utc: bool = True, polar_motion: bool = False
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UT1-UTC (s) and pole coordinates (rad) for UTC instants, per the switches.

    Parameters
    ----------
    jd, fr : array_like of float64, shape (n_times,)
    ut1_utc : bool
        Apply UT1-UTC from the IERS table (else UT1 = UTC, as Hypatia does).
    polar_motion : bool
        Apply polar motion (else the pole is the CIO/ITRF pole, W = identity).

    Returns
    -------
    dut1_s, xp_rad, yp_rad : numpy.ndarray of float64, shape (n_times,)
    """
    jd = np.ascontiguousarray(jd, dtype=np.float64)
    zeros = np.zeros_like(jd)
    if not (ut1_utc or polar_motion):
        return zeros, zeros.copy(), zeros.copy()
    dut1, xp, yp = eop_table().interpolate(jd, fr)
    if not ut1_utc:
        dut1 = zeros
    if not polar_motion:
        xp = zeros
        yp = zeros.copy()
    return dut1, xp, yp

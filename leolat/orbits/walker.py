"""Walker constellations, with mean motion calibrated so SGP4 flies the requested altitude.

A TLE's mean motion is a Kozai mean element: the orbit SGP4 propagates from it
has a mean radius that a Keplerian ``n = sqrt(mu / a^3)`` misses by kilometres
(J2 short-period terms, the Kozai/Brouwer difference). Tools that convert
naively put a "550 km" shell tens of kilometres low.  Here the mean motion is
found by iteration on SGP4 itself until the orbit-averaged altitude matches.

*Altitude* means the mean over one orbit of |r| minus the WGS84 equatorial
radius (6378.137 km): the spherical-Earth convention of constellation filings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sgp4.api import WGS72, Satrec

from ..base.constants import MINUTES_PER_DAY, REV_PER_DAY_TO_RAD_PER_MIN, SECONDS_PER_DAY, WGS72_MU_KM3_S2, WGS84_A_KM
from ..base.errors import LeolatError

__all__ = ["ShellInfo", "walker_elements", "mean_motion_for_altitude", "sgp4_mean_altitude_km"]

_SAMPLES_PER_ORBIT = 720


@dataclass(frozen=True)
class ShellInfo:
    """Description of one shell of a constellation.

    Attributes
    ----------
    name : str
    altitude_km : float
        Mean altitude (see the module notes).
    inclination_deg : float
    planes : int
        Number of orbital planes (for inferred shells: planes found).
    sats_per_plane : int
        Slots per plane (for inferred shells: the most common plane size).
    phasing : int or None
        Walker phasing factor F (None where unknown).
    kind : str
        ``"delta"`` (planes over 360° of RAAN), ``"star"`` (over 180°), or
        ``"inferred"``.
    n_sats : int
        Satellites in the shell.
    """

    name: str
    altitude_km: float
    inclination_deg: float
    planes: int
    sats_per_plane: int
    phasing: int | None
    kind: str
    n_sats: int


def sgp4_mean_altitude_km(mean_motion_rev_day: float, inclination_deg: float,
                          eccentricity: float = 0.0) -> float:
    """Orbit-averaged SGP4 altitude (km above 6378.137 km) of an element set, drag off."""
    sat = Satrec()
    no = mean_motion_rev_day * REV_PER_DAY_TO_RAD_PER_MIN
    sat.sgp4init(WGS72, "i", 1, 20000.0, 0.0, 0.0, 0.0, eccentricity, 0.0,
                 math.radians(inclination_deg), 0.0, no, 0.0)
    period_min = 2.0 * math.pi / no
    tsince = np.arange(_SAMPLES_PER_ORBIT) * (period_min / _SAMPLES_PER_ORBIT)
    jd = np.full(tsince.size, sat.jdsatepoch)
    fr = sat.jdsatepochF + tsince / MINUTES_PER_DAY
    err, r, _ = sat.sgp4_array(jd, fr)
    if np.any(err):
        raise LeolatError(f"SGP4 cannot propagate a {mean_motion_rev_day} rev/day orbit "
                          f"(error {int(err.max())})")
    return float(np.mean(np.linalg.norm(r, axis=1)) - WGS84_A_KM)


def mean_motion_for_altitude(altitude_km: float, inclination_deg: float,
                             eccentricity: float = 0.0, *, tol_km: float = 1e-6) -> float:
    """Kozai mean motion (rev/day) whose SGP4 orbit has the given mean altitude.

    Fixed-point iteration on ``n ← n · (r̄ / r_target)^(3/2)``; converges to
    ``tol_km`` in a handful of steps for any LEO altitude.
    """
    if not 100.0 <= altitude_km <= 40000.0:
        raise LeolatError(f"altitude_km must be within 100..40000 km, got {altitude_km}")
    r_target = WGS84_A_KM + altitude_km
    n_rad_s = math.sqrt(WGS72_MU_KM3_S2 / r_target**3)
    n = n_rad_s * SECONDS_PER_DAY / (2.0 * math.pi)
    for _ in range(50):
        h = sgp4_mean_altitude_km(n, inclination_deg, eccentricity)
        if abs(h - altitude_km) < tol_km:
            return n
        n *= ((WGS84_A_KM + h) / r_target) ** 1.5
    raise LeolatError(f"mean motion for {altitude_km} km did not converge")  # pragma: no cover


def walker_elements(planes: int, sats_per_plane: int, altitude_km: float, inclination_deg: float,
                    phasing: int = 0, kind: str = "delta", *, epoch_jd: float, epoch_fr: float,
                    eccentricity: float = 0.0, raan0_deg: float = 0.0,
                    bstar_per_earth_radius: float = 0.0, first_satnum: int = 1,
                    name: str = "WALKER") -> dict[str, np.ndarray]:
    """Element columns of a Walker shell, in plane-major order (index = plane · S + slot).

    Plane ``p`` has RAAN ``raan0 + p·360/P`` (delta) or ``raan0 + p·180/P``
    (star); slot ``s`` has argument of latitude ``s·360/S + p·F·360/(P·S)``.
    Argument of perigee is 0, so mean anomaly equals argument of latitude.

    Returns
    -------
    dict of str to numpy.ndarray
        Element columns plus ``plane`` and ``slot`` (int32), shape (P·S,).
    """
    for label, value in (("planes", planes), ("sats_per_plane", sats_per_plane)):
        if int(value) != value or value < 1:
            raise LeolatError(f"{label} must be a positive integer, got {value!r}")
    if kind not in ("delta", "star"):
        raise LeolatError(f"kind must be 'delta' or 'star', got {kind!r}")
    if int(phasing) != phasing or not 0 <= phasing < planes:
        raise LeolatError(f"phasing F must be an integer in 0..planes-1 = 0..{planes - 1}, "
                          f"got {phasing!r}")
    if not 0.0 <= inclination_deg <= 180.0:
        raise LeolatError(f"inclination_deg must be within 0..180, got {inclination_deg}")
    if not 0.0 <= eccentricity < 0.1:
        raise LeolatError(f"eccentricity must be within [0, 0.1) for a Walker shell, got {eccentricity}")
    planes, sats_per_plane = int(planes), int(sats_per_plane)
    total = planes * sats_per_plane
    plane = np.repeat(np.arange(planes, dtype=np.int32), sats_per_plane)
    slot = np.tile(np.arange(sats_per_plane, dtype=np.int32), planes)
    spread = 360.0 if kind == "delta" else 180.0
    raan = (raan0_deg + plane * (spread / planes)) % 360.0
    u = (slot * (360.0 / sats_per_plane) + plane * (phasing * 360.0 / total)) % 360.0
    n = mean_motion_for_altitude(altitude_km, inclination_deg, eccentricity)
    fill = lambda v, dt="f8": np.full(total, v, dtype=dt)  # noqa: E731
    return {
        "name": np.array([f"{name}-{p}-{s}" for p, s in zip(plane, slot)], dtype="U"),
        "satnum": np.arange(first_satnum, first_satnum + total, dtype=np.int64),
        "classification": fill("U", "U1"),
        "intldesg": fill("", "U1"),
        "epoch_jd": fill(epoch_jd),
        "epoch_fr": fill(epoch_fr),
        "mean_motion_dot_rev_day2": fill(0.0),
        "mean_motion_ddot_rev_day3": fill(0.0),
        "bstar_per_earth_radius": fill(bstar_per_earth_radius),
        "inclination_deg": fill(inclination_deg),
        "raan_deg": raan,
        "eccentricity": fill(eccentricity),
        "arg_perigee_deg": fill(0.0),
        "mean_anomaly_deg": u,
        "mean_motion_rev_day": fill(n),
        "ephemeris_type": fill(0, "i4"),
        "element_set_no": fill(1, "i4"),
        "rev_at_epoch": fill(0, "i8"),
        "plane": plane,
        "slot": slot,
    }



"""Physical constants, with units in their names and a source for each."""

from __future__ import annotations

import math

# --- WGS72: the gravity model SGP4 is defined with (Vallado et al. 2006, AIAA 2006-6753,
# "Revisiting Spacetrack Report #3", table of gravity constants; python-sgp4 `wgs72`). ---
WGS72_MU_KM3_S2 = 398600.8
WGS72_RADIUS_KM = 6378.135

# --- WGS84 ellipsoid (NIMA TR8350.2, 3rd ed., 2000). Used for geodetic coordinates. ---
WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)

# --- Earth rotation (IERS Conventions 2010, table 1.1: nominal mean angular velocity). ---
EARTH_ROTATION_RAD_S = 7.292115146706979e-5

# --- Light (SI definition). ---
SPEED_OF_LIGHT_KM_S = 299792.458

# --- Time. ---
SECONDS_PER_DAY = 86400.0
MINUTES_PER_DAY = 1440.0
JD_UNIX_EPOCH = 2440587.5        # Julian date of 1970-01-01 00:00 UTC
JD_J2000 = 2451545.0             # Julian date of 2000-01-01 12:00 TT
MJD_OFFSET = 2400000.5           # JD - MJD
JD_SGP4_EPOCH0 = 2433281.5       # 1949-12-31 00:00 UT, the origin of sgp4init's epoch argument

# Arcseconds to radians.
ARCSEC_RAD = math.pi / (180.0 * 3600.0)

# SGP4 uses mean motion in radians per minute; TLEs give revolutions per day.
REV_PER_DAY_TO_RAD_PER_MIN = 2.0 * math.pi / MINUTES_PER_DAY

# Period from which an element set is "deep space" (SDP4 terms on): 225 minutes
# (Spacetrack Report #3; sgp4init's `method = 'd'` test is 2*pi/no >= 225).
DEEP_SPACE_PERIOD_MIN = 225.0

# --- Fiber. Group index of standard single-mode fibre (ITU-T G.652) at 1550 nm is about
# 1.468 (Corning SMF-28 datasheet: 1.4682), so light in fiber covers ~204 km per ms, or
# takes ~4.9 µs per km. ---
FIBER_REFRACTIVE_INDEX = 1.468

# Route length over geodesic for fiber between places whose real route is unknown. Cable
# routes follow coasts, roads and landing points, not great circles; 1.5 is a planning
# figure in the middle of the range reported for long-haul routes (about 1.2-2; see
# docs/hybrid.md). A parameter wherever it is used.
FIBER_ROUTE_STRETCH = 1.5

# --- Geostationary orbit: radius where the orbital period equals one sidereal day,
# (mu / omega^2)^(1/3) with the WGS84 mu = 398600.4418 km^3/s^2 and EARTH_ROTATION_RAD_S. ---
GEO_RADIUS_KM = (398600.4418 / EARTH_ROTATION_RAD_S ** 2) ** (1.0 / 3.0)

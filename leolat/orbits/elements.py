"""The element columns every Constellation holds, shared by the TLE and OMM readers."""

from __future__ import annotations

__all__ = ["ELEMENT_FIELDS", "META_FIELDS"]

# The element columns a Constellation holds, with dtype. Units are in the names;
# the derivative fields follow the TLE/OMM convention (MEAN_MOTION_DOT is n'/2,
# MEAN_MOTION_DDOT is n''/6).
ELEMENT_FIELDS: dict[str, str] = {
    "name": "U",
    "satnum": "i8",
    "classification": "U1",
    "intldesg": "U",
    "epoch_jd": "f8",
    "epoch_fr": "f8",
    "mean_motion_dot_rev_day2": "f8",
    "mean_motion_ddot_rev_day3": "f8",
    "bstar_per_earth_radius": "f8",
    "inclination_deg": "f8",
    "raan_deg": "f8",
    "eccentricity": "f8",
    "arg_perigee_deg": "f8",
    "mean_anomaly_deg": "f8",
    "mean_motion_rev_day": "f8",
    "ephemeris_type": "i4",
    "element_set_no": "i4",
    "rev_at_epoch": "i8",
}

# Layout metadata per satellite (-1 where unknown): shell index, plane and slot within it.
META_FIELDS = ("shell", "plane", "slot")

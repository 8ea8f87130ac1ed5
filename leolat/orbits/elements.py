"""The element columns every Constellation holds, shared by the TLE and OMM readers."""

from __future__ import annotations

import warnings

import numpy as np

from ..base.errors import ElementSetError, ElementSetWarning

__all__ = ["ELEMENT_FIELDS", "META_FIELDS", "GENERATED_FIELD", "dedupe_elements"]

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

# True for element sets leolat generated (Walker shells, presets): exact by construction, so
# their epoch is only a phase reference and propagating far from it is not an error.  False
# for element sets fitted to observations (TLE, OMM), whose accuracy decays from the epoch.
GENERATED_FIELD = "generated"


def dedupe_elements(cols: dict, duplicates: str, source: str) -> dict:
    """Element columns with one set per catalog number: ``"newest"`` keeps the newest epoch
    (with an :class:`ElementSetWarning`), ``"keep"`` keeps all, ``"error"`` refuses."""
    if duplicates not in ("newest", "keep", "error"):
        raise ElementSetError(f"duplicates must be 'newest', 'keep' or 'error', got {duplicates!r}",
                              source=source)
    satnum = cols["satnum"]
    uniq, counts = np.unique(satnum, return_counts=True)
    if duplicates == "keep" or counts.max() == 1:
        return cols
    dup = uniq[counts > 1]
    if duplicates == "error":
        raise ElementSetError(f"{dup.size} catalog numbers appear more than once "
                              f"(first: {dup[0]}); pass duplicates='newest' or 'keep'",
                              source=source, field="satnum")
    # Newest epoch per catalog number; among equal epochs the later record wins.
    epoch = cols["epoch_jd"] + cols["epoch_fr"]
    order = np.lexsort((np.arange(satnum.size), epoch, satnum))
    last = np.ones(order.size, dtype=bool)
    last[:-1] = satnum[order][1:] != satnum[order][:-1]
    keep = np.sort(order[last])
    warnings.warn(f"{source}: {dup.size} catalog numbers had several element sets; kept the newest "
                  f"epoch of each and dropped {satnum.size - keep.size} "
                  f"(pass duplicates='keep' to keep them all)", ElementSetWarning, stacklevel=3)
    return {k: v[keep] for k, v in cols.items()}

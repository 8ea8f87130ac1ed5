"""Link policies: which ground-satellite and inter-satellite links exist, and what they cost."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .errors import LeolatError

__all__ = ["LinkPolicy", "PolicyError", "isl_topology"]


class PolicyError(LeolatError):
    """A link policy is contradictory, or cannot apply to the constellation."""


@dataclass(frozen=True)
class LinkPolicy:
    """Rules for the links of a snapshot graph.

    Parameters
    ----------
    min_elevation_deg : float or None
        Ground-satellite links (GSL) need at least this elevation at the station.
    max_gsl_range_km : float or None
        GSLs need at most this straight-line range (Hypatia's rule). At least one of
        the two GSL rules must be set; both may be.
    gsl_per_station : int
        Keep only the best ``k`` GSLs per ground station (0 = all).
    gsl_per_satellite : int
        At most this many GSLs per satellite (0 = unlimited); applied greedily,
        best links first, together with ``gsl_per_station``.
    gsl_rank : {"elevation", "range"}
        What "best" means for the limits above.
    isl : {"plus_grid", "none"}
        Inter-satellite links: +Grid links satellite (plane i, slot j) to (i, j+1)
        and (i+1, j+isl_shift), within each shell.
    isl_shift : int
        Slot offset of the cross-plane link.
    max_isl_range_km : float
        ISLs longer than this do not exist at that instant.
    grazing_altitude_km : float
        Line of sight must clear the Earth (6378.137 km) plus this altitude.
    isl_latitude_cutoff_deg : float
        Cross-plane links are off while either end is beyond this latitude (90 = never).
    ground_relay : bool
        Whether paths may pass through intermediate ground stations.
    processing_delay_ms : float
        Added per hop of a path (one way).
    """

    min_elevation_deg: float | None = 25.0
    max_gsl_range_km: float | None = None
    gsl_per_station: int = 0
    gsl_per_satellite: int = 0
    gsl_rank: str = "elevation"
    isl: str = "plus_grid"
    isl_shift: int = 0
    max_isl_range_km: float = 5000.0
    grazing_altitude_km: float = 80.0
    isl_latitude_cutoff_deg: float = 90.0
    ground_relay: bool = False
    processing_delay_ms: float = 0.0

    def __post_init__(self):
        if self.min_elevation_deg is None and self.max_gsl_range_km is None:
            raise PolicyError("no GSL rule: set min_elevation_deg, max_gsl_range_km, or both")
        if self.min_elevation_deg is not None and not -90.0 <= self.min_elevation_deg < 90.0:
            raise PolicyError(f"min_elevation_deg must lie in [-90, 90), got {self.min_elevation_deg}")
        if self.max_gsl_range_km is not None and not self.max_gsl_range_km > 0:
            raise PolicyError(f"max_gsl_range_km must be positive, got {self.max_gsl_range_km}")
        if self.isl not in ("plus_grid", "none"):
            raise PolicyError(f"isl must be 'plus_grid' or 'none', got {self.isl!r}")
        if self.gsl_rank not in ("elevation", "range"):
            raise PolicyError(f"gsl_rank must be 'elevation' or 'range', got {self.gsl_rank!r}")
        for name in ("gsl_per_station", "gsl_per_satellite"):
            v = getattr(self, name)
            if int(v) != v or v < 0:
                raise PolicyError(f"{name} must be a non-negative integer (0 = unlimited), got {v!r}")
        if self.isl == "plus_grid" and not self.max_isl_range_km > 0:
            raise PolicyError(f"max_isl_range_km must be positive, got {self.max_isl_range_km}")
        if not 0.0 < self.isl_latitude_cutoff_deg <= 90.0:
            raise PolicyError(f"isl_latitude_cutoff_deg must lie in (0, 90], got "
                              f"{self.isl_latitude_cutoff_deg}")
        if self.grazing_altitude_km < 0 or self.processing_delay_ms < 0:
            raise PolicyError("grazing_altitude_km and processing_delay_ms must not be negative")

    def as_attrs(self) -> dict:
        """The policy as flat netCDF-safe attributes (None becomes 'none')."""
        return {f"policy_{k}": ("none" if v is None else (int(v) if isinstance(v, bool) else v))
                for k, v in asdict(self).items()}


def isl_topology(constellation, policy: LinkPolicy):
    """Static +Grid link list from plane/slot metadata.

    Returns
    -------
    a, b : numpy.ndarray of intp
        Satellite indices of each ISL (a < b not guaranteed).
    cross : numpy.ndarray of bool
        True for cross-plane links.

    Raises
    ------
    PolicyError
        If ``isl="plus_grid"`` but satellites lack plane/slot numbers.
    """
    if policy.isl == "none":
        e = np.empty(0, dtype=np.intp)
        return e, e.copy(), np.empty(0, dtype=bool)
    if not constellation.has_planes:
        missing = int(np.count_nonzero((constellation.plane < 0) | (constellation.slot < 0)))
        raise PolicyError(
            f"isl='plus_grid' needs plane and slot numbers, and {missing:,} of {len(constellation):,} "
            f"satellites have none: use a Walker preset (Constellation.preset / .walker), or "
            f"c = c.infer_shells() and then c.select(shells=...) to drop unassigned satellites")
    a, b, cross = [], [], []
    shell = constellation.shell
    kinds = {k: s.kind for k, s in enumerate(constellation.shells)}
    for sh in np.unique(shell):
        idx = np.nonzero(shell == sh)[0]
        planes = constellation.plane[idx]
        slots = constellation.slot[idx]
        n_planes = int(planes.max()) + 1
        lookup = {(int(p), int(s)): int(i) for p, s, i in zip(planes, slots, idx)}
        size = np.bincount(planes, minlength=n_planes)
        star = kinds.get(int(sh)) == "star"
        for (p, s), i in lookup.items():
            j = lookup.get((p, (s + 1) % size[p]))
            if j is not None and j != i:
                a.append(i)
                b.append(j)
                cross.append(False)
            q = (p + 1) % n_planes
            if star and q == 0:
                continue  # no link across the counter-rotating seam of a Walker star
            if n_planes > 1 and size[q] > 0:
                j = lookup.get((q, (s + policy.isl_shift) % size[q]))
                if j is not None and j != i:
                    a.append(i)
                    b.append(j)
                    cross.append(True)
    a = np.array(a, dtype=np.intp)
    b = np.array(b, dtype=np.intp)
    cross = np.array(cross, dtype=bool)
    # Drop duplicate undirected links (a 2-plane or 2-slot ring links both ways).
    key = np.stack([np.minimum(a, b), np.maximum(a, b)])
    _, first = np.unique(key, axis=1, return_index=True)
    first = np.sort(first)
    return a[first], b[first], cross[first]

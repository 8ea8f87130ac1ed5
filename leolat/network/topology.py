"""Static inter-satellite link topologies: which satellite pairs carry a laser link.

The topology is static (from plane and slot numbers); whether a link is usable at an
instant (range, Earth clearance, latitude cutoff) is decided per step by the routing
kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..base.errors import PolicyError
from .links import LinkPolicy

if TYPE_CHECKING:
    from ..orbits.constellation import Constellation

__all__ = ["isl_topology"]


def isl_topology(constellation: Constellation, policy: LinkPolicy
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    ends_a = np.array(a, dtype=np.intp)
    ends_b = np.array(b, dtype=np.intp)
    is_cross = np.array(cross, dtype=bool)
    # Drop duplicate undirected links (a 2-plane or 2-slot ring links both ways).
    key = np.stack([np.minimum(ends_a, ends_b), np.maximum(ends_a, ends_b)])
    _, first = np.unique(key, axis=1, return_index=True)
    first = np.sort(first)
    return ends_a[first], ends_b[first], is_cross[first]

"""The terrestrial round-trip model per pair of places (:mod:`leolat.ground.baseline`): the
first measured row whose ends both lie within the match radius, else the kernel-weighted
stretch of the measured rows times the pair's fiber bound, plus the overhead."""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import jit, pjit


@jit
def end_weights(to_km, kernel_km):
    """``exp(-d^2 / (2 kernel_km^2))`` of each place-to-row-end distance: the factors of the
    row weights, since ``exp(-(x^2 + y^2) s) = exp(-x^2 s) exp(-y^2 s)``."""
    inv = 1.0 / (2.0 * kernel_km * kernel_km)
    out = np.empty_like(to_km)
    for i in range(to_km.shape[0]):
        for k in range(to_km.shape[1]):
            out[i, k] = np.exp(-to_km[i, k] * to_km[i, k] * inv)
    return out


@pjit
def terrestrial_pairs(to_a, to_b, ia, ib, stretch, rtt_rows, bound, kernel_km, prior_weight,
                      median, overhead_ms, match_km, rtt, row):
    """Per pair ``p`` of places ``ia[p] -> ib[p]``: ``row[p]``, the first measured row that
    covers it (either orientation, both ends within ``match_km``) or -1, and ``rtt[p]`` (ms),
    that row's measurement or the model.

    ``to_a`` / ``to_b`` (n_places, n_rows) are km from each place to each row's ``a`` / ``b``
    end; ``stretch`` and ``rtt_rows`` (n_rows,) each row's stretch and round trip; ``bound``
    (n_pairs,) the pairs' ideal fiber round trips (ms). A row's weight is
    ``exp(-e2 / (2 kernel_km^2))``, ``e2`` the squared end distances in the better orientation,
    i.e. the larger product of the ends' factors (:func:`end_weights`: two exponentials per
    place and row instead of one per pair and row); ``prior_weight`` pulls toward the
    ``median`` stretch.
    """
    n_rows = stretch.shape[0]
    wa = end_weights(to_a, kernel_km)
    wb = end_weights(to_b, kernel_km)
    for p in prange(ia.shape[0]):
        a, b = ia[p], ib[p]
        num = 0.0
        den = 0.0
        hit = -1
        for k in range(n_rows):
            if hit < 0 and ((to_a[a, k] <= match_km and to_b[b, k] <= match_km)
                            or (to_b[a, k] <= match_km and to_a[b, k] <= match_km)):
                hit = k
            w = max(wa[a, k] * wb[b, k], wb[a, k] * wa[b, k])
            num += w * stretch[k]
            den += w
        row[p] = hit
        if hit >= 0:
            rtt[p] = rtt_rows[hit]
        else:
            rtt[p] = overhead_ms + (num + prior_weight * median) / (den + prior_weight) * bound[p]

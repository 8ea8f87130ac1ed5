"""Passes: rise, culmination and set of satellites over ground sites, refined by root finding.

Method (the same shape as skyfield's ``find_events``):

1. sample every satellite's elevation from every site at the instants of the
   :class:`~leolat.TimeGrid` given (and at the window's end), satellites in chunks so
   memory stays bounded;
2. every local maximum of the sampled elevation is a candidate culmination
   (maxima below the threshold are kept too, within a margin, so a brief pass
   that peaks between two samples is not lost); golden-section search refines it
   to ~1e-6 s;
3. where the refined maximum reaches the threshold, rise and set are found by
   bisection between the nearest coarse sample below the threshold and the
   culmination (~1e-6 s).

Event times are therefore limited by the propagation model, not by the step. The
window is the one the grid samples (:attr:`TimeGrid.window_end`): a regular grid
``TimeGrid.from_utc(start, 86400, 30)`` searches the whole day, ``[start, start + 1 d)``.
Passes in progress at the window edges are kept: ``rise_utc`` (or ``set_utc``)
is NaT, ``starts_before_window`` (or ``ends_after_window``) is True, and
culmination and ``duration_s`` describe the part inside the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._kernels import visibility as _kv
from ..base.budget import DEFAULT_MEMORY_BUDGET_MB
from ..base.constants import SECONDS_PER_DAY
from ..base.errors import LeolatError
from ..base.validate import check_count, check_elevation_deg
from ..ground.site_frames import site_frames
from ..ground.sites import Sites
from ..orbits.propagate import check_element_age, positions_at
from ..reference.time import TimeGrid, TimeLike, as_timegrid
from .look_angles import check_sites

if TYPE_CHECKING:
    import pandas as pd

    from ..orbits.constellation import Constellation

__all__ = ["passes"]

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
_CULMINATION_ITERATIONS = 50   # 0.618^50 · 60 s ≈ 2e-9 s
_BISECTION_ITERATIONS = 45     # 2^-45 · 60 s ≈ 2e-12 s
# Sampled maxima this far below the threshold are still refined: between two samples
# 30 s apart a LEO satellite's elevation can exceed the sampled values by a few degrees.
_CANDIDATE_MARGIN_DEG = 10.0


class _Clock:
    """Seconds since the window start <-> UTC (jd, fr), without losing precision.

    The scalar instant root finders need: one origin from the TimeGrid, offsets in float
    seconds (1e-16 relative over a day is far below a microsecond).
    """

    def __init__(self, grid: TimeGrid):
        self.jd0 = float(grid.jd[0])
        self.fr0 = float(grid.fr[0])
        self.start = grid.start

    def jd_fr(self, seconds):
        fr = self.fr0 + np.asarray(seconds, dtype=np.float64) / SECONDS_PER_DAY
        whole = np.floor(fr)
        return self.jd0 + whole, fr - whole

    def utc(self, seconds):
        s = np.asarray(seconds, dtype=np.float64)
        ns = np.round(s * 1e9)
        out = self.start + np.where(np.isfinite(ns), ns, 0).astype("timedelta64[ns]")
        return np.where(np.isfinite(s), out, np.datetime64("NaT"))


def _elevation(constellation, frames, clock, sat, site, seconds, ut1_utc):
    jd, fr = clock.jd_fr(seconds)
    r = positions_at(constellation, sat, jd, fr, ut1_utc=ut1_utc)
    el = np.empty(sat.size)
    _kv.elevation_pairs(r, frames, np.ascontiguousarray(site, dtype=np.intp), el)
    return el


def _golden_max(f, lo, hi):
    """Vectorised golden-section search for the maximum of f on [lo, hi] (arrays)."""
    a, b = lo.copy(), hi.copy()
    c = b - _GOLDEN * (b - a)
    d = a + _GOLDEN * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(_CULMINATION_ITERATIONS):
        left = fc >= fd  # maximum in [a, d]
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        new = np.where(left, b - _GOLDEN * (b - a), a + _GOLDEN * (b - a))
        fnew = f(new)
        c, d = np.where(left, new, d), np.where(left, c, new)
        fc, fd = np.where(left, fnew, fd), np.where(left, fc, fnew)
    x = 0.5 * (a + b)
    # The window edges are candidates too (a maximum at the edge of the interval).
    fx, flo, fhi = f(x), f(lo), f(hi)
    best = np.where(flo > fx, lo, x)
    fbest = np.maximum(flo, fx)
    best = np.where(fhi > fbest, hi, best)
    return best, np.maximum(fbest, fhi)


def _bisect(f, below, above, threshold):
    """Vectorised bisection for f(t) = threshold with f(below) < threshold <= f(above)."""
    a, b = below.copy(), above.copy()
    for _ in range(_BISECTION_ITERATIONS):
        mid = 0.5 * (a + b)
        up = f(mid) >= threshold
        b = np.where(up, mid, b)
        a = np.where(up, a, mid)
    return 0.5 * (a + b)


def passes(constellation: Constellation, sites: Sites, times: TimeLike,
           min_elevation_deg: float = 10.0, *, ut1_utc: bool = True,
           max_chunk_sats: int = 512) -> pd.DataFrame:
    """Every pass of every satellite over every site in the window ``times`` samples.

    Parameters
    ----------
    constellation : Constellation
    sites : Sites
    times : TimeGrid
        The window and the coarse sampling: for a regular grid the window is
        ``[times.start, times.window_end)`` (one step past the last instant), for an
        irregular grid ``[times.start, times.end]``. Culminations are found between
        samples, so the step bounds only how close two passes of one satellite may be.
    min_elevation_deg : float
        Elevation threshold in [-90, 90) defining rise and set. (Site masks are
        not applied here: a pass is defined by one threshold, as in skyfield.)
    ut1_utc : bool
        Earth orientation, as in :meth:`Constellation.propagate`.
    max_chunk_sats : int
        Satellites per sampling chunk (memory: n_times × n_sites × chunk × 4 bytes).

    Returns
    -------
    pandas.DataFrame
        One row per pass, sorted by site then rise: ``site``, ``satellite``,
        ``satnum``, ``rise_utc``, ``culminate_utc``, ``set_utc`` (datetime64[ns],
        NaT outside the window), ``max_elevation_deg``, ``duration_s`` (inside the
        window), ``starts_before_window``, ``ends_after_window``.
    """
    import pandas as pd

    sites = check_sites(sites)
    m = check_elevation_deg(min_elevation_deg)
    max_chunk_sats = check_count(max_chunk_sats, "max_chunk_sats", minimum=1)
    grid = as_timegrid(times)
    end_ns = grid.window_end.astype("datetime64[ns]").astype(np.int64)
    span_s = float(end_ns - grid.unix_ns[0]) / 1e9
    if not span_s > 0:
        raise LeolatError(f"passes need a window of two or more instants, got {grid!r}")
    clock = _Clock(grid)
    sample_s = grid.offsets_s
    if sample_s[-1] < span_s:  # sample the window's end too
        sample_s = np.append(sample_s, span_s)
    jd, fr = clock.jd_fr(sample_s)
    grid = TimeGrid.from_jd(jd, fr)
    frames = site_frames(sites)
    check_element_age(constellation, grid)  # once for the window, not per satellite chunk
    rows = []
    for first in range(0, len(constellation), max_chunk_sats):
        sub_idx = np.arange(first, min(first + max_chunk_sats, len(constellation)))
        # Bounded by max_chunk_sats × len(grid), which the elevation cube below also takes.
        eph = constellation[sub_idx].propagate(grid, ut1_utc=ut1_utc, positions_only=True,
                                               memory_budget_mb=DEFAULT_MEMORY_BUDGET_MB,
                                               max_element_age_days=None)
        el = np.empty((len(grid), len(sites), sub_idx.size), dtype=np.float32)
        _kv.elevations(eph.r_itrf_km, frames, el)
        rows.append(_passes_in_chunk(constellation, frames, clock, el, sample_s, sub_idx, m, span_s,
                                     ut1_utc))
    cols = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    sat = cols.pop("sat")
    site = cols.pop("site")
    rise, cul, set_ = cols.pop("rise_s"), cols.pop("culminate_s"), cols.pop("set_s")
    frame = pd.DataFrame({
        "site": sites.names[site],
        "satellite": constellation.names[sat],
        "satnum": constellation.satnum[sat],
        "rise_utc": clock.utc(rise),
        "culminate_utc": clock.utc(cul),
        "set_utc": clock.utc(set_),
        "max_elevation_deg": cols["max_el"],
        "duration_s": np.where(np.isfinite(set_), set_, span_s) - np.where(np.isfinite(rise), rise, 0.0),
        "starts_before_window": ~np.isfinite(rise),
        "ends_after_window": ~np.isfinite(set_),
    })
    frame["_site_order"] = site
    frame["_start"] = np.where(np.isfinite(rise), rise, 0.0)
    frame = frame.sort_values(["_site_order", "_start", "satnum"], kind="stable")
    return frame.drop(columns=["_site_order", "_start"]).reset_index(drop=True)


def _passes_in_chunk(constellation, frames, clock, el, sample_s, sub_idx, m, span_s, ut1_utc):
    """Passes of one chunk of satellites; el is (n_times, n_sites, n_chunk)."""
    n_t = el.shape[0]
    prev = np.concatenate([np.full((1,) + el.shape[1:], -np.inf, np.float32), el[:-1]])
    nxt = np.concatenate([el[1:], np.full((1,) + el.shape[1:], -np.inf, np.float32)])
    # Local maxima of the samples (>= on the left so plateaus give one candidate),
    # including the window edges when the elevation falls away from them.
    cand = (el >= prev) & (el > nxt) & (el >= m - _CANDIDATE_MARGIN_DEG)
    ti, ki, si = np.nonzero(cand)
    empty = {k: np.empty(0, dtype=d) for k, d in (("sat", np.intp), ("site", np.intp),
             ("rise_s", float), ("culminate_s", float), ("set_s", float), ("max_el", float))}
    if ti.size == 0:
        return empty
    sat = sub_idx[si]

    def f(seconds):
        return _elevation(constellation, frames, clock, sat, ki, seconds, ut1_utc)

    lo = sample_s[np.maximum(ti - 1, 0)]
    hi = sample_s[np.minimum(ti + 1, n_t - 1)]
    t_cul, el_max = _golden_max(f, lo, hi)
    keep = el_max >= m
    ti, ki, si, sat, t_cul, el_max = (a[keep] for a in (ti, ki, si, sat, t_cul, el_max))
    if ti.size == 0:
        return empty

    # Nearest coarse sample below the threshold before and after each culmination.
    below = el < m
    idx = np.arange(n_t)[:, None, None]
    last_below = np.maximum.accumulate(np.where(below, idx, -1), axis=0)
    next_below = np.minimum.accumulate(np.where(below, idx, n_t)[::-1], axis=0)[::-1]
    # Search from the samples on either side of the refined culmination, not from the
    # sampled maximum: for a grazing pass that sample may itself be below the threshold.
    i_before = np.clip(np.searchsorted(sample_s, t_cul, side="right") - 1, 0, n_t - 1)
    i_after = np.clip(np.searchsorted(sample_s, t_cul, side="left"), 0, n_t - 1)
    j_rise = last_below[i_before, ki, si]
    j_set = next_below[i_after, ki, si]

    def f_pass(seconds, sel):
        return _elevation(constellation, frames, clock, sat[sel], ki[sel], seconds, ut1_utc)

    rise = np.full(ti.size, np.nan)
    has_rise = j_rise >= 0
    if has_rise.any():
        sel = np.nonzero(has_rise)[0]
        rise[sel] = _bisect(lambda s: f_pass(s, sel), sample_s[j_rise[sel]], t_cul[sel], m)
    set_ = np.full(ti.size, np.nan)
    has_set = j_set < n_t
    if has_set.any():
        sel = np.nonzero(has_set)[0]
        # Reversed bracket: f(above = culmination) >= m > f(below = set sample).
        set_[sel] = _bisect(lambda s: f_pass(s, sel), sample_s[j_set[sel]], t_cul[sel], m)
    # One pass may show two sampled maxima (a dip that stays above the threshold):
    # keep the highest culmination per (site, satellite, rise sample).
    key = np.stack([ki, sat, j_rise])
    order = np.lexsort((-el_max, j_rise, sat, ki))
    key_sorted = key[:, order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = np.any(key_sorted[:, 1:] != key_sorted[:, :-1], axis=0)
    pick = order[first]
    return {"sat": sat[pick], "site": ki[pick], "rise_s": rise[pick], "culminate_s": t_cul[pick],
            "set_s": set_[pick], "max_el": el_max[pick]}

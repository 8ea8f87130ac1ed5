"""Coverage figures of merit over sites and global grids.

:func:`coverage` streams over time chunks: each chunk's visible counts come from a
satellite-centred search (each satellite tests only the targets inside a bound of
its visibility cap, then the exact elevation test), and fold into running
per-target statistics, so memory stays bounded for long windows and large grids.

Conventions (documented in docs/coverage.md):

* samples hold: a sample at ``t_i`` stands for ``[t_i, t_i + step)``; durations
  are whole steps;
* a target is *covered* at a step when at least ``k`` satellites are at or above
  ``min_elevation_deg``;
* a *gap* is a maximal run of uncovered steps. ``edge_gaps="include"`` counts gaps
  cut by the window edges with their truncated length; ``"exclude"`` ignores them
  (they are not known to be gaps of that length);
* *time-average gap* is Σ gap² / window duration (the STK definition);
* *mean revisit time* is the mean time between the starts of consecutive coverage
  intervals (NaN with fewer than two).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._kernels import coverage as _kc
from .._kernels import layout as L
from ..base.budget import DEFAULT_MEMORY_BUDGET_MB
from ..base.errors import CoverageError
from ..base.validate import check_count, check_elevation_deg
from ..ground.site_frames import site_frames
from ..ground.sites import Sites
from ..orbits.ephemeris import Ephemeris
from ..orbits.propagate import DEFAULT_BACKEND, positions_chunks
from ..reference.time import TimeLike

if TYPE_CHECKING:
    import xarray as xr

    from ..orbits.constellation import Constellation

__all__ = ["coverage", "visible_counts"]

_HIST_BINS = 64


def _band_index(sites: Sites):
    """Targets sorted into 1° latitude bands, by longitude within each band."""
    band_lo = -90.0
    band = np.clip(np.floor(sites.lat_deg - band_lo).astype(np.int64), 0, 179)
    order = np.lexsort((sites.lon_deg, band))
    ptr = np.concatenate([[0], np.cumsum(np.bincount(band, minlength=180))]).astype(np.int64)
    return ptr, band_lo, order.astype(np.int64), np.ascontiguousarray(sites.lon_deg[order])


def visible_counts(eph: Ephemeris, sites: Sites, min_elevation_deg: float) -> np.ndarray:
    """Visible-satellite counts (n_times, n_targets) int32 by the satellite-centred search."""
    ptr, lo, order, lon = _band_index(sites)
    counts = np.empty((eph.n_times, len(sites)), dtype=np.int32)
    _kc.counts_by_cap(eph.r_itrf_km, site_frames(sites), ptr, lo, order, lon,
                      float(min_elevation_deg), counts)
    return counts



def coverage(source: Constellation | Ephemeris, sites: Sites, times: TimeLike | None = None,
             min_elevation_deg: float = 25.0, k: int = 1, *, edge_gaps: str = "include",
             backend: str = DEFAULT_BACKEND,
             memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> xr.Dataset:
    """Coverage statistics of every site (or grid point) over a window.

    Parameters
    ----------
    source : Constellation or Ephemeris
    sites : Sites
        Cities, CSV points or a ``Sites.grid(...)`` (weights are carried along).
    times : TimeGrid
        Required with a Constellation; it must be regular (durations are whole steps).
    min_elevation_deg : float
        In [0, 90).
    k : int
        Satellites needed for a site to count as covered (>= 1).
    edge_gaps : {"include", "exclude"}
        Whether gaps cut by the window edges count (with truncated length).
    backend, memory_budget_mb
        Propagation backend and the peak memory of one chunk (MiB).

    Returns
    -------
    xarray.Dataset
        Indexed by ``target`` (with ``lat_deg``, ``lon_deg``, ``weight``): ``mean_visible``,
        ``min_visible``, ``max_visible``, ``visible_histogram`` (target, n_visible: steps
        with that many satellites, the last bin collecting 63 and more),
        ``percent_covered``, ``n_gaps``, ``max_gap_s``, ``mean_gap_s``,
        ``time_average_gap_s``, ``mean_revisit_s``.
    """
    import xarray as xr

    if not isinstance(sites, Sites):
        raise CoverageError(f"sites must be a leolat.Sites, got {type(sites).__name__}")
    k = check_count(k, "k", error=CoverageError, minimum=1)
    min_el = check_elevation_deg(min_elevation_deg, error=CoverageError, low=0.0)
    if edge_gaps not in ("include", "exclude"):
        raise CoverageError(f"edge_gaps must be 'include' or 'exclude', got {edge_gaps!r}")
    chunks, grid = positions_chunks(source, times, what="coverage", backend=backend,
                                    memory_budget_mb=memory_budget_mb, error=CoverageError)
    if len(grid) < 2:
        raise CoverageError("coverage needs at least two instants")
    step_s = grid.step_s
    if step_s is None:
        raise CoverageError("coverage needs a regular time grid (durations are whole steps)")
    n = len(sites)
    state = np.zeros((L.COV_ROWS, n))
    state[L.COV_MIN] = np.inf
    hist = np.zeros((n, _HIST_BINS), dtype=np.int64)
    for eph in chunks:
        counts = visible_counts(eph, sites, min_el)
        _kc.update_stats(counts, k, hist, state)
    n_t = state[L.COV_STEPS]
    duration_s = n_t * step_s
    n_gaps = state[L.COV_GAPS].copy()
    max_gap = state[L.COV_GAP_MAX].copy()
    sum_gap = state[L.COV_GAP_SUM].copy()
    sum_gap2 = state[L.COV_GAP_SUM2].copy()
    if edge_gaps == "include":
        # Gaps that touched the window start, and the gap still open at the window end.
        open_gap = state[L.COV_GAP]
        n_gaps += state[L.COV_EDGE_GAPS] + (open_gap > 0)
        max_gap = np.maximum(np.maximum(max_gap, state[L.COV_EDGE_GAP_MAX]), open_gap)
        sum_gap += state[L.COV_EDGE_GAP_SUM] + open_gap
        sum_gap2 += state[L.COV_EDGE_GAP_SUM2] + open_gap ** 2
    starts = state[L.COV_STARTS]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_gap = np.where(n_gaps > 0, sum_gap / n_gaps, 0.0) * step_s
        revisit = np.where(starts >= 2, (state[L.COV_LAST_START] - state[L.COV_FIRST_START])
                           / (starts - 1), np.nan) * step_s
    weight = sites.weight if sites.weight is not None else np.ones(n)
    ds = xr.Dataset(
        {
            "mean_visible": (("target",), state[L.COV_SUM] / n_t),
            "min_visible": (("target",), state[L.COV_MIN].astype(np.int64)),
            "max_visible": (("target",), state[L.COV_MAX].astype(np.int64)),
            "visible_histogram": (("target", "n_visible"), hist),
            "percent_covered": (("target",), 100.0 * state[L.COV_COVERED] / n_t),
            "n_gaps": (("target",), n_gaps.astype(np.int64)),
            "max_gap_s": (("target",), max_gap * step_s),
            "mean_gap_s": (("target",), mean_gap),
            "time_average_gap_s": (("target",), sum_gap2 * step_s ** 2 / duration_s),
            "mean_revisit_s": (("target",), revisit),
        },
        coords={"target": sites.names, "lat_deg": ("target", sites.lat_deg),
                "lon_deg": ("target", sites.lon_deg), "weight": ("target", weight),
                "n_visible": np.arange(_HIST_BINS)},
        attrs={"min_elevation_deg": min_el, "k": k, "step_s": step_s,
               "duration_s": float(duration_s[0]), "edge_gaps": edge_gaps,
               "start_utc": str(grid.utc[0]), "n_times": len(grid)},
    )
    for name in ("max_gap_s", "mean_gap_s", "time_average_gap_s", "mean_revisit_s"):
        ds[name].attrs["units"] = "s"
    ds["percent_covered"].attrs["units"] = "%"
    return ds

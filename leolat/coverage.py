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

import numpy as np

from ._kernels import coverage as _kc
from .errors import LeolatError
from .propagate import Ephemeris
from .sites import Sites, site_frames
from .time import TimeGrid

__all__ = ["coverage", "coverage_summary", "coverage_by_latitude", "CoverageError"]

_N_STATE = 19
_HIST_BINS = 64


class CoverageError(LeolatError):
    """Bad coverage input (k, elevation, edge convention, targets)."""


def _band_index(sites: Sites):
    """Targets sorted into 1° latitude bands, by longitude within each band."""
    band_lo = -90.0
    band = np.clip(np.floor(sites.lat_deg - band_lo).astype(np.int64), 0, 179)
    order = np.lexsort((sites.lon_deg, band))
    ptr = np.concatenate([[0], np.cumsum(np.bincount(band, minlength=180))]).astype(np.int64)
    return ptr, band_lo, order.astype(np.int64), np.ascontiguousarray(sites.lon_deg[order])


def visible_counts(eph: Ephemeris, targets: Sites, min_elevation_deg: float) -> np.ndarray:
    """Visible-satellite counts (n_times, n_targets) int32 by the satellite-centred search."""
    ptr, lo, order, lon = _band_index(targets)
    counts = np.empty((eph.n_times, len(targets)), dtype=np.int32)
    _kc.counts_by_cap(eph.r_itrf_km, site_frames(targets), ptr, lo, order, lon,
                      float(min_elevation_deg), counts)
    return counts


def coverage(source, targets: Sites, times: TimeGrid | None = None, min_elevation_deg: float = 25.0,
             k: int = 1, *, edge_gaps: str = "include", backend: str = "numba",
             memory_budget_mb: float = 512.0):
    """Coverage statistics of every target over a window.

    Parameters
    ----------
    source : Constellation or Ephemeris
    targets : Sites
        Cities, CSV points or a ``Sites.grid(...)`` (weights are carried along).
    times : TimeGrid
        Required with a Constellation; a regular step is assumed for durations.
    min_elevation_deg : float
        In [0, 90).
    k : int
        Satellites needed for a target to count as covered (>= 1).
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

    if not isinstance(targets, Sites):
        raise CoverageError(f"targets must be a leolat.Sites, got {type(targets).__name__}")
    if int(k) != k or k < 1:
        raise CoverageError(f"k must be an integer >= 1, got {k!r}")
    if not 0.0 <= float(min_elevation_deg) < 90.0:
        raise CoverageError(f"min_elevation_deg must lie in [0, 90), got {min_elevation_deg!r}")
    if edge_gaps not in ("include", "exclude"):
        raise CoverageError(f"edge_gaps must be 'include' or 'exclude', got {edge_gaps!r}")
    if isinstance(source, Ephemeris):
        chunks, times = [source], source.times
    else:
        if times is None:
            raise CoverageError("coverage(constellation, ...) needs times=TimeGrid(...)")
        chunks = source.propagate_chunks(times, backend=backend, memory_budget_mb=memory_budget_mb,
                                         positions_only=True)
    if len(times) < 2:
        raise CoverageError("coverage needs at least two instants")
    steps = np.diff(times.unix_ns)
    if np.any(steps != steps[0]):
        raise CoverageError("coverage needs a regular time grid (durations are whole steps)")
    step_s = steps[0] / 1e9
    n = len(targets)
    state = np.zeros((_N_STATE, n))
    state[1] = np.inf
    hist = np.zeros((n, _HIST_BINS), dtype=np.int64)
    for eph in chunks:
        counts = visible_counts(eph, targets, min_elevation_deg)
        _kc.update_stats(counts, int(k), hist, state)
    n_t = state[4]
    duration_s = n_t * step_s
    # Close the open gap: it touches the window end.
    open_gap = state[5]
    open_from_start = state[6] > 0
    n_gaps, max_gap, sum_gap, sum_gap2 = state[7].copy(), state[8].copy(), state[9].copy(), state[10].copy()
    if edge_gaps == "include":
        n_gaps += state[15]
        max_gap = np.maximum(max_gap, state[16])
        sum_gap += state[17]
        sum_gap2 += state[18]
        has_open = open_gap > 0
        n_gaps += has_open
        max_gap = np.maximum(max_gap, open_gap)
        sum_gap += open_gap
        sum_gap2 += open_gap ** 2
    del open_from_start
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_gap = np.where(n_gaps > 0, sum_gap / n_gaps, 0.0) * step_s
        revisit = np.where(state[11] >= 2, (state[13] - state[12]) / (state[11] - 1), np.nan) * step_s
    weight = targets.weight if targets.weight is not None else np.ones(n)
    ds = xr.Dataset(
        {
            "mean_visible": (("target",), state[0] / n_t),
            "min_visible": (("target",), state[1].astype(np.int64)),
            "max_visible": (("target",), state[2].astype(np.int64)),
            "visible_histogram": (("target", "n_visible"), hist),
            "percent_covered": (("target",), 100.0 * state[3] / n_t),
            "n_gaps": (("target",), n_gaps.astype(np.int64)),
            "max_gap_s": (("target",), max_gap * step_s),
            "mean_gap_s": (("target",), mean_gap),
            "time_average_gap_s": (("target",), sum_gap2 * step_s ** 2 / duration_s),
            "mean_revisit_s": (("target",), revisit),
        },
        coords={"target": targets.names, "lat_deg": ("target", targets.lat_deg),
                "lon_deg": ("target", targets.lon_deg), "weight": ("target", weight),
                "n_visible": np.arange(_HIST_BINS)},
        attrs={"min_elevation_deg": float(min_elevation_deg), "k": int(k), "step_s": step_s,
               "duration_s": float(duration_s[0]), "edge_gaps": edge_gaps,
               "start_utc": str(times.utc[0]), "n_times": len(times)},
    )
    for name in ("max_gap_s", "mean_gap_s", "time_average_gap_s", "mean_revisit_s"):
        ds[name].attrs["units"] = "s"
    ds["percent_covered"].attrs["units"] = "%"
    return ds


def coverage_summary(ds) -> dict:
    """Weighted global figures: percent covered and mean visible, weighted by ``weight``
    (cell area for grids, population for cities), and unweighted."""
    w = ds["weight"].values
    pc = ds["percent_covered"].values
    mv = ds["mean_visible"].values
    return {"percent_covered_weighted": float(np.sum(w * pc) / np.sum(w)),
            "mean_visible_weighted": float(np.sum(w * mv) / np.sum(w)),
            "percent_covered_unweighted": float(pc.mean()),
            "targets": int(pc.size)}


def coverage_by_latitude(ds, band_deg: float = 10.0):
    """Weighted percent covered and mean visible per latitude band, as an xarray.Dataset."""
    import xarray as xr

    if not band_deg > 0 or abs(180.0 / band_deg - round(180.0 / band_deg)) > 1e-9:
        raise CoverageError(f"band_deg must divide 180, got {band_deg!r}")
    edges = np.arange(-90.0, 90.0 + band_deg / 2, band_deg)
    lat = ds["lat_deg"].values
    w = ds["weight"].values
    idx = np.clip(np.digitize(lat, edges) - 1, 0, edges.size - 2)
    wsum = np.bincount(idx, weights=w, minlength=edges.size - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pc = np.bincount(idx, weights=w * ds["percent_covered"].values, minlength=edges.size - 1) / wsum
        mv = np.bincount(idx, weights=w * ds["mean_visible"].values, minlength=edges.size - 1) / wsum
    centres = 0.5 * (edges[:-1] + edges[1:])
    return xr.Dataset({"percent_covered": ("lat_band", pc), "mean_visible": ("lat_band", mv)},
                      coords={"lat_band": centres})

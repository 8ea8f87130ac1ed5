"""Visibility from ground sites: visible-satellite counts (n_times, n_sites) and a sparse
(time, site, satellite, elevation) listing, streamed over time so the dense cube of
:func:`leolat.look_angles` never exists: top-1,000 cities × 4,408 satellites × 8,640
steps runs in bounded memory.

A satellite is visible when its elevation is at least ``max(min_elevation_deg,
mask(azimuth))`` (inclusive), with elevation measured from the WGS84 ellipsoid
normal at the site, as skyfield's ``altaz`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._kernels import visibility as _kv
from ..base.budget import DEFAULT_MEMORY_BUDGET_MB
from ..base.validate import check_elevation_deg
from ..ground.site_frames import site_frames
from ..ground.sites import MASK_STEP_DEG, Sites
from ..orbits.ephemeris import Ephemeris
from ..orbits.propagate import DEFAULT_BACKEND, positions_chunks
from ..reference.time import TimeGrid, TimeLike
from .look_angles import check_sites

if TYPE_CHECKING:
    from ..orbits.constellation import Constellation

__all__ = ["Visibility", "visible"]


@dataclass(frozen=True)
class Visibility:
    """Which satellites each site sees, over time.

    Attributes
    ----------
    times : TimeGrid
    site_names : numpy.ndarray of str, (n_sites,)
    counts : numpy.ndarray of int32, (n_times, n_sites)
        Number of visible satellites.
    time_index, site_index, sat_index : numpy.ndarray of int32, (n_visible,)
        The sparse listing: one entry per visible (time, site, satellite), sorted by
        time, then site, then satellite.
    elevation_deg : numpy.ndarray of float32, (n_visible,)
    min_elevation_deg : float
    """

    times: TimeGrid
    site_names: np.ndarray
    counts: np.ndarray
    time_index: np.ndarray
    site_index: np.ndarray
    sat_index: np.ndarray
    elevation_deg: np.ndarray
    min_elevation_deg: float

    def visible_at(self, time_index: int, site: int) -> np.ndarray:
        """Satellite indices visible from ``site`` at ``time_index``."""
        sel = (self.time_index == time_index) & (self.site_index == site)
        return self.sat_index[sel]

    def __repr__(self) -> str:
        return (f"Visibility({len(self.times)} times × {len(self.site_names)} sites, "
                f"{self.sat_index.size:,} visible pairs, mean "
                f"{self.counts.mean():.2f} per site, min elevation {self.min_elevation_deg}°)")


def _mask(sites: Sites) -> np.ndarray:
    return sites.mask_table if sites.mask_table is not None else np.zeros((0, 1))


def _visible_chunk(eph: Ephemeris, sites: Sites, frames, table, min_el: float):
    counts = np.empty((eph.n_times, len(sites)), dtype=np.int32)
    _kv.visible_counts(eph.r_itrf_km, frames, table, MASK_STEP_DEG, min_el, counts)
    per_time = counts.sum(axis=1, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(per_time)[:-1]]).astype(np.int64)
    total = int(per_time.sum())
    t_i = np.empty(total, dtype=np.int32)
    s_i = np.empty(total, dtype=np.int32)
    k_i = np.empty(total, dtype=np.int32)
    el = np.empty(total, dtype=np.float64)
    _kv.visible_listing(eph.r_itrf_km, frames, table, MASK_STEP_DEG, min_el, offsets, t_i, s_i,
                        k_i, el)
    return counts, t_i, s_i, k_i, el.astype(np.float32)


def visible(source: Ephemeris | Constellation, sites: Sites, min_elevation_deg: float = 0.0, *,
            times: TimeLike | None = None, backend: str = DEFAULT_BACKEND,
            memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> Visibility:
    """Visible-satellite counts and a sparse listing, without the dense cube.

    Parameters
    ----------
    source : Ephemeris or Constellation
        Precomputed states, or a constellation to propagate over ``times`` in chunks.
    sites : Sites
    min_elevation_deg : float
        Elevation threshold in [-90, 90); sites' own masks apply on top.
    times : TimeGrid, optional
        Required when ``source`` is a Constellation.
    backend : str
        Propagation backend when ``source`` is a Constellation.
    memory_budget_mb : float
        Peak memory of one propagation chunk, MiB.

    Returns
    -------
    Visibility
    """
    sites = check_sites(sites)
    min_el = check_elevation_deg(min_elevation_deg)
    frames = site_frames(sites)
    table = _mask(sites)
    chunks, grid = positions_chunks(source, times, what="visible", backend=backend,
                                    memory_budget_mb=memory_budget_mb)
    parts = []
    start = 0
    for eph in chunks:
        counts, t_i, s_i, k_i, el = _visible_chunk(eph, sites, frames, table, min_el)
        parts.append((counts, t_i + start, s_i, k_i, el))
        start += eph.n_times
    cat = lambda j: np.concatenate([p[j] for p in parts])  # noqa: E731
    return Visibility(times=grid, site_names=sites.names, counts=cat(0), time_index=cat(1),
                      site_index=cat(2), sat_index=cat(3), elevation_deg=cat(4),
                      min_elevation_deg=min_el)

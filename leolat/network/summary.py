"""Per-pair latency summaries, and the ``ds.leolat`` accessor on latency Datasets.

Every summary in leolat is a pandas DataFrame, one row per pair (or target, or
scenario and pair), so that tables print, join and export alike (docs/design.md).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

__all__ = ["latency_summary", "register_accessor"]


def latency_summary(ds: xr.Dataset) -> pd.DataFrame:
    """Per-pair statistics of ``rtt_ms``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``pair``: ``rtt_min_ms``, ``rtt_median_ms``, ``rtt_p95_ms``,
        ``rtt_max_ms``, ``jitter_ms`` (standard deviation of step-to-step changes),
        ``reachable_pct`` (percent of steps with a path), ``path_changes``, and the
        per-pair baselines the Dataset carries (``vacuum_rtt_ms``, ``fiber_bound_rtt_ms``,
        ``fiber_rtt_ms`` and its ``fiber_rtt_source``).
        Statistics of a pair that is never reachable are NaN.
    """
    import pandas as pd

    rtt = ds["rtt_ms"].values
    ok = np.isfinite(rtt)
    reach = ok.any(axis=0)

    def reduce(fn):
        out = np.full(rtt.shape[1], np.nan)
        if reach.any():
            out[reach] = fn(rtt[:, reach])
        return out

    with np.errstate(invalid="ignore"):
        steps = np.diff(rtt, axis=0)
        jitter = np.full(rtt.shape[1], np.nan)
        fin = np.isfinite(steps).any(axis=0)
        if fin.any():
            jitter[fin] = np.nanstd(steps[:, fin], axis=0)
    table = pd.DataFrame({
        "rtt_min_ms": reduce(lambda a: np.nanmin(a, axis=0)),
        "rtt_median_ms": reduce(lambda a: np.nanmedian(a, axis=0)),
        "rtt_p95_ms": reduce(lambda a: np.nanquantile(a, 0.95, axis=0)),
        "rtt_max_ms": reduce(lambda a: np.nanmax(a, axis=0)),
        "jitter_ms": jitter,
        "reachable_pct": 100.0 * ok.mean(axis=0),
        "path_changes": ds["path_changes"].values.astype(np.int64),
    }, index=pd.Index([str(p) for p in ds["pair"].values], name="pair"))
    for name in ("vacuum_rtt_ms", "fiber_bound_rtt_ms", "fiber_rtt_ms", "fiber_rtt_source"):
        if name in ds:
            table[name] = ds[name].values
    return table


@functools.cache
def register_accessor() -> None:
    """Register ``ds.leolat.summary()`` with xarray: once per process, called by every
    function that builds or reads a leolat Dataset (so ``import leolat`` need not import
    xarray)."""
    import xarray as xr

    @xr.register_dataset_accessor("leolat")
    class LeolatAccessor:
        """``ds.leolat``: leolat's methods on its latency Datasets."""

        def __init__(self, ds: xr.Dataset):
            self._ds = ds

        def summary(self) -> pd.DataFrame:
            """Per-pair RTT statistics; see :func:`leolat.latency_summary`."""
            return latency_summary(self._ds)

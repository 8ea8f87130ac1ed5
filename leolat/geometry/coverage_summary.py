"""Summaries of a coverage Dataset: global weighted figures, and figures by latitude band.

Like every summary in leolat, these return a pandas DataFrame (see docs/design.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..base.errors import CoverageError

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

__all__ = ["coverage_summary", "coverage_by_latitude"]


def coverage_summary(ds: xr.Dataset) -> pd.DataFrame:
    """Weighted global figures in one row: percent covered and mean visible, weighted by
    ``weight`` (cell area for grids, population for cities), and unweighted.

    Returns
    -------
    pandas.DataFrame
        One row, columns ``percent_covered_weighted``, ``mean_visible_weighted``,
        ``percent_covered_unweighted``, ``targets``.
    """
    import pandas as pd

    w = ds["weight"].values
    pc = ds["percent_covered"].values
    mv = ds["mean_visible"].values
    return pd.DataFrame({"percent_covered_weighted": [float(np.sum(w * pc) / np.sum(w))],
                         "mean_visible_weighted": [float(np.sum(w * mv) / np.sum(w))],
                         "percent_covered_unweighted": [float(pc.mean())],
                         "targets": [int(pc.size)]})


def coverage_by_latitude(ds: xr.Dataset, band_deg: float = 10.0) -> pd.DataFrame:
    """Weighted percent covered and mean visible per latitude band.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lat_band`` (band centre, degrees), columns ``percent_covered`` and
        ``mean_visible`` (NaN for bands without targets).
    """
    import pandas as pd

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
    return pd.DataFrame({"percent_covered": pc, "mean_visible": mv},
                        index=pd.Index(centres, name="lat_band"))

"""The ``coverage_stats`` study metric: per-target coverage statistics of one time slice,
which merge exactly across slices.

A study of global coverage over weeks cannot keep one row per (time, target): a 1° grid
over 30 days at 60 s is 2.8 billion counts. Each chunk instead folds its counts into a
fixed number of values per target, and :func:`merge_coverage_stats` joins the chunks of a
window in time order into the statistics :func:`leolat.coverage` gives for the whole
window (the tests check they are equal):

* sums and extremes add up or take the min/max;
* a gap (a run of uncovered steps) can cross chunk boundaries, so each chunk keeps the
  uncovered run at its start (``lead_gap_steps``) and at its end (``trail_gap_steps``)
  apart from the gaps closed on both sides inside it; a boundary joins the trailing run of
  one chunk to the leading run of the next.

Memory per chunk is its counts (n_steps × n_targets int32) plus a few arrays per target,
whatever the window's length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._kernels import coverage as _kc
from .._kernels import layout as L

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMNS", "chunk_stats", "merge_coverage_stats"]

# Per target and chunk (int32, steps of the chunk's grid).
COLUMNS = ("steps", "covered_steps", "sum_visible", "min_visible", "max_visible",
           "lead_gap_steps", "trail_gap_steps", "inner_gap_max_steps", "inner_gaps")
_GROUP = ["constellation", "site_set", "policy", "window"]


def chunk_stats(counts: np.ndarray, k: int = 1) -> dict[str, np.ndarray]:
    """Mergeable statistics of visible counts (n_steps, n_targets) int32: {column: (n_targets,)}."""
    n_steps, n = counts.shape
    state = np.zeros((L.COV_ROWS, n))
    state[L.COV_MIN] = np.inf
    hist = np.zeros((n, 1), dtype=np.int64)  # one bin: the histogram is not kept here
    _kc.update_stats(counts, k, hist, state)
    open_gap = state[L.COV_GAP]
    # The run at the start: closed inside the chunk (an "edge" gap), or still open at its end.
    lead = np.where(state[L.COV_EDGE_GAPS] > 0, state[L.COV_EDGE_GAP_MAX],
                    np.where(state[L.COV_GAP_AT_START] > 0, open_gap, 0.0))
    out = {"steps": state[L.COV_STEPS], "covered_steps": state[L.COV_COVERED],
           "sum_visible": state[L.COV_SUM], "min_visible": state[L.COV_MIN],
           "max_visible": state[L.COV_MAX], "lead_gap_steps": lead, "trail_gap_steps": open_gap,
           "inner_gap_max_steps": state[L.COV_GAP_MAX], "inner_gaps": state[L.COV_GAPS]}
    # sum_visible < n_steps · 2^31 / n_steps: int64 for it, int32 for the rest.
    return {key: v.astype(np.int64 if key == "sum_visible" else np.int32) for key, v in out.items()}


def merge_coverage_stats(table: pd.DataFrame, edge_gaps: str = "include") -> pd.DataFrame:
    """Per-target statistics over each whole window from the chunks of a ``coverage_stats``
    table (as :func:`leolat.app.study.read_study` returns it).

    Returns
    -------
    pandas.DataFrame
        One row per (constellation, site_set, policy, window, site): ``percent_covered``,
        ``mean_visible``, ``min_visible``, ``max_visible``, ``n_gaps``, ``max_gap_s``, as
        :func:`leolat.coverage` defines them (``edge_gaps`` as there).
    """
    import pandas as pd

    if edge_gaps not in ("include", "exclude"):
        raise ValueError(f"edge_gaps must be 'include' or 'exclude', got {edge_gaps!r}")
    parts = []
    for key, g in table.groupby(_GROUP, sort=False):
        g = g.sort_values(["start", "site_index"], kind="stable")
        n_chunks = g["start"].nunique()
        n = len(g) // n_chunks
        col = {c: g[c].to_numpy().reshape(n_chunks, n).astype(np.int64) for c in COLUMNS}
        steps = np.zeros(n, dtype=np.int64)
        lead = np.zeros(n, dtype=np.int64)
        trail = np.zeros(n, dtype=np.int64)
        inner_max = np.zeros(n, dtype=np.int64)
        inner_n = np.zeros(n, dtype=np.int64)
        for i in range(n_chunks):
            c_steps, c_lead, c_trail = col["steps"][i], col["lead_gap_steps"][i], col["trail_gap_steps"][i]
            r_all = lead == steps  # uncovered so far (or nothing yet)
            c_all = c_lead == c_steps
            joined = trail + c_lead
            # The run across the boundary is a closed inner gap when covered steps lie on
            # both sides of it; otherwise it extends the leading or the trailing run.
            inside = ~r_all & ~c_all & (joined > 0)
            inner_max = np.maximum.reduce([inner_max, col["inner_gap_max_steps"][i],
                                           np.where(inside, joined, 0)])
            inner_n = inner_n + col["inner_gaps"][i] + inside
            lead = np.where(r_all, steps + c_lead, lead)
            trail = np.where(c_all, trail + c_steps, c_trail)
            steps = steps + c_steps
        all_gap = lead == steps
        step_s = float(g["step_s"].iloc[0])
        if edge_gaps == "include":
            n_gaps = inner_n + np.where(all_gap, 1, (lead > 0).astype(int) + (trail > 0))
            max_gap = np.maximum.reduce([inner_max, lead, trail])
        else:
            n_gaps, max_gap = inner_n, inner_max
        first = g.iloc[:n]
        parts.append(pd.DataFrame({
            **dict(zip(_GROUP, key)), "site": first["site"].to_numpy(),
            "percent_covered": 100.0 * col["covered_steps"].sum(axis=0) / steps,
            "mean_visible": col["sum_visible"].sum(axis=0) / steps,
            "min_visible": col["min_visible"].min(axis=0), "max_visible": col["max_visible"].max(axis=0),
            "n_gaps": n_gaps, "max_gap_s": max_gap * step_s, "steps": steps}))
    if not parts:
        return pd.DataFrame(columns=_GROUP + ["site", "percent_covered", "mean_visible",
                                              "min_visible", "max_visible", "n_gaps", "max_gap_s"])
    return pd.concat(parts, ignore_index=True)

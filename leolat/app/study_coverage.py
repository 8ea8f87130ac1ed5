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

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from .._kernels import coverage as _kc
from .._kernels import layout as L

if TYPE_CHECKING:
    import pandas as pd

    from .study_file import Study

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


class _Fold:
    """Running statistics of one (constellation, site set, policy, window), chunks in time order."""

    def __init__(self, sites: np.ndarray, step_s: float):
        n = sites.size
        self.sites, self.step_s = sites, step_s
        z = lambda: np.zeros(n, dtype=np.int64)  # noqa: E731
        self.steps, self.lead, self.trail, self.inner_max, self.inner_n = z(), z(), z(), z(), z()
        self.covered, self.sum = z(), z()
        self.min = np.full(n, np.iinfo(np.int64).max)
        self.max = np.full(n, np.iinfo(np.int64).min)

    def add(self, col: dict[str, np.ndarray]) -> None:
        c_steps, c_lead, c_trail = col["steps"], col["lead_gap_steps"], col["trail_gap_steps"]
        r_all = self.lead == self.steps  # uncovered so far (or nothing yet)
        c_all = c_lead == c_steps
        joined = self.trail + c_lead
        # The run across the boundary is a closed inner gap when covered steps lie on both
        # sides of it; otherwise it extends the leading or the trailing run.
        inside = ~r_all & ~c_all & (joined > 0)
        self.inner_max = np.maximum.reduce([self.inner_max, col["inner_gap_max_steps"],
                                            np.where(inside, joined, 0)])
        self.inner_n = self.inner_n + col["inner_gaps"] + inside
        self.lead = np.where(r_all, self.steps + c_lead, self.lead)
        self.trail = np.where(c_all, self.trail + c_steps, c_trail)
        self.steps = self.steps + c_steps
        self.covered += col["covered_steps"]
        self.sum += col["sum_visible"]
        self.min = np.minimum(self.min, col["min_visible"])
        self.max = np.maximum(self.max, col["max_visible"])

    def result(self, key: tuple, edge_gaps: str) -> pd.DataFrame:
        import pandas as pd

        all_gap = self.lead == self.steps
        if edge_gaps == "include":
            n_gaps = self.inner_n + np.where(all_gap, 1, (self.lead > 0).astype(np.int64) + (self.trail > 0))
            max_gap = np.maximum.reduce([self.inner_max, self.lead, self.trail])
        else:
            n_gaps, max_gap = self.inner_n, self.inner_max
        return pd.DataFrame({
            **dict(zip(_GROUP, key)), "site": self.sites,
            "percent_covered": 100.0 * self.covered / self.steps, "mean_visible": self.sum / self.steps,
            "min_visible": self.min, "max_visible": self.max, "n_gaps": n_gaps,
            "max_gap_s": max_gap * self.step_s, "steps": self.steps})


def _chunk_tables(source) -> Iterator[pd.DataFrame]:
    """The chunk tables of a ``coverage_stats`` table or study, each group's in time order."""
    from .study_file import Study

    if isinstance(source, Study):
        from .study_store import chunk_state, read_chunk

        chunks = sorted((c for c in source.chunks if c.metric == "coverage_stats"),
                        key=lambda c: (c.constellation, c.site_set, c.policy, c.window, c.start_ns))
        for c in chunks:
            if chunk_state(source.output, source.format, c) == "done":
                yield read_chunk(source.output, source.format, c)
        return
    for _, part in source.sort_values(["start", "site_index"], kind="stable").groupby(
            _GROUP + ["start"], sort=False):
        yield part


def merge_coverage_stats(source: pd.DataFrame | Study, edge_gaps: str = "include") -> pd.DataFrame:
    """Per-target statistics over each whole window from the chunks of ``coverage_stats``.

    Parameters
    ----------
    source : pandas.DataFrame or Study
        The ``coverage_stats`` table :func:`leolat.app.study.read_study` returns, or the
        study itself: its chunks are then read one at a time, so memory stays at one chunk
        plus a few arrays per target however long the window (a 1° grid over 30 days is
        7.8 million rows).
    edge_gaps : {"include", "exclude"}
        As for :func:`leolat.coverage`.

    Returns
    -------
    pandas.DataFrame
        One row per (constellation, site_set, policy, window, site): ``percent_covered``,
        ``mean_visible``, ``min_visible``, ``max_visible``, ``n_gaps``, ``max_gap_s`` (and
        ``steps``), as :func:`leolat.coverage` defines them. A window some of whose chunks
        are missing merges what is there, in time order.
    """
    import pandas as pd

    if edge_gaps not in ("include", "exclude"):
        raise ValueError(f"edge_gaps must be 'include' or 'exclude', got {edge_gaps!r}")
    folds: dict[tuple, _Fold] = {}
    for part in _chunk_tables(source):
        part = part.sort_values("site_index", kind="stable")
        key = tuple(part[k].iloc[0] for k in _GROUP)
        if key not in folds:
            folds[key] = _Fold(part["site"].to_numpy(), float(part["step_s"].iloc[0]))
        folds[key].add({c: part[c].to_numpy().astype(np.int64) for c in COLUMNS})
    if not folds:
        return pd.DataFrame(columns=_GROUP + ["site", "percent_covered", "mean_visible", "min_visible",
                                              "max_visible", "n_gaps", "max_gap_s", "steps"])
    return pd.concat([f.result(k, edge_gaps) for k, f in folds.items()], ignore_index=True)

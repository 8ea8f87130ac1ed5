"""The coverage_stats study metric: chunks of per-target statistics that merge, across chunk
boundaries, into exactly what ``coverage`` gives over the whole window."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from leolat import Constellation, LeolatError, Sites, TimeGrid, coverage
from leolat.app.specs import load_sites
from leolat.app.study import read_study, run_chunk, run_study
from leolat.app.study_coverage import chunk_stats, merge_coverage_stats
from leolat.app.study_store import chunk_path

STUDY = """
[study]
name = "cov"
output = "out"
metrics = ["coverage_stats"]

[[constellations]]
name = "k1"
source = "kuiper-k1"

[[site_sets]]
name = "g10"
sites = "grid:10"

[[windows]]
name = "w"
start = "2026-01-01T00:00:00Z"
duration_s = 21600
step_s = 60
chunk_s = 2400

[[policies]]
name = "el35"
min_elevation_deg = 35
"""


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cov")
    (tmp / "s.toml").write_text(STUDY)
    run = run_study(tmp / "s.toml")
    assert len(run.computed) == 9  # 6 h in chunks of 40 min
    table = read_study(run.study)["coverage_stats"]
    assert len(table) == 9 * 648
    return run.study, table


@pytest.mark.parametrize("edge_gaps", ["include", "exclude"])
def test_merged_chunks_equal_coverage_over_the_whole_window(merged, edge_gaps):
    study, merged = merged
    m = merge_coverage_stats(merged, edge_gaps=edge_gaps)
    # Read chunk by chunk from the study (bounded memory): the same table.
    pd.testing.assert_frame_equal(merge_coverage_stats(study, edge_gaps=edge_gaps), m)
    whole = coverage(Constellation.preset("kuiper-k1"), Sites.grid(10),
                     TimeGrid.from_utc("2026-01-01T00:00:00Z", 21600, 60), 35, edge_gaps=edge_gaps)
    assert m["site"].tolist() == whole["target"].values.tolist()
    for name in ("percent_covered", "mean_visible", "min_visible", "max_visible", "n_gaps", "max_gap_s"):
        np.testing.assert_array_equal(m[name].to_numpy(), whole[name].to_numpy(), err_msg=name)
    # The test means something only if gaps cross chunk boundaries: the longest gap seen
    # inside any one chunk is shorter than the merged one for some targets.
    per_chunk = merged.groupby("site_index")[["lead_gap_steps", "trail_gap_steps",
                                              "inner_gap_max_steps"]].max().max(axis=1) * 60
    if edge_gaps == "include":
        assert (m["max_gap_s"].to_numpy() > per_chunk.to_numpy()).sum() > 10


def test_chunk_statistics_of_hand_made_counts():
    counts = np.array([[0, 1, 0], [0, 0, 0], [2, 0, 0], [0, 3, 0], [1, 0, 0]], dtype=np.int32)
    s = chunk_stats(counts)
    assert s["lead_gap_steps"].tolist() == [2, 0, 5]
    assert s["trail_gap_steps"].tolist() == [0, 1, 5]
    assert s["inner_gap_max_steps"].tolist() == [1, 2, 0]
    assert s["inner_gaps"].tolist() == [1, 1, 0]
    assert s["covered_steps"].tolist() == [2, 2, 0]
    assert s["sum_visible"].tolist() == [3, 4, 0] and s["max_visible"].tolist() == [2, 3, 0]


def test_grid_site_specs():
    assert len(load_sites("grid:10")) == 648
    assert len(load_sites("grid:10:equal_area")) < 648
    with pytest.raises(LeolatError, match="grid step must be a number"):
        load_sites("grid:one")


def test_a_chunk_already_written_is_not_computed_again(merged):
    # What Dask does when a worker holding finished results dies: it reruns their tasks.
    study, _ = merged
    chunk = study.chunks[3]
    path = chunk_path(study.output, study.format, chunk)
    before = path.stat().st_mtime_ns
    cid, _ = run_chunk(dataclasses.asdict(chunk), str(study.path.parent), str(study.output),
                             study.format)
    assert cid == chunk.id and path.stat().st_mtime_ns == before  # kept, not rewritten

"""Batch studies, run for real: in process, on a local Dask cluster with a worker killed
mid-study, and as a command killed and resumed."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from leolat.app.study import StudyError, load_study, read_study, run_study
from leolat.base.atomic import TMP_MARK

STUDY = """
[study]
name = "t"
output = "{out}"
format = "{fmt}"
metrics = ["latency", "coverage"]

[[constellations]]
name = "shell1"
source = "starlink-gen1-shell1"

[[site_sets]]
name = "three"
sites = "London;New York City;Tokyo"
pairs = "London, GB->New York City, US;London, GB->Tokyo, JP"

[[windows]]
name = "w"
start = "2026-01-01T00:00:00Z"
duration_s = {duration}
step_s = 20
chunk_s = 120

[[policies]]
name = "el25"
min_elevation_deg = 25
"""


def _study(tmp_path, out="out", fmt="parquet", duration=1200):
    path = tmp_path / f"{out}.toml"
    path.write_text(STUDY.format(out=out, fmt=fmt, duration=duration))
    return path


def _same(a, b):
    assert a.keys() == b.keys() == {"latency", "coverage"}
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k])


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ref")
    run = run_study(_study(tmp, duration=2400))
    assert len(run.computed) == len(run.study) == 40 and not run.skipped
    return run


@pytest.fixture(scope="module")
def reference(reference_run):
    return read_study(reference_run.study)


def test_study_chunks_and_tables(tmp_path, reference):
    study = load_study(_study(tmp_path, duration=2400))
    assert len(study) == 20 * 2  # 20 slices of 120 s × 2 metrics
    lat, cov = reference["latency"], reference["coverage"]
    assert len(lat) == 120 * 2 and len(cov) == 120 * 3
    assert lat["rtt_ms"].between(30, 200).all()
    assert (cov["n_visible"] > 0).all()
    assert list(lat["time"].iloc[:2]) == [pd.Timestamp("2026-01-01T00:00:00")] * 2


@pytest.mark.parametrize("fmt", ["parquet", "zarr"])
def test_zarr_and_parquet_hold_the_same(tmp_path, fmt):
    run = run_study(_study(tmp_path, out=f"o_{fmt}", fmt=fmt, duration=240))
    tables = read_study(run.study)
    ref = read_study(run_study(_study(tmp_path, out="o_ref", duration=240)).study)
    _same(tables, ref)


def test_local_cluster_with_a_worker_killed_mid_study(tmp_path, reference):
    from dask.distributed import Client, LocalCluster

    path = _study(tmp_path, duration=2400)
    study = load_study(path)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"})
    client = Client(cluster)
    result, error = {}, []

    def go():
        try:
            result["run"] = run_study(study, scheduler=cluster.scheduler_address)
        except Exception as exc:  # surfaced below
            error.append(exc)

    try:
        pids = list(client.run(os.getpid).values())
        thread = threading.Thread(target=go)
        thread.start()
        files = lambda: list((study.output).rglob("*.parquet"))  # noqa: E731
        deadline = time.time() + 120
        while not files() and time.time() < deadline:
            time.sleep(0.05)
        done_at_kill = len(files())
        os.kill(pids[0], signal.SIGKILL)
        thread.join(timeout=300)
        assert not error, error
        assert 0 < done_at_kill < len(study), "the kill must land mid-study"
        assert len(files()) == len(study)
        _same(read_study(study), reference)
    finally:
        client.close()
        cluster.close()


def test_killed_study_command_resumes_without_recomputing(tmp_path, reference):
    path = _study(tmp_path, duration=2400)
    study = load_study(path)
    proc = subprocess.Popen([sys.executable, "-m", "leolat", "--no-progress", "study", "run",
                             str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    files = lambda: sorted(study.output.rglob("*.parquet"))  # noqa: E731
    deadline = time.time() + 120
    while len(files()) < 5 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files()}
    assert 5 <= len(before) < len(study), "the kill must land mid-study"
    for p in before:  # what is there is whole
        pd.read_parquet(p)
    with pytest.raises(StudyError, match="already holds results"):
        run_study(study)
    run = run_study(study, resume=True)
    assert set(run.skipped) == {p.stem for p in before}
    assert set(run.computed) == {c.id for c in study.chunks} - set(run.skipped)
    for p, stamp in before.items():  # nothing done was rewritten
        assert (p.stat().st_ino, p.stat().st_mtime_ns) == stamp
    # The killed writer's temporary went when its chunk was redone; nothing else is left.
    assert not [q for q in study.output.rglob("*") if TMP_MARK in q.name]
    _same(read_study(study), reference)
    again = run_study(study, resume=True)
    assert again.computed == [] and len(again.skipped) == len(study)


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.replace('duration_s = 240', 'duration_s = "long"'), "'duration_s' must be a number"),
    (lambda s: s.replace('min_elevation_deg = 25', 'min_elevation = 25'), "unknown key 'min_elevation'"),
    (lambda s: s.replace('min_elevation_deg = 25', 'min_elevation_deg = 95'), "min_elevation_deg must lie"),
    (lambda s: s.replace('[[windows]]', '[[windws]]'), "unknown key 'windws'; did you mean 'windows'"),
    (lambda s: s[:s.index('[[windows]]')] + s[s.index('[[policies]]'):], "no [[windows]] entries"),
    (lambda s: s.replace('step_s = 20', 'step_s = nan'), "'step_s' must be finite"),
    (lambda s: s.replace('step_s = 20', 'stepsize_s = 20'), "unknown key 'stepsize_s'"),
    (lambda s: s.replace('source = "starlink-gen1-shell1"', 'source = "starlnk-gen1"'), "unknown preset"),
    (lambda s: s.replace('source = "starlink-gen1-shell1"', 'source = "missing.tle"'), "missing.tle: file not found"),
    (lambda s: s.replace('sites = "London;New York City;Tokyo"', 'sites = "London;Atlantisville"'),
     "[[site_sets]] 'three': unknown city 'Atlantisville'"),
    (lambda s: s.replace('pairs = "London, GB->New York City, US;', 'pairs = "London, GB->Paris, FR;'),
     "no site is named 'Paris, FR'"),
    (lambda s: s.replace('name = "t"', 'name = "t"\nouput = "x"'),
     "[study]: unknown key 'ouput'; did you mean 'output'"),
    (lambda s: s.replace('min_elevation_deg = 25', 'min_elevation_deg = nan'), "min_elevation_deg must lie"),
    (lambda s: s.replace('start = "2026-01-01T00:00:00Z"', 'start = 2026-01-01T00:00:00'), "no time zone"),
    (lambda s: s.replace('metrics = ["latency", "coverage"]', 'metrics = ["throughput"]'), "metrics must be"),
    (lambda s: s.replace('name = "w"', 'name = "w'), "line"),
    (lambda s: s.replace('format = "parquet"', 'format = "hdf5"'), "format must be one of"),
    (lambda s: s.replace('name = "three"', 'name = "../three"'), "names become file names"),
])
def test_study_file_errors_say_where(tmp_path, edit, message):
    path = tmp_path / "bad.toml"
    path.write_text(edit(STUDY.format(out="o", fmt="parquet", duration=240)))
    with pytest.raises(StudyError) as exc:
        load_study(path)
    assert message in str(exc.value) and "bad.toml" in str(exc.value)


def test_run_refuses_contradictions(tmp_path):
    with pytest.raises(StudyError, match="one of workers="):
        run_study(_study(tmp_path, duration=240), workers=2, scheduler="tcp://x:1")
    with pytest.raises(StudyError, match="scheduler 'notaurl' is not an address"):
        run_study(_study(tmp_path, duration=240), scheduler="notaurl")
    with pytest.raises(StudyError, match="file not found"):
        load_study(Path(tmp_path) / "none.toml")


def test_resume_recomputes_chunks_whose_description_changed(tmp_path):
    path = _study(tmp_path, duration=240)
    first = run_study(path)
    cov = read_study(first.study)["coverage"]
    path.write_text(path.read_text().replace("min_elevation_deg = 25", "min_elevation_deg = 40"))
    again = run_study(path, resume=True)
    assert sorted(again.recomputed) == sorted(again.computed) == sorted(c.id for c in again.study.chunks)
    assert "4 redone: changed or damaged" in again.summary()
    # Coverage at 40° sees fewer satellites than at 25°: the results are the new ones.
    assert (read_study(again.study)["coverage"]["n_visible"] <= cov["n_visible"]).all()
    assert read_study(again.study)["coverage"]["n_visible"].sum() < cov["n_visible"].sum()


@pytest.mark.parametrize("damage", ["truncate", "empty"])
def test_damaged_chunks_are_recomputed_never_read_back(tmp_path, reference_run, reference, damage):
    import shutil

    # A copy of the reference study's finished output, beside a copy of its study file.
    path = _study(tmp_path, duration=2400)
    shutil.copytree(reference_run.study.output, load_study(path).output)
    run = run_study(path, resume=True)
    assert run.computed == [] and len(run.skipped) == 40
    victim = sorted((run.study.output / "latency").glob("*.parquet"))[3]
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"")
    partial = read_study(run.study)  # the damaged chunk is left out, nothing crashes
    assert len(partial["latency"]) == len(reference["latency"]) - 12
    again = run_study(path, resume=True)
    assert again.recomputed == again.computed == [victim.stem]
    _same(read_study(again.study), reference)


def test_a_second_run_on_the_same_folder_is_refused_and_says_who_holds_it(tmp_path):
    from leolat.app.study_store import study_lock

    path = _study(tmp_path, duration=240)
    out = load_study(path).output
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from pathlib import Path\n"
                               "from leolat.app.study_store import study_lock\n"
                               "with study_lock(Path(sys.argv[1])):\n"
                               "    print('held', flush=True); time.sleep(60)\n", str(out)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StudyError, match=rf"in use by another study run \(host .*, pid {holder.pid},"):
            run_study(path, resume=True)
    finally:
        holder.kill()
        holder.wait()
    with study_lock(out):  # released when its holder died
        pass


def test_resume_leaves_files_it_did_not_write_and_results_carry_provenance(tmp_path):
    path = _study(tmp_path, duration=240)
    run = run_study(path)
    mine = run.study.output / "latency" / ".tmp-mine"
    mine.write_text("a user's file")
    run_study(path, resume=True)
    assert mine.read_text() == "a user's file"
    tables = read_study(run.study)
    attrs = tables["latency"].attrs
    assert attrs["study_file_sha256"] == run.study.file_sha256 and len(attrs["study_file_sha256"]) == 64
    assert attrs["leolat_version"] and attrs["numpy_version"]
    assert attrs["constellations"]["shell1"]["n_satellites"] == 1584
    assert attrs["constellations"]["shell1"]["element_epoch_min_utc"].startswith("2026-01-01")


def test_a_catalogue_file_source_routes_over_isls_with_inferred_shells(tmp_path):
    from leolat import Constellation

    # A shell written to TLE carries no layout: the study must infer it for +Grid.
    Constellation.preset("starlink-gen1-shell1", epoch="2026-01-01T00:00:00Z").to_tle(
        tmp_path / "shell1.tle")
    text = STUDY.format(out="cat", fmt="parquet", duration=240).replace(
        'source = "starlink-gen1-shell1"', 'source = "shell1.tle"').replace(
        'metrics = ["latency", "coverage"]', 'metrics = ["latency"]')
    (tmp_path / "cat.toml").write_text(text)
    run_study(load_study(tmp_path / "cat.toml"))
    table = read_study(tmp_path / "cat.toml")["latency"]
    transatlantic = table[table.pair == "London, GB->New York City, US"]
    assert transatlantic.rtt_ms.notna().all() and (transatlantic.isl_hops >= 1).all()
    assert transatlantic.rtt_ms.median() < 50.0  # over lasers: no bent pipe spans the Atlantic

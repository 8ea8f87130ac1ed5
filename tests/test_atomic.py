"""Files appear whole or not at all, and leolat never deletes what it did not write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import leolat
from leolat import ResultFormatError, read_result, write_result
from leolat.base.atomic import TMP_MARK, _host, atomic_path, write_text_atomic


def _ds(value: float = 1.0) -> xr.Dataset:
    return xr.Dataset({"rtt_ms": (("time",), np.full(3, value))}, coords={"time": np.arange(3)})


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if TMP_MARK in p.name or ".leolat-old-" in p.name]


@pytest.mark.parametrize("suffix", [".nc", ".zarr", ".parquet", ".csv"])
def test_a_users_folder_at_the_output_path_is_refused_and_kept(tmp_path, suffix):
    folder = tmp_path / f"results{suffix}"
    folder.mkdir()
    (folder / "thesis.tex").write_text("years of work")
    with pytest.raises(ResultFormatError, match="not a leolat result; refusing to replace it"):
        write_result(_ds(), folder)
    assert (folder / "thesis.tex").read_text() == "years of work"
    assert not _leftovers(tmp_path)


def test_a_leolat_zarr_store_is_replaced_whole(tmp_path):
    path = tmp_path / "r.zarr"
    write_result(_ds(1.0), path)
    write_result(_ds(2.0), path)
    assert float(read_result(path).rtt_ms[0]) == 2.0
    assert not _leftovers(tmp_path)
    (tmp_path / "f.zarr").write_text("not a store")
    with pytest.raises(ResultFormatError, match="is a file, not a leolat Zarr store"):
        write_result(_ds(), tmp_path / "f.zarr")
    assert (tmp_path / "f.zarr").read_text() == "not a store"


@pytest.mark.parametrize("suffix", [".nc", ".parquet", ".csv"])
def test_files_are_replaced_whole(tmp_path, suffix):
    path = tmp_path / f"r{suffix}"
    table = pd.DataFrame({"a": [1, 2]})
    write_result(_ds(1.0) if suffix == ".nc" else table, path)
    write_result(_ds(2.0) if suffix == ".nc" else table.assign(a=[3, 4]), path)
    back = read_result(path)
    assert (float(back.rtt_ms[0]) == 2.0) if suffix == ".nc" else list(back.a) == [3, 4]
    assert not _leftovers(tmp_path)


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "old.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_path(path) as tmp:
            tmp.write_text("half of the new")
            raise RuntimeError("disk on fire")
    assert path.read_text() == "old" and not _leftovers(tmp_path)


def test_a_killed_writer_leaves_the_old_file_whole(tmp_path):
    # A real process writes a large file through write_text_atomic and is SIGKILLed while
    # writing: the final name still holds the old content, never a truncated new one.
    path = tmp_path / "big.txt"
    path.write_text("old")
    code = ("import sys; from leolat.base.atomic import atomic_path\n"
            "with atomic_path(sys.argv[1]) as tmp:\n"
            "    with open(tmp, 'w') as f:\n"
            "        print('writing', flush=True)\n"
            "        while True:\n"
            "            f.write('x' * 65536)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert path.read_text() == "old"
    leftovers = _leftovers(tmp_path)
    assert len(leftovers) == 1 and leftovers[0].startswith(f".big.txt{TMP_MARK}{_host()}-{proc.pid}-")


def test_text_outputs_are_written_atomically(tmp_path):
    c = leolat.Constellation.walker(2, 3, 550, 53, 1)
    text = c.to_tle(tmp_path / "c.tle")
    assert (tmp_path / "c.tle").read_text() == text
    write_text_atomic(tmp_path / "n.txt", "é", encoding="utf-8")
    assert (tmp_path / "n.txt").read_text(encoding="utf-8") == "é"
    assert not _leftovers(tmp_path)


@pytest.mark.parametrize("suffix, content", [
    (".nc", b"\x89HDF\r\n\x1a\n" + b"\0" * 64),      # an HDF5 signature, then nothing
    (".parquet", b"PAR1 not really"),
    (".csv", b"a,b\n1,2\n"),                          # a CSV leolat did not write
])
def test_reading_a_corrupt_or_foreign_file_names_it(tmp_path, suffix, content):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    with pytest.raises(ResultFormatError, match=str(path)):
        read_result(path)


def test_reading_a_foreign_zarr_store_names_it(tmp_path):
    store = tmp_path / "x.zarr"
    store.mkdir()
    (store / ".zgroup").write_text("{ not json")
    with pytest.raises(ResultFormatError, match="not a readable leolat zarr result"):
        read_result(store)


def test_the_command_line_refuses_a_users_folder_before_any_work(tmp_path, capsys):
    from leolat.app.cli import main

    folder = tmp_path / "results.nc"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    # The constellation does not exist either: the folder is what gets reported, so the output
    # path was checked before anything was loaded or computed.
    code = main(["latency", "--constellation", "no-such-preset", "--out", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and "refusing to replace it" in err and len(err.strip().splitlines()) == 1
    assert "no-such-preset" not in err
    assert (folder / "notes.txt").read_text() == "mine"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_left_overs_are_cleaned_only_when_provably_a_dead_writers(tmp_path):
    final = tmp_path / "r.csv"
    dead, alive = _dead_pid(), os.getppid()
    host = _host()
    stale = tmp_path / f".r.csv{TMP_MARK}{host}-{dead}-0123456789ab"
    busy = tmp_path / f".r.csv{TMP_MARK}{host}-{alive}-0123456789ab"
    remote = tmp_path / f".r.csv{TMP_MARK}otherhost-{dead}-0123456789ab"  # a worker elsewhere
    other = tmp_path / f".q.csv{TMP_MARK}{host}-{dead}-0123456789ab"      # another file's writer
    user = tmp_path / ".r.csv.tmp-mine"                                   # not leolat's at all
    for p in (stale, busy, remote, other, user):
        p.write_text("x")
    write_result(pd.DataFrame({"a": [1]}), final)
    assert not stale.exists()
    assert busy.exists() and remote.exists() and other.exists() and user.exists()


def test_a_store_left_aside_by_a_killed_swap_is_restored(tmp_path):
    # Killed between "move the old store aside" and "rename the new one in": the aside copy
    # is the only one, and the next writer of that name brings it back instead of deleting it.
    path = tmp_path / "r.zarr"
    write_result(_ds(5.0), path)
    aside = tmp_path / f".r.zarr.leolat-old-{_host()}-{_dead_pid()}-0123456789ab"
    os.replace(path, aside)
    from leolat.base.atomic import clean_leftovers

    clean_leftovers(path)
    assert float(read_result(path).rtt_ms[0]) == 5.0 and not aside.exists()


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (needs root and mount rights; skipped elsewhere)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or done.returncode})")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_a_full_disk_is_one_line_and_leaves_nothing(small_disk):
    # In a real subprocess: HDF5 crashed the interpreter (exit 139) after a failed write, so
    # the test must see the process end normally, not only the exceptions. One process writes
    # each format in turn to the 1 MiB disk and prints what it was told.
    targets = {"netcdf": "r.nc", "zarr": "r.zarr", "czml": "x.czml", "tle": "c.tle", "plot": "p.png"}
    code = f"""
import numpy as np, xarray as xr, leolat
root = {str(small_disk)!r}
ds = xr.Dataset({{"rtt_ms": (("time",), np.random.default_rng(0).random(300_000))}})

def czml(path):
    big = leolat.Constellation.walker(10, 10, 550, 53, 1)
    leolat.write_czml(path, big, leolat.TimeGrid.from_utc("2026-01-01T00:00:00Z", 3600, 10))

def png(path):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(12, 12))
    ax.imshow(np.random.default_rng(1).random((1000, 1000)))  # noise: a PNG of several MB
    leolat.plot._finish(fig, path)

writers = {{"netcdf": lambda p: leolat.write_result(ds, p), "zarr": lambda p: leolat.write_result(ds, p),
           "czml": czml, "tle": lambda p: leolat.Constellation.walker(100, 100, 550, 53, 1).to_tle(p),
           "plot": png}}
for what, name in {targets!r}.items():
    try:
        writers[what](root + "/" + name)
        print(what, "WROTE")
    except OSError as exc:
        print(what, "ERROR", exc)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    lines = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())
    assert sorted(lines) == sorted(targets)
    for what, name in targets.items():
        said = lines[what]
        assert said.startswith("ERROR") and "no space left on device" in said and name in said, (what, said)
    assert os.listdir(small_disk) == []  # no final file, no temporary

"""The command line: the main job and the error paths as a user runs them (a real
subprocess), every command in process through ``leolat.app.cli.main`` (the same parser and
code, without paying for a fresh interpreter and kernel load per test)."""

import contextlib
import io
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest

from leolat.app.cli import main


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def _run(*args) -> Result:
    """``leolat ARGS`` in this process, with its standard output and error captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # --help, and argparse's own usage errors
            code = int(exc.code or 0)
    return Result(code, out.getvalue(), err.getvalue())


def _run_process(*args) -> Result:
    """``python -m leolat ARGS`` in a real subprocess."""
    done = subprocess.run([sys.executable, "-m", "leolat", *args], capture_output=True, text=True,
                          timeout=300)
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.mark.slow
def test_main_job_is_a_latency_and_coverage_study():
    out = _run_process()
    assert out.returncode == 0, out.stderr
    assert "1,584 satellites" in out.stdout and "10 sites" in out.stdout
    assert "Round-trip time over LEO" in out.stdout and "Coverage at >= 25°" in out.stdout
    rows = [line for line in out.stdout.splitlines() if line.startswith("London, GB->New York")]
    cells = rows[0].split()[5:]  # after the five words of the pair label
    median, vacuum = float(cells[1]), float(cells[4])
    assert vacuum < median < 60  # between the physical bound and a slow path


def test_default_propagate_summary():
    out = _run("propagate")
    assert out.returncode == 0, out.stderr
    assert "1,584 satellites × 360 times" in out.stdout
    assert "failed       0 states" in out.stdout
    assert "STARLINK-GEN1-SHELL1" in out.stdout


def test_propagate_a_tle_file(tmp_path):
    from leolat import Constellation

    path = tmp_path / "w.tle"
    Constellation.walker(3, 4, 600, 60, 1).to_tle(path)
    out = _run("propagate", "--constellation", str(path), "--duration", "120", "--step", "60")
    assert out.returncode == 0, out.stderr
    assert "12 satellites × 2 times" in out.stdout


@pytest.mark.parametrize("args, message", [
    (("propagate", "--constellation", "kuipr"), "did you mean 'kuiper'"),
    (("propagate", "--start", "2026-01-01T00:00:00"), "no time zone"),
])
def test_user_errors_are_one_line_and_exit_2(args, message):
    out = _run_process(*args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback():
    out = _run_process("--debug", "propagate", "--constellation", "kuipr")
    assert out.returncode != 0 and "Traceback" in out.stderr


def test_bad_tle_file_error_names_the_line(tmp_path):
    path = tmp_path / "bad.tle"
    path.write_text("SAT\n1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927\n")
    out = _run("propagate", "--constellation", str(path))
    assert out.returncode == 2 and f"{path}, line 2" in out.stderr


def test_presets_and_shells_subcommands():
    out = _run("presets")
    assert out.returncode == 0 and "kuiper-k1" in out.stdout
    out = _run("shells", "kuiper")
    assert out.returncode == 0 and "51.90" in out.stdout and "34" in out.stdout


def test_latency_writes_netcdf_and_a_plot(tmp_path):
    import leolat

    out = _run("latency", "--sites", "London;New York City", "--duration", "600",
               "--out", str(tmp_path / "rtt.nc"), "--plot", str(tmp_path / "rtt.png"))
    assert out.returncode == 0, out.stderr
    ds = leolat.read_result(tmp_path / "rtt.nc")
    assert ds.sizes["time"] == 60 and "London, GB->New York City, US" in ds.pair.values
    assert ds.attrs["command_line"].startswith("leolat latency --sites")
    assert (tmp_path / "rtt.png").stat().st_size > 10_000


def test_coverage_grid_and_sites(tmp_path):
    import leolat

    out = _run("coverage", "--grid", "10", "--duration", "600", "--plot", str(tmp_path / "m.png"),
               "--out", str(tmp_path / "c.zarr"))
    assert out.returncode == 0, out.stderr
    assert "area-weighted" in out.stdout and (tmp_path / "m.png").stat().st_size > 10_000
    assert leolat.read_result(tmp_path / "c.zarr").sizes["target"] == 648
    out = _run("coverage", "--sites", "Quito;Oslo", "--duration", "600", "--out", str(tmp_path / "c.csv"))
    assert out.returncode == 0 and "Quito, EC" in out.stdout
    table = leolat.read_result(tmp_path / "c.csv")
    assert sorted(set(table.target)) == ["Oslo, NO", "Quito, EC"]
    assert table.percent_covered.between(0, 100).all() and (table.mean_visible > 0).all()


def test_passes_and_failover(tmp_path):
    import leolat

    out = _run("passes", "--sites", "Oslo", "--duration", "7200", "--out", str(tmp_path / "p.parquet"))
    assert out.returncode == 0, out.stderr
    table = leolat.read_result(tmp_path / "p.parquet")
    assert len(table) > 10 and table["max_elevation_deg"].min() >= 10.0
    out = _run("failover", "--duration", "600", "--cut", "SEACOM@2026-01-01T00:05:00Z",
               "--out", str(tmp_path / "f.csv"))
    assert out.returncode == 0, out.stderr
    table = leolat.read_result(tmp_path / "f.csv")
    nbo = table[(table.scenario == "failure") & table.pair.str.startswith("Nairobi")].iloc[0]
    assert nbo.rtt_max_ms > nbo.normal_rtt_median_ms


def test_czml_and_study_commands(tmp_path):
    out = _run("czml", "--constellation", "starlink-gen1-shell1", "--sites", "London;New York City",
               "--pair", "London, GB->New York City, US", "--duration", "300",
               "--out", str(tmp_path / "x.czml"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "x.czml").stat().st_size > 100_000
    study = tmp_path / "s.toml"
    study.write_text('[study]\nname = "s"\noutput = "res"\nmetrics = ["coverage"]\n'
                     '[[constellations]]\nsource = "starlink-gen1-shell1"\n'
                     '[[site_sets]]\nsites = "Oslo"\n'
                     '[[windows]]\nstart = "2026-01-01T00:00:00Z"\nduration_s = 600\nstep_s = 60\n')
    out = _run("study", "run", str(study))
    assert out.returncode == 0, out.stderr
    assert "1 chunks, 1 computed" in out.stdout and "Oslo, NO" in out.stdout
    out = _run("study", "run", str(study))
    assert out.returncode == 2 and "already holds results" in out.stderr
    out = _run("study", "run", str(study), "--resume")
    assert out.returncode == 0 and "0 computed, 1 already done" in out.stdout


def test_help_has_examples_for_every_command():
    for cmd in ("propagate", "passes", "latency", "coverage", "failover", "czml", "study"):
        out = _run(cmd, "--help")
        assert out.returncode == 0 and "examples:" in out.stdout, cmd
    out = _run("--help")
    assert "leolat study run study.toml --workers 2" in out.stdout


@pytest.mark.parametrize("args, message", [
    (("latency", "--sites", "London;Atlantisville"), "unknown city 'Atlantisville'"),
    (("latency", "--pairs", "London"), "is not 'SOURCE->DESTINATION'"),
    (("coverage", "--out", "x.h5", "--duration", "60"), "unknown result format"),
    (("failover", "--cut", "NOPE", "--duration", "60"), "no fiber link is named 'NOPE'"),
    (("study", "run", "missing.toml"), "file not found"),
    (("--constellation", "kuiper-k1", "--duration", "60", "propagate"),
     "--constellation was given before the command 'propagate'; options go after it"),
    (("propagate", "--constellation", "missing.tle"), "missing.tle: file not found"),
    (("latency", "--sites", "London"), "need at least two sites for pairs, got 1"),
    (("study", "run", "missing.toml", "--scheduler", "notaurl"), "file not found"),
])
def test_more_user_errors_are_one_line(args, message):
    out = _run(*args)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_passes_search_the_whole_window_at_the_given_step(tmp_path):
    from leolat import Constellation, TimeGrid, passes, read_result
    from leolat.app.specs import load_sites

    path = tmp_path / "w.tle"
    Constellation.walker(3, 4, 600, 60, 1, epoch="2026-01-01T00:00:00Z").to_tle(path)
    out = _run("passes", "--constellation", str(path), "--sites", "Oslo", "--duration", "86400",
               "--step", "600", "--out", str(tmp_path / "p.csv"))
    assert out.returncode == 0, out.stderr
    assert "window 2026-01-01T00:00:00Z .. 2026-01-02T00:00:00Z every 600 s" in out.stdout
    # The command's answer is the API's on the grid it describes: [00:00, 24:00) at 600 s.
    want = passes(Constellation.from_tle(path), load_sites("Oslo"),
                  TimeGrid.from_utc("2026-01-01T00:00:00Z", 86400, 600), 10.0)
    got = read_result(tmp_path / "p.csv")
    assert len(got) == len(want) > 0
    assert (got.culminate_utc.to_numpy() == want.culminate_utc.to_numpy()).all()


# ----------------------------------------------------------------- the window's start
# Printed, as the command does, instead of raised, as the test suite does by default.
@pytest.mark.filterwarnings("default::leolat.ElementAgeWarning")
def test_a_file_window_starts_at_its_newest_element_epoch(tmp_path):
    from leolat import Constellation

    path = tmp_path / "w.tle"
    old = Constellation.walker(2, 2, 600, 60, 1, epoch="2026-05-10T06:00:00Z")
    new = Constellation.walker(2, 2, 600, 60, 1, epoch="2026-05-13T02:16:42.5Z", first_satnum=5)
    (old + new).to_tle(path)
    out = _run("propagate", "--constellation", str(path), "--duration", "120", "--step", "60")
    assert out.returncode == 0, out.stderr
    assert ("window 2026-05-13T02:16:42Z .. 2026-05-13T02:18:42Z every 60 s (start: the newest "
            "element epoch; --start to choose)") in out.stdout
    out = _run("propagate", "--constellation", str(path), "--duration", "60",
               "--start", "2026-06-13T00:00:00Z")
    assert out.returncode == 0
    assert "(start: --start)" in out.stdout
    assert out.stderr.startswith("leolat: warning: 8 of 8 element sets are used up to 33.8 days")
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.filterwarnings("error")
def test_a_preset_window_starts_now_and_its_epoch_with_it():
    import numpy as np

    before = np.datetime64("now", "m")
    out = _run("propagate", "--duration", "60", "--step", "60")
    after = np.datetime64("now", "m")
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if "window" in x)
    start = np.datetime64(line.split("window ")[1].split(" ..")[0].rstrip("Z"), "m")
    assert before <= start <= after and "(start: now; --start to choose)" in line
    # The preset's elements take that start as their epoch: its satellites are at the
    # nominal Walker phases when the window opens, whatever the date.
    from leolat.app.cli import build_parser
    from leolat.app.commands import source_and_window

    args = build_parser().parse_args(["propagate", "--start", "2031-03-01T12:00:00Z"])
    constellation, times = source_and_window(args)
    assert constellation.epoch_utc.min() == constellation.epoch_utc.max() == times.start


# ----------------------------------------------------------------- failover beyond the example
def test_failover_with_other_offices_and_cloud_needs_no_new_links_file(tmp_path):
    import leolat

    out = _run("failover", "--offices", "Accra;Nairobi", "--cloud", "aws:eu-west-1",
               "--constellation", "starlink-gen1-shell1", "--start", "2026-12-01T00:00:00Z",
               "--duration", "600", "--cut", "WACS@2026-12-01T00:05:00Z",
               "--cut", "MainOne@2026-12-01T00:05:00Z", "--cut", "Equiano@2026-12-01T00:05:00Z",
               "--pair", "Accra", "--plot", str(tmp_path / "accra.png"),
               "--out", str(tmp_path / "f.csv"))
    assert out.returncode == 0, out.stderr
    # Accra is in no row of the shipped links file: it gets a circuit to its nearest PoP.
    assert "Accra, GH -- Lagos IXP: 615 km (access, geodesic × 1.5)" in out.stdout
    table = leolat.read_result(tmp_path / "f.csv")
    assert set(table.pair) == {"Accra, GH->aws:eu-west-1", "Nairobi, KE->aws:eu-west-1"}
    accra = table[(table.scenario == "failure") & table.pair.str.startswith("Accra")]
    assert list(accra.period) == ["before", "during"] and list(accra.period_steps) == [10, 10]
    before, during = accra.iloc[0], accra.iloc[1]
    assert before.pct_fiber == 100.0 and during.pct_fiber == 0.0 and during.reachable_pct == 100.0
    assert (tmp_path / "accra.png").stat().st_size > 10_000


def test_failover_defaults_to_the_whole_gen1_constellation_and_checks_pair_and_cut_times():
    from leolat.app.cli import build_parser

    assert build_parser().parse_args(["failover"]).constellation == "starlink-gen1"
    out = _run("failover", "--pair", "Accra", "--duration", "60")
    assert out.returncode == 2
    assert "no office is named 'Accra'; offices are Lagos, NG, Nairobi, KE, Johannesburg, ZA" \
        in out.stderr
    out = _run("failover", "--start", "2026-12-01T00:00:00Z", "--duration", "600",
               "--cut", "WACS@2026-01-01T00:05:00Z..2026-01-01T00:10:00Z")
    assert out.returncode == 2 and "outside the window" in out.stderr


def test_propagate_out_zarr_streams_within_the_budget_and_nc_is_refused_over_it(tmp_path):
    import xarray as xr

    import leolat

    path = tmp_path / "w.tle"
    c = leolat.Constellation.walker(3, 4, 600, 60, 1, epoch="2026-01-01T00:00:00Z")
    c.to_tle(path)
    # 12 satellites cost 1,752 bytes per step while propagating: 5 steps per 0.01 MiB chunk.
    args = ("propagate", "--constellation", str(path), "--duration", "3000", "--step", "60",
            "--memory-budget-mb", "0.01")
    out = _run(*args, "--out", str(tmp_path / "eph.zarr"))
    assert out.returncode == 0, out.stderr
    assert "10 chunk(s) streamed" in out.stdout
    back = leolat.read_result(tmp_path / "eph.zarr")
    ref = leolat.Constellation.from_tle(path).propagate(
        leolat.TimeGrid.from_utc("2026-01-01T00:00:00Z", 3000, 60))
    assert back.sizes == {"time": 50, "satellite": 12, "xyz": 3}
    np.testing.assert_array_equal(back.r_itrf_km.values, ref.r_itrf_km)
    xr.testing.assert_equal(back.time, xr.DataArray(ref.times.utc, dims="time",
                                                    coords={"time": ref.times.utc}))
    out = _run(*args, "--out", str(tmp_path / "eph.nc"))
    assert out.returncode == 2 and "Write FILE.zarr instead (streamed" in out.stderr
    assert not (tmp_path / "eph.nc").exists()

"""The command line: the main job and the error paths as a user runs them (a real
subprocess), every command in process through ``leolat.app.cli.main`` (the same parser and
code, without paying for a fresh interpreter and kernel load per test)."""

import contextlib
import io
import subprocess
import sys
from dataclasses import dataclass

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
    assert "2026-01-01T00:00:00Z .. 2026-01-02T00:00:00Z sampled every 600 s" in out.stdout
    # The command's answer is the API's on the grid it describes: [00:00, 24:00) at 600 s.
    want = passes(Constellation.from_tle(path), load_sites("Oslo"),
                  TimeGrid.from_utc("2026-01-01T00:00:00Z", 86400, 600), 10.0)
    got = read_result(tmp_path / "p.csv")
    assert len(got) == len(want) > 0
    assert (got.culminate_utc.to_numpy() == want.culminate_utc.to_numpy()).all()

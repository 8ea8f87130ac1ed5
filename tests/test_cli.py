"""The command line, run as a user runs it: a real subprocess."""

import subprocess
import sys

import pytest


def _run(*args):
    return subprocess.run([sys.executable, "-m", "leolat", *args], capture_output=True, text=True,
                          timeout=300)


def test_default_job_prints_a_summary():
    out = _run()
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
    out = _run(*args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback():
    out = _run("--debug", "propagate", "--constellation", "kuipr")
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

"""Kernels compiled into the wheel: the first run of the main job loads them, compiling
nothing (what ``pip install .`` promises, ``leolat/app/precompile.py``)."""

import ast
import os
import pickle
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import leolat
from leolat.app.cli import main
from leolat.app.precompile import WORKLOADS, precompile
from leolat.base.errors import LeolatError

_FIRST_RUN = """
import sys
from leolat._kernels._jit import compile_seconds
from leolat.app.cli import main
code = main(["--no-progress", "--duration", "60"])
print("COMPILED", compile_seconds(), file=sys.stderr)
sys.exit(code)
"""


ROOT = Path(__file__).resolve().parents[1]


def _build_step() -> str:
    """The script the wheel build runs (``_backend/leolat_build.py``'s ``_COMPILE``), read
    from the file so that the test runs exactly what the build runs."""
    tree = ast.parse((ROOT / "_backend" / "leolat_build.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_COMPILE":
            return ast.literal_eval(node.value)
    raise AssertionError("_backend/leolat_build.py has no _COMPILE")


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CACHE")}
    env.update(extra)
    return env


@pytest.mark.slow
def test_kernels_compiled_from_the_recorded_signatures_serve_the_main_job(tmp_path):
    # The installed sources, without any cache, compiled as the wheel build does; then the
    # main job in a fresh process on that copy must compile nothing (a stale signature list
    # or a cache numba refuses would show as compile time).
    here = Path(leolat.__file__).resolve().parent
    shutil.copytree(here, tmp_path / "leolat", ignore=shutil.ignore_patterns("*.nbi", "*.nbc"))
    env = _clean_env(PYTHONPATH=str(tmp_path))
    built = subprocess.run([sys.executable, "-c", _build_step(), str(tmp_path)], env=env,
                           capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-2000:]
    assert "kernel signatures compiled" in built.stdout
    done = subprocess.run([sys.executable, "-c", _FIRST_RUN], env=env, capture_output=True,
                          text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "s in all" in done.stdout and "compiling" not in done.stdout
    compiled = float(done.stderr.strip().splitlines()[-1].split()[-1])
    assert compiled == 0.0, (f"the first run compiled for {compiled:.1f} s: re-record the kernel "
                             f"signatures (python -m leolat.app.precompile --record "
                             f"leolat/_kernels/signatures.pkl, in a fresh process) and reinstall")


def test_the_wheel_carried_the_main_jobs_compiled_kernels():
    shipped = [str(f) for f in metadata.files("leolat") or [] if str(f).endswith(".nbi")]
    if not shipped:
        pytest.skip("leolat was installed without precompiled kernels (LEOLAT_PRECOMPILE=0, "
                    "an editable install, or a failed precompilation)")
    assert any("route.route_steps" in f for f in shipped)
    assert any("sgp4.propagate_itrf" in f for f in shipped)


def test_recorded_signatures_name_the_main_jobs_kernels_and_compile_back(tmp_path):
    from leolat._kernels._aot import compile_signatures
    from leolat.app.precompile import record

    path = tmp_path / "signatures.pkl"
    n = record(str(path))
    entries = pickle.loads(path.read_bytes())
    assert n == len(entries) > 0
    names = {(m, f) for m, f, _ in entries}
    assert ("leolat._kernels.route", "route_steps") in names
    assert ("leolat._kernels.sgp4", "propagate_itrf") in names
    assert compile_signatures(path) == n  # already compiled: found, not rebuilt


def test_unknown_workloads_are_refused_by_name():
    with pytest.raises(LeolatError, match="'nope'.*main"):
        precompile(["nope"])
    assert set(WORKLOADS) >= {"main", "service", "capacity"}


def test_the_command_compiles_or_loads_a_workload(capsys):
    assert main(["--no-progress", "precompile", "main"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("main: ") and "kernels compiled or found in the cache" in out

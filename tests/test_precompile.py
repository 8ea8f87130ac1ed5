"""Kernels compiled into the wheel: the first run of the main job loads them, compiling
nothing (what ``pip install .`` promises, ``leolat/app/precompile.py``)."""

import base64
import hashlib
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


def _shipped_kernels() -> dict[str, str]:
    """Installed path (relative to site-packages) -> RECORD hash, of the cache files the wheel
    carried (RECORD lists what the wheel installed, not what later runs wrote)."""
    files = metadata.files("leolat") or []
    return {str(f): f.hash.value for f in files
            if f.hash is not None and str(f).endswith((".nbi", ".nbc"))}


def test_the_wheels_kernels_serve_the_first_run_without_compiling(tmp_path):
    shipped = _shipped_kernels()
    if not shipped:
        pytest.skip("leolat was installed without precompiled kernels (LEOLAT_PRECOMPILE=0, "
                    "an editable install, or a failed precompilation)")
    here = Path(leolat.__file__).resolve().parent
    site = here.parent
    # A copy of the installed package holding only the cache files as shipped (checked
    # against RECORD): what a fresh machine has after pip install.
    copy = tmp_path / "leolat"
    shutil.copytree(here, copy, ignore=shutil.ignore_patterns("*.nbi", "*.nbc"))
    for rel, digest in shipped.items():
        data = (site / rel).read_bytes()
        got = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert got == digest, f"{rel} changed since installation"
        (tmp_path / rel).write_bytes(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CACHE")}
    env["PYTHONPATH"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", _FIRST_RUN], env=env, capture_output=True,
                          text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "s in all" in done.stdout and "compiling" not in done.stdout
    compiled = float(done.stderr.strip().splitlines()[-1].split()[-1])
    assert compiled == 0.0, (f"the first run compiled for {compiled:.1f} s: re-record the kernel "
                             f"signatures (python -m leolat.app.precompile --record "
                             f"leolat/_kernels/signatures.pkl, in a fresh process) and reinstall")


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

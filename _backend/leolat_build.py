"""leolat's build backend: setuptools, plus the main job's numba kernels compiled into the
wheel, so that the first run on the machine that ran ``pip install .`` loads them instead of
compiling (``leolat/app/precompile.py`` says how numba decides a cached kernel still holds).

Compiling needs the runtime dependencies in the build environment, so the wheel hook asks
for them. ``LEOLAT_PRECOMPILE=0`` builds a plain wheel (kernels compile on first use, as
before); editable installs never precompile (their kernels cache next to the sources).
A failed precompilation only warns: the wheel is still whole, just without the kernels.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 -- every PEP 517 hook, unchanged but one
from setuptools.command.build_py import build_py as _build_py

_ROOT = Path(__file__).resolve().parent.parent


def _enabled() -> bool:
    return os.environ.get("LEOLAT_PRECOMPILE", "1").strip().lower() not in ("0", "false", "no")


def get_requires_for_build_wheel(config_settings=None):
    """setuptools' needs, and the runtime dependencies that the precompilation imports."""
    needs = list(_setuptools.get_requires_for_build_wheel(config_settings))
    if _enabled():
        with open(_ROOT / "pyproject.toml", "rb") as f:
            needs += tomllib.load(f)["project"]["dependencies"]
    return needs


class BuildPy(_build_py):
    """``build_py``, then the kernels compiled into ``build/lib`` (the wheel's tree)."""

    def run(self):
        super().run()
        if self.editable_mode or not _enabled():
            return
        env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CACHE")}
        # Prepend, not replace: pip's isolated build environment lives on PYTHONPATH.
        env["PYTHONPATH"] = os.pathsep.join(
            [os.path.abspath(self.build_lib), *filter(None, [env.get("PYTHONPATH")])])
        env["MPLBACKEND"] = "Agg"
        done = subprocess.run([sys.executable, "-m", "leolat.app.precompile", "main"], env=env,
                              cwd=self.build_lib, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            print("leolat: kernels not precompiled (they will compile on first use): "
                  + " | ".join(tail), file=sys.stderr)
        else:
            print(done.stdout.strip())

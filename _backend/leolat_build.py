"""leolat's build backend: setuptools, plus the main job's numba kernels compiled into the
wheel, so that the first run on the machine that ran ``pip install .`` loads them instead of
compiling (``leolat/_kernels/_aot.py`` says how numba decides a cached kernel still holds).

The kernels need only numpy and numba, so the wheel hook asks for those two (as pinned by
the project's dependencies) and compiles the signatures listed in
``leolat/_kernels/signatures.pkl`` with the rest of leolat never imported.
``LEOLAT_PRECOMPILE=0`` builds a plain wheel (kernels compile on first use, as before);
editable installs never precompile (their kernels cache beside the sources). A failed
precompilation only warns: the wheel is still whole, without the compiled kernels.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 -- every PEP 517 hook, unchanged but one
from setuptools.command.build_py import build_py as _build_py

_ROOT = Path(__file__).resolve().parent.parent
_KERNEL_DEPS = ("numpy", "numba")

# Imports leolat._kernels without leolat/__init__.py (which needs every dependency).
_COMPILE = """
import sys, types
pkg = types.ModuleType("leolat")
pkg.__path__ = [sys.argv[1] + "/leolat"]
sys.modules["leolat"] = pkg
from leolat._kernels._aot import compile_signatures
print(f"leolat: {compile_signatures()} kernel signatures compiled into the wheel")
"""


def _enabled() -> bool:
    return os.environ.get("LEOLAT_PRECOMPILE", "1").strip().lower() not in ("0", "false", "no")


def get_requires_for_build_wheel(config_settings=None):
    """setuptools' needs, and numpy and numba for the kernels."""
    needs = list(_setuptools.get_requires_for_build_wheel(config_settings))
    if _enabled():
        with open(_ROOT / "pyproject.toml", "rb") as f:
            deps = tomllib.load(f)["project"]["dependencies"]
        needs += [d for d in deps if re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0] in _KERNEL_DEPS]
    return needs


class BuildPy(_build_py):
    """``build_py``, then the kernels compiled into ``build/lib`` (the wheel's tree)."""

    def run(self):
        super().run()
        if self.editable_mode or not _enabled():
            return
        lib = os.path.abspath(self.build_lib)
        env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CACHE")}
        # Prepend, not replace: pip's isolated build environment lives on PYTHONPATH.
        env["PYTHONPATH"] = os.pathsep.join([lib, *filter(None, [env.get("PYTHONPATH")])])
        done = subprocess.run([sys.executable, "-c", _COMPILE, lib], env=env, cwd=lib,
                              capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            print("leolat: kernels not precompiled (they will compile on first use): "
                  + " | ".join(tail), file=sys.stderr)
        else:
            print(done.stdout.strip())

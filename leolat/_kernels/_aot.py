"""Kernels compiled from a list of signatures, ahead of the first run that needs them.

numba compiles a kernel for the argument types of its first call and, with ``cache=True``,
writes the machine code to ``__pycache__`` beside the module; a later process loads it
instead of compiling, once numba has checked the source's content hash, its own version,
the Python bytecode and the CPU. The wheel build (``_backend/``) calls
:func:`compile_signatures` on ``signatures.pkl`` (the kernels the main job calls, with
their types, recorded by ``python -m leolat.app.precompile --record``), so the first run on
the machine that built the wheel compiles nothing. This needs numpy and numba only: the
build environment holds nothing else.
"""

from __future__ import annotations

import importlib
import pickle
import pkgutil
from pathlib import Path
from typing import Any

from numba.core.registry import CPUDispatcher

__all__ = ["MANIFEST", "collect_signatures", "compile_signatures"]

MANIFEST = Path(__file__).with_name("signatures.pkl")


def _dispatchers() -> dict[tuple[str, str], Any]:
    """(module, name) -> every jitted kernel of this package, its modules imported."""
    found = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        mod = importlib.import_module(f"{__package__}.{info.name}")
        for name, obj in vars(mod).items():
            if isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == mod.__name__:
                found[(mod.__name__, name)] = obj
    return found


def collect_signatures() -> list[tuple[str, str, tuple]]:
    """(module, name, argument types) of every kernel compiled or loaded in this process."""
    return [(mod, name, tuple(sig)) for (mod, name), d in sorted(_dispatchers().items())
            for sig in d.signatures]


def compile_signatures(path: Path = MANIFEST) -> int:
    """Compile (and so cache) each kernel signature listed in ``path``; returns how many."""
    with open(path, "rb") as f:
        entries = pickle.load(f)
    kernels = _dispatchers()
    for mod, name, sig in entries:
        kernels[(mod, name)].compile(sig)
    return len(entries)

"""The one place that sets numba compilation options.

* ``cache=True``: compiled code is written next to the module (or to
  ``NUMBA_CACHE_DIR``) so a second process does not compile again.
* ``nogil=True``: kernels release the GIL, so threads and Dask workers run
  them in parallel.
* ``error_model="numpy"``: division by zero gives inf/NaN instead of raising,
  as NaN carries meaning here (a satellite SGP4 could not propagate).
* Kernels take their many arrays in named tuples (``typing.NamedTuple``), which numba
  compiles field by field. Inside a ``prange`` loop, numba (0.6x) silently loses writes
  made through a tuple's fields (``out.error[i] = ...``, also in functions inlined into
  the loop): parallel kernels unpack their groups into local arrays before the loop,
  and ``inline="always"`` helpers take arrays, not tuples. ``tests/test_kernels.py``
  pins the behaviour down.
* ``fastmath`` is never set: its ``nnan``/``ninf`` flags would let LLVM assume
  NaN never occurs and silently break the NaN -> "no link" -> "no path" chain.
"""

from __future__ import annotations

import time
from typing import Any

import numba
import numba.core.event

_OPTIONS: dict[str, Any] = dict(cache=True, nogil=True, error_model="numpy")
_njit: Any = numba.njit  # its overloads do not admit forwarded *args


def jit(*args, **kwargs):
    """Serial kernel: ``numba.njit`` with the project options."""
    return _njit(*args, **_OPTIONS, **kwargs)


def pjit(*args, **kwargs):
    """Parallel kernel (``prange`` loops): ``numba.njit(parallel=True)`` with the project options."""
    return _njit(*args, parallel=True, **_OPTIONS, **kwargs)


class _CompileClock(numba.core.event.Listener):
    """Seconds spent compiling (outermost compilations only: nested ones are inside)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0
        self._t0 = 0.0

    def on_start(self, event) -> None:
        if self._depth == 0:
            self._t0 = time.perf_counter()
        self._depth += 1

    def on_end(self, event) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.seconds += time.perf_counter() - self._t0


_CLOCK = _CompileClock()
numba.core.event.register("numba:compile", _CLOCK)


def compile_seconds() -> float:
    """Seconds this process has spent compiling kernels so far (0 when all came from the
    cache): how a command tells a first run's compilation from its work."""
    return _CLOCK.seconds

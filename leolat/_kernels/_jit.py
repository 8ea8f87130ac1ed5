"""The one place that sets numba compilation options.

* ``cache=True``: compiled code is written next to the module (or to
  ``NUMBA_CACHE_DIR``) so a second process does not compile again.
* ``nogil=True``: kernels release the GIL, so threads and Dask workers run
  them in parallel.
* ``error_model="numpy"``: division by zero gives inf/NaN instead of raising,
  as NaN carries meaning here (a satellite SGP4 could not propagate).
* ``fastmath`` is never set: its ``nnan``/``ninf`` flags would let LLVM assume
  NaN never occurs and silently break the NaN -> "no link" -> "no path" chain.
"""

from __future__ import annotations

import numba

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy")


def jit(*args, **kwargs):
    """Serial kernel: ``numba.njit`` with the project options."""
    return numba.njit(*args, **_OPTIONS, **kwargs)


def pjit(*args, **kwargs):
    """Parallel kernel (``prange`` loops): ``numba.njit(parallel=True)`` with the project options."""
    return numba.njit(*args, parallel=True, **_OPTIONS, **kwargs)

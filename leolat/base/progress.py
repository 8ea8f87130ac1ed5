"""Progress bars for long runs, switched on by the command line.

Library calls stay silent; the ``leolat`` command turns bars on, and the chunked
loops (propagation chunks, study chunks) report through :func:`bar`. A bar appears
only once a run has taken more than ``DELAY_S`` seconds, on standard error.
"""

from __future__ import annotations

import contextlib

__all__ = ["enabled", "bar", "DELAY_S"]

DELAY_S = 2.0
_ON = False


@contextlib.contextmanager
def enabled(on: bool = True):
    """Within this block, :func:`bar` draws progress bars."""
    global _ON
    before, _ON = _ON, bool(on)
    try:
        yield
    finally:
        _ON = before


def bar(total: int, desc: str, unit: str = "step"):
    """A tqdm bar (shown after ``DELAY_S``), or a silent stand-in when bars are off."""
    if not _ON:
        return _Silent()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, delay=DELAY_S, leave=False, dynamic_ncols=True)


class _Silent:
    def update(self, n=1):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

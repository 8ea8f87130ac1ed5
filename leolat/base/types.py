"""Type aliases for public signatures."""

from __future__ import annotations

import os
from typing import Any

from numpy.typing import ArrayLike

__all__ = ["ArrayLike", "PathLike", "ForeignObject"]

# A file path as users pass it.
PathLike = str | os.PathLike[str]
# An object of a library leolat interoperates with but does not import up front
# (a skyfield Timescale, an astropy Time, ...): typed loosely on purpose.
ForeignObject = Any

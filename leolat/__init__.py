"""leolat: LEO satellite constellation geometry and latency.

Element sets (TLE, OMM, Walker shells, presets) become a :class:`Constellation`;
:meth:`Constellation.propagate` over a :class:`TimeGrid` gives an
:class:`Ephemeris` of time-first arrays in TEME and ITRF.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from .constellation import Constellation
from .errors import (EarthOrientationWarning, ElementSetError, ElementSetWarning, LeolatError,
                     LeolatWarning, MemoryBudgetError, OMMError, PresetError, SelectionError,
                     TimeGridError, TLEError)
from .frames import ecef_to_geodetic, geodetic_to_ecef, teme_to_itrf
from .presets import presets
from .propagate import Ephemeris
from .shells import ShellParameters
from .time import TimeGrid
from .walker import ShellInfo

try:
    __version__ = _version("leolat")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "Constellation",
    "Ephemeris",
    "TimeGrid",
    "ShellInfo",
    "ShellParameters",
    "presets",
    "teme_to_itrf",
    "geodetic_to_ecef",
    "ecef_to_geodetic",
    "LeolatError",
    "ElementSetError",
    "TLEError",
    "OMMError",
    "PresetError",
    "TimeGridError",
    "SelectionError",
    "MemoryBudgetError",
    "LeolatWarning",
    "ElementSetWarning",
    "EarthOrientationWarning",
    "__version__",
]

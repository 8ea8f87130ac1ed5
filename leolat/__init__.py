"""leolat: LEO satellite constellation geometry and latency.

Element sets (TLE, OMM, Walker shells, presets) become a :class:`Constellation`;
:meth:`Constellation.propagate` over a :class:`TimeGrid` gives an
:class:`Ephemeris` of time-first arrays in TEME and ITRF; :class:`Sites` with
:func:`look_angles`, :func:`visible` and :func:`passes` say what the ground sees.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from ._data import data_path
from .constellation import Constellation
from .errors import (EarthOrientationWarning, ElementSetError, ElementSetWarning, LeolatError,
                     LeolatWarning, MemoryBudgetError, OMMError, PresetError, SelectionError,
                     TimeGridError, TLEError)
from .frames import ecef_to_geodetic, geodetic_to_ecef, teme_to_itrf
from .coverage import CoverageError, coverage, coverage_by_latitude, coverage_summary
from .links import LinkPolicy, PolicyError
from .geo import geo_bent_pipe_rtt_ms
from .hybrid import compare_scenarios, hybrid_latency, hybrid_summary, run_scenario
from .network import Network, latency_summary
from .passes import passes
from .presets import presets
from .propagate import Ephemeris
from .results import ResultFormatError, provenance, read_result, write_result
from .czml import write_czml
from .study import StudyError, load_study, read_study, run_study
from .scenario import Outage, Scenario, ScenarioError
from .shells import ShellParameters
from .sites import SiteError, Sites
from .terrestrial import (Terrestrial, TerrestrialError, cloud_regions, fiber_latency_ms, gateways,
                          geodesic_km)
from .time import TimeGrid
from .visibility import LookAngles, Visibility, look_angles, visible
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
    "coverage",
    "coverage_summary",
    "coverage_by_latitude",
    "CoverageError",
    "LinkPolicy",
    "Network",
    "latency_summary",
    "Terrestrial",
    "TerrestrialError",
    "cloud_regions",
    "gateways",
    "fiber_latency_ms",
    "geodesic_km",
    "hybrid_latency",
    "run_scenario",
    "hybrid_summary",
    "compare_scenarios",
    "geo_bent_pipe_rtt_ms",
    "Scenario",
    "Outage",
    "ScenarioError",
    "PolicyError",
    "Sites",
    "look_angles",
    "visible",
    "passes",
    "LookAngles",
    "Visibility",
    "SiteError",
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
    "data_path",
    "write_result",
    "read_result",
    "provenance",
    "ResultFormatError",
    "write_czml",
    "load_study",
    "run_study",
    "read_study",
    "StudyError",
    "__version__",
]

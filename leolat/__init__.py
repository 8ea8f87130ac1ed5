"""leolat: LEO satellite constellation geometry and latency.

Element sets (TLE, OMM, Walker shells, presets) become a :class:`Constellation`;
:meth:`Constellation.propagate` over a :class:`TimeGrid` gives an
:class:`Ephemeris` of time-first arrays in TEME and ITRF; :class:`Sites` with
:func:`look_angles`, :func:`visible` and :func:`passes` say what the ground sees;
:class:`Network` routes over ground, laser and fiber links.

This module is the public facade: every name users import lives here, whatever
subpackage implements it (see docs/design.md for the layers).
"""

from __future__ import annotations

from .app.study import load_study, read_study, run_study
from .base.data import data_path
from .base.errors import (
                          CapacityError,
                          CoverageError,
                          EarthOrientationWarning,
                          ElementAgeWarning,
                          ElementSetError,
                          ElementSetWarning,
                          FetchError,
                          LeolatError,
                          LeolatWarning,
                          MemoryBudgetError,
                          OMMError,
                          OperatorError,
                          PolicyError,
                          PresetError,
                          ResultFormatError,
                          ScenarioError,
                          SelectionError,
                          SiteError,
                          StaleElementsWarning,
                          StudyError,
                          TerrestrialError,
                          TimeGridError,
                          TLEError,
)
from .base.version import __version__
from .geometry.coverage import coverage
from .geometry.coverage_summary import coverage_by_latitude, coverage_summary
from .geometry.look_angles import LookAngles, look_angles
from .geometry.passes import passes
from .geometry.visibility import Visibility, visible
from .ground.baseline import RttModel, fiber_bound_rtt_ms, measured_rtts, rtt_model, terrestrial_rtt_ms
from .ground.fiber import fiber_latency_ms, geodesic_km
from .ground.sites import Sites
from .ground.tables import cloud_regions, gateways
from .ground.terrestrial import Terrestrial
from .network.allocation import allocate, capacity_summary
from .network.capacity import Capacity, Demand
from .network.geo import geo_bent_pipe_rtt_ms
from .network.hybrid import (
                          compare_scenarios,
                          hybrid_latency,
                          hybrid_summary,
                          run_scenario,
                          scenario_periods,
)
from .network.links import LinkPolicy
from .network.operator import Operator
from .network.routes import Routes, RoutingVariant
from .network.routing import Network
from .network.scenario import Outage, Scenario
from .network.service import service_latency, service_summary
from .network.service_capacity import service_capacity
from .network.summary import latency_summary
from .network.topology import service_mask
from .orbits.constellation import Constellation
from .orbits.ephemeris import Ephemeris
from .orbits.fetch import fetch_elements
from .orbits.presets import presets
from .orbits.shells import ShellParameters
from .orbits.walker import ShellInfo
from .outputs import plot
from .outputs.czml import write_czml
from .outputs.results import provenance, read_result, write_result, write_result_chunks
from .reference.frames import ecef_to_geodetic, geodetic_to_ecef, teme_to_itrf
from .reference.time import TimeGrid

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
    "Routes",
    "RoutingVariant",
    "latency_summary",
    "Terrestrial",
    "TerrestrialError",
    "cloud_regions",
    "gateways",
    "fiber_latency_ms",
    "geodesic_km",
    "fiber_bound_rtt_ms",
    "terrestrial_rtt_ms",
    "measured_rtts",
    "rtt_model",
    "RttModel",
    "service_mask",
    "scenario_periods",
    "Operator",
    "OperatorError",
    "service_latency",
    "service_summary",
    "Capacity",
    "Demand",
    "CapacityError",
    "allocate",
    "capacity_summary",
    "service_capacity",
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
    "ElementAgeWarning",
    "StaleElementsWarning",
    "FetchError",
    "fetch_elements",
    "EarthOrientationWarning",
    "data_path",
    "write_result",
    "write_result_chunks",
    "read_result",
    "provenance",
    "ResultFormatError",
    "write_czml",
    "load_study",
    "run_study",
    "read_study",
    "StudyError",
    "plot",
    "__version__",
]

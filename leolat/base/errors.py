"""Typed errors and warnings.

Every error leolat raises for bad input is a :class:`LeolatError`, which is a
:class:`ValueError`, so ``except ValueError`` keeps working for callers who do
not care about the details.  Errors about a file say where: the file, the line
number and the field.
"""

from __future__ import annotations

__all__ = [
    "LeolatError",
    "ElementSetError",
    "TLEError",
    "OMMError",
    "PresetError",
    "TimeGridError",
    "SelectionError",
    "MemoryBudgetError",
    "SiteError",
    "CoverageError",
    "PolicyError",
    "TerrestrialError",
    "CapacityError",
    "ScenarioError",
    "ResultFormatError",
    "StudyError",
    "FetchError",
    "OperatorError",
    "LeolatWarning",
    "ElementSetWarning",
    "ElementAgeWarning",
    "StaleElementsWarning",
    "EarthOrientationWarning",
]


class LeolatError(ValueError):
    """Base class of leolat's input errors."""


class ElementSetError(LeolatError):
    """An element set (TLE or OMM record) is malformed.

    Attributes
    ----------
    source : str
        The file name, or ``"<text>"`` for text passed directly.
    line : int or None
        1-based line number in the source, where the format has lines.
    record : int or None
        1-based record number (OMM JSON and XML, which have no useful lines).
    field : str or None
        Name of the offending field, e.g. ``"checksum"`` or ``"eccentricity"``.
    """

    def __init__(self, message: str, *, source: str = "<text>", line: int | None = None,
                 field: str | None = None, record: int | None = None):
        self.source = source
        self.line = line
        self.field = field
        self.record = record
        where = source
        if line is not None:
            where += f", line {line}"
        if record is not None:
            where += f", record {record}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


class TLEError(ElementSetError):
    """A two-line element set is malformed (checksum, length, field, pairing)."""


class OMMError(ElementSetError):
    """An Orbit Mean-Elements Message record is malformed or incomplete."""


class PresetError(LeolatError):
    """An unknown constellation preset was requested."""


class TimeGridError(LeolatError):
    """A time specification is invalid (no time zone, non-positive step, ...)."""


class SelectionError(LeolatError):
    """A selection names satellites, shells or planes that do not exist."""


class MemoryBudgetError(LeolatError, MemoryError):
    """A computation would allocate more memory than the budget allows."""


class SiteError(LeolatError):
    """Bad site input; the message names the site (or CSV row) and the field."""


class CoverageError(LeolatError):
    """Bad coverage input (k, elevation, edge convention, sites)."""


class PolicyError(LeolatError):
    """A link policy is contradictory, or cannot apply to the constellation."""


class TerrestrialError(LeolatError):
    """Bad terrestrial input; the message names the file, row, field and value."""


class ScenarioError(LeolatError):
    """A scenario names something the network does not have, or a bad interval."""


class ResultFormatError(LeolatError):
    """A result path with an unknown format, or a file that is not a leolat result."""


class OperatorError(LeolatError):
    """An operator table or rule that cannot describe a service; says file, row and field."""


class CapacityError(LeolatError):
    """Capacities, demands or an allocation request that cannot be solved as given; says
    which row and field."""


class FetchError(LeolatError):
    """Element sets could not be fetched (refused, not found, no network and no cache)."""


class StudyError(LeolatError):
    """A study file that cannot run; the message names the file and the entry."""


class LeolatWarning(UserWarning):
    """Base class of leolat's warnings."""


class ElementSetWarning(LeolatWarning):
    """An element set was accepted with a defect (bad checksum, duplicate)."""


class ElementAgeWarning(ElementSetWarning):
    """Element sets fitted to observations are propagated far from their epochs."""


class StaleElementsWarning(LeolatWarning):
    """Element sets were taken from the cache because fetching was off or failed."""


class EarthOrientationWarning(LeolatWarning):
    """Earth orientation data (UT1-UTC, polar motion) is not available for a time."""


# Every error and warning is public as ``leolat.<Name>``; say so in tracebacks and reprs
# (as numpy does for its own), and so pickles (Dask ships errors between processes)
# refer to the facade, which stays put whatever module implements a class.
for _name in __all__:
    globals()[_name].__module__ = "leolat"
del _name

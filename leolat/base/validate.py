"""Checks shared by every constructor and function that takes numbers or names from users.

Each raises the caller's typed error (a :class:`~leolat.base.errors.LeolatError`) with the
parameter's name, so a bad value is reported where it was given, never deep inside numpy
or numba.
"""

from __future__ import annotations

import difflib
import math
import operator
from collections.abc import Iterable
from numbers import Integral, Real

from .errors import LeolatError

__all__ = ["did_you_mean", "check_elevation_deg", "check_number", "check_count"]


def did_you_mean(word: str, choices: Iterable[str], *, n: int = 3, cutoff: float = 0.6) -> str:
    """``"; did you mean 'a', 'b'?"`` for the closest of ``choices`` to ``word``, or ``""``.

    Names print as plain quoted strings whatever their type (numpy strings included).
    """
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=n, cutoff=cutoff)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def check_number(value, name: str, *, error: type[LeolatError] = LeolatError,
                 low: float | None = None, high: float | None = None,
                 low_inclusive: bool = True, high_inclusive: bool = True) -> float:
    """``value`` as a finite float within the given bounds (``None``: unbounded).

    Booleans and strings are refused: ``True`` is not a distance and ``"25"`` is a typo.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise error(f"{name} must be a number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise error(f"{name} must be finite, got {value!r}")
    if low is not None and not (v >= low if low_inclusive else v > low):
        raise error(f"{name} must be {'>=' if low_inclusive else '>'} {low:g}, got {value!r}")
    if high is not None and not (v <= high if high_inclusive else v < high):
        raise error(f"{name} must be {'<=' if high_inclusive else '<'} {high:g}, got {value!r}")
    return v


def check_elevation_deg(value, name: str = "min_elevation_deg", *,
                        error: type[LeolatError] = LeolatError, low: float = -90.0) -> float:
    """An elevation threshold in degrees: a finite number in ``[low, 90)``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise error(f"{name} must be a number of degrees, got {type(value).__name__} {value!r}")
    v = float(value)
    if not (math.isfinite(v) and low <= v < 90.0):
        raise error(f"{name} must lie in [{low:g}, 90) degrees, got {value!r}")
    return v


def check_count(value, name: str, *, error: type[LeolatError] = LeolatError,
                minimum: int = 0) -> int:
    """A whole number ``>= minimum`` (integer-valued floats are accepted, 2.5 is not)."""
    if isinstance(value, bool):
        raise error(f"{name} must be an integer, got {value!r}")
    if isinstance(value, Integral):
        v = operator.index(value)
    elif isinstance(value, Real) and math.isfinite(float(value)) and float(value).is_integer():
        v = int(float(value))
    else:
        raise error(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if v < minimum:
        raise error(f"{name} must be >= {minimum}, got {value!r}")
    return v

"""Time grids: UTC instants held as python-sgp4's two-float Julian date.

A :class:`TimeGrid` keeps each instant three ways:

* ``utc`` — ``numpy.datetime64[ns]``, for labels and output;
* ``jd``, ``fr`` — the whole and fractional parts of the UTC Julian date, the
  split python-sgp4 uses.  ``jd`` is always a midnight (ends in ``.5``) and
  ``fr`` is the fraction of that day, so ``fr`` carries about 1e-11 s of
  resolution, and microseconds survive over any span of decades;
* ``offsets_s`` — seconds since the first instant.

Instants are built from integer nanoseconds, never by adding floats, so a
grid of a million steps has no accumulated rounding.  UTC is treated as a
uniform scale (like POSIX time): instants inside a leap second cannot be
represented, and a grid that spans a leap second keeps a uniform step.
"""

from __future__ import annotations

import datetime as _dt
from typing import Iterable, Sequence

import numpy as np

from .constants import JD_UNIX_EPOCH
from .errors import TimeGridError

__all__ = ["TimeGrid", "parse_utc"]

_NS_PER_DAY = 86_400 * 1_000_000_000


def parse_utc(value, *, what: str = "time") -> np.datetime64:
    """Convert one instant to ``numpy.datetime64[ns]`` in UTC.

    Parameters
    ----------
    value : str, datetime.datetime or numpy.datetime64
        ISO-8601 string *with* a zone (``"2026-05-13T00:00:00Z"``,
        ``"...+02:00"``), an aware ``datetime``, or a ``datetime64`` (taken as
        UTC, since numpy has no zones).
    what : str
        Name used in error messages.

    Raises
    ------
    TimeGridError
        If a string or datetime has no time zone: guessing one would shift
        every satellite by up to half a day.
    """
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[ns]")
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = _dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise TimeGridError(f"{what}: cannot parse {value!r} as an ISO-8601 time") from exc
        value = parsed
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TimeGridError(
                f"{what}: {value!s} has no time zone; give one explicitly, "
                f"e.g. '2026-05-13T00:00:00Z' or datetime(..., tzinfo=timezone.utc)")
        utc = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return np.datetime64(utc, "ns")
    if isinstance(value, _dt.date):
        raise TimeGridError(f"{what}: {value!r} is a date without a time and zone")
    raise TimeGridError(f"{what}: expected an ISO-8601 string, datetime or datetime64, "
                        f"got {type(value).__name__}")


def _seconds_to_ns(seconds: float, what: str) -> int:
    if not np.isfinite(seconds):
        raise TimeGridError(f"{what} must be finite, got {seconds!r}")
    return int(round(float(seconds) * 1e9))


class TimeGrid:
    """A sequence of UTC instants.

    Build one with :meth:`from_utc`, :meth:`from_jd` or
    :meth:`from_datetimes`; the constructor takes nanoseconds since
    1970-01-01 UTC.

    Parameters
    ----------
    unix_ns : array_like of int64, shape (n_times,)
        Nanoseconds since 1970-01-01T00:00:00 UTC.

    Attributes
    ----------
    utc : numpy.ndarray of datetime64[ns], shape (n_times,)
    jd, fr : numpy.ndarray of float64, shape (n_times,)
        Whole (a midnight, ``x.5``) and fractional parts of the UTC Julian
        date, as python-sgp4 takes them.
    offsets_s : numpy.ndarray of float64, shape (n_times,)
        Seconds since the first instant.
    """

    __slots__ = ("_ns", "jd", "fr")

    def __init__(self, unix_ns):
        ns = np.ascontiguousarray(unix_ns, dtype=np.int64)
        if ns.ndim != 1:
            raise TimeGridError(f"a TimeGrid is one-dimensional, got shape {ns.shape}")
        if ns.size == 0:
            raise TimeGridError("a TimeGrid needs at least one instant")
        self._ns = ns
        self._ns.setflags(write=False)
        days, rem_ns = np.divmod(ns, _NS_PER_DAY)
        self.jd = JD_UNIX_EPOCH + days.astype(np.float64)
        self.fr = rem_ns.astype(np.float64) / float(_NS_PER_DAY)
        self.jd.setflags(write=False)
        self.fr.setflags(write=False)

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_utc(cls, start, duration_s: float, step_s: float) -> "TimeGrid":
        """Regular grid ``start, start + step_s, ...`` covering ``[start, start + duration_s)``.

        Parameters
        ----------
        start : str, datetime or datetime64
            First instant; strings and datetimes must carry a time zone.
        duration_s : float
            Length of the window in seconds (> 0). The end is excluded, as in
            ``numpy.arange``; a duration of 0 gives the single instant ``start``.
        step_s : float
            Step in seconds (> 0); rounded to the nanosecond.
        """
        t0 = parse_utc(start, what="start")
        step_ns = _seconds_to_ns(step_s, "step_s")
        duration_ns = _seconds_to_ns(duration_s, "duration_s")
        if step_ns <= 0:
            raise TimeGridError(f"step_s must be positive, got {step_s!r}")
        if duration_ns < 0:
            raise TimeGridError(f"duration_s must not be negative, got {duration_s!r}")
        n = max(1, -(-duration_ns // step_ns))
        return cls(t0.astype(np.int64) + np.arange(n, dtype=np.int64) * step_ns)

    @classmethod
    def from_jd(cls, jd, fr=0.0) -> "TimeGrid":
        """Grid from UTC Julian dates given as a two-float split ``jd + fr``.

        Any split is accepted (``jd`` need not be a midnight); the instants are
        rounded to the nanosecond.
        """
        jd = np.atleast_1d(np.asarray(jd, dtype=np.float64))
        fr = np.atleast_1d(np.asarray(fr, dtype=np.float64))
        try:
            jd, fr = np.broadcast_arrays(jd, fr)
        except ValueError as exc:
            raise TimeGridError(f"jd and fr shapes {jd.shape} and {fr.shape} do not match") from exc
        if not (np.all(np.isfinite(jd)) and np.all(np.isfinite(fr))):
            raise TimeGridError("jd and fr must be finite")
        # Split each part into whole days and a fraction before converting to ns,
        # so no intermediate float carries more than one day of magnitude.
        jd_days = np.floor(jd - JD_UNIX_EPOCH)
        jd_frac = (jd - JD_UNIX_EPOCH) - jd_days
        fr_days = np.floor(fr)
        fr_frac = fr - fr_days
        days = (jd_days + fr_days).astype(np.int64)
        ns = days * _NS_PER_DAY + np.round((jd_frac + fr_frac) * _NS_PER_DAY).astype(np.int64)
        return cls(ns)

    @classmethod
    def from_datetimes(cls, values: Iterable) -> "TimeGrid":
        """Grid from a sequence of instants (zone-aware datetimes, ISO strings or datetime64)."""
        if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
            return cls(values.astype("datetime64[ns]").astype(np.int64))
        ns = [parse_utc(v, what=f"values[{i}]").astype(np.int64) for i, v in enumerate(values)]
        return cls(np.array(ns, dtype=np.int64))

    # ------------------------------------------------------------ views
    @property
    def unix_ns(self) -> np.ndarray:
        """Nanoseconds since 1970-01-01 UTC, int64, shape (n_times,)."""
        return self._ns

    @property
    def utc(self) -> np.ndarray:
        """Instants as ``datetime64[ns]`` (UTC), shape (n_times,)."""
        return self._ns.view("datetime64[ns]")

    @property
    def offsets_s(self) -> np.ndarray:
        """Seconds since the first instant, float64, shape (n_times,)."""
        return (self._ns - self._ns[0]).astype(np.float64) / 1e9

    @property
    def start(self) -> np.datetime64:
        return self.utc[0]

    @property
    def end(self) -> np.datetime64:
        """The last instant (included)."""
        return self.utc[-1]

    def __len__(self) -> int:
        return int(self._ns.size)

    def __getitem__(self, key) -> "TimeGrid":
        sel = self._ns[key]
        return TimeGrid(np.atleast_1d(sel))

    def __eq__(self, other) -> bool:
        return isinstance(other, TimeGrid) and np.array_equal(self._ns, other._ns)

    __hash__ = None  # mutable-looking container; equality is by value

    def __repr__(self) -> str:
        n = len(self)
        if n == 1:
            return f"TimeGrid({np.datetime_as_string(self.start, unit='us')}Z)"
        steps = np.unique(np.diff(self._ns))
        step = f"step {steps[0] / 1e9:g} s" if steps.size == 1 else "irregular"
        return (f"TimeGrid({n} instants, {np.datetime_as_string(self.start, unit='us')}Z"
                f" .. {np.datetime_as_string(self.end, unit='us')}Z, {step})")

    def chunks(self, size: int) -> "Sequence[TimeGrid]":
        """Split into consecutive grids of at most ``size`` instants."""
        if size < 1:
            raise TimeGridError(f"chunk size must be at least 1, got {size}")
        return [TimeGrid(self._ns[i:i + size]) for i in range(0, len(self), size)]

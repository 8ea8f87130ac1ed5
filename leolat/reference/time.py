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
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..base.constants import JD_UNIX_EPOCH, SECONDS_PER_DAY
from ..base.errors import TimeGridError
from ..base.types import ArrayLike, ForeignObject

__all__ = ["TimeGrid", "TimeLike", "InstantLike", "parse_utc", "as_timegrid", "jd_to_utc"]

_NS_PER_DAY = int(SECONDS_PER_DAY) * 1_000_000_000
# The instants leolat accepts: 1900 to 2200. Element sets exist from 1957; numpy's
# datetime64[ns] holds 1677-2262 and silently wraps outside it (2300 would become 1715).
EARLIEST = np.datetime64("1900-01-01T00:00:00", "ns")
LATEST = np.datetime64("2200-01-01T00:00:00", "ns")
# The most instants one TimeGrid may hold (0.8 GB of int64, 2.4 GB with jd and fr): beyond
# that, iterate over windows.
MAX_INSTANTS = 100_000_000
_JD_RANGE = (2415020.5, 2524593.5)  # Julian dates of EARLIEST and LATEST


def _check_range(value: np.datetime64, what: str) -> np.datetime64:
    """``value`` (any datetime64 unit) as datetime64[ns], refusing NaT and instants outside
    [EARLIEST, LATEST) before the conversion can wrap."""
    if np.isnat(value):
        raise TimeGridError(f"{what}: NaT is not an instant")
    day = value.astype("datetime64[D]")
    if not (EARLIEST.astype("datetime64[D]") <= day < LATEST.astype("datetime64[D]")):
        raise TimeGridError(f"{what}: {day} is outside the supported {str(EARLIEST)[:10]} .. "
                            f"{str(LATEST)[:10]}")
    return value.astype("datetime64[ns]")



def _time_library(value) -> str | None:
    """``"astropy"`` or ``"skyfield"`` for those libraries' Time objects, else None."""
    cls = type(value)
    module = cls.__module__ or ""
    if module.startswith("astropy.time") and cls.__name__ == "Time":
        return "astropy"
    if module.startswith("skyfield.timelib") and cls.__name__ == "Time":
        return "skyfield"
    return None


def _foreign_ns(value, kind: str) -> np.ndarray:
    """UTC nanoseconds (POSIX-like) of an astropy or skyfield Time, as int64 (shape of it)."""
    if kind == "astropy":
        utc = value.utc
        jd1, jd2 = np.asarray(utc.jd1, dtype=np.float64), np.asarray(utc.jd2, dtype=np.float64)
        return _jd_to_ns(np.atleast_1d(jd1), np.atleast_1d(jd2)).reshape(jd1.shape)
    # skyfield: UTC as datetimes keeps microseconds, its documented UTC resolution.
    dts = value.utc_datetime()
    if isinstance(dts, _dt.datetime):
        return np.array(parse_utc(dts).astype(np.int64))
    return np.array([parse_utc(d).astype(np.int64) for d in np.ravel(dts)], dtype=np.int64)


def jd_to_utc(jd: ArrayLike, fr: ArrayLike = 0.0) -> np.ndarray:
    """Two-part UTC Julian dates (any shapes that broadcast) as datetime64[ns]: a converter for
    instants in no particular order (element-set epochs), where a TimeGrid would be wrong."""
    a, b = np.broadcast_arrays(np.asarray(jd, dtype=np.float64), np.asarray(fr, dtype=np.float64))
    return _jd_to_ns(a.ravel(), b.ravel()).reshape(a.shape).view("datetime64[ns]")


def _jd_to_ns(jd: np.ndarray, fr: np.ndarray) -> np.ndarray:
    """Two-part UTC Julian dates to int64 ns since 1970 (see TimeGrid.from_jd)."""
    if not (np.all(np.isfinite(jd)) and np.all(np.isfinite(fr))):
        raise TimeGridError("jd and fr must be finite")
    # Split each part into whole days and a fraction before converting to ns,
    # so no intermediate float carries more than one day of magnitude.
    jd_days = np.floor(jd - JD_UNIX_EPOCH)
    jd_frac = (jd - JD_UNIX_EPOCH) - jd_days
    fr_days = np.floor(fr)
    fr_frac = fr - fr_days
    days = (jd_days + fr_days).astype(np.int64)
    return days * _NS_PER_DAY + np.round((jd_frac + fr_frac) * _NS_PER_DAY).astype(np.int64)


def parse_utc(value: InstantLike, *, what: str = "time") -> np.datetime64:
    """Convert one instant to ``numpy.datetime64[ns]`` in UTC.

    Parameters
    ----------
    value : str, datetime.datetime, numpy.datetime64, astropy or skyfield Time
        ISO-8601 string *with* a zone (``"2026-05-13T00:00:00Z"``,
        ``"...+02:00"``), an aware ``datetime``, a ``datetime64`` (taken as
        UTC, since numpy has no zones), or a scalar ``astropy.time.Time`` /
        skyfield ``Time`` (converted through UTC).
    what : str
        Name used in error messages.

    Raises
    ------
    TimeGridError
        If a string or datetime has no time zone: guessing one would shift
        every satellite by up to half a day.
    """
    if isinstance(value, np.datetime64):
        return _check_range(value, what)
    kind = _time_library(value)
    if kind is not None:
        ns = _foreign_ns(value, kind)
        if ns.ndim != 0:
            raise TimeGridError(f"{what}: expected one instant, got a {kind} Time of shape {ns.shape}")
        return np.int64(ns).astype("datetime64[ns]")
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
        utc = value.astimezone(_dt.UTC).replace(tzinfo=None)
        return _check_range(np.datetime64(utc, "us"), what)
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

    def __init__(self, unix_ns: ArrayLike):
        ns = np.ascontiguousarray(unix_ns, dtype=np.int64)
        if ns.ndim != 1:
            raise TimeGridError(f"a TimeGrid is one-dimensional, got shape {ns.shape}")
        if ns.size == 0:
            raise TimeGridError("a TimeGrid needs at least one instant")
        lo, hi = EARLIEST.astype(np.int64), LATEST.astype(np.int64)
        bad = np.nonzero((ns < lo) | (ns >= hi))[0]
        if bad.size:
            raise TimeGridError(f"instant {bad[0]} is outside the supported {str(EARLIEST)[:10]} .. "
                                f"{str(LATEST)[:10]} (or NaT)")
        back = np.nonzero(np.diff(ns) <= 0)[0]
        if back.size:
            k = int(back[0]) + 1
            raise TimeGridError(f"instants must increase: instant {k} ({ns[k].astype('datetime64[ns]')}) "
                                f"is not after instant {k - 1} ({ns[k - 1].astype('datetime64[ns]')}); "
                                f"sort them first")
        self._ns = ns
        self._ns.setflags(write=False)
        days, rem_ns = np.divmod(ns, _NS_PER_DAY)
        self.jd = JD_UNIX_EPOCH + days.astype(np.float64)
        self.fr = rem_ns.astype(np.float64) / float(_NS_PER_DAY)
        self.jd.setflags(write=False)
        self.fr.setflags(write=False)

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_utc(cls, start: InstantLike, duration_s: float, step_s: float) -> TimeGrid:
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
        if n > MAX_INSTANTS:
            raise TimeGridError(f"{duration_s:g} s at {step_s:g} s steps is {n:,} instants, over the "
                                f"{MAX_INSTANTS:,} one TimeGrid holds (~{24 * n / 2**30:.0f} GiB); "
                                f"split the window, or use a coarser step")
        start_ns = int(t0.astype(np.int64))
        if start_ns + (n - 1) * step_ns >= int(LATEST.astype(np.int64)):
            raise TimeGridError(f"the window ends after {str(LATEST)[:10]}, the latest supported instant")
        return cls(start_ns + np.arange(n, dtype=np.int64) * step_ns)

    @classmethod
    def from_jd(cls, jd: ArrayLike, fr: ArrayLike = 0.0) -> TimeGrid:
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
        total = jd + fr
        bad = np.nonzero(~((total >= _JD_RANGE[0]) & (total < _JD_RANGE[1])))[0]
        if bad.size:
            raise TimeGridError(f"Julian date {float(total[bad[0]])!r} (index {bad[0]}) is outside the "
                                f"supported {str(EARLIEST)[:10]} .. {str(LATEST)[:10]}")
        ns = _jd_to_ns(jd, fr)
        return cls(ns)

    @classmethod
    def from_datetimes(cls, values: Iterable[InstantLike]) -> TimeGrid:
        """Grid from a sequence of instants (zone-aware datetimes, ISO strings or datetime64)."""
        if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
            for i, v in enumerate(values.ravel()):
                _check_range(v, f"values[{i}]")
            return cls(values.astype("datetime64[ns]").astype(np.int64))
        ns = [parse_utc(v, what=f"values[{i}]").astype(np.int64) for i, v in enumerate(values)]
        return cls(np.array(ns, dtype=np.int64))

    @classmethod
    def from_astropy(cls, time: ForeignObject) -> TimeGrid:
        """Grid from an ``astropy.time.Time`` (scalar or 1-d), converted through its UTC
        two-part Julian date to the nanosecond."""
        if _time_library(time) != "astropy":
            raise TimeGridError(f"expected an astropy.time.Time, got {type(time).__name__}")
        return cls(np.atleast_1d(_foreign_ns(time, "astropy")))

    @classmethod
    def from_skyfield(cls, time: ForeignObject) -> TimeGrid:
        """Grid from a skyfield ``Time`` (scalar or 1-d), through its UTC datetimes
        (microseconds, skyfield's UTC resolution)."""
        if _time_library(time) != "skyfield":
            raise TimeGridError(f"expected a skyfield Time, got {type(time).__name__}")
        return cls(np.atleast_1d(_foreign_ns(time, "skyfield")))

    def to_astropy(self) -> ForeignObject:
        """The instants as an ``astropy.time.Time`` (scale UTC, two-part Julian date)."""
        from astropy.time import Time

        return Time(self.jd, self.fr, format="jd", scale="utc")

    def to_skyfield(self, ts: ForeignObject = None) -> ForeignObject:
        """The instants as a skyfield ``Time`` (``ts``: a Timescale; default skyfield's
        ``load.timescale()`` with its shipped leap-second table)."""
        if ts is None:
            from skyfield.api import load

            ts = load.timescale()
        return _skyfield_utc(ts, self._ns)

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

    @property
    def step_s(self) -> float | None:
        """The step in seconds of a regular grid of two or more instants, else None."""
        if self._ns.size < 2:
            return None
        steps = np.diff(self._ns)
        return float(steps[0]) / 1e9 if np.all(steps == steps[0]) else None

    @property
    def window_end(self) -> np.datetime64:
        """End of the window the grid samples: one step past the last instant for a regular
        grid (sample ``t_i`` stands for ``[t_i, t_i + step)``, so
        ``from_utc(start, duration_s, step_s)`` covers ``[start, start + duration_s)``),
        the last instant for an irregular grid or a single instant."""
        step = self.step_s
        if step is None:
            return self.end
        return (self._ns[-1] + (self._ns[1] - self._ns[0])).astype("datetime64[ns]")

    def __len__(self) -> int:
        return int(self._ns.size)

    def __getitem__(self, key) -> TimeGrid:
        sel = self._ns[key]
        return TimeGrid(np.atleast_1d(sel))

    def __eq__(self, other) -> bool:
        return isinstance(other, TimeGrid) and np.array_equal(self._ns, other._ns)

    __hash__ = None  # type: ignore[assignment]  # equality is by value, so no hash

    def __repr__(self) -> str:
        n = len(self)
        if n == 1:
            return f"TimeGrid({np.datetime_as_string(self.start, unit='us')}Z)"
        steps = np.unique(np.diff(self._ns))
        step = f"step {steps[0] / 1e9:g} s" if steps.size == 1 else "irregular"
        return (f"TimeGrid({n} instants, {np.datetime_as_string(self.start, unit='us')}Z"
                f" .. {np.datetime_as_string(self.end, unit='us')}Z, {step})")

    def chunks(self, size: int) -> Sequence[TimeGrid]:
        """Split into consecutive grids of at most ``size`` instants."""
        if size < 1:
            raise TimeGridError(f"chunk size must be at least 1, got {size}")
        return [TimeGrid(self._ns[i:i + size]) for i in range(0, len(self), size)]


# One instant: an ISO-8601 string with a zone, an aware datetime, a datetime64 (UTC), or a
# scalar astropy or skyfield Time. Many instants: a TimeGrid, or an array-valued Time, or a
# sequence of instants. (astropy and skyfield are recognised without being imported.)
InstantLike = str | _dt.datetime | np.datetime64 | Any
TimeLike = TimeGrid | Iterable[InstantLike] | Any


def _skyfield_utc(ts, ns: np.ndarray):
    """A skyfield Time at UTC instants given as ns since 1970 (POSIX: whole days of 86,400 s)."""
    days, rem = np.divmod(ns, _NS_PER_DAY)
    dates = (np.datetime64("1970-01-01", "D") + days.astype("timedelta64[D]")).astype(object)
    year = np.array([d.year for d in dates])
    month = np.array([d.month for d in dates])
    day = np.array([d.day for d in dates])
    return ts.utc(year, month, day, 0, 0, rem / 1e9)


def as_timegrid(times: TimeLike) -> TimeGrid:
    """A :class:`TimeGrid` from anything that names instants: a TimeGrid (returned as is),
    an astropy or skyfield ``Time``, a ``datetime64`` array, or a sequence of instants."""
    if isinstance(times, TimeGrid):
        return times
    kind = _time_library(times)
    if kind == "astropy":
        return TimeGrid.from_astropy(times)
    if kind == "skyfield":
        return TimeGrid.from_skyfield(times)
    if isinstance(times, (str, _dt.datetime, np.datetime64)):
        return TimeGrid.from_datetimes([times])
    return TimeGrid.from_datetimes(times)

"""Propagation: backend choice, memory budget, chunking, and the Ephemeris it returns.

The friendly layer here validates and allocates; the backends fill arrays:

* ``"numba"`` (default) — leolat's own SGP4 kernel (:mod:`leolat._kernels.sgp4`),
  parallel, with the TEME -> ITRF rotation fused in. Deep-space element sets
  (period >= 225 min) are routed to the C++ code inside the same call;
  ``Ephemeris.backend`` records which served each satellite.
* ``"sgp4"`` — python-sgp4's C++ ``SatrecArray`` (Vallado's reference code),
  followed by one fused numba pass that transposes to time-first and rotates
  TEME -> ITRF.

Satellites SGP4 cannot propagate (decayed, eccentricity out of range) are not
exceptions: their positions are NaN and ``Ephemeris.error`` keeps SGP4's code
(1 mean eccentricity, 2 mean motion, 3 perturbed eccentricity, 4 semi-latus
rectum, 6 decayed). Unlike python-sgp4, which still returns the sub-surface
position with code 6, every failed state is NaN here, so it can never be
mistaken for a satellite.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numba
import numpy as np

from .._kernels import frames as _kf
from .._kernels import sgp4 as _ksgp4
from .._kernels import sgp4_approx as _kapprox
from ..base import progress as _progress
from ..base.budget import DEFAULT_MEMORY_BUDGET_MB, MIB, budget_bytes, check_budget
from ..base.errors import ElementAgeWarning, LeolatError, MemoryBudgetError
from ..reference.eop import earth_orientation
from ..reference.time import TimeGrid, TimeLike, as_timegrid, jd_to_utc
from .ephemeris import Ephemeris

if TYPE_CHECKING:
    from .constellation import Constellation

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "ELEMENT_AGE_WARN_DAYS", "bytes_per_sat_time",
           "check_backend", "check_element_age", "positions_into", "propagate", "propagate_chunks",
           "positions_chunks", "positions_at"]

BACKENDS = ("numba", "numba-approx", "sgp4")
DEFAULT_BACKEND = "numba"

# Propagating an observed element set further than this from its epoch warns.  A TLE fits
# observations to ~1 km at epoch and its LEO error then grows by ~1-3 km per day, mostly
# along-track from unmodelled drag (Vallado, Crawford, Hujsak & Kelso, "Revisiting Spacetrack
# Report #3", AIAA 2006-6753, §I; Space-Track refreshes LEO sets at least daily).  After
# three days a satellite can be ~10 km (1.3 s of its orbit) from where SGP4 puts it; after
# weeks the positions say nothing about the real satellite.  Starlink satellites also
# manoeuvre, which no element set predicts.
ELEMENT_AGE_WARN_DAYS = 3.0

# Bytes held per satellite·time: r and v in TEME and ITRF (4 × 3 float64), the
# error code (uint8), and the backend's satellite-major r, v scratch (2 × 3 float64).
_OUTPUT_BYTES = 4 * 3 * 8 + 1
_SCRATCH_BYTES = 2 * 3 * 8 + 1


def bytes_per_sat_time(positions_only: bool = False) -> int:
    """Peak bytes one satellite·time costs during :func:`propagate` (outputs + scratch)."""
    if positions_only:
        return 3 * 8 + 1 + _SCRATCH_BYTES
    return _OUTPUT_BYTES + _SCRATCH_BYTES


def check_backend(backend: str) -> str:
    """``backend`` if it is one of :data:`BACKENDS`, else a LeolatError listing them."""
    if backend not in BACKENDS:
        raise LeolatError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend


def _check_budget(n_sats: int, n_times: int, memory_budget_mb: float, positions_only: bool) -> None:
    per_time = max(1, n_sats) * bytes_per_sat_time(positions_only)
    fits = max(1, int(budget_bytes(memory_budget_mb) // per_time))
    check_budget(n_times * per_time, memory_budget_mb,
                 f"propagating {n_sats:,} satellites × {n_times:,} times",
                 f"Iterate over time instead with constellation.propagate_chunks(times) "
                 f"({fits:,} times per chunk fit the budget), or raise memory_budget_mb.",
                 "(ITRF r + scratch)" if positions_only else "(TEME and ITRF r, v + scratch)")


def check_element_age(constellation: Constellation, times: TimeGrid, *,
                      max_age_days: float | None = ELEMENT_AGE_WARN_DAYS,
                      stacklevel: int = 3) -> None:
    """Warn (:class:`ElementAgeWarning`) if observed element sets are used more than
    ``max_age_days`` from their epochs anywhere in ``times`` (None: never warn).

    Generated element sets (Walker shells, presets) are exact by construction and never warn.
    """
    if max_age_days is None or not len(constellation) or not len(times):
        return
    observed = ~constellation.generated
    if not observed.any():
        return
    epoch_day = (constellation.epoch_jd + constellation.epoch_fr)[observed]
    first = float(times.jd[0] + times.fr[0])
    last = float(times.jd[-1] + times.fr[-1])
    # A TimeGrid is strictly increasing: the instant farthest from an epoch is an end.
    age_days = np.maximum(np.abs(first - epoch_day), np.abs(last - epoch_day))
    far = age_days > max_age_days
    if not far.any():
        return
    i = int(np.argmax(epoch_day))
    newest = jd_to_utc(constellation.epoch_jd[observed][i:i + 1],
                       constellation.epoch_fr[observed][i:i + 1])
    warnings.warn(
        f"{int(far.sum()):,} of {len(constellation):,} element sets are used up to "
        f"{float(age_days.max()):,.1f} days from their epochs (more than {max_age_days:g}; "
        f"newest epoch {np.datetime_as_string(newest[0], unit='s')}Z): SGP4 errors grow "
        f"by ~1-3 km per day in LEO, so these positions may be far from the real satellites. "
        f"Use element sets from near the window, or start the window near their epochs.",
        ElementAgeWarning, stacklevel=stacklevel)


def _cpp_into(sat_array, columns: np.ndarray, when: _kf.Instants, teme: bool,
              out: _kf.States) -> None:
    """python-sgp4's C++ for some satellites, rotated and written at ``columns`` of ``out``
    (TEME positions into ``out.r_itrf`` with ``teme`` and ``out.full`` False)."""
    e_st, r_st, v_st = sat_array.sgp4(when.jd, when.fr)
    if teme and not out.full:
        r = r_st.transpose(1, 0, 2)
        r[(e_st != 0).T] = np.nan  # as everywhere: a failed state is NaN, never a position
        out.r_itrf[:, columns] = r
        out.error[:, columns] = e_st.T
        return
    if out.full:
        _kf.teme_to_itrf_sat_major(e_st, r_st, v_st, when, columns, out)
        return
    # Positions only: rotate into compact scratch, then keep the positions.
    shape = (when.jd.size, columns.size, 3)
    scratch = _kf.States(True, np.empty(shape), np.empty(shape), np.empty(shape), np.empty(shape),
                         np.empty((when.jd.size, columns.size), dtype=np.uint8))
    _kf.teme_to_itrf_sat_major(e_st, r_st, v_st, when, np.arange(columns.size), scratch)
    out.r_itrf[:, columns] = scratch.r_itrf
    out.error[:, columns] = scratch.error


def _fill(constellation: Constellation, times: TimeGrid, backend: str, ut1_utc: bool,
          polar_motion: bool, teme: bool, out: _kf.States) -> np.ndarray:
    """Run the backends into ``out``; returns which backend served each satellite.

    With ``teme`` (and ``out.full`` False) ``out.r_itrf`` receives TEME positions.
    """
    dut1, xp, yp = earth_orientation(times.jd, times.fr, ut1_utc=ut1_utc,
                                     polar_motion=polar_motion)
    prepared = constellation.prepared
    served_by = np.full(len(constellation), "sgp4", dtype="U12")
    when = _kf.Instants(np.asarray(times.jd), np.asarray(times.fr), dut1, xp, yp)
    if backend == "numba-approx" and prepared.near.size:
        coef, blocks = prepared.near_coef
        contiguous = bool(prepared.near[-1] - prepared.near[0] == prepared.near.size - 1)
        per_job = _kapprox.tiles_per_job(len(times), prepared.near.size, numba.get_num_threads())
        _kapprox.propagate_itrf_approx(coef, blocks, prepared.near, contiguous, when,
                                       prepared.gravity, teme, per_job, out)
        served_by[prepared.near] = "numba-approx"
    elif backend == "numba" and prepared.near.size:
        _ksgp4.propagate_itrf(prepared.coef, prepared.near, when, prepared.gravity,
                              _ksgp4.TILE_SATS, teme, out)
        served_by[prepared.near] = "numba"
    if backend == "sgp4":
        _cpp_into(prepared.satrec_array, np.arange(len(constellation)), when, teme, out)
    elif prepared.deep.size:
        # Deep-space satellites go through the C++ code inside the same call.
        _cpp_into(prepared.deep_array, prepared.deep, when, teme, out)
    return served_by


def propagate(constellation: Constellation, times: TimeLike, *, backend: str = DEFAULT_BACKEND, ut1_utc: bool = True,
              polar_motion: bool = False, positions_only: bool = False,
              memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB,
              max_element_age_days: float | None = ELEMENT_AGE_WARN_DAYS) -> Ephemeris:
    """Propagate every satellite of a constellation over a time grid.

    See :meth:`leolat.Constellation.propagate` for the parameters.
    """
    times = as_timegrid(times)
    check_backend(backend)
    n_sats, n_times = len(constellation), len(times)
    _check_budget(n_sats, n_times, memory_budget_mb, positions_only)
    check_element_age(constellation, times, max_age_days=max_element_age_days, stacklevel=4)
    full = not positions_only
    shape = (n_times, n_sats, 3)
    r_itrf = np.empty(shape)
    # Placeholders the kernels never touch when only positions are wanted.
    r_teme, v_teme, v_itrf = (np.empty(shape if full else (1, 1, 3)) for _ in range(3))
    error = np.empty((n_times, n_sats), dtype=np.uint8)
    out = _kf.States(full, r_teme, v_teme, r_itrf, v_itrf, error)
    served_by = _fill(constellation, times, backend, ut1_utc, polar_motion, False, out)
    return Ephemeris(
        times=times,
        satnum=constellation.satnum,
        names=constellation.names,
        r_teme_km=r_teme if full else None, v_teme_km_s=v_teme if full else None,
        r_itrf_km=r_itrf, v_itrf_km_s=v_itrf if full else None,
        error=error, backend=served_by,
        ut1_utc=ut1_utc, polar_motion=polar_motion,
    )


def positions_into(constellation: Constellation, times: TimeLike, out: np.ndarray, *,
                   frame: str = "itrf", backend: str = DEFAULT_BACKEND, ut1_utc: bool = True,
                   polar_motion: bool = False, error: np.ndarray | None = None,
                   max_element_age_days: float | None = ELEMENT_AGE_WARN_DAYS) -> np.ndarray:
    """Positions of every satellite at every time, written into a buffer the caller keeps.

    For loops that propagate window after window: reusing ``out`` spares allocating
    (and the kernel first touching) fresh pages every call, and nothing else is
    allocated but the error codes (or not even those, with ``error``).

    Parameters
    ----------
    constellation : Constellation
    times : TimeGrid
        ``n_times`` UTC instants.
    out : numpy.ndarray, shape (n_times, n_sats, 3), float64, C-contiguous, writeable
        Receives positions in km; NaN where SGP4 failed.
    frame : {"itrf", "teme"}
        Earth-fixed (as :attr:`Ephemeris.r_itrf_km`) or SGP4's TEME (as
        :attr:`Ephemeris.r_teme_km`), bit for bit what :func:`propagate` gives.
    backend, ut1_utc, polar_motion, max_element_age_days
        As for :func:`propagate` (``ut1_utc`` and ``polar_motion`` only matter for ITRF).
    error : numpy.ndarray, shape (n_times, n_sats), uint8, optional
        Receives the SGP4 error codes; allocated when not given.

    Returns
    -------
    numpy.ndarray, shape (n_times, n_sats), uint8
        The error codes (``error`` itself when given).

    Raises
    ------
    LeolatError
        If ``frame`` or ``backend`` is unknown, or a buffer has the wrong shape, dtype or
        layout (it is never written then).
    """
    times = as_timegrid(times)
    check_backend(backend)
    if frame not in ("itrf", "teme"):
        raise LeolatError(f"frame={frame!r}: choose 'itrf' or 'teme'")
    shape = (len(times), len(constellation), 3)
    _check_buffer("out", out, shape, np.float64)
    if error is None:
        error = np.empty(shape[:2], dtype=np.uint8)
    _check_buffer("error", error, shape[:2], np.uint8)
    check_element_age(constellation, times, max_age_days=max_element_age_days, stacklevel=4)
    placeholder = np.empty((1, 1, 3))
    states = _kf.States(False, placeholder, placeholder, out, placeholder, error)
    _fill(constellation, times, backend, ut1_utc, polar_motion, frame == "teme", states)
    return error


def _check_buffer(name: str, array: np.ndarray, shape: tuple[int, ...], dtype: type) -> None:
    if not isinstance(array, np.ndarray):
        raise LeolatError(f"{name} must be a numpy array of shape {shape}, not {type(array).__name__}")
    problems = []
    if array.shape != shape:
        problems.append(f"shape {array.shape}, expected {shape} (times, satellites"
                        f"{', xyz' if len(shape) == 3 else ''})")
    if array.dtype != dtype:
        problems.append(f"dtype {array.dtype}, expected {np.dtype(dtype)}")
    if not array.flags.c_contiguous:
        problems.append("not C-contiguous")
    if not array.flags.writeable:
        problems.append("read-only")
    if problems:
        raise LeolatError(f"{name}: " + "; ".join(problems))


def propagate_chunks(constellation: Constellation, times: TimeLike, *,
                     backend: str = DEFAULT_BACKEND, ut1_utc: bool = True,
                     polar_motion: bool = False, positions_only: bool = False,
                     memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB,
                     max_chunk_times: int | None = None,
                     max_element_age_days: float | None = ELEMENT_AGE_WARN_DAYS
                     ) -> Iterator[Ephemeris]:
    """Yield Ephemeris chunks over consecutive slices of ``times``, each within the budget.

    Parameters
    ----------
    constellation : Constellation
    times : TimeGrid
    backend, ut1_utc, polar_motion, positions_only
        As for :func:`propagate`.
    memory_budget_mb : float
        Peak memory one chunk may take, in MiB (2**20 bytes).
    max_chunk_times : int, optional
        Cap on the instants per chunk (smaller chunks, e.g. for progress). Chunking
        never changes results: each step is computed on its own.
    max_element_age_days : float or None
        Warn once, for the whole grid, as :func:`check_element_age` does.

    Raises
    ------
    MemoryBudgetError
        If not even one time step fits the budget.
    """
    times = as_timegrid(times)
    check_backend(backend)
    per_time = max(1, len(constellation)) * bytes_per_sat_time(positions_only)
    chunk = int(budget_bytes(memory_budget_mb) // per_time)
    if chunk < 1:
        raise MemoryBudgetError(
            f"one time step of {len(constellation):,} satellites needs {per_time / MIB:.1f} MiB, "
            f"over the memory budget of {memory_budget_mb:g} MiB; raise memory_budget_mb or "
            f"select fewer satellites")
    if max_chunk_times is not None:
        chunk = max(1, min(chunk, int(max_chunk_times)))
    check_element_age(constellation, times, max_age_days=max_element_age_days, stacklevel=3)
    with _progress.bar(len(times), f"{len(constellation):,} satellites") as bar:
        for sub in times.chunks(chunk):
            yield propagate(constellation, sub, backend=backend, ut1_utc=ut1_utc,
                            polar_motion=polar_motion, positions_only=positions_only,
                            memory_budget_mb=memory_budget_mb, max_element_age_days=None)
            bar.update(len(sub))


def positions_chunks(source: Ephemeris | Constellation, times: TimeLike | None, *, what: str,
                     backend: str = DEFAULT_BACKEND,
                     memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB,
                     error: type[LeolatError] = LeolatError
                     ) -> tuple[Iterable[Ephemeris], TimeGrid]:
    """Earth-fixed positions in time chunks, from states already propagated or from a
    constellation to propagate over ``times`` within the budget (what the streamed geometry
    functions take as their ``source``).

    Returns
    -------
    chunks : iterable of Ephemeris
        Consecutive chunks (a precomputed Ephemeris is one chunk).
    times : TimeGrid
        The whole grid.

    Raises
    ------
    error
        If ``source`` is a Constellation and ``times`` is missing (``what`` names the caller).
    """
    if isinstance(source, Ephemeris):
        return [source], source.times
    if times is None:
        raise error(f"{what}(constellation, ...) needs times=TimeGrid(...)")
    grid = as_timegrid(times)
    return propagate_chunks(source, grid, backend=backend, memory_budget_mb=memory_budget_mb,
                            positions_only=True), grid


def positions_at(constellation: Constellation, sat_index, jd, fr, *, ut1_utc: bool = True,
                 polar_motion: bool = False) -> np.ndarray:
    """ITRF positions (n, 3) km of satellite ``sat_index[i]`` at UTC ``jd[i] + fr[i]``.

    Each pair has its own instant: what root finders need. Near-Earth satellites
    go through the exact numba kernel, deep-space ones through the C++; NaN where
    SGP4 fails.
    """
    sat_index = np.ascontiguousarray(sat_index, dtype=np.intp)
    jd = np.ascontiguousarray(jd, dtype=np.float64)
    fr = np.ascontiguousarray(fr, dtype=np.float64)
    prepared = constellation.prepared
    dut1, xp, yp = earth_orientation(jd, fr, ut1_utc=ut1_utc, polar_motion=polar_motion)
    out = np.empty((sat_index.size, 3))
    error = np.zeros(sat_index.size, dtype=np.uint8)
    _ksgp4.propagate_pairs(prepared.coef, sat_index, _kf.Instants(jd, fr, dut1, xp, yp),
                           prepared.gravity, out, error)
    deep = np.nonzero(np.isin(sat_index, prepared.deep))[0]
    for i in deep:  # rare in LEO work; one C++ call per pair
        sat = prepared.satrecs[sat_index[i]]
        e, r, v = sat.sgp4(jd[i], fr[i])
        if e:
            out[i] = np.nan
            continue
        r_itrf, _ = teme_to_itrf_single(np.array(r), np.array(v), jd[i], fr[i], dut1[i], xp[i], yp[i])
        out[i] = r_itrf
    return out


def teme_to_itrf_single(r, v, jd, fr, dut1_s, xp_rad, yp_rad):
    """One TEME state to ITRF (numpy arrays of 3), with the kernels' rotation."""
    w = np.empty((3, 3))
    c, s, omega = _kf.earth_rotation(jd, fr, dut1_s, xp_rad, yp_rad, w)
    out = _kf.rotate_state(c, s, omega, w, r[0], r[1], r[2], v[0], v[1], v[2])
    return np.array(out[:3]), np.array(out[3:])

"""``positions_into``: positions written into a kept buffer, bit for bit what ``propagate``
gives, and buffers that do not fit refused before anything is written."""

import numpy as np
import pytest

from leolat import Constellation, LeolatError, TimeGrid

from .vallado import verification_cases

ALGORITHM_ONLY = pytest.mark.filterwarnings("ignore::leolat.ElementAgeWarning")


@pytest.fixture(scope="module")
def mixed():
    """Vallado's cases: near-Earth and deep-space, eccentric orbits, and decays (codes 1-6)."""
    cases = {l1[2:7]: (l1, l2) for l1, l2, *_ in verification_cases()}  # one set per satellite
    text = "\n".join(f"{l1}\n{l2}" for l1, l2 in cases.values())
    c = Constellation.from_tle(text, checksum="ignore")
    return c, TimeGrid.from_utc("2006-06-25T00:00:00Z", 3 * 86400, 1800)


@ALGORITHM_ONLY
@pytest.mark.parametrize("backend", ["numba", "numba-approx", "sgp4"])
@pytest.mark.parametrize("frame", ["teme", "itrf"])
def test_equals_propagate_bit_for_bit_with_its_error_codes(mixed, backend, frame):
    c, grid = mixed
    eph = c.propagate(grid, backend=backend, polar_motion=True)
    want = eph.r_teme_km if frame == "teme" else eph.r_itrf_km
    out = np.full((len(grid), len(c), 3), 7.0)  # a stale buffer: every value must be rewritten
    error = c.positions_into(grid, out, frame=frame, backend=backend, polar_motion=True)
    np.testing.assert_array_equal(error, eph.error)
    assert (error != 0).any() and (error == 0).any()  # failed states are in the test
    # python-sgp4 keeps a position for "decayed" (6); both paths make every failure NaN.
    np.testing.assert_array_equal(np.isnan(out).any(axis=2), error != 0)
    np.testing.assert_array_equal(out, want)


@ALGORITHM_ONLY
def test_reuses_the_error_buffer_and_approx_stays_within_1_mm(mixed):
    c, grid = mixed
    out = np.empty((len(grid), len(c), 3))
    error = np.empty((len(grid), len(c)), dtype=np.uint8)
    assert c.positions_into(grid, out, frame="teme", backend="numba-approx", error=error) is error
    ref = c.propagate(grid, backend="sgp4").r_teme_km
    ok = error == 0
    # Eccentric orbits (e up to 0.7 here) go to the exact scalar kernel inside the call.
    assert np.abs(out[ok] - ref[ok]).max() < 1e-6  # km


@pytest.mark.parametrize("bad, message", [
    (np.empty((5, 3, 3)), r"out: shape \(5, 3, 3\), expected \(4, 3, 3\)"),
    (np.empty((4, 3, 3), dtype=np.float32), "out: dtype float32, expected float64"),
    (np.empty((4, 3, 3), order="F"), "out: not C-contiguous"),
    (np.empty((4, 3, 6))[:, :, ::2], "out: not C-contiguous"),
    ([[0.0]], "out must be a numpy array of shape \\(4, 3, 3\\), not list"),
])
def test_a_buffer_that_does_not_fit_is_refused_before_anything_is_written(bad, message):
    c = Constellation.walker(1, 3, 550, 53, epoch="2026-01-01T00:00:00Z")
    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 240, 60)
    with pytest.raises(LeolatError, match=message):
        c.positions_into(grid, bad)
    if isinstance(bad, np.ndarray):
        bad[...] = 5.0
        with pytest.raises(LeolatError):
            c.positions_into(grid, bad)
        assert (bad == 5.0).all()


def test_read_only_buffers_bad_error_buffers_and_frames_are_refused():
    c = Constellation.walker(1, 3, 550, 53, epoch="2026-01-01T00:00:00Z")
    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 240, 60)
    out = np.zeros((4, 3, 3))
    out.flags.writeable = False
    with pytest.raises(LeolatError, match="out: read-only"):
        c.positions_into(grid, out)
    good = np.zeros((4, 3, 3))
    with pytest.raises(LeolatError, match="error: dtype int64, expected uint8"):
        c.positions_into(grid, good, error=np.zeros((4, 3), dtype=np.int64))
    with pytest.raises(LeolatError, match="frame='gcrs': choose 'itrf' or 'teme'"):
        c.positions_into(grid, good, frame="gcrs")
    with pytest.raises(LeolatError, match="unknown backend"):
        c.positions_into(grid, good, backend="fast")
    assert (good == 0.0).all()

import numba
import numpy as np
import pytest
from sgp4.api import Satrec, SatrecArray

import leolat
from leolat import Constellation, MemoryBudgetError, TimeGrid
from leolat.base.constants import DEEP_SPACE_PERIOD_MIN

from .vallado import verification_cases

DEFAULT_DEEP_PERIOD_MIN = DEEP_SPACE_PERIOD_MIN
# These tests compare implementations of SGP4 with each other and with Vallado's published
# states, over spans chosen to exercise the theory (days to weeks from the epoch): how far
# the element sets are from the real satellites by then is not what they test.
ALGORITHM_ONLY = pytest.mark.filterwarnings("ignore::leolat.ElementAgeWarning")


@pytest.mark.parametrize("backend", ["numba", "sgp4"])
def test_teme_is_identical_to_python_sgp4_on_the_real_snapshot(starlink_tle, backend):
    c = Constellation.from_tle(starlink_tle)[::7]
    lines = starlink_tle.read_text().splitlines()
    by_satnum = {int(Satrec.twoline2rv(lines[i + 1], lines[i + 2]).satnum): (lines[i + 1], lines[i + 2])
                 for i in range(0, len(lines), 3)}
    sats = SatrecArray([Satrec.twoline2rv(*by_satnum[int(n)]) for n in c.satnum])
    grid = TimeGrid.from_utc("2026-05-13T00:00:00Z", 86400, 1200)
    eph = c.propagate(grid, backend=backend)
    e, r, v = sats.sgp4(np.asarray(grid.jd), np.asarray(grid.fr))
    # The numba kernel follows the C++ operation by operation: on this catalogue the
    # results are bit-identical, not merely close.
    np.testing.assert_array_equal(eph.r_teme_km, r.transpose(1, 0, 2))
    np.testing.assert_array_equal(eph.v_teme_km_s, v.transpose(1, 0, 2))
    np.testing.assert_array_equal(eph.error, e.T)


@ALGORITHM_ONLY
@pytest.mark.parametrize("backend", ["numba", "numba-approx", "sgp4"])
@pytest.mark.parametrize("case", verification_cases(), ids=lambda c: c[0][2:7])
def test_vallado_verification_cases(case, backend):
    l1, l2, tsince, r_ref, v_ref = case
    # A few cases run backwards from the epoch, and one lists an instant twice; a TimeGrid's
    # instants increase, so take each instant once, in time order, with its reference values.
    tsince, order = np.unique(tsince, return_index=True)
    r_ref, v_ref = r_ref[order], v_ref[order]
    c = Constellation.from_tle(f"{l1}\n{l2}\n", checksum="ignore")
    jd, fr = c.epoch_jd[0], c.epoch_fr[0] + tsince / 1440.0
    grid = TimeGrid.from_jd(np.full(tsince.size, jd), fr)
    eph = c.propagate(grid, backend=backend, ut1_utc=False)
    deep = 1440.0 / float(l2[52:63]) >= DEFAULT_DEEP_PERIOD_MIN
    assert eph.backend[0] == ("sgp4" if backend == "sgp4" or deep else backend)
    # Rounding each instant to the nanosecond moves a satellite < 1e-8 km.
    ok = eph.error[:, 0] == 0
    np.testing.assert_allclose(eph.r_teme_km[ok, 0], r_ref[ok], atol=2e-7, rtol=0)
    np.testing.assert_allclose(eph.v_teme_km_s[ok, 0], v_ref[ok], atol=2e-9 * 1e3, rtol=0)
    # Error codes are python-sgp4's, and failed states are NaN, never silently kept.
    sat = Satrec.twoline2rv(l1, l2)
    err, _, _ = sat.sgp4_array(np.asarray(grid.jd), np.asarray(grid.fr))
    np.testing.assert_array_equal(eph.error[:, 0], err)
    assert np.all(np.isnan(eph.r_itrf_km[~ok, 0]))


def test_vallado_set_has_error_and_deep_space_cases():
    cases = verification_cases()
    periods = [1440.0 / float(l2[52:63]) for _, l2, *_ in cases]
    assert sum(p >= DEEP_SPACE_PERIOD_MIN for p in periods) >= 10
    assert len(cases) >= 30


def test_decayed_satellite_is_nan_with_its_error_code_not_an_exception():
    c = Constellation.walker(1, 2, 160, 51.6, bstar_per_earth_radius=0.5,
                             epoch="2026-01-01T00:00:00Z")
    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 20 * 86400, 86400)
    eph = c.propagate(grid)
    assert eph.error[0, 0] == 0 and np.isfinite(eph.r_itrf_km[0]).all()
    # With this much drag the mean eccentricity leaves its range (SGP4 error 1) as the
    # orbit collapses; either way the state is flagged, not raised.
    assert (eph.error[-1] > 0).all()
    assert np.isnan(eph.r_itrf_km[-1]).all() and np.isnan(eph.subpoints()[0][-1]).all()


def test_memory_budget_refuses_with_the_way_out():
    c = Constellation.preset("starlink-gen1")
    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 86400, 1)
    with pytest.raises(MemoryBudgetError, match=r"propagate_chunks.*fit the budget") as info:
        c.propagate(grid, memory_budget_mb=4096)
    assert "4.00 GiB" in str(info.value) and "4,408 satellites × 86,400 times" in str(info.value)
    assert isinstance(info.value, MemoryError)


def test_chunks_stitch_to_the_whole():
    c = Constellation.walker(3, 4, 550, 53, 1)
    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 7200, 30)
    whole = c.propagate(grid)
    budget_mb = 100 * len(c) * 146 / 2**20  # about 100 time steps per chunk
    chunks = list(c.propagate_chunks(grid, memory_budget_mb=budget_mb))
    assert len(chunks) == 3
    np.testing.assert_array_equal(np.concatenate([ch.r_itrf_km for ch in chunks]), whole.r_itrf_km)
    assert np.concatenate([ch.times.unix_ns for ch in chunks]).tolist() == grid.unix_ns.tolist()
    with pytest.raises(MemoryBudgetError, match="one time step"):
        next(c.propagate_chunks(grid, memory_budget_mb=1e-6))


@pytest.mark.parametrize("backend", ["numba", "numba-approx", "sgp4"])
def test_results_do_not_depend_on_the_thread_count(backend):
    c = Constellation.walker(6, 100, 550, 53, 1)  # several tiles per time step
    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 600, 10)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = c.propagate(grid, backend=backend, polar_motion=True)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = c.propagate(grid, backend=backend, polar_motion=True)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one.r_itrf_km, many.r_itrf_km)
    np.testing.assert_array_equal(one.v_itrf_km_s, many.v_itrf_km_s)


def test_ephemeris_shapes_and_subpoints():
    c = Constellation.walker(2, 3, 550, 53, 1)
    eph = c.propagate(TimeGrid.from_utc("2026-01-01T00:00:00Z", 600, 60))
    assert eph.shape == (10, 6) and eph.r_itrf_km.shape == (10, 6, 3)
    assert eph.r_itrf_km.flags.c_contiguous and eph.r_itrf_km.dtype == np.float64
    lat, lon, alt = eph.subpoints()
    assert lat.shape == (10, 6) and np.all(np.abs(lat) <= 53.2) and np.all(alt > 540)
    assert list(eph.backend) == ["numba"] * 6


@ALGORITHM_ONLY
def test_approx_backend_within_1_mm_of_the_cpp_on_the_real_snapshot_for_a_week(starlink_tle):
    c = Constellation.from_tle(starlink_tle)[::3]
    grid = TimeGrid.from_utc("2026-05-12T00:00:00Z", 7 * 86400, 5400)
    fast = c.propagate(grid, backend="numba-approx")
    ref = c.propagate(grid, backend="sgp4")
    np.testing.assert_array_equal(fast.error, ref.error)
    ok = ref.error == 0
    dr = np.linalg.norm(fast.r_itrf_km - ref.r_itrf_km, axis=2)[ok]
    dv = np.linalg.norm(fast.v_itrf_km_s - ref.v_itrf_km_s, axis=2)[ok]
    # The documented bound is 1 mm; polynomial sine/cosine (<= 1 ulp) and rearranged
    # divisions actually land within micrometres.
    assert dr.max() < 1e-6, f"{dr.max() * 1e6:.3f} mm"
    assert dv.max() < 1e-9, f"{dv.max() * 1e9:.3f} mm/s"
    assert set(fast.backend) <= {"numba-approx", "sgp4"}


@ALGORITHM_ONLY
@pytest.mark.parametrize("backend", ["numba", "numba-approx"])
def test_mixed_file_routes_deep_space_satellites_through_the_cpp_code(backend):
    cases = verification_cases()
    text = "\n".join(f"{l1}\n{l2}" for l1, l2, *_ in cases[:12])
    c = Constellation.from_tle(text, checksum="ignore")
    grid = TimeGrid.from_utc("2006-06-25T00:00:00Z", 2 * 86400, 3600)
    mixed = c.propagate(grid, backend=backend)
    ref = c.propagate(grid, backend="sgp4")
    period_min = 1440.0 / c.mean_motion_rev_day
    assert set(mixed.backend[period_min >= DEEP_SPACE_PERIOD_MIN]) == {"sgp4"}
    assert set(mixed.backend[period_min < DEEP_SPACE_PERIOD_MIN]) == {backend}
    np.testing.assert_array_equal(mixed.error, ref.error)
    # Exact kernel: 1 µm. Approx kernel: its documented 1 mm bound (the eccentric
    # satellites here, e up to 0.19, land within 0.1 mm).
    tol_km = 1e-9 if backend == "numba" else 1e-6
    np.testing.assert_allclose(mixed.r_itrf_km, ref.r_itrf_km, atol=tol_km, rtol=0)
    assert np.array_equal(np.isnan(mixed.r_itrf_km), np.isnan(ref.r_itrf_km))


@pytest.mark.parametrize("backend", ["numba", "numba-approx", "sgp4"])
def test_every_failed_state_is_nan_including_decay(backend):
    # Vallado's 28872 decays (code 6) within days; python-sgp4 still returns its
    # sub-surface position there, leolat returns NaN with the same code.
    l1, l2 = next((a, b) for a, b, *_ in verification_cases() if a[2:7] == "28872")
    c = Constellation.from_tle(f"{l1}\n{l2}\n", checksum="ignore")
    grid = TimeGrid.from_jd(np.full(50, c.epoch_jd[0]), c.epoch_fr[0] + np.linspace(0, 3000, 50) / 1440)
    eph = c.propagate(grid, backend=backend)
    sat = Satrec.twoline2rv(l1, l2)
    err, _, _ = sat.sgp4_array(np.asarray(grid.jd), np.asarray(grid.fr))
    np.testing.assert_array_equal(eph.error[:, 0], err)
    assert 6 in err
    assert np.isnan(eph.r_teme_km[err != 0]).all() and np.isfinite(eph.r_teme_km[err == 0]).all()


def test_numba_kernel_compiles_once_and_is_cached_for_the_next_process(tmp_path):
    import os
    import subprocess
    import sys

    code = ("import time, leolat; c = leolat.Constellation.walker(2, 2, 550, 53); "
            "g = leolat.TimeGrid.from_utc('2026-01-01T00:00:00Z', 60, 60); "
            "t = time.perf_counter(); c.propagate(g); print(time.perf_counter() - t)")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    cold = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                check=True).stdout)
    assert any((tmp_path / "cache").rglob("*.nbi")), "numba wrote no cache index"
    warm = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                check=True).stdout)
    # Compiling the kernels takes seconds; loading them from the cache a fraction of that.
    assert warm < cold / 2, (cold, warm)


@ALGORITHM_ONLY
@pytest.mark.parametrize("backend", ["numba", "numba-approx", "sgp4"])
def test_positions_only_gives_the_same_positions_with_a_quarter_of_the_memory(backend):
    cases = verification_cases()
    c = Constellation.from_tle("\n".join(f"{l1}\n{l2}" for l1, l2, *_ in cases[:12]), checksum="ignore")
    grid = TimeGrid.from_utc("2006-06-25T00:00:00Z", 2 * 86400, 3600)  # near-Earth and deep space
    full = c.propagate(grid, backend=backend)
    pos = c.propagate(grid, backend=backend, positions_only=True)
    np.testing.assert_array_equal(pos.r_itrf_km, full.r_itrf_km)
    np.testing.assert_array_equal(pos.error, full.error)
    assert pos.r_teme_km is None and pos.v_itrf_km_s is None
    # A window whose full states (~695 MiB) do not fit 256 MiB, while positions-only chunks
    # hold most of it (823 of 1,080 steps; full-state chunks would hold 417).
    big = Constellation.preset("starlink-gen1")
    window = TimeGrid.from_utc("2026-01-01T00:00:00Z", 3 * 3600, 10)
    with pytest.raises(MemoryBudgetError):
        big.propagate(window, memory_budget_mb=256)
    chunks = big.propagate_chunks(window, memory_budget_mb=256, positions_only=True)
    first = next(chunks)
    assert first.n_times * 4 > len(window)  # far more steps per chunk than with full states


# ----------------------------------------------------------------- element age
def _observed(epoch="2026-05-13T00:00:00Z"):
    """Twelve element sets as if fitted to observations: a Walker shell written to TLE and
    read back (a file says nothing of how it was made)."""
    return Constellation.from_tle(Constellation.walker(3, 4, 550, 53, 1, epoch=epoch).to_tle())


def test_propagating_far_from_the_epochs_warns_with_count_and_age():
    c = _observed() + _observed("2026-05-20T00:00:00Z")[:4]
    grid = TimeGrid.from_utc("2026-05-21T00:00:00Z", 600, 60)
    with pytest.warns(leolat.ElementAgeWarning,
                      match=r"^12 of 16 element sets are used up to 8\.0 days from their epochs "
                            r"\(more than 3; newest epoch 2026-05-20T00:00:00Z\)"):
        c.propagate(grid)


def test_no_age_warning_near_the_epoch_for_generated_sets_or_when_disabled(recwarn):
    near = TimeGrid.from_utc("2026-05-15T23:00:00Z", 3600, 600)  # 2 days 23 h .. 3 days 0 h
    _observed().propagate(near)
    far = TimeGrid.from_utc("2027-05-13T00:00:00Z", 60, 60)
    # A Walker shell is exact by construction: its epoch is only where its phases are given.
    Constellation.walker(3, 4, 550, 53, 1, epoch="2026-05-13T00:00:00Z").propagate(far)
    _observed().propagate(far, max_element_age_days=None)
    assert not [w for w in recwarn if issubclass(w.category, leolat.LeolatWarning)]
    with pytest.warns(leolat.ElementAgeWarning):
        _observed().propagate(TimeGrid.from_utc("2026-05-16T00:00:01Z", 1, 1))


def test_chunked_propagation_warns_once_for_the_whole_window():
    grid = TimeGrid.from_utc("2026-06-13T00:00:00Z", 3600, 60)
    with pytest.warns(leolat.ElementAgeWarning) as record:
        chunks = list(_observed().propagate_chunks(grid, max_chunk_times=7))
    assert len(chunks) == 9
    assert len([w for w in record if issubclass(w.category, leolat.ElementAgeWarning)]) == 1
    assert "31.0 days" in str(record[0].message)  # the farthest instant, not a chunk's

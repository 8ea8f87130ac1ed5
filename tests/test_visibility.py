import datetime as dt

import numpy as np
import pytest

import leolat
from leolat import Constellation, LeolatError, MemoryBudgetError, Sites, TimeGrid, look_angles, visible

from . import naive


@pytest.fixture(scope="module")
def shell():
    return Constellation.walker(6, 8, 550, 53, 1, epoch="2026-01-01T00:00:00Z")


@pytest.fixture(scope="module")
def edge_sites():
    # Poles, the antimeridian from both sides, the equator, a high site.
    return Sites(["N pole", "S pole", "anti+", "anti-", "equator", "Lhasa"],
                 [90.0, -90.0, 10.0, 10.0, 0.0, 29.65], [0.0, 0.0, 180.0, -179.999, 0.0, 91.1],
                 [0.0, 0.0, 0.0, 0.0, 0.0, 3650.0])


def test_look_angles_match_skyfield(shell):
    from skyfield.api import EarthSatellite, load, wgs84

    sites = Sites(["Tromso", "Quito", "Sydney"], [69.65, -0.18, -33.87], [18.96, -78.47, 151.21],
                  [10.0, 2850.0, 20.0])
    grid = TimeGrid.from_utc("2020-06-01T00:00:00Z", 6 * 3600, 600)
    c = Constellation.walker(4, 5, 550, 53, 1, epoch="2020-06-01T00:00:00Z")
    la = look_angles(c.propagate(grid, polar_motion=False), sites)
    ts = load.timescale()
    t = ts.from_datetimes([u.astype("datetime64[us]").item().replace(tzinfo=dt.UTC)
                           for u in grid.utc])
    lines = c.to_tle(names=False).splitlines()
    worst_deg = worst_km = 0.0
    for s in range(len(c)):
        sat = EarthSatellite(lines[2 * s], lines[2 * s + 1], ts=ts)
        for k in range(len(sites)):
            topo = wgs84.latlon(sites.lat_deg[k], sites.lon_deg[k], elevation_m=sites.alt_m[k])
            alt, az, dist = (sat - topo).at(t).altaz()
            worst_deg = max(worst_deg, np.abs(alt.degrees - la.el_deg[:, k, s]).max(),
                            np.abs((az.degrees - la.az_deg[:, k, s] + 180) % 360 - 180).max()
                            * np.cos(np.radians(alt.degrees)).max())
            worst_km = max(worst_km, np.abs(dist.km - la.range_km[:, k, s]).max())
    # Residual: the TEME->ITRF model difference (~0.2 m, see test_frames), seen from the ground.
    assert worst_deg < 0.001, worst_deg
    assert worst_km < 0.001, worst_km


def test_kernels_equal_the_naive_twin_on_random_and_edge_inputs(shell, edge_sites):
    rng = np.random.default_rng(7)
    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 3 * 3600, 900)
    eph = shell.propagate(grid)
    r = eph.r_itrf_km.copy()
    r[3, 5] = np.nan  # a failed satellite
    # A satellite straight above the equator site (elevation 90°, azimuth undefined).
    r[0, 0] = leolat.geodetic_to_ecef(0.0, 0.0, 1000.0)
    sites = edge_sites
    az, el, rg = naive.look_angles(r, sites)
    eph_nan = type(eph)(**{**eph.__dict__, "r_itrf_km": r})
    la = look_angles(eph_nan, sites)
    ok = np.isfinite(el)
    assert np.array_equal(ok, np.isfinite(la.el_deg))
    np.testing.assert_allclose(la.el_deg[ok], el[ok], atol=1e-9)
    np.testing.assert_allclose(la.range_km[ok], rg[ok], atol=1e-9)
    daz = (la.az_deg[ok] - az[ok] + 180) % 360 - 180
    assert np.abs(daz[np.abs(el[ok]) < 89.9]).max() < 1e-9  # azimuth undefined at the zenith
    for m in (-5.0, 0.0, 25.0, float(rng.uniform(0, 40))):
        v = visible(eph_nan, sites, m)
        np.testing.assert_array_equal(v.counts, naive.visible_counts(r, sites, m))
        assert v.sat_index.size == v.counts.sum()
        assert np.all(v.elevation_deg >= m - 1e-6)


def test_elevation_exactly_at_the_threshold_is_visible():
    site = Sites(["S"], [0.0], [0.0])
    up = leolat.geodetic_to_ecef(0.0, 0.0, 0.0)[None]
    # A point 1,000 km away at exactly 30° elevation toward the east (the site is on the equator).
    east = np.array([0.0, 1.0, 0.0])
    zenith = up[0] / np.linalg.norm(up[0])
    p = up[0] + 1000.0 * (np.cos(np.radians(30)) * east + np.sin(np.radians(30)) * zenith)
    eph = Constellation.walker(1, 1, 550, 53).propagate(TimeGrid.from_utc("2026-01-01T00:00:00Z", 1, 1))
    eph = type(eph)(**{**eph.__dict__, "r_itrf_km": p[None, None, :]})
    el = look_angles(eph, site).el_deg[0, 0, 0]
    assert abs(el - 30.0) < 1e-9
    assert visible(eph, site, el).counts[0, 0] == 1
    assert visible(eph, site, np.nextafter(el, 90)).counts[0, 0] == 0


def test_masks_apply_by_azimuth(shell):
    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 6 * 3600, 300)
    eph = shell.propagate(grid)
    mask = lambda az: np.where((az > 90) & (az < 270), 40.0, 5.0)  # noqa: E731  terrain to the south
    sites = Sites(["masked"], [45.0], [7.0], mask=mask)
    plain = Sites(["plain"], [45.0], [7.0])
    v = visible(eph, sites, 10.0)
    ref = naive.visible_counts(eph.r_itrf_km, plain, 10.0,
                               mask=lambda az: np.interp(az, np.arange(361.0), np.append(
                                   mask(np.arange(360.0)), mask(np.zeros(1)))))
    np.testing.assert_array_equal(v.counts, ref)
    assert v.counts.sum() < visible(eph, plain, 10.0).counts.sum()


def test_streaming_from_a_constellation_equals_the_ephemeris_path(shell):
    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 12 * 3600, 60)
    sites = Sites.from_cities(["London", "Nairobi", "Santiago"])
    whole = visible(shell.propagate(grid), sites, 20.0)
    budget = 50 * len(shell) * 146 / 2**20  # ~50 time steps per chunk
    streamed = visible(shell, sites, 20.0, times=grid, memory_budget_mb=budget)
    for field in ("counts", "time_index", "site_index", "sat_index", "elevation_deg"):
        np.testing.assert_array_equal(getattr(streamed, field), getattr(whole, field))
    t, k = 100, 1
    assert set(streamed.visible_at(t, k)) == set(np.nonzero(
        look_angles(shell.propagate(grid[t:t + 1]), sites[k]).el_deg[0, 0] >= 20.0)[0])


def test_bad_input(shell):
    eph = shell.propagate(TimeGrid.from_utc("2026-01-01T00:00:00Z", 60, 60))
    sites = Sites(["A"], [0.0], [0.0])
    with pytest.raises(LeolatError, match=r"min_elevation_deg must lie in \[-90, 90\)"):
        visible(eph, sites, 95.0)
    with pytest.raises(LeolatError, match="must be a leolat.Sites"):
        visible(eph, [(0.0, 0.0)], 10.0)
    with pytest.raises(LeolatError, match="needs times="):
        visible(shell, sites, 10.0)
    big = Constellation.preset("starlink-gen1").propagate(TimeGrid.from_utc("2026-01-01T00:00:00Z", 60, 60))
    with pytest.raises(MemoryBudgetError, match="use leolat.visible"):
        look_angles(big, Sites.top_cities(100), memory_budget_mb=1)

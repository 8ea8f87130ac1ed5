import math

import numpy as np
import pytest

from leolat import (
    Constellation,
    CoverageError,
    Sites,
    TimeGrid,
    coverage,
    coverage_by_latitude,
    coverage_summary,
    visible,
)
from leolat.geometry.coverage import visible_counts

from . import naive


@pytest.mark.parametrize("preset, min_el", [("starlink-gen1", 25.0), ("oneweb-gen1", 0.0),
                                            ("kuiper-k3", 40.0)])
def test_cap_search_equals_brute_force(preset, min_el):
    c = Constellation.preset(preset)
    eph = c.propagate(TimeGrid.from_utc("2026-01-01T00:00:00Z", 7200, 900))
    grid = Sites.grid(2.0)
    rng = np.random.default_rng(3)
    extra = Sites([f"r{i}" for i in range(300)], rng.uniform(-90, 90, 300), rng.uniform(-180, 180, 300))
    for targets in (grid, extra):
        np.testing.assert_array_equal(visible_counts(eph, targets, min_el),
                                      visible(eph, targets, min_el).counts)


@pytest.mark.parametrize("edge_gaps", ["include", "exclude"])
@pytest.mark.parametrize("k", [1, 3])
def test_statistics_equal_the_naive_twin(k, edge_gaps):
    c = Constellation.preset("kuiper-k3")  # sparse enough for gaps at these targets
    times = TimeGrid.from_utc("2026-01-01T00:00:00Z", 6 * 3600, 60)
    targets = Sites(["a", "b", "c", "d"], [0.0, 30.0, 40.0, 55.0], [10.0, -70.0, 120.0, 0.0])
    budget = 40 * len(c) * 146 / 2**20  # several chunks: statistics must carry across them
    ds = coverage(c, targets, times, 35.0, k=k, edge_gaps=edge_gaps, memory_budget_mb=budget)
    counts = visible(c.propagate(times), targets, 35.0).counts
    for j in range(len(targets)):
        ref = naive.coverage_stats(list(counts[:, j]), k, 60.0, edge_gaps)
        for key, value in ref.items():
            got = float(ds[key].values[j])
            assert (math.isnan(value) and math.isnan(got)) or got == pytest.approx(value), (j, key)
        assert int(ds.visible_histogram.values[j].sum()) == len(times)


def test_a_53_degree_shell_covers_to_about_61_5_degrees_and_no_further():
    c = Constellation.preset("starlink-gen1-shell1")
    lats = np.arange(58.0, 64.01, 0.25)
    line = Sites([f"{x}" for x in lats], lats, np.zeros(lats.size))
    ds = coverage(c, line, TimeGrid.from_utc("2026-01-01T00:00:00Z", 86400, 60), 25.0)
    covered = lats[ds.percent_covered.values > 0]
    # Spherical cap geometry: 53° + 8.5° (550 km, 25° mask) = 61.5°.
    assert 61.0 <= covered.max() <= 62.0
    assert np.all(ds.percent_covered.values[lats > 62.0] == 0)


def test_a_polar_shell_covers_the_poles():
    c = Constellation.preset("oneweb-gen1")
    poles = Sites(["N", "S"], [90.0, -90.0], [0.0, 0.0])
    ds = coverage(c, poles, TimeGrid.from_utc("2026-01-01T00:00:00Z", 6 * 3600, 60), 25.0)
    assert np.all(ds.percent_covered.values == 100.0) and np.all(ds.min_visible.values >= 1)


def _expected_visible(n_sats, inclination_deg, altitude_km, min_el_deg, lat_deg):
    """Expected count for uniformly spread circular orbits: the density of sub-satellite
    latitudes is cos(phi) / (pi·sqrt(sin²i − sin²phi)) per radian, longitudes uniform;
    integrate it over the (spherical) visibility cap of the target."""
    R = 6371.0
    lam = math.acos(R * math.cos(math.radians(min_el_deg)) / (R + altitude_km)) - math.radians(min_el_deg)
    inc = math.radians(inclination_deg)
    phi0 = math.radians(lat_deg)
    phis = np.linspace(phi0 - lam, phi0 + lam, 4001)[1:-1]
    total = 0.0
    dphi = phis[1] - phis[0]
    for phi in phis:
        if abs(phi) >= inc:
            continue
        # Longitude half-width of the cap at latitude phi.
        c = (math.cos(lam) - math.sin(phi0) * math.sin(phi)) / (math.cos(phi0) * math.cos(phi))
        if c >= 1.0:
            continue
        half = math.acos(max(-1.0, c))
        density = math.cos(phi) / (math.pi * math.sqrt(math.sin(inc) ** 2 - math.sin(phi) ** 2))
        total += density * dphi * (2 * half) / (2 * math.pi)
    return n_sats * total


def test_mean_visible_count_matches_the_analytic_expectation():
    c = Constellation.preset("starlink-gen1-shell1")
    lats = np.array([0.0, 20.0, 40.0, 50.0])
    targets = Sites([str(x) for x in lats], lats, np.full(lats.size, 7.0))
    ds = coverage(c, targets, TimeGrid.from_utc("2026-01-01T00:00:00Z", 86400, 60), 25.0)
    expected = [_expected_visible(len(c), 53.0, 550.0, 25.0, x) for x in lats]
    # A few percent: the shell is a discrete Walker pattern sampled for one day, the
    # target sits on an ellipsoid, and the expectation assumes a sphere.
    np.testing.assert_allclose(ds.mean_visible.values, expected, rtol=0.05)


def test_summaries():
    c = Constellation.preset("starlink-gen1-shell1")
    grid = Sites.grid(10.0)
    ds = coverage(c, grid, TimeGrid.from_utc("2026-01-01T00:00:00Z", 3600, 300), 25.0)
    s = coverage_summary(ds).iloc[0]
    assert s["percent_covered_weighted"] > s["percent_covered_unweighted"]  # poles weigh little
    cities = Sites.top_cities(50)
    by_pop = coverage_summary(coverage(c, cities, TimeGrid.from_utc("2026-01-01T00:00:00Z", 3600, 300),
                                       25.0)).iloc[0]
    pc = coverage(c, cities, TimeGrid.from_utc("2026-01-01T00:00:00Z", 3600, 300), 25.0).percent_covered.values
    assert by_pop["percent_covered_weighted"] == pytest.approx(np.average(pc, weights=cities.weight))
    bands = coverage_by_latitude(ds, 30.0)
    assert bands.loc[-75.0, "percent_covered"] == 0 and bands.loc[15.0, "percent_covered"] > 90


def test_bad_input():
    c = Constellation.walker(2, 2, 550, 53)
    sites = Sites(["a"], [0.0], [0.0])
    t = TimeGrid.from_utc("2026-01-01T00:00:00Z", 600, 60)
    with pytest.raises(CoverageError, match="k must be"):
        coverage(c, sites, t, 25.0, k=0)
    with pytest.raises(CoverageError, match=r"\[0, 90\)"):
        coverage(c, sites, t, 90.0)
    with pytest.raises(CoverageError, match="edge_gaps"):
        coverage(c, sites, t, 25.0, edge_gaps="clip")
    with pytest.raises(CoverageError, match="needs times"):
        coverage(c, sites)
    from leolat import SiteError

    with pytest.raises(SiteError, match="divide 180"):
        Sites.grid(7.0)

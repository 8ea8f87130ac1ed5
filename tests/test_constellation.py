import numpy as np
import pytest

import leolat
from leolat import Constellation, PresetError, SelectionError, TimeGrid
from leolat.orbits.presets import preset_shells
from leolat.orbits.walker import sgp4_mean_altitude_km


def _orbit_mean_altitude_km(c: Constellation) -> np.ndarray:
    """Mean |r| - 6378.137 km over one orbit, from a real propagation through the public API."""
    period_s = 86400.0 / float(c.mean_motion_rev_day[0])
    start = np.datetime_as_string(c.epoch_utc[0], unit="us") + "Z"
    t = TimeGrid.from_utc(start, period_s, period_s / 360)
    r = np.linalg.norm(c.propagate(t).r_teme_km, axis=2)
    return r.mean(axis=0) - 6378.137


@pytest.mark.parametrize("name", [n for n in leolat.presets() if n.count("-") >= 2 or n == "oneweb-gen1-polar"])
def test_every_preset_shell_flies_its_nominal_altitude(name):
    (row,) = preset_shells(name)
    c = Constellation.preset(name)
    assert len(c) == row.planes * row.sats_per_plane
    alt = _orbit_mean_altitude_km(c[:: max(1, len(c) // 7)])
    np.testing.assert_allclose(alt, row.altitude_km, atol=1.0)  # the 1 km


def test_naive_kepler_mean_motion_would_miss_by_kilometres():
    # The trap the calibration avoids: Hypatia-style 15.19 rev/day for "550 km".
    assert sgp4_mean_altitude_km(15.19, 53.0) < 530.0


def test_walker_geometry_raan_spacing_and_phasing():
    P, S, F = 6, 8, 2
    c = Constellation.walker(P, S, 700, 60, F, epoch="2026-01-01T00:00:00Z", raan0_deg=10)
    assert c.has_planes and len(c) == P * S
    raan = c.raan_deg.reshape(P, S)
    np.testing.assert_allclose(raan[:, 0], 10 + np.arange(P) * 360 / P)
    u = c.mean_anomaly_deg.reshape(P, S)  # argument of perigee is 0
    np.testing.assert_allclose(np.diff(u[0]), 360 / S)
    # Plane p+1 leads plane p by F·360/T in argument of latitude.
    np.testing.assert_allclose((u[1, 0] - u[0, 0]) % 360, F * 360 / (P * S))
    star = Constellation.walker(P, S, 700, 86, 0, kind="star")
    np.testing.assert_allclose(star.raan_deg.reshape(P, S)[:, 0], np.arange(P) * 180 / P)


@pytest.mark.parametrize("kwargs, match", [
    (dict(planes=0, sats_per_plane=4, altitude_km=550, inclination_deg=53), "planes"),
    (dict(planes=4, sats_per_plane=4, altitude_km=550, inclination_deg=53, phasing=4), "phasing"),
    (dict(planes=4, sats_per_plane=4, altitude_km=550, inclination_deg=53, kind="rosette"), "kind"),
    (dict(planes=4, sats_per_plane=4, altitude_km=50, inclination_deg=53), "altitude"),
    (dict(planes=4, sats_per_plane=4, altitude_km=550, inclination_deg=200), "inclination"),
])
def test_walker_bad_input(kwargs, match):
    with pytest.raises(leolat.LeolatError, match=match):
        Constellation.walker(**kwargs)


def test_presets_table_and_unknown_names():
    table = leolat.presets()
    assert sum(s.n_sats for s in table["starlink-gen1"]) == 4408
    assert [(s.altitude_km, s.inclination_deg, s.planes, s.sats_per_plane) for s in table["kuiper"]] == [
        (630, 51.9, 34, 34), (610, 42.0, 36, 36), (590, 33.0, 28, 28)]
    assert all(s.source for shells in table.values() for s in shells)
    with pytest.raises(PresetError, match="did you mean 'kuiper'"):
        Constellation.preset("kuipr")


def test_multi_shell_preset_metadata():
    c = Constellation.preset("starlink-gen1")
    assert len(c) == 4408 and len(c.shells) == 5
    assert np.array_equal(np.bincount(c.shell), [1584, 1584, 720, 348, 172])
    assert len(np.unique(c.satnum)) == 4408
    s3 = c.select(shells=2)
    assert len(s3) == 720 and s3.plane.max() == 35 and s3.slot.max() == 19


def test_selection_and_concatenation():
    a = Constellation.walker(2, 3, 550, 53, name="A")
    b = Constellation.walker(2, 2, 600, 70, name="B", first_satnum=100)
    ab = a + b
    assert len(ab) == 10 and len(ab.shells) == 2
    assert np.array_equal(ab.shell, [0] * 6 + [1] * 4)
    assert list(ab.select(names="B-*").satnum) == [100, 101, 102, 103]
    assert len(ab.select(satnums=[1, 101])) == 2
    assert len(ab.select(shells=0, planes=1)) == 3
    assert len(ab[::2]) == 5 and len(ab[ab.inclination_deg > 60]) == 4
    with pytest.raises(SelectionError, match="999"):
        ab.select(satnums=999)
    with pytest.raises(SelectionError, match="shell indices"):
        ab.select(shells=5)
    with pytest.raises(SelectionError):
        ab.select(names="C-*")


def test_walker_to_tle_and_back_propagates_the_same(tmp_path):
    c = Constellation.walker(3, 4, 550, 53, 1, epoch="2026-01-01T00:00:00Z")
    path = tmp_path / "w.tle"
    c.to_tle(path)
    back = Constellation.from_tle(path)
    t = TimeGrid.from_utc("2026-01-01T00:00:00Z", 5400, 60)
    d = np.linalg.norm(back.propagate(t).r_teme_km - c.propagate(t).r_teme_km, axis=2)
    # The TLE keeps 8 decimals of mean motion and 4 of angles: 1e-4° is ~12 m at 7,000 km.
    assert d.max() < 0.05


def test_infer_shells_recovers_a_walker_constellation():
    c = Constellation.preset("kuiper")
    inferred = c.infer_shells()
    assert len(inferred.shells) == 3
    for shell in inferred.shells:
        match = [s for s in c.shells if abs(s.inclination_deg - shell.inclination_deg) < 0.1]
        assert len(match) == 1
        assert (shell.planes, shell.sats_per_plane) == (match[0].planes, match[0].sats_per_plane)
        assert abs(shell.altitude_km - match[0].altitude_km) < 2.0
    # Planes and slots match the generator's up to a relabelling: same plane -> same plane.
    k1 = inferred.shell == [s.inclination_deg for s in inferred.shells].index(51.9)
    pairs = set(zip(c.plane[k1], inferred.plane[k1]))
    assert len(pairs) == 34
    assert not inferred.unassigned().columns["satnum"].size


def test_infer_shells_on_the_real_starlink_snapshot(starlink_tle):
    c = Constellation.from_tle(starlink_tle).infer_shells()
    incs = np.array([s.inclination_deg for s in c.shells])
    for nominal in (43.0, 53.0, 70.0, 97.6):
        assert np.any(np.abs(incs - nominal) < 0.5), nominal
    big = [s for s in c.shells if s.n_sats > 400]
    assert len(big) >= 5
    # The 53.2° shell near 540 km is Gen1 shell 2: 72 planes 5° apart.
    s2 = [k for k, s in enumerate(c.shells) if abs(s.inclination_deg - 53.2) < 0.1 and abs(s.altitude_km - 540) < 10]
    assert len(s2) == 1 and c.shells[s2[0]].planes == 72
    # Every plane is tight in RAAN at the reference time, and slots are 0..n-1.
    members = c.select(shells=s2[0])
    for p in range(72):
        sl = np.sort(members.slot[members.plane == p])
        assert np.array_equal(sl, np.arange(sl.size))
    # Satellites that fit no shell are reported, not forced in.
    un = c.unassigned()
    assert 100 < len(un) < 0.15 * len(c)
    assert len(un) + sum(s.n_sats for s in c.shells) == len(c)

"""astropy and skyfield users hand their own objects in and get theirs back out."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import leolat
from leolat import Constellation, Sites, TimeGrid


@pytest.fixture(scope="module")
def shell():
    return Constellation.walker(4, 5, 550, 53, 1, epoch="2026-01-01T00:00:00Z")


def test_astropy_time_in_and_out_to_the_nanosecond():
    from astropy.time import Time

    grid = TimeGrid.from_utc("2026-03-01T12:00:00.123456789Z", 600, 60)
    t = grid.to_astropy()
    assert t.scale == "utc" and t.shape == (10,)
    assert TimeGrid.from_astropy(t) == grid
    # An astropy Time built by the user, in another scale: converted through UTC.
    tt = Time("2026-03-01T12:01:09.184", scale="tt")  # TT - UTC = 69.184 s in 2026
    assert TimeGrid.from_astropy(tt).utc[0] == np.datetime64("2026-03-01T12:00:00", "ns")


def test_skyfield_time_in_and_out_within_a_microsecond():
    from skyfield.api import load

    ts = load.timescale()
    grid = TimeGrid.from_utc("2026-03-01T00:00:00Z", 3600, 300)
    t = grid.to_skyfield(ts)
    back = TimeGrid.from_skyfield(t)
    assert np.all(np.abs(back.unix_ns - grid.unix_ns) <= 1000)
    utc = t.utc
    assert int(utc.year[3]) == 2026 and int(utc.minute[3]) == 15


def test_propagate_and_routing_accept_foreign_times(shell):
    from skyfield.api import load

    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 300, 60)
    ours = shell.propagate(grid).r_itrf_km
    via_astropy = shell.propagate(grid.to_astropy()).r_itrf_km
    assert np.array_equal(ours, via_astropy)
    via_skyfield = shell.propagate(grid.to_skyfield(load.timescale())).r_itrf_km
    # skyfield's UTC datetimes have microsecond resolution: 1 µs is 7.6 mm of orbital motion.
    assert np.nanmax(np.abs(via_skyfield - ours)) < 1e-5  # km
    sc = leolat.Scenario("t").gateway_down("g", start=grid.to_astropy()[2])
    assert sc.outages[0].start == grid.utc[2]


def test_ephemeris_to_skyfield_gives_back_the_earth_fixed_states(shell):
    from skyfield.api import wgs84
    from skyfield.framelib import itrs

    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 600, 60)
    eph = shell.propagate(grid)
    pos = eph.to_skyfield(3)
    # The round trip ITRS -> GCRS -> ITRS runs through skyfield's own rotations.
    assert np.max(np.abs(pos.frame_xyz(itrs).km.T - eph.r_itrf_km[:, 3])) < 1e-6  # 1 mm
    lat, lon, _ = eph.subpoints()
    sub = wgs84.subpoint_of(pos)
    assert np.max(np.abs(sub.latitude.degrees - lat[:, 3])) < 1e-7
    assert eph.to_skyfield(str(eph.names[3])).position.km.shape == (3, 10)
    with pytest.raises(leolat.SelectionError, match="no satellite is named"):
        eph.to_skyfield("NOPE")


def test_skyfield_objects_from_sites_and_constellations_agree_with_leolat(shell):
    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 600, 60)
    sites = Sites(["Quito", "Oslo"], [-0.18, 59.91], [-78.47, 10.75], [2850.0, 10.0])
    topo = sites.to_skyfield()
    sats = shell.to_skyfield()
    assert len(topo) == 2 and len(sats) == len(shell)
    t = grid.to_skyfield()
    alt, az, dist = (sats[7] - topo[0]).at(t).altaz()
    ours = leolat.look_angles(shell.propagate(grid), sites)
    # skyfield rotates with its own Earth model: within 0.001° and 1 m, as test_frames holds.
    assert np.max(np.abs(alt.degrees - ours.elevation_deg[:, 0, 7])) < 1e-3
    assert np.max(np.abs(dist.km - ours.range_km[:, 0, 7])) < 1e-3
    assert ours.el_deg is ours.elevation_deg and ours.az_deg is ours.azimuth_deg


def test_replacing_positions_never_returns_the_old_subpoints(shell):
    eph = shell.propagate(TimeGrid.from_utc("2026-01-01T00:00:00Z", 120, 60))
    lat0 = eph.subpoints()[0].copy()
    moved = dataclasses.replace(eph, r_itrf_km=eph.r_itrf_km * np.array([1.0, 1.0, -1.0]))
    assert np.allclose(moved.subpoints()[0], -lat0)
    assert np.array_equal(eph.subpoints()[0], lat0)

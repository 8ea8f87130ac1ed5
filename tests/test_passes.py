import datetime as dt

import numpy as np
import pandas as pd
import pytest

from leolat import Constellation, LeolatError, Sites, TimeGrid, passes
from leolat.orbits.tle import tle_checksum
from leolat.reference.time import parse_utc


def _fix(line):
    return line[:68] + str(tle_checksum(line))


ISS = (_fix("1 25544U 98067A   26132.51782528  .00016717  00000-0  30057-3 0  9990"),
       _fix("2 25544  51.6391 147.4627 0006703 130.5360 325.0288 15.50125391563530"))
SITES = Sites(["London", "Tromso", "Quito", "Sydney", "Svalbard"], [51.51, 69.65, -0.18, -33.87, 78.22],
              [-0.13, 18.96, -78.47, 151.21, 15.65], [20.0, 10.0, 2850.0, 20.0, 0.0])


def _window(t0, t1, step_s=30.0) -> TimeGrid:
    """A grid whose window is exactly [t0, t1], sampled every step_s: regular (window one
    step past the last instant) when the span is a whole number of steps, else the
    samples plus t1 itself (an irregular grid's window ends at its last instant)."""
    a, b = (int(parse_utc(t).astype(np.int64)) for t in (t0, t1))
    step = int(step_s * 1e9)
    if (b - a) % step == 0:
        return TimeGrid.from_utc(parse_utc(t0), (b - a) / 1e9, step_s)
    return TimeGrid(np.append(np.arange(a, b, step), b))


def _skyfield_events(lines, sites, t0, t1, min_el):
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale()
    out = []
    for l1, l2 in lines:
        sat = EarthSatellite(l1, l2, ts=ts)
        for k in range(len(sites)):
            topo = wgs84.latlon(sites.lat_deg[k], sites.lon_deg[k], elevation_m=sites.alt_m[k])
            t, e = sat.find_events(topo, ts.from_datetime(t0), ts.from_datetime(t1), altitude_degrees=min_el)
            for ti, ei in zip(t.utc_datetime(), e):
                out.append((sites.names[k], int(l1[2:7]), int(ei), np.datetime64(ti.replace(tzinfo=None), "ns")))
    return out


def _compare(df, events, t0, t1, tol_s=1.0):
    """Every skyfield event has ours within tol_s, and we have no extra complete pass."""
    column = {0: "rise_utc", 1: "culminate_utc", 2: "set_utc"}
    worst = 0.0
    for site, satnum, kind, when in events:
        ours = df[(df.site == site) & (df.satnum == satnum)][column[kind]].dropna().values
        assert ours.size, (site, satnum, kind, when)
        d = np.min(np.abs((ours - when) / np.timedelta64(1, "ns"))) / 1e9
        worst = max(worst, d)
        assert d < tol_s, (site, satnum, kind, when, d)
    # skyfield reports culminations inside the window only; ours for a pass cut by an
    # edge sits on that edge.
    n_sky = sum(1 for e in events if e[2] == 1)
    cul = df.culminate_utc.to_numpy()
    start = np.datetime64(t0.replace(tzinfo=None), "ns")
    end = np.datetime64(t1.replace(tzinfo=None), "ns")
    assert int(np.sum((cul > start) & (cul < end))) == n_sky
    return worst


# A week of passes compares leolat's root finding with skyfield's on the same elements;
# the elements' age is not what it tests.
@pytest.mark.filterwarnings("ignore::leolat.ElementAgeWarning")
def test_iss_passes_match_skyfield_within_1_s_for_a_week():
    c = Constellation.from_tle("\n".join(ISS))
    t0 = dt.datetime(2026, 5, 13, tzinfo=dt.UTC)
    t1 = t0 + dt.timedelta(days=7)
    df = passes(c, SITES, _window(t0, t1), 10.0)
    worst = _compare(df, _skyfield_events([ISS], SITES, t0, t1, 10.0), t0, t1)
    assert worst < 1.0 and len(df) > 20


# A week of passes compares leolat's root finding with skyfield's on the same elements;
# the elements' age is not what it tests.
@pytest.mark.filterwarnings("ignore::leolat.ElementAgeWarning")
def test_fifty_starlink_like_satellites_match_skyfield_within_1_s_for_a_week():
    c = Constellation.walker(10, 5, 550, 53, 3, epoch="2026-01-01T00:00:00Z")
    lines = c.to_tle(names=False).splitlines()
    c = Constellation.from_tle("\n".join(lines))
    pairs = list(zip(lines[::2], lines[1::2]))
    sites = SITES[[0, 2, 3]]  # Tromsø (70°N) and Svalbard never see a 53° shell above 25°
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    t1 = t0 + dt.timedelta(days=7)
    df = passes(c, sites, _window(t0, t1), 25.0)
    _compare(df, _skyfield_events(pairs, sites, t0, t1, 25.0), t0, t1)
    assert set(df.site) == {"London", "Quito", "Sydney"}


def test_passes_in_progress_at_the_edges_are_kept_and_flagged():
    c = Constellation.from_tle("\n".join(ISS))
    full = passes(c, SITES[:1], _window("2026-05-13T00:00:00Z", "2026-05-14T00:00:00Z"), 10.0)
    rise, set_ = full.rise_utc.to_numpy()[1], full.set_utc.to_numpy()[1]  # datetime64 (UTC)
    mid = rise + (set_ - rise) // 2
    cut = passes(c, SITES[:1], _window(mid, mid + np.timedelta64(6, "h")), 10.0)
    first = cut.iloc[0]
    assert first.starts_before_window and pd.isna(first.rise_utc)
    assert abs((first.set_utc.to_datetime64() - set_) / np.timedelta64(1, "ms")) < 1
    assert abs(first.duration_s - (set_ - mid) / np.timedelta64(1, "s")) < 1e-3
    cut = passes(c, SITES[:1], _window(rise - np.timedelta64(1, "h"), mid), 10.0)
    last = cut.iloc[-1]
    assert last.ends_after_window and pd.isna(last.set_utc) and not last.starts_before_window


def test_bad_input():
    c = Constellation.walker(1, 2, 550, 53)
    with pytest.raises(LeolatError, match="window of two or more instants"):
        passes(c, SITES, TimeGrid.from_utc("2026-01-02T00:00:00Z", 0, 30))
    with pytest.raises(LeolatError, match="no time zone"):
        passes(c, SITES, ["2026-01-01T00:00:00", "2026-01-02T00:00:00Z"])
    with pytest.raises(LeolatError, match="min_elevation_deg"):
        passes(c, SITES, _window("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"), 90.0)
    with pytest.raises(LeolatError, match="must be a leolat.Sites"):
        passes(c, "London", _window("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"))


def test_a_regular_grid_searches_its_whole_window_at_its_own_step():
    # TimeGrid.from_utc(start, 1 day, step) stands for [start, start + 1 day): passes
    # are searched up to the end of the day (not to the last instant, 23:58), and the
    # grid's step is the sampling step: coarse and fine sampling find the same passes.
    c = Constellation.from_tle("\n".join(ISS))
    day = TimeGrid.from_utc("2026-05-13T00:00:00Z", 86400, 120)
    assert day.window_end == np.datetime64("2026-05-14T00:00:00", "ns")
    coarse = passes(c, SITES, day, 10.0)
    fine = passes(c, SITES, _window("2026-05-13T00:00:00Z", "2026-05-14T00:00:00Z", 10.0), 10.0)
    assert len(coarse) == len(fine) > 10
    for col in ("rise_utc", "culminate_utc", "set_utc"):
        a, b = coarse[col].to_numpy(), fine[col].to_numpy()
        assert np.array_equal(np.isnat(a), np.isnat(b))
        assert np.all(np.abs((a - b)[~np.isnat(a)] / np.timedelta64(1, "ms")) < 1)

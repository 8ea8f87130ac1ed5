import datetime as dt

import numpy as np
import pytest

from leolat import TimeGrid, TimeGridError


def test_from_utc_regular_grid_half_open():
    g = TimeGrid.from_utc("2026-05-13T00:00:00Z", 60, 10)
    assert len(g) == 6
    np.testing.assert_array_equal(g.offsets_s, np.arange(0, 60, 10.0))
    assert g.utc[0] == np.datetime64("2026-05-13T00:00:00", "ns")
    assert g.utc[-1] == np.datetime64("2026-05-13T00:00:50", "ns")


def test_jd_split_matches_python_sgp4_jday():
    from sgp4.api import jday

    g = TimeGrid.from_utc("2026-05-13T06:30:15.25+00:00", 1, 1)
    jd, fr = jday(2026, 5, 13, 6, 30, 15.25)
    assert g.jd[0] == jd
    assert abs(g.fr[0] - fr) < 1e-16


def test_zone_offsets_are_converted_to_utc():
    a = TimeGrid.from_utc("2026-05-13T02:00:00+02:00", 1, 1)
    b = TimeGrid.from_utc(dt.datetime(2026, 5, 13, tzinfo=dt.UTC), 1, 1)
    assert a == b


@pytest.mark.parametrize("bad", ["2026-05-13T00:00:00", dt.datetime(2026, 5, 13)])
def test_naive_times_are_refused(bad):
    with pytest.raises(TimeGridError, match="no time zone"):
        TimeGrid.from_utc(bad, 10, 1)


@pytest.mark.parametrize("step", [0, -1, float("nan")])
def test_bad_steps_are_refused(step):
    with pytest.raises(TimeGridError):
        TimeGrid.from_utc("2026-05-13T00:00:00Z", 10, step)


def test_microseconds_survive_decades():
    # 30 years after the start, an instant 1 µs later must still differ by 1 µs in (jd, fr).
    start = "2000-01-01T00:00:00Z"
    g = TimeGrid.from_datetimes([np.datetime64("2030-06-01T12:00:00.000000"),
                                 np.datetime64("2030-06-01T12:00:00.000001")])
    d_s = ((g.jd[1] - g.jd[0]) + (g.fr[1] - g.fr[0])) * 86400.0
    assert abs(d_s - 1e-6) < 1e-9  # 1 ns
    # And a long grid has no accumulated drift: the millionth step is exact.
    long = TimeGrid.from_utc(start, 1_000_000 * 0.1, 0.1)
    assert long.utc[-1] == np.datetime64("2000-01-02T03:46:39.9", "ns")


def test_from_jd_round_trips():
    g = TimeGrid.from_utc("2026-05-13T00:00:00Z", 3600, 0.5)
    back = TimeGrid.from_jd(g.jd, g.fr)
    assert back == g
    # Any split of the same instant gives the same grid.
    other = TimeGrid.from_jd(g.jd + g.fr, 0.0)
    assert np.max(np.abs(other.unix_ns - g.unix_ns)) <= 50_000  # 50 µs: one float64 JD ulp


def test_from_datetimes_and_chunks():
    g = TimeGrid.from_datetimes(["2026-05-13T00:00:00Z", dt.datetime(2026, 5, 13, 0, 0, 1, tzinfo=dt.UTC)])
    assert len(g) == 2
    parts = TimeGrid.from_utc("2026-05-13T00:00:00Z", 10, 1).chunks(4)
    assert [len(p) for p in parts] == [4, 4, 2]
    with pytest.raises(TimeGridError, match="zone"):
        TimeGrid.from_datetimes(["2026-05-13T00:00:00"])


@pytest.mark.parametrize("make, message", [
    (lambda: TimeGrid.from_utc("2300-01-01T00:00:00Z", 60, 10), "2300-01-01 is outside the supported"),
    (lambda: TimeGrid.from_utc(np.datetime64("NaT"), 60, 10), "NaT is not an instant"),
    (lambda: TimeGrid.from_utc(np.datetime64("1650-01-01"), 60, 10), "1650-01-01 is outside"),
    (lambda: TimeGrid.from_utc("2199-12-31T23:59:00Z", 3600, 10), "ends after 2200-01-01"),
    (lambda: TimeGrid.from_utc("2026-01-01T00:00:00Z", 1e12, 1), "1,000,000,000,000 instants"),
    (lambda: TimeGrid.from_jd(1e20), "Julian date 1e+20 (index 0) is outside"),
    (lambda: TimeGrid.from_jd([2461000.5, 2461000.5]), "instant 1"),
    (lambda: TimeGrid.from_datetimes(np.array(["2026-01-02", "2026-01-01"], "datetime64[s]")),
     "instants must increase: instant 1"),
    (lambda: TimeGrid.from_datetimes(np.array(["2026-01-01", "NaT"], "datetime64[s]")), "values[1]: NaT"),
])
def test_instants_that_would_wrap_or_reorder_are_refused(make, message):
    with pytest.raises(TimeGridError) as exc:
        make()
    assert message in str(exc.value)

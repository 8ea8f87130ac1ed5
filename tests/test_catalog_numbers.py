"""Catalog numbers past 99,999 (assigned since 2026) through every path, and OMM written
and read back."""

import json

import numpy as np
import pytest

import leolat
from leolat import Constellation, TimeGrid

T0 = "2026-11-30T12:00:00Z"


@pytest.fixture(scope="module")
def big():
    """Six satellites: two below 100,000, two in Alpha-5's range, two past it; from OMM."""
    c = Constellation.walker(2, 3, 550, 53, 1, epoch=T0, first_satnum=1)
    cols = dict(c.columns)
    cols["satnum"] = np.array([99_998, 99_999, 100_000, 339_999, 340_000, 123_456_789])
    return Constellation(cols, source="test")


def test_omm_round_trips_json_and_csv(big, tmp_path):
    for name in ("e.json", "e.csv"):
        path = tmp_path / name
        big.to_omm(path)
        back = Constellation.from_omm(path)
        for key, values in big.columns.items():
            if key in ("shell", "plane", "slot", "generated"):
                continue  # layout and provenance are not OMM keywords
            if key in ("epoch_jd", "epoch_fr"):
                continue
            np.testing.assert_array_equal(back.columns[key], values, err_msg=f"{name}: {key}")
        dt_s = np.abs((back.epoch_jd + back.epoch_fr) - (big.epoch_jd + big.epoch_fr)) * 86400
        assert dt_s.max() < 1e-6  # written to the microsecond
    records = json.loads(big.to_omm())
    assert [r["NORAD_CAT_ID"] for r in records][-1] == 123_456_789
    assert {"OBJECT_NAME", "EPOCH", "MEAN_MOTION", "BSTAR", "EPHEMERIS_TYPE"} <= set(records[0])


def test_the_snapshot_round_trips_through_omm_to_the_millimetre(starlink_tle, tmp_path):
    real = Constellation.from_tle(starlink_tle)
    real.to_omm(tmp_path / "s.json")
    back = Constellation.from_omm(tmp_path / "s.json")
    np.testing.assert_array_equal(back.intldesg, real.intldesg)
    grid = TimeGrid.from_utc("2026-05-13T00:00:00Z", 3600, 600)
    a, b = real.propagate(grid).r_teme_km, back.propagate(grid).r_teme_km
    assert np.nanmax(np.abs(a - b)) < 1e-6  # km: the epochs agree to the microsecond


def test_large_numbers_propagate_write_plot_and_export(big, tmp_path):
    grid = TimeGrid.from_utc(T0, 600, 60)
    eph = big.propagate(grid)
    assert np.isfinite(eph.r_itrf_km).all()
    # the number is only a label: the same elements under small numbers fly the same orbit
    small = Constellation({**big.columns, "satnum": np.arange(1, 7)})
    np.testing.assert_array_equal(eph.r_itrf_km, small.propagate(grid).r_itrf_km)
    leolat.write_result(eph.to_dataset(), tmp_path / "e.nc", constellation=big)
    back = leolat.read_result(tmp_path / "e.nc")
    assert list(back.satnum.values) == list(big.satnum)
    leolat.plot.ground_tracks(big, grid, save=tmp_path / "tracks.png")
    assert (tmp_path / "tracks.png").stat().st_size > 5_000
    leolat.write_czml(tmp_path / "c.czml", big, grid)
    packets = json.loads((tmp_path / "c.czml").read_text())
    assert sum(any(str(n) in str(p.get("id", "")) for n in big.names) for p in packets) == 6


def test_tle_carries_alpha5_and_refuses_what_it_cannot(big, tmp_path):
    fits = big[:4]
    text = fits.to_tle()
    assert "A0000" in text and "Z9999" in text  # 100,000 and 339,999 in Alpha-5
    np.testing.assert_array_equal(Constellation.from_tle(text).satnum, fits.satnum)
    with pytest.raises(leolat.TLEError, match=r"2 catalog numbers are beyond the TLE's Alpha-5 "
                                              r"range.*to_omm"):
        big.to_tle(tmp_path / "x.tle")
    assert not (tmp_path / "x.tle").exists()

"""The shipped gateway table and antenna limits: every row sourced, kinds honoured, bad rows
named by file, line and column, and at most ``antennas`` feeder links per gateway."""

import csv
import io

import numpy as np
import pytest

from leolat import Constellation, Sites, TimeGrid
from leolat.base import data as _data
from leolat.base.errors import OperatorError
from leolat.network.operator import GATEWAY_KINDS, Operator
from leolat.network.service import antenna_limited, service_latency

T0 = "2026-12-01T00:00:00Z"


def _rows():
    return list(csv.DictReader(io.StringIO(_data.read_text("starlink_gateways.csv"))))


def test_every_shipped_gateway_row_names_a_source_and_a_date():
    rows = _rows()
    assert len(rows) >= 200
    for r in rows:
        assert len(r["source"]) > 20, r["name"]  # a URL, or the regulator's filing named
        assert r["retrieved"][:4] == "2026", r["name"]
        assert r["kind"] in GATEWAY_KINDS
        assert len(r["country"]) == 2 and r["country"].isupper()
        assert -90 <= float(r["lat_deg"]) <= 90 and -180 <= float(r["lon_deg"]) <= 180
    # The operator reports "over 100 gateway sites" in the US (network update, 2025).
    us = sum(r["country"] == "US" and r["kind"] == "gateway" for r in rows)
    assert us > 100
    assert {"NG", "KE", "MZ"} <= {r["country"] for r in rows if r["kind"] == "gateway"}


def test_preset_uses_only_sites_that_carry_traffic_with_their_antennas():
    op = Operator.preset("starlink")
    rows = [r for r in _rows() if r["kind"] == "gateway"]
    assert list(op.gateways.names) == [r["name"] for r in rows]
    assert "Tromsø" not in set(op.gateways.names)  # TT&C only
    k = list(op.gateways.names).index("Savanna OK")
    assert op.gateway_antennas[k] == 72  # 40 Ka + 32 E
    assert np.isnan(op.gateway_antennas[list(op.gateways.names).index("Nairobi")])


def test_antenna_limit_keeps_the_nearest_links_of_each_gateway():
    rng = np.random.default_rng(3)
    g = rng.integers(0, 5, 400)
    km = rng.uniform(500, 2000, 400)
    ant = np.array([1, 3, np.nan, 10, 2])
    keep = antenna_limited(g, km, ant)
    for gw in range(5):
        mine = np.nonzero(g == gw)[0]
        want = mine if np.isnan(ant[gw]) else mine[np.argsort(km[mine])[:int(ant[gw])]]
        assert set(np.nonzero(keep & (g == gw))[0]) == set(want)


def test_a_three_antenna_gateway_carries_at_most_three_satellites_at_a_time(tmp_path):
    gen1 = Constellation.preset("starlink-gen1", epoch=T0)
    pops = tmp_path / "pops.csv"
    pops.write_text("code,lat_deg,lon_deg,country\nlgosnga1,6.45,3.59,NG\n")
    one = tmp_path / "gw1.csv"
    one.write_text("name,lat_deg,lon_deg,antennas\nLekki,6.45,3.59,3\n")
    many = tmp_path / "gw.csv"
    many.write_text("name,lat_deg,lon_deg\nLekki,6.45,3.59\n")
    sites = Sites.from_cities(["Lagos", "Abuja", "Accra", "Cotonou", "Kano", "Ibadan", "Lome",
                               "Niamey"])
    grid = TimeGrid.from_utc(T0, 60, 15)
    limited = Operator.from_csv("one", gateways=one, pops=pops, antenna_limit=True)
    assert limited.gateway_antennas.tolist() == [3.0]
    a = service_latency(gen1, limited, sites, grid)
    b = service_latency(gen1, Operator.from_csv("many", gateways=many, pops=pops), sites, grid)
    unlimited = service_latency(gen1, limited.with_rules(antenna_limit=False), sites, grid)
    np.testing.assert_array_equal(unlimited.rtt_ms.values, b.rtt_ms.values)  # off: no effect
    # Every exit is one of the three tracked satellites: at most three feeder lengths a step.
    for t in range(len(grid)):
        f = a.feeder_ms.values[t][np.isfinite(a.feeder_ms.values[t])]
        assert 1 <= np.unique(np.round(f, 9)).size <= 3
        assert np.unique(np.round(b.feeder_ms.values[t], 9)).size >= 1
    # A limit never makes a path shorter, and here it sends some the long way round.
    ok = np.isfinite(a.rtt_ms.values) & np.isfinite(b.rtt_ms.values)
    assert np.all(a.rtt_ms.values[ok] >= b.rtt_ms.values[ok] - 1e-9)
    assert np.nanmax(a.isl_hops.values) > np.nanmax(b.isl_hops.values)


@pytest.mark.parametrize("row, where", [
    ("X,6.4,3.5,gateway,0", "line 2, column 'antennas_ka': '0' is not a positive whole number"),
    ("X,6.4,3.5,gateway,eight", "line 2, column 'antennas_ka': 'eight'"),
    ("X,6.4,3.5,relay,8", "line 2, column 'kind': 'relay' is not one of"),
    ("X,north,3.5,gateway,8", "line 2, column 'lat_deg': 'north' is not a number"),
])
def test_bad_gateway_rows_name_file_line_and_column(tmp_path, row, where):
    gw = tmp_path / "gw.csv"
    gw.write_text("name,lat_deg,lon_deg,kind,antennas_ka\n" + row + "\n")
    pops = tmp_path / "pops.csv"
    pops.write_text("code,lat_deg,lon_deg,country\np1,6.45,3.59,NG\n")
    with pytest.raises(OperatorError, match="gw.csv, " + where.replace("(", r"\(")):
        Operator.from_csv("bad", gateways=gw, pops=pops)


def test_a_table_with_no_traffic_carrying_rows_is_refused(tmp_path):
    gw = tmp_path / "gw.csv"
    gw.write_text("name,lat_deg,lon_deg,kind\nT,69.6,18.9,ttc\n")
    pops = tmp_path / "pops.csv"
    pops.write_text("code,lat_deg,lon_deg,country\np1,6.45,3.59,NG\n")
    with pytest.raises(OperatorError, match="gw.csv: no gateway rows"):
        Operator.from_csv("bad", gateways=gw, pops=pops)


def test_feeder_links_window_finds_exactly_the_pairs_a_full_search_finds():
    from skyfield.api import wgs84

    from leolat._kernels.service import feeder_links
    from leolat.ground.site_frames import site_frames

    c = Constellation.preset("starlink-gen1", epoch=T0)
    r = c.propagate(TimeGrid.from_utc(T0, 1, 1), positions_only=True).r_itrf_km[0].copy()
    r[::7] = np.nan  # out of service
    gws = Operator.preset("starlink").gateways
    frames = site_frames(gws)
    g_idx = np.empty(len(gws) * len(r), np.int64)
    s_idx = np.empty_like(g_idx)
    m = feeder_links(r, frames, np.ones(len(gws), bool), 25.0, g_idx, s_idx)
    found = set(zip(g_idx[:m].tolist(), s_idx[:m].tolist()))
    # Independent: elevations of every satellite from every gateway, no window (gateway
    # positions from skyfield's WGS84, the up vector from geodetic latitude and longitude).
    lat, lon = np.radians(gws.lat_deg), np.radians(gws.lon_deg)
    up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], 1)
    pos = np.array([wgs84.latlon(a, b).itrs_xyz.km for a, b in zip(gws.lat_deg, gws.lon_deg)])
    d = r[None, :, :] - pos[:, None, :]
    el = np.degrees(np.arcsin(np.einsum("gsk,gk->gs", d, up) / np.linalg.norm(d, axis=2)))
    want = set(zip(*np.nonzero(np.nan_to_num(el, nan=-90.0) >= 25.0)))
    assert len(found) > 1000
    # Elevations within 1e-9° of the mask may fall either side of the sine test.
    edge = {p for p in found ^ want if abs(el[p] - 25.0) < 1e-9}
    assert found ^ want == edge

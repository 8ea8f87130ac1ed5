"""The operator service model, against independent computations: skyfield positions and
elevations, a dense GSO-arc search, and leolat's own shortest-path router on the same graph."""

import numpy as np
import pytest

import leolat
from leolat import Constellation, LinkPolicy, Network, Sites, Terrestrial, TimeGrid
from leolat.base.errors import OperatorError
from leolat.network.operator import FRAME_MS, Operator
from leolat.network.service import epoch_index, service_latency, service_summary

T0 = "2026-12-01T00:00:00Z"
C_KM_MS = 299792.458 / 1e3


@pytest.fixture(scope="module")
def gen1():
    return Constellation.preset("starlink-gen1", epoch=T0)


@pytest.fixture(scope="module")
def run(gen1):
    op = Operator.preset("starlink", gso_exclusion_deg=0.0, **Operator.LIGHT_ONLY)
    terminals = Sites.from_cities(["London", "Seattle", "New York City", "Madrid"])
    ds = service_latency(gen1, op, terminals, TimeGrid.from_utc(T0, 180, 1))
    return op, terminals, ds


def test_default_delays_are_one_frame_per_framed_link_and_leave_the_paths_alone(gen1, run):
    op0, terminals, light = run
    framed = service_latency(gen1, op0.with_rules(user_link_ms=FRAME_MS, gateway_ms=FRAME_MS),
                             terminals, TimeGrid.from_utc(T0, 180, 1))
    assert Operator.preset("starlink").user_link_ms == Operator.preset("starlink").gateway_ms \
        == pytest.approx(1000 / 750)
    # A constant at every gateway moves every exit equally: same serving satellites, same
    # gateways, and the round trip grows by exactly four frames (two each way).
    np.testing.assert_array_equal(framed.serving_sat.values, light.serving_sat.values)
    np.testing.assert_array_equal(framed.gateway.values, light.gateway.values)
    reach = np.isfinite(light.rtt_ms.values)
    np.testing.assert_allclose(framed.rtt_ms.values[reach] - light.rtt_ms.values[reach],
                               4 * FRAME_MS, rtol=0, atol=1e-9)
    np.testing.assert_allclose(framed.processing_ms.values[reach], 2 * FRAME_MS, rtol=0,
                               atol=1e-12)


def test_epochs_start_at_12_27_42_57_seconds_past_the_minute():
    grid = TimeGrid.from_utc("2026-12-01T00:00:00Z", 120, 1)
    e = epoch_index(grid, Operator.preset("starlink"))
    starts = np.nonzero(np.diff(e))[0] + 1
    assert sorted({int(s) % 60 for s in starts}) == [12, 27, 42, 57]


def test_light_time_parts_equal_an_independent_range_computation(gen1, run):
    from skyfield.api import load, wgs84

    op, terminals, ds = run
    ts = load.timescale()
    sats = gen1.to_skyfield(ts)
    checked = 0
    for ti in (0, 50, 120):
        t = ts.from_datetime(ds.time.values[ti].astype("datetime64[us]").astype(object).replace(
            tzinfo=__import__("datetime").timezone.utc))
        for j in range(len(terminals)):
            s = int(ds.serving_sat.values[ti, j])
            if s < 0:
                continue
            here = wgs84.latlon(terminals.lat_deg[j], terminals.lon_deg[j])
            rng_km = (sats[s] - here).at(t).distance().km
            assert abs(ds.user_link_ms.values[ti, j] - rng_km / C_KM_MS) < 1e-3  # 1 µs
            if ds.isl_hops.values[ti, j] == 0:  # bent pipe: the serving satellite is the exit
                g = int(ds.gateway.values[ti, j])
                gw = wgs84.latlon(op.gateways.lat_deg[g], op.gateways.lon_deg[g])
                feeder_km = (sats[s] - gw).at(t).distance().km
                assert abs(ds.feeder_ms.values[ti, j] - feeder_km / C_KM_MS) < 1e-3
            checked += 1
    assert checked >= 10
    parts = sum(ds[k] for k in ("user_link_ms", "isl_ms", "feeder_ms", "backhaul_ms",
                                "processing_ms"))
    np.testing.assert_allclose(ds.one_way_ms.values, parts.values, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ds.rtt_ms.values, 2 * ds.one_way_ms.values)
    assert float(np.nanmax(np.abs(ds.processing_ms.values))) == 0.0  # light time only


def test_the_serving_satellite_is_the_highest_at_each_epoch_start(gen1, run):
    from skyfield.api import load, wgs84

    op, terminals, ds = run
    ts = load.timescale()
    sats = gen1.to_skyfield(ts)
    starts = np.nonzero(np.diff(ds.epoch.values))[0][:3] + 1
    for ti in starts:
        t = ts.from_datetime(ds.time.values[ti].astype("datetime64[us]").astype(object).replace(
            tzinfo=__import__("datetime").timezone.utc))
        for j in range(len(terminals)):
            here = wgs84.latlon(terminals.lat_deg[j], terminals.lon_deg[j])
            el = np.array([(s - here).at(t).altaz()[0].degrees for s in sats])
            assert int(ds.serving_sat.values[ti, j]) == int(np.argmax(el))


def test_handovers_happen_at_epoch_boundaries_unless_the_satellite_sets(run):
    _, _, ds = run
    boundary = np.zeros(ds.sizes["time"], bool)
    boundary[1:] = np.diff(ds.epoch.values) != 0
    ho = ds.handover.values
    off = ho & ~boundary[:, None]
    assert ho[boundary].any()
    # Off-boundary handovers only when the previous satellite fell below the mask: none in
    # these 3 minutes at 25° with the highest satellite chosen each epoch.
    assert not off.any()


def test_the_service_path_is_never_faster_than_the_shortest_path_on_the_same_graph(gen1, run):
    op, terminals, ds = run
    pop_of = op.pop_for(terminals)
    used = np.unique(pop_of)
    pops = op.pops[used]
    # The same graph for the router: terminals and gateways with GSLs at 25°, fiber from every
    # gateway to each PoP with the service model's backhaul latency.
    from leolat.network.service import backhaul_one_way_ms

    wan = Terrestrial.nodes_only(sites=terminals, gateways=op.gateways, pops=pops)
    bh = backhaul_one_way_ms(op)[:, used]
    for gi, g in enumerate(op.gateways.names):
        for pi, p in enumerate(pops.names):
            wan = wan.link(str(g), str(p), latency_ms=float(bh[gi, pi]))
    net = Network(gen1, wan, LinkPolicy(min_elevation_deg=25.0))
    pairs = [(str(terminals.names[j]), str(op.pops.names[pop_of[j]])) for j in range(len(terminals))]
    grid = TimeGrid.from_utc(T0, 180, 10)
    shortest = net.route(grid, pairs).one_way_ms
    service = ds.one_way_ms.values[::10]
    ok = np.isfinite(service) & np.isfinite(shortest)
    assert ok.mean() > 0.9
    assert np.all(service[ok] >= shortest[ok] - 1e-9)


def test_gso_separation_matches_a_dense_independent_search():
    from leolat._kernels import service as ks
    from leolat.ground.site_frames import site_frames

    site = Sites(["q"], [10.0], [20.0])
    frames = site_frames(site)
    rng = np.random.default_rng(1)
    lon = np.radians(np.linspace(0, 360, 720_001))
    ring = 42164.17 * np.stack([np.cos(lon), np.sin(lon), np.zeros_like(lon)], 1) - frames[0, :3]
    ring /= np.linalg.norm(ring, axis=1, keepdims=True)
    for _ in range(20):
        p = frames[0, :3] + rng.normal(size=3) * 2000 + frames[0, :3] * 0.1
        d = (p - frames[0, :3]) / np.linalg.norm(p - frames[0, :3])
        dense = np.degrees(np.arccos(np.clip((ring @ d).max(), -1, 1)))
        assert abs(ks.gso_separation_deg(frames, 0, *p) - dense) < 1e-3


def test_a_terminal_no_satellite_serves_is_data_not_an_error(gen1):
    op = Operator.preset("starlink")
    pole = Sites(["Amundsen-Scott"], [-90.0], [0.0], country=["AQ"])
    ds = service_latency(gen1.select(shells=[0]), op, pole, TimeGrid.from_utc(T0, 60, 10))
    assert (ds.serving_sat.values == -1).all() and np.isnan(ds.rtt_ms.values).all()
    s = service_summary(ds)
    assert s.reachable_pct.iloc[0] == 0.0 and s.longest_outage_s.iloc[0] == 60.0


def test_summary_and_destinations(gen1):
    op = Operator.preset("starlink")
    t = Sites.from_cities(["London"])
    frankfurt = leolat.cloud_regions(provider="aws", region="eu-central-1")
    ds = service_latency(gen1, op, t, TimeGrid.from_utc(T0, 120, 5), destinations=frankfurt)
    s = service_summary(ds).iloc[0]
    assert s.reachable_pct == 100.0 and 5.0 < s.rtt_p50_ms < 20.0 and s.handovers_per_hour > 0
    extra = ds.destination_rtt_ms.values[:, 0, 0] - ds.rtt_ms.values[:, 0]
    assert np.allclose(extra, 16.0)  # London PoP -> Frankfurt: the measured Azure round trip


@pytest.mark.parametrize("rules, message", [
    (dict(epoch_s=0), "epoch_s"), (dict(min_elevation_deg=95), "elevation"),
    (dict(gso_exclusion_deg=90), "gso_exclusion_deg"), (dict(selection="closest"), "selection"),
    (dict(user_link_ms=float("nan")), "user_link_ms"),
])
def test_bad_rules_are_typed_errors(rules, message):
    with pytest.raises(OperatorError, match=message):
        Operator.preset("starlink", **rules)


def test_bad_tables_name_file_line_and_field(tmp_path):
    gw = tmp_path / "gw.csv"
    gw.write_text("name,lat_deg,lon_deg\nG,50,8\n")
    pops = tmp_path / "pops.csv"
    pops.write_text("code,lat_deg,lon_deg,country\nfra,50.1,8.7,DE\nxyz,1,2,Germany\n")
    with pytest.raises(OperatorError, match=r"pops.csv, line 3, column 'country': 'GERMANY' is "
                                            r"not an ISO 3166 two-letter code"):
        Operator.from_csv("mine", gateways=gw, pops=pops)
    pops.write_text("code,lat_deg,lon_deg,country\nfra,50.1,8.7,DE\n")
    assign = tmp_path / "assign.csv"
    assign.write_text("country,pop\nDE,fra\nFR,par\n")
    with pytest.raises(OperatorError, match=r"assign.csv, line 3, column 'pop': unknown PoP 'par'"):
        Operator.from_csv("mine", gateways=gw, pops=pops, assignment=assign)
    op = Operator.from_csv("mine", gateways=gw, pops=pops)
    assert op.pop_for(Sites(["x"], [48.0], [2.0], country=["FR"])).tolist() == [0]


def test_outages_move_traffic_to_another_gateway_pop_or_satellite(gen1):
    op = Operator.preset("starlink")
    london = Sites.from_cities(["London"])
    grid = TimeGrid.from_utc(T0, 120, 5)
    normal = service_latency(gen1, op, london, grid)
    g0 = int(normal.gateway.values[0, 0])
    name = str(op.gateways.names[g0])
    cut = service_latency(gen1, op, london, grid, scenario=leolat.Scenario("gw").gateway_down(
        name, start="2026-12-01T00:01:00Z"))
    before, after = cut.gateway.values[:12, 0], cut.gateway.values[12:, 0]
    np.testing.assert_array_equal(before, normal.gateway.values[:12, 0])
    assert g0 not in set(after.tolist()) and np.isfinite(cut.rtt_ms.values[12:, 0]).all()
    # a PoP down: London is served from the next nearest PoP, farther away
    pop = str(op.pops.names[int(normal.pop.values[0, 0])])
    moved = service_latency(gen1, op, london, grid, scenario=leolat.Scenario("pop").pop_down(pop))
    assert (moved.pop.values != normal.pop.values).all()
    assert np.nanmedian(moved.rtt_ms.values) > np.nanmedian(normal.rtt_ms.values)
    # the serving satellite failed: never serving again
    s0 = int(normal.serving_sat.values[0, 0])
    failed = service_latency(gen1, op, london, grid,
                             scenario=leolat.Scenario("sat").fail_satellites(s0))
    assert s0 not in set(failed.serving_sat.values.ravel().tolist())
    with pytest.raises(leolat.ScenarioError, match="fiber cuts are not part of the service path"):
        service_latency(gen1, op, london, grid, scenario=leolat.Scenario("f").cut_fiber("WACS"))
    with pytest.raises(leolat.ScenarioError, match="has no gateway 'Atlantis'"):
        service_latency(gen1, op, london, grid,
                        scenario=leolat.Scenario("g").gateway_down("Atlantis"))


def test_the_service_command_prints_the_summary_and_plots(tmp_path):
    from .test_cli import _run

    out = _run("service", "--sites", "London;Madrid", "--destinations", "aws:eu-central-1",
               "--start", T0, "--duration", "120", "--step", "5",
               "--constellation", "starlink-gen1", "--plot", str(tmp_path / "s.png"),
               "--out", str(tmp_path / "s.csv"))
    assert out.returncode == 0, out.stderr
    assert "PoPs: London, GB -> lndngbr1, Madrid, ES -> mdrdesp1" in out.stdout
    assert "rtt_p50_ms" in out.stdout and "aws:eu-central-1" in out.stdout
    assert (tmp_path / "s.png").stat().st_size > 10_000
    table = leolat.read_result(tmp_path / "s.csv")
    assert list(table.terminal) == ["London, GB", "Madrid, ES"]
    assert "1.33 ms user-link and 1.33 ms gateway framing" in out.stdout
    light = _run("service", "--sites", "London;Madrid", "--start", T0, "--duration", "120",
                 "--step", "5", "--constellation", "starlink-gen1", "--light-only",
                 "--out", str(tmp_path / "light.csv"))
    assert light.returncode == 0, light.stderr
    assert "light time only (--light-only)" in light.stdout
    bare = leolat.read_result(tmp_path / "light.csv")
    # Four frames fewer per round trip: the paths are the same (test above).
    np.testing.assert_allclose(table.rtt_p50_ms - bare.rtt_p50_ms, 4 * FRAME_MS, atol=1e-6)


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
 <Placemark><name>{a}</name>{data_a}<Point><coordinates>{lon_a},{lat_a},0</coordinates></Point></Placemark>
 <Placemark><name>Route</name><LineString><coordinates>0,0 1,1</coordinates></LineString></Placemark>
 <Placemark><name>{b}</name>{data_b}<Point><coordinates>{lon_b},{lat_b}</coordinates></Point></Placemark>
</Document></kml>"""


def _data(**fields):
    return "<ExtendedData>" + "".join(f'<Data name="{k}"><value>{v}</value></Data>'
                                      for k, v in fields.items()) + "</ExtendedData>"


def test_gateway_and_pop_maps_load_from_kml(tmp_path, gen1):
    gw = tmp_path / "gw.kml"
    gw.write_text(KML.format(a="Ogun", data_a="", lon_a=3.35, lat_a=6.9, b="Abuja", data_b="",
                             lon_b=7.49, lat_b=9.06))
    pops = tmp_path / "pops.kml"
    pops.write_text(KML.format(a="lgosnga1", data_a=_data(country="NG"), lon_a=3.59, lat_a=6.45,
                               b="abjanga1", data_b=_data(country="NG", kind="planned"),
                               lon_b=7.49, lat_b=9.06))
    op = Operator.from_files("mine", gateways=gw, pops=pops, **Operator.LIGHT_ONLY)
    assert list(op.gateways.names) == ["Ogun", "Abuja"]  # the line string is not a place
    assert list(op.pop_kind) == ["netfac", "planned"]
    lagos = Sites.from_cities(["Lagos"])
    ds = service_latency(gen1, op, lagos, TimeGrid.from_utc(T0, 60, 15))
    s = service_summary(ds).iloc[0]
    # With a gateway beside the Lagos PoP the service is a bent pipe: light time of a few ms.
    assert s.reachable_pct == 100.0 and s.rtt_p50_ms < 15.0
    bad = tmp_path / "bad.kml"
    bad.write_text(KML.format(a="X", data_a="", lon_a="east", lat_a=6.9, b="Y", data_b="",
                              lon_b=7.49, lat_b=9.06))
    with pytest.raises(leolat.SiteError, match=r"bad.kml, placemark 1 \('X'\): coordinates"):
        Operator.from_files("mine", gateways=bad, pops=pops)
    with pytest.raises(OperatorError, match=r"gw.kml, placemark 1 \('Ogun'\): no 'country'"):
        Operator.from_files("mine", gateways=gw, pops=gw)


def test_summary_figures_by_hand():
    import xarray as xr

    t = np.datetime64("2026-12-01T00:00:00") + np.arange(8) * np.timedelta64(10, "s")
    sat = np.array([[1], [1], [2], [2], [2], [-1], [-1], [3]])
    rtt = np.array([[10.0], [12], [30], [30], [60], [np.nan], [np.nan], [150]])
    ho = np.zeros((8, 1), bool)
    ho[2] = True
    ds = xr.Dataset({"rtt_ms": (("time", "terminal"), rtt),
                     "serving_sat": (("time", "terminal"), sat),
                     "handover": (("time", "terminal"), ho)},
                    coords={"time": t, "terminal": ["x"]})
    s = service_summary(ds).iloc[0]
    assert s.reachable_pct == 75.0 and s.longest_outage_s == 20.0
    assert s.pct_under_20_ms == 25.0 and s.pct_under_50_ms == 50.0 and s.pct_under_100_ms == 62.5
    assert s.dwell_median_s == 20.0 and s.dwell_p5_s == pytest.approx(11.0)  # runs 20, 30, 10 s
    assert s.handovers_per_hour == pytest.approx(1 / (80 / 3600))
    assert s.rtt_p50_ms == 30.0

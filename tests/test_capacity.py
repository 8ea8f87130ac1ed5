"""Capacity and demand inputs, allocation invariants, overflow, bad input."""

import numpy as np
import pandas as pd
import pytest

import leolat
from leolat import (
    Capacity,
    CapacityError,
    Constellation,
    Demand,
    LinkPolicy,
    Network,
    Scenario,
    Sites,
    Terrestrial,
    TimeGrid,
)

T0 = "2026-11-24T12:00:00Z"


@pytest.fixture(scope="module")
def wan_net():
    offices = Sites.from_cities(["Lagos", "Nairobi"])
    pops = Sites.from_csv(leolat.data_path("africa_europe_pops.csv"))
    gateways = leolat.gateways(name=["Usingen", "Aerzen", "Gravelines", "Villenave-d'Ornon",
                                     "Goonhilly", "Chalfont Grove"])
    region = leolat.cloud_regions(provider="aws", region="eu-central-1")
    wan = Terrestrial.from_csv(leolat.data_path("africa_europe_fiber.csv"), sites=offices,
                               gateways=gateways, pops=pops, clouds=region, unknown_nodes="drop")
    return Network(Constellation.preset("starlink-gen1"), wan, LinkPolicy(min_elevation_deg=25))


def _demand(lagos, nairobi):
    return Demand(np.array(["Lagos, NG", "Nairobi, KE"]), np.array(["aws:eu-central-1"] * 2),
                  np.array([lagos, nairobi], float))


GRID = TimeGrid.from_utc(T0, 180, 60)


@pytest.mark.parametrize("objective", ["max_min_fair", "max_throughput"])
@pytest.mark.parametrize("routing", ["fastest", "fiber_first"])
def test_no_resource_over_capacity_no_demand_over_its_request(wan_net, objective, routing):
    cap = Capacity(fiber_gbps=40.0)
    ds = leolat.allocate(wan_net, GRID, _demand(150, 90), cap, objective=objective,
                         routing=routing)
    assert np.nanmax(ds.util_max.values) <= 1 + 1e-6
    assert np.all(ds.allocated_gbps.values <= ds.requested_gbps.values + 1e-6)
    assert np.all(ds.allocated_gbps.values >= -1e-9)
    np.testing.assert_allclose(ds.fiber_gbps + ds.leo_gbps, ds.allocated_gbps, atol=1e-6)
    np.testing.assert_allclose(ds.allocated_gbps + ds.unmet_gbps, ds.requested_gbps, atol=1e-6)
    # the round trip of what is carried is at least the light floor between the ends
    assert np.nanmin(ds.rtt_ms.values) > 2 * 3500 / 299792.458 * 1e3


def test_ample_fiber_with_fiber_first_sends_nothing_over_satellites(wan_net):
    ds = leolat.allocate(wan_net, GRID, _demand(10, 10), Capacity(fiber_gbps=1000.0),
                         routing="fiber_first")
    assert float(ds.leo_gbps.sum()) == 0.0
    np.testing.assert_allclose(ds.allocated_gbps, ds.requested_gbps, rtol=1e-6)


def test_past_fiber_capacity_traffic_overflows_to_leo_until_it_saturates(wan_net):
    cap = Capacity(fiber_gbps=20.0)
    carried, leo = [], []
    for lagos in (10, 40, 80, 160, 320, 640):
        ds = leolat.allocate(wan_net, TimeGrid.from_utc(T0, 60, 60), _demand(lagos, 0.0), cap,
                             objective="max_throughput", routing="fiber_first", k_paths=8)
        carried.append(float(ds.allocated_gbps[0, 0]))
        leo.append(float(ds.leo_gbps[0, 0]))
    fiber = np.array(carried) - np.array(leo)
    assert leo[0] == 0.0 and carried[0] == pytest.approx(10.0)
    assert np.all(np.diff(carried) >= -1e-6)  # carried never falls as demand grows
    assert carried[2] > fiber[2] + 1.0  # beyond the fiber, LEO carries the overflow
    assert carried[-1] == pytest.approx(carried[-2], rel=1e-6)  # ... until LEO saturates
    assert carried[-1] < 640


def test_a_cable_cut_moves_traffic_to_leo_and_loses_what_does_not_fit(wan_net):
    cap = Capacity(fiber_gbps=100.0)
    west = Scenario("w").cut_fiber("WACS").cut_fiber("MainOne").cut_fiber("Equiano")
    normal = leolat.allocate(wan_net, GRID, _demand(60, 30), cap, routing="fiber_first")
    cut = leolat.allocate(wan_net, GRID, _demand(60, 30), cap, routing="fiber_first",
                          scenario=west)
    assert float(normal.leo_gbps.sel(demand="Lagos, NG->aws:eu-central-1").sum()) == 0.0
    lagos = cut.sel(demand="Lagos, NG->aws:eu-central-1")
    assert float(lagos.leo_gbps.min()) > 0  # moved to LEO
    assert float(lagos.unmet_gbps.min()) > 0  # not all of it fits
    s = leolat.capacity_summary(cut)
    assert s.loc["Lagos, NG->aws:eu-central-1", "served_pct"] < 100
    assert s.loc["Nairobi, KE->aws:eu-central-1", "served_pct"] == pytest.approx(100)
    steps_short = int((cut.unmet_gbps.sum("demand") > 1e-6 * cut.requested_gbps.sum("demand")).sum())
    assert steps_short >= 1
    assert s.loc["total", "congested_h"] == pytest.approx(steps_short * 60 / 3600)


def test_unroutable_demands_are_data_not_exceptions(wan_net):
    ds = leolat.allocate(wan_net, TimeGrid.from_utc(T0, 60, 60), _demand(5, 5),
                         scenario=Scenario("all").cut_all_fiber(kind="all")
                         .gateway_down("Usingen").gateway_down("Aerzen")
                         .gateway_down("Gravelines").gateway_down("Villenave-d'Ornon")
                         .gateway_down("Goonhilly").gateway_down("Chalfont Grove"))
    assert np.all(ds.allocated_gbps.values == 0)
    assert set(ds.reason.values.ravel()) == {"no path"}
    np.testing.assert_array_equal(ds.unmet_gbps.values, ds.requested_gbps.values)
    assert np.isnan(ds.rtt_ms.values).all()


def test_link_capacities_from_a_csv_override_the_default(tmp_path, wan_net):
    f = tmp_path / "caps.csv"
    f.write_text("name,capacity_gbps\nWACS,7.5\nMainOne,\n")
    cap = Capacity().with_links_csv(f)
    assert cap.fiber_link_gbps("WACS") == 7.5 and cap.fiber_link_gbps("MainOne") == 100.0
    bad = tmp_path / "bad.csv"
    bad.write_text("name,capacity_gbps\nWACS,-1\n")
    with pytest.raises(CapacityError, match=r"bad.csv, line 2, column 'capacity_gbps'"):
        Capacity().with_links_csv(bad)


@pytest.mark.parametrize("kwargs, match", [
    (dict(user_gbps=-1), "user_gbps must be finite and >= 0"),
    (dict(isl_gbps=float("nan")), "isl_gbps must be finite"),
    (dict(fiber_gbps=float("inf")), "fiber_gbps must be finite"),
    (dict(gateway_antennas=0), "gateway_antennas must be >= 1"),
    (dict(link_gbps={"WACS": "x"}), r"link_gbps\['WACS'\] must be a rate"),
    (dict(terminal_gbps=True), "terminal_gbps must be a rate"),
])
def test_bad_capacities_are_named(kwargs, match):
    with pytest.raises(CapacityError, match=match):
        Capacity(**kwargs)


def test_demand_tables_and_their_errors(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("source,destination,gbps\nA,B,1.5\nB,C,2\n")
    d = Demand.from_csv(f)
    assert list(d.labels) == ["A->B", "B->C"] and d.gbps.tolist() == [1.5, 2.0]
    for body, match in [("source,destination\nA,B\n", "no 'gbps' column"),
                        ("source,destination,gbps\nA,B,-2\n", r"line 2, column 'gbps': '-2'"),
                        ("source,destination,gbps\nA,B,nan\n", r"line 2, column 'gbps'"),
                        ("source,destination,gbps\nA,A,1\n", r"line 2: source and destination"),
                        ("source,destination,gbps\n,B,1\n", r"line 2, column 'source': empty")]:
        f.write_text(body)
        with pytest.raises(CapacityError, match=match):
            Demand.from_csv(f)
    frame = pd.DataFrame({"source": ["A"], "destination": ["B"], "gbps": [float("inf")]})
    with pytest.raises(CapacityError, match="demand row 0, column 'gbps'"):
        Demand.from_frame(frame)
    with pytest.raises(CapacityError, match="profile must be 24"):
        Demand(np.array(["A"]), np.array(["B"]), np.array([1.0]), profile=np.ones(12))


def test_gravity_demand_follows_populations_and_sums_to_the_total():
    cities = Sites.top_cities(5)
    region = leolat.cloud_regions(provider="aws", region=["eu-central-1", "us-east-1"])
    d = Demand.gravity(cities, region, 100.0)
    assert d.gbps.sum() == pytest.approx(100.0)
    by_src = {s: d.gbps[d.source == s].sum() for s in cities.names}
    w = dict(zip(cities.names, cities.weight / cities.weight.sum() * 100))
    for s in cities.names:
        assert by_src[s] == pytest.approx(w[s])


def test_a_diurnal_profile_follows_the_source_local_hour():
    prof = np.zeros(24)
    prof[20] = 1.0  # busy at 20:00 local
    d = Demand(np.array(["A"]), np.array(["B"]), np.array([10.0]), profile=prof)
    # a source at 15°E: 20:00 local is 19:00 UTC
    assert d.rates_at(19.0, np.array([15.0]))[0] == pytest.approx(10.0)
    assert d.rates_at(12.0, np.array([15.0]))[0] == 0.0
    assert d.rates_at(18.5, np.array([15.0]))[0] == pytest.approx(5.0)  # linear between hours


def test_bad_allocation_requests_are_refused_with_a_reason(wan_net):
    d = _demand(1, 1)
    with pytest.raises(CapacityError, match="objective must be one of"):
        leolat.allocate(wan_net, GRID, d, objective="fair")
    with pytest.raises(CapacityError, match="routing must be one of"):
        leolat.allocate(wan_net, GRID, d, routing="cheapest")
    with pytest.raises(CapacityError, match="k_paths must be a whole number >= 1"):
        leolat.allocate(wan_net, GRID, d, k_paths=0)
    bad = Demand(np.array(["Lagos, NG"]), np.array(["aws:eu-west-9"]), np.array([1.0]))
    with pytest.raises(CapacityError, match=r"demand 0: no ground node is named 'aws:eu-west-9'"):
        leolat.allocate(wan_net, GRID, bad)
    with pytest.raises(leolat.MemoryBudgetError, match=r"allocate\(k_paths=None\)"):
        leolat.allocate(wan_net, GRID, d, k_paths=None, memory_budget_mb=1)


def test_a_links_file_with_a_capacity_column_sets_both_the_network_and_its_rates(tmp_path):
    rows = open(leolat.data_path("africa_europe_fiber.csv"), encoding="utf-8").read().splitlines()
    out = [rows[0] + ",capacity_gbps"]
    for line in rows[1:]:
        name = line.split(",")[0]
        out.append(line + (",5" if name in ("WACS", "MainOne", "Equiano") else ","))
    f = tmp_path / "links.csv"
    f.write_text("\n".join(out) + "\n")
    offices = Sites.from_cities(["Lagos"])
    region = leolat.cloud_regions(provider="aws", region="eu-central-1")
    wan = Terrestrial.from_csv(f, sites=offices, pops=Sites.from_csv(
        leolat.data_path("africa_europe_pops.csv")), clouds=region, unknown_nodes="drop")
    net = Network(Constellation.walker(1, 1, 550, 0.0, epoch=T0), wan)
    cap = Capacity().with_links_csv(f)
    d = Demand(np.array(["Lagos, NG"]), np.array(["aws:eu-central-1"]), np.array([50.0]))
    ds = leolat.allocate(net, TimeGrid.from_utc(T0, 60, 60), d, cap, objective="max_throughput",
                         k_paths=None)
    # every segment of the three cables at 5 Gbps: five segments leave the Lagos IXP (north to
    # Lisbon and London, south to Cape Town), so fiber carries 25 Gbps out of Lagos
    leaving = sum(1 for line in out[1:] if line.split(",")[0] in ("WACS", "MainOne", "Equiano"))
    assert leaving == 5
    assert float(ds.fiber_gbps[0, 0]) == pytest.approx(25.0, rel=1e-6)

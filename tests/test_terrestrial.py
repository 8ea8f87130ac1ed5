import numpy as np
import pytest
from pyproj import Geod

import leolat
from leolat import Sites, Terrestrial, TerrestrialError, fiber_latency_ms
from leolat.base.constants import SPEED_OF_LIGHT_KM_S
from leolat.base.data import read_text as DATA  # shipped tables


def _geod_km(a_lat, a_lon, b_lat, b_lon):
    return Geod(ellps="WGS84").inv(a_lon, a_lat, b_lon, b_lat)[2] / 1e3


def test_fiber_rule_and_london_new_york():
    # The published rule: ~4.9 µs per km of fiber at n ~ 1.47.
    assert fiber_latency_ms(1.0) * 1e3 == pytest.approx(4.9, abs=0.05)
    sites = Sites.from_cities(["London", "New York City"])
    t = Terrestrial.mesh(sites=sites, stretch=1.0)
    want_km = _geod_km(sites.lat_deg[0], sites.lon_deg[0], sites.lat_deg[1], sites.lon_deg[1])
    assert abs(t.length_km[0] - want_km) < 1e-3  # 1 m
    # 4.9 µs/km is the rule rounded to two digits: 1 % is its own precision.
    assert 2 * t.latency_ms[0] == pytest.approx(54.6, rel=0.01)
    assert t.latency_ms[0] == pytest.approx(want_km * 1.468 / SPEED_OF_LIGHT_KM_S * 1e3, rel=1e-12)


def test_mesh_lengths_match_pyproj_pair_by_pair():
    rng = np.random.default_rng(1)
    n = 9
    s = Sites([f"n{i}" for i in range(n)], rng.uniform(-80, 80, n), rng.uniform(-180, 180, n))
    t = Terrestrial.mesh(pops=s, stretch=1.3)
    assert t.n_links == n * (n - 1) // 2
    for a, b, length in zip(t.link_a, t.link_b, t.length_km):
        want = 1.3 * _geod_km(s.lat_deg[a], s.lon_deg[a], s.lat_deg[b], s.lon_deg[b])
        assert abs(length - want) < 1e-3
    assert set(t.link_kind) <= {"access", "backbone"}


def test_k_nearest_mesh_links_each_node_to_its_nearest():
    rng = np.random.default_rng(2)
    n, k = 15, 3
    s = Sites([f"n{i}" for i in range(n)], rng.uniform(-60, 60, n), rng.uniform(-60, 60, n))
    t = Terrestrial.mesh(k=k, pops=s)
    links = {frozenset(p) for p in zip(t.link_a.tolist(), t.link_b.tolist())}
    assert len(links) == t.n_links  # no duplicates
    for i in range(n):
        d = [(_geod_km(s.lat_deg[i], s.lon_deg[i], s.lat_deg[j], s.lon_deg[j]), j)
             for j in range(n) if j != i]
        for _, j in sorted(d)[:k]:
            assert frozenset((i, j)) in links
    # Undirected union: no more than n·k links, at least n·k/2.
    assert n * k / 2 <= t.n_links <= n * k


def test_access_links_are_the_short_ones():
    s = Sites(["a", "b", "c"], [50.0, 50.3, 40.0], [8.0, 8.0, 8.0])
    t = Terrestrial.mesh(pops=s, access_max_km=100.0)
    kinds = dict(zip(t.link_names, t.link_kind))
    assert kinds["a--b"] == "access" and kinds["a--c"] == "backbone"


def test_csv_links_measured_and_estimated(tmp_path):
    nodes = Sites(["A", "B", "C"], [0.0, 0.0, 10.0], [0.0, 10.0, 0.0])
    f = tmp_path / "links.csv"
    f.write_text("name,a,b,length_km,latency_ms,kind\n"
                 "cable,A,B,1500,,backbone\n"
                 "leased,B,C,,9.5,\n"
                 ",A,C,,,access\n")
    t = Terrestrial.from_csv(f, pops=nodes, stretch=1.2)
    df = t.links()
    assert list(df["name"]) == ["cable", "leased", "A--C"]
    assert df["latency_ms"][0] == pytest.approx(fiber_latency_ms(1500.0))
    assert df["latency_ms"][1] == 9.5 and np.isnan(df["length_km"][1])
    geo = _geod_km(0.0, 0.0, 10.0, 0.0)
    assert df["length_km"][2] == pytest.approx(1.2 * geo, abs=1e-3)
    assert list(df["kind"]) == ["backbone", "backbone", "access"]


@pytest.mark.parametrize("body, needle", [
    ("a,b,length_km\nA,Z,100\n", "line 2, column 'b': unknown node 'Z'"),
    ("a,b,length_km\nA,B,-5\n", "line 2, column 'length_km': -5.0 must be a finite non-negative"),
    ("a,b,latency_ms\nA,B,fast\n", "line 2, column 'latency_ms': 'fast' is not a number"),
    ("a,b\nA,B\nB,B\n", "line 3: a link from 'B' to itself"),
    ("a,b,kind\nA,B,submarine\n", "line 2, column 'kind': 'submarine' is not one of"),
    ("from,to\nA,B\n", "no 'a' column"),
    ("a,b\n", "no links"),
])
def test_csv_errors_name_file_line_and_value(tmp_path, body, needle):
    f = tmp_path / "bad.csv"
    f.write_text(body)
    with pytest.raises(TerrestrialError) as exc:
        Terrestrial.from_csv(f, pops=Sites(["A", "B"], [0.0, 1.0], [0.0, 1.0]))
    assert needle in str(exc.value) and "bad.csv" in str(exc.value)


def test_bad_node_sets_are_refused(tmp_path):
    a = Sites(["X"], [0.0], [0.0])
    with pytest.raises(TerrestrialError, match="'X' is used twice"):
        Terrestrial.nodes_only(sites=a, pops=a)
    with pytest.raises(TerrestrialError, match="no ground nodes"):
        Terrestrial.nodes_only()
    with pytest.raises(TerrestrialError, match="stretch must be >= 1"):
        Terrestrial.nodes_only(sites=a, stretch=0.9)
    with pytest.raises(TerrestrialError, match="file not found"):
        Terrestrial.from_csv(tmp_path / "missing.csv", sites=a)
    with pytest.raises(TerrestrialError, match="did you mean"):
        Terrestrial.nodes_only(pops=Sites(["Lisbon", "Porto"], [38.7, 41.1], [-9.1, -8.6])).link(
            "Lisbn", "Porto")


def test_roles_decide_gsls_and_relays():
    s = Sites(["office"], [0.0], [0.0])
    g = Sites(["gw"], [1.0], [0.0])
    p = Sites(["pop"], [2.0], [0.0])
    cl = Sites(["dc"], [3.0], [0.0])
    t = Terrestrial.nodes_only(sites=s, gateways=g, pops=p, clouds=cl)
    assert list(t.roles) == ["site", "gateway", "pop", "cloud"]
    assert list(t.gsl_capable) == [True, True, False, False]
    net = leolat.Network(leolat.Constellation.walker(2, 4, 550, 53, 1), t)
    assert list(net.relay) == [False, True, True, True]
    relay = leolat.Network(leolat.Constellation.walker(2, 4, 550, 53, 1), t,
                           leolat.LinkPolicy(ground_relay=True))
    assert relay.relay.all()


def test_shipped_tables_have_sources_and_sane_places():
    regions = leolat.cloud_regions()
    assert len(regions) >= 50 and set(np.char.partition(regions.names.astype(str), ":")[:, 0]) == {
        "aws", "azure", "gcp"}
    gws = leolat.gateways()
    assert len(gws) >= 20
    import csv
    import io

    for name in ("cloud_regions.csv", "gateways.csv"):
        rows = list(csv.DictReader(io.StringIO(DATA(name))))
        assert all(r["source"].strip() for r in rows), name
    # Each region sits at its city: compare with GeoNames through Sites.from_cities where
    # the city is in the offline table (population >= 15,000).
    rows = list(csv.DictReader(io.StringIO(DATA("cloud_regions.csv"))))
    checked = 0
    for r in rows:
        try:
            city = Sites.from_cities([f"{r['city']}, {r['country']}"])
        except leolat.SiteError:
            continue
        d = _geod_km(float(r["lat_deg"]), float(r["lon_deg"]), city.lat_deg[0], city.lon_deg[0])
        assert d < 30.0, (r["region"], d)
        checked += 1
    assert checked >= 40
    frankfurt = leolat.cloud_regions(provider="aws", region="eu-central-1")
    assert frankfurt.names[0] == "aws:eu-central-1" and abs(frankfurt.lat_deg[0] - 50.1) < 0.1
    with pytest.raises(TerrestrialError, match="did you mean"):
        leolat.cloud_regions(region="eu-central-9")
    with pytest.raises(TerrestrialError, match="no gateway has country 'XX'"):
        leolat.gateways(country="XX")


def test_site_uplinks_keep_offices_at_the_edge():
    rng = np.random.default_rng(3)
    offices = Sites([f"o{i}" for i in range(6)], rng.uniform(-40, 40, 6), rng.uniform(-40, 40, 6))
    pops = Sites([f"p{i}" for i in range(5)], rng.uniform(-40, 40, 5), rng.uniform(-40, 40, 5))
    t = Terrestrial.mesh(sites=offices, pops=pops, site_uplinks=2)
    roles = t.roles
    site_links = (roles[t.link_a] == "site") | (roles[t.link_b] == "site")
    assert not np.any((roles[t.link_a] == "site") & (roles[t.link_b] == "site"))
    assert site_links.sum() == 6 * 2 and (~site_links).sum() == 5 * 4 // 2
    for o in range(6):  # each office to its two nearest PoPs
        d = [_geod_km(offices.lat_deg[o], offices.lon_deg[o], pops.lat_deg[p], pops.lon_deg[p])
             for p in range(5)]
        linked = {int(b) - 6 for a, b in zip(t.link_a, t.link_b) if a == o}
        assert linked == set(np.argsort(d)[:2].tolist())


def test_one_links_file_for_other_offices_drops_rows_and_links_the_rest(tmp_path):
    path = tmp_path / "links.csv"
    path.write_text("a,b,name\nHQ,P1,HQ tail\nP1,P2,backbone\nP2,Cloud,tail\n")
    offices = Sites(["Branch"], [10.0], [20.0])
    pops = Sites(["P1", "P2"], [10.0, 10.5], [21.0, 30.0])
    clouds = Sites(["Cloud"], [11.0], [30.0])
    with pytest.raises(TerrestrialError, match=r"line 2, column 'a': unknown node 'HQ'"):
        Terrestrial.from_csv(path, sites=offices, pops=pops, clouds=clouds)
    t = Terrestrial.from_csv(path, sites=offices, pops=pops, clouds=clouds, unknown_nodes="drop")
    assert list(t.link_names) == ["backbone", "tail"]  # HQ is not in this run
    linked = t.link_unconnected()
    added = linked.links().iloc[t.n_links:]
    assert list(zip(added.a, added.b, added.kind)) == [("Branch", "P1", "access")]
    # geodesic x stretch, checked against pyproj
    assert added.length_km.iloc[0] == pytest.approx(_geod_km(10, 20, 10, 21) * t.stretch, rel=1e-9)
    assert linked.link_unconnected().n_links == linked.n_links  # nothing left to link
    two = t.link_unconnected(k=2)
    assert sorted(two.links().iloc[t.n_links:].b) == ["P1", "P2"]
    with pytest.raises(TerrestrialError, match="no pop node to link it to"):
        Terrestrial.nodes_only(sites=offices, clouds=clouds).link_unconnected(to_roles=("pop",))
    with pytest.raises(TerrestrialError, match="unknown_nodes must be"):
        Terrestrial.from_csv(path, sites=offices, pops=pops, unknown_nodes="skip")

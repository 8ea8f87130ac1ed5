import math

import numpy as np
import pytest

import leolat
from leolat import (
    Constellation,
    LeolatError,
    LinkPolicy,
    Network,
    Scenario,
    ScenarioError,
    Sites,
    Terrestrial,
    TimeGrid,
    compare_scenarios,
    hybrid_latency,
    hybrid_summary,
    run_scenario,
)
from leolat.base.constants import GEO_RADIUS_KM, SPEED_OF_LIGHT_KM_S, WGS84_A_KM

C_KM_MS = SPEED_OF_LIGHT_KM_S / 1e3


# ----------------------------------------------------------------- union graph, by hand
def _random_case(seed):
    rng = np.random.default_rng(seed)
    c = Constellation.walker(int(rng.integers(4, 8)), int(rng.integers(6, 10)),
                             float(rng.uniform(500, 1200)), float(rng.uniform(45, 90)), 1)
    n = 10
    roles = np.array(["site", "gateway", "pop", "cloud"])[rng.integers(0, 4, n)]
    roles[:2] = ["site", "cloud"]
    lat, lon = rng.uniform(-50, 50, n), rng.uniform(-60, 60, n)
    names = [f"n{i}" for i in range(n)]
    groups = {r: Sites([names[i] for i in np.nonzero(roles == r)[0]], lat[roles == r], lon[roles == r])
              for r in np.unique(roles)}
    t = Terrestrial.nodes_only(sites=groups.get("site"), gateways=groups.get("gateway"),
                               pops=groups.get("pop"), clouds=groups.get("cloud"),
                               stretch=float(rng.uniform(1.0, 2.0)))
    node_names = list(t.nodes.names)
    for _ in range(14):  # random links, parallel ones allowed, some with measured latency
        a, b = rng.choice(n, 2, replace=False)
        lat_ms = float(rng.uniform(1, 40)) if rng.random() < 0.3 else None
        t = t.link(node_names[a], node_names[b], latency_ms=lat_ms,
                   kind="access" if rng.random() < 0.2 else "backbone")
    policy = LinkPolicy(min_elevation_deg=10.0, max_isl_range_km=6000.0)
    return c, t, policy


def _hand_graph(c, t, policy, net, r):
    """networkx MultiGraph of one instant, from first principles."""
    nx = pytest.importorskip("networkx")
    g = nx.MultiGraph()
    n_sats = len(c)
    g.add_nodes_from(range(n_sats + len(t.nodes)))
    for a, b in zip(net.isl_a, net.isl_b):  # no latitude cutoff in this policy
        d = r[b] - r[a]
        dist = float(np.linalg.norm(d))
        s = np.clip(-np.dot(r[a], d) / dist**2, 0, 1)
        if dist <= policy.max_isl_range_km and np.linalg.norm(r[a] + s * d) >= WGS84_A_KM + policy.grazing_altitude_km:
            g.add_edge(int(a), int(b), w=dist)
    pos = t.nodes.r_itrf_km
    for k in range(len(t.nodes)):
        if t.roles[k] not in ("site", "gateway"):
            continue
        la, lo = math.radians(t.nodes.lat_deg[k]), math.radians(t.nodes.lon_deg[k])
        up = np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])
        for s in range(n_sats):
            d = r[s] - pos[k]
            rng = float(np.linalg.norm(d))
            if math.degrees(math.asin(np.dot(up, d) / rng)) >= policy.min_elevation_deg:
                g.add_edge(n_sats + k, s, w=rng)
    for a, b, ms in zip(t.link_a, t.link_b, t.latency_ms):
        g.add_edge(n_sats + int(a), n_sats + int(b), w=ms * C_KM_MS)
    return g


@pytest.mark.parametrize("seed", range(5))
def test_hybrid_paths_equal_networkx_on_the_union_graph(seed):
    nx = pytest.importorskip("networkx")
    c, t, policy = _random_case(seed)
    net = Network(c, t, policy)
    times = TimeGrid.from_utc("2026-03-01T00:00Z", 1800, 600)
    ds = run_scenario(net, times, "all")
    eph = c.propagate(times, positions_only=True)
    n_sats = len(c)
    src, dst = net.resolve_pairs("all")
    compared = 0
    for ti in range(len(times)):
        g = _hand_graph(c, t, policy, net, eph.r_itrf_km[ti])
        for k, (a, b) in enumerate(zip(src, dst)):
            # Sites forward nothing (no ground relay in the policy): only as the ends.
            h = g.copy()
            h.remove_nodes_from([n_sats + i for i in range(len(t.nodes))
                                 if t.roles[i] == "site" and i not in (a, b)])
            try:
                want = nx.shortest_path_length(h, n_sats + a, n_sats + b, weight="w")
            except nx.NetworkXNoPath:
                want = np.nan
            ours = ds.distance_km.values[ti, k]
            if np.isnan(want):
                assert np.isnan(ours), (ti, a, b)
            else:
                assert ours == pytest.approx(want, rel=1e-12, abs=1e-9), (ti, a, b)
                compared += 1
    assert compared > 20
    medium = ds.medium.values
    gsl = ds.gsl_hops.values
    assert np.array_equal(medium == "fiber", gsl == 0)
    assert set(np.unique(medium)) <= {"none", "fiber", "leo", "leo+fiber"}


# ----------------------------------------------------------------- the Africa-Europe example
@pytest.fixture(scope="module")
def africa():
    offices = Sites.from_cities(["Lagos", "Nairobi", "Johannesburg"])
    pops = Sites.from_csv(leolat.data_path("africa_europe_pops.csv"))
    gws = leolat.gateways(name=["Usingen", "Aerzen", "Gravelines", "Villenave-d'Ornon",
                                "Goonhilly", "Chalfont Grove"])
    region = leolat.cloud_regions(provider="aws", region="eu-central-1")
    t = Terrestrial.from_csv(leolat.data_path("africa_europe_fiber.csv"), sites=offices,
                             gateways=gws, pops=pops, clouds=region)
    net = Network(Constellation.preset("starlink-gen1"), t)
    times = TimeGrid.from_utc("2026-11-24T00:00Z", 600, 30)
    pairs = [(o, "aws:eu-central-1") for o in offices.names]
    return net, times, pairs


def test_no_failure_hybrid_never_above_fiber_or_leo_alone(africa):
    net, times, pairs = africa
    ds = run_scenario(net, times, pairs)
    rtt = ds.rtt_ms.values
    for other in ("fiber_only_rtt_ms", "leo_only_rtt_ms"):
        v = ds[other].values
        ok = np.isfinite(v)
        assert np.all(rtt[ok] <= v[ok] + 1e-9), other
        assert np.all(np.isfinite(rtt[ok]))
    assert np.all(np.isfinite(ds.fiber_only_rtt_ms.values))
    assert np.all(ds.reachable_pct.values == 100.0)
    # The GEO bent pipe: never below four times the GEO altitude at c (both ends right
    # under the satellite), so far slower than either.
    assert np.all(ds.geo_rtt_ms.values >= 4 * (GEO_RADIUS_KM - WGS84_A_KM) / SPEED_OF_LIGHT_KM_S * 1e3)
    assert np.all(ds.geo_rtt_ms.values > 2 * np.nanmax(rtt))
    assert np.all(ds.vacuum_rtt_ms.values[None, :] < rtt)


def test_all_fiber_cut_equals_leo_only(africa):
    net, times, pairs = africa
    ds = run_scenario(net, times, pairs, Scenario("no backbone").cut_all_fiber(kind="backbone"))
    assert np.array_equal(ds.rtt_ms.values, ds.leo_only_rtt_ms.values, equal_nan=True)
    assert set(np.unique(ds.medium.values)) <= {"leo", "none"}
    assert np.all(np.isnan(ds.fiber_only_rtt_ms.values))
    # The summary does not hide it: fiber-only is never reachable, its median is NaN.
    table = hybrid_summary(ds)
    assert (table.fiber_only_reachable_pct == 0.0).all() and table.fiber_only_rtt_median_ms.isna().all()
    want = 100.0 * np.mean(np.isfinite(ds.leo_only_rtt_ms.values), axis=0)
    assert np.allclose(table.leo_only_reachable_pct, want) and (want > 0).all()
    # Without the access tails too, the cloud region (fiber only) is out of reach.
    ds = run_scenario(net, times, pairs, Scenario("nothing").cut_all_fiber(kind="all"))
    assert np.all(np.isnan(ds.rtt_ms.values)) and np.all(ds.medium.values == "none")
    assert np.all(ds.reachable_pct.values == 0.0)


def test_fiber_first_fails_over_to_leo_at_the_cut(africa):
    net, times, pairs = africa
    cut = "2026-11-24T00:05Z"  # step 10 of 20
    sc = Scenario("West Africa").cut_fiber("WACS", start=cut).cut_fiber("MainOne", start=cut)
    sc = sc.cut_fiber("Equiano", start=cut)
    ds = run_scenario(net, times, pairs, sc, routing="fiber_first")
    lagos = ds.sel(pair="Lagos, NG->aws:eu-central-1")
    med = lagos.medium.values
    assert np.all(med[:10] == "fiber") and np.all(np.isin(med[10:], ["leo", "leo+fiber"]))
    assert np.array_equal(lagos.rtt_ms.values[:10], lagos.normal_rtt_ms.values[:10])
    assert np.all(lagos.added_ms.values[:10] == 0)
    # After the cut, Lagos has no fiber at all: the failover path is the LEO-only one.
    assert np.all(np.isnan(lagos.fiber_only_rtt_ms.values[10:]))
    np.testing.assert_array_equal(lagos.rtt_ms.values[10:], lagos.leo_only_rtt_ms.values[10:])
    # Johannesburg's fiber runs up the east coast (Durban, SEACOM): untouched.
    jnb = ds.sel(pair="Johannesburg, ZA->aws:eu-central-1")
    assert np.all(jnb.medium.values == "fiber") and np.all(jnb.added_ms.values == 0)
    # fiber_first = fiber-only wherever fiber exists.
    f = ds.fiber_only_rtt_ms.values
    assert np.array_equal(ds.rtt_ms.values[np.isfinite(f)], f[np.isfinite(f)])
    assert ds.path_change.values[10, 0] and ds.path_changes.values[0] >= 1


def test_gateways_down_and_failed_planes(africa):
    net, times, pairs = africa
    gws = [str(n) for n, r in zip(net.ground_stations.names, net.terrestrial.roles) if r == "gateway"]
    sc = Scenario("no gateways")
    for g in gws:
        sc = sc.gateway_down(g)
    ds = run_scenario(net, times, pairs, sc)
    # Satellites can no longer land anywhere near the cloud region.
    assert np.all(np.isnan(ds.leo_only_rtt_ms.values))
    assert np.all(ds.medium.values == "fiber")
    c = net.constellation
    plane = Scenario("plane 3").fail_plane(3, shell=0).fail_satellites([c.names[0], 5])
    ds = run_scenario(net, times, pairs, plane)
    dead = set(np.nonzero((c.shell == 0) & (c.plane == 3))[0]) | {0, 5}
    used = set(ds.first_sat.values.ravel()) | set(ds.last_sat.values.ravel())
    assert not (used & dead)
    normal = run_scenario(net, times, pairs)
    assert (set(normal.first_sat.values.ravel()) | set(normal.last_sat.values.ravel())) - {-1}


def test_outage_interval_is_half_open(africa):
    net, times, pairs = africa
    sc = Scenario("window").cut_fiber("SEACOM", start="2026-11-24T00:02Z", end="2026-11-24T00:04Z")
    ds = run_scenario(net, times, pairs, sc, routing="fiber_first")
    nbo = ds.sel(pair="Nairobi, KE->aws:eu-central-1").added_ms.values
    assert np.all(nbo[:4] == 0) and np.all(nbo[4:8] > 0) and np.all(nbo[8:] == 0)


def test_compare_scenarios_table(africa):
    net, times, pairs = africa
    cut = Scenario("SEACOM cut").cut_fiber("SEACOM")
    table = compare_scenarios(net, [Scenario(), cut], times, pairs, routing="fiber_first")
    assert list(table.scenario.unique()) == ["normal", "SEACOM cut"] and len(table) == 6
    for col in ("normal_rtt_median_ms", "rtt_median_ms", "rtt_p95_ms", "rtt_max_ms",
                "leo_only_rtt_median_ms", "geo_rtt_ms", "vacuum_rtt_ms", "reachable_pct"):
        assert col in table and table[col].notna().all(), col
    normal = table[table.scenario == "normal"]
    assert np.all(normal.added_median_ms == 0)
    row = table[(table.scenario == "SEACOM cut") & (table.pair.str.startswith("Nairobi"))].iloc[0]
    assert row.rtt_median_ms > row.normal_rtt_median_ms > row.vacuum_rtt_ms


def test_hybrid_latency_function_matches_network(africa):
    net, times, pairs = africa
    ds = hybrid_latency(net.constellation, net.terrestrial, times, pairs[:1])
    ref = run_scenario(net, times, pairs[:1])
    np.testing.assert_array_equal(ds.rtt_ms.values, ref.rtt_ms.values)
    assert ds.rtt_ms.attrs["units"] == "ms" and ds.attrs["routing"] == "fastest"


def test_scenario_errors_name_the_outage(africa):
    net, times, pairs = africa
    cases = [
        (Scenario("s").cut_fiber("WAC"), "outage 0 (fiber ('WAC',)): no fiber link is named 'WAC'; did you mean"),
        (Scenario("s").cut_fiber(between=("Lisbon", "Mombasa")), "no fiber link between 'Lisbon' and 'Mombasa'"),
        (Scenario("s").cut_fiber(between=("Lisbon", "Atlantis")), "no ground node is named 'Atlantis'"),
        (Scenario("s").gateway_down("aws:eu-central-1"), "is a cloud node and has no GSLs"),
        (Scenario("s").gateway_down("Nowhere"), "no ground node is named 'Nowhere'"),
        (Scenario("s").fail_plane(99), "no plane 99 in shell 0"),
        (Scenario("s").fail_satellites("STARLINK-0"), "no satellite is named 'STARLINK-0'"),
        (Scenario("s").fail_satellites(10**6), "satellite index 1000000 is outside"),
    ]
    for sc, needle in cases:
        with pytest.raises(ScenarioError) as exc:
            run_scenario(net, times, pairs, sc)
        assert needle in str(exc.value) and "scenario 's'" in str(exc.value)
    with pytest.raises(ScenarioError, match="ends .* before it starts"):
        Scenario("s").cut_fiber("WACS", start="2026-01-02T00:00Z", end="2026-01-01T00:00Z")
    with pytest.raises(ScenarioError, match="not both or neither"):
        Scenario("s").cut_fiber()
    with pytest.raises(LeolatError, match="routing must be"):
        run_scenario(net, times, pairs, routing="cheapest")
    plain = Network(net.constellation, Sites(["a", "b"], [0.0, 1.0], [0.0, 1.0]))
    with pytest.raises(LeolatError, match="needs a Network built over a leolat.Terrestrial"):
        run_scenario(plain, times, [("a", "b")])
    with pytest.raises(ScenarioError, match="no terrestrial links"):
        Scenario("s").cut_fiber("x").resolve(plain, times)
    with pytest.raises(LeolatError, match="must be a leolat.Terrestrial"):
        hybrid_latency(net.constellation, Sites(["a"], [0.0], [0.0]), times)


# ----------------------------------------------------------------- GEO bent pipe
def _naive_elevation_deg(lat, lon, slot_lon):
    site = leolat.geodetic_to_ecef(np.array([lat]), np.array([lon]), np.array([0.0]))[0]
    la, lo = math.radians(lat), math.radians(lon)
    up = np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])
    g = GEO_RADIUS_KM * np.array([math.cos(math.radians(slot_lon)), math.sin(math.radians(slot_lon)), 0.0])
    d = g - site
    return math.degrees(math.asin(np.dot(up, d) / np.linalg.norm(d))), float(np.linalg.norm(d))


def test_geo_bent_pipe_geometry():
    # Both ends under the satellite: 2 × 2 × 35,786 km at c.
    eq = Sites(["a", "b"], [0.0, 0.0], [10.0, 10.0])
    rtt, lon = leolat.geo_bent_pipe_rtt_ms(eq[[0]], eq[[1]], 10.0)
    assert rtt[0] == pytest.approx(4 * (GEO_RADIUS_KM - WGS84_A_KM) / SPEED_OF_LIGHT_KM_S * 1e3, rel=1e-12)
    assert lon[0] == 10.0
    # Random pairs: the chosen slot is visible from both ends at >= the mask, and no
    # visible slot of the list is shorter.
    rng = np.random.default_rng(4)
    a = Sites([f"a{i}" for i in range(20)], rng.uniform(-75, 75, 20), rng.uniform(-180, 180, 20))
    b = Sites([f"b{i}" for i in range(20)], rng.uniform(-75, 75, 20), rng.uniform(-180, 180, 20))
    slots = np.arange(-180, 180, 7.5)
    rtt, lon = leolat.geo_bent_pipe_rtt_ms(a, b, slots, min_elevation_deg=10.0)
    for i in range(20):
        best = np.inf
        for s in slots:
            ea, ra = _naive_elevation_deg(a.lat_deg[i], a.lon_deg[i], s)
            eb, rb = _naive_elevation_deg(b.lat_deg[i], b.lon_deg[i], s)
            if ea >= 10.0 and eb >= 10.0:
                best = min(best, ra + rb)
        if np.isinf(best):
            assert np.isnan(rtt[i]) and np.isnan(lon[i])
        else:
            assert rtt[i] == pytest.approx(2 * best / SPEED_OF_LIGHT_KM_S * 1e3, rel=1e-12)
    assert np.isfinite(rtt).sum() >= 3 and np.isnan(rtt).sum() >= 3
    # GEO is below 10° everywhere beyond about 71.4° latitude.
    polar = Sites(["p", "q"], [78.0, 0.0], [0.0, 0.0])
    assert np.isnan(leolat.geo_bent_pipe_rtt_ms(polar[[0]], polar[[1]])[0][0])


def test_hybrid_snapshot_holds_fiber_and_roles(africa):
    net, times, _ = africa
    snap = net.snapshot(times[0])
    n_sats = len(net.constellation)
    kinds = set(snap.edge_kind)
    assert {"isl", "gsl", "fiber", "access"} <= kinds
    assert set(snap.node_kind[n_sats:]) == {"site", "gateway", "pop", "cloud"}
    # Every fiber link appears in both directions with its light-travel length.
    fiber = np.isin(snap.edge_kind, ["fiber", "access"])
    assert fiber.sum() == 2 * net.terrestrial.n_links
    assert np.isclose(np.sort(snap.length_km[fiber])[::2],
                      np.sort(net.terrestrial.latency_ms * C_KM_MS)).all()
    # No GSL ends at a PoP or a cloud region.
    src = np.repeat(np.arange(snap.n_nodes), np.diff(snap.indptr))
    gsl = snap.edge_kind == "gsl"
    ends = np.concatenate([src[gsl], snap.indices[gsl]])
    assert not np.isin(snap.node_kind[ends], ["pop", "cloud"]).any()


def test_hybrid_results_do_not_depend_on_the_thread_count(africa):
    import numba

    net, times, pairs = africa
    sc = Scenario("x").cut_fiber("SEACOM", start="2026-11-24T00:03Z").fail_plane(2)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run_scenario(net, times, pairs, sc)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = run_scenario(net, times, pairs, sc)
    finally:
        numba.set_num_threads(before)
    for k in ("rtt_ms", "leo_only_rtt_ms", "fiber_only_rtt_ms", "normal_rtt_ms"):
        np.testing.assert_array_equal(one[k].values, many[k].values)
    assert np.array_equal(one.medium.values, many.medium.values)


def test_compare_scenarios_splits_a_timed_failure_into_before_during_after(africa):
    net, times, pairs = africa  # 20 steps of 30 s from 00:00
    sc = Scenario("SEACOM window").cut_fiber("SEACOM", start="2026-11-24T00:02Z",
                                             end="2026-11-24T00:05Z")
    table = compare_scenarios(net, [Scenario(), sc], times, pairs, routing="fiber_first")
    normal = table[table.scenario == "normal"]
    assert set(normal.period) == {"all"} and set(normal.period_steps) == {20}
    nbo = table[(table.scenario == "SEACOM window") & table.pair.str.startswith("Nairobi")]
    assert list(nbo.period) == ["before", "during", "after"]
    assert list(nbo.period_steps) == [4, 6, 10]
    before, during, after = (nbo.iloc[k] for k in range(3))
    assert before.rtt_median_ms == after.rtt_median_ms == before.normal_rtt_median_ms
    # Summarised over the outage alone, not diluted by the 14 normal steps around it.
    ds = run_scenario(net, times, pairs, sc, routing="fiber_first")
    rtt = ds.sel(pair=nbo.iloc[0].pair).rtt_ms.values
    assert during.rtt_median_ms == np.median(rtt[4:10]) > before.rtt_median_ms
    assert during.added_median_ms > 0 and before.added_max_ms == after.added_max_ms == 0
    unsplit = compare_scenarios(net, [sc], times, pairs, routing="fiber_first", split=False)
    assert "period" not in unsplit and len(unsplit) == 3
    assert unsplit.iloc[1].rtt_median_ms == np.median(rtt)


def test_scenario_periods_cover_the_window_once():
    from leolat.network.hybrid import scenario_periods

    times = TimeGrid.from_utc("2026-11-24T00:00Z", 600, 60)
    assert [p for p, _ in scenario_periods(Scenario().cut_fiber("X"), times)] == ["all"]
    two = (Scenario().cut_fiber("A", start="2026-11-24T00:01Z", end="2026-11-24T00:03Z")
           .cut_fiber("B", start="2026-11-24T00:06Z", end="2026-11-24T00:07Z"))
    periods = dict(scenario_periods(two, times))
    assert list(periods) == ["before", "during", "after"]
    np.testing.assert_array_equal(np.nonzero(periods["during"])[0], [1, 2, 6])
    np.testing.assert_array_equal(np.nonzero(periods["after"])[0], [3, 4, 5, 7, 8, 9])
    total = sum(m.astype(int) for m in periods.values())
    assert np.all(total == 1)
    late = Scenario().cut_fiber("A", start="2026-11-25T00:00Z")  # after the window
    assert [p for p, _ in scenario_periods(late, times)] == ["all"]


def test_with_an_operator_the_leo_medium_is_the_service_path(africa):
    from leolat import Operator, service_latency

    net, times, pairs = africa
    op = Operator.preset("starlink")
    cut = Scenario("West Africa cut").cut_fiber("WACS", start="2026-11-24T00:05Z") \
        .cut_fiber("MainOne", start="2026-11-24T00:05Z") \
        .cut_fiber("Equiano", start="2026-11-24T00:05Z")
    ds = run_scenario(net, times, pairs, cut, routing="fiber_first", operator=op)
    lagos = ds.sel(pair="Lagos, NG->aws:eu-central-1")
    assert set(lagos.medium.values[:10].tolist()) == {"fiber"}
    assert set(lagos.medium.values[10:].tolist()) == {"leo"}
    # The LEO medium is exactly the service latency to the office's PoP and on to the region.
    offices = net.sites[[0, 1, 2]]
    svc = service_latency(net.constellation, op, offices, times,
                          destinations=net.sites[[len(net.sites) - 1]], policy=net.policy,
                          service=net.service)
    np.testing.assert_array_equal(ds.leo_only_rtt_ms.values, svc.destination_rtt_ms.values[:, :, 0])
    np.testing.assert_array_equal(lagos.rtt_ms.values[10:], lagos.leo_only_rtt_ms.values[10:])
    assert np.all(ds.normal_rtt_ms.values == ds.fiber_only_rtt_ms.values[:1])  # fiber before
    table = compare_scenarios(net, [Scenario(), cut], times, pairs, routing="fiber_first",
                              operator=op)
    during = table[(table.scenario == "West Africa cut") & (table.period == "during")
                   & table.pair.str.startswith("Lagos")].iloc[0]
    assert during.pct_leo == 100.0 and during.reachable_pct == 100.0

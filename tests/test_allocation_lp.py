"""Flow allocation against an independent solver: every simple path enumerated by networkx,
the resource model re-derived from its definition, and linear programs solved here with
scipy's HiGHS in the path formulation (leolat's exact mode uses the arc formulation)."""

import networkx as nx
import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

import leolat
from leolat import Capacity, Constellation, Demand, LinkPolicy, Network, Sites, Terrestrial, TimeGrid
from leolat.network import allocation as al
from leolat.network import flow_graph as fg

T0 = "2026-12-01T00:00:00Z"


def _network(seed: int, with_sats: bool):
    rng = np.random.default_rng(seed)
    lat0, lon0 = 48.0, 8.0
    n = 6
    lat = lat0 + rng.uniform(-4, 4, n)
    lon = lon0 + rng.uniform(-6, 6, n)
    sites = Sites([f"S{i}" for i in range(3)], lat[:3], lon[:3])
    gws = Sites(["G0", "G1"], lat[3:5], lon[3:5])
    pops = Sites(["P0"], lat[5:], lon[5:])
    wan = Terrestrial.mesh(k=2, sites=sites, gateways=gws, pops=pops)
    c = (Constellation.walker(2, 4, 550, 53, epoch=T0, raan0_deg=float(rng.uniform(0, 360)))
         if with_sats else Constellation.walker(1, 1, 550, 0.0, epoch=T0, raan0_deg=200.0))
    net = Network(c, wan, LinkPolicy(min_elevation_deg=10))
    link_gbps = {str(nm): float(rng.uniform(1, 10)) for nm in wan.link_names}
    cap = Capacity(user_gbps=float(rng.uniform(2, 8)), isl_gbps=float(rng.uniform(2, 8)),
                   feeder_gbps_per_antenna=1.0, gateway_antennas=float(rng.integers(2, 6)),
                   link_gbps=link_gbps)
    demand = Demand(np.array(["S0", "S1", "S2", "S0"]), np.array(["P0", "P0", "G1", "S2"]),
                    rng.uniform(1, 12, 4))
    return net, cap, demand


def _resources_of(path_nodes, net, cap, link_of):
    """(name, capacity) of every resource a node path uses, from the documented model."""
    n_s = len(net.constellation)
    roles = net.terrestrial.roles
    names = net.sites.names
    out = []
    for a, b in zip(path_nodes[:-1], path_nodes[1:]):
        if a < n_s and b < n_s:
            out.append((("isl", a, b), cap.isl_gbps))
        elif a >= n_s and b >= n_s:
            key = link_of[(a, b)]
            out.append((("fiber", key, a, b), None))
        else:
            g, s, up = (a - n_s, b, True) if a >= n_s else (b - n_s, a, False)
            if roles[g] == "gateway":
                out.append((("feeder", g, up), cap.gateway_gbps(names[g])))
            else:
                out.append((("user", s, up), cap.user_gbps))
    return out


def _independent_paths(net, demand, t):
    """Every simple path per demand over the snapshot plus fiber (the highest-capacity
    parallel link between two nodes: here links are unique per pair)."""
    snap = net.snapshot(t)
    n_s = len(net.constellation)
    g = nx.DiGraph()
    for v in range(snap.n_nodes):
        for e in range(snap.indptr[v], snap.indptr[v + 1]):
            if snap.edge_kind[e] in ("isl", "gsl"):
                g.add_edge(v, int(snap.indices[e]))
    t_ = net.terrestrial
    link_of = {}
    for i in range(t_.n_links):
        a, b = int(t_.link_a[i]) + n_s, int(t_.link_b[i]) + n_s
        g.add_edge(a, b)
        g.add_edge(b, a)
        link_of[(a, b)] = link_of[(b, a)] = i
    index = {str(nm): k + n_s for k, nm in enumerate(net.sites.names)}
    relay = np.concatenate([np.ones(n_s, bool), net.relay])
    paths = []
    for d, (s, tt) in enumerate(zip(demand.source, demand.destination)):
        s, tt = index[s], index[tt]
        h = g.subgraph([v for v in g.nodes if relay[v] or v in (s, tt)])
        for p in nx.all_simple_paths(h, s, tt):
            paths.append((d, p))
    return paths, link_of


def _lp_data(paths, net, cap, link_of, n_d):
    res_index, caps, rows, cols = {}, [], [], []
    t_ = net.terrestrial
    for j, (_d, p) in enumerate(paths):
        for key, c in _resources_of(p, net, cap, link_of):
            if key not in res_index:
                if key[0] == "fiber":
                    c = cap.fiber_link_gbps(t_.link_names[key[1]])
                res_index[key] = len(caps)
                caps.append(c)
            rows.append(res_index[key])
            cols.append(j)
    a = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(caps), len(paths)))
    dem = csr_matrix((np.ones(len(paths)), ([d for d, _ in paths], np.arange(len(paths)))),
                     shape=(n_d, len(paths)))
    return a, dem, np.array(caps)


def _lp_max_throughput(a, dem, caps, request):
    out = linprog(-np.ones(a.shape[1]), A_ub=vstack([a, dem]), b_ub=np.concatenate([caps, request]),
                  bounds=(0, None), method="highs")
    assert out.status == 0
    return dem @ out.x


def _lp_max_min_fair(a, dem, caps, request, tol=1e-9):
    """Max-min fairness by the other classic method: after each level LP, test every free
    demand with its own LP (can it exceed the level while the others keep theirs?)."""
    n_d, n_p = dem.shape
    has = np.asarray(dem.sum(axis=1)).ravel() > 0
    level = np.zeros(n_d)
    frozen = ~has | (request <= tol)

    def solve(obj, extra_rows, extra_b):
        return linprog(obj, A_ub=vstack([a, dem] + extra_rows),
                       b_ub=np.concatenate([caps, request] + extra_b), bounds=(0, None),
                       method="highs")

    while not frozen.all():
        free = np.nonzero(~frozen)[0]
        fix = np.nonzero(frozen & has)[0]
        # variables: paths then t
        big_a = vstack([csr_matrix(np.hstack([a.toarray(), np.zeros((a.shape[0], 1))])),
                        csr_matrix(np.hstack([dem.toarray(), np.zeros((n_d, 1))])),
                        csr_matrix(np.hstack([-dem.toarray()[free], np.ones((free.size, 1))])),
                        csr_matrix(np.hstack([-dem.toarray()[fix], np.zeros((fix.size, 1))]))])
        b = np.concatenate([caps, request, np.zeros(free.size), -level[fix] * (1 - 1e-9)])
        c = np.zeros(n_p + 1)
        c[-1] = -1
        out = linprog(c, A_ub=big_a, b_ub=b, bounds=(0, None), method="highs")
        t = out.x[-1]
        for d in free:
            others = [f for f in free if f != d]
            rows = [-dem[others]] if others else []
            bs = [-np.full(len(others), t * (1 - 1e-9))] if others else []
            if fix.size:
                rows.append(-dem[fix])
                bs.append(-level[fix] * (1 - 1e-9))
            obj = -dem[d].toarray().ravel()
            best = -solve(obj, rows, bs).fun
            if best <= t + 1e-7 * max(1.0, t):
                level[d] = min(t, request[d])
                frozen[d] = True
    return level


@pytest.mark.parametrize("seed, sats", [(1, False), (2, False), (3, True), (4, True), (5, True)])
def test_exact_max_throughput_equals_the_path_lp(seed, sats):
    net, cap, demand = _network(seed, sats)
    grid = TimeGrid.from_utc(T0, 1, 1)
    ds = leolat.allocate(net, grid, demand, cap, objective="max_throughput", k_paths=None)
    paths, link_of = _independent_paths(net, demand, grid)
    a, dem, caps = _lp_data(paths, net, cap, link_of, len(demand))
    want = _lp_max_throughput(a, dem, caps, demand.gbps)
    got = ds.allocated_gbps.values[0]
    assert got.sum() == pytest.approx(want.sum(), rel=1e-6)
    if sats:
        assert ds.leo_gbps.values.sum() >= 0


@pytest.mark.parametrize("seed, sats", [(1, False), (3, True), (6, True)])
def test_exact_max_min_fair_equals_a_sequence_of_lps(seed, sats):
    net, cap, demand = _network(seed, sats)
    grid = TimeGrid.from_utc(T0, 1, 1)
    ds = leolat.allocate(net, grid, demand, cap, objective="max_min_fair", k_paths=None)
    paths, link_of = _independent_paths(net, demand, grid)
    a, dem, caps = _lp_data(paths, net, cap, link_of, len(demand))
    want = _lp_max_min_fair(a, dem, caps, demand.gbps)
    np.testing.assert_allclose(ds.allocated_gbps.values[0], want, rtol=1e-6, atol=1e-7)


def _our_paths(net, cap, demand, grid, k):
    st = fg.Resources(net, cap)
    n_l = net.terrestrial.n_links
    graph = fg.step_graph(net, st, cap, grid[0], np.zeros(n_l, bool), np.zeros(st.n_gs, bool),
                           np.zeros(st.n_sats, bool))
    src = al._nodes(net, demand.source, "source")
    dst = al._nodes(net, demand.destination, "destination")
    ptr, edges, dem = fg.diverse_paths(graph, net, src, dst, k, False)
    tail = np.repeat(np.arange(graph[0].size - 1), np.diff(graph[0]))
    paths = []
    for j in range(dem.size):
        e = edges[ptr[j]:ptr[j + 1]]
        paths.append((int(dem[j]), [int(tail[e[0]])] + [int(x) for x in graph[1][e]]))
    return paths


@pytest.mark.parametrize("objective", ["max_throughput", "max_min_fair"])
@pytest.mark.parametrize("k", [1, 3])
def test_k_paths_equal_the_lp_restricted_to_the_same_paths(objective, k):
    net, cap, demand = _network(3, True)
    grid = TimeGrid.from_utc(T0, 1, 1)
    ds = leolat.allocate(net, grid, demand, cap, objective=objective, k_paths=k)
    paths = _our_paths(net, cap, demand, grid, k)
    assert all(len(set(p)) == len(p) for _, p in paths)  # simple paths
    _, link_of = _independent_paths(net, demand, grid)
    a, dem, caps = _lp_data(paths, net, cap, link_of, len(demand))
    fn = _lp_max_throughput if objective == "max_throughput" else _lp_max_min_fair
    want = fn(a, dem, caps, demand.gbps)
    got = ds.allocated_gbps.values[0]
    if objective == "max_throughput":
        assert got.sum() == pytest.approx(want.sum(), rel=1e-6)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    # more paths never carry less
    full = leolat.allocate(net, grid, demand, cap, objective="max_throughput", k_paths=None)
    assert full.allocated_gbps.values.sum() >= got.sum() - 1e-6


@pytest.mark.parametrize("seed", [3, 4, 5, 8])
def test_per_path_fairness_equals_a_sequence_of_lps_over_paths(seed):
    net, cap, demand = _network(seed, True)
    grid = TimeGrid.from_utc(T0, 1, 1)
    ds = leolat.allocate(net, grid, demand, cap, objective="max_min_fair_paths", k_paths=3)
    paths = _our_paths(net, cap, demand, grid, 3)
    _, link_of = _independent_paths(net, demand, grid)
    a, dem, caps = _lp_data(paths, net, cap, link_of, len(demand))
    # each path is a flow of its own; a demand's paths share its request as one more bound
    n_p = len(paths)
    eye = csr_matrix((np.ones(n_p), (np.arange(n_p), np.arange(n_p))), shape=(n_p, n_p))
    rates = _lp_max_min_fair(vstack([a, dem]).tocsr(), eye, np.concatenate([caps, demand.gbps]),
                             np.full(n_p, 1e6))
    want = dem @ rates
    np.testing.assert_allclose(ds.allocated_gbps.values[0], want, rtol=1e-6, atol=1e-7)
    assert np.any(np.asarray(dem.sum(axis=1)).ravel() > 1)  # some demand has several paths

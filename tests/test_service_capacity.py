"""Capacity on the operator's service path, against LPs built here from the paths."""

import numpy as np
import pytest
from scipy.optimize import linprog

import leolat
from leolat import Capacity, CapacityError, Constellation, Operator, Sites, TimeGrid

T0 = "2026-12-01T00:00:00Z"


@pytest.fixture(scope="module")
def run():
    gen1 = Constellation.preset("starlink-gen1", epoch=T0)
    rng = np.random.default_rng(5)
    n = 40
    sites = Sites([f"T{i}" for i in range(n)], 6.5 + rng.uniform(-2, 2, n),
                  3.4 + rng.uniform(-2, 2, n), country=["NG"] * n)
    op = Operator.preset("starlink")
    ds = leolat.service_latency(gen1, op, sites, TimeGrid.from_utc(T0, 60, 15), with_paths=True)
    return op, sites, ds


def test_paths_run_from_the_serving_satellite_to_the_exit(run):
    _, _, ds = run
    p, hops = ds.path_sat.values, ds.isl_hops.values
    ok = hops >= 0
    assert ok.any()
    np.testing.assert_array_equal(p[..., 0][ok], ds.serving_sat.values[ok])
    lengths = (p >= 0).sum(axis=2)
    np.testing.assert_array_equal(lengths[ok], hops[ok] + 1)
    assert np.all(p[~ok] == -1)


def _independent(ds, op, cap, request, t):
    """Resources re-derived from the paths: the serving satellite's user downlink, each laser
    from the exit towards the serving satellite, the gateway's feeder uplink."""
    keys, rows, cols, caps = {}, [], [], []
    served = [j for j in range(ds.sizes["terminal"]) if ds.gateway.values[t, j] >= 0]
    ant = op.gateway_antennas
    for c, j in enumerate(served):
        p = [int(s) for s in ds.path_sat.values[t, j] if s >= 0]
        g = int(ds.gateway.values[t, j])
        need = [("u", p[0])] + [("i", a, b) for a, b in zip(p[1:], p[:-1])] + [("g", g)]
        for key in need:
            if key not in keys:
                keys[key] = len(caps)
                n_ant = ant[g] if key[0] == "g" and np.isfinite(ant[g]) else cap.gateway_antennas
                caps.append({"u": cap.user_gbps, "i": cap.isl_gbps,
                             "g": n_ant * cap.feeder_gbps_per_antenna}[key[0]])
            rows.append(keys[key])
            cols.append(c)
    a = np.zeros((len(caps), len(served)))
    a[rows, cols] = 1.0
    return served, a, np.array(caps), request[served]


def test_rates_equal_lps_built_from_the_paths(run):
    op, sites, ds = run
    cap = Capacity(user_gbps=5.0, isl_gbps=8.0, feeder_gbps_per_antenna=0.5)
    request = np.linspace(0.5, 4.0, len(sites))
    fair = leolat.service_capacity(ds, op, request, cap)
    most = leolat.service_capacity(ds, op, request, cap, objective="max_throughput")
    for t in range(ds.sizes["time"]):
        served, a, caps, req = _independent(ds, op, cap, request, t)
        n = len(served)
        out = linprog(-np.ones(n), A_ub=a, b_ub=caps, bounds=[(0, r) for r in req],
                      method="highs")
        assert most.allocated_gbps.values[t].sum() == pytest.approx(-out.fun, rel=1e-6)
        # max-min fairness by levels: raise every unfrozen rate together, freeze by LP tests
        level, frozen = np.zeros(n), np.zeros(n, bool)
        while not frozen.all():
            free = np.nonzero(~frozen)[0]
            c = np.zeros(n + 1)
            c[-1] = -1
            a_ub = np.hstack([a, np.zeros((a.shape[0], 1))])
            lvl = np.zeros((free.size, n + 1))
            lvl[np.arange(free.size), free] = -1
            lvl[:, -1] = 1
            bounds = [(level[i], level[i]) if frozen[i] else (0, req[i]) for i in range(n)]
            o = linprog(c, A_ub=np.vstack([a_ub, lvl]), b_ub=np.concatenate([caps, np.zeros(free.size)]),
                        bounds=bounds + [(0, None)], method="highs")
            tt = o.x[-1]
            for i in free:  # can i exceed tt while the other free ones keep tt?
                b2 = [(level[m], level[m]) if frozen[m] else ((tt, req[m]) if m != i else (0, req[m]))
                      for m in range(n)]
                cc = np.zeros(n)
                cc[i] = -1
                best = -linprog(cc, A_ub=a, b_ub=caps, bounds=b2, method="highs").fun
                if best <= tt + 1e-7:
                    level[i], frozen[i] = min(tt, req[i]), True
        np.testing.assert_allclose(fair.allocated_gbps.values[t, served], level, rtol=1e-6,
                                   atol=1e-7)
    assert np.nanmax(fair.util_max.values) <= 1 + 1e-9
    assert (fair.unmet_gbps.values > 1e-6).any()  # the capacities chosen do bind
    s = leolat.capacity_summary(fair)
    assert s.loc["total", "served_pct"] < 100


def test_bad_requests_are_named(run):
    op, sites, ds = run
    with pytest.raises(CapacityError, match="demand_gbps for terminal 'T0' must be a finite"):
        leolat.service_capacity(ds, op, -1.0)
    with pytest.raises(CapacityError, match="names 'T99', which is no terminal"):
        leolat.service_capacity(ds, op, {"T99": 1.0})
    with pytest.raises(CapacityError, match="with_paths=True"):
        leolat.service_capacity(ds.drop_vars("path_sat"), op, 1.0)
    with pytest.raises(CapacityError, match="objective must be"):
        leolat.service_capacity(ds, op, 1.0, objective="fair")

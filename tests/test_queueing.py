"""Latency under load: the M/M/1/K closed form against the birth-death chain solved here,
and the waits allocate adds."""

import numpy as np
import pytest

import leolat
from leolat import CapacityError
from leolat.network.queueing import mm1k_wait_ms

from .test_capacity import GRID, _demand, wan_net  # noqa: F401  (the shared network fixture)


def _chain_wait_ms(lam_gbps, cap_gbps, buffer_ms, bits=12000.0):
    """Mean wait from the stationary distribution of the M/M/1/K chain, p_n ~ rho^n."""
    k = max(int(np.floor(buffer_ms * 1e-3 * cap_gbps * 1e9 / bits)), 1)
    rho = lam_gbps / cap_gbps
    logp = np.arange(k + 1) * np.log(rho)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    n_sys = (np.arange(k + 1) * p).sum()
    lam_eff = lam_gbps * (1 - p[-1]) * 1e9 / bits  # packets per second
    return (n_sys / lam_eff - bits / (cap_gbps * 1e9)) * 1e3


@pytest.mark.parametrize("lam, cap, buf", [(0.5, 1.0, 1.0), (0.99, 1.0, 2.0), (1.0, 1.0, 2.0),
                                           (1.5, 1.0, 1.0), (19.9, 20.0, 0.5), (30.0, 20.0, 5.0),
                                           (0.001, 100.0, 10.0)])
def test_the_closed_form_equals_the_chain(lam, cap, buf):
    assert mm1k_wait_ms(lam, cap, buf) == pytest.approx(_chain_wait_ms(lam, cap, buf), rel=1e-9,
                                                        abs=1e-12)


def test_waits_grow_with_load_and_saturate_at_half_the_buffer():
    load = np.linspace(0, 3, 301)
    w = mm1k_wait_ms(load, 1.0, 4.0)
    assert w[0] == 0 and np.all(np.diff(w) >= -1e-12)
    # at rho = 1 a packet waits behind (K - 1) / 2 others: K = 333 packets of 12 µs at 1 Gbps
    assert mm1k_wait_ms(1.0, 1.0, 4.0) == pytest.approx(332 / 2 * 0.012, rel=1e-9)
    assert w[-1] < 4.0  # never more than the buffer
    assert np.isnan(mm1k_wait_ms(1.0, 0.0, 4.0))
    with pytest.raises(CapacityError, match="buffer_ms must be a finite time > 0"):
        mm1k_wait_ms(1.0, 1.0, 0.0)


def test_allocate_reports_the_wait_of_the_loaded_paths(wan_net):  # noqa: F811
    west = leolat.Scenario("w").cut_fiber("WACS").cut_fiber("MainOne").cut_fiber("Equiano")
    light = leolat.allocate(wan_net, GRID, _demand(1, 1), routing="fiber_first",
                            queue_buffer_ms=20.0)
    heavy = leolat.allocate(wan_net, GRID, _demand(60, 1), routing="fiber_first",
                            scenario=west, queue_buffer_ms=20.0)
    np.testing.assert_allclose(light.rtt_loaded_ms, light.rtt_ms + light.queue_ms)
    assert float(light.queue_ms.max()) < 0.01  # 1 Gbps on 100-Gbps links: microseconds
    lagos = heavy.sel(demand="Lagos, NG->aws:eu-central-1")
    # its LEO paths cross full user beams: at least half a 20-ms buffer of wait
    assert float(lagos.queue_ms.min()) >= 9.9
    assert float(lagos.rtt_loaded_ms.min()) > float(lagos.rtt_ms.min()) + 9.9
    with pytest.raises(CapacityError, match="buffer_ms must be a finite time"):
        leolat.allocate(wan_net, GRID, _demand(1, 1), queue_buffer_ms=-5)

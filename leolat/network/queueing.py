"""Queueing delay under load: each resource as an M/M/1/K queue.

A link of capacity C Gbps with a buffer of ``buffer_ms`` holds K = buffer_ms x C / (packet
bits) packets. With Poisson arrivals at the allocated rate and exponential packet times (the
M/M/1/K model), the mean time a packet waits before being sent is

    Wq = L / lambda_eff - 1 / mu,
    L = rho / (1 - rho) - (K + 1) rho^(K+1) / (1 - rho^(K+1))   (rho != 1; K / 2 at rho = 1),
    lambda_eff = lambda (1 - P_K),  P_K = (1 - rho) rho^K / (1 - rho^(K+1)),

with rho = load / C and mu = C / packet bits. Limits, said plainly: real traffic is burstier
than Poisson, and TCP fills a bottleneck's buffer rather than leaving it half full as this
model does at rho = 1 (a saturated link here waits buffer_ms / 2; a bufferbloated one waits up
to buffer_ms). The answer is a mean, not a tail.
"""

from __future__ import annotations

import numpy as np

from ..base.errors import CapacityError
from ..base.types import ArrayLike

__all__ = ["mm1k_wait_ms", "PACKET_BYTES"]

PACKET_BYTES = 1500  # an Ethernet MTU


def mm1k_wait_ms(load_gbps: ArrayLike, capacity_gbps: ArrayLike, buffer_ms: float, *,
                 packet_bytes: float = PACKET_BYTES) -> np.ndarray:
    """Mean queueing wait (ms, before transmission) of an M/M/1/K queue per resource.

    Parameters
    ----------
    load_gbps, capacity_gbps : array_like, broadcast together
        Offered rate and service rate. Zero capacity: NaN (nothing is served).
    buffer_ms : float
        Buffer size as drain time at full rate; K = buffer_ms x C / packet bits, at least 1.
    """
    if not (np.isfinite(buffer_ms) and buffer_ms > 0):
        raise CapacityError(f"buffer_ms must be a finite time > 0 ms, got {buffer_ms!r}")
    lam, cap = np.broadcast_arrays(np.asarray(load_gbps, float), np.asarray(capacity_gbps, float))
    bits = packet_bytes * 8.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = np.maximum(np.floor(buffer_ms * 1e-3 * cap * 1e9 / bits), 1.0)
        rho = lam / cap
        service_ms = bits / (cap * 1e9) * 1e3
        # rho^(K+1) and rho^K through logs: K reaches millions on fast links
        log_r = np.log(np.maximum(rho, 1e-300))
        rk1 = np.exp(np.minimum((k + 1) * log_r, 700.0))
        rk = np.exp(np.minimum(k * log_r, 700.0))
        near_one = np.abs(rho - 1.0) < 1e-9
        big = rho > 1.0 + 1e-9
        # rho > 1: rewrite with s = 1 / rho so that powers shrink instead of overflowing
        s = np.where(big, 1.0 / np.maximum(rho, 1e-300), 0.0)
        sk1 = np.exp((k + 1) * np.log(np.maximum(s, 1e-300)))
        l_small = rho / (1 - rho) - (k + 1) * rk1 / (1 - rk1)
        l_big = rho / (1 - rho) + (k + 1) / (1 - sk1)  # the same formula, divided through
        n_sys = np.where(near_one, k / 2.0, np.where(big, l_big, l_small))
        p_full = np.where(near_one, 1.0 / (k + 1),
                          np.where(big, (1 - s) / (1 - sk1), (1 - rho) * rk / (1 - rk1)))
        lam_eff = lam * (1 - p_full)
        wait = np.where(lam_eff > 0, n_sys / lam_eff * bits / 1e9 * 1e3 - service_ms, 0.0)
    out = np.where(cap > 0, np.maximum(wait, 0.0), np.nan)
    return np.where(lam <= 0, 0.0, out)

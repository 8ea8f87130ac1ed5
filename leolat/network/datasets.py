"""The labelled Dataset of routed paths: per (time, pair) delay, length, hops and path
changes; per pair the geodesic, the vacuum and ideal-fiber bounds and the terrestrial
estimate (:mod:`leolat.ground.baseline`), with the network's provenance as attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..base.constants import FIBER_REFRACTIVE_INDEX, SPEED_OF_LIGHT_KM_S
from ..ground.baseline import fiber_bound_rtt_ms, rtt_model, terrestrial_rtt_ms
from ..ground.fiber import geodesic_km
from .pairs import pair_labels
from .summary import register_accessor

if TYPE_CHECKING:
    import xarray as xr

    from .routes import Routes
    from .routing import Network

__all__ = ["routes_dataset"]


def pair_constants(network: Network, src: np.ndarray, dst: np.ndarray) -> dict[str, Any]:
    """Per pair ``src[p] -> dst[p]`` (station indices): ``geodesic_km``, ``fiber_rtt_ms``,
    ``fiber_rtt_source`` and ``label``, remembered on the network for the last pair set
    (for 499,500 pairs they cost about as much as routing a snapshot)."""
    key = np.stack([src, dst]).astype(np.int64).tobytes()
    cached = network._pair_constants
    if cached is not None and cached[0] == key:
        return cached[1]
    gs = network.sites
    ends = (gs.lat_deg[src], gs.lon_deg[src], gs.lat_deg[dst], gs.lon_deg[dst])
    geo_km = geodesic_km(*ends)
    rtt, source = terrestrial_rtt_ms(*ends, geodesic_km=geo_km)
    import pandas as pd

    # An object index (immutable, so shared): pandas would otherwise convert every label to
    # its string dtype, which takes longer than the routing of a snapshot.
    out = {"geodesic_km": geo_km, "fiber_rtt_ms": rtt, "fiber_rtt_source": source,
           "label": pd.Index(pair_labels(gs, src, dst), dtype=object, name="pair")}
    network._pair_constants = (key, out)
    return out


def _strings(values: np.ndarray) -> xr.Variable:
    """A (pair,) Variable of Python strings as they are: xarray would otherwise pass every
    object array through pandas to look for dates (0.9 s for 499,500 labels)."""
    import xarray as xr

    try:
        return xr.Variable(("pair",), values, fastpath=True)
    except TypeError:  # an xarray without the fast path: the checked way
        return xr.Variable(("pair",), values)


def routes_dataset(network: Network, routes: Routes) -> xr.Dataset:
    """The labelled (time, pair) Dataset of ``routes`` on ``network`` (a grid where no pair
    connects is a Dataset of NaN, not an error).

    Returns
    -------
    xarray.Dataset
        dims (time, pair): ``one_way_ms``, ``rtt_ms``, ``distance_km``, ``hops``,
        ``isl_hops``, ``first_sat``, ``last_sat``, ``path_change``; per pair:
        ``geodesic_km``, ``vacuum_rtt_ms``, ``fiber_bound_rtt_ms``, ``fiber_rtt_ms``,
        ``fiber_rtt_source``, ``path_changes``.
    """
    import xarray as xr

    register_accessor()
    c = SPEED_OF_LIGHT_KM_S
    src, dst = routes.source, routes.destination
    one_way = routes.one_way_ms
    gs = network.sites
    pc = pair_constants(network, src, dst)
    geo_km = pc["geodesic_km"].copy()  # each Dataset owns its arrays
    first, last, hops = routes.first_sat, routes.last_sat, routes.hops
    change = np.zeros(one_way.shape, dtype=bool)
    change[1:] = (first[1:] != first[:-1]) | (last[1:] != last[:-1]) | (hops[1:] != hops[:-1])
    tp = ("time", "pair")
    ds = xr.Dataset(
        {
            "one_way_ms": (tp, one_way),
            "rtt_ms": (tp, 2.0 * one_way),
            "distance_km": (tp, routes.distance_km),
            "hops": (tp, hops),
            "isl_hops": (tp, routes.isl_hops),
            "first_sat": (tp, first),
            "last_sat": (tp, last),
            "path_change": (tp, change),
            "geodesic_km": (("pair",), geo_km),
            "vacuum_rtt_ms": (("pair",), 2.0 * geo_km / c * 1e3),
            "fiber_bound_rtt_ms": (("pair",), fiber_bound_rtt_ms(geo_km)),
            "fiber_rtt_ms": (("pair",), pc["fiber_rtt_ms"].copy()),
            "fiber_rtt_source": _strings(pc["fiber_rtt_source"].copy()),
            "path_changes": (("pair",), change.sum(axis=0)),
        },
        coords={"time": routes.times.utc, "pair": pc["label"],
                "source": (("pair",), gs.names[src]),
                "destination": (("pair",), gs.names[dst])},
        attrs={"constellation": network.constellation.source,
               "n_satellites": len(network.constellation), "speed_of_light_km_s": c,
               "propagation_backend": network.backend, "ut1_utc": int(network.ut1_utc),
               **network.policy.as_attrs()},
    )
    for k in ("one_way_ms", "rtt_ms", "vacuum_rtt_ms", "fiber_bound_rtt_ms", "fiber_rtt_ms"):
        ds[k].attrs["units"] = "ms"
    for k in ("distance_km", "geodesic_km"):
        ds[k].attrs["units"] = "km"
    ds["distance_km"].attrs["long_name"] = "light-travel length (one-way delay × c)"
    ds["vacuum_rtt_ms"].attrs["long_name"] = "vacuum bound: the geodesic there and back at c"
    ds["fiber_bound_rtt_ms"].attrs["long_name"] = (
        "ideal fiber bound: the geodesic there and back at c / n (physics, no assumption)")
    ds["fiber_rtt_ms"].attrs["long_name"] = (
        "terrestrial estimate: a published measurement where one covers the pair, else the "
        "model calibrated on them (fiber_rtt_source says which)")
    m = rtt_model()
    ds.attrs.update(fiber_refractive_index=FIBER_REFRACTIVE_INDEX,
                    fiber_rtt_model=(f"overhead {m.overhead_ms:g} ms + regional stretch "
                                     f"(kernel {m.kernel_km:g} km) x fiber bound; "
                                     f"leave-one-out median error {m.loo_median_abs_ms:.1f} ms "
                                     f"over {m.n_rows} measured round trips"))
    return ds

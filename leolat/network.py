"""Network: snapshot graphs of ground-satellite and inter-satellite links, shortest paths,
and latency time series between places.

Per time step the numba kernel builds a CSR graph (satellites, then ground
stations), runs Dijkstra from each source station that a pair needs, and keeps
each pair's distance, hop counts and first/last satellite. Propagation streams
over time chunks, so long grids run in bounded memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._kernels import graph as _kg
from .constants import SPEED_OF_LIGHT_KM_S, WGS84_A_KM
from .errors import LeolatError
from .links import LinkPolicy, PolicyError, isl_topology
from .sites import Sites, site_frames
from .time import TimeGrid

__all__ = ["Network", "Snapshot", "latency_summary", "FIBER_REFRACTIVE_INDEX"]

# Group index of standard single-mode fibre at 1550 nm (ITU-T G.652: ~1.468).
FIBER_REFRACTIVE_INDEX = 1.468


@dataclass(frozen=True)
class Snapshot:
    """One time step's graph in CSR form.

    Attributes
    ----------
    indptr : (n_nodes + 1,) int64
    indices : (n_edges_directed,) int64
    length_km : (n_edges_directed,) float64
    node_kind : (n_nodes,) str — ``"satellite"`` or ``"ground"``
    node_names : (n_nodes,) str
    """

    indptr: np.ndarray
    indices: np.ndarray
    length_km: np.ndarray
    node_kind: np.ndarray
    node_names: np.ndarray

    @property
    def n_nodes(self) -> int:
        return self.indptr.size - 1

    def to_networkx(self):
        """An undirected ``networkx.Graph`` with ``length_km`` edge attributes."""
        import networkx as nx

        g = nx.Graph()
        for v in range(self.n_nodes):
            g.add_node(v, kind=str(self.node_kind[v]), name=str(self.node_names[v]))
        for v in range(self.n_nodes):
            for e in range(self.indptr[v], self.indptr[v + 1]):
                g.add_edge(v, int(self.indices[e]), length_km=float(self.length_km[e]))
        return g

    def to_scipy(self):
        """A ``scipy.sparse.csr_matrix`` of lengths (km)."""
        from scipy.sparse import csr_matrix

        return csr_matrix((self.length_km, self.indices, self.indptr), shape=(self.n_nodes,) * 2)


class Network:
    """A constellation, ground stations and a link policy.

    Parameters
    ----------
    constellation : Constellation
    ground_stations : Sites
    policy : LinkPolicy
    backend : str
        Propagation backend (``"numba"``, ``"numba-approx"``, ``"sgp4"``).
    ut1_utc : bool
        Earth orientation in TEME -> ITRF (Hypatia uses UT1 = UTC: pass False to match it).
    """

    def __init__(self, constellation, ground_stations: Sites, policy: LinkPolicy = LinkPolicy(), *,
                 backend: str = "numba", ut1_utc: bool = True):
        if not isinstance(ground_stations, Sites):
            raise LeolatError(f"ground_stations must be a leolat.Sites, got {type(ground_stations).__name__}")
        if not isinstance(policy, LinkPolicy):
            raise LeolatError(f"policy must be a leolat.LinkPolicy, got {type(policy).__name__}")
        self.constellation = constellation
        self.ground_stations = ground_stations
        self.policy = policy
        self.backend = backend
        self.ut1_utc = ut1_utc
        self.isl_a, self.isl_b, self.isl_cross = isl_topology(constellation, policy)
        self._gs = site_frames(ground_stations)

    # ----------------------------------------------------------------- helpers
    def _kernel_args(self):
        p = self.policy
        return (self.isl_a.astype(np.int64), self.isl_b.astype(np.int64), self.isl_cross,
                float(p.max_isl_range_km), WGS84_A_KM + float(p.grazing_altitude_km),
                float(p.isl_latitude_cutoff_deg),
                -90.0 if p.min_elevation_deg is None else float(p.min_elevation_deg),
                np.inf if p.max_gsl_range_km is None else float(p.max_gsl_range_km),
                p.gsl_rank == "range", int(p.gsl_per_station), int(p.gsl_per_satellite))

    def resolve_pairs(self, pairs) -> tuple[np.ndarray, np.ndarray]:
        """(source, destination) ground-station indices from names, index pairs or "all"."""
        n = len(self.ground_stations)
        if isinstance(pairs, str):
            if pairs != "all":
                raise LeolatError(f"pairs must be 'all', names or index pairs, got {pairs!r}")
            i, j = np.triu_indices(n, k=1)
            return i.astype(np.int64), j.astype(np.int64)
        src, dst = [], []
        for k, pair in enumerate(pairs):
            if len(pair) != 2:
                raise LeolatError(f"pairs[{k}] must be (source, destination), got {pair!r}")
            ends = []
            for end in pair:
                if isinstance(end, (int, np.integer)):
                    if not 0 <= int(end) < n:
                        raise LeolatError(f"pairs[{k}]: station index {end} is outside 0..{n - 1}")
                    ends.append(int(end))
                else:
                    ends.append(self.ground_stations.index(str(end)))
            if ends[0] == ends[1]:
                raise LeolatError(f"pairs[{k}]: source and destination are the same station")
            src.append(ends[0])
            dst.append(ends[1])
        if not src:
            raise LeolatError("no pairs given")
        return np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)

    # ----------------------------------------------------------------- snapshot
    def snapshot(self, t) -> Snapshot:
        """The graph at one instant (a TimeGrid of one, or anything TimeGrid accepts)."""
        times = t if isinstance(t, TimeGrid) else TimeGrid.from_datetimes([t])
        if len(times) != 1:
            raise LeolatError(f"snapshot() takes one instant, got {len(times)}")
        eph = self.constellation.propagate(times, backend=self.backend, ut1_utc=self.ut1_utc,
                                           positions_only=True)
        r = np.ascontiguousarray(eph.r_itrf_km[0])
        n_sats, n_gs = r.shape[0], self._gs.shape[0]
        max_edges = self.isl_a.size + n_gs * n_sats
        ea = np.empty(max_edges, np.int64)
        eb = np.empty(max_edges, np.int64)
        elen = np.empty(max_edges)
        ekind = np.empty(max_edges, np.int8)
        sg, ss = np.empty(n_gs * n_sats, np.int64), np.empty(n_gs * n_sats, np.int64)
        sl, sm = np.empty(n_gs * n_sats), np.empty(n_gs * n_sats)
        keep = np.empty(n_gs * n_sats, np.bool_)
        (ia, ib, icross, max_isl, min_rad, lat_cut, min_el, max_gsl, by_range, per_gs,
         per_sat) = self._kernel_args()
        m = _kg.snapshot_edges(r, self._gs, ia, ib, icross, max_isl, min_rad, lat_cut, min_el,
                               max_gsl, by_range, per_gs, per_sat, ea, eb, elen, ekind, sg, ss, sl,
                               sm, keep)
        n_nodes = n_sats + n_gs
        indptr = np.empty(n_nodes + 1, np.int64)
        indices = np.empty(2 * m, np.int64)
        weights = np.empty(2 * m)
        _kg.build_csr(n_nodes, ea, eb, elen, m, indptr, indices, weights)
        kinds = np.array(["satellite"] * n_sats + ["ground"] * n_gs)
        names = np.concatenate([self.constellation.names, self.ground_stations.names])
        return Snapshot(indptr, indices, weights, kinds, names)

    # ----------------------------------------------------------------- routing
    def _route(self, times: TimeGrid, src, dst, memory_budget_mb: float):
        sources, slot = np.unique(src, return_inverse=True)
        order = np.argsort(slot, kind="stable")
        pairs_ptr = np.concatenate([[0], np.cumsum(np.bincount(slot, minlength=sources.size))])
        n_t, n_p = len(times), src.size
        dist = np.empty((n_t, n_p))
        hops = np.empty((n_t, n_p), np.int32)
        isl_hops = np.empty((n_t, n_p), np.int32)
        first = np.empty((n_t, n_p), np.int64)
        last = np.empty((n_t, n_p), np.int64)
        start = 0
        args = self._kernel_args()
        import numba

        for eph in self.constellation.propagate_chunks(times, backend=self.backend,
                                                       ut1_utc=self.ut1_utc, positions_only=True,
                                                       memory_budget_mb=memory_budget_mb):
            sl = slice(start, start + eph.n_times)
            # A few blocks per thread balance the load; each block allocates once.
            n_blocks = min(eph.n_times, 4 * numba.get_num_threads())
            _kg.route_steps(eph.r_itrf_km, self._gs, *args, bool(self.policy.ground_relay),
                            sources.astype(np.int64), pairs_ptr.astype(np.int64),
                            order.astype(np.int64), dst, n_blocks,
                            dist[sl], hops[sl], isl_hops[sl], first[sl], last[sl])
            start += eph.n_times
        return dist, hops, isl_hops, first, last

    def latency(self, times: TimeGrid, pairs="all", *, fiber_stretch: float = 1.5,
                memory_budget_mb: float = 512.0):
        """Latency time series between ground stations.

        Parameters
        ----------
        times : TimeGrid
        pairs : "all", sequence of (name, name) or (index, index)
        fiber_stretch : float
            Route length over geodesic for the fiber baseline (1.5: a common
            planning figure for long-haul routes; see docs/network.md).
        memory_budget_mb : float
            Peak memory of one propagation chunk.

        Returns
        -------
        xarray.Dataset
            dims (time, pair): ``one_way_ms``, ``rtt_ms``, ``distance_km``, ``hops``,
            ``isl_hops``, ``first_sat``, ``last_sat`` (-1 when unreachable),
            ``path_change`` (the first or last satellite, or the hop count, changed
            since the previous step); per pair: ``source``, ``destination``,
            ``geodesic_km``, ``vacuum_rtt_ms``, ``fiber_rtt_ms``, ``path_changes``.
            NaN where no path exists.
        """
        import xarray as xr
        from pyproj import Geod

        _register_accessor()
        src, dst = self.resolve_pairs(pairs)
        dist, hops, isl_hops, first, last = self._route(times, src, dst, memory_budget_mb)
        if np.all(np.isnan(dist)):
            raise PolicyError(
                "no pair is connected at any time: the policy allows no usable path (check "
                "min_elevation_deg / max_gsl_range_km against the constellation's altitude, "
                "max_isl_range_km against its spacing)")
        c = SPEED_OF_LIGHT_KM_S
        one_way = dist * (1e3 / c)  # NaN where unreachable
        if self.policy.processing_delay_ms:
            one_way += hops * self.policy.processing_delay_ms
        gs = self.ground_stations
        geod = Geod(ellps="WGS84")
        _, _, geo_m = geod.inv(gs.lon_deg[src], gs.lat_deg[src], gs.lon_deg[dst], gs.lat_deg[dst])
        geo_km = np.asarray(geo_m) / 1e3
        change = np.zeros(dist.shape, dtype=bool)
        change[1:] = (first[1:] != first[:-1]) | (last[1:] != last[:-1]) | (hops[1:] != hops[:-1])
        label = [f"{gs.names[a]}->{gs.names[b]}" for a, b in zip(src, dst)]
        ds = xr.Dataset(
            {
                "one_way_ms": (("time", "pair"), one_way),
                "rtt_ms": (("time", "pair"), 2.0 * one_way),
                "distance_km": (("time", "pair"), dist),
                "hops": (("time", "pair"), hops),
                "isl_hops": (("time", "pair"), isl_hops),
                "first_sat": (("time", "pair"), first),
                "last_sat": (("time", "pair"), last),
                "path_change": (("time", "pair"), change),
                "geodesic_km": (("pair",), geo_km),
                "vacuum_rtt_ms": (("pair",), 2.0 * geo_km / c * 1e3),
                "fiber_rtt_ms": (("pair",), 2.0 * geo_km * fiber_stretch / (c / FIBER_REFRACTIVE_INDEX) * 1e3),
                "path_changes": (("pair",), change.sum(axis=0)),
            },
            coords={"time": times.utc, "pair": label,
                    "source": (("pair",), gs.names[src]), "destination": (("pair",), gs.names[dst])},
            attrs={"constellation": self.constellation.source, "n_satellites": len(self.constellation),
                   "speed_of_light_km_s": c, "fiber_refractive_index": FIBER_REFRACTIVE_INDEX,
                   "fiber_stretch": fiber_stretch, "propagation_backend": self.backend,
                   "ut1_utc": int(self.ut1_utc), **self.policy.as_attrs()},
        )
        units = {"one_way_ms": "ms", "rtt_ms": "ms", "distance_km": "km", "geodesic_km": "km",
                 "vacuum_rtt_ms": "ms", "fiber_rtt_ms": "ms"}
        for k, u in units.items():
            ds[k].attrs["units"] = u
        return ds

    def paths(self, times: TimeGrid, pairs="all") -> dict:
        """Full node paths: {(time index, pair label): array of node ids} (empty if none).

        Node ids: satellites 0..n_sats-1, then ground stations n_sats + station index.
        """
        src, dst = self.resolve_pairs(pairs)
        gs = self.ground_stations
        n_sats = len(self.constellation)
        out = {}
        for ti in range(len(times)):
            snap = self.snapshot(times[ti])
            dist = np.empty(snap.n_nodes)
            pred = np.empty(snap.n_nodes, np.int64)
            heap_d = np.empty(snap.indices.size + 1)
            heap_v = np.empty(snap.indices.size + 1, np.int64)
            for s_gs in np.unique(src):
                source = n_sats + int(s_gs)
                _kg.dijkstra(snap.indptr, snap.indices, snap.length_km, n_sats, source,
                             bool(self.policy.ground_relay), dist, pred, heap_d, heap_v)
                for a, b in zip(src, dst):
                    if a == s_gs:
                        out[(ti, f"{gs.names[a]}->{gs.names[b]}")] = _kg.path_nodes(pred, source, n_sats + int(b))
        return out


_ACCESSOR_REGISTERED = False


def _register_accessor():
    """``ds.leolat.summary()`` on latency datasets, registered on first use so that
    ``import leolat`` does not pay for importing xarray."""
    global _ACCESSOR_REGISTERED
    if _ACCESSOR_REGISTERED:
        return
    _ACCESSOR_REGISTERED = True
    import xarray as xr

    @xr.register_dataset_accessor("leolat")
    class _LeolatAccessor:
        def __init__(self, ds):
            self._ds = ds

        def summary(self):
            """Per-pair RTT statistics; see :func:`latency_summary`."""
            return latency_summary(self._ds)


def latency_summary(ds):
    """Per-pair statistics of ``rtt_ms``: min, median, p95, max, jitter (std of step changes),
    reachable fraction, and the baselines, as an xarray.Dataset indexed by pair."""
    import xarray as xr

    rtt = ds["rtt_ms"]
    jitter = rtt.diff("time").std("time")
    return xr.Dataset({
        "rtt_min_ms": rtt.min("time"), "rtt_median_ms": rtt.median("time"),
        "rtt_p95_ms": rtt.quantile(0.95, "time").drop_vars("quantile"),
        "rtt_max_ms": rtt.max("time"), "jitter_ms": jitter,
        "reachable": rtt.notnull().mean("time"),
        "path_changes": ds["path_changes"], "vacuum_rtt_ms": ds["vacuum_rtt_ms"],
        "fiber_rtt_ms": ds["fiber_rtt_ms"],
    })


"""Network: snapshot graphs of ground-satellite, inter-satellite and fiber links, shortest
paths, and latency time series between places.

Per time step the numba kernel builds a CSR graph (satellites, then ground
nodes), runs Dijkstra from each source node that a pair needs, and keeps each
pair's distance, hop counts by link kind and first/last satellite. Propagation
streams over time chunks, so long grids run in bounded memory. With a
:class:`~leolat.terrestrial.Terrestrial` as the ground, fiber links join the graph
(hybrid routing: see :mod:`leolat.hybrid`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._kernels import graph as _kg
from .constants import FIBER_REFRACTIVE_INDEX, SPEED_OF_LIGHT_KM_S, WGS84_A_KM
from .errors import LeolatError
from .links import LinkPolicy, PolicyError, isl_topology
from .sites import Sites, site_frames
from .terrestrial import Terrestrial
from .time import TimeGrid

__all__ = ["Network", "Snapshot", "latency_summary", "FIBER_REFRACTIVE_INDEX"]

_EDGE_KIND_NAMES = np.array(["isl", "gsl", "fiber", "access"])


@dataclass(frozen=True)
class Snapshot:
    """One time step's graph in CSR form.

    Attributes
    ----------
    indptr : (n_nodes + 1,) int64
    indices : (n_edges_directed,) int64
    length_km : (n_edges_directed,) float64
        Light-travel length: one-way delay × c (for fiber, route length × refractive index).
    edge_kind : (n_edges_directed,) str — ``"isl"``, ``"gsl"``, ``"fiber"`` or ``"access"``
    node_kind : (n_nodes,) str — ``"satellite"``, or the ground role (``"ground"``,
        ``"site"``, ``"gateway"``, ``"pop"``, ``"cloud"``)
    node_names : (n_nodes,) str
    """

    indptr: np.ndarray
    indices: np.ndarray
    length_km: np.ndarray
    edge_kind: np.ndarray
    node_kind: np.ndarray
    node_names: np.ndarray

    @property
    def n_nodes(self) -> int:
        return self.indptr.size - 1

    def to_networkx(self):
        """An undirected ``networkx.Graph`` with ``length_km`` and ``kind`` edge attributes
        (of parallel fiber links, the shortest)."""
        import networkx as nx

        g = nx.Graph()
        for v in range(self.n_nodes):
            g.add_node(v, kind=str(self.node_kind[v]), name=str(self.node_names[v]))
        for v in range(self.n_nodes):
            for e in range(self.indptr[v], self.indptr[v + 1]):
                w = int(self.indices[e])
                if g.has_edge(v, w) and g[v][w]["length_km"] <= self.length_km[e]:
                    continue
                g.add_edge(v, w, length_km=float(self.length_km[e]),
                           kind=str(self.edge_kind[e]))
        return g

    def to_scipy(self):
        """A ``scipy.sparse.csr_matrix`` of lengths (km)."""
        from scipy.sparse import csr_matrix

        return csr_matrix((self.length_km, self.indices, self.indptr), shape=(self.n_nodes,) * 2)


class Network:
    """A constellation, ground stations (or a terrestrial network) and a link policy.

    Parameters
    ----------
    constellation : Constellation
    ground_stations : Sites or Terrestrial
        Ground stations (all may have GSLs; they relay only if the policy says so),
        or a :class:`~leolat.terrestrial.Terrestrial`: its nodes become the ground
        stations, sites and gateways may have GSLs, gateways, PoPs and cloud regions
        forward traffic, and its fiber links join every snapshot.
    policy : LinkPolicy
    backend : str
        Propagation backend (``"numba"``, ``"numba-approx"``, ``"sgp4"``).
    ut1_utc : bool
        Earth orientation in TEME -> ITRF (Hypatia uses UT1 = UTC: pass False to match it).
    """

    def __init__(self, constellation, ground_stations: Sites | Terrestrial,
                 policy: LinkPolicy = LinkPolicy(), *, backend: str = "numba", ut1_utc: bool = True):
        if not isinstance(policy, LinkPolicy):
            raise LeolatError(f"policy must be a leolat.LinkPolicy, got {type(policy).__name__}")
        if isinstance(ground_stations, Terrestrial):
            t = ground_stations
            self.terrestrial = t
            ground_stations = t.nodes
            self._gsl_ok = t.gsl_capable
            self._relay = (t.roles != "site") | bool(policy.ground_relay)
            self._fib_a, self._fib_b = t.link_a.astype(np.int64), t.link_b.astype(np.int64)
            # Dijkstra weights are one-way delay × c, so fiber adds its light-km.
            self._fib_len = t.latency_ms * (SPEED_OF_LIGHT_KM_S / 1e3)
            self._fib_kind = np.where(t.link_kind == "access", _kg.KIND_ACCESS,
                                      _kg.KIND_BACKBONE).astype(np.int8)
        elif isinstance(ground_stations, Sites):
            self.terrestrial = None
            n = len(ground_stations)
            self._gsl_ok = np.ones(n, dtype=bool)
            self._relay = np.full(n, bool(policy.ground_relay))
            self._fib_a = self._fib_b = np.empty(0, np.int64)
            self._fib_len = np.empty(0)
            self._fib_kind = np.empty(0, np.int8)
        else:
            raise LeolatError(f"ground_stations must be a leolat.Sites or leolat.Terrestrial, got "
                              f"{type(ground_stations).__name__}")
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
        """The graph at one instant (a TimeGrid of one, or anything TimeGrid accepts),
        with every fiber link up and GSLs at every node that may have them."""
        times = t if isinstance(t, TimeGrid) else TimeGrid.from_datetimes([t])
        if len(times) != 1:
            raise LeolatError(f"snapshot() takes one instant, got {len(times)}")
        eph = self.constellation.propagate(times, backend=self.backend, ut1_utc=self.ut1_utc,
                                           positions_only=True)
        r = np.ascontiguousarray(eph.r_itrf_km[0])
        n_sats, n_gs = r.shape[0], self._gs.shape[0]
        max_edges = self.isl_a.size + n_gs * n_sats + self._fib_a.size
        ea = np.empty(max_edges, np.int64)
        eb = np.empty(max_edges, np.int64)
        elen = np.empty(max_edges)
        ekind = np.empty(max_edges, np.int8)
        sg, ss = np.empty(n_gs * n_sats, np.int64), np.empty(n_gs * n_sats, np.int64)
        sl, sm = np.empty(n_gs * n_sats), np.empty(n_gs * n_sats)
        keep = np.empty(n_gs * n_sats, np.bool_)
        m = _kg.snapshot_edges(r, self._gs, *self._kernel_args(), self._gsl_ok, self._fib_a,
                               self._fib_b, self._fib_len, self._fib_kind,
                               np.ones(self._fib_a.size, bool), ea, eb, elen, ekind, sg, ss, sl,
                               sm, keep)
        n_nodes = n_sats + n_gs
        indptr = np.empty(n_nodes + 1, np.int64)
        indices = np.empty(2 * m, np.int64)
        weights = np.empty(2 * m)
        kinds = np.empty(2 * m, np.int8)
        _kg.build_csr(n_nodes, ea, eb, elen, ekind, m, indptr, indices, weights, kinds)
        ground_kind = (self.terrestrial.roles if self.terrestrial is not None
                       else np.full(n_gs, "ground"))
        node_kind = np.concatenate([np.full(n_sats, "satellite"), ground_kind])
        names = np.concatenate([self.constellation.names, self.ground_stations.names])
        return Snapshot(indptr, indices, weights, _EDGE_KIND_NAMES[kinds], node_kind, names)

    # ----------------------------------------------------------------- routing
    def _route(self, times: TimeGrid, src, dst, memory_budget_mb: float = 512.0, **variant) -> dict:
        """Shortest paths per time step for one variant (see :meth:`_route_variants`)."""
        return self._route_variants(times, src, dst, [variant], memory_budget_mb)[0]

    def _route_variants(self, times: TimeGrid, src, dst, variants, memory_budget_mb: float = 512.0):
        """Shortest paths per time step for several variants of the graph, propagating once.

        Each variant is a dict of: ``gsl`` (False routes over fiber alone), ``fiber``
        (``"all"``, ``"access"``: backbone links off, or ``"none"``), ``outages``
        ((item, t0, t1) arrays in the kernel's convention: a link index, or n_links +
        ground node for GSLs down, over global steps ``t0 <= t < t1``) and
        ``failed_sats`` (a sequence of (satellite indices, t0, t1) that get NaN
        positions, so no links, over those steps). Returns one dict of
        (n_times, n_pairs) arrays per variant.
        """
        import numba

        sources, slot = np.unique(src, return_inverse=True)
        order = np.argsort(slot, kind="stable").astype(np.int64)
        pairs_ptr = np.concatenate([[0], np.cumsum(np.bincount(slot, minlength=sources.size))])
        pairs_ptr = pairs_ptr.astype(np.int64)
        sources = sources.astype(np.int64)
        n_t, n_p = len(times), src.size
        names = ("distance_km", "hops", "isl_hops", "gsl_hops", "fiber_hops", "fiber_km", "medium",
                 "first_sat", "last_sat")
        dtypes = (np.float64, np.int32, np.int32, np.int32, np.int32, np.float64, np.int8, np.int64,
                  np.int64)
        prepared, outs = [], []
        for v in variants:
            unknown = set(v) - {"gsl", "fiber", "outages", "failed_sats"}
            if unknown:
                raise LeolatError(f"unknown routing options {sorted(unknown)}")
            prepared.append(self._variant_args(**v))
            outs.append({k: np.empty((n_t, n_p), d) for k, d in zip(names, dtypes)})
        if any(v.get("gsl", True) for v in variants):
            chunks = (eph.r_itrf_km for eph in self.constellation.propagate_chunks(
                times, backend=self.backend, ut1_utc=self.ut1_utc, positions_only=True,
                memory_budget_mb=memory_budget_mb))
        else:
            chunks = [None]  # fiber alone: no positions, one chunk
        start = 0
        for r in chunks:
            n_c = n_t if r is None else r.shape[0]
            sl = slice(start, start + n_c)
            # A few blocks per thread balance the load; each block allocates once.
            n_blocks = max(1, min(n_c, 4 * numba.get_num_threads()))
            for (gsl, isl_args, gsl_ok, off, failed), out in zip(prepared, outs):
                if not gsl:
                    pos = np.empty((n_c, 0, 3))
                elif failed:
                    pos = r.copy()  # other variants keep the intact positions
                    for sats, f0, f1 in failed:
                        lo, hi = max(f0 - start, 0), min(f1 - start, n_c)
                        if lo < hi:
                            pos[lo:hi, sats] = np.nan
                else:
                    pos = r
                _kg.route_steps(pos, self._gs, *isl_args, self._relay, gsl_ok, self._fib_a,
                                self._fib_b, self._fib_len, self._fib_kind, *off, start, sources,
                                pairs_ptr, order, dst, n_blocks, *(out[k][sl] for k in names))
            start += n_c
        return outs

    def _variant_args(self, gsl: bool = True, fiber: str = "all", outages=None, failed_sats=()):
        if outages is None:
            item, t0, t1 = np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
        else:
            item, t0, t1 = (np.asarray(x, np.int64) for x in outages)
        off = {"all": np.zeros(self._fib_a.size, bool), "none": np.ones(self._fib_a.size, bool),
               "access": self._fib_kind == _kg.KIND_BACKBONE}.get(fiber)
        if off is None:
            raise LeolatError(f"fiber must be 'all', 'access' or 'none', got {fiber!r}")
        if off.any():  # links left out are down for good
            k = np.nonzero(off)[0]
            item = np.concatenate([item, k])
            t0 = np.concatenate([t0, np.full(k.size, -1)])
            t1 = np.concatenate([t1, np.full(k.size, _kg.FOREVER)])
        isl_args = self._kernel_args()
        if not gsl:
            e = np.empty(0, np.int64)
            isl_args = (e, e, np.empty(0, bool)) + isl_args[3:]
        gsl_ok = self._gsl_ok if gsl else np.zeros_like(self._gsl_ok)
        return gsl, isl_args, gsl_ok, (item, t0, t1), list(failed_sats) if gsl else []

    def one_way_ms(self, routed: dict) -> np.ndarray:
        """One-way delay (ms) of routed paths: light-travel distance plus per-hop processing."""
        one_way = routed["distance_km"] * (1e3 / SPEED_OF_LIGHT_KM_S)  # NaN where unreachable
        if self.policy.processing_delay_ms:
            one_way += routed["hops"] * self.policy.processing_delay_ms
        return one_way

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
            NaN where no path exists. On a network over a Terrestrial, paths may
            use fiber too; :func:`leolat.hybrid_latency` adds the medium and the
            fiber-only, LEO-only and GEO comparisons.
        """
        src, dst = self.resolve_pairs(pairs)
        routed = self._route(times, src, dst, memory_budget_mb)
        if np.all(np.isnan(routed["distance_km"])):
            raise PolicyError(
                "no pair is connected at any time: the policy allows no usable path (check "
                "min_elevation_deg / max_gsl_range_km against the constellation's altitude, "
                "max_isl_range_km against its spacing)")
        ds = self._dataset(times, src, dst, routed)
        ds["fiber_rtt_ms"] = ("pair",), (2.0 * ds["geodesic_km"].values * fiber_stretch
                                         / (SPEED_OF_LIGHT_KM_S / FIBER_REFRACTIVE_INDEX) * 1e3)
        ds["fiber_rtt_ms"].attrs["units"] = "ms"
        ds.attrs.update(fiber_refractive_index=FIBER_REFRACTIVE_INDEX, fiber_stretch=fiber_stretch)
        return ds

    def _dataset(self, times: TimeGrid, src, dst, routed: dict):
        """The labelled (time, pair) Dataset of routed paths, with geodesic and vacuum bound."""
        import xarray as xr
        from .terrestrial import geodesic_km

        _register_accessor()
        c = SPEED_OF_LIGHT_KM_S
        one_way = self.one_way_ms(routed)
        gs = self.ground_stations
        geo_km = geodesic_km(gs.lat_deg[src], gs.lon_deg[src], gs.lat_deg[dst], gs.lon_deg[dst])
        first, last, hops = routed["first_sat"], routed["last_sat"], routed["hops"]
        change = np.zeros(one_way.shape, dtype=bool)
        change[1:] = (first[1:] != first[:-1]) | (last[1:] != last[:-1]) | (hops[1:] != hops[:-1])
        label = [f"{gs.names[a]}->{gs.names[b]}" for a, b in zip(src, dst)]
        tp = ("time", "pair")
        ds = xr.Dataset(
            {
                "one_way_ms": (tp, one_way),
                "rtt_ms": (tp, 2.0 * one_way),
                "distance_km": (tp, routed["distance_km"]),
                "hops": (tp, hops),
                "isl_hops": (tp, routed["isl_hops"]),
                "first_sat": (tp, first),
                "last_sat": (tp, last),
                "path_change": (tp, change),
                "geodesic_km": (("pair",), geo_km),
                "vacuum_rtt_ms": (("pair",), 2.0 * geo_km / c * 1e3),
                "path_changes": (("pair",), change.sum(axis=0)),
            },
            coords={"time": times.utc, "pair": label,
                    "source": (("pair",), gs.names[src]), "destination": (("pair",), gs.names[dst])},
            attrs={"constellation": self.constellation.source, "n_satellites": len(self.constellation),
                   "speed_of_light_km_s": c, "propagation_backend": self.backend,
                   "ut1_utc": int(self.ut1_utc), **self.policy.as_attrs()},
        )
        for k in ("one_way_ms", "rtt_ms", "vacuum_rtt_ms"):
            ds[k].attrs["units"] = "ms"
        for k in ("distance_km", "geodesic_km"):
            ds[k].attrs["units"] = "km"
        ds["distance_km"].attrs["long_name"] = "light-travel length (one-way delay × c)"
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
            pred_edge = np.empty(snap.n_nodes, np.int64)
            heap_d = np.empty(snap.indices.size + 1)
            heap_v = np.empty(snap.indices.size + 1, np.int64)
            for s_gs in np.unique(src):
                source = n_sats + int(s_gs)
                _kg.dijkstra(snap.indptr, snap.indices, snap.length_km, n_sats, source,
                             self._relay, dist, pred, pred_edge, heap_d, heap_v)
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


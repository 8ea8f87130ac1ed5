"""Network: snapshot graphs of ground-satellite, inter-satellite and fiber links, shortest
paths, and latency time series between places.

Per time step the numba kernel builds a CSR graph (satellites, then ground
nodes), runs Dijkstra from each source node that a pair needs, and keeps each
pair's distance, hop counts by link kind and first/last satellite. Propagation
streams over time chunks, so long grids run in bounded memory. With a
:class:`~leolat.ground.terrestrial.Terrestrial` as the ground, fiber links join the
graph (hybrid routing: see :mod:`leolat.network.hybrid`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from .._kernels import dijkstra as _kd
from .._kernels import graph as _kg
from .._kernels import route as _kr
from ..base.budget import DEFAULT_MEMORY_BUDGET_MB, check_budget
from ..base.constants import SPEED_OF_LIGHT_KM_S, WGS84_A_KM
from ..base.errors import LeolatError, PolicyError
from ..base.types import ArrayLike
from ..ground.site_frames import site_frames
from ..ground.sites import Sites
from ..ground.terrestrial import Terrestrial
from ..orbits.propagate import DEFAULT_BACKEND, check_backend
from ..reference.time import TimeGrid, TimeLike, as_timegrid
from .datasets import routes_dataset
from .links import LinkPolicy
from .pairs import PairSpec, pair_labels, resolve_pairs
from .routes import Routes, RoutingVariant, no_outages
from .snapshot import EDGE_KIND_NAMES, Snapshot
from .topology import check_grid_possible, grid_links, nearest_links, needs_nearest, service_mask

if TYPE_CHECKING:
    import xarray as xr

    from ..orbits.constellation import Constellation

__all__ = ["Network"]

# Bytes per (time, pair) of one variant's outputs: distance, fiber km (8 each), four hop
# counts (4 each), the medium (1), first and last satellite (8 each).
_ROUTE_BYTES = 8 + 8 + 4 * 4 + 1 + 8 + 8


class Network:
    """A constellation, ground sites (or a terrestrial network) and a link policy.

    Parameters
    ----------
    constellation : Constellation
    sites : Sites or Terrestrial
        Ground stations (all may have GSLs; they relay only if the policy says so),
        or a :class:`~leolat.Terrestrial`: its nodes become the ground stations,
        sites and gateways may have GSLs, gateways, PoPs and cloud regions forward
        traffic, and its fiber links join every snapshot.
    policy : LinkPolicy
    backend : str
        Propagation backend (``"numba"``, ``"numba-approx"``, ``"sgp4"``).
    ut1_utc : bool
        Earth orientation in TEME -> ITRF (Hypatia uses UT1 = UTC: pass False to match it).
    service : array_like of bool, shape (n_sats,), optional
        Satellites that carry traffic (default: all but Starlink's direct-to-cell
        satellites, ``[DTC]`` in the name, which serve phones, not terminals or gateways).
        The others take no part in any path.

    Attributes
    ----------
    sites : Sites
        The ground nodes (also reachable as ``ground_stations``).
    terrestrial : Terrestrial or None
    gsl_capable, relay : numpy.ndarray of bool, shape (n_ground,)
        Which ground nodes may have GSLs, and which may forward traffic.
    isl_a, isl_b, isl_cross : numpy.ndarray
        The static ISL list: +Grid within shells (see :mod:`leolat.network.topology`).
        Nearest-neighbour links, where the policy has them, are chosen per topology
        epoch: :meth:`isl_links_at` gives the whole list at an instant.
    service : numpy.ndarray of bool, shape (n_sats,)
    """

    def __init__(self, constellation: Constellation, sites: Sites | Terrestrial,
                 policy: LinkPolicy = LinkPolicy(), *, backend: str = DEFAULT_BACKEND,
                 ut1_utc: bool = True, service: ArrayLike | None = None):
        if not isinstance(policy, LinkPolicy):
            raise LeolatError(f"policy must be a leolat.LinkPolicy, got {type(policy).__name__}")
        check_backend(backend)
        self.terrestrial: Terrestrial | None
        if isinstance(sites, Terrestrial):
            t = sites
            self.terrestrial = t
            ground = t.nodes
            self.gsl_capable = t.gsl_capable
            self.relay = (t.roles != "site") | bool(policy.ground_relay)
            # Dijkstra weights are one-way delay × c, so fiber adds its light-km.
            self._fiber = _kg.Fiber(t.link_a.astype(np.int64), t.link_b.astype(np.int64),
                                    t.latency_ms * (SPEED_OF_LIGHT_KM_S / 1e3),
                                    np.where(t.link_kind == "access", _kg.KIND_ACCESS,
                                             _kg.KIND_BACKBONE).astype(np.int8))
        elif isinstance(sites, Sites):
            self.terrestrial = None
            ground = sites
            n = len(sites)
            self.gsl_capable = np.ones(n, dtype=bool)
            self.relay = np.full(n, bool(policy.ground_relay))
            e = np.empty(0, np.int64)
            self._fiber = _kg.Fiber(e, e.copy(), np.empty(0), np.empty(0, np.int8))
        else:
            raise LeolatError(f"sites must be a leolat.Sites or leolat.Terrestrial, got "
                              f"{type(sites).__name__}")
        self.constellation = constellation
        self.sites = ground
        self.policy = policy
        self.backend = backend
        self.ut1_utc = ut1_utc
        if service is None:
            self.service = service_mask(constellation)
        else:
            self.service = np.asarray(service)
            if self.service.dtype != bool or self.service.shape != (len(constellation),):
                raise LeolatError(f"service must be {len(constellation):,} booleans (one per "
                                  f"satellite), got {self.service.dtype} of shape "
                                  f"{self.service.shape}")
        self.service.setflags(write=False)
        check_grid_possible(constellation, policy, self.service)
        self.isl_a, self.isl_b, self.isl_cross, self._degree = grid_links(constellation, policy,
                                                                           self.service)
        self._nearest = needs_nearest(constellation, policy, self.service)
        self._frames = site_frames(ground)
        p = policy
        self._isl = self._isl_links(self.isl_a, self.isl_b, self.isl_cross)
        # Per-pair constants of the last pair set (geodesics, terrestrial estimates, labels):
        # the same for every time window, so repeated calls (a study's chunks) reuse them.
        self._pair_constants: tuple[bytes, dict[str, Any]] | None = None
        self._gsl = _kg.GslRule(-90.0 if p.min_elevation_deg is None else float(p.min_elevation_deg),
                                np.inf if p.max_gsl_range_km is None else float(p.max_gsl_range_km),
                                p.gsl_rank == "range", int(p.gsl_per_station),
                                int(p.gsl_per_satellite))

    def _isl_links(self, a, b, cross) -> _kg.IslLinks:
        p = self.policy
        return _kg.IslLinks(np.asarray(a, np.int64), np.asarray(b, np.int64),
                            np.asarray(cross, bool), float(p.max_isl_range_km),
                            WGS84_A_KM + float(p.grazing_altitude_km),
                            float(p.isl_latitude_cutoff_deg))

    def _isl_at(self, r_km: np.ndarray) -> _kg.IslLinks:
        """The ISLs with the nearest-neighbour links chosen at positions ``r_km``."""
        a, b, cross = self.isl_links_at_positions(r_km)
        return self._isl_links(a, b, cross)

    def isl_links_at_positions(self, r_km: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every ISL (static +Grid, then nearest-neighbour links chosen at positions
        ``r_km`` of shape (n_sats, 3)): satellite indices ``a``, ``b`` and ``cross``."""
        if not self._nearest:
            return self.isl_a, self.isl_b, self.isl_cross
        r = np.where(self.service[:, None], r_km, np.nan)
        existing = set(zip(np.minimum(self.isl_a, self.isl_b).tolist(),
                           np.maximum(self.isl_a, self.isl_b).tolist()))
        na, nb = nearest_links(r, self.constellation, self.policy, self.service, self._degree,
                               existing)
        return (np.concatenate([self.isl_a, na]), np.concatenate([self.isl_b, nb]),
                np.concatenate([self.isl_cross, np.ones(na.size, bool)]))

    def isl_links_at(self, t: TimeLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every ISL the topology has at one instant (``a``, ``b``, ``cross``), nearest-neighbour
        links chosen there; whether each is usable (range, line of sight) is per step."""
        times = as_timegrid(t)
        if len(times) != 1:
            raise LeolatError(f"isl_links_at() takes one instant, got {len(times)}")
        if not self._nearest:
            return self.isl_a, self.isl_b, self.isl_cross
        eph = self.constellation.propagate(times, backend=self.backend, ut1_utc=self.ut1_utc,
                                           positions_only=True)
        return self.isl_links_at_positions(eph.r_itrf_km[0])

    @property
    def ground_stations(self) -> Sites:
        """The ground nodes (the former name of :attr:`sites`)."""
        return self.sites

    def resolve_pairs(self, pairs: PairSpec) -> tuple[np.ndarray, np.ndarray]:
        """(source, destination) ground-node indices from names, index pairs, ``"A->B;..."``
        text or ``"all"``."""
        return resolve_pairs(self.sites, pairs)

    # ----------------------------------------------------------------- snapshot
    def snapshot(self, t: TimeLike) -> Snapshot:
        """The graph at one instant (a TimeGrid of one, or anything TimeGrid accepts),
        with every fiber link up and GSLs at every node that may have them."""
        times = as_timegrid(t)
        if len(times) != 1:
            raise LeolatError(f"snapshot() takes one instant, got {len(times)}")
        eph = self.constellation.propagate(times, backend=self.backend, ut1_utc=self.ut1_utc,
                                           positions_only=True)
        r = np.ascontiguousarray(eph.r_itrf_km[0])
        isl = self._isl_at(r) if self._nearest else self._isl
        r[~self.service] = np.nan  # out of service: in no link
        n_sats, n_gs = r.shape[0], self._frames.shape[0]
        max_edges = isl.a.size + n_gs * n_sats + self._fiber.a.size
        ea = np.empty(max_edges, np.int64)
        eb = np.empty(max_edges, np.int64)
        elen = np.empty(max_edges)
        ekind = np.empty(max_edges, np.int8)
        sg, ss = np.empty(n_gs * n_sats, np.int64), np.empty(n_gs * n_sats, np.int64)
        sl, sm = np.empty(n_gs * n_sats), np.empty(n_gs * n_sats)
        keep = np.empty(n_gs * n_sats, np.bool_)
        m = _kg.snapshot_edges(r, isl, self._gsl, self._frames, self.gsl_capable,
                               self._fiber, np.ones(self._fiber.a.size, bool), ea, eb, elen,
                               ekind, sg, ss, sl, sm, keep)
        n_nodes = n_sats + n_gs
        indptr = np.empty(n_nodes + 1, np.int64)
        indices = np.empty(2 * m, np.int64)
        weights = np.empty(2 * m)
        kinds = np.empty(2 * m, np.int8)
        _kg.build_csr(n_nodes, ea, eb, elen, ekind, m, indptr, indices, weights, kinds)
        ground_kind = (self.terrestrial.roles if self.terrestrial is not None
                       else np.full(n_gs, "ground"))
        node_kind = np.concatenate([np.full(n_sats, "satellite"), ground_kind])
        names = np.concatenate([self.constellation.names, self.sites.names])
        return Snapshot(indptr, indices, weights, EDGE_KIND_NAMES[kinds], node_kind, names)

    # ----------------------------------------------------------------- routing
    @overload
    def route(self, times: TimeLike, pairs: PairSpec = ..., variants: None = None, *,
              memory_budget_mb: float = ...) -> Routes: ...

    @overload
    def route(self, times: TimeLike, pairs: PairSpec, variants: Mapping[str, RoutingVariant], *,
              memory_budget_mb: float = ...) -> dict[str, Routes]: ...

    def route(self, times: TimeLike, pairs: PairSpec = "all",
              variants: Mapping[str, RoutingVariant] | None = None, *,
              memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> Routes | dict[str, Routes]:
        """Shortest paths per time step, on the whole graph or on named variants of it.

        Parameters
        ----------
        times : TimeGrid
        pairs : "all", "A->B;C->D", or a sequence of (name, name) / (index, index)
        variants : mapping of str to RoutingVariant, optional
            Route every variant from the same propagated positions (one propagation,
            one pass over time); default: the whole graph alone.
        memory_budget_mb : float
            Peak memory of one propagation chunk.

        Returns
        -------
        Routes, or dict of str to Routes
            One :class:`Routes` without ``variants``; one per variant name with them.
        """
        grid = as_timegrid(times)
        src, dst = self.resolve_pairs(pairs)
        if variants is None:
            return self._route(grid, src, dst, {"normal": RoutingVariant()},
                               memory_budget_mb)["normal"]
        for name, v in variants.items():
            if not isinstance(v, RoutingVariant):
                raise LeolatError(f"variants[{name!r}] must be a RoutingVariant, got "
                                  f"{type(v).__name__}")
        return self._route(grid, src, dst, variants, memory_budget_mb)

    def _route(self, times: TimeGrid, src: np.ndarray, dst: np.ndarray,
               variants: Mapping[str, RoutingVariant], memory_budget_mb: float
               ) -> dict[str, Routes]:
        sources, slot = np.unique(src, return_inverse=True)
        order = np.argsort(slot, kind="stable").astype(np.int64)
        pairs_ptr = np.concatenate([[0], np.cumsum(np.bincount(slot, minlength=sources.size))])
        plan = _kg.PairPlan(sources.astype(np.int64), pairs_ptr.astype(np.int64), order,
                            dst.astype(np.int64))
        n_t, n_p = len(times), src.size
        # The (time, pair) outputs of every variant are held at once: refuse what cannot fit
        # before propagating anything.
        check_budget(float(n_t) * n_p * _ROUTE_BYTES * len(variants), memory_budget_mb,
                     f"routing {n_p:,} pairs × {n_t:,} steps × {len(variants)} variant(s)",
                     "Route fewer pairs or a shorter window per call (a study splits the work "
                     "into chunks), or raise memory_budget_mb.")
        dtypes = (np.float64, np.int32, np.int32, np.int32, np.int32, np.float64, np.int8,
                  np.int64, np.int64)
        args = {name: self._variant_args(v) for name, v in variants.items()}
        outs = {name: _kg.RouteOut(*(np.empty((n_t, n_p), d) for d in dtypes)) for name in variants}
        chunks: Iterator[np.ndarray | None]
        if any(v.gsl for v in variants.values()):
            chunks = (eph.r_itrf_km for eph in self.constellation.propagate_chunks(
                times, backend=self.backend, ut1_utc=self.ut1_utc, positions_only=True,
                memory_budget_mb=memory_budget_mb))
        else:
            chunks = iter([None])  # fiber alone: no positions, one chunk
        # Nearest-neighbour links are chosen at the first step of each topology epoch.
        epoch_of = (np.floor(times.offsets_s / float(self.policy.topology_epoch_s)).astype(np.int64)
                    if self._nearest else np.zeros(n_t, np.int64))
        out_of_service = ~self.service
        current_epoch, current_isl = -1, self._isl
        start = 0
        for r in chunks:
            n_c = n_t if r is None else r.shape[0]
            if r is not None and self._nearest:
                e = epoch_of[start:start + n_c]
                cuts = np.concatenate([[0], np.nonzero(np.diff(e))[0] + 1, [n_c]])
            else:
                cuts = np.array([0, n_c])
            for lo, hi in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
                g0 = start + lo
                if r is not None and self._nearest and epoch_of[g0] != current_epoch:
                    current_epoch, current_isl = int(epoch_of[g0]), self._isl_at(r[lo])
                rr = None if r is None else r[lo:hi]
                if rr is not None and out_of_service.any():
                    rr = rr.copy()
                    rr[:, out_of_service] = np.nan  # out of service: in no link
                self._route_run(rr, g0, hi - lo, variants, args, outs, plan, current_isl)
            start += n_c
        delay = float(self.policy.processing_delay_ms)
        return {name: Routes(times, src, dst, *outs[name], processing_delay_ms=delay)
                for name in variants}

    def _route_run(self, r, g0: int, n_c: int, variants, args, outs, plan, epoch_isl) -> None:
        """Route steps ``g0 .. g0 + n_c`` (positions ``r``, or None for fiber alone) for every
        variant, with the ISLs of their topology epoch."""
        import numba

        # A few blocks per thread balance the load; each block allocates once. Fewer steps
        # than that: the sources are split too (each group builds its steps' graphs).
        threads = numba.get_num_threads()
        n_blocks = max(1, min(n_c, 4 * threads))
        n_groups = 1 if n_c >= 2 * threads else -(-2 * threads // max(n_c, 1))
        sl = slice(g0, g0 + n_c)
        for name, v in variants.items():
            isl, ground, outages = args[name]
            if v.gsl and self._nearest:
                isl = epoch_isl
            pos: np.ndarray
            if not v.gsl or r is None:  # r is None only when no variant has GSLs
                pos = np.empty((n_c, 0, 3))
            elif v.failed_satellites:
                pos = r.copy()  # other variants keep the intact positions
                for f in v.failed_satellites:
                    lo, hi = max(f.t0 - g0, 0), min(f.t1 - g0, n_c)
                    if lo < hi:
                        pos[lo:hi, f.satellites] = np.nan
            else:
                pos = r
            out = _kg.RouteOut(*(a[sl] for a in outs[name]))
            _kr.route_steps(np.ascontiguousarray(pos), g0, n_blocks, n_groups, isl, self._gsl,
                            ground, self._fiber, outages, plan, out)

    def _variant_args(self, v: RoutingVariant) -> tuple[_kg.IslLinks, _kg.Ground, _kg.Outages]:
        """The kernel groups that differ between variants."""
        outages = v.outages if v.outages is not None else no_outages()
        kind = self._fiber.kind
        off = {"all": np.zeros(kind.size, bool), "none": np.ones(kind.size, bool),
               "access": kind == _kg.KIND_BACKBONE}[v.fiber]
        if off.any():  # links left out are down for good
            k = np.nonzero(off)[0]
            outages = _kg.Outages(np.concatenate([outages.item, k]),
                                  np.concatenate([outages.t0, np.full(k.size, -1)]),
                                  np.concatenate([outages.t1, np.full(k.size, _kg.FOREVER)]))
        isl = self._isl
        gsl_ok = self.gsl_capable
        if not v.gsl:
            e = np.empty(0, np.int64)
            isl = isl._replace(a=e, b=e, cross=np.empty(0, bool))
            gsl_ok = np.zeros_like(gsl_ok)
        return isl, _kg.Ground(self._frames, self.relay, gsl_ok), outages

    def one_way_ms(self, routes: Routes) -> np.ndarray:
        """One-way delay (ms) of routed paths (:attr:`Routes.one_way_ms`)."""
        return routes.one_way_ms

    # ----------------------------------------------------------------- datasets
    def latency(self, times: TimeLike, pairs: PairSpec = "all", *,
                fiber_stretch: float | None = None,
                memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> xr.Dataset:
        """Latency time series between ground stations.

        Parameters
        ----------
        times : TimeGrid
        pairs : "all", "A->B;C->D", or a sequence of (name, name) / (index, index)
        fiber_stretch : float, optional
            Replace the terrestrial estimate (``fiber_rtt_ms``: a published measurement
            where one covers the pair, else the model calibrated on them; see
            :mod:`leolat.ground.baseline`) by the ideal fiber bound times this stretch.
        memory_budget_mb : float
            Peak memory of one propagation chunk.

        Returns
        -------
        xarray.Dataset
            dims (time, pair): ``one_way_ms``, ``rtt_ms``, ``distance_km``, ``hops``,
            ``isl_hops``, ``first_sat``, ``last_sat`` (-1 when unreachable),
            ``path_change`` (the first or last satellite, or the hop count, changed
            since the previous step); per pair: ``source``, ``destination``,
            ``geodesic_km``, ``vacuum_rtt_ms``, ``fiber_bound_rtt_ms`` (the ideal fiber
            round trip over the geodesic), ``fiber_rtt_ms`` (the terrestrial estimate) and
            ``fiber_rtt_source`` (``measured: ...`` or ``model``), ``path_changes``.
            NaN where no path exists. On a network over a Terrestrial, paths may
            use fiber too; :func:`leolat.hybrid_latency` adds the medium and the
            fiber-only, LEO-only and GEO comparisons.

        Raises
        ------
        PolicyError
            If no pair is connected at any time (the policy allows no usable path).
        """
        routes = self.route(times, pairs, memory_budget_mb=memory_budget_mb)
        if not routes.reachable.any():
            raise PolicyError(
                "no pair is connected at any time: the policy allows no usable path (check "
                "min_elevation_deg / max_gsl_range_km against the constellation's altitude, "
                "max_isl_range_km against its spacing)")
        ds = self.latency_dataset(routes)
        if fiber_stretch is not None:  # the former rule of thumb, when asked for
            ds["fiber_rtt_ms"] = ("pair",), ds["fiber_bound_rtt_ms"].values * float(fiber_stretch)
            ds["fiber_rtt_ms"].attrs.update(units="ms", long_name=(
                f"terrestrial estimate: the ideal fiber bound x stretch {fiber_stretch:g}"))
            ds["fiber_rtt_source"] = ("pair",), np.full(ds.sizes["pair"],
                                                          f"geodesic x stretch {fiber_stretch:g}")
            ds.attrs["fiber_stretch"] = float(fiber_stretch)
        return ds

    def latency_dataset(self, routes: Routes) -> xr.Dataset:
        """The labelled (time, pair) Dataset of routed paths, with the geodesic and the
        bounds and terrestrial estimate per pair (what :meth:`latency` returns; a grid
        where no pair connects is a Dataset of NaN, not an error). See
        :func:`leolat.network.datasets.routes_dataset`."""
        return routes_dataset(self, routes)

    def paths(self, times: TimeLike, pairs: PairSpec = "all") -> dict[tuple[int, str], np.ndarray]:
        """Full node paths: {(time index, pair label): array of node ids} (empty if none).

        Node ids: satellites 0..n_sats-1, then ground stations n_sats + station index.
        """
        grid = as_timegrid(times)
        src, dst = self.resolve_pairs(pairs)
        labels = pair_labels(self.sites, src, dst)
        n_sats = len(self.constellation)
        out = {}
        for ti in range(len(grid)):
            snap = self.snapshot(grid[ti])
            dist = np.empty(snap.n_nodes)
            pred = np.empty(snap.n_nodes, np.int64)
            pred_edge = np.empty(snap.n_nodes, np.int64)
            heap_d = np.empty(snap.indices.size + 1)
            heap_v = np.empty(snap.indices.size + 1, np.int64)
            for s_gs in np.unique(src):
                source = n_sats + int(s_gs)
                _kd.dijkstra(snap.indptr, snap.indices, snap.length_km, n_sats, source,
                             self.relay, dist, pred, pred_edge, heap_d, heap_v)
                for a, b, label in zip(src, dst, labels):
                    if a == s_gs:
                        out[(ti, label)] = _kd.path_nodes(pred, source, n_sats + int(b))
        return out

"""Terrestrial fiber between ground nodes: the fiber delay model, node roles, and link tables.

A fiber link's one-way latency is its route length over the speed of light in
glass, ``length_km / (c / n)``. The route length is measured (given by the user) or
estimated as the WGS84 geodesic (pyproj ``Geod``) times a route stretch.

Ground nodes have roles:

``site``
    An office or other user location with a user terminal: it may have GSLs, and
    forwards other traffic only if the link policy allows ground relays.
``gateway``
    A satellite ground station: GSLs, and it forwards traffic (onto fiber or back up).
``pop``, ``cloud``
    A point of presence or a cloud region: fiber only, forwards traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..base.constants import FIBER_REFRACTIVE_INDEX, FIBER_ROUTE_STRETCH
from ..base.errors import TerrestrialError
from ..base.textfile import clip, csv_rows, read_text_file
from ..base.types import PathLike
from ..base.validate import did_you_mean
from .fiber import fiber_latency_ms, geodesic_km
from .sites import Sites

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Terrestrial", "ROLES"]

ROLES = ("site", "gateway", "pop", "cloud")
GSL_ROLES = ("site", "gateway")
LINK_KINDS = ("backbone", "access")
# Generated meshes call a link shorter than this (geodesic) an access link: a metro tail
# between co-located nodes, e.g. a gateway and the cloud region it peers with.
ACCESS_MAX_KM = 100.0



# ----------------------------------------------------------------- the link table
@dataclass(frozen=True, eq=False)
class Terrestrial:
    """Ground nodes with roles, and the fiber links between them.

    Build one with :meth:`from_csv`, :meth:`mesh` or :meth:`nodes_only` followed by
    :meth:`link`; the constructor takes finished arrays.

    Attributes
    ----------
    nodes : Sites
        Every ground node (names unique).
    roles : (n_nodes,) str
        One of ``ROLES`` per node.
    link_a, link_b : (n_links,) int64
        Node indices of each link's ends.
    link_names : (n_links,) str
        A name per link (a cable or route name; ``"a--b"`` when none was given).
    length_km : (n_links,) float64
        Route length; NaN where only a latency was given.
    latency_ms : (n_links,) float64
        One-way latency.
    link_kind : (n_links,) str
        ``"backbone"`` or ``"access"`` (a metro tail kept in the LEO-only comparison).
    refractive_index, stretch : float
        The fiber model used for lengths estimated from geodesics.
    """

    nodes: Sites
    roles: np.ndarray
    link_a: np.ndarray
    link_b: np.ndarray
    link_names: np.ndarray
    length_km: np.ndarray
    latency_ms: np.ndarray
    link_kind: np.ndarray
    refractive_index: float = FIBER_REFRACTIVE_INDEX
    stretch: float = FIBER_ROUTE_STRETCH

    def __post_init__(self):
        n = len(self.nodes)
        if self.roles.shape != (n,):
            raise TerrestrialError(f"roles must have one entry per node ({n}), got {self.roles.shape}")
        bad = [r for r in self.roles if r not in ROLES]
        if bad:
            raise TerrestrialError(f"unknown role {bad[0]!r}; roles are {ROLES}")
        names, counts = np.unique(self.nodes.names, return_counts=True)
        if np.any(counts > 1):
            raise TerrestrialError(f"node name {str(names[counts > 1][0])!r} is used twice: "
                                   f"ground node names must be unique")
        if not (self.refractive_index >= 1.0):
            raise TerrestrialError(f"refractive_index must be >= 1, got {self.refractive_index}")
        if not (self.stretch >= 1.0):
            raise TerrestrialError(f"stretch must be >= 1 (a route is never shorter than the "
                                   f"geodesic), got {self.stretch}")

    # ------------------------------------------------------------- constructors
    @classmethod
    def nodes_only(cls, *, sites: Sites | None = None, gateways: Sites | None = None,
                   pops: Sites | None = None, clouds: Sites | None = None,
                   refractive_index: float = FIBER_REFRACTIVE_INDEX,
                   stretch: float = FIBER_ROUTE_STRETCH) -> Terrestrial:
        """Ground nodes by role (in the order sites, gateways, pops, clouds), no links yet."""
        parts, roles = [], []
        for role, group in zip(ROLES, (sites, gateways, pops, clouds)):
            if group is None:
                continue
            if not isinstance(group, Sites):
                raise TerrestrialError(f"{role}s must be a leolat.Sites, got {type(group).__name__}")
            parts.append(group)
            roles += [role] * len(group)
        if not parts:
            raise TerrestrialError("no ground nodes: pass sites=, gateways=, pops= and/or clouds=")
        e_i, e_f = np.empty(0, np.int64), np.empty(0)
        names = np.concatenate([g.names for g in parts])
        uniq, counts = np.unique(names, return_counts=True)
        if np.any(counts > 1):  # across roles: a gateway and a PoP cannot share a name either
            raise TerrestrialError(f"node name {str(uniq[counts > 1][0])!r} is used twice: ground node "
                                   f"names must be unique")
        return cls(Sites.concat(*parts), np.array(roles), e_i, e_i.copy(), np.empty(0, "U1"),
                   e_f, e_f.copy(), np.empty(0, "U8"), float(refractive_index), float(stretch))

    @classmethod
    def from_csv(cls, path: PathLike, *, sites: Sites | None = None, gateways: Sites | None = None,
                 pops: Sites | None = None, clouds: Sites | None = None,
                 refractive_index: float = FIBER_REFRACTIVE_INDEX,
                 stretch: float = FIBER_ROUTE_STRETCH,
                 unknown_nodes: str = "error") -> Terrestrial:
        """Links from a CSV file between the given nodes.

        Columns: ``a``, ``b`` (node names), and optionally ``length_km`` (measured
        route length), ``latency_ms`` (measured one-way latency), ``name`` and
        ``kind`` (``backbone``, the default, or ``access``). A row with neither
        length nor latency gets geodesic × ``stretch``. Errors name the file, line,
        column and value.

        ``unknown_nodes="drop"`` keeps only the rows whose two ends are among the
        given nodes (one links file for many studies, each with its own offices);
        the default ``"error"`` refuses a row naming any other node, with
        suggestions. Follow with :meth:`link_unconnected` to give the nodes the
        file does not mention access links to their nearest PoPs.
        """
        if unknown_nodes not in ("error", "drop"):
            raise TerrestrialError(f"unknown_nodes must be 'error' or 'drop', got {unknown_nodes!r}")
        t = cls.nodes_only(sites=sites, gateways=gateways, pops=pops, clouds=clouds,
                           refractive_index=refractive_index, stretch=stretch)
        path = Path(path)

        def error(message: str, line: int | None) -> TerrestrialError:
            return TerrestrialError(f"{path}{'' if line is None else f', line {line}'}: {message}")

        fields, reader = csv_rows(read_text_file(path, error), error)
        header = [h.strip() for h in fields]
        for need in ("a", "b"):
            if need not in header:
                raise TerrestrialError(f"{path}: no {need!r} column (header is {header}); "
                                       f"links need columns a, b and optionally length_km, "
                                       f"latency_ms, name, kind")
        rows = []
        for line, raw_row in reader:
            row = {(k or "").strip(): (v or "").strip() for k, v in raw_row.items()}
            where = f"{path}, line {line}"
            values = {}
            for field in ("length_km", "latency_ms"):
                raw = row.get(field, "")
                if raw:
                    try:
                        values[field] = float(raw)
                    except ValueError:
                        raise TerrestrialError(f"{where}, column {field!r}: {clip(raw)} is not a "
                                               f"number") from None
            rows.append((where, row["a"], row["b"], values.get("length_km"),
                         values.get("latency_ms"), row.get("name") or None,
                         row.get("kind") or "backbone"))
        if not rows:
            raise TerrestrialError(f"{path}: no links (empty file?)")
        if unknown_nodes == "drop":
            known = set(t.nodes.names.tolist())
            rows = [r for r in rows if r[1] in known and r[2] in known]
        return t._with_links(rows)

    @classmethod
    def mesh(cls, *, k: int | None = None, site_uplinks: int | None = None, sites: Sites | None = None,
             gateways: Sites | None = None, pops: Sites | None = None, clouds: Sites | None = None,
             refractive_index: float = FIBER_REFRACTIVE_INDEX, stretch: float = FIBER_ROUTE_STRETCH,
             access_max_km: float = ACCESS_MAX_KM) -> Terrestrial:
        """Fiber between every pair of nodes (``k=None``), or from each node to its ``k``
        nearest others (by geodesic; links are undirected, so a node may get more).

        With ``site_uplinks``, sites (which forward nothing) stay out of the mesh:
        the other nodes are meshed, and each site gets links to its ``site_uplinks``
        nearest non-site nodes, the usual shape of an enterprise WAN.

        Lengths are geodesic × ``stretch``; links no longer than ``access_max_km``
        (geodesic) are ``access`` links, the rest ``backbone``.
        """
        t = cls.nodes_only(sites=sites, gateways=gateways, pops=pops, clouds=clouds,
                           refractive_index=refractive_index, stretch=stretch)
        n = len(t.nodes)
        if n < 2:
            raise TerrestrialError("a mesh needs at least two nodes")
        for name, v in (("k", k), ("site_uplinks", site_uplinks)):
            if v is not None and (int(v) != v or v < 1):
                raise TerrestrialError(f"{name} must be a positive integer, got {v!r}")
        lat, lon = t.nodes.lat_deg, t.nodes.lon_deg
        dist = geodesic_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        np.fill_diagonal(dist, np.inf)
        chosen = np.zeros((n, n), dtype=bool)
        infra = np.ones(n, bool) if site_uplinks is None else t.roles != "site"
        if site_uplinks is not None and not infra.any():
            raise TerrestrialError("site_uplinks needs gateways, pops or clouds to link sites to")
        idx = np.nonzero(infra)[0]
        sub = dist[np.ix_(idx, idx)]
        if k is None:
            chosen[np.ix_(idx, idx)] = np.isfinite(sub)
        elif idx.size > 1:
            nearest = np.argsort(sub, axis=1, kind="stable")[:, : min(int(k), idx.size - 1)]
            chosen[np.repeat(idx, nearest.shape[1]), idx[nearest.ravel()]] = True
        if site_uplinks is not None:
            for s in np.nonzero(~infra)[0]:
                near = idx[np.argsort(dist[s, idx], kind="stable")[: int(site_uplinks)]]
                chosen[s, near] = True
        chosen |= chosen.T
        i, j = np.nonzero(np.triu(chosen, 1))
        d = dist[i, j]
        names = t.nodes.names
        kind = np.where(d <= access_max_km, "access", "backbone")
        length = d * stretch
        return cls(t.nodes, t.roles, i.astype(np.int64), j.astype(np.int64),
                   np.array([f"{names[a]}--{names[b]}" for a, b in zip(i, j)], dtype=str), length,
                   fiber_latency_ms(length, refractive_index), kind, t.refractive_index, t.stretch)

    def link(self, a: str, b: str, *, length_km: float | None = None,
             latency_ms: float | None = None, name: str | None = None,
             kind: str = "backbone") -> Terrestrial:
        """A copy with one more link between nodes ``a`` and ``b`` (see :meth:`from_csv`)."""
        return self._with_links([(f"link({a!r}, {b!r})", a, b, length_km, latency_ms, name, kind)])

    def link_unconnected(self, *, k: int = 1, roles: tuple[str, ...] = ("site", "gateway", "cloud"),
                         to_roles: tuple[str, ...] = ("pop", "cloud"),
                         kind: str = "access") -> Terrestrial:
        """A copy where every node of ``roles`` without a fiber link gets links to its ``k``
        nearest nodes of ``to_roles`` (by geodesic), the way an office buys a circuit to
        the nearest PoP and a gateway is backhauled to one.

        Lengths are geodesic × ``stretch``. The links are ``access`` links by default:
        the circuit that puts a node on the network, which the LEO-only comparison keeps
        (a gateway's backhaul is part of the satellite path). Names are ``"A--B"``.
        Nodes already linked are left as they are.

        Raises
        ------
        TerrestrialError
            If a node needs a link and there is no node of ``to_roles`` to link it to.
        """
        if int(k) != k or k < 1:
            raise TerrestrialError(f"k must be a positive integer, got {k!r}")
        for name, group in (("roles", roles), ("to_roles", to_roles)):
            bad = [r for r in group if r not in ROLES]
            if bad:
                raise TerrestrialError(f"{name}: unknown role {bad[0]!r}; roles are {ROLES}")
        linked = np.zeros(len(self.nodes), bool)
        linked[self.link_a] = linked[self.link_b] = True
        needy = np.nonzero(~linked & np.isin(self.roles, roles))[0]
        targets = np.nonzero(np.isin(self.roles, to_roles))[0]
        names, lat, lon = self.nodes.names, self.nodes.lat_deg, self.nodes.lon_deg
        rows = []
        for i in needy:
            others = targets[targets != i]
            if not others.size:
                raise TerrestrialError(f"node {str(names[i])!r} has no fiber link and there is no "
                                       f"{' or '.join(to_roles)} node to link it to")
            d = geodesic_km(lat[i], lon[i], lat[others], lon[others])
            for j in others[np.argsort(d, kind="stable")[: int(k)]]:
                d_km = float(geodesic_km(lat[i], lon[i], lat[j], lon[j]))
                rows.append((f"link_unconnected({str(names[i])!r})", str(names[i]), str(names[j]),
                             d_km * self.stretch, None, None, kind))
        return self._with_links(rows) if rows else self

    def _with_links(self, rows) -> Terrestrial:
        index = {str(n): k for k, n in enumerate(self.nodes.names)}
        a, b, names, length, latency, kinds = [], [], [], [], [], []
        for where, na, nb, l_km, lat_ms, name, kind in rows:
            ends = []
            for col, node in (("a", na), ("b", nb)):
                if node not in index:
                    hint = did_you_mean(node, index) or f"; nodes are {list(index)[:8]}"
                    raise TerrestrialError(f"{where}, column {col!r}: unknown node {node!r}{hint}")
                ends.append(index[node])
            if ends[0] == ends[1]:
                raise TerrestrialError(f"{where}: a link from {na!r} to itself")
            if kind not in LINK_KINDS:
                raise TerrestrialError(f"{where}, column 'kind': {kind!r} is not one of {LINK_KINDS}")
            for field, v in (("length_km", l_km), ("latency_ms", lat_ms)):
                if v is not None and not (np.isfinite(v) and v >= 0):
                    raise TerrestrialError(f"{where}, column {field!r}: {v} must be a finite "
                                           f"non-negative number")
            if lat_ms is None:
                if l_km is None:
                    i, j = ends
                    l_km = float(geodesic_km(self.nodes.lat_deg[i], self.nodes.lon_deg[i],
                                             self.nodes.lat_deg[j], self.nodes.lon_deg[j])) * self.stretch
                lat_ms = float(fiber_latency_ms(l_km, self.refractive_index))
            a.append(ends[0])
            b.append(ends[1])
            names.append(name or f"{na}--{nb}")
            length.append(np.nan if l_km is None else l_km)
            latency.append(lat_ms)
            kinds.append(kind)
        return Terrestrial(self.nodes, self.roles,
                           np.concatenate([self.link_a, np.array(a, np.int64)]),
                           np.concatenate([self.link_b, np.array(b, np.int64)]),
                           np.concatenate([self.link_names.astype(str), np.array(names, str)]),
                           np.concatenate([self.length_km, np.array(length, float)]),
                           np.concatenate([self.latency_ms, np.array(latency, float)]),
                           np.concatenate([self.link_kind.astype(str), np.array(kinds, str)]),
                           self.refractive_index, self.stretch)

    # ------------------------------------------------------------- access
    @property
    def n_links(self) -> int:
        return int(self.link_a.size)

    @property
    def gsl_capable(self) -> np.ndarray:
        """(n_nodes,) bool: nodes that may have ground-satellite links."""
        return np.isin(self.roles, GSL_ROLES)

    def node_index(self, name: str, *, what: str = "node") -> int:
        """Index of the node called ``name`` (TerrestrialError with suggestions if absent)."""
        hits = np.nonzero(self.nodes.names == name)[0]
        if not hits.size:
            raise TerrestrialError(f"no {what} is named {name!r}"
                                   + did_you_mean(name, self.nodes.names))
        return int(hits[0])

    def links(self) -> pd.DataFrame:
        """The links as a pandas DataFrame (name, a, b, kind, length_km, latency_ms)."""
        import pandas as pd

        n = self.nodes.names
        return pd.DataFrame({"name": self.link_names, "a": n[self.link_a], "b": n[self.link_b],
                             "kind": self.link_kind, "length_km": self.length_km,
                             "latency_ms": self.latency_ms})

    def __repr__(self) -> str:
        roles, counts = np.unique(self.roles, return_counts=True)
        nodes = ", ".join(f"{c} {r}{'s' if c > 1 else ''}" for r, c in zip(roles, counts))
        return f"Terrestrial({nodes}; {self.n_links} fiber links)"

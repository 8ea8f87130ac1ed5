"""One time step's graph in CSR form, for inspection and for other graph libraries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Snapshot", "EDGE_KIND_NAMES"]

# Names of the kernel's edge kinds, indexed by KIND_* (isl, gsl, backbone fiber, access fiber).
EDGE_KIND_NAMES = np.array(["isl", "gsl", "fiber", "access"])


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

    def to_networkx(self) -> Any:
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

    def to_scipy(self) -> Any:
        """A ``scipy.sparse.csr_matrix`` of lengths (km)."""
        from scipy.sparse import csr_matrix

        return csr_matrix((self.length_km, self.indices, self.indptr), shape=(self.n_nodes,) * 2)

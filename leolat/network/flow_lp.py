"""Linear programs of flow allocation (scipy's HiGHS): maximum throughput and max-min
fairness, over given paths or, exactly, over every path (the arc formulation).

A problem is a set of *columns* (paths, or per-demand arc flows) with the resources each
uses, the demand each serves and a cost (light-km, to break ties toward short paths):

* ``max_throughput``: the largest total rate; among those, the one of least total delay.
* ``max_min_fair``: the lexicographically largest sorted vector of demand rates, by a
  sequence of LPs: raise a common level ``t`` for the unfrozen demands, then freeze those
  whose level constraint has a positive dual (they cannot grow without another shrinking:
  Nace, Pióro et al., "Max-min fairness in multi-commodity flows", 2008), and repeat.
"""

from __future__ import annotations

import numpy as np

from ..base.errors import CapacityError

__all__ = ["max_throughput", "max_min_fair", "Columns"]

# Relative slack when a first-stage optimum becomes a constraint of the next stage.
_SLACK = 1e-9


class Columns:
    """LP columns: ``res`` (n_res x n_cols, sparse) resource use, ``dem`` (n_dem x n_cols,
    sparse) the rate each column adds to each demand, ``cost`` (n_cols,), and equality
    rows ``eq`` (n_eq x n_cols, sparse, = 0: flow conservation) for the arc formulation."""

    def __init__(self, res, dem, cost: np.ndarray, eq=None):
        self.res, self.dem, self.cost, self.eq = res, dem, np.asarray(cost, float), eq

    @property
    def n(self) -> int:
        return int(self.res.shape[1])


def _linprog(c, a_ub, b_ub, a_eq=None, b_eq=None):
    from scipy.optimize import linprog

    out = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None),
                  method="highs")
    if out.status != 0:
        raise CapacityError(f"the flow LP did not solve: {out.message}")
    return out


def _stack(*blocks):
    from scipy.sparse import vstack

    return vstack([b for b in blocks if b is not None and b.shape[0]], format="csr")


def max_throughput(cols: Columns, request: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """(n_cols,) rates of the maximum total throughput, least delay among maxima."""
    from scipy.sparse import csr_matrix

    if cols.n == 0:
        return np.zeros(0)
    a_ub = _stack(cols.res, cols.dem)
    b_ub = np.concatenate([cap, request])
    b_eq = None if cols.eq is None else np.zeros(cols.eq.shape[0])
    gain = np.asarray(cols.dem.sum(axis=0)).ravel()  # each column's rate counted once
    first = _linprog(-gain, a_ub, b_ub, cols.eq, b_eq)
    best = -first.fun
    if best <= 0:
        return np.zeros(cols.n)
    floor = csr_matrix(-gain[None, :])
    second = _linprog(cols.cost, _stack(a_ub, floor),
                      np.concatenate([b_ub, [-best * (1 - _SLACK)]]), cols.eq, b_eq)
    return np.maximum(second.x, 0.0)


def max_min_fair(cols: Columns, request: np.ndarray, cap: np.ndarray, *,
                 tol: float = 1e-9) -> np.ndarray:
    """(n_cols,) rates of the max-min fair allocation (lexicographic, by LPs), least delay
    among the allocations with those demand rates."""
    from scipy.sparse import csr_matrix, hstack

    n_d = cols.dem.shape[0]
    if cols.n == 0:
        return np.zeros(0)
    served = np.asarray((cols.dem != 0).sum(axis=1)).ravel() > 0
    level = np.zeros(n_d)
    frozen = ~served | (request <= tol)
    dem = cols.dem.tocsr()
    eq = cols.eq
    while not frozen.all():
        free = np.nonzero(~frozen)[0]
        fixed = np.nonzero(frozen & served)[0]
        # variables: columns, then t; maximise t
        c = np.zeros(cols.n + 1)
        c[-1] = -1.0
        rows = [hstack([cols.res, csr_matrix((cols.res.shape[0], 1))]),
                hstack([dem, csr_matrix((n_d, 1))])]  # rate <= request
        b = [cap, request]
        # t - rate_d <= 0 for the free demands
        lvl = hstack([-dem[free], csr_matrix(np.ones((free.size, 1)))])
        rows.append(lvl)
        b.append(np.zeros(free.size))
        if fixed.size:  # frozen demands keep (at least) their level
            rows.append(hstack([-dem[fixed], csr_matrix((fixed.size, 1))]))
            b.append(-level[fixed] * (1 - _SLACK))
        a_ub = _stack(*rows)
        a_eq = None if eq is None else hstack([eq, csr_matrix((eq.shape[0], 1))]).tocsr()
        b_eq = None if eq is None else np.zeros(eq.shape[0])
        out = _linprog(c, a_ub, np.concatenate(b), a_eq, b_eq)
        t = float(out.x[-1])
        duals = -np.asarray(out.ineqlin.marginals)  # >= 0 for <= rows in a maximisation
        start = cols.res.shape[0] + n_d
        lvl_dual = duals[start:start + free.size]
        hit = (lvl_dual > tol) | (request[free] <= t + tol * max(1.0, t))
        if not hit.any():  # degenerate duals: freeze the most constrained one
            hit[np.argmax(lvl_dual)] = True
        newly = free[hit]
        level[newly] = np.minimum(t, request[newly])
        frozen[newly] = True
    # Final: the demand rates fixed, least delay.
    idx = np.nonzero(served)[0]
    rows = [cols.res, dem, -dem[idx]]
    b = [cap, request, -level[idx] * (1 - _SLACK)]
    b_eq = None if eq is None else np.zeros(eq.shape[0])
    out = _linprog(cols.cost, _stack(*rows), np.concatenate(b), eq, b_eq)
    return np.maximum(out.x, 0.0)

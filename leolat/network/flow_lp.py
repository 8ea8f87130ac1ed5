"""Linear programs of flow allocation (scipy's HiGHS): maximum throughput and max-min
fairness, over given paths or, exactly, over every path (the arc formulation).

A problem is a set of *columns* (paths, or per-demand arc flows) with the resources each
uses, the demand each serves and a cost (light-km, to break ties toward short paths):

* ``max_throughput``: the largest total rate, short paths preferred among near-equal ones.
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

    # Path LPs arrive reduced (see _fix_free and _binding): HiGHS's own presolve then costs
    # more than it saves (Kuiper K1, 1,000 demands: 40 -> 34 ms a solve). Arc LPs keep it.
    opts = {} if a_eq is not None else {"presolve": False}
    out = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None),
                  method="highs", options=opts)
    if out.status != 0:
        raise CapacityError(f"the flow LP did not solve: {out.message}")
    return out


def _stack(*blocks):
    from scipy.sparse import vstack

    return vstack([b for b in blocks if b is not None and b.shape[0]], format="csr")


def _binding(cols: Columns, request: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Resources that some allocation could overfill: a column never carries more than its
    demand's request, so a resource whose capacity covers every request through it cannot
    bind, and its row is left out (the optimum is unchanged)."""
    if cols.eq is not None:  # arc columns: not every column is bounded by a demand row
        return np.arange(cols.res.shape[0])
    per_col = np.asarray(cols.dem.T @ request).ravel()
    worst = np.asarray(cols.res @ per_col).ravel()
    return np.nonzero(worst > cap * (1 + 1e-12))[0]


def _fix_free(cols: Columns, request: np.ndarray, cap: np.ndarray):
    """Demands whose shortest column touches no resource that could bind get their whole
    request there, and leave the LP: that is optimal for either objective (it takes nothing
    anyone else could use, and both optima are Pareto optimal) and the least delay for them.
    Repeats while fixing demands frees more resources. Returns (rates fixed so far, the
    requests left, the columns left)."""
    x = np.zeros(cols.n)
    left = request.astype(float).copy()
    if cols.eq is not None or cols.n == 0:
        return x, left, np.ones(cols.n, bool)
    dem = cols.dem.tocsc()
    owner = dem.indices  # one demand per path column
    res_t = cols.res.T.tocsr()
    alive = np.ones(cols.n, bool)
    order = np.lexsort((cols.cost, owner))
    first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]  # shortest per demand
    while True:
        per_col = np.where(alive, left[owner], 0.0)
        worst = np.asarray(cols.res @ per_col).ravel()
        binding = worst > cap * (1 + 1e-12)
        touches = np.asarray(res_t @ binding.astype(float)).ravel() > 0
        take = first[alive[first] & ~touches[first] & (left[owner[first]] > 0)]
        if not take.size:
            return x, left, alive
        x[take] = left[owner[take]]
        left[owner[take]] = 0.0
        alive[np.isin(owner, owner[take])] = False


def _subset(cols: Columns, alive: np.ndarray) -> Columns:
    return Columns(cols.res[:, alive], cols.dem[:, alive], cols.cost[alive])


def max_throughput(cols: Columns, request: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """(n_cols,) rates: :func:`_max_throughput` after fixing the demands that cannot
    congest anything."""
    x, left, alive = _fix_free(cols, request, cap)
    if alive.any() and left.any():
        x[alive] += _max_throughput(_subset(cols, alive) if cols.eq is None else cols, left,
                                    np.maximum(cap - cols.res @ x, 0.0))
    return x


def _max_throughput(cols: Columns, request: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """(n_cols,) rates of the maximum total throughput, preferring short columns: one LP
    maximising throughput minus ``eps x cost`` with ``eps x (longest column) = 1e-9``, so the
    total is within 1e-9 x (columns per path) of the maximum, relative."""
    if cols.n == 0:
        return np.zeros(0)
    rows = _binding(cols, request, cap)
    a_ub = _stack(cols.res[rows], cols.dem)
    b_ub = np.concatenate([cap[rows], request])
    b_eq = None if cols.eq is None else np.zeros(cols.eq.shape[0])
    gain = np.asarray(cols.dem.sum(axis=0)).ravel()  # each column's rate counted once
    eps = _SLACK / max(float(cols.cost.max()), 1e-300)
    out = _linprog(-gain + eps * cols.cost, a_ub, b_ub, cols.eq, b_eq)
    return np.maximum(out.x, 0.0)


def max_min_fair(cols: Columns, request: np.ndarray, cap: np.ndarray, *,
                 tol: float = 1e-9) -> np.ndarray:
    """(n_cols,) rates: :func:`_max_min_fair` after fixing the demands that cannot congest
    anything."""
    x, left, alive = _fix_free(cols, request, cap)
    if alive.any() and left.any():
        x[alive] += _max_min_fair(_subset(cols, alive) if cols.eq is None else cols, left,
                                  np.maximum(cap - cols.res @ x, 0.0), tol=tol)
    return x


def _max_min_fair(cols: Columns, request: np.ndarray, cap: np.ndarray, *,
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
    keep = _binding(cols, request, cap)
    res, cap_b = cols.res.tocsr()[keep], cap[keep]
    while not frozen.all():
        free = np.nonzero(~frozen)[0]
        fixed = np.nonzero(frozen & served)[0]
        # variables: columns, then t; maximise t
        c = np.zeros(cols.n + 1)
        c[-1] = -1.0
        rows = [hstack([res, csr_matrix((res.shape[0], 1))]),
                hstack([dem, csr_matrix((n_d, 1))])]  # rate <= request
        b = [cap_b, request]
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
        start = res.shape[0] + n_d
        lvl_dual = duals[start:start + free.size]
        hit = (lvl_dual > tol) | (request[free] <= t + tol * max(1.0, t))
        if not hit.any():  # the level rows' duals sum to 1: only round-off gets here
            hit[np.argmax(lvl_dual)] = True
        newly = free[hit]
        level[newly] = np.minimum(t, request[newly])
        frozen[newly] = True
    # Final: the demand rates fixed, least delay.
    idx = np.nonzero(served)[0]
    rows = [res, dem, -dem[idx]]
    b = [cap_b, request, -level[idx] * (1 - _SLACK)]
    b_eq = None if eq is None else np.zeros(eq.shape[0])
    out = _linprog(cols.cost, _stack(*rows), np.concatenate(b), eq, b_eq)
    return np.maximum(out.x, 0.0)

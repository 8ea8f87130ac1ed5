"""The memory budget: the one default, and the refusal that names the size and the way out.

Every function that allocates in proportion to its inputs (propagation, look angles,
routing, coverage, visibility) takes ``memory_budget_mb`` with this default and checks
its request here before allocating, so a request that cannot fit is refused up front
instead of failing after minutes with numpy's ``MemoryError``.
"""

from __future__ import annotations

from .errors import MemoryBudgetError
from .validate import check_number

__all__ = ["DEFAULT_MEMORY_BUDGET_MB", "MIB", "budget_bytes", "check_budget"]

# 4 GiB: what a laptop with 8-16 GiB can give one computation without swapping. A
# parameter everywhere (each call and each Dask worker may set its own), never a global.
DEFAULT_MEMORY_BUDGET_MB = 4096.0
MIB = 2 ** 20


def budget_bytes(memory_budget_mb) -> float:
    """The budget in bytes, after checking it is a positive finite number of MiB."""
    return check_number(memory_budget_mb, "memory_budget_mb", error=MemoryBudgetError, low=0.0,
                        low_inclusive=False) * MIB


def _size(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.2f} GiB" if n_bytes >= 2**30 else f"{n_bytes / MIB:.1f} MiB"


def check_budget(need_bytes: float, memory_budget_mb, what: str, way_out: str,
                 detail: str = "") -> None:
    """Raise :class:`MemoryBudgetError` if ``need_bytes`` exceeds the budget.

    The message says what needs how much (and of what, ``detail``), the budget, and
    ``way_out``.
    """
    budget = budget_bytes(memory_budget_mb)
    if need_bytes > budget:
        raise MemoryBudgetError(
            f"{what} needs {_size(need_bytes)}{' ' + detail if detail else ''}, over the memory "
            f"budget of {_size(budget)} (memory_budget_mb={memory_budget_mb:g}). {way_out}")

"""Pairs of places: the ``"A->B;C->D"`` text users type, and pairs resolved to node indices."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..base.errors import LeolatError
from ..ground.sites import Sites

__all__ = ["PairSpec", "parse_pairs", "resolve_pairs", "pair_labels"]

# "all" (every unordered pair), or (source, destination) of names or indices.
PairSpec = str | Sequence[tuple[str | int, str | int]]


def parse_pairs(spec: str, *, what: str = "pairs") -> PairSpec:
    """``"all"``, or ``"A->B;C->D"`` as a list of (source, destination) names.

    Raises
    ------
    LeolatError
        For an item without ``->`` or with an empty end, naming ``what`` and the item.
    """
    text = spec.strip()
    if text == "all":
        return "all"
    pairs = []
    for item in text.split(";"):
        if not item.strip():
            continue
        if "->" not in item:
            raise LeolatError(f"{what}: {item.strip()!r} is not 'SOURCE->DESTINATION'")
        a, b = (x.strip() for x in item.split("->", 1))
        if not a or not b:
            raise LeolatError(f"{what}: {item.strip()!r} has an empty end")
        pairs.append((a, b))
    if not pairs:
        raise LeolatError(f"{what}: no pairs in {spec!r}")
    return pairs


def resolve_pairs(sites: Sites, pairs: PairSpec) -> tuple[np.ndarray, np.ndarray]:
    """(source, destination) indices into ``sites`` (int64, shape (n_pairs,)) from
    ``"all"`` (every unordered pair), ``"A->B;..."`` text, names or index pairs."""
    n = len(sites)
    if isinstance(pairs, str):
        pairs = parse_pairs(pairs)
        if pairs == "all":
            if n < 2:
                raise LeolatError(f"need at least two sites for pairs, got {n}")
            i, j = np.triu_indices(n, k=1)
            return i.astype(np.int64), j.astype(np.int64)
    src, dst = [], []
    for k, pair in enumerate(pairs):
        if isinstance(pair, str) or len(pair) != 2:
            raise LeolatError(f"pairs[{k}] must be (source, destination), got {pair!r}")
        ends = []
        for end in pair:
            if isinstance(end, (int, np.integer)) and not isinstance(end, bool):
                if not 0 <= int(end) < n:
                    raise LeolatError(f"pairs[{k}]: station index {end} is outside 0..{n - 1}")
                ends.append(int(end))
            else:
                ends.append(sites.index(str(end)))
        if ends[0] == ends[1]:
            raise LeolatError(f"pairs[{k}]: source and destination are the same station")
        src.append(ends[0])
        dst.append(ends[1])
    if not src:
        raise LeolatError("no pairs given")
    return np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)


def pair_labels(sites: Sites, src: np.ndarray, dst: np.ndarray) -> list[str]:
    """``"A->B"`` labels of resolved pairs."""
    names = sites.names
    return [a + "->" + b for a, b in zip(names[src].tolist(), names[dst].tolist())]

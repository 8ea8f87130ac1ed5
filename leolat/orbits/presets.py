"""Named constellation presets, read from the table ``data/presets.csv`` that ships with leolat.

Each row is one Walker shell with its source.  A preset is every shell of one
constellation (``"starlink-gen1"``) or one shell alone
(``"starlink-gen1-shell1"``).
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass

from ..base.data import read_text
from ..base.errors import PresetError
from ..base.validate import did_you_mean

__all__ = ["PresetShell", "presets", "preset_shells"]


@dataclass(frozen=True)
class PresetShell:
    """One row of the preset table."""

    preset: str
    shell: str
    altitude_km: float
    inclination_deg: float
    planes: int
    sats_per_plane: int
    phasing: int
    kind: str
    source: str

    @property
    def name(self) -> str:
        """The single-shell preset name, e.g. ``"kuiper-k1"``."""
        return f"{self.preset}-{self.shell}"

    @property
    def n_sats(self) -> int:
        return self.planes * self.sats_per_plane


@functools.lru_cache(maxsize=1)
def _table() -> tuple[PresetShell, ...]:
    text = read_text("presets.csv")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        rows.append(PresetShell(
            preset=row["preset"], shell=row["shell"],
            altitude_km=float(row["altitude_km"]), inclination_deg=float(row["inclination_deg"]),
            planes=int(row["planes"]), sats_per_plane=int(row["sats_per_plane"]),
            phasing=int(row["phasing"]), kind=row["kind"], source=row["source"]))
    return tuple(rows)


def presets() -> dict[str, tuple[PresetShell, ...]]:
    """Every preset name with the shells it contains.

    Returns
    -------
    dict of str to tuple of PresetShell
        Whole constellations (``"starlink-gen1"``) and single shells
        (``"starlink-gen1-shell1"``), in table order.
    """
    out: dict[str, list[PresetShell]] = {}
    for row in _table():
        out.setdefault(row.preset, []).append(row)
    for row in _table():
        out[row.name] = [row]
    return {k: tuple(v) for k, v in out.items()}


def preset_shells(name: str) -> tuple[PresetShell, ...]:
    """The shells of a preset, or a :class:`PresetError` with close suggestions."""
    table = presets()
    key = name.strip().lower()
    if key not in table:
        hint = did_you_mean(key, table, cutoff=0.5)
        raise PresetError(f"unknown preset {name!r}{hint} Known presets: {', '.join(table)}")
    return table[key]

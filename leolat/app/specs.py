"""Constellations and sites from the short specs users type: a preset name or a file; "default",
a CSV file or city names. Shared by the command line and study files."""

from __future__ import annotations

from pathlib import Path

from ..base.data import data_path
from ..base.errors import ElementSetError, LeolatError
from ..ground.sites import Sites
from ..orbits.constellation import Constellation
from ..reference.time import InstantLike

__all__ = ["load_constellation", "load_sites", "is_element_file", "shells_for_isl", "DEFAULT_SITES",
           "ELEMENT_FILE_SUFFIXES"]

DEFAULT_SITES = "default"
# Suffixes that mark a spec as an element-set file.
ELEMENT_FILE_SUFFIXES = (".tle", ".txt", ".3le", ".2le", ".csv", ".xml", ".json")


def is_element_file(spec: str) -> bool:
    """Whether ``spec`` names an element-set file (existing, or by its suffix or folder)."""
    path = Path(spec)
    return path.exists() or path.suffix.lower() in ELEMENT_FILE_SUFFIXES or len(path.parts) > 1


def load_constellation(spec: str, *, epoch: InstantLike | None = None) -> Constellation:
    """A preset name or a TLE/OMM file path (OMM for .csv, .xml and .json).

    ``epoch`` is a preset's element-set epoch (default: the presets' fixed
    2026-01-01T00:00:00Z); files carry their own.
    """
    path = Path(spec)
    if path.exists():
        if path.suffix.lower() in (".csv", ".xml", ".json"):
            return Constellation.from_omm(path)
        return Constellation.from_tle(path)
    if path.suffix.lower() in ELEMENT_FILE_SUFFIXES or len(path.parts) > 1:
        # Meant as a file, not a preset name: say so, not "unknown preset".
        raise ElementSetError("file not found", source=str(path))
    if epoch is None:
        return Constellation.preset(spec)
    return Constellation.preset(spec, epoch=epoch)


def shells_for_isl(constellation: Constellation, isl: str) -> tuple[Constellation, bool]:
    """The constellation with shells, planes and slots inferred when +Grid ISLs need them
    and it has none (a catalogue file); and whether they were inferred."""
    if isl == "plus_grid" and not (constellation.plane >= 0).any():
        return constellation.infer_shells(), True
    return constellation, False


def load_sites(spec: str) -> Sites:
    """``default`` (the shipped ten cities), a CSV file, or city names separated by ``;``
    (``"London;Paris, FR"``: a comma picks the country)."""
    if spec == DEFAULT_SITES:
        return Sites.from_csv(data_path("sites_default.csv"))
    path = Path(spec)
    if path.suffix.lower() == ".csv" or path.exists():
        return Sites.from_csv(path)
    names = [n.strip() for n in spec.split(";") if n.strip()]
    if not names:
        raise LeolatError(f"no site names in {spec!r}")
    return Sites.from_cities(names)

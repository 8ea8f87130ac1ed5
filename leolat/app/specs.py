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
# Sites spec of a global grid: "grid:STEP_DEG[:KIND]".
GRID_PREFIX = "grid:"
# Suffixes that mark a spec as an element-set file.
ELEMENT_FILE_SUFFIXES = (".tle", ".txt", ".3le", ".2le", ".csv", ".xml", ".json")


# Specs naming element sets to fetch: "celestrak:starlink", "supgp:SpaceX-E".
FETCH_PREFIXES = ("celestrak:", "supgp:")


def is_element_file(spec: str) -> bool:
    """Whether ``spec`` names element sets with epochs of their own: a file (existing, or by
    its suffix or folder) or a set to fetch (``celestrak:GROUP``, ``supgp:SOURCE``)."""
    if spec.startswith(FETCH_PREFIXES):
        return True
    path = Path(spec)
    return path.exists() or path.suffix.lower() in ELEMENT_FILE_SUFFIXES or len(path.parts) > 1


def load_constellation(spec: str, *, epoch: InstantLike | None = None) -> Constellation:
    """A preset name, a TLE/OMM file path (OMM for .csv, .xml and .json), or element sets
    to fetch: ``celestrak:GROUP`` (or ``celestrak:CATNR=25544``), ``supgp:SOURCE``
    (:func:`leolat.fetch_elements`, cached for two hours).

    ``epoch`` is a preset's element-set epoch (default: the presets' fixed
    2026-01-01T00:00:00Z); files carry their own.
    """
    if spec.startswith(FETCH_PREFIXES):
        from ..orbits.fetch import fetch_elements

        source, _, query = spec.partition(":")
        return fetch_elements(query, source=source)
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


def shells_for_isl(constellation: Constellation, isl: str) -> tuple[Constellation, str, bool]:
    """What +Grid ISLs need from a catalogue: its shells, planes and slots inferred when it
    has none. Returns the constellation, the topology to use (``"nearest"`` when no shell
    was found, so the satellites still link) and whether shells were inferred."""
    if isl == "plus_grid" and not (constellation.plane >= 0).any():
        inferred = constellation.infer_shells()
        if not (inferred.plane >= 0).any():
            return inferred, "nearest", True
        return inferred, isl, True
    return constellation, isl, False


def load_sites(spec: str) -> Sites:
    """``default`` (the shipped ten cities), a CSV file, city names separated by ``;``
    (``"London;Paris, FR"``: a comma picks the country), or a global grid of cell centres
    weighted by area: ``grid:1`` (1° latitude-longitude), ``grid:2:equal_area``
    (:meth:`Sites.grid`)."""
    if spec == DEFAULT_SITES:
        return Sites.from_csv(data_path("sites_default.csv"))
    if spec.startswith(GRID_PREFIX):
        step, _, kind = spec[len(GRID_PREFIX):].partition(":")
        try:
            step_deg = float(step)
        except ValueError:
            raise LeolatError(f"{spec!r}: the grid step must be a number of degrees "
                              f"(grid:1, grid:2:equal_area)") from None
        return Sites.grid(step_deg, kind or "latlon")
    path = Path(spec)
    if path.suffix.lower() == ".csv" or path.exists():
        return Sites.from_csv(path)
    names = [n.strip() for n in spec.split(";") if n.strip()]
    if not names:
        raise LeolatError(f"no site names in {spec!r}")
    return Sites.from_cities(names)

"""Locate the data files that ship with leolat (the top-level ``data/`` folder)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def read_text(name: str) -> str:
    """Text of a shipped data file, e.g. ``read_text("presets.csv")``.

    Installed, ``data/`` is the package ``leolat.data``; imported straight from a
    source checkout (tests run from the repository root), it is the folder beside
    ``leolat/``.
    """
    try:
        return resources.files("leolat.data").joinpath(name).read_text(encoding="utf-8")
    except ModuleNotFoundError:
        return (Path(__file__).resolve().parents[2] / "data" / name).read_text(encoding="utf-8")


def data_path(name: str) -> Path:
    """Path of a file shipped in ``data/``, e.g. ``data_path("africa_europe_fiber.csv")``:
    the example tables, for functions that read files."""
    try:
        path = Path(str(resources.files("leolat.data").joinpath(name)))
    except ModuleNotFoundError:
        path = Path(__file__).resolve().parents[2] / "data" / name
    if not path.is_file():
        from .errors import LeolatError

        raise LeolatError(f"leolat ships no data file {name!r}")
    return path

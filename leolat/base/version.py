"""leolat's version, from the installed distribution's metadata (one source: pyproject.toml)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("leolat")
except PackageNotFoundError:  # imported from a source tree that is not installed
    __version__ = "0+unknown"

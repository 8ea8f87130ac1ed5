"""The tests exercise the installed package, not the source tree beside them."""

from pathlib import Path

import leolat

ROOT = Path(__file__).resolve().parents[1]


def test_leolat_is_imported_from_the_installed_package():
    where = Path(leolat.__file__).resolve()
    assert ROOT / "leolat" not in where.parents and where.parent != ROOT / "leolat", (
        f"leolat was imported from the source tree ({where}); install it (pip install .) and "
        f"run pytest (not python -m pytest, which puts the checkout on sys.path)")


def test_shipped_data_and_type_information_are_installed():
    here = Path(leolat.__file__).resolve().parent
    assert (here / "py.typed").is_file()
    assert leolat.data_path("presets.csv").parent == here / "data"
    assert leolat.__version__ != "0+unknown"

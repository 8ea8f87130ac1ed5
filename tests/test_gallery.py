"""The documentation gallery's blank-image check, on real PNGs drawn by matplotlib."""

import importlib.util
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

# docs/ is not a package on sys.path (the tests import the installed leolat): load the script.
_PATH = Path(__file__).resolve().parents[1] / "docs" / "gallery.py"
_spec = importlib.util.spec_from_file_location("leolat_docs_gallery", _PATH)
assert _spec is not None and _spec.loader is not None
gallery = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = gallery
_spec.loader.exec_module(gallery)


def test_an_empty_axes_is_blank_and_a_drawn_one_is_not(tmp_path):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_axis_off()
    fig.savefig(tmp_path / "blank.png")
    with pytest.raises(gallery.BlankFigureError, match="nearly\\) blank"):
        gallery.check_not_blank(tmp_path / "blank.png")
    ax.set_axis_on()
    ax.plot([0, 1, 2], [0, 2, 1], lw=3)
    ax.set_title("drawn")
    fig.savefig(tmp_path / "drawn.png")
    plt.close(fig)
    assert gallery.check_not_blank(tmp_path / "drawn.png") > 0.02


def test_every_figure_in_the_docs_has_a_gallery_function():
    img = _PATH.parent / "img"
    assert {p.stem for p in img.glob("*.png")} == set(gallery.FIGURES)

"""The documentation's examples are executed: what the docs print is what leolat prints."""

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
# Pages whose examples read the reference data name it REFERENCE.
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
PAGES = sorted(p for p in DOCS.glob("*.md") if ">>>" in p.read_text())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_doc_examples(page):
    if "REFERENCE" in page.read_text() and not REFERENCE.is_dir():
        pytest.skip(f"{page.name} runs on the reference data in {REFERENCE}, which is absent")
    result = doctest.testfile(str(page), module_relative=False, verbose=False,
                              globs={"REFERENCE": REFERENCE},
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} example(s) in {page.name} failed (see output above)"


def test_quickstart_is_covered():
    assert DOCS / "quickstart.md" in PAGES

"""A griffe extension: the docstrings' Sphinx roles (``:func:`x```, ``:class:`~leolat.Sites```)
as links of the site's API reference.

leolat's numpydoc docstrings cross-reference with Sphinx roles, which Markdown would print
literally. A role naming a public object (a name of ``leolat.__all__``, or a member of one)
becomes a cross-reference to its API page, which the build checks (a broken one fails
``mkdocs build --strict``); any other (a private module's helper) becomes plain code.
"""

from __future__ import annotations

import re

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|mod|data|obj|exc|const):`(~?)([^`<]+?)`")


def _public() -> set[str]:
    import leolat

    return set(leolat.__all__)


def convert(text: str, public: set[str]) -> str:
    """``text`` with every Sphinx role replaced by a cross-reference or plain code."""

    def one(m: re.Match) -> str:
        short, target = m.group(1) == "~", m.group(2).strip()
        parts = [p for p in target.split(".") if p]
        shown = parts[-1] if short else target
        inner = parts[1:] if parts and parts[0] == "leolat" else parts
        ident = None
        if inner and inner[0] in public:
            ident = "leolat." + ".".join(inner)
        elif inner and inner[-1] in public:
            ident = "leolat." + inner[-1]
        elif len(inner) >= 2 and inner[-2] in public:
            ident = f"leolat.{inner[-2]}.{inner[-1]}"
        return f"[`{shown}`][{ident}]" if ident else f"`{shown}`"

    return _ROLE.sub(one, text)


class SphinxRoles(griffe.Extension):
    """Rewrite roles in every docstring griffe loads."""

    def __init__(self) -> None:
        super().__init__()
        self.public = _public()

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = convert(obj.docstring.value, self.public)

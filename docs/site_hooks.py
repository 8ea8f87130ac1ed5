"""mkdocs hooks: pages generated at build time, so the site cannot drift from the code.

* ``api/<name>.md`` for every name in ``leolat.__all__`` (mkdocstrings renders the numpydoc
  docstring), and ``api/index.md`` listing them by topic with their one-line summaries;
* ``cli-reference.md``: ``leolat --help`` and every subcommand's help, from the parser the
  command itself uses.

A name added to ``leolat.__all__`` gets its page on the next build; one without a docstring
fails the build (``--strict``), as does a docstring that does not parse.
"""

from __future__ import annotations

import inspect
import io
import os
from contextlib import redirect_stdout

from mkdocs.structure.files import File, Files

# Topic of each public name, by the subpackage that defines it; errors and warnings apart.
TOPICS = [
    ("orbits", "Orbits: element sets, Walker shells, propagation"),
    ("reference", "Time and frames"),
    ("ground", "Ground: sites, gateways, terrestrial networks"),
    ("geometry", "Geometry: look angles, visibility, passes, coverage"),
    ("network", "Network: links, routing, service, capacity, hybrid scenarios"),
    ("outputs", "Outputs: result files, CZML, plots"),
    ("app", "Batch studies"),
    ("base", "Shipped data"),
]


def _topic(name: str, obj) -> str:
    if inspect.isclass(obj) and issubclass(obj, (Exception, Warning)):
        return "Errors and warnings"
    module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
    for key, title in TOPICS:
        if module.startswith(f"leolat.{key}"):
            return title
    return "Outputs: result files, CZML, plots" if name == "plot" else "Other"


def _roles():
    """docs/griffe_roles.py, loaded by path (docs/ is not a package on sys.path for mkdocs)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("griffe_roles", Path(__file__).with_name("griffe_roles.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _summary(obj, public: set[str]) -> str:
    convert = _roles().convert
    doc = inspect.getdoc(obj) or ""
    return convert(doc.strip().split("\n\n")[0].replace("\n", " "), public).replace("|", "\\|")


def _api_pages() -> dict[str, str]:
    import leolat

    pages: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    public = set(leolat.__all__)
    for name in leolat.__all__:
        if name == "__version__":
            continue
        obj = getattr(leolat, name)
        groups.setdefault(_topic(name, obj), []).append(name)
        # The object's own heading is the page's title (heading_level 1).
        options = "\n    options:\n      heading_level: 1"
        if inspect.ismodule(obj):
            options += "\n      members: true\n      show_submodules: false"
        pages[f"api/{name}.md"] = f"::: leolat.{name}{options}\n"
    lines = ["# API reference", "",
             "Every public name of `leolat` (`leolat.__all__`), each on its own page generated from "
             "its numpydoc docstring. `leolat.__version__` is the installed version string.", ""]
    order = [t for _, t in TOPICS] + ["Errors and warnings", "Other"]
    for topic in sorted(groups, key=order.index):
        lines += [f"## {topic}", "", "| name | summary |", "| --- | --- |"]
        for name in groups[topic]:
            lines.append(f"| [`{name}`]({name}.md) | {_summary(getattr(leolat, name), public)} |")
        lines.append("")
    pages["api/index.md"] = "\n".join(lines)
    return pages


def _cli_page() -> str:
    from leolat.app.cli import build_parser

    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal: fix the width
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    out = ["# CLI reference", "",
           "Generated from the parser `leolat` itself uses (`leolat.app.cli.build_parser`). "
           "[The leolat command](cli.md) explains each subcommand with examples.", ""]
    for title, p in [("leolat", parser)] + [(f"leolat {n}", p) for n, p in sub.choices.items()]:
        buf = io.StringIO()
        with redirect_stdout(buf):
            p.print_help()
        out += [f"## `{title}`", "", "```text", buf.getvalue().rstrip(), "```", ""]
    return "\n".join(out)


def on_files(files: Files, config) -> Files:
    pages = _api_pages()
    pages["cli-reference.md"] = _cli_page()
    for path, content in pages.items():
        files.append(File.generated(config, path, content=content))
    return files

"""The house keeps its shape: layers import downward (import-linter checks that in CI), nothing
below the facade imports it, modules stay small, and every public signature is annotated."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import leolat

PACKAGE = Path(leolat.__file__).resolve().parent
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in a module of the installed package."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    package = parts if path.name == "__init__.py" else parts[:-1]
    if package[-1:] == ["__init__"]:
        package = package[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "leolat":  # `from leolat import x` / `from .. import x` at the top
                out += [(node.lineno, "leolat") for _ in node.names]
            else:
                out.append((node.lineno, module))
    return out


def test_modules_were_found():
    assert len(MODULES) > 40 and (PACKAGE / "_kernels" / "graph.py") in MODULES


@pytest.mark.parametrize("path", [p for p in MODULES if p.parent != PACKAGE or p.name == "__main__.py"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_the_facade(path):
    # The facade imports everything; a module that imported it back would form a cycle
    # and reach every layer above its own.
    bad = [(line, m) for line, m in _imports_of(path) if m == "leolat"]
    if path.name == "__main__.py":
        bad = []  # the entry point runs the CLI through leolat.app, not the facade
    assert not bad, f"{path.relative_to(PACKAGE)} imports the leolat facade at lines {bad}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_hold_one_concept_in_at_most_500_lines(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= 500, f"{path.relative_to(PACKAGE)} has {n} lines"


def _callables():
    for name in leolat.__all__:
        obj = getattr(leolat, name)
        if inspect.isclass(obj):
            if issubclass(obj, BaseException):
                continue
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr != "__init__":
                    continue
                func = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
                if inspect.isfunction(func):
                    yield f"{name}.{attr}", func
        elif inspect.isfunction(obj):
            yield name, obj


@pytest.mark.parametrize("name, func", list(_callables()), ids=lambda x: x if isinstance(x, str) else "")
def test_public_signatures_are_annotated(name, func):
    sig = inspect.signature(func)
    missing = [p.name for p in sig.parameters.values()
               if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               and p.annotation is inspect.Parameter.empty]
    assert not missing, f"{name}: parameters without annotations: {missing}"
    if func.__name__ != "__init__":
        assert sig.return_annotation is not inspect.Signature.empty, f"{name}: no return annotation"


def test_every_public_name_is_importable_and_listed_once():
    assert len(set(leolat.__all__)) == len(leolat.__all__)
    for name in leolat.__all__:
        assert hasattr(leolat, name), name


def test_errors_are_public_under_the_facade_and_pickle():
    import pickle

    err = leolat.SiteError("no site is named 'x'")
    assert type(err).__module__ == "leolat" and isinstance(err, ValueError)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is leolat.SiteError and str(back) == str(err)

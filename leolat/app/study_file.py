"""Study files: TOML read, every key, type, source, site and pair checked before any chunk
runs, and the study split into chunks that each carry a digest of what they compute.

See docs/studies.md for the format.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..base.errors import LeolatError, StudyError
from ..base.types import PathLike
from ..base.validate import check_number, did_you_mean
from ..base.version import __version__
from ..network.links import LinkPolicy
from ..network.pairs import parse_pairs, resolve_pairs
from ..orbits.propagate import BACKENDS, DEFAULT_BACKEND
from ..reference.time import TimeGrid
from .specs import load_constellation, load_sites

__all__ = ["Chunk", "Study", "load_study", "METRICS", "FORMATS", "resolve_spec"]

METRICS = ("latency", "coverage", "coverage_stats")
# coverage_stats (per-target statistics per chunk, for long windows) is asked for by name.
DEFAULT_METRICS = ("latency", "coverage")
FORMATS = ("parquet", "zarr")
# A [[policies]] table holds LinkPolicy's parameters, by name.
_POLICY_KEYS = tuple(f.name for f in dataclasses.fields(LinkPolicy))
# The keys each table may hold.
_KEYS = {
    "<top level>": ("study", "metrics", "constellations", "site_sets", "policies", "windows"),
    "[study]": ("name", "output", "format", "backend", "metrics"),
    "[[constellations]]": ("name", "source"),
    "[[site_sets]]": ("name", "sites", "pairs"),
    "[[windows]]": ("name", "start", "duration_s", "step_s", "chunk_s"),
    "[[policies]]": ("name",) + _POLICY_KEYS,
}


@dataclass(frozen=True)
class Chunk:
    """One unit of work: everything a worker needs, as plain values.

    ``digest`` is a SHA-256 over the chunk's full description, the content of the files it
    reads, and leolat's version: a chunk file carrying another digest was computed from
    something else and is recomputed on resume.
    """

    id: str
    metric: str
    constellation: str
    constellation_source: str
    site_set: str
    sites: str
    pairs: str
    policy: str
    policy_args: dict
    window: int
    start_ns: int
    n_steps: int
    step_s: float
    backend: str
    rows: int = 0
    digest: str = ""


@dataclass(frozen=True)
class Study:
    """A parsed study file (see :func:`load_study`).

    Attributes
    ----------
    name, path, output, format
        The study's name, its file, the results folder and the chunk format.
    chunks : tuple of Chunk
    file_sha256 : str
        Digest of the study file's bytes (recorded in the results' provenance).
    sources : dict of str to dict
        Per constellation name: its resolved source, satellite count and element epochs.
    """

    name: str
    path: Path
    output: Path
    format: str
    chunks: tuple = field(repr=False)
    file_sha256: str = ""
    sources: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.chunks)


def resolve_spec(spec: str, base: Path) -> str:
    """A file path in a study is relative to the study file; anything else (a preset, city
    names) is returned as given."""
    p = Path(spec)
    return str(base / p) if not p.is_absolute() and (base / p).exists() else spec


def _file_digest(spec: str) -> str:
    p = Path(spec)
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""


class _Reader:
    """Typed access to the tables of one study file, with errors that say where."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, message: str) -> StudyError:
        return StudyError(f"{self.path}: {where}: {message}")

    def keys(self, table: Any, kind: str, where: str) -> dict:
        if not isinstance(table, dict):
            raise self.fail(where, f"expected a table, got {type(table).__name__}")
        allowed = _KEYS[kind]
        for key in table:
            if key not in allowed:
                raise self.fail(where, f"unknown key {key!r}{did_you_mean(key, allowed)} "
                                       f"Keys are {', '.join(allowed)}")
        return table

    def need(self, table: dict, key: str, where: str) -> Any:
        if key not in table:
            raise self.fail(where, f"missing '{key}'")
        return table[key]

    def text(self, table: dict, key: str, where: str, default: str | None = None) -> str:
        v = table.get(key, default) if default is not None else self.need(table, key, where)
        if not isinstance(v, str) or not v.strip():
            raise self.fail(where, f"'{key}' must be a non-empty string, got {v!r}")
        return v

    def number(self, table: dict, key: str, where: str, default: float | None = None) -> float:
        v = table.get(key, default) if default is not None else self.need(table, key, where)
        try:
            return check_number(v, f"'{key}'", error=StudyError, low=0.0, low_inclusive=False)
        except StudyError as exc:
            raise self.fail(where, str(exc)) from None


def load_study(path: PathLike) -> Study:
    """Read and check a study file, and split it into chunks.

    Every key, type and value is checked, and every constellation, site set and pair list
    is resolved (presets, files relative to the study file, city names), before anything
    runs.

    Raises
    ------
    StudyError
        Naming the file, the table and the key (TOML syntax errors with their line and
        column).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
        raw = tomllib.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise StudyError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise StudyError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{path}: {exc}") from None
    r = _Reader(path)
    base = path.parent
    r.keys(raw, "<top level>", "top level")
    head = r.keys(raw.get("study", {}), "[study]", "[study]")
    name = r.text(head, "name", "[study]", default=path.stem)
    output = Path(r.text(head, "output", "[study]", default=str(path.with_suffix("").name)))
    if not output.is_absolute():
        output = base / output
    fmt = head.get("format", "parquet")
    if fmt not in FORMATS:
        raise r.fail("[study]", f"format must be one of {FORMATS}, got {fmt!r}")
    backend = head.get("backend", DEFAULT_BACKEND)
    if backend not in BACKENDS:
        raise r.fail("[study]", f"backend must be one of {BACKENDS}, got {backend!r}"
                                + did_you_mean(str(backend), BACKENDS))
    metrics = raw.get("metrics", head.get("metrics", list(DEFAULT_METRICS)))
    if not isinstance(metrics, list) or not metrics or any(m not in METRICS for m in metrics):
        raise r.fail("[study]", f"metrics must be a non-empty list of {METRICS}, got {metrics!r}")

    def named(section: str) -> list[tuple[str, dict]]:
        items = raw.get(section)
        if not items:
            raise StudyError(f"{path}: no [[{section}]] entries")
        if not isinstance(items, list):
            raise StudyError(f"{path}: {section} must be a list of tables ([[{section}]])")
        out = []
        for k, it in enumerate(items):
            where = f"[[{section}]] #{k + 1}"
            r.keys(it, f"[[{section}]]", where)
            n = str(it.get("name", k))
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", n) or n.startswith("."):  # names become file names
                raise r.fail(where, f"name {n!r}: use letters, digits, '_', '-' and '.' (names "
                                    f"become file names)")
            out.append((n, it))
        names = [n for n, _ in out]
        if len(set(names)) != len(names):
            raise StudyError(f"{path}: [[{section}]] names must be unique, got {names}")
        return out

    constellations: list[tuple[str, str]] = []
    sources: dict[str, dict[str, Any]] = {}
    for n, it in named("constellations"):
        where = f"[[constellations]] {n!r}"
        spec = resolve_spec(r.text(it, "source", where), base)
        try:
            c = load_constellation(spec)
        except LeolatError as exc:
            raise r.fail(where, str(exc)) from None
        epochs = c.epoch_utc
        sources[n] = {"source": spec, "n_satellites": len(c), "sha256": _file_digest(spec),
                      "element_epoch_min_utc": str(epochs.min())[:26] + "Z",
                      "element_epoch_max_utc": str(epochs.max())[:26] + "Z"}
        constellations.append((n, spec))
    site_sets = []
    for n, it in named("site_sets"):
        where = f"[[site_sets]] {n!r}"
        spec = resolve_spec(r.text(it, "sites", where), base)
        pairs = r.text(it, "pairs", where, default="all")
        try:
            sites = load_sites(spec)
            n_pairs = len(resolve_pairs(sites, parse_pairs(pairs))[0]) if "latency" in metrics else 0
        except LeolatError as exc:
            raise r.fail(where, str(exc)) from None
        site_sets.append((n, spec, pairs, len(sites), n_pairs, _file_digest(spec)))
    policies = []
    for n, it in (named("policies") if "policies" in raw else [("default", {})]):
        args = {k: v for k, v in it.items() if k != "name"}
        try:
            LinkPolicy(**args)
        except LeolatError as exc:
            raise r.fail(f"[[policies]] {n!r}", str(exc)) from None
        policies.append((n, args))
    chunks = []
    for w, (wname, win) in enumerate(named("windows")):
        where = f"[[windows]] {wname!r}"
        start = r.need(win, "start", where)
        duration = r.number(win, "duration_s", where)
        step = r.number(win, "step_s", where)
        chunk_s = r.number(win, "chunk_s", where, default=duration)
        try:
            grid = TimeGrid.from_utc(start if isinstance(start, str) else
                                     start.isoformat().replace("+00:00", "Z"), duration, step)
        except (LeolatError, AttributeError) as exc:
            raise r.fail(where, f"start: {exc}") from None
        per = max(1, int(round(chunk_s / step)))
        n_t = len(grid)
        for part in range(math.ceil(n_t / per)):
            lo, hi = part * per, min(n_t, (part + 1) * per)
            for metric in metrics:
                for cname, source in constellations:
                    for sname, sites_spec, pairs, n_sites, n_pairs, sites_sha in site_sets:
                        for pname, pargs in policies:
                            cid = f"{metric}__{cname}__{sname}__{pname}__{wname}__{part:04d}"
                            rows = (n_sites if metric == "coverage_stats" else
                                    (hi - lo) * (n_pairs if metric == "latency" else n_sites))
                            chunk = Chunk(cid, metric, cname, source, sname, sites_spec, pairs,
                                          pname, pargs, w, int(grid.unix_ns[lo]), hi - lo, step,
                                          backend, rows)
                            chunks.append(dataclasses.replace(chunk, digest=_digest(
                                chunk, str(sources[cname]["sha256"]), sites_sha)))
    return Study(name, path, output, fmt, tuple(chunks), hashlib.sha256(data).hexdigest(), sources)


def _digest(chunk: Chunk, source_sha: str, sites_sha: str) -> str:
    """What a chunk computes, as one SHA-256: its description (paths included: a chunk read
    from another file is another chunk), the bytes of the files it reads, leolat's version."""
    description = dataclasses.asdict(chunk)
    description.pop("digest")
    payload = {"chunk": description, "source_sha256": source_sha, "sites_sha256": sites_sha,
               "leolat_version": __version__}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

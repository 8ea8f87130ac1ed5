"""Batch studies: constellations × site sets × time windows × policies × metrics, from TOML.

A study is split into chunks (one metric, constellation, site set and policy over
one slice of one time window). Each chunk's result is a tidy table written
atomically (a temporary file in the output folder, then a rename) as one Parquet
file of a Parquet dataset, or one group of a Zarr store. A chunk whose file exists
is done: ``resume`` computes only the missing ones, and since a chunk depends on
nothing but its own description, results are identical whatever ran them: this
process, a local Dask cluster (``workers=N``) or an existing scheduler.

See docs/studies.md for the file format.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..base.atomic import atomic_path
from ..base.errors import LeolatError, StudyError
from ..base.types import PathLike
from ..base.validate import check_count, did_you_mean
from ..network.links import LinkPolicy
from ..orbits.propagate import BACKENDS, DEFAULT_BACKEND

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Study", "StudyError", "load_study", "run_study", "read_study", "run_chunk", "METRICS"]

METRICS = ("latency", "coverage")
FORMATS = ("parquet", "zarr")
# A [[policies]] table holds LinkPolicy's parameters, by name.
_POLICY_KEYS = tuple(f.name for f in dataclasses.fields(LinkPolicy))



@dataclass(frozen=True)
class Chunk:
    """One unit of work: everything a worker needs, as plain values."""

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


@dataclass(frozen=True)
class Study:
    """A parsed study file (see :func:`load_study`)."""

    name: str
    path: Path
    output: Path
    format: str
    chunks: tuple = field(repr=False)

    def __len__(self) -> int:
        return len(self.chunks)


def _need(table, key, where, number=False):
    if key not in table:
        raise StudyError(f"{where}: missing '{key}'")
    v = table[key]
    if number and (isinstance(v, bool) or not isinstance(v, (int, float))):
        raise StudyError(f"{where}: '{key}' must be a number, got {v!r}")
    return v


def load_study(path: PathLike) -> Study:
    """Read and check a study file, and split it into chunks.

    Raises
    ------
    StudyError
        Naming the file and the entry (TOML syntax errors with their line and column).
    """
    from ..reference.time import TimeGrid

    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StudyError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{path}: {exc}") from None
    head = raw.get("study", {})
    name = str(head.get("name", path.stem))
    output = Path(head.get("output", path.with_suffix("")))
    if not output.is_absolute():
        output = path.parent / output
    fmt = head.get("format", "parquet")
    if fmt not in FORMATS:
        raise StudyError(f"{path}: [study] format must be one of {FORMATS}, got {fmt!r}")
    backend = head.get("backend", DEFAULT_BACKEND)
    if backend not in BACKENDS:
        raise StudyError(f"{path}: [study] backend must be one of {BACKENDS}, got {backend!r}"
                         + did_you_mean(str(backend), BACKENDS))
    metrics = raw.get("metrics", head.get("metrics", list(METRICS)))
    bad = [m for m in metrics if m not in METRICS]
    if bad or not metrics:
        raise StudyError(f"{path}: metrics must be a non-empty list of {METRICS}, got {metrics!r}")

    def named(section):
        items = raw.get(section)
        if not items:
            raise StudyError(f"{path}: no [[{section}]] entries")
        names = [str(it.get("name", k)) for k, it in enumerate(items)]
        for n in names:  # names become file names
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", n) or n.startswith("."):
                raise StudyError(f"{path}: [[{section}]] name {n!r}: use letters, digits, '_', '-' "
                                 f"and '.' (names become file names)")
        if len(set(names)) != len(names):
            raise StudyError(f"{path}: [[{section}]] names must be unique, got {names}")
        return list(zip(names, items))

    constellations = [(n, str(_need(it, "source", f"{path}: [[constellations]] {n!r}")))
                      for n, it in named("constellations")]
    site_sets = [(n, str(_need(it, "sites", f"{path}: [[site_sets]] {n!r}")), str(it.get("pairs", "all")))
                 for n, it in named("site_sets")]
    policies = []
    for n, it in (named("policies") if "policies" in raw else [("default", {})]):
        args = {k: v for k, v in it.items() if k != "name"}
        unknown = sorted(set(args) - set(_POLICY_KEYS))
        if unknown:
            raise StudyError(f"{path}: [[policies]] {n!r}: unknown key {unknown[0]!r}"
                             f"{did_you_mean(unknown[0], _POLICY_KEYS)} Keys are "
                             f"{', '.join(_POLICY_KEYS)}")
        try:
            LinkPolicy(**args)
        except LeolatError as exc:
            raise StudyError(f"{path}: [[policies]] {n!r}: {exc}") from None
        policies.append((n, args))
    chunks = []
    for w, (wname, win) in enumerate(named("windows")):
        where = f"{path}: [[windows]] {wname!r}"
        start = _need(win, "start", where)
        duration = float(_need(win, "duration_s", where, number=True))
        step = float(_need(win, "step_s", where, number=True))
        try:
            grid = TimeGrid.from_utc(start if isinstance(start, str) else
                                     start.isoformat().replace("+00:00", "Z"), duration, step)
        except LeolatError as exc:
            raise StudyError(f"{where}: {exc}") from None
        chunk_s = float(win.get("chunk_s", duration))
        per = max(1, int(round(chunk_s / step)))
        n = len(grid)
        for c in range(math.ceil(n / per)):
            lo, hi = c * per, min(n, (c + 1) * per)
            for metric in metrics:
                for cname, source in constellations:
                    for sname, sites, pairs in site_sets:
                        for pname, pargs in policies:
                            cid = f"{metric}__{cname}__{sname}__{pname}__{wname}__{c:04d}"
                            chunks.append(Chunk(cid, metric, cname, source, sname, sites, pairs,
                                                pname, pargs, w, int(grid.unix_ns[lo]), hi - lo,
                                                step, backend))
    return Study(name, path, output, fmt, tuple(chunks))


# ----------------------------------------------------------------- one chunk
def _resolve(spec: str, base: Path) -> str:
    """Relative file paths in a study are relative to the study file."""
    p = Path(spec)
    return str(base / p) if not p.is_absolute() and (base / p).exists() else spec


def compute_chunk(chunk: Chunk, base: Path):
    """The tidy table of one chunk (a pandas DataFrame)."""
    import pandas as pd

    from ..reference.time import TimeGrid
    from .specs import load_constellation, load_sites

    constellation = load_constellation(_resolve(chunk.constellation_source, base))
    sites = load_sites(_resolve(chunk.sites, base))
    ns = chunk.start_ns + np.arange(chunk.n_steps, dtype=np.int64) * int(round(chunk.step_s * 1e9))
    times = TimeGrid(ns)
    if chunk.metric == "latency":
        from ..network.pairs import parse_pairs
        from ..network.routing import Network

        net = Network(constellation, sites, LinkPolicy(**chunk.policy_args), backend=chunk.backend)
        # Not Network.latency: a slice where no pair connects is a table of NaNs, not an error.
        ds = net.latency_dataset(net.route(times, parse_pairs(chunk.pairs)))
        table = ds[["rtt_ms", "hops", "isl_hops", "first_sat", "last_sat"]].to_dataframe().reset_index()
        table = table.drop(columns=["source", "destination"], errors="ignore")
    else:
        from ..geometry.visibility import visible

        min_el = chunk.policy_args.get("min_elevation_deg", 25.0)
        vis = visible(constellation, sites, 25.0 if min_el is None else min_el, times=times,
                      backend=chunk.backend)
        table = pd.DataFrame({"time": np.repeat(times.utc, len(sites)),
                              "site": np.tile(sites.names.astype(str), len(times)),
                              "n_visible": vis.counts.ravel().astype(np.int32)})
    for key in ("policy", "site_set", "constellation"):
        table.insert(0, key, getattr(chunk, key))
    table.insert(0, "chunk", chunk.id)
    return table


def _target(out: Path, fmt: str, chunk: Chunk) -> Path:
    if fmt == "parquet":
        return out / chunk.metric / f"{chunk.id}.parquet"
    return out / f"{chunk.metric}.zarr" / chunk.id


def run_chunk(chunk_fields: dict, base: str, out: str, fmt: str) -> tuple[str, float]:
    """Compute one chunk and write it atomically; returns (chunk id, seconds). A plain
    function of plain values, so that Dask can ship it to any worker."""
    t0 = time.perf_counter()
    chunk = Chunk(**chunk_fields)
    table = compute_chunk(chunk, Path(base))
    final = _target(Path(out), fmt, chunk)
    # Whole or not at all; a killed writer's left-overs for this chunk go when it is redone.
    with atomic_path(final) as tmp:
        if fmt == "parquet":
            table.to_parquet(tmp, index=False)
        else:
            _to_zarr(table, tmp)
    return chunk.id, time.perf_counter() - t0


def _to_zarr(table, path: Path):
    import xarray as xr

    ds = xr.Dataset({c: ("row", table[c].to_numpy()) for c in table.columns},
                    attrs={"columns": list(table.columns),
                           "dtypes": [str(t) for t in table.dtypes]})
    ds.to_zarr(path, mode="w", zarr_format=2, consolidated=False)


# ----------------------------------------------------------------- the whole study
@dataclass
class StudyRun:
    """What :func:`run_study` did."""

    study: Study
    computed: list
    skipped: list
    seconds: float
    where: str

    def tables(self) -> dict:
        return read_study(self.study)

    def summary(self) -> str:
        lines = [f"study {self.study.name!r}: {len(self.study)} chunks, {len(self.computed)} computed, "
                 f"{len(self.skipped)} already done, {self.seconds:.1f} s ({self.where}); "
                 f"results in {self.study.output}"]
        tables = self.tables()
        if "latency" in tables:
            t = tables["latency"]
            g = t.groupby(["constellation", "site_set", "policy", "pair"])["rtt_ms"]
            s = g.agg(rtt_median_ms="median", rtt_max_ms="max")
            s["reachable_pct"] = 100 * g.apply(lambda x: x.notna().mean())
            lines.append(s.round(2).to_string())
        if "coverage" in tables:
            t = tables["coverage"]
            g = t.groupby(["constellation", "site_set", "policy", "site"])["n_visible"]
            s = g.agg(mean_visible="mean", min_visible="min")
            s["covered_pct"] = 100 * g.apply(lambda x: (x > 0).mean())
            lines.append(s.round(2).to_string())
        return "\n".join(lines)


def _done(study: Study) -> set:
    done = set()
    for chunk in study.chunks:
        if _target(study.output, study.format, chunk).exists():
            done.add(chunk.id)
    return done


def run_study(study: Study | PathLike, *, out_dir: PathLike | None = None, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False) -> StudyRun:
    """Run the chunks of a study (a :class:`Study` or a TOML path).

    Parameters
    ----------
    out_dir : path, optional
        Results folder (default: the study's ``output``).
    workers : int, optional
        Run on a local Dask cluster of this many worker processes (one thread
        each; numba kernels inside use one thread per worker).
    scheduler : str, optional
        Address of an existing Dask scheduler.
    resume : bool
        Keep chunks already written; otherwise an existing output folder is an error
        (nothing is overwritten by accident).
    """
    if not isinstance(study, Study):
        study = load_study(study)
    if out_dir is not None:
        study = Study(study.name, study.path, Path(out_dir), study.format, study.chunks)
    if workers is not None and scheduler is not None:
        raise StudyError("give workers= or scheduler=, not both")
    out = study.output
    if out.exists() and any(out.iterdir()) and not resume:
        raise StudyError(f"{out} already holds results: pass resume=True (--resume) to complete "
                         f"them, or choose another output folder")
    out.mkdir(parents=True, exist_ok=True)
    done = _done(study)
    todo = [c for c in study.chunks if c.id not in done]
    t0 = time.perf_counter()
    base = str(study.path.parent)
    from ..base import progress

    args = [(asdict(c), base, str(out), study.format) for c in todo]
    if workers is None and scheduler is None:
        where = "in process"
        with progress.bar(len(todo), f"study {study.name}", unit="chunk") as bar:
            for a in args:
                run_chunk(*a)
                bar.update(1)
    else:
        from dask.distributed import Client, LocalCluster, as_completed

        if scheduler is not None:
            client, cluster, where = Client(scheduler), None, f"Dask scheduler {scheduler}"
        else:
            workers = check_count(workers, "workers", error=StudyError, minimum=1)
            cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                                   dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"})
            client, where = Client(cluster), f"local Dask cluster, {workers} workers"
        try:
            futures = [client.submit(run_chunk, *a, key=f"leolat-{study.name}-{a[0]['id']}",
                                     pure=False, retries=2) for a in args]
            with progress.bar(len(futures), f"study {study.name}", unit="chunk") as bar:
                for fut in as_completed(futures):
                    fut.result()  # raise a chunk's error here
                    bar.update(1)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return StudyRun(study, [c.id for c in todo], sorted(done), time.perf_counter() - t0, where)


def read_study(study: Study | PathLike) -> dict[str, pd.DataFrame]:
    """Every written chunk of a study, concatenated: {metric: DataFrame}, rows in chunk order."""
    import pandas as pd

    if not isinstance(study, Study):
        study = load_study(study)
    out = {}
    for metric in METRICS:
        parts = []
        for c in study.chunks:
            if c.metric != metric:
                continue
            p = _target(study.output, study.format, c)
            if not p.exists():
                continue
            if study.format == "parquet":
                parts.append(pd.read_parquet(p))
            else:
                import xarray as xr

                ds = xr.open_zarr(p, consolidated=False).load()
                t = ds.to_dataframe().reset_index(drop=True)[list(ds.attrs["columns"])]
                parts.append(t.astype(dict(zip(ds.attrs["columns"], ds.attrs["dtypes"]))))
        if parts:
            out[metric] = pd.concat(parts, ignore_index=True)
    return out

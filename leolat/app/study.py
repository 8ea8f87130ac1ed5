"""Batch studies: constellations × site sets × time windows × policies × metrics, from TOML.

A study (:mod:`.study_file`) is split into chunks (one metric, constellation, site set and
policy over one slice of one time window). Each chunk's result is a tidy table written
whole or not at all (:mod:`.study_store`), as one Parquet file of a Parquet dataset or one
group of a Zarr store, carrying the digest of what it computes. ``resume`` computes the
chunks that are missing, unreadable, short, or were computed from another description;
since a chunk depends on nothing but its own description, results are identical whatever
ran them: this process, a local Dask cluster (``workers=N``) or an existing scheduler.

See docs/studies.md for the file format.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..base.errors import StudyError
from ..base.types import PathLike
from ..base.validate import check_count
from ..network.links import LinkPolicy
from ..reference.time import TimeGrid
from .specs import load_constellation, load_sites, shells_for_isl
from .study_file import FORMATS, METRICS, Chunk, Study, load_study, resolve_spec
from .study_store import chunk_state, read_chunk, read_manifest, study_lock, write_chunk, write_manifest

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Study", "Chunk", "StudyError", "StudyRun", "load_study", "run_study", "read_study",
           "run_chunk", "compute_chunk", "local_client", "METRICS", "FORMATS"]


# What chunks are built from, kept per process (a Dask worker keeps it between chunks):
# building Starlink Gen1's +Grid network takes longer than routing a 10-minute chunk.
_KEEP = 4
_BUILT: OrderedDict[tuple, Any] = OrderedDict()


def _spec_key(spec: str) -> tuple:
    """A spec as a cache key: a file by path, size and modification time (an edit is seen)."""
    p = Path(spec)
    if p.is_file():
        st = p.stat()
        return (str(p.resolve()), st.st_size, st.st_mtime_ns)
    return (spec,)


def _kept(key: tuple, build: Callable[[], Any]) -> Any:
    if key in _BUILT:
        _BUILT.move_to_end(key)
        return _BUILT[key]
    value = build()
    _BUILT[key] = value
    while len(_BUILT) > _KEEP:
        _BUILT.popitem(last=False)
    return value


def _inputs(chunk: Chunk, base: Path):
    """(constellation, sites) of a chunk, loaded once per process."""
    c_spec, s_spec = resolve_spec(chunk.constellation_source, base), resolve_spec(chunk.sites, base)
    return _kept(("inputs", _spec_key(c_spec), _spec_key(s_spec)),
                 lambda: (load_constellation(c_spec), load_sites(s_spec)))


def _network(chunk: Chunk, base: Path):
    """A chunk's Network, built once per process for its constellation, sites, policy and
    backend (then reused by every chunk of other time slices)."""
    from ..network.routing import Network

    c_spec, s_spec = resolve_spec(chunk.constellation_source, base), resolve_spec(chunk.sites, base)

    def build():
        constellation, sites = _inputs(chunk, base)
        policy = LinkPolicy(**chunk.policy_args)
        constellation, isl, _ = shells_for_isl(constellation, policy.isl)  # +Grid on a catalogue
        if isl != policy.isl:
            policy = replace(policy, isl=isl)
        return Network(constellation, sites, policy, backend=chunk.backend)

    return _kept(("network", _spec_key(c_spec), _spec_key(s_spec),
                  repr(sorted(chunk.policy_args.items())), chunk.backend), build)


def compute_chunk(chunk: Chunk, base: Path) -> pd.DataFrame:
    """The tidy table of one chunk."""
    import pandas as pd

    ns = chunk.start_ns + np.arange(chunk.n_steps, dtype=np.int64) * int(round(chunk.step_s * 1e9))
    times = TimeGrid(ns)
    if chunk.metric == "latency":
        from ..network.pairs import parse_pairs

        net = _network(chunk, base)
        # Not Network.latency: a slice where no pair connects is a table of NaNs, not an error.
        ds = net.latency_dataset(net.route(times, parse_pairs(chunk.pairs)))
        table = ds[["rtt_ms", "hops", "isl_hops", "first_sat", "last_sat"]].to_dataframe().reset_index()
        table = table.drop(columns=["source", "destination"], errors="ignore")
    elif chunk.metric == "coverage_stats":
        from ..geometry.coverage import visible_counts
        from .study_coverage import chunk_stats

        constellation, sites = _inputs(chunk, base)
        min_el = chunk.policy_args.get("min_elevation_deg", 25.0)
        eph = constellation.propagate(times, backend=chunk.backend, positions_only=True,
                                      max_element_age_days=None)
        counts = visible_counts(eph, sites, 25.0 if min_el is None else min_el)
        del eph
        table = pd.DataFrame({"window": np.int32(chunk.window), "start": times.utc[0],
                              "step_s": chunk.step_s, "site_index": np.arange(len(sites), dtype=np.int32),
                              "site": sites.names.astype(str), **chunk_stats(counts)})
    else:
        from ..geometry.visibility import visible

        constellation, sites = _inputs(chunk, base)
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


def run_chunk(chunk_fields: dict, base: str, out: str, fmt: str) -> tuple[str, float]:
    """Compute one chunk and write it whole or not at all; returns (chunk id, seconds). A
    plain function of plain values, so that Dask can ship it to any worker."""
    t0 = time.perf_counter()
    chunk = Chunk(**chunk_fields)
    # Idempotent: Dask reruns a task whose result was held by a worker that died, although
    # its chunk is on disk already; a chunk written whole for this description is kept.
    if chunk_state(Path(out), fmt, chunk) != "done":
        write_chunk(compute_chunk(chunk, Path(base)), Path(out), fmt, chunk)
    return chunk.id, time.perf_counter() - t0


# ----------------------------------------------------------------- the whole study
@dataclass
class StudyRun:
    """What :func:`run_study` did."""

    study: Study
    computed: list
    skipped: list
    seconds: float
    where: str
    recomputed: list = field(default_factory=list)

    def tables(self) -> dict:
        return read_study(self.study)

    def summary(self) -> str:
        redone = f" ({len(self.recomputed)} redone: changed or damaged)" if self.recomputed else ""
        lines = [f"study {self.study.name!r}: {len(self.study)} chunks, {len(self.computed)} computed"
                 f"{redone}, {len(self.skipped)} already done, {self.seconds:.1f} s ({self.where}); "
                 f"results in {self.study.output}"]
        tables = read_study(self.study, metrics=("latency", "coverage"))
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
        if any(c.metric == "coverage_stats" for c in self.study.chunks):
            from .study_coverage import merge_coverage_stats

            m = merge_coverage_stats(self.study)
            g = m.groupby(["constellation", "site_set", "policy", "window"])
            s = g.agg(targets=("site", "size"), covered_pct=("percent_covered", "mean"),
                      mean_visible=("mean_visible", "mean"), worst_max_gap_s=("max_gap_s", "max"))
            lines.append("coverage_stats (unweighted means over targets):\n" + s.round(2).to_string())
        return "\n".join(lines)


def run_study(study: Study | PathLike, *, out_dir: PathLike | None = None, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, client: Any = None) -> StudyRun:
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
    client : dask.distributed.Client, optional
        Run on this client's cluster and leave it running: its workers keep what they
        built (networks, loaded kernels) for the next study (see :func:`local_client`).
    """
    if not isinstance(study, Study):
        study = load_study(study)
    if out_dir is not None:
        study = replace(study, output=Path(out_dir))
    if sum(x is not None for x in (workers, scheduler, client)) > 1:
        raise StudyError("give one of workers=, scheduler= or client=")
    if scheduler is not None and "://" not in scheduler and ":" not in scheduler:
        raise StudyError(f"scheduler {scheduler!r} is not an address (tcp://host:port)")
    out = study.output
    if out.exists() and not out.is_dir():
        raise StudyError(f"{out}: the output exists and is not a folder")
    if out.exists() and any(p.name != ".leolat-study.lock" for p in out.iterdir()) and not resume:
        raise StudyError(f"{out} already holds results: pass resume=True (--resume) to complete "
                         f"them, or choose another output folder")
    with study_lock(out):
        return _run_locked(study, out, workers, scheduler, client)


def local_client(workers: int) -> Any:
    """A Dask client on a new local cluster of ``workers`` processes, one thread each and
    numba on one thread each (what ``workers=`` starts). ``client.close()`` and
    ``client.cluster.close()`` end it."""
    from dask.distributed import Client, LocalCluster

    workers = check_count(workers, "workers", error=StudyError, minimum=1)
    cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                           dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"})
    return Client(cluster)


def _run_locked(study: Study, out: Path, workers: int | None, scheduler: str | None,
                client: Any = None) -> StudyRun:
    state = {c.id: chunk_state(out, study.format, c) for c in study.chunks}
    done = sorted(k for k, v in state.items() if v == "done")
    todo = [c for c in study.chunks if state[c.id] != "done"]
    redone = [c.id for c in todo if state[c.id] in ("stale", "broken")]
    write_manifest(study, out)
    t0 = time.perf_counter()
    base = str(study.path.parent)
    from ..base import progress

    args = [(asdict(c), base, str(out), study.format) for c in todo]
    if workers is None and scheduler is None and client is None:
        where = "in process"
        with progress.bar(len(todo), f"study {study.name}", unit="chunk") as bar:
            for a in args:
                run_chunk(*a)
                bar.update(1)
    else:
        from dask.distributed import Client, as_completed

        owned = client is None
        if client is not None:
            where = f"Dask client {getattr(client.scheduler, 'address', client)}"
        elif scheduler is not None:
            client, where = Client(scheduler), f"Dask scheduler {scheduler}"
        else:
            assert workers is not None  # no client, no scheduler, not in process
            client, where = local_client(workers), f"local Dask cluster, {workers} workers"
        cluster = client.cluster if owned and scheduler is None else None
        try:
            futures = [client.submit(run_chunk, *a, key=f"leolat-{study.name}-{a[0]['id']}",
                                     pure=False, retries=2) for a in args]
            with progress.bar(len(futures), f"study {study.name}", unit="chunk") as bar:
                pending = as_completed(futures)
                del futures  # as_completed holds them; each is dropped once read
                for fut in pending:
                    fut.result()  # raise a chunk's error here
                    # Released, a finished task is not recomputed if its worker dies later.
                    fut.release()
                    bar.update(1)
        finally:
            if owned:
                client.close()
                if cluster is not None:
                    cluster.close()
    return StudyRun(study, [c.id for c in todo], done, time.perf_counter() - t0, where, redone)


def read_study(study: Study | PathLike, metrics: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """Every written chunk of a study, concatenated: {metric: DataFrame}, rows in chunk order.

    Each table's ``attrs`` hold the study's provenance (versions, the study file's hash,
    element epochs per constellation) as written in ``output/study.json``. ``metrics``
    restricts the tables read (default: all); for long ``coverage_stats`` studies,
    :func:`leolat.app.study_coverage.merge_coverage_stats` reads chunk by chunk instead.
    """
    import pandas as pd

    if not isinstance(study, Study):
        study = load_study(study)
    provenance = read_manifest(study.output)
    out = {}
    for metric in METRICS if metrics is None else metrics:
        parts = [read_chunk(study.output, study.format, c) for c in study.chunks
                 if c.metric == metric and chunk_state(study.output, study.format, c) == "done"]
        if parts:
            table = pd.concat(parts, ignore_index=True)
            table.attrs = dict(provenance)
            out[metric] = table
    return out

"""A study's output folder: one file (or Zarr group) per chunk, each carrying the digest of
what it computes and its row count; the folder's lock; the study's provenance manifest.

A chunk counts as done only when its file exists, opens, carries the chunk's current
digest and holds the expected number of rows; anything else is recomputed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..base.atomic import atomic_path, write_text_atomic
from ..base.errors import StudyError
from .study_file import Chunk, Study

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["chunk_path", "write_chunk", "read_chunk", "chunk_state", "study_lock", "write_manifest",
           "read_manifest", "LOCK_NAME", "MANIFEST_NAME"]

LOCK_NAME = ".leolat-study.lock"
MANIFEST_NAME = "study.json"
_META_KEY = "leolat_chunk"


def chunk_path(out: Path, fmt: str, chunk: Chunk) -> Path:
    """Where a chunk's table lives: ``out/<metric>/<id>.parquet`` or ``out/<metric>.zarr/<id>``."""
    if fmt == "parquet":
        return out / chunk.metric / f"{chunk.id}.parquet"
    return out / f"{chunk.metric}.zarr" / chunk.id


def _meta(chunk: Chunk) -> str:
    return json.dumps({"id": chunk.id, "digest": chunk.digest, "rows": chunk.rows})


def write_chunk(table: pd.DataFrame, out: Path, fmt: str, chunk: Chunk) -> Path:
    """Write one chunk's table whole or not at all, with its digest and row count."""
    final = chunk_path(out, fmt, chunk)
    with atomic_path(final) as tmp:  # a killed writer's left-overs go when the chunk is redone
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            t = pa.Table.from_pandas(table, preserve_index=False)
            meta = dict(t.schema.metadata or {})
            meta[_META_KEY.encode()] = _meta(chunk).encode()
            pq.write_table(t.replace_schema_metadata(meta), tmp)
        else:
            import xarray as xr

            ds = xr.Dataset({c: ("row", table[c].to_numpy()) for c in table.columns},
                            attrs={"columns": list(table.columns),
                                   "dtypes": [str(t) for t in table.dtypes], _META_KEY: _meta(chunk)})
            ds.to_zarr(tmp, mode="w", zarr_format=2, consolidated=False)
    return final


def chunk_state(out: Path, fmt: str, chunk: Chunk) -> str:
    """``"done"``, ``"missing"``, ``"stale"`` (written for another description) or
    ``"broken"`` (unreadable, or not the rows it should hold)."""
    p = chunk_path(out, fmt, chunk)
    if not p.exists():
        return "missing"
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            md = pq.read_metadata(p)  # reads the footer: a truncated file fails here
            meta = json.loads((md.metadata or {}).get(_META_KEY.encode(), b"{}"))
            rows = md.num_rows
        else:
            import zarr

            group = zarr.open_group(str(p), mode="r", zarr_format=2)
            meta = json.loads(str(group.attrs.get(_META_KEY, "{}")))
            columns = [str(c) for c in group.attrs["columns"]]  # type: ignore[union-attr]
            sizes = {group[c].shape[0] for c in columns}  # type: ignore[union-attr]  # arrays
            rows = sizes.pop() if len(sizes) == 1 else -1
    except Exception:  # any backend's error means the same: not a usable chunk
        return "broken"
    if meta.get("digest") != chunk.digest:
        return "stale"
    return "done" if rows == chunk.rows == meta.get("rows") else "broken"


def read_chunk(out: Path, fmt: str, chunk: Chunk) -> pd.DataFrame:
    """One chunk's table as written."""
    p = chunk_path(out, fmt, chunk)
    if fmt == "parquet":
        import pandas as pd

        return pd.read_parquet(p)
    import xarray as xr

    ds = xr.open_zarr(p, consolidated=False).load()
    t = ds.to_dataframe().reset_index(drop=True)[list(ds.attrs["columns"])]
    return t.astype(dict(zip(ds.attrs["columns"], ds.attrs["dtypes"])))


@contextlib.contextmanager
def study_lock(out: Path) -> Iterator[None]:
    """Hold the output folder exclusively (``flock``; released when the process ends, however
    it ends). A second run on the same folder gets a StudyError saying who holds it."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "another process"
            raise StudyError(f"{out} is in use by another study run ({holder}); wait for it to "
                             f"finish or choose another output folder") from None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        holder = f"host {socket.gethostname()}, pid {os.getpid()}, since {stamp}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def write_manifest(study: Study, out: Path) -> Path:
    """``out/study.json``: the study's provenance (versions, the study file's hash, the
    element epochs of every constellation), written atomically."""
    from ..outputs.results import provenance

    meta: dict[str, Any] = provenance(command=sys.argv if sys.argv and sys.argv[0] else None)
    meta.update(study=study.name, study_file=str(study.path), study_file_sha256=study.file_sha256,
                format=study.format, n_chunks=len(study), constellations=study.sources)
    return write_text_atomic(out / MANIFEST_NAME, json.dumps(meta, indent=2, default=str) + "\n")


def read_manifest(out: Path) -> dict:
    """The provenance :func:`write_manifest` wrote (empty if the study never ran)."""
    p = out / MANIFEST_NAME
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}

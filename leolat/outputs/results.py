"""Writing and reading results: xarray Datasets to NetCDF and Zarr, tables to Parquet and CSV.

Every file carries its provenance: leolat's and its dependencies' versions, the
command line, the element-set epochs, the link policy and units (the Dataset's
own attributes), so that a result found on a disk a year later says what made it.
Reading a file back gives the same Dataset or DataFrame.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..base.atomic import atomic_path
from ..base.errors import ResultFormatError
from ..base.types import PathLike

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from ..orbits.constellation import Constellation

__all__ = ["write_result", "write_result_chunks", "read_result", "provenance", "check_result_path",
           "is_result_store", "FORMATS"]

# Suffix -> kind. NetCDF and Zarr hold Datasets; Parquet and CSV hold tables (a
# Dataset is flattened to one row per (time, pair) or per target).
FORMATS = {".nc": "netcdf", ".zarr": "zarr", ".parquet": "parquet", ".csv": "csv"}
_DEPENDENCIES = ("numpy", "numba", "sgp4", "skyfield", "astropy", "xarray", "pandas", "pyproj")
_CSV_META = "# leolat-metadata: "
_WRITE_FACTS = ("created_utc", "command_line", "leolat_version")



def provenance(*, command: str | Sequence[str] | None = None,
               constellation: Constellation | None = None) -> dict[str, object]:
    """Flat, netCDF-safe attributes saying what made a result.

    Parameters
    ----------
    command : sequence of str or str, optional
        The command line (default: ``sys.argv`` when run from the ``leolat`` command).
    constellation : Constellation, optional
        Adds its source and the range of its element-set epochs.
    """
    from importlib.metadata import PackageNotFoundError, version

    from ..base.version import __version__

    attrs: dict[str, object] = {"leolat_version": __version__,
             "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "python_version": sys.version.split()[0]}
    for dep in _DEPENDENCIES:
        try:
            attrs[f"{dep}_version"] = version(dep)
        except PackageNotFoundError:
            pass
    if command is not None:
        attrs["command_line"] = command if isinstance(command, str) else " ".join(map(str, command))
    if constellation is not None:
        ep = constellation.epoch_utc
        attrs["constellation"] = str(constellation.source)
        attrs["n_satellites"] = len(constellation)
        attrs["element_epoch_min_utc"] = str(ep.min())[:26] + "Z"
        attrs["element_epoch_max_utc"] = str(ep.max())[:26] + "Z"
    return attrs


def _kind(path: Path) -> str:
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ResultFormatError(f"{path}: unknown result format {path.suffix!r}; use one of "
                                f"{', '.join(FORMATS)}")
    return kind


def write_result(result: xr.Dataset | pd.DataFrame, path: PathLike, *,
                 command: str | Sequence[str] | None = None,
                 constellation: Constellation | None = None) -> Path:
    """Write a Dataset or DataFrame to ``path``, chosen by its suffix, with provenance.

    ``.nc`` (NetCDF4 via h5netcdf) and ``.zarr`` (Zarr format 2: fixed-width strings
    are stable there) take Datasets; ``.parquet`` and ``.csv`` take tables, and a
    Dataset is flattened with ``to_dataframe()``. The file appears whole or not at
    all: it is written beside its final name and renamed into place.

    Returns
    -------
    pathlib.Path
    """
    import pandas as pd
    import xarray as xr

    path = Path(path)
    kind = _kind(path)
    meta = provenance(command=command, constellation=constellation)
    if isinstance(result, xr.Dataset):
        ds = result.copy()
        # The Dataset's own attributes (policy, constellation) win over the generic ones,
        # except the facts of this write.
        ds.attrs = {**meta, **ds.attrs, **{k: meta[k] for k in _WRITE_FACTS if k in meta}}
        table = None
    elif isinstance(result, pd.DataFrame):
        ds, table = None, result.copy()
        table.attrs = {**table.attrs, **meta}
    else:
        raise ResultFormatError(f"can write an xarray.Dataset or a pandas.DataFrame, not "
                                f"{type(result).__name__}")
    if kind in ("netcdf", "zarr") and ds is None:
        raise ResultFormatError(f"{path}: {kind} holds Datasets; write tables as .parquet or .csv")
    if kind in ("parquet", "csv") and table is None:
        table = _flatten(ds)
    check_result_path(path)
    with atomic_path(path) as out:
        if kind == "netcdf" and ds is not None:
            # Encoded in memory, then written by plain file I/O: HDF5 writing straight to a
            # full disk raises and then crashes the interpreter on exit (seen with h5netcdf
            # 1.8, h5py 3.16); this way a full disk is an ordinary OSError.
            out.write_bytes(bytes(ds.to_netcdf(engine="h5netcdf")))
        elif kind == "zarr" and ds is not None:
            _write_zarr(ds, out)
        elif kind == "parquet":
            _write_parquet(table, out)
        else:
            _write_csv(table, out)
    return path


def _write_zarr(ds: xr.Dataset, out: Path) -> None:
    """A Zarr (format 2) store, encoded in memory and written key by key with plain file I/O:
    zarr's concurrent writers keep writing after one fails (a full disk), re-creating files
    in a store being removed; written in sequence, a failure stops the write there."""
    import zarr

    keys: dict = {}
    ds.to_zarr(zarr.storage.MemoryStore(store_dict=keys), mode="w", zarr_format=2, consolidated=True)
    out.mkdir()
    for key in sorted(keys):
        target = out / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(keys[key].to_bytes())


def write_result_chunks(chunks: Iterable[xr.Dataset], path: PathLike, *, dim: str = "time",
                        command: str | Sequence[str] | None = None,
                        constellation: Constellation | None = None) -> Path:
    """Write consecutive Datasets along ``dim`` to one Zarr store, one chunk in memory at a time.

    What :func:`write_result` does for a Dataset too big to gather: each chunk is encoded
    in memory, its data written to the store's temporary folder and dropped, and the
    store renamed into place once every chunk is in (whole or not at all). Variables
    without ``dim`` are taken from the first chunk. Every chunk but the last must have
    the first one's length along ``dim``, so that each is whole Zarr chunks.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ResultFormatError
        For a path that is not ``.zarr``, no chunks, or chunks of unequal length.
    """
    import zarr

    path = Path(path)
    if _kind(path) != "zarr":
        raise ResultFormatError(f"{path}: chunks stream into a .zarr store only; gather them "
                                f"and use write_result for {path.suffix}")
    check_result_path(path)
    meta = provenance(command=command, constellation=constellation)
    keys: dict = {}
    store = zarr.storage.MemoryStore(store_dict=keys)
    first_len: int | None = None
    short = False
    with atomic_path(path) as out:
        out.mkdir()
        for k, ds in enumerate(chunks):
            n = int(ds.sizes[dim])
            if short or (first_len is not None and n > first_len):
                raise ResultFormatError(f"{path}: chunk {k} has {n} steps along {dim!r}; every "
                                        f"chunk but the last must have the first's {first_len}")
            ds = ds.copy()
            # Every append rewrites the root attributes: give each chunk the whole set.
            ds.attrs = {**meta, **ds.attrs, **{f: meta[f] for f in _WRITE_FACTS if f in meta}}
            if first_len is None:
                first_len = n
                encoding = {v: {"chunks": (n, *ds[v].shape[1:])} for v in ds.data_vars
                            if ds[v].dims[:1] == (dim,)}
                ds.to_zarr(store, mode="w", zarr_format=2, consolidated=True, encoding=encoding)
            else:
                short = n < first_len
                ds = ds.drop_vars([v for v in ds.variables if dim not in ds[v].dims])
                ds.to_zarr(store, append_dim=dim, zarr_format=2, consolidated=True)
            # Written in sequence by plain file I/O (see _write_zarr); data chunks then leave
            # memory, metadata stays for the next append (which never reads a data chunk: each
            # append starts on a chunk boundary).
            for key in sorted(keys):
                target = out / key
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(keys[key].to_bytes())
                if not key.rsplit("/", 1)[-1].startswith("."):
                    del keys[key]
        if first_len is None:
            raise ResultFormatError(f"{path}: no chunks to write")
    return path


def is_result_store(path: Path) -> bool:
    """Whether ``path`` is a Zarr store that :func:`write_result` wrote (its root attributes
    carry ``leolat_version``)."""
    for meta in (path / ".zattrs", path / "zarr.json"):
        if meta.is_file():
            try:
                return "leolat_version" in meta.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return False
    return False


def check_result_path(path: PathLike) -> None:
    """Refuse, before any work, a result path of unknown format, or one that would replace
    what leolat did not write: a directory other than one of its own Zarr stores, or a file
    where a store should go (:class:`ResultFormatError`)."""
    path = Path(path)
    kind = _kind(path)
    if path.is_dir() and not (kind == "zarr" and is_result_store(path)):
        raise ResultFormatError(
            f"{path}: is a directory that is not a leolat result; refusing to replace it "
            f"(choose another name, or remove it yourself)")
    if kind == "zarr" and path.exists() and not path.is_dir():
        raise ResultFormatError(f"{path}: is a file, not a leolat Zarr store; refusing to replace it")


def _flatten(ds):
    """A Dataset as a table: one row per element of its largest dimension set."""
    table = ds.to_dataframe().reset_index()
    table.attrs = dict(ds.attrs)
    units = {k: v.attrs["units"] for k, v in ds.variables.items() if "units" in v.attrs}
    if units:
        table.attrs["units"] = json.dumps(units)
    return table


def _write_parquet(table, out: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.Table.from_pandas(table, preserve_index=False)
    meta = dict(t.schema.metadata or {})
    meta[b"leolat"] = json.dumps(table.attrs, default=str).encode()
    pq.write_table(t.replace_schema_metadata(meta), out)


def _write_csv(table, out: Path):
    attrs = dict(table.attrs)
    attrs["_dtypes"] = json.dumps({c: str(t) for c, t in table.dtypes.items()})
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(_CSV_META + json.dumps(attrs, default=str) + "\n")
        table.to_csv(f, index=False)


def read_result(path: PathLike) -> xr.Dataset | pd.DataFrame:
    """Read what :func:`write_result` wrote: a Dataset (``.nc``, ``.zarr``) or a DataFrame
    (``.parquet``, ``.csv``) with its attributes.

    Raises
    ------
    ResultFormatError
        Naming the file, for a missing, foreign or corrupt one (never a backend's own error).
    """
    path = Path(path)
    kind = _kind(path)
    if not path.exists():
        raise ResultFormatError(f"{path}: no such file")
    try:
        return _read(path, kind)
    except ResultFormatError:
        raise
    except Exception as exc:  # a foreign or corrupt file: each backend raises its own kinds
        detail = f"{type(exc).__name__}: {exc}"
        raise ResultFormatError(f"{path}: not a readable leolat {kind} result ({detail[:200]})") from exc


def _read(path: Path, kind: str) -> xr.Dataset | pd.DataFrame:
    import pandas as pd
    import xarray as xr

    if kind == "netcdf":
        return xr.load_dataset(path, engine="h5netcdf")
    if kind == "zarr":
        return xr.open_zarr(path, consolidated=True).load()
    if kind == "parquet":
        import pyarrow.parquet as pq

        t = pq.read_table(path)
        table = t.to_pandas()
        raw = (t.schema.metadata or {}).get(b"leolat")
        table.attrs = json.loads(raw) if raw else {}
        return table
    with open(path, encoding="utf-8") as f:
        first = f.readline(1 << 20)
        if not first.startswith(_CSV_META):
            raise ResultFormatError(f"{path}, line 1: not a leolat CSV (no metadata line)")
        attrs = json.loads(first[len(_CSV_META):])
        table = pd.read_csv(f)
    for col, dtype in json.loads(attrs.pop("_dtypes", "{}")).items():  # CSV stores text
        if dtype.startswith("datetime64"):
            table[col] = pd.to_datetime(table[col]).astype(dtype)
        elif dtype != str(table[col].dtype):
            table[col] = table[col].astype(dtype)
    table.attrs = attrs
    return table

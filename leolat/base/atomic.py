"""Files that appear whole or not at all.

Every file leolat writes is written under a temporary name beside its final one, flushed
to disk (``fsync``), and renamed into place: on POSIX the rename is atomic, so a reader (or
a user after a crash, a kill or a full disk) sees the old file, the new file, or nothing,
never half of one. Temporary names carry the host, this process's id and a random token,
``.NAME.leolat-tmp-HOST-PID-TOKEN``, so a writer only ever removes its own.

Directories (Zarr stores) are replaced in three renames: the old store is moved aside,
the new one renamed in, then the old one deleted; a kill at any point leaves a readable
store under the final name or beside it.

Left-overs of a killed writer are cleaned by the next writer of the same final name, and
only when provably that writer's: the name's mark and final name match, it was made on this
host, and the process id it carries is no longer running (a Dask worker on another host may
still be writing its own). An old store left aside with no store
under the final name is renamed back, not deleted.

A full disk is a one-line ``OSError`` naming the file; nothing appears under the final name.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["TMP_MARK", "atomic_path", "write_text_atomic", "temp_name", "clean_leftovers"]

TMP_MARK = ".leolat-tmp-"
_OLD_MARK = ".leolat-old-"


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname()) or "host"


def temp_name(final: Path, mark: str = TMP_MARK) -> Path:
    """A fresh temporary path beside ``final`` that only this writer will use."""
    return final.parent / f".{final.name}{mark}{_host()}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def clean_leftovers(final: Path) -> None:
    """Remove temporaries of dead writers of ``final``; bring back an old store a killed swap
    left aside when nothing is under the final name."""
    pattern = re.compile(rf"^\.{re.escape(final.name)}(\.leolat-(?:tmp|old)-)"
                         rf"{re.escape(_host())}-(\d+)-[0-9a-f]{{12}}$")
    if not final.parent.is_dir():
        return
    for entry in final.parent.iterdir():
        m = pattern.match(entry.name)
        if not m or _pid_alive(int(m.group(2))):
            continue
        if m.group(1) == _OLD_MARK and not final.exists():
            os.replace(entry, final)  # the only copy: restore it
        else:
            _remove(entry)


def _fsync_path(path: Path) -> None:
    """Flush a file, or every file of a directory tree, and the directory entries, to disk."""
    if path.is_dir():
        for root, _dirs, files in os.walk(path):
            for name in files:
                _fsync_file(Path(root) / name)
            _fsync_dir(Path(root))
    else:
        _fsync_file(path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems refuse to open directories
        _fsync_file(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path for the caller to write (a file or a directory); on success it
    is flushed and renamed to ``final``, on any error it is removed and ``final`` is left as
    it was.

    An existing directory at ``final`` is replaced only through this module's three-rename
    swap; the caller decides beforehand whether it may be replaced at all.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(final)
    tmp = temp_name(final)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"{final}: the writer produced nothing")
        _fsync_path(tmp)
        if final.is_dir() and not final.is_symlink():
            old = temp_name(final, _OLD_MARK)
            os.replace(final, old)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
            _remove(old)
        else:
            os.replace(tmp, final)
            _fsync_dir(final.parent)
    except OSError as exc:
        _remove(tmp)
        if exc.errno == errno.ENOSPC:
            raise OSError(errno.ENOSPC, f"{final}: no space left on device; nothing was written "
                                        f"(a previous file of that name is unchanged)") from None
        raise
    except BaseException:
        _remove(tmp)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` whole or not at all."""
    final = Path(path)
    with atomic_path(final) as tmp:
        with open(tmp, "w", encoding=encoding, newline="") as f:
            f.write(text)
    return final

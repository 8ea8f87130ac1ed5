"""Reading the text files users hand in (CSV tables of sites, links, OMM records): decoding,
CSV rows with their line numbers, and messages that stay readable whatever the input."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["read_text_file", "csv_rows", "clip"]

# Builds the caller's typed error from a message and a 1-based line number (or None).
ErrorFactory = Callable[[str, "int | None"], Exception]


def clip(value: object, limit: int = 60) -> str:
    """``repr(value)``, shortened to about ``limit`` characters for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "...'" + f" ({len(text):,} chars)"


def read_text_file(path: str | os.PathLike[str], error: ErrorFactory) -> str:
    """The file as text: UTF-8, a byte-order mark (Excel's CSV) dropped; a missing file, a
    folder or another encoding is the caller's typed error, naming the line of a bad byte."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise error("file not found", None) from None
    except IsADirectoryError:
        raise error("is a folder, not a file", None) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"not UTF-8 text (byte {exc.start}; save the file as UTF-8)", line) from None


def csv_rows(text: str, error: ErrorFactory) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header and the rows of a CSV text, each row with the line it ends on. A row with
    more fields than the header, or a field too large for the csv module, is an error naming
    its line (extra fields are data that would otherwise vanish)."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = list(reader.fieldnames or [])
    except csv.Error as exc:
        raise error(f"not a CSV header ({exc})", 1) from None

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # raised inside the record after the last one read
                raise error(f"unreadable CSV ({exc})", reader.line_num + 1) from None
            if None in row:
                raise error(f"{len(header) + len(row[None])} fields, but the header has "
                            f"{len(header)}: {clip(row[None])}", reader.line_num)
            yield reader.line_num, row

    return header, rows()

"""``leolat fetch``: download current element sets (CelesTrak GP or SupGP) to a file."""

from __future__ import annotations

from pathlib import Path

from ..base.errors import LeolatError

__all__ = ["cmd_fetch"]


def cmd_fetch(args) -> int:
    """``leolat fetch``: current element sets to a file."""
    from ..orbits.fetch import fetch_elements
    from .commands import elements_note  # imported here: commands imports this module

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".json", ".csv", ".tle", ".txt"):
        raise LeolatError(f"--out {out}: write element sets as .json or .csv (OMM) or .tle")
    constellation = fetch_elements(args.query, source=args.source, format=args.format,
                                   max_age_hours=args.max_age_hours, offline=args.offline,
                                   base_url=args.base_url)
    print(f"{constellation!r}")
    print(elements_note(constellation))
    if suffix in (".tle", ".txt"):
        constellation.to_tle(out)
    else:
        constellation.to_omm(out)
    print(f"wrote {out}")
    return 0

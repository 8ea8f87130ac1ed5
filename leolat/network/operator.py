"""An operator's ground segment and service rules: gateways, points of presence (PoPs), which
PoP serves each country, and how terminals are served (epochs, elevation mask, GSO arc
avoidance, the serving-satellite rule, per-segment delays).

``Operator.preset("starlink")`` ships what public sources name, each row with its source:

* PoPs: ``data/starlink_pops.csv``, the PoPs in Starlink's geofeed and reverse DNS
  (``customer.<code>.pop.starlinkisp.net``), located at their PeeringDB facilities, as
  compiled by the starlink-geoip project (github.com/clarkzjw/starlink-geoip).
* Gateways: ``data/starlink_gateways.csv``, 226 sites (219 that carry user traffic; TT&C,
  community and backhaul-only sites are listed but are not exits) with antenna counts where
  known: a public compilation of regulatory filings (StarPerf's), plus sites named by the
  regulator or the press. The operator reports over 100 gateway sites in the US alone (110
  here); Africa and Asia are thin: see docs/service.md for how complete each region is, and
  bring better data with :meth:`Operator.from_csv`.
* Country -> PoP: ``data/starlink_pop_assignment.csv`` where the geofeed shows it; else the
  nearest operational PoP in the terminal's country, else the nearest anywhere.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ..base import data as _data
from ..base.errors import LeolatError, OperatorError
from ..base.textfile import csv_rows, read_text_file
from ..base.types import PathLike
from ..base.validate import check_elevation_deg, check_number
from ..ground.baseline import sphere_km
from ..ground.sites import Sites

__all__ = ["FRAME_MS", "GATEWAY_KINDS", "Operator", "OperatorError", "SELECTIONS"]

SELECTIONS = ("max_elevation", "longest_remaining", "seeded_random")
# Gateway kinds in a gateway table; only "gateway" sites carry user traffic.
GATEWAY_KINDS = ("gateway", "ttc", "community", "backhaul", "possible")

# One Ka-band user-link frame: the Starlink downlink is framed at 750 Hz (Humphreys et al.,
# "Signal Structure of the Starlink Ku-Band Downlink", IEEE TAES 2023). A packet waits on
# average half a frame for its slot and takes up to a frame to go out: ~one frame per crossing.
FRAME_MS = 1000.0 / 750.0


@dataclass(frozen=True, eq=False)
class Operator:
    """Gateways, PoPs, country assignment and service rules of a LEO operator.

    Attributes
    ----------
    name : str
    gateways : Sites
        Gateway sites (they have feeder links; they are exits, never relays).
    pops : Sites
        Points of presence, named by code; ``pop_kind`` says which serve customers.
    pop_kind : (n_pops,) str
        ``"netfac"`` (an operational PoP at an interconnection facility) or another kind
        (community gateway, planned) that no country is assigned to by default.
    assignment : dict of str to str
        ISO 3166 country code -> PoP code, where known.
    gateway_antennas : (n_gateways,) float, optional
        Feeder antennas at each gateway (Ka + E band), NaN where unknown (None: unknown
        everywhere). Carried for capacity; it limits routing only with ``antenna_limit``.
    antenna_limit : bool
        A gateway links to at most ``gateway_antennas`` satellites at once, the nearest.
        Off by default: which satellites an operator's antennas track is not public, and
        nearest-first with few antennas can leave a shell's ascending satellites no exit but
        the long way round (docs/service.md).
    epoch_s, epoch_offset_s : float
        The global reconfiguration schedule: serving satellites and routes are chosen at
        ``t ≡ epoch_offset_s (mod epoch_s)`` seconds past the minute (15 and 12 s: measured,
        see docs/service.md).
    min_elevation_deg : float
        Terminals use satellites at least this high (25°: SpaceX's 2020 modification).
    gso_exclusion_deg : float
        ... and at least this far from the geostationary arc as seen from the terminal
        (22°: SpaceX's filing as quoted secondarily; see docs/service.md).
    gateway_min_elevation_deg : float
        Feeder links need this elevation at the gateway (25°, as for terminals).
    selection : {"max_elevation", "longest_remaining", "seeded_random"}
        Which eligible satellite serves: the highest; the one that stays above the mask
        longest (then the highest); a reproducible random one (``seed``).
    seed : int
    user_link_ms, isl_hop_ms, gateway_ms, pop_ms : float
        One-way delays added per segment besides light time: framing on the user link
        (default one 1/750-s frame, :data:`FRAME_MS`), per inter-satellite hop (0: a packet
        takes ~0.1 µs to serialise at laser rates), at the gateway (one frame: the feeder
        link is framed too), at the PoP (0). Assumptions, not measurements: docs/service.md
        shows their sensitivity; ``Operator.preset("starlink", **Operator.LIGHT_ONLY)`` sets
        them all to 0, leaving pure light time.
    """

    name: str
    gateways: Sites
    pops: Sites
    pop_kind: np.ndarray
    assignment: dict = field(default_factory=dict)
    gateway_antennas: np.ndarray | None = None
    antenna_limit: bool = False
    epoch_s: float = 15.0
    epoch_offset_s: float = 12.0
    min_elevation_deg: float = 25.0
    gso_exclusion_deg: float = 22.0
    gateway_min_elevation_deg: float = 25.0
    selection: str = "max_elevation"
    seed: int = 0
    user_link_ms: float = FRAME_MS
    isl_hop_ms: float = 0.0
    gateway_ms: float = FRAME_MS
    pop_ms: float = 0.0

    # Rules that leave light time only (for checks against a direct range computation).
    LIGHT_ONLY = MappingProxyType({"user_link_ms": 0.0, "isl_hop_ms": 0.0, "gateway_ms": 0.0,
                                   "pop_ms": 0.0})

    def __post_init__(self):
        check_number(self.epoch_s, "epoch_s", error=OperatorError, low=0.0, low_inclusive=False)
        check_number(self.epoch_offset_s, "epoch_offset_s", error=OperatorError, low=0.0)
        for name in ("min_elevation_deg", "gateway_min_elevation_deg"):
            check_elevation_deg(getattr(self, name), error=OperatorError)
        check_number(self.gso_exclusion_deg, "gso_exclusion_deg", error=OperatorError, low=0.0,
                     high=90.0, high_inclusive=False)
        if self.selection not in SELECTIONS:
            raise OperatorError(f"selection must be one of {SELECTIONS}, got {self.selection!r}")
        for name in ("user_link_ms", "isl_hop_ms", "gateway_ms", "pop_ms"):
            check_number(getattr(self, name), name, error=OperatorError, low=0.0)
        if not len(self.gateways):
            raise OperatorError(f"{self.name}: no gateways")
        if self.gateway_antennas is not None:
            ant = np.asarray(self.gateway_antennas, float)
            if ant.shape != (len(self.gateways),):
                raise OperatorError(f"{self.name}: gateway_antennas has shape {ant.shape}, "
                                    f"expected ({len(self.gateways)},)")
            if np.any(ant[np.isfinite(ant)] < 1) or np.any(np.isinf(ant)):
                raise OperatorError(f"{self.name}: gateway_antennas must be >= 1 or NaN")
            object.__setattr__(self, "gateway_antennas", ant)
        if not np.any(self.pop_kind == "netfac"):
            raise OperatorError(f"{self.name}: no operational PoP (kind 'netfac')")
        codes = set(self.pops.names.tolist())
        for country, pop in self.assignment.items():
            if pop not in codes:
                raise OperatorError(f"{self.name}: country {country} is assigned to unknown PoP "
                                    f"{pop!r}")

    # ----------------------------------------------------------------- constructors
    @classmethod
    def preset(cls, name: str = "starlink", **rules) -> Operator:
        """The shipped operator ``"starlink"``; keyword arguments override its rules
        (``Operator.preset("starlink", min_elevation_deg=40)``)."""
        if name != "starlink":
            raise OperatorError(f"unknown operator preset {name!r}; the shipped one is 'starlink'")
        gws, antennas = _read_gateway_table(
            io.StringIO(_data.read_text("starlink_gateways.csv")), "data/starlink_gateways.csv")
        pops, kind = _read_pops(io.StringIO(_data.read_text("starlink_pops.csv")),
                                "data/starlink_pops.csv")
        assign = _read_assignment(io.StringIO(_data.read_text("starlink_pop_assignment.csv")),
                                  "data/starlink_pop_assignment.csv", pops)
        rules.setdefault("gateway_antennas", antennas)
        return cls("starlink", gws, pops, kind, assign, **rules)

    @classmethod
    def from_csv(cls, name: str, *, gateways: PathLike, pops: PathLike,
                 assignment: PathLike | None = None, **rules) -> Operator:
        """An operator from your own tables or maps: gateways (CSV ``name, lat_deg, lon_deg``
        with optional ``kind`` (only ``gateway`` rows carry traffic), ``antennas`` or
        ``antennas_ka``/``antennas_e``, or KML point placemarks), PoPs (CSV ``code, lat_deg,
        lon_deg, country[, kind]``, or KML placemarks named by code with ``country`` (and ``kind``) in ExtendedData) and
        optionally the country assignment (CSV ``country, pop``). Errors name the file, line
        or placemark, and field."""
        gw, antennas = _read_gateways(Path(gateways))
        rules.setdefault("gateway_antennas", antennas)
        path = Path(pops)

        def error(message, line):
            return OperatorError(f"{path}{'' if line is None else f', line {line}'}: {message}")

        if path.suffix.lower() == ".kml":
            p, kind = _pops_from_kml(path)
        else:
            p, kind = _read_pops(io.StringIO(read_text_file(path, error)), str(path))
        assign = {}
        if assignment is not None:
            apath = Path(assignment)

            def aerror(message, line):
                return OperatorError(f"{apath}{'' if line is None else f', line {line}'}: {message}")

            assign = _read_assignment(io.StringIO(read_text_file(apath, aerror)), str(apath), p)
        return cls(name, gw, p, kind, assign, **rules)

    def with_rules(self, **rules) -> Operator:
        """A copy with other rules (``epoch_s``, ``min_elevation_deg``, delays, ...)."""
        return replace(self, **rules)

    from_files = from_csv  # the same, for KML maps as well as CSV tables

    # ----------------------------------------------------------------- assignment
    def pop_for(self, sites: Sites, *, down: tuple[int, ...] = ()) -> np.ndarray:
        """(n_sites,) int: the PoP serving each site — the country's assigned PoP, else the
        nearest (great-circle) operational PoP in its country, else the nearest operational
        PoP; PoPs in ``down`` (indices) serve no one (their countries fall back to the
        nearest others)."""
        usable = (self.pop_kind == "netfac")
        usable[list(down)] = False
        open_ = np.nonzero(usable)[0]
        if not open_.size:
            raise OperatorError(f"{self.name}: every PoP is down")
        index = {str(c): k for k, c in enumerate(self.pops.names)}
        out = np.empty(len(sites), np.int64)
        countries = (sites.country.astype(str) if sites.country is not None
                     else np.full(len(sites), ""))
        pop_country = (self.pops.country.astype(str) if self.pops.country is not None
                       else np.full(len(self.pops), ""))
        for c in np.unique(countries):  # one decision per country, not per site
            rows = np.nonzero(countries == c)[0]
            c = str(c)
            if c in self.assignment and index[self.assignment[c]] not in down:
                out[rows] = index[self.assignment[c]]
                continue
            same = open_[pop_country[open_] == c] if c else open_[:0]
            cand = same if same.size else open_
            if cand.size == 1:
                out[rows] = cand[0]
                continue
            # Ranking by haversine (within 0.5 % of the geodesic) keeps this fast for
            # thousands of terminals; a near tie is a near tie in latency too.
            d = sphere_km(sites.lat_deg[rows, None], sites.lon_deg[rows, None],
                          self.pops.lat_deg[None, cand], self.pops.lon_deg[None, cand])
            out[rows] = cand[np.argmin(d, axis=1)]
        return out

    def __repr__(self) -> str:
        n_open = int(np.count_nonzero(self.pop_kind == "netfac"))
        return (f"Operator({self.name!r}: {len(self.gateways)} gateways, {n_open} PoPs "
                f"({len(self.pops)} listed), {len(self.assignment)} country assignments; "
                f"epochs {self.epoch_s:g} s at +{self.epoch_offset_s:g} s, mask "
                f"{self.min_elevation_deg:g}°, GSO arc {self.gso_exclusion_deg:g}°, "
                f"{self.selection})")


def _read_gateways(path: Path) -> tuple[Sites, np.ndarray | None]:
    if path.suffix.lower() != ".kml":
        def error(message, line):
            return OperatorError(f"{path}{'' if line is None else f', line {line}'}: {message}")

        return _read_gateway_table(io.StringIO(read_text_file(path, error)), str(path))
    from ..ground.kml import read_kml_points

    rows = read_kml_points(path)
    return Sites([r["name"] for r in rows], [r["lat_deg"] for r in rows],
                 [r["lon_deg"] for r in rows], alt_m=[r["alt_m"] for r in rows]), None


def _coords(row: dict, line: int, where: str) -> tuple[float, float]:
    """A table row's ``lat_deg, lon_deg`` as numbers, or an error naming file, line, column."""
    out = []
    for col in ("lat_deg", "lon_deg"):
        try:
            out.append(float(row[col]))
        except (TypeError, ValueError):
            raise OperatorError(f"{where}, line {line}, column {col!r}: {row[col]!r} is not "
                                f"a number") from None
    return out[0], out[1]


def _read_gateway_table(text: io.StringIO, where: str) -> tuple[Sites, np.ndarray | None]:
    """Gateways that carry traffic (``kind`` gateway, the default) and their antenna counts
    (NaN where unknown; None when the table has no antenna columns)."""
    def error(message, line):
        return OperatorError(f"{where}{'' if line is None else f', line {line}'}: {message}")

    header, rows = csv_rows(text.getvalue(), error)
    for need in ("name", "lat_deg", "lon_deg"):
        if need not in header:
            raise OperatorError(f"{where}: no {need!r} column (header is {header})")
    ant_cols = [c for c in ("antennas", "antennas_ka", "antennas_e") if c in header]
    names, lat, lon, country, ant = [], [], [], [], []
    for line, row in rows:
        kind = (row.get("kind") or "gateway").strip()
        if kind not in GATEWAY_KINDS:
            raise OperatorError(f"{where}, line {line}, column 'kind': {kind!r} is not one of "
                                f"{GATEWAY_KINDS}")
        count, known = 0, False
        for col in ant_cols:
            cell = (row.get(col) or "").strip()
            if not cell:
                continue
            if not cell.isdigit() or int(cell) < 1:
                raise OperatorError(f"{where}, line {line}, column {col!r}: {cell!r} is not a "
                                    f"positive whole number of antennas")
            count, known = count + int(cell), True
        la, lo = _coords(row, line, where)
        if kind != "gateway":
            continue
        names.append((row.get("name") or "").strip())
        lat.append(la)
        lon.append(lo)
        country.append((row.get("country") or "").strip().upper())
        ant.append(float(count) if known else np.nan)
    if not names:
        raise OperatorError(f"{where}: no gateway rows")
    try:
        sites = Sites(names, lat, lon, country=country if any(country) else None)
    except LeolatError as exc:
        raise OperatorError(f"{where}: {exc}") from None
    return sites, (np.array(ant) if ant_cols else None)


def _pops_from_kml(path: Path) -> tuple[Sites, np.ndarray]:
    from ..ground.kml import read_kml_points

    rows = read_kml_points(path)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["code", "lat_deg", "lon_deg", "country", "kind"])
    for k, r in enumerate(rows, 1):
        if not r.get("country"):
            raise OperatorError(f"{path}, placemark {k} ({r['name']!r}): no 'country' in its "
                                f"ExtendedData")
        writer.writerow([r["name"], r["lat_deg"], r["lon_deg"], r["country"],
                         r.get("kind") or "netfac"])
    return _read_pops(io.StringIO(buf.getvalue()), str(path))


def _read_pops(text: io.StringIO, where: str) -> tuple[Sites, np.ndarray]:
    def error(message, line):
        return OperatorError(f"{where}{'' if line is None else f', line {line}'}: {message}")

    header, rows = csv_rows(text.getvalue(), error)
    for need in ("code", "lat_deg", "lon_deg", "country"):
        if need not in header:
            raise OperatorError(f"{where}: no {need!r} column (header is {header})")
    codes, lat, lon, country, kind = [], [], [], [], []
    for line, row in rows:
        code = (row.get("code") or "").strip()
        if not code:
            raise OperatorError(f"{where}, line {line}, column 'code': empty")
        la, lo = _coords(row, line, where)
        c = (row.get("country") or "").strip().upper()
        if len(c) != 2 or not c.isalpha():
            raise OperatorError(f"{where}, line {line}, column 'country': {c!r} is not an ISO "
                                f"3166 two-letter code")
        codes.append(code)
        lat.append(la)
        lon.append(lo)
        country.append(c)
        kind.append((row.get("kind") or "netfac").strip())
    if not codes:
        raise OperatorError(f"{where}: no PoPs")
    try:
        sites = Sites(codes, lat, lon, country=country)
    except LeolatError as exc:
        raise OperatorError(f"{where}: {exc}") from None
    return sites, np.array(kind)


def _read_assignment(text: io.StringIO, where: str, pops: Sites) -> dict:
    codes = set(pops.names.tolist())
    out = {}
    reader = csv.DictReader(text)
    for line, row in enumerate(reader, 2):
        c = (row.get("country") or "").strip().upper()
        pop = (row.get("pop") or "").strip()
        if len(c) != 2 or not c.isalpha():
            raise OperatorError(f"{where}, line {line}, column 'country': {c!r} is not an ISO "
                                f"3166 two-letter code")
        if pop not in codes:
            raise OperatorError(f"{where}, line {line}, column 'pop': unknown PoP {pop!r}")
        out[c] = pop
    return out

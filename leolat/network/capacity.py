"""Link capacities and traffic demands for flow allocation (:mod:`leolat.network.allocation`).

Every default is a stated assumption with its source (docs/capacity.md shows how much the
answers move with each):

* ``user_gbps`` 20: what one satellite's user beams carry, each direction. Starlink V1/V1.5
  satellites are reported at about 18-20 Gbps (secondary: press summaries of SpaceX's
  filings, 2021); V2 mini at about 96 Gbps, "four times" V1.5 (secondary).
* ``isl_gbps`` 100: one laser link, each direction. Starlink: "enable data transfer of up
  to 100 Gbps" (Starlink on X, September 2023; SpaceX at SPIE Photonics West, 2024).
* ``feeder_gbps_per_antenna`` 3.9: a Ka-band gateway antenna's downlink, 1.3 GHz of
  spectrum (the Ka allocation in the StarPerf gateway table) at 3 bit/s/Hz (a DVB-S2X-class
  modulation: an assumption). ``gateway_antennas`` 8 where a gateway's count is unknown
  (the common count in that table).
* ``fiber_gbps`` 100: one leased 100G wavelength per fiber or access link (the unit leased
  waves come in: IEEE 802.3ba 100 GbE). A planner's share of a cable, not the cable's design
  capacity: override per link with ``link_gbps`` or a ``name, capacity_gbps`` CSV.
* ``terminal_gbps`` None: no limit at the office's own terminals unless given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..base.errors import CapacityError
from ..base.textfile import csv_rows, read_text_file
from ..base.types import ArrayLike, PathLike
from ..ground.sites import Sites

__all__ = ["Capacity", "Demand", "CapacityError"]


def rate_gbps(value: Any, name: str) -> float:
    """``value`` as a rate in Gbps: finite and >= 0, else a CapacityError naming ``name``."""
    if isinstance(value, bool):
        raise CapacityError(f"{name} must be a rate in Gbps, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise CapacityError(f"{name} must be a rate in Gbps, got {value!r}") from None
    if not math.isfinite(v) or v < 0.0:
        raise CapacityError(f"{name} must be finite and >= 0 Gbps, got {value!r}")
    return v


@dataclass(frozen=True)
class Capacity:
    """Rates per link kind, each direction, in Gbps (see the module docstring for sources).

    Attributes
    ----------
    user_gbps : float
        Per satellite, all its user beams together (links to sites), each direction.
    isl_gbps : float
        Per laser link.
    feeder_gbps_per_antenna : float
        Per gateway antenna; a gateway carries ``antennas x`` this over all its feeder links.
    gateway_antennas : float
        Antennas at a gateway whose count is not known.
    fiber_gbps : float
        Per fiber or access link of the terrestrial network, unless in ``link_gbps``.
    link_gbps : mapping of str to float
        Per named fiber link (``Terrestrial.link_names``).
    terminal_gbps : float or None
        Per site (an office's terminals together); None: no limit.
    antennas : mapping of str to float
        Antenna counts by gateway name (e.g. from ``Operator.gateway_antennas``).
    """

    user_gbps: float = 20.0
    isl_gbps: float = 100.0
    feeder_gbps_per_antenna: float = 3.9
    gateway_antennas: float = 8.0
    fiber_gbps: float = 100.0
    link_gbps: Mapping[str, float] = field(default_factory=dict)
    terminal_gbps: float | None = None
    antennas: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("user_gbps", "isl_gbps", "feeder_gbps_per_antenna", "fiber_gbps"):
            object.__setattr__(self, name, rate_gbps(getattr(self, name), name))
        if self.terminal_gbps is not None:
            object.__setattr__(self, "terminal_gbps", rate_gbps(self.terminal_gbps, "terminal_gbps"))
        n = rate_gbps(self.gateway_antennas, "gateway_antennas")
        if n < 1:
            raise CapacityError(f"gateway_antennas must be >= 1, got {self.gateway_antennas!r}")
        links = {str(k): rate_gbps(v, f"link_gbps[{k!r}]") for k, v in dict(self.link_gbps).items()}
        object.__setattr__(self, "link_gbps", links)
        ants = {}
        for k, v in dict(self.antennas).items():
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue  # unknown: the default count applies
            a = rate_gbps(v, f"antennas[{k!r}]")
            if a < 1:
                raise CapacityError(f"antennas[{k!r}] must be >= 1, got {v!r}")
            ants[str(k)] = a
        object.__setattr__(self, "antennas", ants)

    def with_links_csv(self, path: PathLike) -> Capacity:
        """A copy with per-link rates from a CSV with columns ``name, capacity_gbps`` (a
        links file may carry the column itself). Rows without a rate are skipped."""
        path = Path(path)

        def error(message, line):
            return CapacityError(f"{path}{'' if line is None else f', line {line}'}: {message}")

        header, rows = csv_rows(read_text_file(path, error), error)
        for need in ("name", "capacity_gbps"):
            if need not in header:
                raise CapacityError(f"{path}: no {need!r} column (header is {header})")
        links = dict(self.link_gbps)
        for line, row in rows:
            cell = (row.get("capacity_gbps") or "").strip()
            if not cell:
                continue
            try:
                links[(row.get("name") or "").strip()] = rate_gbps(cell, "capacity_gbps")
            except CapacityError as exc:
                raise CapacityError(f"{path}, line {line}, column 'capacity_gbps': {exc}") from None
        return replace(self, link_gbps=links)

    def gateway_gbps(self, name: str) -> float:
        """All feeder links of gateway ``name`` together, each direction."""
        return self.antennas.get(str(name), self.gateway_antennas) * self.feeder_gbps_per_antenna

    def fiber_link_gbps(self, name: str) -> float:
        return self.link_gbps.get(str(name), self.fiber_gbps)


def _profile(profile: ArrayLike | None) -> np.ndarray | None:
    return None if profile is None else np.asarray(profile, dtype=float)


@dataclass(frozen=True, eq=False)
class Demand:
    """Traffic to carry: one row per (source, destination) with a rate in Gbps.

    Attributes
    ----------
    source, destination : (n,) str
        Names of ground nodes of the network (sites, cloud regions, ...).
    gbps : (n,) float
        Requested rate at the profile's peak (multiplier 1).
    profile : (24,) float or None
        Multiplier by the source's local solar hour (UTC + longitude / 15), None: flat.
    """

    source: np.ndarray
    destination: np.ndarray
    gbps: np.ndarray
    profile: np.ndarray | None = None

    def __post_init__(self):
        src = np.asarray(self.source, dtype=str)
        dst = np.asarray(self.destination, dtype=str)
        gbps = np.asarray(self.gbps)
        if not (src.shape == dst.shape == gbps.shape) or src.ndim != 1:
            raise CapacityError(f"source, destination and gbps must be equal-length 1-D, got "
                                f"{src.shape}, {dst.shape}, {gbps.shape}")
        rates = np.empty(gbps.size)
        for k in range(gbps.size):
            try:
                rates[k] = rate_gbps(gbps[k], "gbps")
            except CapacityError as exc:
                raise CapacityError(f"demand {k} ({src[k]} -> {dst[k]}): {exc}") from None
            if src[k] == dst[k]:
                raise CapacityError(f"demand {k}: source and destination are both {src[k]!r}")
        object.__setattr__(self, "source", src)
        object.__setattr__(self, "destination", dst)
        object.__setattr__(self, "gbps", rates)
        if self.profile is not None:
            prof = np.asarray(self.profile, dtype=float)
            if prof.shape != (24,) or not np.all(np.isfinite(prof)) or np.any(prof < 0):
                raise CapacityError("profile must be 24 finite multipliers >= 0 (one per "
                                    f"local hour), got shape {prof.shape}")
            object.__setattr__(self, "profile", prof)

    def __len__(self) -> int:
        return int(self.gbps.size)

    @property
    def labels(self) -> np.ndarray:
        return np.array([f"{a}->{b}" for a, b in zip(self.source, self.destination)])

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_frame(cls, frame: Any, *, profile: ArrayLike | None = None) -> Demand:
        """From a DataFrame (or mapping of columns) with ``source, destination, gbps``."""
        cols = list(frame.keys())
        for need in ("source", "destination", "gbps"):
            if need not in cols:
                raise CapacityError(f"demand table has no {need!r} column (columns: {cols})")
        gbps = list(frame["gbps"])
        src, dst = list(frame["source"]), list(frame["destination"])
        for k, g in enumerate(gbps):
            try:
                rate_gbps(g, "gbps")
            except CapacityError:
                raise CapacityError(f"demand row {k}, column 'gbps': {g!r} is not a rate >= 0 "
                                    f"in Gbps") from None
        return cls(np.array(src, str), np.array(dst, str), np.array(gbps, float),
                   _profile(profile))

    @classmethod
    def from_csv(cls, path: PathLike, *, profile: ArrayLike | None = None) -> Demand:
        """From a CSV with columns ``source, destination, gbps``; errors name line and
        column."""
        path = Path(path)

        def error(message, line):
            return CapacityError(f"{path}{'' if line is None else f', line {line}'}: {message}")

        header, rows = csv_rows(read_text_file(path, error), error)
        for need in ("source", "destination", "gbps"):
            if need not in header:
                raise CapacityError(f"{path}: no {need!r} column (header is {header})")
        src, dst, gbps = [], [], []
        for line, row in rows:
            a, b = (row.get("source") or "").strip(), (row.get("destination") or "").strip()
            for col, v in (("source", a), ("destination", b)):
                if not v:
                    raise CapacityError(f"{path}, line {line}, column {col!r}: empty")
            if a == b:
                raise CapacityError(f"{path}, line {line}: source and destination are both {a!r}")
            try:
                g = rate_gbps(row.get("gbps"), "gbps")
            except CapacityError:
                raise CapacityError(f"{path}, line {line}, column 'gbps': {row.get('gbps')!r} "
                                    f"is not a rate >= 0 in Gbps") from None
            src.append(a)
            dst.append(b)
            gbps.append(g)
        return cls(np.array(src, str), np.array(dst, str), np.array(gbps, float),
                   _profile(profile))

    @classmethod
    def gravity(cls, sources: Sites, destinations: Sites, total_gbps: float, *,
                profile: ArrayLike | None = None) -> Demand:
        """Every source to every destination, rates in proportion to the product of their
        weights (``Sites.weight``: population for cities; 1 where absent), scaled so that
        the rates sum to ``total_gbps``."""
        total = rate_gbps(total_gbps, "total_gbps")
        wa = (np.ones(len(sources)) if sources.weight is None
              else np.asarray(sources.weight, float))
        wb = (np.ones(len(destinations)) if destinations.weight is None
              else np.asarray(destinations.weight, float))
        w = wa[:, None] * wb[None, :]
        same = sources.names[:, None] == destinations.names[None, :]
        w[same] = 0.0
        if not w.sum() > 0:
            raise CapacityError("gravity demand: every weight product is zero")
        ii, jj = np.nonzero(w > 0)
        rates = w[ii, jj] / w.sum() * total
        return cls(sources.names[ii].astype(str), destinations.names[jj].astype(str), rates,
                   _profile(profile))

    def with_profile(self, profile: ArrayLike | None) -> Demand:
        """The same flows with another diurnal profile (24 multipliers, or None: flat)."""
        return Demand(self.source, self.destination, self.gbps, _profile(profile))

    def rates_at(self, hours_utc: float, source_lon_deg: np.ndarray) -> np.ndarray:
        """(n,) Gbps requested at ``hours_utc`` (hour of day, UTC), by each source's local
        solar hour."""
        if self.profile is None:
            return self.gbps.copy()
        local = np.mod(hours_utc + np.asarray(source_lon_deg) / 15.0, 24.0)
        lo = np.floor(local).astype(int) % 24
        frac = local - np.floor(local)
        mult = self.profile[lo] * (1 - frac) + self.profile[(lo + 1) % 24] * frac
        return self.gbps * mult

    def __repr__(self) -> str:
        return (f"Demand({len(self)} flows, {self.gbps.sum():.3g} Gbps at peak"
                f"{'' if self.profile is None else ', diurnal'})")

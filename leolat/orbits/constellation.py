"""Constellation: a set of satellites held as arrays of mean elements.

A :class:`Constellation` never holds one Python object per satellite: its
element sets are columns (``inclination_deg``, ``mean_motion_rev_day``, ...),
each a numpy array of shape (n_sats,), plus shell/plane/slot metadata
(-1 where unknown) and a table of shells.  It is immutable; selection,
concatenation and shell inference return new ones.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from ..base.atomic import write_text_atomic
from ..base.budget import DEFAULT_MEMORY_BUDGET_MB
from ..base.errors import ElementSetError, SelectionError
from ..base.types import ArrayLike, ForeignObject, PathLike
from ..reference.time import InstantLike, TimeGrid, TimeLike, jd_to_utc, parse_utc
from .elements import ELEMENT_FIELDS, GENERATED_FIELD, META_FIELDS, dedupe_elements
from .ephemeris import Ephemeris
from .omm import format_omm, read_omm
from .presets import preset_shells
from .propagate import DEFAULT_BACKEND, ELEMENT_AGE_WARN_DAYS, positions_into, propagate, propagate_chunks
from .satrec import PreparedElements
from .shells import ShellParameters, format_shell_table, infer_shell_columns, sgp4_semimajor_axis_km
from .tle import format_tles, read_tle
from .walker import ShellInfo, sgp4_mean_altitude_km, walker_elements

__all__ = ["Constellation"]

_DEFAULT_EPOCH = "2026-01-01T00:00:00Z"


class Constellation:
    """Satellites as arrays of SGP4 mean elements.

    Build one with :meth:`from_tle`, :meth:`from_omm`, :meth:`walker` or
    :meth:`preset`.

    Parameters
    ----------
    columns : dict of str to array_like
        One array of shape (n_sats,) per :data:`leolat.tle.ELEMENT_FIELDS`
        entry, and optionally ``shell``, ``plane``, ``slot`` and ``generated`` (True for
        element sets made by :meth:`walker`, whose epoch is only a phase reference; default
        False: fitted to observations, so propagating far from the epoch warns).
    shells : sequence of ShellInfo, optional
        Description of each shell index used in ``columns["shell"]``.
    source : str, optional
        Where the elements came from (file name, preset name).
    """

    __slots__ = ("_cols", "_shells", "source", "_prepared_cache")

    def __init__(self, columns: dict, shells: Sequence[ShellInfo] = (), source: str = ""):
        n: int | None = None
        cols: dict[str, np.ndarray] = {}
        for key, dtype in ELEMENT_FIELDS.items():
            if key not in columns:
                raise ElementSetError(f"column {key!r} is missing", source=source or "<columns>")
            arr = np.asarray(columns[key], dtype=dtype)
            if arr.ndim != 1 or (n is not None and arr.size != n):
                raise ElementSetError(f"column {key!r} has shape {arr.shape}, expected ({n},)",
                                      source=source or "<columns>")
            n = arr.size
            cols[key] = arr
        for key in META_FIELDS:
            cols[key] = np.asarray(columns.get(key, np.full(n or 0, -1)), dtype=np.int32)
        cols[GENERATED_FIELD] = np.asarray(columns.get(GENERATED_FIELD, np.zeros(n or 0, bool)),
                                           dtype=bool)
        for arr in cols.values():
            arr.setflags(write=False)
        self._cols = cols
        self._shells = tuple(shells)
        self.source = source
        self._prepared_cache: PreparedElements | None = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_tle(cls, path_or_text: PathLike, *, checksum: str = "error",
                 duplicates: str = "newest") -> Constellation:
        """Load 2-line or 3-line element sets from a file or text.

        Parameters
        ----------
        path_or_text : str or os.PathLike
            File path, or the TLE text itself.
        checksum : {"error", "warn", "ignore"}
            Handling of lines whose checksum is wrong.
        duplicates : {"newest", "keep", "error"}
            Several element sets of one catalog number: keep only the newest
            epoch (with an :class:`ElementSetWarning` saying how many were
            dropped), keep all, or raise.

        Raises
        ------
        TLEError
            Naming file, line and field of the first malformed element set.
        """
        cols, source = read_tle(path_or_text, checksum=checksum)
        return cls(dedupe_elements(cols, duplicates, source), source=source)

    @classmethod
    def from_omm(cls, path: PathLike, *, format: str | None = None,
                 duplicates: str = "newest") -> Constellation:
        """Load CelesTrak OMM records (CSV, XML or JSON); see :func:`leolat.omm.read_omm`."""
        cols, source = read_omm(path, format=format)
        return cls(dedupe_elements(cols, duplicates, source), source=source)

    @classmethod
    def walker(cls, planes: int, sats_per_plane: int, altitude_km: float, inclination_deg: float,
               phasing: int = 0, kind: str = "delta", *, epoch: InstantLike = _DEFAULT_EPOCH,
               eccentricity: float = 0.0, raan0_deg: float = 0.0,
               bstar_per_earth_radius: float = 0.0, first_satnum: int = 1,
               name: str = "WALKER") -> Constellation:
        """A Walker delta or star shell, with plane and slot metadata.

        Parameters
        ----------
        planes, sats_per_plane : int
            P and S (T = P·S satellites).
        altitude_km : float
            Mean altitude over one orbit (above 6378.137 km) of the orbit SGP4
            propagates; the mean motion is solved for it (see :mod:`leolat.walker`).
        inclination_deg : float
        phasing : int
            Walker phasing factor F in 0..P-1.
        kind : {"delta", "star"}
            Planes spread over 360° (delta) or 180° (star) of RAAN.
        epoch : str, datetime or datetime64
            Epoch of the element sets (UTC, with a zone).
        eccentricity, raan0_deg, bstar_per_earth_radius : float
        first_satnum : int
            Catalog number of the first satellite; the rest follow.
        name : str
            Prefix of the satellite names (``NAME-plane-slot``).
        """
        t = TimeGrid.from_datetimes([parse_utc(epoch, what="epoch")])
        cols = walker_elements(planes, sats_per_plane, altitude_km, inclination_deg, phasing, kind,
                               epoch_jd=float(t.jd[0]), epoch_fr=float(t.fr[0]),
                               eccentricity=eccentricity, raan0_deg=raan0_deg,
                               bstar_per_earth_radius=bstar_per_earth_radius,
                               first_satnum=first_satnum, name=name)
        cols["shell"] = np.zeros(planes * sats_per_plane, dtype=np.int32)
        cols[GENERATED_FIELD] = np.ones(planes * sats_per_plane, dtype=bool)
        info = ShellInfo(name=name, altitude_km=float(altitude_km),
                         inclination_deg=float(inclination_deg), planes=int(planes),
                         sats_per_plane=int(sats_per_plane), phasing=int(phasing), kind=kind,
                         n_sats=int(planes * sats_per_plane))
        return cls(cols, shells=(info,), source=f"walker {info.n_sats}/{planes}/{phasing}")

    @classmethod
    def preset(cls, name: str, *, epoch: InstantLike = _DEFAULT_EPOCH) -> Constellation:
        """A named constellation or shell from ``data/presets.csv``; see :func:`leolat.presets`.

        Satellites are numbered 1, 2, ... across shells in table order.
        """
        parts = []
        satnum = 1
        for row in preset_shells(name):
            label = row.name.upper()
            parts.append(cls.walker(row.planes, row.sats_per_plane, row.altitude_km,
                                    row.inclination_deg, row.phasing, row.kind, epoch=epoch,
                                    first_satnum=satnum, name=label))
            satnum += row.n_sats
        out = cls.concat(parts)
        return Constellation(out._cols, out._shells, source=f"preset {name}")

    @classmethod
    def concat(cls, parts: Iterable[Constellation]) -> Constellation:
        """Join constellations; shell indices are renumbered to stay distinct."""
        parts = list(parts)
        if not parts:
            raise SelectionError("nothing to concatenate")
        cols = {}
        for key in [*ELEMENT_FIELDS, *META_FIELDS, GENERATED_FIELD]:
            arrays = []
            offset = 0
            for p in parts:
                a = p._cols[key]
                if key == "shell":
                    a = np.where(a >= 0, a + offset, -1)
                    offset += len(p._shells)
                arrays.append(a)
            cols[key] = np.concatenate(arrays)
        shells = tuple(s for p in parts for s in p._shells)
        sources = " + ".join(dict.fromkeys(p.source for p in parts))
        return cls(cols, shells=shells, source=sources)

    def __add__(self, other: Constellation) -> Constellation:
        if not isinstance(other, Constellation):
            return NotImplemented
        return Constellation.concat([self, other])

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return int(self._cols["satnum"].size)

    def __getattr__(self, key):
        # Element columns read as attributes: c.inclination_deg, c.plane, ...
        try:
            return object.__getattribute__(self, "_cols")[key]
        except KeyError:
            raise AttributeError(f"'Constellation' has no attribute {key!r}") from None

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._cols))

    @property
    def names(self) -> np.ndarray:
        """Satellite names, shape (n_sats,)."""
        return self._cols["name"]

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """All columns (read-only arrays), element fields then shell/plane/slot."""
        return dict(self._cols)

    @property
    def shells(self) -> tuple[ShellInfo, ...]:
        """Description of each shell index (``shell`` column values 0..n-1)."""
        return self._shells

    @property
    def epoch_utc(self) -> np.ndarray:
        """Element set epochs as datetime64[ns], shape (n_sats,)."""
        return jd_to_utc(self._cols["epoch_jd"], self._cols["epoch_fr"])

    @property
    def has_planes(self) -> bool:
        """True if every satellite has plane and slot numbers."""
        return bool(np.all(self._cols["plane"] >= 0) and np.all(self._cols["slot"] >= 0))

    def __getitem__(self, key) -> Constellation:
        """Select by integer, slice, integer array or boolean mask."""
        idx = np.arange(len(self))[key]
        idx = np.atleast_1d(idx)
        return Constellation({k: v[idx] for k, v in self._cols.items()}, self._shells, self.source)

    def select(self, *, names: str | Sequence[str] | None = None, satnums: ArrayLike | None = None,
               shells: ArrayLike | None = None, planes: ArrayLike | None = None) -> Constellation:
        """Satellites matching every given criterion.

        Parameters
        ----------
        names : str or sequence of str, optional
            Exact names or shell-style patterns (``"STARLINK-1*"``).
        satnums : int or sequence of int, optional
            Catalog numbers; each must exist.
        shells : int or sequence of int, optional
            Shell indices.
        planes : int or sequence of int, optional
            Plane numbers (within the selected shells).

        Raises
        ------
        SelectionError
            If a catalog number or shell does not exist, or nothing matches.
        """
        mask = np.ones(len(self), dtype=bool)
        if names is not None:
            pats = [names] if isinstance(names, str) else list(names)
            m = np.zeros(len(self), dtype=bool)
            for pat in pats:
                hit = np.array([fnmatch.fnmatchcase(n, pat) for n in self.names], dtype=bool)
                if not hit.any():
                    raise SelectionError(f"no satellite is named {pat!r}")
                m |= hit
            mask &= m
        if satnums is not None:
            want = np.atleast_1d(np.asarray(satnums, dtype=np.int64))
            missing = np.setdiff1d(want, self._cols["satnum"])
            if missing.size:
                raise SelectionError(f"catalog numbers not in this constellation: "
                                     f"{', '.join(map(str, missing[:10]))}")
            mask &= np.isin(self._cols["satnum"], want)
        if shells is not None:
            want = np.atleast_1d(np.asarray(shells, dtype=np.int32))
            bad = want[(want < 0) | (want >= len(self._shells))]
            if bad.size:
                raise SelectionError(f"shell indices {bad.tolist()} do not exist; this constellation "
                                     f"has {len(self._shells)} shells (see .shells, or infer_shells())")
            mask &= np.isin(self._cols["shell"], want)
        if planes is not None:
            mask &= np.isin(self._cols["plane"], np.atleast_1d(np.asarray(planes, dtype=np.int32)))
        if not mask.any():
            raise SelectionError("no satellite matches the selection")
        return self[mask]

    def with_planes(self, plane: ArrayLike, slot: ArrayLike, shell: ArrayLike | None = None, *,
                    kind: str = "delta") -> Constellation:
        """The same satellites with given plane and slot numbers (and shell, default 0).

        For element sets whose layout is known from how they were generated, e.g.
        Hypatia's files, where satellite ``i`` is plane ``i // S``, slot ``i % S``:
        ``c.with_planes(np.arange(n) // S, np.arange(n) % S)``.
        """
        n = len(self)
        cols = dict(self._cols)
        for name, value in (("plane", plane), ("slot", slot), ("shell", 0 if shell is None else shell)):
            arr = np.broadcast_to(np.asarray(value, dtype=np.int32), (n,)).copy()
            if np.any(arr < 0):
                raise SelectionError(f"{name} numbers must be non-negative")
            cols[name] = arr
        shells = []
        for k in range(int(cols["shell"].max()) + 1):
            m = cols["shell"] == k
            if not m.any():
                raise SelectionError(f"shell numbers must be 0..n-1 without gaps; {k} is unused")
            sizes = np.bincount(cols["plane"][m])
            inc = float(np.median(self._cols["inclination_deg"][m]))
            shells.append(ShellInfo(
                name=f"shell{k}",
                altitude_km=sgp4_mean_altitude_km(float(np.median(self._cols["mean_motion_rev_day"][m])),
                                                  inc, float(np.median(self._cols["eccentricity"][m]))),
                inclination_deg=inc,
                planes=int(sizes.size), sats_per_plane=int(sizes.max()), phasing=None, kind=kind,
                n_sats=int(m.sum())))
        return Constellation(cols, shells=tuple(shells), source=self.source)

    def unassigned(self) -> Constellation:
        """Satellites without a shell (after :meth:`infer_shells`): raising, deorbiting, spares."""
        return self[self._cols["shell"] < 0]

    def to_skyfield(self, ts: ForeignObject = None) -> list:
        """One skyfield ``EarthSatellite`` per satellite, built from the same initialised
        ``Satrec`` the backends use (so skyfield propagates identical element sets).

        Parameters
        ----------
        ts : skyfield.timelib.Timescale, optional
            Default: ``skyfield.api.load.timescale()``.
        """
        from skyfield.api import EarthSatellite, load

        ts = ts if ts is not None else load.timescale()
        return [EarthSatellite.from_satrec(sat, ts) for sat in self.prepared.satrecs]

    def __repr__(self) -> str:
        n, k = len(self), len(self._shells)
        shells = f", {k} shell{'s' if k != 1 else ''}" if k else ""
        return (f"Constellation({n:,} satellite{'s' if n != 1 else ''}{shells}, "
                f"source={self.source!r})")

    # ------------------------------------------------------------------ shells
    def infer_shells(self, params: ShellParameters | None = None, **overrides) -> Constellation:
        """Group satellites into shells, planes and slots from their elements.

        See :mod:`leolat.shells` for the method; keyword arguments override
        :class:`~leolat.shells.ShellParameters` fields (``plane_gap_deg=...``).
        Satellites that fit no shell or plane get -1; :meth:`unassigned`
        lists them.

        Returns
        -------
        Constellation
            The same satellites with ``shell``, ``plane``, ``slot`` and a
            table of :class:`~leolat.walker.ShellInfo` (kind ``"inferred"``).
        """
        params = params or ShellParameters()
        if overrides:
            params = ShellParameters(**{**params.__dict__, **overrides})
        epoch = self._cols["epoch_jd"] + self._cols["epoch_fr"]
        t_ref = TimeGrid.from_jd(np.median(epoch))
        eph = self.propagate(t_ref, ut1_utc=False)
        a_km = sgp4_semimajor_axis_km(self.prepared.satrecs)
        assert eph.r_teme_km is not None and eph.v_teme_km_s is not None  # full propagation
        shell, plane, slot, summaries = infer_shell_columns(
            self._cols["inclination_deg"], a_km, eph.r_teme_km[0], eph.v_teme_km_s[0], params)
        for k, s in enumerate(summaries):
            # Report the orbit-averaged altitude, the convention Walker shells are built with.
            m = shell == k
            s["altitude_km"] = sgp4_mean_altitude_km(
                float(np.median(self._cols["mean_motion_rev_day"][m])), s["inclination_deg"],
                float(np.median(self._cols["eccentricity"][m])))
        infos = tuple(
            ShellInfo(name=f"shell{k}-{s['inclination_deg']:.1f}deg-{s['altitude_km']:.0f}km",
                      altitude_km=s["altitude_km"], inclination_deg=s["inclination_deg"],
                      planes=s["planes"], sats_per_plane=s["sats_per_plane"], phasing=None,
                      kind="inferred", n_sats=s["n_sats"])
            for k, s in enumerate(summaries))
        cols = dict(self._cols, shell=shell, plane=plane, slot=slot)
        return Constellation(cols, shells=infos, source=self.source)

    def shell_table(self) -> str:
        """The shell table as aligned text (for printing): the satellites per plane are
        counted (fewest / median / most), not the nominal figure, and ``dtc`` counts
        direct-to-cell satellites (``[DTC]`` in the name), which carry no broadband."""
        return format_shell_table(self._cols, self._shells)

    # ------------------------------------------------------------------ output
    def to_tle(self, path: PathLike | None = None, *, names: bool = True) -> str:
        """Write the element sets as TLE text (3-line with names by default).

        Parameters
        ----------
        path : str or os.PathLike, optional
            File to write; the text is returned either way.
        names : bool
            Write the name line before each element set.

        Raises
        ------
        TLEError
            If a catalog number is beyond what a TLE can carry (Alpha-5 ends at 339,999):
            write :meth:`to_omm` instead.
        """
        text = format_tles(self._cols, names=names)
        if path is not None:
            write_text_atomic(path, text, encoding="ascii")
        return text

    def to_omm(self, path: PathLike | None = None, *, format: str | None = None) -> str:
        """Write the element sets as OMM, as CelesTrak serves them: JSON (a list of records)
        or CSV; :meth:`from_omm` reads them back (epochs to the microsecond, every other
        field exactly). OMM has no catalog-number limit short of nine digits.

        Parameters
        ----------
        path : str or os.PathLike, optional
            File to write (whole or not at all); the text is returned either way.
        format : {"json", "csv"}, optional
            Default: from the suffix of ``path`` (``.csv`` or else JSON).
        """
        fmt = format or ("csv" if str(path or "").lower().endswith(".csv") else "json")
        text = format_omm(self._cols, fmt)
        if path is not None:
            write_text_atomic(path, text)
        return text

    # ------------------------------------------------------------------ propagation
    @property
    def prepared(self) -> PreparedElements:
        """Initialised SGP4 state for every backend, built once (the constellation is immutable)."""
        if self._prepared_cache is None:
            self._prepared_cache = PreparedElements(self._cols)
        return self._prepared_cache

    def mean_altitude_km(self) -> np.ndarray:
        """Orbit-averaged SGP4 altitude of each satellite (km above 6378.137 km), drag off."""
        return np.array([sgp4_mean_altitude_km(n, i, e) for n, i, e in zip(
            self._cols["mean_motion_rev_day"], self._cols["inclination_deg"],
            self._cols["eccentricity"])])

    def propagate(self, times: TimeLike, backend: str = DEFAULT_BACKEND, *, ut1_utc: bool = True,
                  polar_motion: bool = False, positions_only: bool = False,
                  memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB,
                  max_element_age_days: float | None = ELEMENT_AGE_WARN_DAYS) -> Ephemeris:
        """Positions and velocities of every satellite at every time.

        Parameters
        ----------
        times : TimeGrid
            ``n_times`` UTC instants (a sequence of datetimes is converted).
        backend : {"numba", "numba-approx", "sgp4"}
            ``"numba"`` (default): leolat's parallel SGP4 kernel, the ITRF rotation fused
            in, bit-identical to the C++ on the tested catalogues; ``"numba-approx"``: the
            SIMD kernel, within 1 mm (µm in practice); ``"sgp4"``: python-sgp4's C++.
            Deep-space sets go through the C++ in the same call (``Ephemeris.backend``).
        ut1_utc, polar_motion : bool
            Use UT1-UTC from the shipped IERS table (else UT1 = UTC), and polar motion,
            in TEME -> ITRF.
        positions_only : bool
            Keep only Earth-fixed positions (and error codes): a quarter of the memory,
            and less work. TEME and velocity arrays are then None.
        memory_budget_mb : float
            Refuse (:class:`MemoryBudgetError`) to allocate more than this many
            MiB; :meth:`propagate_chunks` iterates within it instead.
        max_element_age_days : float or None
            Warn (:class:`ElementAgeWarning`) if element sets fitted to observations (TLE,
            OMM; not Walker shells) are used further than this from their epochs (default
            3 days: SGP4's LEO error grows ~1-3 km per day). None: never warn.

        Returns
        -------
        Ephemeris
            Arrays of shape (n_times, n_sats, 3); NaN and an error code where
            SGP4 failed.
        """
        return propagate(self, times, backend=backend, ut1_utc=ut1_utc,
                         polar_motion=polar_motion, positions_only=positions_only,
                         memory_budget_mb=memory_budget_mb,
                         max_element_age_days=max_element_age_days)

    def positions_into(self, times: TimeLike, out: np.ndarray, **kwargs) -> np.ndarray:
        """Positions into a kept buffer ``out`` (n_times, n_sats, 3), ``frame="itrf"`` or
        ``"teme"``; returns error codes. See :func:`leolat.orbits.propagate.positions_into`."""
        return positions_into(self, times, out, **kwargs)

    def propagate_chunks(self, times: TimeLike, backend: str = DEFAULT_BACKEND, *,
                         memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB,
                         max_chunk_times: int | None = None, **kwargs) -> Iterator[Ephemeris]:
        """Iterate over Ephemeris chunks of consecutive times, each within ``memory_budget_mb``."""
        return propagate_chunks(self, times, backend=backend, memory_budget_mb=memory_budget_mb,
                                max_chunk_times=max_chunk_times, **kwargs)


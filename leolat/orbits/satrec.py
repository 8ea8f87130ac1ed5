"""SGP4 initialisation shared by every backend: python-sgp4 ``Satrec`` objects built from
element columns, and the coefficient matrices the numba kernels read.

Initialisation (``sgp4init``) is python-sgp4's C++ for every backend, so the numba
kernels port only propagation and all backends start from identical coefficients.
"""

from __future__ import annotations

import math

import numpy as np
from sgp4.api import WGS72, Satrec, SatrecArray
from sgp4.model import Satrec as _PySatrec

from .._kernels import sgp4 as _ksgp4
from .._kernels import sgp4_approx as _kapprox
from ..base.constants import JD_SGP4_EPOCH0, MINUTES_PER_DAY
from .tle import MAX_ALPHA5

__all__ = ["PreparedElements", "build_satrecs"]

_XPDOTP = MINUTES_PER_DAY / (2.0 * math.pi)  # rev/day -> rad/min divisor, exactly as in SGP4.cpp
_DEG2RAD = math.pi / 180.0


def build_satrecs(cols: dict) -> list:
    """python-sgp4 ``Satrec`` objects initialised from element columns.

    The arithmetic is that of ``Satrec.twoline2rv``, and the epoch is set to the
    same two-part Julian date, so an element set read from a TLE propagates
    bit-identically to python-sgp4 reading the same lines.
    """
    satrecs = []
    # The catalog number is only a label to SGP4; python-sgp4 stores it as Alpha-5, which
    # ends at 339,999, so larger numbers (the catalog passed 99,999 in 2026) are given to it
    # as 0 and kept in leolat's own column.
    satnum = np.where(cols["satnum"] <= MAX_ALPHA5, cols["satnum"], 0)
    jd = cols["epoch_jd"]
    fr = cols["epoch_fr"]
    for i in range(jd.size):
        sat = Satrec()
        sat.sgp4init(
            WGS72, "i", int(satnum[i]),
            (float(jd[i]) + float(fr[i])) - JD_SGP4_EPOCH0,
            float(cols["bstar_per_earth_radius"][i]),
            float(cols["mean_motion_dot_rev_day2"][i]) / (_XPDOTP * MINUTES_PER_DAY),
            float(cols["mean_motion_ddot_rev_day3"][i]) / (_XPDOTP * MINUTES_PER_DAY * MINUTES_PER_DAY),
            float(cols["eccentricity"][i]),
            float(cols["arg_perigee_deg"][i]) * _DEG2RAD,
            float(cols["inclination_deg"][i]) * _DEG2RAD,
            float(cols["mean_anomaly_deg"][i]) * _DEG2RAD,
            float(cols["mean_motion_rev_day"][i]) / _XPDOTP,
            float(cols["raan_deg"][i]) * _DEG2RAD,
        )
        sat.jdsatepoch = float(jd[i])
        sat.jdsatepochF = float(fr[i])
        satrecs.append(sat)
    return satrecs


class PreparedElements:
    """SGP4-initialised state of a constellation, built once and shared by the backends.

    Initialisation (``sgp4init``) is python-sgp4's C++ for every backend, so the
    numba kernel ports only propagation, and both backends start from identical
    coefficients.

    Attributes
    ----------
    satrecs : tuple of sgp4.api.Satrec
    near : numpy.ndarray of intp
        Indices of near-Earth satellites (period < 225 min), served by the numba kernel.
    deep : numpy.ndarray of intp
        Indices of deep-space satellites (SDP4 terms), always served by the C++ code.
    """

    def __init__(self, cols: dict):
        self.satrecs = tuple(build_satrecs(cols))
        method = np.array([s.method for s in self.satrecs], dtype="U1")
        self.near = np.nonzero(method == "n")[0]
        self.deep = np.nonzero(method != "n")[0]
        self._array: SatrecArray | None = None
        self._deep_array: SatrecArray | None = None
        self._coef: np.ndarray | None = None
        self._near_coef: tuple[np.ndarray, np.ndarray] | None = None
        first = self.satrecs[0] if self.satrecs else Satrec()
        self.gravity = _ksgp4.Gravity(float(first.xke), float(first.j2), float(first.radiusearthkm))

    @property
    def satrec_array(self) -> SatrecArray:
        if self._array is None:
            self._array = SatrecArray(list(self.satrecs))
        return self._array

    @property
    def deep_array(self) -> SatrecArray:
        if self._deep_array is None:
            self._deep_array = SatrecArray([self.satrecs[i] for i in self.deep])
        return self._deep_array

    @property
    def coef(self) -> np.ndarray:
        """Structure of arrays for the numba kernels: (len(ROWS), n_sats) float64.

        python-sgp4's C++ ``Satrec`` hides the initialised coefficients, so they
        come from its pure-Python twin (``sgp4.model.Satrec``), initialised with
        the same arguments; columns of deep-space satellites stay 0 (never used).
        The derived rows are computed with the C library's pow/sin/cos, exactly
        as the C++ computes them at every call.
        """
        if self._coef is None:
            coef = np.zeros((len(_ksgp4.ROWS), len(self.satrecs)))
            for i in self.near:
                twin = _python_twin(self.satrecs[i])
                coef[:len(_ksgp4.FIELDS), i] = [float(getattr(twin, f)) for f in _ksgp4.FIELDS]
                coef[_ksgp4.AM_BASE, i] = math.pow(twin.xke / twin.no_unkozai, 2.0 / 3.0)
                coef[_ksgp4.SINIO, i] = math.sin(twin.inclo)
                coef[_ksgp4.COSIO, i] = math.cos(twin.inclo)
            self._coef = coef
        return self._coef

    @property
    def near_coef(self) -> tuple[np.ndarray, np.ndarray]:
        """Near-Earth coefficients for the approx kernel: compact columns, and tile blocks."""
        if self._near_coef is None:
            coef = np.ascontiguousarray(self.coef[:, self.near])
            self._near_coef = (coef, _kapprox.tile_blocks(coef))
        return self._near_coef


def _python_twin(sat):
    """python-sgp4's pure-Python Satrec initialised like the C++ one ``sat``."""
    twin = _PySatrec()
    twin.sgp4init(WGS72, "i", sat.satnum, (sat.jdsatepoch + sat.jdsatepochF) - JD_SGP4_EPOCH0,
                  sat.bstar, sat.ndot, sat.nddot, sat.ecco, sat.argpo, sat.inclo, sat.mo,
                  sat.no_kozai, sat.nodeo)
    twin.isimp = float(twin.isimp)
    twin.jdsatepoch = sat.jdsatepoch
    twin.jdsatepochF = sat.jdsatepochF
    return twin

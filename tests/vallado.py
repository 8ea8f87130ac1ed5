"""Vallado's SGP4 verification set, read from the files shipped inside the ``sgp4`` package.

``SGP4-VER.TLE`` holds the element sets (line 2 carries start/stop/step after
column 69); ``tcppver.out`` the C++ reference output: per satellite a header
``<satnum> xx`` then rows ``tsince_min x y z vx vy vz ...``.
"""

from __future__ import annotations

from importlib import resources

import numpy as np


def verification_cases():
    """List of (line1, line2, tsince_min (n,), r_km (n, 3), v_km_s (n, 3))."""
    tle = resources.files("sgp4").joinpath("SGP4-VER.TLE").read_text().splitlines()
    out = resources.files("sgp4").joinpath("tcppver.out").read_text().splitlines()
    pairs = {}
    lines = [x for x in tle if x[:2] in ("1 ", "2 ")]
    for l1, l2 in zip(lines[::2], lines[1::2]):
        pairs[int(l1[2:7])] = (l1[:69], l2[:69])
    cases = []
    current, rows = None, []
    for line in out + ["0 xx"]:
        parts = line.split()
        if len(parts) == 2 and parts[1] == "xx":
            if current is not None:
                arr = np.array(rows)
                cases.append((*pairs[current], arr[:, 0], arr[:, 1:4], arr[:, 4:7]))
            current, rows = int(parts[0]), []
        elif parts:
            rows.append([float(p) for p in parts[:7]])
    return cases

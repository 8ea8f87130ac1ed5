"""Shell, plane and slot inference for real element sets.

Inter-satellite-link topologies such as +Grid need to know which plane and
slot each satellite occupies.  Walker presets know it by construction; for a
real catalogue it has to be found:

1. **Shells.** Satellites are grouped by inclination (a new group wherever the
   sorted inclinations jump by more than ``inclination_gap_deg``); within a
   group, a shell is a run of 1-km altitude bins whose smoothed density stays
   above ``density_fraction`` of the run's peak, taken peak by peak, keeping
   runs with at least ``min_shell_sats`` satellites in planes.  Satellites whose
   inclination is more than ``inclination_tol_deg`` from their shell's median
   are left out.  What is left — orbit raising, deorbiting, drifting spares —
   is reported as unassigned (shell -1).
2. **Planes.** All satellites are propagated with SGP4 to one reference instant
   (the median epoch) and the osculating right ascension of the ascending node
   is taken from the angular momentum vector, so element sets with epochs
   hours apart compare correctly despite nodal precession of several degrees
   per day.  Within a shell, sorted RAANs are split wherever the circular gap
   exceeds ``plane_gap_deg``; groups of fewer than ``min_plane_sats`` are left
   unassigned.  Planes are numbered by increasing RAAN.
3. **Slots.** Within a plane, satellites are numbered by increasing argument
   of latitude at the reference instant, from the first at or past 0° (with a
   quarter-slot tolerance for osculating noise).

Satellites are clustered on the SGP4 mean semi-major axis minus 6378.137 km;
the shell table reports the orbit-averaged altitude, as Walker shells define it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base.constants import WGS72_RADIUS_KM, WGS84_A_KM

__all__ = ["ShellParameters", "infer_shell_columns", "orbit_angles_deg", "format_shell_table"]


@dataclass(frozen=True)
class ShellParameters:
    """Tunables of :func:`infer_shell_columns` (see the module notes)."""

    inclination_gap_deg: float = 0.5
    inclination_tol_deg: float = 0.3
    density_fraction: float = 0.05
    min_shell_sats: int = 100
    plane_gap_deg: float = 1.0
    min_plane_sats: int = 3


def _split_sorted(values: np.ndarray, gap: float) -> list[np.ndarray]:
    """Indices of ``values`` grouped where the sorted sequence jumps by more than ``gap``."""
    order = np.argsort(values, kind="stable")
    cuts = np.nonzero(np.diff(values[order]) > gap)[0] + 1
    return np.split(order, cuts)


def _altitude_runs(alt_km: np.ndarray, p: ShellParameters) -> list[np.ndarray]:
    """Split one inclination group into dense altitude runs (indices into alt_km)."""
    lo = np.floor(alt_km.min()) - 3
    edges = np.arange(lo, np.ceil(alt_km.max()) + 4, 1.0)
    counts, _ = np.histogram(alt_km, bins=edges)
    smooth = np.convolve(counts, np.ones(5) / 5.0, mode="same")
    used = np.zeros(counts.size, dtype=bool)
    bin_of = np.clip(np.searchsorted(edges, alt_km, side="right") - 1, 0, counts.size - 1)
    runs = []
    while True:
        avail = np.where(used, -1.0, smooth)
        peak = int(np.argmax(avail))
        if avail[peak] * 5 < 1.0:  # fewer than one satellite in the 5-km window
            break
        floor = p.density_fraction * smooth[peak]
        a = b = peak
        while a > 0 and not used[a - 1] and smooth[a - 1] >= floor:
            a -= 1
        while b < counts.size - 1 and not used[b + 1] and smooth[b + 1] >= floor:
            b += 1
        used[a:b + 1] = True
        members = np.nonzero((bin_of >= a) & (bin_of <= b))[0]
        if members.size >= p.min_shell_sats:
            runs.append(members)
    return runs


def _circular_groups(raan_deg: np.ndarray, gap: float) -> list[np.ndarray]:
    """Indices grouped by RAAN, splitting at circular gaps larger than ``gap``."""
    order = np.argsort(raan_deg, kind="stable")
    s = raan_deg[order]
    if s.size == 1:
        return [order]
    gaps = np.diff(np.concatenate([s, [s[0] + 360.0]]))
    cut_after = np.nonzero(gaps > gap)[0]
    if cut_after.size == 0:
        return [order]
    # Rotate so that the sequence starts just after a gap; no group straddles the wrap.
    start = (cut_after[-1] + 1) % s.size
    order = np.roll(order, -start)
    cuts = ((cut_after - start) % s.size) + 1
    cuts = np.sort(cuts[cuts < s.size])
    return np.split(order, cuts)


def _circular_mean_deg(angles_deg: np.ndarray) -> float:
    """Mean direction in [0, 360): a plane at RAAN 0 has members at 359.99 and 0.01."""
    a = np.radians(angles_deg)
    return float(np.degrees(np.arctan2(np.sin(a).mean(), np.cos(a).mean())) % 360.0)


def orbit_angles_deg(r_teme_km: np.ndarray, v_teme_km_s: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Osculating right ascension of the ascending node and argument of latitude (degrees in
    [0, 360)) of states of shape (n, 3); NaN where a state is NaN."""
    n = r_teme_km.shape[0]
    h = np.cross(r_teme_km, v_teme_km_s)
    raan = np.degrees(np.arctan2(h[:, 0], -h[:, 1])) % 360.0
    # Argument of latitude: angle from the ascending node to r, in the orbit plane.
    node = np.stack([np.cos(np.radians(raan)), np.sin(np.radians(raan)), np.zeros(n)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        hn = h / np.linalg.norm(h, axis=1, keepdims=True)
    u = np.degrees(np.arctan2(np.einsum("ij,ij->i", np.cross(node, r_teme_km), hn),
                              np.einsum("ij,ij->i", node, r_teme_km))) % 360.0
    return raan, u


def infer_shell_columns(inclination_deg: np.ndarray, semimajor_axis_km: np.ndarray,
                        r_teme_km: np.ndarray, v_teme_km_s: np.ndarray,
                        params: ShellParameters = ShellParameters()):
    """Assign shell, plane and slot numbers.

    Parameters
    ----------
    inclination_deg, semimajor_axis_km : numpy.ndarray, shape (n_sats,)
        Mean elements (SGP4's un-Kozai'd semi-major axis).
    r_teme_km, v_teme_km_s : numpy.ndarray, shape (n_sats, 3)
        States at one common instant (NaN for satellites SGP4 could not propagate).
    params : ShellParameters

    Returns
    -------
    shell, plane, slot : numpy.ndarray of int32, shape (n_sats,)
        -1 where unassigned.
    summaries : list of dict
        Per shell: ``altitude_km``, ``inclination_deg``, ``planes``,
        ``sats_per_plane`` (most common plane size), ``n_sats``.
    """
    n = inclination_deg.size
    shell = np.full(n, -1, dtype=np.int32)
    plane = np.full(n, -1, dtype=np.int32)
    slot = np.full(n, -1, dtype=np.int32)
    alt = semimajor_axis_km - WGS84_A_KM
    ok = np.isfinite(r_teme_km).all(axis=1) & np.isfinite(alt)

    raan, u = orbit_angles_deg(r_teme_km, v_teme_km_s)

    candidates = []
    valid_idx = np.nonzero(ok)[0]
    for group in _split_sorted(inclination_deg[valid_idx], params.inclination_gap_deg):
        gidx = valid_idx[group]
        for run in _altitude_runs(alt[gidx], params):
            members = gidx[run]
            med_inc = np.median(inclination_deg[members])
            members = members[np.abs(inclination_deg[members] - med_inc) <= params.inclination_tol_deg]
            if members.size >= params.min_shell_sats:
                candidates.append(members)
    # Number shells by inclination then altitude, for stable output.
    candidates.sort(key=lambda m: (round(float(np.median(inclination_deg[m])), 1),
                                   float(np.median(alt[m]))))
    summaries = []
    for k, members in enumerate(candidates):
        planes = [g for g in _circular_groups(raan[members], params.plane_gap_deg)
                  if g.size >= params.min_plane_sats]
        planes.sort(key=lambda g: _circular_mean_deg(raan[members[g]]))
        sizes = []
        for p_idx, g in enumerate(planes):
            sats = members[g]
            # Slot 0 is the first satellite at or past argument of latitude 0, with a
            # quarter-slot tolerance so that osculating noise (a satellite at 359.99°)
            # does not renumber a plane, and planes of a Walker shell number alike.
            tolerance = 0.25 * 360.0 / sats.size
            order = np.argsort((u[sats] + tolerance) % 360.0, kind="stable")
            shell[sats] = k
            plane[sats] = p_idx
            slot[sats[order]] = np.arange(sats.size, dtype=np.int32)
            sizes.append(sats.size)
        assigned = shell == k
        if assigned.sum() < params.min_shell_sats:
            # Too few satellites sit in real planes: a swarm in transit, not a shell.
            shell[assigned] = plane[assigned] = slot[assigned] = -1
            continue
        summaries.append({
            "altitude_km": float(np.median(alt[assigned])),
            "inclination_deg": float(np.median(inclination_deg[assigned])),
            "planes": len(planes),
            "sats_per_plane": int(np.bincount(sizes).argmax()),
            "n_sats": int(assigned.sum()),
        })
    # Renumber shells densely in case a candidate lost all its planes.
    used = np.unique(shell[shell >= 0])
    remap = np.full(max(len(candidates), 1), -1, dtype=np.int32)
    remap[used] = np.arange(used.size, dtype=np.int32)
    shell = np.where(shell >= 0, remap[np.maximum(shell, 0)], -1).astype(np.int32)
    return shell, plane, slot, summaries


def sgp4_semimajor_axis_km(satrecs) -> np.ndarray:
    """SGP4's mean (un-Kozai'd) semi-major axis of each initialised Satrec, in km."""
    return np.array([s.a for s in satrecs]) * WGS72_RADIUS_KM


def format_shell_table(cols: dict, shells) -> str:
    """The shell table of element columns with shell/plane metadata, as aligned text:
    satellites per plane counted (fewest / median / most), direct-to-cell ones (``[DTC]``
    in the name) in their own column."""
    lines = [f"{'shell':>5} {'name':<28} {'alt_km':>7} {'inc_deg':>7} {'planes':>6} "
             f"{'per_plane':>11} {'sats':>6} {'dtc':>5}"]
    dtc = np.char.find(np.char.upper(cols["name"].astype(str)), "[DTC]") >= 0
    shell, plane = cols["shell"], cols["plane"]
    for k, s in enumerate(shells):
        m = shell == k
        sizes = np.bincount(plane[m & (plane >= 0)])
        sizes = sizes[sizes > 0]
        per = (f"{sizes.min()}/{np.median(sizes):g}/{sizes.max()}" if sizes.size
               else f"{s.sats_per_plane}")
        lines.append(f"{k:>5} {s.name:<28} {s.altitude_km:7.1f} {s.inclination_deg:7.2f} "
                     f"{sizes.size or s.planes:6d} {per:>11} {int(m.sum()):6d} "
                     f"{int(np.count_nonzero(dtc & m)):5d}")
    n_un = int(np.count_nonzero(shell < 0))
    if n_un:
        lines.append(f"{'-':>5} {'(no shell)':<28} {'':7} {'':7} {'':6} {'':11} {n_un:6d} "
                     f"{int(np.count_nonzero(dtc & (shell < 0))):5d}")
    return "\n".join(lines)

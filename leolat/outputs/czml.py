"""Export to CZML (with the czml3 package) for viewing in Cesium.

Satellites become time-tagged Earth-fixed positions (Cesium's ``FIXED`` frame,
metres) with a trailing path; ground sites become labelled points; a chosen
pair's route becomes polylines that reference the nodes' positions, one packet
per run of time steps with the same path, visible only over that run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..base.atomic import write_text_atomic
from ..base.errors import LeolatError
from ..base.types import PathLike
from ..reference.time import TimeLike, as_timegrid

if TYPE_CHECKING:
    from ..ground.sites import Sites
    from ..network.links import LinkPolicy
    from ..orbits.constellation import Constellation

__all__ = ["write_czml", "czml_document"]


def _utc(t64) -> dt.datetime:
    ns = int(np.datetime64(t64, "ns").astype(np.int64))
    return dt.datetime.fromtimestamp(ns // 1_000_000_000, dt.UTC) + dt.timedelta(
        microseconds=(ns % 1_000_000_000) // 1000)


def czml_document(constellation: Constellation, times: TimeLike, *, sites: Sites | None = None,
                  pair: str | None = None, policy: LinkPolicy | None = None,
                  min_elevation_deg: float = 25.0, max_satellites: int = 2000):
    """A ``czml3.Document`` of satellites, sites and (optionally) one pair's path.

    Parameters
    ----------
    constellation : Constellation
    times : TimeGrid
        Sample instants (Cesium interpolates between them).
    sites : Sites, optional
    pair : str, optional
        ``"A->B"`` of two site names: its shortest path per step (see
        :meth:`Network.paths`) under ``policy`` (default: +Grid ISLs, GSLs at
        ``min_elevation_deg``).
    max_satellites : int
        Refuse larger constellations (a CZML of 10,000 satellites is too heavy for a browser).
    """
    from czml3 import (
        Color,
        Document,
        Label,
        Packet,
        Point,
        Polyline,
        PolylineMaterial,
        Position,
        PositionList,
        SolidColorMaterial,
        TimeInterval,
    )
    from czml3 import Path as CzPath
    from czml3.properties import Clock

    times = as_timegrid(times)
    if len(constellation) > max_satellites:
        raise LeolatError(f"{len(constellation):,} satellites is over max_satellites="
                          f"{max_satellites:,}: select a shell or raise the cap")
    if len(times) < 2:
        raise LeolatError("a CZML export needs at least two instants")
    start, end = _utc(times.utc[0]), _utc(times.utc[-1])
    offsets = times.offsets_s
    eph = constellation.propagate(times, positions_only=True)
    packets = [Packet(id="document", name=str(constellation.source), version="1.0",
                      clock=Clock(interval=TimeInterval(start=start, end=end), currentTime=start,
                                  multiplier=60))]
    whole = TimeInterval(start=start, end=end)
    red = Color(rgba=[220, 40, 40, 255])
    trail = PolylineMaterial(solidColor=SolidColorMaterial(color=Color(rgba=[120, 170, 255, 120])))
    for s in range(len(constellation)):
        r = eph.r_itrf_km[:, s] * 1e3
        ok = np.isfinite(r).all(axis=1)
        if not ok.any():
            continue  # never propagated: nothing to show
        samples = np.column_stack([offsets[ok], r[ok]]).ravel().tolist()
        packets.append(Packet(
            id=f"sat/{constellation.names[s]}", name=str(constellation.names[s]),
            availability=whole,
            position=Position(epoch=start, referenceFrame="FIXED", cartesian=samples,
                              interpolationDegree=5),
            point=Point(pixelSize=3, color=Color(rgba=[255, 255, 255, 255])),
            path=CzPath(width=1, leadTime=0, trailTime=600, material=trail)))
    if sites is not None:
        for k in range(len(sites)):
            packets.append(Packet(
                id=f"site/{sites.names[k]}", name=str(sites.names[k]),
                position=Position(cartographicDegrees=[float(sites.lon_deg[k]),
                                                       float(sites.lat_deg[k]),
                                                       float(sites.alt_m[k])]),
                point=Point(pixelSize=8, color=Color(rgba=[255, 200, 0, 255])),
                label=Label(text=str(sites.names[k]), scale=0.5)))
    if pair is not None:
        if sites is None:
            raise LeolatError("pair= needs sites=")
        packets += _path_packets(constellation, sites, times, pair, policy, min_elevation_deg,
                                 red, Packet, Polyline, PositionList, PolylineMaterial,
                                 SolidColorMaterial, TimeInterval)
    return Document(packets=packets)


def _path_packets(constellation, sites, times, pair, policy, min_elevation_deg, color, Packet,
                  Polyline, PositionList, PolylineMaterial, SolidColorMaterial, TimeInterval):
    from ..network.links import LinkPolicy
    from ..network.pairs import pair_labels, parse_pairs
    from ..network.routing import Network

    parsed = parse_pairs(pair, what="pair")
    if parsed == "all" or len(parsed) != 1:
        raise LeolatError(f"pair must be one 'SOURCE->DESTINATION', got {pair!r}")
    net = Network(constellation, sites, policy or LinkPolicy(min_elevation_deg=min_elevation_deg))
    src, dst = net.resolve_pairs(parsed)
    (label,) = pair_labels(sites, src, dst)
    paths = net.paths(times, parsed)
    n_sats = len(constellation)

    def ref(v):
        name = constellation.names[v] if v < n_sats else sites.names[v - n_sats]
        return f"{'sat' if v < n_sats else 'site'}/{name}#position"

    packets, run_start, current = [], 0, None
    nodes = [tuple(paths[(i, label)].tolist()) for i in range(len(times))]
    for i in range(len(times) + 1):
        if i < len(times) and nodes[i] == current:
            continue
        if current:  # close the run of identical paths [run_start, i)
            t_end = times.utc[min(i, len(times) - 1)]
            packets.append(Packet(
                id=f"path/{label}/{run_start}", name=f"{label} (hops {len(current) - 1})",
                availability=TimeInterval(start=_utc(times.utc[run_start]), end=_utc(t_end)),
                polyline=Polyline(positions=PositionList(references=[ref(v) for v in current]),
                                  width=3, arcType="NONE",
                                  material=PolylineMaterial(solidColor=SolidColorMaterial(color=color)))))
        if i < len(times):
            run_start, current = i, nodes[i]
    return packets


def write_czml(path: PathLike, constellation: Constellation, times: TimeLike, **kwargs) -> Path:
    """Write :func:`czml_document` to ``path`` (a ``.czml`` JSON file)."""
    doc = czml_document(constellation, times, **kwargs)
    return write_text_atomic(path, doc.dumps())

"""Failure scenarios: fiber cuts, gateways down, failed satellites and planes, over intervals.

A :class:`Scenario` is a name and a tuple of :class:`Outage` records, built with
chained methods::

    s = (Scenario("WACS cut")
         .cut_fiber("WACS", start="2026-11-24T00:10Z", end="2026-11-24T00:40Z")
         .gateway_down("Usingen"))

It says *what* fails; resolving it against a :class:`~leolat.network.Network` and
a :class:`~leolat.time.TimeGrid` gives the kernel's outage arrays, and any name
that does not exist there is a :class:`ScenarioError` naming the outage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .._kernels.graph import FOREVER, Outages
from ..base.errors import ScenarioError
from ..base.validate import check_count, did_you_mean
from ..reference.time import InstantLike, TimeGrid, parse_utc
from .routes import FailedSatellites

if TYPE_CHECKING:
    from ..ground.terrestrial import Terrestrial
    from .routing import Network

__all__ = ["Scenario", "Outage", "ResolvedScenario"]

_KINDS = ("fiber", "gateway", "satellite", "plane", "pop")



@dataclass(frozen=True)
class Outage:
    """One failure.

    Attributes
    ----------
    kind : {"fiber", "gateway", "satellite", "plane"}
    target : tuple
        fiber: ``(link name,)``, ``(node a, node b)`` or ``("*", link kind)`` (every
        link of that kind); gateway: ``(node name,)``; satellite: names or indices;
        plane: ``(shell, plane)``.
    start, end : numpy.datetime64 or None
        The failure lasts over ``start <= t < end``; None is open-ended.
    """

    kind: str
    target: tuple
    start: np.datetime64 | None = None
    end: np.datetime64 | None = None

    def describe(self) -> str:
        t = self.target
        if self.kind == "fiber":
            what = (f"all {t[1]} fiber" if t[0] == "*" else
                    f"fiber {t[0]} -- {t[1]}" if len(t) == 2 else f"fiber {t[0]}")
        elif self.kind == "gateway":
            what = f"GSLs of {t[0]}"
        elif self.kind == "satellite":
            what = f"satellites {', '.join(map(str, t))}"
        elif self.kind == "pop":
            what = f"PoP {t[0]}"
        else:
            what = f"shell {t[0]} plane {t[1]}"
        when = "" if self.start is None and self.end is None else \
            f" from {self.start or '-'} to {self.end or '-'}"
        return what + " down" + when


@dataclass(frozen=True)
class ResolvedScenario:
    """A scenario resolved against one network and time grid (see :meth:`Scenario.resolve`).

    Attributes
    ----------
    outages : Outages
        Fiber links and ground nodes' GSLs down, in global steps of the grid.
    failed_satellites : tuple of FailedSatellites
    fiber_cuts : Outages
        The fiber cuts alone (what the fiber-only comparison sees).
    """

    outages: Outages
    failed_satellites: tuple[FailedSatellites, ...]
    fiber_cuts: Outages


@dataclass(frozen=True)
class Scenario:
    """A named set of outages. Methods return a new Scenario with one more outage.

    Times (``start``, ``end``) are anything :class:`~leolat.time.TimeGrid` accepts as
    UTC: ISO strings with a zone, aware datetimes, numpy datetime64 (UTC).
    """

    name: str = "normal"
    outages: tuple = ()

    def _add(self, kind: str, target: tuple, start: InstantLike | None,
             end: InstantLike | None) -> Scenario:
        s = None if start is None else parse_utc(start, what="start")
        e = None if end is None else parse_utc(end, what="end")
        if s is not None and e is not None and not s < e:
            raise ScenarioError(f"scenario {self.name!r}: outage of {kind} {target} ends ({e}) "
                                f"before it starts ({s})")
        return replace(self, outages=self.outages + (Outage(kind, tuple(target), s, e),))

    def cut_fiber(self, name: str | None = None, *, between: tuple[str, str] | None = None,
                  start: InstantLike | None = None, end: InstantLike | None = None) -> Scenario:
        """Cut the fiber link(s) called ``name``, or every link ``between=(a, b)``."""
        if (name is None) == (between is None):
            raise ScenarioError(f"scenario {self.name!r}: cut_fiber takes a link name or "
                                f"between=(a, b), not both or neither")
        if between is not None:
            if len(between) != 2:
                raise ScenarioError(f"scenario {self.name!r}: between must be (a, b), got {between!r}")
            return self._add("fiber", (str(between[0]), str(between[1])), start, end)
        return self._add("fiber", (str(name),), start, end)

    def cut_all_fiber(self, *, kind: str = "backbone", start: InstantLike | None = None,
                      end: InstantLike | None = None) -> Scenario:
        """Cut every fiber link of ``kind`` (``"backbone"``, ``"access"`` or ``"all"``)."""
        if kind not in ("backbone", "access", "all"):
            raise ScenarioError(f"kind must be 'backbone', 'access' or 'all', got {kind!r}")
        return self._add("fiber", ("*", kind), start, end)

    def gateway_down(self, name: str, *, start: InstantLike | None = None,
                     end: InstantLike | None = None) -> Scenario:
        """Take down every GSL of the ground node ``name`` (a gateway or a site's terminal)."""
        return self._add("gateway", (str(name),), start, end)

    def pop_down(self, code: str, *, start: InstantLike | None = None,
                 end: InstantLike | None = None) -> Scenario:
        """Take a point of presence of an operator down (:func:`leolat.service_latency`):
        the countries it serves are served from the next nearest PoP meanwhile."""
        return self._add("pop", (str(code),), start, end)

    def fail_satellites(self, satellites: int | str | Sequence[int | str], *, start: InstantLike | None = None,
                        end: InstantLike | None = None) -> Scenario:
        """Fail satellites given by name or index."""
        if isinstance(satellites, (str, int, np.integer)):
            satellites = [satellites]
        return self._add("satellite", tuple(satellites), start, end)

    def fail_plane(self, plane: int, *, shell: int = 0, start: InstantLike | None = None,
                   end: InstantLike | None = None) -> Scenario:
        """Fail every satellite of one orbital plane of one shell."""
        return self._add("plane", (check_count(shell, "shell", error=ScenarioError),
                                   check_count(plane, "plane", error=ScenarioError)), start, end)

    def describe(self) -> str:
        return self.name + (": " + "; ".join(o.describe() for o in self.outages)
                            if self.outages else ": no outages")

    # ------------------------------------------------------------- resolution
    def resolve(self, network: Network, times: TimeGrid) -> ResolvedScenario:
        """The outages of ``network`` over the steps of ``times``.

        Raises
        ------
        ScenarioError
            Naming the outage whose link, node, satellite or plane the network lacks.
        """
        items, t0s, t1s, fiber_mask, failed = [], [], [], [], []
        t = network.terrestrial
        n_links = 0 if t is None else t.n_links
        c = network.constellation
        for k, o in enumerate(self.outages):
            where = f"scenario {self.name!r}, outage {k} ({o.kind} {o.target})"
            t0, t1 = _steps(times, o.start, o.end)
            if o.kind == "fiber":
                if t is None:
                    raise ScenarioError(f"{where}: the network has no terrestrial links")
                hit = _fiber_links(t, o.target, where)
                items += list(hit)
                t0s += [t0] * hit.size
                t1s += [t1] * hit.size
                fiber_mask += [True] * hit.size
            elif o.kind == "gateway":
                node = _gsl_node(network, o.target[0], where)
                items.append(n_links + node)
                t0s.append(t0)
                t1s.append(t1)
                fiber_mask.append(False)
            elif o.kind == "satellite":
                idx = []
                for s in o.target:
                    if isinstance(s, (int, np.integer)):
                        if not 0 <= int(s) < len(c):
                            raise ScenarioError(f"{where}: satellite index {s} is outside "
                                                f"0..{len(c) - 1}")
                        idx.append(int(s))
                    else:
                        hits = np.nonzero(c.names == s)[0]
                        if not hits.size:
                            raise ScenarioError(f"{where}: no satellite is named {s!r}")
                        idx += hits.tolist()
                failed.append(FailedSatellites(np.array(idx, np.int64), t0, t1))
            elif o.kind == "plane":
                shell, plane = o.target
                members = np.nonzero((c.shell == shell) & (c.plane == plane))[0]
                if not members.size:
                    n_sh = int(c.shell.max()) + 1 if len(c) else 0
                    raise ScenarioError(f"{where}: the constellation has no plane {plane} in shell "
                                        f"{shell} ({n_sh} shell(s); planes need plane numbers: a "
                                        f"Walker preset or infer_shells())")
                failed.append(FailedSatellites(members.astype(np.int64), t0, t1))
            elif o.kind == "pop":
                raise ScenarioError(f"{where}: a PoP outage belongs to an operator's service; "
                                    f"use leolat.service_latency(..., scenario=...)")
            else:
                raise ScenarioError(f"{where}: unknown kind; kinds are {_KINDS}")
        arr = Outages(np.array(items, np.int64), np.array(t0s, np.int64), np.array(t1s, np.int64))
        m = np.array(fiber_mask, bool)
        return ResolvedScenario(arr, tuple(failed), Outages(*(x[m] for x in arr)))


def _steps(times: TimeGrid, start: np.datetime64 | None, end: np.datetime64 | None
           ) -> tuple[int, int]:
    """Global step range [t0, t1) of the steps with start <= t < end."""
    ns = times.unix_ns
    t0 = -1 if start is None else int(np.searchsorted(ns, start.astype("datetime64[ns]").astype(np.int64)))
    t1 = FOREVER if end is None else int(np.searchsorted(ns, end.astype("datetime64[ns]").astype(np.int64)))
    return t0, t1


def _fiber_links(t: Terrestrial, target: tuple, where: str) -> np.ndarray:
    names = t.nodes.names
    if target[0] == "*":
        kind = target[1]
        return np.nonzero(np.ones(t.n_links, bool) if kind == "all" else t.link_kind == kind)[0]
    if len(target) == 1:
        hit = np.nonzero(t.link_names == target[0])[0]
        if not hit.size:
            raise ScenarioError(f"{where}: no fiber link is named {target[0]!r}"
                                + did_you_mean(target[0], sorted(set(t.link_names))))
        return hit
    a, b = target
    for node in (a, b):
        if node not in names:
            raise ScenarioError(f"{where}: no ground node is named {node!r}")
    na, nb = names[t.link_a], names[t.link_b]
    hit = np.nonzero(((na == a) & (nb == b)) | ((na == b) & (nb == a)))[0]
    if not hit.size:
        raise ScenarioError(f"{where}: there is no fiber link between {a!r} and {b!r}")
    return hit


def _gsl_node(network: Network, name: str, where: str) -> int:
    hits = np.nonzero(network.sites.names == name)[0]
    if not hits.size:
        raise ScenarioError(f"{where}: no ground node is named {name!r}"
                            + did_you_mean(name, network.sites.names))
    node = int(hits[0])
    if not network.gsl_capable[node]:
        role = network.terrestrial.roles[node] if network.terrestrial is not None else "ground"
        raise ScenarioError(f"{where}: {name!r} is a {role} node and has no GSLs to take down")
    return node

"""Every figure of the documentation, drawn from shipped data: ``python -m docs.gallery``.

``docs/img/`` holds exactly what this script draws, so a figure can never show what the code
no longer does. Each figure is one function below, named after its file; the pages that
show it say so in the caption's source. ``--small`` draws the same figures over shorter
windows and coarser grids (what CI runs, into a temporary folder); ``--only NAME`` draws
one. Every image written is checked not to be blank: enough pixels must differ from the
background and carry more than one colour, so an empty axes or a failed draw is an error.

Usage::

    python -m docs.gallery                 # all figures into docs/img/
    python -m docs.gallery --small --out /tmp/gallery
    python -m docs.gallery --only rtt_london_new_york
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

IMG = Path(__file__).resolve().parent / "img"
FIGURES: dict[str, Callable] = {}


def figure(fn: Callable) -> Callable:
    FIGURES[fn.__name__] = fn
    return fn


# ------------------------------------------------------------------ the figures
@figure
def visible_london(small: bool):
    """docs/visibility.md: satellites of Starlink shell 1 above 25° from London."""
    import matplotlib.pyplot as plt

    import leolat

    shell = leolat.Constellation.preset("starlink-gen1-shell1")
    london = leolat.Sites.from_cities(["London"])
    day = leolat.TimeGrid.from_utc("2026-01-01T00:00:00Z", (2 if small else 24) * 3600, 30)
    counts = leolat.visible(shell, london, 25, times=day).counts[:, 0]
    fig, ax = plt.subplots(figsize=(9, 3.2))
    minutes = day.offsets_s / 60
    ax.step(minutes, counts, where="post", lw=1.2, label="visible (30 s steps)")
    ax.axhline(counts.mean(), color="C1", ls="--", label=f"mean over the window: {counts.mean():.1f}")
    ax.set(xlabel="minutes since 2026-01-01 00:00 UTC", ylabel="satellites ≥ 25°",
           title="Starlink Gen1 shell 1 seen from London (first 2 hours of the day)",
           xlim=(0, 120), ylim=(0, 25))
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return fig


@figure
def coverage_starlink_gen1(small: bool):
    """docs/coverage.md: mean visible satellites of Starlink Gen1 on a global grid."""
    import leolat

    step_deg = 10.0 if small else 5.0
    grid = leolat.Sites.grid(step_deg)
    hours = 1 if small else 6
    window = leolat.TimeGrid.from_utc("2026-01-01T00:00:00Z", hours * 3600, 120)
    ds = leolat.coverage(leolat.Constellation.preset("starlink-gen1"), grid, window,
                         min_elevation_deg=25)
    return leolat.plot.world_map(ds, "mean_visible", title=(
        f"Starlink Gen1: mean visible satellites ≥ 25°, {hours} h at 120 s, "
        f"{step_deg:g}° grid"))


def _london_new_york(small: bool):
    import leolat

    shell = leolat.Constellation.preset("starlink-gen1-shell1")
    cities = leolat.Sites.from_cities(["London", "New York"])
    net = leolat.Network(shell, cities, leolat.LinkPolicy(min_elevation_deg=25, max_isl_range_km=5000))
    hour = leolat.TimeGrid.from_utc("2026-01-01T00:00:00Z", 600 if small else 3600, 10)
    return net, hour


@figure
def rtt_london_new_york(small: bool):
    """docs/network.md: RTT London - New York over shell 1 with the terrestrial baselines."""
    import leolat

    net, hour = _london_new_york(small)
    ds = net.latency(hour, [("London, GB", "New York City, US")])
    return leolat.plot.rtt_timeseries(ds)


@figure
def snapshot_links(small: bool):
    """docs/network.md: the links of one snapshot, and the shortest path they give."""
    import matplotlib.pyplot as plt


    net, hour = _london_new_york(small)
    t = hour[:1]
    snap = net.snapshot(t)
    eph = net.constellation.propagate(t, positions_only=True)
    lat, lon, _ = eph.subpoints()
    lat, lon = lat[0], lon[0]
    n_sats = len(net.constellation)
    st_lat, st_lon = net.sites.lat_deg, net.sites.lon_deg
    node_lat = np.concatenate([lat, st_lat])
    node_lon = np.concatenate([lon, st_lon])
    fig, ax = plt.subplots(figsize=(9, 4.2))
    src = np.repeat(np.arange(snap.n_nodes), np.diff(snap.indptr))
    dst = snap.indices
    for kind, style in (("isl", dict(color="0.75", lw=0.4)), ("gsl", dict(color="C1", lw=0.9))):
        sel = (snap.edge_kind == kind) & (src < dst)
        for a, b in zip(src[sel], dst[sel]):
            if abs(node_lon[a] - node_lon[b]) < 180:  # not across the antimeridian
                ax.plot([node_lon[a], node_lon[b]], [node_lat[a], node_lat[b]], **style)
    ax.plot(lon, lat, ".", ms=3, color="C0", label="satellites")
    path = net.paths(t, [("London, GB", "New York City, US")])[(0, "London, GB->New York City, US")]
    ax.plot(node_lon[path], node_lat[path], color="C3", lw=2.2, label="shortest path")
    ax.plot(st_lon, st_lat, "s", color="k", ms=6, label="stations")
    assert path.size and path[0] >= n_sats  # the path runs station to station
    ax.set(xlim=(-100, 30), ylim=(10, 70), xlabel="longitude (deg)", ylabel="latitude (deg)",
           title="+Grid ISLs (grey), GSLs ≥ 25° (orange), London → New York (red)")
    ax.legend(loc="lower left", fontsize=8)
    return fig


@figure
def service_london(small: bool):
    """docs/service.md: a London terminal on the operator's service path."""
    import leolat

    starlink = leolat.Operator.preset("starlink")
    gen1 = leolat.Constellation.preset("starlink-gen1", epoch="2026-12-01T00:00:00Z")
    offices = leolat.Sites.from_cities(["London"])
    ds = leolat.service_latency(gen1, starlink, offices,
                                leolat.TimeGrid.from_utc("2026-12-01T00:00:00Z", 120 if small else 600, 1))
    return leolat.plot.service_timeseries(ds, 0)


def _africa_wan(offices):
    import leolat

    gateways = leolat.gateways(name=["Usingen", "Aerzen", "Gravelines", "Villenave-d'Ornon",
                                     "Goonhilly", "Chalfont Grove"])
    region = leolat.cloud_regions(provider="aws", region="eu-central-1")
    pops = leolat.Sites.from_csv(leolat.data_path("africa_europe_pops.csv"))
    return leolat.Terrestrial.from_csv(leolat.data_path("africa_europe_fiber.csv"), sites=offices,
                                       gateways=gateways, pops=pops, clouds=region,
                                       unknown_nodes="drop")


def _west_africa_cut(start: str):
    import leolat

    return (leolat.Scenario("West Africa cables cut")
            .cut_fiber("WACS", start=start).cut_fiber("MainOne", start=start)
            .cut_fiber("Equiano", start=start))


@figure
def hybrid_lagos_failover(small: bool):
    """docs/hybrid.md: Lagos to Frankfurt, fiber first, failing over to LEO at the cable cut."""
    import matplotlib.pyplot as plt

    import leolat

    offices = leolat.Sites.from_cities(["Lagos"])
    net = leolat.Network(leolat.Constellation.preset("starlink-gen1"), _africa_wan(offices),
                         leolat.LinkPolicy(min_elevation_deg=25))
    minutes_total, cut_min = (30, 10) if small else (60, 20)
    hour = leolat.TimeGrid.from_utc("2026-11-24T12:00Z", minutes_total * 60, 10)
    west = _west_africa_cut(f"2026-11-24T12:{cut_min:02d}Z")
    ds = leolat.run_scenario(net, hour, [("Lagos, NG", "aws:eu-central-1")], west,
                             routing="fiber_first")
    lagos = ds.sel(pair="Lagos, NG->aws:eu-central-1")
    minutes = hour.offsets_s / 60
    fig, ax = plt.subplots(figsize=(9, 3.6))
    leo = np.isin(lagos.medium.values, ["leo", "leo+fiber"])
    ax.fill_between(minutes, 0, 120, where=leo, color="C0", alpha=0.08, step="mid",
                    label="traffic on LEO")
    ax.plot(minutes, lagos.rtt_ms, color="C3", lw=2, label="hybrid, fiber first")
    ax.plot(minutes, lagos.fiber_only_rtt_ms, color="C2", ls="--", label="fiber only")
    ax.plot(minutes, lagos.leo_only_rtt_ms, color="C0", lw=0.8, label="LEO only (Starlink Gen1)")
    ax.axhline(float(lagos.vacuum_rtt_ms), color="k", ls=":", label="vacuum bound")
    ax.axvline(cut_min, color="0.4", lw=0.8)
    ax.annotate(f"GEO bent pipe: {float(lagos.geo_rtt_ms):.0f} ms ↑", (1, 112), fontsize=8)
    ax.annotate("WACS, MainOne, Equiano cut", (cut_min + 0.5, 8), fontsize=8)
    ax.set(xlabel="minutes since 2026-11-24 12:00 UTC", ylabel="RTT (ms)", ylim=(0, 120),
           title="Lagos office → AWS eu-central-1 (Frankfurt)")
    ax.legend(loc="center right", fontsize=8)
    return fig


@figure
def capacity_lagos_cut(small: bool):
    """docs/capacity.md: Lagos to Frankfurt at the busy hour: fiber, LEO overflow, unmet."""
    import leolat

    offices = leolat.Sites.from_cities(["Lagos", "Nairobi"])
    net = leolat.Network(leolat.Constellation.preset("starlink-gen1"), _africa_wan(offices),
                         leolat.LinkPolicy(min_elevation_deg=25))
    busy = leolat.TimeGrid.from_utc("2026-11-24T19:00Z", 1800 if small else 3600, 300)
    demand = leolat.Demand(np.array(["Lagos, NG", "Nairobi, KE"]),
                           np.array(["aws:eu-central-1", "aws:eu-central-1"]), np.array([60.0, 30.0]))
    ds = leolat.allocate(net, busy, demand, routing="fiber_first",
                         scenario=_west_africa_cut("2026-11-24T19:20Z"))
    return leolat.plot.capacity_timeseries(ds, "Lagos, NG->aws:eu-central-1")


# ------------------------------------------------------------------ drawing and checking
class BlankFigureError(RuntimeError):
    """An image the gallery wrote shows (next to) nothing."""


def check_not_blank(path: Path, *, min_ink: float = 0.02) -> float:
    """The fraction of pixels that differ from the background (the most common colour);
    raises :class:`BlankFigureError` below ``min_ink`` or with a single colour besides it."""
    import matplotlib.image as mpimg

    img = mpimg.imread(path)[..., :3]
    flat = np.round(img.reshape(-1, 3) * 255).astype(np.int32)
    keys = flat[:, 0] * 65536 + flat[:, 1] * 256 + flat[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    ink = 1.0 - counts.max() / keys.size
    if ink < min_ink or values.size < 3:
        raise BlankFigureError(f"{path}: {100 * ink:.2f} % of the pixels differ from the background, "
                               f"{values.size} colours: the figure is (nearly) blank")
    return ink


def draw(names: list[str], out: Path, small: bool) -> dict[str, float]:
    """Draw the named figures into ``out`` (each written whole, then checked); returns
    {name: ink fraction}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from leolat.base.atomic import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    ink = {}
    for name in names:
        t0 = time.perf_counter()
        fig = FIGURES[name](small)
        path = out / f"{name}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=100, bbox_inches="tight", format="png")
        plt.close(fig)
        ink[name] = check_not_blank(path)
        print(f"{path}: {100 * ink[name]:.1f} % ink, {time.perf_counter() - t0:.1f} s")
    return ink


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docs.gallery", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="shorter windows, coarser grids (CI)")
    parser.add_argument("--out", type=Path, default=IMG, help=f"folder for the PNGs (default {IMG})")
    parser.add_argument("--only", action="append", choices=sorted(FIGURES), help="draw this figure only")
    args = parser.parse_args(argv)
    try:
        draw(args.only or list(FIGURES), args.out, args.small)
    except BlankFigureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

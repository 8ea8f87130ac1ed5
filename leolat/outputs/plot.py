"""Plots with matplotlib (the headless Agg backend unless one is already chosen).

Each function draws on ``ax`` (a new figure when None) and returns the Figure;
``save=PATH`` writes a PNG. Coastlines come from the Natural Earth 1:110m outlines
shipped in ``data/coastlines_110m.csv``: nothing is downloaded.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..base import data as _data
from ..base.atomic import atomic_path
from ..base.errors import LeolatError
from ..base.types import PathLike
from ..base.validate import did_you_mean

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..geometry.visibility import Visibility
    from ..orbits.constellation import Constellation
    from ..orbits.ephemeris import Ephemeris
    from ..reference.time import TimeLike

__all__ = ["rtt_timeseries", "service_timeseries", "capacity_timeseries", "world_map",
           "ground_tracks", "visible_histogram", "coastlines"]


def _axes(ax, figsize):
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo") and \
            not matplotlib.is_interactive():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _finish(fig, save):
    if save is not None:
        # Written under a temporary name and renamed: a figure appears whole or not at all.
        suffix = Path(save).suffix.lower().lstrip(".") or "png"
        with atomic_path(save) as tmp:
            fig.savefig(tmp, dpi=110, bbox_inches="tight", format=suffix)
    return fig


@functools.lru_cache(maxsize=1)
def coastlines() -> tuple[np.ndarray, np.ndarray]:
    """Coastline rings as (lon_deg, lat_deg) arrays, rings separated by NaN."""
    text = _data.read_text("coastlines_110m.csv")
    arr = np.loadtxt(io.StringIO(text), delimiter=",", comments="#", skiprows=4)
    return arr[:, 0], arr[:, 1]


def _draw_coastlines(ax, **kw):
    lon, lat = coastlines()
    ax.plot(lon, lat, color=kw.pop("color", "0.25"), lw=kw.pop("lw", 0.6), zorder=5, **kw)


def _map_axes(ax):
    ax.set(xlim=(-180, 180), ylim=(-90, 90), xlabel="longitude (deg)", ylabel="latitude (deg)",
           xticks=np.arange(-180, 181, 60), yticks=np.arange(-90, 91, 30))
    ax.set_aspect("equal")


def rtt_timeseries(ds: xr.Dataset, pair: str | int | None = None, *, ax: Axes | None = None,
                   save: PathLike | None = None) -> Figure:
    """RTT of one pair over time, with the fiber estimate and vacuum bound, path changes marked.

    Samples hold until the next one, so RTTs are drawn as steps. A hybrid Dataset adds the
    fiber-only and LEO-only RTTs, the GEO bent-pipe level and the scenario's outage starts.
    The title says what is shown: the pair, the constellation, the elevation mask, the
    window and the scenario.

    Parameters
    ----------
    ds : xarray.Dataset
        From :meth:`Network.latency` or :func:`leolat.hybrid_latency`.
    pair : str or int, optional
        Pair label or index (default: the first).
    """
    if "rtt_ms" not in ds:
        raise LeolatError("rtt_timeseries needs a latency Dataset (with rtt_ms)")
    k = 0 if pair is None else (pair if isinstance(pair, (int, np.integer))
                                else _pair_index(ds, pair))
    one = ds.isel(pair=k)
    fig, ax = _axes(ax, (9, 3.6))
    t = one["time"].values
    ax.plot(t, one["rtt_ms"], color="C0", lw=1.3, label="RTT", drawstyle="steps-post")
    if "fiber_only_rtt_ms" in one:
        ax.plot(t, one["fiber_only_rtt_ms"], color="C2", ls="--", lw=1.5, label="fiber only",
                drawstyle="steps-post")
    if "leo_only_rtt_ms" in one:
        ax.plot(t, one["leo_only_rtt_ms"], color="C1", ls="-.", lw=1.2, label="LEO only",
                drawstyle="steps-post")
    elif "fiber_rtt_ms" in one:
        how = str(one["fiber_rtt_source"].values) if "fiber_rtt_source" in one else "estimate"
        how = "measured" if how.startswith("measured") else (
            "calibrated model" if how == "model" else how)
        ax.axhline(float(one["fiber_rtt_ms"]), color="C2", ls="--", lw=1.5,
                   label=f"terrestrial ({how})")
    if "fiber_bound_rtt_ms" in one:
        ax.axhline(float(one["fiber_bound_rtt_ms"]), color="C2", ls=":", lw=1,
                   label="ideal fiber bound")
    ax.axhline(float(one["vacuum_rtt_ms"]), color="k", ls=":", lw=1, label="vacuum bound")
    geo = float(one["geo_rtt_ms"]) if "geo_rtt_ms" in one else np.nan
    for k_cut, when in enumerate(str(ds.attrs.get("outage_starts_utc", "")).split()):
        ax.axvline(np.datetime64(when.rstrip("Z")), color="C3", lw=1.2,  # type: ignore[arg-type]
                   label="outage starts" if k_cut == 0 else None)
    if "path_change" in one:
        ch = one["path_change"].values.astype(bool)
        ax.plot(t[ch], one["rtt_ms"].values[ch], "|", color="C3", ms=9, label="path change")
    levels = [float(one["vacuum_rtt_ms"])]
    for name in ("rtt_ms", "fiber_only_rtt_ms", "fiber_rtt_ms", "leo_only_rtt_ms"):
        if name in one and np.isfinite(one[name].values).any():
            levels.append(float(np.nanmax(one[name].values)))
    top = max(levels)
    if np.isfinite(geo):
        # GEO is drawn on the scale when it is near it; else its level is named in the legend.
        on_scale = geo < 2.0 * top
        top = max(top, geo) if on_scale else top
        ax.axhline(geo if on_scale else 1.2 * top, color="C4", ls="--", lw=1,
                   label=f"GEO bent pipe {geo:.0f} ms" + ("" if on_scale else " (above the scale)"))
    ax.set(ylim=(0, 1.25 * top if top > 0 else 1), ylabel="RTT (ms)", xlabel="time (UTC)",
           title=_title(ds, str(one["pair"].values)))
    ax.legend(loc="lower right", fontsize=8)
    fig.autofmt_xdate()
    return _finish(fig, save)


def _title(ds: xr.Dataset, pair: str) -> str:
    """Pair, constellation, elevation mask, window and scenario, from the Dataset's attrs."""
    a = ds.attrs
    details = [str(a.get("constellation", "")).replace("preset ", "")]
    mask = a.get("policy_min_elevation_deg")
    if mask not in (None, "none"):
        details.append(f"GSL ≥ {float(mask):g}°")
    t = ds["time"].values
    details.append(f"{np.datetime_as_string(t[0], unit='m')}–{np.datetime_as_string(t[-1], unit='m')} UTC")
    name = a.get("scenario_name", a.get("scenario"))
    if name not in (None, "", "normal"):
        details.append(f"scenario: {name}")
    return pair + "\n" + ", ".join(d for d in details if d)


def _pair_index(ds, pair) -> int:
    labels = [str(p) for p in ds["pair"].values]
    if pair not in labels:
        raise LeolatError(f"no pair {pair!r} in the Dataset" + did_you_mean(str(pair), labels))
    return labels.index(pair)


def world_map(ds: xr.Dataset, variable: str = "mean_visible", *, ax: Axes | None = None,
              cmap: str = "viridis", save: PathLike | None = None, title: str | None = None) -> Figure:
    """A coverage variable on a world map with coastlines.

    Regular latitude/longitude grids (:meth:`Sites.grid`) are drawn as cells, other
    target sets as dots.
    """
    if variable not in ds or "lat_deg" not in ds.coords:
        raise LeolatError(f"world_map needs a coverage Dataset with {variable!r} and lat_deg/lon_deg "
                          f"coordinates; it has {sorted(map(str, ds.data_vars))}")
    fig, ax = _axes(ax, (10, 5.2))
    lat, lon = ds["lat_deg"].values, ds["lon_deg"].values
    val = ds[variable].values.astype(float)
    ulat, ulon = np.unique(lat), np.unique(lon)
    if ulat.size * ulon.size == lat.size and ulat.size > 1 and ulon.size > 1:
        grid = np.full((ulat.size, ulon.size), np.nan)
        grid[np.searchsorted(ulat, lat), np.searchsorted(ulon, lon)] = val
        dlat, dlon = np.diff(ulat).mean(), np.diff(ulon).mean()
        lat_e = np.concatenate([ulat - dlat / 2, [ulat[-1] + dlat / 2]])
        lon_e = np.concatenate([ulon - dlon / 2, [ulon[-1] + dlon / 2]])
        mesh = ax.pcolormesh(lon_e, lat_e, grid, cmap=cmap, shading="flat")
    else:
        mesh = ax.scatter(lon, lat, c=val, cmap=cmap, s=12)
    units = ds[variable].attrs.get("units", "")
    fig.colorbar(mesh, ax=ax, shrink=0.75, label=variable + (f" ({units})" if units else ""))
    _draw_coastlines(ax)
    _map_axes(ax)
    ax.set_title(title or variable.replace("_", " "))
    return _finish(fig, save)


def ground_tracks(source: Ephemeris | Constellation, times: TimeLike | None = None, *,
                  satellites: Sequence[int] | None = None, ax: Axes | None = None,
                  save: PathLike | None = None) -> Figure:
    """Sub-satellite tracks on a world map with coastlines.

    Parameters
    ----------
    source : Ephemeris or Constellation
    times : TimeGrid, required with a Constellation
    satellites : sequence of int, optional
        Which satellites (default: up to the first 12).
    """
    from ..orbits.ephemeris import Ephemeris

    if isinstance(source, Ephemeris):
        eph = source
    else:
        if times is None:
            raise LeolatError("ground_tracks(constellation, ...) needs times")
        idx = np.arange(min(12, len(source))) if satellites is None else np.asarray(satellites)
        eph = source[idx].propagate(times, positions_only=True)
        satellites = None
    lat, lon, _ = eph.subpoints()
    sats = np.arange(min(12, lat.shape[1])) if satellites is None else np.asarray(satellites)
    fig, ax = _axes(ax, (10, 5.2))
    _draw_coastlines(ax, color="0.55")
    for k, s in enumerate(sats):
        la, lo = lat[:, s].copy(), lon[:, s].copy()
        jump = np.abs(np.diff(lo)) > 180  # break the line where it wraps around the map
        la = np.insert(la, np.nonzero(jump)[0] + 1, np.nan)
        lo = np.insert(lo, np.nonzero(jump)[0] + 1, np.nan)
        ax.plot(lo, la, lw=1.1, color=f"C{k % 10}")
        ax.plot(lon[0, s], lat[0, s], "o", ms=4, color=f"C{k % 10}")
    _map_axes(ax)
    ax.set_title(f"ground tracks of {len(sats)} satellites (dots: start)")
    return _finish(fig, save)


def visible_histogram(source: xr.Dataset | Visibility, *, ax: Axes | None = None,
                      save: PathLike | None = None) -> Figure:
    """Share of (site, time step) samples with each number of visible satellites.

    ``source`` is a coverage Dataset (its ``visible_histogram``, summed over targets)
    or a :class:`~leolat.visibility.Visibility` (its counts).
    """
    fig, ax = _axes(ax, (7, 3.6))
    from ..geometry.visibility import Visibility

    if isinstance(source, Visibility):
        hist = np.bincount(np.asarray(source.counts).ravel())
    elif hasattr(source, "data_vars") and "visible_histogram" in source:
        hist = source["visible_histogram"].values.sum(axis=0)
    else:
        raise LeolatError("visible_histogram needs a coverage Dataset or a Visibility")
    share = 100.0 * hist / max(hist.sum(), 1)
    last = np.nonzero(hist)[0].max() + 1 if hist.any() else 1
    ax.bar(np.arange(last), share[:last], color="C0", width=0.85)
    ax.set(xlabel="satellites in view", ylabel="share of samples (%)",
           title="visible-satellite counts")
    return _finish(fig, save)


def _position(ds: xr.Dataset, dim: str, key: str | int) -> int:
    """Index along ``dim`` of ``key``: an index already, or a label of the dimension."""
    if isinstance(key, (int, np.integer)):
        return int(key)
    return [str(x) for x in ds[dim].values].index(str(key))


def service_timeseries(ds: xr.Dataset, terminal: str | int = 0, *, ax: Axes | None = None,
                       save: PathLike | None = None) -> Figure:
    """RTT of one terminal's service (:func:`leolat.service_latency`) over time, as steps,
    with the operator's epoch boundaries (faint lines) and handovers marked."""
    one = ds.isel(terminal=_position(ds, "terminal", terminal))
    fig, ax = _axes(ax, (9, 3.6))
    t = one["time"].values
    epochs = one["epoch"].values
    for when in t[1:][np.diff(epochs) != 0]:
        ax.axvline(when, color="0.85", lw=0.6, zorder=0)
    ax.plot(t, one["rtt_ms"], color="C0", lw=1.3, drawstyle="steps-post",
            label="RTT to the PoP (service path)")
    ho = one["handover"].values.astype(bool)
    ax.plot(t[ho], one["rtt_ms"].values[ho], "|", color="C3", ms=9, label="handover")
    ax.set(ylabel="RTT (ms)", xlabel="time (UTC)", ylim=(0, None),
           title=f"{one['terminal'].values} via PoP {ds['pop_code'].values[int(one['pop'][0])]}\n"
                 f"{ds.attrs.get('constellation', '')}; epochs (grey) every "
                 f"{ds.attrs.get('epoch_s', 15)} s")
    ax.legend(loc="lower right", fontsize=8)
    fig.autofmt_xdate()
    return _finish(fig, save)


def capacity_timeseries(ds: xr.Dataset, demand: str | int = 0, *, ax: Axes | None = None,
                        save: PathLike | None = None) -> Figure:
    """One demand of :func:`leolat.allocate` over time: Gbps carried on fiber and over
    satellites (stacked), what is left unmet, and the request."""
    one = ds.isel(demand=_position(ds, "demand", demand))
    fig, ax = _axes(ax, (9, 3.6))
    t = one["time"].values
    fiber, leo, unmet = (one[v].values for v in ("fiber_gbps", "leo_gbps", "unmet_gbps"))
    ax.stackplot(t, fiber, leo, unmet, colors=("C0", "C1", "0.8"), step="post",
                 labels=("on fiber", "over satellites", "unmet"))
    ax.plot(t, one["requested_gbps"], color="k", lw=1.0, drawstyle="steps-post",
            label="requested")
    ax.set(ylabel="Gbps", xlabel="time (UTC)", ylim=(0, None),
           title=f"{one['demand'].values}: {ds.attrs.get('routing', '')}, "
                 f"{ds.attrs.get('objective', '')}"
                 f"{'; ' + ds.attrs['scenario'] if ds.attrs.get('scenario') else ''}")
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    return _finish(fig, save)

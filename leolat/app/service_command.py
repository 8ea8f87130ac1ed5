"""``leolat service``: the latency a terminal sees on the operator's service, as a planner
quotes it (percentiles, time under thresholds, handovers, dwell, outages)."""

from __future__ import annotations

from pathlib import Path

from ..base.errors import LeolatError

__all__ = ["cmd_service", "load_destinations"]


def load_destinations(spec: str):
    """``"aws:eu-central-1;Frankfurt"``: cloud regions (``provider:region``) and cities."""
    from ..ground.sites import Sites
    from ..ground.tables import cloud_regions
    from .specs import load_sites

    parts = []
    for token in (t.strip() for t in spec.split(";") if t.strip()):
        if ":" in token:
            provider, _, region = token.partition(":")
            parts.append(cloud_regions(provider=provider, region=region))
        else:
            parts.append(load_sites(token))
    if not parts:
        raise LeolatError(f"--destinations {spec!r}: no destination")
    return Sites.concat(*parts)


def cmd_service(args) -> int:
    """``leolat service``: service latency per terminal, a summary table, a plot."""
    from ..network.operator import Operator
    from ..network.service import service_latency, service_summary
    from .commands import _print_table, _window, _write, source_and_window
    from .specs import load_sites

    args.isl = "plus_grid"
    constellation, times = source_and_window(args)
    terminals = load_sites(args.sites)
    operator = Operator.preset("starlink", min_elevation_deg=args.min_elevation,
                               gso_exclusion_deg=args.gso_exclusion, selection=args.selection,
                               epoch_s=args.epoch_s,
                               **(Operator.LIGHT_ONLY if args.light_only else {}))
    destinations = load_destinations(args.destinations) if args.destinations else None
    ds = service_latency(constellation, operator, terminals, times, destinations=destinations)
    print(f"{constellation!r}; {_window(times, args)}")
    print(f"{operator!r}")
    pops = ds["pop_code"].values[ds["pop"].values[0]]
    print("PoPs: " + ", ".join(f"{t} -> {p}" for t, p in zip(ds["terminal"].values, pops)))
    print("light time only (--light-only)\n" if args.light_only else
          f"light time + {operator.user_link_ms:.2f} ms user-link and {operator.gateway_ms:.2f} ms "
          f"gateway framing each way (docs/service.md; --light-only for none)\n")
    _print_table(service_summary(ds), "{:.1f}")
    if destinations is not None:
        import numpy as np

        med = np.nanmedian(ds["destination_rtt_ms"].values, axis=0)
        print("\nmedian RTT (ms) to destinations, via the PoP:")
        for j, t in enumerate(ds["terminal"].values):
            print(f"  {t}: " + ", ".join(f"{d} {m:.1f}" for d, m in
                                          zip(ds["destination"].values, med[j])))
    if args.out:
        _write(ds if Path(args.out).suffix.lower() in (".nc", ".zarr") else service_summary(ds)
               .reset_index(), args, constellation)
    if args.plot:
        from ..outputs.plot import service_timeseries

        service_timeseries(ds, 0, save=args.plot)
        print(f"wrote {args.plot}")
    return 0

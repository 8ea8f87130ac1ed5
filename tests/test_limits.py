"""Requests that cannot fit are refused up front, with their size and the way out, never a
numpy MemoryError after minutes."""

import pytest

import leolat
from leolat import Constellation, MemoryBudgetError, Network, SiteError, Sites, TimeGrid


def test_a_grid_too_fine_to_build_is_refused():
    with pytest.raises(SiteError, match=r"0.01° grid has ~648,000,000 points"):
        Sites.grid(0.01)


def test_routing_all_pairs_of_1000_sites_for_a_million_steps_is_refused_before_propagating():
    net = Network(Constellation.walker(4, 4, 550, 53, 1), Sites.top_cities(1000))
    steps = TimeGrid.from_utc("2026-01-01T00:00:00Z", 1_000_000, 1)
    with pytest.raises(MemoryBudgetError, match=r"routing 499,500 pairs × 1,000,000 steps .* needs "
                                                r"[\d,.]+ GiB.*Route fewer pairs"):
        net.route(steps, "all")


def test_the_command_line_refuses_an_ephemeris_file_that_cannot_fit(tmp_path, capsys):
    from leolat.app.cli import main

    code = main(["propagate", "--duration", "1e8", "--step", "10", "--out", str(tmp_path / "e.nc")])
    err = capsys.readouterr().err
    assert code == 2 and "--out .nc for 1,584 satellites × 10,000,000 times needs" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "e.nc").exists()
    assert leolat.__version__

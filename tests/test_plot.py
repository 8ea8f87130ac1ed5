"""Each plot rendered to PNG, checked to be a real picture with the expected colours."""

import numpy as np
import pytest

import leolat
from leolat import plot

mpl_image = pytest.importorskip("matplotlib.image")


def _picture(path):
    img = mpl_image.imread(path)[..., :3]
    assert img.shape[0] > 250 and img.shape[1] > 400
    assert img.std() > 0.05  # not blank
    return (img * 255).round().astype(int)


def _has_colour(img, rgb, tol=12, min_pixels=30):
    d = np.abs(img - np.array(rgb)).max(axis=-1)
    return int((d <= tol).sum()) >= min_pixels


C0, C2, C3 = (31, 119, 180), (44, 160, 44), (214, 39, 40)


@pytest.fixture(scope="module")
def shell():
    return leolat.Constellation.preset("starlink-gen1-shell1")


def test_rtt_timeseries(tmp_path, shell):
    s = leolat.Sites.from_cities(["London", "New York City"])
    ds = leolat.Network(shell, s).latency(leolat.TimeGrid.from_utc("2026-01-01T00:00Z", 1800, 10))
    plot.rtt_timeseries(ds, save=tmp_path / "rtt.png")
    img = _picture(tmp_path / "rtt.png")
    assert _has_colour(img, C0) and _has_colour(img, C2)
    assert _has_colour(img, C3, tol=40, min_pixels=20)  # thin path-change ticks, antialiased
    with pytest.raises(leolat.LeolatError, match="did you mean"):
        plot.rtt_timeseries(ds, "London, GB->New York, US")


def test_world_map_has_coastlines_and_colours(tmp_path, shell):
    ds = leolat.coverage(shell, leolat.Sites.grid(5), leolat.TimeGrid.from_utc("2026-01-01T00:00Z", 1200, 60))
    plot.world_map(ds, save=tmp_path / "map.png")
    img = _picture(tmp_path / "map.png")
    assert _has_colour(img, (68, 1, 84), tol=20)      # viridis low (no coverage near the poles)
    assert _has_colour(img, (64, 64, 64), tol=8)      # coastlines (0.25 grey)
    lon, lat = plot.coastlines()
    assert np.isnan(lon).sum() > 100 and np.nanmin(lat) < -80 and np.nanmax(lat) > 80


def test_ground_tracks_and_histogram(tmp_path, shell):
    t = leolat.TimeGrid.from_utc("2026-01-01T00:00Z", 5700, 60)
    plot.ground_tracks(shell, t, satellites=[0, 300], save=tmp_path / "tracks.png")
    img = _picture(tmp_path / "tracks.png")
    assert _has_colour(img, C0) and _has_colour(img, (255, 127, 14))  # C0, C1
    vis = leolat.visible(shell, leolat.Sites.from_cities(["London", "Quito"]), 25.0,
                         times=leolat.TimeGrid.from_utc("2026-01-01T00:00Z", 600, 10))
    plot.visible_histogram(vis, save=tmp_path / "hist.png")
    assert _has_colour(_picture(tmp_path / "hist.png"), C0, min_pixels=500)


def test_failover_plot_says_what_it_shows(tmp_path, shell):
    offices = leolat.Sites.from_cities(["Lagos", "Nairobi", "Johannesburg"])  # the links file names all three
    wan = leolat.Terrestrial.from_csv(
        leolat.data_path("africa_europe_fiber.csv"), sites=offices,
        gateways=leolat.gateways(country=["DE", "FR", "GB", "IE"]),
        pops=leolat.Sites.from_csv(leolat.data_path("africa_europe_pops.csv")),
        clouds=leolat.cloud_regions(provider="aws", region="eu-central-1"))
    net = leolat.Network(shell, wan, leolat.LinkPolicy(min_elevation_deg=25))
    hour = leolat.TimeGrid.from_utc("2026-01-01T00:00Z", 1800, 30)
    cut = (leolat.Scenario("West Africa cut").cut_fiber("WACS", start="2026-01-01T00:10Z")
           .cut_fiber("MainOne", start="2026-01-01T00:10Z").cut_fiber("Equiano", start="2026-01-01T00:10Z"))
    ds = leolat.run_scenario(net, hour, [("Lagos, NG", "aws:eu-central-1")], cut, routing="fiber_first")
    fig = plot.rtt_timeseries(ds, save=tmp_path / "failover.png")
    ax = fig.axes[0]
    title = ax.get_title()
    assert "STARLINK-GEN1-SHELL1" in title.upper() and "GSL ≥ 25°" in title and "scenario: West Africa cut" in title
    assert "2026-01-01T00:00–2026-01-01T00:29 UTC" in title
    labels = ax.get_legend_handles_labels()[1]
    assert {"RTT", "fiber only", "LEO only", "outage starts", "vacuum bound"} <= set(labels)
    assert any(lab.startswith("GEO bent pipe") for lab in labels)
    assert ax.lines[0].get_drawstyle() == "steps-post"
    img = _picture(tmp_path / "failover.png")
    assert _has_colour(img, C0) and _has_colour(img, C3, tol=40, min_pixels=20)

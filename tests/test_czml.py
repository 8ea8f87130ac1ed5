import json

import pytest

import leolat
from leolat.outputs.czml import write_czml

pytest.importorskip("czml3")


def test_czml_satellites_sites_and_path(tmp_path):
    c = leolat.Constellation.preset("starlink-gen1-shell1")
    s = leolat.Sites.from_cities(["London", "New York City"])
    t = leolat.TimeGrid.from_utc("2026-01-01T00:00Z", 600, 60)
    path = write_czml(tmp_path / "x.czml", c, t, sites=s, pair="London, GB->New York City, US")
    doc = json.loads(path.read_text())
    assert doc[0]["id"] == "document" and doc[0]["version"] == "1.0"
    ids = {p["id"] for p in doc}
    sats = [p for p in doc if p["id"].startswith("sat/")]
    assert len(sats) == len(c)
    samples = sats[0]["position"]["cartesian"]
    assert len(samples) == 4 * len(t) and sats[0]["position"]["referenceFrame"] == "FIXED"
    r = sum(v * v for v in samples[1:4]) ** 0.5
    assert 6.9e6 < r < 7.0e6  # metres: 550 km up
    paths = [p for p in doc if p["id"].startswith("path/")]
    assert paths
    net = leolat.Network(c, s)
    want = net.paths(t, [("London, GB", "New York City, US")])
    first = want[(0, "London, GB->New York City, US")]
    refs = paths[0]["polyline"]["positions"]["references"]
    assert len(refs) == len(first)
    for ref in refs:  # every reference names a packet of the document
        assert ref.split("#")[0] in ids
    assert paths[0]["availability"].startswith("2026-01-01T00:00:00")


def test_czml_refuses_huge_and_single_instant(tmp_path):
    c = leolat.Constellation.preset("starlink-gen1")
    t = leolat.TimeGrid.from_utc("2026-01-01T00:00Z", 120, 60)
    with pytest.raises(leolat.LeolatError, match="max_satellites"):
        write_czml(tmp_path / "x.czml", c, t)
    with pytest.raises(leolat.LeolatError, match="at least two instants"):
        write_czml(tmp_path / "x.czml", c[:5], t[:1])

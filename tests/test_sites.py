import numpy as np
import pytest

from leolat import SiteError, Sites


def test_constructor_validates_and_says_which_site():
    s = Sites(["A", "B"], [10.0, -20.0], [190.0, -45.0], 100.0)
    assert list(s.lon_deg) == [-170.0, -45.0] and list(s.alt_m) == [100.0, 100.0]
    with pytest.raises(SiteError, match=r"site 'B' \(index 1\): lat_deg 95.0 is outside"):
        Sites(["A", "B"], [10.0, 95.0], [0.0, 0.0])
    with pytest.raises(SiteError, match=r"site 'A' \(index 0\): lon_deg is nan"):
        Sites(["A"], [10.0], [np.nan])
    with pytest.raises(SiteError, match="empty"):
        Sites([], [], [])


def test_from_csv_reads_aliases_and_locates_errors(tmp_path):
    good = tmp_path / "sites.csv"
    good.write_text("gid,name,lat_deg,lon_deg,elev_m\n0,Tokyo,35.6895,139.69171,40\n1,Delhi,28.67,77.22,0\n")
    s = Sites.from_csv(good)
    assert list(s.names) == ["Tokyo", "Delhi"] and s.alt_m[0] == 40.0
    bad = tmp_path / "bad.csv"
    bad.write_text("name,lat,lon\nA,10,20\nB,north,20\n")
    with pytest.raises(SiteError, match=r"bad.csv, line 3, column 'lat': 'north' is not a number"):
        Sites.from_csv(bad)
    bad.write_text("name,lat,lon\nA,100,20\n")
    with pytest.raises(SiteError, match=r"line 2, column 'lat': 100 is out of range"):
        Sites.from_csv(bad)
    bad.write_text("name,x,y\nA,1,2\n")
    with pytest.raises(SiteError, match="no 'lat_deg' column"):
        Sites.from_csv(bad)


def test_reference_ground_stations_load(kuiper_dir):
    s = Sites.from_csv(kuiper_dir / "ground_stations.csv")
    assert len(s) == 100 and s.names[0] == "Tokyo"


def test_cities_resolve_to_the_most_populous_match_and_honour_country():
    s = Sites.from_cities(["London", "London, CA", "New York", "Lagos"])
    assert list(s.country) == ["GB", "CA", "US", "NG"]
    assert abs(s.lat_deg[0] - 51.5) < 0.2 and abs(s.lat_deg[1] - 43.0) < 0.2
    with pytest.raises(SiteError, match="unknown city .Lodnon.; did you mean .*'london'"):
        Sites.from_cities(["Lodnon"])
    with pytest.raises(SiteError, match="in country ZZ"):
        Sites.from_cities(["London, ZZ"])


def test_top_cities_are_by_population():
    s = Sites.top_cities(20)
    assert len(s) == 20 and np.all(np.diff(s.weight) <= 0)
    assert "Tokyo" in " ".join(s.names) or "Shanghai" in " ".join(s.names)


@pytest.mark.parametrize("kind", ["latlon", "equal_area"])
def test_grids_cover_the_earth_area(kind):
    g = Sites.grid(2.0, kind=kind)
    assert abs(g.weight.sum() - 4 * np.pi * 6371.0072**2) < 1.0  # km²
    assert g.lat_deg.min() > -90 and g.lat_deg.max() < 90
    if kind == "equal_area":
        assert g.weight.max() / g.weight.min() < 1.2
    else:
        assert len(g) == 90 * 180


@pytest.mark.parametrize("step, kind, match", [(7.0, "latlon", "divide 180"), (0, "latlon", "positive"),
                                               (5.0, "hex", "kind")])
def test_bad_grids(step, kind, match):
    with pytest.raises(SiteError, match=match):
        Sites.grid(step, kind=kind)


def test_masks_must_be_functions_of_azimuth_in_degrees():
    s = Sites(["A"], [0.0], [0.0], mask=lambda az: 10.0 + 5.0 * np.cos(np.radians(az)))
    assert s.mask_table.shape == (1, 360) and s.mask_table[0, 0] == 15.0
    with pytest.raises(SiteError, match="site 'A': mask must be a function"):
        Sites(["A"], [0.0], [0.0], mask=12.0)
    with pytest.raises(SiteError, match="same shape"):
        Sites(["A"], [0.0], [0.0], mask=lambda az: np.array([1.0, 2.0]))
    with pytest.raises(SiteError, match=r"\[-90, 90\)"):
        Sites(["A"], [0.0], [0.0], mask=lambda az: np.full_like(az, 95.0))
    with pytest.raises(SiteError, match="2 masks for 1 sites"):
        Sites(["A"], [0.0], [0.0], mask=[None, None])


@pytest.mark.parametrize("make, message", [
    (lambda: Sites("London", 51.5, -0.1), "not one string 'London'; did you mean ['London']"),
    (lambda: Sites(["Hub", "Hub"], [0, 1], [0, 1]), "site name 'Hub' is used twice (indices 0 and 1)"),
    (lambda: Sites(["", "b"], [0, 1], [0, 1]), "site 0 has a blank name"),
    (lambda: Sites(["a"], [0], [0], weight=[float("nan")]), "weight nan must be a finite number >= 0"),
    (lambda: Sites(["a"], [0], [0], weight=[-1.0]), "weight -1.0 must be a finite number >= 0"),
    (lambda: Sites(["a"], [0], [0], alt_m=-6371.0), "alt_m -6371 is below -1000 m"),
    (lambda: Sites(["a", "b"], [0, 1, 2], [0, 1]), "lat_deg must be a number or 2 numbers"),
    (lambda: Sites(["a", "b"], [0, 1], [0, 1], country=["GB"]), "got 1 codes for 2 sites"),
])
def test_site_sets_that_would_mislead_are_refused(make, message):
    with pytest.raises(SiteError) as exc:
        make()
    assert message in str(exc.value)


def test_cities_that_share_a_name_get_distinct_labels():
    s = Sites.top_cities(1000)
    assert len(set(s.names)) == 1000
    assert {"Suzhou, CN [04]", "Suzhou, CN [01]"} <= set(s.names)
    # A selection may repeat a site (the ends of several pairs).
    assert list(s[[0, 0]].names) == [s.names[0]] * 2


def test_csv_files_that_are_not_what_they_seem_are_named_with_their_line(tmp_path):
    p = tmp_path / "s.csv"
    p.write_bytes("name,lat_deg,lon_deg\nZürich,47.37,8.54\n".encode("latin-1"))
    with pytest.raises(SiteError, match=r"s.csv, line 2: not UTF-8 text"):
        Sites.from_csv(p)
    p.write_text("name,lat_deg,lon_deg\nA,1,2,3\n")
    with pytest.raises(SiteError, match=r"s.csv, line 2: 4 fields, but the header has 3"):
        Sites.from_csv(p)
    p.write_text("name,lat_deg,lon_deg\nA," + "9" * 200_000 + ",2\n")
    with pytest.raises(SiteError, match=r"line 2: unreadable CSV|is not a number") as exc:
        Sites.from_csv(p)
    assert len(str(exc.value)) < 300  # the message stays readable
    p.write_text("\ufeffname,lat_deg,lon_deg\nA,1,2\n", encoding="utf-8")  # Excel's byte-order mark
    assert list(Sites.from_csv(p).names) == ["A"]
    with pytest.raises(SiteError, match="is a folder"):
        Sites.from_csv(tmp_path)

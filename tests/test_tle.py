import warnings

import numpy as np
import pytest
from sgp4.api import Satrec

from leolat import Constellation, ElementSetWarning, TLEError
from leolat.orbits.tle import format_tle, read_tle, tle_checksum

ISS_L1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
ISS_L2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"


def _fix(line: str) -> str:
    """Recompute a line's checksum (to build deliberately altered but valid lines)."""
    return line[:68] + str(tle_checksum(line))


def test_fields_of_the_iss_match_python_sgp4(iss_text):
    cols, source = read_tle(iss_text)
    sat = Satrec.twoline2rv(ISS_L1, ISS_L2)
    assert source == "<text>"
    assert cols["name"][0] == "ISS (ZARYA)"
    assert cols["satnum"][0] == sat.satnum == 25544
    assert cols["intldesg"][0] == sat.intldesg
    assert cols["epoch_jd"][0] == sat.jdsatepoch and cols["epoch_fr"][0] == sat.jdsatepochF
    assert cols["inclination_deg"][0] == 51.6416
    assert cols["eccentricity"][0] == sat.ecco
    assert cols["bstar_per_earth_radius"][0] == sat.bstar
    assert cols["element_set_no"][0] == 292 and cols["rev_at_epoch"][0] == 56353


def test_two_line_and_space_track_three_line_forms():
    two = read_tle(f"{ISS_L1}\n{ISS_L2}\n")[0]
    assert two["name"][0] == ""
    three = read_tle(f"0 ISS (ZARYA)\n{ISS_L1}\n{ISS_L2}\n")[0]
    assert three["name"][0] == "ISS (ZARYA)"


def test_alpha5_catalog_numbers():
    l1 = _fix(ISS_L1.replace("25544U", "A0001U"))
    l2 = _fix(ISS_L2.replace("2 25544", "2 A0001"))
    cols, _ = read_tle(f"{l1}\n{l2}\n")
    assert cols["satnum"][0] == Satrec.twoline2rv(l1, l2).satnum == 100001
    # And it writes back as Alpha-5.
    assert format_tle({k: v[0] for k, v in cols.items()})[0][2:7] == "A0001"


@pytest.mark.parametrize("mutate, field, lineno", [
    (lambda l1, l2: (l1[:68] + str((int(l1[68]) + 1) % 10), l2), "checksum", 2),
    (lambda l1, l2: (l1, l2[:-1]), "line length", 3),
    (lambda l1, l2: (l1, _fix(l2[:8] + " 51.6x16" + l2[16:])), "inclination", 3),
    (lambda l1, l2: (l1, _fix(l2.replace("2 25544", "2 25545"))), "satnum", 3),
    (lambda l1, l2: (_fix(l1[:18] + "08x64.51782528" + l1[32:]), l2), "epoch day", 2),
    (lambda l1, l2: (l1, _fix(l2[:26] + "00x6703" + l2[33:])), "eccentricity", 3),
])
def test_malformed_lines_name_file_line_and_field(tmp_path, mutate, field, lineno):
    l1, l2 = mutate(ISS_L1, ISS_L2)
    path = tmp_path / "bad.tle"
    path.write_text(f"ISS (ZARYA)\n{l1}\n{l2}\n")
    with pytest.raises(TLEError) as info:
        Constellation.from_tle(path)
    err = info.value
    assert err.field == field and err.line == lineno and err.source == str(path)
    assert str(path) in str(err) and f"line {lineno}" in str(err)
    assert isinstance(err, ValueError)


def test_structural_errors():
    with pytest.raises(TLEError, match="not followed by its line 2") as info:
        read_tle(f"ISS\n{ISS_L1}\n")
    assert info.value.line == 2
    with pytest.raises(TLEError, match="without a line 1"):
        read_tle(f"{ISS_L2}\n")
    with pytest.raises(TLEError, match="no element sets"):
        read_tle("\n\n")
    with pytest.raises(TLEError, match="not followed by an element set"):
        read_tle(f"{ISS_L1}\n{ISS_L2}\nDANGLING NAME\n")
    with pytest.raises(TLEError, match="expected line 1"):
        read_tle(f"NAME ONE\nNAME TWO\n{ISS_L1}\n{ISS_L2}\n")


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.tle"
    empty.write_text("")
    with pytest.raises(TLEError, match="empty"):
        Constellation.from_tle(empty)
    with pytest.raises(TLEError, match="not found"):
        Constellation.from_tle(tmp_path / "missing.tle")


def test_bad_checksum_can_be_accepted_with_a_warning():
    bad = ISS_L1[:68] + "0"
    with pytest.warns(ElementSetWarning, match="checksum"):
        c = Constellation.from_tle(f"{bad}\n{ISS_L2}\n", checksum="warn")
    assert len(c) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Constellation.from_tle(f"{bad}\n{ISS_L2}\n", checksum="ignore")


def test_duplicates_keep_newest_by_default_and_say_so():
    newer = _fix(ISS_L1.replace("08264.51782528", "08265.51782528"))
    text = f"OLD\n{ISS_L1}\n{ISS_L2}\nNEW\n{newer}\n{ISS_L2}\n"
    with pytest.warns(ElementSetWarning, match="kept the newest"):
        c = Constellation.from_tle(text)
    assert list(c.names) == ["NEW"]
    assert len(Constellation.from_tle(text, duplicates="keep")) == 2
    with pytest.raises(TLEError.__mro__[1], match="more than once"):
        Constellation.from_tle(text, duplicates="error")


def test_real_starlink_file_loads_and_round_trips_line_for_line(starlink_tle, tmp_path):
    c = Constellation.from_tle(starlink_tle)
    assert len(c) == 10361
    lines = starlink_tle.read_text().splitlines()
    out = c.to_tle(tmp_path / "out.tle").splitlines()
    # Every element line is reproduced exactly (names lose their trailing padding).
    assert [x for x in out if x[:2] in ("1 ", "2 ")] == [x for x in lines if x[:2] in ("1 ", "2 ")]
    again = Constellation.from_tle(tmp_path / "out.tle")
    for key, col in c.columns.items():
        np.testing.assert_array_equal(again.columns[key], col, err_msg=key)


def test_hypatia_kuiper_file_loads(kuiper_dir):
    c = Constellation.from_tle(kuiper_dir / "constellation.tle")
    assert len(c) == 1156
    assert c.names[0] == "Kuiper-630 0"
    np.testing.assert_allclose(c.inclination_deg, 51.9)

import csv
import json
import re
from xml.sax.saxutils import escape

import numpy as np
import pytest
from sgp4 import exporter, omm
from sgp4.api import Satrec

from leolat import Constellation, OMMError, TimeGrid
from leolat.orbits.omm import read_omm

ISS_L1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
ISS_L2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"
TDRS_L1 = "1 19548U 88091B   26132.54545600 -.00000291  00000-0  00000+0 0  9993"
TDRS_L2 = "2 19548  13.8773 354.6386 0032207 339.3393 136.6613  1.00270616129470"


def _records():
    return [exporter.export_omm(Satrec.twoline2rv(a, b), name)
            for name, a, b in (("ISS (ZARYA)", ISS_L1, ISS_L2), ("TDRS 3", TDRS_L1, TDRS_L2))]


def _write_csv(path, records, drop=None):
    keys = [k for k in records[0] if k != drop]
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(records)


def _write_xml(path, records):
    meta = ("OBJECT_NAME", "OBJECT_ID", "CENTER_NAME", "REF_FRAME", "TIME_SYSTEM", "MEAN_ELEMENT_THEORY")
    mean = ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
            "ARG_OF_PERICENTER", "MEAN_ANOMALY")
    tle = ("EPHEMERIS_TYPE", "CLASSIFICATION_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO",
           "REV_AT_EPOCH", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT")
    tag = lambda keys, r: "".join(f"<{k}>{escape(str(r[k]))}</{k}>" for k in keys)  # noqa: E731
    segs = "".join(
        f"<segment><metadata>{tag(meta, r)}</metadata><data><meanElements>{tag(mean, r)}"
        f"</meanElements><tleParameters>{tag(tle, r)}</tleParameters></data></segment>"
        for r in records)
    path.write_text(f'<?xml version="1.0"?><ndm><omm id="CCSDS_OMM_VERS" version="2.0">'
                    f"<header/><body>{segs}</body></omm></ndm>")


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_omm_formats_propagate_like_python_sgp4_omm(tmp_path, fmt):
    records = _records()
    path = tmp_path / f"sats.{fmt}"
    if fmt == "csv":
        _write_csv(path, records)
    elif fmt == "json":
        path.write_text(json.dumps(records))
    else:
        _write_xml(path, records)
    c = Constellation.from_omm(path)
    assert list(c.names) == ["ISS (ZARYA)", "TDRS 3"]
    assert list(c.satnum) == [25544, 19548]
    times = TimeGrid.from_utc("2026-05-13T00:00:00Z", 3 * 3600, 600)
    times_iss = TimeGrid.from_utc("2008-09-21T00:00:00Z", 3 * 3600, 600)
    for i, t in ((0, times_iss), (1, times)):
        sat = Satrec()
        omm.initialize(sat, records[i])  # python-sgp4's own OMM reader is the oracle
        _, r, _ = sat.sgp4_array(t.jd, t.fr)
        ours = c[i].propagate(t).r_teme_km[:, 0]
        # OMM epochs carry microseconds; the two readers round the epoch differently
        # by < 1 µs, i.e. < 1 cm along track at 7.7 km/s.
        np.testing.assert_allclose(ours, r, atol=1e-5)


def test_missing_field_names_file_line_and_keyword(tmp_path):
    path = tmp_path / "bad.csv"
    records = _records()
    records[1]["BSTAR"] = ""
    _write_csv(path, records)
    with pytest.raises(OMMError) as info:
        read_omm(path)
    err = info.value
    assert err.field == "BSTAR" and err.line == 3 and err.record == 2
    assert str(path) in str(err)


def test_non_numeric_and_json_errors(tmp_path):
    records = _records()
    records[0]["INCLINATION"] = "fifty"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(records))
    with pytest.raises(OMMError, match="INCLINATION") as info:
        read_omm(path)
    assert info.value.record == 1
    path.write_text("[{")
    with pytest.raises(OMMError, match="not valid JSON"):
        read_omm(path)
    path.write_text("[]")
    with pytest.raises(OMMError, match="no OMM records"):
        read_omm(path)


def _write_json(tmp_path, record, name="x.json"):
    import json as _json

    path = tmp_path / name
    path.write_text(_json.dumps(record))
    return path


GOOD = {"OBJECT_NAME": "S", "OBJECT_ID": "2019-074B", "EPOCH": "2026-05-13T00:00:00", "MEAN_MOTION": 15.06,
        "ECCENTRICITY": 0.0001, "INCLINATION": 53.05, "RA_OF_ASC_NODE": 10.0, "ARG_OF_PERICENTER": 90.0,
        "MEAN_ANOMALY": 270.0, "EPHEMERIS_TYPE": 0, "CLASSIFICATION_TYPE": "U", "NORAD_CAT_ID": 123456,
        "ELEMENT_SET_NO": 999, "REV_AT_EPOCH": 100, "BSTAR": 0.0001, "MEAN_MOTION_DOT": 1e-5,
        "MEAN_MOTION_DDOT": 0}


@pytest.mark.parametrize("change, message", [
    ({"EPHEMERIS_TYPE": 4}, "EPHEMERIS_TYPE = 4: these elements are for another theory"),
    ({"INCLINATION": 190.0}, "INCLINATION = 190.0 is outside [0, 180]"),
    ({"MEAN_MOTION": True}, "MEAN_MOTION = True is not a number"),
    ({"NORAD_CAT_ID": 12345678901}, "NORAD_CAT_ID = 12345678901 is outside"),
    ({"NORAD_CAT_ID": 1.5}, "NORAD_CAT_ID = 1.5 is not a number"),
    ({"ELEMENT_SET_NO": 2.5}, "ELEMENT_SET_NO = 2.5 is not an integer"),
])
def test_omm_values_that_would_propagate_as_nonsense_are_refused(tmp_path, change, message):
    with pytest.raises(OMMError, match=re.escape(message)) as exc:
        Constellation.from_omm(_write_json(tmp_path, [{**GOOD, **change}]))
    assert "record 1" in str(exc.value)


def test_omm_file_shapes(tmp_path):
    assert Constellation.from_omm(_write_json(tmp_path, [GOOD])).satnum[0] == 123456  # > 99,999
    with pytest.raises(OMMError, match="holds a list of records or one record, not a str"):
        Constellation.from_omm(_write_json(tmp_path, "S"))
    # An Excel CSV starts with a byte-order mark; the first column must still be OBJECT_NAME.
    csv_path = tmp_path / "x.csv"
    csv_path.write_text(",".join(GOOD) + "\n" + ",".join(str(v) for v in GOOD.values()) + "\n",
                        encoding="utf-8-sig")
    assert list(Constellation.from_omm(csv_path).names) == ["S"]
    (tmp_path / "latin1.csv").write_bytes("OBJECT_NAME\nS\xe9\n".encode("latin-1"))
    with pytest.raises(OMMError, match="not UTF-8 text"):
        Constellation.from_omm(tmp_path / "latin1.csv")

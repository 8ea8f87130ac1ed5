"""Reading Orbit Mean-Elements Messages (CCSDS OMM) as CelesTrak serves them: CSV, XML, JSON.

The XML layout is read with python-sgp4's ``sgp4.omm.parse_xml``; CSV and JSON
are flat records with the same keywords.  Every record is checked for the
fields SGP4 needs; a missing or non-numeric one raises :class:`OMMError`
naming the file, the record (and for CSV the line) and the keyword.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from sgp4 import omm as _sgp4_omm

from ..base.constants import JD_UNIX_EPOCH, SECONDS_PER_DAY
from ..base.errors import OMMError
from ..base.textfile import csv_rows, read_text_file
from ..base.types import PathLike
from .elements import ELEMENT_FIELDS

__all__ = ["read_omm", "omm_records", "format_omm"]

# Largest catalog number an OMM may carry (the 9-digit field of the CCSDS standard).
MAX_CATALOG_NUMBER = 999_999_999
# EPHEMERIS_TYPE values SGP4 propagates: 0 (unspecified, as CelesTrak writes) and 2 (SGP4).
SGP4_EPHEMERIS_TYPES = (0, 2)


def _catalog_number(value) -> int:
    """A catalog number: an integer, or a float with no fraction ("25544.0" in some CSVs)."""
    f = float(value)
    if not f.is_integer():
        raise ValueError(value)
    return int(f)


# OMM keyword -> leolat column, for the fields SGP4 cannot do without.
_REQUIRED = {
    "EPOCH": None,
    "MEAN_MOTION": "mean_motion_rev_day",
    "ECCENTRICITY": "eccentricity",
    "INCLINATION": "inclination_deg",
    "RA_OF_ASC_NODE": "raan_deg",
    "ARG_OF_PERICENTER": "arg_perigee_deg",
    "MEAN_ANOMALY": "mean_anomaly_deg",
    "NORAD_CAT_ID": "satnum",
    "BSTAR": "bstar_per_earth_radius",
    "MEAN_MOTION_DOT": "mean_motion_dot_rev_day2",
    "MEAN_MOTION_DDOT": "mean_motion_ddot_rev_day3",
}
# Optional keywords with their defaults.
_OPTIONAL = {
    "OBJECT_NAME": ("name", ""),
    "OBJECT_ID": ("intldesg", ""),
    "CLASSIFICATION_TYPE": ("classification", "U"),
    "EPHEMERIS_TYPE": ("ephemeris_type", 0),
    "ELEMENT_SET_NO": ("element_set_no", 0),
    "REV_AT_EPOCH": ("rev_at_epoch", 0),
}


def _detect_format(text: str, suffix: str) -> str:
    suffix = suffix.lower()
    if suffix in (".csv", ".json", ".xml"):
        return suffix[1:]
    head = text.lstrip()[:1]
    if head in "[{":
        return "json"
    if head == "<":
        return "xml"
    return "csv"


def _epoch(value: str, where: dict) -> tuple[float, float]:
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1]
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise OMMError(f"EPOCH {value!r} is not an ISO-8601 time", field="EPOCH", **where) from exc
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC).replace(tzinfo=None)
    days = (t.date() - dt.date(1970, 1, 1)).days
    seconds = t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
    return JD_UNIX_EPOCH + days, seconds / SECONDS_PER_DAY


def _record(fields: dict, where: dict) -> dict:
    rec: dict[str, Any] = {}
    for key, column in _REQUIRED.items():
        value = fields.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise OMMError(f"required keyword {key} is missing or empty", field=key, **where)
        if key == "EPOCH":
            rec["epoch_jd"], rec["epoch_fr"] = _epoch(value, where)
            continue
        if isinstance(value, bool):  # JSON true/false: not a number, whatever Python says
            raise OMMError(f"{key} = {value!r} is not a number", field=key, **where)
        try:
            number = _catalog_number(value) if key == "NORAD_CAT_ID" else float(value)
        except (TypeError, ValueError) as exc:
            raise OMMError(f"{key} = {value!r} is not a number", field=key, **where) from exc
        if not math.isfinite(number):
            raise OMMError(f"{key} = {value!r} is not finite", field=key, **where)
        rec[str(column)] = number
    if not 0.0 <= rec["eccentricity"] < 1.0:
        raise OMMError(f"ECCENTRICITY = {rec['eccentricity']} is outside [0, 1)",
                       field="ECCENTRICITY", **where)
    if not rec["mean_motion_rev_day"] > 0.0:
        raise OMMError(f"MEAN_MOTION = {rec['mean_motion_rev_day']} is not positive",
                       field="MEAN_MOTION", **where)
    if not 0.0 <= rec["inclination_deg"] <= 180.0:
        raise OMMError(f"INCLINATION = {rec['inclination_deg']} is outside [0, 180] degrees",
                       field="INCLINATION", **where)
    if not 0 < rec["satnum"] <= MAX_CATALOG_NUMBER:
        raise OMMError(f"NORAD_CAT_ID = {rec['satnum']} is outside 1..{MAX_CATALOG_NUMBER:,}",
                       field="NORAD_CAT_ID", **where)
    for key, (column, default) in _OPTIONAL.items():
        value = fields.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            rec[column] = default
            continue
        if isinstance(default, int):
            try:
                if isinstance(value, bool) or float(value) != int(float(value)):
                    raise ValueError(value)
                rec[column] = int(float(value))
            except (TypeError, ValueError) as exc:
                raise OMMError(f"{key} = {value!r} is not an integer", field=key, **where) from exc
        else:
            rec[column] = str(value).strip()
    if rec["ephemeris_type"] not in SGP4_EPHEMERIS_TYPES:
        raise OMMError(f"EPHEMERIS_TYPE = {rec['ephemeris_type']}: these elements are for another "
                       f"theory (4 is SGP4-XP), and SGP4 would propagate them wrongly; leolat "
                       f"propagates SGP4 elements (EPHEMERIS_TYPE 0 or 2) only",
                       field="EPHEMERIS_TYPE", **where)
    # TLE-style international designator: "2019-074B" -> "19074B".
    if len(rec["intldesg"]) >= 9 and rec["intldesg"][4] == "-":
        rec["intldesg"] = rec["intldesg"][2:].replace("-", "")
    return rec


def read_omm(path: PathLike, *, format: str | None = None) -> tuple[dict[str, np.ndarray], str]:
    """Parse a CelesTrak OMM file (CSV, XML or JSON) into element columns.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Its format comes from the suffix, or from its first
        character when the suffix says nothing.
    format : {"csv", "xml", "json"}, optional
        Force a format.

    Returns
    -------
    columns : dict of str to numpy.ndarray
        One array per :data:`leolat.tle.ELEMENT_FIELDS` entry, shape (n_sats,).
    source : str

    Raises
    ------
    OMMError
        For the first bad record: file, record (and line for CSV), keyword.
    """
    path = Path(path)
    source = str(path)

    def error(message: str, line: int | None) -> OMMError:
        return OMMError(message, source=source, line=line)

    # A byte-order mark (Excel's CSV) is dropped: it would otherwise rename the first column.
    text = read_text_file(path, error)
    fmt = format or _detect_format(text, path.suffix)
    records = []
    if fmt == "csv":
        _, csv_records = csv_rows(text, error)
        for k, (line, fields) in enumerate(csv_records, start=1):
            records.append(_record(fields, {"source": source, "line": line, "record": k}))
    elif fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise OMMError(f"not valid JSON: {exc.msg}", source=source, line=exc.lineno) from exc
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise OMMError(f"a JSON OMM file holds a list of records or one record, not a "
                           f"{type(data).__name__}", source=source)
        for k, row in enumerate(data, start=1):
            if not isinstance(row, dict):
                raise OMMError("a JSON OMM record must be an object", source=source, record=k)
            records.append(_record(row, {"source": source, "record": k}))
    elif fmt == "xml":
        import xml.etree.ElementTree as ET
        try:
            rows = list(_sgp4_omm.parse_xml(io.StringIO(text)))
        except ET.ParseError as exc:
            raise OMMError(f"not valid XML: {exc}", source=source, line=exc.position[0]) from exc
        except AttributeError as exc:
            raise OMMError("XML is not an OMM (a segment lacks metadata, data or meanElements)",
                           source=source) from exc
        for k, row in enumerate(rows, start=1):
            records.append(_record(row, {"source": source, "record": k}))
    else:
        raise OMMError(f"unknown OMM format {fmt!r}; use 'csv', 'xml' or 'json'", source=source)
    if not records:
        raise OMMError("no OMM records found (empty file?)", source=source)
    columns = {key: np.array([r[key] for r in records], dtype=dtype)
               for key, dtype in ELEMENT_FIELDS.items()}
    return columns, source


def _object_id(intldesg: str) -> str:
    """TLE-style "19074B" -> OMM "2019-074B" (launch years 57-99 are 1957-1999)."""
    text = str(intldesg).strip()
    if len(text) >= 5 and text[:5].isdigit():
        yy = int(text[:2])
        return f"{1900 + yy if yy >= 57 else 2000 + yy}-{text[2:]}"
    return text


def _epoch_text(jd: float, fr: float) -> str:
    days_whole = math.floor(jd - JD_UNIX_EPOCH)
    frac = (jd - JD_UNIX_EPOCH - days_whole) + fr
    extra, frac = divmod(frac, 1.0)
    t = dt.datetime(1970, 1, 1) + dt.timedelta(days=int(days_whole + extra))
    micro = round(frac * SECONDS_PER_DAY * 1e6)
    return (t + dt.timedelta(microseconds=micro)).strftime("%Y-%m-%dT%H:%M:%S.%f")


def omm_records(columns: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Element columns as CelesTrak-style OMM records (the keywords :func:`read_omm` reads);
    the epoch is written to the microsecond."""
    out = []
    for i in range(columns["satnum"].size):
        rec: dict[str, Any] = {
            "OBJECT_NAME": str(columns["name"][i]),
            "OBJECT_ID": _object_id(str(columns["intldesg"][i])),
            "EPOCH": _epoch_text(float(columns["epoch_jd"][i]), float(columns["epoch_fr"][i])),
        }
        for key, column in _REQUIRED.items():
            if column is not None:
                value = columns[column][i]
                rec[key] = int(value) if key == "NORAD_CAT_ID" else float(value)
        rec["EPHEMERIS_TYPE"] = int(columns["ephemeris_type"][i])
        rec["CLASSIFICATION_TYPE"] = str(columns["classification"][i]) or "U"
        rec["ELEMENT_SET_NO"] = int(columns["element_set_no"][i])
        rec["REV_AT_EPOCH"] = int(columns["rev_at_epoch"][i])
        out.append(rec)
    return out


def format_omm(columns: dict[str, np.ndarray], format: str) -> str:
    """OMM text of element columns: ``"json"`` (a list of records, floats written exactly) or
    ``"csv"`` (CelesTrak's column order)."""
    records = omm_records(columns)
    if format == "json":
        return json.dumps(records, indent=1) + "\n"
    if format == "csv":
        import csv

        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(records[0]) if records else list(_REQUIRED),
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: (repr(v) if isinstance(v, float) else v) for k, v in r.items()}
                         for r in records)
        return buf.getvalue()
    raise OMMError(f"unknown OMM format {format!r}; write 'json' or 'csv'")

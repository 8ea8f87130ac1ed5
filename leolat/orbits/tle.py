"""Reading and writing two-line element sets (TLE), 2-line and 3-line.

The reader validates every field by column, as Spacetrack Report #3 lays the
format out, and says where a problem is: the file, the 1-based line number and
the field.  Values are parsed with the same operations python-sgp4 uses, so an
element set read here and handed to ``sgp4init`` propagates bit-identically to
``Satrec.twoline2rv`` on the same lines.

Catalog numbers may be Alpha-5 (``A0001`` = 100001).  Names come from the line
before line 1 in 3-line files (CelesTrak's ``NAME`` or Space-Track's
``0 NAME``).  Lines starting with ``#`` and blank lines are skipped.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np
from sgp4.alpha5 import from_alpha5, to_alpha5

from ..base.constants import JD_UNIX_EPOCH
from ..base.errors import ElementSetWarning, TLEError
from ..base.types import PathLike
from .elements import ELEMENT_FIELDS

__all__ = ["read_tle", "format_tle", "format_tles", "tle_checksum", "MAX_ALPHA5"]

# (field name, line number 1 or 2, column slice) for the fixed-format layout.
_L1_SEPARATORS = (1, 8, 17, 32, 43, 52, 61, 63)
_L2_SEPARATORS = (1, 7, 16, 25, 33, 42, 51)


def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of the first 68 columns: digits count their value, '-' counts 1."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += ord(ch) - 48
        elif ch == "-":
            total += 1
    return total % 10


def _source_name(path_or_text) -> tuple[str, str]:
    """Return (text, source label) for a path or literal TLE text."""
    if isinstance(path_or_text, os.PathLike) or (
            isinstance(path_or_text, str) and "\n" not in path_or_text
            and not path_or_text.lstrip().startswith(("1 ", "2 "))):
        path = Path(path_or_text)
        try:
            return path.read_text(encoding="ascii", errors="strict"), str(path)
        except UnicodeDecodeError as exc:
            raise TLEError(f"not an ASCII text file (byte {exc.start})", source=str(path)) from exc
        except FileNotFoundError as exc:
            raise TLEError("file not found", source=str(path)) from exc
    if isinstance(path_or_text, bytes):
        return path_or_text.decode("ascii"), "<text>"
    return str(path_or_text), "<text>"


class _LineParser:
    """Parse the fields of one TLE line, raising TLEError with its location."""

    def __init__(self, text: str, source: str, lineno: int):
        self.text = text
        self.source = source
        self.lineno = lineno

    def fail(self, field: str, message: str):
        raise TLEError(message + f": {self.text!r}", source=self.source, line=self.lineno,
                       field=field)

    def number(self, field: str, start: int, stop: int, *, kind=float, blank=None,
               implied_decimal: bool = False):
        raw = self.text[start:stop]
        if not raw.strip():
            if blank is not None:
                return blank
            self.fail(field, f"columns {start + 1}-{stop} are blank")
        try:
            if implied_decimal:
                # Form "+12345-6" / " 12345-6": mantissa 0.12345, exponent -6.
                mant, exp = raw[:-2], raw[-2:]
                sign = "-" if mant.strip().startswith("-") else ""
                digits = mant.strip().lstrip("+-")
                if not digits.isdigit():
                    raise ValueError(raw)
                return float(sign + "." + digits) * pow(10.0, int(exp))
            return kind(raw)
        except ValueError:
            self.fail(field, f"columns {start + 1}-{stop} ({raw.strip()!r}) are not a number")


def _parse_pair(name: str, l1: str, l2: str, source: str, n1: int, checksum: str) -> dict:
    p1 = _LineParser(l1, source, n1)
    p2 = _LineParser(l2, source, n1 + 1)
    for p, num in ((p1, "1"), (p2, "2")):
        if len(p.text) != 69:
            p.fail("line length", f"line {num} of an element set must have 69 characters, "
                                  f"it has {len(p.text)}")
    for p, seps in ((p1, _L1_SEPARATORS), (p2, _L2_SEPARATORS)):
        for col in seps:
            if p.text[col] != " ":
                p.fail("format", f"column {col + 1} must be a space")
    for p in (p1, p2):
        want = p.text[68]
        if not want.isdigit():
            p.fail("checksum", f"checksum column 69 is {want!r}, not a digit")
        got = tle_checksum(p.text)
        if got != int(want):
            msg = f"checksum is {want} but the line sums to {got}"
            if checksum == "error":
                p.fail("checksum", msg + " (pass checksum='warn' to accept it)")
            elif checksum == "warn":
                warnings.warn(f"{source}, line {p.lineno}: {msg}; accepted", ElementSetWarning,
                              stacklevel=4)

    satnum_str = l1[2:7]
    if l2[2:7] != satnum_str:
        p2.fail("satnum", f"catalog number {l2[2:7]!r} differs from line 1's {satnum_str!r}")
    try:
        satnum = from_alpha5(satnum_str.replace(" ", "0") if satnum_str[0] == " " else satnum_str)
        if satnum_str[0].isalpha() and (satnum_str[0] in "IO" or not satnum_str[1:].isdigit()):
            raise ValueError
    except (ValueError, KeyError, IndexError):
        p1.fail("satnum", f"catalog number {satnum_str!r} is neither 5 digits nor Alpha-5")

    # Epoch: the same arithmetic as python-sgp4 (Satrec.twoline2rv), for bit-identical results.
    two_digit_year = p1.number("epoch year", 18, 20, kind=int)
    epochdays = p1.number("epoch day", 20, 32)
    if not 1.0 <= epochdays < 367.0:
        p1.fail("epoch day", f"day of year {epochdays} is outside 1..366")
    year = two_digit_year + (2000 if two_digit_year < 57 else 1900)
    days, fraction = divmod(epochdays, 1.0)
    epoch_jd = year * 365 + (year - 1) // 4 + days + 1721044.5
    epoch_fr = round(fraction, 8)

    if l1[34] != "." or l2[11] != "." or l2[20] != "." or l2[37] != "." or l2[46] != ".":
        bad = p1 if l1[34] != "." else p2
        bad.fail("format", "a decimal point is missing from its fixed column")

    rec = {
        "name": name,
        "satnum": satnum,
        "classification": l1[7] if l1[7] != " " else "U",
        "intldesg": l1[9:17].rstrip(),
        "epoch_jd": epoch_jd,
        "epoch_fr": epoch_fr,
        "mean_motion_dot_rev_day2": p1.number("mean motion dot", 33, 43),
        "mean_motion_ddot_rev_day3": p1.number("mean motion ddot", 44, 52, implied_decimal=True),
        "bstar_per_earth_radius": p1.number("bstar", 53, 61, implied_decimal=True),
        "ephemeris_type": p1.number("ephemeris type", 62, 63, kind=int, blank=0),
        "element_set_no": p1.number("element set number", 64, 68, kind=int, blank=0),
        "inclination_deg": p2.number("inclination", 8, 16),
        "raan_deg": p2.number("raan", 17, 25),
        "eccentricity": p2.number("eccentricity", 26, 33, kind=lambda s: float("0." + s.replace(" ", "0"))),
        "arg_perigee_deg": p2.number("argument of perigee", 34, 42),
        "mean_anomaly_deg": p2.number("mean anomaly", 43, 51),
        "mean_motion_rev_day": p2.number("mean motion", 52, 63),
        "rev_at_epoch": p2.number("revolution number", 63, 68, kind=int, blank=0),
    }
    if rec["ephemeris_type"] not in (0, 2):
        p1.fail("ephemeris type", f"ephemeris type {rec['ephemeris_type']} is another theory "
                                  f"(4 is SGP4-XP); leolat propagates SGP4 elements (type 0 or 2) only")
    if not 0.0 <= rec["inclination_deg"] <= 180.0:
        p2.fail("inclination", f"inclination {rec['inclination_deg']} deg is outside 0..180")
    if not 0.0 <= rec["raan_deg"] < 360.0:
        p2.fail("raan", f"RAAN {rec['raan_deg']} deg is outside 0..360")
    if not rec["mean_motion_rev_day"] > 0.0:
        p2.fail("mean motion", f"mean motion {rec['mean_motion_rev_day']} rev/day is not positive")
    for key in ("mean_motion_dot_rev_day2", "mean_motion_ddot_rev_day3", "bstar_per_earth_radius"):
        if not math.isfinite(rec[key]):
            p1.fail(key, "value is not finite")
    return rec


def read_tle(path_or_text: PathLike, *, checksum: str = "error") -> tuple[dict[str, np.ndarray], str]:
    """Parse TLE text into element columns.

    Parameters
    ----------
    path_or_text : str or os.PathLike
        A file path, or TLE text itself (anything containing a newline or
        starting with ``"1 "``).
    checksum : {"error", "warn", "ignore"}
        What to do with a line whose checksum is wrong. Some real files have
        them; ``"warn"`` accepts such lines with an :class:`ElementSetWarning`.

    Returns
    -------
    columns : dict of str to numpy.ndarray
        One array per :data:`ELEMENT_FIELDS` entry, each of shape (n_sats,).
    source : str
        The file name or ``"<text>"``.

    Raises
    ------
    TLEError
        For the first malformed line, naming file, line and field; nothing is
        returned in that case.
    """
    if checksum not in ("error", "warn", "ignore"):
        raise ValueError(f"checksum must be 'error', 'warn' or 'ignore', got {checksum!r}")
    text, source = _source_name(path_or_text)
    lines = text.splitlines()
    records = []
    pending_name: tuple[int, str] | None = None
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip()
        lineno = i + 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            i += 1
            continue
        if raw.startswith("1 "):
            if i + 1 >= len(lines) or not lines[i + 1].startswith("2 "):
                got = "the end of the file" if i + 1 >= len(lines) else repr(lines[i + 1].rstrip())
                raise TLEError(f"line 1 of an element set is not followed by its line 2 "
                               f"(found {got})", source=source, line=lineno, field="line 2")
            name = pending_name[1] if pending_name else ""
            records.append(_parse_pair(name, raw, lines[i + 1].rstrip(), source, lineno, checksum))
            pending_name = None
            i += 2
            continue
        if raw.startswith("2 "):
            raise TLEError("line 2 of an element set without a line 1 before it",
                           source=source, line=lineno, field="line 1")
        if pending_name is not None:
            raise TLEError(f"expected line 1 of an element set after the name "
                           f"{pending_name[1]!r} on line {pending_name[0]}, found {raw!r}",
                           source=source, line=lineno, field="line 1")
        name = raw[2:] if raw.startswith("0 ") else raw
        pending_name = (lineno, name.strip())
        i += 1
    if pending_name is not None:
        raise TLEError(f"name {pending_name[1]!r} is not followed by an element set",
                       source=source, line=pending_name[0], field="line 1")
    if not records:
        raise TLEError("no element sets found (empty file?)", source=source)
    columns = {key: np.array([r[key] for r in records], dtype=dtype)
               for key, dtype in ELEMENT_FIELDS.items()}
    return columns, source


def _implied_decimal(value: float) -> str:
    """Format as the TLE's ' 12345-6' (sign, 5-digit mantissa 0.12345, signed exponent)."""
    if value == 0.0:
        return " 00000+0"
    sign = "-" if value < 0 else " "
    exp = math.floor(math.log10(abs(value))) + 1
    mant = round(abs(value) / 10.0 ** exp * 1e5)
    if mant >= 100000:  # rounding carried into a new digit
        mant //= 10
        exp += 1
    if not -9 <= exp <= 9:
        raise ValueError(f"{value!r} does not fit a TLE exponent field")
    return f"{sign}{mant:05d}{'-' if exp < 0 else '+'}{abs(exp)}"


def _angle(value_deg) -> float:
    """Wrap to [0, 360) *after* rounding to the TLE's 4 decimals, so 359.99999 writes as 0.0000."""
    return round(float(value_deg) % 360.0, 4) % 360.0


def format_tle(rec: dict) -> tuple[str, str]:
    """Format one element set (a mapping of :data:`ELEMENT_FIELDS`) as TLE line 1 and line 2.

    Values are rounded to the TLE's fixed precision (e.g. 8 decimals of mean
    motion, 7 of eccentricity), so writing then reading is lossless only for
    element sets that came from a TLE.
    """
    import datetime as dt

    satnum = to_alpha5(int(rec["satnum"]))
    jd = float(rec["epoch_jd"]) + float(rec["epoch_fr"])
    # Day of year from the whole-day part, keeping the fraction separate for precision.
    day0 = dt.date(1970, 1, 1) + dt.timedelta(days=int(math.floor(float(rec["epoch_jd"]) - JD_UNIX_EPOCH)))
    frac = float(rec["epoch_fr"])
    extra_days, frac = divmod(frac, 1.0)
    day0 += dt.timedelta(days=int(extra_days))
    epochdays = day0.timetuple().tm_yday + frac
    epoch_text = f"{day0.year % 100:02d}{epochdays:012.8f}"
    if epoch_text[2:5] == "367" or not math.isfinite(jd):
        raise ValueError(f"epoch {jd} cannot be written as a TLE epoch")

    ndot = float(rec["mean_motion_dot_rev_day2"])
    ndot_text = f"{ndot:.8f}".replace("0.", ".", 1)
    ndot_text = f"{ndot_text:>10s}"
    l1 = (f"1 {satnum}{rec.get('classification', 'U') or 'U'} {str(rec.get('intldesg', '')):<8s} "
          f"{epoch_text} {ndot_text} {_implied_decimal(float(rec['mean_motion_ddot_rev_day3']))} "
          f"{_implied_decimal(float(rec['bstar_per_earth_radius']))} "
          f"{int(rec.get('ephemeris_type', 0)) % 10:d} {int(rec.get('element_set_no', 0)) % 10000:4d}")
    ecc = f"{float(rec['eccentricity']):.7f}"[2:]
    l2 = (f"2 {satnum} {float(rec['inclination_deg']):8.4f} {_angle(rec['raan_deg']):8.4f} "
          f"{ecc} {_angle(rec['arg_perigee_deg']):8.4f} "
          f"{_angle(rec['mean_anomaly_deg']):8.4f} {float(rec['mean_motion_rev_day']):11.8f}"
          f"{int(rec.get('rev_at_epoch', 0)) % 100000:5d}")
    l1 += str(tle_checksum(l1))
    l2 += str(tle_checksum(l2))
    return l1, l2


# Largest catalog number the TLE's Alpha-5 field can hold: Z9999.
MAX_ALPHA5 = 339_999


def format_tles(cols: dict, *, names: bool = True) -> str:
    """TLE text of element columns (3-line with names, or 2-line).

    Raises
    ------
    TLEError
        If a catalog number is beyond Alpha-5 (339,999): OMM carries those.
    """
    too_big = cols["satnum"] > MAX_ALPHA5
    if too_big.any():
        first = int(np.argmax(too_big))
        n = int(too_big.sum())
        raise TLEError(f"{n:,} catalog number{'s are' if n > 1 else ' is'} beyond the TLE's Alpha-5 "
                       f"range (up to 339,999), e.g. {int(cols['satnum'][first])} "
                       f"({cols['name'][first]}); write OMM instead: "
                       f"constellation.to_omm('elements.json')", field="satnum")
    out = []
    for i in range(cols["satnum"].size):
        rec = {k: v[i] for k, v in cols.items()}
        l1, l2 = format_tle(rec)
        if names:
            out.append(str(rec["name"]) or f"SAT {rec['satnum']}")
        out.extend((l1, l2))
    return "\n".join(out) + "\n"

"""Points from KML files (Google Earth, QGIS, the community maps of gateways and PoPs):
each ``Placemark`` with a ``Point`` becomes a named place, with its ``ExtendedData`` fields."""

from __future__ import annotations

from pathlib import Path

from ..base.errors import SiteError
from ..base.textfile import read_text_file
from ..base.types import PathLike

__all__ = ["read_kml_points"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # drop the KML namespace


def read_kml_points(path: PathLike) -> list[dict]:
    """Every point placemark of a KML file.

    Returns
    -------
    list of dict
        ``name``, ``lat_deg``, ``lon_deg``, ``alt_m`` and the placemark's ``ExtendedData``
        fields (``<Data name="country"><value>NG</value></Data>`` gives ``"country": "NG"``).

    Raises
    ------
    SiteError
        Naming the file and the placemark: not XML, no name, coordinates that are not
        ``lon,lat[,alt]`` numbers in range.
    """
    import xml.etree.ElementTree as ET

    path = Path(path)

    def error(message, line):
        return SiteError(f"{path}{'' if line is None else f', line {line}'}: {message}")

    try:
        root = ET.fromstring(read_text_file(path, error))
    except ET.ParseError as exc:
        raise SiteError(f"{path}, line {exc.position[0]}: not valid XML ({exc})") from None
    out = []
    for k, mark in enumerate((e for e in root.iter() if _local(e.tag) == "Placemark"), 1):
        where = f"{path}, placemark {k}"
        point = next((e for e in mark.iter() if _local(e.tag) == "Point"), None)
        if point is None:
            continue  # lines and polygons are not places
        name = next((e.text for e in mark if _local(e.tag) == "name"), None)
        if not name or not name.strip():
            raise SiteError(f"{where}: no <name>")
        coords = next((e.text for e in point.iter() if _local(e.tag) == "coordinates"), None)
        parts = (coords or "").strip().split(",")
        try:
            lon, lat = float(parts[0]), float(parts[1])
            alt = float(parts[2]) if len(parts) > 2 and parts[2].strip() else 0.0
        except (ValueError, IndexError):
            raise SiteError(f"{where} ({name.strip()!r}): coordinates {coords!r} are not "
                            f"'lon,lat[,alt]'") from None
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise SiteError(f"{where} ({name.strip()!r}): latitude {lat} or longitude {lon} out "
                            f"of range")
        rec = {"name": name.strip(), "lat_deg": lat, "lon_deg": lon, "alt_m": alt}
        for data in (e for e in mark.iter() if _local(e.tag) == "Data"):
            value = next((v.text for v in data if _local(v.tag) == "value"), None)
            rec[str(data.get("name", "")).strip()] = (value or "").strip()
        out.append(rec)
    if not out:
        raise SiteError(f"{path}: no point placemarks")
    return out

"""Current element sets from CelesTrak, fetched politely, cached, and usable offline.

CelesTrak's GP service (``/NORAD/elements/gp.php``) serves the 18th Space Defense
Squadron's element sets by group, name, catalog number or international designator; its
SupGP service (``/NORAD/elements/supplemental/sup-gp.php``) serves operator-fitted ones
(``SOURCE=SpaceX-E``: SpaceX's own ephemerides fitted to SGP4). Both answer OMM (JSON,
CSV, XML) and, for catalog numbers that fit, TLE; OMM is the default because catalog
numbers passed 99,999 in 2026 and a TLE cannot carry them.

CelesTrak asks users (https://celestrak.org/NORAD/documentation/gp-data-formats.php) not to
download a set more often than it changes (every two hours) and blocks clients that
hammer it, so:

* a set younger than ``max_age_hours`` (2) is read from the cache, never downloaded again;
* one request per call, and any answer but 200 stops there (no retries);
* requests say who they are (``User-Agent: leolat/<version> ...``).

The cache is the user cache folder (``platformdirs.user_cache_dir("leolat")``; skyfield's
``Loader`` keys files by name alone and keeps no record of where or when one came from,
which the age rule needs). Each set is written whole or not at all, after it parsed,
beside a small JSON record of its URL and download time. With ``offline=True``, or when
the network fails, the cached set is used with a :class:`StaleElementsWarning` giving its
age; with no cache, a :class:`FetchError` says how to get the file by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import urllib.parse
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from ..base.atomic import atomic_path, write_text_atomic
from ..base.errors import ElementSetError, FetchError, StaleElementsWarning
from ..base.types import PathLike
from ..base.validate import check_number
from ..base.version import __version__

if TYPE_CHECKING:
    from .constellation import Constellation

__all__ = ["fetch_elements", "element_url", "SOURCES", "FORMATS", "DEFAULT_MAX_AGE_HOURS",
           "default_cache_dir"]

# CelesTrak updates GP data every two hours and asks not to be polled faster.
DEFAULT_MAX_AGE_HOURS = 2.0
DEFAULT_TIMEOUT_S = 30.0
SOURCES = {
    # source: (path under the base URL, query keys, the key a bare word means)
    "celestrak": ("/NORAD/elements/gp.php", ("GROUP", "NAME", "CATNR", "INTDES", "SPECIAL"),
                  "GROUP"),
    "supgp": ("/NORAD/elements/supplemental/sup-gp.php", ("SOURCE", "FILE", "NAME", "CATNR",
                                                          "INTDES"), "SOURCE"),
}
FORMATS = {"json": ".json", "csv": ".csv", "xml": ".xml", "tle": ".tle"}
BASE_URL = "https://celestrak.org"
_USER_AGENT = (f"leolat/{__version__} (LEO constellation latency studies; caches element sets "
               f"for {DEFAULT_MAX_AGE_HOURS:g} h)")


def default_cache_dir() -> Path:
    """``$LEOLAT_CACHE_DIR/elements`` if set, else ``<user cache folder>/leolat/elements``
    (platformdirs)."""
    import platformdirs

    root = os.environ.get("LEOLAT_CACHE_DIR") or platformdirs.user_cache_dir("leolat")
    return Path(root) / "elements"


def _query(source: str, group_or_query: str) -> tuple[str, str]:
    if source not in SOURCES:
        raise FetchError(f"unknown element source {source!r}; use one of {', '.join(SOURCES)}")
    _, keys, bare = SOURCES[source]
    text = str(group_or_query).strip()
    if not text:
        raise FetchError("no group or query given (e.g. 'starlink', 'CATNR=25544')")
    key, sep, value = text.partition("=")
    if not sep:
        key, value = bare, text
    key, value = key.strip().upper(), value.strip()
    if key not in keys:
        raise FetchError(f"{source} queries take {', '.join(keys)}, not {key!r}")
    if not value:
        raise FetchError(f"{key}= needs a value")
    return key, value


def element_url(group_or_query: str, *, source: str = "celestrak", format: str = "json",
                base_url: str | None = None) -> str:
    """The URL :func:`fetch_elements` requests for a group (``"starlink"``) or a query
    (``"CATNR=25544"``, ``"SOURCE=SpaceX-E"``)."""
    if format not in FORMATS:
        raise FetchError(f"unknown element format {format!r}; use one of {', '.join(FORMATS)}")
    key, value = _query(source, group_or_query)
    path = SOURCES[source][0]
    base = base_url or os.environ.get("LEOLAT_CELESTRAK_URL") or BASE_URL
    return (f"{base.rstrip('/')}{path}?"
            f"{urllib.parse.urlencode({key: value, 'FORMAT': format.upper()})}")


def _cache_name(source: str, key: str, value: str, format: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", value)[:80]
    return f"{source}-{key.lower()}-{safe}{FORMATS[format]}"


def _read_meta(path: Path) -> dict | None:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta["downloaded"] = dt.datetime.fromisoformat(meta["downloaded_utc"].rstrip("Z")).replace(
            tzinfo=dt.UTC)
        return meta
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no record, or a damaged one: the set's age is unknown


def _load(path: Path, format: str, description: str):
    from .constellation import Constellation

    if format == "tle":
        c = Constellation.from_tle(path)
    else:
        c = Constellation.from_omm(path, format=format)
    return Constellation(c.columns, source=description)


def _age_text(hours: float) -> str:
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def fetch_elements(group_or_query: str, *, source: str = "celestrak", format: str = "json",
                   cache_dir: PathLike | None = None, max_age_hours: float = DEFAULT_MAX_AGE_HOURS,
                   base_url: str | None = None, offline: bool = False,
                   timeout_s: float = DEFAULT_TIMEOUT_S) -> Constellation:
    """Current element sets as a :class:`~leolat.Constellation`, from the cache when fresh.

    Parameters
    ----------
    group_or_query : str
        A CelesTrak group (``"starlink"``, ``"oneweb"``, ``"stations"``) or a query
        ``KEY=VALUE``: ``GROUP``, ``NAME``, ``CATNR``, ``INTDES``, ``SPECIAL`` for
        ``source="celestrak"``; ``SOURCE`` (a bare word: ``"SpaceX-E"``), ``FILE``,
        ``NAME``, ``CATNR``, ``INTDES`` for ``source="supgp"``.
    source : {"celestrak", "supgp"}
    format : {"json", "csv", "xml", "tle"}
        OMM (default JSON), or TLE when asked (catalog numbers up to 339,999 only).
    cache_dir : path, optional
        Default :func:`default_cache_dir` (``$LEOLAT_CACHE_DIR`` overrides the user cache).
    max_age_hours : float
        A cached set younger than this is used without asking the server (2 h: how often
        CelesTrak updates and the most often it asks to be polled).
    base_url : str, optional
        Another server with CelesTrak's paths (a mirror, or a test server); default
        ``$LEOLAT_CELESTRAK_URL``, else https://celestrak.org.
    offline : bool
        Never use the network: the cached set, whatever its age, with a warning.
    timeout_s : float
        Seconds to wait for the server.

    Returns
    -------
    Constellation
        ``source`` names the query, the URL and the download time.

    Raises
    ------
    FetchError
        The server refused (any status but 200: no retry) or had no such set, or the
        network failed, and there is no cached set; the message says how to get the
        file by hand.
    """
    # Imported here: urllib.request pulls in http.client and ssl, ~8 ms at every import leolat.
    import urllib.error
    import urllib.request

    check_number(max_age_hours, "max_age_hours", error=FetchError, low=0.0)
    check_number(timeout_s, "timeout_s", error=FetchError, low=0.0, low_inclusive=False)
    key, value = _query(source, group_or_query)
    url = element_url(group_or_query, source=source, format=format, base_url=base_url)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / _cache_name(source, key, value, format)
    meta_path = path.with_name(path.name + ".meta.json")
    meta = _read_meta(meta_path) if path.is_file() else None
    now = dt.datetime.now(dt.UTC)
    age_h = None if meta is None else (now - meta["downloaded"]).total_seconds() / 3600.0
    what = f"{source} {key}={value}"

    def cached(reason: str):
        if meta is None or age_h is None:
            by_hand = (f"download it yourself, e.g. curl -A leolat -o {path.name} '{url}', and "
                       f"load it with leolat.Constellation.from_"
                       f"{'tle' if format == 'tle' else 'omm'}('{path.name}')")
            raise FetchError(f"{what}: {reason}, and no cached copy in {folder}; {by_hand}")
        warnings.warn(f"{what}: {reason}; using the cached set downloaded "
                      f"{meta['downloaded_utc']} ({_age_text(age_h)} ago) from {meta['url']}",
                      StaleElementsWarning, stacklevel=3)
        return _load(path, format, f"{what} (cached {meta['downloaded_utc']}, {url})")

    if offline:
        return cached("offline")
    if meta is not None and age_h is not None and 0.0 <= age_h < max_age_hours:
        return _load(path, format, f"{what} (cached {meta['downloaded_utc']}, {url})")
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            status = answer.status
            body = answer.read()
    except urllib.error.HTTPError as exc:  # any status but 200: stop, never retry
        hint = {403: " (CelesTrak refuses clients that download too often; wait, and keep "
                     "max_age_hours >= 2)", 404: " (no such page: check base_url)"}.get(exc.code, "")
        return cached(f"the server answered {exc.code} {exc.reason}{hint}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return cached(f"could not reach {urllib.parse.urlsplit(url).netloc} ({reason})")
    if status != 200:
        return cached(f"the server answered {status}")
    text = body.decode("utf-8", errors="replace")
    if not text.strip() or text.strip().lower().startswith("no gp data found"):
        raise FetchError(f"{what}: the server has no element sets for this query ({url})")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        with atomic_path(path) as tmp:  # parsed before it replaces the cached set
            tmp.write_bytes(body)
            constellation = _load(tmp, format, f"{what} (downloaded {stamp}, {url})")
    except ElementSetError as exc:
        raise FetchError(f"{what}: the server's answer is not {format.upper()} element sets "
                         f"({exc}); nothing was cached") from exc
    write_text_atomic(meta_path, json.dumps({"url": url, "downloaded_utc": stamp,
                                             "bytes": len(body), "records": len(constellation)},
                                            indent=1) + "\n")
    return constellation

"""Fetching element sets: a real HTTP server on 127.0.0.1 plays CelesTrak (OMM JSON and CSV,
TLE, 403, 404, 500, a slow answer, an empty query), and the cache, the age rule, offline use
and the typed errors are checked against what it was asked."""

import http.server
import json
import threading
import time
import urllib.parse

import numpy as np
import pytest

from leolat import Constellation, FetchError, StaleElementsWarning, fetch_elements


class _Server:
    """A CelesTrak stand-in: records every request; the query decides the answer."""

    def __init__(self, tmp_path):
        self.requests: list[dict] = []
        self.omm = Constellation.walker(3, 4, 550, 53, 1, epoch=f"{np.datetime64('now', 's')}Z",
                                        first_satnum=339_990)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                server.requests.append({"path": url.path, "query": q,
                                        "agent": self.headers.get("User-Agent", "")})
                group = q.get("GROUP") or q.get("SOURCE") or q.get("CATNR")
                status, body = 200, b""
                if group in ("forbidden", "missing", "broken"):
                    status = {"forbidden": 403, "missing": 404, "broken": 500}[group]
                    body = b"nope"
                elif group == "slow":
                    time.sleep(1.5)
                    body = server.omm.to_omm().encode()
                elif group == "shell1":  # a whole shell, for routing
                    body = Constellation.preset("starlink-gen1-shell1",
                                                epoch=server.omm.epoch_utc[0]).to_omm().encode()
                elif group == "nothing":
                    body = b"No GP data found"
                elif group == "html":
                    body = b"<html><body>maintenance</body></html>"
                elif q.get("FORMAT") == "CSV":
                    body = server.omm.to_omm(format="csv").encode()
                elif q.get("FORMAT") == "TLE":
                    body = server.omm[:2].to_tle().encode()  # numbers that fit Alpha-5
                else:
                    body = server.omm.to_omm().encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except BrokenPipeError:  # the client timed out first (the slow case)
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path):
    s = _Server(tmp_path)
    yield s
    s.close()


def test_a_fresh_set_is_downloaded_once_and_then_read_from_the_cache(server, tmp_path):
    cache = tmp_path / "cache"
    c = fetch_elements("starlink", cache_dir=cache, base_url=server.url)
    assert len(c) == 12 and c.satnum.max() == 340_001  # past Alpha-5: OMM carries it
    assert server.requests[0]["path"] == "/NORAD/elements/gp.php"
    assert server.requests[0]["query"] == {"GROUP": "starlink", "FORMAT": "JSON"}
    assert server.requests[0]["agent"].startswith("leolat/")
    again = fetch_elements("starlink", cache_dir=cache, base_url=server.url)
    assert len(server.requests) == 1  # younger than two hours: not asked again
    np.testing.assert_array_equal(again.satnum, c.satnum)
    meta = json.loads((cache / "celestrak-group-starlink.json.meta.json").read_text())
    assert meta["url"].endswith("gp.php?GROUP=starlink&FORMAT=JSON") and meta["records"] == 12
    assert "downloaded" in c.source and "cached" in again.source and "GROUP=starlink" in again.source
    fetch_elements("starlink", cache_dir=cache, base_url=server.url, max_age_hours=0.0)
    assert len(server.requests) == 2  # max_age_hours=0: always ask


def test_other_queries_sources_and_formats(server, tmp_path):
    csv = fetch_elements("CATNR=339991", format="csv", cache_dir=tmp_path, base_url=server.url)
    tle = fetch_elements("NAME=WALKER", format="tle", cache_dir=tmp_path, base_url=server.url)
    sup = fetch_elements("SpaceX-E", source="supgp", cache_dir=tmp_path, base_url=server.url)
    assert len(csv) == 12 and len(tle) == 2 and len(sup) == 12
    asked = [(r["path"], r["query"]) for r in server.requests]
    assert asked == [("/NORAD/elements/gp.php", {"CATNR": "339991", "FORMAT": "CSV"}),
                     ("/NORAD/elements/gp.php", {"NAME": "WALKER", "FORMAT": "TLE"}),
                     ("/NORAD/elements/supplemental/sup-gp.php",
                      {"SOURCE": "SpaceX-E", "FORMAT": "JSON"})]
    with pytest.raises(FetchError, match="celestrak queries take GROUP, NAME, CATNR"):
        fetch_elements("SOURCE=SpaceX-E", cache_dir=tmp_path, base_url=server.url)
    with pytest.raises(FetchError, match="unknown element source 'spacetrack'"):
        fetch_elements("starlink", source="spacetrack", cache_dir=tmp_path)
    with pytest.raises(FetchError, match="max_age_hours"):
        fetch_elements("starlink", max_age_hours=float("nan"), cache_dir=tmp_path)


@pytest.mark.parametrize("group, status", [("forbidden", "403"), ("missing", "404"),
                                           ("broken", "500")])
def test_a_refusal_is_asked_once_and_names_the_way_by_hand(server, tmp_path, group, status):
    with pytest.raises(FetchError, match=f"answered {status}") as err:
        fetch_elements(group, cache_dir=tmp_path, base_url=server.url)
    assert len(server.requests) == 1  # no retry storm
    assert "curl -A leolat" in str(err.value) and "Constellation.from_omm" in str(err.value)
    assert not list(tmp_path.iterdir()) or not any(tmp_path.rglob("*.json"))


def test_a_slow_server_times_out_and_an_empty_or_foreign_answer_is_not_cached(server, tmp_path):
    with pytest.raises(FetchError, match="could not reach"):
        fetch_elements("slow", cache_dir=tmp_path, base_url=server.url, timeout_s=0.3)
    with pytest.raises(FetchError, match="no element sets for this query"):
        fetch_elements("nothing", cache_dir=tmp_path, base_url=server.url)
    with pytest.raises(FetchError, match="not JSON element sets.*nothing was cached"):
        fetch_elements("html", cache_dir=tmp_path, base_url=server.url)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_offline_and_failures_fall_back_to_the_cache_with_its_age(server, tmp_path):
    fetch_elements("starlink", cache_dir=tmp_path, base_url=server.url)
    with pytest.warns(StaleElementsWarning, match=r"offline; using the cached set downloaded "
                                                  r"\S+Z \(0\.0 h ago\)"):
        c = fetch_elements("starlink", cache_dir=tmp_path, offline=True)
    assert len(c) == 12 and len(server.requests) == 1
    dead = "http://127.0.0.1:9"  # nothing listens on the discard port
    with pytest.warns(StaleElementsWarning, match="could not reach 127.0.0.1:9"):
        fetch_elements("starlink", cache_dir=tmp_path, base_url=dead, max_age_hours=0.0)
    with pytest.raises(FetchError, match="offline, and no cached copy"):
        fetch_elements("oneweb", cache_dir=tmp_path, offline=True)


def test_the_command_line_fetches_writes_and_routes_a_fetched_set(server, tmp_path, monkeypatch):
    from .test_cli import _run

    monkeypatch.setenv("LEOLAT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LEOLAT_CELESTRAK_URL", server.url)
    out = _run("latency", "--constellation", "celestrak:shell1", "--sites", "London;New York",
               "--duration", "120", "--step", "60")
    assert out.returncode == 0, out.stderr
    assert "elements: 1,584 sets, epochs" in out.stdout  # the window starts at their epoch
    assert "shells inferred from the file for +Grid ISLs" in out.stdout
    assert server.requests[-1]["query"] == {"GROUP": "shell1", "FORMAT": "JSON"}

    out = _run("fetch", "starlink", "--out", str(tmp_path / "s.json"), "--base-url", server.url)
    assert out.returncode == 0, out.stderr
    assert "elements: 12 sets, epochs" in out.stdout and "h old)" in out.stdout
    back = Constellation.from_omm(tmp_path / "s.json")
    assert back.satnum.max() == 340_001
    out = _run("fetch", "starlink", "--out", str(tmp_path / "s.tle"), "--base-url", server.url)
    assert out.returncode == 2 and "beyond the TLE's Alpha-5 range" in out.stderr
    assert not (tmp_path / "s.tle").exists()

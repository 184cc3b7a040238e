"""fetch-regions: the loading code against a local server that plays PDOK; a clear message offline."""
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from ruimtepuzzel.cli import main

CBS = Path(__file__).resolve().parents[1] / "instances" / "data" / "cbs_gebiedsindelingen_2015.gpkg"  # shipped with the project
LAYER_OF = {"gebiedsindelingen:provincie_gegeneraliseerd": "provincie", "gebiedsindelingen:coropgebied_gegeneraliseerd": "corop",
            "gebiedsindelingen:gemeente_gegeneraliseerd": "gemeente"}


@pytest.fixture
def fake_pdok():
    frames = {k: gpd.read_file(CBS, layer=v)[["statcode", "statnaam", "geometry"]].to_json() for k, v in LAYER_OF.items()}
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            seen.append((url.path, query))
            body = frames.get(query.get("typeNames", [""])[0])
            if url.path != "/2015/wfs/v1_0" or body is None:
                self.send_response(404)
                self.end_headers()
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{{year}}/wfs/v1_0", seen
    server.shutdown()


def test_fetch_regions_from_a_local_pdok(tmp_path, fake_pdok):
    base, seen = fake_pdok
    out = tmp_path / "regions.gpkg"
    res = CliRunner().invoke(main, ["fetch-regions", "--year", "2015", "--out", str(out), "--base-url", base])
    assert res.exit_code == 0, res.output
    assert "provincie 12, corop 40, gemeente 393" in res.output
    assert len(gpd.read_file(out, layer="corop")) == 40 and gpd.read_file(out, layer="provincie").crs.to_epsg() == 28992
    assert all(q["outputFormat"] == ["application/json"] and q["srsName"] == ["EPSG:28992"] for _, q in seen)


def test_an_unpublished_year_is_a_clear_error(tmp_path, fake_pdok):
    base, _ = fake_pdok
    res = CliRunner().invoke(main, ["fetch-regions", "--year", "2031", "--out", str(tmp_path / "r.gpkg"), "--base-url", base])
    assert res.exit_code == 1 and "PDOK answered 404" in res.output and "is the year published?" in res.output
    assert list(tmp_path.iterdir()) == []


def test_offline_says_so_and_writes_nothing(tmp_path):
    res = CliRunner().invoke(main, ["fetch-regions", "--year", "2024", "--out", str(tmp_path / "r.gpkg"),
                                    "--base-url", "http://127.0.0.1:9/{year}/wfs"])
    assert res.exit_code == 1 and "seems to be offline" in res.output and "Traceback" not in res.output
    assert list(tmp_path.iterdir()) == []

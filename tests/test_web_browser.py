"""The negotiation table's page in headless Chromium, against the real server (`cli.py serve`).

Debian's chromium (/usr/bin/chromium) driven by Playwright from PyPI through ``executable_path``:
no browser is downloaded. The server runs in a subprocess on a hand-made two-province instance
whose optima are checked by hand:

- 2 provinces of 24 cells of 100 ha (1 km), Noorderwaard (N, the northern three rows) and
  Zuiderland (Z); every cell takes housing (10 per ha), business (4) or energy (2) and every
  cell is used, since every value is positive.
- N: housing ceiling 1,200 ha, energy floor 200 ha; Z: housing ceiling 1,000 ha, business floor 300.
- Revision 0: housing 2,200 ha, energy 200 ha, business the remaining 2,400 ha:
  22,000 + 400 + 9,600 = 32,000.
- Within 4 % of revision 0 (1,280), N's energy ranges over 200–800 ha: each business cell turned to
  energy costs 200, and its floor holds (a shortfall costs 1,000 per ha).
- Raising N's energy floor to 500 ha moves 300 ha from business to energy: −300 × (4 − 2),
  so the proposal's optimum is 31,400 (−1.9 %).

The tests load the page, check that the map rendered the units in the claims' colours with the
place names, propose the floor change on one page and watch a second page of the same table
update live over the WebSocket, and record every request both pages make: each one goes to the
server's own origin. The second test writes the screenshots docs/table.png and
docs/table-difference.png that the docs show.
"""
from __future__ import annotations

import contextlib
import io
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from .helpers import write_instance

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "docs"  # table.png (the plan) and table-difference.png (the changed units)
TIMEOUT_MS = 90_000

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is not at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)")

CLAIMS = {"housing": ("Housing", 10), "business": ("Business", 4), "energy": ("Energy", 2)}
CONFIG = {
    "name": "two-provinces",
    "crs": "EPSG:28992",
    "units": "units.csv",
    "regions": ["province"],
    "region_names": {"province": {"N": "Noorderwaard", "Z": "Zuiderland"}},
    "claims": {key: {"value_per_ha": value, "label": label} for key, (label, value) in CLAIMS.items()},
    "demand": [
        {"level": "province", "region": "N", "claim": "housing", "min_ha": 600, "max_ha": 1200},
        {"level": "province", "region": "Z", "claim": "housing", "max_ha": 1000},
        {"level": "province", "region": "Z", "claim": "business", "min_ha": 300},
        {"level": "province", "region": "N", "claim": "energy", "min_ha": 200},
    ],
}
UNITS = [{"unit_id": f"c{i}_{j}", "area_ha": 100.0, "x": 136_500 + 1000 * i, "y": 452_500 + 1000 * j, "cell_m": 1000.0,
          "province": "N" if j >= 3 else "Z"} for i in range(8) for j in range(6)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


@contextlib.contextmanager
def _serve(tmp: Path, *options: str):
    """Run `serve` on the two-province instance; yield its base URL once /api/health answers."""
    folder = write_instance(tmp / "two-provinces", CONFIG, UNITS)
    port = _free_port()
    log_path = tmp / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "serve", str(folder), "--port", str(port),
                                 "--db", str(tmp / "table.sqlite"), *options], cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        try:
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"serve exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
                try:
                    if b'"ok"' in _get(f"{url}/api/health"):
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"serve did not answer /api/health in 120 s: {log_path.read_text()[-2000:]}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def table_url(tmp_path_factory):
    """A table without parties: the page's user is the one local chair."""
    with _serve(tmp_path_factory.mktemp("table")) as url:
        yield url


PARTIES = {"parties": [
    {"name": "Rijk", "token": "rijk-secret-token", "regions": "all", "role": "chair"},
    {"name": "Noorderwaard", "token": "noord-secret-token", "regions": ["N"]},
    {"name": "Zuiderland", "token": "zuid-secret-token", "regions": ["Z"]},
]}


@pytest.fixture(scope="module")
def parties_url(tmp_path_factory):
    """A table with a chair and one party per province, each with its token."""
    tmp = tmp_path_factory.mktemp("parties")
    (tmp / "parties.yaml").write_text(yaml.safe_dump(PARTIES))
    with _serve(tmp, "--parties", str(tmp / "parties.yaml")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Page:
    """One page of the table in its own browser context, with every request it makes recorded."""

    def __init__(self, browser, url: str, ready: bool = True):
        self.context = browser.new_context(viewport={"width": 1400, "height": 860})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        if ready:
            self.page.wait_for_selector("body[data-ready='1']", timeout=TIMEOUT_MS)

    def close(self):
        self.context.close()


def _foreign(requests: list[str], url: str) -> list[str]:
    """The requests that do not go to the server's own host and port (blob: and data: stay in the page)."""
    own = urlsplit(url).netloc
    out = []
    for r in requests:
        parts = urlsplit(r)
        if parts.scheme in ("data", "blob"):
            inner = urlsplit(r[len(parts.scheme) + 1:])
            if parts.scheme == "data" or inner.netloc == own:
                continue
        if parts.netloc != own or parts.scheme not in ("http", "ws"):
            out.append(r)
    return out


def _colour_pixels(png: bytes, hex_colour: str, tol: int = 40) -> int:
    """How many pixels of a screenshot are within ``tol`` of a colour in each channel."""
    from PIL import Image
    import numpy as np

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    target = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(rgb - target).max(axis=2) <= tol).sum())


def test_the_page_draws_the_plan_with_place_names_and_asks_no_other_host(table_url, browser):
    view = Page(browser, table_url)
    try:
        page = view.page
        map_el = page.locator("#map")
        assert map_el.get_attribute("data-units") == str(len(UNITS))
        assert set(map_el.get_attribute("data-places").split("|")) == {"Noorderwaard", "Zuiderland"}
        for name in ("Noorderwaard", "Zuiderland"):
            assert page.locator("#map .place", has_text=name).is_visible()
        assert page.locator("#map canvas").count() >= 1
        # the canvas shows the plan: housing and business cells in their claims' colours, dark label text
        png = map_el.screenshot()
        claims = {c["key"]: c["color"] for c in page.evaluate("fetch('api/table').then(r => r.json())")["claims"]}
        assert _colour_pixels(png, claims["housing"]) > 2000
        assert _colour_pixels(png, claims["business"]) > 2000
        assert _colour_pixels(png, "#141e28", tol=30) > 20  # the place names' letters
        # the panels: revision 0 is the current plan, its objective the hand-checked optimum
        assert page.locator("#plan-facts").get_attribute("data-status") == "optimal"
        assert page.locator("#plan-objective").inner_text().startswith("32,000")
        row = page.locator("#regions-table tr[data-region='N'][data-claim='energy']")
        assert row.locator("td").nth(2).inner_text() == "200"  # the floor
        assert row.locator("td").nth(4).inner_text() == "200"  # allocated
        assert page.locator("#proposals-table tr[data-id='0'][data-status='optimal']").count() == 1
        # room to negotiate within 4 % (1,280 of 32,000): energy can take 6 of N's business cells (−200 each;
        # a seventh would cost 1,400), never less than its 200-ha floor (its shortfall costs 1,000 per ha)
        page.fill("#ranges-slack", "4")
        page.click("#ranges-ask")
        page.wait_for_function(
            "() => { const r = document.querySelector(\"#regions-table tr[data-region='N'][data-claim='energy']\");"
            " return r && r.cells[4].innerText.includes('('); }", timeout=TIMEOUT_MS)
        assert row.locator("td").nth(4).inner_text() == "200 (200–800)"
        assert "within 4 %" in page.locator("#ranges-note").inner_text()
        # alternatives of the shown plan: plan 0 is revision 0 itself; each plan found loses at most the 5 % slack
        page.click("#alternatives-ask")
        page.wait_for_selector("#alternatives-table tr[data-plan='1']", timeout=TIMEOUT_MS)
        plans = page.evaluate("fetch('api/proposals/0/alternatives').then(r => r.json())")
        assert plans["status"] == "done" and plans["rows"][0]["objective"] == pytest.approx(32_000)
        assert all(r["objective_loss_pct"] <= 5 + 1e-6 for r in plans["rows"])
        assert page.locator("#alternatives-table tr[data-plan='0'] td").nth(2).inner_text() == "32,000"
        # a change the server refuses: its message, naming the path, and no proposal stored
        page.select_option("select[id^=kind-]", "path")
        page.fill("input[name=path]", "resources.grid_mw.cap.N")
        page.fill("input[name=amount]", "5")
        page.click("#propose-submit")
        status = page.locator("#propose-form p[role=status]")
        page.wait_for_function("s => s.innerText.startsWith('422')", arg=status.element_handle(), timeout=TIMEOUT_MS)
        assert "resources.grid_mw.cap.N" in status.inner_text()
        assert page.locator("#proposals-table tbody tr").count() == 1
        assert view.errors == []
        assert view.requests and _foreign(view.requests, table_url) == []
    finally:
        view.close()


def test_a_floor_change_proposed_on_one_page_appears_live_on_another(table_url, browser):
    first, second = Page(browser, table_url), Page(browser, table_url)
    try:
        watcher = second.page
        watcher.evaluate("window.__notReloaded = true")
        page = first.page
        page.select_option("select[name=region]", "province|N")
        page.select_option("select[name=claim]", "energy")
        page.select_option("select[name=field]", "min_ha")
        assert "demand[3].min_ha" in page.locator("form#propose-form output").inner_text()
        page.fill("input[name=amount]", "500")
        page.fill("#propose-note", "Noorderwaard: 500 ha of energy")
        page.click("#propose-submit")

        # the other page hears of it over the WebSocket, without a reload, and sees it solved
        watcher.wait_for_selector("#proposals-table tr[data-id='1']", timeout=TIMEOUT_MS)
        watcher.wait_for_selector("#proposals-table tr[data-id='1'][data-status='optimal']", timeout=TIMEOUT_MS)
        assert watcher.evaluate("window.__notReloaded") is True
        assert "Noorderwaard: 500 ha of energy" in watcher.locator("#proposals-table tr[data-id='1']").inner_text()

        # the proposing page shows the new proposal: the hand-checked optimum and the difference
        page.wait_for_selector("#plan-facts[data-id='1'][data-status='optimal']", timeout=TIMEOUT_MS)
        assert page.locator("#plan-objective").inner_text().startswith("31,400")
        sentences = page.locator("#diff-sentences").inner_text()
        assert "Noorderwaard" in sentences and "+300" in sentences
        diff = page.locator("#diff-table").inner_text()
        assert "Energy" in diff and "Business" in diff
        page.evaluate("document.querySelector('.side').scrollTo(0, 0)")
        page.wait_for_timeout(300)  # the map's next frame
        page.screenshot(path=str(SCREENSHOTS / "table.png"))
        # the shadow price of the raised floor arrives just after the plan (a number, not "–")
        page.wait_for_function(
            "() => { const r = document.querySelector(\"#regions-table tr[data-region='N'][data-claim='energy']\");"
            " return r && r.cells[6].innerText !== '–'; }", timeout=TIMEOUT_MS)
        page.check("#diff-toggle")
        assert page.locator("#map").get_attribute("data-diff") == "1"
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENSHOTS / "table-difference.png"))

        for view in (first, second):
            assert view.errors == []
            assert _foreign(view.requests, table_url) == []
            assert any(r.startswith("ws://") for r in view.requests)  # the live events
    finally:
        first.close()
        second.close()


@pytest.mark.slow  # four pages and a second server: about 45 s on a loaded machine
def test_parties_negotiate_on_their_own_pages(parties_url, browser):
    """A party proposes for its own region, votes on it; the chair adopts; every page follows."""
    anonymous = Page(browser, parties_url, ready=False)
    noord = Page(browser, f"{parties_url}/?token=noord-secret-token")
    zuid = Page(browser, f"{parties_url}/?token=zuid-secret-token")
    chair = Page(browser, f"{parties_url}/?token=rijk-secret-token")
    views = (anonymous, noord, zuid, chair)
    try:
        # without a token the page asks for one and shows nothing of the table
        anonymous.page.wait_for_selector("#message:not([hidden])", timeout=TIMEOUT_MS)
        assert "token" in anonymous.page.locator("#message").inner_text()
        assert anonymous.page.locator("#proposals-table").count() == 0

        # a party picks only its own region's rows, and writes no free path
        page = noord.page
        assert "Noorderwaard" in page.locator("#me").inner_text()
        regions = page.locator("select[name=region] option").evaluate_all("options => options.map(o => o.value)")
        assert regions == ["province|N"]
        assert page.locator("select[id^=kind-] option[value=path]").count() == 0
        assert chair.page.locator("select[id^=kind-] option[value=path]").count() == 1
        page.select_option("select[name=claim]", "energy")
        page.select_option("select[name=field]", "min_ha")
        page.fill("input[name=amount]", "500")
        page.click("#propose-submit")
        page.wait_for_selector("#plan-facts[data-id='1'][data-status='optimal']", timeout=TIMEOUT_MS)
        assert page.locator("#plan-objective").inner_text().startswith("31,400")

        # the chair sees it solved; the affected party approves; the chair sees the vote
        chair.page.wait_for_selector("#proposals-table tr[data-id='1'][data-status='optimal']", timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Approve").click()
        chair.page.wait_for_function(
            "document.querySelector(\"#proposals-table tr[data-id='1']\").innerText.includes('✔ 1')", timeout=TIMEOUT_MS)

        # the chair adopts it; the page that follows the current plan shows it without a reload
        zuid.page.evaluate("window.__notReloaded = true")
        assert zuid.page.locator("#plan-facts").get_attribute("data-id") == "0"
        chair.page.click("#proposals-table tr[data-id='1']")
        chair.page.wait_for_selector("#plan-facts[data-id='1']", timeout=TIMEOUT_MS)
        chair.page.get_by_role("button", name="Adopt as the current plan").click()
        zuid.page.wait_for_selector("#plan-facts[data-id='1']", timeout=TIMEOUT_MS)
        assert "current plan" in zuid.page.locator("#plan-facts").inner_text()
        assert zuid.page.evaluate("window.__notReloaded") is True

        for view in views:
            assert view.errors == []
            assert _foreign(view.requests, parties_url) == []
    finally:
        for view in views:
            view.close()

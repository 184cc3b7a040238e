"""Benchmark: the negotiation table's page in headless Chromium — first load, and a floor change seen on the map.

Starts `cli.py serve INSTANCE` in a subprocess, opens the page in Debian's chromium (driven by
Playwright, as the browser tests do) and reports, as medians of the repeats:

- load: from navigation to the first frame that shows the plan (``window.__tableStats``), with
  the steps on the way (script, table, geometry, proposal, results, colours set, frame drawn);
- update: for one floor change proposed in the page's form (`demand[...]` times a factor, a
  different factor each repeat), from the click to the frame showing the solved proposal, and
  from the WebSocket event of its final status to that frame (``window.__lastUpdate``); with the
  server's own times for the proposal (``times.total``, ``solve_s``).

Headless Chromium here draws WebGL in software (SwiftShader), so the frame times are far above
what a browser with a GPU needs; the load of the machine is printed beside the times.

    python bench/table_page.py                              # nl-provinces, housing in PV26, 3 repeats
    python bench/table_page.py --instance demo --claim business --region W --repeats 1
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _wait_for_revision_0(url: str, proc: subprocess.Popen, limit_s: float = 600) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"serve exited with {proc.returncode}")
        try:
            if _get_json(f"{url}/api/proposals/0")["status"] in ("optimal", "time_limit"):
                return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"revision 0 was not solved within {limit_s:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instance", default="nl-provinces")
    ap.add_argument("--claim", default="housing")
    ap.add_argument("--region", default="PV26")
    ap.add_argument("--level", default="province")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--factors", default="1.05,1.10,1.15,1.20,1.25")
    args = ap.parse_args()
    factors = [f for f in args.factors.split(",")][: args.repeats]

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "serve", args.instance, "--port", str(port),
                                 "--db", str(Path(tmp) / "table.sqlite")], cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for_revision_0(url, proc)
            loads, clicks, events, server = [], [], [], []
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for factor in factors:
                    context = browser.new_context(viewport={"width": 1400, "height": 860})
                    page = context.new_page()
                    page.goto(url)
                    page.wait_for_selector("body[data-ready='1']", timeout=300_000)
                    stats = page.evaluate("window.__tableStats")
                    loads.append(stats)
                    page.select_option("select[name=region]", f"{args.level}|{args.region}")
                    page.select_option("select[name=claim]", args.claim)
                    page.select_option("select[name=mode]", "factor")
                    page.fill("input[name=amount]", factor)
                    t = time.monotonic()
                    page.click("#propose-submit")
                    page.wait_for_function("window.__lastUpdate !== undefined", timeout=300_000)
                    clicks.append(time.monotonic() - t)
                    update = page.evaluate("window.__lastUpdate")
                    events.append(update["eventToFrameMs"] / 1000)
                    proposal = _get_json(f"{url}/api/proposals/{update['id']}")
                    server.append((proposal["times"].get("total"), proposal["solve_s"], proposal["objective"]))
                    context.close()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    med = statistics.median
    print(f"{args.instance}: {loads[0]['units']:,} units; {len(factors)} repeat(s); load average {os.getloadavg()[0]:.1f}")
    steps = loads[0]["marks"].keys()
    print("load (s, median): " + ", ".join(f"{k} {med(l['marks'][k] for l in loads) / 1000:.2f}" for k in steps))
    print(f"update: click to frame {med(clicks):.2f} s, final-status event to frame {med(events):.2f} s; "
          f"server total {med(s[0] for s in server):.2f} s, solve {med(s[1] for s in server):.2f} s")
    for factor, (total, solve_s, objective) in zip(factors, server):
        print(f"  {args.claim} {args.region} x {factor}: objective {objective:,.2f}")


if __name__ == "__main__":
    main()

"""The default instance's run opens in the tools planners use: the report in a browser (headless
Chromium), allocation.gpkg in QGIS (styled by claim), and its sentences are true.

The run is the one the README's first example writes (``python cli.py solve``; the
``readme_examples`` fixture). The renderings are the README's screenshots: with
``RUIMTEPUZZEL_SCREENSHOTS=DIR`` set, the tests copy map_allocation.png, report.png, factsheet.png and qgis.png there
(``python docs/screenshots.py`` does that for docs/). Without Chromium or QGIS on the machine the
tests skip and say why; ``.ci/run`` installs both.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.outputs.styles import claim_colours

from .fact_check import check_report

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "instances" / "nl-provinces"
SYSTEM_PYTHON = "/usr/bin/python3"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
# written into a copy of the report: records every image's load and every resource error in the page title
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String((e.target && (e.target.src || e.target.href)) || e.message)), true);
window.addEventListener('load', () => {
  const images = [...document.images].map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0]);
  document.title = 'PROBE ' + JSON.stringify({images: images, errors: window.__errors});
});
</script>"""


@lru_cache(maxsize=1)
def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@lru_cache(maxsize=1)
def qgis_python() -> str | None:
    if not Path(SYSTEM_PYTHON).exists():
        return None
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=120)
    return SYSTEM_PYTHON if probe.returncode == 0 else None


def default_run(readme_examples) -> Path:
    cwd, _ = readme_examples
    runs = sorted((cwd / "results" / "nl-provinces").glob("*/manifest.json"))
    assert len(runs) == 1, "the README's `python cli.py solve` should have written one run of the default instance"
    return runs[0].parent


def keep(png: Path, name: str) -> None:
    """Copy a rendering to $RUIMTEPUZZEL_SCREENSHOTS (the README's screenshots come from here)."""
    target = os.environ.get("RUIMTEPUZZEL_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, Path(target) / name)


def colours_in(png: Path) -> set[tuple[int, int, int]]:
    from PIL import Image

    pixels = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)
    return {tuple(int(c) for c in p) for p in np.unique(pixels, axis=0)}


def test_the_default_runs_sentences_are_true(readme_examples):
    assert check_report(default_run(readme_examples), DEFAULT) > 50


def test_the_default_run_is_named_for_people(readme_examples):
    run = default_run(readme_examples)
    summary = pd.read_csv(run / "summary.csv", dtype={"region": str})
    assert {"region_name", "claim_name"} <= set(summary.columns)
    assert "Woningbouw" in set(summary["claim_name"])
    report = (run / "report.html").read_text()
    assert "Woningbouw" in report and ">housing<" not in report


def shoot(url: str, png: Path, width: int, height: int, profile: Path) -> None:
    subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                    f"--screenshot={png}", url], check=True, capture_output=True, timeout=180)


def probe_page(page: Path, profile: Path) -> dict:
    """Load a copy of ``page`` (beside it, so relative images resolve) with the probe; its images and errors."""
    text = page.read_text()
    probed = page.with_name(f"probe-{page.name}")
    probed.write_text(text.replace("<head>", "<head>" + PROBE, 1))
    dom = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom",
                          probed.as_uri()], check=True, capture_output=True, text=True, timeout=180).stdout
    found = re.search(r"<title>PROBE (.*?)</title>", dom, flags=re.S)
    assert found, f"the page did not finish loading in Chromium: {dom[:500]}"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.skipif(chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")
def test_report_renders_in_headless_chromium_with_its_maps(readme_examples, tmp_path):
    run = shutil.copytree(default_run(readme_examples), tmp_path / "run")
    for page in ("report.html", "factsheets.html"):
        loaded = probe_page(run / page, tmp_path / f"profile-{page}")
        assert loaded["errors"] == [], f"{page}: resources failed to load: {loaded['errors']}"
        assert all(ok for _, ok in loaded["images"]), f"{page}: images not loaded: {loaded['images']}"
        if page == "report.html":
            assert {src for src, _ in loaded["images"]} == {"map_allocation.png", "map_shortfall.png"}
    keep(run / "map_allocation.png", "map_allocation.png")  # the README's picture: the map the page just loaded
    shoot((run / "report.html").as_uri(), tmp_path / "report.png", 1150, 1500, tmp_path / "profile-shot")
    assert len(colours_in(tmp_path / "report.png")) > 20  # text, tables and two maps, not a blank page
    keep(tmp_path / "report.png", "report.png")

    # the fact sheet with the most unmet floors, on a page of its own (the README's second screenshot)
    sheets = (run / "factsheets.html").read_text()
    sections = re.findall(r"<section class='sheet'.*?</section>", sheets, flags=re.S)
    chosen = max(sections, key=lambda s: (s.count("<li "), -sections.index(s)))
    (run / "factsheet.html").write_text(sheets[: sheets.index("<body>") + 6] + chosen + "</body></html>\n")
    shoot((run / "factsheet.html").as_uri(), tmp_path / "factsheet.png", 900, 900, tmp_path / "profile-sheet")
    assert len(colours_in(tmp_path / "factsheet.png")) > 5
    keep(tmp_path / "factsheet.png", "factsheet.png")


@pytest.mark.skipif(qgis_python() is None, reason="QGIS is not installed for /usr/bin/python3 "
                    "(Debian: apt-get install python3-qgis; .ci/run installs it)")
def test_allocation_opens_in_qgis_styled_by_claim(readme_examples, tmp_path):
    run = default_run(readme_examples)
    gpkg = shutil.copyfile(run / "allocation.gpkg", tmp_path / "allocation.gpkg")  # QGIS may touch the file
    png = tmp_path / "qgis.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    done = subprocess.run([qgis_python(), str(ROOT / "tests" / "qgis_probe.py"), str(gpkg), "allocation", str(png)],
                          capture_output=True, text=True, timeout=300, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"QGIS probe failed ({done.returncode}): {done.stderr[-2000:]}"
    found = json.loads(lines[-1])
    allocation = pd.read_csv(run / "allocation.csv")
    assert found["valid"] and found["features"] == len(allocation)
    assert found["renderer"] == "categorizedSymbol", "QGIS did not pick up the stored style"
    assert found["attribute"] == "claim"
    config = load_instance(DEFAULT).config
    colours = claim_colours(config.claims)
    expected = {k: (config.claim_name(k), "#%02x%02x%02x" % tuple(int(c) for c in colours[k].split(","))) for k in config.claims}
    assert {c["value"]: (c["label"], c["colour"]) for c in found["categories"]} == expected
    assert found["rendered"]
    drawn = colours_in(png)
    # a whole unit is drawn in its claim's own colour; a divisible share as a translucent tint of it
    whole = set(allocation.loc[allocation["share"] >= 0.999, "claim"])
    assert whole, "the default run should allocate some whole cells"
    pixels = np.array(sorted(drawn), dtype=int)
    for claim in whole:  # a cell of 1 km is a few pixels: its edges blend with the outline and the labels' halos
        rgb = np.array([int(c) for c in colours[claim].split(",")])
        assert np.abs(pixels - rgb).max(axis=1).min() <= 40, f"{claim}'s colour {tuple(rgb)} is not on the QGIS map"
    assert tuple(int(c) for c in colours["housing"].split(",")) in drawn  # the largest claim in its exact colour
    keep(png, "qgis.png")

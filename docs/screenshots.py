"""Refresh the README's and the docs' pictures from the tests' own renderings.

    python docs/screenshots.py        # needs Chromium and QGIS (Debian: apt-get install chromium python3-qgis)

Runs tests/test_rendering.py with RUIMTEPUZZEL_SCREENSHOTS=docs: the default instance is solved
by the README's first example, its report (with the allocation map) and one fact sheet are loaded and
rendered in headless Chromium and its allocation.gpkg in QGIS, and the tests copy map_allocation.png,
report.png, factsheet.png and qgis.png here.
A screenshot is therefore always of a rendering the tests checked.
"""
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    env = {**os.environ, "RUIMTEPUZZEL_SCREENSHOTS": str(HERE)}
    tests = ["tests/test_rendering.py::test_report_renders_in_headless_chromium_with_its_maps",
             "tests/test_rendering.py::test_allocation_opens_in_qgis_styled_by_claim"]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", *tests], cwd=HERE.parent, env=env)
    if done.returncode == 0:
        print("wrote docs/map_allocation.png, docs/report.png, docs/factsheet.png and docs/qgis.png")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())

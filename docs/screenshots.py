"""Render the default instance's report and a fact sheet in headless Chromium, for the README.

    python docs/screenshots.py            # needs chromium (Debian: apt-get install chromium)

Writes docs/report.png and docs/factsheet.png.
"""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

from ruimtepuzzel.model.pipeline import solve_instance  # noqa: E402

REGION = "PV30"  # Noord-Brabant: the province with shortfalls and a priced grid cap


def shoot(url: str, png: Path, width: int, height: int) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        sys.exit("no chromium on PATH")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={width},{height}", f"--screenshot={png}", url], check=True, capture_output=True, timeout=120)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run = solve_instance(HERE.parent / "instances" / "nl-provinces", out=Path(tmp) / "run", with_report=True)
        single = run.out / "factsheet.html"  # one sheet on its own page, so the screenshot starts at it
        text = (run.out / "factsheets.html").read_text()
        start, end = text.index(f"<section class='sheet' id='{REGION}'>"), None
        end = text.index("</section>", start) + len("</section>")
        single.write_text(text[:text.index("<body>") + 6] + text[start:end] + "</body></html>\n")
        shoot((run.out / "report.html").as_uri(), HERE / "report.png", 1150, 1500)
        shoot(single.as_uri(), HERE / "factsheet.png", 900, 560)
    print("wrote docs/report.png and docs/factsheet.png")


if __name__ == "__main__":
    main()

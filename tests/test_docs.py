"""The documentation: the Python API page's worked example runs as written, and the README's links resolve."""
from __future__ import annotations

import re
from pathlib import Path

import ruimtepuzzel

ROOT = Path(ruimtepuzzel.__file__).resolve().parent
DOCS = ROOT / "docs"


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(), flags=re.S | re.M)


def test_the_python_api_page_runs_as_written(tmp_path, monkeypatch, capsys):
    """Every python block of docs/python-api.md, in order, in one namespace (as a notebook runs them)."""
    monkeypatch.chdir(tmp_path)  # the example writes a run folder into the current directory
    blocks = python_blocks(DOCS / "python-api.md")
    assert len(blocks) >= 6
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/python-api.md, block {i + 1}", "exec"), namespace)
    # the example's own asserts hold; and what it shows is what it claims
    assert namespace["after"][namespace["top"]["region"]] <= namespace["cap"] + 1e-6
    assert namespace["capped"].result.objective <= namespace["run"].result.bound + 1e-6
    assert (tmp_path / "zh-run" / "allocation.csv").exists()
    assert "->" in capsys.readouterr().out


def test_readme_and_docs_links_resolve():
    """Relative links in README.md and docs/*.md point at files that exist (no ../shared, no moved modules)."""
    pages = [ROOT / "README.md", *DOCS.rglob("*.md")]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if re.match(r"[a-z]+://", target):
                continue
            assert (page.parent / target).resolve().exists(), f"{page.name}: broken link {target}"
            assert ROOT in (page.parent / target).resolve().parents, f"{page.name}: {target} is outside the repository"

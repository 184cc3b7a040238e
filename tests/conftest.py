"""Tests import the installed package ``ruimtepuzzel`` (``pip install -e ".[test]"``), never the folders by path.

``readme_examples`` runs the README's example commands once per session (tests/test_readme.py checks
them; tests/test_rendering.py renders the default instance's run they write, in Chromium and QGIS).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CLI_PREFIXES = (("python", "cli.py"), ("ruimtepuzzel",))
NOT_RUN = {"serve": "a server: it runs until stopped"}  # README examples shown but not run, and why


@dataclass
class Example:
    command: str
    args: list[str]
    exit_code: int | None  # None: not run
    output: str
    exception: BaseException | None
    seconds: float
    not_run: str | None = None  # why the example was not run (a server), else None


def readme_blocks(text: str) -> list[str]:
    """The bodies of the README's ```bash blocks."""
    return re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M)


def cli_args(command: str) -> list[str] | None:
    """The arguments after ``python cli.py`` / ``ruimtepuzzel``, or None for another command (pip, pytest…)."""
    words = shlex.split(command, comments=True)
    for prefix in CLI_PREFIXES:
        if tuple(words[: len(prefix)]) == prefix:
            return words[len(prefix):]
    return None


def readme_commands(text: str) -> list[str]:
    """Every command line of the README's bash blocks that runs the command line (``a && b`` split)."""
    out = []
    for block in readme_blocks(text):
        for line in block.splitlines():
            for part in line.split("&&"):
                part = part.split(" #")[0].strip()
                if part and cli_args(part) is not None and part not in out:  # a repeated command runs once
                    out.append(part)
    return out


@pytest.fixture(scope="session")
def readme_examples(tmp_path_factory) -> tuple[Path, list[Example]]:
    """Run every README example in order, in a fresh folder holding the repository's docs/ (example specs).

    A server (``NOT_RUN``) is recorded with the reason and not started."""
    import os
    import time

    from click.testing import CliRunner

    from ruimtepuzzel.cli import main

    cwd = tmp_path_factory.mktemp("readme")
    (cwd / "docs").symlink_to(ROOT / "docs", target_is_directory=True)
    runner = CliRunner()
    done = []
    before = os.getcwd()
    os.chdir(cwd)
    try:
        for command in readme_commands(README.read_text()):
            args = cli_args(command)
            if args and args[0] in NOT_RUN:
                done.append(Example(command, args, None, "", None, 0.0, not_run=NOT_RUN[args[0]]))
                continue
            start = time.perf_counter()
            result = runner.invoke(main, args, catch_exceptions=True)
            done.append(Example(command, args, result.exit_code, result.output, result.exception, time.perf_counter() - start))
    finally:
        os.chdir(before)
    return cwd, done


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test that needs the README's examples run (``readme_examples``: about four minutes) is slow: not in the
    default run; ``.ci/run`` runs them after it (``python -m pytest -m slow tests/test_readme.py tests/test_rendering.py``)."""
    for item in items:
        if "readme_examples" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)

"""The documentation: the tutorial and the Python API page run as written, and the README's links resolve."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import ruimtepuzzel

ROOT = Path(ruimtepuzzel.__file__).resolve().parent
DOCS = ROOT / "docs"


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(), flags=re.S | re.M)


def page_steps(page: Path) -> list[tuple[str, str]]:
    """The page's runnable steps in order: ("python", code), ("cli", one ruimtepuzzel line), ("file", a yaml block).

    A ```yaml block whose first line is ``# NAME.yaml`` is a file the following steps use."""
    steps = []
    for lang, body in re.findall(r"^```(python|bash|yaml)\n(.*?)^```", page.read_text(), flags=re.S | re.M):
        if lang == "python":
            steps.append(("python", body))
        elif lang == "yaml" and re.match(r"# [\w.-]+\.yaml\n", body):
            steps.append(("file", body))
        elif lang == "bash":
            steps += [("cli", line.split(" #")[0].strip()) for line in body.splitlines() if line.startswith("ruimtepuzzel ")]
    return steps


def lacking(step: tuple[str, str], error: str) -> str | None:
    """Why a step that failed needs what this build does not have yet (a command, the scenario key
    ``changes``), or None. In a complete build it is None for every step."""
    from ruimtepuzzel.cli import main

    if step[0] == "cli" and shlex.split(step[1])[1] not in main.commands:
        return f"no command {shlex.split(step[1])[1]!r} in this build"
    if "changes: unknown key" in error:
        return "no scenario key 'changes' in this build"
    return None


@pytest.mark.slow  # minutes: three national solves, alternatives with the ranges of every province (CI runs it after the default set)
def test_the_tutorial_runs_as_written(tmp_path, monkeypatch):
    """docs/tutorial.md from loading to alternatives: python blocks and ruimtepuzzel lines in order, in one folder.

    ``serve`` (a server) is not started. A step that needs what this build lacks skips the rest, naming it."""
    from click.testing import CliRunner

    from ruimtepuzzel.cli import main

    monkeypatch.chdir(tmp_path)
    steps = page_steps(DOCS / "tutorial.md")
    assert [kind for kind, _ in steps].count("cli") >= 4 and any("serve" in s for _, s in steps)
    namespace: dict = {}
    for i, (kind, text) in enumerate(steps):
        if kind == "file":
            name = text.splitlines()[0][2:].strip()
            (tmp_path / name).write_text(text)
            continue
        if kind == "cli":
            args = shlex.split(text)[1:]
            if args[0] == "serve":
                continue
            result = CliRunner().invoke(main, args, catch_exceptions=True)
            error = "" if result.exit_code == 0 else f"{result.output}\n{result.exception!r}"
        else:
            try:
                exec(compile(text, f"docs/tutorial.md, step {i + 1}", "exec"), namespace)
                error = ""
            except Exception as exc:  # noqa: BLE001 - reported below, or the rest skipped when the build lacks it
                error = f"{type(exc).__name__}: {exc}"
        if error:
            why = lacking((kind, text), error)
            if why:
                pytest.skip(f"docs/tutorial.md from step {i + 1} on: {why}")
            raise AssertionError(f"docs/tutorial.md step {i + 1} ({kind}) failed:\n{text}\n{error}")
    assert (tmp_path / "utrecht-base" / "factsheets.html").exists()
    assert (tmp_path / "utrecht-alternatives" / "ranges.csv").exists()


@pytest.mark.slow  # three solves of zuid-holland (HiGHS twice, Pyomo once): about 30 s of CPU
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


def changelog_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("changelog", DOCS / "changelog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_changelog_merges_fragments_by_heading(tmp_path):
    changelog = changelog_module()
    (tmp_path / "b.md").write_text("### Fixed\n\n- a fix\n  on two lines\n\n### Added\n\n- b's feature\n")
    (tmp_path / "a.md").write_text("## Added\n- a's feature\n")
    text = "# Changelog\n\n## [Unreleased]\n\n<!-- unreleased:start -->\nold\n<!-- unreleased:end -->\n\n## [0.1.0]\n"
    fragments = sorted(tmp_path.glob("*.md"))
    merged = changelog.merged_changelog(text, fragments)
    assert "### Added\n\n- a's feature\n- b's feature\n\n### Fixed\n\n- a fix\n  on two lines\n" in merged
    assert "old" not in merged and merged.endswith("## [0.1.0]\n")
    assert changelog.merged_changelog(merged, fragments) == merged  # running it twice changes nothing
    assert "Nothing yet." in changelog.merged_changelog(text, [])


def test_a_changelog_fragment_with_an_unknown_heading_is_refused(tmp_path):
    changelog = changelog_module()
    (tmp_path / "x.md").write_text("### Improved\n\n- something\n")
    with pytest.raises(SystemExit, match=r"x.md: heading 'Improved' is not one of"):
        changelog.unreleased([tmp_path / "x.md"])


def test_the_readme_and_the_docs_name_no_design_document_or_issue():
    """Project pages name the policy documents by title; no design document, issue number or 'seeds'."""
    pages = [ROOT / "README.md", ROOT / "CHANGELOG.md", *DOCS.rglob("*.md")]
    for page in pages:
        text = page.read_text()
        for pattern in (r"DESIGN\.md", r"\bissues? #?\d+", r"\bthe seeds\b", r"\.\./shared"):
            assert not re.search(pattern, text, flags=re.I), f"{page.name}: {re.search(pattern, text, flags=re.I).group(0)!r}"


def test_every_command_that_takes_an_instance_names_the_default_in_its_help():
    from click.testing import CliRunner

    from ruimtepuzzel.cli import main
    from ruimtepuzzel.model.inputs.builtin import DEFAULT_INSTANCE

    for name, command in main.commands.items():
        if any(p.name == "instance" and not p.required for p in command.params if hasattr(p, "nargs")):
            shown = CliRunner().invoke(main, [name, "--help"])
            text = re.sub(r"-\n\s+", "-", shown.output)  # click wraps lines at hyphens too
            assert shown.exit_code == 0 and DEFAULT_INSTANCE in text, f"`{name} --help` does not name {DEFAULT_INSTANCE}"


def test_the_dask_page_shows_the_sweep_spec_the_readme_runs():
    spec = (DOCS / "examples" / "sweep.yaml").read_text()
    shown = "\n".join(re.findall(r"^```yaml\n(.*?)^```", (DOCS / "how-to" / "dask.md").read_text(), flags=re.S | re.M))
    for line in spec.splitlines():
        if line.strip() and not line.startswith("#"):
            assert line in shown, f"docs/examples/sweep.yaml line not in docs/how-to/dask.md: {line}"

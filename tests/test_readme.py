"""Every example command in the README runs, as written, on instances that exist.

The README's ```bash blocks are its examples: each ``python cli.py …`` line in them is run in a
fresh folder (the ``readme_examples`` session fixture, in conftest.py), in order, so that later
examples can use the run folders earlier ones wrote. The install and test lines beside them are
what ``.ci/run`` runs. A command of the command line that the README shows anywhere else (in
prose or a table, without ``[OPTIONS]`` placeholders) must be one of the examples, so none is
left untested.
"""
from __future__ import annotations

import re

import pandas as pd

from .conftest import README, cli_args, readme_commands


def test_the_readme_has_examples_of_every_command():
    commands = {cli_args(c)[0] if cli_args(c) else "(none)" for c in readme_commands(README.read_text())}
    assert {"solve", "validate", "compare", "report", "pareto", "sweep"} <= commands


def test_every_readme_example_runs(readme_examples):
    _, examples = readme_examples
    assert examples
    for ex in examples:
        assert ex.exit_code == 0, f"README example `{ex.command}` exited {ex.exit_code}:\n{ex.output}\n{ex.exception!r}"
    print("\n".join(f"{ex.seconds:6.1f} s  {ex.command}" for ex in examples))


def test_every_command_shown_in_the_readme_is_an_example():
    text = README.read_text()
    examples = set(readme_commands(text))
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    shown = [c for c in re.findall(r"`([^`\n]+)`", prose) if cli_args(c) and "[" not in c and "…" not in c
             and not re.search(r"\b[A-Z]{2,}\b", c)]  # SPEC, RUN_DIR…: a syntax line, not an example
    run = {tuple(cli_args(c)) for c in examples}  # `ruimtepuzzel X` and `python cli.py X` are the same command
    missing = [c for c in shown if tuple(cli_args(c)) not in run]
    assert not missing, f"README commands that no example runs: {missing}"


def test_the_pareto_example_finds_a_front(readme_examples):
    _, examples = readme_examples
    (pareto,) = [ex for ex in examples if ex.args[0] == "pareto"]
    assert "on_front" in pareto.output and "conflict" not in pareto.output
    cwd, _ = readme_examples
    table = pd.read_csv(cwd / "runs" / "front" / "pareto.csv")
    front = table[table["on_front"]]
    assert len(front) >= 2 and (front["business@W-Z"].diff().dropna() < 0).all()  # more housing, less business


def test_the_sweep_example_resolves_every_change_from_the_base(readme_examples):
    cwd, _ = readme_examples
    table = pd.read_csv(cwd / "runs" / "zh-sweep" / "sweep.csv").set_index("varied")
    assert table["change_resolved"].all()  # each change is known in sign, at the gap or refined
    assert table.loc["land_take", "objective_change"] > 0  # a lighter penalty on taking open land is worth something
    assert table.loc["business_x", "objective_change"] < 0  # higher floors cost something (every business floor scaled)
    assert table.loc["base", "objective_change"] == 0


def test_the_readme_shows_the_sweep_spec_the_example_runs():
    spec = (README.parent / "docs" / "examples" / "sweep.yaml").read_text()
    shown = "\n".join(re.findall(r"^```yaml\n(.*?)^```", README.read_text(), flags=re.S | re.M))
    for line in spec.splitlines():
        if line.strip() and not line.startswith("#"):
            assert line in shown, f"docs/examples/sweep.yaml line not in the README: {line}"

"""Every example command in the README runs, as written, on instances that exist.

The README's ```bash blocks are its examples: each ``python cli.py …`` or ``ruimtepuzzel …`` line in
them is run in a fresh folder (the ``readme_examples`` session fixture, in conftest.py), in order, so
that later examples can use the run folders earlier ones wrote; a server (``serve``) is shown but not
started. The install and test lines beside them are what ``.ci/run`` runs. A command of the command
line that the README shows anywhere else (in prose or a table, without ``[OPTIONS]`` placeholders)
must be one of the examples, so none is left untested.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from .conftest import README, ROOT, cli_args, readme_commands

EXAMPLES = ROOT / "docs" / "examples"


def missing_from_this_build(example, examples) -> str | None:
    """Why an example that failed needs something this build does not have yet, or None.

    A build made before the negotiation table and the alternatives lacks their command, and the
    scenario key ``changes``; in a complete build this is None for every example, and each must run."""
    from ruimtepuzzel.cli import main

    if example.args[0] not in main.commands:
        return f"no command {example.args[0]!r} in this build"
    if "changes: unknown key" in example.output:
        return "no scenario key 'changes' in this build"
    for earlier in examples:  # an example reading a run folder that a missing one would have written
        if earlier is example:
            break
        out = earlier.args[earlier.args.index("--out") + 1] if "--out" in earlier.args else None
        if out and out in example.args and earlier.exit_code != 0 and missing_from_this_build(earlier, examples):
            return f"reads {out}, which needs what this build lacks"
    return None


def test_the_readme_has_examples_of_every_command():
    commands = {cli_args(c)[0] if cli_args(c) else "(none)" for c in readme_commands(README.read_text())}
    assert {"solve", "validate", "compare", "report", "pareto", "sweep", "instances", "serve", "alternatives"} <= commands


def test_every_readme_example_runs(readme_examples):
    _, examples = readme_examples
    assert examples
    ran = [ex for ex in examples if ex.not_run is None]
    assert [ex.args[0] for ex in examples if ex.not_run] == ["serve"]  # only the server is not run
    lacking = {ex.command: missing_from_this_build(ex, examples) for ex in ran if ex.exit_code != 0}
    failed = [ex for ex in ran if ex.exit_code != 0 and not lacking[ex.command]]
    for ex in failed:
        assert ex.exit_code == 0, f"README example `{ex.command}` exited {ex.exit_code}:\n{ex.output}\n{ex.exception!r}"
    print("\n".join(f"{ex.seconds:6.1f} s  {ex.command}" for ex in ran))
    if lacking:
        pytest.skip("README examples of what this build lacks: " + "; ".join(f"`{c}` ({why})" for c, why in lacking.items()))


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


def test_the_floor_change_example_raises_one_floor(readme_examples):
    """The tour's scenario raises Utrecht's housing floor by 10 % and leaves every other floor alone."""
    cwd, examples = readme_examples
    (changed,) = [ex for ex in examples if "--scenario" in ex.args]
    if changed.exit_code != 0 and missing_from_this_build(changed, examples):
        pytest.skip(missing_from_this_build(changed, examples))
    assert changed.exit_code == 0, changed.output
    key = ["level", "region", "claim"]
    base = pd.read_csv(cwd / "runs" / "base" / "summary.csv", dtype={"region": str}).set_index(key)
    after = pd.read_csv(cwd / "runs" / "utrecht" / "summary.csv", dtype={"region": str}).set_index(key)
    floors = base["demand_min"].dropna()
    moved = (after.loc[floors.index, "demand_min"] - floors).abs() > 1e-9
    assert list(floors.index[moved]) == [("corop", "CR17", "housing")]
    assert after.loc[("corop", "CR17", "housing"), "demand_min"] == pytest.approx(1.1 * floors[("corop", "CR17", "housing")])
    met = after.loc[("corop", "CR17", "housing")]
    assert met["allocated_ha"] + met["shortfall_ha"] >= met["demand_min"] - 1e-6  # met, or its shortfall said


def test_the_readme_shows_the_scenario_the_tour_runs():
    shown = "\n".join(re.findall(r"^```yaml\n(.*?)^```", README.read_text(), flags=re.S | re.M))
    scenario = (EXAMPLES / "utrecht-housing.yaml").read_text()
    assert scenario.strip() in shown
    assert "changes" in yaml.safe_load(scenario)

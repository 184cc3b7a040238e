"""Rule costs: known costs by hand, costs within the gap marked, re-solves started from the base allocation."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from ruimtepuzzel.model.analysis import rule_costs as rc
from ruimtepuzzel.model.formulation import formulate
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.pipeline import solve_instance
from ruimtepuzzel.model.prepare.pairs import prepare
from ruimtepuzzel.solvers import starts

from .helpers import row_units, write_instance

CONFIG = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 4}},
          "demand": [{"level": "province", "region": "A", "claim": "business", "min_ha": 1}],
          "rules": [{"name": "flood", "claims": ["housing"], "attr": "flood", "op": "==", "value": 1},
                    {"name": "dunes", "claims": ["business"], "attr": "dune", "op": "==", "value": 1}]}


def four_cells(tmp_path):
    """4 cells of 1 ha; flood keeps housing off u1 and u2 (business takes them: 4 each), dunes keep business off u4
    (where housing is better anyway). Optimum 10 + 10 + 4 + 4 = 28; without flood 10 + 10 + 10 + 4 = 34 (business
    keeps its 1 ha floor): flood costs 6; without dunes nothing changes: 0."""
    return write_instance(tmp_path / "inst", CONFIG, row_units(4, flood=[1, 1, 0, 0], dune=[0, 0, 0, 1]))


def test_a_rules_known_cost_and_a_cost_within_the_gap(tmp_path):
    said = []
    run = solve_instance(four_cells(tmp_path), out=tmp_path / "run", gap=0.0, with_rule_costs=True, progress=said.append)
    assert run.result.objective == pytest.approx(28)
    costs = run.rule_costs.set_index("rule")
    assert costs.loc["flood", "objective_change"] == pytest.approx(6)
    assert costs.loc["flood", "change_low"] == pytest.approx(6) and costs.loc["flood", "change_high"] == pytest.approx(6)
    assert not costs.loc["flood", "within_gap"]
    assert costs.loc["dunes", "objective_change"] == pytest.approx(0) and costs.loc["dunes", "within_gap"]
    written = pd.read_csv(run.out / "rule_costs.csv").set_index("rule")
    assert bool(written.loc["dunes", "within_gap"]) and not bool(written.loc["flood", "within_gap"])
    assert "rule cost 1/2: without flood" in said and "rule cost 2/2: without dunes" in said
    assert any(m.startswith("rule cost 1/2: without flood: ") and "optimal" in m for m in said)  # the re-solve's own progress
    assert "rule cost 2/2: without dunes: change +0 (within the gap: not told from 0)" in said


def test_a_negative_cost_of_a_hard_rule_is_within_the_gap():
    # max_value, base 100 with bound 101; without the rule 99.5 with bound 100.6: the change −0.5 is the solves' gap,
    # not a cost (dropping a hard rule cannot lower the optimum): [0, 0.6], within the gap
    low, high, within = rc.cost_interval("max", "max_value", (100.0, 101.0), (99.5, 100.6))
    assert (low, high, within) == (0.0, pytest.approx(0.6), True)
    # a real cost: without the rule 120 (bound 120.5) against 100 (bound 101): at least 19
    low, high, within = rc.cost_interval("max", "max_value", (100.0, 101.0), (120.0, 120.5))
    assert (low, high, within) == (19.0, 20.5, False)
    # min_cost: a rule can only make the plan dearer; a variant without a bound is unbounded below
    low, high, within = rc.cost_interval("min", "min_cost", (50.0, 49.0), (51.0, None))
    assert low == -math.inf and high == 0.0 and within


def test_the_base_allocation_starts_each_re_solve_on_the_new_columns(tmp_path):
    folder = four_cells(tmp_path)
    base = solve_instance(folder, out=tmp_path / "run", gap=0.0)
    instance = load_instance(folder, None, {"rules": [CONFIG["rules"][1]]})  # flood dropped: housing pairs on u1, u2 appear
    prep = prepare(instance)
    problem = formulate(prep)
    assert problem.n_cols > base.problem.n_cols
    start = rc.mapped_start(base.prep, base.problem, base.result.values, prep, problem)
    full, note = starts.repaired(problem, start)
    assert full is not None and note.startswith("full start")
    chosen = int((full[problem.group("x").slice] > 0.5).sum())
    assert chosen == len(base.allocation)  # the same four pairs as the base, nothing new switched on
    assert float(problem.objective() @ full + problem.offset) == pytest.approx(base.result.objective)


def test_a_re_solves_progress_names_it_and_keeps_the_solvers_status_line():
    seen = []

    class Listener:
        def __call__(self, message):
            seen.append(("line", message))

        def begin(self, what):
            seen.append(("begin", what))

        def solver(self, p):
            seen.append(("solver", p))

    said = rc.Prefixed(Listener(), "rule cost 2/9: without flood")
    said("built: 10 rows")
    said.begin("solving…")
    said.solver("progress")
    assert seen == [("line", "rule cost 2/9: without flood: built: 10 rows"),
                    ("begin", "rule cost 2/9: without flood: solving…"), ("solver", "progress")]
    assert not hasattr(rc.Prefixed(lambda m: None, "x"), "solver")  # a plain callable: no live status to pass on

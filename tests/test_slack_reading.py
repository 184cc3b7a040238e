"""An allocation's slack columns are read at their least: the objective reported is the value of the allocation
(as the results recompute shortfalls from it), even when a solver stopped within its gap or a near-optimal plan,
held only by its budget row, carries a shortfall larger than its allocation leaves."""
import numpy as np
import pandas as pd
import pytest

from ruimtepuzzel.model.problem import INF, Problem
from ruimtepuzzel.solvers.answer import least_slack, objective_of, verdict


def covering_problem():
    """x (0/1, value 3); a floor x + s1 ≥ 1 (s1 ≤ 1, 5 per unit short); a compensation row relieved by two
    shortfalls: 2 − x − s1 − s2 ≤ 0, i.e. s1 + s2 ≥ 2 − x (s2 ≤ 1, 100 per unit short); maximise."""
    p = Problem()
    p.add_vars("x", pd.DataFrame({"pair": [0]}), 0.0, 1.0, integer=True)
    p.add_vars("shortfall", pd.DataFrame({"demand": [0, 1]}), 0.0, [1.0, 1.0], integer=False)
    p.add_rows("demand", "demand", pd.DataFrame({"d": [0]}), [0, 0], [0, 1], [1.0, 1.0], 1.0, INF)
    p.add_rows("compensation", "compensation", pd.DataFrame({"region": ["A"]}), [0, 0, 0], [0, 1, 2],
               [-1.0, -1.0, -1.0], -INF, -2.0)
    p.set_objective(np.array([3.0, -5.0, -100.0]), "max")
    return p


def test_a_loose_shortfall_is_read_at_what_its_floor_needs():
    p = covering_problem()
    x = least_slack(p, np.array([1.0, 0.7, 1.0]))  # x meets the floor: s1 = 0; the row needs 1 of s1 + s2: s1 (cheaper)
    assert x.tolist() == pytest.approx([1.0, 1.0, 0.0])


def test_a_row_relieved_by_several_slacks_is_covered_cheapest_first():
    p = covering_problem()
    assert least_slack(p, np.array([0.0, 1.0, 1.0])).tolist() == pytest.approx([0.0, 1.0, 1.0])  # 2 needed: both
    p.set_objective(np.array([3.0, -100.0, -5.0]), "max")  # now s2 is the cheaper relief
    assert least_slack(p, np.array([1.0, 1.0, 1.0])).tolist() == pytest.approx([1.0, 0.0, 1.0])


def test_the_reported_objective_is_the_value_with_the_least_slacks():
    p = covering_problem()
    loose = np.array([1.0, 0.4, 1.0])  # feasible, but 100 paid for a shortfall nothing needs
    v = verdict(p, loose)
    assert v.feasible
    assert v.raw_objective == pytest.approx(3 - 2 - 100)
    assert v.objective == pytest.approx(3 - 5) == objective_of(p, loose)
    assert v.values.tolist() == pytest.approx([1.0, 1.0, 0.0])


def test_a_view_reads_slacks_cheapest_in_the_instance_objective_not_its_own():
    p = covering_problem()

    class View:  # a near-optimal solve: the objective is a direction that does not price the shortfalls
        groups, blocks, n_cols, offset, sense = p.groups, p.blocks, p.n_cols, 0.0, "max"
        slack_loss = np.array([-3.0, 100.0, 5.0])

        def bounds(self, skip=frozenset()):
            return p.bounds(skip)

        def integrality(self):
            return p.integrality()

        def objective(self):
            return np.array([1.0, 0.0, 0.0])

    assert least_slack(View(), np.array([1.0, 1.0, 1.0])).tolist() == pytest.approx([1.0, 0.0, 1.0])


def test_a_slack_within_tolerance_below_its_need_is_not_raised_when_an_answer_is_read():
    p = covering_problem()
    nearly = np.array([0.0, 1.0 - 2e-7, 1.0])  # the floor needs s1 = 1: a solver may return 1 − 2e-7
    v = verdict(p, nearly)
    assert v.feasible and v.values[1] == nearly[1] and v.objective == pytest.approx(v.raw_objective, abs=1e-12)
    assert least_slack(p, nearly)[1] == 1.0  # a start is repaired to the exact need

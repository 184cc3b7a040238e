"""Property: every plan `alternatives` reports satisfies every row of the problem and the budget row, passes the
independent checker, and lies inside the ranges (hypothesis over small random instances, gap 0)."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ruimtepuzzel.model.analysis.alternatives import alternatives_instance, budget
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.outputs import extract

from .checker import check
from .helpers import write_instance

TOL = 1e-6


@st.composite
def instances(draw):
    n = draw(st.integers(3, 6))
    regions = ["A"] + draw(st.lists(st.sampled_from(["A", "B"]), min_size=n - 1, max_size=n - 1))  # A holds a floor
    values = {k: draw(st.integers(1, 12)) for k in ("housing", "business")}
    sense = draw(st.sampled_from(["max_value", "min_cost"]))
    units = [{"unit_id": f"u{i + 1}", "area_ha": float(draw(st.sampled_from([1.0, 2.0]))), "province": regions[i],
              "x": 50 + 100 * i, "y": 50, "cell_m": 100, "cost": float(draw(st.integers(1, 9))),
              "deep": draw(st.booleans())} for i in range(n)]
    claims = {"housing": {"value_per_ha": values["housing"], "sensitive": True},
              "business": {"value_per_ha": values["business"], "env_category": "3.1"}}
    config = {"claims": claims,
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": draw(st.integers(0, 3))},
                         {"level": "national", "claim": "business", "min_ha": draw(st.integers(0, 2))}],
              "rules": [{"name": "deep", "layer": "substrate", "claims": ["housing"], "attr": "deep", "op": "==",
                         "value": True, "effect": "penalty", "per_ha": 2}],
              "env_zoning": {"distance_m": {"3.1": 50}},
              "budget": {"cost_attr": "cost"},
              "objective": {"sense": sense, "shortfall_penalty_per_ha": 100}}
    return config, units, draw(st.sampled_from([0.0, 0.1, 0.3]))


def _loose_shortfall_case():
    """Found by this property: at slack 0.3 a plan carried a floor's shortfall of 0.002 ha that its allocation did not
    leave (the budget row allowed it), so its objective was 0.2 below its allocation's value."""
    config = {"claims": {"housing": {"value_per_ha": 1, "sensitive": True}, "business": {"value_per_ha": 1, "env_category": "3.1"}},
              "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 2},
                         {"level": "national", "claim": "business", "min_ha": 0}],
              "rules": [{"name": "deep", "layer": "substrate", "claims": ["housing"], "attr": "deep", "op": "==",
                         "value": True, "effect": "penalty", "per_ha": 2}],
              "env_zoning": {"distance_m": {"3.1": 50}}, "budget": {"cost_attr": "cost"},
              "objective": {"sense": "max_value", "shortfall_penalty_per_ha": 100}}
    units = [{"unit_id": f"u{i + 1}", "area_ha": 1.0, "province": p, "x": 50 + 100 * i, "y": 50, "cell_m": 100,
              "cost": 1.0, "deep": deep} for i, (p, deep) in enumerate(zip("AAAABB", [False, True, False, False, False, True]))]
    return config, units, 0.3


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=instances())
@example(drawn=_loose_shortfall_case())
def test_every_plan_satisfies_every_row_and_the_budget_row(tmp_path_factory, drawn):
    config, units, slack = drawn
    tmp = tmp_path_factory.mktemp("prop")
    folder = write_instance(tmp / "inst", config, units)
    o = alternatives_instance(folder, slack=slack, count=2, ranges_level="province", gap=0.0, time_limit=30, out=tmp / "out")
    problem, prep = o.problem, o.prep
    a, lo, hi = problem.matrix()
    lb, ub = problem.bounds()
    integer = problem.integrality()
    instance = load_instance(folder)
    for j, values in enumerate(o.plans):
        assert values is not None, f"plan {j} not found"
        activity = a @ values
        assert np.all(activity >= lo - TOL) and np.all(activity <= hi + TOL), f"plan {j} breaks a row"
        assert np.all(values >= lb - TOL) and np.all(values <= ub + TOL), f"plan {j} breaks a bound"
        assert np.allclose(values[integer], np.round(values[integer]), atol=TOL)
        z = o.objective.of(values, integer)
        assert budget.holds(o.objective, z, o.z_star, slack), f"plan {j}: {z} outside the slack of {o.z_star}"
        assert z == o.alternatives["objective"].iloc[j]
        alloc = extract.allocation(prep, values)
        check(instance, alloc, extract.summary(prep, alloc), z)
        summary = extract.summary(prep, alloc)
        for r in o.ranges.itertuples():
            row = summary[(summary["level"] == r.level) & (summary["region"] == r.region) & (summary["claim"] == r.claim)]
            got = float(row["allocated_ha"].iloc[0]) if len(row) else 0.0
            assert r.min_ha - TOL <= got <= r.max_ha + TOL, f"plan {j}: {r.region} {r.claim} {got} outside [{r.min_ha}, {r.max_ha}]"
    assert (o.ranges["min_ha"] <= o.ranges["optimum_ha"] + TOL).all() and (o.ranges["optimum_ha"] <= o.ranges["max_ha"] + TOL).all()

"""Property-based tests: random small instances solved at gap 0.

Every solution passes the independent checker, which also recomputes the objective;
adding a constraint never improves the optimum; relaxing a floor never worsens it; the
row forms of the zoning rows (merged or edge, links pairwise, merged or aggregated), the aggregation of
units and the LP-first path give one optimum (divisible claims, stacking ones too, counting by presence, and
no net loss with or without ``additional`` among the draws);
``--gap 0`` is proven (status optimal) in every sense.
"""
import copy
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruimtepuzzel.model.formulation import zoning
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.pipeline import compute
from ruimtepuzzel.model.solve.stages import solve_options

from .checker import check
from .helpers import write_instance

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
TOL = 1e-6


@st.composite
def instances(draw, senses=("max_value",)):
    nx, ny = draw(st.integers(2, 4)), draw(st.integers(1, 3))
    cells = [(i, j) for i in range(nx) for j in range(ny)]
    n = len(cells)
    attr = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    area = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=n, max_size=n))
    zone = draw(st.lists(st.sampled_from(["Z1", "Z2"]), min_size=n, max_size=n))
    existing = draw(st.lists(st.sampled_from([None, None, None, "3.1", "4.1", "5.1"]), min_size=n, max_size=n))
    use = draw(st.lists(st.sampled_from(["farm", "farm", "housing", "business_park"]), min_size=n, max_size=n))
    cost = draw(st.lists(st.sampled_from([5, 50, 500]), min_size=n, max_size=n))
    units = [{"unit_id": f"c{i}_{j}", "area_ha": a, "province": "A" if i < nx / 2 else "B", "x": 50 + 100 * i, "y": 50 + 100 * j,
              "cell_m": 100, "soil": s, "zone": z, "cat": e, "current_use": u, "cost_m2": c}
             for (i, j), a, s, z, e, u, c in zip(cells, area, attr, zone, existing, use, cost)]
    value = st.integers(1, 10)
    claims = {"housing": {"value_per_ha": draw(value), "sensitive": True, "divisible": draw(st.booleans())},
              "industry": {"value_per_ha": draw(value), "env_category": draw(st.sampled_from(["3.1", "4.1", "5.1"])),
                           "divisible": draw(st.booleans())},
              "business": {"value_per_ha": draw(value)}}
    if draw(st.booleans()):
        claims["business"]["min_site_ha"] = draw(st.sampled_from([1.5, 2.5, 4.0]))
    if draw(st.booleans()):
        claims["solar"] = {"value_per_ha": draw(value), "stacks_on": draw(st.sampled_from([["business"], ["housing", "business"]])),
                           "area_factor": draw(st.sampled_from([0.5, 1.0]))}
    rules = []
    for claim in draw(st.lists(st.sampled_from(list(claims)), max_size=2, unique=True)):
        rule = {"name": f"r-{claim}", "claims": [claim], "attr": "soil", "op": draw(st.sampled_from(["==", ">", "<"])),
                "value": draw(st.integers(0, 3)), "effect": draw(st.sampled_from(["exclude", "penalty"]))}
        if rule["effect"] == "penalty":
            rule["per_ha"] = draw(st.integers(1, 5))
        rules.append(rule)
    demand = []
    for claim in draw(st.lists(st.sampled_from(list(claims)), max_size=3, unique=True)):
        region = draw(st.sampled_from(["A", "B", None]))
        row = {"level": "national"} if region is None else {"level": "province", "region": region}
        row.update(claim=claim, min_ha=draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])))
        if draw(st.booleans()):
            row["max_ha"] = row["min_ha"] + draw(st.sampled_from([0.0, 1.0, 2.0]))
        demand.append(row)
    zoning = {"distance_m": {"3.1": 50, "4.1": 150, "5.1": 250}}
    if draw(st.booleans()):
        zoning.update(existing_category_attr="cat", sensitive_uses=["housing"],
                      existing_links=draw(st.sampled_from(["auto", "pairwise", "aggregated"])))
    config = {"claims": claims, "rules": rules, "demand": demand, "env_zoning": zoning,
              "objective": {"sense": draw(st.sampled_from(senses)), "shortfall_penalty_per_ha": draw(st.sampled_from([20, 1000]))},
              "solver": {"aggregate": draw(st.booleans())}}
    if draw(st.booleans()):
        config["resources"] = {"grid": {"zone_attr": "zone", "per_ha": {"industry": 2.0, "business": 1.0},
                                        "cap": {"Z1": draw(st.integers(0, 4)), "Z2": draw(st.integers(0, 4))}}}
    if draw(st.booleans()):
        config["balance"] = [{"level": "province", "work_claims": ["business", "industry"], "housing_claim": "housing",
                              "work_ha_per_housing_ha": 0.5, "penalty_per_ha": 3}]
    if draw(st.booleans()):
        config["compensation"] = {"level": "province", "business_use": "business_park", "work_claims": ["business", "industry"]}
    if draw(st.booleans()):
        config["budget"] = {"cost_attr": "cost_m2", "max_relocation_eur_per_m2": 100}
    # drawn last, so that the draws above give the instances they gave before these were added
    if "solar" in claims:
        claims["solar"].update(divisible=draw(st.booleans()), sensitive=draw(st.booleans()))
    if "compensation" in config:
        config["compensation"]["additional"] = draw(st.booleans())
    return config, units


def solved(config, units):
    """Optimum at gap 0, checked independently (the checker recomputes the objective); no run folder is written."""
    with tempfile.TemporaryDirectory() as tmp:
        inst = load_instance(write_instance(Path(tmp) / "inst", config, units))
        run = compute(inst, solve_options(inst, gap=0.0, time_limit=60))
        assert run.result.status == "optimal", f"gap 0 not proven: {run.result.status}, gap {run.result.gap}"
        check(run.instance, run.allocation, run.summary, run.result.objective)
        return run.result.objective, run.summary


def with_changes(config, **changes):
    new = copy.deepcopy(config)
    for path, value in changes.items():
        node = new
        *parents, last = path.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return new


@SETTINGS
@given(instances(senses=("max_value", "min_cost", "min_shortfall", "max_min_fulfilment")))
def test_every_sense_is_proven_at_gap_0_and_passes_the_checker(case):
    solved(*case)


@pytest.mark.slow  # 30 cases × four solves each (three link forms, aggregated): about 30 s of CPU
@SETTINGS
@given(instances(senses=("max_value", "min_cost", "min_shortfall")))
def test_link_forms_and_aggregation_give_one_optimum(case):
    config, units = case
    base, _ = solved(with_changes(config, solver__aggregate=False, env_zoning__existing_links="pairwise"), units)
    for links, aggregate in (("aggregated", False), ("auto", True), ("aggregated", True)):
        other, _ = solved(with_changes(config, solver__aggregate=aggregate, env_zoning__existing_links=links), units)
        assert other == pytest.approx(base, abs=1e-6, rel=1e-9)
    try:  # the new-new rows in their edge form, and the LP-first path, on the same instance
        zoning.MERGE = False
        edges, _ = solved(with_changes(config, solver__aggregate=False), units)
    finally:
        zoning.MERGE = True
    lp_first, _ = solved(with_changes(config, solver__aggregate=False, solver__strategy="lp_first"), units)
    assert edges == pytest.approx(base, abs=1e-6, rel=1e-9) and lp_first == pytest.approx(base, abs=1e-6, rel=1e-9)


@SETTINGS
@given(instances(), st.data())
def test_adding_a_ceiling_never_improves_the_optimum(case, data):
    config, units = case
    base, summary = solved(config, units)
    tighter = copy.deepcopy(config)
    claim = data.draw(st.sampled_from(list(config["claims"])))
    used = float(summary.query("level == 'national' and claim == @claim")["allocated_ha"].sum())
    tighter["demand"] = tighter["demand"] + [{"level": "national", "claim": claim, "max_ha": max(used - 1.0, 0.0)}]
    assert solved(tighter, units)[0] <= base + TOL


@SETTINGS
@given(instances(), st.data())
def test_relaxing_a_floor_never_worsens_the_optimum(case, data):
    config, units = case
    floors = [i for i, d in enumerate(config["demand"]) if d.get("min_ha")]
    if not floors:
        return
    base, _ = solved(config, units)
    relaxed = copy.deepcopy(config)
    row = relaxed["demand"][data.draw(st.sampled_from(floors))]
    row["min_ha"] = row["min_ha"] / 2
    assert solved(relaxed, units)[0] >= base - TOL


@SETTINGS
@given(instances())
def test_adding_a_zoning_distance_never_improves_the_optimum(case):
    config, units = case
    base, _ = solved(config, units)
    wider = copy.deepcopy(config)
    wider["env_zoning"]["distance_m"] = {k: v + 100 for k, v in config["env_zoning"]["distance_m"].items()}
    assert solved(wider, units)[0] <= base + TOL

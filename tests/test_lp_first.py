"""The LP-first strategy (solvers/lp_first.py) proves the same optima as the direct MIP solve."""
import copy
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from ruimtepuzzel.model.errors import InfeasibleError
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.pipeline import compute, solve_instance
from ruimtepuzzel.model.solve.stages import solve_options
from ruimtepuzzel.solvers import lp_first as strategy_lp_first
from ruimtepuzzel.solvers.base import run_in_worker

from .checker import check
from .helpers import row_units, solve, write_instance
from .test_properties import instances


def lp_first(config: dict) -> dict:
    return {**config, "solver": {**config.get("solver", {}), "strategy": "lp_first"}}


def solver_lines(run) -> list[str]:
    return [line for line in (run.out / "solver.log").read_text().splitlines() if line.startswith("ruimtepuzzel:")]


def test_an_integral_relaxation_is_the_optimum(tmp_path):
    # housing worth 10 on each of 3 cells, a floor of 2 ha and a ceiling of 3: the relaxation is integral (30)
    config = lp_first({"claims": {"housing": {"value_per_ha": 10}},
                       "demand": [{"level": "national", "claim": "housing", "min_ha": 2, "max_ha": 3}]})
    run = solve(tmp_path, config, row_units(3))
    assert run.result.objective == pytest.approx(30) and run.result.gap == 0
    assert "0 of 3 integer columns fractional in the relaxation" in solver_lines(run)[1]


def test_a_fractional_relaxation_goes_through_the_sub_mip_or_the_full_mip(tmp_path):
    # a ceiling of 1.5 ha on 1 ha cells: the relaxation takes 1.5 cells (15); the optimum is 1 cell (10)
    config = lp_first({"claims": {"housing": {"value_per_ha": 10}},
                       "demand": [{"level": "national", "claim": "housing", "max_ha": 1.5}]})
    run = solve(tmp_path, config, row_units(3))
    assert run.result.objective == pytest.approx(10) and run.result.status == "optimal"
    assert run.result.bound == pytest.approx(10)  # the full MIP proved it; the relaxation alone says 15
    assert "1 of 3 integer columns fractional in the relaxation" in solver_lines(run)[1]


def test_an_infeasible_relaxation_is_diagnosed(tmp_path):
    config = lp_first({"claims": {"industry": {"value_per_ha": 1}},
                       "resources": {"grid": {"zone_attr": "zone", "per_ha": {"industry": 3}, "cap": {"Z": 1}, "unit": "MW"}},
                       "locked": [{"unit_id": "u1", "claim": "industry"}]})
    folder = write_instance(tmp_path / "inst", config, row_units(2, zone="Z"))
    with pytest.raises(InfeasibleError, match="the grid cap of 1.0 MW in zone Z"):
        solve_instance(folder, out=tmp_path / "run", time_limit=30)


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(instances(senses=("max_value", "min_cost", "min_shortfall", "max_min_fulfilment")))
def test_the_same_optimum_as_the_direct_solve(case):
    config, units = case
    optima = []
    for strategy in ("direct", "lp_first"):
        changed = copy.deepcopy(config)
        changed["solver"] = {**changed.get("solver", {}), "strategy": strategy}
        with tempfile.TemporaryDirectory() as tmp:
            inst = load_instance(write_instance(Path(tmp) / "inst", changed, units))
            run = compute(inst, solve_options(inst, gap=0.0, time_limit=60))
            assert run.result.status == "optimal"
            check(run.instance, run.allocation, run.summary, run.result.objective)
            optima.append(run.result.objective)
    assert optima[1] == pytest.approx(optima[0], abs=1e-6, rel=1e-9)


def test_an_infeasible_sub_mip_is_widened_and_the_optimum_still_proven(tmp_path):
    # logistics (10/ha) needs sites of 3 ha but may take at most 2.5 ha: no logistics at all, 4 cells of housing (4).
    # The relaxation takes cells of logistics whole; fixed, they cannot form a site: the sub-MIP is infeasible until
    # the columns of their local rows are freed. Without the site cuts: they would keep the relaxation from such cells
    config = lp_first({"claims": {"logistics": {"value_per_ha": 10, "min_site_ha": 3}, "housing": {"value_per_ha": 1}},
                       "demand": [{"level": "national", "claim": "logistics", "max_ha": 2.5}]})
    config["solver"]["site_cuts"] = False
    run = solve(tmp_path, config, row_units(4))
    assert run.result.objective == pytest.approx(4) and run.result.status == "optimal" and run.result.gap <= 1e-9
    assert any("sub-MIP around the relaxation" in line and line.endswith(": infeasible") for line in solver_lines(run))
    check(run.instance, run.allocation, run.summary, run.result.objective)


def test_site_cuts_tighten_the_relaxation_to_the_optimum(tmp_path):
    # two cells; logistics (10/ha) needs a 2 ha site, so both cells or none; housing (30/ha) may only go on u2 and
    # at most 1 ha. The flow's relaxation takes u1 as a one-cell site beside housing on u2 (40); the cut
    # x[u1, logistics] ≤ x[u2, logistics] leaves housing alone (30), which is the optimum
    config = lp_first({"claims": {"logistics": {"value_per_ha": 10, "min_site_ha": 2}, "housing": {"value_per_ha": 30}},
                       "rules": [{"name": "no-housing", "claims": ["housing"], "attr": "no_housing", "op": "==", "value": True}],
                       "demand": [{"level": "national", "claim": "housing", "max_ha": 1}]})
    run = solve(tmp_path, config, row_units(2, no_housing=[True, False]))
    assert run.result.objective == pytest.approx(30) and run.result.bound == pytest.approx(30)
    lines = solver_lines(run)
    assert "bound 30 " in lines[0] and "site cuts in the relaxation: 1 in 1 round(s)" in lines[1]
    assert "0 of 5 integer columns fractional" in lines[2]  # the tightened relaxation is integral
    config["solver"]["site_cuts"] = False
    without = solve(tmp_path / "without", config, row_units(2, no_housing=[True, False]))
    assert without.result.objective == pytest.approx(30)
    assert "bound 40 " in solver_lines(without)[0]


def test_a_sub_mip_places_whole_sites_without_the_site_flow(tmp_path):
    # logistics (10/ha, sites of 3 ha) may take at most 4.5 ha of a row of 6 cells; housing 1/ha. The relaxation
    # takes 4.5 cells (46.5); the sub-MIP, which leaves the site flow out, must still place one whole site of
    # 4 cells (40 + 2 of housing = 42); the flow is filled in and the checker finds every site large enough
    config = lp_first({"claims": {"logistics": {"value_per_ha": 10, "min_site_ha": 3}, "housing": {"value_per_ha": 1}},
                       "demand": [{"level": "national", "claim": "logistics", "max_ha": 4.5}],
                       "solver": {"mip_rel_gap": 0.2}})
    run = solve(tmp_path, config, row_units(6))
    assert run.result.objective == pytest.approx(42)
    lines = solver_lines(run)
    assert "rows of the site flow left to the sub-MIPs" in lines[0]
    assert any("sub-MIP around the relaxation" in line and "site cuts): 42," in line for line in lines)
    check(run.instance, run.allocation, run.summary, run.result.objective)


def test_the_worker_shares_the_relaxation_bound_and_the_sub_mip_allocation(tmp_path):
    # what a killed worker would leave behind: the state holds the LP bound and the allocation the stages found
    import multiprocessing as mp

    import numpy as np

    from ruimtepuzzel.model.formulation import formulate
    from ruimtepuzzel.model.prepare.pairs import prepare
    from ruimtepuzzel.solvers.base import run_in_worker
    from ruimtepuzzel.solvers.highs import STATE, solve_here

    config = lp_first({"claims": {"housing": {"value_per_ha": 10}},
                       "demand": [{"level": "national", "claim": "housing", "max_ha": 1.5}]})
    folder = write_instance(tmp_path / "inst", config, row_units(3))
    inst = load_instance(folder)
    prob = formulate(prepare(inst))
    incumbent, state = mp.RawArray("d", prob.n_cols), mp.RawArray("d", STATE)
    state[1] = state[3] = np.inf

    def worker(conn):  # HiGHS must not start its threads in the test process, which forks solvers later
        conn.send(solve_here(prob, solve_options(inst, time_limit=30), incumbent=incumbent, state=state))

    answer, killed = run_in_worker(worker, (), 60)
    assert not killed and answer["objective"] == pytest.approx(10)
    assert state[2] == 1.0 and state[0] == pytest.approx(10)
    assert np.isfinite(state[1]) and state[1] >= 10 - 1e-9
    assert np.frombuffer(incumbent)[np.asarray(prob.integrality(), bool)].sum() == pytest.approx(1)


def test_a_relaxation_out_of_memory_ends_the_solve_without_the_larger_mip(tmp_path, monkeypatch):
    from ruimtepuzzel.model.formulation import formulate
    from ruimtepuzzel.model.prepare.pairs import prepare
    from ruimtepuzzel.solvers import lp_first as strategy

    folder = write_instance(tmp_path / "inst", lp_first({"claims": {"housing": {"value_per_ha": 10}}}), row_units(2))
    inst = load_instance(folder)
    prob = formulate(prepare(inst))
    monkeypatch.setattr(strategy, "_relaxation", lambda *a: {"status": "Memory limit reached"})
    ran = []
    answer = strategy.solve(prob, solve_options(inst), lambda opts: None, lambda *a: ran.append(a))
    assert answer["status"] == "error" and "out of memory" in answer["message"] and not ran


def test_a_model_too_large_for_the_full_mip_answers_with_the_sub_mip_and_the_relaxation_bound(tmp_path, monkeypatch):
    # the ceiling case above: the sub-MIP's 10 is 33 % below the relaxation's 15; the full MIP that would prove 10
    # is not tried when the model is above the size limit, so the answer is the sub-MIP's allocation at that gap
    from ruimtepuzzel.model.formulation import formulate
    from ruimtepuzzel.model.prepare.pairs import prepare
    from ruimtepuzzel.solvers import highs
    from ruimtepuzzel.solvers import lp_first as strategy
    from ruimtepuzzel.solvers.base import run_in_worker

    config = lp_first({"claims": {"housing": {"value_per_ha": 10}},
                       "demand": [{"level": "national", "claim": "housing", "max_ha": 1.5}]})
    inst = load_instance(write_instance(tmp_path / "inst", config, row_units(3)))
    prob = formulate(prepare(inst))
    monkeypatch.setattr(strategy, "FULL_MIP_MAX_NONZEROS", 0)  # the worker is forked: it sees the patch

    def worker(conn):  # HiGHS must not start its threads in the test process, which forks solvers later
        stages, lines = [], []

        def run(h, opts, columns, bound=None):
            stages.append(columns is prob)
            h.setOptionValue("time_limit", 30.0)
            return highs._run(h, columns, opts, None, None, bound)

        answer = strategy.solve(prob, solve_options(inst, gap=0.0), highs._new_highs, run, log=lines.append)
        conn.send({**answer, "values": None, "stages": stages, "lines": lines})

    answer, killed = run_in_worker(worker, (), 60)
    assert not killed
    assert answer["status"] == "time_limit" and answer["objective"] == pytest.approx(10) and answer["bound"] == pytest.approx(15)
    assert answer["stages"] and not any(answer["stages"])  # sub-MIPs only, never the whole problem
    assert any("is not tried" in line for line in answer["lines"])


def test_a_sub_mip_frees_the_idle_columns_of_a_floor(tmp_path):
    # a business floor of 2.5 ha on a row of 4 cells, u1–u2 business fixed, u3 free: a whole extra cell may only
    # come from u4, and only while u4 is not fixed to housing (its single-use row would break)
    import numpy as np

    from ruimtepuzzel.model.formulation import formulate
    from ruimtepuzzel.model.prepare.pairs import prepare
    from ruimtepuzzel.solvers import lp_first as strategy

    config = {"claims": {"business": {"value_per_ha": 1}, "housing": {"value_per_ha": 2}},
              "demand": [{"level": "national", "claim": "business", "min_ha": 2.5}]}
    prep = prepare(load_instance(write_instance(tmp_path / "inst", config, row_units(4))))
    prob = formulate(prep)
    m = strategy.Model.of(prob, frozenset())
    pair = {(prep.units["unit_id"].iloc[u], k): j for j, (u, k) in enumerate(zip(prep.pairs["unit"], prep.pairs["claim"].astype(str)))}
    free = ~m.integer
    free[pair["u3", "business"]] = True
    value = np.zeros(prob.n_cols)
    value[[pair["u1", "business"], pair["u2", "business"], pair["u4", "housing"]]] = 1.0
    assert strategy._spare_floor_columns(m, free, value, prob.sense).tolist() == []
    value[pair["u4", "housing"]] = 0.0
    assert strategy._spare_floor_columns(m, free, value, prob.sense).tolist() == [pair["u4", "business"]]


def test_auto_goes_lp_first_for_divisible_minimum_sites_from_their_size_on():
    import pandas as pd

    from ruimtepuzzel.model.formulation import presence
    from ruimtepuzzel.model.problem import INF, Problem
    from ruimtepuzzel.solvers.base import SolveOptions

    def problem(n, share_sites):
        p = Problem()
        z = p.add_vars("presence", pd.DataFrame({"i": range(n)}), 0.0, 1.0, integer=True)
        name = presence.SHARE_BLOCK if share_sites else presence.LINK_BLOCK
        p.add_rows(presence.FAMILY, name, pd.DataFrame({"i": [0]}), [0], [z[0]], [1.0], -INF, 1.0)
        return p

    auto = SolveOptions()
    assert strategy_lp_first.wanted(problem(strategy_lp_first.AUTO_MIN_SHARE_SITE_INTEGERS, True), auto)
    assert not strategy_lp_first.wanted(problem(strategy_lp_first.AUTO_MIN_SHARE_SITE_INTEGERS - 1, True), auto)
    assert not strategy_lp_first.wanted(problem(strategy_lp_first.AUTO_MIN_SHARE_SITE_INTEGERS, False), auto)
    assert strategy_lp_first.wanted(problem(strategy_lp_first.AUTO_MIN_INTEGERS, False), auto)


def test_minimum_sites_of_shares_end_with_the_mip_without_the_site_flow(tmp_path):
    # 5 cells; housing only on u3, worth 100; logistics (divisible, 10/ha, sites of 2.5 ha) anywhere. The relaxation
    # says 140 (housing on u3, logistics on the two 2 ha pieces beside it); the sub-MIP around it finds 50 (logistics
    # everywhere). Not the full MIP with the site flow (its root ignores time limits on large models) but the MIP of
    # every integer column without the flow, its sites repaired, finds the optimum 100 (housing on u3 alone) and proves
    # it: its bound is one of the full problem (a relaxation with valid cuts).
    from .test_min_site_divisible import bridge_config

    config = lp_first({**bridge_config(False), "solver": {"mip_rel_gap": 0.0}})
    run = solve(tmp_path, config, row_units(5, bridge=[False, False, True, False, False]))
    assert run.result.status == "optimal" and run.result.objective == pytest.approx(100)
    assert run.result.bound == pytest.approx(100)
    lines = solver_lines(run)
    assert any(line.endswith("the MIP without the site flow: 100, bound 100") for line in lines), lines
    assert "LP relaxation: bound 140" in lines[0]


def solved_again_from_its_optimum(folder, log) -> dict:
    """The instance solved, then solved again with that optimum as the start (logged to ``log``), in a forked worker
    (HiGHS must not run in the test process): both answers' objectives, the second's status, message and start."""
    instance = load_instance(folder)

    def run(conn):
        import dataclasses

        from ruimtepuzzel.model.formulation import formulate
        from ruimtepuzzel.model.prepare.pairs import prepare
        from ruimtepuzzel.solvers.highs import solve_here

        problem = formulate(prepare(instance))
        base = solve_here(problem, solve_options(instance))
        again = solve_here(problem, dataclasses.replace(solve_options(instance), start=base["values"], log_path=log))
        conn.send({"base": base["objective"], "objective": again["objective"], "status": again["status"],
                   "message": again["message"], "start": again["start"]})

    message, killed = run_in_worker(run, (), 120.0)
    assert not killed and message is not None
    return message


def test_a_start_joins_the_first_sub_mip(tmp_path):
    # The same five cells, started from the optimum (housing on u3: 100) at gap 0: the relaxation's bound (140) does
    # not prove it, so the first sub-MIP frees where the start and the relaxation disagree (RINS) and starts from it.
    from .test_min_site_divisible import bridge_config

    config = lp_first({**bridge_config(False), "solver": {"mip_rel_gap": 0.0}})
    folder = write_instance(tmp_path / "inst", config, row_units(5, bridge=[False, False, True, False, False]))
    log = tmp_path / "solver.log"
    message = solved_again_from_its_optimum(folder, log)
    assert message["base"] == pytest.approx(100)
    assert message["status"] == "optimal" and message["objective"] == pytest.approx(100)
    assert message["start"].startswith("full start")
    lines = [line for line in log.read_text().splitlines() if line.startswith("ruimtepuzzel:")]
    assert any("a start: " in line and "disagree freed too" in line for line in lines), lines


def test_a_start_within_the_gap_of_the_relaxation_is_the_answer(tmp_path):
    # 100 cells of 1 ha worth 10, a ceiling of 50.5 ha: the relaxation says 505, the optimum is 500 (50 cells), within
    # the 1 % gap of it. Started from that optimum, LP-first answers with the start after the relaxation, no sub-MIP.
    config = lp_first({"claims": {"housing": {"value_per_ha": 10}},
                       "demand": [{"level": "national", "claim": "housing", "max_ha": 50.5}],
                       "solver": {"mip_rel_gap": 0.01}})
    folder = write_instance(tmp_path / "inst", config, row_units(100))
    log = tmp_path / "solver.log"
    message = solved_again_from_its_optimum(folder, log)
    assert message["base"] == pytest.approx(500)
    assert message["status"] == "optimal" and message["objective"] == pytest.approx(500)
    assert message["message"] == "optimal within the gap (against the LP bound; the start)"
    assert "sub-MIP around the relaxation" not in log.read_text()

"""Separator cuts for minimum sites (model/formulation/site_cuts.py): valid on every allocation whose sites are
large enough, and found for every allocation with a site too small."""
import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruimtepuzzel.model.formulation.site_cuts import SiteCuts


def grid(rows: int, cols: int, area, minimum: float) -> SiteCuts:
    g = nx.grid_2d_graph(rows, cols)
    index = {node: i for i, node in enumerate(sorted(g.nodes))}
    tail = np.array([index[a] for a, b in g.edges])
    head = np.array([index[b] for a, b in g.edges])
    n = rows * cols
    both_tail, both_head = np.concatenate([tail, head]), np.concatenate([head, tail])  # as min_site lays out its flow
    none = np.empty(0, np.int64)
    # columns 10, 11, ...: the cuts must name the model's columns, not positions (no flow columns here)
    return SiteCuts("logistics", np.arange(10, 10 + n), np.asarray(area, float), minimum, none, none,
                    np.full(len(both_tail), -1), both_tail, both_head)


def sites_ok(cuts: SiteCuts, chosen: np.ndarray) -> bool:
    g = nx.Graph()
    g.add_nodes_from(np.flatnonzero(chosen))
    g.add_edges_from((int(u), int(v)) for u, v in zip(cuts.tail, cuts.head) if chosen[u] and chosen[v])
    return all(cuts.area[list(c)].sum() >= cuts.minimum - 1e-9 for c in nx.connected_components(g))


def point(cuts: SiteCuts, values) -> np.ndarray:
    x = np.zeros(10 + len(cuts.cols))
    x[cuts.cols] = values
    return x


def rows_of(found):
    indptr, cols, vals = found
    return [(cols[indptr[i]:indptr[i + 1]], vals[indptr[i]:indptr[i + 1]]) for i in range(len(indptr) - 1)]


def test_a_lone_cell_is_cut_by_its_neighbours():
    # a 1×4 row, sites of 2 ha: cell 0 alone violates x0 − x1 ≤ 0
    cuts = grid(1, 4, np.ones(4), 2.0)
    [(cols, vals)] = rows_of(cuts.separate(point(cuts, [1, 0, 0, 0]), set()))
    assert dict(zip(cols.tolist(), vals.tolist())) == {10: 1.0, 11: -1.0}


def test_a_cut_is_found_once():
    cuts = grid(1, 4, np.ones(4), 2.0)
    seen = set()
    assert len(rows_of(cuts.separate(point(cuts, [1, 0, 0, 0]), seen))) == 1
    assert rows_of(cuts.separate(point(cuts, [1, 0, 0, 0]), seen)) == []


def test_a_unit_as_large_as_a_site_is_never_cut():
    cuts = grid(1, 3, [3.0, 1.0, 1.0], 3.0)
    assert rows_of(cuts.separate(point(cuts, [1, 0, 0]), set())) == []


def test_a_fractional_single_cell_site_is_cut_and_a_whole_site_is_not():
    # the root-flow relaxation allows a lone cell (its root r = 1/M); the cuts do not, whatever its neighbours hold
    cuts = grid(3, 3, np.ones(9), 4.0)
    lone = np.zeros(9)
    lone[4] = 1.0
    lone[[1, 3]] = 0.3  # two neighbours partly: still short of a site
    assert rows_of(cuts.separate(point(cuts, lone), set()))
    square = np.zeros(9)
    square[[0, 1, 3, 4]] = 1.0
    assert rows_of(cuts.separate(point(cuts, square), set())) == []


@pytest.mark.parametrize("shape,minimum", [((3, 3), 3.0), ((2, 4), 4.0), ((1, 6), 2.5)])
def test_on_every_integer_point_cuts_exist_exactly_when_a_site_is_too_small(shape, minimum):
    rows, cols = shape
    n = rows * cols
    area = np.where(np.arange(n) % 3 == 0, 0.5, 1.0)  # clipped border cells: sites of more cells than L
    cuts = grid(rows, cols, area, minimum)
    for bits in itertools.product((0, 1), repeat=n):
        chosen = np.array(bits, bool)
        found = rows_of(cuts.separate(point(cuts, chosen.astype(float)), set()))
        assert bool(found) == (not sites_ok(cuts, chosen)), bits


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(2, 4), st.integers(2, 4), st.floats(1.5, 5.0), st.data())
def test_every_cut_from_any_point_holds_on_every_allowed_allocation(rows, cols, minimum, data):
    # separation from fractional points must only ever produce valid inequalities
    n = rows * cols
    area = np.array(data.draw(st.lists(st.sampled_from([0.5, 1.0, 1.5]), min_size=n, max_size=n)))
    cuts = grid(rows, cols, area, minimum)
    x = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    found = rows_of(cuts.separate(point(cuts, x), set()))
    feasible = [np.array(b, float) for b in itertools.product((0, 1), repeat=n) if sites_ok(cuts, np.array(b, bool))]
    for cols_, vals in found:
        for chosen in feasible:
            assert vals @ point(cuts, chosen)[cols_] <= 1e-9


def test_phased_cuts_name_each_period_columns():
    cuts = grid(1, 3, np.ones(3), 2.0)
    later = cuts.remapped(lambda cols: cols + 100)
    x = np.zeros(120)
    x[later.cols] = [1, 0, 0]
    [(cols, _)] = rows_of(later.separate(x, set()))
    assert set(cols.tolist()) == {110, 111}


@pytest.mark.parametrize("chosen", [[1, 1, 0, 1, 1, 1], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0], [0, 1, 1, 1, 0, 0]])
def test_the_site_flow_of_an_allocation_with_large_sites_satisfies_every_site_row(tmp_path, chosen):
    # the LP-first solver leaves the site flow out of its sub-MIPs and fills it in afterwards: the flow it fills in
    # must satisfy every row of the family (conservation, caps, supply, roots) for any allocation with sites ≥ L
    from ruimtepuzzel.model.formulation import formulate
    from ruimtepuzzel.model.inputs.instance import load_instance
    from ruimtepuzzel.model.prepare.pairs import prepare

    from .helpers import row_units, write_instance

    units = row_units(6, area_ha=[1.0, 1.5, 1.0, 0.5, 1.0, 1.0])
    config = {"claims": {"logistics": {"value_per_ha": 1, "min_site_ha": 2}}}
    prep = prepare(load_instance(write_instance(tmp_path / "i", config, units)))
    prob = formulate(prep)
    [sites] = prob.separators
    values = np.zeros(prob.n_cols)
    values[sites.cols] = chosen
    sites.complete(values)
    a, lo, hi = prob.matrix(fmt="csr")
    site_rows = np.concatenate([np.arange(b.start, b.start + b.size) for b in prob.blocks if b.family == "min_site"])
    activity = a[site_rows] @ values
    assert (activity >= lo[site_rows] - 1e-9).all() and (activity <= hi[site_rows] + 1e-9).all()
    lb, ub = prob.bounds()
    assert (values >= lb - 1e-9).all() and (values <= ub + 1e-9).all()
    assert values[sites.root].sum() == (2 if chosen == [1, 1, 0, 1, 1, 1] else int(any(chosen)))


def test_a_site_fixed_too_small_is_freed_with_its_neighbours():
    # a 1×7 row, sites of 3 ha: cells 0–1 fixed allocated, 2 fixed unallocated, 3 free, 4–6 fixed allocated. The
    # fixed site 0–1 is below 3 ha: it and its neighbour 2 are freed. The fixed site 4–6 is whole and stays
    cuts = grid(1, 7, np.ones(7), 3.0)
    free = np.zeros(17, bool)
    free[13] = True
    value = point(cuts, [1, 1, 0, 0, 1, 1, 1])
    assert sorted(cuts.stranded(free, value).tolist()) == [10, 11, 12]
    free[[10, 11, 12]] = True
    assert cuts.stranded(free, value).tolist() == []


@pytest.mark.parametrize("shape,area,minimum", [((1, 7), [1, 1, 1, 1, 0.9, 1, 1], 5.0), ((2, 4), [1, 0.5, 1, 0.5, 1, 1, 0.5, 1], 3.0)])
def test_the_cuts_a_sub_mip_gets_describe_the_allowed_allocations_exactly(shape, area, minimum):
    # with every column free, the enumerated cuts hold on an allocation exactly when its sites are large enough,
    # including five clipped cells of 4.9 ha against sites of 5 ha
    rows, cols = shape
    n = rows * cols
    cuts = grid(rows, cols, area, minimum)
    free = np.zeros(10 + n, bool)
    free[cuts.cols] = True
    found = rows_of(cuts.neighbourhood_cuts(free, np.zeros(10 + n), set()))
    for bits in itertools.product((0, 1), repeat=n):
        chosen = np.array(bits, bool)
        x = point(cuts, chosen.astype(float))
        holds = all(vals @ x[cols_] <= 1e-9 for cols_, vals in found)
        assert holds == sites_ok(cuts, chosen), bits

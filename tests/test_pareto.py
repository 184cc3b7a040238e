"""Pareto fronts: monotone, and every point a feasible allocation."""
import pandas as pd
import pytest

from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.pipeline import pareto_instance

from .checker import check
from .helpers import row_units, write_instance


def test_housing_against_business_front_by_hand(tmp_path):
    # 4 cells of 1 ha; a unit takes one claim; zoning keeps business (4.1, 150 m) away from housing.
    # Cells are 100 m wide, so business must be 2+ cells from housing: housing 1 ha leaves business only u4 (1 ha);
    # housing 2 ha (u1, u2) leaves none, and then housing on all 4 dominates. The front: (0, 4), (1, 1), (4, 0).
    config = {"claims": {"housing": {"value_per_ha": 10, "sensitive": True}, "business": {"value_per_ha": 6, "env_category": "4.1"}},
              "env_zoning": {"distance_m": {"4.1": 150}}}
    folder = write_instance(tmp_path / "inst", config, row_units(4))
    table, out = pareto_instance(folder, "housing", "business", points=5, out=tmp_path / "front", gap=0.0)
    assert list(table["status"].unique()) == ["optimal"]
    assert table["housing"].tolist() == pytest.approx([0, 1, 4, 4, 4])  # ε = 0, 1, 2, 3, 4 ha of housing
    assert table["business"].tolist() == pytest.approx([4, 1, 0, 0, 0])
    assert (table["business"].diff().dropna() <= 1e-9).all()  # monotone
    assert (out / "pareto.png").stat().st_size > 1000 and (out / "pareto.csv").exists()
    inst = load_instance(folder)
    allocations = pd.read_csv(out / "pareto_allocations.csv", dtype={"unit_id": str})
    for point, alloc in allocations.groupby("point"):
        check(inst, alloc.drop(columns="point").reset_index(drop=True))  # every point is feasible


def test_unknown_metric_is_an_input_error(tmp_path):
    from ruimtepuzzel.model.errors import InputError

    folder = write_instance(tmp_path / "inst", {"claims": {"housing": {"value_per_ha": 1}}}, row_units(2))
    with pytest.raises(InputError, match="neither 'value', 'cost' nor a claim"):
        pareto_instance(folder, "housing", "nature", out=tmp_path / "f")
    assert not (tmp_path / "f").exists()

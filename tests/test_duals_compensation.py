"""duals.csv: a no-net-loss row is written converted − new work land ≤ rhs; its rhs is that finite bound and a slack row
is not binding."""
import pandas as pd
import pytest

from .helpers import row_units, solve


def test_a_slack_no_net_loss_row_is_not_binding_and_has_its_finite_rhs(tmp_path):
    # u1 a business park, u2 farmland; business (1 per ha) takes both, nothing is converted: 0 − 1 ≤ 0 is slack (divisible
    # claims: an LP, so every row has its dual)
    config = {"claims": {"housing": {"value_per_ha": 0.5, "divisible": True}, "business": {"value_per_ha": 1, "divisible": True}},
              "compensation": {"level": "province", "business_use": "business_park", "work_claims": ["business"]}}
    run = solve(tmp_path, config, row_units(2, current_use=["business_park", "farm"]))
    duals = pd.read_csv(run.out / "duals.csv")
    row = duals[duals["family"] == "compensation"].iloc[0]
    assert row["rhs"] == pytest.approx(0) and row["activity"] == pytest.approx(-1)
    assert not row["binding"] and row["shadow_price"] == 0

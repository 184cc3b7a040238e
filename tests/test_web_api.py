"""The negotiation table's API (`serve`) on hand-checked instances.

The instance: two provinces A and B of three 1-ha cells each; housing is worth 10 per ha,
business 6, and two noise rules cost housing 1 per ha on the noisier cells, so housing is worth
8, 9 and 10 on the first, second and third cell of each province (a unique optimum, no ties).
Each province has a business floor of 1 ha with a shortfall penalty of 100 per ha. By hand,
per province with floor f (ha): f = 0: 27; f = 1: 6 + 9 + 10 = 25; f = 2: 12 + 10 = 22;
f = 3: 18; f = 4: 18 − 100 = −82; with a penalty of 1 and f = 1: all housing, 27 − 1 = 26.
The base optimum is 25 + 25 = 50.
"""
from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from io import BytesIO, StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from ruimtepuzzel.model.errors import InputError  # noqa: E402
from ruimtepuzzel.model.pipeline import solve_instance  # noqa: E402
from ruimtepuzzel.web.app import create_app  # noqa: E402
from ruimtepuzzel.web.parties import read_parties  # noqa: E402
from ruimtepuzzel.web.server import prepare_app  # noqa: E402
from ruimtepuzzel.web.store import Store  # noqa: E402

from .helpers import row_units, write_instance  # noqa: E402

FINAL = ("optimal", "time_limit", "infeasible", "interrupted", "cancelled", "error")
CONFIG = {
    "claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}},
    "demand": [{"level": "province", "region": "A", "claim": "business", "min_ha": 1},
               {"level": "province", "region": "B", "claim": "business", "min_ha": 1}],
    "rules": [{"name": "noisy", "claims": ["housing"], "attr": "noise", "op": ">", "value": 0.5, "effect": "penalty", "per_ha": 1},
              {"name": "noisiest", "claims": ["housing"], "attr": "noise", "op": ">", "value": 1.5, "effect": "penalty", "per_ha": 1}],
    "objective": {"sense": "max_value", "shortfall_penalty_per_ha": 100},
    "solver": {"mip_rel_gap": 0, "time_limit_s": 60},
}
PARTIES = {"parties": [
    {"name": "Rijk", "token": "chair-token-1", "regions": "all", "role": "chair"},
    {"name": "Provincie A", "token": "token-of-A", "regions": ["A"]},
    {"name": "Provincie B", "token": "token-of-B", "regions": ["B"]},
]}
A, B, CHAIR = ({"Authorization": f"Bearer {t}"} for t in ("token-of-A", "token-of-B", "chair-token-1"))


def units():
    a = row_units(3, region="A", noise=[2.0, 1.0, 0.0])
    b = [dict(u, unit_id=f"u{i + 4}", province="B", x=u["x"] + 1000) for i, u in enumerate(row_units(3, region="B", noise=[2.0, 1.0, 0.0]))]
    return a + b


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write_instance(tmp_path_factory.mktemp("table") / "tiny", CONFIG, units())


def wait(client, pid: int, headers=None, timeout: float = 60.0) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        p = client.get(f"/api/proposals/{pid}", headers=headers).json()
        if p["status"] in FINAL:
            return p
        time.sleep(0.05)
    raise AssertionError(f"proposal {pid} still {p['status']} after {timeout} s")


def propose(client, changes, headers=None, **more) -> int:
    r = client.post("/api/proposals", json={"changes": changes, "note": "test", **more}, headers=headers)
    assert r.status_code == 202, r.text
    return r.json()["id"]


@pytest.fixture(scope="module")
def local(tiny, tmp_path_factory):
    """One table for the tests that only add to it (each starts a solver process: shared to keep the tests fast)."""
    with TestClient(create_app(tiny, None, tmp_path_factory.mktemp("local") / "t.sqlite", None)) as client:
        wait(client, 0)
        yield client


@pytest.fixture(scope="module")
def parties(tiny, tmp_path_factory):
    folder = tmp_path_factory.mktemp("parties")
    path = folder / "parties.yaml"
    path.write_text(yaml.safe_dump(PARTIES))
    app, _, _ = prepare_app(tiny, None, "127.0.0.1", folder / "p.sqlite", path)
    with TestClient(app) as client:
        wait(client, 0, CHAIR)
        yield client


def solved_by_cli(tiny: Path, client, pid: int, tmp_path: Path) -> float:
    """The proposal's scenario.yaml solved by `solve --scenario` (gap 0): its objective."""
    scenario = tmp_path / f"proposal-{pid}.yaml"
    scenario.write_text(client.get(f"/api/proposals/{pid}/scenario.yaml").text)
    run = solve_instance(tiny, scenario=str(scenario), out=tmp_path / f"run-{pid}", gap=0.0, time_limit=60)
    return run.result.objective


# ---------------------------------------------------------------------------- known optima


def test_proposals_reach_the_known_optima_and_match_solve(local, tiny, tmp_path):
    assert local.get("/api/health").json() == {"status": "ok"}
    rev0 = wait(local, 0)
    assert rev0["status"] == "optimal" and rev0["objective"] == pytest.approx(50)
    cases = [  # (changes, parent, known optimum, how it is solved)
        ([{"path": "demand[claim=business,region=A].min_ha", "value": 2}], 0, 22 + 25, "patched"),
        ([{"path": "demand[region=B].min_ha", "factor": 3}], 1, 22 + 18, "patched"),  # on top of the first: A 2, B 3
        ([{"path": "demand[0].min_ha", "value": 4}], 0, -82 + 25, "patched"),  # a shortfall the start must repair
        ([{"path": "demand[0].min_ha", "value": 0}], 0, 27 + 25, "fresh"),  # a floor disappears: formulated anew
        ([{"path": "objective.shortfall_penalty_per_ha", "value": 1}], 0, 26 + 26, "patched"),  # all housing, 1 ha short
        ([{"path": "rules[name=noisiest].per_ha", "value": 3}], 0, 50, "fresh"),  # u1 housing 6 = business: same 50
    ]
    ids = []
    for changes, parent, known, path in cases:
        pid = propose(local, changes, parent=parent)
        p = wait(local, pid)
        assert p["status"] == "optimal", p
        assert p["objective"] == pytest.approx(known), (changes, p)
        assert p["path"] == path and p["gap"] == pytest.approx(0)
        ids.append(pid)
    for pid, (_, _, known, _) in zip(ids, cases):
        assert solved_by_cli(tiny, local, pid, tmp_path) == pytest.approx(known)


PROVINCE_VALUE = {0: 27, 1: 25, 2: 22, 3: 18, 4: -82}  # by hand, per province and business floor (module docstring)


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=4))
def test_chains_of_floor_changes_reach_the_known_optima(local, floors):
    """Each proposal builds on the one before (kept re-solves from repaired starts, or afresh when a floor
    appears or disappears); every one has the hand-computed optimum of its floors."""
    parent = 0
    for fa, fb in floors:
        pid = propose(local, [{"path": "demand[0].min_ha", "value": fa}, {"path": "demand[1].min_ha", "value": fb}],
                      parent=parent)
        p = wait(local, pid)
        assert p["status"] == "optimal" and p["objective"] == pytest.approx(PROVINCE_VALUE[fa] + PROVINCE_VALUE[fb]), (fa, fb, p)
        parent = pid


def test_results_tables_difference_and_exports(local, tiny, tmp_path):
    pid = propose(local, [{"path": "demand[0].min_ha", "value": 2}], parent=0)
    p = wait(local, pid)
    by_region = {(r["level"], r["region"], r["claim"]): r for r in p["summary"]}
    assert by_region["province", "A", "business"]["allocated_ha"] == pytest.approx(2)
    assert by_region["province", "A", "business"]["demand_min"] == pytest.approx(2)
    assert p["changed_ha"] == pytest.approx(1) and p["affected"] == ["chair"]

    cells = local.get(f"/api/proposals/{pid}/cells").json()
    assert cells["claims"] == ["housing", "business"]
    assert cells["claim"] == [1, 1, 0, 1, 0, 0] and cells["share"] == [1.0] * 6

    diff = local.get(f"/api/proposals/{pid}/diff").json()
    moved = {(r["region"], r["claim"]): r["change_ha"] for r in diff["rows"] if r["level"] == "province"}
    assert moved == {("A", "business"): 1, ("A", "housing"): -1}
    assert diff["objective_change_pct"] == pytest.approx(100 * (47 - 50) / 50)
    assert diff["sentences"][-1] == "objective −6.0 %" and "A +1.0 ha business" in diff["sentences"]
    assert diff["changed_units"] == [1]

    end = time.monotonic() + 30
    while (prices := local.get(f"/api/proposals/{pid}/duals").json())["message"] == "the shadow prices are being computed":
        assert time.monotonic() < end
        time.sleep(0.05)
    assert {r["family"] for r in prices["rows"]} == {"demand_floor"} and prices["message"] is None

    run = solve_instance(tiny, out=tmp_path / "cli", gap=0.0)
    header = lambda text: text.splitlines()[0]  # noqa: E731
    assert header(local.get(f"/api/proposals/{pid}/allocation.csv").text) == header((run.out / "allocation.csv").read_text())
    assert header(local.get(f"/api/proposals/{pid}/summary.csv").text) == header((run.out / "summary.csv").read_text())
    overlay = yaml.safe_load(local.get(f"/api/proposals/{pid}/scenario.yaml").text)
    assert overlay == {"changes": [{"path": "demand[0].min_ha", "value": 2}]}

    z = local.get(f"/api/proposals/{pid}/run.zip")
    assert z.status_code == 200
    names = {Path(n).name for n in zipfile.ZipFile(BytesIO(z.content)).namelist()}
    assert {"allocation.csv", "summary.csv", "duals.csv", "rules.csv", "manifest.json"} <= names
    manifest = json.loads(next(zipfile.ZipFile(BytesIO(z.content)).read(n) for n in zipfile.ZipFile(BytesIO(z.content)).namelist()
                               if n.endswith("manifest.json")))
    assert manifest["objective"] == pytest.approx(47) and manifest["status"] == "optimal"


def test_table_and_geometry_for_the_page(local):
    t = local.get("/api/table").json()
    assert t["instance"] == "test" and t["current"] == 0 and t["me"] == {"name": "chair", "role": "chair", "regions": "all"}
    assert [c["key"] for c in t["claims"]] == ["housing", "business"] and all(c["color"].startswith("#") for c in t["claims"])
    assert t["regions"] == [{"level": "province", "code": "A", "name": "A"}, {"level": "province", "code": "B", "name": "B"}]
    assert t["proposals"][0]["id"] == 0 and t["proposals"][0]["status"] == "optimal"
    g = local.get("/api/geometry").json()
    assert [f["properties"]["code"] for f in g["regions"]["features"]] == ["A", "B"]
    assert g["units"]["unit_id"] == [f"u{i}" for i in range(1, 7)] and g["units"]["cell_m"] == 100.0
    lon, lat = g["units"]["lon"], g["units"]["lat"]
    assert all(-10 < x < 20 for x in lon) and all(40 < y < 60 for y in lat)  # RD New near the Netherlands
    assert lon[3] > lon[0]  # 1 km east


# ---------------------------------------------------------------------------- refusals


def count(client, headers=None) -> int:
    return len(client.get("/api/table", headers=headers).json()["proposals"])


@pytest.mark.parametrize("body, code, words", [
    ({"changes": [{"path": "demand[claim=housing].min_ha", "value": 5}]}, 422, "no item"),
    ({"changes": [{"path": "demand[0].min_ha", "value": -1}]}, 422, "demand"),
    ({"changes": [{"path": "demand[0].max_ha", "value": 0.5}]}, 422, "below floor"),
    ({"changes": [{"path": "units", "value": "/etc/passwd"}]}, 422, "units"),
    ({"changes": [{"path": "claims.housing.value_per_ha", "value": 99}]}, 422, "claims"),
    ({"changes": [{"path": "demand[0].min_ha"}]}, 422, "value or factor"),
    ({"changes": [{"path": "demand[0].min_ha", "value": "nan"}]}, 422, "finite"),
    ({"changes": [{"path": "demand[0].min_ha", "factor": 2}], "gap": 5}, 422, "gap"),
    ({"changes": [{"path": "demand[0].min_ha", "value": 2}], "parent": 99}, 404, "99"),
    ({"changes": "demand"}, 422, "list"),
])
def test_refused_proposals_store_nothing(local, body, code, words):
    before = count(local)
    r = local.post("/api/proposals", json=body)
    assert r.status_code == code, r.text
    assert words in r.json()["detail"]
    assert count(local) == before


def test_non_finite_json_and_large_bodies_are_refused(local):
    before = count(local)
    r = local.post("/api/proposals", content=b'{"changes": [{"path": "demand[0].min_ha", "value": NaN}]}',
                   headers={"content-type": "application/json"})
    assert r.status_code == 422 and "NaN" in r.json()["detail"]
    r = local.post("/api/proposals", content=b'{"changes": [], "note": "' + b"x" * (1 << 20) + b'"}',
                   headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = local.post("/api/proposals", content=b"{not json")
    assert r.status_code == 422
    assert count(local) == before


def test_unknown_ids_and_states(local):
    assert local.get("/api/proposals/42").status_code == 404
    assert local.get("/api/proposals/42/diff").status_code == 404
    assert local.post("/api/proposals/42/adopt").status_code == 404
    assert local.post("/api/proposals/0/cancel").status_code == 409  # solved already
    assert local.post("/api/proposals/0/solve").status_code == 409
    assert local.post("/api/proposals/0/votes", json={"vote": "maybe"}).status_code == 422


# ---------------------------------------------------------------------------- room to negotiate
#
# Cells are whole (one claim per 1-ha cell). With slack s the budget row keeps the objective at least
# (1 − s)·z*; a range moves only when some plan of the province loses at most s·z* (module docstring):
# from the optimum 25 of a province with business floor 1, business on a second cell loses 3 (22) and
# housing on every cell loses 2 + 100 (a shortfall); with floor 2 (22), business on all three loses 4 (18).


def wait_ranges(client, pid: int, headers=None, timeout: float = 60.0, **query) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = client.get(f"/api/proposals/{pid}/ranges", params=query, headers=headers).json()
        if got["status"] in ("done", "error"):
            return got
        time.sleep(0.05)
    raise AssertionError(f"the ranges of proposal {pid} still {got['status']} after {timeout} s")


def by_key(rows) -> dict:
    return {(r["region"], r["claim"]): (r["optimum_ha"], r["min_ha"], r["max_ha"]) for r in rows}


def test_ranges_of_a_proposal_are_the_hand_computed_ones(local):
    assert local.post("/api/proposals/0/ranges", json={}).json()["slack"] == 0.05  # the default: first level, 5 %
    got = wait_ranges(local, 0)
    assert got["status"] == "done" and got["level"] == "province"
    # z* = 50: 5 % is 2.5, less than the 3 the cheapest move costs; every range is the optimum
    assert by_key(got["rows"]) == {("A", "housing"): (2, 2, 2), ("A", "business"): (1, 1, 1),
                                   ("B", "housing"): (2, 2, 2), ("B", "business"): (1, 1, 1)}
    assert {r["region_name"] for r in got["rows"]} == {"A", "B"} and {r["claim_name"] for r in got["rows"]} == {"housing", "business"}
    # the proposal's own instance (base + changes): business floor 2 in A, z* = 22 + 25 = 47; 10 % is 4.7
    pid = propose(local, [{"path": "demand[0].min_ha", "value": 2}], parent=0)
    assert wait(local, pid)["objective"] == pytest.approx(47)
    with local.websocket_connect("/api/events") as ws:
        assert ws.receive_json()["type"] == "table"
        r = local.post(f"/api/proposals/{pid}/ranges", json={"level": "province", "slack": 0.1})
        assert r.status_code == 202 and r.json()["status"] in ("queued", "solving", "done")
        while True:
            m = ws.receive_json()
            if m["type"] == "ranges" and m.get("status") == "done":
                assert m["id"] == pid
                break
    got = wait_ranges(local, pid)
    assert got["slack"] == 0.1 and got["status"] == "done"
    assert by_key(got["rows"]) == {("A", "housing"): (1, 0, 1), ("A", "business"): (2, 2, 3),
                                   ("B", "housing"): (2, 1, 2), ("B", "business"): (1, 1, 2)}
    assert by_key(wait_ranges(local, 0, level="province", slack=0.05)["rows"])[("A", "business")] == (1, 1, 1)
    assert by_key(local.get("/api/proposals/0/ranges", params={"slack": 0.05}).json()["rows"])[("A", "housing")] == (2, 2, 2)
    national = local.post("/api/proposals/0/ranges", json={"level": "national", "slack": 0.1})
    assert national.status_code == 202
    assert by_key(wait_ranges(local, 0, level="national", slack=0.1)["rows"]) == {("NL", "housing"): (4, 3, 4),
                                                                                    ("NL", "business"): (2, 2, 3)}


def test_alternatives_of_a_proposal_are_the_hand_computed_hsj_plan(local):
    """Plan 1 minimises the area it shares with plan 0 (business on cell 1, housing on cells 2 and 3 of each province)
    within 5 % of 50 (a loss of 2.5): per province, housing 1, business 2, housing 3 keeps only cell 3's housing and
    loses 1 (24); the only other ways to share one cell or none lose 2 and 5. So plan 1 is that in both provinces:
    objective 48 (−4 %), 2 ha shared, 8 ha changed (cells 1 and 2 swap claims: 4 pairs per province)."""
    r = local.post("/api/proposals/0/alternatives", json={"count": 1, "slack": 0.05})
    assert r.status_code == 202 and r.json()["count"] == 1
    end = time.monotonic() + 60
    while (got := local.get("/api/proposals/0/alternatives").json())["status"] not in ("done", "error"):
        assert time.monotonic() < end
        time.sleep(0.05)
    assert got["status"] == "done", got
    zero, one = got["rows"]
    assert zero["plan"] == 0 and zero["objective"] == pytest.approx(50) and zero["objective_loss_pct"] == pytest.approx(0)
    assert one["plan"] == 1 and one["status"] == "optimal"
    assert one["objective"] == pytest.approx(48) and one["objective_loss_pct"] == pytest.approx(4)
    assert one["hsj_objective"] == pytest.approx(2) and one["overlap_ha"] == pytest.approx(2)
    assert one["distance_ha"] == pytest.approx(8)
    for body, words in (({"count": 0}, "count"), ({"count": 21}, "count"), ({"count": 1.5}, "count"),
                        ({"slack": 1}, "slack"), ({"level": "province"}, "level")):
        r = local.post("/api/proposals/0/alternatives", json=body)
        assert r.status_code == 422 and words in r.json()["detail"], r.text


@pytest.mark.parametrize("body, code, words", [
    ({"slack": 1}, 422, "slack"), ({"slack": -0.1}, 422, "slack"), ({"slack": "a lot"}, 422, "slack"),
    ({"level": "gemeente"}, 422, "gemeente"), ({"count": 3}, 422, "count"), ([1], 422, "object"),
])
def test_refused_ranges(local, body, code, words):
    r = local.post("/api/proposals/0/ranges", json=body)
    assert r.status_code == code and words in r.json()["detail"], r.text
    assert local.post("/api/proposals/42/ranges", json={}).status_code == 404
    assert local.get("/api/proposals/0/ranges", params={"slack": "2"}).status_code == 422


def test_parties_tokens_regions_votes_and_adoption(parties):
    c = parties
    assert c.get("/api/table").status_code == 401
    assert c.get("/api/table", headers={"Authorization": "Bearer wrong-token"}).status_code == 401
    assert c.get("/api/proposals/0").status_code == 401
    me = c.get("/api/table", headers=A).json()["me"]
    assert me == {"name": "Provincie A", "role": "party", "regions": ["A"]}
    before = count(c, CHAIR)
    r = c.post("/api/proposals", json={"changes": [{"path": "demand[region=B].min_ha", "value": 2}]}, headers=A)
    assert r.status_code == 403 and "B" in r.json()["detail"]
    r = c.post("/api/proposals", json={"changes": [{"path": "objective.shortfall_penalty_per_ha", "value": 1}]}, headers=A)
    assert r.status_code == 403
    r = c.post("/api/proposals", json={"changes": [{"path": "demand[claim=business].min_ha", "value": 2}]}, headers=A)
    assert r.status_code == 403  # the selector reaches B's row too
    assert count(c, CHAIR) == before

    pid = propose(c, [{"path": "demand[region=A].min_ha", "value": 2}], headers=A)
    p = wait(c, pid, A)
    assert p["objective"] == pytest.approx(47) and p["affected"] == ["Rijk", "Provincie A"]
    assert c.post(f"/api/proposals/{pid}/votes", json={"vote": "approve"}, headers=B).status_code == 403
    r = c.post(f"/api/proposals/{pid}/votes", json={"vote": "reject", "note": "too much"}, headers=A)
    assert r.status_code == 201
    r = c.post(f"/api/proposals/{pid}/votes", json={"vote": "approve"}, headers=A)  # a later vote replaces
    assert [(v["party"], v["vote"]) for v in r.json()["votes"]] == [("Provincie A", "approve")]
    assert c.post(f"/api/proposals/{pid}/adopt", headers=A).status_code == 403
    assert c.post(f"/api/proposals/{pid}/adopt", headers=CHAIR).json() == {"current": pid}
    assert c.get("/api/table", headers=B).json()["current"] == pid
    # the chair may change anything on the table; a proposal without parent builds on the current plan (A's floor 2):
    # housing on u1 is worth 10 − 2 − 1 = 7 → A: 12 + 10 = 22, B: 6 + 8 + 10 = 24
    pid2 = propose(c, [{"path": "rules[name=noisy].per_ha", "value": 2}], headers=CHAIR)
    p2 = wait(c, pid2, CHAIR)
    assert p2["parent"] == pid and p2["objective"] == pytest.approx(46)
    # any party may ask for a proposal's ranges and read them; without a token, no one
    assert c.post(f"/api/proposals/{pid2}/ranges", json={}).status_code == 401
    assert c.post(f"/api/proposals/{pid2}/ranges", json={}, headers=B).status_code == 202
    assert c.get(f"/api/proposals/{pid2}/ranges").status_code == 401
    assert wait_ranges(c, pid2, B)["status"] == "done"


def test_without_parties_only_loopback(tiny, tmp_path):
    with pytest.raises(InputError, match="loopback"):
        prepare_app(tiny, None, "0.0.0.0", tmp_path / "x.sqlite", None)
    assert not (tmp_path / "x.sqlite").exists()


@pytest.mark.parametrize("entry, words", [
    ({"name": "X", "token": "short", "regions": ["A"]}, "at least 8"),
    ({"name": "X", "token": "long-enough", "regions": ["Z"]}, "not region codes"),
    ({"name": "X", "token": "long-enough", "regions": ["A"], "role": "king"}, "role"),
])
def test_bad_parties_files(tmp_path, entry, words):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"parties": [entry]}))
    with pytest.raises(InputError, match=words):
        read_parties(path, {"A", "B"})


# ---------------------------------------------------------------------------- persistence


def test_restart_keeps_everything_and_unfinished_come_back_interrupted(tiny, tmp_path):
    db = tmp_path / "r.sqlite"
    with TestClient(create_app(tiny, None, db, None)) as c:
        wait(c, 0)
        pid = propose(c, [{"path": "demand[0].min_ha", "value": 2}])
        wait(c, pid)
        c.post(f"/api/proposals/{pid}/votes", json={"vote": "approve"})
        c.post(f"/api/proposals/{pid}/adopt")
        assert c.post(f"/api/proposals/{pid}/ranges", json={"slack": 0.1}).status_code == 202
        assert wait_ranges(c, pid)["status"] == "done"
    store = Store(db)  # as if the server had died while proposal 2 was being solved
    table_id = store.open_table("test", None, store._all("SELECT instance_hash FROM tables")[0][0])
    store.add_proposal(table_id, pid, "chair", "cut off", [{"path": "demand[1].min_ha", "value": 3}], None, None, ["chair"])
    store.update(table_id, 2, status="solving")
    assert store.ask("ranges", table_id, pid, "province", 0.2)  # ranges being computed when the server died
    store.finish("ranges", table_id, pid, "province", 0.2, "solving")
    store.close()
    with TestClient(create_app(tiny, None, db, None)) as c:
        t = c.get("/api/table").json()
        assert [p["id"] for p in t["proposals"]] == [0, 1, 2] and t["current"] == pid
        assert c.get(f"/api/proposals/{pid}").json()["votes"][0]["vote"] == "approve"
        assert c.get(f"/api/proposals/{pid}").json()["objective"] == pytest.approx(47)
        assert c.get("/api/proposals/2").json()["status"] == "interrupted"
        r = c.post("/api/proposals/2/ranges", json={})
        assert r.status_code == 409 and "interrupted" in r.json()["detail"]
        assert c.post("/api/proposals/2/alternatives", json={}).status_code == 409
        cut = c.get(f"/api/proposals/{pid}/ranges").json()  # the ranges asked last: cut off, they say so
        assert cut["slack"] == 0.2 and cut["status"] == "error" and "ask again" in cut["message"]
        got = c.get(f"/api/proposals/{pid}/ranges", params={"slack": 0.1}).json()  # stored across the restart
        assert got["status"] == "done" and got["slack"] == 0.1 and len(got["rows"]) == 4
        assert c.post("/api/proposals/2/solve").status_code == 202
        assert wait(c, 2)["objective"] == pytest.approx(22 + 18)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_killed_server_loses_nothing(tiny, tmp_path):
    """SIGKILL the server (and its solver) with a proposal not yet solved; the restarted server has it, interrupted.

    The proposal is posted as soon as the server answers, while the solver process is still loading
    the instance (a spawned interpreter importing numpy and pandas), so it is queued when killed."""
    httpx = pytest.importorskip("httpx")
    db = tmp_path / "k.sqlite"
    port = _free_port()
    cmd = [sys.executable, "-m", "ruimtepuzzel.cli", "serve", str(tiny), "--port", str(port), "--db", str(db)]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = server.stdout.readline().decode()
        assert f"http://127.0.0.1:{port}/" in first and str(db.resolve()) in server.stdout.readline().decode()
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        end = time.monotonic() + 60
        while True:
            try:
                if client.get("/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.02)
        pid = propose(client, [{"path": "demand[0].min_ha", "value": 2}], parent=0)
        os.killpg(server.pid, signal.SIGKILL)  # the server and its solver process
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    store = Store(db)
    rows = [tuple(r) for r in store._all("SELECT id, status FROM proposals ORDER BY id")]
    store.close()
    assert rows == [(0, "queued"), (pid, "queued")] or rows == [(0, "solving"), (pid, "queued")]
    with TestClient(create_app(tiny, None, db, None)) as c:
        assert c.get(f"/api/proposals/{pid}").json()["status"] == "interrupted"
        assert wait(c, 0)["objective"] == pytest.approx(50)  # revision 0 is solved again at start
        assert c.post(f"/api/proposals/{pid}/solve").status_code == 202
        assert wait(c, pid)["objective"] == pytest.approx(47)


def test_a_server_killed_during_a_solve_comes_back_interrupted(tmp_path):
    """SIGKILL the server while revision 0 of the demo instance (at gap 0) is being solved."""
    httpx = pytest.importorskip("httpx")
    from ruimtepuzzel.model.inputs.builtin import resolve_instance

    demo = resolve_instance("demo")
    scenario = tmp_path / "exact.yaml"
    scenario.write_text("solver: {mip_rel_gap: 0, time_limit_s: 600}\n")
    db = tmp_path / "d.sqlite"
    port = _free_port()
    cmd = [sys.executable, "-m", "ruimtepuzzel.cli", "serve", str(demo), "--scenario", str(scenario),
           "--port", str(port), "--db", str(db)]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        end = time.monotonic() + 120
        status = None
        while status != "solving":
            assert time.monotonic() < end, f"revision 0 never started solving (last: {status})"
            try:
                status = client.get("/api/proposals/0").json()["status"]
            except (httpx.TransportError, ValueError, KeyError):
                pass
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    store = Store(db)
    assert [tuple(r) for r in store._all("SELECT id, status FROM proposals")] == [(0, "solving")]
    table_id = store._all("SELECT id FROM tables")[0][0]
    hash_ = store._all("SELECT instance_hash FROM tables")[0][0]
    assert store.open_table("demo", str(scenario), hash_) == table_id  # what a restarted server does first
    assert store.proposal(table_id, 0)["status"] == "interrupted"
    store.close()


def test_a_dead_solver_process_is_replaced(tiny, tmp_path):
    with TestClient(create_app(tiny, None, tmp_path / "s.sqlite", None)) as c:
        wait(c, 0)
        table = c.app.state.table
        old = table.solver.proc
        os.kill(old.pid, signal.SIGKILL)
        end = time.monotonic() + 30
        while table.solver.proc is old:
            assert time.monotonic() < end, "no new solver process"
            time.sleep(0.05)
        pid = propose(c, [{"path": "demand[0].min_ha", "value": 2}], parent=0)
        assert wait(c, pid)["objective"] == pytest.approx(47)


def test_a_cancel_and_a_newer_proposal_stop_the_running_solve(tmp_path):
    """On the demo instance at gap 0 (a solve of many seconds): cancel revision 0 while it is solved, then
    supersede a running proposal by a newer one; each time the solver is free for the next at once."""
    from ruimtepuzzel.model.inputs.builtin import resolve_instance

    scenario = tmp_path / "exact.yaml"
    scenario.write_text("solver: {mip_rel_gap: 0, time_limit_s: 600}\n")

    def until(client, pid, status, timeout=60.0):
        end = time.monotonic() + timeout
        while (p := client.get(f"/api/proposals/{pid}").json())["status"] != status:
            assert time.monotonic() < end and p["status"] in ("queued", "solving"), p
            time.sleep(0.05)
        return p

    with TestClient(create_app(resolve_instance("demo"), str(scenario), tmp_path / "c.sqlite", None)) as c:
        until(c, 0, "solving", timeout=120)
        assert c.post("/api/proposals/0/cancel").json() == {"id": 0, "status": "cancelled"}
        one = propose(c, [{"path": "demand[0].min", "factor": 1.1}], parent=0)
        until(c, one, "solving")  # the worker left revision 0's solve
        two = propose(c, [{"path": "demand[0].min", "factor": 1.2}], parent=0, time_limit=2)
        stopped = c.get(f"/api/proposals/{one}").json()
        assert stopped["status"] == "cancelled" and stopped["message"] == f"stopped by a newer proposal ({two})"
        last = wait(c, two, timeout=60)  # two seconds of solving once the worker has left the first
        assert last["status"] in ("time_limit", "optimal")  # without a start, two seconds may find no allocation
        assert c.get("/api/proposals/0").json()["status"] == "cancelled"


# ---------------------------------------------------------------------------- events


def test_two_pages_receive_every_event(local):
    with local.websocket_connect("/api/events") as one, local.websocket_connect("/api/events") as two:
        assert one.receive_json() == {"type": "table", "id": None} and two.receive_json()["type"] == "table"
        pid = propose(local, [{"path": "demand[0].min_ha", "value": 2}], parent=0)
        wait(local, pid)
        local.post(f"/api/proposals/{pid}/votes", json={"vote": "approve"})
        local.post(f"/api/proposals/{pid}/adopt")
        for ws in (one, two):
            seen = []
            while not seen or seen[-1]["type"] != "adopted":
                seen.append(ws.receive_json())
            kinds = [(m["type"], m.get("status")) for m in seen if m["type"] != "progress"]
            assert kinds[0] == ("proposal", "queued") and ("proposal", "optimal") in kinds
            assert ("vote", None) in kinds and seen[-1] == {"type": "adopted", "id": pid, "current": pid}
            finals = [m for m in seen if m["type"] == "proposal" and m["status"] == "optimal"]
            assert finals[0]["objective"] == pytest.approx(47)
            assert all(math.isfinite(m["elapsed_s"]) for m in seen if m["type"] == "progress")


def test_events_need_the_token(parties):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect):
        with parties.websocket_connect("/api/events?token=nope") as ws:
            ws.receive_json()
    with parties.websocket_connect("/api/events?token=token-of-B") as ws:
        assert ws.receive_json()["type"] == "table"


# ---------------------------------------------------------------------------- the first allocation and the tie-break


def test_the_first_allocation_is_the_parents_plan_repaired(local, tiny):
    """Before the solve, a `start` event carries the parent's plan repaired for the change, valued as c·x + offset:
    revision 0 puts business on cell 1 of each province (25 each); with A's business floor at 2 it keeps that plan,
    1 ha short at 100 per ha: −75 + 25 = −50. The solve then reaches 22 + 25 = 47."""
    with local.websocket_connect("/api/events") as ws:
        ws.receive_json()
        pid = propose(local, [{"path": "demand[0].min_ha", "value": 2}], parent=0)
        seen = []
        while not (seen and seen[-1]["type"] == "proposal" and seen[-1]["id"] == pid and seen[-1]["status"] in FINAL):
            seen.append(ws.receive_json())
    mine = [m for m in seen if m.get("id") == pid]
    starts = [m for m in mine if m["type"] == "start"]
    assert len(starts) == 1 and starts[0]["objective"] == pytest.approx(-50) and math.isfinite(starts[0]["elapsed_s"])
    assert mine.index(starts[0]) < len(mine) - 1 and mine[-1]["objective"] == pytest.approx(47)
    gone = local.get(f"/api/proposals/{pid}/start")  # the solve has ended: its cells are the plan now
    assert gone.status_code == 404 and "read its cells" in gone.json()["detail"]



def in_own_process(test):
    """Run ``test`` in a forked worker: HiGHS must not run in the test process, whose later tests fork solver workers
    (HiGHS's thread pool does not survive a fork: a forked solve then stalls to its time limit)."""
    import functools
    import traceback

    from ruimtepuzzel.solvers.base import run_in_worker

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        def run(conn):
            try:
                test(*args, **kwargs)
                conn.send({"passed": True})
            except BaseException:  # noqa: BLE001 - the failure travels back to the test process
                conn.send({"failure": traceback.format_exc()})

        message, killed = run_in_worker(run, (), 600)
        assert message is not None and not killed, "the test's worker died or ran out of time"
        assert message.get("passed"), message.get("failure") or message
    return wrapper


@in_own_process
def test_the_engine_announces_the_start_with_its_cells(tiny):
    """The solver process's `_start` message: the parent's cells (business on cell 1 of each province) and the start's
    value, −50, sent before the solve's answer (47)."""
    from ruimtepuzzel.model.inputs.changes import apply_changes
    from ruimtepuzzel.model.inputs.config import merged_data
    from ruimtepuzzel.web import engine

    sent = []
    cancel = (type("V", (), {"value": 0})(), type("V", (), {"value": -1})())
    e = engine.Engine(str(tiny), None, sent.append, cancel)
    base, _, _ = merged_data(tiny, None)
    rev0 = e.solve(engine.Job(0, base))
    assert rev0["objective"] == pytest.approx(50) and rev0["cells"]["claim"] == [1, 0, 0, 1, 0, 0]
    sent.clear()
    data = apply_changes(base, [{"path": "demand[0].min_ha", "value": 2}], "proposal")
    answer = e.solve(engine.Job(1, data, start=rev0["x"], parent_objective=rev0["objective"]))
    start = [m for m in sent if m["type"] == "_start"]
    assert len(start) == 1 and start[0]["id"] == 1 and start[0]["objective"] == pytest.approx(-50)
    assert start[0]["cells"]["claim"] == [1, 0, 0, 1, 0, 0] and start[0]["cells"]["share"] == [1.0] * 6
    assert answer["objective"] == pytest.approx(47) and answer["cells"]["claim"] == [1, 1, 0, 1, 0, 0]


TIES = {  # twelve 1-ha cells where housing and business are worth the same: every full allocation is worth 120
    "claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 10}},
    "demand": [{"level": "province", "region": "A", "claim": "business", "min_ha": 1}],
    "objective": {"sense": "max_value", "shortfall_penalty_per_ha": 100},
    "solver": {"mip_rel_gap": 0.05, "time_limit_s": 60},
}


def test_the_tie_break_keeps_the_parents_plan_and_not_its_objective(tmp_path):
    """Every allocation of all twelve cells is worth 120 (one left empty: 110, beyond the 5 % gap), so only the
    tie-break decides which cells change: raising the business floor from b (revision 0's business area) to 6 and
    then to 9 changes exactly max(0, 6 − b) and then 3 ha, the least any optimum can; the objective reported stays the
    instance's own, 120 (the bonus is not in it), the gap within 5 %, and the independent checker accepts each plan."""
    from ruimtepuzzel.model.inputs.instance import load_instance

    from .checker import check

    folder = write_instance(tmp_path / "ties", TIES, row_units(12))

    def business_ha(p: dict) -> float:
        return sum(r["allocated_ha"] for r in p["summary"] if r["claim"] == "business" and r["level"] == "province")

    with TestClient(create_app(folder, None, tmp_path / "ties.sqlite", None)) as c:
        rev0 = wait(c, 0)
        assert rev0["status"] == "optimal" and rev0["objective"] == pytest.approx(120)
        parent = rev0
        for floor in (6, 9):
            pid = propose(c, [{"path": "demand[0].min_ha", "value": floor}], parent=parent["id"])
            p = wait(c, pid)
            assert p["status"] == "optimal" and p["path"] == "patched", p
            assert p["objective"] == pytest.approx(120, abs=1e-9) and p["gap"] <= 0.05
            least = max(0.0, floor - business_ha(parent))
            assert business_ha(p) == pytest.approx(max(floor, business_ha(parent)))
            assert p["changed_ha"] == pytest.approx(least), (floor, business_ha(parent), p["changed_ha"])
            scenario = tmp_path / f"proposal-{pid}.yaml"
            scenario.write_text(c.get(f"/api/proposals/{pid}/scenario.yaml").text)
            alloc = pd.read_csv(StringIO(c.get(f"/api/proposals/{pid}/allocation.csv").text))
            check(load_instance(folder, str(scenario)), alloc, objective=p["objective"])
            parent = p


def mirrored_optimum(folder):
    """An engine on a tie instance, its base data, revision 0 (P0, worth 120), and P0 mirrored — every cell's housing
    and business swapped: another optimum, P1 — as a start vector and as the cells' claim codes."""
    from ruimtepuzzel.model.inputs.config import merged_data
    from ruimtepuzzel.web import engine

    cancel = (type("V", (), {"value": 0})(), type("V", (), {"value": -1})())
    e = engine.Engine(str(folder), None, lambda m: None, cancel)
    base, _, _ = merged_data(folder, None)
    p0 = e.solve(engine.Job(0, base))
    assert p0["status"] == "optimal" and p0["objective"] == pytest.approx(120)
    pairs = e.prep.pairs
    swap = {(u, k): i for i, (u, k) in enumerate(zip(pairs["unit"], pairs["claim"].astype(str)))}
    other = {"housing": "business", "business": "housing"}
    mirrored = p0["x"].copy()
    for (u, k), i in swap.items():
        mirrored[i] = p0["x"][swap[u, other[k]]]
    claims = p0["cells"]["claims"]
    p1_cells = [claims.index(other[claims[k]]) for k in p0["cells"]["claim"]]
    assert sum(k == claims.index("business") for k in p1_cells) >= 1  # P1 meets the floor: an optimum too
    return e, base, p0, mirrored, p1_cells


@in_own_process
def test_the_tie_break_follows_a_parent_the_solver_would_not_pick(tmp_path):
    """On the tie instance, the plan solved without a parent (P0) mirrored — every cell's housing and business
    swapped — is another optimum (P1, worth 120 too) that the solver does not pick by itself. Re-solved with P1 as the
    parent, the plan is P1 cell for cell (without the tie-break it would be P0, which differs in every cell), by the
    first stage and by the kept model's branch and bound alike; its objective is the instance's 120, not 120 plus the
    bonus."""
    from ruimtepuzzel.web import engine

    e, base, p0, mirrored, p1_cells = mirrored_optimum(write_instance(tmp_path / "ties", TIES, row_units(12)))
    for branch_and_bound in (False, True):  # the first stage (relaxation and sub-MIP), or the kept model's search
        e.skips = int(branch_and_bound)
        again = e.solve(engine.Job(1, base, start=mirrored, parent_objective=120.0))
        assert again["status"] == "optimal" and again["path"] == "patched"
        assert ("first_stage" in again["times"]) != branch_and_bound
        assert again["cells"]["claim"] == p1_cells and again["cells"]["claim"] != p0["cells"]["claim"]
        assert again["objective"] == pytest.approx(120, abs=1e-9)
        assert np.array_equal(np.asarray(e.kept.h.getLp().col_cost_), e.problem.objective())  # the kept model has the instance's costs back


@in_own_process
def test_a_whole_lp_first_resolve_starts_from_the_parent_and_follows_it(tmp_path):
    """An instance whose own solve is LP-first (here by ``solver.strategy: lp_first``) is re-solved by the whole of it,
    from the parent's plan repaired and with the tie-break toward it: with the mirrored optimum P1 as the parent the
    plan is P1 cell for cell, worth the instance's 120; the solve says it started from the parent."""
    from ruimtepuzzel.solvers import lp_first
    from ruimtepuzzel.web import engine

    starts = []
    inner = lp_first.solve

    def counted(*args, **kwargs):
        starts.append(kwargs.get("start"))
        return inner(*args, **kwargs)

    lp_first.solve = counted  # this worker's own module: the test process is not touched
    tied = {**TIES, "solver": {**TIES["solver"], "strategy": "lp_first"}}
    e, base, p0, mirrored, p1_cells = mirrored_optimum(write_instance(tmp_path / "ties", tied, row_units(12)))
    pairs = e.prep.pairs
    starts.clear()
    again = e.solve(engine.Job(1, base, start=mirrored, parent_objective=120.0))
    assert again["status"] == "optimal" and again["path"] == "patched"
    assert len(starts) == 1 and starts[0] is not None and np.allclose(starts[0][:len(pairs)], mirrored[:len(pairs)])
    assert again["cells"]["claim"] == p1_cells and again["objective"] == pytest.approx(120, abs=1e-9)


WEAK = {  # three 1-ha cells, housing worth 10, a ceiling of 1.5 ha: the relaxation says 15, the optimum is 10
    "claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 1}},
    "demand": [{"level": "national", "claim": "housing", "max_ha": 1.5},
               {"level": "national", "claim": "business", "min_ha": 0.5, "max_ha": 3}],
    "objective": {"sense": "max_value", "shortfall_penalty_per_ha": 100},
    "solver": {"mip_rel_gap": 0.01, "time_limit_s": 60},
}


def test_only_tightens():
    """A floor raised or a ceiling lowered only tightens; a ceiling raised or a cost changed does not."""
    from ruimtepuzzel.model.formulation import formulate
    from ruimtepuzzel.model.inputs.instance import load_instance, with_config
    from ruimtepuzzel.model.prepare.pairs import prepare
    from ruimtepuzzel.solvers.kept import only_tightens

    import tempfile

    folder = write_instance(Path(tempfile.mkdtemp()) / "weak", WEAK, row_units(3))
    instance = load_instance(folder)

    def problem(**changes):
        data = {"name": "test", "regions": ["province"], **WEAK}
        data = {**data, "demand": [dict(data["demand"][0]), dict(data["demand"][1])],
                "claims": {k: dict(v) for k, v in data["claims"].items()}}
        for key, value in changes.items():
            if key == "value":
                data["claims"]["housing"]["value_per_ha"] = value
            else:
                data["demand"][1][key] = value
        return formulate(prepare(with_config(instance, data, "test")))

    parent = problem()
    assert only_tightens(parent, parent)
    assert only_tightens(parent, problem(min_ha=1)) and only_tightens(parent, problem(max_ha=2))
    assert not only_tightens(parent, problem(max_ha=4)) and not only_tightens(problem(min_ha=1), parent)
    assert not only_tightens(parent, problem(value=11))


@in_own_process
def test_the_parents_bound_proves_a_change_that_only_tightens(tmp_path):
    """Revision 0 of WEAK is proven at 10 (housing on one cell, business on two: 12). A business floor of 1 ha only
    tightens it: the first stage finds 12 again, its relaxation says 16.5 (37 % off), and the parent's proven bound, 12,
    proves it. A business ceiling of 1 ha also tightens (optimum 11, housing 10 + business 1): the parent's bound (12)
    does not prove 11 within 1 %, so the kept model's branch and bound does. A ceiling of housing raised to 2.5 ha
    loosens: the parent's bound is not used (optimum 21)."""
    from ruimtepuzzel.model.inputs.changes import apply_changes
    from ruimtepuzzel.model.inputs.config import merged_data
    from ruimtepuzzel.web import engine

    folder = write_instance(tmp_path / "weak", WEAK, row_units(3))
    cancel = (type("V", (), {"value": 0})(), type("V", (), {"value": -1})())
    e = engine.Engine(str(folder), None, lambda m: None, cancel)
    base, _, _ = merged_data(folder, None)
    p0 = e.solve(engine.Job(0, base))
    assert p0["status"] == "optimal" and p0["objective"] == pytest.approx(12) and p0["bound"] == pytest.approx(12, abs=0.12)

    def child(path, value, pid):
        data = apply_changes(base, [{"path": path, "value": value}], "proposal")
        e.skips = 0  # the first stage runs (revision 0's fell short of the gap: the next four would skip it)
        return e.solve(engine.Job(pid, data, start=p0["x"], parent_objective=p0["objective"], parent_data=base,
                                  parent_bound=p0["bound"]))

    floor = child("demand[1].min_ha", 1, 1)
    assert floor["status"] == "optimal" and floor["objective"] == pytest.approx(12)
    assert "parent's bound" in (floor["message"] or ""), (floor["message"], floor["times"], floor["path"], floor["bound"])
    assert floor["bound"] == pytest.approx(p0["bound"])
    ceiling = child("demand[1].max_ha", 1, 2)
    assert ceiling["status"] == "optimal" and ceiling["objective"] == pytest.approx(11)
    assert "parent's bound" not in (ceiling["message"] or "")
    looser = child("demand[0].max_ha", 2.5, 3)
    assert looser["status"] == "optimal" and looser["objective"] == pytest.approx(21)
    assert "parent's bound" not in (looser["message"] or "")


@in_own_process
def test_shadow_prices_wait_for_the_next_proposal_and_stay_their_plans_own(tiny):
    """The solver process computes shadow prices when no job waits, the newest plan's first; a plan's prices computed
    after another proposal was solved on the kept model are those computed right after its own solve (the kept model
    gets the plan's own bounds back first)."""
    from ruimtepuzzel.model.inputs.changes import apply_changes
    from ruimtepuzzel.model.inputs.config import merged_data
    from ruimtepuzzel.web import engine

    cancel = (type("V", (), {"value": 0})(), type("V", (), {"value": -1})())
    base, _, _ = merged_data(tiny, None)
    one = apply_changes(base, [{"path": "demand[0].min_ha", "value": 2}], "proposal")
    two = apply_changes(base, [{"path": "demand[0].min_ha", "value": 4}, {"path": "demand[1].min_ha", "value": 3}], "proposal")

    def floors(prices):
        return {(r["region"], r["claim"]): r for r in prices["duals"] if r["family"] == "demand_floor"}

    alone = engine.Engine(str(tiny), None, lambda m: None, cancel)
    alone.solve(engine.Job(1, one))
    right_after = alone.pending_duals()
    busy = engine.Engine(str(tiny), None, lambda m: None, cancel)
    busy.solve(engine.Job(1, one))
    busy.solve(engine.Job(2, two))
    later = [busy.pending_duals(), busy.pending_duals()]
    assert [p["id"] for p in later] == [2, 1] and busy.pending_duals() is None
    assert floors(later[1]) == floors(right_after) and floors(later[0]) != floors(right_after)

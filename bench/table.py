"""Benchmark: the negotiation table's re-solve after one floor change, against the same change solved cold.

Starts a table (the app in this process, its solver process spawned as `serve` does) on an
instance, waits for revision 0, then for each repeat proposes one floor change on revision 0
(`demand[claim=C,region=R].min_ha` times a factor; each repeat a different factor, so no answer
is reused) and measures on the WebSocket, from the POST:

- first: the first allocation on the page: the `start` event (the parent's plan repaired for the
  change, with its c·x objective) and the fetch of its cells (`GET /api/proposals/{id}/start`);
- final: the proposal event with its final status (plan stored; the shadow prices follow) and the
  fetch of its cells (`GET /api/proposals/{id}/cells`), as the page draws it;

then solves the same change cold with `solve --scenario` (the proposal's `scenario.yaml`; load,
preprocess, build, solve, extract, write) and reports its total and its solve time. Medians of
the repeats, with the objectives (which must agree within the gap).

    python bench/table.py                                   # nl-provinces, housing in CR17 (Utrecht), 3 repeats
    python bench/table.py --repeats 1 --claim housing --region CR13
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instance", default="nl-provinces")
    ap.add_argument("--claim", default="housing")
    ap.add_argument("--region", default="CR17")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--factors", default="1.05,1.10,1.15,1.20,1.25")
    args = ap.parse_args()

    from starlette.testclient import TestClient

    from ruimtepuzzel.model.inputs.builtin import resolve_instance
    from ruimtepuzzel.model.pipeline import solve_instance
    from ruimtepuzzel.web.app import create_app

    folder = resolve_instance(args.instance)
    work = Path(tempfile.mkdtemp(prefix="bench-table-"))
    path = f"demand[claim={args.claim},region={args.region}].min_ha"
    factors = [float(f) for f in args.factors.split(",")][: args.repeats]
    rows = []
    t0 = time.perf_counter()
    with TestClient(create_app(folder, None, work / "bench.sqlite", None)) as client:
        with client.websocket_connect("/api/events") as ws:
            ws.receive_json()
            while True:
                m = ws.receive_json()
                if m["type"] == "proposal" and m["id"] == 0 and m["status"] not in ("queued", "solving"):
                    break
            rev0 = client.get("/api/proposals/0").json()
            print(f"{args.instance}: revision 0 {rev0['status']}, objective {rev0['objective']:,.2f}, "
                  f"ready {time.perf_counter() - t0:.1f} s after start (solver process load + build + solve)")
            for factor in factors:
                start = time.perf_counter()
                pid = client.post("/api/proposals", json={"changes": [{"path": path, "factor": factor}], "parent": 0}).json()["id"]
                first = None
                while True:
                    m = ws.receive_json()
                    if m.get("id") != pid:
                        continue
                    if first is None and m["type"] == "start":  # the first allocation: the parent's plan repaired
                        r = client.get(f"/api/proposals/{pid}/start")
                        first = time.perf_counter() - start if r.status_code == 200 else None
                    if m["type"] == "proposal" and m["status"] not in ("queued", "solving"):
                        client.get(f"/api/proposals/{pid}/cells")  # the page's fetch of the plan for the map
                        final = time.perf_counter() - start
                        break
                p = client.get(f"/api/proposals/{pid}").json()
                scenario = work / f"change-{pid}.yaml"
                scenario.write_text(client.get(f"/api/proposals/{pid}/scenario.yaml").text)
                t = time.perf_counter()
                run = solve_instance(folder, scenario=str(scenario), out=work / f"cold-{pid}")
                cold = time.perf_counter() - t
                rows.append({"factor": factor, "first": first, "final": final, "status": p["status"], "path": p["path"],
                             "objective": p["objective"], "gap": p["gap"], "cold": cold,
                             "cold_solve": run.manifest["times_s"]["solve"], "cold_objective": run.result.objective,
                             "cold_gap": run.result.gap})
                print(f"  ×{factor:.2f}: first allocation {_s(first)}, final {final:.2f} s ({p['status']}, {p['path']}, "
                      f"objective {p['objective']:,.2f}, gap {_pct(p['gap'])}, {p['changed_ha']:,.0f} ha changed); cold solve {cold:.2f} s "
                      f"(of which solve {run.manifest['times_s']['solve']:.2f} s, objective {run.result.objective:,.2f}, "
                      f"gap {_pct(run.result.gap)})")
    med = lambda key: statistics.median([r[key] for r in rows if r[key] is not None]) if any(r[key] is not None for r in rows) else None  # noqa: E731
    load = os.getloadavg()
    print(f"median of {len(rows)}: first allocation {_s(med('first'))}, final {med('final'):.2f} s; "
          f"cold {med('cold'):.2f} s (solve {med('cold_solve'):.2f} s); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def _s(v) -> str:
    return "none" if v is None else f"{v:.2f} s"


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.3f} %"


if __name__ == "__main__":
    main()

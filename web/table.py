"""One negotiation table: the instance, its proposals, votes and adoption, and the solver behind them.

Every method either answers or raises :class:`ApiError` with the HTTP status and a one-line
message; a refused call stores nothing. The instance is loaded here too (to check proposals and
draw the map); the solves run in the worker process (:mod:`web.worker`, :mod:`web.engine`).
"""
from __future__ import annotations

import copy
import io
import math
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pandas as pd

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.changes import apply_changes, checked
from ruimtepuzzel.model.inputs.config import merged_data, read_yaml, resolve_scenario
from ruimtepuzzel.model.inputs.instance import Instance, load_instance, with_config
from ruimtepuzzel.model.inputs.schema import NATIONAL
from ruimtepuzzel.model.outputs.styles import claim_colours
from ruimtepuzzel.web import engine
from ruimtepuzzel.web.parties import FLOOR_CEILING_KEYS, LOCAL_CHAIR, Party
from ruimtepuzzel.web.store import Store, now

CHANGE_ROOTS = ("demand", "rules", "resources", "objective", "balance", "compensation", "budget", "locked")
UNFINISHED = ("queued", "solving")
SOLVED = ("optimal", "time_limit")
AGAIN = ("interrupted", "cancelled", "error")
MAX_NOTE = 2000
MAX_CHANGES = 500
MAX_TIME_LIMIT_S = 3600.0
CHANGE_TOLERANCE_HA = 0.01
EXPORT_WAIT_S = 600.0
DEFAULT_SLACK = 0.05
DEFAULT_COUNT = 3
MAX_COUNT = 20
RECENT = 8  # solved proposals whose summary and cells stay in memory (the parents of the next proposals)


class ApiError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


def _hex(rgb: str) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in rgb.split(","))


def _lower_name(name: str) -> str:
    """'Housing' → 'housing' in a sentence; 'PV solar' stays."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _digits(value: float) -> int:
    """Decimals that show a figure's size: 0 from 10 up, 1 from 0.1, else 2."""
    size = abs(value)
    return 0 if size >= 10 else 1 if size >= 0.1 else 2


def signed(value: float, digits: int = 0) -> str:
    """'+120', '−80' (a true minus sign), with thousands separators."""
    text = f"{abs(value):,.{digits}f}"
    return ("+" if value >= 0 else "−") + text


class Table:
    """A table on one instance and scenario; ``broadcast(message)`` sends an event to every open page."""

    def __init__(self, folder: Path, scenario: Optional[str], store: Store, parties: Optional[list[Party]],
                 broadcast: Callable[[dict], None] = lambda m: None):
        self.folder, self.scenario, self.store = Path(folder), scenario, store
        self.parties = parties  # None: one local chair, no tokens
        self.broadcast = broadcast
        self.instance: Instance = load_instance(self.folder, scenario)
        self.base_data, _, _ = merged_data(self.folder, scenario)
        self.config = self.instance.config
        self.table_id = store.open_table(self.instance.name, scenario, self.instance.content_hash())
        self.tokens: dict[int, int] = {}  # proposal id -> the token of its running submission
        self.starts: dict[int, dict] = {}  # proposal id -> its first allocation (the parent's plan repaired) while solving
        self.recent: dict[int, tuple] = {}  # the last solved proposals: id -> (summary rows, main claim per unit)
        self.lock = threading.RLock()
        self.exports: dict[str, dict] = {}
        self._geometry: Optional[dict] = None
        self.geometry_lock = threading.Lock()
        self.solver = None

    # ------------------------------------------------------------------ life

    def start(self) -> None:
        self._start_solver()
        threading.Thread(target=self.geometry, name="table-geometry", daemon=True).start()  # ready for the first page

    def _start_solver(self) -> None:
        """A new solver process; revision 0 is (re)submitted when it is not solved."""
        from ruimtepuzzel.web.worker import SolverProcess

        self.solver = SolverProcess(self.folder, self.scenario, self.on_event)
        self.solver.start()
        if self.store.proposal(self.table_id, 0) is None:
            self.store.add_proposal(self.table_id, None, "table", "revision 0: the instance's own optimum", [], None, None,
                                    self._everyone(), pid=0)
            self.store.adopt(self.table_id, 0, "table")
            self._submit(0, keep=True)
        elif self.store.field(self.table_id, 0, "status") in AGAIN:
            self.store.update(self.table_id, 0, status="queued", message=None)
            self._submit(0, keep=True)

    def stop(self) -> None:
        if self.solver is not None:
            self.solver.stop()

    # ------------------------------------------------------------------ who

    def caller(self, token: Optional[str]) -> Party:
        """The party holding the token (401 otherwise); the local chair when the table has no parties."""
        from ruimtepuzzel.web.parties import by_token

        if self.parties is None:
            return LOCAL_CHAIR
        party = by_token(self.parties, token)
        if party is None:
            raise ApiError(401, "a valid token is needed: Authorization: Bearer TOKEN")
        return party

    def _everyone(self) -> list[str]:
        return [p.name for p in (self.parties or [LOCAL_CHAIR])]

    # ------------------------------------------------------------------ reading

    def _get(self, pid: int, heavy: bool = False) -> dict:
        found = self.store.proposal(self.table_id, pid, heavy=heavy)
        if found is None:
            raise ApiError(404, f"no proposal {pid}")
        return found

    def chain(self, pid: int) -> list[dict]:
        """The proposal and its ancestors, root first."""
        out, seen = [], set()
        while pid is not None and pid not in seen:
            seen.add(pid)
            p = self._get(pid)
            out.append(p)
            pid = p["parent"]
        return out[::-1]

    def all_changes(self, pid: int) -> list[dict]:
        return [c for p in self.chain(pid) for c in p["changes"]]

    def data_of(self, pid: int) -> dict:
        return apply_changes(self.base_data, self.all_changes(pid), "proposal") if self.all_changes(pid) else copy.deepcopy(self.base_data)

    def table(self, me: Party) -> dict:
        cfg = self.config
        colours = claim_colours(list(cfg.claims))
        regions = []
        for level in self.instance.levels:
            for code in sorted(pd.unique(self.instance.region_codes(level).astype(str))):
                regions.append({"level": level, "code": code, "name": cfg.region_name(level, code)})
        demand = []
        for i, d in enumerate(cfg.demand):
            demand.append({"index": i, "level": d.level, "region": d.region, "claim": d.claim, "measure": d.measure or "ha",
                           "min_ha": d.min_ha, "max_ha": d.max_ha, "min": d.min, "max": d.max, "path": f"demand[{i}]"})
        return {
            "instance": self.instance.name, "scenario": self.scenario, "sense": cfg.objective.sense,
            "current": self.store.current(self.table_id),
            "me": me.public(),
            "parties": [p.public() for p in (self.parties or [LOCAL_CHAIR])],
            "claims": [{"key": k, "name": cfg.claim_name(k), "color": _hex(colours[k])} for k in cfg.claims],
            "levels": list(self.instance.levels),
            "regions": regions,
            "demand": demand,
            "proposals": self.store.proposals(self.table_id),
        }

    def proposal(self, pid: int) -> dict:
        p = self._get(pid)
        return {
            "id": p["id"], "parent": p["parent"], "party": p["party"], "note": p["note"], "changes": p["changes"],
            "status": p["status"], "message": p["message"],
            "objective": p["objective"], "bound": p["bound"], "gap": p["gap_reached"],
            "solve_s": p["solve_s"], "times": p["times"] or {}, "path": p["path"],
            "summary": p["summary"] or [], "changed_ha": p["changed_ha"], "affected": p["affected"] or [],
            "votes": self.store.votes(self.table_id, pid),
            "created_at": p["created_at"], "started_at": p["started_at"], "finished_at": p["finished_at"],
            "requested": {"gap": p["gap"], "time_limit": p["time_limit"]},
        }

    def _solved(self, pid: int, what: str) -> None:
        status = self._get(pid)["status"]
        if status not in SOLVED:
            raise ApiError(409, f"proposal {pid} is {status}: it has no {what}")

    def cells(self, pid: int) -> dict:
        self._solved(pid, "allocation")
        return self.store.field(self.table_id, pid, "cells")

    def start_plan(self, pid: int) -> dict:
        """The first allocation of a proposal being solved: its parent's plan repaired for its changes (the start the
        solve begins from), with its objective (c·x + offset); 404 when the proposal is not solving or has none."""
        p = self._get(pid)
        found = self.starts.get(pid)
        if found is None or p["status"] not in UNFINISHED:
            raise ApiError(404, f"proposal {pid} is {p['status']}: it has no start plan"
                           + (" (its solve has ended: read its cells)" if p["status"] in SOLVED else ""))
        return {"id": pid, "start": True, "objective": found["objective"], "elapsed_s": found["elapsed_s"], **found["cells"]}

    def duals(self, pid: int) -> dict:
        self._solved(pid, "shadow prices")
        rows = self.store.field(self.table_id, pid, "duals")
        return {"id": pid, "rows": rows or [], "message": self.store.field(self.table_id, pid, "duals_message")}

    def allocation_csv(self, pid: int) -> str:
        self._solved(pid, "allocation")
        return self.store.field(self.table_id, pid, "allocation")

    def summary_csv(self, pid: int) -> str:
        self._solved(pid, "summary")
        return self.store.field(self.table_id, pid, "summary_csv")

    def scenario_yaml(self, pid: int) -> str:
        """The table's scenario overlay (if any) with the proposal's changes, ancestors' first: ``solve --scenario`` reads it."""
        import yaml

        changes = self.all_changes(pid)
        overlay: dict = {}
        if self.scenario is not None:
            overlay = read_yaml(resolve_scenario(self.folder, self.scenario), by_spelling=True)
        changes = list(overlay.pop("changes", None) or []) + changes
        if changes:
            overlay["changes"] = changes
        p = self._get(pid)
        head = (f"# proposal {pid} at the table on {self.instance.name}"
                f"{' + ' + self.scenario if self.scenario else ''}, by {p['party']} ({p['created_at']})\n"
                f"# solve it: ruimtepuzzel solve {self.folder} --scenario THIS_FILE\n")
        return head + (yaml.safe_dump(overlay, sort_keys=False, allow_unicode=True) if overlay else "{}\n")

    # ------------------------------------------------------------------ differences

    def diff(self, pid: int) -> dict:
        p = self._get(pid)
        self._solved(pid, "allocation")
        out = {"id": pid, "parent": p["parent"], "rows": [], "changed_units": [], "objective_parent": None,
               "objective": p["objective"], "objective_change_pct": None, "sentences": []}
        if p["parent"] is None:
            return out
        parent = self._get(p["parent"])
        if parent["status"] not in SOLVED:
            out["sentences"] = [f"the parent proposal {parent['id']} is {parent['status']}: nothing to compare with"]
            return out
        rows = region_changes(parent["summary"] or [], p["summary"] or [])
        names = {k: self.config.claim_name(k) for k in self.config.claims}
        out["rows"] = [{**r, "region_name": self.config.region_name(r["level"], r["region"]) if r["level"] != NATIONAL
                        else self.config.region_name(NATIONAL, r["region"]), "claim_name": names.get(r["claim"], r["claim"])}
                       for r in rows]
        out["changed_units"] = self.store.field(self.table_id, pid, "changed_units") or []
        out["objective_parent"] = parent["objective"]
        if parent["objective"] not in (None, 0) and p["objective"] is not None:
            out["objective_change_pct"] = 100.0 * (p["objective"] - parent["objective"]) / abs(parent["objective"])
        out["sentences"] = self._sentences(out["rows"], out["objective_change_pct"])
        return out

    def _sentences(self, rows: list[dict], pct: Optional[float]) -> list[str]:
        first = self.instance.levels[0] if self.instance.levels else NATIONAL
        mine = sorted((r for r in rows if r["level"] == first), key=lambda r: -abs(r["change_ha"]))
        out = [f"{r['region_name']} {signed(r['change_ha'], _digits(r['change_ha']))} ha {_lower_name(r['claim_name'])}"
               for r in mine[:8]]
        if len(mine) > 8:
            out.append(f"{len(mine) - 8} more changes of region and claim")
        if not mine:
            out.append("no region's allocation changes")
        if pct is not None:
            out.append("objective unchanged" if pct == 0 else
                       f"objective {signed(pct, _digits(pct))} %" if abs(pct) >= 0.005 else "objective within ±0.01 %")
        return out

    # ------------------------------------------------------------------ writing

    def propose(self, me: Party, body) -> int:
        if not isinstance(body, dict):
            raise ApiError(422, "the body must be a JSON object {changes, note, parent?, gap?, time_limit?}")
        unknown = sorted(set(body) - {"changes", "note", "parent", "gap", "time_limit"})
        if unknown:
            raise ApiError(422, f"unknown field(s) {unknown}; a proposal has changes, note, parent, gap, time_limit")
        changes = body.get("changes")
        if not isinstance(changes, list):
            raise ApiError(422, "changes: expected a list of {path, value} or {path, factor}")
        if len(changes) > MAX_CHANGES:
            raise ApiError(422, f"changes: {len(changes)} changes; at most {MAX_CHANGES} in one proposal")
        note = body.get("note", "")
        if note is None:
            note = ""
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            raise ApiError(422, f"note: expected text of at most {MAX_NOTE} characters")
        gap = _option(body, "gap", 0.0, 1.0)
        time_limit = _option(body, "time_limit", 1e-3, MAX_TIME_LIMIT_S)
        parent = body.get("parent")
        if parent is None:
            parent = self.store.current(self.table_id) or 0
        if isinstance(parent, bool) or not isinstance(parent, int):
            raise ApiError(422, f"parent: expected a proposal id (an integer), got {parent!r}")
        self._get(parent)  # 404 for an unknown parent
        parent_data = self.data_of(parent)
        clean = [self._checked_change(me, change, i, parent_data) for i, change in enumerate(changes)]
        try:
            data = apply_changes(parent_data, clean, "proposal")
            with_config(self.instance, data, "proposal")
        except InputError as exc:
            raise ApiError(422, str(exc)) from None
        affected = self._touched(clean, parent_data)
        with self.lock:
            pid = self.store.add_proposal(self.table_id, parent, me.name, note, clean, gap, time_limit, affected)
            self.broadcast({"type": "proposal", "id": pid, "status": "queued", "party": me.name, "parent": parent,
                            "objective": None, "gap": None})
            self._supersede_older(pid)
            self._submit(pid, data=data)
        return pid

    def _checked_change(self, me: Party, change, i: int, data: dict) -> dict:
        from ruimtepuzzel.model.inputs.path_language import locate, parse_path

        try:
            clean = checked(change, f"changes[{i}]")
            steps = parse_path(clean["path"])
        except InputError as exc:
            raise ApiError(422, str(exc)) from None
        path = clean["path"]
        shown = f"{path} = {clean.get('value', clean.get('factor'))!r}"
        if steps[0].key not in CHANGE_ROOTS:
            raise ApiError(422, f"changes[{i}]: {shown}: a proposal may change only {', '.join(CHANGE_ROOTS)} "
                                f"(not {steps[0].key!r})")
        try:
            places = locate(data, path)
        except InputError as exc:
            raise ApiError(422, f"changes[{i}]: {exc} (value {clean.get('value', clean.get('factor'))!r})") from None
        if me.is_chair:
            return clean
        if not (steps[0].key == "demand" and steps[0].selects and len(steps) == 2 and steps[1].key in FLOOR_CEILING_KEYS):
            raise ApiError(403, f"changes[{i}]: {shown}: {me.name} may change only the floors and ceilings "
                                f"({', '.join(FLOOR_CEILING_KEYS)}) of demand rows of its own regions")
        for row, _ in places:
            if row.get("level") == NATIONAL or not me.holds(row.get("region")):
                where = "a national row" if row.get("level") == NATIONAL else f"region {row.get('region')}"
                raise ApiError(403, f"changes[{i}]: {shown}: {where} is not one of {me.name}'s regions")
        return clean

    def _touched(self, changes: list[dict], data: dict) -> list[str]:
        """The parties whose regions hold a demand row the changes touch (a chair with every region always)."""
        from ruimtepuzzel.model.inputs.path_language import locate

        codes = set()
        for c in changes:
            if c["path"].startswith("demand"):
                for row, _ in locate(data, c["path"]):
                    codes.add(str(row.get("region")) if row.get("level") != NATIONAL else None)
        parties = self.parties or [LOCAL_CHAIR]
        return [p.name for p in parties if p.regions == "all" or any(p.holds(c) for c in codes if c is not None)]

    def _supersede_older(self, pid: int) -> None:
        """A newer proposal stops the solves still queued or running (revision 0 excepted)."""
        for other in list(self.tokens):
            if other not in (0, pid):
                if self.store.update(self.table_id, other, only_if=UNFINISHED, status="cancelled",
                                     message=f"stopped by a newer proposal ({pid})", finished_at=now()):
                    self.broadcast({"type": "proposal", "id": other, "status": "cancelled"})
                self.tokens.pop(other, None)
                self.starts.pop(other, None)

    def _submit(self, pid: int, keep: bool = False, data: Optional[dict] = None) -> None:
        """Send the proposal to the solver, with its parent's plan as the start when it is one of the kept model."""
        p = self._get(pid)
        start, parent_objective, parent_data, parent_bound = None, None, None, None
        if p["parent"] is not None:
            parent = self._get(p["parent"])
            if parent["status"] in SOLVED and parent["x_base"]:
                start, parent_objective = self.store.field(self.table_id, p["parent"], "x"), parent["objective"]
                parent_data, parent_bound = self.data_of(p["parent"]), parent["bound"]
        data = data if data is not None else self.data_of(pid)
        job = engine.Job(pid, data, start=start, gap=p["gap"], time_limit=p["time_limit"], keep=keep,
                         parent_objective=parent_objective, parent_data=parent_data, parent_bound=parent_bound)
        token = self.solver.submit(job)
        self.tokens[pid] = token
        if not keep:
            self.solver.supersede(token)

    def cancel(self, me: Party, pid: int) -> dict:
        p = self._get(pid)
        if not (me.is_chair or me.name == p["party"]):
            raise ApiError(403, f"proposal {pid} is {p['party']}'s: only they or the chair may cancel it")
        with self.lock:
            if not self.store.update(self.table_id, pid, only_if=UNFINISHED, status="cancelled",
                                     message=f"cancelled by {me.name}", finished_at=now()):
                raise ApiError(409, f"proposal {pid} is {p['status']}: only a queued or solving proposal can be cancelled")
            token = self.tokens.pop(pid, None)
            self.starts.pop(pid, None)
            if token is not None:
                self.solver.cancel(token)
        self.broadcast({"type": "proposal", "id": pid, "status": "cancelled", "party": p["party"], "parent": p["parent"],
                        "objective": None, "gap": None})
        return {"id": pid, "status": "cancelled"}

    def solve_again(self, me: Party, pid: int) -> dict:
        p = self._get(pid)
        if not (me.is_chair or me.name == p["party"]):
            raise ApiError(403, f"proposal {pid} is {p['party']}'s: only they or the chair may solve it again")
        with self.lock:
            if not self.store.update(self.table_id, pid, only_if=AGAIN, status="queued", message=None,
                                     started_at=None, finished_at=None):
                raise ApiError(409, f"proposal {pid} is {p['status']}: only an interrupted, cancelled or failed proposal is solved again")
            self.broadcast({"type": "proposal", "id": pid, "status": "queued", "party": p["party"], "parent": p["parent"],
                            "objective": None, "gap": None})
            if pid != 0:
                self._supersede_older(pid)
            self._submit(pid, keep=pid == 0)
        return {"id": pid}

    def vote(self, me: Party, pid: int, body) -> dict:
        p = self._get(pid)
        if not isinstance(body, dict) or body.get("vote") not in ("approve", "reject"):
            raise ApiError(422, "vote: expected {\"vote\": \"approve\" | \"reject\", \"note\": ...}")
        unknown = sorted(set(body) - {"vote", "note"})
        if unknown:
            raise ApiError(422, f"unknown field(s) {unknown}; a vote has vote and note")
        note = body.get("note") or ""
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            raise ApiError(422, f"note: expected text of at most {MAX_NOTE} characters")
        if me.name not in (p["affected"] or []):
            raise ApiError(403, f"{me.name} is not affected by proposal {pid} (affected: {', '.join(p['affected'] or []) or 'none'})")
        self.store.vote(self.table_id, pid, me.name, body["vote"], note)
        self.broadcast({"type": "vote", "id": pid, "party": me.name, "vote": body["vote"]})
        return {"id": pid, "party": me.name, "vote": body["vote"], "votes": self.store.votes(self.table_id, pid)}

    def adopt(self, me: Party, pid: int) -> dict:
        p = self._get(pid)
        if not me.is_chair:
            raise ApiError(403, f"{me.name} is not the chair: only the chair adopts a proposal")
        if p["status"] not in SOLVED:
            raise ApiError(409, f"proposal {pid} is {p['status']}: only a solved proposal can be adopted")
        self.store.adopt(self.table_id, pid, me.name)
        self.broadcast({"type": "adopted", "id": pid, "current": pid})
        return {"current": pid}

    # ------------------------------------------------------------------ room to negotiate

    def _levels(self) -> list[str]:
        return [*self.instance.levels, NATIONAL]

    def _range_request(self, level, slack) -> tuple[str, float]:
        """(level, slack) checked: 422 naming the level or the slack."""
        if level is None:
            level = self.instance.levels[0] if self.instance.levels else NATIONAL
        if not isinstance(level, str) or level not in self._levels():
            raise ApiError(422, f"level: unknown level {level!r}; the instance's levels are {', '.join(self._levels())}")
        if slack is None:
            slack = DEFAULT_SLACK
        if isinstance(slack, bool) or not isinstance(slack, (int, float)) or not math.isfinite(slack) or not 0 <= slack < 1:
            raise ApiError(422, f"slack: {slack!r} is not a number in [0, 1)")
        return level, float(slack)

    def _body_of(self, body, fields: tuple, what: str) -> dict:
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise ApiError(422, f"the body must be a JSON object {{{', '.join(f + '?' for f in fields)}}}")
        unknown = sorted(set(body) - set(fields))
        if unknown:
            raise ApiError(422, f"unknown field(s) {unknown}; {what} has {' and '.join(fields)}")
        return body

    def _ask(self, kind: str, pid: int, key, slack: float, job) -> dict:
        p = self._get(pid)
        if p["status"] not in SOLVED:
            raise ApiError(409, f"proposal {pid} is {p['status']}: only a solved proposal has {kind}")
        with self.lock:
            if self.store.ask(kind, self.table_id, pid, key, slack):
                self.solver.submit(job(p, self.store.field(self.table_id, pid, "x"), self.data_of(pid)))
        return self._asked(kind, pid, key, slack)

    def _asked(self, kind: str, pid: int, key, slack) -> dict:
        found = self.store.asked(kind, self.table_id, pid, key, slack)
        if found is None:
            raise ApiError(404, f"no {kind} of proposal {pid} were asked" + (f" with slack {slack:g}" if slack is not None else ""))
        column = "level" if kind == "ranges" else "count"
        return {"id": pid, "status": found["status"], "message": found["message"], column: found[column],
                "slack": found["slack"], "rows": found["rows"], "created_at": found["created_at"],
                "finished_at": found["finished_at"]}

    def ask_ranges(self, me: Party, pid: int, body) -> dict:
        """Queue the near-optimal ranges of a solved proposal (computed in the solver process); any party may ask."""
        body = self._body_of(body, ("level", "slack"), "a ranges request")
        self._get(pid)
        level, slack = self._range_request(body.get("level"), body.get("slack"))
        return self._ask("ranges", pid, level, slack, lambda p, x, data: engine.Ranges(
            pid, data, x, level, slack, gap=p["gap"], time_limit=p["time_limit"]))

    def ranges(self, pid: int, level=None, slack=None) -> dict:
        """The ranges asked last (or those of ``level`` and ``slack``): status, level, slack, rows."""
        self._get(pid)
        slack = _query_slack(slack)
        if level is not None or slack is not None:
            level, slack = self._range_request(level, slack)
        return self._asked("ranges", pid, level, slack)

    def ask_alternatives(self, me: Party, pid: int, body) -> dict:
        """Queue ``count`` Hop-Skip-Jump plans within ``slack`` of a solved proposal (in the solver process); any party may ask."""
        body = self._body_of(body, ("count", "slack"), "an alternatives request")
        self._get(pid)
        count = body.get("count", DEFAULT_COUNT)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
            raise ApiError(422, f"count: {count!r} is not a whole number in [1, {MAX_COUNT}]")
        _, slack = self._range_request(None, body.get("slack"))
        return self._ask("alternatives", pid, count, slack, lambda p, x, data: engine.Alternatives(
            pid, data, x, count, slack, status=p["status"], gap=p["gap"], time_limit=p["time_limit"]))

    def alternatives(self, pid: int, count=None, slack=None) -> dict:
        """The alternatives asked last (or those of ``count`` and ``slack``): status, count, slack, one row per plan."""
        self._get(pid)
        slack = _query_slack(slack)
        if slack is not None:
            _, slack = self._range_request(None, slack)
        if count is not None:
            try:
                count = int(count)
            except ValueError:
                raise ApiError(422, f"count: {count!r} is not a whole number in [1, {MAX_COUNT}]") from None
        return self._asked("alternatives", pid, count, slack)

    # ------------------------------------------------------------------ the solver's messages

    def on_event(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "progress":
            if self.store.field(self.table_id, message["id"], "status") == "solving":
                self.broadcast(message)
        elif kind == "_started":
            pid = message["id"]
            if self.store.update(self.table_id, pid, only_if=("queued",), status="solving", started_at=now()):
                self.broadcast({"type": "proposal", "id": pid, "status": "solving"})
        elif kind == "_done":
            self._finished(message["id"], message["result"])
        elif kind == "_start":
            pid = message["id"]
            if self.store.field(self.table_id, pid, "status") in UNFINISHED:
                self.starts[pid] = message
                self.broadcast({"type": "start", "id": pid, "objective": message["objective"], "elapsed_s": message["elapsed_s"]})
        elif kind == "_duals":
            pid = message["id"]
            if self.store.update(self.table_id, pid, only_if=SOLVED, duals=message["duals"], duals_message=message["duals_message"]):
                self.broadcast({"type": "proposal", "id": pid, "status": self.store.field(self.table_id, pid, "status"), "duals": True})
        elif kind in ("_ranges_started", "_alternatives_started"):
            what = kind[1:-len("_started")]
            if self.store.finish(what, self.table_id, message["id"], message["key"], message["slack"], "solving"):
                self.broadcast({"type": what, "id": message["id"], "status": "solving"})
        elif kind in ("_ranges", "_alternatives"):
            what, ok = kind[1:], message.get("ok")
            self.store.finish(what, self.table_id, message["id"], message["key"], message["slack"], "done" if ok else "error",
                              rows=message.get("rows") if ok else None, message=None if ok else message.get("message"))
            self.broadcast({"type": what, "id": message["id"], "status": "done" if ok else "error",
                            "level" if what == "ranges" else "count": message["key"], "slack": message["slack"]})
        elif kind == "_exported":
            waiting = self.exports.get(message["out"])
            if waiting is not None:
                waiting["answer"] = message
                waiting["event"].set()
        elif kind == "_failed":  # the solver process could not load the instance, or it died: start another
            with self.lock:
                for p in self.store.proposals(self.table_id):
                    if p["status"] in UNFINISHED:
                        self.store.update(self.table_id, p["id"], only_if=UNFINISHED, status="interrupted",
                                          message=f"{message['message']}; solve it again")
                for what in ("ranges", "alternatives"):
                    for r in self.store.unfinished(what, self.table_id):
                        self.store.finish(what, self.table_id, r["proposal"], r["key"], r["slack"], "error",
                                          message=f"{message['message']}; ask again")
                self.tokens.clear()
                self.starts.clear()
                if self.solver is not None and not self.solver.stopping:
                    self._start_solver()
            self.broadcast({"type": "table", "id": None})

    def _finished(self, pid: int, result: dict) -> None:
        with self.lock:
            self._store_result(pid, result)

    def _store_result(self, pid: int, result: dict) -> None:
        p = self.store.proposal(self.table_id, pid)
        if p is None or p["status"] not in UNFINISHED:
            return  # cancelled or superseded meanwhile: its late answer is dropped
        fields = {"status": result["status"], "message": result.get("message"), "finished_at": now(),
                  "times": result.get("times"), "path": result.get("path"), "solve_s": (result.get("times") or {}).get("solve")}
        if result.get("x") is not None:
            fields.update({k: result[k] for k in ("objective", "bound", "gap", "x", "x_base", "allocation", "summary",
                                                   "summary_csv", "cells", "duals", "duals_message")})
            fields["gap_reached"] = fields.pop("gap")
            fields.update(self._against_parent(p, result))
        elif "bound" in result:
            fields["bound"] = result["bound"]
        if pid == 0 or fields["status"] not in SOLVED:
            fields.pop("affected", None)
        if self.store.update(self.table_id, pid, only_if=UNFINISHED, **fields) and result.get("x") is not None \
                and fields["status"] in SOLVED:
            self._remember(pid, result)
        self.tokens.pop(pid, None)
        self.starts.pop(pid, None)
        self.broadcast({"type": "proposal", "id": pid, "status": fields["status"], "party": p["party"], "parent": p["parent"],
                        "objective": fields.get("objective"), "gap": fields.get("gap_reached")})

    def _against_parent(self, p: dict, result: dict) -> dict:
        """changed_ha, changed_units and the parties affected (their demand rows or their regions' allocation)."""
        if p["parent"] is None:
            return {"changed_ha": 0.0, "changed_units": []}
        if self.store.field(self.table_id, p["parent"], "status") not in SOLVED:
            return {}
        summary, theirs = self._solved_plan(p["parent"])
        if theirs is None:
            return {}
        mine = np.asarray(result["cells"]["claim"])
        changed = np.flatnonzero(mine != theirs) if len(mine) == len(theirs) else np.arange(len(mine))
        area = self.instance.units["area_ha"].to_numpy(dtype=float)
        rows = region_changes(summary or [], result["summary"] or [])
        codes = {str(r["region"]) for r in rows if r["level"] != NATIONAL}
        parties = self.parties or [LOCAL_CHAIR]
        affected = set(p["affected"] or []) | {q.name for q in parties if q.regions == "all" or any(q.holds(c) for c in codes)}
        return {"changed_ha": float(area[changed].sum()), "changed_units": changed.tolist(),
                "affected": [q.name for q in parties if q.name in affected]}

    def _solved_plan(self, pid: int) -> tuple:
        """(summary rows, main claim per unit or None) of a solved proposal: kept in memory for the last few solved
        (a proposal is most often made on one just solved), read from the store otherwise."""
        if pid in self.recent:
            return self.recent[pid]
        cells = self.store.field(self.table_id, pid, "cells")
        summary = self.store.field(self.table_id, pid, "summary")
        return summary, None if cells is None else np.asarray(cells["claim"])

    def _remember(self, pid: int, result: dict) -> None:
        self.recent[pid] = (result["summary"], np.asarray(result["cells"]["claim"]))
        while len(self.recent) > RECENT:
            self.recent.pop(next(iter(self.recent)))

    # ------------------------------------------------------------------ exports

    def run_zip(self, pid: int) -> bytes:
        """The proposal's run folder (as ``solve`` writes it), zipped; written by the solver process."""
        self._solved(pid, "allocation")
        p = self.store.proposal(self.table_id, pid, heavy=True)
        tmp = Path(tempfile.mkdtemp(prefix="ruimtepuzzel-run-"))
        out = tmp / f"{self.instance.name}-proposal-{pid}"
        waiting = {"event": threading.Event(), "answer": None}
        self.exports[str(out)] = waiting
        try:
            scalars = {"status": p["status"], "bound": p["bound"], "gap": p["gap_reached"], "solve_s": p["solve_s"],
                       "gap_requested": p["gap"], "time_limit": p["time_limit"]}
            self.solver.submit(engine.Export(pid, self.data_of(pid), p["x"], scalars, str(out)))
            if not waiting["event"].wait(EXPORT_WAIT_S):
                raise ApiError(503, f"the run folder of proposal {pid} was not written within {EXPORT_WAIT_S:.0f} s")
            answer = waiting["answer"]
            if not answer.get("ok"):
                raise ApiError(500, f"the run folder of proposal {pid} could not be written: {answer.get('message')}")
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(out.rglob("*")):
                    if f.is_file():
                        zf.write(f, f"{out.name}/{f.relative_to(out)}")
            return buffer.getvalue()
        finally:
            self.exports.pop(str(out), None)
            shutil.rmtree(tmp, ignore_errors=True)

    # ------------------------------------------------------------------ map

    def geometry(self) -> dict:
        with self.geometry_lock:  # made once (a few seconds on a national grid), then cached
            if self._geometry is None:
                from ruimtepuzzel.web.geometry import table_geometry

                self._geometry = table_geometry(self.instance)
            return self._geometry


def _option(body: dict, key: str, low: float, high: float) -> Optional[float]:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
        raise ApiError(422, f"{key}: {value!r} is not a number in [{low:g}, {high:g}]")
    return float(value)


def _query_slack(slack) -> Optional[float]:
    """A slack from a query string (None stays None); 422 when it is not a number."""
    if slack is None:
        return None
    try:
        return float(slack)
    except (TypeError, ValueError):
        raise ApiError(422, f"slack: {slack!r} is not a number in [0, 1)") from None


def region_changes(before: list[dict], after: list[dict]) -> list[dict]:
    """Per level, region and claim the allocated area before and after, where it moved by at least 0.01 ha."""
    cols = ["level", "region", "claim", "allocated_ha"]

    def frame(rows):
        f = pd.DataFrame(rows) if rows else pd.DataFrame(columns=cols)
        if "period" in f.columns and len(f):  # a phased plan: the state in its last period
            f = f[f["period"] == f["period"].max()]
        for c in cols:
            if c not in f.columns:
                f[c] = np.nan
        f = f[cols].copy()
        f["region"] = f["region"].astype(str)
        return f.groupby(["level", "region", "claim"], as_index=False)["allocated_ha"].sum()

    merged = frame(before).merge(frame(after), on=["level", "region", "claim"], how="outer", suffixes=("_parent", ""))
    merged = merged.fillna({"allocated_ha_parent": 0.0, "allocated_ha": 0.0})
    merged["change_ha"] = merged["allocated_ha"] - merged["allocated_ha_parent"]
    moved = merged[merged["change_ha"].abs() >= CHANGE_TOLERANCE_HA]
    return [{"level": r.level, "region": r.region, "claim": r.claim, "parent_ha": round(float(r.allocated_ha_parent), 4),
             "allocated_ha": round(float(r.allocated_ha), 4), "change_ha": round(float(r.change_ha), 4)}
            for r in moved.itertuples()]

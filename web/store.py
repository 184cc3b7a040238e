"""The table's persistence: one SQLite file (stdlib ``sqlite3``, WAL journal).

Tables (SQL):

- ``tables(id, instance, scenario, instance_hash, current, created_at)`` — one negotiation
  table per instance, scenario and instance content; ``current`` is the adopted proposal.
- ``proposals(table_id, id, parent, party, note, changes, gap, time_limit, status, message,
  objective, bound, gap_reached, solve_s, times, path, summary, summary_csv, allocation, cells, duals,
  duals_message, x, x_base, changed_ha, changed_units, affected, created_at, started_at,
  finished_at)`` — ``changes``, ``times``, ``summary``, ``cells``, ``duals``, ``affected``,
  ``changed_units`` are JSON; ``allocation`` and ``summary_csv`` the CSV text of ``allocation.csv`` and ``summary.csv``; ``x`` the
  solution vector (float64, zlib-compressed) and ``x_base`` whether it is a vector of the
  base problem's columns (a start for the kept model).
- ``votes(table_id, proposal, party, vote, note, created_at)`` — one vote per party and proposal.
- ``adoptions(table_id, proposal, party, created_at)`` — the history of the current plan.
- ``ranges(table_id, proposal, level, slack, status, message, rows, created_at, finished_at)`` — a proposal's
  near-optimal ranges at one level and slack; ``status`` queued, solving, done or error; ``rows`` JSON.
- ``alternatives(table_id, proposal, count, slack, status, message, rows, created_at, finished_at)`` — the same
  for a proposal's Hop-Skip-Jump plans (``rows``: one per plan, plan 0 the proposal).

Every write is one transaction: a refused or failed call stores nothing. Opening the file marks
proposals left ``queued`` or ``solving`` by a server that stopped as ``interrupted``.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS tables (
    id INTEGER PRIMARY KEY AUTOINCREMENT, instance TEXT NOT NULL, scenario TEXT, instance_hash TEXT NOT NULL,
    current INTEGER, created_at TEXT NOT NULL, UNIQUE (instance, scenario, instance_hash));
CREATE TABLE IF NOT EXISTS proposals (
    table_id INTEGER NOT NULL REFERENCES tables(id), id INTEGER NOT NULL, parent INTEGER,
    party TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', changes TEXT NOT NULL,
    gap REAL, time_limit REAL, status TEXT NOT NULL, message TEXT,
    objective REAL, bound REAL, gap_reached REAL, solve_s REAL, times TEXT, path TEXT,
    summary TEXT, summary_csv TEXT, allocation TEXT, cells TEXT, duals TEXT, duals_message TEXT,
    x BLOB, x_base INTEGER NOT NULL DEFAULT 0, changed_ha REAL, changed_units TEXT, affected TEXT,
    created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,
    PRIMARY KEY (table_id, id));
CREATE TABLE IF NOT EXISTS votes (
    table_id INTEGER NOT NULL, proposal INTEGER NOT NULL, party TEXT NOT NULL, vote TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, PRIMARY KEY (table_id, proposal, party));
CREATE TABLE IF NOT EXISTS adoptions (
    table_id INTEGER NOT NULL, proposal INTEGER NOT NULL, party TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ranges (
    table_id INTEGER NOT NULL, proposal INTEGER NOT NULL, level TEXT NOT NULL, slack REAL NOT NULL,
    status TEXT NOT NULL, message TEXT, rows TEXT, created_at TEXT NOT NULL, finished_at TEXT,
    PRIMARY KEY (table_id, proposal, level, slack));
CREATE TABLE IF NOT EXISTS alternatives (
    table_id INTEGER NOT NULL, proposal INTEGER NOT NULL, count INTEGER NOT NULL, slack REAL NOT NULL,
    status TEXT NOT NULL, message TEXT, rows TEXT, created_at TEXT NOT NULL, finished_at TEXT,
    PRIMARY KEY (table_id, proposal, count, slack));
"""
ANALYSES = {"ranges": "level", "alternatives": "count"}  # table -> the key column beside proposal and slack
UNFINISHED = ("queued", "solving")
JSON_FIELDS = ("changes", "times", "summary", "cells", "duals", "affected", "changed_units")


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pack(x: Optional[np.ndarray]) -> Optional[bytes]:
    return None if x is None else zlib.compress(np.asarray(x, np.float64).tobytes())


def unpack(blob: Optional[bytes]) -> Optional[np.ndarray]:
    return None if blob is None else np.frombuffer(zlib.decompress(blob), np.float64).copy()


class Store:
    """The SQLite file of every table; thread-safe (one connection, one lock)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = threading.Lock()
        self.db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def _tx(self, statements: list[tuple[str, tuple]]) -> None:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self.db.execute(sql, args)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def _all(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    # ---------------------------------------------------------------- tables

    def open_table(self, instance: str, scenario: Optional[str], instance_hash: str) -> int:
        """The table's id (made when new); proposals a stopped server left unfinished become ``interrupted``."""
        key = (instance, scenario or "", instance_hash)
        rows = self._all("SELECT id FROM tables WHERE instance=? AND scenario=? AND instance_hash=?", key)
        if not rows:
            self._tx([("INSERT INTO tables (instance, scenario, instance_hash, created_at) VALUES (?,?,?,?)", key + (now(),))])
            rows = self._all("SELECT id FROM tables WHERE instance=? AND scenario=? AND instance_hash=?", key)
        table_id = int(rows[0]["id"])
        self._tx([("UPDATE proposals SET status='interrupted', message='the server stopped before the solve ended' "
                   "WHERE table_id=? AND status IN ('queued','solving')", (table_id,)),
                  ("UPDATE ranges SET status='error', message='the server stopped before the ranges were computed; ask again' "
                   "WHERE table_id=? AND status IN ('queued','solving')", (table_id,)),
                  ("UPDATE alternatives SET status='error', message='the server stopped before the plans were found; ask again' "
                   "WHERE table_id=? AND status IN ('queued','solving')", (table_id,))])
        return table_id

    def current(self, table_id: int) -> Optional[int]:
        rows = self._all("SELECT current FROM tables WHERE id=?", (table_id,))
        return None if not rows or rows[0]["current"] is None else int(rows[0]["current"])

    def adopt(self, table_id: int, proposal: int, party: str) -> None:
        self._tx([("UPDATE tables SET current=? WHERE id=?", (proposal, table_id)),
                  ("INSERT INTO adoptions VALUES (?,?,?,?)", (table_id, proposal, party, now()))])

    # ---------------------------------------------------------------- proposals

    def add_proposal(self, table_id: int, parent: Optional[int], party: str, note: str, changes: list,
                     gap: Optional[float], time_limit: Optional[float], affected: list, pid: Optional[int] = None) -> int:
        """A new ``queued`` proposal; its id is the next integer of the table (0 for revision 0)."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                if pid is None:
                    row = self.db.execute("SELECT COALESCE(MAX(id), -1) + 1 AS n FROM proposals WHERE table_id=?",
                                          (table_id,)).fetchone()
                    pid = int(row["n"])
                self.db.execute(
                    "INSERT INTO proposals (table_id, id, parent, party, note, changes, gap, time_limit, status, affected, created_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (table_id, pid, parent, party, note, json.dumps(changes), gap, time_limit, "queued", json.dumps(affected), now()))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return pid

    def update(self, table_id: int, pid: int, only_if: tuple = (), **fields) -> bool:
        """Set ``fields``; with ``only_if``, only while the status is one of those. True when a row changed."""
        if not fields:
            return False
        values = []
        for key, value in fields.items():
            if key in JSON_FIELDS:
                value = None if value is None else json.dumps(value)
            elif key == "x":
                value = pack(value)
            values.append(value)
        assignments = ", ".join(f"{k}=?" for k in fields)
        guard = f" AND status IN ({','.join('?' * len(only_if))})" if only_if else ""
        with self.lock:
            cur = self.db.execute(f"UPDATE proposals SET {assignments} WHERE table_id=? AND id=?{guard}",
                                  tuple(values) + (table_id, pid) + tuple(only_if))
            return cur.rowcount == 1

    def set_status_if(self, table_id: int, pid: int, allowed: tuple, status: str, message: Optional[str] = None) -> bool:
        """Set the status only when it is one of ``allowed`` now; True when it was set."""
        with self.lock:
            cur = self.db.execute(
                f"UPDATE proposals SET status=?, message=? WHERE table_id=? AND id=? AND status IN ({','.join('?' * len(allowed))})",
                (status, message, table_id, pid) + tuple(allowed))
            return cur.rowcount == 1

    def proposal(self, table_id: int, pid: int, heavy: bool = False) -> Optional[dict]:
        """The proposal as a dict (JSON fields decoded); ``heavy`` adds ``allocation`` and ``x``."""
        cols = "*" if heavy else ("table_id, id, parent, party, note, changes, gap, time_limit, status, message, objective, bound,"
                                  " gap_reached, solve_s, times, path, summary, changed_ha, affected, created_at, started_at,"
                                  " finished_at, x_base")
        rows = self._all(f"SELECT {cols} FROM proposals WHERE table_id=? AND id=?", (table_id, pid))
        if not rows:
            return None
        out = dict(rows[0])
        for key in JSON_FIELDS:
            if key in out and out[key] is not None:
                out[key] = json.loads(out[key])
        if "x" in out:
            out["x"] = unpack(out["x"])
        return out

    def field(self, table_id: int, pid: int, name: str):
        rows = self._all(f"SELECT {name} FROM proposals WHERE table_id=? AND id=?", (table_id, pid))
        if not rows:
            return None
        value = rows[0][name]
        if name in JSON_FIELDS and value is not None:
            return json.loads(value)
        return unpack(value) if name == "x" else value

    def proposals(self, table_id: int) -> list[dict]:
        rows = self._all("SELECT id, parent, party, note, status, objective, gap_reached, changed_ha, created_at "
                         "FROM proposals WHERE table_id=? ORDER BY id", (table_id,))
        tallies = self._all("SELECT proposal, vote, COUNT(*) AS n FROM votes WHERE table_id=? GROUP BY proposal, vote", (table_id,))
        count: dict = {}
        for t in tallies:
            count.setdefault(t["proposal"], {"approve": 0, "reject": 0})[t["vote"]] = t["n"]
        return [{"id": r["id"], "parent": r["parent"], "party": r["party"], "note": r["note"], "status": r["status"],
                 "objective": r["objective"], "gap": r["gap_reached"], "changed_ha": r["changed_ha"], "created_at": r["created_at"],
                 "votes": count.get(r["id"], {"approve": 0, "reject": 0})} for r in rows]

    # ---------------------------------------------------------------- votes

    def vote(self, table_id: int, pid: int, party: str, vote: str, note: str) -> None:
        self._tx([("INSERT OR REPLACE INTO votes VALUES (?,?,?,?,?,?)", (table_id, pid, party, vote, note, now()))])

    def votes(self, table_id: int, pid: int) -> list[dict]:
        rows = self._all("SELECT party, vote, note, created_at FROM votes WHERE table_id=? AND proposal=? ORDER BY created_at, party",
                         (table_id, pid))
        return [dict(r) for r in rows]

    # ---------------------------------------------------------------- ranges and alternatives

    def ask(self, kind: str, table_id: int, pid: int, key, slack: float) -> bool:
        """Queue the ``kind`` (``ranges``: key = level; ``alternatives``: key = count) of (proposal, key, slack) unless
        they are queued, solving or done; True when queued now."""
        table, column = kind, ANALYSES[kind]
        where = f"table_id=? AND proposal=? AND {column}=? AND slack=?"
        args = (table_id, pid, key, slack)
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                row = self.db.execute(f"SELECT status FROM {table} WHERE {where}", args).fetchone()
                if row is not None and row["status"] != "error":
                    self.db.execute(f"UPDATE {table} SET created_at=? WHERE {where}", (now(),) + args)  # GET shows the latest asked
                    self.db.execute("COMMIT")
                    return False
                self.db.execute(f"INSERT OR REPLACE INTO {table} (table_id, proposal, {column}, slack, status, created_at) "
                                "VALUES (?,?,?,?,?,?)", args + ("queued", now()))
                self.db.execute("COMMIT")
                return True
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def finish(self, kind: str, table_id: int, pid: int, key, slack: float, status: str,
               rows: Optional[list] = None, message: Optional[str] = None) -> bool:
        """Set the status (and rows, message) of asked ranges or alternatives; True when a row changed."""
        finished = now() if status in ("done", "error") else None
        with self.lock:
            cur = self.db.execute(f"UPDATE {kind} SET status=?, rows=?, message=?, finished_at=? "
                                  f"WHERE table_id=? AND proposal=? AND {ANALYSES[kind]}=? AND slack=?",
                                  (status, None if rows is None else json.dumps(rows), message, finished,
                                   table_id, pid, key, slack))
            return cur.rowcount == 1

    def asked(self, kind: str, table_id: int, pid: int, key=None, slack: Optional[float] = None) -> Optional[dict]:
        """The ranges or alternatives of (proposal, key, slack); without key or slack, those asked last; None when never asked."""
        sql, args = f"SELECT * FROM {kind} WHERE table_id=? AND proposal=?", [table_id, pid]
        if key is not None:
            sql, args = sql + f" AND {ANALYSES[kind]}=?", args + [key]
        if slack is not None:
            sql, args = sql + " AND slack=?", args + [slack]
        rows = self._all(sql + " ORDER BY created_at DESC, rowid DESC LIMIT 1", tuple(args))
        if not rows:
            return None
        out = dict(rows[0])
        out["rows"] = json.loads(out["rows"]) if out["rows"] else []
        return out

    def unfinished(self, kind: str, table_id: int) -> list[dict]:
        return [dict(r) for r in self._all(f"SELECT proposal, {ANALYSES[kind]} AS key, slack FROM {kind} WHERE table_id=? "
                                           "AND status IN ('queued','solving')", (table_id,))]

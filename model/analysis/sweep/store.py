"""The sweep's result store: one Parquet file per solved scenario, keyed by the effective instance.

``<out>/scenarios/<key>.parquet`` holds the scenario's summary rows (level, region,
claim, demand, allocated, shortfall); its scalars (status, objective, gap, times)
and shadow prices ride along in the file's metadata. Files are written aside (as
``.tmp-<key>-<pid>``, a name no ``*.parquet`` pattern matches) and renamed into place,
so a killed sweep leaves whole files or none; a rerun solves only the keys that have
no file. The key is a hash of everything that decides the
answer: the input files, the effective configuration and the solver settings.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Optional

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

META = b"ruimtepuzzel"
FOLDER = "scenarios"


def scenario_key(files_hash: str, config_json: str, solver: dict) -> str:
    h = hashlib.sha256()
    h.update(files_hash.encode())
    h.update(config_json.encode())
    h.update(json.dumps(solver, sort_keys=True, default=str).encode())
    return h.hexdigest()[:24]


def finished(out: Path) -> list[str]:
    """The keys of the scenarios stored whole in the sweep folder ``out`` (files being written aside excluded)."""
    folder = Path(out) / FOLDER
    return sorted(p.stem for p in folder.glob("*.parquet") if not p.name.startswith(".")) if folder.is_dir() else []


class Store:
    def __init__(self, out: Path):
        self.folder = Path(out) / FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)
        for stale in self.folder.glob(".tmp-*"):  # left by a killed writer
            stale.unlink(missing_ok=True)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.parquet"

    def has(self, key: str) -> bool:
        return self.path(key).exists()

    def put(self, key: str, answer: dict) -> None:
        table = pa.Table.from_pandas(answer["summary"].reset_index(drop=True), preserve_index=False)
        meta = {"record": answer["record"], "duals": answer["duals"].to_dict("records")}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), META: json.dumps(meta, default=_plain).encode()})
        tmp = self.folder / f".tmp-{key}-{os.getpid()}"
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, self.path(key))
        finally:
            tmp.unlink(missing_ok=True)

    def get(self, key: str) -> Optional[dict]:
        if not self.has(key):
            return None
        table = pq.read_table(self.path(key))
        meta = json.loads(table.schema.metadata[META])
        return {"record": meta["record"], "summary": table.to_pandas(), "duals": pd.DataFrame(meta["duals"])}


def _plain(value):
    try:
        return value.item()  # numpy scalars
    except AttributeError:
        return str(value)

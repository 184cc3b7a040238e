"""The alternatives store: one file per solve, so that a rerun into the same ``--out`` solves only what is missing.

``<out>/store/<key>.npz`` holds a plan (its full column vector and its record as JSON),
``<out>/store/<key>.json`` a range or importance row. Files are written aside and renamed
into place, so a killed run leaves whole files or none. A key is a hash of everything that
decides the answer (the input files, the effective configuration, the solver settings, the
slack, the method and what the solve is).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Optional

import numpy as np

FOLDER = "store"


def key_of(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}  # inf and nan survive JSON
    return value


def _back(value):
    return float(value["float"]) if isinstance(value, dict) and set(value) == {"float"} else value


class Store:
    def __init__(self, out: Path):
        self.folder = Path(out) / FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)
        for stale in self.folder.glob(".tmp-*"):
            stale.unlink(missing_ok=True)

    def _write(self, path: Path, write) -> None:
        tmp = self.folder / f".tmp-{os.getpid()}-{path.name}"
        try:
            write(tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def put_plan(self, key: str, values: np.ndarray, record: dict) -> None:
        text = json.dumps({k: _plain(v) for k, v in record.items()})
        self._write(self.folder / f"{key}.npz", lambda p: np.savez(open(p, "wb"), values=values, record=np.array(text)))

    def get_plan(self, key: str) -> Optional[tuple[np.ndarray, dict]]:
        path = self.folder / f"{key}.npz"
        if not path.exists():
            return None
        with np.load(path) as data:
            return data["values"], {k: _back(v) for k, v in json.loads(str(data["record"])).items()}

    def put_row(self, key: str, row: dict) -> None:
        text = json.dumps({k: _plain(v) for k, v in row.items()})
        self._write(self.folder / f"{key}.json", lambda p: p.write_text(text))

    def get_row(self, key: str) -> Optional[dict]:
        path = self.folder / f"{key}.json"
        if not path.exists():
            return None
        return {k: _back(v) for k, v in json.loads(path.read_text()).items()}

"""Write a run folder atomically (docs/results.md).

Everything is written into a hidden sibling folder, then moved into place with one
rename; a failed or killed run leaves only that hidden folder, which is removed on
failure and never mistaken for a run. Parent folders made for the run
(``results/<instance>/``) are removed again when it fails and they stayed empty.
"""
from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ruimtepuzzel.model.errors import InputError

PARTIAL_PREFIX = ".partial-"


def default_run_dir(root: Path, instance: str, scenario: str | None) -> Path:
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    name = stamp if not scenario else f"{stamp}-{Path(scenario).stem}"
    out = root / instance / name
    n = 1
    while out.exists():
        n += 1
        out = root / instance / f"{name}-{n}"
    return out


@contextmanager
def staging(out: Path):
    """Yield a hidden folder to write into; move it to ``out`` when the block succeeds."""
    out = Path(out)
    if out.exists():
        raise InputError(f"{out}: the run folder exists already; --out must name a new folder")
    made = [p for p in [out.parent, *out.parent.parents] if not p.exists()]  # deepest first
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(out.parent)
    tmp = out.parent / f"{PARTIAL_PREFIX}{out.name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_empty(made)
        raise
    try:
        os.replace(tmp, out)  # atomic on one filesystem; fails if out appeared meanwhile
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(f"{out}: the run folder appeared while this run was writing; nothing was moved there") from None


def remove_empty(folders: list[Path]) -> None:
    """Remove these folders, deepest first, as long as they are empty (another run may have written beside us)."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove hidden staging folders left by runs that were killed (their process is gone)."""
    removed = []
    for path in Path(folder).glob(f"{PARTIAL_PREFIX}*"):
        pid = path.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format="%.6f", lineterminator="\n")


def write_allocation_gpkg(alloc: pd.DataFrame, geometry: np.ndarray, crs: str, path: Path) -> None:
    """``geometry``: one shape per allocation row."""
    import geopandas as gpd

    frame = gpd.GeoDataFrame(alloc.copy(), geometry=geometry if len(alloc) else [], crs=crs)
    frame.attrs = {}
    frame.to_file(path, layer="allocation", driver="GPKG", engine="pyogrio")


def write_manifest(manifest: dict, path: Path) -> None:
    path.write_text(json.dumps(manifest, indent=2, default=_json_default, allow_nan=False) + "\n")


def mark_written(run_dir: Path, names: list[str]) -> None:
    """Take ``names`` (optional outputs written since, e.g. by ``report``) out of the manifest's ``skipped_outputs``;
    the manifest is replaced whole, never left half written."""
    path = Path(run_dir) / "manifest.json"
    manifest = json.loads(path.read_text())
    skipped = manifest.get("skipped_outputs") or {}
    if not any(name in skipped for name in names):
        return
    manifest["skipped_outputs"] = {k: v for k, v in skipped.items() if k not in names}
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    write_manifest(manifest, tmp)
    os.replace(tmp, path)

"""Write small instances and solve them at gap 0; every solution goes through the checker."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from ruimtepuzzel.model.pipeline import solve_instance

from .checker import check


def row_units(n: int, cell: float = 100.0, area: float = 1.0, region: str = "A", **columns) -> list[dict]:
    """n square cells in a row, left to right (x = 50, 150, …), each ``area`` ha."""
    out = []
    for i in range(n):
        unit = {"unit_id": f"u{i + 1}", "area_ha": area, "province": region, "x": cell / 2 + i * cell, "y": cell / 2, "cell_m": cell}
        for key, values in columns.items():
            unit[key] = values[i] if isinstance(values, (list, tuple)) else values
        out.append(unit)
    return out


def write_instance(folder: Path, config: dict, units, scenarios: dict | None = None) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {"name": "test", "regions": ["province"], **config}
    (folder / "instance.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    pd.DataFrame(units).to_csv(folder / "units.csv", index=False)
    for name, overlay in (scenarios or {}).items():
        (folder / "scenarios").mkdir(exist_ok=True)
        (folder / "scenarios" / f"{name}.yaml").write_text(yaml.safe_dump(overlay))
    return folder


_counter = {"n": 0}


def solve(tmp_path: Path, config: dict, units, solver: str = "highs", scenario=None, overrides=None):
    """Solve at gap 0; check the allocation independently; return the Run."""
    _counter["n"] += 1
    folder = write_instance(tmp_path / f"inst{_counter['n']}", config, units)
    run = solve_instance(folder, scenario=scenario, out=tmp_path / f"run{_counter['n']}", solver=solver, gap=0.0,
                         time_limit=60, overrides=overrides)
    check(run.instance, run.allocation, run.summary, run.result.objective)
    return run


def allocated(run) -> set[tuple[str, str]]:
    return set(zip(run.allocation["unit_id"], run.allocation["claim"]))

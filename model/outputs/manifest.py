"""The run's manifest.json (docs/results.md): what was solved, how, with which result, time and memory."""
from __future__ import annotations

import hashlib
import platform
import resource
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from ruimtepuzzel import __version__
from ruimtepuzzel.model.solve.stages import finite
from ruimtepuzzel.solvers import SolveOptions


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


def _versions() -> dict:
    from importlib.metadata import version

    out = {"ruimtepuzzel": __version__, "python": platform.python_version()}
    for pkg in ("highspy", "pyomo", "numpy", "pandas", "shapely", "geopandas"):
        try:
            out[pkg] = version(pkg)
        except Exception:
            out[pkg] = None
    return out


def input_files(instance) -> list[dict]:
    """Each input file with its role (instance, scenario, units) and SHA-256: what ``compare`` matches two runs by."""
    files = list(instance.files)
    roles = ["instance"] + ["scenario"] * (len(files) - 2) + ["units"]
    return [{"role": role, "file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
            for role, path in zip(roles, files)]


def manifest_of(run, opts: SolveOptions, overrides: Optional[dict]) -> dict:
    instance, result = run.instance, run.result
    return {
        "instance": instance.name,
        "instance_folder": str(Path(instance.folder).resolve()),
        "instance_hash": instance.content_hash(),
        "input_files": input_files(instance),
        "scenario": instance.scenario,
        "units_dialect": instance.dialect.as_dict() if instance.dialect else None,  # how the units file was read
        "parameters": {
            "objective": instance.config.objective.model_dump(),
            "solver": {"name": opts.solver, "mip_rel_gap": opts.mip_rel_gap, "time_limit_s": opts.time_limit_s,
                       "threads": opts.threads, "seed": opts.seed, "presolve": opts.presolve, "options": opts.options},
            "overrides": overrides or {},
        },
        "solver": {"name": opts.solver, "version": result.version, "message": result.message, "killed": result.killed},
        "versions": _versions(),
        "status": result.status,
        "objective": finite(result.objective),
        "bound": finite(result.bound),
        "gap": finite(result.gap),
        "times_s": {k: round(run.times.get(k, 0.0), 4) for k in ("load", "preprocess", "build", "aggregate", "transfer", "solve", "extract", "duals", "write")
                    if k != "aggregate" or k in run.times},
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "size": {"units": len(instance.units), "pairs": len(run.prep.pairs), **run.problem.size()},
        "aggregation": run.aggregation,
        "periods": instance.config.periods,
        "warnings": run.prep.warnings,
        "shadow_prices": run.duals is not None,  # false: the fixed-integer LP failed, duals.csv is empty
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }

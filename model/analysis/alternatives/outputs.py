"""The files of ``alternatives``: tables, manifest, and with the ``report`` extra the maps, charts and sentences.

Into ``out`` (kept between runs; each file replaced whole): ``alternatives.csv``,
``alternatives_allocation.csv``, ``selection_frequency.csv``, ``ranges.csv`` (with
``--ranges``), ``importance.csv`` (with ``--importance``), plan 0's ``allocation.csv`` and
``summary.csv`` (as ``solve`` writes them), ``manifest.json``; with ``report``:
``map_selection_frequency.png``, ``ranges_<region>.png`` per region, ``map_importance.png``
and ``alternatives.html`` (the sentences, each carrying the facts it states).
"""
from __future__ import annotations

from pathlib import Path

from ruimtepuzzel.model import optional
from ruimtepuzzel.model.inputs.instance import Instance
from ruimtepuzzel.model.outputs import extract
from ruimtepuzzel.model.outputs import run_folder as results
from ruimtepuzzel.model.outputs.names import with_names


def csv(frame, path: Path) -> None:
    results.write_atomically(path, lambda p: results.write_csv(frame, p))


def write(outcome, instance: Instance, s, opts, report: bool, progress) -> None:
    out = Path(outcome.out)
    prep = outcome.prep
    csv(outcome.alternatives, out / "alternatives.csv")
    csv(outcome.allocation, out / "alternatives_allocation.csv")
    csv(outcome.selection_frequency, out / "selection_frequency.csv")
    _remove_stale(out, outcome)
    if outcome.ranges is not None:
        csv(outcome.ranges.drop(columns=["total_s"]), out / "ranges.csv")
    if outcome.importance is not None:
        csv(outcome.importance.drop(columns=["total_s"]), out / "importance.csv")
    alloc0 = extract.allocation(prep, outcome.plans[0])
    csv(with_names(alloc0, instance.config), out / "allocation.csv")
    csv(with_names(extract.summary(prep, alloc0), instance.config), out / "summary.csv")
    table = outcome.alternatives
    manifest = {
        "instance": instance.name, "instance_hash": instance.content_hash(), "scenario": instance.scenario,
        "command": "alternatives", "sense": instance.config.objective.sense, "objective_held": outcome.objective.sense,
        "objective": outcome.z_star, "status": str(table["status"].iloc[0]),
        "slack": s.slack, "method": s.method, "count": s.count, "plans": int(table["objective"].notna().sum()),
        "directions_file": str(s.directions_file) if s.directions_file else None, "seed": s.seed,
        "ranges_level": s.ranges_level, "importance": s.importance,
        "solver": {"name": opts.solver, "mip_rel_gap": opts.mip_rel_gap, "time_limit_s": opts.time_limit_s,
                   "threads": opts.threads, "seed": opts.seed},
        "workers": s.workers if s.scheduler is None else None, "scheduler": str(s.scheduler) if s.scheduler else None,
        "solved_now": outcome.solved, "from_store": outcome.stored, "failed": outcome.failed,
        "wall_s": round(outcome.wall_s, 3), "shadow_prices": False,
    }
    skipped = {}
    if report:
        reason = optional.missing(("matplotlib",), "report", "the alternatives maps and charts")
        if reason is None:
            from ruimtepuzzel.model.analysis.alternatives import charts

            charts.write_all(outcome, instance, out, progress)
            from ruimtepuzzel.model.analysis.alternatives import sentences

            results.write_atomically(out / "alternatives.html", lambda p: p.write_text(sentences.page(outcome, instance)))
        else:
            skipped["alternatives report"] = reason
            progress(f"skipped: {reason}")
    manifest["skipped_outputs"] = skipped
    results.write_atomically(out / "manifest.json", lambda p: results.write_manifest(manifest, p))
    progress(f"wrote {out}")


def _remove_stale(out: Path, outcome) -> None:
    """Files of an earlier run into the same folder that this run does not rewrite (its stored solves stay)."""
    stale = list(out.glob("ranges_*.png")) + list(out.glob("map_*.png")) + [out / "alternatives.html"]
    if outcome.ranges is None:
        stale.append(out / "ranges.csv")
    if outcome.importance is None:
        stale.append(out / "importance.csv")
    for path in stale:
        path.unlink(missing_ok=True)

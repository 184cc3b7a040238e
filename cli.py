"""ruimtepuzzel command line (docs/cli.md).

Exit codes: 0 solved (optimal or within gap, or the best allocation at the time
limit), 1 input error (a command-line usage error and a failure to write included),
2 infeasible hard constraints (with a diagnosis), 3 time limit without a feasible
solution, 130 interrupted (Ctrl-C or SIGTERM; nothing half-written is left); ``sweep``
exits 4 when some scenarios failed.

Option values are read by :mod:`model.inputs.settings`, the one place that checks run
settings for the command line and the Python API alike.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ruimtepuzzel.model.inputs.builtin import DEFAULT_INSTANCE, INSTANCES, builtin_names, resolve_instance  # noqa: F401


def _progress(quiet: bool):
    """Progress on stderr (a live status line on a terminal); nothing with --quiet."""
    from ruimtepuzzel.model.outputs.progress import Progress, quiet as silent

    return silent if quiet else Progress()


LONGEST_LINE = 1000  # an error line longer than this is cut: a last guard against a hostile value echoed whole


def _fail(exc) -> None:
    from ruimtepuzzel.model.errors import clipped

    text = "\n".join(clipped(line, LONGEST_LINE) for line in str(exc).splitlines())
    click.echo(f"error: {text}" if exc.exit_code == 1 else text, err=True)
    sys.exit(exc.exit_code)


INTERRUPTED = 130
INTERRUPTED_MESSAGE = "interrupted: stopped before the end; nothing half-written was left (a run folder appears only when complete)"


def _terminate(signum, frame):
    """SIGTERM ends a run as Ctrl-C does: cleaned up, exit 130."""
    raise KeyboardInterrupt


class _NoSolverTraceback:
    """Drop Pyomo's warning with a traceback about a solver it cannot create; the one-line error says it instead."""

    @staticmethod
    def filter(record) -> bool:
        return not str(record.msg).startswith("Failed to create solver")


def _guard_process() -> None:
    import logging
    import signal

    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    logging.getLogger("pyomo.opt").addFilter(_NoSolverTraceback)


class Setting(click.ParamType):
    """An option value read by :mod:`model.inputs.settings`; a refusal is a usage error (exit 1)."""

    def __init__(self, name: str, read):
        self.name = name
        self.read = read

    def convert(self, value, param, ctx):
        from ruimtepuzzel.model.inputs.values import Refused

        try:
            return self.read(value)
        except Refused as exc:
            self.fail(str(exc), param, ctx)


def _settings():
    from ruimtepuzzel.model.inputs import settings

    return {
        "gap": Setting("fraction", settings.gap),
        "seconds": Setting("seconds", settings.seconds),
        "threads": Setting("integer", settings.threads),
        "seed": Setting("integer", settings.seed),
        "points": Setting("integer", settings.points),
        "workers": Setting("integer", settings.workers),
        "year": Setting("year", settings.whole(1990, 2100)),
    }


SETTING = _settings()


class Commands(click.Group):
    """The command group. A usage error (unknown option, bad value) exits 1, an input error (docs/cli.md);
    a command whose optional dependency is missing ends with the extra to install, never a traceback (each
    command checks its extras first, :mod:`ruimtepuzzel.model.optional`; this catches any import of an
    optional package that slipped past those checks).
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        _guard_process()
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:  # UsageError, BadParameter, NoSuchOption, …
            exc.show()
            sys.exit(1)
        except (click.exceptions.Abort, KeyboardInterrupt):  # click turns Ctrl-C (and our SIGTERM) into Abort
            click.echo(INTERRUPTED_MESSAGE, err=True)
            sys.exit(INTERRUPTED)
        except OSError as exc:  # a failure to read or write that no command turned into its own message
            from ruimtepuzzel.model.outputs.run_folder import reason

            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"error: {where}{reason(exc)}", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx):
        from ruimtepuzzel.model.optional import EXTRA_OF, install_hint

        try:
            return super().invoke(ctx)
        except ModuleNotFoundError as exc:
            extra = EXTRA_OF.get((exc.name or "").split(".")[0])
            if extra is None:
                raise
            click.echo(f"error: {exc.name} is not installed: {install_hint(extra)}", err=True)
            sys.exit(1)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="ruimtepuzzel")
def main():
    """Allocate Dutch candidate land to competing space claims, and show the trade-offs."""


@main.command()
@click.argument("instance", required=False)
@click.option("--scenario", help="Overlay scenarios/<S>.yaml (or a YAML file) onto instance.yaml.")
@click.option("--out", type=click.Path(path_type=Path), help="The run folder itself (must not exist yet).")
@click.option("--time-limit", type=SETTING["seconds"], help="Wall-clock limit in seconds (> 0; default: the instance's, 600 s unless it says).")
@click.option("--gap", type=SETTING["gap"], help="Relative MIP gap, a fraction in [0, 1) (0.05 is 5 %); 0 asks for a proven optimum (default: the instance's, 0.01).")
@click.option("--solver", help="highs (default), pyomo-highs, or any Pyomo solver name (cbc, glpk, gurobi…).")
@click.option("--threads", type=SETTING["threads"], help="Solver threads, a whole number (0: automatic; default: the instance's, 2).")
@click.option("--seed", type=SETTING["seed"], help="Solver random seed.")
@click.option("--quiet", is_flag=True, help="No progress messages.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON on stdout.")
@click.option("--rule-costs", is_flag=True, help="Also re-solve without each hard rule; writes rule_costs.csv.")
@click.option("--no-report", is_flag=True, help="Skip report.html, factsheets.html and the maps.")
def solve(instance, scenario, out, time_limit, gap, solver, threads, seed, quiet, as_json, rule_costs, no_report):
    """Solve INSTANCE (a folder or a built-in name; default nl-provinces, the Netherlands on 1 km cells).

    Writes a run folder: allocation.csv (hectares per unit and claim), summary.csv (floors, allocated and
    shortfall in ha, or in the floor's own measure), duals.csv, manifest.json and, with [report], the report."""
    from ruimtepuzzel.model.errors import RuimtepuzzelError
    from ruimtepuzzel.model.pipeline import solve_instance

    try:
        run = solve_instance(
            resolve_instance(instance), scenario=scenario, out=out, solver=solver,
            time_limit=time_limit, gap=gap, threads=threads, seed=seed, progress=_progress(quiet), with_rule_costs=rule_costs,
            with_report=not no_report,
        )
    except RuimtepuzzelError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(run.manifest, indent=2))
    elif not quiet:
        _print_run(run)


@main.command()
@click.argument("instance", required=False)
@click.option("--spec", "spec_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="The sweep spec (YAML): design grid | oat | monte_carlo and its parameters.")
@click.option("--workers", type=SETTING["workers"], default=1, show_default=True, help="Local worker processes.")
@click.option("--scheduler", help="Address of a running Dask scheduler (tcp://host:8786) instead of local workers.")
@click.option("--out", type=click.Path(path_type=Path),
              help="The sweep folder; rerunning into it solves only what is missing. Default results/<instance>/sweep-<spec>.")
@click.option("--scenario", help="Overlay scenarios/<S>.yaml onto instance.yaml before the sweep's changes.")
@click.option("--no-reuse", is_flag=True, help="Build and pass every scenario afresh (no kept model, no warm start).")
@click.option("--time-limit", type=SETTING["seconds"], help="Wall-clock limit per scenario, in seconds (> 0).")
@click.option("--gap", type=SETTING["gap"], help="Relative MIP gap per scenario, a fraction in [0, 1).")
@click.option("--threads", type=SETTING["threads"], help="Solver threads per scenario (default 1: workers share the cores).")
@click.option("--refine/--no-refine", default=True, show_default=True,
              help="Re-solve at gap 0 the scenarios whose objective change from the base is smaller than the gap can show.")
@click.option("--quiet", is_flag=True, help="No progress bar or messages.")
def sweep(instance, spec_path, workers, scheduler, out, scenario, no_reuse, time_limit, gap, threads, refine, quiet):
    """Sensitivity runs on INSTANCE (default nl-provinces): one row per scenario in sweep.csv/.parquet, with plots.

    Objectives in the instance's units, allocations and shortfalls in ha, shadow prices per unit of each row.

    Exit code 4 when some scenarios failed (a crashed or killed worker); rerun to retry them.
    """
    from ruimtepuzzel.model.errors import RuimtepuzzelError

    try:
        from ruimtepuzzel.model.analysis.sweep import sweep_instance  # needs the sweep extra: a message, not a traceback

        outcome = sweep_instance(resolve_instance(instance), spec_path, out, scenario=scenario, workers=workers,
                                 scheduler=scheduler, reuse=not no_reuse, quiet=quiet, progress=_progress(quiet),
                                 time_limit=time_limit, gap=gap, threads=threads, refine=refine)
    except RuimtepuzzelError as exc:
        _fail(exc)
    if not quiet:
        from ruimtepuzzel.model.outputs import numbers as fmt

        click.echo(f"{outcome.scenarios} scenarios: {outcome.solved} solved now, {outcome.stored} from the store, "
                   f"{len(outcome.failed)} failed ({fmt.seconds(outcome.wall_s)})")
        table = outcome.table
        if "change_resolved" in table and (table["change_resolved"] == False).any():  # noqa: E712
            hidden = table.loc[table["change_resolved"] == False, "scenario"].tolist()  # noqa: E712
            click.echo(f"note: the objective change of {', '.join(hidden)} is smaller than the gap can show "
                       "(change_resolved false in sweep.csv)")
        click.echo(f"results: {outcome.out}")
    if outcome.failed:
        sys.exit(4)


@main.command()
@click.argument("instance", required=False)
@click.option("--scenario", help="Overlay scenarios/<S>.yaml (or a YAML file) onto instance.yaml.")
@click.option("--slack", default="0.05", show_default=True, help="Near-optimal: the objective within this fraction of |z*|, in [0, 1).")
@click.option("--count", default="5", show_default=True, help="Plans after the optimum (at least 1).")
@click.option("--method", default="hsj", show_default=True, help="hsj (Hop-Skip-Jump) or directions.")
@click.option("--directions", "directions_file", type=click.Path(path_type=Path),
              help="YAML list of {'<level>:<region>:<claim>': weight}, one direction per plan (--method directions).")
@click.option("--seed", type=SETTING["seed"], help="Seed of random directions (default 0).")
@click.option("--ranges", "ranges_level", help="For every region of LEVEL and claim: the least and most ha within the slack.")
@click.option("--importance", "importance_kind", help="Replacement cost of plan 0's groups: unit, site or a region LEVEL.")
@click.option("--workers", type=SETTING["workers"], default=1, show_default=True, help="Local worker processes for ranges and importance.")
@click.option("--scheduler", help="Address of a running Dask scheduler (tcp://host:8786) instead of local workers.")
@click.option("--gap", type=SETTING["gap"], help="Relative MIP gap per solve, a fraction in [0, 1); 0 proves every figure.")
@click.option("--time-limit", type=SETTING["seconds"], help="Wall-clock limit per solve, in seconds.")
@click.option("--threads", type=SETTING["threads"], help="Solver threads per solve (default 1 with several workers, else the instance's).")
@click.option("--out", type=click.Path(path_type=Path),
              help="The output folder; rerunning into it solves only what is missing. Default results/<instance>/alternatives-<method>.")
@click.option("--no-report", is_flag=True, help="Skip the maps, charts and alternatives.html.")
@click.option("--quiet", is_flag=True, help="No progress messages.")
def alternatives(instance, scenario, slack, count, method, directions_file, seed, ranges_level, importance_kind, workers,
                 scheduler, gap, time_limit, threads, out, no_report, quiet):
    """Near-optimal alternatives of INSTANCE (default nl-provinces): plans within the slack, ranges (ha) per region and
    claim, replacement costs (objective units)."""
    from ruimtepuzzel.model.errors import RuimtepuzzelError

    try:
        from ruimtepuzzel.model.analysis.alternatives import alternatives_instance

        outcome = alternatives_instance(resolve_instance(instance), scenario, slack=slack, count=count, method=method,
                                        directions_file=directions_file, seed=seed, ranges_level=ranges_level,
                                        importance_kind=importance_kind, workers=workers, scheduler=scheduler, gap=gap,
                                        time_limit=time_limit, threads=threads, out=out, report=not no_report,
                                        progress=_progress(quiet))
    except RuimtepuzzelError as exc:
        _fail(exc)
    if not quiet:
        from ruimtepuzzel.model.outputs import numbers as fmt

        table = outcome.alternatives
        click.echo(f"optimum {fmt.objective(outcome.z_star)}; {len(table) - 1} near-optimal plan(s) within "
                   f"{fmt.percent(outcome.slack)} of it")
        for r in table.itertuples():
            click.echo(f"  plan {r.plan} ({r.method}, {r.status}): objective {fmt.objective(r.objective)}"
                       + (f", {fmt.number(r.distance_ha, 1)} ha from the nearest earlier plan" if r.plan else ""))
        if outcome.failed:
            click.echo(f"{len(outcome.failed)} solve(s) failed; rerun into the same --out to retry them", err=True)
        click.echo(f"results: {outcome.out}")
    if outcome.failed:
        sys.exit(4)


@main.command()
@click.argument("instance", required=False)
@click.option("--x", "x_metric", required=True, help="value, cost (€), a claim (housing, ha) or claim@REGION (housing@PV28, ha).")
@click.option("--y", "y_metric", required=True, help="The second metric, as --x.")
@click.option("--points", type=SETTING["points"], default=7, show_default=True, help="Points on the front, ends included.")
@click.option("--scenario", help="Overlay scenarios/<S>.yaml onto instance.yaml.")
@click.option("--out", type=click.Path(path_type=Path), help="The output folder (must not exist yet).")
@click.option("--time-limit", type=SETTING["seconds"], help="Wall-clock limit per point, in seconds (> 0).")
@click.option("--gap", type=SETTING["gap"], help="Relative MIP gap per point, a fraction in [0, 1); 0 makes the front exactly monotone.")
@click.option("--quiet", is_flag=True, help="No progress messages.")
def pareto(instance, x_metric, y_metric, points, scenario, out, time_limit, gap, quiet):
    """An ε-constraint Pareto front between two metrics of INSTANCE (default nl-provinces): pareto.csv and pareto.png.

    A claim's metric is in hectares, cost in euros, value in the objective's units."""
    from ruimtepuzzel.model.errors import RuimtepuzzelError
    from ruimtepuzzel.model.pipeline import pareto_instance

    try:
        table, folder = pareto_instance(resolve_instance(instance), x_metric, y_metric, points, scenario, out,
                                        time_limit=time_limit, gap=gap, progress=_progress(quiet))
    except RuimtepuzzelError as exc:
        _fail(exc)
    if not quiet:
        _print_front(table, x_metric, y_metric)
        click.echo(f"results: {folder}")


def _print_front(table, x_metric: str, y_metric: str) -> None:
    from ruimtepuzzel.model.outputs import numbers as fmt

    shown = table.copy()
    for column in (x_metric, y_metric, "epsilon"):
        shown[column] = [fmt.number(v, 1) if v == v else "" for v in shown[column]]
    shown["gap"] = [fmt.percent(g) if g == g and g is not None else "" for g in shown["gap"]]
    shown["on_front"] = shown["on_front"].map({True: "yes", False: "no"})
    click.echo(shown.drop(columns=["note"]).to_string(index=False))
    for note in table.attrs.get("notes", []):
        click.echo(f"note: {note}")


@main.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The instance folder to create (must not exist).")
@click.option("--quiet", is_flag=True, help="No progress messages.")
def build(spec, out, quiet):
    """Build an instance folder (units.gpkg and a starting instance.yaml) from the GIS layers of SPEC."""
    import time

    from ruimtepuzzel.model.build.builder import build_instance
    from ruimtepuzzel.model.errors import RuimtepuzzelError

    start = time.perf_counter()
    try:
        folder, warnings = build_instance(spec, out, _progress(quiet))
    except RuimtepuzzelError as exc:
        _fail(exc)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if not quiet:
        click.echo(f"wrote {folder} ({time.perf_counter() - start:.1f} s)")


@main.command("fetch-regions")
@click.option("--year", type=SETTING["year"], required=True, help="Year of the CBS gebiedsindelingen.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="GeoPackage to write (must not exist).")
@click.option("--base-url", default=None, help="Another WFS address ({year} is filled in); default PDOK's.")
def fetch_regions_cmd(year, out, base_url):
    """Download provinces, COROP regions and municipalities of YEAR from PDOK (needs a network)."""
    from ruimtepuzzel.model.errors import InputError, RuimtepuzzelError
    from ruimtepuzzel.model.build.fetch import BASE_URL, fetch_regions

    try:
        if out.exists():
            raise InputError(f"{out}: exists already")
        counts = fetch_regions(year, out, base_url or BASE_URL, progress=_progress(False))
    except RuimtepuzzelError as exc:
        _fail(exc)
    click.echo(f"wrote {out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--instance", "instance_arg", help="The run's instance folder (or a built-in name), if it moved since the run.")
def report(run_dir, instance_arg):
    """(Re)write report.html, factsheets.html and the maps of the solved run in RUN_DIR."""
    from ruimtepuzzel.model.errors import RuimtepuzzelError
    from ruimtepuzzel.model.optional import require_installed
    from ruimtepuzzel.model.outputs.report import instance_of_run, write_report
    from ruimtepuzzel.model.outputs.run_folder import mark_written
    from ruimtepuzzel.model.pipeline import OPTIONAL_OUTPUTS

    progress = _progress(False)
    try:
        require_installed(OPTIONAL_OUTPUTS["report.html"][0], extra="report", purpose="report")
        progress.begin(f"loading the instance of {run_dir}…")
        instance, warnings = instance_of_run(run_dir, instance_arg)
        for w in warnings:
            progress(f"warning: {w}")
        progress.begin("writing the report and maps…")
        path = write_report(run_dir, instance)
        mark_written(run_dir, ["report.html"])
    except RuimtepuzzelError as exc:
        progress.close()
        _fail(exc)
    progress.close()
    written = sorted(p.name for p in Path(run_dir).iterdir() if p.name in ("report.html", "factsheets.html")
                     or (p.name.startswith("map_") and p.suffix == ".png"))
    click.echo(f"wrote {', '.join(written)} in {path.parent}")


@main.command()
@click.argument("run_a", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="Folder for compare_summary.csv and changed_units.csv (must not exist).")
@click.option("--quiet", is_flag=True, help="No printed table.")
@click.option("--period", type=int, default=None,
              help="Compare this period (a year) of a phased run; needed to set a phased run against a single-period one.")
def compare(run_a, run_b, out, quiet, period):
    """What changed from RUN_A to RUN_B: per region and claim (hectares), and which units changed claim.

    Two phased runs are compared period by period (a period column in both tables)."""
    import pandas as pd

    from ruimtepuzzel.model.analysis import compare as cmp
    from ruimtepuzzel.model.errors import InputError, RuimtepuzzelError
    from ruimtepuzzel.model.outputs.run_folder import staging, write_csv

    try:
        tables = {}
        for run in (run_a, run_b):
            for name in ("summary.csv", "allocation.csv"):
                if not (run / name).exists():
                    raise InputError(f"{run}: no {name}; is this a run folder of a solved run?")
                tables[run, name] = pd.read_csv(run / name, dtype={"unit_id": str, "region": str})
        identity = cmp.same_instance(run_a, run_b)
        tables, periods, warnings = cmp.align(run_a, run_b, tables, period)
        identity += warnings
        changes = cmp.summary_changes(tables[run_a, "summary.csv"], tables[run_b, "summary.csv"])
        units = cmp.unit_changes(tables[run_a, "allocation.csv"], tables[run_b, "allocation.csv"], periods)
        if out:
            with staging(out) as tmp:
                write_csv(changes, tmp / "compare_summary.csv")
                write_csv(units, tmp / "changed_units.csv")
    except RuimtepuzzelError as exc:
        _fail(exc)
    for line in identity:
        click.echo(f"warning: {line}", err=True)
    if not quiet:
        click.echo("\n".join(cmp.headline(changes, units)))


def _print_run(run) -> None:
    import pandas as pd

    from ruimtepuzzel.model.outputs import numbers as fmt
    from ruimtepuzzel.model.outputs.facts import is_short
    from ruimtepuzzel.model.outputs.names import level_name, measure_name, region_label

    m, config = run.manifest, run.instance.config
    gap = f", gap {fmt.percent(m['gap'])}" if m["gap"] is not None else ""
    click.echo(f"{m['instance']}: {m['status']}, objective {fmt.objective(m['objective'])}{gap}")
    floors = run.summary[run.summary["demand_min"].notna()]
    short = floors[[is_short(s, f) for s, f in zip(floors["shortfall"], floors["demand_min"])]]
    if len(short):
        click.echo(f"shortfall on {len(short)} of {len(floors)} floors:")
        for r in short.itertuples():
            unit = measure_name(r.measure)
            where = region_label(config, r.level, r.region)
            where = where if r.level == "national" else f"{level_name(r.level)} {where}"
            year = getattr(r, "period", None)  # phased runs: the year of the floor
            where = f"by {int(year)}, {where}" if pd.notna(year) else where
            click.echo(f"  {where}, {config.claim_name(r.claim)}: "
                       f"{fmt.amount(r.allocated, r.measure, unit)} of {fmt.amount(r.demand_min, r.measure, unit)} "
                       f"({fmt.number(r.pct_met, 1)} % met)")
    elif len(floors):
        click.echo(f"every demand floor is met ({len(floors)} floors)")
    else:
        click.echo("the instance sets no demand floor")
    click.echo(f"results: {run.out}")


@main.command()
@click.argument("instance", required=False)
@click.option("--scenario", help="Overlay scenarios/<S>.yaml (or a YAML file) onto instance.yaml.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def validate(instance, scenario, as_json):
    """Check INSTANCE (default nl-provinces) without solving: units, allowed pairs, eligible ha per claim, demands, warnings."""
    from ruimtepuzzel.model.errors import RuimtepuzzelError
    from ruimtepuzzel.model.prepare.summary import validation_summary

    try:
        info = validation_summary(resolve_instance(instance), scenario)
    except RuimtepuzzelError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"{info['instance']}: valid")
    click.echo(f"  units: {info['units']:,} ({info['area_ha']:,.1f} ha) in {', '.join(f'{k}: {v}' for k, v in info['regions'].items())} regions")
    if info.get("units_read_as"):
        click.echo(f"  read {info['units_read_as']}")
    click.echo(f"  claims: {len(info['pairs_per_claim'])}; allowed pairs: {info['pairs']:,}")
    for claim, n in info["pairs_per_claim"].items():
        click.echo(f"    {claim}: {n:,} units, {info['eligible_ha_per_claim'][claim]:,.1f} ha eligible")
    click.echo(f"  demand rows: {info['demand_rows']}; zoning conflicts: {info['zoning_conflicts']:,}; "
               f"links to existing uses: {info['existing_use_links']:,}; locked pairs: {info['locked']}")
    for w in info["warnings"]:
        click.echo(f"  warning: {w}")


@main.command()
@click.argument("instance", required=False)
@click.option("--scenario", help="Overlay scenarios/<S>.yaml (or a YAML file) onto instance.yaml.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; without --parties only a loopback address.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--db", type=click.Path(path_type=Path), default=None, help="SQLite file of the tables [default: tables.sqlite].")
@click.option("--parties", "parties_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML file of parties (name, token, regions, role); every call then needs a token.")
def serve(instance, scenario, host, port, db, parties_file):
    """Put INSTANCE (default nl-provinces) on a negotiation table in the browser (needs the web extra)."""
    from ruimtepuzzel.model.errors import RuimtepuzzelError
    from ruimtepuzzel.model.optional import require_installed

    try:
        require_installed(("starlette", "uvicorn"), extra="web", purpose="serve")
        from ruimtepuzzel.web.server import serve as run_table

        run_table(resolve_instance(instance), scenario, host, port, db, parties_file, say=click.echo)
    except RuimtepuzzelError as exc:
        _fail(exc)


@main.command("instances")
def instances_cmd():
    """List the built-in instances (to name in solve, validate, sweep…; the default is nl-provinces) and their scenarios."""
    from ruimtepuzzel.model.inputs.config import read_yaml

    for name in builtin_names():
        folder = INSTANCES / name
        description = read_yaml(folder / "instance.yaml", by_spelling=True).get("description") or ""
        scenarios = sorted(p.stem for p in (folder / "scenarios").glob("*.yaml"))
        click.echo(f"{name}{' (default)' if name == DEFAULT_INSTANCE else ''}: {' '.join(str(description).split())}")
        if scenarios:
            click.echo(f"  scenarios: {', '.join(scenarios)}")


if __name__ == "__main__":
    main()

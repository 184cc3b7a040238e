"""The package: every module imports, the import graph has no cycles, ``import ruimtepuzzel`` is light,
and the base install (no optional packages) solves, writes the tables and names the extra for the rest.

The base install is simulated in a subprocess whose import system refuses every optional package
(the extras of pyproject.toml), so that it also proves nothing on the base path imports one.
"""
from __future__ import annotations

import ast
import importlib
import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

import ruimtepuzzel
from ruimtepuzzel.model.inputs.builtin import DEFAULT_INSTANCE, INSTANCES, builtin_names, resolve_instance
from ruimtepuzzel.model.optional import EXTRA_OF

from .helpers import row_units, write_instance

ROOT = Path(ruimtepuzzel.__file__).resolve().parent
NOT_PACKAGES = {"tests", "bench", "docs", "instances", "results", "build", ".venv", "venv", ".git"}
OPTIONAL = sorted(EXTRA_OF)

# run first in the subprocess: the import system then refuses every optional package, as in a base install
BLOCK = textwrap.dedent(f"""
    import importlib.abc, sys
    BLOCKED = {OPTIONAL!r}

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: base install)", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
""")


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name (the repository root is ``ruimtepuzzel``)."""
    out = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in NOT_PACKAGES or any(part.startswith(".") for part in rel.parts):  # hidden: a venv, a cache
            continue
        parts = rel.with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        out[".".join(("ruimtepuzzel",) + parts)] = path
    return out


def _imports(tree: ast.Module):
    """Every import statement, except inside a module ``__getattr__`` (PEP 562: ``ruimtepuzzel``'s lazy API re-export)."""
    for top in tree.body:
        if isinstance(top, ast.FunctionDef) and top.name == "__getattr__":
            continue
        yield from ast.walk(top)


def import_graph() -> nx.DiGraph:
    """module → module it imports, at module level or inside functions (a lazy import still couples them)."""
    mods = modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(mods)
    for name, path in mods.items():
        for node in _imports(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ruimtepuzzel"):
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    graph.add_edge(name, target if target in mods else node.module)
            elif isinstance(node, ast.Import):
                graph.add_edges_from((name, a.name) for a in node.names if a.name.startswith("ruimtepuzzel"))
    graph.remove_edges_from(nx.selfloop_edges(graph))
    return graph


def run_python(code: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_every_module_imports():
    for name in sorted(modules()):
        importlib.import_module(name)


def test_the_import_graph_has_no_cycles():
    graph = import_graph()
    assert len(graph) > 50
    assert graph.has_edge("ruimtepuzzel.model.pipeline", "ruimtepuzzel.model.prepare.pairs")  # the walk sees imports
    cycles = list(nx.simple_cycles(graph))
    assert cycles == [], f"import cycles: {cycles}"


def test_import_ruimtepuzzel_is_light_and_the_api_is_reexported(tmp_path):
    proc = run_python("import sys, ruimtepuzzel as rp\n"
                      "heavy = sorted(m for m in ('numpy', 'pandas', 'pydantic', 'ruimtepuzzel.api') if m in sys.modules)\n"
                      "print(heavy, rp.load.__module__, 'pyomo_model' in dir(rp))", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[] ruimtepuzzel.api True"


def small_instance(folder: Path) -> Path:
    """Numbers, booleans (with a gap), codes, a rule on each kind, zoning and a grid cap: every reader path."""
    units = row_units(8, area=2.0, province=["A"] * 4 + ["B"] * 4, current_use=["farm", "farm", "business_park"] + ["farm"] * 5,
                      flood_m=[0.1, 2.5, 0.0, 1.2, 0.4, 0.0, 3.0, 0.2], peat=["true", "false", "", "yes", "no", "1", "0", "false"],
                      zone=["Z1"] * 4 + ["Z2"] * 4, suit=[1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 1.0, 0.95])
    config = {
        "claims": {"housing": {"value_per_ha": 10, "sensitive": True, "suitability_attr": "suit"},
                   "industry": {"value_per_ha": 6, "env_category": "4.1"},
                   "solar": {"value_per_ha": 1, "stacks_on": ["industry"], "area_factor": 0.5}},
        "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 4},
                   {"level": "national", "claim": "industry", "min_ha": 2, "max_ha": 4}],
        "rules": [{"name": "flood", "claims": ["housing"], "attr": "flood_m", "op": ">", "value": 2.0},
                  {"name": "peat", "attr": "peat", "op": "==", "value": True, "effect": "penalty", "per_ha": 3}],
        "env_zoning": {"distance_m": {"4.1": 150}},
        "resources": {"grid": {"zone_attr": "zone", "per_ha": {"industry": 1.0}, "cap": {"Z1": 2, "Z2": 4}}},
    }
    return write_instance(folder, config, units)


BASE_SOLVE = BLOCK + textwrap.dedent("""
    import json, sys
    from click.testing import CliRunner
    from ruimtepuzzel.cli import main

    result = CliRunner().invoke(main, ["solve", sys.argv[1], "--out", sys.argv[2], "--gap", "0"])
    blocked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    print(json.dumps({"exit": result.exit_code, "output": result.output, "blocked": blocked,
                      "error": repr(result.exception) if result.exit_code else None}))
""")


def test_the_base_install_solves_and_writes_the_tables(tmp_path):
    from ruimtepuzzel.model.pipeline import solve_instance

    folder = small_instance(tmp_path / "inst")
    proc = subprocess.run([sys.executable, "-c", BASE_SOLVE, str(folder), str(tmp_path / "base")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["exit"] == 0, out
    assert out["blocked"] == []
    written = {p.name for p in (tmp_path / "base").iterdir()}
    assert written == {"allocation.csv", "summary.csv", "transformation.csv", "rules.csv", "duals.csv", "manifest.json", "solver.log"}
    for needs in ('allocation.gpkg needs geopandas', 'pip install "ruimtepuzzel[gis]"',
                  'summary.xlsx needs xlsxwriter', 'report.html needs geopandas', 'pip install "ruimtepuzzel[report]"'):
        assert needs in out["output"]
    manifest = json.loads((tmp_path / "base" / "manifest.json").read_text())
    assert set(manifest["skipped_outputs"]) == {"allocation.gpkg", "summary.xlsx", "report.html"}
    assert manifest["status"] == "optimal"

    full = solve_instance(folder, out=tmp_path / "full", gap=0.0)  # with every package: the same tables
    assert full.manifest["skipped_outputs"] == {}
    for name in ("allocation.csv", "summary.csv", "transformation.csv", "rules.csv", "duals.csv"):
        assert (tmp_path / "base" / name).read_bytes() == (tmp_path / "full" / name).read_bytes(), name


READ_UNITS = BLOCK + textwrap.dedent("""
    import pickle, sys
    from ruimtepuzzel.model.inputs.instance import load_instance

    with open(sys.argv[2], "wb") as f:
        pickle.dump(load_instance(sys.argv[1]).units, f)
""")


@pytest.mark.parametrize("name", ["small", *builtin_names()])
def test_units_read_the_same_without_pyarrow(tmp_path, name):
    from ruimtepuzzel.api import load

    folder = small_instance(tmp_path / "inst") if name == "small" else INSTANCES / name
    proc = subprocess.run([sys.executable, "-c", READ_UNITS, str(folder), str(tmp_path / "units.pkl")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    without = pickle.loads((tmp_path / "units.pkl").read_bytes())
    with_pyarrow = load(folder).units
    assert list(without.columns) == list(with_pyarrow.columns)
    for col in with_pyarrow.columns:  # the same values and kinds; string storage (Arrow or Python) may differ
        a, b = without[col], with_pyarrow[col]
        assert (a.dtype.kind == "f") == (b.dtype.kind == "f"), col
        pd.testing.assert_series_equal(a.astype(object), b.astype(object), check_names=False, obj=col)


MISSING_EXTRAS = BLOCK + textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from click.testing import CliRunner
    from ruimtepuzzel.cli import main
    import ruimtepuzzel as rp

    folder, tmp = sys.argv[1], Path(sys.argv[2])
    (tmp / "sweep.yaml").write_text("design: grid\\nparameters: []\\n")
    (tmp / "build.yaml").write_text("crs: EPSG:28992\\ngrid: {cell_m: 100}\\nregions: []\\n")
    commands = {
        "sweep": ["sweep", folder, "--spec", str(tmp / "sweep.yaml"), "--out", str(tmp / "sweep")],
        "build": ["build", str(tmp / "build.yaml"), "--out", str(tmp / "built")],
        "report": ["report", sys.argv[3]],
        "pyomo": ["solve", folder, "--solver", "pyomo-highs", "--out", str(tmp / "pyomo")],
        "pareto": ["pareto", folder, "--x", "housing", "--y", "industry", "--points", "2", "--out", str(tmp / "pareto"), "--gap", "0"],
    }
    out = {}
    for key, args in commands.items():
        result = CliRunner().invoke(main, args)
        out[key] = {"exit": result.exit_code, "output": result.output,
                    "exception": type(result.exception).__name__ if result.exception else None}
    run = rp.solve(rp.load(folder), gap=0)
    for key, call in {"geo": lambda: rp.allocation_frame(run, geo=True), "pyomo_model": lambda: rp.pyomo_model(run.prep)}.items():
        try:
            call()
            out[key] = "no error"
        except ImportError as exc:
            out[key] = f"{type(exc).__name__}: {exc}"
    out["written"] = sorted(p.name for p in tmp.iterdir())
    print(json.dumps(out))
""")


def test_a_missing_extra_is_named_never_a_traceback(tmp_path):
    from ruimtepuzzel.model.pipeline import solve_instance

    folder = small_instance(tmp_path / "inst")
    solved = solve_instance(folder, out=tmp_path / "solved", gap=0.0)  # a run folder for `report`
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run([sys.executable, "-c", MISSING_EXTRAS, str(folder), str(work), str(solved.out)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[-1])
    expected = {"sweep": ("sweep needs", "sweep"), "build": ("build needs geopandas", "gis"),
                "report": ("report needs geopandas", "report"), "pyomo": ("the solver 'pyomo-highs' needs pyomo", "pyomo")}
    for key, (needs, extra) in expected.items():
        result = out[key]
        assert result["exit"] == 1 and result["exception"] == "SystemExit", (key, result)
        assert needs in result["output"] and f'pip install "ruimtepuzzel[{extra}]"' in result["output"], (key, result)
        assert "Traceback" not in result["output"]
    assert out["pareto"]["exit"] == 0, out["pareto"]
    assert 'pareto.png needs matplotlib, which is not installed: pip install "ruimtepuzzel[report]"' in out["pareto"]["output"]
    assert out["geo"] == 'MissingExtraError: allocation_frame(geo=True) needs geopandas, which is not installed: pip install "ruimtepuzzel[gis]"'
    assert out["pyomo_model"] == 'MissingExtraError: pyomo_model needs pyomo, which is not installed: pip install "ruimtepuzzel[pyomo]"'
    assert out["written"] == ["build.yaml", "pareto", "sweep.yaml"]  # nothing half-written by the refused commands
    pareto = {p.name for p in (work / "pareto").iterdir()}
    assert pareto == {"pareto.csv", "pareto_allocations.csv", "manifest.json"}


def test_built_in_instances_are_found_by_name(tmp_path, monkeypatch):
    names = builtin_names()
    assert DEFAULT_INSTANCE in names
    assert names == sorted(p.parent.name for p in INSTANCES.glob("*/instance.yaml"))
    assert resolve_instance(None) == INSTANCES / DEFAULT_INSTANCE
    assert all(resolve_instance(name) == INSTANCES / name for name in names)
    monkeypatch.chdir(tmp_path)
    (tmp_path / names[0]).mkdir()
    assert resolve_instance(names[0]) == Path(names[0])  # a folder of that name in the current directory wins
    assert resolve_instance("no-such-instance") == Path("no-such-instance")  # the loader reports it as not found


def test_instances_command_lists_names_and_scenarios():
    from click.testing import CliRunner

    from ruimtepuzzel.cli import main

    result = CliRunner().invoke(main, ["instances"])
    assert result.exit_code == 0
    listed = [line.split(":")[0].removesuffix(" (default)") for line in result.output.splitlines() if not line.startswith(" ")]
    assert listed == builtin_names()
    assert f"{DEFAULT_INSTANCE} (default): " in result.output
    for name in builtin_names():
        scenarios = sorted(p.stem for p in (INSTANCES / name / "scenarios").glob("*.yaml"))
        assert not scenarios or f"  scenarios: {', '.join(scenarios)}" in result.output


def test_an_unguarded_optional_import_still_names_its_extra(monkeypatch):
    """The command line's safety net: an optional import that slipped past the checks ends with the extra, not a traceback."""
    import click
    from click.testing import CliRunner

    from ruimtepuzzel.cli import main

    @click.command()
    def needs_rasterio():
        raise ModuleNotFoundError("No module named 'rasterio'", name="rasterio")

    @click.command()
    def needs_something_else():
        raise ModuleNotFoundError("No module named 'not_an_extra'", name="not_an_extra")

    monkeypatch.setitem(main.commands, "needs-rasterio", needs_rasterio)
    monkeypatch.setitem(main.commands, "needs-something-else", needs_something_else)
    result = CliRunner().invoke(main, ["needs-rasterio"])
    assert result.exit_code == 1
    assert result.output == 'error: rasterio is not installed: pip install "ruimtepuzzel[gis]"\n'
    other = CliRunner().invoke(main, ["needs-something-else"])  # not an optional package: a real fault, shown as such
    assert isinstance(other.exception, ModuleNotFoundError)

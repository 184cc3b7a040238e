"""Fuzzing the loader: malformed YAML, CSV and GeoPackage never crash with a traceback
and never leave files behind; each gives an input error with a message, or a valid run."""
import copy
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruimtepuzzel.model.errors import RuimtepuzzelError
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.prepare.pairs import prepare

from .helpers import row_units, write_instance

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 100)), deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
CONFIG = {
    "name": "fuzz", "regions": ["province"],
    "claims": {"housing": {"value_per_ha": 10, "sensitive": True}, "industry": {"value_per_ha": 8, "env_category": "4.1", "min_site_ha": 2}},
    "demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 2, "max_ha": 3}],
    "rules": [{"name": "flood", "claims": ["housing"], "attr": "flood", "op": ">", "value": 1.0, "effect": "exclude"}],
    "env_zoning": {"distance_m": {"4.1": 150}, "existing_category_attr": "cat"},
    "resources": {"grid": {"zone_attr": "zone", "per_ha": {"industry": 1.0}, "cap": {"Z": 2}}},
    "locked": [{"unit_id": "u1", "claim": "industry"}],
}
UNITS = row_units(4, flood=[0, 2, 0, 0], cat=[None, None, "3.2", None], zone="Z")
JUNK = st.sampled_from([":", "- ", "[", "]", "{", "}", "'", '"', "\t", "\n", "  ", "#", "&a", "*a", "!!python/object:os.system", "~",
                        "null", "-1", "1e999", "nan", "ü", "\x00", ",", "%", "?"])


def outcome(folder: Path) -> str:
    """'ok' or 'input error'; any other exception fails the test."""
    try:
        prepare(load_instance(folder))
        return "ok"
    except RuimtepuzzelError as exc:
        assert str(exc).strip(), "an input error must carry a message"
        return "input error"


def folder_with(tmp: Path, yaml_text: str | None = None, csv_bytes: bytes | None = None) -> Path:
    folder = write_instance(tmp, copy.deepcopy({k: v for k, v in CONFIG.items() if k not in ("name", "regions")}), UNITS)
    if yaml_text is not None:
        (folder / "instance.yaml").write_text(yaml_text, encoding="utf-8", errors="surrogateescape")
    if csv_bytes is not None:
        (folder / "units.csv").write_bytes(csv_bytes)
    return folder


@st.composite
def mutated_text(draw, text: str):
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 12)))
        text = text[:i] + draw(st.one_of(st.just(""), JUNK)) + text[j:]
    return text


@SETTINGS
@given(st.data())
def test_mutated_yaml_is_an_input_error_or_valid(tmp_path_factory, data):
    text = yaml.safe_dump(CONFIG, sort_keys=False)
    folder = folder_with(tmp_path_factory.mktemp("y"), yaml_text=data.draw(mutated_text(text)))
    outcome(folder)


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True),
                   st.text(max_size=6), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@SETTINGS
@given(st.data())
def test_any_value_anywhere_in_the_config(tmp_path_factory, data):
    config = copy.deepcopy(CONFIG)
    path = data.draw(st.sampled_from([p for p in paths(config) if p]))
    node = config
    for key in path[:-1]:
        node = node[key]
    if data.draw(st.booleans()):
        node[path[-1]] = data.draw(VALUES)
    elif isinstance(node, dict):
        del node[path[-1]]
    else:
        node.pop(path[-1])
    folder = folder_with(tmp_path_factory.mktemp("v"), yaml_text=yaml.safe_dump(config, allow_unicode=True))
    outcome(folder)


@SETTINGS
@given(st.data())
def test_mutated_units_csv(tmp_path_factory, data):
    frame = pd.DataFrame(UNITS)
    how = data.draw(st.sampled_from(["drop column", "cell", "duplicate id", "text"]))
    if how == "drop column":
        frame = frame.drop(columns=data.draw(st.sampled_from(list(frame.columns))))
        raw = frame.to_csv(index=False).encode()
    elif how == "cell":
        col = data.draw(st.sampled_from(list(frame.columns)))
        frame[col] = frame[col].astype(object)
        frame.at[data.draw(st.integers(0, len(frame) - 1)), col] = str(data.draw(st.one_of(VALUES, JUNK)))
        raw = frame.to_csv(index=False).encode()
    elif how == "duplicate id":
        frame.loc[1, "unit_id"] = frame.loc[0, "unit_id"]
        raw = frame.to_csv(index=False).encode()
    else:
        raw = data.draw(mutated_text(frame.to_csv(index=False))).encode("utf-8", "surrogateescape")
    outcome(folder_with(tmp_path_factory.mktemp("c"), csv_bytes=raw))


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=2000))
def test_garbage_geopackage(tmp_path_factory, junk):
    folder = folder_with(tmp_path_factory.mktemp("g"))
    (folder / "units.csv").unlink()
    (folder / "units.gpkg").write_bytes(b"SQLite format 3\x00" + junk)
    assert outcome(folder) == "input error"


def test_bad_input_through_the_command_line_leaves_nothing(tmp_path):
    # the CLI path: exit 1, a message, no traceback, no run folder and no hidden staging folder
    cases = {"yaml": "claims: {housing: [\n", "csv": b"unit_id,area_ha\nu1,-3\n", "eval": "claims: !!python/object/apply:os.system ['true']\n"}
    for name, content in cases.items():
        folder = folder_with(tmp_path / name)
        if isinstance(content, bytes):
            (folder / "units.csv").write_bytes(content)
        else:
            (folder / "instance.yaml").write_text(content)
        out = tmp_path / f"{name}-out"
        res = subprocess.run([sys.executable, str(ROOT / "cli.py"), "solve", str(folder), "--out", str(out)],
                             capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert res.returncode == 1, (name, res.stderr)
        assert "Traceback" not in res.stderr and res.stderr.strip(), name
        assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".partial")]

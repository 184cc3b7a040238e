"""instance.yaml and scenario overlays: read safely, merged, validated against the schema.

Both are read by spelling (:func:`.values.load_spelled`): every plain scalar reaches
the schema as written, so ``007`` stays "007" and ``0363`` never becomes 243. Every
problem raises :class:`InputError` naming the file and the key.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Optional

import yaml
from pydantic import ValidationError

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.schema import InstanceConfig
from ruimtepuzzel.model.inputs.values import load_spelled


def read_yaml(path: Path, by_spelling: bool = False) -> dict:
    """A YAML mapping; ``by_spelling``: every plain scalar as its spelling (instance files)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"{path}: line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8 (save the file as UTF-8)") from None
    try:
        data = load_spelled(text) if by_spelling else yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of keys at the top, got {type(data).__name__}")
    return data


def deep_merge(base: dict, overlay: dict) -> dict:
    """Overlay onto base: mappings merge key by key, anything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _describe_loc(loc) -> str:
    parts = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        elif p in ("function-after", "function-before") or str(p).startswith(("function-", "literal[")):
            continue
        else:
            parts.append(("." if parts else "") + str(p))
    return "".join(parts) or "(top level)"


def format_validation_error(source: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = _describe_loc(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        value = err.get("input")
        shown = "" if isinstance(value, dict) else f" (value: {value!r})"
        lines.append(f"{source}: {loc}: {msg}{shown}")
    return "\n".join(lines)


def parse_config(data: dict, source: str) -> InstanceConfig:
    try:
        return InstanceConfig.model_validate(data)
    except ValidationError as exc:
        raise InputError(format_validation_error(source, exc)) from None


def resolve_scenario(folder: Path, scenario: Optional[str]) -> Optional[Path]:
    if scenario is None:
        return None
    candidate = Path(scenario)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    path = folder / "scenarios" / f"{scenario}.yaml"
    if not path.exists():
        available = sorted(p.stem for p in (folder / "scenarios").glob("*.yaml")) if (folder / "scenarios").is_dir() else []
        raise InputError(f"{folder}: unknown scenario {scenario!r}; scenarios available: {available}")
    return path


def merged_data(folder, scenario: Optional[str] = None) -> tuple[dict, list[Path], str]:
    """instance.yaml with the scenario merged on top: (data, the YAML files read, a source label for errors)."""
    folder = Path(folder)
    if not folder.is_dir():
        import difflib

        from ruimtepuzzel.model.inputs.builtin import builtin_names

        near = difflib.get_close_matches(folder.name, builtin_names(), n=1, cutoff=0.6)
        hint = f"; did you mean the built-in instance {near[0]!r}?" if near else "; `instances` lists the built-in ones"
        raise InputError(f"{folder}: instance folder not found{hint}")
    yaml_path = folder / "instance.yaml"
    if not yaml_path.exists():
        raise InputError(f"{folder}: no instance.yaml")
    data = read_yaml(yaml_path, by_spelling=True)
    files = [yaml_path]
    source = str(yaml_path)
    scenario_path = resolve_scenario(folder, scenario)
    if scenario_path is not None:
        overlay = read_yaml(scenario_path, by_spelling=True)
        changes = overlay.pop("changes", None)  # path-language changes, applied after the merge
        data = deep_merge(data, overlay)
        if changes is not None:
            from ruimtepuzzel.model.inputs.changes import apply_changes

            data = apply_changes(data, changes, str(scenario_path))
        files.append(scenario_path)
        source = f"{yaml_path} + {scenario_path.name}"
    return data, files, source

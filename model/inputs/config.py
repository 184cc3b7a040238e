"""instance.yaml and scenario overlays: read safely, merged, validated against the schema.

Both are read by :func:`.yaml_reader.read_yaml` (the one YAML reader, with limits) by
spelling: every plain scalar reaches the schema as written, so ``007`` stays "007" and
``0363`` never becomes 243. Every problem raises :class:`InputError` naming the file and the key.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Optional

from pydantic import ValidationError

from ruimtepuzzel.model.errors import InputError, clipped, quoted
from ruimtepuzzel.model.inputs.paths import inside
from ruimtepuzzel.model.inputs.schema import InstanceConfig
from ruimtepuzzel.model.inputs.yaml_reader import read_yaml  # noqa: F401 - the reader of every YAML file, imported from here too


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
            parts.append(("." if parts else "") + clipped(str(p)))
    return "".join(parts) or "(top level)"


def format_validation_error(source: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = _describe_loc(err["loc"])
        msg = clipped(err["msg"].removeprefix("Value error, "), 240)
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        value = err.get("input")
        shown = "" if isinstance(value, dict) else f" (value: {quoted(value)})"
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
    path = inside(folder, f"scenarios/{scenario}.yaml", "--scenario", folder)
    if not path.exists():
        available = sorted(p.stem for p in (folder / "scenarios").glob("*.yaml")) if (folder / "scenarios").is_dir() else []
        raise InputError(f"{folder}: unknown scenario {quoted(scenario)}; scenarios available: {quoted(available, 400)}")
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
    inside(folder, "instance.yaml", "instance.yaml", folder)
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

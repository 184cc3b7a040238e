"""The built-in instances: the folders in ``instances/`` that ship with the package (also in the wheel).

An instance is named on the command line and in the Python API either by a folder path or
by the name of a built-in instance (``demo``, ``nl-provinces``…); a path wins when both exist.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

INSTANCES = Path(__file__).resolve().parents[2] / "instances"
DEFAULT_INSTANCE = "nl-provinces"


def builtin_names() -> list[str]:
    """The built-in instances, sorted: every folder in ``instances/`` that holds an ``instance.yaml``."""
    if not INSTANCES.is_dir():
        return []
    return sorted(p.name for p in INSTANCES.iterdir() if (p / "instance.yaml").is_file())


def resolve_instance(name_or_path: Optional[str | Path]) -> Path:
    """A folder path, or the name of a built-in instance (None: the built-in default, ``nl-provinces``).

    A name that is neither is returned as a path, so that loading it reports the folder as not found.
    """
    if name_or_path is None:
        return INSTANCES / DEFAULT_INSTANCE
    path = Path(name_or_path)
    if path.exists():
        return path
    if isinstance(name_or_path, str) and (INSTANCES / name_or_path / "instance.yaml").is_file():
        return INSTANCES / name_or_path
    return path

"""Paths inside an instance folder: an instance folder is self-contained (docs/instances.md).

Every file an instance names (``units``; ``instance.yaml`` and its scenario files) must lie
inside its folder: a path that leaves it (``../secret.csv``), an absolute path, or a
symbolic link that resolves outside it is an input error naming the key and the path, so
that copying or sharing an instance folder copies everything it reads, and a folder
received from elsewhere cannot make the tool read other files on this machine.
"""
from __future__ import annotations

from pathlib import Path, PurePath

from ruimtepuzzel.model.errors import InputError, quoted

SELF_CONTAINED = "an instance folder is self-contained: name a file inside it"


def inside(folder: Path, name: str, key: str, source) -> Path:
    """``folder / name`` once it is known to stay inside ``folder`` (symbolic links followed).

    ``key`` and ``source`` name where the path was given in errors (``units`` in ``…/instance.yaml``).
    Raises InputError for an absolute path, a path that leaves the folder, or one that resolves outside it.
    """
    written = PurePath(name)
    if written.is_absolute() or written.drive:
        raise InputError(f"{source}: {key}: {quoted(str(name))} is an absolute path; {SELF_CONTAINED}")
    if ".." in written.parts:
        raise InputError(f"{source}: {key}: {quoted(str(name))} leaves the instance folder; {SELF_CONTAINED}")
    path = Path(folder) / written
    root = Path(folder).resolve()
    if not path.resolve().is_relative_to(root):
        raise InputError(f"{source}: {key}: {quoted(str(name))} resolves outside the instance folder "
                         f"(a symbolic link?); {SELF_CONTAINED}")
    return path

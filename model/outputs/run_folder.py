"""Name and write a run folder atomically (docs/results.md): the one place that does.

Everything is written into a hidden sibling folder (``.partial-<name>-<token>-<pid>``), then
moved into place with one rename; a failed or interrupted run (an error, Ctrl-C,
SIGTERM) removes that hidden folder and leaves nothing, and one killed outright
(SIGKILL) leaves only the hidden folder, which the next run beside it removes and
which is never mistaken for a run. Parent folders made for the run
(``results/<instance>/``) are removed again when it fails and they stayed empty.

A run folder is never overwritten. Its name is reserved at the end with ``mkdir``,
which fails when the folder exists, and the staged folder then replaces that empty
folder: two runs that finish with the same name (two solves started in the same
second into the default ``results/<instance>/<timestamp>/``) both keep their result,
the second as ``<timestamp>-2``.

A failure to write (a full disk, a file-size limit, a folder that cannot be made) is a
:class:`WriteError` naming the path, never a traceback; :meth:`Staging.write` writes
one output and, when it fails, removes what it left and records why, so a finished
solve keeps the outputs that could be written (the manifest lists those that failed).
"""
from __future__ import annotations

import errno
import json
import os
import resource
import secrets
import shutil
import signal
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pandas as pd

from ruimtepuzzel.model.errors import InputError, WriteError, clipped

PARTIAL_PREFIX = ".partial-"


def default_run_dir(root: Path, instance: str, scenario: str | None) -> Path:
    """``root/<instance>/<timestamp>[-<scenario>]``: the name a run asks for (:class:`Staging` adds ``-2``, ``-3``…
    when another run has it by the time this one is written)."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    name = stamp if not scenario else f"{stamp}-{Path(scenario).stem}"
    return Path(root) / instance / name


def reason(exc: OSError) -> str:
    """An OSError in words: 'No space left on device', 'File too large'…"""
    return exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc)) or type(exc).__name__


WRITERS = ("pyogrio", "fiona")  # GDAL's writers report a failed write as their own errors, not as OSError


def is_write_failure(exc: BaseException) -> bool:
    """An error a writer raises when the file system refuses (OSError; SQLite's and GDAL's own errors)."""
    return isinstance(exc, (OSError, sqlite3.Error)) or type(exc).__module__.split(".")[0] in WRITERS


def failure_reason(exc: BaseException, folder: Path, sizes: dict[str, int]) -> str:
    """Why a write failed, in words. GDAL and SQLite hide the cause (EFBIG reads "no such table"): a file that
    reached the process's file-size limit (within the largest SQLite page, 64 kB), or a file system with no space
    left, is named as such.
    ``sizes``: the size of each file the failed step left."""
    if isinstance(exc, OSError):
        return reason(exc)
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY and any(size > limit - 65536 for size in sizes.values()):  # within a page of it
        return f"{os.strerror(errno.EFBIG)} (the file-size limit is {limit:,} bytes)"
    try:
        space = os.statvfs(folder)
        if space.f_bavail == 0:
            return os.strerror(errno.ENOSPC)
    except OSError:
        pass
    return f"{type(exc).__name__}: {clipped(' '.join(str(exc).split()), 160)}"


def write_error(exc: OSError, what: str) -> WriteError:
    """A one-line error for an OSError met while writing ``what``."""
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) not in what else ""
    return WriteError(f"{what}{where}: {reason(exc)}")


@contextmanager
def deferred_signals():
    """Ctrl-C and SIGTERM wait until the block is done (cleaning up or moving a folder into place is not cut
    half-way), then interrupt as usual. Only in the main thread (elsewhere Python cannot change handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(sig)
        if callable(handler) or handler == signal.default_int_handler:
            previous[sig] = signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if caught:
        raise KeyboardInterrupt


class Staging:
    """A run folder being written: ``with staging(out) as tmp`` yields the hidden folder to write into;
    when the block ends without an error it is moved into place, and :attr:`out` is where it went.

    Attributes:
        out: the run folder (after the block: where the run was put, ``<out>-2`` when ``unique`` and ``out`` was taken).
        failed: output name → why it could not be written (:meth:`write`).
        written: output names written by :meth:`write`.
    """

    def __init__(self, out: Path, unique: bool = False):
        self.out = Path(out)
        self.unique = unique  # a default name: take the next free one; else ``out`` must be new
        self.tmp: Optional[Path] = None
        self.made: list[Path] = []
        self.failed: dict[str, str] = {}
        self.written: list[str] = []

    @classmethod
    def into(cls, folder: Path) -> "Staging":
        """A writer into a folder that is already staged (its :meth:`write` only; not to be entered)."""
        stage = cls(Path(folder))
        stage.tmp = Path(folder)
        return stage

    def __enter__(self) -> Path:
        out = self.out
        if not self.unique and out.exists():
            raise InputError(f"{out}: the run folder exists already; --out must name a new folder")
        self.made = [p for p in [out.parent, *out.parent.parents] if not p.exists()]  # deepest first
        tmp = out.parent / f"{PARTIAL_PREFIX}{out.name}-{secrets.token_hex(4)}-{os.getpid()}"  # two runs of one process too
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_partials(out.parent)
            if tmp.exists():
                shutil.rmtree(tmp)
            tmp.mkdir()
        except OSError as exc:
            remove_empty(self.made)
            blocking = next((p for p in [out.parent, *out.parent.parents] if p.exists() and not p.is_dir()), None)
            if blocking is not None:
                raise WriteError(f"{out}: cannot make the run folder: {blocking} is a file, not a folder") from None
            raise write_error(exc, f"{out}: cannot make the run folder") from None
        self.tmp = tmp
        return tmp

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is not None:
            with deferred_signals():
                self.discard()
            if isinstance(exc, OSError):
                raise write_error(exc, f"{self.out}: cannot write the run folder; nothing was left there") from None
            return False
        with deferred_signals():
            asked = self.out
            self.out = self._place()
        if self.out != asked and not self.unique:
            raise WriteError(f"{asked}: another run made this folder while this one was writing; "
                             f"this run was written to {self.out} instead")
        return False

    def discard(self) -> None:
        """Remove the staged folder and the parents made for it."""
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        remove_empty(self.made)

    def _place(self) -> Path:
        """Move the staged folder to ``out``, or to the first free ``out-2``, ``out-3``…; never onto another run."""
        for n in count(1):
            target = self.out if n == 1 else self.out.with_name(f"{self.out.name}-{n}")
            try:
                os.mkdir(target)  # the reservation: fails when the folder exists
            except FileExistsError:
                continue
            except OSError as exc:  # a full disk may refuse a new folder but allow a rename
                if exc.errno != errno.ENOSPC or target.exists():
                    self.discard()
                    raise write_error(exc, f"{target}: cannot make the run folder; nothing was left there") from None
                return self._rename(target, reserved=False)
            return self._rename(target, reserved=True)
        raise AssertionError("unreachable")

    def _rename(self, target: Path, reserved: bool) -> Path:
        try:
            os.replace(self.tmp, target) if reserved else os.rename(self.tmp, target)  # onto our own empty folder
        except OSError as exc:
            if reserved:
                remove_empty([target])
            self.discard()
            raise write_error(exc, f"{target}: cannot move the run into place; nothing was left there") from None
        return target

    def write(self, name: str, write: Callable[[Path], None]) -> bool:
        """``write(tmp / name)``; when the file system refuses (a full disk, a file-size limit: :func:`is_write_failure`)
        remove every file it left, record why in :attr:`failed` and return False, so the outputs that can be written
        still are. Any other error propagates."""
        before = set(os.listdir(self.tmp))
        try:
            write(self.tmp / name)
        except Exception as exc:
            if not is_write_failure(exc):
                raise
            left = {p: (self.tmp / p) for p in set(os.listdir(self.tmp)) - before}
            sizes = {p: path.stat().st_size for p, path in left.items() if path.is_file()}
            for path in left.values():
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            self.failed[name] = failure_reason(exc, self.tmp, sizes)
            return False
        if name not in self.written:
            self.written.append(name)
        return True


def staging(out: Path, unique: bool = False) -> Staging:
    """A :class:`Staging` for ``out``: ``with staging(out) as tmp: …`` (``unique``: a default name, see :class:`Staging`)."""
    return Staging(out, unique)


def remove_empty(folders: list[Path]) -> None:
    """Remove these folders, deepest first, as long as they are empty (another run may have written beside us)."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove hidden staging folders left by runs that were killed (their process is gone)."""
    removed = []
    for path in Path(folder).glob(f"{PARTIAL_PREFIX}*"):
        pid = path.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format="%.6f", lineterminator="\n")


def write_allocation_gpkg(alloc: pd.DataFrame, geometry: np.ndarray, crs: str, path: Path) -> None:
    """``geometry``: one shape per allocation row."""
    import geopandas as gpd

    frame = gpd.GeoDataFrame(alloc.copy(), geometry=geometry if len(alloc) else [], crs=crs)
    frame.attrs = {}
    frame.to_file(path, layer="allocation", driver="GPKG", engine="pyogrio")


def write_atomically(path: Path, write) -> None:
    """``write(tmp)`` a file beside ``path``, then rename it onto ``path``: a reader never sees it half written, and a
    failed write leaves no partial file (a ``write`` that writes nothing leaves ``path`` as it was)."""
    path = Path(path)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        write(tmp)
        if tmp.exists():
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_manifest(manifest: dict, path: Path) -> None:
    """The manifest as JSON, replaced whole (written aside, then renamed): never left half written."""
    text = json.dumps(manifest, indent=2, default=_json_default, allow_nan=False) + "\n"
    write_atomically(path, lambda tmp: tmp.write_text(text))


def mark_written(run_dir: Path, names: list[str]) -> None:
    """Take ``names`` (optional outputs written since, e.g. by ``report``) out of the manifest's ``skipped_outputs``;
    the manifest is replaced whole, never left half written."""
    path = Path(run_dir) / "manifest.json"
    manifest = json.loads(path.read_text())
    skipped = manifest.get("skipped_outputs") or {}
    if not any(name in skipped for name in names):
        return
    manifest["skipped_outputs"] = {k: v for k, v in skipped.items() if k not in names}
    write_manifest(manifest, path)

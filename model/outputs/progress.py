"""Progress for a person at a terminal: what each long step is doing, and the solve as it goes.

:class:`Progress` is the ``progress`` callable the pipeline takes (``progress(message)``
prints a line on stderr), with two additions the pipeline uses when present:

- ``begin(what)``: a long step starts ("loading units…"); on a terminal a status line shows
  it until the next message;
- ``solver(SolveProgress)``: the solver's incumbent, bound and gap as it finds them (HiGHS
  runs in a forked worker and shares them through shared memory, see ``solvers.highs``).
  On a terminal the status line is rewritten in place (tqdm); in a log (not a terminal) a
  line is written when the incumbent improves, at most every :data:`LOG_EVERY_S` seconds.

Plain callables (``lambda msg: None``, ``print``) still work everywhere: :func:`begin` and
:func:`solver_watch` ask for the extras only when they exist. ``--quiet`` passes a callable
that prints nothing; ``--json`` keeps stdout for the JSON alone (all of this is stderr).
"""
from __future__ import annotations

import sys
import time
from typing import Callable, Optional

from ruimtepuzzel.model.outputs import numbers as fmt
from ruimtepuzzel.solvers.base import SolveProgress

LOG_EVERY_S = 10.0


def begin(progress: Callable, what: str) -> None:
    """Tell ``progress`` a long step starts, if it listens for that."""
    start = getattr(progress, "begin", None)
    if start is not None:
        start(what)


def solver_watch(progress: Callable) -> Optional[Callable[[SolveProgress], None]]:
    return getattr(progress, "solver", None)


def describe(p: SolveProgress) -> str:
    """'solving: 12.0 s, incumbent 35,797, bound 35,819, gap 0.06 %' (parts appear once known)."""
    parts = [f"solving: {fmt.seconds(p.elapsed_s)}"]
    parts.append(f"incumbent {fmt.objective(p.objective)}" if p.objective is not None else "no allocation found yet")
    if p.bound is not None:
        parts.append(f"bound {fmt.objective(p.bound)}")
    if p.gap is not None:
        parts.append(f"gap {fmt.percent(p.gap)}")
    return ", ".join(parts)


class Progress:
    """Messages and a live status line on ``stream`` (stderr); see the module docstring."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar = None
        self._logged_at = -float("inf")
        self._logged_objective = None

    # a line that stays
    def __call__(self, message: str) -> None:
        self._end_status()
        print(message, file=self.stream, flush=True)

    # a status that the next message replaces
    def begin(self, what: str) -> None:
        self._status(what)

    def solver(self, p: SolveProgress) -> None:
        text = describe(p)
        if self.tty:
            self._status(text)
            return
        now = time.monotonic()
        improved = p.objective is not None and p.objective != self._logged_objective
        if improved and now - self._logged_at >= LOG_EVERY_S:
            print(text, file=self.stream, flush=True)
            self._logged_at, self._logged_objective = now, p.objective

    def _status(self, text: str) -> None:
        if not self.tty:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=None, bar_format="{desc}", file=self.stream, leave=False, dynamic_ncols=True)
        self._bar.set_description_str(text, refresh=True)

    def _end_status(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._logged_at, self._logged_objective = -float("inf"), None

    def close(self) -> None:
        self._end_status()


def quiet(message: str) -> None:
    """The progress of ``--quiet``: nothing."""

"""The server's handle on the solver process (:mod:`web.engine`).

One process per table, started with ``spawn`` (a clean interpreter: no server threads or event
loop are copied into it). Jobs go down a pipe, sent by a thread of the server in the order they
were submitted (a submit never waits for the solver); progress and results come back on a queue read by
a thread of the server, which hands every message to ``on_event``. Each submission gets a number
(token); ``supersede()`` stops every earlier submission except revision 0, ``cancel(token)`` one.
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import threading
from typing import Callable, Optional

from ruimtepuzzel.web import engine


class SolverProcess:
    """Start with :meth:`start`; :meth:`submit` a job; :meth:`stop` at shutdown."""

    def __init__(self, folder: str, scenario: Optional[str], on_event: Callable[[dict], None]):
        ctx = mp.get_context("spawn")
        self.on_event = on_event
        self.below = ctx.Value("q", 0, lock=False)
        self.exact = ctx.Value("q", -1, lock=False)
        self.jobs_out, self.jobs_in = ctx.Pipe(duplex=False)
        self.events = ctx.Queue()
        self.proc = ctx.Process(target=engine.main, name="ruimtepuzzel-table-solver", daemon=True,
                                args=(str(folder), scenario, self.jobs_out, self.events, (self.below, self.exact)))
        self.lock = threading.Lock()
        self.next_token = 1
        self.stopping = False
        self.reader = threading.Thread(target=self._read, name="table-solver-events", daemon=True)
        # jobs go down the pipe from a thread of their own: a large job (a plan's vector) fills the pipe until the
        # solver reads it, and a request must not wait for the shadow prices the solver is computing meanwhile
        self.outbox: queue.Queue = queue.Queue()
        self.sender = threading.Thread(target=self._send, name="table-solver-jobs", daemon=True)

    def start(self) -> None:
        self.proc.start()
        self.reader.start()
        self.sender.start()

    def _send(self) -> None:
        while True:
            job = self.outbox.get()
            try:
                self.jobs_in.send(job)
            except (OSError, ValueError):  # the solver process is gone: the reader reports it
                return
            if job is None:
                return

    def _read(self) -> None:
        while True:
            try:
                message = self.events.get(timeout=1.0)
            except queue.Empty:
                if self.proc.is_alive() or self.stopping:
                    continue
                message = {"type": "_failed", "message": f"the solver process stopped (exit code {self.proc.exitcode})"}
                self.on_event(message)
                return
            except (EOFError, OSError):
                return
            if message is None:
                return
            if message.get("type") == "_failed":  # the engine could not start: do not start it again
                self.stopping = True
            try:
                self.on_event(message)
            except Exception:  # a handler's failure must not stop the reader
                import traceback

                traceback.print_exc()

    def submit(self, job) -> int:
        """Send a job (its ``token`` is set here); returns the token."""
        with self.lock:
            if isinstance(job, engine.Job):
                job.token = self.next_token
                self.next_token += 1
            self.outbox.put(job)
            return getattr(job, "token", 0)

    def supersede(self, token: int) -> None:
        """Stop every submission older than ``token`` (except jobs marked ``keep``: revision 0)."""
        self.below.value = token

    def cancel(self, token: int) -> None:
        self.exact.value = token

    def stop(self) -> None:
        self.stopping = True
        self.outbox.put(None)
        self.below.value = 1 << 62  # stop a running solve
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=5)
        try:
            self.events.put(None)
        except (OSError, ValueError):
            pass

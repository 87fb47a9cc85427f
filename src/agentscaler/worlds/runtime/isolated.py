"""Tool code under OS limits: calls run in worker processes, the database stays here.

Which code runs where (``WorldConfig.tool_isolation``): the compiler's own output runs in the
calling process under the interpreter-level budget (:mod:`.budget`), which keeps generated tool
calls at thousands per second; code that a user edited or an LLM wrote (``tools.py`` differing
from what the compiler emitted, or a tool whose ``code_source`` is ``llm``) runs in a worker
process (:mod:`.isolated_worker`) under ``RLIMIT_AS``, ``RLIMIT_CPU`` and a wall-clock kill, with
the same interpreter-level budget inside. ``tool_isolation="process"`` sends every world there.

A call sends the tool name and arguments to an idle worker; every ``db.*`` the tool makes comes
back as a request that this process runs on the episode's real database (inside the runtime's
savepoint, under the same SQL deadline) and answers. The worker holds no state, so one over its
budget is killed and replaced, and the call becomes a :class:`BudgetExceeded` for the runtime:
the episode goes on, nothing is changed.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from agentscaler.errors import (
    InvalidArgument,
    NotFound,
    PreconditionFailed,
    ToolError,
    UnknownTool,
    UnsafeCodeError,
    WorldError,
)
from agentscaler.worlds.runtime.budget import BudgetExceeded, arm, armed_limits, disarm
from agentscaler.worlds.runtime.dbapi import Database
from agentscaler.worlds.runtime.isolated_worker import error_details

log = logging.getLogger(__name__)

LOAD_TIMEOUT_S = 60.0
"""How long a worker may take to start and check a world's code (not a tool call's budget)."""

DB_METHODS = tuple(
    sorted(
        name
        for name in dir(Database)
        if not name.startswith("_") and callable(getattr(Database, name))
    )
)
"""The public methods of the database API: what a worker's ``db`` offers, each a request here."""

_ERRORS: dict[str, type[ToolError]] = {
    cls.code: cls for cls in (ToolError, NotFound, PreconditionFailed, InvalidArgument, UnknownTool)
}


class IsolatedToolBug(Exception):
    """Tool code failed inside a worker; ``detail`` says how (the runtime records a world bug)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _WorkerGone(Exception):
    pass


class ToolWorker:
    """One worker process and its two pipes."""

    def __init__(self) -> None:
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "agentscaler.worlds.runtime.isolated_worker",
                    str(to_child_r),
                    str(to_parent_w),
                ],
                pass_fds=(to_child_r, to_parent_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except BaseException:
            for fd in (to_child_r, to_child_w, to_parent_r, to_parent_w):
                os.close(fd)
            raise
        os.close(to_child_r)
        os.close(to_parent_w)
        self._out = Connection(to_child_w, readable=False)
        self._in = Connection(to_parent_r, writable=False)
        self.loaded: set[str] = set()
        self.usable = True

    # --- plumbing -----------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        try:
            self._out.send_bytes(json.dumps(message, ensure_ascii=False).encode())
        except OSError as exc:
            raise _WorkerGone(str(exc)) from exc

    def _receive(self, deadline: float) -> dict[str, Any] | None:
        """The next message, or None when ``deadline`` (perf_counter) passed first."""
        left = deadline - time.perf_counter()
        try:
            if left <= 0 or not self._in.poll(left):
                return None
            return json.loads(self._in.recv_bytes())
        except (EOFError, OSError) as exc:
            raise _WorkerGone(str(exc)) from exc

    def close(self) -> None:
        """Stop the worker now (it holds nothing worth keeping)."""
        self.usable = False
        if self.process.poll() is None:
            self.process.kill()
        for connection in (self._out, self._in):
            with contextlib.suppress(OSError):
                connection.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a killed process always ends
            log.warning("tool worker %d did not end after SIGKILL", self.process.pid)

    def _death(self) -> str:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and code < 0 and -code == signal.SIGXCPU:
            return "cpu"
        return f"exit status {code}" if code is not None and code >= 0 else f"signal {-(code or 0)}"

    # --- requests -----------------------------------------------------------------------------
    def load(self, key: str, source: str, filename: str, max_bytes: int) -> None:
        self._send(
            {
                "op": "load",
                "key": key,
                "source": source,
                "filename": filename,
                "max_bytes": max_bytes,
                "methods": list(DB_METHODS),
            }
        )
        reply = self._receive(time.perf_counter() + LOAD_TIMEOUT_S)
        if reply is None:
            self.close()
            raise WorldError(
                f"{filename}: a tool worker did not load the code in {LOAD_TIMEOUT_S:g} s"
            )
        if "error" in reply:
            raise UnsafeCodeError(reply["error"])
        self.loaded.add(key)

    def call(
        self,
        key: str,
        tool: str,
        db: Any,
        arguments: dict[str, Any],
        *,
        left_s: float,
        time_limit_s: float,
        memory_limit_mb: int,
        max_sequence_len: int,
    ) -> Any:
        """Run one tool call; serve its database requests until it answers or runs out."""
        deadline = time.perf_counter() + left_s
        self._send(
            {
                "op": "call",
                "key": key,
                "tool": tool,
                "arguments": arguments,
                "left_s": left_s,
                "time_limit_s": time_limit_s,
                "memory_limit_mb": memory_limit_mb,
                "max_sequence_len": max_sequence_len,
            }
        )
        while True:
            try:
                message = self._receive(deadline)
            except _WorkerGone:
                how = self._death()
                self.close()
                if how == "cpu":
                    raise BudgetExceeded(
                        f"exceeded its time limit of {time_limit_s:g} s", "time"
                    ) from None
                raise IsolatedToolBug(
                    f"tool {tool}: its worker process died ({how}); the call was not carried out"
                ) from None
            if message is None:
                self.close()
                raise BudgetExceeded(f"exceeded its time limit of {time_limit_s:g} s", "time")
            if "db" in message:
                self._send(_serve_database(db, message, deadline))
                continue
            if "result" in message:
                return json.loads(message["result"])
            if "raise" in message:
                code, text, *extra = message["raise"]
                error = _ERRORS.get(code, ToolError)(text)
                for key, value in (extra[0] if extra else {}).items():
                    setattr(error, key, value)
                raise error
            if "limit" in message:
                self.close()
                resource, reason = message["limit"]
                if resource == "time":
                    reason = f"exceeded its time limit of {time_limit_s:g} s"
                raise BudgetExceeded(reason, resource)
            if "bug" in message:
                raise IsolatedToolBug(message["bug"])
            self.close()
            raise IsolatedToolBug(f"tool {tool}: its worker sent an unknown message")


def _serve_database(db: Any, message: dict[str, Any], deadline: float) -> dict[str, Any]:
    """Run one ``db.*`` request of tool code on the real database; the reply to send back."""
    name = message.get("db")
    if name not in DB_METHODS:
        return {"raise": ["error", f"the database has no method {name!r}"]}
    try:
        value = getattr(db, name)(*message.get("args", ()), **message.get("kwargs", {}))
    except ToolError as exc:
        return {"raise": [exc.code, str(exc), error_details(exc)]}
    except Exception as exc:
        if time.perf_counter() > deadline:
            return {"raise": ["error", "the call ran out of time"]}
        return {"raise": [type(exc).__name__, str(exc)]}
    return {"value": value}


class WorkerPool:
    """Idle workers of this process, reused across calls and worlds (replaced when killed)."""

    def __init__(self, keep: int | None = None) -> None:
        self.pid = os.getpid()
        self.keep = keep or max(2, os.cpu_count() or 1)
        self._idle: list[ToolWorker] = []
        self._lock = threading.Lock()
        self.started = 0

    def acquire(self) -> ToolWorker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.usable and worker.process.poll() is None:
                    return worker
                worker.close()
            self.started += 1
        return ToolWorker()

    def release(self, worker: ToolWorker) -> None:
        if not worker.usable:
            return
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(worker)
                return
        worker.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def pool() -> WorkerPool:
    """This process's worker pool (a forked child gets its own, never its parent's workers)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL.pid != os.getpid():
            _POOL = WorkerPool()
            atexit.register(_POOL.close)
        return _POOL


def isolated_function(
    key: str,
    source: str,
    filename: str,
    max_bytes: int,
    tool: str,
    defaults: tuple[float, int, int],
) -> Callable[..., Any]:
    """A stand-in for tool ``tool`` of a world's code that runs the call in a worker process.

    ``defaults`` (time limit s, memory MB, max sequence length) apply when the runtime did not
    arm a budget.
    """

    def run(db: Any, **arguments: Any) -> Any:
        limits = armed_limits()
        if limits is None:
            time_limit, memory, max_len = defaults
            left, limit = time_limit, time_limit
        else:
            left, limit, memory, max_len = limits
        if left <= 0:
            raise BudgetExceeded(f"exceeded its time limit of {limit:g} s", "time")
        workers = pool()
        worker = workers.acquire()
        try:
            if key not in worker.loaded:
                worker.load(key, source, filename, max_bytes)
            # starting a worker is this process's cost, not the tool's: the budget starts now
            saved = arm(left, memory, max_len)
            try:
                return worker.call(
                    key,
                    tool,
                    db,
                    arguments,
                    left_s=left,
                    time_limit_s=limit,
                    memory_limit_mb=memory,
                    max_sequence_len=max_len,
                )
            finally:
                disarm(saved)
        except _WorkerGone as exc:
            worker.close()
            raise IsolatedToolBug(f"tool {tool}: its worker process is gone ({exc})") from None
        finally:
            workers.release(worker)

    run.__name__ = tool
    return run

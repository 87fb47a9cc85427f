"""The worker process that runs tool code nobody vetted: ``python -m
agentscaler.worlds.runtime.isolated_worker READ_FD WRITE_FD``.

It holds no database: tool code gets a ``db`` whose methods are requests to the parent (which runs
them on the episode's real database and answers), so the worker owns nothing worth keeping and
can be killed at any moment. Around each call it lowers its own OS limits, which the kernel
enforces even inside one C call that never returns to Python:

* ``RLIMIT_AS``: the address space it has now plus the call's memory limit (an allocation past it
  fails with ``MemoryError``);
* ``RLIMIT_CPU``: the CPU seconds used so far plus the call's time limit, rounded up, plus one
  (past it the kernel sends ``SIGXCPU`` and the process dies). This also ends a worker whose
  parent died while it was busy.

The parent adds a wall-clock kill at the call's deadline. Inside, the interpreter-level budget
(:mod:`.budget`) runs as in-process, so most runaway code is stopped cleanly before the OS has
to. Messages are JSON frames (never pickle: the parent does not unpickle what tool code made).
"""

from __future__ import annotations

import json
import math
import os
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE")


class DatabaseCallFailed(Exception):
    """A database request failed in the parent for a reason that is not a domain error."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(f"a {type(value).__name__} cannot be sent to the database")


class _Channel:
    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.incoming = Connection(read_fd, writable=False)
        self.outgoing = Connection(write_fd, readable=False)

    def send(self, message: dict[str, Any]) -> None:
        self.outgoing.send_bytes(json.dumps(message, default=_jsonable).encode())

    def receive(self) -> dict[str, Any]:
        return json.loads(self.incoming.recv_bytes())


def error_details(exc: BaseException) -> dict[str, Any]:
    """What a domain error carries besides its message (the spec rule that failed)."""
    rule = getattr(exc, "rule", None)
    return {"rule": rule} if rule else {}


def _database_proxy(
    channel: _Channel, errors: dict[str, type[Exception]], methods: list[str]
) -> Any:
    """What tool code sees as ``db``: one object whose methods (the public methods of the
    parent's database API, named by the parent) ask the parent."""

    def method(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            channel.send({"db": name, "args": list(args), "kwargs": kwargs})
            reply = channel.receive()
            if "value" in reply:
                return reply["value"]
            kind, message, *extra = reply["raise"]
            cls = errors.get(kind)
            if cls is None:
                raise DatabaseCallFailed(kind, message)
            error = cls(message)
            for key, value in (extra[0] if extra else {}).items():
                setattr(error, key, value)
            raise error

        call.__name__ = name
        return call

    namespace = {name: staticmethod(method(name)) for name in methods}
    namespace["__slots__"] = ()
    return type("Database", (), namespace)()


def _limit_os(memory_limit_mb: int, time_limit_s: float) -> None:
    import resource

    with open("/proc/self/statm", "rb") as handle:
        size = int(handle.read().split()[0]) * _PAGE
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = size + (memory_limit_mb + 64) * 1024 * 1024
    if hard == resource.RLIM_INFINITY or wanted <= hard:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    seconds = math.ceil(used + time_limit_s) + 1
    if hard == resource.RLIM_INFINITY or seconds <= hard:
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, hard))


def _describe(tool: str, exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = next(
        (
            f"{os.path.basename(f.filename)}:{f.lineno}"
            for f in reversed(frames)
            if f.filename.endswith("tools.py")
        ),
        "",
    )
    at = f" at {where}" if where else ""
    kind = exc.kind if isinstance(exc, DatabaseCallFailed) else type(exc).__name__
    return f"tool {tool} raised {kind}{at}: {exc}"


def _load(source: str, filename: str, max_bytes: int) -> dict[str, Any]:
    """Check and run tool code (definitions only); ``{tool name: function}``."""
    from agentscaler.errors import InvalidArgument, NotFound, PreconditionFailed
    from agentscaler.worlds.runtime.sandbox import execute

    registry: dict[str, Any] = {}

    def tool(**options: Any) -> Any:
        def register(function: Any) -> Any:
            registry[options.get("name") or function.__name__] = function
            return function

        return register

    namespace = {
        "tool": tool,
        "NotFound": NotFound,
        "PreconditionFailed": PreconditionFailed,
        "InvalidArgument": InvalidArgument,
    }
    execute(source, namespace, filename=filename, max_bytes=max_bytes)
    return registry


def serve(channel: _Channel) -> None:
    """Answer load and call requests until the parent closes the pipe (or a limit is hit)."""
    from agentscaler.errors import InvalidArgument, NotFound, PreconditionFailed, ToolError
    from agentscaler.worlds.runtime.budget import BudgetExceeded, arm, disarm, guard_text

    errors: dict[str, type[Exception]] = {
        cls.code: cls for cls in (ToolError, NotFound, PreconditionFailed, InvalidArgument)
    }
    db: Any = None
    registries: dict[str, dict[str, Any]] = {}
    while True:
        try:
            request = channel.receive()
        except (EOFError, OSError):
            return
        if request["op"] == "load":
            try:
                registry = _load(request["source"], request["filename"], request["max_bytes"])
            except Exception as exc:
                channel.send({"error": str(exc)})
                continue
            registries[request["key"]] = registry
            if db is None:
                db = _database_proxy(channel, errors, request["methods"])
            channel.send({"loaded": sorted(registry)})
            continue
        tool = request["tool"]
        function = registries[request["key"]][tool]
        memory_mb = request["memory_limit_mb"]
        _limit_os(memory_mb, request["time_limit_s"])
        saved = arm(request["left_s"], memory_mb, request["max_sequence_len"])
        try:
            try:
                result = function(db, **request["arguments"])
                guard_text(result)
            finally:
                disarm(saved)
        except BudgetExceeded as exc:
            channel.send({"limit": [exc.resource, exc.reason]})
            return  # a worker that hit a limit is replaced
        except MemoryError:
            channel.send({"limit": ["memory", f"exceeded its memory limit of {memory_mb} MB"]})
            return
        except ToolError as exc:
            channel.send({"raise": [exc.code, str(exc), error_details(exc)]})
            continue
        except Exception as exc:
            channel.send({"bug": _describe(tool, exc)})
            continue
        try:
            content = json.dumps(result, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            channel.send({"bug": f"tool {tool} returned a value that is not JSON: {exc}"})
            continue
        channel.send({"result": content})


def main(argv: list[str]) -> None:
    channel = _Channel(int(argv[0]), int(argv[1]))
    serve(channel)


if __name__ == "__main__":
    main(sys.argv[1:])

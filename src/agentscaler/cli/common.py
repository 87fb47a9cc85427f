"""Helpers shared by CLI commands: consoles, the one error path, exit codes.

Exit codes (documented in the README):

* ``0`` all good;
* ``1`` error: nothing usable was produced, or the command stopped (the message says why and how
  to fix it);
* ``2`` bad usage: an unknown option, a missing argument, an option value out of range;
* ``3`` partial: the command finished and its output is usable, but some records failed (rejected
  tool records, worlds that failed conformance, episodes lost to infrastructure failures); the
  summary names them.

Every user-facing failure prints one line, ``error: <message>``, verbatim (no markup, no
wrapping); ``agentscaler --debug ...`` adds the traceback.
"""

from __future__ import annotations

import errno
from typing import NoReturn

import typer
from rich.console import Console
from rich.text import Text

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3

console = Console()
err_console = Console(stderr=True)


class _State:
    debug = False


state = _State()


def error_line(message: str, label: str = "error") -> None:
    """Print ``label: message`` to stderr as one verbatim line (no markup, no wrapping)."""
    text = Text(f"{label}: ", style="bold red")
    text.append(" ".join(str(message).split()))
    err_console.print(text, soft_wrap=True, highlight=False)


def warning_line(message: str) -> None:
    text = Text("warning: ", style="bold yellow")
    text.append(" ".join(str(message).split()))
    err_console.print(text, soft_wrap=True, highlight=False)


def print_error(message: str) -> None:
    """Print ``error: MESSAGE`` on stderr, the message verbatim (brackets are not markup)."""
    error_line(message)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error and exit with ``code``."""
    import typer

    error_line(message)
    raise typer.Exit(code)


def partial(message: str) -> NoReturn:
    """The command finished with usable output but some records failed: say so, exit 3."""
    import typer

    warning_line(message)
    raise typer.Exit(EXIT_PARTIAL)


def shard_failures(stage: str, failures: list) -> None:
    """Print the shards of ``stage`` that failed (with their record ids) and exit 3; nothing
    when every shard finished."""
    if not failures:
        return
    for failure in failures[:10]:
        shown = ", ".join(failure.records[:5])
        more = len(failure.records) - min(5, len(failure.records))
        warning_line(
            f"{stage}: shard {failure.shard} failed: {failure.error}; records {shown}"
            + (f" and {more} more" if more > 0 else "")
        )
    records = sum(len(f.records) for f in failures)
    partial(
        f"{len(failures)} shard(s) of {stage} ({records} record(s)) failed and are left "
        "unfinished; the other shards finished. Fix the cause and run the same command again "
        "to redo them."
    )


def describe_os_error(exc: OSError) -> str:
    """One line for a failed file operation, naming the file and what to do."""
    where = exc.filename or "a file"
    if exc.filename2:
        where = f"{exc.filename} -> {exc.filename2}"
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        return (
            f"no space left on the device while writing {where}. Free some space and run the "
            "same command again: finished work is kept and the command resumes."
        )
    if exc.errno == errno.EDQUOT:
        return f"disk quota exceeded while writing {where}. Free some space and run it again."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied: {where}. Check the file's permissions (or use another folder)."
    if exc.errno == errno.ENOENT:
        return f"not found: {where}. Check the path."
    if exc.errno == errno.EROFS:
        return f"read-only file system: {where}. Write to another folder."
    if exc.errno is None:  # a short write reported without an errno (numpy, zip files)
        return (
            f"writing {where} failed ({reason}); a full disk does this. Free some space and run "
            "the same command again: finished work is kept."
        )
    return f"{reason}: {where}"


def option_error(exc: Exception, options: dict[str, str] | None = None) -> Exception:
    """A :class:`UsageError` for a settings model that refused command-line values, naming each
    option as typed (``--max-turns``), what is wrong and the value given.

    ``options`` maps field names to option names where they differ (``timeout_s`` ->
    ``--request-timeout``); other fields become ``--field-name``.
    """
    from agentscaler.errors import UsageError

    errors = getattr(exc, "errors", None)
    if errors is None:
        return UsageError(str(exc))
    problems = []
    for error in errors():
        field = ".".join(str(p) for p in error.get("loc", ()))
        option = (options or {}).get(field) or ("--" + field.replace("_", "-") if field else "")
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        given = error.get("input")
        shown = f" (got {given!r})" if given is not None and not isinstance(given, dict) else ""
        problems.append(f"{option}: {message}{shown}" if option else f"{message}{shown}")
    return UsageError("invalid option " + "; ".join(problems))


EXECUTOR_OPTION = typer.Option(
    "local",
    "--executor",
    help="Where the stage runs its shards: local (worker processes) or ray (one Ray task per "
    "shard). Decides speed, never records.",
)
WORKERS_OPTION = typer.Option(
    0, "--workers", min=0, help="Local worker processes (0: one per core; 1: this process)."
)
RAY_ADDRESS_OPTION = typer.Option(
    None, "--ray-address", help="Ray cluster to join with --executor ray (default: local)."
)


def stage_executor(executor: str, workers: int, ray_address: str | None):
    """The executor the options of a stage command name (close it when done)."""
    from agentscaler.errors import UsageError
    from agentscaler.execution import ExecutionConfig, make_executor

    if executor not in ("local", "ray"):
        raise UsageError(f"--executor must be local or ray, not {executor!r}")
    if ray_address and executor != "ray":
        raise UsageError("--ray-address needs --executor ray")
    return make_executor(
        ExecutionConfig(executor=executor, workers=workers, ray_address=ray_address)
    )

"""Root of the ``agentscaler`` command line. Sub-commands live in modules named after stages."""

from __future__ import annotations

import os
import sys

import typer

from agentscaler import __version__
from agentscaler.cli.common import EXIT_ERROR, EXIT_USAGE, error_line, state

app = typer.Typer(
    name="agentscaler",
    help=(
        "Turn tool catalogs into simulated, database-backed, verifiable worlds, and produce "
        "verified multi-turn function-calling data and RL environments from them."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"agentscaler {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More log output (-v info, -vv debug)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(
        False, "--debug", help="On an error, print the traceback as well as the message."
    ),
) -> None:
    """agentscaler command line.

    Exit status: 0 all good, 1 error, 2 bad usage, 3 partial (finished with usable output, but
    some records failed: the summary names them).
    """
    from agentscaler.logs import setup_logging

    state.debug = debug
    setup_logging(verbose)


def _register() -> None:
    """Sub-commands in pipeline order (the order ``--help`` lists them)."""
    from agentscaler.cli import (
        decontam,
        doctor,
        domains,
        run,
        serve,
        simulate,
        stub,
        tasks,
        tools,
        train,
        worlds,
    )
    from agentscaler.cli import eval as eval_cli
    from agentscaler.cli import export as export_cli
    from agentscaler.cli import filter as filter_cli

    app.command("run")(run.run_command)
    app.add_typer(tools.app, name="tools")
    app.add_typer(domains.app, name="domains")
    app.add_typer(worlds.app, name="worlds")
    app.add_typer(tasks.app, name="tasks")
    app.command("simulate")(simulate.simulate_command)
    app.command("filter")(filter_cli.filter_command)
    app.command("decontam")(decontam.decontam_command)
    app.command("export")(export_cli.export_command)
    app.command("train")(train.train_command)
    app.add_typer(eval_cli.app, name="eval")
    app.command("serve")(serve.serve_command)
    app.add_typer(stub.app, name="stub")
    app.command("doctor")(doctor.doctor_command)


_register()


def main() -> None:
    """Entry point: run the CLI; every failure becomes one clear line and an exit status."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    state.debug = "--debug" in sys.argv[1:]
    try:
        app()
    except BaseException as exc:  # SystemExit passes through report()
        code = report(exc)
        if code is None:
            raise
        sys.exit(code)


def report(exc: BaseException) -> int | None:
    """Print the line for ``exc`` (and its traceback with --debug); the exit status, or None for
    exceptions that are not errors (``SystemExit``)."""
    from pydantic import ValidationError

    from agentscaler.errors import AgentscalerError, UsageError

    if isinstance(exc, SystemExit | GeneratorExit):
        return None
    while isinstance(exc, BaseExceptionGroup):  # concurrent work failed: its first failure
        if state.debug:
            import traceback

            traceback.print_exception(exc)
        exc = exc.exceptions[0]
    if state.debug:
        import traceback

        traceback.print_exception(exc)
    if isinstance(exc, KeyboardInterrupt):
        error_line("interrupted; run the same command again to resume (finished work is kept)")
        return 130
    if isinstance(exc, UsageError):
        error_line(str(exc))
        return EXIT_USAGE
    if isinstance(exc, AgentscalerError):
        error_line(str(exc))
        return EXIT_ERROR
    if isinstance(exc, ValidationError):
        # settings given on the command line that a config model refuses
        error_line(f"invalid setting: {validation_problems(exc)}")
        return EXIT_USAGE
    if isinstance(exc, OSError):
        from agentscaler.cli.common import describe_os_error

        error_line(describe_os_error(exc))
        return EXIT_ERROR
    if isinstance(exc, MemoryError):
        error_line("out of memory; use smaller settings (fewer tasks, workers or rows)")
        return EXIT_ERROR
    hint = "" if state.debug else "; run it again with --debug for the traceback"
    error_line(f"internal error: {type(exc).__name__}: {exc}{hint}. Please report it.")
    return EXIT_ERROR


def validation_problems(exc: Exception) -> str:
    """One line for a pydantic error: each field, what is wrong and the value given."""
    problems = []
    for error in exc.errors():  # type: ignore[attr-defined]
        field = ".".join(str(p) for p in error.get("loc", ())) or "value"
        given = error.get("input")
        shown = f" (got {given!r})" if given is not None and not isinstance(given, dict) else ""
        problems.append(f"{field}: {error.get('msg')}{shown}")
    return "; ".join(problems)


if __name__ == "__main__":
    main()

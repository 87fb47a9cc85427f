"""Root of the ``agentscaler`` command line. Sub-commands live in modules named after stages."""

from __future__ import annotations

import os
import sys

import typer

from agentscaler import __version__
from agentscaler.cli.common import print_error

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
) -> None:
    """agentscaler command line."""
    from agentscaler.logs import setup_logging

    setup_logging(verbose)


def _register() -> None:
    """Sub-commands in pipeline order (the order ``--help`` lists them)."""
    from agentscaler.cli import (
        decontam,
        doctor,
        domains,
        run,
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
    app.add_typer(stub.app, name="stub")
    app.command("doctor")(doctor.doctor_command)


_register()


def main() -> None:
    """Entry point: run the CLI and turn agentscaler errors into one clear line and exit code 1."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from pydantic import ValidationError

    from agentscaler.errors import AgentscalerError

    try:
        app()
    except AgentscalerError as exc:
        print_error(str(exc))
        sys.exit(1)
    except ValidationError as exc:
        # settings given on the command line that a config model refuses
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or e.get('input')}: {e['msg']}"
            for e in exc.errors()
        )
        print_error(f"invalid setting ({exc.title}): {problems}")
        sys.exit(1)


if __name__ == "__main__":
    main()

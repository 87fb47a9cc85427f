"""Helpers shared by CLI commands: console, error exit, option types."""

from __future__ import annotations

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def print_error(message: str) -> None:
    """Print ``error: MESSAGE`` on stderr, the message verbatim (brackets are not markup)."""
    from rich.text import Text

    err_console.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False)


def fail(message: str, code: int = 1) -> None:
    """Print an error and exit with ``code``."""
    import typer

    print_error(message)
    raise typer.Exit(code)

"""Helpers shared by CLI commands: console, error exit, option types."""

from __future__ import annotations

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    """Print an error and exit with ``code``."""
    import typer

    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)

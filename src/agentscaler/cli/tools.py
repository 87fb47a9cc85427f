"""``agentscaler tools``: import tool catalogs and inspect pools."""

from __future__ import annotations

import typer

app = typer.Typer(help="Import tool catalogs into a normalized ToolSpec pool and inspect it.", no_args_is_help=True)

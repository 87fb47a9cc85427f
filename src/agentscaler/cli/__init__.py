"""The ``agentscaler`` command line (typer + rich)."""

"""Logging setup for the command line (library code only uses named loggers)."""

from __future__ import annotations

import logging


def setup_logging(verbosity: int = 0) -> None:
    """Route the ``agentscaler`` loggers to stderr through rich; ``verbosity`` 0=WARNING, 1=INFO, 2=DEBUG."""
    from rich.console import Console
    from rich.logging import RichHandler

    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logger = logging.getLogger("agentscaler")
    logger.setLevel(level)
    if not any(isinstance(h, RichHandler) for h in logger.handlers):
        handler = RichHandler(console=Console(stderr=True), show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.propagate = False

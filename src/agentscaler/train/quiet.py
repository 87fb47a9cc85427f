"""Silencing the libraries' own progress bars while agentscaler shows its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_library_progress() -> Iterator[None]:
    """Hide transformers' and datasets' own progress bars (the stage has its own)."""
    import datasets
    from transformers.utils import logging as transformers_logging

    datasets_was_on = datasets.is_progress_bar_enabled()
    transformers_was_on = transformers_logging.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if datasets_was_on:
            datasets.enable_progress_bars()
        if transformers_was_on:
            transformers_logging.enable_progress_bar()

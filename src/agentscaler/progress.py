"""One look for progress bars on long work (rich), quiet when output is not a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def make_progress(console: Console | None = None, *, extra: tuple = ()) -> Progress:
    """A rich Progress with the project's columns; ``extra`` columns go before the timers."""
    console = console or Console(stderr=True)
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *extra,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )


@contextmanager
def progress_bar(description: str, total: int | None, console: Console | None = None) -> Iterator:
    """``with progress_bar("compiling", n) as advance: ... advance(1)``."""
    progress = make_progress(console)
    with progress:
        task = progress.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            progress.advance(task, n)

        yield advance


class PhaseProgress:
    """Progress of work done in phases, one bar per phase (``with reporter.progress: ...``).

    ``phase(description, total)`` yields an ``advance(n)`` callable; ``set_total`` changes the
    total of the current phase once it is known. Stages that report phases (domain discovery)
    accept any object with these two methods.
    """

    def __init__(self, console: Console | None = None) -> None:
        self.progress = make_progress(console)
        self._task: object = None

    @contextmanager
    def phase(self, description: str, total: int | None = None) -> Iterator:
        task = self.progress.add_task(description, total=total)
        self._task = task

        def advance(n: int = 1) -> None:
            self.progress.advance(task, n)

        try:
            yield advance
        finally:
            current = next(t for t in self.progress.tasks if t.id == task)
            if current.total is None:
                self.progress.update(task, total=current.completed or 1)
            self.progress.update(task, completed=current.total)

    def set_total(self, total: int) -> None:
        if self._task is not None:
            self.progress.update(self._task, total=total)

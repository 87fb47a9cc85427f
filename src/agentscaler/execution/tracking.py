"""Progress of a stage's shards: shards done of total, records done, records per second and the
time left, for the terminal (a rich bar) and for ``run.json`` (:meth:`StageTracker.status`).

Library entry points take any object with :meth:`plan` and :meth:`done`; the tracker calls
``on_change`` (at most every ``every`` seconds, and at the end) so the run can write its status.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import Progress, TextColumn

from agentscaler.progress import make_progress


class StageTracker:
    def __init__(
        self,
        stage: str,
        *,
        console: Console | None = None,
        on_change: Callable[[StageTracker], None] | None = None,
        every: float = 2.0,
    ) -> None:
        self.stage = stage
        self.shards_total: int | None = None
        self.records_total: int | None = None
        self.shards_done = 0
        self.records_done = 0
        self.failed_shards = 0
        self.started = time.monotonic()
        self.finished: float | None = None
        self._on_change = on_change
        self._every = every
        self._last_change = 0.0
        self._progress: Progress = make_progress(
            console,
            extra=(
                TextColumn("shards {task.fields[shards]}"),
                TextColumn("{task.fields[rate]}"),
            ),
        )
        self._task: Any = None

    # --- what stages call ------------------------------------------------------------------------
    def plan(self, shards: int | None, records: int | None) -> None:
        """The stage's work: ``shards`` shards holding ``records`` records (None: unknown)."""
        self.shards_total = shards
        self.records_total = records
        self._refresh(force=True)

    def done(self, records: int, shards: int = 1) -> None:
        """``shards`` more shards finished, holding ``records`` records."""
        self.shards_done += shards
        self.records_done += records
        self._refresh()

    def failed(self, shards: int = 1) -> None:
        self.failed_shards += shards
        self._refresh()

    # --- the figures -----------------------------------------------------------------------------
    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def rate(self) -> float:
        return self.records_done / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta(self) -> float | None:
        if self.records_total is None:
            return None
        left = max(0, self.records_total - self.records_done)
        if left == 0:
            return 0.0
        return left / self.rate if self.rate > 0 else None

    def status(self) -> dict[str, Any]:
        eta = self.eta
        return {
            "stage": self.stage,
            "shards_done": self.shards_done,
            "shards_total": self.shards_total,
            "shards_failed": self.failed_shards,
            "records_done": self.records_done,
            "records_total": self.records_total,
            "records_per_s": round(self.rate, 2),
            "eta_s": None if eta is None else round(eta, 1),
            "seconds": round(self.seconds, 2),
        }

    # --- terminal and run.json -------------------------------------------------------------------
    def __enter__(self) -> StageTracker:
        self._progress.start()
        self._task = self._progress.add_task(self.stage, total=None, shards="-", rate="")
        return self

    def __exit__(self, *exc: object) -> None:
        self.finished = time.monotonic()
        self._refresh(force=True)
        self._progress.stop()

    def _refresh(self, force: bool = False) -> None:
        if self._task is not None:
            shards = f"{self.shards_done}/{self.shards_total if self.shards_total else '?'}"
            self._progress.update(
                self._task,
                total=self.records_total,
                completed=self.records_done,
                shards=shards,
                rate=f"{self.rate:.1f} rec/s",
            )
        now = time.monotonic()
        if self._on_change is not None and (force or now - self._last_change >= self._every):
            self._last_change = now
            self._on_change(self)

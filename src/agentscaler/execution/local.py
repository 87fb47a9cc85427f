"""Shards on this machine: in this process (one worker) or in a pool of worker processes.

Workers are started with ``spawn`` (no copy of the parent's open databases or threads) and kept
for the executor's life, so stages of one run share them. Each worker opens its own SQLite
connections; a world's sandbox processes are children of the worker that loads the world. An
exception in a shard stops the map (a full disk is the machine's failure, not a shard's).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Any

from agentscaler.execution.base import MapOutcome, OnDone, ShardJob

log = logging.getLogger(__name__)


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self._workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self._workers, mp_context=get_context("spawn"))
        return self._pool

    def map(
        self,
        stage: str,
        fn: Callable[[Any], Any],
        jobs: Sequence[ShardJob[Any]],
        on_done: OnDone | None = None,
    ) -> MapOutcome:
        if self._workers == 1 or len(jobs) <= 1:
            for job in jobs:
                result = fn(job.payload)
                if on_done is not None:
                    on_done(job, result)
            return MapOutcome()
        pool = self._get_pool()
        pending: dict[Future, ShardJob[Any]] = {pool.submit(fn, job.payload): job for job in jobs}
        try:
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in done:
                    job = pending.pop(future)
                    result = future.result()
                    if on_done is not None:
                        on_done(job, result)
        except BaseException:
            for future in pending:
                future.cancel()
            self.close()  # a broken or interrupted pool is not reused
            raise
        return MapOutcome()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def map_shards(
    executor: Any,
    workers: int,
    stage: str,
    fn: Callable[[Any], Any],
    jobs: Sequence[ShardJob[Any]],
    on_done: OnDone | None = None,
    tracker: Any = None,
) -> MapOutcome:
    """``executor.map`` for a stage that may be given no executor: then a local one with
    ``workers`` workers, closed at the end. Failed shards are counted on ``tracker``."""
    own = executor is None
    if own:
        executor = LocalExecutor(workers)
    try:
        outcome = executor.map(stage, fn, jobs, on_done)
    finally:
        if own:
            executor.close()
    if tracker is not None and outcome.failures:
        tracker.failed(len(outcome.failures))
    return outcome

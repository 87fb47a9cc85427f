"""Shards on this machine: in this process (one worker) or in a pool of worker processes.

Workers are started with ``spawn`` (no copy of the parent's open databases or threads) and kept
for the executor's life, so stages of one run share them. Each worker opens its own SQLite
connections; a world's sandbox processes are children of the worker that loads the world. A
shard whose function raises is reported as a :class:`~.base.ShardFailure` with its record ids
and the other shards go on, as on Ray; an interruption (Ctrl-C), a worker process that died (the
pool is then broken) or a failure of the machine (a full disk, an I/O error, no memory) stops the
map: every shard would meet it.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

from agentscaler.execution.base import MapOutcome, OnDone, ShardFailure, ShardJob

log = logging.getLogger(__name__)

MACHINE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.ENOMEM})
"""``OSError`` numbers that are the machine's failure, not a shard's."""


def machine_failure(exc: BaseException) -> bool:
    """True for what stops a stage rather than one shard (a full disk, an I/O error, no memory)."""
    if isinstance(exc, MemoryError):
        return True
    return isinstance(exc, OSError) and exc.errno in MACHINE_ERRNOS


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
        outcome = MapOutcome()
        if self._workers == 1 or len(jobs) <= 1:
            for job in jobs:
                try:
                    result = fn(job.payload)
                except Exception as exc:  # the shard is reported; the other shards go on
                    if machine_failure(exc):
                        raise
                    outcome.failures.append(_failure(stage, job, exc))
                    continue
                if on_done is not None:
                    on_done(job, result)
            return outcome
        pool = self._get_pool()
        pending: dict[Future, ShardJob[Any]] = {pool.submit(fn, job.payload): job for job in jobs}
        try:
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in done:
                    job = pending.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        raise
                    except Exception as exc:  # the shard is reported; the other shards go on
                        if machine_failure(exc):
                            raise
                        outcome.failures.append(_failure(stage, job, exc))
                        continue
                    if on_done is not None:
                        on_done(job, result)
        except BaseException:
            for future in pending:
                future.cancel()
            self.close()  # a broken or interrupted pool is not reused
            raise
        return outcome

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _failure(stage: str, job: ShardJob[Any], exc: Exception) -> ShardFailure:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    failure = ShardFailure(
        stage, job.index, job.records, f"{type(exc).__name__}: {lines[0] if lines else ''}"
    )
    log.error(
        "%s: shard %d (%d records, first %s) failed: %s",
        stage,
        job.index,
        len(job.records),
        job.records[0] if job.records else "-",
        failure.error,
        exc_info=log.isEnabledFor(logging.DEBUG),
    )
    return failure


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

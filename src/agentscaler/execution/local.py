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
import pickle
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
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
        pending: dict[Future, list[ShardJob[Any]]] = {
            pool.submit(run_batch, fn, [job.payload for job in batch]): batch
            for batch in batches(jobs, self._workers)
        }
        try:
            for future in as_completed(list(pending)):
                batch = pending.pop(future)
                try:
                    results = future.result()
                except BrokenProcessPool:
                    raise
                except Exception as exc:  # e.g. a result that cannot be sent back
                    if machine_failure(exc):
                        raise
                    results = [(False, (exc, ""))] * len(batch)
                for job, (ok, result) in zip(batch, results, strict=True):
                    if not ok:  # the shard is reported; the other shards go on
                        outcome.failures.append(_failure(stage, job, received(result)))
                    elif on_done is not None:
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


BATCHES_PER_WORKER = 8
"""A map sends its shards to the workers in batches, each a worker's call: about this many per
worker while many shards remain, shrinking to one shard at a time towards the end, so a stage of
many small shards does not pay a call (pickling, pipes, wake-ups in both processes) per shard and
the workers still finish together."""


def batches(jobs: Sequence[ShardJob[Any]], workers: int) -> list[list[ShardJob[Any]]]:
    """``jobs`` cut, in order, into batches of ``remaining // (workers * BATCHES_PER_WORKER)``
    shards (at least one): large while much work remains, single shards at the end."""
    out: list[list[ShardJob[Any]]] = []
    start = 0
    while start < len(jobs):
        size = max(1, (len(jobs) - start) // (max(1, workers) * BATCHES_PER_WORKER))
        out.append(list(jobs[start : start + size]))
        start += size
    return out


def run_batch(fn: Callable[[Any], Any], payloads: list[Any]) -> list[tuple[bool, Any]]:
    """Body of one worker call: ``(True, result)`` or ``(False, (exception, traceback))`` per
    payload. What stops a stage (a failure of the machine, an interruption) is raised and ends
    the batch."""
    results: list[tuple[bool, Any]] = []
    for payload in payloads:
        try:
            results.append((True, fn(payload)))
        except Exception as exc:
            if machine_failure(exc):
                raise
            results.append((False, _sendable(exc)))
    return results


class RemoteTraceback(Exception):
    """The traceback of a shard's exception in the worker (its ``__cause__`` in the parent)."""

    def __str__(self) -> str:
        return f"\n{self.args[0]}" if self.args else ""


def _sendable(exc: Exception) -> tuple[Exception, str]:
    """``exc`` (a ``RuntimeError`` with its type and message when it cannot be sent back to the
    parent) and its traceback in the worker."""
    text = "".join(traceback.format_exception(exc))
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc, text


def received(sent: tuple[Exception, str]) -> Exception:
    exc, text = sent
    exc.__cause__ = RemoteTraceback(text)
    return exc


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

"""Shards as Ray tasks: one task per shard, retried by Ray when its worker dies.

Joins ``address`` (or the Ray already initialised in this process, or starts a local one) and
shuts down only a Ray it started. A shard whose worker died ``max_retries + 1`` times, or whose
function raised, is reported as a :class:`ShardFailure` with its record ids, and the other shards
go on. Workers read and write the run folder at the same path as the caller, so on a cluster of
several machines it must be on a shared filesystem.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

from agentscaler.errors import MissingDependencyError
from agentscaler.execution.base import MapOutcome, OnDone, ShardFailure, ShardJob
from agentscaler.execution.local import batches, received, run_batch

log = logging.getLogger(__name__)


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise MissingDependencyError(
            "--executor ray needs Ray: pip install 'agentscaler[ray]'"
        ) from exc
    return ray


WORKER_NICENESS = "RAY_worker_niceness"


def init_ray(address: str | None = None) -> bool:
    """Join ``address`` (or the cluster ``RAY_ADDRESS`` names, or start a local Ray) unless Ray
    is up in this process; True when this call did it (the caller then shuts it down).

    A local Ray started here runs its workers at the priority of this process (Ray's default
    lowers them to nice 15): they do the run's work, as local worker processes would, and on a
    machine shared with other jobs nice 15 would starve them. ``RAY_worker_niceness`` in the
    environment still wins."""
    ray = _ray()
    if ray.is_initialized():
        return False
    own_priority = address is None and WORKER_NICENESS not in os.environ
    if own_priority:
        os.environ[WORKER_NICENESS] = "0"  # read by the raylet ray.init starts
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    finally:
        if own_priority:
            os.environ.pop(WORKER_NICENESS, None)
    return True


def failure_message(exc: BaseException) -> str:
    """The last line of a Ray error (the cause, without Ray's traceback)."""
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[-1].strip() if lines else ''}".strip()


class RayExecutor:
    name = "ray"

    def __init__(self, address: str | None = None, *, max_retries: int = 2) -> None:
        self.address = address
        self.max_retries = max_retries
        self._owns_ray = False

    def _start(self) -> Any:
        if init_ray(self.address):
            self._owns_ray = True
        return _ray()

    @property
    def workers(self) -> int:
        ray = self._start()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def map(
        self,
        stage: str,
        fn: Callable[[Any], Any],
        jobs: Sequence[ShardJob[Any]],
        on_done: OnDone | None = None,
    ) -> MapOutcome:
        ray = self._start()
        # shards go in batches, as to local workers: a Ray task per shard costs more than a
        # short shard (a one-second filter stage of a hundred shards)
        remote = ray.remote(num_cpus=1, max_retries=self.max_retries)(run_batch).options(
            name=getattr(fn, "__name__", stage)  # a worker's title names the stage's function
        )
        pending = {
            remote.remote(fn, [job.payload for job in batch]): batch
            for batch in batches(jobs, self.workers)
        }
        outcome = MapOutcome()
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                batch = pending.pop(ref)
                try:
                    results = ray.get(ref)
                except Exception as exc:  # the batch's shards are reported; the others go on
                    results = [(False, exc)] * len(batch)
                for job, (ok, result) in zip(batch, results, strict=True):
                    if ok:
                        if on_done is not None:
                            on_done(job, result)
                        continue
                    error = result if isinstance(result, BaseException) else received(result)
                    failure = ShardFailure(stage, job.index, job.records, failure_message(error))
                    log.error(
                        "%s: shard %d (%d records, first %s) failed on Ray: %s",
                        stage,
                        job.index,
                        len(job.records),
                        job.records[0] if job.records else "-",
                        failure.error,
                    )
                    outcome.failures.append(failure)
        return outcome

    def close(self) -> None:
        if self._owns_ray:
            _ray().shutdown()
            self._owns_ray = False

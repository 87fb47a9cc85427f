"""The local executor sends shards to its workers in batches: every shard runs once, a shard that
raises is reported alone, and a failure of the machine stops the map."""

from __future__ import annotations

import errno
import threading

import pytest

from agentscaler.execution.base import ShardJob
from agentscaler.execution.local import BATCHES_PER_WORKER, LocalExecutor, batches


def test_batches_keep_every_shard_once_in_order_and_end_one_at_a_time():
    jobs = [ShardJob(i, (f"r{i}",), i) for i in range(111)]
    cut = batches(jobs, 2)
    assert [job for batch in cut for job in batch] == jobs
    assert len(cut[0]) == 111 // (2 * BATCHES_PER_WORKER) > 1  # fewer calls than shards
    assert len(cut) < len(jobs)
    assert [len(b) for b in cut[-2 * BATCHES_PER_WORKER :]] == [1] * (2 * BATCHES_PER_WORKER)
    assert [len(b) for b in batches(jobs[:5], 2)] == [1] * 5


class Unpicklable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.lock = threading.Lock()  # cannot be sent back to the parent as it is


def shard(payload: int) -> int:
    if payload == 3:
        raise ValueError("shard three is broken")
    if payload == 5:
        raise Unpicklable("shard five holds a lock")
    if payload == 99:
        raise OSError(errno.ENOSPC, "No space left on device")
    return payload * 10


def test_a_batch_reports_each_failing_shard_alone_and_stops_on_a_full_disk():
    executor = LocalExecutor(2)
    try:
        jobs = [ShardJob(i, (f"r{i}",), i) for i in range(40)]
        done: dict[int, int] = {}
        outcome = executor.map(
            "test", shard, jobs, lambda job, result: done.update({job.index: result})
        )
        assert done == {i: i * 10 for i in range(40) if i not in (3, 5)}
        failures = {f.shard: f for f in outcome.failures}
        assert sorted(failures) == [3, 5]
        assert failures[3].error == "ValueError: shard three is broken"
        assert failures[3].records == ("r3",)
        assert failures[5].error == "RuntimeError: Unpicklable: shard five holds a lock"
        with pytest.raises(OSError, match="No space left"):
            executor.map("test", shard, [ShardJob(i, (f"r{i}",), i) for i in (1, 2, 99, 4)])
    finally:
        executor.close()

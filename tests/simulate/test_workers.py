"""Episodes on a pool of local worker processes: the same files as in one process, every domain's
episodes in one shard, and a shard run again after its worker died runs only what its file lacks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agentscaler.errors import ShardsFailedError
from agentscaler.execution.local import LocalExecutor
from agentscaler.jsonl import read_records
from agentscaler.records import Episode, Task
from agentscaler.simulate import SimulateConfig, simulate
from agentscaler.simulate.build import open_simulation, run_simulation
from agentscaler.simulate.executors import ShardExecutor, run_shard_task, shard_concurrency
from agentscaler.simulate.storage import EpisodeStore

from .conftest import make_run, small_tasks


def episode_set(root) -> dict:
    seen = {}
    for path in sorted((root / "episodes").glob("*.jsonl")):
        for episode in read_records(path, Episode):
            assert episode.key not in seen
            seen[episode.key] = (path.name, episode.id, episode.messages, episode.final_state_hash)
    return seen


def test_worker_processes_write_the_episodes_of_one_process(catalog_run, tmp_path):
    tasks: list[Task] = small_tasks(catalog_run, per_domain=3)
    alone = make_run(catalog_run, tmp_path / "alone", tasks)
    pooled = make_run(catalog_run, tmp_path / "pooled", tasks)
    config = SimulateConfig(trials=2, shards=4)
    simulate(alone, config)
    executor = LocalExecutor(2)
    try:
        seen: list = []
        stats = simulate(pooled, config, executor=executor, on_outcome=seen.append)
        again = simulate(pooled, config, executor=executor)
    finally:
        executor.close()
    assert stats.simulated == len(seen) == 2 * len(tasks) and stats.gold_rate == 1.0
    assert again.simulated == 0 and again.skipped == 2 * len(tasks)
    assert episode_set(pooled) == episode_set(alone)
    store = EpisodeStore(pooled / "episodes", 4)
    for shard in store.stored_shards():
        assert store.marker_path(shard).exists()


def test_one_worker_runs_the_episodes_in_this_process(catalog_run, tmp_path):
    root = make_run(catalog_run, tmp_path / "run", small_tasks(catalog_run, per_domain=1))
    with open_simulation(root, SimulateConfig(), executor=LocalExecutor(1)) as plan:
        assert plan.executor.loads_worlds
    with open_simulation(root, SimulateConfig(), executor=LocalExecutor(2)) as plan:
        assert isinstance(plan.executor, ShardExecutor) and not plan.executor.loads_worlds


def test_a_shard_run_again_runs_only_the_episodes_its_file_lacks(catalog_run, tmp_path):
    root = make_run(catalog_run, tmp_path / "run", small_tasks(catalog_run, per_domain=3))
    config = SimulateConfig(trials=2, shards=1)
    with open_simulation(root, config) as plan:
        (work,) = plan.work
        names = plan.pool.domain_names
        half = len(work.jobs) // 2
        assert half >= 2
        # a first attempt wrote half of the shard before its worker died
        first = run_shard_task(
            (plan.workspace, config, plan.store, replace(work, jobs=work.jobs[:half]), names)
        )
        assert len(first) == half
        outcomes = run_shard_task((plan.workspace, config, plan.store, work, names))
        store = plan.store
    keys = [(job.task.id, job.trial) for job in work.jobs]
    assert sorted(o.task_id for o in outcomes) == sorted(k[0] for k in keys)
    lines = list(store.iter_lines(work.shard))
    assert len(lines) == len(keys)  # each episode once
    assert store.done_keys(work.shard) == set(keys)
    assert store.shard_complete(work.shard, work.marker)


def test_concurrency_is_shared_among_the_workers():
    config = SimulateConfig(concurrency=64)
    assert shard_concurrency(config, 2) == 32
    assert shard_concurrency(config, 3) == 22
    assert shard_concurrency(SimulateConfig(concurrency=1), 4) == 1


def test_a_failing_shard_is_reported_with_its_episodes_and_the_others_finish(catalog_run, tmp_path):
    tasks = small_tasks(catalog_run, per_domain=2)
    root = make_run(catalog_run, tmp_path / "run", tasks)
    alone = make_run(catalog_run, tmp_path / "alone", tasks)
    config = SimulateConfig(shards=4)
    simulate(alone, config)
    executor = LocalExecutor(2)
    try:
        with open_simulation(root, config, executor=executor) as plan:
            lost = plan.work[0]
            domain = lost.jobs[0].task.domain_id
            world = plan.workspace.world_dir(domain)
            world.rename(world.with_name("moved"))  # the worker cannot load it
            with pytest.raises(ShardsFailedError) as info:
                run_simulation(plan)
            world.with_name("moved").rename(world)
            store = plan.store
        (failure,) = info.value.failures
        assert failure.shard == lost.shard
        assert set(failure.records) == {job.episode_id for job in lost.jobs}
        for w in plan.work[1:]:
            assert store.shard_complete(w.shard, w.marker)
        assert not store.shard_complete(lost.shard, lost.marker)
        again = simulate(root, config, executor=executor)
    finally:
        executor.close()
    assert again.simulated == len(lost.jobs)
    assert episode_set(root) == episode_set(alone)

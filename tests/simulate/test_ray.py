"""The Ray executor writes the same episodes as the local one (local Ray, 2 CPUs), every domain's
episodes in one shard."""

from __future__ import annotations

import pytest

from agentscaler.jsonl import read_records
from agentscaler.records import Episode, Task
from agentscaler.simulate import SimulateConfig, simulate
from agentscaler.simulate.storage import EpisodeStore

from .conftest import make_run, small_tasks


def episode_set(root) -> dict:
    seen = {}
    for path in sorted((root / "episodes").glob("*.jsonl")):
        for episode in read_records(path, Episode):
            assert episode.key not in seen
            seen[episode.key] = (episode.id, episode.messages, episode.final_state_hash)
    return seen


@pytest.mark.slow
def test_ray_executor_gives_the_same_episode_set_as_local(catalog_run, tmp_path):
    ray = pytest.importorskip("ray")
    tasks: list[Task] = small_tasks(catalog_run, per_domain=4)
    local = make_run(catalog_run, tmp_path / "local", tasks)
    on_ray = make_run(catalog_run, tmp_path / "ray", tasks)
    simulate(local, SimulateConfig(trials=2, shards=4))

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        stats = simulate(on_ray, SimulateConfig(trials=2, shards=4, executor="ray"))
        again = simulate(on_ray, SimulateConfig(trials=2, shards=4, executor="ray"))
    finally:
        ray.shutdown()
    assert stats.simulated == 2 * len(tasks) and stats.gold_rate == 1.0
    assert again.simulated == 0 and again.skipped == 2 * len(tasks)
    assert episode_set(on_ray) == episode_set(local)
    store = EpisodeStore(on_ray / "episodes", 4)
    domains = {task.domain_id for task in tasks}
    held = {shard: {e.domain_id for e in store.episodes(shard)} for shard in store.stored_shards()}
    assert len(held) == min(4, len(domains))
    assert sorted(d for ds in held.values() for d in ds) == sorted(domains)  # a domain per shard
    for shard in held:
        assert store.marker_path(shard).exists()

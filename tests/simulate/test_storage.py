"""The sharded append-only episode store: stable sharding, torn tails, manifest, lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from agentscaler.errors import RunFolderError, SimulationError
from agentscaler.records import Episode, Message, PolicyInfo, Task, Termination
from agentscaler.simulate.build import domain_shards
from agentscaler.simulate.storage import EpisodeStore, keys_fingerprint

SETTINGS = {"agent": {"kind": "oracle_agent"}}


def episode(task: str, trial: int) -> Episode:
    return Episode(
        id=f"ep-{task}-{trial}",
        task_id=task,
        trial=trial,
        domain_id="d",
        agent=PolicyInfo(kind="oracle_agent", offline=True),
        user=PolicyInfo(kind="scripted_user", offline=True),
        messages=(Message(role="user", content="hi"),),
        termination=Termination.USER_STOP,
    )


def test_domains_are_spread_whole_over_shards_by_task_count():
    sizes = {f"d{i:02d}": 1 + (i * 7) % 13 for i in range(40)}
    tasks = [
        Task.model_construct(id=f"{d}-t{n}", domain_id=d) for d, size in sizes.items()
        for n in range(size)
    ]  # fmt: skip
    placed = domain_shards(tasks, 6)
    assert placed == domain_shards(list(reversed(tasks)), 6)  # not the order of the file
    loads = [sum(sizes[d] for d, s in placed.items() if s == shard) for shard in range(6)]
    assert set(placed) == set(sizes) and sum(loads) == len(tasks)
    assert max(loads) - min(loads) <= max(sizes.values())  # balanced, not by a hash of ids
    assert max(loads) - min(loads) <= 1
    code = (
        "import json, sys; from agentscaler.execution.shards import balance; "
        "print(json.dumps(balance(json.loads(sys.argv[1]), 6)))"
    )
    for hash_seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code, json.dumps(sizes)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        ).stdout
        assert json.loads(out) == placed


def test_keys_fingerprint_ignores_order_but_not_settings():
    keys = [("a", 0), ("b", 1)]
    assert keys_fingerprint(keys, "x") == keys_fingerprint(list(reversed(keys)), "x")
    assert keys_fingerprint(keys, "x") != keys_fingerprint(keys, "y")
    assert keys_fingerprint(keys, "x") != keys_fingerprint(keys[:1], "x")


def test_torn_tail_is_ignored_then_moved_aside(tmp_path):
    store = EpisodeStore.open(tmp_path / "episodes", 2, SETTINGS, "fp")
    with store.writer() as writer:
        writer.write(episode("a", 0), 0)
        writer.write(episode("b", 0), 0)
    path = store.shard_path(0)
    with path.open("a") as handle:
        handle.write('{"task_id": "c", "trial": 0, "mess')  # a write cut short by a crash
    assert store.done_keys(0) == {("a", 0), ("b", 0)}
    with store.writer() as writer:
        writer.write(episode("c", 0), 0)
    assert [e.key for e in store.episodes(0)] == [("a", 0), ("b", 0), ("c", 0)]
    assert (path.parent / (path.name + ".partial")).read_text().startswith('{"task_id": "c"')


def test_manifest_keeps_shard_count_and_refuses_other_settings(tmp_path):
    EpisodeStore.open(tmp_path / "episodes", 4, SETTINGS, "fp")
    reopened = EpisodeStore.open(tmp_path / "episodes", 16, SETTINGS, "fp")
    assert reopened.shards == 4
    with pytest.raises(SimulationError, match=r"other settings.*agent"):
        EpisodeStore.open(tmp_path / "episodes", 4, {"agent": {"kind": "llm"}}, "other")


def test_episode_files_without_a_manifest_are_refused(tmp_path):
    (tmp_path / "episodes").mkdir()
    (tmp_path / "episodes" / "shard-00000.jsonl").write_text("")
    with pytest.raises(RunFolderError, match="no manifest"):
        EpisodeStore.open(tmp_path / "episodes", 4, SETTINGS, "fp")


def test_corrupt_line_names_file_and_line(tmp_path):
    store = EpisodeStore.open(tmp_path / "episodes", 1, SETTINGS, "fp")
    store.shard_path(0).write_text('{"task_id": "a", "trial": 0}\nnot json\n')
    with pytest.raises(RunFolderError, match=r"shard-00000.jsonl:2"):
        store.done_keys(0)


def test_lock_refuses_a_second_writer(tmp_path):
    store = EpisodeStore.open(tmp_path / "episodes", 1, SETTINGS, "fp")
    with store.lock(), pytest.raises(SimulationError, match="another simulation"), store.lock():
        pass
    with store.lock():  # released
        pass


def test_shard_markers(tmp_path):
    store = EpisodeStore.open(tmp_path / "episodes", 2, SETTINGS, "fp")
    assert not store.shard_complete(0, "m")
    with store.writer() as writer:
        writer.write(episode("a", 0), 0)
    store.mark_shard(0, "m", 1)
    assert store.shard_complete(0, "m")
    assert not store.shard_complete(0, "other")
    assert not store.shard_complete(1, "m")

"""Offline simulation (oracle agent + scripted user) on real compiled worlds of the catalog."""

from __future__ import annotations

import json
from pathlib import Path

from agentscaler.filter.config import FilterConfig
from agentscaler.filter.validity import check_validity
from agentscaler.jsonl import read_json, read_records, write_records
from agentscaler.records import Episode, Task, Termination
from agentscaler.simulate import SimulateConfig, simulate
from agentscaler.simulate.build import domain_shards
from agentscaler.simulate.storage import EpisodeStore
from agentscaler.workspace import Workspace

from .conftest import make_run


def all_episodes(root: Path) -> list[Episode]:
    episodes: list[Episode] = []
    for path in sorted((root / "episodes").glob("*.jsonl")):
        episodes += read_records(path, Episode)
    return episodes


def test_offline_on_synthesized_catalog_tasks_reaches_the_gold_state(synthesized_run, tmp_path):
    """Acceptance: tasks from the task-synthesis stage on every built-in vertical."""
    root = make_run(synthesized_run, tmp_path / "run")
    tasks = {t.id: t for t in read_records(root / "tasks.jsonl", Task)}
    stats = simulate(root, SimulateConfig())
    assert stats.episodes == len(tasks) >= 200
    assert stats.gold_rate >= 0.99, stats.as_dict()
    assert sum(stats.why_not.values()) == stats.episodes - stats.reached_gold
    tool_names = {
        d.name: {t["function"]["name"] for t in read_json(d / "tools.json")}
        for d in (root / "worlds").iterdir()
    }
    for episode in all_episodes(root):
        assert check_validity(episode, tool_names[episode.domain_id], FilterConfig()) is None


def test_offline_catalog_episodes_reach_the_gold_state(catalog_run, tmp_path):
    root = make_run(catalog_run, tmp_path / "run")
    tasks = {t.id: t for t in read_records(root / "tasks.jsonl", Task)}
    stats = simulate(root, SimulateConfig())
    assert stats.episodes == len(tasks) >= 200
    assert stats.gold_rate >= 0.99, stats.as_dict()
    # every miss is explained
    assert sum(stats.why_not.values()) == stats.episodes - stats.reached_gold

    episodes = all_episodes(root)
    assert len(episodes) == len(tasks)
    assert {e.task_id for e in episodes} == set(tasks)
    tool_names = {
        d.name: {t["function"]["name"] for t in read_json(d / "tools.json")}
        for d in (root / "worlds").iterdir()
    }
    domains_with_parallel = set()
    for episode in episodes:
        task = tasks[episode.task_id]
        assert episode.agent.kind == "oracle_agent" and episode.agent.offline
        assert episode.user.kind == "scripted_user" and episode.user.offline
        assert episode.messages[0].role == "system"
        assert episode.messages[1].content == task.intent
        assert check_validity(episode, tool_names[episode.domain_id], FilterConfig()) is None
        made = [c.function.name for m in episode.messages if m.tool_calls for c in m.tool_calls]
        assert made == [c.name for c in task.gold_calls]
        if any(m.tool_calls and len(m.tool_calls) > 1 for m in episode.messages):
            domains_with_parallel.add(episode.domain_id)
        if episode.final_state_hash == task.gold_final_state:
            assert episode.termination is Termination.USER_STOP
    assert len(domains_with_parallel) >= 5  # independent reads went out together

    marker = Workspace(root).marker("simulate")
    assert marker is not None and marker["summary"]["episodes"] == len(tasks)


def test_offline_episodes_are_deterministic(run_dir, tmp_path, catalog_run):
    simulate(run_dir, SimulateConfig(trials=2))
    other = make_run(catalog_run, tmp_path / "other", read_records(run_dir / "tasks.jsonl", Task))
    simulate(other, SimulateConfig(trials=2, concurrency=3, shards=4))

    def content(root: Path) -> dict:
        return {
            (e.task_id, e.trial): (e.id, e.messages, e.final_state_hash, e.seed)
            for e in all_episodes(root)
        }

    first, second = content(run_dir), content(other)
    assert first == second
    assert len(first) == 2 * len(read_records(run_dir / "tasks.jsonl", Task))
    seeds = {(k[0], v[3]) for k, v in first.items()}
    assert len(seeds) == len(first)  # trials of a task get different seeds


def test_max_turns_ends_the_episode(run_dir):
    stats = simulate(run_dir, SimulateConfig(max_turns=2))
    assert stats.by_termination == {"max_turns": stats.episodes}
    for episode in all_episodes(run_dir):
        assert episode.turns == 2
        assert episode.termination is Termination.MAX_TURNS
        assert not episode.termination.is_infrastructure


def test_max_tool_calls_answers_extra_calls_with_an_error(run_dir):
    simulate(run_dir, SimulateConfig(max_tool_calls=1))
    tasks = {t.id: t for t in read_records(run_dir / "tasks.jsonl", Task)}
    hit = 0
    for episode in all_episodes(run_dir):
        if len(tasks[episode.task_id].gold_calls) < 2:
            assert episode.termination is Termination.USER_STOP
            continue
        hit += 1
        assert episode.termination is Termination.MAX_TOOL_CALLS
        assert episode.tool_calls == 2 and episode.tool_errors == 1
        last = episode.messages[-1]
        assert last.role == "tool"
        assert json.loads(last.content)["error"]["type"] == "limit_exceeded"
    assert hit


def test_world_bug_is_recorded_and_never_shown_to_the_agent(catalog_run, tmp_path):
    tasks = [
        t
        for t in read_records(catalog_run / "tasks.jsonl", Task)
        if t.domain_id == "retail_orders" and t.gold_calls[0].arguments.get("order_id")
    ][:2]
    assert tasks
    root = make_run(catalog_run, tmp_path / "run", tasks, copy_worlds=True)
    tools_py = root / "worlds" / "retail_orders" / "tools.py"
    source = tools_py.read_text()
    marker = 'order = db.get("orders", order_id)\n'
    assert marker in source
    tools_py.write_text(source.replace(marker, marker + "    order = order['no_such_column']\n"))
    stats = simulate(root, SimulateConfig())
    assert stats.by_termination == {"world_bug": len(tasks)}
    assert stats.infrastructure == len(tasks)
    for episode in all_episodes(root):
        assert episode.termination.is_infrastructure
        first_call = next(m.tool_calls[0] for m in episode.messages if m.tool_calls)
        assert first_call.function.name in episode.error and "KeyError" in episode.error
        assert not any(m.role == "tool" for m in episode.messages)
        assert "internal" not in json.dumps([m.content for m in episode.messages])


def test_rerun_skips_finished_pairs_and_refuses_other_settings(run_dir):
    first = simulate(run_dir, SimulateConfig())
    again = simulate(run_dir, SimulateConfig(trials=2))
    assert again.skipped == first.episodes and again.simulated == first.episodes
    store = EpisodeStore(run_dir / "episodes", 16)
    keys = [e.key for e in all_episodes(run_dir)]
    assert len(keys) == len(set(keys)) == 2 * first.episodes
    assert store.shards == read_json(run_dir / "episodes" / "manifest.json")["shards"]

    import pytest

    from agentscaler.errors import SimulationError

    with pytest.raises(SimulationError, match="max_turns"):
        simulate(run_dir, SimulateConfig(max_turns=5))


def test_episodes_of_a_domain_share_a_shard_and_a_grown_task_set_resumes_without_duplicates(
    run_dir, tmp_path
):
    """Domains go whole to shards balanced by task count, so the shard of a domain depends on
    the task set: a rerun over more tasks finds the stored episodes wherever they are."""
    tasks = read_records(run_dir / "tasks.jsonl", Task)
    later = sorted({t.domain_id for t in tasks})[::2]
    some = tmp_path / "some.jsonl"
    write_records(some, [t for t in tasks if t.domain_id in later])
    first = simulate(run_dir, SimulateConfig(shards=4), tasks_file=some)
    store = EpisodeStore(run_dir / "episodes", 4)
    before = {s: {e.key for e in store.episodes(s)} for s in store.stored_shards()}
    domain = {t.id: t.domain_id for t in tasks}
    placed = domain_shards(tasks, 4)
    assert any(placed[domain[k[0]]] != s for s, keys in before.items() for k in keys)  # moved
    again = simulate(run_dir, SimulateConfig(shards=4))
    assert again.skipped == first.episodes and again.simulated == len(tasks) - first.episodes
    keys = [e.key for e in all_episodes(run_dir)]
    assert len(keys) == len(set(keys)) == len(tasks)
    for shard, stored in before.items():  # nothing moved or rewritten
        assert stored <= {e.key for e in store.episodes(shard)}
    new = {e.key for e in all_episodes(run_dir)} - set().union(*before.values())
    domains_of_new = {}
    for shard in store.stored_shards():
        for episode in store.episodes(shard):
            if episode.key in new:
                domains_of_new.setdefault(episode.domain_id, set()).add(shard)
    assert all(len(shards) == 1 for shards in domains_of_new.values())

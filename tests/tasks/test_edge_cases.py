"""Worlds that make task synthesis hard: no dependency edges, tools that always fail, empty
tables, missing worlds and run folders. Each gets a clear message and no crash."""

from __future__ import annotations

import shutil

import pytest

from agentscaler.errors import ConfigError, RunFolderError
from agentscaler.jsonl import read_records
from agentscaler.records import Task
from agentscaler.tasks import TaskConfig, replay, sample_tasks
from agentscaler.tasks.walks import empty_result
from agentscaler.workspace import Workspace
from agentscaler.worlds.runtime.loader import load_world


def _replays(workspace: Workspace, tasks: list[Task]) -> None:
    for task in tasks:
        world = load_world(workspace.world_dir(task.domain_id))
        state = workspace.state_file(task.initial_state).read_bytes()
        assert replay(task, world, state) == task.gold_final_state


def test_graph_without_edges_chains_calls_through_the_values_outputs_hold(make_run):
    """Without dependency edges, a call still follows one whose output holds its argument by
    name (a loan's patron id feeds the patron lookup)."""
    workspace = Workspace(make_run({"d-lib": "library"}, edges=False))
    result = sample_tasks(workspace, TaskConfig(per_domain=12))
    tasks = read_records(workspace.tasks, Task)
    assert len(tasks) == 12
    assert any("no edges" in note for note in result.summary["notes"])
    multi = [t for t in tasks if len(t.gold_calls) > 1]
    assert multi
    for task in multi:
        for index, call in enumerate(task.gold_calls[1:], start=1):
            fed = [s for s in call.sources.values() if s.kind == "output"]
            assert fed and all(s.step < index for s in fed)
    _replays(workspace, tasks)


def test_tools_that_always_fail_give_no_task_and_say_why(make_run):
    root = make_run({"d-lib": "library", "d-hotel": "hotels"}, broken=("d-lib",))
    workspace = Workspace(root)
    result = sample_tasks(workspace, TaskConfig(per_domain=8))
    by_domain = {r.domain_id: r for r in result.results}
    assert by_domain["d-lib"].tasks == []
    assert by_domain["d-hotel"].tasks
    note = next(n for n in result.summary["notes"] if n.startswith("domain d-lib"))
    assert "no task after" in note and "precondition_failed" in note
    assert result.summary["errors"]["precondition_failed"] >= 8
    assert result.summary["retries"] > 0
    tasks = read_records(workspace.tasks, Task)
    assert {t.domain_id for t in tasks} == {"d-hotel"}


def test_drop_on_error_counts_dropped_chains(make_run):
    workspace = Workspace(make_run({"d-lib": "library"}, broken=("d-lib",)))
    result = sample_tasks(workspace, TaskConfig(per_domain=4, on_error="drop"))
    assert result.summary["tasks"] == 0
    assert result.summary["drops"]["error"] == result.summary["attempts"] > 0
    assert result.summary["retries"] == 0


def test_empty_tables_leave_only_what_can_run(make_run):
    workspace = Workspace(make_run({"d-lib": "library"}))
    result = sample_tasks(workspace, TaskConfig(per_domain=10, rows_per_table=0))
    assert any("empty in its initial states" in n for n in result.summary["notes"])
    tasks = read_records(workspace.tasks, Task)
    assert any(not t.read_only for t in tasks)
    for task in tasks:  # nothing to find or change but what the chain itself creates
        first = task.gold_calls[0]
        assert first.kind == "write" or empty_result(first.output), (first.name, first.output)
    assert result.summary["errors"].get("not_found", 0) > 0 or result.summary["drops"]
    _replays(workspace, tasks)


def test_missing_world_is_reported_and_skipped(make_run):
    root = make_run({"d-lib": "library", "d-hotel": "hotels"})
    shutil.rmtree(Workspace(root).world_dir("d-hotel"))
    result = sample_tasks(Workspace(root), TaskConfig(per_domain=5))
    assert any("d-hotel" in n and "worlds build" in n for n in result.summary["notes"])
    assert {t.domain_id for t in read_records(Workspace(root).tasks, Task)} == {"d-lib"}


def test_run_folder_without_domains_names_the_command(tmp_path):
    with pytest.raises(RunFolderError, match="domains build"):
        sample_tasks(Workspace(tmp_path), TaskConfig(per_domain=1))


def test_llm_intents_need_a_server(make_run):
    workspace = Workspace(make_run({"d-lib": "library"}))
    with pytest.raises(ConfigError, match="--base-url"):
        sample_tasks(workspace, TaskConfig(per_domain=1, llm_intents=True))


def test_bad_scenario_weights_are_refused():
    with pytest.raises(ValueError, match="unknown kinds small_talk"):
        TaskConfig(scenario_weights={"one_goal": 1.0, "small_talk": 1.0})
    with pytest.raises(ValueError, match="positive sum"):
        TaskConfig(scenario_weights={"one_goal": 0.0})


def test_a_failing_world_is_recorded_and_the_other_domains_go_on(make_run, monkeypatch):
    root = make_run({"d-hotel": "hotels", "d-lib": "library", "d-bank": "banking"})
    (Workspace(root).world_dir("d-hotel") / "tools.json").write_text("[1")  # corrupt

    from agentscaler.tasks import sample as sample_module

    real = sample_module.synthesize_domain

    def explode_for_bank(compiled, domain, *args, **kwargs):
        if domain.id == "d-bank":
            raise ValueError("a bug in the synthesis of this world")
        return real(compiled, domain, *args, **kwargs)

    monkeypatch.setattr(sample_module, "synthesize_domain", explode_for_bank)
    result = sample_tasks(Workspace(root), TaskConfig(per_domain=3))
    notes = " ".join(result.summary["notes"])
    assert "d-hotel" in notes and "tools.json" in notes and "not valid JSON" in notes
    assert "d-bank: task synthesis failed (ValueError: a bug in the synthesis" in notes
    assert {t.domain_id for t in read_records(Workspace(root).tasks, Task)} == {"d-lib"}

"""The tasks stage in a run folder: resume per domain after an interruption, corrupt parts, the
stage marker, and the ``agentscaler tasks`` commands."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from agentscaler.errors import RunFolderError
from agentscaler.jsonl import read_records
from agentscaler.records import Task
from agentscaler.tasks import TaskConfig, sample_tasks
from agentscaler.tasks import sample as sample_module
from agentscaler.tasks.sample import parts_dir
from agentscaler.workspace import Workspace

CONFIG = TaskConfig(per_domain=6, states_per_domain=2)
VERTICALS = {"d-lib": "library", "d-hotel": "hotels", "d-rx": "pharmacy"}


@pytest.fixture
def two_runs(make_run, tmp_path):
    root = make_run(VERTICALS)
    other = tmp_path / "other"
    shutil.copytree(root, other)
    return Workspace(root), Workspace(other)


def test_an_interrupted_run_continues_and_gives_the_same_tasks(two_runs, monkeypatch):
    reference, interrupted = two_runs
    sample_tasks(reference, CONFIG)
    real = sample_module.synthesize_domain
    calls = []

    def stop_on_second(compiled, domain, config, **kwargs):
        calls.append(domain.id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(compiled, domain, config, **kwargs)

    monkeypatch.setattr(sample_module, "synthesize_domain", stop_on_second)
    with pytest.raises(KeyboardInterrupt):
        sample_tasks(interrupted, CONFIG)
    assert not interrupted.tasks.exists()
    assert not interrupted.stage_done("tasks")
    monkeypatch.setattr(sample_module, "synthesize_domain", real)
    result = sample_tasks(interrupted, CONFIG)
    assert result.reused == 1
    assert interrupted.tasks.read_bytes() == reference.tasks.read_bytes()
    assert interrupted.stage_done("tasks", result.fingerprint)


def test_finished_stage_is_skipped_and_new_settings_redo_it(two_runs):
    workspace, _ = two_runs
    first = sample_tasks(workspace, CONFIG)
    again = sample_tasks(workspace, CONFIG)
    assert again.already_done and again.summary == first.summary
    changed = sample_tasks(workspace, CONFIG.model_copy(update={"per_domain": 4}))
    assert not changed.already_done and changed.reused == 0
    assert changed.summary["tasks"] <= 4 * len(VERTICALS)


def test_a_corrupt_part_is_made_again(two_runs):
    workspace, _ = two_runs
    sample_tasks(workspace, CONFIG)
    data = workspace.tasks.read_bytes()
    (parts_dir(workspace) / "d-hotel.jsonl").write_text('{"broken": \n', encoding="utf-8")
    workspace.clear_marker("tasks")
    result = sample_tasks(workspace, CONFIG)
    assert result.reused == len(VERTICALS) - 1
    assert workspace.tasks.read_bytes() == data


def test_states_are_stored_once_by_hash(two_runs):
    workspace, _ = two_runs
    sample_tasks(workspace, CONFIG)
    tasks = read_records(workspace.tasks, Task)
    used = {t.initial_state for t in tasks}
    files = {p.stem for p in workspace.states_dir.glob("*.sqlite")}
    assert used == files
    assert len(used) <= 2 * len(VERTICALS) < len(tasks)


def test_cli_sample_show_and_errors(make_run, cli):
    root = make_run({"d-lib": "library"})
    out = cli("tasks", "sample", str(root), "--per-domain", "5", "--max-steps", "3", "--seed", "3")
    assert out.exit_code == 0, out.output
    assert "chain lengths" in out.output and "coherence" in out.output
    tasks = read_records(Workspace(root).tasks, Task)
    assert len(tasks) == 5 and max(len(t.gold_calls) for t in tasks) <= 3
    longest = max(tasks, key=lambda t: len(t.gold_calls))
    shown = cli("tasks", "show", str(root), longest.id[:10])
    assert shown.exit_code == 0
    assert longest.intent.split()[2] in shown.output
    for index, call in enumerate(longest.gold_calls):
        assert f"call {index}: {call.name}" in shown.output
    again = cli(
        "tasks", "sample", str(root), "--per-domain", "5", "--max-steps", "3", "--seed", "3"
    )
    assert "already sampled" in again.output
    with pytest.raises(RunFolderError, match="no task 'nope'"):
        cli("tasks", "show", str(root), "nope")


def test_cli_errors_are_one_line_and_exit_1(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "agentscaler.cli.app", "tasks", "sample", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "error:" in done.stderr and "domains build" in done.stderr
    assert "Traceback" not in done.stderr

"""Nothing fails silently: damaged run folders are repaired or named, two runs never share a
folder, and every failure is one line with an honest exit status. (``bench/faults.py`` runs the
expensive versions: ten kills, the whole corruption list, a real full disk.)"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from agentscaler.errors import ConfigError
from agentscaler.execution import ExecutionConfig
from agentscaler.pipeline.run import run_pipeline
from agentscaler.workspace import Workspace

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from records import differences, run_records  # noqa: E402

from conftest import FAST, OVERRIDES, stamps  # noqa: E402


def _agentscaler(*args: object, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agentscaler.cli.app", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _copy(reference: Path, tmp_path: Path) -> Path:
    root = tmp_path / "run"
    shutil.copytree(reference, root)
    return root


def _rerun(root: Path, workers: int = 0) -> dict[str, str]:
    execution = ExecutionConfig(workers=workers)
    outcome = run_pipeline(root, {}, console=Console(file=io.StringIO()), execution=execution)
    return {s.name: s.status for s in outcome.stages}


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_edited_run_json_is_refused_naming_the_setting(reference_run, tmp_path):
    root = _copy(reference_run, tmp_path)
    settings = json.loads((root / "run.json").read_text())
    settings["worlds"]["seed"] = 5
    (root / "run.json").write_text(json.dumps(settings))
    before = stamps(root)
    with pytest.raises(ConfigError) as info:
        _rerun(root)
    message = str(info.value)
    assert "worlds.seed = 0" in message and "run.json says 5" in message
    assert "set it back to 0" in message and "another --out" in message
    assert stamps(root) == before, "nothing was redone with the wrong seed"
    result = _agentscaler("run", "--out", root)
    assert result.returncode == 1
    assert "worlds.seed" in _one_error_line(result)


def test_a_torn_episode_line_is_repaired_and_the_records_match(reference_run, tmp_path):
    root = _copy(reference_run, tmp_path)
    shard = sorted(Workspace(root).episode_files(), key=lambda p: -p.stat().st_size)[0]
    data = shard.read_bytes()
    shard.write_bytes(data[:-300])  # an append cut by a crash
    statuses = _rerun(root)
    assert statuses["simulate"] == "redone" and statuses["ingest"] == "skipped"
    assert differences(run_records(root), run_records(reference_run)) == []
    assert shard.with_name(shard.name + ".partial").exists(), "the torn line was kept aside"


def test_a_garbage_world_database_is_named_then_rebuilt(reference_run, tmp_path):
    root = _copy(reference_run, tmp_path)
    world = sorted((root / "worlds").glob("*/seed.sqlite"))[0]
    world.write_bytes(os.urandom(4096))
    result = _agentscaler("worlds", "call", root, world.parent.name, "anything")
    assert result.returncode == 1
    line = _one_error_line(result)
    assert str(world) in line and "not a SQLite database" in line
    assert f"agentscaler run --out {root}" in line
    statuses = _rerun(root)
    assert statuses["worlds"] == "redone"
    assert statuses["tasks"] == "skipped", "the rebuilt world is the same: nothing else is redone"
    assert differences(run_records(root), run_records(reference_run)) == []


def test_a_deleted_or_damaged_state_is_named_then_restored(reference_run, tmp_path):
    root = _copy(reference_run, tmp_path)
    states = sorted((root / "states").glob("*.sqlite"))
    states[0].unlink()
    states[1].write_bytes(b"garbage")
    result = _agentscaler("simulate", root, "--offline")
    assert result.returncode == 1
    line = _one_error_line(result)
    assert "states/" in line and f"agentscaler run --out {root}" in line
    statuses = _rerun(root)
    assert statuses["tasks"] == "redone"
    assert differences(run_records(root), run_records(reference_run)) == []


def test_a_corrupt_line_in_the_middle_of_tasks_is_redone(reference_run, tmp_path):
    root = _copy(reference_run, tmp_path)
    lines = (root / "tasks.jsonl").read_text().splitlines(keepends=True)
    lines[len(lines) // 2] = '{"id": "t-garbage", "not": "a task"}\n'
    (root / "tasks.jsonl").write_text("".join(lines))
    assert _rerun(root)["tasks"] == "redone"
    assert differences(run_records(root), run_records(reference_run)) == []


def test_a_full_disk_is_one_line_and_the_rerun_completes(reference_run, tmp_path, monkeypatch):
    from agentscaler import jsonl
    from agentscaler.cli.app import report

    root = _copy(reference_run, tmp_path)
    shutil.rmtree(root / "episodes")
    original = jsonl.JsonlAppender.append
    written = []

    def full(self, record):
        if len(written) >= 20:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.path))
        written.append(1)
        original(self, record)

    monkeypatch.setattr(jsonl.JsonlAppender, "append", full)
    # one worker: the episodes run in this process, where the disk fills up
    with pytest.raises((OSError, ExceptionGroup)) as info:  # episodes run concurrently
        _rerun(root, workers=1)
    buffer = io.StringIO()
    monkeypatch.setattr("agentscaler.cli.common.err_console", Console(file=buffer, width=80))
    assert report(info.value) == 1
    line = buffer.getvalue().strip()
    assert line.startswith("error: no space left on the device while writing ")
    assert "episodes/shard-" in line and "\n" not in line
    monkeypatch.setattr(jsonl.JsonlAppender, "append", original)
    assert _rerun(root)["simulate"] == "redone"
    assert differences(run_records(root), run_records(reference_run)) == []


def test_two_runs_on_one_folder_one_is_refused_clearly(reference_run, tmp_path):
    root = tmp_path / "run"
    first = subprocess.Popen(
        [sys.executable, "-m", "agentscaler.cli.app", "run", "--out", str(root), *FAST],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    lock = root / ".lock"
    while time.monotonic() < deadline and str(first.pid) not in (
        lock.read_text() if lock.exists() else ""
    ):
        time.sleep(0.05)
    second = _agentscaler("run", "--out", root, *FAST)
    stage = _agentscaler("simulate", root, "--offline")
    assert first.wait(timeout=600) == 0, first.stderr.read()
    assert "Traceback" not in first.stderr.read()
    for refused in (second, stage):
        assert refused.returncode == 1
        line = _one_error_line(refused)
        assert f"is in use by process {first.pid}" in line and "agentscaler run" in line
    assert differences(run_records(root), run_records(reference_run)) == []


def test_the_run_lock_is_taken_over_from_a_dead_process(tmp_path):
    from agentscaler.runlock import holder, run_lock

    root = tmp_path / "run"
    root.mkdir()
    code = (
        "import os, sys\n"
        "from agentscaler.runlock import run_lock\n"
        f"with run_lock({str(root)!r}, 'a killed command'):\n"
        "    print('locked', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "locked"
    assert holder(root)["pid"] == proc.pid
    from agentscaler.errors import RunFolderBusy

    busy = pytest.raises(RunFolderBusy, match=rf"process {proc.pid} \(`a killed command`")
    with busy, run_lock(root):
        pass
    proc.kill()
    proc.wait()
    with run_lock(root, "the next command"):
        assert holder(root)["pid"] == os.getpid()
        with run_lock(root):  # the holder may take it again
            pass


def test_stage_settings_match_what_run_checks(reference_run):
    """Each stage records the same settings ``run`` derives from run.json (else every rerun of
    a finished folder would be refused)."""
    from agentscaler import markers
    from agentscaler.pipeline.config import RunConfig
    from agentscaler.pipeline.stages import STAGES

    config = RunConfig.model_validate(json.loads((reference_run / "run.json").read_text()))
    assert OVERRIDES["tasks"]["per_domain"] == config.tasks.per_domain
    for stage in STAGES:
        check = markers.check(reference_run, stage.name, settings=stage.settings(config))
        assert check.changed_settings == (), stage.name


def test_a_full_disk_while_making_tasks_stops_the_stage_not_one_domain(
    reference_run, tmp_path, monkeypatch
):
    """A machine failure is not recorded as a domain without tasks: the stage stops."""
    from agentscaler.tasks import sample

    root = _copy(reference_run, tmp_path)
    shutil.rmtree(root / "states")
    original = sample.save_state
    saved = []

    def full(workspace, state):
        if len(saved) >= 5:
            raise OSError(errno.ENOSPC, "No space left on device", str(workspace.state_file("x")))
        saved.append(1)
        return original(workspace, state)

    monkeypatch.setattr(sample, "save_state", full)
    with pytest.raises(OSError):
        _rerun(root, workers=1)  # in this process, where the disk is made full
    assert not Workspace(root).stage_done("tasks")
    monkeypatch.setattr(sample, "save_state", original)
    assert _rerun(root)["tasks"] == "redone"
    assert differences(run_records(root), run_records(reference_run)) == []

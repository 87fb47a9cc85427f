"""`agentscaler run`: every stage into one folder, resumable after a stop or a crash."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentscaler.errors import ConfigError, RunFolderError
from agentscaler.pipeline.run import STAGE_NAMES, run_pipeline
from agentscaler.workspace import Workspace

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from records import differences, run_records  # noqa: E402

from conftest import FAST, episode_keys, finished_at, outputs, stamps  # noqa: E402


def _agentscaler(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agentscaler.cli.app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _check_complete(root: Path) -> None:
    for stage, path in outputs(root).items():
        assert path.exists(), f"{stage} left no {path}"
    tasks = [json.loads(line) for line in Workspace(root).tasks.read_text().splitlines()]
    keys = episode_keys(root)
    assert len(keys) == len(set(keys)) == len(tasks), "one episode per task, no duplicates"
    funnel = json.loads((Workspace(root).filtered_dir / "funnel.json").read_text())
    assert funnel["episodes"] == len(tasks)
    assert set(finished_at(root)) >= set(STAGE_NAMES)


def test_stop_after_each_stage_then_resume_never_redoes_finished_stages(tmp_path, cli):
    root = tmp_path / "run"
    before: dict[str, int] = {}
    for index, stage in enumerate(STAGE_NAMES):
        result = cli("run", "--out", root, *FAST, "--stop-after", stage)
        assert result.exit_code == 0, result.output
        markers = finished_at(root)
        assert list(markers) == sorted(STAGE_NAMES[: index + 1])
        now = stamps(root)
        # files written by the finished stages were not touched again
        for name, mtime in before.items():
            if name.startswith(("report", "filtered", "dataset")) or name in {"run.json"}:
                continue
            assert now.get(name) == mtime, f"{name} was rewritten while resuming at {stage}"
        before = now
        for done in STAGE_NAMES[:index]:
            assert f"{done}: finished earlier, skipped" in result.output
    _check_complete(root)
    again = cli("run", "--out", root)
    assert again.exit_code == 0
    assert all(f"{s}: finished earlier, skipped" in again.output for s in STAGE_NAMES)
    assert stamps(root) == before


def test_sigkill_anywhere_then_rerun_completes(tmp_path, reference_run):
    """A run killed at a random moment finishes on a rerun with the records of an uninterrupted
    run, and stages that had finished before the kill are not run again."""
    rng = random.Random(os.getpid())
    root = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentscaler.cli.app", "run", "--out", str(root), *FAST],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    target = rng.choice(["ingest", "domains", "worlds", "tasks", "simulate"])
    while time.monotonic() < deadline and target not in finished_at(root) and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(rng.uniform(0.0, 2.0))
    os.killpg(proc.pid, signal.SIGKILL)  # the run and any worker processes it started
    proc.wait(timeout=60)
    done_before = finished_at(root)
    assert target in done_before
    result = _agentscaler("run", "--out", str(root))
    assert result.returncode == 0, result.stderr[-2000:]
    _check_complete(root)
    after = finished_at(root)
    for stage, stamp in done_before.items():
        assert after[stage] == stamp, f"{stage} finished before the kill but ran again"
    assert differences(run_records(root), run_records(reference_run)) == []


def test_settings_of_a_run_folder_cannot_change_silently(tmp_path):
    root = tmp_path / "run"
    run_pipeline(root, {"graph": {"embedder": "hash"}}, stop_after="ingest")
    with pytest.raises(ConfigError, match=r"tasks\.per_domain"):
        run_pipeline(root, {"tasks": {"per_domain": 7}})
    with pytest.raises(ConfigError, match="unknown stage"):
        run_pipeline(root, {}, stop_after="training")
    stranger = tmp_path / "not-a-run"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match="not a run folder"):
        run_pipeline(stranger, {})
    (root / "run.json").write_text('{"schema_version": 1, "graph": {"embedder": "bert"}}')
    with pytest.raises(RunFolderError, match=r"run\.json"):
        run_pipeline(root, {})


def test_run_and_eval_through_the_stub_server(tmp_path, free_port, cli):
    """The LLM code path end to end: the stub server plays the agent and the user."""
    from agentscaler.llm.stub import serve
    from agentscaler.simulate.stub_brain import SimulationBrain

    root = tmp_path / "run"
    url = f"http://127.0.0.1:{free_port}/v1"
    llm = ("--base-url", url, "--agent-model", "oracle", "--user-model", "user")
    first = cli("run", "--out", root, *FAST, *llm, "--stop-after", "tasks")
    assert first.exit_code == 0, first.output
    with serve(SimulationBrain(root), port=free_port):
        result = cli("run", "--out", root, *FAST, *llm)
        assert result.exit_code == 0, result.output
        _check_complete(root)
        episodes = [
            json.loads(line)
            for path in sorted(Workspace(root).episodes_dir.glob("*.jsonl"))
            for line in path.read_text().splitlines()
        ]
        assert {e["agent"]["kind"] for e in episodes} == {"llm"}
        assert {e["agent"]["model"] for e in episodes} == {"oracle"}
        assert sum(e["usage"]["requests"] for e in episodes) > 0
        funnel = json.loads((Workspace(root).filtered_dir / "funnel.json").read_text())
        assert funnel["kept"] >= 0.99 * funnel["episodes"]

        evaluation = cli("eval", "run", root, *llm, "--trials", "2")
        assert evaluation.exit_code == 0, evaluation.output
    summary = json.loads((root / "eval" / "oracle" / "report" / "summary.json").read_text())
    assert [round(p["pass_hat_k"], 3) for p in summary["pass_k"]] == [1.0, 1.0]
    heldout = (root / "dataset" / "heldout" / "tasks.jsonl").read_text().splitlines()
    assert summary["tasks"] == len(heldout)

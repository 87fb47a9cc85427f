"""The pipeline on a local Ray cluster (2 CPUs): a killed worker's shard is retried and nothing is
lost; a shard that fails on every attempt is reported with its records, the run goes on, and a
rerun finishes with the records of an uninterrupted local run."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from agentscaler.execution import ExecutionConfig
from agentscaler.pipeline.run import run_pipeline
from agentscaler.workspace import Workspace

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from records import differences, run_records  # noqa: E402

from conftest import OVERRIDES, finished_at  # noqa: E402

pytestmark = pytest.mark.slow


class WorkerKiller(threading.Thread):
    """SIGKILLs the first Ray worker seen running ``task`` (by its process title), once."""

    def __init__(self, task: str, delay: float = 0.3) -> None:
        super().__init__(daemon=True)
        self.title = f"ray::{task}"
        self.delay = delay
        self.killed: int | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stop.is_set():
            for proc in psutil.process_iter(["pid", "cmdline"]):
                if self.title in " ".join(proc.info.get("cmdline") or ()):
                    time.sleep(self.delay)  # inside the shard's work
                    try:
                        os.kill(proc.info["pid"], signal.SIGKILL)
                    except ProcessLookupError:
                        continue
                    self.killed = proc.info["pid"]
                    return
            time.sleep(0.05)


@pytest.fixture
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def _quiet() -> Console:
    return Console(file=io.StringIO(), width=200)


def test_a_killed_worker_is_retried_and_the_records_equal_a_local_run(
    tmp_path, reference_run, local_ray
):
    root = tmp_path / "run"
    run_pipeline(root, OVERRIDES, stop_after="domains", console=_quiet())
    killer = WorkerKiller("build_shard")
    killer.start()
    try:
        outcome = run_pipeline(
            root, {}, console=_quiet(), execution=ExecutionConfig(executor="ray", max_retries=2)
        )
    finally:
        killer.stop.set()
    assert killer.killed is not None, "no Ray worker was seen building worlds"
    assert outcome.complete and not outcome.partial_failures()
    progress = json.loads(Workspace(root).run_json.read_text())["progress"]
    assert progress["executor"] == "ray"
    worlds = progress["stages"]["worlds"]
    assert worlds["state"] == "done" and worlds["shard_failures"] == []
    assert worlds["shards_done"] == worlds["shards_total"] > 1
    assert differences(run_records(root), run_records(reference_run)) == []


def test_a_shard_failing_every_attempt_is_reported_and_a_rerun_completes(
    tmp_path, reference_run, local_ray
):
    root = tmp_path / "run"
    run_pipeline(root, OVERRIDES, stop_after="domains", console=_quiet())
    killer = WorkerKiller("build_shard")
    killer.start()
    terminal = _quiet()
    try:
        outcome = run_pipeline(
            root,
            {},
            stop_after="tasks",
            console=terminal,
            execution=ExecutionConfig(executor="ray", max_retries=0),
        )
    finally:
        killer.stop.set()
    assert killer.killed is not None
    statuses = {s.name: s.status for s in outcome.stages}
    assert statuses["worlds"] == "incomplete" and statuses["tasks"] == "ran"  # the run went on
    progress = json.loads(Workspace(root).run_json.read_text())["progress"]
    failures = progress["stages"]["worlds"]["shard_failures"]
    assert len(failures) == 1 and failures[0]["records"]
    lost = failures[0]["records"]
    domains = [json.loads(line)["id"] for line in Workspace(root).domains.read_text().splitlines()]
    assert set(lost) <= set(domains)
    text = terminal.file.getvalue()
    assert "failed on every attempt" in text and lost[0] in text
    assert any("shard(s) of worlds" in loss for loss in outcome.partial_failures())
    assert "worlds" not in finished_at(root)  # left for the rerun
    tasks = [json.loads(line) for line in Workspace(root).tasks.read_text().splitlines()]
    assert {t["domain_id"] for t in tasks} - set(lost)  # the other domains' tasks were made

    rerun = run_pipeline(root, {}, console=_quiet(), execution=ExecutionConfig(workers=2))
    assert rerun.complete and not rerun.partial_failures()
    assert differences(run_records(root), run_records(reference_run)) == []


def _niceness() -> int:
    return os.nice(0)


def test_a_local_ray_started_by_a_run_gives_its_workers_the_run_s_priority():
    """Ray lowers its workers to nice 15 by default; on a shared machine they would get almost
    no CPU beside other jobs, unlike the local executor's workers."""
    ray = pytest.importorskip("ray")
    from agentscaler.execution.ray import WORKER_NICENESS, init_ray

    assert init_ray(None)
    try:
        assert not init_ray(None)  # already up: joined, not started again
        assert ray.get(ray.remote(_niceness).remote()) == os.nice(0)
    finally:
        ray.shutdown()
    assert WORKER_NICENESS not in os.environ

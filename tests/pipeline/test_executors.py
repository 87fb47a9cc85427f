"""Stages on the local executor: one process and a pool of workers write the same records, and
the filter redoes only the shards whose inputs changed."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from agentscaler.execution.local import LocalExecutor
from agentscaler.execution.shards import assign, shard_count, shard_of
from agentscaler.filter.stage import run_filter, shards_dir
from agentscaler.tasks import sample_tasks
from agentscaler.tasks.config import TaskConfig
from agentscaler.workspace import Workspace

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from records import differences, run_records  # noqa: E402

from conftest import OVERRIDES  # noqa: E402


class Counting:
    """A tracker that remembers what it was told."""

    def __init__(self) -> None:
        self.plans: list[tuple[int | None, int | None]] = []
        self.records = 0
        self.shards = 0

    def plan(self, shards, records):
        self.plans.append((shards, records))

    def done(self, records, shards=1):
        self.records += records
        self.shards += shards

    def failed(self, shards=1):
        raise AssertionError("no shard may fail here")


def test_shards_depend_on_ids_only():
    ids = [f"d{i:04d}" for i in range(50)]
    groups = assign(ids, ids, shard_count(len(ids)))
    assert sorted(i for _, g in groups for i in g) == ids
    assert all(shard_of(i, 50) == index for index, g in groups for i in g)
    assert assign(list(reversed(ids)), list(reversed(ids)), 50) == [
        (index, list(reversed(g))) for index, g in groups
    ]
    assert shard_count(3) == 3 and shard_count(0) == 1 and shard_count(10**6) == 256


def test_one_process_and_two_workers_write_the_same_tasks_and_verdicts(reference_run, tmp_path):
    """The reference run used a pool of workers; here tasks and verdicts are made again in this
    process (tasks from scratch) and must equal it."""
    root = tmp_path / "run"
    shutil.copytree(reference_run, root)
    ws = Workspace(root)
    for folder in (root / ".tasks", ws.states_dir, ws.filtered_dir):
        shutil.rmtree(folder)
    ws.tasks.unlink()
    tracker = Counting()
    config = TaskConfig(per_domain=OVERRIDES["tasks"]["per_domain"])
    sample_tasks(ws, config, executor=LocalExecutor(1), tracker=tracker)
    domains = len(ws.domains.read_text().splitlines())
    assert tracker.plans == [(tracker.shards, domains)] and tracker.records == domains
    tracker = Counting()
    result = run_filter(root, executor=LocalExecutor(1), tracker=tracker)
    episodes = sum(len(p.read_text().splitlines()) for p in ws.episode_files())
    assert result.funnel.episodes == episodes == tracker.records
    assert differences(run_records(root), run_records(reference_run)) == []


def test_the_filter_redoes_only_the_shards_whose_episodes_changed(reference_run, tmp_path):
    root = tmp_path / "run"
    shutil.copytree(reference_run, root)
    ws = Workspace(root)
    folder = shards_dir(ws)
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.jsonl")}
    assert len(before) > 1
    # one episode's final message changes: its shard (and only it) is judged again
    path = ws.episode_files()[0]
    lines = path.read_text().splitlines()
    episode = json.loads(lines[0])
    episode["messages"][-1]["content"] = "Anything else?"
    lines[0] = json.dumps(episode)
    path.write_text("\n".join(lines) + "\n")
    domains = sorted({json.loads(line)["domain_id"] for p in ws.episode_files() for line in
                      p.read_text().splitlines()})  # fmt: skip
    changed = shard_of(episode["domain_id"], shard_count(len(domains)))
    tracker = Counting()
    run_filter(root, executor=LocalExecutor(2), tracker=tracker)
    after = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.jsonl")}
    redone = sorted(name for name in after if after[name] != before.get(name))
    assert redone == [f"{changed:05d}.jsonl"]
    assert tracker.shards == len(after) and tracker.plans[0][0] == len(after)
    # and the files equal a filter run from scratch
    kept = (ws.filtered_dir / "kept.jsonl").read_bytes()
    rejected = (ws.filtered_dir / "rejected.jsonl").read_bytes()
    shutil.rmtree(ws.filtered_dir)
    run_filter(root, executor=LocalExecutor(1))
    assert (ws.filtered_dir / "kept.jsonl").read_bytes() == kept
    assert (ws.filtered_dir / "rejected.jsonl").read_bytes() == rejected


def test_the_tracker_gives_speed_and_time_left(monkeypatch):
    from agentscaler.execution import tracking

    now = [100.0]
    monkeypatch.setattr(tracking.time, "monotonic", lambda: now[0])
    seen = []
    tracker = tracking.StageTracker("tasks", on_change=lambda t: seen.append(t.status()), every=0)
    tracker.plan(4, 100)
    now[0] += 10
    tracker.done(25)
    status = tracker.status()
    assert status["shards_done"] == 1 and status["shards_total"] == 4
    assert status["records_per_s"] == 2.5 and status["eta_s"] == 30.0
    assert seen[-1] == status
    tracker.done(75, shards=3)
    assert tracker.status()["eta_s"] == 0.0


def test_peak_rss_counts_worker_processes():
    import subprocess

    from agentscaler.execution.memory import PeakRss

    script = "import sys, time; b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
    script += "sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(2)"
    with PeakRss(interval=0.05) as peak:
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        child.wait()
    assert peak.mib >= 300


def test_a_shard_failing_on_the_local_executor_is_reported_and_the_other_shards_finish(
    reference_run, tmp_path, cli
):
    """An episode of a task that tasks.jsonl does not hold makes its domain's filter shard raise:
    that shard is reported with its domain ids (terminal, run.json, exit 3), the others finish."""
    root = tmp_path / "run"
    shutil.copytree(reference_run, root)
    ws = Workspace(root)
    shutil.rmtree(shards_dir(ws))  # every filter shard runs again
    path = ws.episode_files()[0]
    episode = json.loads(path.read_text().splitlines()[0])
    bad = {**episode, "id": "ep-injected", "task_id": "no-such-task"}
    with path.open("a") as handle:
        handle.write(json.dumps(bad) + "\n")

    result = cli("run", "--out", root, "--workers", "2", "--stop-after", "filter")
    assert result.exit_code == 3, result.output
    domain = episode["domain_id"]
    assert "1 shard(s) failed" in result.output and domain in result.output
    assert "no-such-task" in result.output  # the cause, from the worker
    stage = json.loads(ws.run_json.read_text())["progress"]["stages"]["filter"]
    assert stage["state"] == "incomplete"
    (failure,) = stage["shard_failures"]
    assert domain in failure["records"] and "RunFolderError" in failure["error"]
    assert stage["shards_done"] == stage["shards_total"] - 1 > 0
    markers = sorted(int(p.stem) for p in shards_dir(ws).glob("*.json"))
    assert len(markers) == stage["shards_total"] - 1 and failure["shard"] not in markers


class InterruptedAfter:
    """Runs shards in this process like ``LocalExecutor(1)`` (reporting two workers, so the
    export shards), and stops the map as Ctrl-C would after ``shards`` shards."""

    name = "local"
    workers = 2

    def __init__(self, shards: int = 10**9) -> None:
        self.shards = shards
        self.ran: list[int] = []

    def map(self, stage, fn, jobs, on_done=None):
        from agentscaler.execution.base import MapOutcome

        for job in jobs:
            if len(self.ran) == self.shards:
                raise KeyboardInterrupt
            result = fn(job.payload)
            self.ran.append(job.index)
            if on_done is not None:
                on_done(job, result)
        return MapOutcome()

    def close(self) -> None:
        pass


def test_an_interrupted_export_redoes_only_its_unfinished_shards(
    reference_run, tmp_path, monkeypatch
):
    from agentscaler.export.build import export_dataset, parts_dir

    monkeypatch.setattr("agentscaler.export.build.PARALLEL_MIN_EPISODES", 1)  # shard it
    copies = []
    for name in ("whole", "interrupted"):
        root = tmp_path / name
        shutil.copytree(reference_run, root)
        shutil.rmtree(Workspace(root).dataset_dir)
        copies.append(root)
    whole, interrupted = copies
    export_dataset(whole, executor=InterruptedAfter())
    files = len(Workspace(interrupted).episode_files())
    assert files >= 4

    first = InterruptedAfter(2)
    with pytest.raises(KeyboardInterrupt):
        export_dataset(interrupted, executor=first)
    ws = Workspace(interrupted)
    assert not ws.dataset_dir.exists() and len(list(parts_dir(ws).glob("*.json"))) == 2 * 2
    second = InterruptedAfter()
    export_dataset(interrupted, executor=second)
    assert sorted(first.ran + second.ran) == list(range(files))  # none twice, none left
    assert not parts_dir(ws).exists()

    def dataset(root):
        return {k: v for k, v in run_records(root).items() if k.startswith("dataset/")}

    assert dataset(whole) and dataset(interrupted) == dataset(whole)

"""SIGKILL the CLI mid-run, rerun: the episode set equals an uninterrupted run's."""

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

from agentscaler.jsonl import read_records
from agentscaler.records import Episode, Task
from agentscaler.simulate import SimulateConfig, simulate
from agentscaler.workspace import Workspace

from .conftest import make_run

TRIALS = 3


def stored_lines(root: Path) -> int:
    return sum(
        p.read_bytes().count(b"\n") for p in (root / "episodes").glob("*.jsonl") if p.is_file()
    )


def episode_set(root: Path) -> dict:
    seen: dict = {}
    for path in sorted((root / "episodes").glob("*.jsonl")):
        raw = path.read_bytes()
        assert raw.endswith(b"\n"), f"{path} ends with a torn line"
        for line in raw.splitlines():
            json.loads(line)  # every line is whole
        for episode in read_records(path, Episode):
            assert episode.key not in seen, f"duplicate episode {episode.key}"
            seen[episode.key] = (episode.id, episode.messages, episode.final_state_hash)
    return seen


def cli(root: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "agentscaler.cli.app",
        "simulate",
        str(root),
        "--offline",
        "--trials",
        str(TRIALS),
        "--concurrency",
        "8",
    ]


@pytest.mark.slow
def test_sigkill_then_rerun_gives_the_uninterrupted_episode_set(catalog_run, tmp_path):
    tasks = read_records(catalog_run / "tasks.jsonl", Task)
    reference = make_run(catalog_run, tmp_path / "reference", tasks)
    simulate(reference, SimulateConfig(trials=TRIALS, concurrency=8))
    expected = episode_set(reference)
    assert len(expected) == TRIALS * len(tasks)

    rng = random.Random(20260101)
    env = {**os.environ, "COLUMNS": "200"}
    interrupted = 0
    for attempt in range(2):
        root = make_run(catalog_run, tmp_path / f"killed-{attempt}", tasks)
        process = subprocess.Popen(
            cli(root), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        )
        deadline = time.monotonic() + 120
        while not (root / "episodes").exists() or stored_lines(root) == 0:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the simulation never started writing"
            time.sleep(0.02)
        time.sleep(rng.uniform(0.05, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        process.stderr.close()
        if stored_lines(root) < len(expected):
            interrupted += 1
            assert not Workspace(root).stage_done("simulate")
        rerun = subprocess.run(cli(root), capture_output=True, text=True, env=env, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        assert episode_set(root) == expected
        assert Workspace(root).stage_done("simulate")
    assert interrupted >= 1, "no kill landed mid-run; the test proved nothing"

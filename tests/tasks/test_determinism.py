"""The same seed gives byte-identical tasks.jsonl (also across processes with other hash seeds);
another seed gives other tasks."""

from __future__ import annotations

import os
import subprocess
import sys

from agentscaler.jsonl import read_records
from agentscaler.records import Task
from agentscaler.tasks import TaskConfig, sample_tasks
from agentscaler.workspace import Workspace

SMALL = {"per_domain": 8, "states_per_domain": 2, "seed": 7}
DOMAINS = 12


def _sample_in_subprocess(root, hash_seed: str) -> None:
    code = (
        "import sys; from agentscaler.tasks import TaskConfig, sample_tasks; "
        "from agentscaler.workspace import Workspace; "
        f"sample_tasks(Workspace(sys.argv[1]), TaskConfig(**{SMALL!r}))"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", code, str(root)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_same_seed_gives_byte_identical_tasks(run_copy):
    first, second, third = (run_copy(name, domains=DOMAINS) for name in "abc")
    sample_tasks(Workspace(first), TaskConfig(**SMALL))
    _sample_in_subprocess(second, "1")
    _sample_in_subprocess(third, "4242")
    data = (first / "tasks.jsonl").read_bytes()
    assert data.count(b"\n") > 60
    assert (second / "tasks.jsonl").read_bytes() == data
    assert (third / "tasks.jsonl").read_bytes() == data
    states = sorted(p.name for p in (first / "states").iterdir())
    assert states == sorted(p.name for p in (second / "states").iterdir())
    for name in states:
        assert (first / "states" / name).read_bytes() == (second / "states" / name).read_bytes()


def test_another_seed_gives_other_tasks(run_copy):
    first, second = run_copy("a", domains=DOMAINS), run_copy("b", domains=DOMAINS)
    sample_tasks(Workspace(first), TaskConfig(**SMALL))
    sample_tasks(Workspace(second), TaskConfig(**{**SMALL, "seed": 8}))
    ids_a = {t.id for t in read_records(first / "tasks.jsonl", Task)}
    ids_b = {t.id for t in read_records(second / "tasks.jsonl", Task)}
    assert ids_a and ids_b
    assert len(ids_a & ids_b) < len(ids_a) / 2

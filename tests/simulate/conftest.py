"""Fixtures for simulation tests: run folders with real compiled worlds and gold-chain tasks."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from agentscaler.jsonl import read_records, write_records
from agentscaler.llm import LLMConfig
from agentscaler.records import Task

from .gold_chains import build_run

SMALL_VERTICALS = ("retail_orders", "airline", "banking")


@pytest.fixture(scope="session")
def catalog_run(tmp_path_factory) -> Path:
    """Every built-in catalog vertical compiled, with gold-chain tasks (built once)."""
    from agentscaler.catalog import verticals

    root = tmp_path_factory.mktemp("catalog-run")
    build_run(root, list(verticals()), seeds=(1,))
    return root


@pytest.fixture(scope="session")
def synthesized_run(tmp_path_factory) -> Path:
    """Every built-in vertical as a domain, compiled, with tasks from the task-synthesis stage
    (do not write into it: use ``make_run`` to get a run folder sharing its worlds)."""
    from agentscaler.catalog import vertical_tools, verticals
    from agentscaler.graph.dependencies import dependency_edges
    from agentscaler.naming import classify_tool
    from agentscaler.records import Domain, DomainMember, DomainStats
    from agentscaler.tasks import TaskConfig, sample_tasks
    from agentscaler.workspace import Workspace
    from agentscaler.worlds.compiler import compile_world, write_world

    root = tmp_path_factory.mktemp("synthesized")
    workspace = Workspace(root)
    domains = []
    for vertical in verticals():
        tools = vertical_tools(vertical)
        members = tuple(
            DomainMember(tool_id=t.id, name=t.name, kind=classify_tool(t.name, t.tags))
            for t in tools
        )
        edges = tuple(dependency_edges(tools))
        stats = DomainStats(
            size=len(members),
            reads=sum(m.kind == "read" for m in members),
            writes=sum(m.kind == "write" for m in members),
            internal_similarity_edges=0,
            dependency_edges=len(edges),
            mean_similarity=0.0,
        )
        name = vertical.replace("_", " ")
        domains.append(Domain(id=vertical, name=name, members=members, edges=edges, stats=stats))
        write_world(compile_world(vertical, name, tools), workspace.world_dir(vertical))
    write_records(workspace.domains, domains)
    sample_tasks(workspace, TaskConfig(per_domain=8))
    return root


def make_run(
    source: Path, dest: Path, tasks: list[Task] | None = None, *, copy_worlds=False
) -> Path:
    """A fresh run folder sharing ``source``'s worlds and states (symlinked, or copied)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("worlds", "states"):
        if copy_worlds and name == "worlds":
            shutil.copytree(source / name, dest / name)
        else:
            os.symlink(source / name, dest / name)
    if tasks is None:
        shutil.copy(source / "tasks.jsonl", dest / "tasks.jsonl")
    else:
        write_records(dest / "tasks.jsonl", tasks)
    return dest


def small_tasks(source: Path, per_domain: int = 6) -> list[Task]:
    """A few tasks of each small vertical, with every chain shape represented."""
    chosen: list[Task] = []
    count: dict[str, int] = {}
    for task in read_records(source / "tasks.jsonl", Task):
        if task.domain_id in SMALL_VERTICALS and count.get(task.domain_id, 0) < per_domain:
            count[task.domain_id] = count.get(task.domain_id, 0) + 1
            chosen.append(task)
    return chosen


@pytest.fixture
def run_dir(catalog_run, tmp_path) -> Path:
    """A run folder of its own with a small mix of tasks (shares worlds and states)."""
    return make_run(catalog_run, tmp_path / "run", small_tasks(catalog_run))


def llm(base_url: str, model: str, **overrides) -> LLMConfig:
    """An LLMConfig with tiny backoff, for tests against the stub server."""
    values = {
        "base_url": base_url,
        "model": model,
        "backoff_base_s": 0.001,
        "backoff_max_s": 0.002,
        "retry_after_max_s": 0.01,
        "max_retries": 3,
        "timeout_s": 10.0,
        "http_backend": "direct",
    }
    values.update(overrides)
    return LLMConfig(**values)

"""Run folders for task-synthesis tests.

* ``builtin_run``: the built-in catalog grouped into domains (hashing embedder) and compiled into
  worlds with the CLI, once per session; tests copy it before writing into it.
* ``sampled_builtin``: a copy of it with tasks sampled with the default settings.
* ``make_run``: small run folders from verticals of the built-in catalog, compiled in-process, with
  optional changes (no dependency edges, every tool failing).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentscaler.catalog import vertical_tools
from agentscaler.graph.dependencies import dependency_edges
from agentscaler.jsonl import write_records
from agentscaler.naming import classify_tool
from agentscaler.records import Domain, DomainMember, DomainStats
from agentscaler.tasks import SampleResult, TaskConfig, sample_tasks
from agentscaler.workspace import Workspace
from agentscaler.worlds.compiler import compile_world, write_world


def _invoke(*args: str) -> int:
    from agentscaler.cli.app import app

    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code


@pytest.fixture(scope="session")
def builtin_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Domains and compiled worlds of the built-in catalog (do not write into it: copy it).

    Every built-in world must compile: the acceptance figures are measured over all of them."""
    root = tmp_path_factory.mktemp("builtin") / "run"
    assert (
        _invoke("domains", "build", "--tools", "builtin", "--out", str(root), "--embedder", "hash")
        == 0
    )
    assert _invoke("worlds", "build", str(root), "-j", "2") == 0
    domains = Workspace(root).domains.read_text(encoding="utf-8").count("\n")
    built = len(list(Workspace(root).worlds_dir.glob("*/world.json")))
    assert built == domains, f"only {built} of {domains} worlds compiled"
    return root


@pytest.fixture
def run_copy(builtin_run: Path, tmp_path: Path) -> Callable[..., Path]:
    """``run_copy(name, domains=None)``: a private copy of the built-in run folder (domains and
    worlds), keeping only the first ``domains`` domains when given."""

    def copy(name: str = "run", domains: int | None = None) -> Path:
        target = tmp_path / name
        shutil.copytree(builtin_run, target)
        if domains is not None:
            path = Workspace(target).domains
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            path.write_text("".join(lines[:domains]), encoding="utf-8")
        return target

    return copy


@pytest.fixture(scope="session")
def sampled_builtin(
    builtin_run: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Workspace, SampleResult]:
    """Tasks sampled from every built-in world with the default settings."""
    root = tmp_path_factory.mktemp("sampled") / "run"
    shutil.copytree(builtin_run, root)
    workspace = Workspace(root)
    return workspace, sample_tasks(workspace, TaskConfig())


def _domain(domain_id: str, tools: list, *, edges: bool) -> Domain:
    members = tuple(
        DomainMember(tool_id=t.id, name=t.name, kind=classify_tool(t.name, t.tags)) for t in tools
    )
    found = tuple(dependency_edges(tools)) if edges else ()
    return Domain(
        id=domain_id,
        name=domain_id,
        members=members,
        edges=found,
        stats=DomainStats(
            size=len(members),
            reads=sum(m.kind == "read" for m in members),
            writes=sum(m.kind == "write" for m in members),
            internal_similarity_edges=0,
            dependency_edges=len(found),
            mean_similarity=0.0,
        ),
    )


def broken_code(world) -> str:
    """tools.py in which every tool of ``world`` fails with a domain error."""
    parts = ['"""Every tool of this world fails."""\n']
    for index, binding in enumerate(world.tools):
        parts.append(
            f'\n\n@tool(kind="{binding.kind}", name="{binding.name}")\n'
            f"def broken_{index}(db, **arguments):\n"
            f'    raise PreconditionFailed("{binding.name} is out of service")\n'
        )
    return "".join(parts)


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[..., Path]:
    """``make_run({"d-lib": "library"}, edges=True, broken=())`` -> a run folder with those
    verticals as domains (``broken``: domain ids whose tools always fail)."""

    def make(
        verticals: dict[str, str], *, edges: bool = True, broken: tuple[str, ...] = ()
    ) -> Path:
        root = tmp_path / "small"
        domains = []
        for domain_id, vertical in verticals.items():
            tools = vertical_tools(vertical)
            domain = _domain(domain_id, tools, edges=edges)
            compiled = compile_world(domain_id, vertical, tools)
            world_dir = write_world(compiled, Workspace(root).world_dir(domain_id))
            if domain_id in broken:
                (world_dir / "tools.py").write_text(broken_code(compiled.world), encoding="utf-8")
            domains.append(domain)
        write_records(Workspace(root).domains, domains)
        return root

    return make


@pytest.fixture(scope="session")
def simulated_builtin(sampled_builtin, tmp_path_factory) -> Workspace:
    """The sampled built-in tasks played offline (oracle agent, scripted user) and filtered, in
    a run folder sharing the worlds and states."""
    from agentscaler.filter.stage import run_filter
    from agentscaler.simulate import SimulateConfig, simulate

    workspace, _ = sampled_builtin
    root = tmp_path_factory.mktemp("simulated") / "run"
    root.mkdir()
    for name in ("worlds", "states"):
        (root / name).symlink_to(workspace.root / name)
    for name in ("domains.jsonl", "tasks.jsonl"):
        shutil.copy(workspace.root / name, root / name)
    simulate(root, SimulateConfig())
    run_filter(root)
    return Workspace(root)

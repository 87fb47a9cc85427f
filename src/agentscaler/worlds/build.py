"""Stage entry point: compile every domain of a run folder into ``worlds/<domain>/``.

Resumable: a world whose ``build.json`` records the same fingerprint (domain, tool ids, compile
settings) and whose files still have the content recorded there is not rebuilt; a world with a
missing, changed or corrupt file (a garbage ``seed.sqlite``) is rebuilt, keeping a user's edit of
``tools.py`` (with the same fingerprint the compiler writes the same code, so a different
``tools.py`` is an edit). Each world is compiled, written and checked for conformance; a failure
is recorded with its reason and never stops the other worlds. The run folder is locked while
worlds are built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentscaler.canonical import content_hash
from agentscaler.errors import AgentscalerError, RunFolderError, SpecError
from agentscaler.execution.base import Executor, ShardFailure, ShardJob
from agentscaler.execution.shards import assign, shard_count
from agentscaler.ingest.services import main_service, service_title
from agentscaler.jsonl import read_json, read_records, write_json, write_text_atomic
from agentscaler.markers import file_hash
from agentscaler.records import Domain, ToolSpec
from agentscaler.runlock import run_lock
from agentscaler.workspace import Workspace, fingerprint
from agentscaler.worlds.checks.conformance import check_world
from agentscaler.worlds.compiler import compile_world, write_world
from agentscaler.worlds.config import WorldConfig
from agentscaler.worlds.policy import POLICY_FILE, edited_policy, policy_file
from agentscaler.worlds.runtime.loader import load_world
from agentscaler.worlds.spec.io import SPEC_FILE, parse_spec, spec_hash
from agentscaler.worlds.spec.model import WorldSpec

log = logging.getLogger(__name__)

BUILD_FILE = "build.json"
NOT_BUILT = "not built yet"
CHECKED_FILES = ("world.json", "tools.json", "schema.sql", "seed.sqlite")
"""World files whose content ``build.json`` records (``tools.py`` may be edited by a user)."""


@dataclass
class WorldBuildResult:
    """The outcome of building one world."""

    domain_id: str
    name: str
    tools: int = 0
    table_tools: int = 0
    """Tools compiled to a real table operation (not a generic fallback)."""
    fallback_tools: int = 0
    llm_tools: int = 0
    left_out: int = 0
    """Tools not compiled because another tool of the domain has the same name."""
    passed: bool = False
    reused: bool = False
    failures: list[str] = field(default_factory=list)
    world_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "domain_id": self.domain_id,
            "name": self.name,
            "tools": self.tools,
            "table_tools": self.table_tools,
            "fallback_tools": self.fallback_tools,
            "llm_tools": self.llm_tools,
            "left_out": self.left_out,
            "passed": self.passed,
            "failures": self.failures,
            "world_id": self.world_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorldBuildResult:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data and k != "reused"})


@dataclass
class BuildSummary:
    results: list[WorldBuildResult]
    shard_failures: list[ShardFailure] = field(default_factory=list)
    """Shards no worker could finish (on Ray): their worlds are left unbuilt, built on a rerun."""

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> list[WorldBuildResult]:
        return [r for r in self.results if not r.passed]

    @property
    def tools(self) -> int:
        return sum(r.tools for r in self.results)

    @property
    def table_share(self) -> float:
        return sum(r.table_tools for r in self.results) / max(1, self.tools)

    def to_json(self) -> dict[str, Any]:
        return {
            "worlds": len(self.results),
            "passed": self.passed,
            "failed": len(self.failed),
            "tools": self.tools,
            "table_tool_share": round(self.table_share, 4),
            "left_out": sum(r.left_out for r in self.results),
            "reused": sum(r.reused for r in self.results),
        }


def world_fingerprint(
    domain: Domain, tools: list[ToolSpec], config: WorldConfig, user_spec: str = ""
) -> str:
    return fingerprint(
        {
            "domain": domain.content_hash(length=16),
            "tools": [t.id for t in tools],
            "settings": config.compile_settings(),
            "spec": user_spec,
        }
    )


def world_name(domain: Domain, tools: list[ToolSpec]) -> str:
    """What a world is called: the service its tools come from ("airline", "gorilla file
    system"), or for a domain mixing services, the domain's name."""
    service = main_service(t.service for t in tools)
    return service_title(service) if service else domain.name


def edited_spec(world_dir: Path) -> tuple[WorldSpec, str, str] | None:
    """``(spec, hash, text)`` of a world's ``spec.yaml`` when a user edited it (it differs from
    the spec the world was compiled from, or the world was already compiled from a user's
    spec); None when the file is missing or is the inferred spec untouched.

    Raises :class:`SpecError` naming the file and field when the edited file is broken.
    """
    path = world_dir / SPEC_FILE
    world_file = world_dir / "world.json"
    if not path.exists() or not world_file.exists():
        return None
    try:
        recorded = read_json(world_file)
    except AgentscalerError:
        return None
    text = path.read_text(encoding="utf-8")
    spec = parse_spec(text, str(path))
    digest = spec_hash(spec)
    if digest == recorded.get("spec_hash") and recorded.get("spec_source") != "user":
        return None
    return spec, digest, text


def load_inputs(workspace: Workspace) -> tuple[list[Domain], dict[str, ToolSpec]]:
    workspace.require(workspace.domains, "domains")
    workspace.require(workspace.tools, "ingest")
    domains = read_records(workspace.domains, Domain)
    tools = {t.id: t for t in read_records(workspace.tools, ToolSpec)}
    if not domains:
        raise RunFolderError(
            f"{workspace.domains} has no domains; re-run `agentscaler domains build`"
        )
    return domains, tools


def build_one(
    domain: Domain,
    tools: dict[str, ToolSpec],
    world_dir: Path,
    config: WorldConfig,
    *,
    force: bool = False,
    llm: Any = None,
) -> WorldBuildResult:
    """Compile, write and check one domain's world (or reuse it when nothing changed)."""
    result = WorldBuildResult(domain_id=domain.id, name=domain.name)
    missing = [m.name for m in domain.members if m.tool_id not in tools]
    if missing:
        result.failures = [
            f"tools {', '.join(missing[:5])} of domain {domain.id} are not in tools.jsonl; "
            "re-run `agentscaler domains build` on this pool"
        ]
        return result
    specs = [tools[m.tool_id] for m in domain.members]
    try:
        user_spec = edited_spec(world_dir) if not force else None
    except SpecError as exc:
        # the previous world (if any) stays as it was and usable; the user fixes the file
        result.failures = [f"spec: {exc}"]
        return result
    stamp = world_fingerprint(domain, specs, config, user_spec[1] if user_spec else "")
    marker = world_dir / BUILD_FILE
    kept_source: str | None = None
    if not force and marker.exists():
        try:
            previous = read_json(marker)
        except AgentscalerError:
            previous = {}
        if (
            previous.get("fingerprint") == stamp
            and "files" in previous
            and previous["files"] is None
        ):
            failed = WorldBuildResult.from_json(previous.get("result", {}))
            failed.reused = True  # it failed to compile with these inputs: it would again
            return failed
        if previous.get("fingerprint") == stamp:
            damaged = _damaged_files(world_dir, previous.get("files"))
            if not damaged:
                reused = WorldBuildResult.from_json(previous.get("result", {}))
                reused.reused = True
                _add_policy(world_dir)
                return reused
            log.warning("world %s is rebuilt: %s", domain.id, damaged)
            if (world_dir / "tools.py").is_file():
                kept_source = (world_dir / "tools.py").read_text(encoding="utf-8")
    try:
        if user_spec is not None:
            spec, _digest, text = user_spec
            try:
                compiled = compile_world(
                    domain.id, world_name(domain, specs), specs, config, spec=spec, spec_text=text
                )
            except SpecError as exc:
                result.failures = [f"spec: {world_dir / SPEC_FILE}: {exc}"]
                return result
        else:
            compiled = compile_world(domain.id, world_name(domain, specs), specs, config)
        if llm is not None:
            from agentscaler.worlds.llm_compile import improve_world

            compiled = improve_world(compiled, specs, llm, config)
        user_policy = edited_policy(world_dir) if not force else None
        write_world(compiled, world_dir, policy=user_policy)
        if kept_source is not None and kept_source != compiled.source:
            (world_dir / "tools.py").write_text(kept_source, encoding="utf-8")
            log.warning("world %s: your edited tools.py was kept", domain.id)
        loaded = load_world(world_dir, config)
        report = check_world(loaded, seed=config.seed)
    except (OSError, MemoryError):
        raise  # the machine failed (a full disk), not the world: stop and say so
    except Exception as exc:  # one world's failure never stops the build
        log.warning("world %s failed to compile: %s", domain.id, exc)
        result.failures = [f"compile: {type(exc).__name__}: {exc}"]
        if world_dir.exists():
            write_json(marker, {"fingerprint": stamp, "result": result.to_json(), "files": None})
        return result
    bindings = loaded.world.tools
    result.world_id = loaded.world.id
    result.tools = len(bindings)
    result.fallback_tools = sum(b.fallback for b in bindings)
    result.table_tools = result.tools - result.fallback_tools
    result.llm_tools = sum(b.code_source == "llm" for b in bindings)
    result.left_out = len(loaded.world.left_out)
    result.passed = report.passed
    result.failures = [
        f"{f.check}{f' [{f.tool}]' if f.tool else ''}: {f.detail}" for f in report.failures
    ]
    write_json(world_dir / "conformance.json", report.to_json_dict())
    files = {name: file_hash(world_dir / name) for name in CHECKED_FILES}
    write_json(marker, {"fingerprint": stamp, "result": result.to_json(), "files": files})
    return result


def _add_policy(world_dir: Path) -> None:
    """Write ``policy.md`` into a reused world built before worlds had one."""
    if (world_dir / POLICY_FILE).exists():
        return
    try:
        spec = load_world(world_dir).load_spec()
    except AgentscalerError:
        return
    if spec is not None:
        write_text_atomic(world_dir / POLICY_FILE, policy_file(spec))


def _damaged_files(world_dir: Path, recorded: Any) -> str:
    """What no longer matches ``build.json``'s file hashes ("" when the world is intact)."""
    if not isinstance(recorded, dict):
        return "build.json records no file hashes (built by an older release, or failed)"
    if not (world_dir / "tools.py").is_file():
        return f"{world_dir / 'tools.py'} is missing"
    for name in CHECKED_FILES:
        path = world_dir / name
        if not path.is_file():
            return f"{path} is missing"
        if file_hash(path) != recorded.get(name):
            return f"{path} changed since it was built"
    return ""


def build_worlds(
    workspace: Workspace,
    config: WorldConfig | None = None,
    *,
    domains: list[str] | None = None,
    force: bool = False,
    llm: Any = None,
    workers: int | None = None,
    progress: Callable[[WorldBuildResult], None] | None = None,
    executor: Executor | None = None,
    tracker: Any = None,
) -> BuildSummary:
    """Compile the worlds of every domain in ``workspace`` (or those named in ``domains``).

    Domains are cut into shards by id and built by ``executor`` (default: ``workers`` local
    processes, ``config.workers`` when not given); an LLM pass builds in this process.
    ``tracker`` (``plan(shards, records)``, ``done(records)``) follows the shards.
    """
    config = config or WorldConfig()
    with run_lock(workspace.root):
        return _build_worlds(
            workspace, config, domains, force, llm, workers, progress, executor, tracker
        )


@dataclass(frozen=True)
class WorldShard:
    """What a worker needs to build one shard of worlds (picklable)."""

    root: str
    domains: tuple[Domain, ...]
    tools: dict[str, ToolSpec]
    config: WorldConfig
    force: bool


def build_shard(shard: WorldShard) -> list[WorldBuildResult]:
    """Body of one worker: build the shard's worlds, in the shard's order."""
    workspace = Workspace(Path(shard.root))
    return [
        build_one(d, shard.tools, workspace.world_dir(d.id), shard.config, force=shard.force)
        for d in shard.domains
    ]


def _build_worlds(
    workspace: Workspace,
    config: WorldConfig,
    domains: list[str] | None,
    force: bool,
    llm: Any,
    workers: int | None,
    progress: Callable[[WorldBuildResult], None] | None,
    executor: Executor | None,
    tracker: Any,
) -> BuildSummary:
    all_domains, tools = load_inputs(workspace)
    selected = [d for d in all_domains if domains is None or d.id in domains]
    if domains is not None:
        unknown = sorted(set(domains) - {d.id for d in all_domains})
        if unknown:
            raise RunFolderError(f"no domain {', '.join(unknown)} in {workspace.domains}")
    results: dict[str, WorldBuildResult] = {}
    failures: list[ShardFailure] = []

    def record(result: WorldBuildResult) -> None:
        results[result.domain_id] = result
        if progress is not None:
            progress(result)

    if llm is not None:
        if tracker is not None:
            tracker.plan(1, len(selected))
        for domain in selected:
            record(
                build_one(
                    domain, tools, workspace.world_dir(domain.id), config, force=force, llm=llm
                )
            )
        if tracker is not None:
            tracker.done(len(selected))
    else:
        failures = _build_sharded(
            workspace, config, selected, tools, force, workers, executor, tracker, record
        )
    summary = BuildSummary([results[d.id] for d in selected if d.id in results], failures)
    overall = BuildSummary([results.get(d.id) or _recorded(workspace, d) for d in all_domains])
    write_json(
        workspace.worlds_dir / "summary.json",
        {**overall.to_json(), "worlds_detail": [r.to_json() for r in overall.results]},
    )
    if not failures and not any(r.failures == [NOT_BUILT] for r in overall.results):
        stamp = content_hash([r.world_id for r in overall.results], length=16)
        workspace.mark_done(
            "worlds",
            fingerprint=stamp,
            settings=config.compile_settings(),
            summary=overall.to_json(),
        )
    return summary


def _build_sharded(
    workspace: Workspace,
    config: WorldConfig,
    selected: list[Domain],
    tools: dict[str, ToolSpec],
    force: bool,
    workers: int | None,
    executor: Executor | None,
    tracker: Any,
    record: Callable[[WorldBuildResult], None],
) -> list[ShardFailure]:
    from agentscaler.execution.local import map_shards

    groups = assign(selected, [d.id for d in selected], shard_count(len(selected)))
    jobs = [
        ShardJob(
            index,
            tuple(d.id for d in group),
            WorldShard(
                str(workspace.root),
                tuple(group),
                {
                    m.tool_id: tools[m.tool_id]
                    for d in group
                    for m in d.members
                    if m.tool_id in tools
                },
                config,
                force,
            ),
        )
        for index, group in groups
    ]
    if tracker is not None:
        tracker.plan(len(jobs), len(selected))

    def done(job: ShardJob[WorldShard], built: list[WorldBuildResult]) -> None:
        for result in built:
            record(result)
        if tracker is not None:
            tracker.done(len(built))

    count = config.workers if workers is None else workers
    outcome = map_shards(executor, count, "worlds", build_shard, jobs, done, tracker)
    return outcome.failures


def _recorded(workspace: Workspace, domain: Domain) -> WorldBuildResult:
    """The last recorded build result of a domain's world (not built: a failure saying so)."""
    marker = workspace.world_dir(domain.id) / BUILD_FILE
    if marker.exists():
        try:
            return WorldBuildResult.from_json(read_json(marker).get("result", {}))
        except AgentscalerError:
            pass
    return WorldBuildResult(domain_id=domain.id, name=domain.name, failures=[NOT_BUILT])

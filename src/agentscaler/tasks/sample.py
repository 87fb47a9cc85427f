"""Stage entry point: synthesize the tasks of every domain of a run folder.

Reads ``domains.jsonl`` and ``worlds/<domain>/``; writes

* ``states/<hash>.sqlite``: the initial states tasks refer to (each written once),
* ``.tasks/<domain>.jsonl`` and ``.tasks/<domain>.json``: each domain's tasks and counts, written
  when the domain is finished (a rerun with the same settings and world reuses them, so an
  interrupted run continues where it stopped),
* ``.tasks/llm_intents.jsonl``: cached LLM rewrites (with ``llm_intents``),
* ``tasks.jsonl``: every task, domains in ``domains.jsonl`` order,

and marks the stage done with a fingerprint of the settings and the worlds, and the summary.
A domain whose world is missing or unusable, or whose synthesis fails in any way, is recorded
with the reason (a note of the summary) and skipped; the other domains go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentscaler.errors import AgentscalerError, ConfigError, RunFolderError, TaskError
from agentscaler.execution.base import Executor, ShardFailure, ShardJob
from agentscaler.execution.shards import assign, shard_count
from agentscaler.jsonl import read_json, read_records, write_json, write_records
from agentscaler.markers import file_hash
from agentscaler.records.domain import Domain
from agentscaler.records.task import Task
from agentscaler.runlock import run_lock
from agentscaler.tasks.config import TaskConfig
from agentscaler.tasks.states import save_state
from agentscaler.tasks.summary import summarize
from agentscaler.tasks.synthesize import DomainResult, synthesize_domain
from agentscaler.workspace import Workspace, fingerprint

if TYPE_CHECKING:
    from agentscaler.llm import LLMConfig

log = logging.getLogger(__name__)

STAGE = "tasks"
PARTS = ".tasks"


@dataclass
class SampleResult:
    """What ``sample_tasks`` did."""

    summary: dict[str, Any]
    fingerprint: str
    results: list[DomainResult] = field(default_factory=list)
    reused: int = 0
    """Domains whose finished tasks were reused from an earlier (interrupted) run."""
    already_done: bool = False
    """The stage had finished with the same settings; nothing was recomputed."""
    shard_failures: list[ShardFailure] = field(default_factory=list)
    """Shards no worker could finish (on Ray): their domains have no tasks until a rerun."""


def parts_dir(workspace: Workspace) -> Path:
    return workspace.root / PARTS


def _world_id(workspace: Workspace, domain: Domain) -> str | None:
    path = workspace.world_dir(domain.id) / "world.json"
    if not path.exists():
        return None
    try:
        return str(read_json(path).get("id") or "") or None
    except AgentscalerError:
        return None


def sample_tasks(
    workspace: Workspace,
    config: TaskConfig | None = None,
    *,
    llm: LLMConfig | None = None,
    force: bool = False,
    advance: Callable[[int], None] | None = None,
    executor: Executor | None = None,
    tracker: Any = None,
) -> SampleResult:
    """Synthesize ``config.per_domain`` tasks for every domain of ``workspace``.

    ``llm`` is an :class:`~agentscaler.llm.LLMConfig` (required with ``config.llm_intents``);
    ``advance(n)`` is called as tasks are made (``per_domain`` per domain in total). Domains are
    cut into shards by id and synthesized by ``executor`` (default: this process);
    with LLM intents (one shared cache of rewrites) they are made in this process. ``tracker``
    (``plan(shards, records)``, ``done(records)``) follows the shards.
    """
    config = config or TaskConfig()
    with run_lock(workspace.root):
        return _sample_tasks(workspace, config, llm, force, advance, executor, tracker)


@dataclass(frozen=True)
class TaskShard:
    """What a worker needs to synthesize one shard of domains (picklable)."""

    root: str
    domains: tuple[tuple[Domain, str | None], ...]
    config: TaskConfig
    settings: dict[str, Any]
    force: bool


def sample_shard(shard: TaskShard) -> list[tuple[dict[str, Any], bool]]:
    """Body of one worker: each domain's result (as JSON data) and whether it was reused; the
    tasks and states are written to the run folder (``.tasks/``, ``states/``)."""
    workspace = Workspace(Path(shard.root))
    out = []
    for domain, world_id in shard.domains:
        result, reused = _domain_or_failure(
            workspace, domain, world_id, shard.config, shard.settings, None, shard.force, None
        )
        out.append((result.to_json(), reused))
    return out


def _domain_or_failure(
    workspace: Workspace,
    domain: Domain,
    world_id: str | None,
    config: TaskConfig,
    settings: dict[str, Any],
    client: Any,
    force: bool,
    advance: Callable[[int], None] | None,
) -> tuple[DomainResult, bool]:
    try:
        return _domain(workspace, domain, world_id, config, settings, client, force, advance)
    except (OSError, MemoryError):
        raise  # the machine failed (a full disk), not the domain: stop and say so
    except Exception as exc:  # one domain's failure never stops the others
        log.warning("tasks of domain %s failed", domain.id, exc_info=True)
        return _failed(domain, world_id, exc), False


def _sample_tasks(
    workspace: Workspace,
    config: TaskConfig,
    llm: LLMConfig | None,
    force: bool,
    advance: Callable[[int], None] | None,
    executor: Executor | None = None,
    tracker: Any = None,
) -> SampleResult:
    if config.llm_intents and llm is None:
        raise ConfigError(
            "LLM intents need a server: pass --base-url URL and --model NAME with --llm-intents"
        )
    workspace.require(workspace.domains, "domains")
    workspace.require(workspace.worlds_dir, "worlds")
    domains = read_records(workspace.domains, Domain)
    if not domains:
        raise RunFolderError(
            f"{workspace.domains} holds no domains; re-run `agentscaler domains build`"
        )
    model = llm.model if config.llm_intents and llm is not None else None
    settings = config.fingerprint_settings(model)
    worlds = {d.id: _world_id(workspace, d) for d in domains}
    stamp = fingerprint({"settings": settings, "worlds": worlds})
    if not force and workspace.stage_done(STAGE, stamp) and workspace.tasks.exists():
        marker = workspace.marker(STAGE) or {}
        if advance is not None:
            advance(len(domains) * config.per_domain)
        return SampleResult(marker.get("summary") or {}, stamp, already_done=True)

    if config.llm_intents:
        results, reused, failures = _sample_here(
            workspace, domains, worlds, config, settings, llm, force, advance, tracker
        )
    else:
        results, reused, failures = _sample_sharded(
            workspace, domains, worlds, config, settings, force, advance, executor, tracker
        )
    tasks = [t for r in results for t in r.tasks]
    write_records(workspace.tasks, tasks)
    summary = summarize(tasks, domains=[r.to_json() for r in results], max_steps=config.max_steps)
    if failures:
        summary["shard_failures"] = [f.to_json() for f in failures]
    else:
        workspace.mark_done(STAGE, fingerprint=stamp, settings=settings, summary=summary)
    log.info("tasks: %d tasks in %d domains (%d reused)", len(tasks), len(results), reused)
    return SampleResult(summary, stamp, results, reused, shard_failures=failures)


def _sample_here(
    workspace: Workspace,
    domains: list[Domain],
    worlds: dict[str, str | None],
    config: TaskConfig,
    settings: dict[str, Any],
    llm: LLMConfig | None,
    force: bool,
    advance: Callable[[int], None] | None,
    tracker: Any,
) -> tuple[list[DomainResult], int, list[ShardFailure]]:
    """Every domain in this process (LLM intents share one client and one cache of rewrites)."""
    from agentscaler.llm import ChatClient

    client = ChatClient(llm)
    results: list[DomainResult] = []
    reused = 0
    if tracker is not None:
        tracker.plan(1, len(domains))
    try:
        for domain in domains:
            result, was_reused = _domain_or_failure(
                workspace, domain, worlds[domain.id], config, settings, client, force, advance
            )
            reused += was_reused
            results.append(result)
            if advance is not None:
                advance(max(0, config.per_domain - len(result.tasks)))
            if tracker is not None:
                tracker.done(1, shards=0)
    finally:
        client.close()
    if tracker is not None:
        tracker.done(0)
    return results, reused, []


def _sample_sharded(
    workspace: Workspace,
    domains: list[Domain],
    worlds: dict[str, str | None],
    config: TaskConfig,
    settings: dict[str, Any],
    force: bool,
    advance: Callable[[int], None] | None,
    executor: Executor | None,
    tracker: Any,
) -> tuple[list[DomainResult], int, list[ShardFailure]]:
    """Domains in shards on ``executor``; results read back in ``domains.jsonl`` order."""
    from agentscaler.execution.local import map_shards

    groups = assign(domains, [d.id for d in domains], shard_count(len(domains)))
    jobs = [
        ShardJob(
            index,
            tuple(d.id for d in group),
            TaskShard(
                str(workspace.root),
                tuple((d, worlds[d.id]) for d in group),
                config,
                settings,
                force,
            ),
        )
        for index, group in groups
    ]
    if tracker is not None:
        tracker.plan(len(jobs), len(domains))
    done: dict[str, tuple[dict[str, Any], bool]] = {}

    def collect(job: ShardJob[TaskShard], made: list[tuple[dict[str, Any], bool]]) -> None:
        for data, was_reused in made:
            done[data["domain_id"]] = (data, was_reused)
            if advance is not None:
                advance(config.per_domain)
        if tracker is not None:
            tracker.done(len(made))

    outcome = map_shards(executor, 1, "tasks", sample_shard, jobs, collect, tracker)
    results: list[DomainResult] = []
    parts = parts_dir(workspace)
    for domain in domains:
        if domain.id not in done:
            continue  # its shard failed: made on a rerun
        data, _ = done[domain.id]
        tasks = read_records(parts / f"{domain.id}.jsonl", Task) if data.get("tasks") else []
        results.append(DomainResult.from_json(data, tasks))
    reused = sum(was_reused for _, was_reused in done.values())
    return results, reused, outcome.failures


def _domain(
    workspace: Workspace,
    domain: Domain,
    world_id: str | None,
    config: TaskConfig,
    settings: dict[str, Any],
    client: Any,
    force: bool,
    advance: Callable[[int], None] | None,
) -> tuple[DomainResult, bool]:
    """One domain's result, reused from its finished part when still valid."""
    if world_id is None:
        result = DomainResult(domain_id=domain.id, name=domain.name)
        result.notes.append(
            f"domain {domain.id}: no compiled world in {workspace.world_dir(domain.id)}; run "
            "`agentscaler worlds build DIR` first"
        )
        return result, False
    stamp = fingerprint(
        {"settings": settings, "world": world_id, "domain": domain.content_hash(length=16)}
    )
    parts = parts_dir(workspace)
    meta_path, tasks_path = parts / f"{domain.id}.json", parts / f"{domain.id}.jsonl"
    if not force:
        reused = _reuse(workspace, meta_path, tasks_path, stamp)
        if reused is not None:
            if advance is not None:
                advance(len(reused.tasks))
            return reused, True
    result = _synthesize(workspace, domain, config, advance)
    if client is not None and result.tasks:
        from agentscaler.tasks.rewrite import rewrite_intents

        tool_names = [m.name for m in domain.members]
        result.tasks, result.intents = rewrite_intents(
            result.tasks,
            client,
            parts / "llm_intents.jsonl",
            tool_names,
            max_chars=config.intent_max_chars,
        )
    used = {t.initial_state for t in result.tasks}
    states = {
        state.hash: file_hash(save_state(workspace, state))
        for state in result.states
        if state.hash in used
    }
    write_records(tasks_path, result.tasks)
    write_json(meta_path, {"fingerprint": stamp, "result": result.to_json(), "states": states})
    return result, False


def _synthesize(
    workspace: Workspace,
    domain: Domain,
    config: TaskConfig,
    advance: Callable[[int], None] | None,
) -> DomainResult:
    from agentscaler.worlds.runtime.loader import load_world

    try:
        compiled = load_world(workspace.world_dir(domain.id))
    except AgentscalerError as exc:
        result = DomainResult(domain_id=domain.id, name=domain.name)
        result.notes.append(f"domain {domain.id}: its world cannot be loaded: {exc}")
        return result
    try:
        return synthesize_domain(
            compiled, domain, config, on_task=(lambda: advance(1)) if advance else None
        )
    except TaskError as exc:
        result = DomainResult(domain_id=domain.id, name=domain.name, world_id=compiled.id)
        result.notes.append(str(exc))
        return result


def _failed(domain: Domain, world_id: str | None, exc: Exception) -> DomainResult:
    """The result of a domain whose synthesis failed unexpectedly (made again on a rerun)."""
    result = DomainResult(domain_id=domain.id, name=domain.name, world_id=world_id or "")
    what = str(exc) if isinstance(exc, AgentscalerError) else f"{type(exc).__name__}: {exc}"
    result.notes.append(
        f"domain {domain.id}: task synthesis failed ({what}); the other domains went on. Fix "
        f"the world in worlds/{domain.id}/ (or `agentscaler worlds build --force`) and re-run "
        "`agentscaler tasks sample --force`."
    )
    return result


def _reuse(
    workspace: Workspace, meta_path: Path, tasks_path: Path, stamp: str
) -> DomainResult | None:
    """A finished domain's result, or None when it must be (re)made."""
    if not meta_path.exists() or not tasks_path.exists():
        return None
    try:
        meta = read_json(meta_path)
        if not isinstance(meta, dict) or meta.get("fingerprint") != stamp:
            return None
        tasks = read_records(tasks_path, Task)
        result = DomainResult.from_json(meta["result"], tasks)
        states = meta["states"]
    except (AgentscalerError, KeyError, TypeError, ValueError) as exc:
        log.warning(
            "%s: cannot reuse finished tasks (%s); the domain is made again", tasks_path, exc
        )
        return None
    for state_hash in sorted({t.initial_state for t in tasks}):
        path = workspace.state_file(state_hash)
        if not path.is_file() or file_hash(path) != states.get(state_hash):
            log.warning("%s is missing or damaged: domain %s is made again", path, result.domain_id)
            return None
    return result


def load_tasks(workspace: Workspace) -> list[Task]:
    """The tasks of a run folder (``tasks.jsonl``)."""
    workspace.require(workspace.tasks, STAGE)
    return read_records(workspace.tasks, Task)

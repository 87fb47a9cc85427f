"""The filter stage over a run folder: a verdict for every episode, kept/rejected files, funnel.

Outputs (all rewritten atomically on each run, so a rerun is always consistent):

* ``filtered/kept.jsonl`` and ``filtered/rejected.jsonl``: :class:`~agentscaler.records.Verdict`
  records, sorted by (task, episode);
* ``filtered/funnel.json``: counts per stage, reason and domain (see :mod:`.funnel`).

Work is split by domain: domains are cut into shards by id (:mod:`agentscaler.execution.shards`),
each shard judged by one worker of an executor, which loads each domain's world once and replays
identical call sequences once (:data:`.alignment.ReplayCache`). The parent only indexes where each
domain's lines are (file, offset, length) and a digest of them; a worker reads its own lines.
Each shard writes its verdicts, sorted, to ``filtered/.shards/<shard>.jsonl`` with a completion
marker holding a digest of what it read (settings, its task and episode lines, its worlds'
files), so a rerun judges again only the shards whose inputs changed or that never finished;
the final files are a streaming merge of the shard files.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from agentscaler.episode_lines import parse_episode
from agentscaler.errors import RunFolderError, WorldError
from agentscaler.execution.base import Executor, ShardFailure, ShardJob
from agentscaler.execution.shards import assign, mark_shard, shard_count, shard_done
from agentscaler.filter.config import FilterConfig
from agentscaler.filter.funnel import Funnel, funnel_from_verdicts
from agentscaler.filter.verify import tool_schemas, verify_episode
from agentscaler.jsonl import (
    atomic_writer,
    iter_records,
    parse_line,
    validate_record,
    write_json,
    write_records,
)
from agentscaler.markers import WORLD_FILES, combined, file_hash
from agentscaler.records import Episode, Task, Verdict
from agentscaler.runlock import run_lock
from agentscaler.workspace import Workspace, fingerprint
from agentscaler.worlds.runtime.state import Snapshot

log = logging.getLogger(__name__)

_DOMAIN = re.compile(rb'"domain_id":\s*"((?:[^"\\]|\\.)*)"')

Line = tuple[str, int, bytes]
"""(file, line number, raw JSON line)."""


@dataclass(frozen=True)
class FilterResult:
    funnel: Funnel
    shard_failures: list[ShardFailure] = field(default_factory=list)
    """Shards no worker could finish (on Ray): nothing is written until a rerun judges them."""

    @property
    def kept(self) -> int:
        return self.funnel.kept

    def verdicts(self, ws: Workspace) -> Iterator[Verdict]:
        """The verdicts written (kept, then rejected)."""
        for name in ("kept.jsonl", "rejected.jsonl"):
            yield from iter_records(ws.filtered_dir / name, Verdict)


def iter_episodes(ws: Workspace) -> Iterator[Episode]:
    for path in ws.episode_files():
        yield from iter_records(path, Episode)


def _domain_of(path: Path, number: int, raw: bytes) -> str:
    match = _DOMAIN.search(raw)
    if match is not None:
        return json.loads(b'"' + match.group(1) + b'"')
    value = parse_line(path, number, raw)
    if not isinstance(value, dict) or not isinstance(value.get("domain_id"), str):
        raise RunFolderError(f"{path}:{number}: the record has no domain_id. Delete the line.")
    return value["domain_id"]


Span = tuple[str, int, int, int]
"""(file, line number, byte offset, length) of one line."""


@dataclass
class _DomainLines:
    spans: list[Span]
    digest: Any

    def add(self, span: Span, raw: bytes) -> None:
        self.spans.append(span)
        self.digest.update(raw)
        self.digest.update(b"\n")


def _index_by_domain(paths: list[Path]) -> dict[str, _DomainLines]:
    """Where each domain's lines are, and a digest of them, reading one line at a time."""
    groups: dict[str, _DomainLines] = {}
    for path in paths:
        with path.open("rb") as handle:
            offset, number = 0, 0
            for raw in handle:
                number += 1
                start, offset = offset, offset + len(raw)
                if not raw.endswith(b"\n"):
                    if raw.strip():
                        log.warning(
                            "%s:%d: ignoring an incomplete last line (%d bytes), left by an "
                            "interrupted write",
                            path,
                            number,
                            len(raw),
                        )
                    break
                line = raw.rstrip(b"\n")
                if not line.strip():
                    continue
                domain = _domain_of(path, number, line)
                group = groups.get(domain)
                if group is None:
                    group = groups[domain] = _DomainLines([], hashlib.blake2b(digest_size=16))
                group.add((str(path), number, start, len(line)), line)
    return groups


def read_spans(spans: list[Span]) -> Iterator[Line]:
    """The lines at ``spans`` (in order), each file opened once per run of spans."""
    handle = None
    current = None
    try:
        for path, number, offset, length in spans:
            if path != current:
                if handle is not None:
                    handle.close()
                handle, current = open(path, "rb"), path  # noqa: SIM115
            handle.seek(offset)
            yield path, number, handle.read(length)
    finally:
        if handle is not None:
            handle.close()


class _Worlds:
    """A domain's world, tool schemas and initial states, loaded once."""

    def __init__(self, ws: Workspace, max_states: int = 512) -> None:
        self.ws = ws
        self._worlds: dict[str, tuple] = {}
        self._states: OrderedDict[str, Snapshot] = OrderedDict()
        self._max_states = max_states

    def world(self, domain_id: str):
        from agentscaler.worlds.runtime.loader import load_world

        hit = self._worlds.get(domain_id)
        if hit is None:
            world = load_world(self.ws.require(self.ws.world_dir(domain_id), "worlds"))
            hit = self._worlds[domain_id] = (world, tool_schemas(world))
        return hit

    def state(self, state_hash: str, domain_id: str) -> Snapshot:
        """The initial state with its table digests, so replays hash only what they change."""
        snap = self._states.get(state_hash)
        if snap is None:
            path = self.ws.state_file(state_hash)
            restore = (
                f"Run `{self.ws.rerun_command('tasks')}` (it restores missing or damaged states)."
            )
            if not path.exists():
                raise RunFolderError(
                    f"{path} is missing: a task refers to an initial state that is not in the run "
                    f"folder. {restore}"
                )
            try:
                env = self.world(domain_id)[0].make_env(state=path.read_bytes())
            except WorldError as exc:
                raise RunFolderError(f"{path}: {exc}. {restore}") from exc
            try:
                snap = self._states[state_hash] = env.snapshot()
            finally:
                env.close()
            if len(self._states) > self._max_states:
                self._states.popitem(last=False)
        else:
            self._states.move_to_end(state_hash)
        return snap


def judge_domain(
    root: str,
    domain_id: str,
    task_lines: list[Line],
    episode_lines: list[Line],
    config: FilterConfig,
) -> list[dict[str, Any]]:
    """Verdicts (as JSON data) on one domain's episodes; runs in a worker process."""
    ws = Workspace(Path(root))
    tasks: dict[str, Task] = {}
    for path, number, raw in task_lines:
        task = validate_record(Task, parse_line(Path(path), number, raw), f"{path}:{number}")
        tasks[task.id] = task
    worlds = _Worlds(ws)
    cache: dict = {}
    seen: set[tuple[str, int]] = set()
    verdicts: list[dict[str, Any]] = []
    for path, number, raw in episode_lines:
        where = f"{path}:{number}"
        episode = parse_episode(raw, where)
        if episode.key in seen:
            log.warning("%s: episode %s appears twice; judged once", where, episode.id)
            continue
        seen.add(episode.key)
        task = tasks.get(episode.task_id)
        if task is None:
            raise RunFolderError(
                f"{where}: episode {episode.id} refers to task {episode.task_id!r}, which is not in "
                f"{ws.tasks} for domain {domain_id}. The episodes belong to another task set: "
                f"re-run `agentscaler simulate {ws.root}` after moving {ws.episodes_dir} aside."
            )
        world, schemas = worlds.world(domain_id)
        snapshot = worlds.state(task.initial_state, domain_id)
        verdict = verify_episode(episode, task, world, snapshot, config, schemas, cache)
        verdicts.append(verdict.to_json_dict())
    return verdicts


@dataclass(frozen=True)
class FilterShard:
    """What a worker needs to judge one shard of domains (picklable)."""

    root: str
    index: int
    fingerprint: str
    domains: tuple[tuple[str, tuple[Span, ...], tuple[Span, ...]], ...]
    """(domain id, its task lines, its episode lines)."""
    config: FilterConfig


def shards_dir(ws: Workspace) -> Path:
    return ws.filtered_dir / ".shards"


def _verdict_key(data: dict[str, Any]) -> tuple[str, str]:
    return data["task_id"], data["episode_id"]


def judge_shard(shard: FilterShard) -> int:
    """Body of one worker: judge the shard's domains, write its sorted verdicts and marker."""
    verdicts: list[dict[str, Any]] = []
    for domain_id, task_spans, episode_spans in shard.domains:
        verdicts += judge_domain(
            shard.root,
            domain_id,
            list(read_spans(list(task_spans))),
            list(read_spans(list(episode_spans))),
            shard.config,
        )
    verdicts.sort(key=_verdict_key)
    folder = shards_dir(Workspace(Path(shard.root)))
    target = folder / f"{shard.index:05d}.jsonl"
    write_records(target, verdicts, fsync=False)  # the marker vouches for it by its hash
    mark_shard(folder, shard.index, shard.fingerprint, [target])
    return len(verdicts)


def run_filter(
    root: Path | str,
    config: FilterConfig | None = None,
    *,
    advance: Callable[[int], None] | None = None,
    executor: Executor | None = None,
    tracker: Any = None,
) -> FilterResult:
    """Judge every episode of the run folder ``root`` and write ``filtered/``.

    Shards run on ``executor`` (default: ``config.workers`` local processes, one per core when
    0); ``tracker`` (``plan(shards, records)``, ``done(records)``) follows them.
    """
    config = config or FilterConfig()
    ws = Workspace(Path(root))
    with run_lock(ws.root):
        return _run_filter(ws, config, advance, executor, tracker)


def _world_digest(ws: Workspace, domain_id: str) -> str:
    folder = os.fspath(ws.world_dir(domain_id))
    hashes = {}
    for name in WORLD_FILES:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            hashes[name] = file_hash(path)
    return combined(hashes)


def _run_filter(
    ws: Workspace,
    config: FilterConfig,
    advance: Callable[[int], None] | None,
    executor: Executor | None,
    tracker: Any,
) -> FilterResult:
    tasks_by_domain = _index_by_domain([ws.require(ws.tasks, "tasks")])
    paths = ws.episode_files()
    if not paths:
        raise RunFolderError(
            f"{ws.episodes_dir} has no episodes. Run `agentscaler simulate {ws.root}` first."
        )
    episodes_by_domain = _index_by_domain(paths)
    domains = sorted(episodes_by_domain)
    count = shard_count(len(domains))
    settings = config.verdict_settings()
    folder = shards_dir(ws)
    jobs: list[ShardJob[FilterShard]] = []
    finished: list[int] = []
    for index, group in assign(domains, domains, count):
        parts = []
        for domain_id in group:
            tasks = tasks_by_domain.get(domain_id)
            episodes = episodes_by_domain[domain_id]
            parts.append(
                (
                    domain_id,
                    tasks.digest.hexdigest() if tasks else "",
                    episodes.digest.hexdigest(),
                    _world_digest(ws, domain_id),
                )
            )
        stamp = fingerprint(
            {
                "settings": settings,
                "shards": count,
                "domains": parts,
                "verdict": Verdict.SCHEMA_VERSION,  # shard lines are merged as they are
            }
        )
        if shard_done(folder, index, stamp):
            finished.append(index)
            continue
        payload = FilterShard(
            str(ws.root),
            index,
            stamp,
            tuple(
                (
                    d,
                    tuple(tasks_by_domain[d].spans) if d in tasks_by_domain else (),
                    tuple(episodes_by_domain[d].spans),
                )
                for d in group
            ),
            config,
        )
        jobs.append(ShardJob(index, tuple(group), payload))
    episodes = {
        job.index: sum(len(episodes_by_domain[d].spans) for d in job.records) for job in jobs
    }
    total = sum(len(g.spans) for g in episodes_by_domain.values())
    if tracker is not None:
        tracker.plan(len(jobs) + len(finished), total)
        tracker.done(total - sum(episodes.values()), shards=len(finished))
    if advance is not None:
        advance(total - sum(episodes.values()))

    def done(job: ShardJob[FilterShard], _judged: int) -> None:
        if tracker is not None:
            tracker.done(episodes[job.index])
        if advance is not None:
            advance(episodes[job.index])

    del tasks_by_domain, episodes_by_domain
    jobs.sort(key=lambda job: (-episodes[job.index], job.index))  # the largest first: no long tail
    own = executor is None
    if executor is None:
        from agentscaler.execution.local import LocalExecutor

        executor = LocalExecutor(max(1, min(config.workers or os.cpu_count() or 1, len(jobs))))
    try:
        outcome = executor.map("filter", judge_shard, jobs, done)
    finally:
        if own:
            executor.close()
    if outcome.failures:
        if tracker is not None:
            tracker.failed(len(outcome.failures))
        return FilterResult(funnel_from_verdicts(()), shard_failures=outcome.failures)
    indices = sorted(finished + [job.index for job in jobs])
    for stale in folder.glob("*.json*"):
        if stale.stem.isdigit() and int(stale.stem) not in indices:
            stale.unlink()
    funnel = _merge_shards(ws, [folder / f"{i:05d}.jsonl" for i in indices])
    ws.mark_done(
        "filter",
        fingerprint=fingerprint(settings),
        settings=settings,
        summary={"episodes": funnel.episodes, "kept": funnel.kept},
    )
    return FilterResult(funnel=funnel)


def _merge_shards(ws: Workspace, files: list[Path]) -> Funnel:
    """Merge the sorted shard files into ``kept.jsonl`` and ``rejected.jsonl`` (sorted by task
    and episode), one verdict at a time; the funnel of all verdicts.

    The shard lines are canonical verdict lines written by the workers, each file vouched for by
    its shard marker (the hash of its content), so they are copied as they are: the parent only
    reads each line's key and the fields the funnel counts."""

    def read(path: Path) -> Iterator[tuple[tuple[str, str], str, dict[str, Any]]]:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                data = json.loads(line)
                yield (data["task_id"], data["episode_id"]), line, data

    merged = heapq.merge(*(read(p) for p in files), key=lambda item: item[0])
    with (
        atomic_writer(ws.filtered_dir / "kept.jsonl") as kept,
        atomic_writer(ws.filtered_dir / "rejected.jsonl") as rejected,
    ):

        def written() -> Iterator[Any]:
            for _, line, data in merged:
                (kept if data["kept"] else rejected).write(line)
                yield SimpleNamespace(**data)  # a verdict the worker validated, for the funnel

        funnel = funnel_from_verdicts(written())
    write_json(ws.filtered_dir / "funnel.json", funnel.to_json_dict())
    return funnel

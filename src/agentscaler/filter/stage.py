"""The filter stage over a run folder: a verdict for every episode, kept/rejected files, funnel.

Outputs (all rewritten atomically on each run, so a rerun is always consistent):

* ``filtered/kept.jsonl`` and ``filtered/rejected.jsonl``: :class:`~agentscaler.records.Verdict`
  records, sorted by (task, episode);
* ``filtered/funnel.json``: counts per stage, reason and domain (see :mod:`.funnel`).

Work is split by domain: each domain's episodes are judged by one process, which loads that
domain's world once and replays identical call sequences once (:data:`.alignment.ReplayCache`).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from agentscaler.episode_lines import parse_episode
from agentscaler.errors import RunFolderError, WorldError
from agentscaler.filter.config import FilterConfig
from agentscaler.filter.funnel import Funnel, funnel_from_verdicts
from agentscaler.filter.verify import tool_schemas, verify_episode
from agentscaler.jsonl import (
    iter_raw_lines,
    iter_records,
    parse_line,
    validate_record,
    write_json,
    write_records,
)
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
    verdicts: list[Verdict]
    funnel: Funnel

    @property
    def kept(self) -> int:
        return self.funnel.kept


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


def _lines_by_domain(paths: list[Path]) -> dict[str, list[Line]]:
    groups: dict[str, list[Line]] = defaultdict(list)
    for path in paths:
        for number, raw in iter_raw_lines(path):
            groups[_domain_of(path, number, raw)].append((str(path), number, raw))
    return groups


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


def _workers(config: FilterConfig, jobs: int) -> int:
    wanted = config.workers or os.cpu_count() or 1
    return max(1, min(wanted, jobs))


def run_filter(
    root: Path | str,
    config: FilterConfig | None = None,
    *,
    advance: Callable[[int], None] | None = None,
) -> FilterResult:
    """Judge every episode of the run folder ``root`` and write ``filtered/``."""
    config = config or FilterConfig()
    ws = Workspace(Path(root))
    with run_lock(ws.root):
        return _run_filter(ws, config, advance)


def _run_filter(
    ws: Workspace, config: FilterConfig, advance: Callable[[int], None] | None
) -> FilterResult:
    tasks_by_domain = _lines_by_domain([ws.require(ws.tasks, "tasks")])
    paths = ws.episode_files()
    if not paths:
        raise RunFolderError(
            f"{ws.episodes_dir} has no episodes. Run `agentscaler simulate {ws.root}` first."
        )
    episodes_by_domain = _lines_by_domain(paths)
    jobs = sorted(episodes_by_domain, key=lambda d: -len(episodes_by_domain[d]))
    workers = _workers(config, len(jobs))
    results: list[dict[str, Any]] = []

    def collect(domain_id: str, verdicts: list[dict[str, Any]]) -> None:
        results.extend(verdicts)
        if advance is not None:
            advance(len(episodes_by_domain[domain_id]))

    args = {
        d: (str(ws.root), d, tasks_by_domain.get(d, []), episodes_by_domain[d], config)
        for d in jobs
    }
    if workers == 1:
        for domain_id in jobs:
            collect(domain_id, judge_domain(*args[domain_id]))
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(judge_domain, *args[d]): d for d in jobs}
            for future in as_completed(futures):
                collect(futures[future], future.result())
    verdicts = [Verdict.model_validate(v) for v in results]
    verdicts.sort(key=lambda v: (v.task_id, v.episode_id))
    funnel = funnel_from_verdicts(verdicts)
    write_records(ws.filtered_dir / "kept.jsonl", (v for v in verdicts if v.kept))
    write_records(ws.filtered_dir / "rejected.jsonl", (v for v in verdicts if not v.kept))
    write_json(ws.filtered_dir / "funnel.json", funnel.to_json_dict())
    ws.mark_done(
        "filter",
        fingerprint=fingerprint(config.verdict_settings()),
        settings=config.verdict_settings(),
        summary={"episodes": funnel.episodes, "kept": funnel.kept},
    )
    return FilterResult(verdicts=verdicts, funnel=funnel)

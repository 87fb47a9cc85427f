"""The filter stage over a run folder: a verdict for every episode, kept/rejected files, funnel.

Outputs (all rewritten atomically on each run, so a rerun is always consistent):

* ``filtered/kept.jsonl`` and ``filtered/rejected.jsonl``: :class:`~agentscaler.records.Verdict`
  records, sorted by (task, trial);
* ``filtered/funnel.json``: counts per stage, reason and domain (see :mod:`.funnel`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from agentscaler.errors import RunFolderError
from agentscaler.filter.config import FilterConfig
from agentscaler.filter.funnel import Funnel, funnel_from_verdicts
from agentscaler.filter.verify import tool_schemas, verify_episode
from agentscaler.jsonl import iter_records, read_records, write_json, write_records
from agentscaler.records import Episode, Task, Verdict
from agentscaler.workspace import Workspace, fingerprint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FilterResult:
    verdicts: list[Verdict]
    funnel: Funnel

    @property
    def kept(self) -> int:
        return self.funnel.kept


def episode_files(ws: Workspace) -> list[Path]:
    return sorted(ws.episodes_dir.glob("*.jsonl")) if ws.episodes_dir.exists() else []


def iter_episodes(ws: Workspace) -> Iterator[Episode]:
    for path in episode_files(ws):
        yield from iter_records(path, Episode)


class _Worlds:
    """Loaded worlds, their tool schemas and initial states, cached for the whole run."""

    def __init__(self, ws: Workspace, max_states: int = 512) -> None:
        from agentscaler.worlds.loader import load_world

        self._load_world = load_world
        self.ws = ws
        self._worlds: dict[str, tuple] = {}
        self._states: OrderedDict[str, bytes] = OrderedDict()
        self._max_states = max_states

    def world(self, domain_id: str):
        hit = self._worlds.get(domain_id)
        if hit is None:
            world_dir = self.ws.require(self.ws.world_dir(domain_id), "worlds")
            world = self._load_world(world_dir)
            hit = self._worlds[domain_id] = (world, tool_schemas(world))
        return hit

    def state(self, state_hash: str) -> bytes:
        data = self._states.get(state_hash)
        if data is None:
            path = self.ws.state_file(state_hash)
            if not path.exists():
                raise RunFolderError(
                    f"{path} is missing: a task refers to an initial state that is not in the run "
                    "folder. Re-run `agentscaler tasks sample DIR`."
                )
            data = self._states[state_hash] = path.read_bytes()
            if len(self._states) > self._max_states:
                self._states.popitem(last=False)
        else:
            self._states.move_to_end(state_hash)
        return data


def run_filter(
    root: Path | str,
    config: FilterConfig | None = None,
    *,
    advance: Callable[[int], None] | None = None,
) -> FilterResult:
    """Judge every episode of the run folder ``root`` and write ``filtered/``."""
    config = config or FilterConfig()
    ws = Workspace(Path(root))
    tasks = {t.id: t for t in read_records(ws.require(ws.tasks, "tasks"), Task)}
    if not episode_files(ws):
        raise RunFolderError(
            f"{ws.episodes_dir} has no episodes. Run `agentscaler simulate {ws.root}` first."
        )
    worlds = _Worlds(ws)
    verdicts: list[Verdict] = []
    seen: set[tuple[str, int]] = set()
    for episode in iter_episodes(ws):
        if episode.key in seen:
            log.warning(
                "episode %s (task %s, trial %d) appears twice; judged once",
                episode.id,
                *episode.key,
            )
            continue
        seen.add(episode.key)
        task = tasks.get(episode.task_id)
        if task is None:
            raise RunFolderError(
                f"episode {episode.id} refers to task {episode.task_id!r}, which is not in "
                f"{ws.tasks}. The episodes belong to another task set: re-run "
                f"`agentscaler simulate {ws.root}` after moving {ws.episodes_dir} aside."
            )
        world, schemas = worlds.world(episode.domain_id)
        verdicts.append(
            verify_episode(episode, task, world, worlds.state(task.initial_state), config, schemas)
        )
        if advance is not None:
            advance(1)
    verdicts.sort(key=lambda v: (v.task_id, v.episode_id))
    funnel = funnel_from_verdicts(verdicts)
    write_records(ws.filtered_dir / "kept.jsonl", (v for v in verdicts if v.kept))
    write_records(ws.filtered_dir / "rejected.jsonl", (v for v in verdicts if not v.kept))
    write_json(ws.filtered_dir / "funnel.json", funnel.to_json_dict())
    ws.mark_done(
        "filter",
        fingerprint=fingerprint(config.model_dump(mode="json")),
        summary={"episodes": funnel.episodes, "kept": funnel.kept},
    )
    return FilterResult(verdicts=verdicts, funnel=funnel)

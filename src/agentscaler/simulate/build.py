"""The simulation stage: tasks of a run folder -> episodes under ``<run>/episodes/``.

``simulate(root, config)`` runs every (task, trial) not yet on disk and returns the run's
totals; ``open_simulation`` + ``run_simulation`` do the same in two steps (the CLI sizes its
progress bar in between). Resumable: a rerun after an interruption (even SIGKILL) runs only the
missing (task, trial) pairs. The stage is marked done when every planned episode is stored.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from agentscaler.errors import SimulationError
from agentscaler.execution.base import Executor as StageExecutor
from agentscaler.execution.shards import balance
from agentscaler.jsonl import iter_records
from agentscaler.records import Task
from agentscaler.runlock import run_lock
from agentscaler.simulate.config import SimulateConfig
from agentscaler.simulate.environment import WorldPool
from agentscaler.simulate.episode import EpisodeJob, episode_id, trial_seed
from agentscaler.simulate.executors import Executor, make_executor
from agentscaler.simulate.orchestrator import OnOutcome, ShardWork, preload
from agentscaler.simulate.storage import EpisodeStore, Key, keys_fingerprint
from agentscaler.simulate.summary import EpisodeOutcome, RunStats, outcome_of
from agentscaler.workspace import Workspace, fingerprint

log = logging.getLogger(__name__)

STAGE = "simulate"


@dataclass
class SimulationPlan:
    """What a run will do: its tasks, its store, the work left per shard, what is done."""

    workspace: Workspace
    config: SimulateConfig
    tasks: list[Task]
    store: EpisodeStore
    settings_fingerprint: str
    work: list[ShardWork]
    executor: Executor
    """Where the episodes run (see :func:`~agentscaler.simulate.executors.make_executor`)."""
    done: RunStats = field(default_factory=RunStats)
    pool: WorldPool | None = None
    """Worlds checked (and, when the episodes run in this process, loaded) while planning."""

    @property
    def pending(self) -> int:
        return sum(len(w.jobs) for w in self.work)

    @property
    def planned(self) -> int:
        return len(self.tasks) * self.config.trials


def load_tasks(path: Path, limit: int | None = None) -> list[Task]:
    """Tasks of ``path`` in file order (the first ``limit``), refusing duplicate ids."""
    tasks: list[Task] = []
    seen: set[str] = set()
    for task in iter_records(path, Task):
        if task.id in seen:
            raise SimulationError(
                f"{path}: task id {task.id!r} appears twice. Task ids must be unique; re-run "
                "`agentscaler tasks sample` or remove the duplicate line."
            )
        seen.add(task.id)
        tasks.append(task)
        if limit is not None and len(tasks) >= limit:
            break
    if not tasks:
        raise SimulationError(f"{path} holds no tasks. Run `agentscaler tasks sample` first.")
    return tasks


def domain_shards(tasks: list[Task], shards: int) -> dict[str, int]:
    """The episode shard of each domain: every episode of a domain in one shard (a worker loads
    each world once), domains spread so that shards hold about as many tasks each."""
    return balance(Counter(task.domain_id for task in tasks), shards)


def _plan(
    config: SimulateConfig, tasks: list[Task], store: EpisodeStore, fp: str
) -> tuple[list[ShardWork], RunStats]:
    by_id = {t.id: t for t in tasks}
    of_domain = domain_shards(tasks, store.shards)
    planned: dict[int, list[Key]] = defaultdict(list)
    for task in tasks:
        shard = of_domain[task.domain_id]
        for trial in range(config.trials):
            planned[shard].append((task.id, trial))
    wanted = {key for keys in planned.values() for key in keys}
    # a stored episode counts wherever it is (a store begun with other tasks shards otherwise)
    done_stats = RunStats()
    done: set[Key] = set()
    failed: dict[int, set[Key]] = defaultdict(set)
    for shard in store.stored_shards():
        for episode in store.episodes(shard):
            key = episode.key
            if key not in wanted or key in done:
                continue
            if config.retry_infrastructure and episode.termination.is_infrastructure:
                failed[shard].add(key)
                continue
            done.add(key)
            done_stats.add(outcome_of(episode, by_id[key[0]]), new=False)
    for shard, keys in sorted(failed.items()):
        keys -= done
        if keys:
            log.info("shard %d: running %d failed episodes again", shard, len(keys))
            store.drop(shard, keys)
    work: list[ShardWork] = []
    for shard in sorted(planned):
        keys = planned[shard]
        marker = keys_fingerprint(keys, fp)
        jobs = tuple(
            EpisodeJob(
                task=by_id[task_id],
                trial=trial,
                episode_id=episode_id(task_id, trial, fp),
                seed=trial_seed(config.seed, task_id, trial),
            )
            for task_id, trial in keys
            if (task_id, trial) not in done
        )
        if jobs or not store.shard_complete(shard, marker):
            work.append(ShardWork(shard=shard, jobs=jobs, marker=marker, total=len(keys)))
    return work, done_stats


@contextmanager
def open_simulation(
    root: Path,
    config: SimulateConfig,
    *,
    tasks_file: Path | None = None,
    executor: StageExecutor | None = None,
) -> Iterator[SimulationPlan]:
    """Lock the run's episode store and plan the work (tasks, worlds and states checked); the
    episodes run on ``executor``'s workers when it has several (see
    :func:`~agentscaler.simulate.executors.make_executor`)."""
    workspace = Workspace(root)
    workspace.require(workspace.root, "tasks")
    runner = make_executor(config, executor)
    with run_lock(workspace.root), closing(runner):
        path = Path(tasks_file) if tasks_file else workspace.require(workspace.tasks, "tasks")
        if not path.exists():
            raise SimulationError(f"tasks file {path} does not exist")
        tasks = load_tasks(path, config.limit)
        # episodes on workers load their worlds there: here only the ids are checked
        pool = preload(workspace, tasks, load=runner.loads_worlds)
        settings = config.policy_settings()
        fp = fingerprint(settings)
        store = EpisodeStore.open(workspace.episodes_dir, config.shards, settings, fp)
        with store.lock():
            work, done = _plan(config, tasks, store, fp)
            yield SimulationPlan(workspace, config, tasks, store, fp, work, runner, done, pool)


def run_simulation(plan: SimulationPlan, on_outcome: OnOutcome | None = None) -> RunStats:
    """Run the plan's pending episodes; return totals over every planned episode."""
    stats = plan.done
    started = time.perf_counter()

    def record(outcome: EpisodeOutcome) -> None:
        stats.add(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    if plan.work:
        plan.executor.run(plan.workspace, plan.config, plan.store, plan.work, record, plan.pool)
    stats.elapsed_s = time.perf_counter() - started
    if stats.episodes >= plan.planned:
        task_set = fingerprint(sorted(t.id for t in plan.tasks))
        plan.workspace.mark_done(
            STAGE,
            fingerprint=fingerprint(
                {
                    "settings": plan.settings_fingerprint,
                    "tasks": task_set,
                    "trials": plan.config.trials,
                }
            ),
            settings=plan.config.stage_settings(),
            summary=stats.as_dict(),
        )
    else:
        log.warning(
            "%d of %d planned episodes are stored; re-run to finish",
            stats.episodes,
            plan.planned,
        )
    return stats


def simulate(
    root: Path,
    config: SimulateConfig | None = None,
    *,
    tasks_file: Path | None = None,
    on_outcome: OnOutcome | None = None,
    executor: StageExecutor | None = None,
) -> RunStats:
    """Simulate every (task, trial) of a run folder not yet stored; return the run's totals."""
    config = config or SimulateConfig()
    with open_simulation(root, config, tasks_file=tasks_file, executor=executor) as plan:
        return run_simulation(plan, on_outcome)

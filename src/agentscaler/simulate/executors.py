"""Where episodes run: in this process, or shard by shard on a stage executor's workers.

With one worker every shard runs in this process, in one asyncio loop on the worlds loaded while
planning. With more (local worker processes, or Ray) each shard is one worker's call: it runs in
that worker's own asyncio loop, loads only its domains' worlds (a shard holds whole domains), and
writes its own shard file and completion marker, so a rerun continues shard by shard, and a shard
retried after its worker died runs only the episodes its file does not hold. Both write the same
files. Ray workers read the run folder from the same path, so on a multi-machine cluster it must
be on a shared filesystem.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from agentscaler.errors import MissingDependencyError, ShardsFailedError
from agentscaler.execution.base import Executor as StageExecutor
from agentscaler.execution.base import ShardJob
from agentscaler.simulate.config import SimulateConfig
from agentscaler.simulate.environment import WorldPool, domain_names
from agentscaler.simulate.orchestrator import OnOutcome, ShardWork, run_shards
from agentscaler.simulate.storage import EpisodeStore
from agentscaler.simulate.summary import EpisodeOutcome, outcome_of
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)

T = TypeVar("T")


class Executor(Protocol):
    loads_worlds: bool
    """True when episodes run in this process on the worlds loaded while planning."""

    def run(
        self,
        workspace: Workspace,
        config: SimulateConfig,
        store: EpisodeStore,
        work: Sequence[ShardWork],
        on_outcome: OnOutcome | None = None,
        pool: WorldPool | None = None,
    ) -> None: ...

    def close(self) -> None: ...


def run_loop(main: Coroutine[Any, Any, T], event_loop: str = "auto") -> T:
    """Run ``main`` on a new event loop: uvloop when asked or (``auto``) when installed."""
    if event_loop != "asyncio":
        try:
            import uvloop
        except ImportError as exc:
            if event_loop == "uvloop":
                main.close()
                raise MissingDependencyError(
                    "event_loop 'uvloop' needs uvloop: pip install uvloop"
                ) from exc
        else:
            return uvloop.run(main)
    return asyncio.run(main)


def shard_concurrency(config: SimulateConfig, processes: int) -> int:
    """Episodes in flight in each of ``processes`` worker processes: ``config.concurrency``
    shared among them (at least one each)."""
    return max(1, -(-config.concurrency // max(1, processes)))


def run_shard_task(
    payload: tuple[Workspace, SimulateConfig, EpisodeStore, ShardWork, dict],
) -> list[EpisodeOutcome]:
    """Body of one worker's shard: run its jobs not yet in its file (its domains' worlds loaded
    once, in this worker) and return the outcomes of all of them. A shard run again after its
    worker died finds the episodes the first attempt wrote and runs only the others."""
    workspace, config, store, work, names = payload
    by_key = {(job.task.id, job.trial): job for job in work.jobs}
    outcomes: list[EpisodeOutcome] = []
    for episode in list(store.episodes_of(work.shard, by_key)):
        job = by_key.pop(episode.key, None)
        if job is not None:  # a key written twice is counted once
            outcomes.append(outcome_of(episode, job.task))
    if len(by_key) < len(work.jobs):
        work = replace(work, jobs=tuple(by_key.values()))
    pool = WorldPool(workspace, names)
    main = run_shards(workspace, config, store, [work], outcomes.append, pool, full_collect=False)
    run_loop(main, config.event_loop)
    return outcomes


class InProcessExecutor:
    """Every shard in this process, on one event loop (the worlds loaded while planning)."""

    loads_worlds = True

    def run(
        self,
        workspace: Workspace,
        config: SimulateConfig,
        store: EpisodeStore,
        work: Sequence[ShardWork],
        on_outcome: OnOutcome | None = None,
        pool: WorldPool | None = None,
    ) -> None:
        run_loop(run_shards(workspace, config, store, work, on_outcome, pool), config.event_loop)

    def close(self) -> None:
        pass


class ShardExecutor:
    """Shards on the workers of a stage executor (local processes or Ray tasks): each shard
    writes its own file and completion marker in its worker; the outcomes come back as each
    shard ends. ``concurrency`` is shared among the workers."""

    loads_worlds = False

    def __init__(self, executor: StageExecutor, *, owned: bool = False) -> None:
        self.executor = executor
        self.owned = owned

    def run(
        self,
        workspace: Workspace,
        config: SimulateConfig,
        store: EpisodeStore,
        work: Sequence[ShardWork],
        on_outcome: OnOutcome | None = None,
        pool: WorldPool | None = None,
    ) -> None:
        names = pool.domain_names if pool is not None else domain_names(workspace)
        jobs: list[ShardJob[Any]] = []
        for w in work:
            if not w.jobs:
                store.mark_shard(w.shard, w.marker, w.total)
        running = [w for w in work if w.jobs]
        share = config.model_copy(
            update={
                "concurrency": shard_concurrency(config, min(self.executor.workers, len(running)))
            }
        )
        for w in running:
            domains = {job.task.domain_id for job in w.jobs}
            mine = {d: names[d] for d in sorted(domains) if d in names}
            records = tuple(job.episode_id for job in w.jobs)
            jobs.append(ShardJob(w.shard, records, (workspace, share, store, w, mine)))

        def done(_job: ShardJob[Any], outcomes: list[EpisodeOutcome]) -> None:
            if on_outcome is not None:
                for outcome in outcomes:
                    on_outcome(outcome)

        outcome = self.executor.map("simulate", run_shard_task, jobs, done)
        if outcome.failures:
            shown = "; ".join(f"shard {f.shard}: {f.error}" for f in outcome.failures[:3])
            raise ShardsFailedError(
                f"{len(outcome.failures)} episode shard(s) failed ({shown}). Their finished "
                "episodes are kept; re-run the same command to continue.",
                outcome.failures,
            )

    def close(self) -> None:
        if self.owned:
            self.executor.close()


def make_executor(config: SimulateConfig, executor: StageExecutor | None = None) -> Executor:
    """Where the episodes run: on ``executor``'s workers when it has more than one (or is Ray),
    otherwise in this process; with no ``executor``, on Ray when ``config`` says so."""
    if executor is None and config.executor == "ray":
        from agentscaler.execution.ray import RayExecutor

        return ShardExecutor(RayExecutor(config.ray_address), owned=True)
    if executor is not None and (executor.name == "ray" or executor.workers > 1):
        return ShardExecutor(executor)
    return InProcessExecutor()

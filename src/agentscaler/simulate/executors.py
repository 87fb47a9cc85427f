"""Where episodes run: in this process (``local``) or on a Ray cluster (``ray``).

Both executors take the same shard work and produce the same files: the local one runs every
shard in one asyncio loop on the worlds loaded while planning; the Ray one runs one Ray task per
shard (each its own asyncio loop with ``concurrency`` episodes in flight), writing its own shard
file and completion marker, so a rerun continues shard by shard. A shard holds whole domains, so
a Ray task loads only its own domains' worlds, each once. Ray workers read the run folder from
the same path, so on a multi-machine cluster it must be on a shared filesystem.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from typing import Any, Protocol, TypeVar

from agentscaler.errors import MissingDependencyError, SimulationError
from agentscaler.simulate.config import SimulateConfig
from agentscaler.simulate.environment import WorldPool, domain_names
from agentscaler.simulate.orchestrator import OnOutcome, ShardWork, run_shards
from agentscaler.simulate.storage import EpisodeStore
from agentscaler.simulate.summary import EpisodeOutcome
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)

T = TypeVar("T")


class Executor(Protocol):
    def run(
        self,
        workspace: Workspace,
        config: SimulateConfig,
        store: EpisodeStore,
        work: Sequence[ShardWork],
        on_outcome: OnOutcome | None = None,
        pool: WorldPool | None = None,
    ) -> None: ...


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


class LocalExecutor:
    """Every shard in this process, on one event loop."""

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


def run_shard_task(
    workspace: Workspace,
    config: SimulateConfig,
    store: EpisodeStore,
    work: ShardWork,
    names: dict[str, str],
) -> list[EpisodeOutcome]:
    """Body of one Ray task: run a shard's jobs (its domains' worlds loaded once, in this
    worker) and return their outcomes."""
    outcomes: list[EpisodeOutcome] = []
    pool = WorldPool(workspace, names)
    main = run_shards(workspace, config, store, [work], outcomes.append, pool, full_collect=False)
    run_loop(main, config.event_loop)
    return outcomes


class RayExecutor:
    """One Ray task per shard; joins ``address`` (or starts a local Ray) unless Ray is up."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address

    def run(
        self,
        workspace: Workspace,
        config: SimulateConfig,
        store: EpisodeStore,
        work: Sequence[ShardWork],
        on_outcome: OnOutcome | None = None,
        pool: WorldPool | None = None,
    ) -> None:
        from agentscaler.execution.ray import init_ray

        init_ray(self.address)  # a Ray started here lives until this process ends
        import ray

        remote = ray.remote(max_retries=0)(run_shard_task)
        names = pool.domain_names if pool is not None else domain_names(workspace)
        pending = {}
        for w in work:
            if w.jobs:
                domains = {job.task.domain_id for job in w.jobs}
                mine = {d: names[d] for d in domains if d in names}
                pending[remote.remote(workspace, config, store, w, mine)] = w.shard
            else:
                store.mark_shard(w.shard, w.marker, w.total)
        failures: list[str] = []
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                shard = pending.pop(ref)
                try:
                    outcomes = ray.get(ref)
                except Exception as exc:  # a failed Ray task: report after the others finish
                    log.error("shard %d failed on Ray: %s", shard, exc)
                    failures.append(f"shard {shard}: {str(exc).strip().splitlines()[-1]}")
                    continue
                if on_outcome is not None:
                    for outcome in outcomes:
                        on_outcome(outcome)
        if failures:
            raise SimulationError(
                f"{len(failures)} shard(s) failed on Ray ({'; '.join(failures[:3])}). Their "
                "finished episodes are kept; re-run the same command to continue."
            )


def make_executor(config: SimulateConfig) -> Executor:
    if config.executor == "ray":
        return RayExecutor(config.ray_address)
    return LocalExecutor()

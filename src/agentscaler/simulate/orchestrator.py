"""The asyncio orchestrator: many episodes in flight in one process, bounded concurrency.

``concurrency`` worker coroutines pull jobs from one iterator (memory stays flat for any number
of jobs), run each episode on its own world copy, append it to its shard as soon as it ends and
report its outcome. A shard's file is closed and its completion marker written when its last job
of the run ends. An exception that is not an episode outcome (a bug) stops the run; episodes
already written stay.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from agentscaler.llm import ChatClient, LLMConfig
from agentscaler.records import Task
from agentscaler.simulate.config import SimulateConfig
from agentscaler.simulate.environment import WorldPool, domain_names
from agentscaler.simulate.episode import EpisodeJob, EpisodeRunner
from agentscaler.simulate.policies import LLMAgent, LLMUser, OracleAgent, ScriptedUser
from agentscaler.simulate.policies.base import Agent, User
from agentscaler.simulate.storage import EpisodeStore
from agentscaler.simulate.summary import EpisodeOutcome, outcome_of
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)

OnOutcome = Callable[[EpisodeOutcome], None]
GC_THRESHOLD = 20_000
"""Allocations between young-generation collections while episodes run (Python's default: 700)."""


@dataclass(frozen=True)
class ShardWork:
    """The jobs of one shard still to run, and the marker to write when they are done."""

    shard: int
    jobs: tuple[EpisodeJob, ...]
    marker: str
    """Fingerprint of the shard's whole key set (see :func:`storage.keys_fingerprint`)."""
    total: int
    """Episodes the shard holds once complete (done before + these jobs)."""


@contextmanager
def _long_lived_heap(full_collect: bool = True) -> Iterator[None]:
    """Keep the cyclic garbage collector off what was loaded before the run (worlds, tasks,
    clients) and make it run less often: with hundreds of episodes in flight a full collection
    would otherwise rescan that whole heap again and again. ``full_collect=False`` collects only
    the young generations first: a worker that runs shard after shard (of this and earlier
    stages) would otherwise pay a full collection of its whole heap per shard."""
    threshold = gc.get_threshold()
    gc.collect(2 if full_collect else 1)
    gc.freeze()
    gc.set_threshold(max(threshold[0], GC_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _client(config: LLMConfig, simulation: SimulateConfig) -> ChatClient:
    update: dict[str, object] = {}
    # one request per episode is in flight at most: let the client carry them all
    if config.concurrency < simulation.concurrency:
        update["concurrency"] = simulation.concurrency
    return ChatClient(config.model_copy(update=update) if update else config)


def build_policies(config: SimulateConfig) -> tuple[Agent, User, list[ChatClient]]:
    """The agent and user of ``config`` and the LLM clients to close after the run."""
    clients: list[ChatClient] = []
    agent: Agent
    user: User
    if config.agent is None:
        agent = OracleAgent()
    else:
        client = _client(config.agent, config)
        clients.append(client)
        agent = LLMAgent(client)
    if config.user is None:
        user = ScriptedUser(config.stop_token)
    else:
        client = _client(config.user, config)
        clients.append(client)
        user = LLMUser(client, stop_token=config.stop_token, greeting=config.greeting)
    return agent, user, clients


async def run_shards(
    workspace: Workspace,
    config: SimulateConfig,
    store: EpisodeStore,
    work: Sequence[ShardWork],
    on_outcome: OnOutcome | None = None,
    pool: WorldPool | None = None,
    *,
    full_collect: bool = True,
) -> None:
    """Run every job of ``work`` with ``config.concurrency`` episodes in flight
    (``full_collect``: see :func:`_long_lived_heap`)."""
    pool = pool or WorldPool(workspace, domain_names(workspace))
    agent, user, clients = build_policies(config)
    runner = EpisodeRunner(pool, agent, user, config)
    remaining: Counter[int] = Counter({w.shard: len(w.jobs) for w in work})
    by_shard = {w.shard: w for w in work}
    jobs = iter([(w.shard, job) for w in work for job in w.jobs])
    try:
        with store.writer(fsync=config.fsync) as writer:
            for w in work:
                if not w.jobs:
                    store.mark_shard(w.shard, w.marker, w.total)

            async def worker() -> None:
                for shard, job in jobs:
                    episode = await runner.run(job)
                    writer.write(episode, shard)
                    if on_outcome is not None:
                        on_outcome(outcome_of(episode, job.task))
                    remaining[shard] -= 1
                    if remaining[shard] == 0:
                        writer.close(shard)
                        done = by_shard[shard]
                        store.mark_shard(shard, done.marker, done.total)

            total = sum(remaining.values())
            log.info(
                "simulating %d episodes in %d shards, up to %d in flight",
                total,
                len(work),
                config.concurrency,
            )
            with _long_lived_heap(full_collect):
                async with asyncio.TaskGroup() as group:
                    for _ in range(min(config.concurrency, total)):
                        group.create_task(worker())
    finally:
        for client in clients:
            await client.aclose()


def preload(workspace: Workspace, tasks: Sequence[Task], *, load: bool = True) -> WorldPool:
    """Check that every task's world and initial state exist and the world is the one the task
    was made on (fail before simulating); ``load`` loads the worlds into the returned pool (for
    episodes in this process), otherwise only their ids are read (workers load them)."""
    pool = WorldPool(workspace, domain_names(workspace))
    for task in tasks:
        pool.check_task(task, load=load)
    return pool

"""Initial states of tasks: seeded, referentially consistent databases, stored once by hash.

Each domain gets ``states_per_domain`` states. A state's rows come from the world's own seeding
(:func:`agentscaler.worlds.seeding.seed_state`: Faker guided by column meanings, foreign keys
pointing at existing rows, ids in the tools' format) with a per-state seed and per-table row
counts drawn around ``rows_per_table``, so states differ in size as well as content. A state is
written as ``states/<hash>.sqlite`` where ``<hash>`` is the world's canonical state hash; tasks
refer to it by that hash and several tasks share one state.
"""

from __future__ import annotations

import logging
import os
import random
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agentscaler.canonical import stable_seed
from agentscaler.errors import TaskError, WorldError
from agentscaler.jsonl import named
from agentscaler.records.world import World
from agentscaler.tasks.config import TaskConfig
from agentscaler.workspace import Workspace
from agentscaler.worlds.runtime.loader import CompiledWorld
from agentscaler.worlds.runtime.state import Snapshot, combine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InitialState:
    """One seeded initial state of a world."""

    hash: str
    """Canonical state hash (the file is ``states/<hash>.sqlite``)."""
    seed: int
    rows: Mapping[str, int] = field(default_factory=dict)
    """Rows per table."""
    snapshot: Snapshot = field(default_factory=lambda: Snapshot(b""), repr=False)

    @property
    def empty_tables(self) -> list[str]:
        return sorted(name for name, count in self.rows.items() if count == 0)


def state_seed(config: TaskConfig, domain_id: str, index: int) -> int:
    """The seed of the ``index``-th state of a domain (stable across runs and machines)."""
    return stable_seed("tasks/state", config.seed, domain_id, index) % (2**31)


def row_counts(world: World, seed: int, config: TaskConfig) -> dict[str, int]:
    """Rows per table for one state: drawn uniformly around ``rows_per_table``, times
    ``child_rows`` for tables whose rows refer to other tables."""
    rng = random.Random(stable_seed("tasks/rows", seed, world.id))
    names = {t.name for t in world.tables}
    counts = {}
    for table in sorted(world.tables, key=lambda t: t.name):
        child = any(c.references in names and c.references != table.name for c in table.columns)
        mean = config.rows_per_table * (config.child_rows if child else 1.0)
        low = round(mean * (1.0 - config.rows_spread))
        high = round(mean * (1.0 + config.rows_spread))
        count = rng.randint(low, high) if high > low else round(mean)
        counts[table.name] = max(count, 1) if config.rows_per_table > 0 else 0
    return counts


def make_state(compiled: CompiledWorld, seed: int, rows: Mapping[str, int]) -> InitialState:
    """Seed one state of ``compiled`` (deterministic for the world, seed and row counts)."""
    try:
        data, digests = compiled.seeded(seed, dict(rows) if rows else None)
    except WorldError as exc:
        raise TaskError(
            f"world {compiled.id} (domain {compiled.world.domain_id}) cannot seed an initial "
            f"state: {exc}. Rebuild it with `agentscaler worlds build DIR`."
        ) from exc
    return InitialState(
        hash=combine(digests), seed=seed, rows=dict(rows), snapshot=Snapshot(data, dict(digests))
    )


def make_states(compiled: CompiledWorld, config: TaskConfig) -> list[InitialState]:
    """The ``states_per_domain`` initial states of one world (distinct hashes, in seed order)."""
    domain_id = compiled.world.domain_id
    states: list[InitialState] = []
    seen: set[str] = set()
    for index in range(config.states_per_domain):
        seed = state_seed(config, domain_id, index)
        state = make_state(compiled, seed, row_counts(compiled.world, seed, config))
        if state.hash in seen:  # e.g. a world without tables has one state only
            continue
        seen.add(state.hash)
        states.append(state)
    empty = states[0].empty_tables if states else []
    if empty:
        log.info("domain %s: initial states have empty tables %s", domain_id, ", ".join(empty))
    return states


def save_state(workspace: Workspace, state: InitialState) -> Path:
    """Write ``states/<hash>.sqlite`` (atomically); an existing file with the same bytes is kept,
    a damaged one replaced."""
    path = workspace.state_file(state.hash)
    if path.is_file() and path.read_bytes() == state.snapshot.data:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(state.snapshot.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise named(exc, path) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

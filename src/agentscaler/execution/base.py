"""The executor interface: run one function over shard payloads, results back in the parent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

P = TypeVar("P")
R = TypeVar("R")


@dataclass(frozen=True)
class ShardJob(Generic[P]):
    """One shard of a stage: its index, the ids of its records and the worker's payload."""

    index: int
    records: tuple[str, ...]
    payload: P


@dataclass(frozen=True)
class ShardFailure:
    """A shard that could not be finished (its worker died on every attempt, or it raised)."""

    stage: str
    shard: int
    records: tuple[str, ...]
    error: str

    def to_json(self, shown: int = 20) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "shard": self.shard,
            "records": list(self.records[:shown]),
            "record_count": len(self.records),
            "error": self.error,
        }


OnDone = Callable[[ShardJob[Any], Any], None]


@dataclass
class MapOutcome:
    """What a map did: the shards that failed (empty when every shard finished)."""

    failures: list[ShardFailure] = field(default_factory=list)


class Executor(Protocol):
    """Runs ``fn(job.payload)`` for every job; ``on_done(job, result)`` runs in the caller's
    process as each finishes, in completion order (callers that write records order them by
    shard). ``fn`` must be a module-level function and payloads picklable."""

    name: str

    @property
    def workers(self) -> int: ...

    def map(
        self,
        stage: str,
        fn: Callable[[Any], Any],
        jobs: Sequence[ShardJob[Any]],
        on_done: OnDone | None = None,
    ) -> MapOutcome: ...

    def close(self) -> None: ...

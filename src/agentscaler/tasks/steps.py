"""`Step`: one executed call of a chain, with where its arguments came from.

A chain under construction is a list of steps; the finished chain becomes the task's gold calls.
Each step keeps the state hash before and after it, so walks can refuse a write that undoes the
previous one, and the list picks that fed later arguments, so intents can say which item of a
search result the user means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentscaler.records.task import ArgumentSource, GoldCall
from agentscaler.records.world import StateChange


@dataclass(frozen=True)
class Pick:
    """An argument taken from one item of a list in an earlier output."""

    step: int
    """Index of the earlier step."""
    list_path: str
    """Path of the list inside that step's output (``orders``; ``""`` for a top-level list)."""
    index: int
    size: int
    """Number of items in the list (1: nothing to tell apart)."""
    entity: str = ""
    """What an item is, in words (``customer order``)."""
    label: tuple[str, Any] | None = None
    """A field of the item whose value no other item of the list has: how the user tells the
    agent which item they mean (``("order_date", "2024-03-02")``)."""
    shared: bool = False
    """Every item of the list has the same value there (e.g. the customer of all their orders):
    nothing to tell apart."""


@dataclass(frozen=True)
class Step:
    """One successful call of a chain."""

    name: str
    kind: str
    operation: str
    table: str | None
    arguments: dict[str, Any]
    sources: dict[str, ArgumentSource]
    output: Any
    changes: tuple[StateChange, ...]
    before_hash: str
    after_hash: str
    picks: dict[str, Pick] = field(default_factory=dict)
    """Arguments fed from one item of a longer list, by argument name."""

    @property
    def linked(self) -> bool:
        """True when some argument came from an earlier output."""
        return any(s.kind == "output" for s in self.sources.values())

    def gold_call(self) -> GoldCall:
        return GoldCall(
            name=self.name,
            arguments=self.arguments,
            kind=self.kind,  # type: ignore[arg-type]
            output=self.output,
            sources=self.sources,
            changes=self.changes,
        )

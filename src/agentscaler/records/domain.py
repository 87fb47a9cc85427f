"""`Domain`: a community of related tools found in the tool graph (output of domain discovery)."""

from __future__ import annotations

from typing import ClassVar, Literal

from agentscaler.records.base import Record


class DomainMember(Record):
    tool_id: str
    name: str
    kind: Literal["read", "write"]


class DependencyEdge(Record):
    """A directed edge for walks: calling ``source`` can feed or must precede ``target``."""

    source: str
    target: str
    kind: Literal["output_input", "read_before_write"]
    via: tuple[str, ...] = ()
    """Fields carried along the edge (``output_field->parameter``) or the shared entity."""
    score: float = 1.0
    confirmed_by_llm: bool | None = None
    """None when no LLM pass ran; True/False when an LLM confirmed or rejected the edge."""


class DomainStats(Record):
    size: int
    reads: int
    writes: int
    internal_similarity_edges: int
    dependency_edges: int
    mean_similarity: float


class Domain(Record):
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    id: str
    """Stable, filesystem-safe id, e.g. ``d0007-order-refund``."""
    name: str
    """Readable name from the domain's dominant terms."""
    terms: tuple[str, ...] = ()
    members: tuple[DomainMember, ...]
    edges: tuple[DependencyEdge, ...] = ()
    stats: DomainStats

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)

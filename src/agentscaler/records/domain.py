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
    """True when an LLM confirmed the edge; None when no LLM pass ran or its answer was unclear.
    Edges an LLM rejected are dropped (counted in ``DomainStats.rejected_edges``)."""


class DomainStats(Record):
    size: int
    reads: int
    writes: int
    internal_similarity_edges: int
    dependency_edges: int
    mean_similarity: float
    """Mean cosine of the similarity edges inside the domain (0 when it has none)."""
    rejected_edges: int = 0
    """Candidate dependency edges an LLM rejected (not in ``Domain.edges``)."""


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

"""Merging duplicates into one ToolSpec per tool, keeping every provenance.

* **Exact**: variants with the same id (same normalized name, description, parameters and
  returns) are one tool.
* **Near**: tools with the same name and the same set of parameter names are one tool; the
  surviving variant is the one with the longest description (ties: the smallest id), so the
  choice does not depend on reading order. Provenance of the other variants records their id in
  ``variant_id``.

Tools come out in the order their first variant was read; provenance in reading order; tags are
the survivor's followed by the others' (each once); the service is the first one found in reading
order (a tool read loose and in a service belongs to the service).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from agentscaler.ingest.build import Variant
from agentscaler.records.tool import Provenance, ToolSpec


@dataclass(frozen=True)
class MergeResult:
    tools: list[ToolSpec]
    origins: list[frozenset[str]]
    """For each tool, the sources (as given) its variants came from."""
    exact_merged: int
    near_merged: int


def near_key(name: str, parameter_names: Iterable[str]) -> tuple[str, frozenset[str]]:
    """Tools with the same key are near duplicates."""
    return name, frozenset(parameter_names)


def merge_variants(variants: list[Variant], *, near: bool = True) -> MergeResult:
    by_id: dict[str, list[Variant]] = {}
    for variant in variants:
        by_id.setdefault(variant.id, []).append(variant)
    groups: dict[object, list[str]] = {}
    for tool_id, same in by_id.items():
        first = same[0]
        key = near_key(first.name, first.parameters["properties"]) if near else tool_id
        groups.setdefault(key, []).append(tool_id)
    tools: list[ToolSpec] = []
    origins: list[frozenset[str]] = []
    for ids in groups.values():
        survivor_id = min(ids, key=lambda i: (-len(by_id[i][0].description), i))
        survivor = by_id[survivor_id][0]
        ordered: list[tuple[int, Provenance]] = []
        tags: dict[str, None] = dict.fromkeys(survivor.tags)
        sources: set[str] = set()
        services: list[tuple[int, str]] = []
        for tool_id in ids:
            for variant in by_id[tool_id]:
                sources.add(variant.origin)
                if variant.service is not None:
                    services.append((variant.seq, variant.service))
                tags.update(dict.fromkeys(variant.tags))
                for provenance in variant.provenance:
                    if tool_id != survivor_id and provenance.variant_id is None:
                        provenance = provenance.model_copy(update={"variant_id": tool_id})
                    ordered.append((variant.seq, provenance))
        ordered.sort(key=lambda pair: pair[0])
        tools.append(
            ToolSpec(
                id=survivor.id,
                name=survivor.name,
                description=survivor.description,
                parameters=survivor.parameters,
                returns=survivor.returns,
                provenance=tuple(p for _, p in ordered),
                tags=tuple(tags),
                service=min(services)[1] if services else None,
            )
        )
        origins.append(frozenset(sources))
    return MergeResult(
        tools=tools,
        origins=origins,
        exact_merged=len(variants) - len(by_id),
        near_merged=len(by_id) - len(groups),
    )

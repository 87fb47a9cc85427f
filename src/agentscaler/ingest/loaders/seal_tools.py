"""Seal-Tools ``tool.jsonl``.

Each record: ``api_name``, ``api_description``, ``parameters`` (a bare map of parameter name to
schema, with types ``str``/``int``/``float``/``bool``/``list``/``dict``), ``required`` (names),
``responses`` (a bare map of returned fields: the returns) and ``field`` (the subject area, kept
as a ``category:`` tag). The dataset's other files (``field.jsonl``, ``dev.jsonl``, test sets)
hold no tools and are skipped by the import.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agentscaler.ingest.config import IngestConfig
from agentscaler.ingest.loaders.base import Item, RawTool, items_of, not_a_tool
from agentscaler.ingest.reading import Document

_EXPECTED = 'a Seal-Tools tool ({"api_name", "api_description", "parameters", ...})'


def load(document: Document, config: IngestConfig) -> Iterator[Item]:
    for index, pointer, value in items_of(document, ("tools",)):
        yield _tool(document, index, pointer, value)


def _tool(document: Document, index: int | None, pointer: str, value: Any) -> Item:
    if not isinstance(value, dict) or "api_name" not in value:
        return not_a_tool(document, index, pointer, value, _EXPECTED)
    field = value.get("field")
    return RawTool(
        source=document.source,
        index=index,
        pointer=pointer,
        dialect="seal-tools",
        name=value.get("api_name"),
        description=value.get("api_description"),
        parameters={} if value.get("parameters") is None else value["parameters"],
        returns=value.get("responses"),
        name_field="/api_name",
        description_field="/api_description",
        parameters_field="/parameters",
        returns_field="/responses",
        properties_map=True,
        required=value.get("required", []),
        required_field="/required",
        tags=(f"category:{field.strip()}",) if isinstance(field, str) and field.strip() else (),
    )


def looks_like(value: Any) -> bool:
    return isinstance(value, dict) and "api_name" in value

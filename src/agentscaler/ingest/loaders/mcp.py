"""MCP ``tools/list`` results.

Accepted shapes: the JSON-RPC response (``{"jsonrpc": "2.0", "result": {"tools": [...]}}``),
its ``result`` (``{"tools": [...]}``), a bare list of MCP tools, or JSON Lines of tools. Each tool
has ``name``, ``description`` (``title`` when it has none), ``inputSchema`` and optionally
``outputSchema`` (its returns). ``annotations.readOnlyHint`` becomes a ``kind:read`` or
``kind:write`` tag. The file is one service (``mcp:<file>``): one server's tool list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agentscaler.ingest.config import IngestConfig
from agentscaler.ingest.loaders.base import Item, RawTool, items_of, not_a_tool
from agentscaler.ingest.reading import Document
from agentscaler.ingest.services import file_service

_EXPECTED = 'an MCP tool ({"name", "description", "inputSchema"})'


def load(document: Document, config: IngestConfig) -> Iterator[Item]:
    base = ""
    if document.kind != "jsonl" and isinstance(document.value, dict):
        result = document.value.get("result")
        if isinstance(result, dict) and isinstance(result.get("tools"), list):
            base = "/result"
            document = _with_value(document, result)
    service = file_service("mcp", document.source)
    for index, pointer, value in items_of(document, ("tools",)):
        yield _tool(document, index, base + pointer, value, service)


def _with_value(document: Document, value: Any) -> Document:
    return Document(document.source, document.kind, value=value)


def _tool(document: Document, index: int | None, pointer: str, value: Any, service: str) -> Item:
    if not isinstance(value, dict) or "name" not in value:
        return not_a_tool(document, index, pointer, value, _EXPECTED)
    description = value.get("description")
    description_field = "/description"
    if description is None and isinstance(value.get("title"), str):
        description, description_field = value["title"], "/title"
    tags: tuple[str, ...] = ()
    annotations = value.get("annotations")
    if isinstance(annotations, dict) and isinstance(annotations.get("readOnlyHint"), bool):
        tags = ("kind:read",) if annotations["readOnlyHint"] else ("kind:write",)
    return RawTool(
        source=document.source,
        index=index,
        pointer=pointer,
        dialect="mcp",
        name=value.get("name"),
        description=description,
        parameters=value.get("inputSchema"),
        returns=value.get("outputSchema"),
        description_field=description_field,
        parameters_field="/inputSchema",
        returns_field="/outputSchema",
        tags=tags,
        service=service,
    )


def looks_like(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("name"), str) and "inputSchema" in value

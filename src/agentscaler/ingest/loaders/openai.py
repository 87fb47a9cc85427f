"""OpenAI tool lists.

Accepted shapes: a list of ``{"type": "function", "function": {...}}``; bare function objects
(``{"name", "description", "parameters"}``); the flat Responses-API form
(``{"type": "function", "name": ..., "parameters": ...}``); an object with a ``tools`` (or
legacy ``functions``) list; or JSON Lines of any of these. The file is one service
(``openai:<file>``).

A function object may carry a ``returns`` key with a JSON Schema of the result. It is not part
of the OpenAI API; agentscaler writes it on export (``agentscaler tools export``) and reads it
back here, so a pool survives the round trip with its return schemas (and its tool ids).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agentscaler.ingest.config import IngestConfig
from agentscaler.ingest.loaders.base import Item, RawTool, items_of, not_a_tool, reject
from agentscaler.ingest.reading import Document
from agentscaler.ingest.rejects import RejectReason
from agentscaler.ingest.services import file_service

_EXPECTED = 'an OpenAI tool ({"type": "function", "function": {...}}) or a function object'


def load(document: Document, config: IngestConfig) -> Iterator[Item]:
    service = file_service("openai", document.source)
    for index, pointer, value in items_of(document, ("tools", "functions")):
        yield tool_from(document, index, pointer, value, "openai", service=service)


def tool_from(
    document: Document,
    index: int | None,
    pointer: str,
    value: Any,
    dialect: Any,
    *,
    service: str | None = None,
) -> Item:
    """A RawTool from one OpenAI tool or function object (also used by other loaders)."""
    if not isinstance(value, dict):
        return not_a_tool(document, index, pointer, value, _EXPECTED)
    function, base = value, ""
    kind = value.get("type")
    if kind == "function" and isinstance(value.get("function"), dict):
        function, base = value["function"], "/function"
    elif kind not in (None, "function"):
        return reject(
            document,
            index,
            pointer,
            RejectReason.NOT_A_TOOL,
            f"only function tools can be imported, this tool has type {kind!r}",
            field="/type",
            tool=value.get("name"),
        )
    if "name" not in function:
        return not_a_tool(document, index, pointer, value, _EXPECTED)
    return RawTool(
        source=document.source,
        index=index,
        pointer=pointer,
        dialect=dialect,
        name=function.get("name"),
        description=function.get("description"),
        parameters=function.get("parameters"),
        returns=function.get("returns"),
        name_field=base + "/name",
        description_field=base + "/description",
        parameters_field=base + "/parameters",
        returns_field=base + "/returns",
        service=service,
    )


def looks_like(value: Any) -> bool:
    """True for one OpenAI tool or function object."""
    if not isinstance(value, dict):
        return False
    if value.get("type") == "function":
        return isinstance(value.get("function"), dict) or "name" in value
    return isinstance(value.get("name"), str) and ("parameters" in value or "description" in value)

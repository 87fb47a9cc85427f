"""Recognizing the dialect of a parsed catalog file from its content (and, to break ties, its name).

:func:`detect_format` returns the format, or None with the reason the file holds no tools
(gold answers, task or query files, unrelated JSON): such files are skipped, not rejected.
"""

from __future__ import annotations

import re
from typing import Any

from agentscaler.ingest.config import SourceFormat
from agentscaler.ingest.loaders import mcp, openai, seal_tools
from agentscaler.ingest.reading import Document
from agentscaler.ingest.type_names import JSON_TYPES

_ACEBENCH_NAME = re.compile(r"(^|/)data_(normal|special|agent)_[^/]*$")
_BFCL_NAME = re.compile(r"(^|/)(BFCL_[^/]*|multi_turn_func_doc/[^/]*)$")


def detect_format(document: Document, sample: int = 20) -> tuple[SourceFormat | None, str]:
    """``(format, why)``: the dialect of ``document``, or None and why it holds no tools."""
    value = document.value
    if document.kind != "jsonl" and isinstance(value, dict):
        found = _detect_object(value)
        if found is not None:
            return found
        records: list[Any] = [value]
    elif document.kind == "jsonl":
        records = [v for _, v in document.lines[:sample]]
    elif isinstance(value, list):
        records = value[:sample]
    else:
        return None, f"the file holds {_kind(value)}, not tool schemas"
    dicts = [r for r in records if isinstance(r, dict)]
    if not dicts:
        return None, "no JSON objects found, so no tool schemas"
    return _detect_records(dicts, document.source)


def _detect_object(value: dict[str, Any]) -> tuple[SourceFormat | None, str] | None:
    if "openapi" in value and isinstance(value.get("paths"), dict):
        return SourceFormat.OPENAPI, "an OpenAPI document"
    if "swagger" in value:
        return None, "a Swagger 2.0 document; convert it to OpenAPI 3 first"
    result = value.get("result")
    if isinstance(result, dict) and isinstance(result.get("tools"), list):
        return SourceFormat.MCP, "an MCP tools/list response"
    for key in ("tools", "functions"):
        items = value.get(key)
        if isinstance(items, list) and items:
            if any(mcp.looks_like(i) for i in items[:20]):
                return SourceFormat.MCP, "an MCP tools/list result"
            if any(_is_pool_record(i) for i in items[:20]):
                return SourceFormat.POOL, "a tool pool"
            if any(seal_tools.looks_like(i) for i in items[:20]):
                return SourceFormat.SEAL_TOOLS, "Seal-Tools tools"
            return SourceFormat.OPENAI, "an OpenAI tools list"
    return None


def _detect_records(records: list[dict[str, Any]], source: str) -> tuple[SourceFormat | None, str]:
    def share(test: Any) -> float:
        return sum(1 for r in records if test(r)) / len(records)

    if share(_is_pool_record) >= 0.5:
        return SourceFormat.POOL, "ToolSpec records"
    if share(seal_tools.looks_like) >= 0.5:
        return SourceFormat.SEAL_TOOLS, "Seal-Tools tool records"
    if share(lambda r: isinstance(r.get("function"), list)) >= 0.5:
        if _ACEBENCH_NAME.search(source) or share(_acebench_record) >= 0.5:
            return SourceFormat.ACEBENCH, "ACEBench records with function lists"
        return SourceFormat.BFCL, "BFCL records with function lists"
    if share(mcp.looks_like) >= 0.5:
        return SourceFormat.MCP, "MCP tools"
    if share(openai.looks_like) >= 0.5:
        if _BFCL_NAME.search(source) or share(_bfcl_function) >= 0.5:
            return SourceFormat.BFCL, "BFCL function documents"
        return SourceFormat.OPENAI, "OpenAI tools"
    if share(lambda r: "question" in r or "query" in r or "initial_config" in r) >= 0.5:
        return None, "task or query records without tool schemas (a benchmark's test data)"
    if share(lambda r: "api" in r or "calling" in r or "ground_truth" in r) >= 0.5:
        return None, "gold answers, not tool schemas"
    return None, "no records look like tools in any known format (use --format to force one)"


def _is_pool_record(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and "schema_version" in record
        and "id" in record
        and "parameters" in record
    )


def _acebench_record(record: dict[str, Any]) -> bool:
    if isinstance(record.get("question"), str):
        return True
    functions = record.get("function")
    return isinstance(functions, list) and any(
        isinstance(f, dict) and "arguments" in f for f in functions
    )


def _bfcl_function(record: dict[str, Any]) -> bool:
    """A bare function object written in BFCL's dialect (``response``, or non-JSON type names)."""
    if "response" in record:
        return True
    parameters = record.get("parameters")
    return isinstance(parameters, dict) and parameters.get("type") not in (*JSON_TYPES, None)


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "plain text"
    return "a single " + type(value).__name__

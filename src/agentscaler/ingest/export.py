"""Reading and writing pools: ``tools.jsonl`` (+ its rejects file) and the OpenAI export."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agentscaler.errors import RunFolderError
from agentscaler.ingest.rejects import Reject, write_rejects
from agentscaler.jsonl import read_records, write_records, write_text_atomic
from agentscaler.records.tool import ToolSpec
from agentscaler.workspace import rejects_path


def write_pool(path: Path, tools: Iterable[ToolSpec], rejects: Iterable[Reject]) -> Path:
    """Write ``tools`` to ``path`` and the rejects beside it (``pool.rejects.jsonl``)."""
    path = Path(path)
    write_records(path, tools)
    beside = rejects_path(path)
    write_rejects(beside, list(rejects))
    return beside


def load_pool(path: Path | str) -> list[ToolSpec]:
    """The tools of a pool file written by ``agentscaler tools import``."""
    path = Path(path)
    if not path.is_file():
        raise RunFolderError(
            f"{path}: no such tool pool; create it with `agentscaler tools import SOURCE... "
            f"--out {path}`"
        )
    return read_records(path, ToolSpec)


def openai_function(tool: ToolSpec) -> dict[str, Any]:
    """The tool as an OpenAI tool object, with its return schema under ``function.returns``."""
    function: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "parameters": tool.parameters,
    }
    if tool.returns is not None:
        function["returns"] = tool.returns
    return {"type": "function", "function": function}


def export_openai(tools: Iterable[ToolSpec], path: Path | str) -> int:
    """Write ``tools`` as an OpenAI ``tools`` list (JSON, one tool per line); return the count.

    ``returns`` is not part of the OpenAI API: agentscaler's OpenAI loader reads it back, so
    ``agentscaler tools import`` of this file gives the same tool ids. Strip it before sending
    the list to a server that refuses unknown keys (``ToolSpec.openai_tool()`` has none).
    """
    lines = [json.dumps(openai_function(t), ensure_ascii=False, allow_nan=False) for t in tools]
    body = "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n"
    write_text_atomic(Path(path), body)
    return len(lines)

"""Records: frozen, extra fields refused, stable content hashes, schema versions enforced."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from agentscaler.errors import CorruptRecordError, SchemaVersionError
from agentscaler.jsonl import (
    JsonlAppender,
    iter_json_lines,
    read_records,
    repair_tail,
    write_records,
)
from agentscaler.records import Message, Provenance, ToolCall, ToolCallFunction, ToolSpec


def _tool(name: str = "get_order", description: str = "Get an order.") -> ToolSpec:
    return ToolSpec.create(
        name=name,
        description=description,
        parameters={
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
        provenance=(Provenance(source="x.json", index=3, dialect="openai", original_name=name),),
    )


def test_tool_id_depends_on_content_not_provenance():
    a = _tool()
    b = ToolSpec.create(
        name=a.name, description=a.description, parameters=dict(a.parameters), provenance=()
    )
    assert a.id == b.id
    assert _tool(description="Get one order.").id != a.id


def test_tool_id_ignores_key_order():
    params = {"type": "object", "required": ["x"], "properties": {"x": {"type": "string"}}}
    reordered = {"properties": {"x": {"type": "string"}}, "required": ["x"], "type": "object"}
    assert ToolSpec.compute_id("t", "d", params, None) == ToolSpec.compute_id(
        "t", "d", reordered, None
    )


def test_records_are_frozen_and_forbid_extra_fields():
    tool = _tool()
    with pytest.raises(ValidationError):
        tool.name = "other"  # type: ignore[misc]
    data = tool.to_json_dict() | {"metadata": {}}
    with pytest.raises(ValidationError):
        ToolSpec.model_validate(data)


def test_invalid_openai_name_refused():
    with pytest.raises(ValidationError):
        _tool(name="bad name with spaces")


def test_schema_version_mismatch_is_refused_clearly(tmp_path):
    path = tmp_path / "tools.jsonl"
    data = _tool().to_json_dict() | {"schema_version": 99}
    path.write_text(json.dumps(data) + "\n")
    with pytest.raises(SchemaVersionError, match=r"tools.jsonl:1.*schema_version 99"):
        read_records(path, ToolSpec)


def test_corrupt_line_names_file_and_line(tmp_path):
    path = tmp_path / "tools.jsonl"
    write_records(path, [_tool()])
    with path.open("a") as fh:
        fh.write("{not json}\n")
        fh.write(_tool("other").canonical_json() + "\n")
    with pytest.raises(CorruptRecordError, match=r"tools.jsonl:2"):
        read_records(path, ToolSpec)


def test_invalid_record_names_field(tmp_path):
    path = tmp_path / "tools.jsonl"
    data = _tool().to_json_dict()
    del data["description"]
    path.write_text(json.dumps(data) + "\n")
    with pytest.raises(CorruptRecordError, match="description"):
        read_records(path, ToolSpec)


def test_truncated_tail_is_skipped_and_moved_aside_not_lost(tmp_path):
    path = tmp_path / "eps.jsonl"
    write_records(path, [_tool("a"), _tool("b")])
    with path.open("a") as fh:
        fh.write('{"partial": tr')
    assert [n for n, _ in iter_json_lines(path)] == [1, 2]
    moved = repair_tail(path)
    assert moved == len('{"partial": tr')
    assert (tmp_path / "eps.jsonl.partial").read_text() == '{"partial": tr\n'
    with JsonlAppender(path) as out:
        out.append(_tool("c"))
    assert [t.name for t in read_records(path, ToolSpec)] == ["a", "b", "c"]


def test_message_openai_dump_drops_nulls():
    msg = Message(
        role="assistant",
        tool_calls=(
            ToolCall(
                id="c1", function=ToolCallFunction(name="get_order", arguments='{"order_id":"1"}')
            ),
        ),
    )
    assert msg.openai() == {
        "role": "assistant",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "get_order", "arguments": '{"order_id":"1"}'},
            }
        ],
    }

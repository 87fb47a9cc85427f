"""Import rejects records, not files: fuzzed catalogs where every record is kept or rejected
with its own reason (2,000 records with timings: ``bench/faults.py``)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from agentscaler.ingest import import_sources
from agentscaler.ingest.config import IngestConfig
from agentscaler.ingest.rejects import RejectReason

sys.path.insert(0, str(Path(__file__).parent))
from fuzz import account, fuzzed_catalog

KEPT = {"valid", "exact copy", "lone surrogate name"}
REASONS = {
    "missing name": {RejectReason.NOT_A_TOOL},
    "name not text": {RejectReason.MISSING_NAME},
    "description not text": {RejectReason.INVALID_FIELD},
    "huge description": {RejectReason.TOO_LARGE},
    "5,000 parameters": {RejectReason.TOO_LARGE},
    "nested 40 levels": {RejectReason.TOO_COMPLEX},
    # in JSON Lines the line itself is not JSON (NaN, absurd nesting): the line is the record
    "nested 3,000 levels": {RejectReason.TOO_COMPLEX, RejectReason.UNPARSEABLE_LINE},
    "NaN default": {RejectReason.INVALID_FIELD, RejectReason.UNPARSEABLE_LINE},
    "unknown type": {RejectReason.UNKNOWN_TYPE},
    "unresolved $ref": {RejectReason.UNRESOLVED_REF},
    "parameters not an object": {RejectReason.INVALID_FIELD},
    "enum not a list": {RejectReason.INVALID_FIELD},
    "not a tool": {RejectReason.NOT_A_TOOL},
    "non-function type": {RejectReason.NOT_A_TOOL},
}


def test_every_fuzzed_record_is_kept_or_rejected_with_its_own_reason(tmp_path):
    planned = fuzzed_catalog(tmp_path / "catalog", 500, seed=7)
    result = import_sources([str(tmp_path / "catalog")])
    books = account(result, planned)
    assert books["whole_files"] == [], "no file was rejected as a whole"
    assert books["lost"] == [] and books["both"] == [] and books["twice"] == []
    assert len(books["kept"]) + len(books["rejected"]) == len(planned) == 500
    for key in books["kept"]:
        assert planned[key] in KEPT, f"{key} ({planned[key]}) should have been rejected"
    for key, (reject,) in books["rejected"].items():
        mutation = planned[key]
        assert reject.reason in REASONS[mutation], (key, mutation, reject)
        assert reject.message
    seen = Counter(planned.values())
    assert all(seen[m] for m in ("valid", "NaN default", "nested 3,000 levels", "huge description"))


def test_a_bad_record_in_a_json_array_costs_only_itself(tmp_path):
    good = [
        {"type": "function", "function": {"name": f"good_{i}", "parameters": {}}} for i in range(3)
    ]
    text = json.dumps(good)[:-1]
    text += ', {"type": "function", "function": {"name": "deep", "parameters": '
    text += '{"type": "object", "properties": {"x": ' + "[" * 5000 + "]" * 5000 + "}}}}"
    text += ', {"type": "function", "function": {"name": "nan", "parameters": '
    text += '{"type": "object", "properties": {"v": {"type": "number", "default": NaN}}}}}]'
    path = tmp_path / "tools.json"
    path.write_text(text)
    result = import_sources([str(path)])
    assert sorted(t.name for t in result.tools) == ["good_0", "good_1", "good_2"]
    deep, nan = result.rejects
    assert (deep.index, deep.reason, deep.tool) == (3, RejectReason.TOO_COMPLEX, "deep")
    assert deep.field.startswith("/function/parameters/properties/x/0/0")
    assert "nested more than" in deep.message
    assert (nan.index, nan.reason, nan.field) == (
        4,
        RejectReason.INVALID_FIELD,
        "/function/parameters/properties/v/default",
    )
    assert "nan" in nan.message


def test_size_limits_are_documented_settings_and_named_in_rejects(tmp_path):
    tools = [
        {"name": "wordy", "description": "x" * 20_001, "parameters": {}},
        {
            "name": "wide",
            "parameters": {
                "type": "object",
                "properties": {f"p{i}": {"type": "string"} for i in range(300)},
            },
        },
        {"name": "fine", "description": "x" * 9_000, "parameters": {}},
    ]
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(tools))
    result = import_sources([str(path)])
    assert [t.name for t in result.tools] == ["fine"]
    wordy, wide = result.rejects
    assert wordy.reason == wide.reason == RejectReason.TOO_LARGE
    assert "max_description_chars" in wordy.message and "20,001 characters" in wordy.message
    assert "max_parameters" in wide.message and "300 parameters" in wide.message
    relaxed = IngestConfig(max_description_chars=30_000, max_parameters=400)
    assert len(import_sources([str(path)], config=relaxed).tools) == 3

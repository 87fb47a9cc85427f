"""Files, directories and globs; skipped files; unreadable files; bad lines; --format forcing."""

from __future__ import annotations

import json

from agentscaler.ingest import import_sources
from agentscaler.ingest.rejects import RejectReason


def names(result):
    return sorted(t.name for t in result.tools)


def test_directories_are_read_recursively_and_non_tool_files_skipped(write, make_tool, tmp_path):
    write("cat/a.json", [make_tool("tool_a", x=None)])
    write("cat/nested/deeper/b.jsonl", [make_tool("tool_b", y=None)])
    write("cat/README.md", "# not tools\n")
    write("cat/LICENSE", "Apache-2.0\n")
    write(
        "cat/possible_answer/answers.json",
        [{"id": "1", "ground_truth": [{"tool_a": {"x": ["1"]}}]}],
    )
    write("cat/dev.jsonl", [{"id": "dev-0", "query": "do it", "calling": [{"api": "tool_a"}]}])
    write("cat/field.jsonl", [{"Sports": ["Tennis", "Golf"]}])
    write("cat/.hidden/c.json", [make_tool("hidden_tool", z=None)])

    result = import_sources([str(tmp_path / "cat")])

    assert names(result) == ["tool_a", "tool_b"]
    skipped = {s.source.rsplit("/", 1)[-1]: s.reason for s in result.summary.skipped}
    assert set(skipped) == {"README.md", "LICENSE", "answers.json", "dev.jsonl", "field.jsonl"}
    assert "gold answers" in skipped["answers.json"]
    assert "query" in skipped["dev.jsonl"]
    assert result.rejects == []
    [source] = result.summary.sources
    assert (source.files, source.skipped, source.records, source.tools) == (2, 5, 2, 2)
    assert result.tools[1].provenance[0].source == str(tmp_path / "cat" / "nested/deeper/b.jsonl")


def test_globs_and_duplicates(write, make_tool, tmp_path):
    write(
        "g/one.yaml",
        "- type: function\n  function:\n    name: from_yaml\n    parameters: {type: object}\n",
    )
    write("g/two.json", [make_tool("from_json", q=None)])
    write("g/notes.txt", "nothing")
    result = import_sources([str(tmp_path / "g" / "*"), str(tmp_path / "g" / "two.json")])
    assert names(result) == ["from_json", "from_yaml"]
    reasons = sorted(s.reason for s in result.summary.skipped)
    assert reasons[0].startswith("already imported") and "(.txt)" in reasons[1]
    assert len(result.tools[0].provenance) == 1


def test_missing_sources_are_reported_and_others_still_import(write, make_tool, tmp_path):
    good = write("good.json", [make_tool("kept_tool", a=None)])
    result = import_sources([str(tmp_path / "nope.json"), str(tmp_path / "*.none"), str(good)])
    assert names(result) == ["kept_tool"]
    assert [r.reason for r in result.file_errors] == [RejectReason.MISSING_SOURCE] * 2
    assert "no such file" in result.file_errors[0].message
    assert "matches no files" in result.file_errors[1].message


def test_a_non_json_file_among_good_files(write, make_tool, tmp_path):
    write("dir/a.json", [make_tool("before", a=None)])
    write("dir/broken.json", '[\n  {"type": "function",\n   "function": {"name": "x",,}}\n]\n')
    write("dir/c.yaml", "tools:\n  - name: after\n    parameters: {type: object}\n")
    write("dir/d.yaml", "tools: [unclosed\n  - x: 1\n")
    result = import_sources([str(tmp_path / "dir")])
    assert names(result) == ["after", "before"]
    errors = {e.source.rsplit("/", 1)[-1]: e for e in result.file_errors}
    assert set(errors) == {"broken.json", "d.yaml"}
    assert errors["broken.json"].reason == RejectReason.UNREADABLE_FILE
    assert "line 3, column" in errors["broken.json"].message
    assert "not valid YAML" in errors["d.yaml"].message and "line " in errors["d.yaml"].message
    assert result.summary.files_failed == 2 and result.summary.files_read == 2


def test_a_broken_line_of_json_lines_loses_only_that_line(write, make_tool):
    lines = [
        json.dumps(make_tool("first", a=None)),
        "{not json",
        "",
        json.dumps(make_tool("third", b=None)),
        '{"nan": NaN}',
    ]
    path = write("t.jsonl", "\n".join(lines) + "\n")
    result = import_sources([str(path)])
    assert names(result) == ["first", "third"]
    assert [(r.index, r.reason) for r in result.rejects] == [
        (2, RejectReason.UNPARSEABLE_LINE),
        (5, RejectReason.UNPARSEABLE_LINE),
    ]
    assert result.summary.records_read == 4


def test_unicode_line_separators_inside_strings_do_not_split_records(write, make_tool):
    tool = make_tool("sep_tool", a=None)
    tool["function"]["description"] = "line\u2028separator and \x85 next-line"
    path = write("t.jsonl", json.dumps(tool, ensure_ascii=False) + "\n")
    result = import_sources([str(path)])
    assert names(result) == ["sep_tool"] and result.rejects == []


def test_lone_surrogates_are_replaced_not_fatal(write, tmp_path):
    path = write(
        "t.jsonl", '{"name": "bad\\ud800name", "description": "x\\udfff", "parameters": {}}\n'
    )
    result = import_sources([str(path)])
    [tool] = result.tools
    assert "\ufffd" in tool.provenance[0].original_name and "\ufffd" in tool.description
    tool.canonical_json().encode("utf-8")


def test_unknown_content_is_skipped_with_a_reason(write, make_tool):
    unknown = write("config.json", {"server": {"port": 8080}, "debug": True})
    text = write("catalog.txt", json.dumps([make_tool("txt_tool", a=None)]))
    good = write("good.json", [make_tool("good", a=None)])
    result = import_sources([str(unknown), str(text), str(good)])
    assert names(result) == ["good"]
    reasons = {s.source.rsplit("/", 1)[-1]: s.reason for s in result.summary.skipped}
    assert "no records look like tools" in reasons["config.json"]
    assert "--format" in reasons["catalog.txt"]
    assert result.rejects == []


def test_format_forcing(write, make_tool):
    text = write("catalog.txt", json.dumps([make_tool("txt_tool", a=None)]))
    forced = import_sources([str(text)], format="openai")
    assert names(forced) == ["txt_tool"]
    seal = write(
        "seal.jsonl",
        [
            {
                "api_name": "getX",
                "api_description": "d",
                "parameters": {},
                "required": [],
                "responses": {},
            }
        ],
    )
    wrong = import_sources([str(seal)], format="openai")
    assert wrong.tools == [] and [r.reason for r in wrong.rejects] == [RejectReason.NOT_A_TOOL]
    assert import_sources([str(seal)]).tools[0].provenance[0].dialect == "seal-tools"


def test_swagger_2_is_skipped_with_advice(write):
    result = import_sources([str(write("old.json", {"swagger": "2.0", "paths": {}}))])
    assert result.tools == [] and "OpenAPI 3" in result.summary.skipped[0].reason


def test_progress_bar_option_runs_without_a_terminal(write, make_tool):
    result = import_sources([str(write("t.json", [make_tool("p", a=None)]))], progress=True)
    assert names(result) == ["p"]

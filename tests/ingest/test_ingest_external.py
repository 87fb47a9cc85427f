"""Acceptance on real catalogs: BFCL + Seal-Tools + ACEBench, every record accounted for.

Expected counts are computed here from the raw files, independently of the loaders, and
compared with the figures documented for the data (3,258 + 162 BFCL schemas, 4,076 Seal-Tools
tools, 2,344 ACEBench schemas, about 8,790 tools after merging).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentscaler.ingest import export_openai, import_sources, load_pool, write_pool
from agentscaler.ingest.names import openai_name


def _lines(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if line.strip():
            yield number, json.loads(line)


def _occurrences(root: Path):
    """``{(source, line, pointer): (group, raw function)}`` for every tool record in the data."""
    found = {}
    bfcl = root / "bfcl"
    for path in sorted(bfcl.glob("BFCL_v4_*.json")):
        for number, record in _lines(path):
            for i, function in enumerate(record.get("function", [])):
                found[(str(path), number, f"/function/{i}")] = ("bfcl", function)
    for path in sorted((bfcl / "multi_turn_func_doc").glob("*.json")):
        for number, function in _lines(path):
            found[(str(path), number, "")] = ("bfcl-multi-turn", function)
    seal = root / "seal-tools" / "tool.jsonl"
    for number, tool in _lines(seal):
        found[(str(seal), number, "")] = ("seal-tools", tool)
    for path in sorted((root / "acebench" / "data_en").glob("data_*.json")):
        for number, record in _lines(path):
            for i, function in enumerate(record["function"]):
                found[(str(path), number, f"/function/{i}")] = ("acebench", function)
    return found


@pytest.fixture(scope="module")
def occurrences(external_result, external_root):
    return _occurrences(external_root)


def _unique(occurrences, *groups):
    return {json.dumps(f, sort_keys=True) for g, f in occurrences.values() if g in groups}


def test_raw_data_matches_the_documented_figures(occurrences):
    assert len(_unique(occurrences, "bfcl")) == 3258
    assert len(_unique(occurrences, "bfcl-multi-turn")) == 162
    assert len(_unique(occurrences, "seal-tools")) == 4076
    assert len(_unique(occurrences, "acebench")) == 2344


def test_every_record_is_kept_merged_or_rejected(external_result, occurrences):
    result = external_result
    summary = result.summary
    assert summary.records_read == len(occurrences)
    assert summary.kept + summary.exact_merged + summary.near_merged + summary.rejected == len(
        occurrences
    )

    seen = [(p.source, p.index, p.pointer) for t in result.tools for p in t.provenance]
    rejected = [(r.source, r.index, r.pointer) for r in result.rejects]
    assert len(seen) + len(rejected) == len(occurrences)
    assert set(seen) | set(rejected) == set(occurrences)

    # so all 3,420 + 4,076 + 2,344 unique schemas are accounted for
    seen_keys = set(seen)
    located = {json.dumps(f, sort_keys=True) for k, (_, f) in occurrences.items() if k in seen_keys}
    unique_all = _unique(occurrences, "bfcl", "bfcl-multi-turn", "seal-tools", "acebench")
    rejected_unique = {json.dumps(occurrences[k][1], sort_keys=True) for k in rejected}
    assert located | rejected_unique == unique_all


def test_rejects_are_rare_and_explained(external_result):
    result = external_result
    assert result.summary.rejected < 0.01 * result.summary.records_read
    for reject in result.rejects:
        assert reject.reason and reject.message and reject.source and reject.index is not None


def test_merged_pool_size(external_result, occurrences):
    """Near-duplicate groups computed from the raw records: (valid name, parameter names)."""
    rejected = {(r.source, r.index, r.pointer) for r in external_result.rejects}
    groups = set()
    for key, (group, function) in occurrences.items():
        if key in rejected:
            continue
        if group == "seal-tools":
            name, params = function["api_name"], function["parameters"]
        else:
            name = function["name"]
            params = (function.get("parameters") or function.get("arguments") or {}).get(
                "properties", {}
            )
        groups.add((openai_name(name), frozenset(params)))
    kept = external_result.summary.kept
    assert kept == len(groups)
    assert abs(kept - 8790) <= 0.01 * 8790


def test_files_without_tools_are_skipped_not_rejected(external_result, external_root):
    skipped = {s.source: s.reason for s in external_result.summary.skipped}
    answers = sorted(s for s, r in skipped.items() if "gold answers" in r)
    expected = sorted(
        str(p)
        for p in [
            *(external_root / "bfcl" / "possible_answer").glob("*"),
            *(external_root / "acebench" / "data_en" / "possible_answer").glob("*"),
        ]
    )
    assert answers == expected
    names = {Path(s).name: r for s, r in skipped.items()}
    assert "without tool schemas" in names["BFCL_v4_multi_turn_base.json"]
    assert "README.md" in names
    assert not any(r.source in skipped for r in external_result.rejects)


@pytest.mark.slow
def test_whole_pool_validates_against_the_2020_12_metaschema(external_result, metaschema):
    for tool in external_result.tools:
        metaschema(tool.parameters)
        if tool.returns is not None:
            metaschema(tool.returns)


def test_round_trip_through_openai_format_keeps_ids_and_returns(external_result, tmp_path):
    pool = tmp_path / "pool.jsonl"
    write_pool(pool, external_result.tools, external_result.rejects)
    tools = load_pool(pool)
    assert tools == external_result.tools
    exported = tmp_path / "tools.json"
    assert export_openai(tools, exported) == len(tools)
    again = import_sources([str(exported)])
    assert again.rejects == []
    assert [t.id for t in again.tools] == [t.id for t in tools]
    assert [t.returns for t in again.tools] == [t.returns for t in tools]
    assert {p.dialect for t in again.tools for p in t.provenance} == {"openai"}


def test_the_acceptance_command_completes(cli, external_result, external_root, tmp_path):
    out = tmp_path / "pool.jsonl"
    sources = [
        external_root / "bfcl",
        external_root / "seal-tools/tool.jsonl",
        external_root / "acebench/data_en",
    ]
    result = cli("tools", "import", *sources, "--out", out)
    assert result.exit_code == 0, result.output
    summary = external_result.summary
    assert str(summary.records_read) in result.output and str(summary.kept) in result.output
    assert [t.id for t in load_pool(out)] == [t.id for t in external_result.tools]


def test_seal_tools_directory_skips_its_query_and_field_files(external_root, external_result):
    result = import_sources([str(external_root / "seal-tools")])
    skipped = {Path(s.source).name for s in result.summary.skipped}
    assert skipped == {
        "LICENSE",
        "dev.jsonl",
        "field.jsonl",
        "test_in_domain.jsonl",
        "test_out_domain.jsonl",
    }
    assert result.summary.records_read == 4076 and result.rejects == []
    assert {t.id for t in result.tools} <= {t.id for t in external_result.tools}

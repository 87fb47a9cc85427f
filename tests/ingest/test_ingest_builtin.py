"""The built-in catalog goes through the same normalization and dedup, unchanged."""

from __future__ import annotations

import sys

import pytest

from agentscaler.ingest import import_sources
from agentscaler.ingest.rejects import RejectReason


@pytest.fixture
def builtin_tools():
    from agentscaler import catalog

    return catalog.builtin_tools()


def test_builtin_import_is_idempotent(builtin_tools):
    result = import_sources(["builtin"])
    assert result.rejects == []
    assert result.summary.records_read == len(builtin_tools)
    assert [t.id for t in result.tools] == [t.id for t in builtin_tools]
    assert [t.provenance for t in result.tools] == [t.provenance for t in builtin_tools]
    assert [t.tags for t in result.tools] == [t.tags for t in builtin_tools]


def test_builtin_merges_with_files(builtin_tools, data_dir):
    result = import_sources(["builtin", str(data_dir / "petclinic.yaml"), "builtin"])
    assert len(result.tools) == len(builtin_tools) + 8
    assert result.summary.sources[0].tools == len(builtin_tools)
    assert any("already imported" in s.reason for s in result.summary.skipped)


def test_builtin_stats_cli(builtin_tools, cli):
    result = cli("tools", "stats", "builtin")
    assert result.exit_code == 0, result.output
    assert f"{len(builtin_tools)} tools" in result.output
    assert "By vertical" in result.output


def test_a_missing_catalog_is_a_clear_source_error(monkeypatch, write, make_tool):
    monkeypatch.setitem(sys.modules, "agentscaler.catalog", None)
    good = write("good.json", [make_tool("still_imported", a=None)])
    result = import_sources(["builtin", str(good)])
    assert [t.name for t in result.tools] == ["still_imported"]
    [error] = result.file_errors
    assert error.reason == RejectReason.MISSING_SOURCE
    assert "built-in catalog" in error.message

"""``agentscaler domains build`` / ``show`` on small pools."""

from __future__ import annotations

import json

import pytest

from agentscaler.errors import GraphError, RunFolderError
from agentscaler.jsonl import read_records, write_records
from agentscaler.records import Domain, ToolSpec
from agentscaler.workspace import Workspace


@pytest.fixture
def pool_file(tmp_path, pool):
    path = tmp_path / "pool.jsonl"
    write_records(path, pool)
    return path


def build(cli, pool_file, out, *extra):
    return cli(
        "domains",
        "build",
        "--tools",
        pool_file,
        "--out",
        out,
        "--embedder",
        "hash",
        "--threshold",
        "0.2",
        "--min-size",
        "2",
        *extra,
    )


def test_build_creates_the_run_folder_and_prints_a_summary(cli, pool_file, tmp_path, pool):
    out = tmp_path / "run"
    result = build(cli, pool_file, out)
    assert result.exit_code == 0, result.output
    workspace = Workspace(out)
    assert read_records(workspace.tools, ToolSpec) == pool
    domains = read_records(workspace.domains, Domain)
    assert len(domains) == 3
    assert (out / "graph" / "edges.npz").exists()
    stats = json.loads((out / "graph" / "stats.json").read_text())
    assert stats["config"]["embedder"] == "hash" and stats["config"]["threshold"] == 0.2
    assert workspace.stage_done("domains")
    for label in ("tools", "similarity edges", "domains", "domain sizes", "time per phase"):
        assert label in result.output
    assert domains[0].id in result.output


def test_rerun_is_skipped_unless_forced_or_changed(cli, pool_file, tmp_path):
    out = tmp_path / "run"
    build(cli, pool_file, out)
    again = build(cli, pool_file, out)
    assert "up to date" in again.output
    forced = build(cli, pool_file, out, "--force")
    assert "up to date" not in forced.output and "0 of 11" in forced.output  # cache reused
    changed = build(cli, pool_file, out, "--seed", "3")
    assert "up to date" not in changed.output


def test_show_lists_domains_and_one_domain(cli, pool_file, tmp_path):
    out = tmp_path / "run"
    build(cli, pool_file, out)
    domains = read_records(Workspace(out).domains, Domain)
    listing = cli("domains", "show", out)
    assert listing.exit_code == 0 and all(d.id in listing.output for d in domains)
    orders = next(d for d in domains if "cancel_order" in d.tool_names)
    number = str(int(orders.id[1:5]))
    detail = cli("domains", "show", out, number)
    assert detail.exit_code == 0
    assert "cancel_order" in detail.output and "write" in detail.output
    assert "read_before_write" in detail.output


def test_show_unknown_domain_and_missing_run(cli, pool_file, tmp_path):
    out = tmp_path / "run"
    build(cli, pool_file, out)
    with pytest.raises(GraphError, match="no domain 'd9999-nope'"):
        cli("domains", "show", out, "d9999-nope")
    with pytest.raises(RunFolderError, match="agentscaler domains build"):
        cli("domains", "show", tmp_path / "elsewhere")


def test_empty_pool_file_is_a_clear_error(cli, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(GraphError, match=r"empty\.jsonl holds no tools.*tools import"):
        cli("domains", "build", "--tools", empty, "--out", tmp_path / "run", "--embedder", "hash")
    assert not (tmp_path / "run").exists()


def test_bad_option_values_are_refused(cli, pool_file, tmp_path):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        build(cli, pool_file, tmp_path / "run", "--granularity", "word")


def test_builtin_catalog(cli, tmp_path):
    out = tmp_path / "run"
    result = cli("domains", "build", "--tools", "builtin", "--out", out, "--embedder", "hash")
    assert result.exit_code == 0, result.output
    domains = read_records(Workspace(out).domains, Domain)
    assert len(domains) > 5
    assert max(d.stats.size for d in domains) <= 40


def test_units_keep_a_service_whole_and_units_none_groups_tools(cli, tmp_path, pool):
    # one MCP server exposing the order tools and a weather tool, beside two loose APIs
    served = [
        t.model_copy(update={"service": "mcp:shop.json"})
        if t.name in {"search_orders", "get_order", "cancel_order", "refund_order", "get_forecast"}
        else t
        for t in pool
    ]
    pool_file = tmp_path / "pool.jsonl"
    write_records(pool_file, served)

    def domain_of(out, name):
        return next(
            d.id for d in read_records(Workspace(out).domains, Domain) if name in d.tool_names
        )

    kept = build(cli, pool_file, tmp_path / "kept")
    assert kept.exit_code == 0, kept.output
    assert domain_of(tmp_path / "kept", "get_forecast") == domain_of(tmp_path / "kept", "get_order")
    assert "1 whole in one domain" in kept.output and "services" in kept.output
    stats = json.loads((tmp_path / "kept" / "graph" / "stats.json").read_text())
    assert stats["units"]["services_whole"] == 1 and stats["config"]["units"] == "service"
    flat = build(cli, pool_file, tmp_path / "flat", "--units", "none")
    assert flat.exit_code == 0, flat.output
    assert domain_of(tmp_path / "flat", "get_forecast") != domain_of(tmp_path / "flat", "get_order")
    assert json.loads((tmp_path / "flat" / "graph" / "stats.json").read_text())["units"] is None


def test_build_embeds_on_an_embeddings_server(cli, pool_file, tmp_path):
    from agentscaler.llm.stub import EmbeddingPlan, StubServer

    with StubServer(embeddings=EmbeddingPlan(dim=1024)) as server:
        out = tmp_path / "served"
        result = cli(
            "domains",
            "build",
            "--tools",
            pool_file,
            "--out",
            out,
            "--embed-base-url",
            server.base_url,
            "--embed-model",
            "stub-embed",
            "--threshold",
            "0.2",
            "--min-size",
            "2",
        )
        assert result.exit_code == 0, result.output
        assert server.stats.texts_embedded > 0
    assert (out / "graph" / "embeddings" / "server-stub-embed").is_dir()
    local = build(cli, pool_file, tmp_path / "local")
    assert local.exit_code == 0
    ids = [d.id for d in read_records(Workspace(out).domains, Domain)]
    assert ids == [d.id for d in read_records(Workspace(tmp_path / "local").domains, Domain)]

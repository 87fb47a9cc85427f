"""The optional LLM pass over dependency edges, against the stub OpenAI-compatible server."""

from __future__ import annotations

import json

import pytest
from tests.graph.conftest import ORDER_TOOLS

from agentscaler.graph import GraphConfig, build_stage
from agentscaler.graph.llm_edges import parse_answer
from agentscaler.llm import ChatClient, LLMConfig
from agentscaler.llm.stub import FunctionBrain, StubServer
from agentscaler.workspace import Workspace

CONFIG = GraphConfig(embedder="hash", threshold=0.1, min_size=2, llm_edges=True)


def judge(request):
    """Reject edges into refund_order, answer nonsense about cancel_order, accept the rest."""
    prompt = request["messages"][-1]["content"]
    target = json.loads(prompt.split("Tool B:\n", 1)[1].split("\n\n", 1)[0])["name"]
    if target == "refund_order":
        return "No."
    if target == "cancel_order":
        return "{ maybe, it depends"
    return "Yes - the id flows."


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Yes.", "yes"),
        ("no", "no"),
        ("NO - unrelated", "no"),
        ("", "unclear"),
        ("Maybe", "unclear"),
        ("yes or no?", "unclear"),
        (None, "unclear"),
        ("<think>\nyes, surely? The user... no.\n</think>\n\nVERDICT: no", "no"),
        ("think: A returns order_id and B takes it.\nVERDICT: yes", "yes"),
        ("A returns the id.\nB needs it.\n\n**Final answer: Yes**\n", "yes"),
        ("reasoning</think>no", "no"),
        ('{"verdict": "no", "reason": "B does not use it"}', "no"),
        ('```json\n{"dependency": true}\n```', "yes"),
        ('{"verdict": "perhaps"}', "unclear"),
        ("Yes, the id flows.\nOn second thought it does not.", "unclear"),
        ("<think>yes</think>", "unclear"),
    ],
)
def test_parse_answer(text, answer):
    assert parse_answer(text) == answer


def test_llm_confirms_rejects_and_keeps_unclear_edges_and_caches(tmp_path):
    workspace = Workspace(tmp_path / "run")
    with StubServer(FunctionBrain(judge)) as server:
        client = ChatClient(LLMConfig(base_url=server.base_url, model="judge", max_retries=0))
        try:
            result = build_stage(workspace, ORDER_TOOLS, CONFIG, llm_client=client)
            asked = server.stats.requests
            (domain,) = result.domains
            targets = {(e.target, e.confirmed_by_llm) for e in domain.edges}
            assert not any(t == "refund_order" for t, _ in targets)  # rejected: dropped
            assert ("cancel_order", None) in targets  # unclear: kept, unconfirmed
            assert ("get_order", True) in targets
            assert domain.stats.rejected_edges >= 1
            assert result.llm_counts["no"] == domain.stats.rejected_edges
            assert result.llm_counts["unclear"] >= 1 and asked == result.llm_counts["asked"]

            decisions = [
                json.loads(line)
                for line in (workspace.graph_dir / "llm_edges.jsonl").read_text().splitlines()
            ]
            assert len(decisions) == asked
            assert any(
                d["answer"] == "unclear" and d["raw"].startswith("{ maybe") for d in decisions
            )

            again = build_stage(workspace, ORDER_TOOLS, CONFIG, llm_client=client)
            assert server.stats.requests == asked  # every decision came from the cache
            assert again.domains == result.domains
            assert again.llm_counts["asked"] == 0
        finally:
            client.close()


def test_llm_pass_needs_a_client(tmp_path):
    from agentscaler.errors import ConfigError

    with pytest.raises(ConfigError, match="--base-url"):
        build_stage(Workspace(tmp_path), ORDER_TOOLS, CONFIG)


def test_cli_llm_edges(cli, tmp_path):
    from agentscaler.jsonl import write_records

    pool = tmp_path / "pool.jsonl"
    write_records(pool, ORDER_TOOLS)
    with StubServer(FunctionBrain(judge)) as server:
        result = cli(
            "domains",
            "build",
            "--tools",
            pool,
            "--out",
            tmp_path / "run",
            "--embedder",
            "hash",
            "--threshold",
            "0.1",
            "--min-size",
            "2",
            "--llm-edges",
            "--base-url",
            server.base_url,
            "--model",
            "judge",
        )
    assert result.exit_code == 0, result.output
    assert "LLM edge review" in result.output

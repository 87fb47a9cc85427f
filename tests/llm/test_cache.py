"""DecisionCache: reuse across runs, crash-safe appends, clear errors on corrupt files."""

from __future__ import annotations

import pytest

from agentscaler.errors import CorruptRecordError
from agentscaler.llm import ChatClient
from agentscaler.llm.cache import DecisionCache, decision_key
from agentscaler.llm.stub import ScriptedBrain

from .conftest import fast_config


def test_keys_depend_on_model_and_prompt():
    prompt = [{"role": "user", "content": "does A feed B?"}]
    assert decision_key("m", prompt) == decision_key("m", [dict(prompt[0])])
    assert decision_key("m", prompt) != decision_key("other", prompt)
    assert decision_key("m", prompt) != decision_key(
        "m", [{"role": "user", "content": "B feeds A?"}]
    )


def test_rerun_costs_no_llm_calls(tmp_path, stub_server):
    brain = ScriptedBrain(["yes", "no"])
    server = stub_server(brain)
    edges = [("get_order", "cancel_order"), ("get_user", "cancel_order")]
    path = tmp_path / "edge_decisions.jsonl"

    def confirm(client: ChatClient) -> list[bool]:
        with DecisionCache(path) as cache:
            return [
                cache.get_or_compute(
                    client.config.model,
                    list(edge),
                    lambda e=edge: (
                        client.chat_sync(
                            [{"role": "user", "content": f"{e[0]} -> {e[1]}?"}]
                        ).message.content
                        == "yes"
                    ),
                )
                for edge in edges
            ]

    with ChatClient(fast_config(server.base_url)) as client:
        first = confirm(client)
        second = confirm(client)
    assert first == second == [True, False]
    assert len(brain.requests) == 2  # the second run answered from disk


def test_torn_last_line_is_moved_aside_and_the_rest_kept(tmp_path):
    path = tmp_path / "cache.jsonl"
    with DecisionCache(path) as cache:
        cache.put(decision_key("m", "a"), {"keep": True}, model="m")
    with path.open("a") as handle:
        handle.write('{"key": "torn", "val')  # a crash mid-append
    with DecisionCache(path) as cache:
        assert cache.get(decision_key("m", "a")) == {"keep": True}
        assert "torn" not in cache
        cache.put("k2", 2)
    assert (tmp_path / "cache.jsonl.partial").read_text().startswith('{"key": "torn"')
    with DecisionCache(path) as cache:
        assert len(cache) == 2


def test_last_write_wins_and_hit_counts(tmp_path):
    path = tmp_path / "cache.jsonl"
    with DecisionCache(path) as cache:
        cache.put("k", 1)
        cache.put("k", 2)
    with DecisionCache(path) as cache:
        assert cache.get("k") == 2 and cache.get("missing", "dflt") == "dflt"
        assert (cache.hits, cache.misses) == (1, 1)


def test_foreign_lines_are_named(tmp_path):
    path = tmp_path / "cache.jsonl"
    path.write_text('{"key": "k", "value": 1}\n[1, 2]\n')
    with pytest.raises(CorruptRecordError, match=r"cache.jsonl:2: not a cache entry"):
        DecisionCache(path).open()


def test_put_needs_an_open_cache(tmp_path):
    with pytest.raises(RuntimeError, match="open cache"):
        DecisionCache(tmp_path / "c.jsonl").put("k", 1)

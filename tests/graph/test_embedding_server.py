"""Embedding on an OpenAI-compatible server (the stub): same vectors, retries, bounds, cache."""

from __future__ import annotations

import numpy as np
import pytest

from agentscaler.errors import LLMRequestRejected, LLMServerError
from agentscaler.graph import GraphConfig, HashEmbedder, discover_domains, make_embedder
from agentscaler.graph.embedding_cache import EmbeddingCache, embed_texts
from agentscaler.graph.embedding_server import ServerEmbedder, parse_embeddings
from agentscaler.llm.stub import EmbeddingPlan, Fault, FaultPlan, StubServer

TEXTS = [f"tool number {i}: get the order {i % 7} of customer {i % 5}" for i in range(300)]


def server_config(base_url: str, **extra) -> GraphConfig:
    values = {
        "embed_base_url": base_url,
        "embed_model": "stub-embed",
        "embed_timeout_s": 5.0,
        "batch_size": 16,
        "embed_concurrency": 3,
        **extra,
    }
    return GraphConfig(**values)


@pytest.fixture
def no_backoff(monkeypatch):
    import agentscaler.graph.embedding_server as module

    monkeypatch.setattr(module, "backoff_delay", lambda *args: 0.0)


def test_server_vectors_are_the_servers_in_input_order_and_bounded_in_flight():
    with StubServer(embeddings=EmbeddingPlan(dim=128)) as server:
        embedder = make_embedder(server_config(server.base_url))
        assert isinstance(embedder, ServerEmbedder)
        assert embedder.model_id == "server-stub-embed"
        vectors = embedder.embed(TEXTS)
        assert embedder.dim == 128
        stats = server.stats
    assert np.array_equal(vectors, HashEmbedder(128).embed(TEXTS))
    assert stats.requests == -(-len(TEXTS) // 16)
    assert 1 < embedder.max_in_flight <= 3 and stats.max_in_flight <= 3


def test_server_errors_and_rate_limits_are_retried_and_4xx_is_not(no_backoff):
    faults = FaultPlan.scripted(Fault.SERVER_ERROR, Fault.RATE_LIMIT, Fault.INVALID_BODY)
    with StubServer(faults=faults, embeddings=EmbeddingPlan(dim=32)) as server:
        embedder = make_embedder(server_config(server.base_url, embed_concurrency=1))
        vectors = embedder.embed(TEXTS[:16])
        assert embedder.retries == 3 and server.stats.requests == 4
        assert np.array_equal(vectors, HashEmbedder(32).embed(TEXTS[:16]))
        server.faults = FaultPlan(fail_rate=1.0)
        failing = make_embedder(server_config(server.base_url, embed_max_retries=2))
        with pytest.raises(LLMServerError, match=r"stub-embed@.*after 3 attempts"):
            failing.embed(["x"])
    with StubServer() as server:
        wrong = ServerEmbedder.from_config(server_config(server.base_url.removesuffix("/v1")))
        with pytest.raises(LLMRequestRejected, match="base_url ends with /v1"):
            wrong.embed(["x"])


def test_a_server_without_base64_is_asked_for_floats():
    with StubServer(embeddings=EmbeddingPlan(dim=32, base64=False)) as server:
        embedder = make_embedder(server_config(server.base_url))
        vectors = embedder.embed(TEXTS[:40])
        statuses = dict(server.stats.statuses)
    # the requests sent before the first refusal came back are refused too, then all use floats
    assert statuses[200] == 3 and 1 <= statuses[400] <= 3
    assert np.allclose(vectors, HashEmbedder(32).embed(TEXTS[:40]), atol=1e-6)


def test_malformed_answers_are_named():
    from agentscaler.errors import LLMResponseError

    with pytest.raises(LLMResponseError, match="2 vectors for 3 texts"):
        parse_embeddings({"data": [{"embedding": [1.0]}, {"embedding": [1.0]}]}, 3)
    with pytest.raises(LLMResponseError, match="index 5"):
        parse_embeddings({"data": [{"index": 5, "embedding": [1.0]}]}, 1)
    with pytest.raises(LLMResponseError, match="no 'embedding'"):
        parse_embeddings({"data": [{"index": 0}]}, 1)


def test_server_embeddings_are_cached_and_find_the_domains_the_same_vectors_find(tmp_path, pool):
    with StubServer(embeddings=EmbeddingPlan(dim=1024)) as server:
        config = server_config(server.base_url, min_size=1)
        found = discover_domains(pool, config, graph_dir=tmp_path)
        first = server.stats.requests
        again = discover_domains(pool, config, graph_dir=tmp_path)
        assert server.stats.requests == first + 1  # the dimension probe, nothing embedded again
    assert again.counts["texts_embedded"] == 0 and found.counts["texts_embedded"] == len(pool)
    local = discover_domains(pool, GraphConfig(embedder="hash", min_size=1))
    assert found.communities == local.communities
    cache = EmbeddingCache(tmp_path / "embeddings", "server-stub-embed", 1024)
    _, embedded = embed_texts(["get one order"], HashEmbedder(1024), cache)
    assert embedded == 1  # a text the server never saw


def test_settings_choose_one_embedder():
    with pytest.raises(ValueError, match="pass one of them"):
        GraphConfig(embedder="hash", embed_base_url="http://127.0.0.1:1/v1")
    with pytest.raises(ValueError, match="must start with http"):
        GraphConfig(embed_base_url="localhost:8080/v1")
    a = GraphConfig(embed_base_url="http://a/v1", embed_concurrency=1)
    b = GraphConfig(embed_base_url="http://a/v1", embed_concurrency=64, executor="ray")
    assert a.fingerprint_settings() == b.fingerprint_settings()
    assert a.fingerprint_settings() != GraphConfig().fingerprint_settings()

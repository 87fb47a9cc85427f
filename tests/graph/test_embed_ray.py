"""Embedding sharded over Ray workers gives the vectors and domains of the local run."""

from __future__ import annotations

import numpy as np
import pytest

from agentscaler.graph import GraphConfig, HashEmbedder, discover_domains, make_embedder
from agentscaler.graph.embed_ray import RayEmbedder
from agentscaler.graph.embedding_cache import EmbeddingCache


def test_ray_workers_embed_what_this_process_would(tmp_path, pool):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        config = GraphConfig(embedder="hash", executor="ray", ray_workers=2, min_size=1)
        embedder = make_embedder(config)
        assert isinstance(embedder, RayEmbedder) and embedder.model_id == "hash-v2-d1024"
        texts = [f"text {i} about orders {i % 3}" for i in range(200)]
        vectors = embedder.embed(texts)
        assert len(embedder._actors) == 2
        assert np.array_equal(vectors, HashEmbedder(1024).embed(texts))
        embedder.close()
        assert ray.is_initialized()  # a Ray started by the caller is left running
        found = discover_domains(pool, config, graph_dir=tmp_path)
    finally:
        ray.shutdown()
    local = discover_domains(pool, config.model_copy(update={"executor": "local"}))
    assert found.communities == local.communities
    cache = EmbeddingCache(tmp_path / "embeddings", "hash-v2-d1024", 1024)
    assert len(cache) == found.counts["texts"] + found.counts["field_names_embedded"]

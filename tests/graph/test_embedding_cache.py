"""The embedding cache: reuse, dedup, resumable shards, clear errors on corruption."""

from __future__ import annotations

import numpy as np
import pytest

from agentscaler.errors import RunFolderError
from agentscaler.graph import HashEmbedder
from agentscaler.graph.embedding_cache import EmbeddingCache, embed_texts


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__(32)
        self.seen: list[str] = []

    def embed(self, texts, advance=None):
        self.seen.extend(texts)
        return super().embed(texts, advance)


def test_second_run_embeds_nothing_and_returns_the_same_vectors(tmp_path):
    texts = ["order id", "city name", "order id", "file path"]
    embedder = CountingEmbedder()
    first, embedded = embed_texts(texts, embedder, EmbeddingCache(tmp_path, embedder.model_id, 32))
    assert embedded == 3 and sorted(embedder.seen) == ["city name", "file path", "order id"]
    assert np.array_equal(first[0], first[2])

    again = CountingEmbedder()
    second, embedded = embed_texts(texts, again, EmbeddingCache(tmp_path, again.model_id, 32))
    assert embedded == 0 and again.seen == []
    assert np.array_equal(first, second)


def test_new_texts_go_to_a_new_shard(tmp_path):
    embedder = CountingEmbedder()
    embed_texts(["a b", "c d"], embedder, EmbeddingCache(tmp_path, embedder.model_id, 32))
    embed_texts(["c d", "e f"], embedder, EmbeddingCache(tmp_path, embedder.model_id, 32))
    assert embedder.seen == ["a b", "c d", "e f"]
    folder = tmp_path / embedder.model_id
    assert sorted(p.name for p in folder.glob("*.keys")) == [
        "shard-000001.keys",
        "shard-000002.keys",
    ]
    assert len(EmbeddingCache(tmp_path, embedder.model_id, 32)) == 3


def test_models_do_not_share_vectors(tmp_path):
    a, b = HashEmbedder(32), HashEmbedder(64)
    embed_texts(["x y"], a, EmbeddingCache(tmp_path, a.model_id, 32))
    assert len(EmbeddingCache(tmp_path, b.model_id, 64)) == 0


def test_uncommitted_shard_is_ignored(tmp_path):
    embedder = CountingEmbedder()
    embed_texts(["a b"], embedder, EmbeddingCache(tmp_path, embedder.model_id, 32))
    folder = tmp_path / embedder.model_id
    (folder / "shard-000001.keys").unlink()  # crash between the vectors and their keys
    cache = EmbeddingCache(tmp_path, embedder.model_id, 32)
    assert len(cache) == 0
    embed_texts(["a b"], embedder, cache)
    assert len(EmbeddingCache(tmp_path, embedder.model_id, 32)) == 1


def test_corrupt_shard_names_the_file_and_the_fix(tmp_path):
    embedder = CountingEmbedder()
    embed_texts(["a b", "c d"], embedder, EmbeddingCache(tmp_path, embedder.model_id, 32))
    shard = tmp_path / embedder.model_id / "shard-000001.npy"
    np.save(shard, np.zeros((1, 32), dtype=np.float32))  # wrong number of rows
    with pytest.raises(RunFolderError, match=r"shard-000001\.npy.*Delete"):
        EmbeddingCache(tmp_path, embedder.model_id, 32)

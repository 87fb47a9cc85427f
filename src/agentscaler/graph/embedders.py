"""Text embedders and the choice between them.

* ``hash``: hashed word features, numpy only (tests, torch-free installs);
* ``minilm``: a sentence-transformers model on this machine (:mod:`agentscaler.graph.minilm`);
* an OpenAI-compatible ``/v1/embeddings`` server when ``embed_base_url`` is set
  (:mod:`agentscaler.graph.embedding_server`: vLLM, TEI, hosted APIs).

All return L2-normalized float32 rows, so a dot product is a cosine. The choice is explicit:
asking for ``minilm`` without its extra installed is an error, never a silent switch to ``hash``.
torch and sentence-transformers are imported only when a MiniLM model is first used.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence

import numpy as np

from agentscaler.errors import ConfigError
from agentscaler.graph.config import GraphConfig
from agentscaler.graph.embedder_base import Advance, Embedder, normalize_rows
from agentscaler.graph.minilm import (
    HUB_MODEL,
    MiniLMEmbedder,
    cpu_has_native_bf16,
    resolve_minilm_path,
)

__all__ = [
    "HUB_MODEL",
    "Advance",
    "Embedder",
    "HashEmbedder",
    "MiniLMEmbedder",
    "cpu_has_native_bf16",
    "make_embedder",
    "normalize_rows",
    "resolve_minilm_path",
    "stable_hash",
]

_TOKEN = re.compile(r"[a-z0-9]+")


def stable_hash(text: str) -> int:
    """A 64-bit hash of ``text``, the same in every process and on every platform.

    BLAKE2b rather than CRC32: CRC is linear, so the low bits of similar short strings collide far
    more often than chance, and feature hashing keeps exactly those bits.
    """
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


class HashEmbedder(Embedder):
    """Hashed word and character-trigram features (signed feature hashing), L2 normalized.

    Deterministic across processes and platforms (BLAKE2b, not Python's salted ``hash``), needs only
    numpy, and matches shared words and word pieces: good enough for tests and torch-free installs,
    blind to synonyms.
    """

    def __init__(self, dim: int = 1024) -> None:
        self._dim = dim
        self.model_id = f"hash-v2-d{dim}"
        self._slots: dict[str, tuple[int, float]] = {}

    @property
    def dim(self) -> int:
        return self._dim

    def _slot(self, feature: str) -> tuple[int, float]:
        slot = self._slots.get(feature)
        if slot is None:
            h = stable_hash(feature)
            slot = (h % self._dim, 1.0 if (h >> 63) & 1 else -1.0)
            if len(self._slots) < 1_000_000:
                self._slots[feature] = slot
        return slot

    def _features(self, text: str) -> list[tuple[str, float]]:
        words = _TOKEN.findall(text.lower())
        features: list[tuple[str, float]] = []
        for word in words:
            features.append(("w:" + word, 1.0))
            padded = f"<{word}>"
            if len(padded) > 4:
                for i in range(len(padded) - 2):
                    features.append(("c:" + padded[i : i + 3], 0.35))
        for a, b in itertools.pairwise(words):
            features.append((f"b:{a} {b}", 0.5))
        return features

    def embed(self, texts: Sequence[str], advance: Advance | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            vector = out[row]
            for feature, weight in self._features(text):
                index, sign = self._slot(feature)
                vector[index] += sign * weight
            if advance is not None and (row + 1) % 256 == 0:
                advance(256)
        if advance is not None and len(texts) % 256:
            advance(len(texts) % 256)
        return normalize_rows(out)


def make_embedder(config: GraphConfig) -> Embedder:
    """The embedder ``config`` names: its embeddings server when ``embed_base_url`` is set, else
    ``config.embedder``; on Ray workers when ``config.executor`` is ``ray``."""
    if config.executor == "ray":
        from agentscaler.graph.embed_ray import RayEmbedder

        local = make_embedder(config.model_copy(update={"executor": "local"}))
        return RayEmbedder(config, local, make_embedder)
    if config.embed_base_url:
        from agentscaler.graph.embedding_server import ServerEmbedder

        return ServerEmbedder.from_config(config)
    if config.embedder == "hash":
        return HashEmbedder(config.hash_dim)
    if config.embedder == "minilm":
        return MiniLMEmbedder(
            config.model_path,
            batch_size=config.batch_size,
            batch_tokens=config.batch_tokens,
            threads=config.embed_threads,
            max_seq_length=config.max_seq_length,
            bf16=config.bf16,
        )
    raise ConfigError(f"unknown embedder {config.embedder!r}: choose minilm or hash")

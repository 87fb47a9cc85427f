"""``POST /v1/embeddings`` of the stub server: OpenAI's embeddings API with deterministic vectors.

* ``hash`` (default): the hashing embedder's vectors (:class:`~agentscaler.graph.HashEmbedder`,
  word and word-piece features), so texts that share words are similar, as with a real model;
* ``random``: a unit vector drawn from a generator seeded by the text's hash: no meaning, almost
  no cost, to measure a client's own throughput.

``encoding_format`` ``float`` (default) or ``base64`` (little-endian float32), ``dimensions``
(else the plan's), one item per input with its ``index``, and usage counted in words. The
server's fault plan (latency, 500s, 429s, hangs, broken bodies) applies as to chat requests.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class EmbeddingPlan(BaseModel):
    """How the stub server answers embedding requests."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["hash", "random"] = Field(
        "hash", description="hash: vectors of shared words (meaningful); random: seeded noise"
    )
    dim: int = Field(384, ge=1, le=8192, description="Dimension when a request names none.")
    base64: bool = Field(
        True, description="Serve encoding_format=base64 (False: refuse it with HTTP 400)."
    )


class EmbeddingRequestError(ValueError):
    """A request the server refuses with HTTP 400 (the message says why)."""


def stub_vectors(texts: list[str], *, mode: str, dim: int) -> np.ndarray:
    """Unit float32 vectors of ``texts`` (the same text always gets the same vector)."""
    if mode == "hash":
        from agentscaler.graph.embedders import HashEmbedder

        return HashEmbedder(dim).embed(texts)
    out = np.empty((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest())
        out[row] = np.random.default_rng(seed).standard_normal(dim, dtype=np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def embeddings_answer(body: Any, plan: EmbeddingPlan) -> dict[str, Any]:
    """The response body of one embeddings request; EmbeddingRequestError for a bad one."""
    if not isinstance(body, dict):
        raise EmbeddingRequestError("the request body must be a JSON object")
    texts = body.get("input")
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise EmbeddingRequestError("'input' must be a string or a non-empty list of strings")
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64") or (encoding == "base64" and not plan.base64):
        raise EmbeddingRequestError(f"encoding_format {encoding!r} is not supported")
    dim = body.get("dimensions", plan.dim)
    if not isinstance(dim, int) or not 1 <= dim <= 8192:
        raise EmbeddingRequestError("'dimensions' must be an integer from 1 to 8192")
    vectors = stub_vectors(texts, mode=plan.mode, dim=dim)
    if encoding == "base64":
        items = [base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") for v in vectors]
    else:
        items = [[float(x) for x in v] for v in vectors]
    words = sum(len(t.split()) for t in texts)
    return {
        "object": "list",
        "model": body.get("model") or "stub",
        "data": [
            {"object": "embedding", "index": i, "embedding": item} for i, item in enumerate(items)
        ],
        "usage": {"prompt_tokens": words, "total_tokens": words},
    }

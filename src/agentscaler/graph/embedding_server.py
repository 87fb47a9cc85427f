"""Embeddings from an OpenAI-compatible ``POST /v1/embeddings`` server (vLLM, TEI, hosted APIs).

Texts go in requests of ``batch_size``, ``concurrency`` requests in flight, each with a deadline;
429, 408, 5xx, timeouts and dropped connections are retried with exponential backoff (honouring
``Retry-After``), any other 4xx fails at once, with the classification and messages of the chat
client (:mod:`agentscaler.llm.retry`). Vectors are asked for as base64 float32
(``encoding_format: base64``, a quarter of the bytes of JSON floats); a server that refuses that
is asked for floats, and one that answers floats anyway is read as it answers. Rows are
normalized here, whatever the server does, and cached by model name (``server-<model>``) by
:class:`~agentscaler.graph.embedding_cache.EmbeddingCache` like the local model's.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import re
import time
import urllib.request
from collections.abc import Sequence
from typing import Any

import numpy as np

from agentscaler.errors import ConfigError, LLMResponseError
from agentscaler.graph.config import GraphConfig
from agentscaler.graph.embedder_base import Advance, Embedder, normalize_rows
from agentscaler.llm.config import LLMConfig
from agentscaler.llm.retry import (
    Failure,
    backoff_delay,
    classify_exception,
    classify_status,
    final_error,
)

log = logging.getLogger(__name__)

EMBEDDINGS_PATH = "/embeddings"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_PROBE = "dimension probe"


def _vector(item: Any, index: int) -> np.ndarray:
    embedding = item.get("embedding") if isinstance(item, dict) else None
    if isinstance(embedding, str):
        return np.frombuffer(base64.b64decode(embedding), dtype="<f4")
    if isinstance(embedding, list):
        return np.asarray(embedding, dtype=np.float32)
    raise LLMResponseError(f"data[{index}] of the embeddings response has no 'embedding' vector")


def parse_embeddings(body: Any, count: int) -> np.ndarray:
    """The ``(count, dim)`` vectors of an OpenAI embeddings response, in input order."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or len(data) != count:
        got = len(data) if isinstance(data, list) else "no"
        raise LLMResponseError(
            f"the embeddings response holds {got} vectors for {count} texts (expected a 'data' "
            "list with one item per input)"
        )
    rows: list[np.ndarray | None] = [None] * count
    for position, item in enumerate(data):
        index = item.get("index", position) if isinstance(item, dict) else position
        if not isinstance(index, int) or not 0 <= index < count or rows[index] is not None:
            raise LLMResponseError(
                f"data[{position}] of the embeddings response has index {index!r}"
            )
        rows[index] = _vector(item, position)
    dims = {len(r) for r in rows if r is not None}
    if len(dims) != 1 or 0 in dims:
        raise LLMResponseError(f"the embeddings response mixes vector lengths {sorted(dims)}")
    return np.stack(rows)  # type: ignore[arg-type]


class ServerEmbedder(Embedder):
    """Texts embedded by an OpenAI-compatible embeddings server."""

    def __init__(self, connection: LLMConfig, *, batch_size: int = 64) -> None:
        self.connection = connection
        self.batch_size = batch_size
        self.model_id = "server-" + _SAFE.sub("_", connection.model)
        self._dim: int | None = None
        self._encoding = "base64"
        self._rng = random.Random(0)
        self.requests = 0
        self.retries = 0
        self.max_in_flight = 0

    @classmethod
    def from_config(cls, config: GraphConfig) -> ServerEmbedder:
        if not config.embed_base_url:
            raise ConfigError("the server embedder needs embed_base_url (--embed-base-url)")
        connection = LLMConfig(
            base_url=config.embed_base_url,
            model=config.embed_model,
            api_key_env=config.embed_api_key_env,
            concurrency=config.embed_concurrency,
            timeout_s=config.embed_timeout_s,
            max_retries=config.embed_max_retries,
        )
        return cls(connection, batch_size=config.batch_size)

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed([_PROBE]).shape[1])
        return self._dim

    def embed(self, texts: Sequence[str], advance: Advance | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise ConfigError(
                "ServerEmbedder.embed() was called inside a running event loop; call "
                "`await embedder.embed_async(texts)` there"
            )
        return asyncio.run(self.embed_async(texts, advance))

    async def embed_async(self, texts: Sequence[str], advance: Advance | None = None) -> np.ndarray:
        """:meth:`embed` for callers inside an event loop."""
        import aiohttp

        cfg = self.connection
        semaphore = asyncio.Semaphore(cfg.concurrency)
        in_flight = 0
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=cfg.concurrency),
            headers={
                "Authorization": f"Bearer {cfg.api_key()}",
                "Content-Type": "application/json",
            },
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=cfg.timeout_s),
            trust_env=bool(urllib.request.getproxies()),
        )
        url = cfg.base_url + EMBEDDINGS_PATH

        async def one(batch: Sequence[str]) -> np.ndarray:
            nonlocal in_flight
            async with semaphore:
                in_flight += 1
                self.max_in_flight = max(self.max_in_flight, in_flight)
                try:
                    vectors = await self._request(session, url, batch)
                finally:
                    in_flight -= 1
            if advance is not None:
                advance(len(batch))
            return vectors

        batches = [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        try:
            parts = await asyncio.gather(*(one(b) for b in batches))
        finally:
            await session.close()
        vectors = np.concatenate(parts)
        if self._dim is None:
            self._dim = int(vectors.shape[1])
        elif vectors.shape[1] != self._dim:
            raise LLMResponseError(
                f"the embeddings server {cfg.server_label()} answered vectors of {vectors.shape[1]} "
                f"dimensions after answering {self._dim}: is another model behind the same name?"
            )
        return normalize_rows(vectors)

    async def _request(self, session: Any, url: str, batch: Sequence[str]) -> np.ndarray:
        """One request with its retries (the chat client's classification and backoff)."""
        cfg = self.connection
        attempts = 0
        while True:
            attempts += 1
            sent = self._encoding
            body = {"model": cfg.model, "input": list(batch), "encoding_format": sent}
            cause: BaseException | None = None
            try:
                async with asyncio.timeout(cfg.timeout_s):
                    outcome = await self._post(session, url, body, len(batch))
            except Exception as exc:  # classified below; bugs re-raised
                failure = classify_exception(exc)
                if failure is None:
                    raise
                cause = exc
            else:
                if not isinstance(outcome, Failure):
                    self.requests += 1
                    self.retries += attempts - 1
                    return outcome
                failure = outcome
                if sent == "base64" and failure.status in (400, 422):
                    if self._encoding == "base64":
                        log.info("%s refused base64 vectors; asking for floats", cfg.server_label())
                        self._encoding = "float"
                    attempts -= 1
                    continue
            if not failure.retryable or attempts > cfg.max_retries:
                raise final_error(
                    failure, config=cfg, model=cfg.model, attempts=attempts
                ) from cause
            delay = backoff_delay(attempts, cfg, failure.retry_after_s, self._rng)
            log.debug(
                "%s: attempt %d failed (%s); retrying in %.2f s", url, attempts, failure, delay
            )
            await asyncio.sleep(delay)

    async def _post(
        self, session: Any, url: str, body: dict[str, Any], count: int
    ) -> np.ndarray | Failure:
        started = time.perf_counter()
        async with session.post(url, data=json.dumps(body).encode("utf-8")) as response:
            content = await response.read()
            if response.status >= 300:
                try:
                    detail: Any = json.loads(content)
                except ValueError:
                    detail = content
                return classify_status(response.status, response.headers, detail)
        vectors = parse_embeddings(json.loads(content), count)
        log.debug("%d texts embedded in %.3f s", count, time.perf_counter() - started)
        return vectors

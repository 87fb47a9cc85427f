"""Embedding sharded over Ray workers (``executor="ray"``).

Texts that are not in the cache are cut into shards handed to a pool of Ray actors, each holding
one copy of the embedder (a MiniLM model on one core, or a client of the embeddings server) for
the whole run. Shards come back in order; the cache commits them chunk by chunk as with the local
embedder, so an interrupted run keeps every committed chunk. Workers read nothing from the run
folder: on a multi-machine cluster they need only the model (the ``embed`` extra).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from agentscaler.errors import MissingDependencyError
from agentscaler.graph.config import GraphConfig
from agentscaler.graph.embedder_base import Advance, Embedder

log = logging.getLogger(__name__)

Factory = Callable[[GraphConfig], Embedder]
SHARDS_PER_WORKER = 4
"""Shards per worker and chunk: enough to even out workers that finish at different times."""
MIN_SHARD = 32


class _Worker:
    """Body of one Ray actor: an embedder built once, embedding shard after shard."""

    def __init__(self, config: dict[str, Any], factory: Factory) -> None:
        self.embedder = factory(GraphConfig.model_validate(config))

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed(texts)


class RayEmbedder(Embedder):
    """The embedder ``config`` names, run on Ray workers (one core each)."""

    def __init__(self, config: GraphConfig, local: Embedder, factory: Factory) -> None:
        self.config = config
        self.local = local
        self.factory = factory
        self.model_id = local.model_id
        self._actors: list[Any] = []
        self._owns_ray = False

    @property
    def dim(self) -> int:
        return self.local.dim

    @property
    def chunk_texts(self) -> int:  # type: ignore[override]
        return self.local.chunk_texts * max(1, len(self._actors) or self.config.ray_workers or 2)

    def _start(self) -> list[Any]:
        if self._actors:
            return self._actors
        try:
            import ray
        except ImportError as exc:
            raise MissingDependencyError(
                "--executor ray needs Ray: pip install 'agentscaler[ray]'"
            ) from exc
        from agentscaler.execution.ray import init_ray

        if init_ray(self.config.ray_address):
            self._owns_ray = True
        workers = self.config.ray_workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        worker_config = self.config.model_copy(update={"executor": "local", "embed_threads": 1})
        remote = ray.remote(num_cpus=1, max_restarts=0)(_Worker)
        payload = worker_config.model_dump(mode="json")
        self._actors = [remote.remote(payload, self.factory) for _ in range(workers)]
        log.info("embedding on %d Ray workers", workers)
        return self._actors

    def embed(self, texts: Sequence[str], advance: Advance | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import ray
        from ray.util import ActorPool

        actors = self._start()
        size = max(MIN_SHARD, -(-len(texts) // (len(actors) * SHARDS_PER_WORKER)))
        shards = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
        pool = ActorPool(actors)
        parts: list[np.ndarray] = []
        for shard, vectors in zip(
            shards, pool.map(lambda actor, shard: actor.embed.remote(shard), shards), strict=True
        ):
            parts.append(np.asarray(vectors, dtype=np.float32))
            if advance is not None:
                advance(len(shard))
        del ray
        return np.concatenate(parts)

    def close(self) -> None:
        if not self._actors:
            return
        import ray

        for actor in self._actors:
            ray.kill(actor)
        self._actors = []
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False

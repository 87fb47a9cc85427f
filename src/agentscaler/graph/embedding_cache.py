"""On-disk cache of text embeddings, keyed by model id and text hash.

Layout: ``<root>/<model_id>/shard-000001.npy`` (float32 rows) with ``shard-000001.keys`` (one text
hash per row). Shards are append-only: new vectors go to a new shard, written as ``.npy`` first and
committed by an atomic rename of the keys file, so an interrupted run leaves at worst an
uncommitted ``.npy`` that the next run ignores and overwrites. Opening reads every committed shard
into memory (30k rows of 384 floats: ~46 MB, well under a second).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from agentscaler.canonical import text_hash
from agentscaler.errors import RunFolderError
from agentscaler.graph.embedder_base import Embedder

log = logging.getLogger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_SHARD = re.compile(r"^shard-(\d{6})\.keys$")


def key_of(text: str) -> str:
    return text_hash(text, length=32)


class EmbeddingCache:
    """Vectors of texts already embedded by one model, stored under ``root/<model_id>``."""

    def __init__(self, root: Path, model_id: str, dim: int) -> None:
        self.dir = Path(root) / _SAFE.sub("_", model_id)
        self.dim = dim
        self._index: dict[str, tuple[int, int]] = {}
        self._shards: list[np.ndarray] = []
        self._load()

    def _load(self) -> None:
        if not self.dir.is_dir():
            return
        for keys_file in sorted(self.dir.glob("shard-*.keys")):
            if not _SHARD.match(keys_file.name):
                continue
            vectors_file = keys_file.with_suffix(".npy")
            keys = keys_file.read_text(encoding="ascii").split()
            try:
                vectors = np.load(vectors_file)
            except (OSError, ValueError) as exc:
                raise RunFolderError(
                    f"{vectors_file}: unreadable embedding shard ({exc}). Delete {self.dir} to "
                    "recompute the embeddings."
                ) from exc
            if vectors.shape != (len(keys), self.dim) or vectors.dtype != np.float32:
                raise RunFolderError(
                    f"{vectors_file}: shape {vectors.shape} {vectors.dtype} does not match its "
                    f"{len(keys)} keys of dimension {self.dim}. Delete {self.dir} to recompute "
                    "the embeddings."
                )
            shard = len(self._shards)
            self._shards.append(vectors)
            for row, key in enumerate(keys):
                self._index.setdefault(key, (shard, row))

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, key: str) -> bool:
        return key in self._index

    def get(self, keys: Sequence[str]) -> np.ndarray:
        """Vectors of ``keys`` (all must be present)."""
        out = np.empty((len(keys), self.dim), dtype=np.float32)
        for i, key in enumerate(keys):
            shard, row = self._index[key]
            out[i] = self._shards[shard][row]
        return out

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Store new vectors as one new shard (committed atomically)."""
        if not keys:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.dir.mkdir(parents=True, exist_ok=True)
        number = 1 + max(
            (int(m.group(1)) for p in self.dir.glob("shard-*.keys") if (m := _SHARD.match(p.name))),
            default=0,
        )
        stem = self.dir / f"shard-{number:06d}"
        try:
            with open(stem.with_suffix(".npy"), "wb") as handle:
                np.save(handle, vectors)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:  # numpy reports a short write with neither file nor errno
            raise OSError(
                exc.errno, exc.strerror or str(exc), str(stem.with_suffix(".npy"))
            ) from exc
        tmp = stem.with_suffix(".keys.tmp")
        tmp.write_text("\n".join(keys) + "\n", encoding="ascii")
        os.replace(tmp, stem.with_suffix(".keys"))
        shard = len(self._shards)
        self._shards.append(vectors)
        for row, key in enumerate(keys):
            self._index.setdefault(key, (shard, row))


def embed_texts(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache | None = None,
    *,
    on_total: Callable[[int], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors of ``texts`` in order, embedding each distinct text at most once.

    Returns ``(vectors, embedded)`` where ``embedded`` counts texts that were not in the cache.
    ``on_total(n)`` is told how many texts need the model before any work starts.
    """
    keys = [key_of(t) for t in texts]
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    missing = [k for k in first if cache is None or k not in cache]
    if on_total is not None:
        on_total(len(missing))
    fresh: dict[str, np.ndarray] = {}
    step = max(1, embedder.chunk_texts)
    for start in range(0, len(missing), step):
        chunk = missing[start : start + step]
        vectors = embedder.embed([texts[first[k]] for k in chunk], advance)
        if cache is not None:
            cache.add(chunk, vectors)
        else:
            fresh.update(zip(chunk, vectors, strict=True))
    if missing:
        log.info("embedded %d new texts with %s", len(missing), embedder.model_id)
    if cache is not None:
        return cache.get(keys), len(missing)
    out = np.empty((len(texts), embedder.dim), dtype=np.float32)
    for i, key in enumerate(keys):
        out[i] = fresh[key]
    return out, len(missing)

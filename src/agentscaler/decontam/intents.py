"""Task intents near benchmark questions: shared word n-grams or near embedded text.

Candidates for each intent: questions sharing at least one word n-gram (an inverted index), and
its ``neighbours`` most similar questions by embedding. Each candidate gets the n-gram coverage
(the share of the question's n-grams found in the intent: a question repeated inside a longer
intent scores 1, a fragment of a question scores its share) and the cosine;
:func:`intent_flagged` decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agentscaler.decontam.config import DecontamConfig
from agentscaler.decontam.text import ngrams, words
from agentscaler.decontam.tools import nearest


@dataclass(frozen=True)
class IntentPair:
    intent: int
    question: int
    ngram: float
    embedding: float


def intent_pairs(
    intents: Sequence[str],
    questions: Sequence[str],
    intent_vectors: np.ndarray,
    question_vectors: np.ndarray,
    config: DecontamConfig,
) -> list[IntentPair]:
    """Every candidate (intent, question) pair, scored."""
    sizes = [min(config.ngram, len(words(q))) for q in questions]
    question_grams = [
        ngrams(q, s) if s else frozenset() for q, s in zip(questions, sizes, strict=True)
    ]
    posting: dict[tuple[str, ...], list[int]] = {}
    for j, grams in enumerate(question_grams):
        for gram in grams:
            posting.setdefault(gram, []).append(j)
    used = sorted({s for s in sizes if s})
    index, _ = nearest(intent_vectors, question_vectors, config.neighbours)
    pairs: list[IntentPair] = []
    for i, text in enumerate(intents):
        grams = {s: ngrams(text, s) for s in used}
        shared: dict[int, int] = {}
        for size, own in grams.items():
            for gram in own:
                for j in posting.get(gram, ()):
                    if sizes[j] == size:
                        shared[j] = shared.get(j, 0) + 1
        for j in dict.fromkeys([*shared, *(int(x) for x in index[i])]):
            score = shared.get(j, 0) / len(question_grams[j]) if question_grams[j] else 0.0
            cosine = float(intent_vectors[i] @ question_vectors[j])
            pairs.append(IntentPair(i, j, score, cosine))
    return pairs


def intent_flagged(pair: IntentPair, config: DecontamConfig) -> bool:
    return pair.ngram >= config.ngram_threshold or pair.embedding >= config.intent_threshold


def best_intent_matches(
    pairs: Sequence[IntentPair], config: DecontamConfig
) -> dict[int, IntentPair]:
    """For each flagged intent, its strongest flagged question."""
    best: dict[int, IntentPair] = {}
    for pair in pairs:
        if not intent_flagged(pair, config):
            continue
        current = best.get(pair.intent)
        if current is None or max(pair.ngram, pair.embedding) > max(
            current.ngram, current.embedding
        ):
            best[pair.intent] = pair
    return best

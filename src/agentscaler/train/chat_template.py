"""The project's Qwen3-format chat template (``qwen3.jinja`` beside this module).

The template renders tools in the system turn, tool calls as ``<tool_call>`` JSON blocks, tool
results as ``<tool_response>`` blocks in a user turn and optional ``<think>`` blocks, and wraps
everything the assistant produces (including its ``<|im_end|>``) in
``{% generation %}...{% endgeneration %}`` so that transformers'
``apply_chat_template(..., return_assistant_tokens_mask=True)`` and TRL's
``assistant_only_loss=True`` supervise exactly the assistant's tokens.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

TEMPLATE_PATH = Path(__file__).with_name("qwen3.jinja")

_GENERATION_TAG = re.compile(r"\{%-?\s*generation\s*-?%\}")

QWEN_CHAT_TOKENS = ("<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>", "<tool_response>")
"""Tokens a tokenizer must know for the template to render into single special tokens."""


@cache
def qwen3_chat_template() -> str:
    """The template's Jinja source."""
    return TEMPLATE_PATH.read_text(encoding="utf-8")


def has_generation_markers(template: str | None) -> bool:
    """True when ``template`` marks the assistant's output with ``{% generation %}``."""
    return bool(template) and _GENERATION_TAG.search(template or "") is not None


def supports_qwen_template(tokenizer: Any) -> bool:
    """True when every token the template relies on is a single token of ``tokenizer``."""
    vocab = tokenizer.get_vocab()
    return all(token in vocab for token in QWEN_CHAT_TOKENS)


def render(
    tokenizer: Any,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    *,
    add_generation_prompt: bool = False,
    **kwargs: Any,
) -> str:
    """Render ``messages`` (OpenAI format) and ``tools`` to text with ``tokenizer``'s template."""
    return tokenizer.apply_chat_template(
        messages,
        tools=tools or None,
        tokenize=False,
        add_generation_prompt=add_generation_prompt,
        **kwargs,
    )

"""Per-token train masks from the chat template, and an independent check of them.

:func:`tokenize_with_mask` renders and tokenises a conversation and returns the mask the
template's ``{% generation %}`` markers give (what TRL's ``assistant_only_loss=True`` trains on),
optionally narrowed by per-message train flags.

:func:`check_mask` verifies a mask without trusting the markers: it finds the text each
assistant message contributes by rendering the conversation up to that message twice, with and
without it (the message's output starts after the generation prompt and ends with the
tokenizer's end-of-turn token), then requires every token inside such a span to be supervised
and every other token not to be, and no token to cross a span boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentscaler.errors import TrainingError
from agentscaler.train.chat_template import render


@dataclass(frozen=True)
class Span:
    """Characters ``[start, end)`` of the rendered text produced by assistant ``message``."""

    message: int
    start: int
    end: int


@dataclass(frozen=True)
class TokenizedExample:
    text: str
    input_ids: list[int]
    mask: list[int]
    """1 for supervised tokens."""
    offsets: list[tuple[int, int]]


@dataclass
class MaskCheck:
    """Result of :func:`check_mask`."""

    tokens: int = 0
    supervised: int = 0
    spans: list[Span] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_bad(self, where: str = "example") -> None:
        if self.problems:
            shown = "; ".join(self.problems[:5])
            more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
            raise TrainingError(
                f"{where}: the chat template's assistant mask is wrong: {shown}{more}. Use a "
                "template whose {% generation %} block covers exactly the assistant's output, "
                "e.g. agentscaler's Qwen3 template (agentscaler.train.chat_template)."
            )


def _clean(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if v is not None} for m in messages]


def assistant_spans(
    tokenizer: Any, messages: list[dict[str, Any]], tools: list[dict] | None = None
) -> tuple[str, list[Span]]:
    """The rendered conversation and the character span of each assistant message's output."""
    messages = _clean(messages)
    text = render(tokenizer, messages, tools)
    eos = tokenizer.eos_token
    if not eos:
        raise TrainingError("The tokenizer has no end-of-turn (eos) token; cannot find turns.")
    spans = []
    for index, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        prompt = render(tokenizer, messages[:index], tools, add_generation_prompt=True)
        upto = render(tokenizer, messages[: index + 1], tools)
        if not (upto.startswith(prompt) and text.startswith(upto)):
            raise TrainingError(
                f"Message {index}: the chat template does not render conversations "
                "prefix-consistently (the text up to an assistant turn changes when later "
                "messages are added), so assistant spans cannot be located."
            )
        end = upto.rfind(eos)
        if end < len(prompt):
            raise TrainingError(
                f"Message {index}: the rendered assistant turn does not end with {eos!r}."
            )
        spans.append(Span(index, len(prompt), end + len(eos)))
    return text, spans


def tokenize_with_mask(
    tokenizer: Any,
    messages: list[dict[str, Any]],
    tools: list[dict] | None = None,
    *,
    train: list[bool] | tuple[bool, ...] | None = None,
) -> TokenizedExample:
    """Token ids and the assistant mask from the template's generation markers.

    With ``train`` (one flag per message), the tokens of assistant messages flagged False are
    removed from the mask.
    """
    messages = _clean(messages)
    out = tokenizer.apply_chat_template(
        messages,
        tools=tools or None,
        tokenize=True,
        return_dict=True,
        return_assistant_tokens_mask=True,
    )
    text = render(tokenizer, messages, tools)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    if list(encoded["input_ids"]) != list(out["input_ids"]):
        raise TrainingError("Tokenising the rendered text does not give the template's tokens.")
    mask = list(out["assistant_masks"])
    offsets = [tuple(o) for o in encoded["offset_mapping"]]
    if train is not None:
        if len(train) != len(messages):
            raise TrainingError(f"{len(train)} train flags for {len(messages)} messages.")
        _, spans = assistant_spans(tokenizer, messages, tools)
        off = [s for s in spans if not train[s.message]]
        for k, (start, end) in enumerate(offsets):
            if any(start < s.end and end > s.start for s in off):
                mask[k] = 0
    return TokenizedExample(text, list(out["input_ids"]), mask, offsets)


def check_mask(
    tokenizer: Any,
    messages: list[dict[str, Any]],
    tools: list[dict] | None = None,
    *,
    input_ids: list[int] | None = None,
    mask: list[int] | None = None,
) -> MaskCheck:
    """Check ``mask`` over ``input_ids`` (default: the template's own) against assistant spans."""
    text, spans = assistant_spans(tokenizer, messages, tools)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(encoded["input_ids"])
    if input_ids is None or mask is None:
        example = tokenize_with_mask(tokenizer, messages, tools)
        input_ids, mask = example.input_ids, example.mask
    report = MaskCheck(tokens=len(ids), spans=spans)
    if list(input_ids) != ids:
        report.problems.append("the token ids are not the tokenisation of the rendered chat")
        return report
    if len(mask) != len(ids):
        report.problems.append(f"{len(mask)} mask values for {len(ids)} tokens")
        return report
    for k, (start, end) in enumerate(encoded["offset_mapping"]):
        inside = next((s for s in spans if s.start <= start and end <= s.end), None)
        crossing = next((s for s in spans if start < s.end and end > s.start), None)
        piece = text[start:end]
        if inside is None and crossing is not None:
            report.problems.append(
                f"token {k} {piece!r} crosses the boundary of assistant message {crossing.message}"
            )
        elif inside is not None and not mask[k]:
            report.problems.append(
                f"token {k} {piece!r} of assistant message {inside.message} is not supervised"
            )
        elif inside is None and mask[k]:
            report.problems.append(f"token {k} {piece!r} outside assistant output is supervised")
        report.supervised += int(bool(mask[k]))
    return report

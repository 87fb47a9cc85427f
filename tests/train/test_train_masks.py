"""Token-level assistant masks with the real Qwen vocabulary and the Qwen3 chat template.

The spans are found here without the generation markers: in Qwen3 format every assistant turn
starts after ``<|im_start|>assistant\\n`` and ends with its ``<|im_end|>``. Each span is matched
to its message (text, reasoning and every tool call must appear in it), then every token is
compared: supervised exactly when it lies inside an assistant span.
"""

from __future__ import annotations

import json

import pytest

HEADER = "<|im_start|>assistant\n"
END = "<|im_end|>"


def turn_spans(text: str) -> list[tuple[int, int]]:
    spans, position = [], 0
    while (found := text.find(HEADER, position)) >= 0:
        start = found + len(HEADER)
        end = text.index(END, start) + len(END)
        spans.append((start, end))
        position = end
    return spans


def expected_pieces(message: dict) -> list[str]:
    pieces = []
    if message.get("reasoning_content"):
        pieces.append(f"<think>\n{message['reasoning_content'].strip()}\n</think>")
    if (message.get("content") or "").strip():
        pieces.append(message["content"].strip())
    for call in message.get("tool_calls") or ():
        function = call["function"]
        pieces.append(
            f'<tool_call>\n{{"name": "{function["name"]}", "arguments": {function["arguments"]}}}'
            "\n</tool_call>"
        )
    return pieces


def assert_masks_cover_exactly_assistant_output(tokenizer, messages, tools):
    out = tokenizer.apply_chat_template(
        messages, tools=tools, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    ids, mask = out["input_ids"], out["assistant_masks"]
    text = tokenizer.apply_chat_template(messages, tools=tools, tokenize=False)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    assert encoded["input_ids"] == ids
    offsets = encoded["offset_mapping"]

    assistants = [m for m in messages if m["role"] == "assistant"]
    spans = turn_spans(text)
    assert len(spans) == len(assistants)
    for (start, end), message in zip(spans, assistants, strict=True):
        body = text[start:end]
        position = 0
        for piece in expected_pieces(message):
            found = body.find(piece, position)
            assert found >= 0, (piece, body)
            position = found + len(piece)
        assert body.endswith(END)

    for k, (a, b) in enumerate(offsets):
        inside = any(start <= a and b <= end for start, end in spans)
        crosses = any(a < end and b > start for start, end in spans) and not inside
        assert not crosses, f"token {k} {text[a:b]!r} crosses an assistant boundary"
        assert bool(mask[k]) == inside, f"token {k} {text[a:b]!r}: mask {mask[k]}, inside {inside}"

    # decoding the supervised tokens of each span gives back exactly the span's text
    for start, end in spans:
        tokens = [k for k, (a, b) in enumerate(offsets) if start <= a and b <= end]
        assert tokens == list(range(tokens[0], tokens[-1] + 1))
        assert all(mask[k] for k in tokens)
        assert tokenizer.decode([ids[k] for k in tokens]) == text[start:end]

    # nothing from the user, the tools or the system prompt is supervised
    supervised = tokenizer.decode([t for t, m in zip(ids, mask, strict=True) if m])
    for message in messages:
        if message["role"] != "assistant" and len(message.get("content") or "") > 12:
            assert message["content"] not in supervised
    return sum(mask)


def test_masks_on_multi_turn_tool_conversations(qwen, chats):
    for messages, tools in chats:
        supervised = assert_masks_cover_exactly_assistant_output(qwen, messages, tools)
        assert supervised > 50


def test_masks_on_recorded_tau_bench_trajectories(qwen, external):
    records = json.loads(external("tau-bench/gpt-4o-airline.json").read_text("utf-8"))
    checked = 0
    for record in records[:: len(records) // 6]:
        messages = []
        for message in record["traj"]:
            message = {k: v for k, v in message.items() if v is not None}
            if message["role"] == "tool":
                message.pop("name", None)
            messages.append(message)
        names = sorted({c["function"]["name"] for m in messages for c in m.get("tool_calls") or ()})
        tools = [
            {"type": "function", "function": {"name": n, "parameters": {"type": "object"}}}
            for n in names
        ]
        assert_masks_cover_exactly_assistant_output(qwen, messages, tools)
        checked += 1
    assert checked >= 6


def test_mask_checker_agrees_and_catches_a_wrong_mask(qwen, chats):
    from agentscaler.train.masks import check_mask, tokenize_with_mask

    messages, tools = chats[0]
    example = tokenize_with_mask(qwen, messages, tools)
    report = check_mask(qwen, messages, tools, input_ids=example.input_ids, mask=example.mask)
    assert report.ok, report.problems
    assert report.supervised == sum(example.mask)
    assert len(report.spans) == sum(m["role"] == "assistant" for m in messages)

    first = example.mask.index(1)
    leaked = list(example.mask)
    leaked[first - 1] = 1  # the token before the first assistant output (the header's newline)
    assert not check_mask(qwen, messages, tools, input_ids=example.input_ids, mask=leaked).ok
    missing = list(example.mask)
    missing[first + 2] = 0
    bad = check_mask(qwen, messages, tools, input_ids=example.input_ids, mask=missing)
    assert any("not supervised" in p for p in bad.problems)


def test_per_message_train_flags_narrow_the_mask(qwen, chats):
    from agentscaler.train.masks import tokenize_with_mask

    messages, tools = chats[1]
    flags = [m["role"] == "assistant" for m in messages]
    full = tokenize_with_mask(qwen, messages, tools, train=flags)
    assert full.mask == tokenize_with_mask(qwen, messages, tools).mask
    first_assistant = flags.index(True)
    flags[first_assistant] = False
    narrowed = tokenize_with_mask(qwen, messages, tools, train=flags)
    dropped = [k for k, (a, b) in enumerate(zip(full.mask, narrowed.mask, strict=True)) if a != b]
    assert dropped and all(full.mask[k] == 1 and narrowed.mask[k] == 0 for k in dropped)
    supervised_before = qwen.decode([full.input_ids[k] for k in dropped])
    call = messages[first_assistant]["tool_calls"][0]["function"]
    assert call["name"] in supervised_before


def test_template_without_generation_markers_fails_the_check(qwen, chats):
    from agentscaler.train.masks import check_mask

    messages, tools = chats[2]
    broken = qwen.chat_template.replace("{%- generation -%}", "").replace(
        "{%- endgeneration -%}", ""
    )
    tokenizer = qwen
    original = tokenizer.chat_template
    try:
        tokenizer.chat_template = broken
        example = tokenizer.apply_chat_template(
            messages, tools=tools, tokenize=True, return_dict=True
        )
        zeros = [0] * len(example["input_ids"])
        report = check_mask(tokenizer, messages, tools, input_ids=example["input_ids"], mask=zeros)
        assert not report.ok
        with pytest.raises(Exception, match="assistant mask is wrong"):
            report.raise_if_bad()
    finally:
        tokenizer.chat_template = original

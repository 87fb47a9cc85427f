"""The Qwen3-format chat template: what it renders, and that TRL accepts it for masking."""

from __future__ import annotations

import json

import pytest

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_order",
            "description": "Get an order — Bestellung",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
        },
    }
]

MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Status of #W1 and #W2?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "a",
                "type": "function",
                "function": {"name": "get_order", "arguments": '{"order_id": "#W1"}'},
            },
            {
                "id": "b",
                "type": "function",
                "function": {"name": "get_order", "arguments": {"order_id": "#W2"}},
            },
        ],
    },
    {"role": "tool", "tool_call_id": "a", "content": '{"status": "open"}'},
    {"role": "tool", "tool_call_id": "b", "content": '{"error": "not found"}'},
    {
        "role": "assistant",
        "content": "\n#W1 is open; #W2 does not exist. ",
        "reasoning_content": "ok",
    },
]


def test_renders_qwen3_format(qwen):
    text = qwen.apply_chat_template(MESSAGES, tools=TOOLS, tokenize=False)
    system, rest = text.split("<|im_end|>\n", 1)
    assert system.startswith("<|im_start|>system\nBe brief.\n\n# Tools\n\n")
    assert "<tools>\n" + json.dumps(TOOLS[0], ensure_ascii=False) + "\n</tools>" in system
    assert system.endswith(
        '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
    )
    assert rest == (
        "<|im_start|>user\nStatus of #W1 and #W2?<|im_end|>\n"
        "<|im_start|>assistant\n"
        '<tool_call>\n{"name": "get_order", "arguments": {"order_id": "#W1"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "get_order", "arguments": {"order_id": "#W2"}}\n</tool_call>'
        "<|im_end|>\n"
        "<|im_start|>user\n<tool_response>\n" + '{"status": "open"}' + "\n</tool_response>\n"
        "<tool_response>\n" + '{"error": "not found"}' + "\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\n<think>\nok\n</think>\n\n"
        "#W1 is open; #W2 does not exist.<|im_end|>\n"
    )


def test_without_tools_or_system(qwen):
    text = qwen.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
    assert text == "<|im_start|>user\nhi<|im_end|>\n"
    plain = qwen.apply_chat_template(MESSAGES[:2], tokenize=False)
    assert plain.startswith("<|im_start|>system\nBe brief.<|im_end|>\n") and "# Tools" not in plain


def test_generation_prompt_and_thinking_switch(qwen):
    prompt = qwen.apply_chat_template(MESSAGES[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>assistant\n")
    no_think = qwen.apply_chat_template(
        MESSAGES[:2], tokenize=False, add_generation_prompt=True, enable_thinking=False
    )
    assert no_think.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


def test_rendering_is_prefix_consistent(qwen):
    full = qwen.apply_chat_template(MESSAGES, tools=TOOLS, tokenize=False)
    for end in range(1, len(MESSAGES)):
        if MESSAGES[end - 1]["role"] == "tool" and MESSAGES[end]["role"] == "tool":
            continue  # consecutive tool results share one turn: no cut inside it
        part = qwen.apply_chat_template(MESSAGES[:end], tools=TOOLS, tokenize=False)
        assert full.startswith(part)
        if MESSAGES[end]["role"] == "assistant":
            prompt = qwen.apply_chat_template(
                MESSAGES[:end], tools=TOOLS, tokenize=False, add_generation_prompt=True
            )
            assert full.startswith(prompt)


def test_unknown_role_is_refused(qwen):
    with pytest.raises(Exception, match="Unknown message role narrator"):
        qwen.apply_chat_template([{"role": "narrator", "content": "x"}], tokenize=False)


def test_trl_accepts_the_template_for_assistant_only_loss(qwen):
    from trl.chat_template_utils import is_chat_template_stop_token_trained

    from agentscaler.train.chat_template import has_generation_markers

    assert has_generation_markers(qwen.chat_template)
    assert is_chat_template_stop_token_trained(qwen)

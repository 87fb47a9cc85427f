"""Chat templates: Qwen3's official one (the Qwen tokenizer's and the tiny model's) and the
project's Qwen3-format template (used only when asked)."""

from __future__ import annotations

import json
from pathlib import Path

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


def _project(qwen, messages, **kwargs):
    from agentscaler.train.chat_template import project_chat_template

    return qwen.apply_chat_template(messages, chat_template=project_chat_template(), **kwargs)


def test_the_qwen_tokenizer_carries_qwen3s_official_template(qwen, tiny_model):
    import trl

    from agentscaler.train.chat_template import describe_template, official_qwen3_template

    shipped = (Path(trl.__file__).parent / "chat_templates" / "qwen3.jinja").read_text("utf-8")
    assert official_qwen3_template() == shipped == qwen.chat_template
    assert (tiny_model / "chat_template.jinja").read_text("utf-8") == shipped
    assert describe_template(qwen.chat_template) == "qwen3-official"


def test_official_template_drops_earlier_think_blocks(qwen):
    text = qwen.apply_chat_template(MESSAGES, tools=TOOLS, tokenize=False)
    first_turn = text.split("<|im_start|>assistant\n")[1]
    assert first_turn.startswith("<tool_call>")  # no think block on an earlier turn
    assert text.endswith(
        "<|im_start|>assistant\n<think>\nok\n</think>\n\n#W1 is open; #W2 does not exist. "
        "<|im_end|>\n"
    )
    upto_first = qwen.apply_chat_template(MESSAGES[:3], tools=TOOLS, tokenize=False)
    assert upto_first.split("<|im_start|>assistant\n")[1].startswith("<think>\n\n</think>\n\n")
    assert not text.startswith(upto_first)  # not prefix-consistent: why turns train apart


def test_project_template_renders_qwen3_format(qwen):
    text = _project(qwen, MESSAGES, tools=TOOLS, tokenize=False)
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
    text = _project(qwen, [{"role": "user", "content": "hi"}], tokenize=False)
    assert text == "<|im_start|>user\nhi<|im_end|>\n"
    plain = _project(qwen, MESSAGES[:2], tokenize=False)
    assert plain.startswith("<|im_start|>system\nBe brief.<|im_end|>\n") and "# Tools" not in plain


def test_generation_prompt_and_thinking_switch(qwen):
    for render in (qwen.apply_chat_template, lambda *a, **k: _project(qwen, *a, **k)):
        prompt = render(MESSAGES[:2], tokenize=False, add_generation_prompt=True)
        assert prompt.endswith("<|im_start|>assistant\n")
    no_think = _project(
        qwen, MESSAGES[:2], tokenize=False, add_generation_prompt=True, enable_thinking=False
    )
    assert no_think.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


def test_project_rendering_is_prefix_consistent(qwen):
    full = _project(qwen, MESSAGES, tools=TOOLS, tokenize=False)
    for end in range(1, len(MESSAGES)):
        if MESSAGES[end - 1]["role"] == "tool" and MESSAGES[end]["role"] == "tool":
            continue  # consecutive tool results share one turn: no cut inside it
        part = _project(qwen, MESSAGES[:end], tools=TOOLS, tokenize=False)
        assert full.startswith(part)
        if MESSAGES[end]["role"] == "assistant":
            prompt = _project(
                qwen, MESSAGES[:end], tools=TOOLS, tokenize=False, add_generation_prompt=True
            )
            assert full.startswith(prompt)


def test_unknown_role_is_refused_by_the_project_template(qwen):
    with pytest.raises(Exception, match="Unknown message role narrator"):
        _project(qwen, [{"role": "narrator", "content": "x"}], tokenize=False)


def test_training_template_choice(qwen, tmp_path):
    from agentscaler.errors import TrainingError
    from agentscaler.train.chat_template import project_chat_template, training_template

    assert training_template(None, qwen, tmp_path) == qwen.chat_template
    assert training_template("project", qwen, tmp_path) == project_chat_template()
    custom = tmp_path / "t.jinja"
    custom.write_text("{{ messages[0].content }}", encoding="utf-8")
    assert training_template(str(custom), qwen, tmp_path) == "{{ messages[0].content }}"
    with pytest.raises(TrainingError, match="no such file"):
        training_template(str(tmp_path / "nope.jinja"), qwen, tmp_path)

    class Bare:
        chat_template = None

    with pytest.raises(TrainingError, match="has no chat template"):
        training_template(None, Bare(), tmp_path)

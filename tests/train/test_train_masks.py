"""Training examples and assistant masks against rendering each prefix with the chat template.

The reference here is written out plainly: assistant turn ``i`` is supervised on the tokens that
rendering ``messages[:i + 1]`` adds to the tokens of ``messages[:i]`` rendered with the generation
prompt, both tokenised by the tokenizer itself, in an example whose tokens start with that
rendering.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from agentscaler.train.masks import (
    NO_TRAINABLE_TURN,
    TOO_LONG,
    ChatEncoder,
    check_examples,
    row_examples,
)


def reference_turns(tokenizer, template, messages, tools):
    """{assistant index: (prompt token count, tokens up to and including the turn)}."""
    messages = [{k: v for k, v in m.items() if v is not None} for m in messages]

    def tokens(upto, prompt):
        text = tokenizer.apply_chat_template(
            messages[:upto], tools=tools, chat_template=template, tokenize=False,
            add_generation_prompt=prompt,
        )  # fmt: skip
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    return {
        i: (len(tokens(i, True)), tokens(i + 1, False))
        for i, m in enumerate(messages)
        if m["role"] == "assistant"
    }


def assert_examples_match(tokenizer, template, messages, tools, examples, train=None):
    """Every trained turn once, in an example starting with its rendering; masks exact."""
    reference = reference_turns(tokenizer, template, messages, tools)
    seen = []
    for example in examples:
        ids, mask = example.input_ids.tolist(), example.mask.tolist()
        expected = [0] * len(ids)
        for index in example.turns:
            prompt, full = reference[index]
            assert ids[: len(full)] == full, f"turn {index}: tokens differ from its rendering"
            expected[prompt : len(full)] = [1] * (len(full) - prompt)
            seen.append(index)
        assert len(ids) == len(reference[example.turns[-1]][1])
        assert mask == expected
    wanted = [i for i in reference if train is None or train[i]]
    assert sorted(seen) == wanted
    return sum(int(e.mask.sum()) for e in examples)


def test_official_template_examples_on_tool_conversations(qwen, chats):
    encoder = ChatEncoder(qwen, qwen.chat_template)
    shared = []
    for messages, tools in chats:
        made = row_examples(encoder, messages, tools, [True] * len(messages), 100_000)
        assert made.drop is None
        assistants = sum(m["role"] == "assistant" for m in messages)
        assert made.trained_turns == assistants
        # Qwen3's official template re-renders an earlier turn without its think block (unless
        # it reasoned since the last user message), so such turns get examples of their own
        shared.append(len(made.examples) < assistants)
        reasoned = any(m.get("reasoning_content") for m in messages)
        assert shared[-1] == reasoned
        supervised = assert_examples_match(qwen, qwen.chat_template, messages, tools, made.examples)
        assert supervised > 50
        assert check_examples(qwen, qwen.chat_template, messages, tools, made.examples) == []
        for example in made.examples:
            reply = example.input_ids[example.mask.astype(bool)].tolist()
            text = qwen.decode(reply)
            assert text.startswith("<think>\n") and text.endswith("<|im_end|>\n")
    assert shared == [False, True, False]  # the flight chat reasons


def test_project_template_puts_all_turns_in_one_example(qwen, chats):
    from agentscaler.train.chat_template import project_chat_template

    template = project_chat_template()
    encoder = ChatEncoder(qwen, template)
    for messages, tools in chats:
        made = row_examples(encoder, messages, tools, [True] * len(messages), 100_000)
        assert len(made.examples) == 1
        assert_examples_match(qwen, template, messages, tools, made.examples)


def test_the_check_catches_wrong_masks_and_other_templates(qwen, chats):
    from agentscaler.train.chat_template import project_chat_template
    from agentscaler.train.masks import Example

    messages, tools = chats[1]
    official = qwen.chat_template
    made = row_examples(ChatEncoder(qwen, official), messages, tools, [True] * len(messages), 10**5)
    first = made.examples[0]
    for position in (int(np.argmax(first.mask)), int(np.argmax(first.mask)) - 1):
        flipped = first.mask.copy()
        flipped[position] ^= 1
        broken = [Example(first.input_ids, flipped, first.turns)]
        assert check_examples(qwen, official, messages, tools, broken)
        with pytest.raises(AssertionError):
            assert_examples_match(qwen, official, messages, tools, broken + made.examples[1:])
    project = row_examples(
        ChatEncoder(qwen, project_chat_template()), messages, tools, [True] * len(messages), 10**5
    )
    assert check_examples(qwen, official, messages, tools, project.examples)


def test_turns_not_flagged_stay_in_context_only(qwen, chats):
    messages, tools = chats[0]
    flags = [m["role"] == "assistant" for m in messages]
    first = flags.index(True)
    flags[first] = False
    made = row_examples(ChatEncoder(qwen, qwen.chat_template), messages, tools, flags, 100_000)
    assert first not in {t for e in made.examples for t in e.turns}
    assert_examples_match(qwen, qwen.chat_template, messages, tools, made.examples, train=flags)
    nothing = row_examples(
        ChatEncoder(qwen, qwen.chat_template), messages, tools, [False] * len(messages), 10**5
    )
    assert nothing.drop == NO_TRAINABLE_TURN and not nothing.examples


def test_long_rows_are_cut_at_a_turn_boundary_and_counted(qwen, chats):
    messages, tools = chats[0]
    encoder = ChatEncoder(qwen, qwen.chat_template)
    reference = reference_turns(qwen, qwen.chat_template, messages, tools)
    lengths = sorted(len(full) for _, full in reference.values())
    limit = lengths[1]  # room for the two shortest turns only
    made = row_examples(encoder, messages, tools, [True] * len(messages), limit)
    assert made.trained_turns == 2 and made.dropped_turns[TOO_LONG] == len(lengths) - 2
    assert all(len(e.input_ids) <= limit for e in made.examples)
    assert_examples_match(
        qwen, qwen.chat_template, messages, tools, made.examples,
        train=[i in {t for e in made.examples for t in e.turns} for i in range(len(messages))],
    )  # fmt: skip
    none = row_examples(encoder, messages, tools, [True] * len(messages), lengths[0] - 1)
    assert none.drop == TOO_LONG and none.shortest == lengths[0] and not none.examples


def test_encoder_tokenises_like_the_tokenizer(qwen, chats):
    encoder = ChatEncoder(qwen, qwen.chat_template)
    texts = [encoder.render(m, t) for m, t in chats]
    texts += ["Cafe\u0301 <|im_start|>user\n<tool_call>x</tool_call>  \n\n", "", "<think>"]
    for text in texts * 2:  # the second pass reads the piece cache
        assert encoder.encode(text) == qwen(text, add_special_tokens=False)["input_ids"]


def test_masks_on_recorded_tau_bench_trajectories(qwen, external):
    records = json.loads(external("tau-bench/gpt-4o-airline.json").read_text("utf-8"))
    encoder = ChatEncoder(qwen, qwen.chat_template)
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
        made = row_examples(encoder, messages, tools, [True] * len(messages), 100_000)
        assert_examples_match(qwen, qwen.chat_template, messages, tools, made.examples)
        checked += 1
    assert checked >= 6

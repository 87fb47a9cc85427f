"""The response normaliser: reasoning, text tool calls, unusable entries, ids, wire arguments,
and the client's handling of answers cut at the token limit."""

from __future__ import annotations

import json

import pytest

from agentscaler.errors import LLMResponseError
from agentscaler.llm.normalize import CallIds, normalize_message, split_reasoning, wire_arguments
from agentscaler.llm.tool_parsers import extract_tool_calls
from agentscaler.llm.transport import MockLLM, completion_body, reply_status
from agentscaler.records import Message, ToolCall, ToolCallFunction

TOOLS = [
    {"type": "function", "function": {"name": "get_order", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "cancel_order", "parameters": {"type": "object"}}},
]


# --- reasoning ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected_content", "expected_reasoning"),
    [
        (
            "<think>check the order</think>\n\nYour order shipped.",
            "Your order shipped.",
            "check the order",
        ),
        (
            "check the order\n</think>\n\nYour order shipped.",
            "Your order shipped.",
            "check the order",
        ),
        ("<think>I could say ###STOP### but", None, "I could say ###STOP### but"),
        ("<thinking>a</thinking>b", "b", "a"),
        ("<think>a</think>mid<think>b</think> end", "mid end", "a\n\nb"),
        ("I think you are right.", "I think you are right.", None),
        ("", "", None),
        (None, None, None),
    ],
)
def test_reasoning_is_split_from_content(content, expected_content, expected_reasoning):
    assert split_reasoning(content) == (expected_content, expected_reasoning)


def test_reasoning_fields_and_inline_reasoning_are_kept_together_out_of_content():
    message = normalize_message(
        {"content": "<think>inline</think>Done.", "reasoning_content": "field"}
    )
    assert message.content == "Done."
    assert message.reasoning_content == "field\n\ninline"
    assert normalize_message({"content": "x", "reasoning": "why"}).reasoning_content == "why"


def test_tool_call_text_inside_reasoning_is_not_a_call():
    text = (
        '<think>maybe <tool_call>{"name": "cancel_order", "arguments": {}}</tool_call></think>No.'
    )
    message = normalize_message({"content": text}, tools=TOOLS)
    assert message.tool_calls is None and message.content == "No."


# --- text tool calls ------------------------------------------------------------------------------

HERMES = (
    'Let me look.\n<tool_call>\n{"name": "get_order", "arguments": {"order_id": "O-1"}}\n'
    '</tool_call>\n<tool_call>\n{"name": "cancel_order", "arguments": {"order_id": "O-1"}}'
)
QWEN_XML = (
    "<tool_call>\n<function=get_order>\n<parameter=order_id>\nO-1\n</parameter>\n"
    "<parameter=limit>\n3\n</parameter>\n</function>\n</tool_call>"
)
LLAMA3 = (
    '<|python_tag|>{"name": "get_order", "parameters": {"order_id": "O-1"}}; '
    '{"name": "cancel_order", "parameters": {"order_id": "O-1"}}'
)
MISTRAL_LIST = (
    'Sure. [TOOL_CALLS][{"name": "get_order", "arguments": {"order_id": "O-1"}, "id": "a1b2c3d4e"},'
    ' {"name": "cancel_order", "arguments": {"order_id": "O-1"}}]'
)
MISTRAL_NAMED = '[TOOL_CALLS]get_order[ARGS]{"order_id": "O-1"}[TOOL_CALLS]cancel_order[ARGS]{"order_id": "O-1"}'
JSON_FENCE = '```json\n[{"name": "get_order", "arguments": {"order_id": "O-1"}}, ' + (
    '{"function": {"name": "cancel_order", "arguments": "{\\"order_id\\": \\"O-1\\"}"}}]\n```'
)


@pytest.mark.parametrize(
    ("text", "parser", "content"),
    [
        (HERMES, "hermes", "Let me look."),
        (LLAMA3, "llama3", None),
        (MISTRAL_LIST, "mistral", "Sure."),
        (MISTRAL_NAMED, "mistral", None),
        (JSON_FENCE, "json", None),
        ('{"name": "get_order", "parameters": {"order_id": "O-1"}}', "llama3", None),
    ],
)
@pytest.mark.parametrize("chosen", ["auto", "named"])
def test_text_tool_calls_in_each_format(text, parser, content, chosen):
    message = normalize_message(
        {"content": text}, tools=TOOLS, parser=parser if chosen == "named" else "auto"
    )
    assert message.content == content
    names = [c.function.name for c in message.tool_calls]
    assert names[0] == "get_order"
    assert json.loads(message.tool_calls[0].function.arguments) == {"order_id": "O-1"}
    if len(names) > 1:
        assert names == ["get_order", "cancel_order"]
        assert json.loads(message.tool_calls[1].function.arguments) == {"order_id": "O-1"}
    assert all(c.id for c in message.tool_calls)
    assert len({c.id for c in message.tool_calls}) == len(names)


def test_qwen3_coder_xml_calls_are_read_by_the_hermes_parser():
    message = normalize_message({"content": QWEN_XML}, tools=TOOLS)
    call = message.tool_calls[0]
    assert call.function.name == "get_order"
    assert json.loads(call.function.arguments) == {"order_id": "O-1", "limit": 3}


def test_mistral_ids_are_kept():
    message = normalize_message({"content": MISTRAL_LIST}, tools=TOOLS)
    assert message.tool_calls[0].id == "a1b2c3d4e"


def test_broken_json_in_a_text_call_keeps_the_name_and_the_raw_arguments():
    text = '<tool_call>{"name": "get_order", "arguments": {"order_id": "O-1", </tool_call>'
    call = normalize_message({"content": text}, tools=TOOLS).tool_calls[0]
    assert call.function.name == "get_order"
    with pytest.raises(json.JSONDecodeError):
        json.loads(call.function.arguments)


def test_text_calls_are_parsed_only_when_tools_were_offered_and_parsing_is_on():
    assert normalize_message({"content": HERMES}).tool_calls is None
    assert normalize_message({"content": HERMES}, tools=TOOLS, parser="none").tool_calls is None
    assert normalize_message({"content": HERMES}, tools=TOOLS, parser="mistral").tool_calls is None


def test_auto_keeps_a_json_answer_that_names_no_offered_tool():
    answer = '{"name": "Ada Lovelace", "arguments": "none"}'
    assert normalize_message({"content": answer}, tools=TOOLS).tool_calls is None
    assert normalize_message({"content": answer}, tools=TOOLS, parser="json").tool_calls


def test_unknown_parser_name_is_refused():
    with pytest.raises(ValueError, match="unknown tool-call parser 'xml'"):
        extract_tool_calls("<x/>", "xml", ())


# --- unusable entries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calls", "match"),
    [
        ([None], r"tool_calls\[0\] is None"),
        ([{"id": "a", "function": {"name": "f", "arguments": "{}"}}, None], r"tool_calls\[1\]"),
        (["get_order"], "not a tool-call object"),
        ([{"id": "a", "function": None}], "no 'function' object"),
        ([{"id": "a", "function": {"arguments": "{}"}}], "no function name"),
        ({"id": "a"}, "not a list"),
    ],
)
def test_unusable_tool_call_entries_are_response_errors(calls, match):
    with pytest.raises(LLMResponseError, match=match):
        normalize_message({"content": None, "tool_calls": calls})


def test_null_entries_are_retried_by_the_client():
    broken = completion_body("x")
    broken["choices"][0]["message"] = {"role": "assistant", "content": None, "tool_calls": [None]}
    good = {"tool_calls": [{"name": "get_order", "arguments": {"order_id": "O-1"}}]}
    llm = MockLLM([broken, good])
    with llm.client() as client:
        result = client.chat_sync([{"role": "user", "content": "hi"}], TOOLS)
    assert result.message.tool_calls[0].function.name == "get_order"
    assert result.usage.retries == 1 and len(llm.requests) == 2


def test_double_encoded_arguments_are_unwrapped():
    call = {"id": "a", "function": {"name": "f", "arguments": json.dumps('{"x": 1}')}}
    message = normalize_message({"tool_calls": [call]})
    assert json.loads(message.tool_calls[0].function.arguments) == {"x": 1}
    kept = {"id": "a", "function": {"name": "f", "arguments": '"just text"'}}
    assert normalize_message({"tool_calls": [kept]}).tool_calls[0].function.arguments == (
        '"just text"'
    )


# --- per episode ----------------------------------------------------------------------------------


def _calls(*ids: str) -> Message:
    return Message(
        role="assistant",
        tool_calls=tuple(
            ToolCall(id=i, function=ToolCallFunction(name="f", arguments="{}")) for i in ids
        ),
    )


def test_call_ids_are_made_unique_per_episode():
    ids = CallIds()
    first = _calls("call_0", "call_1")
    assert ids.unique(first) is first
    second = ids.unique(_calls("call_0", "call_0", "fresh"))
    got = [c.id for c in second.tool_calls]
    assert got[2] == "fresh"
    assert len(set(got)) == 3 and not {"call_0", "call_1"} & set(got[:2])
    mistral = ids.unique(_calls("a1b2c3d4e", "a1b2c3d4e"))
    renamed = mistral.tool_calls[1].id
    assert renamed != "a1b2c3d4e" and len(renamed) == 9 and renamed.isalnum()


@pytest.mark.parametrize(
    ("arguments", "wire"),
    [
        ('{"a": 1}', '{"a": 1}'),
        (' {"a": 1} ', ' {"a": 1} '),
        ('{"a": 1, "', "{}"),
        ("", "{}"),
        ("[1, 2]", "{}"),
        ('"{}"', "{}"),
        ("null", "{}"),
    ],
)
def test_wire_arguments_are_always_a_json_object(arguments, wire):
    assert wire_arguments(arguments) == wire


# --- answers cut at the token limit ---------------------------------------------------------------


def _cut(text: str, tokens: int) -> dict:
    return completion_body(
        text, finish_reason="length", usage={"prompt_tokens": 5, "completion_tokens": tokens}
    )


def test_a_cut_answer_is_asked_again_with_a_larger_budget():
    llm = MockLLM([_cut("Your ord", 40), completion_body("Your order shipped.")])
    with llm.client() as client:
        result = client.chat_sync([{"role": "user", "content": "hi"}], max_tokens=40)
    assert result.message.content == "Your order shipped."
    assert result.finish_reason == "stop"
    assert [r.get("max_tokens") for r in llm.requests] == [40, 1024]
    assert result.usage.requests == 2 and result.usage.completion_tokens == 40


def test_a_budget_the_server_refuses_returns_the_cut_answer():
    llm = MockLLM([_cut("x" * 10, 600), reply_status(400, "max_tokens too large")])
    with llm.client() as client:
        result = client.chat_sync([{"role": "user", "content": "hi"}], max_tokens=600)
    assert result.finish_reason == "length"
    assert llm.requests[1]["max_tokens"] == 1200


def test_length_retry_can_be_turned_off():
    llm = MockLLM([_cut("x", 3)])
    with llm.client(length_retry=False) as client:
        result = client.chat_sync([{"role": "user", "content": "hi"}])
    assert result.finish_reason == "length" and len(llm.requests) == 1


@pytest.mark.parametrize(
    "message",
    [
        {"content": None, "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": 7}}]},
        {"content": None, "tool_calls": [{"id": "a", "function": {"name": ["f"]}}]},
    ],
)
def test_odd_field_types_are_response_errors_not_crashes(message):
    from agentscaler.llm.messages import parse_completion

    body = {"choices": [{"message": message, "finish_reason": 3}], "model": 5}
    with pytest.raises(LLMResponseError):
        parse_completion(body)


def test_odd_usage_and_finish_reason_values_are_ignored():
    from agentscaler.llm.messages import parse_completion, usage_from_openai

    body = {"choices": [{"message": {"content": "hi"}, "finish_reason": 3}], "model": 5}
    message, finish, _, model = parse_completion(body)
    assert (message.content, finish, model) == ("hi", None, None)
    usage = usage_from_openai({"prompt_tokens": "many", "completion_tokens": -3})
    assert (usage.prompt_tokens, usage.completion_tokens) == (0, 0)

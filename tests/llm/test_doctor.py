"""``agentscaler doctor`` against the quirk server's modes."""

from __future__ import annotations

import pytest

from agentscaler.llm.stub import BrainError, FunctionBrain, QuirkPlan, StubServer, tool_call

ANSWER = "The ball costs 0.05."


def weather(request):
    if request.get("tools"):
        return {"tool_calls": [tool_call("get_weather", {"city": "Paris"})]}
    return ANSWER


def doctor(cli, brain, quirks=QuirkPlan()):
    with StubServer(FunctionBrain(brain), quirks=quirks) as server:
        result = cli("doctor", "--base-url", server.base_url, "--model", "m")
    return result.exit_code, " ".join(result.output.split())


def test_a_server_with_parsers_needs_nothing(cli):
    code, out = doctor(cli, weather, QuirkPlan(reasoning="reasoning_content"))
    assert code == 0
    assert "tool calls arrive structured" in out
    assert "reasoning arrives in the 'reasoning_content' field" in out
    assert "--tool-call-parser auto (the default)" in out


@pytest.mark.parametrize(
    ("fmt", "server_flag"),
    [
        ("hermes", "--enable-auto-tool-choice --tool-call-parser hermes"),
        ("llama3", "llama3_json"),
        ("mistral", "mistral for Mistral"),
        ("json", "--jinja"),
    ],
)
def test_text_tool_calls_name_their_parser_and_the_server_flags(cli, fmt, server_flag):
    code, out = doctor(cli, weather, QuirkPlan(tool_call_format=fmt))
    assert code == 0
    assert f"tool calls arrive as {fmt} text" in out
    assert f"agentscaler: --tool-call-parser {fmt}" in out
    assert server_flag in out


@pytest.mark.parametrize("mode", ["think", "open_think"])
def test_inline_reasoning_asks_for_a_reasoning_parser(cli, mode):
    code, out = doctor(cli, weather, QuirkPlan(reasoning=mode))
    assert code == 0
    assert "reasoning arrives inline" in out and "--reasoning-parser qwen3" in out


def test_no_reasoning_is_reported_as_such(cli):
    code, out = doctor(cli, weather)
    assert code == 0 and "no reasoning seen" in out


def test_a_model_that_does_not_call_the_tool_fails(cli):
    code, out = doctor(cli, lambda request: "I cannot check the weather, sorry [sic].")
    assert code == 1
    assert "the model answered without calling the tool" in out and "[sic]" in out
    assert "tool calls do not work" in out


def test_vllm_without_auto_tool_choice_is_told_the_flags(cli):
    def refuse(request):
        if request.get("tools"):
            raise BrainError(
                '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser '
                "to be set"
            )
        return ANSWER

    code, out = doctor(cli, refuse)
    assert code == 1
    assert "the server refuses tool requests" in out
    assert "add --enable-auto-tool-choice --tool-call-parser hermes" in out

"""Offline policies as pure functions of (task, conversation), and the LLM user's view."""

from __future__ import annotations

import asyncio
import json

import pytest

from agentscaler.llm.messages import message_from_openai
from agentscaler.llm.transport import MockLLM
from agentscaler.records import ArgumentSource, GoldCall, Task, UserFact
from agentscaler.simulate.config import STOP_TOKEN
from agentscaler.simulate.conversation import Conversation
from agentscaler.simulate.policies import LLMUser, oracle_reply, scripted_user_reply
from agentscaler.simulate.policies.base import EpisodeContext, is_stop
from agentscaler.simulate.policies.facts import facts_asked, facts_for_calls
from agentscaler.simulate.policies.phrases import THANKS, UNKNOWN, YES
from agentscaler.simulate.policies.prompts import goal_of, user_system_prompt


def make_task(calls: list[GoldCall], facts: list[UserFact], intent="Cancel my order.") -> Task:
    return Task(
        id="t-1",
        domain_id="shop",
        world_id="w1",
        seed=0,
        initial_state="s0",
        gold_calls=tuple(calls),
        gold_final_state="s1",
        read_only=all(c.kind == "read" for c in calls),
        user_facts=tuple(facts),
        intent=intent,
    )


ORDER = UserFact(name="order_id", value="ORD-7", description="the order to cancel")
EMAIL = UserFact(name="customer_email", value="ann@example.com")
GET = GoldCall(
    name="get_order",
    arguments={"order_id": "ORD-7"},
    kind="read",
    output={"order_id": "ORD-7", "customer_id": "CUS-1", "status": "pending"},
    sources={"order_id": ArgumentSource(kind="user_fact", path="order_id")},
)
GET_CUSTOMER = GoldCall(
    name="get_customer",
    arguments={"customer_id": "CUS-1"},
    kind="read",
    output={"customer_id": "CUS-1"},
    sources={"customer_id": ArgumentSource(kind="output", step=0, path="customer_id")},
)
CANCEL = GoldCall(
    name="cancel_order",
    arguments={"order_id": "ORD-7", "reason": "changed mind"},
    kind="write",
    output={"order_id": "ORD-7", "status": "cancelled"},
)


def play(task: Task, turns: int = 20) -> list[dict]:
    """Alternate scripted user and oracle; tools answer with the gold outputs."""
    messages: list[dict] = []
    view: list[dict] = []
    outputs = {json.dumps(c.arguments, sort_keys=True): c.output for c in task.gold_calls}
    for _ in range(turns):
        text = scripted_user_reply(task, view)
        messages.append({"role": "user", "content": text})
        view.append({"role": "user", "content": text})
        if is_stop(text, STOP_TOKEN):
            return messages
        while True:
            reply = oracle_reply(task, messages)
            messages.append(reply)
            if not reply.get("tool_calls"):
                view.append({"role": "assistant", "content": reply["content"]})
                break
            for call in reply["tool_calls"]:
                args = json.loads(call["function"]["arguments"])
                out = outputs[json.dumps(args, sort_keys=True)]
                messages.append(
                    {"role": "tool", "tool_call_id": call["id"], "content": json.dumps(out)}
                )
    raise AssertionError("the conversation did not end")


def test_oracle_asks_for_needed_facts_confirms_the_write_then_reports():
    task = make_task([GET, CANCEL], [ORDER, EMAIL])
    messages = play(task)
    roles = [m["role"] for m in messages]
    assert roles == [
        "user",
        "assistant",  # which order?
        "user",
        "assistant",  # get_order
        "tool",
        "assistant",  # shall I cancel it?
        "user",
        "assistant",  # cancel_order
        "tool",
        "assistant",  # the report
        "user",
    ]
    question = messages[1]["content"]
    assert "order ID" in question and "?" in question
    assert "email" not in question  # the email is not needed by any call
    assert "ORD-7" in messages[2]["content"]
    proposal = messages[5]["content"]
    assert "cancel order ORD-7" in proposal and "?" in proposal
    assert messages[6]["content"] in YES
    made = [c["function"]["name"] for m in messages for c in m.get("tool_calls") or ()]
    assert made == ["get_order", "cancel_order"]
    assert not messages[-2]["content"].startswith("All done. Here is what I did")
    assert "cancelled" in messages[-2]["content"]
    assert is_stop(messages[-1]["content"], STOP_TOKEN)
    assert messages[-1]["content"].removesuffix(f" {STOP_TOKEN}") in THANKS


def test_oracle_never_writes_before_the_user_says_yes():
    task = make_task([CANCEL], [ORDER])
    opened = [{"role": "user", "content": task.intent}]
    asked = oracle_reply(task, opened)
    assert asked.get("tool_calls") is None and "ORD-7" not in asked["content"]
    answered = [*opened, asked, {"role": "user", "content": "My order id is ORD-7."}]
    proposal = oracle_reply(task, answered)
    assert proposal.get("tool_calls") is None and "cancel order ORD-7" in proposal["content"]
    declined = [*answered, proposal, {"role": "user", "content": "Hmm, not sure."}]
    again = oracle_reply(task, declined)
    assert again.get("tool_calls") is None  # asks once more
    agreed = [*answered, proposal, {"role": "user", "content": "Yes, go ahead."}]
    assert oracle_reply(task, agreed)["tool_calls"][0]["function"]["name"] == "cancel_order"


def test_oracle_does_not_ask_for_a_fact_already_given():
    task = make_task([GET], [ORDER], intent="Show me order ORD-7 please.")
    reply = oracle_reply(task, [{"role": "user", "content": task.intent}])
    assert reply["tool_calls"][0]["function"]["name"] == "get_order"


def test_oracle_groups_independent_reads_but_not_dependent_ones():
    independent = GoldCall(name="get_product", arguments={"product_id": "P-1"}, kind="read")
    task = make_task([GET, independent, CANCEL], [ORDER], intent="about ORD-7 and P-1")
    first = oracle_reply(task, [{"role": "user", "content": task.intent}])
    assert [c["function"]["name"] for c in first["tool_calls"]] == ["get_order", "get_product"]
    assert len({c["id"] for c in first["tool_calls"]}) == 2

    dependent = make_task([GET, GET_CUSTOMER], [ORDER], intent="about ORD-7")
    first = oracle_reply(dependent, [{"role": "user", "content": dependent.intent}])
    assert [c["function"]["name"] for c in first["tool_calls"]] == ["get_order"]


def test_oracle_repeats_a_call_whose_arguments_came_back_broken():
    task = make_task([GET], [ORDER], intent="about ORD-7")
    messages = [
        {"role": "user", "content": task.intent},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": "get_order", "arguments": '{"order_id": "ORD-7", "'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_0",
            "content": '{"error": {"type": "invalid_argument"}}',
        },
    ]
    reply = oracle_reply(task, messages)
    call = reply["tool_calls"][0]
    assert call["function"]["name"] == "get_order" and call["id"] == "call_1"
    assert json.loads(call["function"]["arguments"]) == {"order_id": "ORD-7"}


def test_facts_for_calls_skips_values_read_from_earlier_outputs():
    customer = UserFact(name="customer_id", value="CUS-1")
    facts = (ORDER, customer)
    unsourced = GET_CUSTOMER.model_copy(update={"sources": {}})
    # marked as read from an output, or found in an earlier output: the agent has it
    assert facts_for_calls(facts, [GET_CUSTOMER], []) == []
    assert facts_for_calls(facts, [unsourced], [GET]) == []
    # otherwise a value equal to a fact's value must come from the user
    assert [f.name for f in facts_for_calls(facts, [unsourced], [])] == ["customer_id"]
    assert [f.name for f in facts_for_calls(facts, [GET], [])] == ["order_id"]


def test_a_detail_is_asked_for_even_when_an_earlier_output_holds_the_same_value():
    quantity = UserFact(name="quantity", value=5, description="how many", role="detail")
    listing = GoldCall(
        name="list_orders",
        arguments={},
        kind="read",
        output={"orders": [{"order_id": "ORD-7", "quantity": 5}]},
    )
    buy = GoldCall(
        name="buy",
        arguments={"order_id": "ORD-7", "quantity": 5},
        kind="write",
        output={"order_id": "ORD-7", "quantity": 5},
        sources={
            "order_id": ArgumentSource(kind="output", step=0, path="orders[0].order_id"),
            "quantity": ArgumentSource(kind="generated"),
        },
    )
    # a 5 the agent read is not the 5 the user wants: the user chooses it
    assert facts_for_calls((quantity,), [buy], [listing]) == [quantity]
    # the same value as a request fact (the user's way to name a record) can be read instead
    named = quantity.model_copy(update={"role": "request"})
    assert facts_for_calls((named,), [buy], [listing]) == []


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("My viewer id is VWR-9352656.", False),
        ("A score of 3.5 maybe", False),
        ("Three stars: 3.", True),
        ("I'd say 3, thanks", True),
    ],
)
def test_a_value_is_disclosed_only_as_a_whole_token(said, expected):
    from agentscaler.simulate.policies.facts import disclosed

    score = UserFact(name="score", value=3, role="detail")
    assert disclosed(score, [said]) is expected


def test_facts_asked_matches_names_and_loose_generic_words():
    facts = [ORDER, EMAIL]
    assert facts_asked(facts, "What is your order ID?") == [ORDER]
    assert facts_asked(facts, "Could I have your email address?") == [EMAIL]
    assert facts_asked(facts, 'Here it is: {"order_id": 1}') == []


def test_scripted_user_answers_confirms_and_stops():
    task = make_task([GET], [ORDER])
    view = [{"role": "user", "content": task.intent}]

    def after(agent_text: str) -> str:
        return scripted_user_reply(task, [*view, {"role": "assistant", "content": agent_text}])

    assert scripted_user_reply(task, []) == task.intent  # a task without goals opens with it
    assert "order ID is ORD-7" in after("Sure. What is the order id?")
    assert after("Shall I proceed with the cancellation?") in YES
    assert is_stop(after("Is there anything else I can help with?"), STOP_TOKEN)
    assert is_stop(after("Your order is cancelled."), STOP_TOKEN)
    assert after("What is your favourite colour?") in UNKNOWN
    unknowns = [*view]
    for text in UNKNOWN[:2]:
        unknowns += [
            {"role": "assistant", "content": "What colour?"},
            {"role": "user", "content": text},
        ]
    unknowns.append({"role": "assistant", "content": "What colour?"})
    assert is_stop(scripted_user_reply(task, unknowns), STOP_TOKEN)


def test_user_prompt_carries_goal_and_facts_and_rules():
    task = make_task([GET], [ORDER])
    prompt = user_system_prompt(task, STOP_TOKEN)
    assert goal_of(prompt) == task.intent
    assert "ORD-7" in prompt and STOP_TOKEN in prompt
    assert goal_of("no tags here") is None


def test_user_prompt_gives_the_persona_and_holds_details_back():
    from agentscaler.records import Persona

    email = EMAIL.model_copy(update={"role": "identity"})
    reason = UserFact(name="reason", value="changed mind", role="detail")
    task = make_task([GET, CANCEL], [ORDER, email, reason]).model_copy(
        update={
            "persona": Persona(entity="customer", table="customers", key="CUS-1", name="Ann Lee"),
            "scenario": "missing_info",
        }
    )
    prompt = user_system_prompt(task, STOP_TOKEN)
    assert prompt.startswith("You are Ann Lee, a customer")
    who = prompt.index("Who you are")
    held = prompt.index("Details you give only when asked")
    assert who < prompt.index("ann@example.com") < held < prompt.index("changed mind")
    assert "wait until the agent asks" in prompt
    refusal = user_system_prompt(task.model_copy(update={"scenario": "rule_refusal"}), STOP_TOKEN)
    assert "accept the explanation" in refusal


def test_llm_user_sees_flipped_text_only_and_stops_on_token():
    task = make_task([GET], [ORDER])
    conversation = Conversation("agent system prompt")
    conversation.add_user(task.intent)
    mock = MockLLM([{"content": "My order id is ORD-7."}, {"content": f"Thanks! {STOP_TOKEN}"}])
    user = LLMUser(mock.client(), greeting="Hello!")
    context = EpisodeContext(task, conversation, [], seed=5)

    async def run():
        from agentscaler.llm.messages import message_from_openai

        conversation.add_assistant(
            message_from_openai(
                {
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "function": {"name": "get_order", "arguments": "{}"}}
                    ],
                }
            )
        )
        conversation.add_tool_result("c1", "{}", error=False)
        conversation.add_assistant(message_from_openai({"content": "Which order?"}))
        first = await user.respond(context)
        second = await user.respond(context)
        await user.client.aclose()
        return first, second

    first, second = asyncio.run(run())
    sent = mock.requests[0]["messages"]
    assert sent[0]["role"] == "system" and goal_of(sent[0]["content"]) == task.intent
    assert [m["role"] for m in sent[1:]] == ["user", "assistant", "user"]
    assert [m["content"] for m in sent[1:]] == ["Hello!", task.intent, "Which order?"]
    assert mock.requests[0]["seed"] == 6
    assert "tools" not in mock.requests[0]
    assert not first.stop and first.message.role == "user"
    assert second.stop


@pytest.mark.parametrize(
    ("text", "stops"),
    [
        (STOP_TOKEN, True),
        (f"Thanks, that's all! {STOP_TOKEN}", True),
        (f"Thanks!\n{STOP_TOKEN}\n", True),
        (f'"{STOP_TOKEN}."', True),
        (f"**{STOP_TOKEN}**", True),
        (f"I will write {STOP_TOKEN} once you confirm. Is the order cancelled?", False),
        (f"done{STOP_TOKEN}", False),
        ("###STOP", False),
        ("", False),
        (None, False),
    ],
)
def test_stop_is_the_whole_token_at_the_end_of_the_text(text, stops):
    from agentscaler.simulate.policies.base import is_stop

    assert is_stop(text, STOP_TOKEN) is stops


def test_llm_user_reasoning_that_mentions_stop_does_not_stop_and_empty_replies_are_asked_again():
    task = make_task([GET], [ORDER])
    conversation = Conversation("agent system prompt")
    conversation.add_user(task.intent)
    conversation.add_assistant(message_from_openai({"content": "Which order?"}))
    thinking = f"<think>If the agent is done I say {STOP_TOKEN}.</think>My order id is ORD-7."
    mock = MockLLM([{"content": ""}, {"content": "<think>hmm</think>"}, {"content": thinking}])
    user = LLMUser(mock.client())
    context = EpisodeContext(task, conversation, [], seed=5)

    async def run():
        try:
            return await user.respond(context)
        finally:
            await user.client.aclose()

    reply = asyncio.run(run())
    assert reply.message.content == "My order id is ORD-7." and not reply.stop
    assert reply.usage.requests == 3
    assert len({r["seed"] for r in mock.requests}) == 3

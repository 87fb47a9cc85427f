"""LLM intents against the stub server: good rewrites are used, a reply that leaks an internal id
is rejected and the template kept, and replies are cached."""

from __future__ import annotations

import re
import shutil

import pytest

from agentscaler.jsonl import read_records
from agentscaler.llm import LLMConfig
from agentscaler.llm.stub import FunctionBrain, StubServer
from agentscaler.records import Task
from agentscaler.tasks import TaskConfig, sample_tasks
from agentscaler.tasks.intent import leaks
from agentscaler.tasks.rewrite import check_rewrite, clean_reply
from agentscaler.workspace import Workspace

SETTINGS = {"per_domain": 12, "states_per_domain": 2}


def _description(request: dict) -> str:
    text = request["messages"][-1]["content"]
    return text.split("Description:\n", 1)[1].split("\n\nKnown values", 1)[0]


@pytest.fixture
def templates(make_run, tmp_path) -> tuple[Workspace, dict[str, Task]]:
    """A small run folder (copied before sampling) and its template tasks by intent."""
    root = make_run({"d-rx": "pharmacy", "d-lib": "library"})
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh)
    sample_tasks(Workspace(root), TaskConfig(**SETTINGS))
    tasks = read_records(Workspace(root).tasks, Task)
    return Workspace(fresh), {t.intent: t for t in tasks}


def test_rewrites_are_checked_and_a_leak_keeps_the_template(templates):
    workspace, by_intent = templates
    leaking = {i for i, t in by_intent.items() if t.agent_lookups}
    assert leaking and len(leaking) < len(by_intent)

    def respond(request: dict) -> str:
        description = _description(request)
        task = by_intent[description]
        if task.agent_lookups:  # mentions an id only the agent can find
            return f"{description} (It is {task.agent_lookups[0]}.)"
        return f'"Hello! {description}"'

    with StubServer(FunctionBrain(respond)) as server:
        llm = LLMConfig(base_url=server.base_url, model="writer", max_retries=0)
        config = TaskConfig(**SETTINGS, llm_intents=True)
        result = sample_tasks(workspace, config, llm=llm)
        asked = server.stats.requests
    tasks = read_records(workspace.tasks, Task)
    assert asked == len(tasks)
    for task in tasks:
        original = by_intent.get(task.intent) or by_intent[task.intent.removeprefix("Hello! ")]
        if task.agent_lookups:
            assert task.intent_source == "template"
            assert task.intent == original.intent
            assert not leaks(task.intent, task.agent_lookups)
        else:
            assert task.intent_source == "llm"
            assert task.intent == "Hello! " + original.intent
    assert result.summary["intents"]["rejected_leak"] == len(leaking)
    assert result.summary["intents"]["llm"] == len(tasks) - len(leaking)
    assert result.summary["intent_sources"] == {
        "llm": len(tasks) - len(leaking),
        "template": len(leaking),
    }


def test_replies_are_cached_between_runs(templates):
    workspace, by_intent = templates
    brain = FunctionBrain(lambda request: "Sure. " + _description(request))
    config = TaskConfig(**SETTINGS, llm_intents=True)
    with StubServer(brain) as server:
        llm = LLMConfig(base_url=server.base_url, model="writer", max_retries=0)
        sample_tasks(workspace, config, llm=llm)
        first = server.stats.requests
        data = workspace.tasks.read_bytes()
        sample_tasks(workspace, config, llm=llm, force=True)
        assert server.stats.requests == first  # every reply came from the cache
    assert workspace.tasks.read_bytes() == data
    assert first == len(by_intent)


def test_check_rewrite_reasons(templates):
    _, by_intent = templates
    task = next(
        t
        for t in by_intent.values()
        if t.agent_lookups
        and any(f.role == "request" and isinstance(f.value, str) for f in t.user_facts)
    )
    fact = next(f for f in task.user_facts if f.role == "request" and isinstance(f.value, str))
    names = [c.name for c in task.gold_calls]
    assert check_rewrite(task.intent, task, names, 2000) is None
    assert check_rewrite("", task, names, 2000) == "empty"
    assert check_rewrite(task.intent, task, names, 20) == "too_long"
    assert (
        check_rewrite(re.sub(r"\b[Yy]our?\b", "their", task.intent), task, names, 2000)
        == "not_second_person"
    )
    assert (
        check_rewrite(task.intent.replace(fact.value, "something"), task, names, 2000)
        == "lost_fact"
    )
    leak = f"{task.intent} Use {task.agent_lookups[0]}."
    assert check_rewrite(leak, task, names, 2000) == "leak"
    called = next((n for n in names if "_" in n), None)
    if called:
        assert check_rewrite(f"{task.intent} Call {called}.", task, names, 2000) == "tool_name"


def test_clean_reply_strips_wrapping():
    assert clean_reply('```\nDescription: "You want to pay."\n```') == "You want to pay."
    assert clean_reply("  'You want X.'  ") == "You want X."

"""System prompts of the LLM agent and the LLM user.

The agent's system prompt is the world's policy (``policy.md``, see
:mod:`agentscaler.worlds.policy`); :func:`agent_system_prompt` is the generic prompt of a world
without a spec. The user's prompt follows the rules of tau-bench-style user simulation: a persona
(the person of the world the task is about), one message at a time, disclose progressively
(who they are when asked, details held back until asked), never invent facts, end with the stop
token, plus what the task's scenario asks of the user (accept a refusal, change their mind). Its
goal sits between ``<goal>`` tags so tools (the stub server's brain) can tell which task a
conversation is about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agentscaler.naming import with_article
from agentscaler.records import Task, UserFact
from agentscaler.simulate.policies.facts import fact_phrase, value_text

GOAL_OPEN = "<goal>"
GOAL_CLOSE = "</goal>"
_GOAL = re.compile(re.escape(GOAL_OPEN) + r"\n?(.*?)\n?" + re.escape(GOAL_CLOSE), re.DOTALL)


def agent_system_prompt(domain: str, entities: Sequence[str] = ()) -> str:
    """The agent's instructions for a world named ``domain`` holding ``entities``."""
    holds = f" The system keeps records of: {', '.join(entities)}." if entities else ""
    return (
        f"You are a customer service agent for {domain}. You help the user by acting on the "
        f"system through the tools you are given.{holds}\n\n"
        "Rules:\n"
        "- Do what the user asks and nothing else. Before you change anything, make sure you "
        "know exactly what the user wants.\n"
        "- Ask the user for information only they have (ids, names, emails, choices); find "
        "everything else with the tools. Never guess or invent values.\n"
        "- Use the tools to read and change data; base every statement on what they return. "
        "Lookups that do not depend on each other may be called together.\n"
        "- A tool may answer with an error: read it, correct the call or ask the user, then "
        "go on.\n"
        "- When the request is done, tell the user briefly what you did and what the tools "
        "returned. If it cannot be done, say why."
    )


_SCENARIO_RULES = {
    "rule_refusal": "- What you ask for may not be allowed. If the agent explains why it cannot be "
    "done, you may ask once whether there is really no way, then accept the explanation.",
    "missing_info": "- Do not volunteer the details listed as given only when asked: wait "
    "until the agent asks for them.",
    "change_of_mind": "- Start with your first request. When the agent asks you to confirm it, "
    "change your mind and ask for what you really want instead (see your goal).",
    "multi_goal": "- Ask for one thing at a time: bring up the next request only when the "
    "previous one is done.",
}


def _fact_lines(facts: Sequence[UserFact]) -> str:
    return "\n".join(
        f"- {fact_phrase(f)}: {value_text(f.value)}"
        + (f" ({f.description})" if f.description else "")
        for f in facts
    )


def user_system_prompt(task: Task, stop_token: str) -> str:
    """The user's instructions: who they are, the goal, the known facts and the rules of the
    role (and of the task's scenario)."""
    persona = task.persona
    if persona is not None and persona.name:
        who = f"You are {persona.name}, {with_article(persona.entity)} of this service, talking to its "
    else:
        who = "You are a user talking to a "
    identity = [f for f in task.user_facts if f.role == "identity"]
    held = [f for f in task.user_facts if f.role == "detail"]
    request = [f for f in task.user_facts if f.role == "request"]
    sections = []
    if identity:
        sections.append(
            f"Who you are (give these when the agent asks to identify you):\n"
            f"{_fact_lines(identity)}"
        )
    if request:
        sections.append(f"What you know about your request:\n{_fact_lines(request)}")
    if held:
        sections.append(f"Details you give only when asked:\n{_fact_lines(held)}")
    if not sections:
        sections.append("What you know:\n- nothing beyond your goal")
    extra = _SCENARIO_RULES.get(task.scenario, "")
    return (
        f"{who}customer service agent to get something done. Stay in this role for the whole "
        "conversation; the agent is the other party.\n\n"
        f"Your goal:\n{GOAL_OPEN}\n{task.intent}\n{GOAL_CLOSE}\n\n"
        + "\n\n".join(sections)
        + "\n\nRules:\n"
        "- Write one short message at a time, as this person would, in your own words.\n"
        "- Open with what you want, not with who you are; give a fact when the agent needs it "
        "or asks for it, not everything at once.\n"
        "- Never invent ids, names, numbers or other details that are not in your goal or in "
        "what you know. If the agent asks for something you do not know, say you do not have "
        "it.\n"
        "- Confirm an action the agent proposes only if it is what you asked for.\n"
        "- You cannot see the system or call tools; only the agent can.\n"
        + (f"{extra}\n" if extra else "")
        + f"- When all your goals are met, or the agent makes clear they cannot be met, thank "
        f"the agent and end your message with {stop_token}."
    )


def goal_of(system_prompt: str) -> str | None:
    """The goal text inside a user system prompt written by :func:`user_system_prompt`."""
    match = _GOAL.search(system_prompt or "")
    return match.group(1).strip() if match else None

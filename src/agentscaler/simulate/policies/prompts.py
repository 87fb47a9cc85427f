"""System prompts of the LLM agent and the LLM user.

The user's prompt follows the rules of tau-bench-style user simulation: one message at a time,
disclose progressively, never invent facts, end with the stop token. Its goal sits between
``<goal>`` tags so tools (the stub server's brain) can tell which task a conversation is about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agentscaler.records import Task
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


def user_system_prompt(task: Task, stop_token: str) -> str:
    """The user's instructions: the goal, the known facts and the rules of the role."""
    if task.user_facts:
        facts = "\n".join(
            f"- {fact_phrase(f)}: {value_text(f.value)}"
            + (f" ({f.description})" if f.description else "")
            for f in task.user_facts
        )
    else:
        facts = "- nothing beyond your goal"
    return (
        "You are a user talking to a customer service agent to get something done. Stay in "
        "this role for the whole conversation; the agent is the other party.\n\n"
        f"Your goal:\n{GOAL_OPEN}\n{task.intent}\n{GOAL_CLOSE}\n\n"
        f"What you know:\n{facts}\n\n"
        "Rules:\n"
        "- Write one short message at a time, as this user would.\n"
        "- Reveal your goal and your facts step by step: give a fact when the agent needs it or "
        "asks for it, not everything at once.\n"
        "- Never invent ids, names, numbers or other details that are not in your goal or in "
        "what you know. If the agent asks for something you do not know, say you do not have "
        "it.\n"
        "- Do not repeat your goal word for word; say it in your own words.\n"
        "- You cannot see the system or call tools; only the agent can.\n"
        f"- When your goal is met, or the agent makes clear it cannot be met, reply with "
        f"{stop_token} alone and nothing else."
    )


def goal_of(system_prompt: str) -> str | None:
    """The goal text inside a user system prompt written by :func:`user_system_prompt`."""
    match = _GOAL.search(system_prompt or "")
    return match.group(1).strip() if match else None

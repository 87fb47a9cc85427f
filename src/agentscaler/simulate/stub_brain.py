"""A stub-server brain that plays the oracle agent and the scripted user for a run's tasks.

With it, the LLM code path runs end to end without an LLM::

    agentscaler stub serve --port 8000 --tasks runs/demo
    agentscaler simulate runs/demo --base-url http://127.0.0.1:8000/v1 \\
        --agent-model oracle --user-model user

Requests for the agent model (or any request offering tools) are answered by
:func:`~agentscaler.simulate.policies.oracle_agent.oracle_reply`, requests for the user model by
:func:`~agentscaler.simulate.policies.scripted_user.scripted_user_reply`. The brain recognises
the task from the conversation: the agent's side by the user's first message (the scripted
user's opening, or the intent) and the tools offered, the user's side by the goal and the facts
in the user's system prompt. When several tasks share an opening, the one whose facts the
conversation mentions wins.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentscaler.llm.stub.brains import BrainError
from agentscaler.records import Task
from agentscaler.simulate.config import STOP_TOKEN
from agentscaler.simulate.policies.facts import value_text
from agentscaler.simulate.policies.oracle_agent import oracle_reply, plan_of, progress
from agentscaler.simulate.policies.prompts import goal_of
from agentscaler.simulate.policies.script import statement
from agentscaler.simulate.policies.scripted_user import scripted_user_reply
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)

_FLIP = {"user": "assistant", "assistant": "user"}


def _text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    return content or ""


class SimulationBrain:
    """Answers as the oracle agent (model ``agent_model``) or the scripted user (``user_model``)
    for the tasks of a run folder or a tasks file."""

    def __init__(
        self,
        tasks: str | Path,
        agent_model: str = "oracle",
        user_model: str = "user",
        stop_token: str = STOP_TOKEN,
    ) -> None:
        from agentscaler.simulate.build import load_tasks

        path = Path(tasks)
        if path.is_dir():
            path = Workspace(path).require(Workspace(path).tasks, "tasks")
        self.tasks = load_tasks(path)
        self.agent_model = agent_model
        self.user_model = user_model
        self.stop_token = stop_token
        self._by_intent: dict[str, list[Task]] = defaultdict(list)
        self._by_opening: dict[str, list[Task]] = defaultdict(list)
        for task in self.tasks:
            self._by_intent[task.intent.strip()].append(task)
            opening = statement(task, 0).strip()
            if opening != task.intent.strip():
                self._by_opening[opening].append(task)
        shared = sum(1 for group in self._by_intent.values() if len(group) > 1)
        if shared:
            log.info("%d intents are shared by several tasks; facts tell them apart", shared)

    def models(self) -> list[str]:
        return [self.agent_model, self.user_model]

    def respond(self, request: dict[str, Any]) -> dict[str, Any]:
        model = request.get("model")
        messages = request.get("messages") or []
        if model == self.agent_model or (model != self.user_model and request.get("tools")):
            return self._agent(request, messages)
        return self._user(messages)

    # --- the agent's side -----------------------------------------------------------------------
    def _agent(self, request: dict[str, Any], messages: Sequence[Mapping[str, Any]]) -> dict:
        first = next((m for m in messages if m.get("role") == "user"), None)
        if first is None:
            raise BrainError("the oracle agent needs a user message stating the task's intent")
        opening = _text(first).strip()
        candidates = self._by_opening.get(opening) or self._candidates(opening)
        offered = {(t.get("function") or {}).get("name") for t in request.get("tools") or []}
        fitting = [t for t in candidates if {c.name for c in t.gold_calls} <= offered]
        task = self._pick(fitting or candidates, messages)
        return oracle_reply(task, messages)

    def _pick(self, candidates: list[Task], messages: Sequence[Mapping[str, Any]]) -> Task:
        if len(candidates) == 1:
            return candidates[0]
        said = " ".join(_text(m) for m in messages if m.get("role") == "user").casefold()

        def score(task: Task) -> tuple[int, int]:
            done = progress(plan_of(task), messages)[0]
            known = sum(1 for f in task.user_facts if value_text(f.value).casefold() in said)
            return (done, known)

        return max(candidates, key=score)

    # --- the user's side ------------------------------------------------------------------------
    def _user(self, messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        system = _text(messages[0]) if messages and messages[0].get("role") == "system" else ""
        goal = goal_of(system)
        if goal is None:
            raise BrainError(
                "the scripted user needs a system prompt with the goal between <goal> tags "
                "(as agentscaler's LLM user sends)"
            )
        candidates = self._candidates(goal)
        if len(candidates) > 1:
            known = system.casefold()
            candidates = sorted(
                candidates,
                key=lambda t: (
                    -sum(1 for f in t.user_facts if value_text(f.value).casefold() in known)
                ),
            )
        view = [
            {"role": _FLIP[m["role"]], "content": _text(m)}
            for m in messages[1:]
            if m.get("role") in _FLIP
        ]
        return {"content": scripted_user_reply(candidates[0], view, self.stop_token)}

    def _candidates(self, intent: str) -> list[Task]:
        candidates = self._by_intent.get(intent.strip())
        if not candidates:
            raise BrainError(
                f"no task has the intent {intent[:120]!r}; the stub's --tasks must point at the "
                "run folder (or tasks file) being simulated"
            )
        return candidates

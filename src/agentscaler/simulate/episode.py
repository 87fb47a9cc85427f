"""Running one episode: the user opens, the agent answers with text or tool calls executed in
the world, until the user stops, the agent gives up, a limit is hit or the infrastructure fails.

The loop, for one (task, trial):

1. the user states its goal;
2. the agent acts; each tool call runs in the episode's private world and its observation (a
   result or a domain error such as ``not_found``, malformed arguments or an unknown tool) is
   appended as a tool message; the agent acts again until it answers with text;
3. the user answers; a message ending with the stop token ends the episode (``user_stop``); a
   user that answers nothing (its policy already asked again) ends it as ``empty_user_reply``.

Limits: at most ``max_turns`` messages from agent and user together (then ``max_turns``); at most
``max_tool_calls`` tool calls (further calls are answered with a ``limit_exceeded`` error
observation, then ``max_tool_calls``); a wall-clock deadline per episode (``episode_timeout``).
Failures of the infrastructure end the episode with their own reasons and the error text:
``llm_timeout``, ``rate_limited``, ``llm_error`` (after the LLM client's own retries),
``world_bug`` (the world's internal error is recorded and never shown to the agent). Failures of
a model end it as outcomes that count as failures (tau-bench's accounting): ``llm_rejected`` (a
4xx other than 408/429, e.g. context overflow), ``truncated`` (an answer cut at the token limit,
never recorded as a turn).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentscaler.canonical import content_hash
from agentscaler.errors import (
    LLMError,
    LLMRateLimited,
    LLMRequestError,
    LLMRequestRejected,
    LLMTimeout,
    LLMTruncated,
)
from agentscaler.records import Episode, Task, Termination, ToolCall, Usage
from agentscaler.simulate.config import SimulateConfig
from agentscaler.simulate.conversation import Conversation
from agentscaler.simulate.environment import WorldPool
from agentscaler.simulate.policies.base import Agent, EpisodeContext, PolicyReply, User
from agentscaler.worlds.ownership import PolicyGuard

if TYPE_CHECKING:
    from agentscaler.worlds.runtime.env import WorldEnv

LIMIT_OBSERVATION = json.dumps(
    {
        "error": {
            "type": "limit_exceeded",
            "message": "tool-call limit of this conversation reached; the call was not made",
        }
    }
)


@dataclass(frozen=True, slots=True)
class EpisodeJob:
    """One (task, trial) to simulate, with its deterministic id and sampling seed."""

    task: Task
    trial: int
    episode_id: str
    seed: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.task.id, self.trial)


def episode_id(task_id: str, trial: int, fingerprint: str) -> str:
    """Deterministic episode id of (task, trial) under the run's policy settings."""
    return "ep-" + content_hash({"task": task_id, "trial": trial, "run": fingerprint}, length=20)


def trial_seed(base: int, task_id: str, trial: int) -> int:
    """Sampling seed of (task, trial): stable, different between trials."""
    return int(content_hash({"seed": base, "task": task_id, "trial": trial}, length=8), 16) >> 1


class _Usage:
    """Running usage totals (plain ints: one record is built at the end)."""

    __slots__ = ("completion", "latency", "prompt", "requests", "retries")

    def __init__(self) -> None:
        self.requests = self.prompt = self.completion = self.retries = 0
        self.latency = 0.0

    def add(self, usage: Usage | None) -> None:
        if usage is None:
            return
        self.requests += usage.requests
        self.prompt += usage.prompt_tokens
        self.completion += usage.completion_tokens
        self.retries += usage.retries
        self.latency += usage.latency_s

    def record(self) -> Usage:
        return Usage(
            requests=self.requests,
            prompt_tokens=self.prompt,
            completion_tokens=self.completion,
            retries=self.retries,
            latency_s=round(self.latency, 6),
        )

    @staticmethod
    def total(a: _Usage, b: _Usage) -> Usage:
        both = _Usage()
        for part in (a, b):
            both.requests += part.requests
            both.prompt += part.prompt
            both.completion += part.completion
            both.retries += part.retries
            both.latency += part.latency
        return both.record()


async def _ask(call: Awaitable[PolicyReply], usage: _Usage) -> PolicyReply:
    """Await a policy; count its usage, and the attempts of a request that failed for good."""
    try:
        reply = await call
    except LLMRequestError as exc:
        usage.requests += 1
        usage.retries += max(exc.attempts - 1, 0)
        raise
    except LLMTruncated as exc:
        usage.add(exc.usage if isinstance(exc.usage, Usage) else None)
        raise
    usage.add(reply.usage)
    return reply


class _Ended(Exception):
    """Raised inside the loop to end the episode with a termination and an error text."""

    def __init__(self, termination: Termination, error: str | None = None) -> None:
        self.termination = termination
        self.error = error


class _Counters:
    """What one episode counts while it runs."""

    __slots__ = ("agent", "turns", "user")

    def __init__(self) -> None:
        self.agent = _Usage()
        self.user = _Usage()
        self.turns = 0


class EpisodeRunner:
    """Runs episodes with one agent and one user on the worlds of a :class:`WorldPool`."""

    def __init__(self, pool: WorldPool, agent: Agent, user: User, config: SimulateConfig) -> None:
        self.pool = pool
        self.agent = agent
        self.user = user
        self.config = config

    async def run(self, job: EpisodeJob) -> Episode:
        """Simulate ``job`` and return its episode (infrastructure failures included)."""
        started = time.perf_counter()
        task = job.task
        world, env = self.pool.make_env(task)
        conversation = Conversation(world.system_prompt)
        context = EpisodeContext(task, conversation, world.tools, job.seed, world.name)
        counters = _Counters()
        error: str | None = None
        try:
            async with asyncio.timeout(self.config.episode_timeout_s):
                termination = await self._loop(context, env, counters)
        except _Ended as ended:
            termination, error = ended.termination, ended.error
        except LLMTimeout as exc:
            termination, error = Termination.LLM_TIMEOUT, str(exc)
        except LLMRateLimited as exc:
            termination, error = Termination.RATE_LIMITED, str(exc)
        except LLMRequestRejected as exc:
            termination, error = Termination.LLM_REJECTED, str(exc)
        except LLMTruncated as exc:
            termination, error = Termination.TRUNCATED, str(exc)
        except LLMError as exc:
            termination, error = Termination.LLM_ERROR, str(exc)
        except TimeoutError:
            termination = Termination.EPISODE_TIMEOUT
            error = f"the episode did not finish within {self.config.episode_timeout_s:g} s"
        try:
            final_hash = env.state_hash()
        finally:
            env.close()
        return Episode(
            id=job.episode_id,
            task_id=task.id,
            trial=job.trial,
            domain_id=task.domain_id,
            agent=self.agent.info,
            user=self.user.info,
            messages=tuple(conversation.messages),
            termination=termination,
            final_state_hash=final_hash,
            tool_calls=conversation.tool_calls,
            tool_errors=conversation.tool_errors,
            usage=_Usage.total(counters.agent, counters.user),
            agent_usage=counters.agent.record(),
            user_usage=counters.user.record(),
            turns=counters.turns,
            seed=job.seed,
            duration_s=round(time.perf_counter() - started, 6),
            error=error,
        )

    async def _user_turn(self, context: EpisodeContext, counters: _Counters) -> bool:
        """The user speaks; True when it stopped the conversation."""
        reply = await _ask(self.user.respond(context), counters.user)
        text = reply.message.content or ""
        if not text.strip():
            raise _Ended(
                Termination.EMPTY_USER_REPLY,
                f"the user ({self.user.info.model or self.user.info.kind}) answered nothing, "
                "also when asked again",
            )
        counters.turns += 1
        context.conversation.add_user(text)
        return reply.stop

    async def _loop(
        self, context: EpisodeContext, env: WorldEnv, counters: _Counters
    ) -> Termination:
        max_turns = self.config.max_turns
        conversation = context.conversation
        guard = self.pool.world(context.task.domain_id).policy_guard(context.task)
        if await self._user_turn(context, counters):
            return Termination.USER_STOP
        while True:
            if counters.turns >= max_turns:
                return Termination.MAX_TURNS
            action = await _ask(self.agent.act(context), counters.agent)
            counters.turns += 1
            message = action.message
            if message.tool_calls:
                message = conversation.add_assistant(message)
                self._execute(message.tool_calls, conversation, env, guard)
                continue
            if action.stop:
                if (message.content or "").strip():
                    conversation.add_assistant(message)
                return Termination.AGENT_STOP
            conversation.add_assistant(message)
            if counters.turns >= max_turns:
                return Termination.MAX_TURNS
            if await self._user_turn(context, counters):
                return Termination.USER_STOP

    def _execute(
        self,
        calls: tuple[ToolCall, ...],
        conversation: Conversation,
        env: WorldEnv,
        guard: PolicyGuard,
    ) -> None:
        """Run the calls of one agent message in order, appending one tool message each."""
        ended = run_calls(calls, conversation, env, self.config.max_tool_calls, guard=guard)
        if ended is not None:
            raise _Ended(*ended)


def run_calls(
    calls: tuple[ToolCall, ...],
    conversation: Conversation,
    env: WorldEnv,
    limit: int,
    *,
    record_world_bug: bool = False,
    guard: PolicyGuard | None = None,
) -> tuple[Termination, str | None] | None:
    """Run the calls of one agent message in order, appending one tool message each; the
    termination they end the episode with (a world bug, a policy breach, the tool-call limit),
    or None. A world bug's tool message is recorded only with ``record_world_bug`` (the
    environments show it); a call that breaks the world's policy (``guard``) is recorded with its
    result, and the calls after it in the message are not run."""
    over = False
    for call in calls:
        if conversation.tool_calls >= limit:
            conversation.add_tool_result(call.id, LIMIT_OBSERVATION, error=True)
            over = True
            continue
        result = env.step(call)
        bug = result.info.get("world_bug")
        if bug:
            if record_world_bug:
                conversation.add_tool_result(call.id, result.content, error=True)
            return Termination.WORLD_BUG, f"tool {call.function.name}: {bug}"
        conversation.add_tool_result(call.id, result.content, error=not result.ok)
        if guard is not None and result.changes:
            breach = guard.breach(env.db, call.function.name, result.changes)
            if breach is not None:
                return Termination.POLICY_BREACH, breach
    return (Termination.MAX_TOOL_CALLS, None) if over else None

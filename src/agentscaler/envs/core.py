"""The multi-turn task environment: the agent under training talks with a simulated user and acts
in its own copy of the world.

::

    from agentscaler.envs import make, task_ids

    env = make("runs/demo", task_ids("runs/demo")[0])
    observation, info = env.reset()      # {"messages": [system, user], "tools": [...]}
    result = env.step({"role": "assistant", "content": None, "tool_calls": [...]})
    result = env.step("I have cancelled order ORD-7. Anything else?")   # raw model text works too
    observation, reward, terminated, truncated, info = result

* **observation**: the conversation so far as OpenAI messages (the world's system prompt first,
  then the user's opening message) and the world's tools in OpenAI format;
* **action**: one assistant message: text, tool calls, or raw model text parsed by the same
  response normaliser as simulation (:mod:`agentscaler.envs.actions`);
* tool calls run in order in the episode's private state and their results (or error
  observations: malformed arguments, unknown tools, wrong types, domain errors) are appended as
  tool messages; a text message goes to the user simulator (the offline scripted user, or an LLM
  through any OpenAI-compatible server) whose reply is appended;
* **terminated** when the user stops, or on a policy breach: a tool call of the agent that
  changes the records of another person than the task's user (the policy's "act only on the
  records of the person you identified", with whose records are whose from the spec's ``user``
  and ``owner`` links, :mod:`agentscaler.worlds.ownership`); **truncated** at ``max_turns`` messages, at
  ``max_tool_calls`` tool calls, on a world bug or when the user simulator fails (its LLM server
  timed out, refused, answered nothing); ``info["termination"]`` says which (the simulation's
  :class:`~agentscaler.records.Termination` values);
* **reward**: 0.0 until the episode ends, then the filter's verdict on the conversation times
  the communicated-facts check, components in ``info["reward"]`` (:mod:`agentscaler.envs.reward`).

Invalid actions (an empty message, an unusable tool-call entry) are answered with an
``info["error"]`` and ``observation["error"]``, recorded nowhere, and count as a turn. A ``step``
after the end raises :class:`~agentscaler.errors.EpisodeEnded`. The loop is the simulation's
(:mod:`agentscaler.simulate.episode`): the same limits, the same user, the same records, so an
episode played through the environment and its simulated twin get the same verdict.

The core is asynchronous (``areset``/``astep``); ``reset``/``step`` drive it synchronously (with
the offline user, without any event loop).
"""

from __future__ import annotations

import asyncio
import difflib
import json
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from agentscaler.errors import (
    EnvError,
    EpisodeEnded,
    LLMError,
    LLMRateLimited,
    LLMRequestRejected,
    LLMTimeout,
    LLMTruncated,
    RunFolderError,
)
from agentscaler.jsonl import read_records
from agentscaler.records import Episode, PolicyInfo, Task, Termination, ToolCall
from agentscaler.simulate.conversation import Conversation
from agentscaler.simulate.environment import LoadedWorld, WorldPool, domain_names
from agentscaler.simulate.episode import run_calls, trial_seed
from agentscaler.simulate.policies.base import EpisodeContext, User
from agentscaler.workspace import Workspace
from agentscaler.worlds.runtime.env import StepResult, WorldEnv

from .actions import InvalidAction, to_message
from .config import EnvConfig
from .reward import Reward, change_keys, score

_T = TypeVar("_T")

AGENT = PolicyInfo(kind="llm")
"""How episodes record the agent under training (an external policy)."""

_ENDS = {
    Termination.USER_STOP: "terminated",
    Termination.AGENT_STOP: "terminated",
    Termination.POLICY_BREACH: "terminated",
}
"""Terminations that end an episode as ``terminated``; every other one truncates it."""


class TaskSource:
    """The tasks and worlds of one run folder, loaded once and shared by many environments."""

    def __init__(self, run_dir: Path | str) -> None:
        self.workspace = Workspace(Path(run_dir))
        ws = self.workspace
        self.tasks: dict[str, Task] = {
            t.id: t for t in read_records(ws.require(ws.tasks, "tasks"), Task)
        }
        self.pool = WorldPool(ws, domain_names(ws))
        self._gold: dict[str, frozenset[str]] = {}
        self._schemas: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    @property
    def root(self) -> Path:
        return self.workspace.root

    def task(self, task_id: str) -> Task:
        """The task ``task_id`` (a unique prefix works; unknown ids get a did-you-mean)."""
        task = self.tasks.get(task_id)
        if task is not None:
            return task
        matches = [t for t in self.tasks if t.startswith(task_id)] if task_id else []
        if len(matches) == 1:
            return self.tasks[matches[0]]
        close = difflib.get_close_matches(task_id, list(self.tasks), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise RunFolderError(
            f"no task {task_id!r} among the {len(self.tasks)} tasks of {self.workspace.tasks}."
            f"{hint}"
        )

    def warm(self) -> int:
        """Load every world the tasks use now (a server does this before it listens, so no
        request waits on a world's first load); how many worlds."""
        domains = sorted({t.domain_id for t in self.tasks.values()})
        for domain_id in domains:
            self.pool.world(domain_id)
        return len(domains)

    def gold_changes(self, task: Task, world: LoadedWorld) -> frozenset[str]:
        """What the gold calls change in the task's initial state (computed once per task)."""
        hit = self._gold.get(task.id)
        if hit is not None:
            return hit
        from agentscaler.filter.alignment import replay_gold

        snapshot = self.pool.state(task.initial_state, world)
        env = replay_gold(world.compiled, snapshot, task)
        try:
            keys = change_keys(env.diff(snapshot))
        finally:
            env.close()
        with self._lock:
            self._gold[task.id] = keys
        return keys

    def schemas(self, world: LoadedWorld) -> dict[str, dict[str, Any]]:
        hit = self._schemas.get(world.id)
        if hit is None:
            from agentscaler.filter.verify import tool_schemas

            hit = self._schemas[world.id] = tool_schemas(world.compiled)
        return hit


def task_ids(run_dir: Path | str) -> list[str]:
    """Ids of the tasks of a run folder (after ``agentscaler tasks sample``)."""
    ws = Workspace(Path(run_dir))
    return [t.id for t in read_records(ws.require(ws.tasks, "tasks"), Task)]


def make_user(config: EnvConfig) -> User:
    """The user simulator of ``config``: the scripted user, or an LLM user."""
    if config.user is None:
        from agentscaler.simulate.policies.scripted_user import ScriptedUser

        return ScriptedUser(config.stop_token)
    from agentscaler.llm import ChatClient
    from agentscaler.simulate.policies.llm_user import LLMUser

    return LLMUser(ChatClient(config.user), stop_token=config.stop_token, greeting=config.greeting)


def _run_now(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine that never waits (the offline user's) to its end, without a loop."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise EnvError("the episode had to wait on I/O; use the async API (areset/astep)")


class TaskEnv:
    """One task of a run folder as a multi-turn environment (see the module docstring)."""

    def __init__(
        self,
        source: TaskSource,
        task: Task,
        config: EnvConfig | None = None,
        *,
        user: User | None = None,
    ) -> None:
        self.source = source
        self.task = task
        self.config = config or EnvConfig()
        source.pool.check_task(task)
        self.world = source.pool.world(task.domain_id)
        self.user = user if user is not None else make_user(self.config)
        self._offline = bool(getattr(self.user.info, "offline", False))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._env: WorldEnv | None = None
        self._conversation: Conversation | None = None
        self._context: EpisodeContext | None = None
        self._turns = 0
        self._episodes = 0
        self._termination: Termination | None = None
        self._error: str | None = None
        self._reward: Reward | None = None

    # --- what the agent sees ---------------------------------------------------------------------
    @property
    def tools(self) -> list[dict[str, Any]]:
        """The world's tools in OpenAI format (shared: do not modify)."""
        return self.world.tools

    @property
    def system_prompt(self) -> str:
        return self.world.system_prompt

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation so far as OpenAI request dicts."""
        return list(self._require().wire)

    @property
    def done(self) -> bool:
        return self._termination is not None

    @property
    def termination(self) -> Termination | None:
        return self._termination

    def observation(self) -> dict[str, Any]:
        return {"messages": self.messages, "tools": self.tools}

    # --- lifecycle -------------------------------------------------------------------------------
    async def areset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start a new episode on a fresh copy of the task's initial state; the user speaks
        first. Returns ``(observation, info)``."""
        self._close_world()
        self._episodes += 1
        trial = self._episodes - 1
        world, env = self.source.pool.make_env(self.task)
        self._env = env
        conversation = Conversation(world.system_prompt)
        self._conversation = conversation
        episode_seed = (
            seed if seed is not None else trial_seed(self.config.seed, self.task.id, trial)
        )
        self._context = EpisodeContext(
            self.task, conversation, world.tools, episode_seed, world.name
        )
        self._turns = 0
        self._termination = None
        self._error = None
        self._reward = None
        await self._user_turn()
        info = self._info()
        info["state_hash"] = self.task.initial_state
        return self._observation(), info

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Synchronous :meth:`areset`."""
        return self._drive(self.areset(seed=seed, options=options))

    async def astep(self, action: Any) -> StepResult:
        """Play one assistant message (see the module docstring)."""
        conversation = self._require()
        if self._termination is not None:
            raise EpisodeEnded(
                f"the episode of task {self.task.id} already ended ({self._termination.value}); "
                "call reset() to start a new one"
            )
        self._turns += 1
        try:
            message = to_message(action, self.tools, self.config.tool_call_parser)
        except InvalidAction as exc:
            error = {"type": "invalid_action", "message": str(exc)}
            if self._turns >= self.config.max_turns:
                self._end(Termination.MAX_TURNS)
            return self._result(error=error)
        message = conversation.add_assistant(message)
        if message.tool_calls:
            self._execute(message.tool_calls)
            if self._termination is None and self._turns >= self.config.max_turns:
                self._end(Termination.MAX_TURNS)
            return self._result()
        if self._turns >= self.config.max_turns:
            self._end(Termination.MAX_TURNS)
            return self._result()
        await self._user_turn()
        return self._result()

    def step(self, action: Any) -> StepResult:
        """Synchronous :meth:`astep`."""
        return self._drive(self.astep(action))

    def close(self) -> None:
        self._close_world()
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def __enter__(self) -> TaskEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- results ---------------------------------------------------------------------------------
    def episode(self) -> Episode:
        """The conversation so far as an :class:`Episode` record (as simulation writes them)."""
        conversation = self._require()
        env = self._env
        assert env is not None
        context = self._context
        assert context is not None
        return Episode(
            id=f"env-{self.task.id}-{self._episodes - 1}",
            task_id=self.task.id,
            trial=self._episodes - 1,
            domain_id=self.task.domain_id,
            agent=AGENT,
            user=self.user.info,
            messages=tuple(conversation.messages),
            termination=self._termination or Termination.AGENT_STOP,
            final_state_hash=env.state_hash(),
            tool_calls=conversation.tool_calls,
            tool_errors=conversation.tool_errors,
            turns=self._turns,
            seed=context.seed,
            error=self._error,
        )

    def reward(self) -> Reward:
        """The reward of the conversation so far, as if it ended now (the final reward once the
        episode is over)."""
        if self._reward is not None:
            return self._reward
        self._require()
        env = self._env
        assert env is not None
        world = self.world
        snapshot = self.source.pool.state(self.task.initial_state, world)
        reward, _ = score(
            self.episode(),
            self.task,
            world.compiled,
            snapshot,
            episode_changes=change_keys(env.diff(snapshot)),
            gold_changes=self.source.gold_changes(self.task, world),
            config=self.config.filter,
            schemas=self.source.schemas(world),
        )
        if self._termination is not None:
            self._reward = reward
        return reward

    def state_hash(self) -> str:
        self._require()
        assert self._env is not None
        return self._env.state_hash()

    def state_diff(self) -> list[dict[str, Any]]:
        """What the episode changed in the initial state, cell by cell."""
        self._require()
        assert self._env is not None
        snapshot = self.source.pool.state(self.task.initial_state, self.world)
        return [c.to_json_dict() for c in self._env.diff(snapshot)]

    def memory_bytes(self) -> int:
        """Approximate memory this episode holds: its database image and its messages."""
        if self._env is None or self._conversation is None:
            return 0
        size = len(self._env.state_bytes())
        for message in self._conversation.wire:
            size += len(json.dumps(message, ensure_ascii=False))
        return size

    # --- internals -------------------------------------------------------------------------------
    def _require(self) -> Conversation:
        if self._conversation is None:
            raise EnvError(f"the environment of task {self.task.id} was not reset; call reset()")
        return self._conversation

    def _drive(self, coro: Coroutine[Any, Any, _T]) -> _T:
        if self._offline:
            return _run_now(coro)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            coro.close()
            raise EnvError(
                "reset()/step() were called inside a running event loop; use "
                "`await env.areset()` / `await env.astep(action)` there"
            )
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(coro)

    def _close_world(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None

    def _end(self, termination: Termination, error: str | None = None) -> None:
        self._termination = termination
        self._error = error

    async def _user_turn(self) -> None:
        context = self._context
        assert context is not None
        try:
            reply = await self.user.respond(context)
        except LLMTimeout as exc:
            return self._end(Termination.LLM_TIMEOUT, str(exc))
        except LLMRateLimited as exc:
            return self._end(Termination.RATE_LIMITED, str(exc))
        except LLMRequestRejected as exc:
            return self._end(Termination.LLM_REJECTED, str(exc))
        except LLMTruncated as exc:
            return self._end(Termination.TRUNCATED, str(exc))
        except LLMError as exc:
            return self._end(Termination.LLM_ERROR, str(exc))
        text = reply.message.content or ""
        if not text.strip():
            return self._end(
                Termination.EMPTY_USER_REPLY, "the user answered nothing, also when asked again"
            )
        self._turns += 1
        context.conversation.add_user(text)
        if reply.stop:
            self._end(Termination.USER_STOP)
        return None

    def _execute(self, calls: tuple[ToolCall, ...]) -> None:
        conversation = self._conversation
        env = self._env
        assert conversation is not None and env is not None
        ended = run_calls(
            calls,
            conversation,
            env,
            self.config.max_tool_calls,
            record_world_bug=True,
            guard=self.world.policy_guard(self.task),
        )
        if ended is not None:
            self._end(*ended)

    def _observation(self, error: dict[str, Any] | None = None) -> dict[str, Any]:
        observation = {"messages": list(self._require().wire), "tools": self.world.tools}
        if error is not None:
            observation["error"] = error
        return observation

    def _info(self) -> dict[str, Any]:
        conversation = self._require()
        return {
            "task_id": self.task.id,
            "domain_id": self.task.domain_id,
            "read_only": self.task.read_only,
            "turns": self._turns,
            "tool_calls": conversation.tool_calls,
            "tool_errors": conversation.tool_errors,
            "termination": self._termination.value if self._termination else None,
            "error": self._error,
        }

    def _result(self, error: dict[str, Any] | None = None) -> StepResult:
        info = self._info()
        if error is not None:
            info["error"] = error
        reward = 0.0
        terminated = truncated = False
        if self._termination is not None:
            breakdown = self.reward()
            reward = breakdown.reward
            info["reward"] = breakdown.model_dump(mode="json")
            if _ENDS.get(self._termination) == "terminated":
                terminated = True
            else:
                truncated = True
        return StepResult(self._observation(error), reward, terminated, truncated, info)


def make(
    run_dir: Path | str | TaskSource,
    task_id: str,
    config: EnvConfig | None = None,
    **settings: Any,
) -> TaskEnv:
    """The environment of task ``task_id`` of a run folder (a unique id prefix works; unknown
    ids get a did-you-mean). ``settings`` override fields of :class:`EnvConfig`."""
    source = run_dir if isinstance(run_dir, TaskSource) else TaskSource(run_dir)
    if settings:
        config = (config or EnvConfig()).model_copy(update=settings)
        config = EnvConfig.model_validate(config.model_dump())
    return TaskEnv(source, source.task(task_id), config)

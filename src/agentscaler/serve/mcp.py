"""``agentscaler serve RUN --mcp``: the run's worlds as an MCP server (the official ``mcp`` SDK).

Every world's tools are MCP tools, next to four control tools:

* ``reset(task_id, seed?)``: start an episode of a task on a fresh copy of its initial state;
  answers the user's opening message and the session token;
* ``send_message(text)``: the agent's text to the simulated user; answers the user's reply
  (``done`` when the user ended the conversation);
* ``reward()``: the reward of the episode so far and its components (the environment's reward:
  the filter's verdict times the communicated-facts check, see :mod:`agentscaler.envs.reward`);
* ``list_tasks()``: the run's task ids.

A world tool call is one assistant tool call in the episode (an error observation comes back
with ``isError``). **Each MCP session has its own isolated state**: over streamable HTTP the
``Mcp-Session-Id`` of a handshake-era connection names it, over stdio the connection; clients
of the stateless 2026 protocol pass the token ``reset`` returned in the request's ``_meta``
(``{"agentscaler/session": TOKEN}``). Once a session is reset, ``tools/list`` lists its world's
tools only. Sessions are bounded and expire when idle (:mod:`agentscaler.serve.sessions`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from typing import Any

import mcp.types as types
from mcp.server.lowlevel import Server

from agentscaler.envs.core import TaskEnv
from agentscaler.errors import AgentscalerError, EnvError
from agentscaler.serve.sessions import SessionManager

log = logging.getLogger(__name__)

SESSION_META_KEY = "agentscaler/session"
STDIO_KEY = "stdio"

_CONTROL = [
    types.Tool(
        name="reset",
        description="Start an episode of a task on a fresh copy of its initial state. Returns the "
        "user's opening message and the session token.",
        input_schema={
            "type": "object",
            "properties": {
                "task_id": {"type": "string", "description": "A task id (see list_tasks)."},
                "seed": {"type": "integer", "description": "Seed of the user simulator."},
            },
            "required": ["task_id"],
        },
    ),
    types.Tool(
        name="send_message",
        description="Say something to the user (a question, a confirmation, the final answer). "
        "Returns the user's reply.",
        input_schema={
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
        },
    ),
    types.Tool(
        name="reward",
        description="The reward of the episode so far and its components.",
        input_schema={"type": "object", "properties": {}},
    ),
    types.Tool(
        name="list_tasks",
        description="The ids of the tasks this server can reset to.",
        input_schema={"type": "object", "properties": {}},
    ),
]
CONTROL_NAMES = frozenset(t.name for t in _CONTROL)


def _text(value: Any, *, error: bool = False) -> types.CallToolResult:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    structured = value if isinstance(value, dict) else None
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content=structured,
        is_error=error,
    )


def _mcp_tool(tool: dict[str, Any]) -> types.Tool:
    function = tool["function"]
    return types.Tool(
        name=function["name"],
        description=function.get("description") or "",
        input_schema=function.get("parameters") or {"type": "object", "properties": {}},
    )


class McpWorlds:
    """The MCP handlers over a :class:`SessionManager`."""

    def __init__(self, sessions: SessionManager) -> None:
        self.sessions = sessions
        self._by_key: dict[str, str] = {}
        """MCP session key -> our session id."""
        self._all_tools: list[types.Tool] | None = None
        self._world_tools: dict[str, list[types.Tool]] = {}
        self._schemas: dict[str, dict[str, Any]] | None = None

    def server(self) -> Server:
        return Server(
            "agentscaler",
            instructions="Simulated, database-backed worlds. Call reset(task_id) first; then use "
            "the world's tools and send_message to talk with the user.",
            on_list_tools=self.list_tools,
            on_call_tool=self.call_tool,
            get_tool_input_schema=self.input_schema,
        )

    def input_schema(self, name: str) -> dict[str, Any] | None:
        """A tool's input schema by name (what the SDK checks ``Mcp-Param-*`` headers
        against, without listing every tool per call)."""
        if self._schemas is None:
            self._schemas = {t.name: t.input_schema for t in _CONTROL + self._every_tool()}
        return self._schemas.get(name)

    # --- identity ------------------------------------------------------------------------------
    @staticmethod
    def _key(ctx: Any) -> str | None:
        """The MCP session this request belongs to (None: a stateless request)."""
        request = getattr(ctx, "request", None)
        headers = getattr(request, "headers", None)
        if headers is not None:
            sid = headers.get("mcp-session-id")
            if sid:
                return f"mcp:{sid}"
        meta = getattr(ctx, "meta", None) or {}
        token = meta.get(SESSION_META_KEY) if isinstance(meta, dict) else None
        if isinstance(token, str) and token:
            return f"token:{token}"
        if request is None:
            return STDIO_KEY
        return None

    def _session_id(self, ctx: Any) -> str:
        key = self._key(ctx)
        session_id = self._by_key.get(key) if key is not None else None
        if session_id is None:
            if key is None:
                raise EnvError(
                    f"this request names no session: call reset first and pass the token it "
                    f'returns in the request\'s _meta as {{"{SESSION_META_KEY}": TOKEN}}'
                )
            raise EnvError("this MCP session has no episode: call reset(task_id) first")
        return session_id

    # --- handlers ------------------------------------------------------------------------------
    async def list_tools(
        self, ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        key = self._key(ctx)
        session_id = self._by_key.get(key) if key is not None else None
        if session_id is not None:
            try:
                env = self.sessions.get(session_id).env
            except AgentscalerError:
                env = None
            if env is not None:
                return types.ListToolsResult(tools=_CONTROL + self._tools_of(env))
        return types.ListToolsResult(tools=_CONTROL + self._every_tool())

    async def call_tool(
        self, ctx: Any, params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        name = params.name
        arguments = dict(params.arguments or {})
        try:
            if name == "reset":
                return await self._reset(ctx, arguments)
            if name == "list_tasks":
                return _text({"tasks": list(self.sessions.source.tasks)})
            session_id = self._session_id(ctx)
            if name == "reward":
                return _text(
                    await self.sessions.run(
                        session_id,
                        _reward,
                    )
                )
            if name == "send_message":
                text = arguments.get("text")
                if not isinstance(text, str) or not text.strip():
                    return _text('send_message needs "text": what to tell the user', error=True)
                return await self.sessions.run(session_id, lambda env: _say(env, text))
            return await self.sessions.run(session_id, lambda env: _call(env, name, arguments))
        except AgentscalerError as exc:
            return _text(f"{type(exc).__name__}: {exc}", error=True)

    async def _reset(self, ctx: Any, arguments: dict[str, Any]) -> types.CallToolResult:
        task_id = arguments.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            return _text('reset needs "task_id" (see list_tasks)', error=True)
        seed = arguments.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            return _text(f'"seed" must be an integer, not {seed!r}', error=True)
        key = self._key(ctx)
        token = None
        if key is None:
            token = uuid.uuid4().hex
            key = f"token:{token}"
        previous = self._by_key.pop(key, None)
        if previous is not None:
            with contextlib.suppress(AgentscalerError):
                await self.sessions.close(previous)
        session, observation, _info = await self.sessions.create(task_id, seed=seed)
        self._by_key[key] = session.id
        opening = [m["content"] for m in observation["messages"] if m["role"] == "user"]
        payload = {
            "task_id": session.env.task.id,
            "user": opening[-1] if opening else "",
            "system": session.env.system_prompt,
            "tools": [t["function"]["name"] for t in session.env.tools],
            "done": session.env.done,
        }
        if token is not None:
            payload["session"] = token
        return _text(payload)

    def _every_tool(self) -> list[types.Tool]:
        if self._all_tools is None:
            seen: dict[str, types.Tool] = {}
            pool = self.sessions.source.pool
            for domain_id in sorted({t.domain_id for t in self.sessions.source.tasks.values()}):
                for tool in pool.world(domain_id).tools:
                    name = tool["function"]["name"]
                    if name not in CONTROL_NAMES:
                        seen.setdefault(name, _mcp_tool(tool))
            self._all_tools = list(seen.values())
        return self._all_tools

    def _tools_of(self, env: TaskEnv) -> list[types.Tool]:
        hit = self._world_tools.get(env.world.id)
        if hit is None:
            hit = self._world_tools[env.world.id] = [
                _mcp_tool(t) for t in env.tools if t["function"]["name"] not in CONTROL_NAMES
            ]
        return hit


async def _reward(env: TaskEnv) -> dict[str, Any]:
    return {"done": env.done, **env.reward().model_dump(mode="json")}


async def _say(env: TaskEnv, text: str) -> types.CallToolResult:
    result = await env.astep({"role": "assistant", "content": text})
    messages = result.observation["messages"]
    reply = messages[-1]["content"] if messages and messages[-1]["role"] == "user" else ""
    done = result.terminated or result.truncated
    payload: dict[str, Any] = {"user": reply, "done": done}
    if done:
        payload["termination"] = result.info.get("termination")
        payload["reward"] = result.reward
    return _text(payload)


async def _call(env: TaskEnv, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
    call = {
        "id": f"mcp_{uuid.uuid4().hex[:16]}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
    }
    result = await env.astep({"role": "assistant", "content": None, "tool_calls": [call]})
    messages = result.observation["messages"]
    content = messages[-1]["content"] if messages and messages[-1]["role"] == "tool" else ""
    from agentscaler.filter.calls import is_error_observation

    error = is_error_observation(content)
    if result.terminated or result.truncated:
        note = {"done": True, "termination": result.info.get("termination")}
        return types.CallToolResult(
            content=[
                types.TextContent(type="text", text=content),
                types.TextContent(type="text", text=json.dumps(note)),
            ],
            is_error=error,
        )
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=content)], is_error=error
    )

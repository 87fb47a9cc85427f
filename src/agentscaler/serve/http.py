"""``agentscaler serve RUN --http``: the task environments behind a small JSON API.

One session is one episode of one task, OpenEnv-style (create, step, state, reward, close):

=========================================  ====================================================
``GET /health``                            ``{"ok": true}``
``GET /tasks``                             the run's tasks (id, domain, read-only)
``POST /sessions``                         ``{"task_id", "seed"?}`` -> 201 ``{"session_id",
                                           "observation", "info"}`` (observation with tools)
``POST /sessions/{id}/step``               ``{"action"}``: an assistant message object, a tool
                                           call ``{"name", "arguments"}`` or raw model text ->
                                           ``{"observation", "reward", "terminated",
                                           "truncated", "info"}`` (observation: messages)
``POST /sessions/{id}/reset``              ``{"seed"?}`` -> a new episode on the same task
``GET /sessions/{id}/state``               state hash, cell diff from the initial state, turns
``GET /sessions/{id}/reward``              the reward and its components (as if it ended now)
``DELETE /sessions/{id}``                  close the session, free its slot
``GET /stats``                             sessions, capacity, memory per session, peak RSS
=========================================  ====================================================

Errors are ``{"error": {"type", "message"}}``: 400 bad request (malformed JSON, missing or
wrongly typed fields, an action of no supported shape), 404 unknown task or session, 409 a step
after the episode ended, 410 expired session, 503 no free session slot (after waiting
``acquire_timeout_s``). Error observations of the world (unknown tools, bad arguments) are not
HTTP errors: they are tool messages in the conversation, as the agent would see them.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from agentscaler.envs.core import TaskEnv
from agentscaler.errors import (
    AgentscalerError,
    EnvError,
    EpisodeEnded,
    RunFolderError,
    SessionError,
)
from agentscaler.serve.sessions import SessionManager

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4 << 20


class BadRequest(EnvError):
    """A request the API cannot read."""


def _error(status: int, kind: str, message: str) -> web.Response:
    return web.json_response({"error": {"type": kind, "message": message}}, status=status)


def _status(exc: AgentscalerError) -> tuple[int, str]:
    if isinstance(exc, SessionError):
        return exc.status, type(exc).__name__
    if isinstance(exc, EpisodeEnded):
        return 409, "episode_ended"
    if isinstance(exc, RunFolderError):
        return 404, "unknown_task"
    return 400, "bad_request"


@web.middleware
async def _errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except AgentscalerError as exc:
        status, kind = _status(exc)
        return _error(status, _snake(kind), str(exc))


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the request body is not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise BadRequest(f"the request body must be a JSON object, not {type(value).__name__}")
    return value


def _seed(body: dict[str, Any]) -> int | None:
    seed = body.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise BadRequest(f"'seed' must be an integer, not {seed!r}")
    return seed


def _step_payload(result: Any) -> dict[str, Any]:
    observation = {k: v for k, v in result.observation.items() if k != "tools"}
    return {
        "observation": observation,
        "reward": result.reward,
        "terminated": result.terminated,
        "truncated": result.truncated,
        "info": result.info,
    }


class HttpApi:
    """The routes of the JSON API over a :class:`SessionManager`."""

    def __init__(self, sessions: SessionManager) -> None:
        self.sessions = sessions

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_errors], client_max_size=MAX_BODY_BYTES)
        app.add_routes(
            [
                web.get("/health", self.health),
                web.get("/tasks", self.tasks),
                web.get("/stats", self.stats),
                web.post("/sessions", self.create),
                web.post("/sessions/{sid}/step", self.step),
                web.post("/sessions/{sid}/reset", self.reset),
                web.get("/sessions/{sid}/state", self.state),
                web.get("/sessions/{sid}/reward", self.reward),
                web.delete("/sessions/{sid}", self.close),
            ]
        )
        app.on_startup.append(self._startup)
        app.on_cleanup.append(self._cleanup)
        return app

    async def _startup(self, app: web.Application) -> None:
        await self.sessions.start()

    async def _cleanup(self, app: web.Application) -> None:
        await self.sessions.aclose()

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def tasks(self, request: web.Request) -> web.Response:
        tasks = [
            {"id": t.id, "domain_id": t.domain_id, "read_only": t.read_only}
            for t in self.sessions.source.tasks.values()
        ]
        return web.json_response({"tasks": tasks})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.sessions.stats())

    async def create(self, request: web.Request) -> web.Response:
        body = await _body(request)
        task_id = body.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise BadRequest('the body needs "task_id": the id of one of the run\'s tasks')
        session, observation, info = await self.sessions.create(task_id, seed=_seed(body))
        return web.json_response(
            {"session_id": session.id, "observation": observation, "info": info}, status=201
        )

    async def step(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if "action" not in body:
            raise BadRequest(
                'the body needs "action": an assistant message {"role": "assistant", '
                '"content": ..., "tool_calls": [...]}, a tool call {"name", "arguments"} or '
                "raw model text"
            )
        action = body["action"]
        result = await self.sessions.run(request.match_info["sid"], lambda e: e.astep(action))
        return web.json_response(_step_payload(result))

    async def reset(self, request: web.Request) -> web.Response:
        seed = _seed(await _body(request))
        observation, info = await self.sessions.run(
            request.match_info["sid"], lambda e: e.areset(seed=seed)
        )
        return web.json_response({"observation": observation, "info": info})

    async def state(self, request: web.Request) -> web.Response:
        async def read(env: TaskEnv) -> dict[str, Any]:
            return {
                "task_id": env.task.id,
                "state_hash": env.state_hash(),
                "diff": env.state_diff(),
                "done": env.done,
                "termination": env.termination.value if env.termination else None,
                "messages": len(env.messages),
            }

        return web.json_response(await self.sessions.run(request.match_info["sid"], read))

    async def reward(self, request: web.Request) -> web.Response:
        async def score(env: TaskEnv) -> dict[str, Any]:
            return {"done": env.done, **env.reward().model_dump(mode="json")}

        return web.json_response(await self.sessions.run(request.match_info["sid"], score))

    async def close(self, request: web.Request) -> web.Response:
        session_id = request.match_info["sid"]
        await self.sessions.close(session_id)
        return web.json_response({"closed": session_id})

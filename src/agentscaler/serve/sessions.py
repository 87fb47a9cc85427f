"""Sessions of a server: one task environment each, bounded, isolated, expiring when idle.

* **bounded with backpressure**: at most ``max_sessions`` exist; creating one more waits up to
  ``acquire_timeout_s`` for a slot, then fails with :class:`~agentscaler.errors.ServerBusy`
  (HTTP 503), never hangs;
* **isolated**: each session owns a :class:`~agentscaler.envs.core.TaskEnv` with its private
  database; calls on one session are serialised by its lock and never touch another's state;
* **complete steps**: a step runs to its end even when the client that asked disconnects
  (the caller's cancellation does not reach it), so a session is never left half-stepped;
* **idle expiry**: a session unused for ``idle_timeout_s`` is closed; its id then answers
  :class:`~agentscaler.errors.SessionExpired` (HTTP 410), an id never issued
  :class:`~agentscaler.errors.UnknownSession` (404).

Everything runs on one event loop; world steps take well under a millisecond and run inline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from agentscaler.envs.config import EnvConfig
from agentscaler.envs.core import TaskEnv, TaskSource
from agentscaler.errors import ServerBusy, SessionExpired, UnknownSession
from agentscaler.serve.config import ServeConfig

log = logging.getLogger(__name__)

_T = TypeVar("_T")


@dataclass
class Session:
    id: str
    env: TaskEnv
    created: float
    last_used: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    busy: int = 0
    """Calls in progress (a busy session never expires)."""


def peak_rss_bytes() -> int:
    """Peak resident memory of this process."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class SessionManager:
    """The sessions of one server over the tasks of one run folder."""

    def __init__(
        self,
        source: TaskSource,
        env_config: EnvConfig | None = None,
        config: ServeConfig | None = None,
    ) -> None:
        self.source = source
        self.env_config = env_config or EnvConfig()
        self.config = config or ServeConfig()
        self._sessions: dict[str, Session] = {}
        self._expired: OrderedDict[str, float] = OrderedDict()
        self._slots: asyncio.Semaphore | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.created = 0
        self.expired = 0
        self.refused = 0

    # --- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the idle sweeper (on the serving loop)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.config.max_sessions)
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever())

    async def aclose(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        for session_id in list(self._sessions):
            self._drop(session_id)

    # --- sessions ----------------------------------------------------------------------------------
    async def create(
        self, task_id: str, *, seed: int | None = None
    ) -> tuple[Session, dict[str, Any], dict[str, Any]]:
        """A new session on task ``task_id``, reset: ``(session, observation, info)``."""
        task = self.source.task(task_id)  # unknown tasks fail before taking a slot
        await self.start()
        slots = self._slots
        assert slots is not None
        try:
            await asyncio.wait_for(slots.acquire(), self.config.acquire_timeout_s)
        except TimeoutError:
            self.refused += 1
            raise ServerBusy(
                f"all {self.config.max_sessions} sessions are in use and none was freed within "
                f"{self.config.acquire_timeout_s:g} s; close finished sessions "
                "(DELETE /sessions/ID) or retry later"
            ) from None
        session: Session | None = None
        try:
            env = TaskEnv(self.source, task, self.env_config)
            now = time.monotonic()
            session = Session(id=uuid.uuid4().hex, env=env, created=now, last_used=now)
            self._sessions[session.id] = session
            self.created += 1
            observation, info = await self._guarded(session, env.areset(seed=seed))
        except BaseException:
            if session is not None:
                self._drop(session.id)
            else:
                slots.release()
            raise
        return session, observation, info

    def get(self, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is not None:
            return session
        if session_id in self._expired:
            raise SessionExpired(
                f"session {session_id} expired after {self.config.idle_timeout_s:g} s without "
                "use; create a new session"
            )
        raise UnknownSession(f"no session {session_id!r}; create one with POST /sessions")

    async def run(self, session_id: str, call: Callable[[TaskEnv], Awaitable[_T]]) -> _T:
        """Run ``call(env)`` on a session, alone on it and to its end (see the module doc)."""
        session = self.get(session_id)
        return await self._guarded(session, call(session.env))

    async def close(self, session_id: str) -> None:
        session = self.get(session_id)
        async with session.lock:
            self._drop(session_id)

    def __len__(self) -> int:
        return len(self._sessions)

    def stats(self) -> dict[str, Any]:
        """Sessions held, capacity, counters and memory (per session: database + messages)."""
        sizes = [s.env.memory_bytes() for s in self._sessions.values()]
        return {
            "sessions": len(self._sessions),
            "max_sessions": self.config.max_sessions,
            "created": self.created,
            "expired": self.expired,
            "refused": self.refused,
            "session_bytes_mean": round(sum(sizes) / len(sizes)) if sizes else 0,
            "session_bytes_max": max(sizes, default=0),
            "peak_rss_bytes": peak_rss_bytes(),
        }

    # --- internals ---------------------------------------------------------------------------------
    async def _guarded(self, session: Session, work: Awaitable[_T]) -> _T:
        session.busy += 1
        try:
            return await asyncio.shield(self._locked(session, work))
        finally:
            session.busy -= 1
            session.last_used = time.monotonic()

    @staticmethod
    async def _locked(session: Session, work: Awaitable[_T]) -> _T:
        async with session.lock:
            return await work

    def _drop(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        if session is None:
            return
        session.env.close()
        if self._slots is not None:
            self._slots.release()

    def expire_idle(self, now: float | None = None) -> int:
        """Close the sessions idle for longer than ``idle_timeout_s``; how many were closed."""
        now = time.monotonic() if now is None else now
        limit = self.config.idle_timeout_s
        idle = [s.id for s in self._sessions.values() if not s.busy and now - s.last_used > limit]
        for session_id in idle:
            self._drop(session_id)
            self._remember(session_id, now)
        self.expired += len(idle)
        if idle:
            log.info("expired %d idle session(s)", len(idle))
        return len(idle)

    def _remember(self, session_id: str, now: float) -> None:
        if not self.config.remember_expired:
            return
        self._expired[session_id] = now
        while len(self._expired) > self.config.remember_expired:
            self._expired.popitem(last=False)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.sweep_interval_s)
            self.expire_idle()

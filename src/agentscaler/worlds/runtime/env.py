"""The Gymnasium-shaped environment of a world: ``reset`` and ``step`` on a private database.

Every :class:`WorldEnv` owns an in-memory SQLite connection holding its own copy of the state
(``sqlite3`` ``serialize``/``deserialize``), so any number of episodes run side by side in one
process without sharing anything. A step validates the call, runs the tool's code inside a
savepoint under the sandbox budget, and returns a :class:`StepResult`:

* success: ``observation`` is the tool's JSON result;
* domain error (NotFound, PreconditionFailed, InvalidArgument, UnknownTool): ``observation`` is
  ``{"error": {"type": "not_found", "message": "order ORD-1 not found"}}``, the state is unchanged;
* over budget (the call ran past its time or memory limit, or tried to build a value larger
  than the size limit): a domain error ``limit_exceeded`` for that call, the state rolled back
  and the episode going on (``info["limit_exceeded"]`` says which resource);
* world bug (any other exception in tool code, a non-JSON result): the state is rolled back, ``info["world_bug"]`` holds the details, the agent sees only
  ``{"error": {"type": "internal_error", ...}}`` and ``truncated`` is True. With
  ``WorldConfig.raise_world_bugs`` the step raises :class:`WorldBugError` instead.

``reward`` is 0.0 unless ``reset`` was given ``options["goal_state_hash"]``: then a step whose
resulting state has that hash earns 1.0 (``info["goal_reached"]``).
"""

from __future__ import annotations

import difflib
import json
import logging
import random
import sqlite3
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentscaler.errors import (
    InvalidArgument,
    LimitExceeded,
    ToolError,
    UnknownTool,
    WorldBugError,
    WorldError,
)
from agentscaler.records.world import StateChange
from agentscaler.worlds.runtime.budget import BudgetExceeded, arm, disarm, guard_text, sql_progress
from agentscaler.worlds.runtime.dbapi import Database
from agentscaler.worlds.runtime.state import (
    Snapshot,
    combine,
    connect_bytes,
    diff_connections,
    table_digest,
)
from agentscaler.worlds.spellings import read_arguments, show_result

if TYPE_CHECKING:
    from agentscaler.worlds.runtime.loader import CompiledWorld

log = logging.getLogger(__name__)

INTERNAL_ERROR = {
    "type": "internal_error",
    "message": "The tool failed because of an internal error; the request was not carried out.",
}


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one ``step`` returns; unpacks as Gymnasium's 5-tuple."""

    observation: Any
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.observation, self.reward, self.terminated, self.truncated, self.info))

    @property
    def ok(self) -> bool:
        return bool(self.info.get("ok"))

    @property
    def content(self) -> str:
        """The observation as JSON text (the tool message content for an LLM)."""
        return self.info["content"]

    @property
    def error_type(self) -> str | None:
        return self.info.get("error")

    @property
    def changes(self) -> tuple[StateChange, ...]:
        return self.info.get("changes", ())


def parse_action(action: Any) -> tuple[str, Any]:
    """``(tool name, arguments)`` from an OpenAI tool call (dict or record), ``{"name",
    "arguments"}``, or a ``(name, arguments)`` pair. Arguments may be a dict or JSON text."""
    if isinstance(action, tuple) and len(action) == 2:
        return str(action[0]), action[1]
    function = getattr(action, "function", None)
    if function is not None and hasattr(function, "name"):
        return str(function.name), function.arguments
    if isinstance(action, dict):
        if isinstance(action.get("function"), dict):
            function = action["function"]
            return str(function.get("name", "")), function.get("arguments", {})
        if "name" in action:
            return str(action["name"]), action.get("arguments", {})
    raise InvalidArgument(
        "a tool call needs a tool name and arguments, e.g. "
        '{"name": "get_order", "arguments": {"order_id": "ORD-1"}}'
    )


def _parse_arguments(tool: str, arguments: Any) -> Any:
    if arguments is None or arguments == "":
        return {}
    if isinstance(arguments, (str, bytes)):
        try:
            return json.loads(arguments)
        except json.JSONDecodeError as exc:
            raise InvalidArgument(
                f"{tool}: arguments are not valid JSON ({exc.msg} at position {exc.pos})"
            ) from exc
    return arguments


class WorldEnv:
    """One episode's private copy of a world's database, with Gymnasium-style reset/step."""

    def __init__(self, world: CompiledWorld) -> None:
        self.world = world
        self.config = world.config
        self._conn = self._connect()
        self.db = Database(self._conn, world.schema, max_limit=self.config.max_limit)
        self._digests: dict[str, str] = {}
        self._steps = 0
        self._max_steps: int | None = None
        self._goal: str | None = None
        self.world_bugs: list[str] = []
        self._loaded = False

    # --- lifecycle --------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start an episode; return ``(observation, info)``.

        ``options["state"]``: initial state as bytes, a :class:`Snapshot`, or a path to a
        ``.sqlite`` file. Without it, ``seed`` picks a seeded state (``seed_state``) and no seed
        the world's ``seed.sqlite``. ``options["rows_per_table"]`` sizes seeded states,
        ``options["max_steps"]`` truncates after that many steps and
        ``options["goal_state_hash"]`` makes reaching that state earn reward 1.0.
        """
        options = dict(options or {})
        state = options.get("state")
        digests: dict[str, str] = {}
        if isinstance(state, Snapshot):
            data, digests = state.data, dict(state.digests)
        elif isinstance(state, (bytes, bytearray, memoryview)):
            data = bytes(state)
        elif isinstance(state, (str, Path)):
            path = Path(state)
            if not path.exists():
                raise WorldError(f"initial state {path} does not exist")
            data = path.read_bytes()
            from agentscaler.worlds.runtime.sqlite_check import check_database

            check_database(data, str(path), "Pass a state saved from this world.")
        elif state is None:
            if seed is not None:
                data, digests = self.world.seeded(seed, options.get("rows_per_table"))
            else:
                data, digests = self.world.initial()
        else:
            raise WorldError(
                f"options['state'] must be bytes, a Snapshot or a path, not {type(state).__name__}"
            )
        self._load(data, digests)
        self._steps = 0
        self._max_steps = options.get("max_steps")
        self._goal = options.get("goal_state_hash")
        self.world_bugs = []
        state_hash = self.state_hash()
        return {"state_hash": state_hash}, {
            "state_hash": state_hash,
            "seed": seed,
            "tools": len(self.world.tools),
        }

    @staticmethod
    def _connect() -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        conn.set_progress_handler(sql_progress, 2000)
        return conn

    def _load(self, data: bytes, digests: dict[str, str]) -> None:
        # A fresh connection per state: prepared statements cached by a connection must never
        # outlive the database image they were compiled against.
        if self._loaded:
            self._conn.close()
            self._conn = self._connect()
            self.db._conn = self._conn
        try:
            self._conn.deserialize(data)
            self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise WorldError(
                f"the initial state is not a sound SQLite database ({exc}) of world {self.world.id}"
            ) from exc
        present = {
            row[0]
            for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        missing = [t for t in self.world.schema.tables if t not in present]
        if missing:
            raise WorldError(
                f"the initial state lacks tables {', '.join(missing)} of world {self.world.id}; "
                "it belongs to another world or an older compile"
            )
        self._digests = dict(digests)
        self.db._take_changes()
        self._loaded = True

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> WorldEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- stepping ---------------------------------------------------------------------------
    def step(self, action: Any) -> StepResult:
        """Execute one tool call (OpenAI tool call, ``{"name", "arguments"}`` or a pair)."""
        if not self._loaded:
            self.reset()
        started = time.perf_counter()
        name = ""
        try:
            name, raw = parse_action(action)
            entry = self.world.tools.get(name)
            if entry is None:
                raise UnknownTool(self._unknown_message(name))
            arguments = entry.validator.validate(_parse_arguments(name, raw))
        except ToolError as exc:
            return self._finish(
                name, None, self._error(exc), ok=False, error=exc.code, started=started
            )
        if entry.spellings:
            arguments = read_arguments(arguments, entry.spellings)
        if entry.rename:
            arguments = {entry.rename.get(k, k): v for k, v in arguments.items()}
        write = entry.kind == "write"
        db = self.db
        db._readonly = not write
        if write:
            self._conn.execute("SAVEPOINT step")
        config = self.config
        saved = arm(config.time_limit_s, config.memory_limit_mb, config.max_sequence_len)
        try:
            try:
                result = entry.function(db, **arguments)
                guard_text(result)
            finally:
                disarm(saved)
            if entry.shown:
                result = show_result(result, entry.shown)
            content = json.dumps(result, ensure_ascii=False, allow_nan=False)
        except ToolError as exc:
            self._rollback(write)
            return self._finish(
                name, entry.kind, self._error(exc), ok=False, error=exc.code, started=started
            )
        except BudgetExceeded as exc:
            self._rollback(write)
            return self._over_budget(name, entry.kind, exc.reason, exc.resource, started)
        except sqlite3.OperationalError as exc:
            self._rollback(write)
            if "interrupted" in str(exc):
                limit = self.config.time_limit_s
                reason = f"exceeded its time limit of {limit:g} s"
                return self._over_budget(name, entry.kind, reason, "time", started)
            return self._world_bug(name, entry.kind, _describe(name, exc), started)
        except Exception as exc:
            self._rollback(write)
            return self._world_bug(name, entry.kind, _describe(name, exc), started)
        finally:
            db._readonly = False
        raw_changes = db._take_changes()
        if write:
            self._conn.execute("RELEASE step")
        changes = tuple(
            StateChange(op=op, table=table, key=key, column=column, old=old, new=new)  # type: ignore[arg-type]
            for op, table, key, column, old, new in raw_changes
        )
        for table in {c.table for c in changes}:
            self._digests.pop(table, None)
        return self._finish(
            name,
            entry.kind,
            result,
            ok=True,
            error=None,
            started=started,
            changes=changes,
            content=content,
        )

    def call(self, tool: str, **arguments: Any) -> StepResult:
        """``step`` with keyword arguments: ``env.call("get_order", order_id="ORD-1")``."""
        return self.step((tool, arguments))

    def _rollback(self, write: bool) -> None:
        self.db._take_changes()
        if write:
            self._conn.execute("ROLLBACK TO step")
            self._conn.execute("RELEASE step")

    @staticmethod
    def _error(exc: ToolError) -> dict[str, Any]:
        rule = getattr(exc, "rule", None)
        if rule:
            return {"error": {"type": exc.code, "message": str(exc), "rule": rule}}
        return {"error": {"type": exc.code, "message": str(exc)}}

    def _unknown_message(self, name: str) -> str:
        names = list(self.world.tools)
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        shown = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
        return f"no tool named {name!r} in this world{hint} (tools: {shown})"

    def _over_budget(
        self, name: str, kind: str | None, reason: str, resource: str, started: float
    ) -> StepResult:
        """A call stopped by its time or memory budget: a domain error of that call (the state
        is unchanged and the episode goes on), or a world bug where the caller asked to raise."""
        detail = f"tool {name} {reason}"
        if self.config.raise_world_bugs:
            return self._world_bug(name, kind, detail, started, timeout=True)
        log.warning("world %s: %s", self.world.id, detail)
        error = LimitExceeded(f"{detail}; the call was stopped and changed nothing")
        return self._finish(
            name,
            kind,
            self._error(error),
            ok=False,
            error=error.code,
            started=started,
            limit=resource,
        )

    def _world_bug(
        self, name: str, kind: str | None, detail: str, started: float, *, timeout: bool = False
    ) -> StepResult:
        from agentscaler.errors import ToolTimeoutError

        self.world_bugs.append(detail)
        log.warning("world %s: %s", self.world.id, detail.splitlines()[0])
        if self.config.raise_world_bugs:
            raise (ToolTimeoutError if timeout else WorldBugError)(
                f"world {self.world.id}: {detail}"
            )
        return self._finish(
            name,
            kind,
            {"error": dict(INTERNAL_ERROR)},
            ok=False,
            error="world_bug",
            started=started,
            world_bug=detail,
        )

    def _finish(
        self,
        name: str,
        kind: str | None,
        observation: Any,
        *,
        ok: bool,
        error: str | None,
        started: float,
        changes: tuple[StateChange, ...] = (),
        content: str | None = None,
        world_bug: str | None = None,
        limit: str | None = None,
    ) -> StepResult:
        self._steps += 1
        reward = 0.0
        goal_reached = False
        if self._goal is not None and changes:
            goal_reached = self.state_hash() == self._goal
            reward = 1.0 if goal_reached else 0.0
        truncated = world_bug is not None or (
            self._max_steps is not None and self._steps >= self._max_steps
        )
        info = {
            "tool": name,
            "kind": kind,
            "ok": ok,
            "error": error,
            "changes": changes,
            "world_bug": world_bug,
            "step": self._steps,
            "elapsed_s": time.perf_counter() - started,
            "content": content
            if content is not None
            else json.dumps(observation, ensure_ascii=False),
            "goal_reached": goal_reached,
        }
        if limit is not None:
            info["limit_exceeded"] = limit
        return StepResult(observation, reward, False, truncated, info)

    # --- state ------------------------------------------------------------------------------
    def state_hash(self) -> str:
        """Canonical hash of the current state (per-table digests are cached between writes)."""
        for name, meta in self.world.schema.tables.items():
            if name not in self._digests:
                self._digests[name] = table_digest(self._conn, meta)
        return combine(self._digests)

    def snapshot(self) -> Snapshot:
        """The current state as bytes (restore with :meth:`restore` or ``reset(options=...)``)."""
        return Snapshot(self._conn.serialize(), dict(self._digests))

    def restore(self, snapshot: Snapshot | bytes) -> None:
        """Return to a snapshot's state (episode counters are kept)."""
        if isinstance(snapshot, Snapshot):
            self._load(snapshot.data, snapshot.digests)
        else:
            self._load(bytes(snapshot), {})

    def state_bytes(self) -> bytes:
        return self._conn.serialize()

    def save_state(self, path: Path | str) -> None:
        """Write the current state to a ``.sqlite`` file."""
        Path(path).write_bytes(self._conn.serialize())

    def diff(self, other: WorldEnv | Snapshot | bytes) -> list[StateChange]:
        """Changes that turn ``other``'s state into this env's state.

        ``snap = env.snapshot(); env.step(...); env.diff(snap)`` lists what the steps changed.
        """
        self.state_hash()
        if isinstance(other, WorldEnv):
            other.state_hash()
            return diff_connections(
                other._conn,
                self._conn,
                self.world.schema,
                old_digests=other._digests,
                new_digests=self._digests,
            )
        data, digests = (
            (other.data, other.digests) if isinstance(other, Snapshot) else (bytes(other), {})
        )
        conn = connect_bytes(data)
        try:
            return diff_connections(
                conn, self._conn, self.world.schema, old_digests=digests, new_digests=self._digests
            )
        finally:
            conn.close()

    # --- helpers for samplers and task synthesis --------------------------------------------
    def random_rows(
        self, table: str, k: int, rng: random.Random, *, where: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Up to ``k`` distinct rows of ``table`` picked with ``rng`` (deterministic)."""
        total = self.db.count(table, where=where)
        if total == 0:
            return []
        meta = self.world.schema.meta(table)
        sql, params = self.db._where(meta, where, None, None)
        offsets = rng.sample(range(total), min(k, total))
        rows = []
        for offset in offsets:
            row = self._conn.execute(
                f'SELECT {meta.select_list} FROM {meta.qname}{sql} ORDER BY "{meta.key}" LIMIT 1 OFFSET ?',
                (*params, offset),
            ).fetchone()
            if row is not None:
                rows.append(meta.decode(row))
        return rows

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The world's tools in OpenAI format."""
        return self.world.openai_tools

    @property
    def steps(self) -> int:
        return self._steps


def _describe(name: str, exc: BaseException) -> str:
    detail = getattr(exc, "detail", None)  # a tool that failed in a worker process says how
    if isinstance(detail, str):
        return detail
    frames = traceback.extract_tb(exc.__traceback__)
    where = next(
        (
            f"{Path(f.filename).name}:{f.lineno}"
            for f in reversed(frames)
            if f.filename.endswith("tools.py")
        ),
        "",
    )
    at = f" at {where}" if where else ""
    return f"tool {name} raised {type(exc).__name__}{at}: {exc}"

"""Loading a world: its record, its tool list and its (possibly user-edited) tool code.

``load_world(dir)`` reads ``world.json``, ``tools.json`` and ``tools.py``. The code is always
safety-checked before it runs; when its hash differs from the one recorded at compile time the
edit is reported and the tools' ``@tool`` decorators (kind, operation, table) take precedence.
Executed code is cached by its hash, so loading the same world many times is cheap.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentscaler.canonical import text_hash
from agentscaler.errors import InvalidArgument, NotFound, PreconditionFailed, WorldError
from agentscaler.jsonl import read_json
from agentscaler.records.world import ToolBinding, World
from agentscaler.worlds.config import WorldConfig
from agentscaler.worlds.runtime.dbapi import Schema
from agentscaler.worlds.runtime.sandbox import execute
from agentscaler.worlds.runtime.validation import ArgumentValidator
from agentscaler.worlds.spellings import AS_TEXT, Spelling

if TYPE_CHECKING:
    from agentscaler.worlds.runtime.env import WorldEnv

log = logging.getLogger(__name__)

WORLD_FILES = ("world.json", "tools.json", "tools.py", "schema.sql", "seed.sqlite")
_KINDS = ("read", "write")
_OPERATIONS = ("get", "search", "create", "update", "transition", "delete", "compute")


@dataclass
class ToolEntry:
    """One callable tool of a loaded world."""

    name: str
    function: Callable[..., Any]
    kind: str
    operation: str
    table: str | None
    rename: dict[str, str]
    """JSON argument name -> Python parameter name, where they differ."""
    openai: dict[str, Any]
    validator: ArgumentValidator
    isolated: bool = False
    spellings: dict[str, Spelling] = field(default_factory=dict)
    """JSON argument name -> the tool's spelling of its column's values -> the column's (or
    ``"json"``: the values as JSON text)."""
    shown: dict[str, Spelling] = field(default_factory=dict)
    """Column -> the tool's spelling -> the column's: how its results show those values."""
    """Calls run in a worker process under OS limits (code a user edited or an LLM wrote)."""

    @property
    def parameters(self) -> dict[str, Any]:
        return self.openai["function"].get("parameters") or {}

    @property
    def description(self) -> str:
        return str(self.openai["function"].get("description", ""))


def code_hash(source: str) -> str:
    return text_hash(source, length=16)


_MODULE_CACHE: OrderedDict[str, dict[str, tuple[Callable[..., Any], dict[str, Any]]]] = (
    OrderedDict()
)
_MODULE_LOCK = threading.Lock()


def run_tool_code(
    source: str, *, filename: str = "tools.py", max_bytes: int = 2_000_000
) -> dict[str, tuple[Callable[..., Any], dict[str, Any]]]:
    """Check and execute tool code; return ``{tool name: (function, decorator options)}``."""
    key = code_hash(source) + filename
    with _MODULE_LOCK:
        cached = _MODULE_CACHE.get(key)
        if cached is not None:
            _MODULE_CACHE.move_to_end(key)
            return cached
    registry: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {}

    def tool(**options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            name = options.get("name") or function.__name__
            if name in registry:
                raise WorldError(f"{filename}: two functions are registered as tool {name!r}")
            registry[name] = (function, dict(options))
            return function

        return register

    namespace = {
        "tool": tool,
        "NotFound": NotFound,
        "PreconditionFailed": PreconditionFailed,
        "InvalidArgument": InvalidArgument,
    }
    execute(source, namespace, filename=filename, max_bytes=max_bytes)
    with _MODULE_LOCK:
        _MODULE_CACHE[key] = registry
        while len(_MODULE_CACHE) > 512:
            _MODULE_CACHE.popitem(last=False)
    return registry


@dataclass
class CompiledWorld:
    """A world ready to run: record, tools, schema metadata and initial state."""

    world: World
    source: str
    openai_tools: list[dict[str, Any]]
    tools: dict[str, ToolEntry]
    schema: Schema
    path: Path | None = None
    config: WorldConfig = field(default_factory=WorldConfig)
    edited: bool = False
    """tools.py differs from what the compiler wrote (it was edited or replaced)."""
    _seed_bytes: bytes | None = None
    _seed_cache: OrderedDict[tuple[int, Any], tuple[bytes, dict[str, str]]] = field(
        default_factory=OrderedDict
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _initial_digests: tuple[bytes, dict[str, str]] | None = None
    _empty_image: bytes | None = None
    spec: Any = None
    """The world's spec (:class:`~agentscaler.worlds.spec.model.WorldSpec`) when known; a
    loaded world reads it from ``spec.yaml`` on first use (see :meth:`load_spec`)."""
    spec_text: str | None = None
    """The text of ``spec.yaml`` as it is to be written (a user's file is kept as written)."""

    # --- construction ---------------------------------------------------------------------
    @classmethod
    def from_parts(
        cls,
        world: World,
        source: str,
        openai_tools: list[dict[str, Any]],
        *,
        path: Path | None = None,
        seed_bytes: bytes | None = None,
        config: WorldConfig | None = None,
        filename: str = "tools.py",
    ) -> CompiledWorld:
        config = config or WorldConfig()
        registry = run_tool_code(source, filename=filename, max_bytes=config.max_code_bytes)
        by_name = {t["function"]["name"]: t for t in openai_tools}
        edited = code_hash(source) != world.code_hash
        tools: dict[str, ToolEntry] = {}
        bindings: list[ToolBinding] = []
        for binding in world.tools:
            if binding.name not in by_name:
                raise WorldError(
                    f"{filename}: tool {binding.name!r} of world.json is missing from tools.json"
                )
            if binding.name not in registry:
                raise WorldError(
                    f"{filename}: no function is registered for tool {binding.name!r}; "
                    f"decorate it with @tool(kind=..., name={binding.name!r})"
                )
            function, options = registry[binding.name]
            kind = options.get("kind", binding.kind)
            operation = options.get("operation", binding.operation)
            if kind not in _KINDS:
                raise WorldError(
                    f"{filename}: tool {binding.name!r} has kind {kind!r}; use 'read' or 'write'"
                )
            if operation not in _OPERATIONS:
                operation = binding.operation
            table = options.get("table", binding.table)
            if (kind, operation, table) != (
                binding.kind,
                binding.operation,
                binding.table,
            ) or edited:
                if kind != binding.kind:
                    log.warning(
                        "%s: tool %s is now tagged %s (compiled as %s)",
                        filename,
                        binding.name,
                        kind,
                        binding.kind,
                    )
                binding = binding.model_copy(
                    update={
                        "kind": kind,
                        "operation": operation,
                        "table": table,
                        "code_source": "user"
                        if edited and binding.code_source == "template"
                        else binding.code_source,
                    }
                )
            bindings.append(binding)
            rename = dict(options.get("rename") or {})
            spellings = {
                str(k): dict(v) if isinstance(v, dict) else v
                for k, v in (options.get("spellings") or {}).items()
                if isinstance(v, dict) or v == AS_TEXT
            }
            shown = {
                param.column: spellings[param.name]
                for param in binding.params
                if param.name in spellings and param.column
            }
            tools[binding.name] = ToolEntry(
                name=binding.name,
                function=function,
                kind=kind,
                operation=operation,
                table=table,
                rename=rename,
                openai=by_name[binding.name],
                validator=ArgumentValidator(
                    binding.name, by_name[binding.name]["function"].get("parameters") or {}
                ),
                spellings=spellings,
                shown=shown,
            )
        if (
            config.tool_isolation == "process"
            or edited
            or any(b.code_source == "llm" for b in world.tools)
        ):
            _isolate(tools, source, filename, config)
        extra = sorted(set(registry) - set(tools))
        if extra:
            log.info(
                "%s: functions %s are not tools of world.json and are ignored",
                filename,
                ", ".join(extra),
            )
        if edited:
            log.info(
                "%s: tools.py changed since it was compiled (hash %s, compiled %s); it passed the safety check",
                filename,
                code_hash(source),
                world.code_hash,
            )
            world = world.model_copy(update={"tools": tuple(bindings)})
        return cls(
            world=world,
            source=source,
            openai_tools=list(openai_tools),
            tools=tools,
            schema=Schema(world),
            path=path,
            config=config,
            edited=edited,
            _seed_bytes=seed_bytes,
        )

    def load_spec(self) -> Any:
        """The world's spec, read from ``spec.yaml`` beside the world on first use."""
        if self.spec is None and self.path is not None:
            from agentscaler.worlds.spec.io import SPEC_FILE, load_spec

            if (self.path / SPEC_FILE).exists():
                self.spec = load_spec(self.path / SPEC_FILE)
        return self.spec

    # --- facts ----------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.world.id

    @property
    def tool_names(self) -> list[str]:
        return list(self.tools)

    def binding(self, tool: str) -> ToolBinding:
        binding = self.world.binding(tool)
        if binding is None:
            raise WorldError(f"world {self.world.id} has no tool {tool!r}")
        return binding

    # --- states ---------------------------------------------------------------------------
    def initial_state(self) -> bytes:
        """The default initial state (``seed.sqlite``; seeded on demand when absent)."""
        if self._seed_bytes is None:
            if self.path is not None and (self.path / "seed.sqlite").exists():
                from agentscaler.worlds.runtime.sqlite_check import check_database

                path = self.path / "seed.sqlite"
                data = path.read_bytes()
                root = self.path.parent.parent
                rerun = (
                    f"agentscaler run --out {root}"
                    if (root / "run.json").exists()
                    else f"agentscaler worlds build {root} --domain {self.path.name}"
                )
                check_database(
                    data, str(path), f"Run `{rerun}`: it rebuilds a world whose files changed."
                )
                self._seed_bytes = data
            else:
                self._seed_bytes = self.seed_state(self.world.seed)
        return self._seed_bytes

    def initial(self) -> tuple[bytes, dict[str, str]]:
        """``(bytes, table digests)`` of the default initial state (digests computed once)."""
        data = self.initial_state()
        with self._lock:
            cached = self._initial_digests
        if cached is None or cached[0] is not data:
            from agentscaler.worlds.runtime.state import connect_bytes, table_digest

            conn = connect_bytes(data)
            try:
                digests = {
                    name: table_digest(conn, meta) for name, meta in self.schema.tables.items()
                }
            finally:
                conn.close()
            cached = (data, digests)
            with self._lock:
                self._initial_digests = cached
        return data, dict(cached[1])

    def empty_image(self) -> bytes:
        """The world's database with its schema and no rows, serialized (its schema loaded into
        SQLite once: every seeded state starts from a copy of these bytes)."""
        image = self._empty_image
        if image is None:
            from agentscaler.worlds.seeding.seed import empty_state

            image = self._empty_image = empty_state(self.world)
        return image

    def seed_state(self, seed: int, rows_per_table: int | Mapping[str, int] | None = None) -> bytes:
        """A seeded initial state as SQLite bytes (cached per seed; deterministic)."""
        return self.seeded(seed, rows_per_table)[0]

    def seeded(
        self, seed: int, rows_per_table: int | Mapping[str, int] | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """``(bytes, table digests)`` of a seeded state; the digests make hashing it free."""
        from agentscaler.worlds.seeding.seed import seeded_state

        rows_key = (
            tuple(sorted(rows_per_table.items()))
            if isinstance(rows_per_table, Mapping)
            else rows_per_table
        )
        key = (int(seed), rows_key)
        with self._lock:
            hit = self._seed_cache.get(key)
            if hit is not None:
                self._seed_cache.move_to_end(key)
                return hit
        data, digests = seeded_state(
            self.world,
            int(seed),
            rows_per_table,
            schema=self.schema,
            spec=self.load_spec(),
            image=self.empty_image(),
        )
        with self._lock:
            if self.config.seed_cache_size:
                self._seed_cache[key] = (data, digests)
                while len(self._seed_cache) > self.config.seed_cache_size:
                    self._seed_cache.popitem(last=False)
        return data, digests

    def make_env(self, state: bytes | Path | str | None = None, **options: Any) -> WorldEnv:
        """A new environment on its own in-memory copy of ``state`` (default: the seed state)."""
        from agentscaler.worlds.runtime.env import WorldEnv

        env = WorldEnv(self)
        env.reset(options={"state": state, **options} if state is not None else options or None)
        return env


def _isolate(tools: dict[str, ToolEntry], source: str, filename: str, config: WorldConfig) -> None:
    """Route every tool of ``tools`` to a worker process under OS limits."""
    from agentscaler.worlds.runtime.isolated import isolated_function

    key = f"{code_hash(source)}:{config.max_code_bytes}:{filename}"
    defaults = (config.time_limit_s, config.memory_limit_mb, config.max_sequence_len)
    for name, entry in tools.items():
        entry.function = isolated_function(
            key, source, filename, config.max_code_bytes, name, defaults
        )
        entry.isolated = True


def load_world(world_dir: Path | str, config: WorldConfig | None = None) -> CompiledWorld:
    """Load a compiled world folder (``worlds/<domain>/``), checking its tool code."""
    path = Path(world_dir)
    for name in ("world.json", "tools.json", "tools.py"):
        if not (path / name).exists():
            raise WorldError(
                f"{path / name} is missing: {path} is not a compiled world. "
                "Run `agentscaler worlds build DIR` to compile the worlds of a run folder."
            )
    try:
        world = World.from_json_dict(read_json(path / "world.json"), where=str(path / "world.json"))
    except WorldError:
        raise
    except Exception as exc:
        raise WorldError(f"{path / 'world.json'}: not a valid World record ({exc})") from exc
    tools = read_json(path / "tools.json")
    if not isinstance(tools, list) or not all(
        isinstance(t, dict) and "function" in t for t in tools
    ):
        raise WorldError(f"{path / 'tools.json'}: expected a list of OpenAI tools")
    source = (path / "tools.py").read_text(encoding="utf-8")
    return CompiledWorld.from_parts(
        world, source, tools, path=path, config=config, filename=str(path / "tools.py")
    )

"""Argument grounding: real values for a call, each with its provenance.

Every argument of a chain's call comes from one of three places, recorded as an
:class:`~agentscaler.records.ArgumentSource`:

* ``output``: an earlier call returned it (``step`` and the field ``path`` inside that output).
  Identifiers are fed forward along the walk's edge (its ``via`` pairs first, then fields named
  like the parameter or like the key of the table the parameter refers to), only when the value
  designates an existing row, and for a transition only a row in one of its source statuses;
* ``state``: read from a row of the current state (``table.column``), e.g. the order a
  cancellation is about, chosen so the call can succeed;
* ``generated``: a new valid value (a new entity's id, an enum member, a date, an amount in
  range, an address) from the world's value factory.

The argument sampler of the world (:class:`agentscaler.worlds.sampling.ArgumentSampler`) fills
in whatever no earlier output feeds, around the row the call is about.

Two rules keep the user realistic: an id the user could not have seen (the key of a catalog or
child row, see :class:`~agentscaler.tasks.persona.People`) is never taken from the state, only
from an earlier output; and among the values earlier outputs offer, ones the user does not
already know are preferred, so the agent discovers them (a value the user gave in an earlier
call and a tool echoed back is not a discovery).
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from agentscaler.canonical import canonical_json
from agentscaler.errors import ToolError
from agentscaler.naming import entity_of_parameter, singular, split_identifier
from agentscaler.records.task import ArgumentSource
from agentscaler.records.world import ParamBinding, ToolBinding
from agentscaler.tasks.facts import item_label
from agentscaler.tasks.persona import People
from agentscaler.tasks.steps import Pick, Step
from agentscaler.tasks.walks import WalkGraph
from agentscaler.worlds.runtime.env import WorldEnv
from agentscaler.worlds.schemas import resolve_schema, schema_type
from agentscaler.worlds.seeding.sampling import ArgumentSampler

MAX_ITEMS = 25
"""Items of one output list considered as sources."""
MAX_COPIED_FIELDS = 1
"""Fields of a new record (besides references) copied from an earlier output."""
MAX_QUERY_CHARS = 30
"""Longest optional search text kept (longer ones are dropped from the call)."""
GENERIC_NAMES = frozenset(
    """name type status description title category location date time value amount count
    limit page offset query text data result results message language format unit units mode
    level code label kind note notes comment reason source target input output details info
    options filter sort order size days start end from to""".split()
)
"""Parameter names too generic to say that an output field of the same name feeds them."""


_NOT_CARRIED = frozenset({"key", "limit", "sort", "text", "reference"})
"""Roles of arguments a later call does not take over from an earlier read: how a search
ranks, pages or words its question is not a detail of what the user wants."""


@dataclass(frozen=True)
class OutField:
    """One value inside an output, with where it sits."""

    path: str
    name: str
    value: Any
    list_path: str | None = None
    index: int = 0
    size: int = 1


def value_key(value: Any) -> Hashable:
    """A cheap hashable identity of a JSON value (``1`` and ``"1"`` differ)."""
    if isinstance(value, (str, bool, int, float)):
        return (type(value).__name__, value)
    return ("json", canonical_json(value))


def scalar_keys(value: Any) -> list[Hashable]:
    """:func:`value_key` of ``value`` and of every scalar inside it."""
    if isinstance(value, dict):
        return [key for item in value.values() for key in scalar_keys(item)]
    if isinstance(value, list):
        return [value_key(value), *(key for item in value for key in scalar_keys(item))]
    return [] if value is None else [value_key(value)]


def known_values(steps: Sequence[Step]) -> set[Hashable]:
    """Values the user knows in a chain so far: every argument no earlier output fed, and the
    labels that tell list items apart."""
    known: set[Hashable] = set()
    for step in steps:
        for name, value in step.arguments.items():
            source = step.sources.get(name)
            if source is None or source.kind != "output":
                known.update(scalar_keys(value))
        for pick in step.picks.values():
            if pick.label is not None:
                known.add(value_key(pick.label[1]))
    return known


def discovered(step: Step, known: set[Hashable]) -> list[str]:
    """Arguments of ``step`` that came from an earlier output and that the user did not know."""
    return [
        name
        for name, source in step.sources.items()
        if source.kind == "output" and value_key(step.arguments.get(name)) not in known
    ]


def index_fields(fields: list[OutField]) -> dict[str, list[tuple[int, OutField]]]:
    """Fields by name, each with its position in the output."""
    by_name: dict[str, list[tuple[int, OutField]]] = {}
    for position, field in enumerate(fields):
        by_name.setdefault(field.name, []).append((position, field))
    return by_name


@dataclass(frozen=True)
class Feed:
    """A value an earlier output can give a parameter."""

    value: Any
    step: int
    field: OutField
    via: bool
    """The walk's edge names this field for this parameter."""


@dataclass(frozen=True)
class _Param:
    """What feeding one parameter needs (computed once per tool)."""

    name: str
    schema: dict[str, Any]
    table: str | None
    """Table whose rows the value must designate (None: any value of the right type)."""
    names: frozenset[str]
    """Output field names that can feed it."""
    via_only: bool = False
    """Only a field the walk's edge names for it can feed it."""


@dataclass(frozen=True)
class Grounded:
    """Arguments of one call with their sources."""

    arguments: dict[str, Any]
    sources: dict[str, ArgumentSource]
    picks: dict[str, Pick]


def status_rule(binding: ToolBinding) -> bool:
    """The tool acts only on rows in some statuses (a transition, or a write with source
    statuses)."""
    return bool(
        binding.status_column
        and binding.table
        and (binding.operation == "transition" or binding.from_status)
    )


def output_fields(output: Any) -> list[OutField]:
    """Every scalar (and list of scalars) inside an output, with its path and list position."""
    fields: list[OutField] = []

    def walk(value: Any, path: str, name: str, context: tuple[str, int, int] | None) -> None:
        list_path, index, size = context if context else (None, 0, 1)
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key), str(key), context)
        elif isinstance(value, list):
            if value and all(isinstance(item, dict) for item in value):
                for i, item in enumerate(value[:MAX_ITEMS]):
                    walk(item, f"{path}[{i}]", name, (path, i, len(value)))
            elif value and not any(isinstance(item, (dict, list)) for item in value):
                fields.append(OutField(path, name, value, list_path, index, size))
                for i, item in enumerate(value[:MAX_ITEMS]):
                    fields.append(OutField(f"{path}[{i}]", name, item, path, i, len(value)))
        elif value is not None and value != "":
            fields.append(OutField(path, name, value, list_path, index, size))

    walk(output, "", "", None)
    return fields


def specific_name(name: str, schema: dict[str, Any]) -> bool:
    """A parameter name specific enough that an output field of the same name feeds it
    (``final_velocity``, a numeric ``acceleration``; never ``name`` or ``status``)."""
    words = split_identifier(name)
    if not words or name.lower() in GENERIC_NAMES or words[-1] in GENERIC_NAMES:
        return False
    return len(words) >= 2 or schema_type(schema) in ("number", "integer")


def feedable(binding: ToolBinding, role: ParamBinding | None, name: str) -> str | None:
    """How an earlier output may feed this parameter: ``"id"`` for identifiers (by name or by
    the walk's edge), ``"via"`` for other values only when the walk's edge carries them, None
    when never (limits, ranges, free text, and new values of an update)."""
    is_id = entity_of_parameter(name) is not None
    if role is None:
        return "id" if is_id else None
    if role.role == "key":
        return "id" if binding.operation != "create" else None
    if role.role == "reference":
        return "id"
    if role.role == "filter" and (role.table or is_id):
        return "id"
    if role.role in ("field", "option") and is_id:
        return "id"
    if role.role in ("filter", "option") or (
        role.role == "field" and binding.operation == "create"
    ):
        return "via"
    return None


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    """``value`` as the parameter's JSON type where that is lossless, else None."""
    json_type = schema_type(schema)
    if json_type == "array":
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        values = value if isinstance(value, list) else [value]
        coerced = [_coerce(v, resolve_schema(items)) for v in values]
        return None if any(v is None for v in coerced) else coerced
    if isinstance(value, (list, dict)):
        return None
    if json_type == "string":
        if isinstance(value, bool):
            return None
        return value if isinstance(value, str) else str(value)
    if json_type == "integer":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        return None
    if json_type == "number":
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if json_type == "boolean":
        return value if isinstance(value, bool) else None
    return value


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    return a == b or str(a) == str(b)


class Grounder:
    """Grounds the arguments of calls in one environment (one chain at a time)."""

    def __init__(
        self,
        env: WorldEnv,
        graph: WalkGraph,
        *,
        optional: float,
        feed_optional: float = 0.75,
        people: People | None = None,
    ) -> None:
        self.env = env
        self.people = people
        self.world = env.world
        self.graph = graph
        self.optional = optional
        self.feed_optional = feed_optional
        self.sampler = ArgumentSampler(env)
        self.bindings: dict[str, ToolBinding] = {b.name: b for b in self.world.world.tools}
        self._fields: dict[int, tuple[Any, dict[str, list[tuple[int, OutField]]]]] = {}
        self._params: dict[str, list[_Param]] = {}
        self._labels: dict[tuple[int, str, int, str], tuple[str, Any] | None] = {}
        self._shared_values: dict[tuple[int, str, str], bool] = {}
        self._link_index: dict[str, frozenset[str]] | None = None

    def reset(self) -> None:
        """Forget cached outputs (call when a new chain starts)."""
        self._fields.clear()
        self._labels.clear()
        self._shared_values.clear()

    def _fields_of(self, step_index: int, step: Step) -> dict[str, list[tuple[int, OutField]]]:
        cached = self._fields.get(step_index)
        if cached is None or cached[0] is not step.output:
            cached = (step.output, index_fields(output_fields(step.output)))
            self._fields[step_index] = cached
        return cached[1]

    # --- feeds ------------------------------------------------------------------------------
    def _feedable_params(self, tool: str) -> list[_Param]:
        cached = self._params.get(tool)
        if cached is None:
            binding = self.bindings[tool]
            properties = self.world.tools[tool].parameters.get("properties") or {}
            cached = []
            for name, raw in properties.items():
                role = binding.param(name)
                how = feedable(binding, role, name)
                if how is None:
                    continue
                table = self._target_table(binding, role)
                schema = resolve_schema(raw if isinstance(raw, dict) else {})
                if how == "id":
                    names = frozenset(self._field_names(name, table))
                elif specific_name(name, schema):
                    names = frozenset({name})  # a field of that very name feeds it
                else:
                    names = frozenset()
                cached.append(_Param(name, schema, table, names, via_only=how == "via"))
            self._params[tool] = cached
        return cached

    def feeds(
        self, tool: str, steps: Sequence[Step], avoid: frozenset[Hashable] = frozenset()
    ) -> dict[str, list[Feed]]:
        """Per parameter, the values earlier outputs can give it (latest steps first), except
        the values in ``avoid`` (:func:`value_key`)."""
        result: dict[str, list[Feed]] = {}
        binding = self.bindings[tool]
        creates = binding.operation == "create"
        for param in self._feedable_params(tool):
            name, schema, table, names = param.name, param.schema, param.table, param.names
            found: list[Feed] = []
            seen: set[Hashable] = set()
            for index in range(len(steps) - 1, -1, -1):
                step = steps[index]
                if creates and param.via_only and step.table == binding.table:
                    continue  # a new record does not copy what another of its kind holds
                via = {f for f, p in self.graph.via(step.name, tool) if p == name}
                if param.via_only and not via and not names:
                    continue
                by_name = self._fields_of(index, step)
                candidates = sorted(
                    (entry for wanted in names | via for entry in by_name.get(wanted, ())),
                    key=lambda entry: entry[0],
                )
                for _, field in candidates:
                    by_via = field.name in via
                    value = _coerce(field.value, schema)
                    if value is None or value == [] or value == "":
                        continue
                    key = value_key(value)
                    if key in seen or key in avoid or not self._exists(table, value):
                        continue
                    seen.add(key)
                    found.append(Feed(value, index, field, by_via))
            if found:
                result[name] = found
        return result

    def linked_tools(self, step_index: int, step: Step) -> frozenset[str]:
        """Tools an output field of ``step`` can feed by name (an id its parameter takes, or a
        specific value of the same name), whatever the dependency graph says."""
        if self._link_index is None:
            index: dict[str, set[str]] = {}
            for tool in self.bindings:
                for param in self._feedable_params(tool):
                    for name in param.names:
                        index.setdefault(name, set()).add(tool)
            self._link_index = {name: frozenset(tools) for name, tools in index.items()}
        found: set[str] = set()
        for name in self._fields_of(step_index, step):
            found |= self._link_index.get(name, frozenset())
        found.discard(step.name)
        return frozenset(found)

    def _target_table(self, binding: ToolBinding, role: ParamBinding | None) -> str | None:
        if role is None:
            return None
        if role.role == "key":
            return binding.table
        return role.table

    def _field_names(self, name: str, table: str | None) -> set[str]:
        names = {name}
        if table is not None and table in self.world.schema.tables:
            names.add(self.world.schema.tables[table].key)
        entity = entity_of_parameter(name)
        if entity is not None:
            names.update({f"{entity}_id", f"{entity}_ids"})
        return names

    def _exists(self, table: str | None, value: Any) -> bool:
        if table is None or table not in self.world.schema.tables:
            return True
        values = value if isinstance(value, list) else [value]
        return all(self.env.db.exists(table, v) for v in values)

    # --- grounding --------------------------------------------------------------------------
    def ground(
        self,
        tool: str,
        steps: Sequence[Step],
        rng: random.Random,
        *,
        require_link: bool,
        avoid: frozenset[Hashable] = frozenset(),
        violate: bool = False,
        optional: float | None = None,
    ) -> Grounded | None:
        """Arguments for ``tool`` after ``steps``, or None when the call cannot follow them
        (``require_link`` and no earlier output fits, no row the call could succeed on, or an
        id the user cannot know would have to come from the state). Fed values in ``avoid``
        (:func:`value_key`, e.g. ones a failed call used) are not used. With ``violate`` the
        call is aimed at a row its rules refuse (a transition's row in another status).
        ``optional`` overrides the probability of passing an optional argument no output feeds
        (0 for a lookup on the way to something else: the agent's own choice, not the user's)."""
        binding = self.bindings[tool]
        known = known_values(steps) if steps else set()
        entry = self.world.tools[tool]
        required = set(entry.parameters.get("required") or ())
        feeds = self.feeds(tool, steps, avoid) if steps else {}
        fixed: dict[str, Any] = {}
        chosen: dict[str, Feed] = {}
        items: dict[tuple[int, str], int] = {}
        via_only = {p.name for p in self._feedable_params(tool) if p.via_only}
        copied = 0
        for name in sorted(feeds, key=lambda n: (n not in required, n)):
            if name not in required and rng.random() >= self.feed_optional:
                continue
            if name in via_only and binding.operation == "create":
                if copied >= MAX_COPIED_FIELDS:  # a new record, not a copy of an old one
                    continue
                copied += 1
            feed = self._choose(binding, name, feeds[name], steps, rng, items, known, violate)
            if feed is not None:
                fixed[name] = feed.value
                chosen[name] = feed
                if feed.field.list_path is not None:
                    items.setdefault((feed.step, feed.field.list_path), feed.field.index)
        if require_link and steps and not chosen:
            return None
        fixed.update(self._asked_before(binding, steps, fixed))
        anchor = self._anchor(binding, fixed, rng, violate=violate)
        if anchor is False:
            return None
        arguments = self.sampler.sample(
            tool,
            rng,
            optional=self.optional if optional is None else optional,
            anchor=anchor or None,
            fixed=fixed,
        )
        for name in [n for n in arguments if n not in required and n not in fixed]:
            role = binding.param(name)
            value = arguments[name]
            if role is not None and role.role == "text" and len(str(value)) > MAX_QUERY_CHARS:
                del arguments[name]  # a search text nobody would type
        sources: dict[str, ArgumentSource] = {}
        picks: dict[str, Pick] = {}
        roles = {p.name: p for p in binding.params}
        for name, value in arguments.items():
            feed = chosen.get(name)
            if feed is not None and value_key(value) == value_key(feed.value):
                sources[name] = ArgumentSource(kind="output", step=feed.step, path=feed.field.path)
                pick = self._pick(feed, steps)
                if pick is not None:
                    picks[name] = pick
            else:
                source = self._classify(binding, roles.get(name), value, anchor or None)
                if self._unknowable(source):
                    return None
                sources[name] = source
        if require_link and steps and not any(s.kind == "output" for s in sources.values()):
            return None
        return Grounded(arguments, sources, picks)

    def _asked_before(
        self, binding: ToolBinding, steps: Sequence[Step], fixed: dict[str, Any]
    ) -> dict[str, Any]:
        """Values the user gave an earlier read of the chain that this create or read takes
        too: a table is booked for the party size whose availability was checked, a season
        ticket bought from the station searched from. (An update may set a new value.)"""
        if binding.operation not in ("create", "get", "search", "compute"):
            return {}
        properties = self.world.tools[binding.name].parameters.get("properties") or {}
        asked: dict[str, Any] = {}
        for step in steps:
            if step.kind != "read":
                continue
            for name, value in step.arguments.items():
                source = step.sources.get(name)
                role = binding.param(name)
                if (
                    name in fixed
                    or name not in properties
                    or source is None
                    or source.kind not in ("generated", "user_fact")
                    or (role is not None and role.role in _NOT_CARRIED)
                ):
                    continue
                asked[name] = value
        return asked

    def _unknowable(self, source: ArgumentSource) -> bool:
        """A value read from the state that is the key of a row the user cannot have seen."""
        if self.people is None or source.kind != "state":
            return False
        table, _, column = source.path.partition(".")
        return self.people.internal(table) and self.people.keys.get(table) == column

    def _choose(
        self,
        binding: ToolBinding,
        name: str,
        feeds: list[Feed],
        steps: Sequence[Step],
        rng: random.Random,
        items: dict[tuple[int, str], int],
        known: set[Hashable] = frozenset(),  # type: ignore[assignment]
        violate: bool = False,
    ) -> Feed | None:
        """One feed for parameter ``name``: values the user does not know first (the agent
        discovers them), then edge-named fields and recent steps, list items the user can tell
        apart, the item other arguments already came from (``items``: list -> index), and for
        the key of a transition a row it can move (with ``violate``, one it cannot)."""
        role = binding.param(name)
        usable = []
        same_item = []
        for feed in feeds:
            if (
                role is not None
                and role.role == "key"
                and status_rule(binding)
                and self._movable(binding, feed.value) == violate
            ):
                continue
            field = feed.field
            shared = field.size > 1 and self._shared(feed, steps)
            if field.size > 1 and not shared and not self._label(feed, steps):
                continue
            if field.list_path is not None:
                index = items.get((feed.step, field.list_path))
                if index == field.index:
                    same_item.append(feed)
                elif index is not None and not shared:
                    continue  # another item of a list an argument already came from
            usable.append(feed)
        if same_item:
            return rng.choice(same_item)
        if not usable:
            return None
        fresh = [f for f in usable if value_key(f.value) not in known]
        usable = fresh or usable
        best_step = max(f.step for f in usable)
        preferred = [f for f in usable if f.via and f.step == best_step]
        preferred = preferred or [f for f in usable if f.step == best_step] or usable
        return rng.choice(preferred)

    def _movable(self, binding: ToolBinding, key: Any) -> bool:
        """The call's status rule lets it act on this row (a transition's or an update's row is
        in a source status, or a transition's row is not yet in the target)."""
        if not status_rule(binding):
            return True
        try:
            row = self.env.db.get(binding.table, key)
        except ToolError:
            return False
        status = row.get(binding.status_column)
        if binding.from_status:
            return status in binding.from_status
        return status != binding.to_status

    def _anchor(
        self,
        binding: ToolBinding,
        fixed: dict[str, Any],
        rng: random.Random,
        *,
        violate: bool = False,
    ) -> dict[str, Any] | bool | None:
        """The row the call is about when earlier outputs decide it; None to let the sampler
        choose; False when no row fits."""
        if not binding.table or binding.operation == "create":
            return None
        key = binding.key_param
        if key is not None and key in fixed:
            try:
                return self.env.db.get(binding.table, fixed[key])
            except ToolError:
                return False
        if key is not None and not self.env.db.count(binding.table):
            return False  # the call needs an existing row and the table has none
        where: dict[str, Any] = {}
        for name, value in fixed.items():
            role = binding.param(name)
            if (
                role is not None
                and role.role == "filter"
                and role.column
                and not isinstance(value, list)
            ):
                where[role.column] = value
        if not where:
            return None
        if binding.status_column and binding.from_status and not violate:
            where[binding.status_column] = list(binding.from_status)
        rows = self.env.random_rows(binding.table, 1, rng, where=where)
        return rows[0] if rows else False

    def _label(self, feed: Feed, steps: Sequence[Step]) -> tuple[str, Any] | None:
        field = feed.field
        key = (feed.step, field.list_path or "", field.index, field.name)
        if key not in self._labels:
            items = _list_at(steps[feed.step].output, field.list_path or "")
            label = None
            if isinstance(items, list):
                label = item_label(items, field.index, exclude={field.name})
            self._labels[key] = label
        return self._labels[key]

    def _shared(self, feed: Feed, steps: Sequence[Step]) -> bool:
        """Every item of the feed's list holds the same value at the feed's field."""
        field = feed.field
        key = (feed.step, field.list_path or "", field.name)
        cached = self._shared_values.get(key)
        if cached is None:
            cached = self._shared_values[key] = self._all_same(feed, steps)
        return cached

    def _all_same(self, feed: Feed, steps: Sequence[Step]) -> bool:
        field = feed.field
        items = _list_at(steps[feed.step].output, field.list_path or "")
        if not isinstance(items, list) or len(items) < 2:
            return False
        prefix = f"{field.list_path}[{field.index}]"
        rest = field.path[len(prefix) :].lstrip(".")
        if not field.path.startswith(prefix) or not rest:
            return False
        first = canonical_json(_list_at(items[0], rest))
        return all(canonical_json(_list_at(item, rest)) == first for item in items[1:])

    def _pick(self, feed: Feed, steps: Sequence[Step]) -> Pick | None:
        if feed.field.list_path is None:
            return None
        list_path = feed.field.list_path
        shared = feed.field.size > 1 and self._shared(feed, steps)
        label = self._label(feed, steps) if feed.field.size > 1 and not shared else None
        tail = list_path.rsplit(".", 1)[-1].split("[", 1)[0] or steps[feed.step].table or "item"
        words = split_identifier(tail)
        entity = " ".join((*words[:-1], singular(words[-1]))) if words else "item"
        return Pick(feed.step, list_path, feed.field.index, feed.field.size, entity, label, shared)

    def _classify(
        self,
        binding: ToolBinding,
        role: ParamBinding | None,
        value: Any,
        anchor: dict[str, Any] | None,
    ) -> ArgumentSource:
        """Where a value the sampler chose came from: the state or a generator."""
        tables = self.world.schema.tables
        table = binding.table
        if role is None:
            return ArgumentSource(kind="generated")
        if role.role == "key" and table in tables:
            column = f"{table}.{tables[table].key}"
            if binding.operation == "create":
                return ArgumentSource(kind="generated", path=column)
            return ArgumentSource(kind="state", path=column)
        if (
            role.role in ("reference", "filter")
            and role.table in tables
            and self._exists(role.table, value)
        ):
            return ArgumentSource(kind="state", path=f"{role.table}.{tables[role.table].key}")
        if (
            anchor is not None
            and role.column
            and role.role in ("filter", "min", "max")
            and _same(anchor.get(role.column), value)
        ):
            return ArgumentSource(kind="state", path=f"{table}.{role.column}")
        if anchor is not None and role.role == "text" and isinstance(value, str):
            for column, cell in anchor.items():
                if isinstance(cell, str) and value and value in cell:
                    return ArgumentSource(kind="state", path=f"{table}.{column}")
        return ArgumentSource(
            kind="generated", path=f"{table}.{role.column}" if role.column else ""
        )


def _list_at(output: Any, path: str) -> Any:
    """The value at a dotted/indexed ``path`` inside ``output`` (``""`` is the output itself)."""
    value = output
    if not path:
        return value
    for part in path.replace("]", "").replace("[", ".").split("."):
        if part == "":
            continue
        if isinstance(value, list) and part.isdigit():
            index = int(part)
            value = value[index] if index < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value

"""The spec inference proposes for a domain: entities from the inferred tables, and for every
tool its lookups, rules and effects.

This is the only place where inference meets the spec: everything after reads the spec.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from agentscaler.naming import entity_of_parameter
from agentscaler.records import ToolSpec
from agentscaler.records.world import Column, Relation, Table, ToolBinding
from agentscaler.worlds.infer.amounts import amount_effects
from agentscaler.worlds.infer.children import ChildList, split_children
from agentscaler.worlds.infer.compute import compute_plan
from agentscaler.worlds.infer.created import created_values, rederived_values
from agentscaler.worlds.infer.effects import (
    cascade_effects,
    counter_effects,
    created_for,
    created_when,
    dependents_moved,
    reads_state,
    recomputed_effects,
    release_effects,
    status_moves,
    switched,
    taken_once,
    transfer_effects,
)
from agentscaler.worlds.infer.entities import SchemaPlan, ToolPlan, infer_schema
from agentscaler.worlds.infer.free_items import free_items
from agentscaler.worlds.infer.invariants import guard_invariants, infer_invariants
from agentscaler.worlds.infer.rules import (
    RuleContext,
    consumption_effects,
    infer_rules,
    payment_effects,
)
from agentscaler.worlds.infer.rules.context import STATE_COLUMN, row_name
from agentscaler.worlds.infer.rules.text import clauses, normalize
from agentscaler.worlds.infer.users import with_users
from agentscaler.worlds.interface import read_params, snake
from agentscaler.worlds.schemas import resolve_schema, schema_type
from agentscaler.worlds.seeding.rates import with_rates
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import (
    SemanticKind,
    SpecColumn,
    SpecEffect,
    SpecEntity,
    SpecIdFormat,
    SpecLookup,
    SpecParam,
    SpecParent,
    SpecRule,
    SpecTool,
    WorldSpec,
)
from agentscaler.worlds.spellings import AS_TEXT, spelling

_KINDS = frozenset(get_args(SemanticKind))
_SEMANTIC_TO_KIND = {
    "id": "identifier",
    "price": "money",
    "state": "region",
    "zip": "postal_code",
}


def kind_of_semantic(semantic: str | None, column: Column) -> str | None:
    """The spec kind of a column from its inferred semantic tag."""
    if semantic is None:
        return None
    if column.references:
        return "reference"
    kind = _SEMANTIC_TO_KIND.get(semantic, semantic)
    if kind == "address" and column.type != "JSON":
        kind = "street"
    return kind if kind in _KINDS else None


def _kind(column: Column) -> str | None:
    """The spec kind of a column; an enum column named like a state holds a status."""
    if column.enum and len(column.enum) >= 2 and STATE_COLUMN.search(column.name):
        return "status"
    return kind_of_semantic(column.semantic, column)


def _entity(table: Table, by_table: dict[str, str]) -> SpecEntity:
    key = table.key_column
    columns: dict[str, SpecColumn] = {}
    for column in table.columns:
        columns[column.name] = SpecColumn(
            type=column.type,
            kind="identifier" if column.primary_key else _kind(column),  # type: ignore[arg-type]
            description=column.description,
            values=None if column.primary_key else column.enum,
            references=by_table.get(column.references or ""),
            value_schema=column.value_schema,
            default=column.default,
            index=column.name in table.indexes,
        )
    parent = None
    if table.parent is not None and table.parent_column and table.parent_field:
        parent = SpecParent(
            entity=by_table.get(table.parent, table.parent),
            column=table.parent_column,
            field=table.parent_field,
        )
    return SpecEntity(
        table=table.name,
        key=table.primary_key,
        parent=parent,
        id=SpecIdFormat(
            prefix=table.id_prefix,
            width=table.id_width,
            pattern=table.id_pattern,
            values=key.enum,
        ),
        columns=columns,
    )


class _ToolBuilder:
    """The spec entry of one tool from its inferred binding."""

    def __init__(
        self,
        plan: ToolPlan,
        binding: ToolBinding,
        plan_tables: dict[str, Table],
        by_table: dict[str, str],
        children: list[ChildList] | None = None,
    ) -> None:
        self.plan = plan
        self.children = {(c.parent, c.field): c for c in children or ()}
        self.binding = binding
        self.tables = plan_tables
        self.by_table = by_table
        self.entity = by_table.get(binding.table or "")
        self.table = plan_tables.get(binding.table or "")
        self.params = {p.name: p for p in read_params(plan.shape.spec.parameters)}
        self.find: dict[str, SpecLookup] = {}
        self.requires: list[SpecRule] = []
        self.effects: list[SpecEffect] = []

    def required(self, name: str) -> bool:
        param = self.params.get(name)
        return param is not None and param.required

    def _bind_name(self, entity: str) -> str:
        base = row_name(entity)
        name, n = base, 2
        while name in self.find:
            name, n = f"{base}_{n}", n + 1
        return name

    def _reference_lookups(self) -> None:
        """Rows named by reference arguments must exist (``customer_id`` -> customer)."""
        for param in self.binding.params:
            if param.role != "reference" or param.table is None:
                continue
            entity = self.by_table.get(param.table)
            ref = self.tables.get(param.table)
            if entity is None or ref is None or entity == self.entity:
                continue
            info = self.params.get(param.name)
            if info is not None and info.json_type == "array":
                continue
            self.find[self._bind_name(entity)] = SpecLookup(
                entity=entity, by={ref.primary_key: param_ref(param.name)}
            )

    def _nested_lookups(self) -> None:
        """Ids inside list or object arguments must exist (``items[].product_id``)."""
        by_entity = {t.entity: t for t in self.tables.values()}
        for name, info in self.params.items():
            if info.json_type not in ("array", "object"):
                continue
            schema = info.schema
            many = info.json_type == "array"
            if many:
                schema = resolve_schema(
                    schema.get("items") if isinstance(schema.get("items"), dict) else {}
                )
            props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
            for prop in props:
                from agentscaler.naming import entity_of_parameter

                entity = entity_of_parameter(prop)
                table = by_entity.get(entity) if entity else None
                if table is None or table.name == self.binding.table:
                    continue
                bind = self._bind_name(entity)  # type: ignore[arg-type]
                if many:
                    self.find[bind] = SpecLookup(
                        entity=entity,  # type: ignore[arg-type]
                        by={table.primary_key: f"=item.{prop}"},
                        each=f"item in {param_ref(name)}",
                        optional=False,
                    )
                else:
                    self.find[bind] = SpecLookup(
                        entity=entity,  # type: ignore[arg-type]
                        by={table.primary_key: f"={param_ref(name)}.{prop}"},
                        optional=True,
                    )

    def _main_lookup(self) -> str | None:
        if self.entity is None or self.table is None:
            return None
        key = next((p for p in self.binding.params if p.role == "key"), None)
        if key is not None:
            main = row_name(self.entity)
            value = param_ref(key.name)
            info = self.params.get(key.name)
            if info is not None and info.json_type == "object":
                props = info.schema.get("properties") or {}
                prop = next((p for p in props if entity_of_parameter(p) == self.entity), None)
                if prop is not None:
                    value = f"={value}.{prop}"  # the key inside an object argument
            self.find[main] = SpecLookup(entity=self.entity, by={self.table.primary_key: value})
            return main
        filters = {
            p.column: param_ref(p.name)
            for p in self.binding.params
            if p.role == "filter" and p.column and self.table.column(p.column) is not None
        }
        if not filters:
            return None
        main = row_name(self.entity)
        self.find[main] = SpecLookup(entity=self.entity, by=filters)
        return main

    def _filter_rules(self, main: str) -> None:
        """A keyed row must match the other identifiers given (the order of this customer)."""
        for param in self.binding.params:
            if param.role != "filter" or not param.column or self.table is None:
                continue
            column = self.table.column(param.column)
            if param.column == self.table.primary_key or column is None:
                continue
            if column.references and self.binding.kind == "write":
                continue  # an owner of the row: the ownership rules say it
            label = param.column.replace("_", " ")
            self.requires.append(
                SpecRule(
                    name=f"{main}_matches_{param.column}",
                    kind="ownership",
                    check=f"str({main}.{param.column}) == str({param_ref(param.name)})",
                    when=None
                    if self.required(param.name)
                    else f"{param_ref(param.name)} is not None",
                    error=(
                        f"{main.replace('_', ' ')} {{{main}.{self.table.primary_key}}} does "
                        f"not belong to {label} {{{param_ref(param.name)}}}"
                    ),
                    source="the tool names both",
                )
            )

    def _stated_target(self, values: dict[str, Any]) -> dict[str, Any]:
        """The state the description says the row moves to (``moves to "assigned"``,
        ``becomes paused``, ``marks it as graded``), for a state column the call does not set."""
        if self.table is None:
            return {}
        text = normalize(self.plan.shape.spec.description)
        for column in self.table.columns:
            if (
                not column.enum
                or column.name in values
                or not (column.semantic == "status" or STATE_COLUMN.search(column.name))
            ):
                continue
            for value in column.enum:
                spoken = re.escape(normalize(str(value)))
                cue = (
                    rf"\b(moves?|goes|go|changes?|switch(es)?|turns?|is set|are set|puts?)"
                    rf"( it| them| the \w+)? (to|into|in) (status )?\"?{spoken}\b"
                    rf"|\bbecomes? \"?{spoken}\b|\bmarks?( it| them| the \w+)? as \"?{spoken}\b"
                )
                if re.search(cue, text):
                    return {column.name: value}
            verb = self.plan.shape.verb or ""
            done = {verb + "d", verb + "ed", verb[:-1] + "ied" if verb.endswith("y") else ""}
            for value in column.enum:
                if isinstance(value, str) and value in done - {""}:
                    return {column.name: value}  # "Schedule a draft" -> scheduled
        return {}

    def _implied_values(self) -> dict[str, Any]:
        """Columns an update with nothing to set changes by what it is: the times it returns
        become the clock's (``password_last_reset``), yes/no columns its text turns on or off
        (``Also unlocks the account`` -> ``account_locked: false``)."""
        if self.table is None:
            return {}
        text = normalize(self.plan.shape.spec.description)
        returned = set(self.plan.shape.returns.fields) | set(self.plan.shape.returns.object_fields)
        values: dict[str, Any] = {}
        for column in self.table.columns:
            if column.primary_key or column.name in self.params:
                continue
            if column.type == "BOOLEAN":
                words = [w for w in column.name.split("_") if w not in ("is", "has", "account")]
                stem = words[-1].removesuffix("ed").removesuffix("d") if words else ""
                if len(stem) < 3:
                    continue
                if re.search(rf"\bun{stem}(s|ed|es)?\b", text):
                    values[column.name] = False
                elif re.search(rf"\b{stem}(s|ed|es)?\b", text):
                    values[column.name] = True
            elif column.name in returned and column.semantic in ("date", "datetime"):
                values[column.name] = "=now()" if column.semantic == "datetime" else "=today()"
            elif column.name in returned and re.search(
                r"(_at|last_\w+|_reset|_date)$", column.name
            ):
                values[column.name] = "=now()"
        return values

    def _child_params(self) -> dict[str, ChildList]:
        """Arguments that are lists of child rows of the acted-on entity (``items``)."""
        found = {}
        for param in self.binding.params:
            if param.role in ("field", "fields") and param.column and self.entity:
                child = self.children.get((self.entity, param.column))
                info = self.params.get(param.name)
                items = info.schema.get("items") if info is not None else None
                if (
                    child is not None
                    and info is not None
                    and info.json_type == "array"
                    and isinstance(items, dict)
                    and resolve_schema(items).get("properties")
                ):
                    found[param.name] = child
        return found

    def _contained_children(self) -> dict[str, ChildList]:
        """Lists of child rows inside an object argument holding the record's fields
        (``projectDetails.participants``), by the expression reading each list."""
        found = {}
        for param in self.binding.params:
            info = self.params.get(param.name)
            if param.role != "fields" or info is None or not self.entity:
                continue
            for prop, sub in (resolve_schema(info.schema).get("properties") or {}).items():
                child = self.children.get((self.entity, snake(prop)))
                sub = resolve_schema(sub) if isinstance(sub, dict) else {}
                items = sub.get("items")
                if (
                    child is not None
                    and schema_type(sub) == "array"
                    and isinstance(items, dict)
                    and resolve_schema(items).get("properties")
                ):
                    found[f"{param_ref(param.name)}.{prop}"] = child
        return found

    def _child_rows(self, row: str, *, replace: bool) -> list[SpecEffect]:
        """Effects storing list arguments as child rows of ``row`` (replacing old ones)."""
        effects = []
        key = self.table.primary_key if self.table is not None else "id"
        lists = {param_ref(n): c for n, c in self._child_params().items()}
        for source, child in {**lists, **self._contained_children()}.items():
            values: dict[str, Any] = {child.parent_column: f"={row}.{key}"}
            for prop, column in zip(child.properties, child.item_fields, strict=True):
                values[column] = f"=item.{prop}"
            if replace:
                effects.append(
                    SpecEffect(
                        clear=child.child,
                        values={child.parent_column: f"={row}.{key}"},
                        when=f"{source} is not None",
                    )
                )
            effects.append(SpecEffect(insert=child.child, values=values, each=f"item in {source}"))
        return effects

    def _values(self, roles: tuple[str, ...]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for param in self.binding.params:
            if param.role in roles and param.column and self.table is not None:
                if self.table.column(param.column) is None:
                    continue
                values.setdefault(param.column, param_ref(param.name))
        return values

    def _fields_containers(self, values: dict[str, Any]) -> None:
        if self.table is None:
            return
        for param in self.binding.params:
            if param.role != "fields":
                continue
            info = self.params.get(param.name)
            props = (resolve_schema(info.schema).get("properties") or {}) if info else {}
            for prop in props:
                column = snake(prop)
                if self.table.column(column) is not None:
                    values.setdefault(column, f"={param_ref(param.name)}.{prop}")

    def build(self) -> SpecTool:
        b = self.binding
        operation = b.operation
        returns_info = self.plan.shape.returns
        if (
            operation == "search"
            and returns_info.list_key is None
            and returns_info.schema is not None
            and returns_info.fields
            and any(p.role == "filter" for p in b.params)
        ):
            operation = "get"  # a search declared to return one record finds that record
        main: str | None = None
        if operation in ("get", "update", "transition", "delete"):
            main = self._main_lookup()
            keyed = any(p.role == "key" for p in b.params)
            if main is not None and keyed:
                self._filter_rules(main)
        if operation != "get":
            self._reference_lookups()
            self._nested_lookups()
        if operation == "search":
            for param in b.params:
                if param.role == "filter" and param.table and param.table != b.table:
                    entity = self.by_table.get(param.table)
                    ref = self.tables.get(param.table)
                    info = self.params.get(param.name)
                    single = info is not None and info.json_type != "array"
                    if entity and ref and single and self.required(param.name):
                        self.find.setdefault(
                            self._bind_name(entity),
                            SpecLookup(entity=entity, by={ref.primary_key: param_ref(param.name)}),
                        )
        if b.kind == "write" and operation != "search":
            context = RuleContext(
                tool=b.name,
                description=self.plan.shape.spec.description,
                params=self.params,
                operation=operation,
                entity=self.entity,
                main=main,
                tables={t.entity: t for t in self.tables.values()},
                find=self.find,
                to_status=b.to_status,
                created=row_name(self.entity) if operation == "create" and self.entity else None,
                written=frozenset(
                    p.name for p in b.params if p.role in ("field", "reference", "fields")
                ),
            )
            stated = infer_rules(context)
            consumed = consumption_effects(context, stated) + payment_effects(context)
            transfers = transfer_effects(context)
            consumed += [e for e in transfers if not reads_state(e, context)]
            consumed += counter_effects(context)
            consumed += status_moves(context) + recomputed_effects(context)
            consumed += created_for(context) + dependents_moved(context) + switched(context)
            early = created_when(context)  # conditions on the row's state before the change
            early += [e for e in transfers if reads_state(e, context)]
            consumed = cascade_effects(context, {}) + consumed
            free_rules, taken = free_items(context)
            stated += free_rules
            if operation == "update":
                early += taken  # the row's old items go back before it changes
            else:
                consumed += taken
        else:
            stated, consumed, early = [], [], []
        covers_status = any(
            r.kind == "status" and r.check.startswith(f"{main}.{b.status_column} ") for r in stated
        )
        if main is not None and b.status_column and not covers_status:
            self.requires.extend(self._status_rule(main))
        self.requires.extend(stated)
        returns = main
        if operation == "create" and self.entity is not None and self.table is not None:
            values = self._values(("field", "reference", "key"))
            self._fields_containers(values)
            returns = row_name(self.entity)
            self.effects.append(SpecEffect(insert=self.entity, values=values, bind=returns))
            self.effects.extend(self._child_rows(returns, replace=False))
        elif operation in ("update", "transition") and main is not None:
            values = self._values(("field", "reference"))
            self._fields_containers(values)
            if operation == "transition" and b.status_column and b.to_status is not None:
                values = {b.status_column: b.to_status, **values}
            else:
                values = {**self._stated_target(values), **values}
            if not values:
                values = self._implied_values()
            self.effects.extend(early)
            if values or not self._child_params():
                self.effects.append(SpecEffect(update=main, values=values))
            self.effects.extend(self._child_rows(main, replace=True))
        elif operation == "delete" and main is not None:
            self.effects.extend(e for e in consumed if e.clear is not None)
            consumed = [e for e in consumed if e.clear is None]
            self.effects.append(SpecEffect(delete=main))
        self.effects.extend(consumed)
        if b.kind == "write" and not self.effects and self.entity is not None and self.table:
            # nothing else inferred: the call is kept as a record of the entity
            values = self._values(("field", "reference", "key", "filter"))
            returns = row_name(self.entity)
            self.effects.append(SpecEffect(insert=self.entity, values=values, bind=returns))
            operation = "create"
        child_params = self._child_params()
        params = {}
        for p in b.params:
            role = "children" if p.name in child_params else p.role
            if (
                role in ("field", "filter", "min", "max")
                and p.column
                and self.table is not None
                and self.table.column(p.column) is None
                and role != "children"
            ):
                role = "option"  # its column became child rows this argument cannot fill
            params[p.name] = SpecParam(
                role=role,
                column=p.column if role != "option" else None,
                entity=self.by_table.get(p.table or "") if p.table else None,
                spelling=self._spelling(p.name, p.column) if role in ("field", "filter") else None,
            )
        compute, rates = compute_plan(self.plan.shape) if operation == "compute" else ({}, {})
        return SpecTool(
            kind=operation,
            entity=self.entity,
            access=b.kind,
            params=params,
            find={**self.find, **rates},
            requires=tuple(self.requires),
            effects=tuple(self.effects),
            returns=returns,
            compute=compute,
            fallback=b.fallback and not compute,
        )

    def _spelling(self, name: str, column_name: str | None) -> dict[str, Any] | str | None:
        """The argument's own spelling of its column's values, where the two differ."""
        info = self.params.get(name)
        column = self.table.column(column_name) if self.table and column_name else None
        if info is None or column is None:
            return None
        schema = info.schema
        held = (column.value_schema or {}).get("type")
        if (
            schema_type(schema) == "string"
            and not {"enum", "pattern", "format", "const"} & set(schema)
            and held in ("object", "array", "boolean")
        ):
            return AS_TEXT  # free text for a structured value: its JSON text
        if schema_type(schema) == "array" and isinstance(schema.get("items"), dict):
            schema = resolve_schema(schema["items"])
        values = (column.value_schema or {}).get("enum")
        if not isinstance(values, list):
            if (column.value_schema or {}).get("type") != "boolean":
                return None
            values = [True, False]
        own = schema.get("enum")
        if not isinstance(own, list) or not own:
            return None
        mapping = spelling([v for v in own if isinstance(v, str)], values)
        return mapping or None

    def _status_rule(self, main: str) -> list[SpecRule]:
        b = self.binding
        col = b.status_column
        label = main.replace("_", " ")
        key = self.table.primary_key if self.table else "id"
        if b.from_status:
            allowed = tuple(b.from_status)
            said = _spoken(allowed)
            plural = (self.table.name if self.table else "records").replace("_", " ")
            action = f"can move to {b.to_status}" if b.to_status else f"can be changed by {b.name}"
            values = ", ".join(repr(v) for v in allowed)
            check = f"{main}.{col} in ({values}{',' if len(allowed) == 1 else ''})"
            return [
                SpecRule(
                    name=f"{main}_is_{'_or_'.join(_slug(v) for v in allowed)}"[:60].rstrip("_"),
                    kind="status",
                    check=check,
                    error=(
                        f"{label} {{{main}.{key}}} is {{{main}.{col}}}: only {plural} that are "
                        f"{said} {action}"
                    ),
                    source=_status_source(self.plan.shape.spec.description, allowed),
                )
            ]
        if b.to_status is not None:
            return [
                SpecRule(
                    name=f"{main}_not_already_{_slug(b.to_status)}"[:60].rstrip("_"),
                    kind="status",
                    check=f"{main}.{col} != {b.to_status!r}",
                    error=f"{label} {{{main}.{key}}} is already {b.to_status}",
                    source="convention",
                )
            ]
        return []


def _slug(value: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", str(value).lower()).strip("_") or "x"


def _spoken(values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return values[0]
    return ", ".join(values[:-1]) + " or " + values[-1]


def _status_source(description: str, values: tuple[str, ...]) -> str:
    """The sentence of a description that names the allowed statuses, else "convention"."""
    import re

    for sentence in clauses(description or ""):
        lowered = sentence.lower()
        if any(
            re.search(rf"\b{re.escape(v.lower()).replace('_', '[ _]')}\b", lowered) for v in values
        ):
            return sentence.strip()
    return "convention"


def _clear_gated(spec: WorldSpec) -> WorldSpec:
    """A call that moves a row to a state empties the columns that belong to other states
    (reopening a cancelled order clears its cancellation reason)."""
    tools = dict(spec.tools)
    for name, tool in spec.tools.items():
        entity = spec.entity(tool.entity)
        if entity is None:
            continue
        gated = {c: col.only_when for c, col in entity.columns.items() if col.only_when}
        if not gated:
            continue
        effects = []
        for effect in tool.effects:
            if (
                effect.update is not None
                and tool.find.get(effect.update)
                and (tool.find[effect.update].entity == tool.entity)
            ):
                extra = {}
                for column, when in gated.items():
                    for state_column, allowed in (when or {}).items():
                        target = effect.values.get(state_column)
                        if (
                            isinstance(target, str)
                            and not target.startswith(("=", "$"))
                            and target not in allowed
                            and column not in effect.values
                        ):
                            extra[column] = None
                if extra:
                    effect = effect.model_copy(update={"values": {**effect.values, **extra}})
            effects.append(effect)
        tools[name] = tool.model_copy(update={"effects": tuple(effects)})
    return spec.model_copy(update={"tools": tools})


def propose_spec(
    domain_id: str,
    name: str,
    tools: list[ToolSpec],
    *,
    clock: str,
    known_tables: list[Table] | None = None,
    known_relations: list[Relation] | None = None,
) -> tuple[WorldSpec, SchemaPlan]:
    """Infer the spec of a domain's tools (and the plan it came from, for reports).

    With ``known_tables`` (a user's data) the entities are those tables, as they are, and the
    tools are bound to them.
    """
    plan = infer_schema(tools, known_tables, known_relations)
    if known_tables is None:
        plan.tables, plan.relations, children = split_children(plan.tables, plan.relations)
    else:
        children = []
    by_table = {t.name: t.entity or t.name for t in plan.tables}
    plan_tables = {t.name: t for t in plan.tables}
    entities = infer_invariants({by_table[t.name]: _entity(t, by_table) for t in plan.tables})
    spec_tools: dict[str, SpecTool] = {}
    for tool_plan in plan.tools:
        binding = tool_plan.binding
        assert binding is not None
        spec_tools[binding.name] = _ToolBuilder(
            tool_plan, binding, plan_tables, by_table, children
        ).build()
    spec = WorldSpec(domain=domain_id, name=name, clock=clock, entities=entities, tools=spec_tools)
    spec = _clear_gated(spec)
    descriptions = {t.name: t.description for t in tools}
    spec = guard_invariants(amount_effects(release_effects(taken_once(spec)), descriptions))
    return rederived_values(created_values(with_users(with_rates(spec)))), plan

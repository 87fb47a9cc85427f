"""Schema inference: tables, columns, keys and relations of a domain, and each tool's binding.

Entities come from identifier parameters (``order_id`` -> ``orders``), identifiers in returned
fields, and nouns of tool names (``send_email`` -> ``emails``). Columns come from the parameters
and returned fields of the tools that act on the entity, typed from their JSON Schemas (objects
and arrays become JSON columns). ``<entity>_id`` columns become foreign keys. Transition tools
give the entity a status column whose values include their target states.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentscaler.errors import WorldError
from agentscaler.naming import entity_of_parameter
from agentscaler.records import ToolSpec
from agentscaler.records.world import ParamBinding, Relation, Table, ToolBinding
from agentscaler.worlds.infer.criteria import add_criteria_columns
from agentscaler.worlds.infer.decide import Decision, Role, decide
from agentscaler.worlds.infer.drafts import Entities, EntityDraft, column_type_of
from agentscaler.worlds.infer.meanings import split_by_meaning
from agentscaler.worlds.infer.operations import (
    TRANSITIONS,
    allowed_sources,
    statuses_stated,
    transition_target,
)
from agentscaler.worlds.infer.payments import add_payment_columns
from agentscaler.worlds.infer.schema_merge import disagreements
from agentscaler.worlds.infer.sessions import (
    SESSION_ENTITY,
    add_account_credentials,
    credentials_as_options,
    ensure_sessions,
    needs_sessions,
)
from agentscaler.worlds.infer.tables import build_tables
from agentscaler.worlds.infer.toolshape import ToolShape, analyze
from agentscaler.worlds.interface import COUNT_FIELDS, ENVELOPE_FIELDS, snake
from agentscaler.worlds.schemas import schema_type

_RANGE_KEYS = frozenset(
    {"description", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
)


@dataclass
class ToolPlan:
    """A tool with its analysis, its decision and, once finished, its binding."""

    shape: ToolShape
    decision: Decision
    binding: ToolBinding | None = None


@dataclass
class SchemaPlan:
    """The inferred database schema of a domain and how each tool uses it."""

    tables: list[Table]
    relations: list[Relation]
    tools: list[ToolPlan]

    def table(self, name: str | None) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


def infer_schema(
    specs: list[ToolSpec],
    known: list[Table] | None = None,
    known_relations: list[Relation] | None = None,
) -> SchemaPlan:
    """Infer tables, relations and tool bindings for the tools of one domain.

    ``known`` tables (a user's data) are taken as they are: the tools bind to them, entities
    the tools act on that they lack get tables of their own, columns they lack are not added.
    """
    if not specs:
        raise WorldError("a world needs at least one tool; the domain has none")
    shapes = [analyze(spec) for spec in specs]
    entities = Entities()
    fixed = {t.entity: t for t in known or ()}
    for table in fixed.values():
        entities.ensure(table.entity, table.primary_key).table = table.name
    for shape in shapes:
        for param in shape.params:
            if param.entity:
                draft = entities.ensure(param.entity, None if param.id_list else param.column)
                if not param.id_list:
                    draft.key_types.append(column_type_of(param.schema))
                    draft.key_sources.append(
                        (param.schema, str(param.schema.get("description", "")))
                    )
    known = set(entities.drafts)
    named = {shape.noun_candidates()[0] for shape in shapes if shape.nouns}
    plans = [
        ToolPlan(shape, decide(shape, known, lookup_tables=not fixed, named=named))
        for shape in shapes
    ]
    _details_kept_whole(plans)
    for plan in plans:
        if plan.decision.entity:
            entities.ensure(plan.decision.entity)
    sessions = not fixed and any(
        needs_sessions(p.decision.operation, p.shape.params, p.shape.spec.description)
        for p in plans
    )
    needed: set[str] = set()
    if sessions:
        ensure_sessions(entities)
        needed.add(SESSION_ENTITY)
        for plan in plans:
            plan.decision.roles = credentials_as_options(plan.decision.roles)
    if not fixed:
        needed |= add_account_credentials(plans, entities)
    for plan in plans:
        _collect_columns(plan, entities)
    add_criteria_columns(plans, entities)
    needed |= add_payment_columns(plans, entities)
    _finish_status(plans, entities)
    split_by_meaning(plans, entities, set(fixed))
    if known is not None:
        acted_on = {p.decision.entity for p in plans} | needed
        extra = Entities()
        extra.drafts = {
            k: v for k, v in entities.drafts.items() if k not in fixed and k in acted_on
        }
        taken = {t.name for t in fixed.values()}
        new_tables, relations = build_tables(extra)
        new_tables = [t for t in new_tables if t.name not in taken]
        tables = [*fixed.values(), *new_tables]
        relations = [*(known_relations or ()), *relations]
    else:
        tables, relations = build_tables(entities)
    by_entity = {t.entity: t for t in tables}
    for plan in plans:
        plan.binding = _binding(plan, by_entity, entities)
    return SchemaPlan(tables=tables, relations=relations, tools=plans)


def _details_kept_whole(plans: list[ToolPlan]) -> None:
    """A create's details object is one value of its row again when another write of the
    domain sets the same details as something else than an object (``contractDetails`` as free
    text), or as an object no value of which satisfies both (a session's ``duration`` in hours
    1-8 and in minutes 30-180), or with a property another tool states so (a report's
    ``timeFrame`` as text and as an object): the row keeps them whole, as each tool gives them,
    and a column per meaning when they disagree."""
    whole: set[str | None] = set()
    objects: dict[str | None, list[dict]] = {}
    stated: dict[str | None, list[dict]] = {}
    for plan in plans:
        for param in plan.shape.params:
            stated.setdefault(param.column, []).append(param.schema)
            if plan.shape.kind == "read":
                continue
            if param.json_type != "object":
                whole.add(param.column)
            else:
                objects.setdefault(param.column, []).append(param.schema)
    whole |= {column for column, schemas in objects.items() if disagreements(schemas)}
    for plan in plans:  # a property another tool states as something else (time_frame)
        for role in plan.decision.roles:
            if role.role != "fields":
                continue
            properties = role.param.schema.get("properties") or {}
            if any(
                isinstance(sub, dict)
                and snake(name) in stated
                and disagreements([sub, *stated[snake(name)]])
                for name, sub in properties.items()
            ):
                whole.add(role.param.column)
    for plan in plans:
        decision = plan.decision
        if decision.operation != "create":
            continue
        decision.roles = [
            Role(r.param, "field", r.param.column)
            if r.role == "fields" and r.param.column in whole
            else r
            for r in decision.roles
        ]


def _collect_columns(plan: ToolPlan, entities: Entities) -> None:
    decision = plan.decision
    shape = plan.shape
    if decision.entity is None:
        return
    draft = entities.drafts[decision.entity]
    for role in decision.roles:
        param = role.param
        if role.role == "key":
            draft.key_types.append(column_type_of(param.schema))
            draft.key_sources.append((param.schema, str(param.schema.get("description", ""))))
        elif role.role in ("field", "filter", "min", "max", "reference") and role.column:
            if role.ref_entity is not None and role.ref_entity == decision.entity:
                continue
            column = draft.column(role.column)
            schema = param.schema
            if role.role in ("min", "max"):
                # a range filter's own bounds say what it may ask, not what values are
                schema = {k: v for k, v in schema.items() if k not in _RANGE_KEYS}
            tool = shape.name if role.role in ("field", "filter") else None
            column.add(schema, str(param.schema.get("description", "")), tool)
            if role.ref_entity is not None and not param.id_list:
                entities.ensure(role.ref_entity, param.column)
                column.references = role.ref_entity
            if role.role in ("filter", "reference"):
                column.indexed = True
        elif role.role == "fields":
            props = param.schema.get("properties") or {}
            for name, sub in props.items():
                if isinstance(sub, dict):
                    draft.column(snake(name)).add(sub)
    returns = shape.returns
    if decision.operation == "search" and returns.list_key is not None:
        fields = returns.item_fields
    elif returns.object_key is not None:
        fields = {**returns.object_fields}
        fields.update(
            {
                k: v
                for k, v in returns.fields.items()
                if k != returns.object_key and k not in COUNT_FIELDS
            }
        )
    else:
        fields = {k: v for k, v in returns.fields.items()}
        if decision.operation == "search":
            fields = {k: v for k, v in fields.items() if k not in COUNT_FIELDS}
    for name, schema in fields.items():
        if name in ENVELOPE_FIELDS:
            continue
        column_name = snake(name)
        if name == "id" or column_name == draft.key:
            draft.key_sources.append((schema, str(schema.get("description", ""))))
            continue
        ref = entity_of_parameter(name)
        if ref == decision.entity and schema_type(schema) != "array":
            draft.key_sources.append((schema, str(schema.get("description", ""))))
            continue
        column = draft.column(column_name)
        column.add(schema)
        if ref is not None and schema_type(schema) in ("string", "integer", None):
            entities.ensure(ref, column_name)
            column.references = ref


def _finish_status(plans: list[ToolPlan], entities: Entities) -> None:
    for plan in plans:
        decision = plan.decision
        if decision.operation != "transition" or decision.entity is None:
            continue
        draft = entities.drafts[decision.entity]
        column_name = draft.status_column or _status_column(draft)
        draft.status_column = column_name
        column = draft.column(column_name)
        enum = column.enum()
        target = transition_target(plan.shape.verb, plan.shape.tail, enum)
        if target is None:
            target = transition_target(plan.shape.verb, plan.shape.tail, None) or "done"
            if enum is not None:
                column.enums.append([target])
        if target not in draft.status_values:
            draft.status_values.append(target)
        if not column.types:
            column.add({"type": "string", "description": "Current status."})


def _status_column(draft: EntityDraft) -> str:
    def textual(name: str) -> bool:
        types = set(draft.columns[name].types)
        return not types or types <= {"TEXT"}

    for name in draft.columns:
        if (name == "status" or name.endswith("_status")) and textual(name):
            return name
    if "state" in draft.columns and textual("state"):
        return "state"
    name = "status"
    while name in draft.columns:
        name = "record_" + name
    return name


def _binding(plan: ToolPlan, by_entity: dict[str, Table], entities: Entities) -> ToolBinding:
    decision = plan.decision
    shape = plan.shape
    table = by_entity.get(decision.entity) if decision.entity else None
    params: list[ParamBinding] = []
    for role in decision.roles:
        ref_table = by_entity[role.ref_entity].name if role.ref_entity in by_entity else None
        column = role.column
        if role.role == "key" and table is not None:
            column = table.primary_key
        if (
            role.role == "filter"
            and role.ref_entity is not None
            and role.ref_entity == decision.entity
        ):
            column = table.primary_key if table else column
        params.append(
            ParamBinding(name=role.param.name, role=role.role, column=column, table=ref_table)
        )
    status_column = None
    from_status: tuple[str, ...] = ()
    to_status = None
    if table is not None and decision.entity is not None:
        draft = entities.drafts[decision.entity]
        status = table.column(draft.status_column) if draft.status_column else None
        if status is None:
            status = next((c for c in table.columns if c.semantic == "status" and c.enum), None)
        enum = list(status.enum or ()) if status is not None else []
        if decision.operation == "transition" and status is not None:
            status_column = status.name
            to_status = transition_target(shape.verb, shape.tail, enum) or transition_target(
                shape.verb, shape.tail, None
            )
            from_status = allowed_sources(shape.verb, to_status, enum, shape.spec.description)
            if to_status is not None and not from_status and shape.verb not in TRANSITIONS:
                from_status = ()
        elif decision.operation in ("update", "delete") and status is not None and enum:
            stated = statuses_stated(shape.spec.description, [str(e) for e in enum], shape.verb)
            if stated:
                status_column, from_status = status.name, stated
    return ToolBinding(
        name=shape.name,
        tool_id=shape.spec.id,
        kind="read" if shape.kind == "read" or decision.operation == "compute" else "write",
        operation=decision.operation,  # type: ignore[arg-type]
        table=table.name if table else None,
        fallback=decision.fallback,
        params=tuple(params),
        status_column=status_column,
        from_status=from_status,
        to_status=to_status,
    )

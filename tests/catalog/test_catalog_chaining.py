"""The tools of a vertical chain and agree with each other, as a schema compiler needs."""

from __future__ import annotations

import re
from collections import defaultdict

from agentscaler.naming import entity_of_parameter, split_identifier

# verb of a status transition -> the status it sets
TRANSITIONS = {
    "cancel": "cancelled",
    "approve": "approved",
    "reject": "rejected",
    "complete": "completed",
    "confirm": "confirmed",
    "close": "closed",
    "resolve": "resolved",
    "escalate": "escalated",
    "suspend": "suspended",
    "archive": "archived",
    "publish": "published",
    "pay": "paid",
    "withdraw": "withdrawn",
    "accept": "accepted",
    "decline": "declined",
    "reopen": "reopened",
    "pause": "paused",
    "dispute": "disputed",
    "block": "blocked",
    "checkin": "checked_in",
    "checkout": "checked_out",
    "stop": "stopped",
    "submit": "submitted",
    "ship": "shipped",
    "dispatch": "dispatched",
}


def test_every_identifier_parameter_is_produced_by_another_tool(by_vertical, walk):
    for slug, tools in by_vertical.items():
        for tool in tools:
            producers = [t for t in tools if t.name != tool.name]
            produced = set().union(*(walk.returned_names(t) for t in producers))
            missing = {
                name
                for name in walk.identifier_names(tool.parameters)
                if name not in produced and name.removesuffix("s") not in produced
            }
            assert not missing, f"{slug}/{tool.name}: no other tool returns {sorted(missing)}"


def test_tools_of_an_entity_name_its_identifier(catalog, walk):
    for tool in catalog:
        entity = tool.tag_value("entity")
        if entity is None:
            continue
        key = f"{entity}_id"
        seen = set(tool.parameters["properties"]) | walk.returned_names(tool)
        assert key in seen, f"{tool.name}: acts on {entity} but neither takes nor returns {key}"


def test_writes_return_an_identifier_to_chain_on(catalog, walk):
    for tool in catalog:
        if walk.kind_of(tool) == "write":
            assert walk.identifier_names(tool.returns), f"{tool.name}: returns no identifier"


def test_same_field_has_the_same_schema_within_a_record_type(catalog, walk):
    """A record type (named by its leading id) types each field one way, across all verticals."""
    seen: dict[tuple[str, str], set[tuple]] = defaultdict(set)
    for tool in catalog:
        for record in walk.record_objects(tool):
            props = record.get("properties") or {}
            owner = next((n for n in props if entity_of_parameter(n)), None)
            for name, prop in props.items() if owner else ():
                seen[(owner, name)].add(walk.signature(prop))
    for (owner, name), signatures in seen.items():
        assert len(signatures) == 1, f"field {name} of records led by {owner}: {signatures}"


def test_parameters_match_the_returned_fields_of_the_same_name(by_vertical, walk):
    for slug, tools in by_vertical.items():
        returned: dict[str, set[tuple]] = defaultdict(set)
        for tool in tools:
            for record in walk.record_objects(tool):
                for name, prop in (record.get("properties") or {}).items():
                    returned[name].add(walk.signature(prop))
        for tool in tools:
            for name, prop in tool.parameters["properties"].items():
                if name in returned:
                    assert walk.signature(prop) in returned[name], f"{slug}/{tool.name}.{name}"
                elif (base := walk.range_base(name)) in returned:
                    base_types = {sig[0] for sig in returned[base]}
                    assert prop["type"] in base_types, f"{slug}/{tool.name}.{name}"


def test_identifiers_mean_one_thing_across_the_catalog(catalog, walk):
    id_schemas: dict[str, set[tuple]] = defaultdict(set)
    pattern_entities: dict[str, set[str]] = defaultdict(set)
    for tool in catalog:
        for schema in (tool.parameters, tool.returns):
            for _, name, prop in walk.walk_properties(schema):
                entity = entity_of_parameter(name)
                if entity is None or prop.get("type") == "array":
                    continue
                id_schemas[name].add((prop.get("type"), prop.get("pattern")))
                if prop.get("pattern"):
                    pattern_entities[prop["pattern"]].add(entity)
    for name, schemas in id_schemas.items():
        assert len(schemas) == 1, f"identifier {name} has several schemas: {schemas}"
    prefixes: dict[str, set[str]] = defaultdict(set)
    for pattern, entities in pattern_entities.items():
        assert len(entities) == 1, f"id format {pattern} is shared by {sorted(entities)}"
        if match := re.match(r"^\^([A-Z]+)-", pattern):
            prefixes[match[1]].update(entities)
    for prefix, entities in prefixes.items():
        assert len(entities) == 1, f"id prefix {prefix}- is used by {sorted(entities)}"


def test_write_parameters_are_fields_of_returned_records(by_vertical, walk):
    """What a write stores is visible to reads: each parameter is a field some tool returns."""
    for slug, tools in by_vertical.items():
        columns = walk.columns_of(tools)
        for tool in tools:
            if walk.kind_of(tool) != "write":
                continue
            for name in tool.parameters["properties"]:
                assert name in columns, f"{slug}/{tool.name}: parameter {name} is never returned"


def test_list_filters_are_fields_of_the_listed_records(catalog, walk):
    for tool in catalog:
        lists = [
            prop["items"]
            for prop in tool.returns["properties"].values()
            if prop.get("type") == "array" and prop["items"].get("type") == "object"
        ]
        if (
            walk.kind_of(tool) != "read"
            or len(lists) != 1
            or "count" not in tool.returns["properties"]
        ):
            continue
        fields = set(lists[0]["properties"])
        for name in tool.parameters["properties"]:
            if name in walk.CONTROL_PARAMETERS:
                continue
            assert name in fields or walk.range_base(name) in fields, (
                f"{tool.name}: filter {name} is not a field of the listed records"
            )


def test_status_transitions_reach_a_state_of_the_status_enum(catalog, walk):
    for tool in catalog:
        words = split_identifier(tool.name)
        entity = tool.tag_value("entity")
        target = TRANSITIONS.get(words[0])
        if walk.kind_of(tool) != "write" or target is None or entity is None:
            continue
        if f"{entity}_id" not in tool.parameters["properties"]:
            continue  # creates a record rather than moving one
        states = set()
        for _, name, prop in walk.walk_properties(tool.returns):
            if name == "status" or name.endswith("_status"):
                states.update(prop.get("enum") or ())
        assert target in states, f"{tool.name}: status enum {sorted(states)} lacks {target!r}"


def test_every_vertical_can_create_and_find_its_records(by_vertical):
    for slug, tools in by_vertical.items():
        lists = [
            t
            for t in tools
            if any(p.get("type") == "array" for p in t.returns["properties"].values())
        ]
        assert lists, f"{slug}: no tool lists records"
        entities = {t.tag_value("entity") for t in tools} - {None}
        assert len(entities) >= 2, f"{slug}: a single record type {entities}"

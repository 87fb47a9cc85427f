"""The table operation of one tool, given the entities the domain's identifiers name.

Rules (names and schemas only; see :mod:`agentscaler.worlds.infer.operations` for the verb lists):

* a tool without identifiers whose docs name a formula over all its required arguments
  (``mean(numbers)``, ``add(a, b)``) -> ``compute`` (see :mod:`agentscaler.worlds.infer.compute`);
* reads: a compute verb without identifiers -> ``compute``; an identifier of the tool's entity ->
  ``get``; a plural noun or a list verb -> ``search``; a noun with other parameters -> a lookup
  (``get`` by the parameters); nothing to go on -> ``compute``.
* writes: a delete verb -> ``delete`` (by key, else by filters); a transition verb on a keyed
  row -> ``transition``; an update verb or fields of the keyed entity -> ``update``; an action on
  a keyed row that is neither (``book_flight(flight_id)``) -> ``create`` of an action record
  (``flight_bookings``); otherwise -> ``create`` of the named or returned entity.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from agentscaler.naming import entity_of_parameter, singular, split_identifier
from agentscaler.worlds.infer.compute import computes
from agentscaler.worlds.infer.operations import (
    COMPUTE_VERBS,
    CREATE_VERBS,
    DELETE_VERBS,
    LIST_VERBS,
    NOTE_PARAM_WORDS,
    TRADE_VERBS,
    TRANSITIONS,
    UPDATE_VERBS,
)
from agentscaler.worlds.infer.toolshape import (
    LIMIT_PARAMS,
    MAX_MARKERS,
    MIN_MARKERS,
    OPTION_PARAMS,
    ORDERED_SEMANTIC_WORDS,
    SORT_PARAMS,
    TEXT_PARAMS,
    ToolShape,
    described_thing,
)
from agentscaler.worlds.interface import ParamInfo

CHANGE_VERBS = UPDATE_VERBS | DELETE_VERBS | frozenset(TRANSITIONS)
FIELD_CONTAINERS = frozenset(
    "updates update changes fields data attributes properties details values patch new_values".split()
)
LOOKUP_VERBS = frozenset(
    """get fetch retrieve lookup look find show view read check query search list browse track
    display describe inspect monitor""".split()
)
OWN_KEY_CREATE_VERBS = frozenset("create add new insert register make".split())
RECORD_VERBS = frozenset("book reserve rent deploy export login connect record".split())
"""Verbs whose call records an act on a thing (a booking of a room), not a new thing."""
ACTION_NOUNS = {
    "book": "booking",
    "reserve": "reservation",
    "rent": "rental",
    "buy": "purchase",
    "purchase": "purchase",
    "order": "order",
    "subscribe": "subscription",
    "enroll": "enrollment",
    "apply": "application",
    "like": "like",
    "follow": "follow",
    "share": "share",
    "rate": "rating",
    "review": "review",
    "comment": "comment",
    "vote": "vote",
    "save": "save",
    "invite": "invitation",
    "send": "message",
    "report": "report",
    "request": "request",
    "pay": "payment",
    "charge": "charge",
    "transfer": "transfer",
    "donate": "donation",
    "hire": "hire",
    "adopt": "adoption",
    "claim": "claim",
    "schedule": "appointment",
    "deploy": "deployment",
    "export": "export",
    "login": "session",
    "connect": "connection",
    "record": "record",
    "issue": "issue",
    "borrow": "loan",
    "lend": "loan",
}


HANDOVER_VERBS = {"issue": "loan"}
"""Verbs that, applied to a kept thing for someone another argument names, hand it over."""


@dataclass
class Role:
    param: ParamInfo
    role: str
    column: str | None = None
    ref_entity: str | None = None


@dataclass
class Decision:
    operation: str
    entity: str | None
    roles: list[Role] = field(default_factory=list)
    fallback: bool = False
    key_provided: bool = False
    """Create whose caller supplies the new row's key (``register_user(user_id, ...)``)."""


def decide(
    shape: ToolShape,
    known: set[str],
    *,
    lookup_tables: bool = True,
    named: set[str] | None = None,
) -> Decision:
    """Pick the operation and entity of ``shape``; ``known`` are entities named by identifiers,
    ``named`` the entities the names of the domain's tools talk about.
    ``lookup_tables``: a read with nothing to find and no formula gets a lookup table of its own
    (not when the tables are a user's data: such a tool binds to the data's state instead)."""
    if computes(shape):
        return Decision("compute", None, [Role(p, "option") for p in shape.params])
    if shape.kind == "read":
        return _decide_read(shape, known, lookup_tables)
    return _decide_write(shape, known, named or set())


def _name_entity(shape: ToolShape, known: set[str]) -> tuple[str | None, bool]:
    """The entity the name talks about, and whether it is a known (identifier) entity."""
    candidates = shape.noun_candidates()
    for candidate in candidates:
        if candidate in known:
            return candidate, True
    return (candidates[0] if candidates else None), False


def _key_param(shape: ToolShape, name_entity: str | None, known_name: bool) -> ParamInfo | None:
    ids = shape.id_params()
    if name_entity is not None:
        for param in ids:
            if param.entity == name_entity:
                return param
    if len(ids) == 1:
        entity_words = set(ids[0].entity.split("_")) if ids[0].entity else set()
        if not shape.nouns or (not known_name and entity_words <= set(shape.words)):
            return ids[0]
    return None


def _decide_read(shape: ToolShape, known: set[str], lookup_tables: bool = True) -> Decision:
    name_entity, known_name = _name_entity(shape, known)
    ids = shape.id_params()
    if shape.verb in COMPUTE_VERBS and not ids:
        return _compute(shape, lookup_tables)
    wants_list = shape.plural_noun or shape.verb in LIST_VERBS
    key = None if (wants_list and shape.plural_noun) else _key_param(shape, name_entity, known_name)
    if key is not None:
        decision = Decision("get", key.entity)
        for param in shape.params:
            if param is key:
                decision.roles.append(Role(param, "key", None, key.entity))
            elif param.entity is not None:
                decision.roles.append(Role(param, "filter", param.column, param.entity))
            else:
                decision.roles.append(Role(param, "option"))
        return decision
    if name_entity is None:
        if len(ids) == 1 and not wants_list:
            return _decide_read_keyed(shape, ids[0])
        return _compute(shape, lookup_tables)
    if wants_list:
        return Decision("search", name_entity, _search_roles(shape, name_entity))
    if shape.verb not in LOOKUP_VERBS or (
        not shape.params and shape.verb not in ("get", "show", "view", "fetch", "retrieve", "read")
    ):
        return _compute(shape, lookup_tables)
    roles = _search_roles(shape, name_entity)
    if shape.params and not any(r.role in ("filter", "key") for r in roles):
        return _compute(
            shape, lookup_tables
        )  # nothing to look a row up by (e.g. only a text to analyse)
    return Decision("get", name_entity, roles)


def _decide_read_keyed(shape: ToolShape, key: ParamInfo) -> Decision:
    decision = Decision("get", key.entity)
    for param in shape.params:
        if param is key:
            decision.roles.append(Role(param, "key", None, key.entity))
        else:
            decision.roles.append(Role(param, "option"))
    return decision


def _compute(shape: ToolShape, lookup_tables: bool = True) -> Decision:
    """A read with no row to find: its formula when its docs name one, else a lookup table of
    its own (``estimate_elevation_results``) whose rows are keyed by the tool's inputs (structured
    ones as JSON values), so a result is a seeded row and an unknown input is not found."""
    if computes(shape):
        return Decision("compute", None, [Role(p, "option") for p in shape.params])
    if not lookup_tables:
        return Decision("compute", None, [Role(p, "option") for p in shape.params], fallback=True)
    roles = [
        Role(p, "option") if _object_list(p) else Role(p, "filter", p.column) for p in shape.params
    ]
    return Decision("get", lookup_entity(shape.name), roles)


def _object_list(param: ParamInfo) -> bool:
    """A list of objects: a setting of a lookup, never part of the key its rows are found by."""
    items = param.schema.get("items") if param.json_type == "array" else None
    return isinstance(items, dict) and bool(items.get("properties"))


def lookup_entity(tool: str) -> str:
    """The entity of a tool's own lookup table: its name's words and ``result``."""
    return "_".join((*split_identifier(tool), "result"))


def _search_roles(shape: ToolShape, entity: str) -> list[Role]:
    roles: list[Role] = []
    for param in shape.params:
        roles.append(_search_role(param, entity))
    return roles


def _search_role(param: ParamInfo, entity: str) -> Role:
    words = param.words
    name = param.column
    if param.entity is not None:
        if param.entity == entity:
            return Role(param, "key" if not param.id_list else "filter", None, entity)
        return Role(param, "filter", param.column if not param.id_list else None, param.entity)
    if (name in TEXT_PARAMS or (words and words[-1] == "contains")) and not param.schema.get(
        "enum"
    ):
        return Role(param, "text")
    if name in LIMIT_PARAMS and param.json_type in ("integer", "number", None):
        return Role(param, "limit")
    if name in SORT_PARAMS and param.json_type in ("string", None):
        return Role(param, "sort")
    if name in OPTION_PARAMS or (
        param.json_type == "boolean" and words[:1] in (("include",), ("with",))
    ):
        return Role(param, "option")
    bound = _range_bound(param)
    if bound is not None:
        return Role(param, bound[0], bound[1])
    if param.json_type in ("object", "array"):
        return Role(param, "option")  # structured values are settings, not column filters
    return Role(param, "filter", param.column)


def _range_bound(param: ParamInfo) -> tuple[str, str] | None:
    """``("min", "price")`` for ``min_price`` / ``price_min`` / ``date_from`` ..."""
    words = list(param.words)
    if len(words) < 2:
        return None
    marker = None
    rest: list[str] = []
    if words[0] in MIN_MARKERS or words[0] in MAX_MARKERS:
        marker, rest = words[0], words[1:]
    elif words[-1] in MIN_MARKERS or words[-1] in MAX_MARKERS:
        marker, rest = words[-1], words[:-1]
    if marker is None or not rest:
        return None
    ordered = param.json_type in ("integer", "number") or param.schema.get("format") in (
        "date",
        "date-time",
        "time",
    )
    if not ordered and not set(rest) & ORDERED_SEMANTIC_WORDS:
        return None
    role = "min" if marker in MIN_MARKERS else "max"
    return role, "_".join(rest)


def _is_note(param: ParamInfo) -> bool:
    return bool(set(param.words) & NOTE_PARAM_WORDS)


def _decide_write(shape: ToolShape, known: set[str], named_entities: set[str]) -> Decision:
    name_entity, known_name = _name_entity(shape, known)
    key = _key_param(shape, name_entity, known_name)
    verb = shape.verb
    if key is None and verb in UPDATE_VERBS and len(shape.id_params()) == 1:
        only = shape.id_params()[0]
        if only.entity and set(only.entity.split("_")) <= set(shape.words):
            # iot_device_encryption_control(device_id, encryption): the device's settings
            key = only
    if key is None and verb not in CREATE_VERBS:
        # manage_property(propertyDetails: {propertyID, ownerID}, ...): the key inside
        key = nested_key(shape, name_entity)
    named_by = _naming_param(shape, name_entity) if key is None else None
    if (
        named_by is not None
        and (verb in TRANSITIONS or shape.tail)
        and not shape.returns.id_fields()
    ):
        # views_publish(view, user_id, hash): the view is found by the name given
        decision = _keyed(shape, "transition", named_by)
        decision.roles = [
            Role(r.param, "filter", r.param.column) if r.role == "key" else r
            for r in decision.roles
        ]
        return decision
    param_entities = {p.entity for p in shape.params if p.entity}
    echoed = False
    if key is None:
        key = _key_from_returns(shape, param_entities)
        echoed = key is not None
    if key is None and not known_name and verb in CHANGE_VERBS and len(shape.id_params()) == 1:
        key = shape.id_params()[0]  # update_shipping_address(order_id, ...) changes the order
    created = None
    leads_new = False
    returned_ids = shape.returns.id_fields()
    if returned_ids:
        # a new record's id leads the result (later ids are its references)
        first = returned_ids[0]
        entity = entity_of_parameter(first) or (name_entity if first == "id" else None)
        if entity and entity not in param_entities:
            leads_new = first != "id"
            if verb in CREATE_VERBS or key is None or leads_new:
                created = entity
    if (
        key is not None
        and echoed
        and not [p for p in shape.params if p is not key]
        and verb not in DELETE_VERBS
        and not (verb in TRANSITIONS or shape.tail)
    ):
        return _keyed(shape, "update", key)  # reset_password(employee_id) -> the employee

    if verb in DELETE_VERBS:
        if key is not None:
            return _keyed(shape, "delete", key, fields_as="option")
        entity = name_entity or created
        if entity is not None:
            return Decision("delete", entity, _search_roles(shape, entity))
    if created is not None and (verb in CREATE_VERBS or leads_new) and not echoed:
        return _create(shape, created)
    others = [p for p in shape.params if p is not key]
    field_params = [p for p in others if p.json_type != "boolean" and not _is_note(p)]
    head = singular(shape.nouns[-1]) if shape.nouns else None
    names_other_thing = (
        bool(field_params) and head is not None and head != key.entity if key else False
    )
    transition_verb = verb in TRANSITIONS or bool(shape.tail)
    updates_instead = verb in UPDATE_VERBS and bool(field_params)
    creates_other = names_other_thing and not known_name
    if key is not None and transition_verb and not updates_instead and not creates_other:
        return _keyed(shape, "transition", key)
    if (
        key is not None
        and verb in OWN_KEY_CREATE_VERBS
        and key.entity == name_entity
        and created is None
    ):
        return _create(shape, key.entity, key_param=key)
    records_act = verb in TRADE_VERBS
    updating = key is not None and (
        verb in UPDATE_VERBS
        or echoed
        or (bool(field_params) and key.entity == name_entity and not records_act)
    )
    if key is not None and updating and others:
        return _keyed(shape, "update", key)
    if key is not None and created is None and returned_ids and returned_ids[0] == key.name:
        # generate_return_label(return_id) -> {return_id, label_url, status}: the result is the
        # keyed record with what the call set on it, not a new record of another kind
        return _keyed(shape, "update", key)
    if key is not None and created is None:
        if name_entity and name_entity != key.entity and (not known_name or verb in CREATE_VERBS):
            return _create(shape, _act_record(shape, name_entity, known_name))
        noun = ACTION_NOUNS.get(verb or "", f"{verb}_event" if verb else "action")
        if verb in HANDOVER_VERBS and any(p.entity and p is not key for p in shape.params):
            # issue_book(book_id, user_id): the book is handed to the user, a loan of it
            noun = HANDOVER_VERBS[verb]
        return _create(shape, f"{key.entity}_{noun}")
    entity = created or name_entity
    handle = _returned_handle(shape) if created is None and key is None else None
    if handle is not None and handle != name_entity:
        # record_call -> {recording_url}: the call makes a recording (of a call)
        entity = handle if "_" in handle or not name_entity else f"{name_entity}_{handle}"
    elif created is None and key is None and _acts_on_listed(shape, name_entity):
        # archive_documents(document_ids, archive_format, storage_path): the documents exist;
        # the call makes a new thing of them (a document archive) with the other arguments
        noun = ACTION_NOUNS.get(verb or "", verb or "action")
        entity = f"{name_entity}_{noun}"
    elif created is None and verb in RECORD_VERBS and name_entity:
        record = ACTION_NOUNS[verb]
        named = _record_of_named_place(shape, name_entity, record, known | named_entities) or (
            f"{name_entity}_{record}"
        )
        if not name_entity.endswith(record) and (
            not known_name or named in known or named in named_entities
        ):
            # book_room -> a room booking, not a new room; hotel_book -> the domain's
            # hotel bookings even where hotels are rows of their own
            entity = named
    elif created is None and verb == "start" and name_entity and name_entity.endswith("ing"):
        entity = f"{name_entity}_session"  # start_charging -> a charging session
    if entity is not None and entity == name_entity and created is None and key is None:
        entity = _work_of_counted(shape, entity) or entity
    if entity is None:
        entity = _acted_on(shape)
    if entity is None:
        decision = _create(shape, f"{verb}_event" if verb else "action_event")
        decision.fallback = True
        return decision
    return _create(shape, entity)


COUNT_MARKERS = (("number", "of"), ("num",), ("count", "of"))
"""First words of an argument that counts things (``number_of_robots``)."""


def _work_of_counted(shape: ToolShape, entity: str) -> str | None:
    """What a write makes when an argument counts the things its name talks about: the call
    sets that many of them to some work, it does not make one new thing. The work is the
    required text argument its description names: ``coordinateRobots(task, number_of_robots,
    area)`` ("Coordinates multiple robots to perform tasks together") -> a robot task, not a
    robot with a ``number_of_robots``. None when no argument counts them or none names the
    work."""
    last = entity.split("_")[-1]
    counted = any(
        param.json_type in ("integer", "number")
        and any(
            param.words[: len(marker)] == marker and len(param.words) == len(marker) + 1
            for marker in COUNT_MARKERS
        )
        and singular(param.words[-1]) == last
        for param in shape.params
    )
    if not counted:
        return None
    described = {singular(w) for w in split_identifier(shape.spec.description)}
    for param in shape.params:
        if (
            param.required
            and param.entity is None
            and param.json_type == "string"
            and not param.schema.get("enum")
            and len(param.words) == 1
            and singular(param.words[0]) != last
            and singular(param.words[0]) in described
        ):
            return f"{entity}_{singular(param.words[0])}"
    return None


def _record_of_named_place(
    shape: ToolShape, entity: str, record: str, entities: set[str]
) -> str | None:
    """The domain's records of the place an argument names, when the thing the name books is
    part of it: ``book_room(hotel_name, room_type, ...)`` ("Book a room in a specified hotel")
    makes one of the domain's hotel bookings, not a booking of a room kept apart."""
    for param in shape.params:
        words = split_identifier(param.name)
        if len(words) < 2 or words[-1] not in ("name", "id") or param.json_type != "string":
            continue
        place = "_".join(words[:-1])
        named = f"{place}_{record}"
        if place != entity and named in entities:
            return named
    return None


HANDLE_SUFFIXES = ("url", "uri", "link", "path")


def _returned_handle(shape: ToolShape) -> str | None:
    """The thing a write's result locates, when the result has one handle to it and no key
    (``{recording_url}`` -> ``recording``, ``{exported_file_path}`` -> ``exported_file``)."""
    found = []
    for name in shape.returns.fields:
        words = split_identifier(name)
        if len(words) >= 2 and words[-1] in HANDLE_SUFFIXES:
            found.append("_".join(words[:-1]))
    return found[0] if len(found) == 1 else None


def _act_record(shape: ToolShape, entity: str, known_name: bool) -> str:
    """What a call that records an act makes of a thing the domain does not keep on its own:
    ``record_patient_symptoms(patient_id, ...)`` -> a patient symptom record."""
    record = ACTION_NOUNS.get(shape.verb or "") if shape.verb in RECORD_VERBS else None
    if record is None or known_name or entity.endswith(record):
        return entity
    return f"{entity}_{record}"


def _acts_on_listed(shape: ToolShape, name_entity: str | None) -> bool:
    """Whether the thing the name talks about comes as a list of existing keys, next to
    arguments that describe something else (fields that are neither keys nor switches)."""
    if name_entity is None or not any(p.id_list and p.entity == name_entity for p in shape.params):
        return False
    return any(
        p.entity is None and p.json_type not in ("boolean", "array", "object") and not _is_note(p)
        for p in shape.params
    )


def _naming_param(shape: ToolShape, entity: str | None) -> ParamInfo | None:
    """A text argument named for the entity itself or its name (``view``, ``view_name``): the
    record the call is about, found by that name."""
    if entity is None:
        return None
    for param in shape.params:
        if (
            param.entity is None
            and param.json_type == "string"
            and param.column in (entity, f"{entity}_name")
        ):
            return replace(param, entity=entity)
    return None


def nested_key(shape: ToolShape, entity: str | None) -> ParamInfo | None:
    """The one object argument holding the key of ``entity`` among its properties
    (``propertyDetails.propertyID``), as a key parameter with that property's schema."""
    if entity is None:
        return None
    found = []
    for param in shape.params:
        props = param.schema.get("properties") if param.json_type == "object" else None
        if not isinstance(props, dict):
            continue
        for prop, sub in props.items():
            if (
                entity_of_parameter(prop) == entity
                and isinstance(sub, dict)
                and sub.get("type") in ("string", "integer")
            ):
                found.append(replace(param, entity=entity, schema=sub))
    return found[0] if len(found) == 1 else None


SESSION_END_VERBS = frozenset("logout logoff signout".split())
"""Verbs that end the caller's session: the call is a row of the sessions a login opens."""
STATE_NOUNS = {
    "move": "position",
    "relocate": "position",
    "reschedule": "schedule",
    "send": "transmission",
    "insert": "entry",
    "update": "update",
}
"""What a write naming no entity leaves of the thing its description says it acts on (moving
an object leaves the object's position)."""


def _acted_on(shape: ToolShape) -> str | None:
    """The entity of a write whose name and parameters name none: the session for a logout,
    else the thing its description acts on with what the verb leaves of it (``move_to``: "Move
    an object to ..." -> ``object_position``); None when the description names nothing."""
    if shape.verb in SESSION_END_VERBS:
        return ACTION_NOUNS["login"]
    thing = tuple(singular(w) for w in described_thing(shape.spec.description))
    if not thing:
        return None
    noun = STATE_NOUNS.get(shape.verb or "")
    if noun is None and ACTION_NOUNS.get(shape.verb or "") != shape.verb:
        noun = ACTION_NOUNS.get(shape.verb or "")  # recording classifications leaves them
    if noun is None or thing[-1] == noun:
        return "_".join(thing)
    return "_".join((*thing, noun))


def _key_from_returns(shape: ToolShape, param_entities: set[str | None]) -> ParamInfo | None:
    """The one identifier parameter a write acts on, when its result echoes that identifier and
    names no new record (``apply_promo_code(order_id, code) -> {order_id, total}``)."""
    ids = shape.id_params()
    if len(ids) != 1:
        return None
    returned = shape.returns.id_fields()
    # the record a result describes leads with its own id; later ids are its references
    if returned and returned[0] == ids[0].name:
        return ids[0]
    new = [f for f in returned if (entity_of_parameter(f) or "") not in param_entities]
    if new or ids[0].name not in returned:
        return None
    return ids[0]


def _keyed(shape: ToolShape, operation: str, key: ParamInfo, fields_as: str = "field") -> Decision:
    decision = Decision(operation, key.entity)
    for param in shape.params:
        if param.name == key.name:
            decision.roles.append(Role(key, "key", None, key.entity))
        elif param.entity is not None:
            role = "reference" if operation in ("update", "transition") else "filter"
            if operation == "update" and param.entity != key.entity:
                decision.roles.append(Role(param, "reference", param.column, param.entity))
            else:
                decision.roles.append(Role(param, role, param.column, param.entity))
        elif param.json_type == "boolean" and operation != "update":
            decision.roles.append(Role(param, "option"))
        elif operation == "update" and param.column in FIELD_CONTAINERS and _object_fields(param):
            decision.roles.append(Role(param, "fields"))
        elif fields_as == "option":
            decision.roles.append(Role(param, "option"))
        else:
            decision.roles.append(Role(param, "field", param.column))
    return decision


def _object_fields(param: ParamInfo) -> bool:
    props = param.schema.get("properties")
    return isinstance(props, dict) and bool(props)


def _create(shape: ToolShape, entity: str, key_param: ParamInfo | None = None) -> Decision:
    if key_param is None:
        key_param = next((p for p in shape.id_params() if p.entity == entity), None)
    decision = Decision("create", entity, key_provided=key_param is not None)
    own_details = {f"{entity}_details", f"{entity.split('_')[-1]}_details"}
    for param in shape.params:
        if param is key_param:
            decision.roles.append(Role(param, "key", None, entity))
        elif param.entity is not None and param.entity != entity:
            decision.roles.append(Role(param, "reference", param.column, param.entity))
        elif (
            param.column in own_details
            and _object_fields(param)
            and not any(entity_of_parameter(p) == entity for p in param.schema["properties"])
        ):
            # create_project(projectDetails: {projectName, location, participants}): the new
            # record's own fields, held in one object (one holding its key names a record
            # that exists: registerForEvent(eventDetails: {eventID, ...}))
            decision.roles.append(Role(param, "fields"))
        else:
            decision.roles.append(Role(param, "field", param.column))
    return decision


def singular_table_entity(table: str) -> str:
    parts = table.split("_")
    return "_".join((*parts[:-1], singular(parts[-1])))

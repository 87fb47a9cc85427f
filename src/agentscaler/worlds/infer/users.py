"""Who the users of a world are, and whose records are whose.

A world's *user* entity is the kind of person who talks to the agent: the service's customers
(members, patients, passengers). Among the entities of people (a row holds a person's name, or an
email or phone column named just so), records that only carry a contact (a shipment's recipient,
a ticket order's attendee) are left out when some entity of people is referred to by others; the
user is then the one the tools find by what a person knows (email, phone, name), then the one
most writes take, then the one most records refer to. Staff (trainers, adjusters, drivers) are
people too, but are not who the service answers to.

Every other top-level entity gets an ``owner``: the column through which its rows lead to a user
(an order's ``customer_id`` directly, a pet's ``pet_owner_id``, a vaccination's ``pet_id`` through
the pet). Child rows belong to their parent's owner. The policy's rule "act only on the records
of the person you identified" is checked with these links
(:mod:`agentscaler.worlds.ownership`); both ``user`` and ``owner`` are plain fields of
``spec.yaml``, edited like any other.
"""

from __future__ import annotations

from agentscaler.worlds.spec.model import SpecEntity, WorldSpec

NAME_KINDS = frozenset({"person_name", "first_name", "last_name"})
PERSON_KINDS = frozenset({*NAME_KINDS, "email", "phone", "username"})
CONTACT_COLUMNS = frozenset(
    {"email", "email_address", "phone", "phone_number", "mobile", "mobile_number"}
)
"""Contact columns that, named just so, make a record one of people (a message's ``sender``
email does not)."""
MAX_HOPS = 3
"""The longest chain of references from a record to its owner."""


def is_person(entity: SpecEntity) -> bool:
    """A top-level entity whose rows are people: it holds a person's name, or an email or phone
    column named just so."""
    if entity.parent is not None:
        return False
    return any(
        col.kind in NAME_KINDS or (col.kind in ("email", "phone") and name in CONTACT_COLUMNS)
        for name, col in entity.columns.items()
    )


def people(spec: WorldSpec) -> dict[str, list[str]]:
    """Entities of people and the columns that identify them (email, phone, name)."""
    return {
        name: [c for c, col in entity.columns.items() if col.kind in PERSON_KINDS]
        for name, entity in spec.entities.items()
        if is_person(entity)
    }


def _referred(spec: WorldSpec, target: str) -> int:
    return sum(
        1
        for name, entity in spec.entities.items()
        if name != target
        and entity.parent is None
        and any(col.references == target for col in entity.columns.values())
    )


def _finds(spec: WorldSpec, entity: str, columns: list[str]) -> int:
    return sum(
        1
        for tool in spec.tools.values()
        if tool.access == "read"
        and tool.entity == entity
        and any(p.column in columns for p in tool.params.values() if p.column)
    )


def _writes(spec: WorldSpec, entity: str) -> int:
    return sum(
        1
        for tool in spec.tools.values()
        if tool.access == "write"
        and any(p.entity == entity and p.role in ("key", "reference") for p in tool.params.values())
    )


def user_entity(spec: WorldSpec) -> str | None:
    """The entity of the world's users (None when the world keeps no people)."""
    found = people(spec)
    if not found:
        return None
    referred = {name: _referred(spec, name) for name in found}
    if any(referred.values()):
        found = {name: cols for name, cols in found.items() if referred[name]}
    order = list(spec.entities)
    return max(
        found,
        key=lambda n: (
            _finds(spec, n, found[n]),
            _writes(spec, n),
            referred[n],
            -order.index(n),
        ),
    )


def _owner_column(spec: WorldSpec, entity: str, user: str) -> str | None:
    """The reference column of ``entity`` on the shortest path to ``user`` (None: no path)."""
    best: tuple[int, int, str] | None = None
    columns = list(spec.entities[entity].columns.items())
    for position, (name, col) in enumerate(columns):
        if col.references is None or col.references == entity:
            continue
        hops = _hops(spec, col.references, user, {entity})
        if hops is not None and (best is None or (hops, position) < best[:2]):
            best = (hops, position, name)
    return best[2] if best else None


def _hops(spec: WorldSpec, entity: str, user: str, seen: set[str]) -> int | None:
    if entity == user:
        return 0
    if len(seen) >= MAX_HOPS or entity in seen:
        return None
    current = spec.entities.get(entity)
    if current is None or current.parent is not None:
        return None
    found = [
        _hops(spec, col.references, user, seen | {entity})
        for col in current.columns.values()
        if col.references is not None and col.references != entity
    ]
    reached = [h for h in found if h is not None]
    return 1 + min(reached) if reached else None


def with_users(spec: WorldSpec) -> WorldSpec:
    """``spec`` with its user entity and every entity's owner filled in (what it already says
    is kept)."""
    user = spec.user if spec.user is not None else user_entity(spec)
    if user is None:
        return spec
    entities = {}
    for name, entity in spec.entities.items():
        if entity.owner is None and entity.parent is None and name != user:
            owner = _owner_column(spec, name, user)
            if owner is not None:
                entity = entity.model_copy(update={"owner": owner})
        entities[name] = entity
    return spec.model_copy(update={"user": user, "entities": entities})

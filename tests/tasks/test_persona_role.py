"""The user of a task is named by what they are to the service, never by a record's name."""

from __future__ import annotations

import re

from agentscaler.jsonl import read_records
from agentscaler.records import Task
from agentscaler.records.world import Column, Table
from agentscaler.tasks.persona import role_of


def _table(name: str, entity: str, *columns: str) -> Table:
    return Table(
        name=name,
        entity=entity,
        primary_key=f"{entity}_id",
        columns=(
            Column(name=f"{entity}_id", type="TEXT", primary_key=True),
            *(Column(name=c, type="TEXT") for c in columns),
        ),
    )


def test_a_people_table_names_its_rows_by_its_entity():
    assert role_of(_table("customers", "customer", "name"), "name") == "customer"
    assert role_of(_table("pet_owners", "pet_owner", "owner_name"), "owner_name") == "pet owner"
    assert role_of(_table("patients", "patient", "full_name"), "full_name") == "patient"


def test_a_record_carrying_a_person_names_them_by_the_role_its_column_states():
    shipments = _table("shipments", "shipment", "recipient_name")
    assert role_of(shipments, "recipient_name") == "recipient"
    bookings = _table("cinema_bookings", "cinema_booking", "customer_name")
    assert role_of(bookings, "customer_name") == "customer"


def test_the_person_of_a_held_record_is_its_holder():
    accounts = _table("service_accounts", "service_account", "holder_name")
    assert role_of(accounts, "holder_name") == "service account holder"
    parking = _table("parking_accounts", "parking_account", "full_name")
    assert role_of(parking, "full_name") == "parking account holder"


def test_no_builtin_task_makes_its_user_a_record(sampled_builtin):
    workspace, _ = sampled_builtin
    tasks = list(read_records(workspace.tasks, Task))
    entities = {t.persona.entity for t in tasks if t.persona is not None}
    assert entities, "the built-in tasks name no user"
    records = {"shipment", "cinema booking", "parking account", "service account", "booking"}
    assert not entities & records, sorted(entities & records)
    texts = [t.intent for t in tasks if t.persona and t.persona.table == "shipments"]
    assert texts, "no built-in task is about a shipment's recipient"
    assert all(", a recipient." in text for text in texts), texts[:2]


def test_users_name_their_own_record_in_the_first_person(sampled_builtin):
    """ "change my meal preference", never "change the meal preference of my passenger"; the
    scenario tells it to the user in the second person ("change your meal preference")."""
    workspace, _ = sampled_builtin
    tasks = [t for t in read_records(workspace.tasks, Task) if t.persona is not None]
    third_person = [
        g.request
        for t in tasks
        for g in t.goals
        if re.search(
            rf"\bof my {re.escape(t.persona.entity)}\b(?! (?:from|with)\b)",
            re.sub(r'"[^"]*"', "", g.request),  # the words of the request, not a quoted value
        )
    ]
    assert not third_person, third_person[:3]
    first_person = [
        g.request
        for t in tasks
        for g in t.goals
        if re.search(r"\b(?:change|check|update) my ", g.request)
    ]
    assert len(first_person) >= 50, len(first_person)
    unquoted = []
    for task in tasks:  # the words the scenario says, without the values it quotes
        text = re.sub(r'"[^"]*"', "", task.intent)
        for value in sorted((str(f.value) for f in task.user_facts), key=len, reverse=True):
            text = text.replace(value, "")
        unquoted.append(text)
    mixed = [text for text in unquoted if re.search(r"\b(?:my|me|I)\b", text)]
    assert not mixed, mixed[:3]
    assert sum(bool(re.search(r"\b(?:change|check|update) your ", text)) for text in unquoted) >= 50


def test_a_start_and_its_end_are_said_together(sampled_builtin):
    """ "book a room from 2025-06-01 to 2025-06-05", not "with check out date 2025-06-05 and
    check in date 2025-06-01" (alphabetical, the end first)."""
    workspace, _ = sampled_builtin
    tasks = read_records(workspace.tasks, Task)
    spans = [
        t.intent
        for t in tasks
        if re.search(r"\bfrom \S+ to \S+", t.intent) and "check in date" not in t.intent
    ]
    assert len(spans) >= 20, len(spans)
    apart = [
        t.intent
        for t in tasks
        if re.search(r"\bwith [^.;]*check (?:in|out) date [^.;]*check (?:in|out) date", t.intent)
    ]
    assert not apart, apart[:3]


def test_no_user_asks_for_a_decision_the_service_makes(sampled_builtin):
    """A customer does not ask to approve their own return, nor an employee their own leave:
    writes named for the service's decisions are no task's call."""
    from agentscaler.tasks.walks import DECISIONS

    workspace, _ = sampled_builtin
    tasks = list(read_records(workspace.tasks, Task))
    decided = [
        (t.id, call.name)
        for t in tasks
        for call in t.gold_calls
        if call.name.split("_")[0] in DECISIONS
    ]
    assert not decided, decided[:5]
    assert len(tasks) >= 1000


def test_a_record_told_by_a_due_or_end_date_is_not_said_from_it(sampled_builtin):
    """ "pay my invoice due on 2025-09-11", "my subscription ending on ...": a record told
    apart by a date that is not when it happened is not "my invoice from" a day to come."""
    workspace, _ = sampled_builtin
    said = {"due date": "due on", "expiration date": "expiring on", "end date": "ending on"}
    checked = told = wrong = 0
    for task in read_records(workspace.tasks, Task):
        for fact in task.user_facts:
            field = fact.description.rpartition(": its ")[2]
            words = next((w for k, w in said.items() if field.endswith(k)), None)
            if words is None or not fact.description.startswith("tells which"):
                continue
            checked += 1
            told += f"{words} {fact.value}" in task.intent
            wrong += f"from {fact.value}" in task.intent
    assert checked >= 5 and told >= 3, (checked, told)
    assert wrong == 0, wrong

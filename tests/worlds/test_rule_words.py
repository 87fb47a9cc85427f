"""Rules read from words that name groups of states ("open", "closed", "decided") and from
sentences about the rows that depend on the acted-on one."""

from __future__ import annotations

from agentscaler.records import ToolSpec
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.infer.rules.lifecycle import group_values, is_state_adjective

DEAL = ["qualification", "proposal", "closed_won", "closed_lost"]
REFILL = ["requested", "processing", "ready", "completed", "cancelled"]
VISA = ["draft", "submitted", "approved", "refused", "withdrawn"]


def test_group_words_name_the_states_their_column_spells():
    assert group_values("open", DEAL) == ["qualification", "proposal"]
    assert group_values("closed", DEAL) == ["closed_won", "closed_lost"]
    assert group_values("open", REFILL) == ["requested", "processing", "ready"]
    assert group_values("decided", VISA) == ["approved", "refused"]
    # a word that is one of the values names that value, not a group
    assert group_values("open", ["open", "in_progress", "done"]) == []
    # a group that would be every value, or none, names nothing
    assert group_values("closed", ["active", "paused"]) == []


def test_open_as_a_verb_is_no_state():
    assert is_state_adjective("open refills must be cancelled first".split(), 0)
    assert is_state_adjective("hand an open deal over".split(), 2)
    assert not is_state_adjective("open a ticket for the customer".split(), 0)


def _tool(name: str, description: str, **properties) -> ToolSpec:
    return ToolSpec.create(
        name=name,
        description=description,
        parameters={"type": "object", "properties": properties, "required": list(properties)},
    )


def _library() -> list[ToolSpec]:
    member_id = {"type": "string", "description": "The member."}
    loan_id = {"type": "string", "description": "The loan."}
    return [
        _tool("get_member", "Get a library member.", member_id=member_id),
        _tool(
            "get_loan",
            "Get a loan. Loan status is one of active, overdue, returned.",
            loan_id=loan_id,
        ),
        _tool(
            "create_loan",
            "Lend a book to a member.",
            member_id=member_id,
            book_title={"type": "string", "description": "Title."},
            status={"type": "string", "enum": ["active", "overdue", "returned"]},
        ),
        _tool(
            "close_member_account",
            "Close a member's account. Members with an overdue loan cannot be closed.",
            member_id=member_id,
        ),
    ]


def test_dependent_rows_in_a_blocking_state_refuse_the_call():
    world = compile_world("d-library", "library", _library())
    rules = world.spec.tools["close_member_account"].requires
    dependents = [r for r in rules if "exists(" in r.check]
    assert len(dependents) == 1, [r.check for r in rules]
    assert dependents[0].check == (
        "not exists(\"loan\", member_id=member.member_id, status='overdue')"
    )
    assert dependents[0].source == "Members with an overdue loan cannot be closed."


def test_a_result_that_is_the_keyed_record_makes_an_update_not_a_new_table():
    """generate_return_label(return_id) -> {return_id, label_url, status}: the label link is set
    on the return; no return_label table appears."""
    return_id = {"type": "string", "description": "Return number."}
    tools = [
        _tool("get_return", "Get a return.", return_id=return_id),
        ToolSpec.create(
            name="generate_return_label",
            description="Generate a prepaid return label for an approved return.",
            parameters={
                "type": "object",
                "properties": {"return_id": return_id, "carrier": {"type": "string"}},
                "required": ["return_id", "carrier"],
            },
            returns={
                "type": "object",
                "properties": {
                    "return_id": {"type": "string"},
                    "label_url": {"type": "string"},
                    "status": {"type": "string", "enum": ["approved", "received"]},
                },
            },
        ),
    ]
    world = compile_world("d-returns", "returns", tools)
    tool = world.spec.tools["generate_return_label"]
    assert (tool.kind, tool.entity) == ("update", "return")
    assert "return_label" not in world.spec.entities

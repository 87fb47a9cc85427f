"""Schema inference and tool bindings from names and schemas alone."""

from __future__ import annotations

from agentscaler.records import ToolSpec
from agentscaler.worlds.codegen.ddl import schema_sql
from agentscaler.worlds.infer.entities import infer_schema
from agentscaler.worlds.seeding.seed import empty_database


def _binding(world, name):
    binding = world.world.binding(name)
    assert binding is not None, name
    return binding


def test_entities_keys_and_relations_from_identifiers(shop):
    orders = shop.world.table("orders")
    customers = shop.world.table("customers")
    assert orders is not None and customers is not None
    assert orders.primary_key == "order_id"
    assert (orders.id_prefix, orders.id_width) == ("ORD-", 6)
    assert orders.column("customer_id").references == "customers"
    assert any(r.table == "orders" and r.ref_table == "customers" for r in shop.world.relations)
    assert "customer_id" in orders.indexes
    # a list of objects becomes child rows keyed to their parent; other nested values JSON
    items = shop.world.table("order_items")
    assert orders.column("items") is None and items is not None
    assert (items.parent, items.parent_column, items.parent_field) == (
        "orders",
        "order_id",
        "items",
    )
    assert items.column("order_id").references == "orders"
    assert orders.column("shipping_address") is not None
    assert customers.column("email").semantic == "email"
    assert customers.column("full_name").semantic == "person_name"
    assert customers.column("vip").type == "BOOLEAN"


def test_operations_follow_verbs_nouns_and_identifiers(shop):
    expected = {
        "search_orders": ("read", "search", "orders"),
        "get_order": ("read", "get", "orders"),
        "create_order": ("write", "create", "orders"),
        "cancel_order": ("write", "transition", "orders"),
        "update_shipping_address": ("write", "update", "orders"),
        "update_customer_email": ("write", "update", "customers"),
        # no formula fits: a lookup table of its own, keyed by its inputs
        "calculate_shipping_cost": ("read", "get", "calculate_shipping_cost_results"),
    }
    for name, (kind, operation, table) in expected.items():
        binding = _binding(shop, name)
        assert (binding.kind, binding.operation, binding.table) == (kind, operation, table), name
    search = _binding(shop, "search_orders")
    roles = {p.name: (p.role, p.column) for p in search.params}
    assert roles["placed_from"] == ("min", "placed")
    assert roles["placed_to"] == ("max", "placed")
    assert roles["min_total"] == ("min", "total")
    assert roles["limit"] == ("limit", None)
    assert roles["customer_id"][0] == "filter"
    assert not _binding(shop, "calculate_shipping_cost").fallback
    lookup = {p.name: (p.role, p.column) for p in _binding(shop, "calculate_shipping_cost").params}
    assert lookup == {
        "weight_kg": ("filter", "weight_kg"),
        "destination_country": ("filter", "destination_country"),
    }


def test_transition_preconditions_come_from_the_description(shop):
    cancel = _binding(shop, "cancel_order")
    assert cancel.to_status == "cancelled"
    assert set(cancel.from_status) == {"pending", "processing"}
    update = _binding(shop, "update_shipping_address")
    assert update.from_status == ("pending",)


def test_integer_ids_updates_object_and_bare_id_results(helpdesk):
    tickets = helpdesk.world.table("tickets")
    assert tickets.key_column.type == "INTEGER"
    edit = _binding(helpdesk, "edit_ticket")
    assert edit.operation == "update"
    assert edit.param("updates").role == "fields"
    close = _binding(helpdesk, "close_ticket")
    assert (close.operation, close.to_status) == ("transition", "closed")
    assert tickets.column("status") is not None


def test_tools_without_entities(notes):
    assert _binding(notes, "send_email").operation == "create"
    assert _binding(notes, "list_emails").operation == "search"
    assert _binding(notes, "math_factorial").operation == "compute"
    weather = _binding(notes, "get_weather")
    assert (weather.operation, weather.table) == ("get", "weathers")
    assert weather.key_param is None  # a lookup by the city


def test_schema_sql_loads_and_is_strict(shop):
    sql = schema_sql(shop.world)
    assert "STRICT, WITHOUT ROWID" in sql
    assert 'CREATE INDEX "idx_orders_customer_id"' in sql
    conn = empty_database(shop.world)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {t.name for t in shop.world.tables}


def test_conflicting_id_types_keep_ids_usable_by_every_tool():
    params_int = {
        "type": "object",
        "properties": {"patient_id": {"type": "integer"}},
        "required": ["patient_id"],
    }
    params_str = {
        "type": "object",
        "properties": {"patient_id": {"type": "string"}},
        "required": ["patient_id"],
    }
    tools = [
        ToolSpec.create(name="get_patient", description="Get a patient.", parameters=params_int),
        ToolSpec.create(
            name="delete_patient", description="Delete a patient.", parameters=params_str
        ),
    ]
    plan = infer_schema(tools)
    patients = next(t for t in plan.tables if t.name == "patients")
    assert patients.key_column.type == "TEXT"
    assert patients.id_prefix == ""  # all digits, so integer callers can name every id


def test_weird_parameter_names_become_safe_python(notes):
    tools = [
        ToolSpec.create(
            name="book-room",
            description="Book a room.",
            parameters={
                "type": "object",
                "properties": {
                    "from": {"type": "string"},
                    "type": {"type": "string"},
                    "_hidden": {"type": "string"},
                    "2fa": {"type": "string"},
                },
                "required": ["from"],
            },
        )
    ]
    from agentscaler.worlds.compiler import compile_world

    world = compile_world("d-x", "x", tools)
    env = world.make_env()
    result = env.call("book-room", **{"from": "A", "type": "B", "_hidden": "C", "2fa": "D"})
    assert result.ok, result.observation
    row = result.changes[0].new
    assert (row["from"], row["type"], row["hidden"], row["n_2_fa"]) == ("A", "B", "C", "D")


def test_tools_sharing_a_name_are_left_out_and_recorded():
    from agentscaler.worlds.compiler import compile_world

    params = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    first = ToolSpec.create(name="get_weather", description="Weather now.", parameters=params)
    second = ToolSpec.create(
        name="get_weather", description="Weather, other source.", parameters=params
    )
    world = compile_world("d-w", "weather", [first, second])
    assert [b.tool_id for b in world.world.tools] == [first.id]
    assert world.world.left_out == (second.id,)

"""Small tool pools built in code for the graph tests."""

from __future__ import annotations

from typing import Any

import pytest

from agentscaler.records import ToolSpec


def tool(
    name: str,
    params: dict[str, str | dict[str, Any]] | None = None,
    *,
    description: str = "",
    returns: dict[str, Any] | None = None,
    tags: tuple[str, ...] = (),
) -> ToolSpec:
    """A ToolSpec with string-typed parameters (or full property schemas)."""
    properties = {
        key: value if isinstance(value, dict) else {"type": "string", "description": value}
        for key, value in (params or {}).items()
    }
    return ToolSpec.create(
        name=name,
        description=description or name.replace("_", " "),
        parameters={"type": "object", "properties": properties, "required": list(properties)},
        returns=returns,
        tags=tags,
    )


ORDER_TOOLS = [
    tool(
        "search_orders",
        {"customer_email": "email of the customer who placed the orders"},
        description="Search the orders of a customer.",
        returns={
            "type": "object",
            "properties": {
                "orders": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "order_id": {"type": "string"},
                            "status": {"type": "string"},
                        },
                    },
                }
            },
        },
    ),
    tool("get_order", {"order_id": "id of the order"}, description="Get one order."),
    tool(
        "cancel_order",
        {"order_id": "id of the order to cancel", "reason": "why the order is cancelled"},
        description="Cancel an order.",
    ),
    tool(
        "refund_order",
        {"order_id": "id of the order to refund", "amount": {"type": "number"}},
        description="Refund an order.",
    ),
]

WEATHER_TOOLS = [
    tool("get_forecast", {"city": "city name", "days": {"type": "integer"}}),
    tool("get_current_weather", {"city": "city name", "units": "celsius or fahrenheit"}),
    tool("get_weather_alerts", {"city": "city name", "severity": "minimum alert severity"}),
]

FILE_TOOLS = [
    tool("list_files", {"folder_path": "folder to list", "pattern": "glob pattern of file names"}),
    tool("read_file", {"file_path": "path of the file to read"}),
    tool("delete_file", {"file_path": "path of the file to delete"}),
    tool("move_file", {"file_path": "path of the file", "target_folder_path": "folder to move to"}),
]


@pytest.fixture
def pool() -> list[ToolSpec]:
    """Three obvious APIs: orders, weather, files."""
    return [*ORDER_TOOLS, *WEATHER_TOOLS, *FILE_TOOLS]

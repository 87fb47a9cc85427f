"""Plausible amounts of money: what a column prices (an hourly or nightly rate, a ticket, a fee, a
salary, a balance) in the service it belongs to (parking costs a few dollars an hour, a
plumber fifty to a hundred and fifty).

:data:`BY_SERVICE` is looked up first, by the world's name and the table's name together with
the column's name; :data:`BY_WHAT` then by the column's name alone. The ranges are in the
world's main currency units (dollars, euros, pounds), the amounts of a typical consumer service
in 2024-2026.
"""

from __future__ import annotations

import re
from functools import cache

Range = tuple[float, float]

BY_SERVICE: tuple[tuple[str, str, Range], ...] = (
    # (service: world or table name, column, range)
    (r"parking|garage", r"hourly|per_hour|rate", (1.5, 8)),
    (r"parking|garage", r"daily|per_day", (10, 45)),
    (r"parking|garage", r"wallet|balance", (0, 200)),
    (r"parking|garage|citation", r"^amount$|fine", (25, 150)),
    (r"parking|garage", r"fee", (2, 60)),
    (r"gym|trainer|fitness", r"hourly|rate", (40, 120)),
    (r"gym|member|fitness", r"monthly", (20, 120)),
    (r"gym|training_session|fitness", r"price", (30, 120)),
    (r"home_service|service_pro|estimate_job", r"hourly|rate", (40, 150)),
    (r"home_service|quote|service_job|estimate_job", r"price|cost", (80, 2500)),
    (r"pet_care|boarding", r"night", (25, 90)),
    (r"pet_care|pet_appointment", r"price", (30, 150)),
    (r"hotel|room|reservation|estimate_city_tax", r"night|rate", (70, 450)),
    (r"hotel|reservation", r"total", (70, 2500)),
    (r"hotel|estimate_city_tax", r"tax", (1, 60)),
    (r"car_rental|cars|rental", r"daily|rate", (25, 150)),
    (r"car_rental|rental|quote", r"total", (40, 1500)),
    (r"airline|flight", r"bag", (0, 120)),
    (r"airline|flight", r"price|fare", (60, 1200)),
    (r"airline|flight", r"total", (60, 2500)),
    (r"rail|train", r"season", (50, 400)),
    (r"rail|train", r"price|fare", (10, 250)),
    (r"real_estate|listing|offer|buyer", r"price|amount|budget", (80_000, 2_000_000)),
    (r"crm|deal", r"^amount$", (1_000, 250_000)),
    (r"insurance|polic|claim|payout", r"premium", (300, 3_000)),
    (r"insurance|claim|payout", r"approved|payout|amount", (200, 20_000)),
    (r"telecom|plan|invoice|roaming", r"monthly|amount_due", (15, 120)),
    (r"telecom|roaming", r"cost", (1, 80)),
    (r"streaming|subscription", r"monthly|price", (5, 25)),
    (r"utilit|bill|service_account", r"balance", (0, 600)),
    (r"utilit|bill", r"amount", (30, 300)),
    (r"library|fine|patron", r"amount|owed|fine", (0.25, 12)),
    (r"course", r"price", (20, 400)),
    (r"movie|cinema|screening|showtime", r"ticket|price", (8, 20)),
    (r"movie|cinema", r"total", (8, 90)),
    (r"event|ticket", r"price", (15, 250)),
    (r"food_delivery|order_issue", r"credit", (2, 40)),
    (r"food_delivery|food_order|merchant|restaurant", r"delivery_fee|service_fee", (0.99, 7.99)),
    (r"ride|fare", r"fare|price", (8, 70)),
    (r"shipping|shipment", r"declared|value", (10, 2_000)),
    (r"shipping|shipment|shipping_rate", r"price|cost", (5, 80)),
    (r"smart_home|energy", r"cost", (1, 60)),
    (r"visa", r"fee", (20, 200)),
    (r"pharmacy|medication|refill|copay", r"copay", (0, 60)),
    (r"dish|menu_item|meal|drink|food_item|snack", r"price", (4, 35)),
    (r"medication|drug", r"price", (3, 120)),
    (r"book|title", r"price", (5, 60)),
)
"""Amounts of a service: ``(world or table name, column name, range)`` patterns."""

BY_WHAT: tuple[tuple[str, Range], ...] = (
    (r"(^|_)tip(_|$)", (0, 20)),
    (r"salary|annual_pay|wage", (30_000, 180_000)),
    (r"revenue", (100_000, 50_000_000)),
    (r"hourly|per_hour", (15, 120)),
    (r"nightly|per_night", (60, 400)),
    (r"daily_rate|per_day|day_rate", (25, 150)),
    (r"annual_premium|yearly", (300, 3_000)),
    (r"monthly", (10, 120)),
    (r"ticket_price|admission", (8, 150)),
    (r"citation|fine", (20, 150)),
)
"""Amounts by what they price, in any service: ``(column name, range)`` patterns."""

_MONEY = re.compile(
    r"(price|fee|rate|cost|amount|fare|salary|balance|total|tip|charge|rent|premium|deductible|"
    r"budget|deposit|tax|discount|income|wage|bill|subtotal|refund|owed|copay|revenue|payout|"
    r"credit|value|limit)"
)
_NOT_MONEY = re.compile(
    r"(miles|points|multiplier|percent|rating|_count|reading|interest_rate|level|_id$|time|"
    r"minutes|seconds|hours|days|duration)"
)


def is_money(column: str) -> bool:
    """Whether a number column of this name holds an amount of money."""
    return bool(_MONEY.search(column)) and not _NOT_MONEY.search(column)


@cache
def _service_rules() -> tuple[tuple[re.Pattern[str], re.Pattern[str], Range], ...]:
    return tuple((re.compile(s), re.compile(c), span) for s, c, span in BY_SERVICE)


@cache
def _what_rules() -> tuple[tuple[re.Pattern[str], Range], ...]:
    return tuple((re.compile(c), span) for c, span in BY_WHAT)


def compile_rules() -> None:
    """Compile the patterns of the price rules now (once per process)."""
    _service_rules()
    _what_rules()


@cache
def money_range(column: str, table: str = "", world: str = "") -> Range | None:
    """The plausible range of an amount column ``column`` of ``table`` in the world named
    ``world`` (None: no documented range; the column's name range applies)."""
    services, what = _column_rules(column)
    if services:
        where = f"{world} {table}"
        for service, span in services:
            if service.search(where):
                return span
    return what


@cache
def _column_rules(column: str) -> tuple[tuple[tuple[re.Pattern[str], Range], ...], Range | None]:
    """The service rules whose column pattern names ``column`` (in order) and its range by what
    it prices alone, read once per column name (the service decides among the first)."""
    if not is_money(column):
        return (), None
    services = tuple(
        (service, span) for service, pattern, span in _service_rules() if pattern.search(column)
    )
    what = next((span for pattern, span in _what_rules() if pattern.search(column)), None)
    return services, what

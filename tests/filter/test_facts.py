"""When a reply says a value: text, enum words, numbers and ISO times."""

from __future__ import annotations

import pytest

from agentscaler.filter.facts import said


@pytest.mark.parametrize(
    ("value", "text", "expected"),
    [
        ("cancelled", "Your order is now Cancelled.", True),
        ("changed_mind", "The reason is changed mind.", True),
        ("shipped", "It is on its way.", False),
        (1234.5, "The refund is $1,234.50.", True),
        (1234.5, "The refund is $1,234.60.", False),
        (7, "You have 17 items.", False),
        (7, "You have 7 items.", True),
        ("2024-09-19T09:00:00Z", "It arrives on 2024-09-19 at 09:00 UTC.", True),
        ("2024-09-19T09:00:00Z", "It arrives on 2024-09-19.", False),
        ("BK-1", "Your booking BK-12 is confirmed.", False),
        ("BK-1", "Your booking (BK-1) is confirmed.", True),
    ],
)
def test_said(value, text, expected):
    assert said(value, [text]) is expected

"""Tool names are made valid for OpenAI-compatible servers, distinct, and idempotent."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentscaler.ingest import import_sources, openai_name

VALID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@pytest.mark.parametrize("name", ["get_weather", "Get-Weather-2", "x", "a" * 64, "__init__"])
def test_valid_names_are_kept(name):
    assert openai_name(name) == name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("math.sqrt", "math_sqrt"),
        ("GeometryPresentation.createPresentation", "GeometryPresentation_createPresentation"),
        ("get weather now", "get_weather_now"),
        ("  padded name ", "padded_name"),
        ("a..b//c", "a_b_c"),
        ("café.order", "cafe_order"),
    ],
)
def test_dots_spaces_and_accents(name, expected):
    assert openai_name(name) == expected


def test_unicode_letters_that_cannot_be_folded_get_a_distinct_hash():
    first, second = openai_name("天气查询"), openai_name("订单查询")
    assert VALID.match(first) and VALID.match(second)
    assert first != second
    mixed = openai_name("获取_weather")
    assert VALID.match(mixed) and mixed.startswith("weather_")


def test_long_names_are_shortened_with_a_hash_and_stay_distinct():
    base = "very_long_tool_name_" * 5
    first, second = openai_name(base + "alpha"), openai_name(base + "beta")
    assert len(first) <= 64 and len(second) <= 64
    assert VALID.match(first) and VALID.match(second)
    assert first != second
    assert first[:40] == base[:40]


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=120))
def test_any_text_gives_a_valid_stable_name(name):
    result = openai_name(name)
    assert VALID.match(result)
    assert openai_name(result) == result


def test_original_name_is_kept_in_provenance(write, make_tool):
    names = ["weather.get", "find flights", "天气查询", "n" * 80]
    path = write("tools.json", [make_tool(n, city=None) for n in names])
    result = import_sources([str(path)])
    assert [t.provenance[0].original_name for t in result.tools] == names
    assert all(VALID.match(t.name) for t in result.tools)
    assert result.tools[0].name == "weather_get"
    assert result.tools[1].name == "find_flights"

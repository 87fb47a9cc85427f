"""Strings drawn for id and code patterns match them, deterministically."""

from __future__ import annotations

import random
import re

import pytest

from agentscaler.worlds.seeding.patterns import compile_pattern, draw

PATTERNS = [
    r"^ORD-\d{6}$",
    r"[A-Z]{2}\d{4}",
    r"^\+?[0-9]{7,15}$",
    r"^(0[1-9]|1[0-2])/[0-9]{2}$",
    r"^[0-9]{4}-(0[1-9]|1[0-2])$",
    r"^[A-Za-z0-9._-]{1,120}\.(pdf|jpg|jpeg|png)$",
    r"^(ab){2,3}c?$",
    r"^\w+@\w+\.com$",
    r"^[a-f0-9]{8}-[a-f0-9]{4}$",
    r"^.{3,5}$",
    r"^[^a-z]{4}$",
    r"^(a|b)c\1$",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_drawn_strings_match(pattern):
    rng = random.Random(7)
    for _ in range(300):
        value = draw(pattern, rng)
        assert value is not None and re.fullmatch(pattern.strip("^$"), value), (pattern, value)


def test_simple_patterns_are_compiled_and_others_fall_back():
    assert compile_pattern(r"^ORD-\d{6}$") is not None
    assert compile_pattern(r"^(0[1-9]|1[0-2])/[0-9]{2}$") is not None
    assert compile_pattern(r"^(a|b)c\1$") is None  # backreference: rstr draws it
    assert compile_pattern(r"^[^a-z]{4}$") is None  # negated class: rstr draws it


def test_same_seed_same_strings_and_bad_patterns_give_none():
    a = [draw(r"^[A-Z]{3}-\d{4}$", random.Random(3)) for _ in range(5)]
    b = [draw(r"^[A-Z]{3}-\d{4}$", random.Random(3)) for _ in range(5)]
    assert a == b
    assert draw("([unclosed", random.Random(0)) is None

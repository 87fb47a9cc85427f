"""Retry policy: Retry-After parsing, backoff growth and caps, status classification."""

from __future__ import annotations

import email.utils
import random

import pytest

from agentscaler.llm import LLMConfig
from agentscaler.llm.retry import backoff_delay, classify_status, parse_retry_after


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "garbage"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_parse_retry_after(headers, expected):
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date():
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after({"retry-after": header}, now=now) == pytest.approx(30.0)


def test_backoff_grows_exponentially_with_jitter_and_cap():
    cfg = LLMConfig(backoff_base_s=0.5, backoff_max_s=4.0)
    rng = random.Random(0)
    for retry, nominal in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (9, 4.0)]:
        delays = [backoff_delay(retry, cfg, None, rng) for _ in range(200)]
        assert all(nominal * 0.5 <= d <= nominal for d in delays)
        assert max(delays) - min(delays) > nominal * 0.3  # jittered, not constant


def test_backoff_never_undercuts_retry_after_but_caps_it():
    cfg = LLMConfig(backoff_base_s=0.01, backoff_max_s=0.01, retry_after_max_s=5.0)
    rng = random.Random(1)
    assert backoff_delay(1, cfg, 2.0, rng) == 2.0
    assert backoff_delay(1, cfg, 60.0, rng) == 5.0
    big = LLMConfig(backoff_base_s=8.0, backoff_max_s=8.0)
    assert backoff_delay(1, big, 0.5, rng) >= 4.0  # a longer backoff stands


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (429, "rate_limited", True),
        (408, "timeout", True),
        (500, "server", True),
        (502, "server", True),
        (503, "server", True),
        (504, "server", True),
        (400, "rejected", False),
        (401, "rejected", False),
        (403, "rejected", False),
        (404, "rejected", False),
        (413, "rejected", False),
        (422, "rejected", False),
    ],
)
def test_classify_status(status, kind, retryable):
    failure = classify_status(status, {}, {"error": {"message": "why"}})
    assert (failure.kind, failure.retryable, failure.status, failure.detail) == (
        kind,
        retryable,
        status,
        "why",
    )


def test_classify_status_reads_text_bodies_and_retry_after():
    failure = classify_status(503, {"retry-after": "4"}, b"upstream overloaded\n")
    assert failure.detail == "upstream overloaded" and failure.retry_after_s == 4.0

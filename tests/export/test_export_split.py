"""Held-out choice by task-id hash, and stage-2 domain selection by id, name or keyword."""

from __future__ import annotations

import pytest

from agentscaler.errors import ConfigError
from agentscaler.export.split import is_heldout, resolve_stage2_domains, splits_of
from agentscaler.records import Domain, DomainStats

TASKS = [f"task-{i:05d}" for i in range(4000)]


def test_heldout_share_follows_the_fraction():
    for fraction in (0.05, 0.3):
        share = sum(is_heldout(t, fraction, seed=0) for t in TASKS) / len(TASKS)
        # binomial standard deviation is below 0.008 here; allow 4 of them
        assert abs(share - fraction) < 0.032


def test_heldout_choice_is_per_task_and_seeded():
    chosen = {t for t in TASKS if is_heldout(t, 0.2, seed=1)}
    # adding tasks never moves existing ones
    more = TASKS + [f"extra-{i}" for i in range(500)]
    assert {t for t in more if is_heldout(t, 0.2, seed=1)} & set(TASKS) == chosen
    # a larger fraction only adds tasks
    assert chosen <= {t for t in TASKS if is_heldout(t, 0.4, seed=1)}
    # another seed chooses other tasks
    assert chosen != {t for t in TASKS if is_heldout(t, 0.2, seed=2)}
    assert not any(is_heldout(t, 0.0, seed=1) for t in TASKS)


def test_splits_of():
    stage2 = frozenset({"d2"})
    assert splits_of(heldout=True, domain_id="d2", stage2_domains=stage2) == ("heldout",)
    assert splits_of(heldout=False, domain_id="d2", stage2_domains=stage2) == ("stage1", "stage2")
    assert splits_of(heldout=False, domain_id="d1", stage2_domains=stage2) == ("stage1",)


def _domain(id_: str, name: str, terms: tuple[str, ...]) -> Domain:
    stats = DomainStats(
        size=1,
        reads=1,
        writes=0,
        internal_similarity_edges=0,
        dependency_edges=0,
        mean_similarity=0.0,
    )
    return Domain(id=id_, name=name, terms=terms, members=(), stats=stats)


DOMAINS = [
    _domain("d0001-order-refund", "order refund", ("orders", "refunds", "returns")),
    _domain("d0002-flight-booking", "flight booking", ("flights", "seats")),
    _domain("d0003-hotel-booking", "hotel booking", ("hotels", "酒店")),
    _domain("d0004-weather", "weather forecast", ("weather",)),
]


def test_keywords_select_by_id_name_and_terms():
    selected = resolve_stage2_domains(
        ["d0004-weather", "Flight Booking", "refund", "booking", "seat", "酒店"], DOMAINS
    )
    assert selected == {
        "d0004-weather": ("d0004-weather",),
        "Flight Booking": ("d0002-flight-booking",),
        "refund": ("d0001-order-refund",),
        "booking": ("d0002-flight-booking", "d0003-hotel-booking"),
        "seat": ("d0002-flight-booking",),
        "酒店": ("d0003-hotel-booking",),
    }


def test_multi_word_keyword_needs_every_word():
    assert resolve_stage2_domains(["hotel bookings"], DOMAINS) == {
        "hotel bookings": ("d0003-hotel-booking",)
    }
    with pytest.raises(ConfigError):
        resolve_stage2_domains(["hotel weather"], DOMAINS)


def test_keyword_matching_nothing_lists_the_domains():
    with pytest.raises(ConfigError) as info:
        resolve_stage2_domains(["insurance"], DOMAINS)
    message = str(info.value)
    assert "'insurance'" in message
    for domain in DOMAINS:
        assert f"{domain.id} ({domain.name})" in message

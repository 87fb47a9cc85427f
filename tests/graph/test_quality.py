"""Labeled sets from public benchmark data, and the quality of recovered domains on them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from agentscaler.graph import GraphConfig, discover_domains, make_embedder
from agentscaler.graph.discover import prepare_tools, tool_vectors
from agentscaler.graph.quality import (
    BFCL_CLASSES,
    acebench_classes,
    acebench_set,
    bfcl_set,
    nearest_neighbour_ceiling,
    score,
    score_discovery,
    strip_bfcl_preamble,
)


@pytest.fixture
def external_root(external) -> Path:
    return external("bfcl/multi_turn_func_doc").parents[1]


def test_score_extremes():
    labels = ["a", "a", "b", "b"]
    assert score(labels, [[0, 1], [2, 3]]) == pytest.approx((1.0, 1.0))
    nmi, ari = score(labels, [[0, 2], [1, 3]])
    assert nmi == pytest.approx(0.0, abs=1e-9) and ari < 0.01


def _unit(rows):
    matrix = np.asarray(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_nearest_neighbour_ceiling_reads_the_class_of_the_most_similar_other_tool():
    # two tight pairs: each tool's nearest other tool is its partner (never itself)
    vectors = _unit([[1, 0.1], [1, 0.0], [0.0, 1], [0.1, 1]])
    assert nearest_neighbour_ceiling(["a", "a", "b", "b"], vectors) == pytest.approx((1.0, 1.0))
    # the third tool sits next to a tool of the other class: it is guessed wrong, and the
    # guessed partition merges it with that class
    vectors = _unit([[1, 0.0], [1, 0.05], [1, 0.3], [0.0, 1], [0.1, 1]])
    nmi, accuracy = nearest_neighbour_ceiling(["a", "a", "b", "b", "b"], vectors)
    assert accuracy == pytest.approx(4 / 5)
    assert nmi == pytest.approx(score(["a", "a", "b", "b", "b"], [[0, 1, 2], [3, 4]])[0])
    with pytest.raises(ValueError):
        nearest_neighbour_ceiling(["a"], vectors[:1])


def test_tool_vectors_give_the_similarity_the_edges_use(external_root):
    labeled = bfcl_set(external_root)
    config = GraphConfig(embedder="hash")
    pool, _ = prepare_tools(labeled.tools)
    vectors = tool_vectors(pool, config, make_embedder(config))
    found = discover_domains(labeled.tools, config)
    assert vectors.shape[0] == len(found.tools)
    sims = (vectors[found.edges.src] * vectors[found.edges.dst]).sum(axis=1)
    assert np.allclose(sims, found.edges.weight, atol=1e-5)
    assert (found.edges.weight > config.threshold).all()


def test_preamble_naming_the_class_is_stripped():
    text = (
        "This tool belongs to the ticketing system that is part of a company, which allows users "
        "to create, view, and manage support business tickets. Tool description: Close a ticket."
    )
    assert strip_bfcl_preamble(text) == "Close a ticket."
    assert strip_bfcl_preamble("Close a ticket.") == "Close a ticket."


def test_bfcl_set_has_eight_classes_and_gives_nothing_away(external_root):
    labeled = bfcl_set(external_root)
    assert set(labeled.labels) == set(BFCL_CLASSES)
    assert len(labeled.tools) == len(labeled.labels) > 100
    for tool in labeled.tools:
        assert "belongs to" not in tool.description
        assert tool.id == tool.compute_id(
            tool.name, tool.description, tool.parameters, tool.returns
        )


def test_acebench_classes_follow_the_gold_data(external_root):
    classes = acebench_classes(external_root / "acebench" / "data_en")
    assert classes["reserve_flight"] == classes["cancel_reservation"] == "Travel"
    assert classes["turn_on_wifi"] == classes["login_device"] == "BaseApi"
    assert classes["add_reminder"] == classes["search_reminders"] == "ReminderApi"
    assert classes["send_message"] == "MessageApi"
    assert classes["add_food_delivery_order"] == "FoodPlatform"
    assert "get_products" not in classes  # ambiguous: left out
    labeled = acebench_set(external_root)
    assert Counter(labeled.labels).keys() == {
        "Travel",
        "BaseApi",
        "ReminderApi",
        "MessageApi",
        "FoodPlatform",
    }


def test_hash_embedder_recovers_bfcl_classes_better_than_chance(external_root):
    labeled = bfcl_set(external_root)
    found = discover_domains(labeled.tools, GraphConfig(embedder="hash", units="none"))
    nmi, ari = score_discovery(labeled, found.tools, found.communities)
    assert nmi > 0.5 and ari > 0.3


@pytest.mark.slow
def test_default_settings_on_bfcl(external_root, tmp_path):
    labeled = bfcl_set(external_root)
    found = discover_domains(labeled.tools, GraphConfig(units="none"), graph_dir=tmp_path)
    nmi, _ = score_discovery(labeled, found.tools, found.communities)
    assert nmi > 0.65

"""Decontamination: tools near benchmark tools, intents near benchmark questions."""

from __future__ import annotations

import json

import pytest

from agentscaler.decontam import DecontamConfig, match_tools
from agentscaler.decontam.benchmarks import question_text, read_benchmark, read_questions
from agentscaler.decontam.intents import best_intent_matches, intent_pairs
from agentscaler.decontam.text import coverage, name_key, ngrams, renamed, signature_score
from agentscaler.errors import ConfigError
from agentscaler.graph import HashEmbedder
from agentscaler.records import ToolSpec


def tool(name: str, description: str, *params: str) -> ToolSpec:
    properties = {
        p: {"type": "string", "description": f"the {p.replace('_', ' ')}"} for p in params
    }
    return ToolSpec.create(
        name=name,
        description=description,
        parameters={"type": "object", "properties": properties, "required": list(params)},
    )


BENCHMARK = [
    tool("get_current_weather", "Get the current weather in a given location.", "location", "unit"),
    tool(
        "book_flight", "Book a flight for a passenger on a date.", "origin", "destination", "date"
    ),
    tool("calculate_triangle_area", "Calculate the area of a triangle.", "base", "height"),
]


def test_names_and_signatures_in_normal_form():
    assert name_key("getCurrentWeather") == name_key("get-current-weather") == "get_current_weather"
    same = tool("getCurrentWeather", "Other words entirely.", "Location", "unit")
    assert signature_score(same, BENCHMARK[0])[0] == 1.0
    prefixed = tool("acme_get_current_weather", "x", "location", "unit")
    score, name, params = signature_score(prefixed, BENCHMARK[0])
    assert params == 1.0 and name == pytest.approx(3 / 4) and score == pytest.approx(0.875)
    assert renamed(prefixed, BENCHMARK[0]) and not renamed(BENCHMARK[0], prefixed)
    assert not renamed(tool("get_current_weather_v2", "x", "location"), BENCHMARK[0])
    # tools without parameters are compared by name alone
    assert signature_score(tool("get_hadoop_version", "x"), tool("get_version", "y"))[0] == 2 / 3
    assert not renamed(tool("get_hadoop_version", "x"), tool("get_version", "y"))


def test_copies_are_flagged_and_different_tools_are_not():
    run = [
        tool("get_current_weather", "Weather now.", "location", "unit"),  # exact signature
        tool(
            "getCurrentWeather", "Get the current weather in a given location.", "location", "unit"
        ),
        tool(
            "acme_book_flight",
            "Book a flight for a passenger on a date.",
            "origin",
            "destination",
            "date",
        ),
        tool(
            "calculate_triangle_area_v2",
            "Compute the area of a triangle from its base and height.",
            "base",
            "height",
        ),
        tool(
            "get_weather_alerts", "List severe weather alerts for a region.", "region", "severity"
        ),
        tool("cancel_order", "Cancel an order.", "order_id", "reason"),
    ]
    found = {m.name: m for m in match_tools(run, BENCHMARK, HashEmbedder(256), DecontamConfig())}
    assert found["get_current_weather"].kind == "exact"
    assert found["getCurrentWeather"].kind == "exact"
    assert found["acme_book_flight"].kind == "renamed"
    assert found["acme_book_flight"].benchmark_name == "book_flight"
    assert found["calculate_triangle_area_v2"].benchmark_name == "calculate_triangle_area"
    assert "get_weather_alerts" not in found and "cancel_order" not in found
    strict = DecontamConfig(signature_threshold=1.0, description_threshold=1.0)
    assert {m.name for m in match_tools(run, BENCHMARK, HashEmbedder(256), strict)} == {
        "get_current_weather",
        "getCurrentWeather",
        "acme_book_flight",
        "calculate_triangle_area_v2",  # renamed copies do not depend on the thresholds
    }


def test_intents_sharing_ngrams_or_meaning_with_a_question_are_flagged():
    questions = [
        "What is the current weather in Sydney, Australia? Please give it in celsius.",
        "Book me a flight from Boston to Denver on the 3rd of May.",
    ]
    intents = [
        "You want to know what is the current weather in Sydney, Australia in celsius.",
        "You want to cancel the order #W123 because it arrived late.",
        "what is the current weather in sydney australia please give it in celsius",
    ]
    config = DecontamConfig(ngram=6, ngram_threshold=0.3, intent_threshold=0.99)
    embedder = HashEmbedder(512)
    pairs = intent_pairs(
        intents, questions, embedder.embed(intents), embedder.embed(questions), config
    )
    best = best_intent_matches(pairs, config)
    assert set(best) == {0, 2} and best[0].question == 0
    assert best[2].ngram == 1.0 and best[0].ngram == pytest.approx(3 / 8)
    assert best[0].ngram == coverage(intents[0], questions[0], 6)
    assert len(ngrams("a b c d e f g", 6)) == 2
    # the share of the question found in the intent, not the other way round
    assert coverage("translate hello from english to french and more", "translate hello", 4) == 1.0
    assert coverage("what is the freezing point", "what is the freezing point at 10 kpa", 4) < 0.5


def test_questions_are_read_from_benchmark_records(tmp_path):
    bfcl = {"id": "simple_1", "question": [[{"role": "user", "content": "Find the area."}]]}
    ace = {"id": "ace_1", "question": "user: plan a trip"}
    tau = {"info": {"task": {"instruction": "You are Mia and want to book a flight."}}}
    assert question_text(bfcl) == "Find the area."
    assert question_text(ace) == "user: plan a trip"
    assert question_text(tau) == "You are Mia and want to book a flight."
    assert question_text({"query": "How tall is it?"}) == "How tall is it?"
    assert question_text({"function": []}) is None
    path = tmp_path / "q.jsonl"
    lines = [bfcl, ace, {"prompt": "Find the area."}, {"x": 1}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    questions = read_questions([str(path)])
    assert [q.id for q in questions] == ["simple_1", "ace_1"]  # the repeated text is compared once


def test_files_without_tools_or_questions_are_refused(tmp_path):
    empty = tmp_path / "nothing.jsonl"
    empty.write_text(json.dumps({"x": 1}) + "\n")
    with pytest.raises(ConfigError, match="no tool and no question"):
        read_benchmark([str(empty)])
    with pytest.raises(ConfigError, match="no such file"):
        read_benchmark([str(tmp_path / "missing.json")])


def test_every_exact_benchmark_tool_reused_in_a_catalog_is_flagged(external):
    from agentscaler.ingest import import_sources

    bfcl = external("bfcl")
    ace = external("acebench/data_en")
    benchmark = read_benchmark([str(bfcl), str(ace)])
    copies = benchmark.tools  # every one reused exactly, under another provenance
    catalog = import_sources(["builtin"]).tools + [
        ToolSpec.create(
            name=t.name, description=t.description, parameters=t.parameters, returns=t.returns
        )
        for t in copies
    ]
    config = DecontamConfig(embedder="hash")
    found = match_tools(catalog, benchmark.tools, HashEmbedder(512), config)
    exact = {m.tool_id for m in found if m.kind == "exact"}
    assert {t.id for t in copies} <= exact
    assert len(copies) > 4000


def test_a_run_folder_in_use_is_refused_and_bad_thresholds_name_the_option(tmp_path, cli):
    import subprocess
    import sys

    from agentscaler.decontam.run import decontaminate
    from agentscaler.errors import RunFolderBusy, UsageError
    from agentscaler.jsonl import write_records
    from agentscaler.workspace import Workspace

    root = tmp_path / "run"
    root.mkdir()
    write_records(Workspace(root).tools, BENCHMARK[:1])
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps([t.openai_tool() for t in BENCHMARK[1:]]))
    code = (
        "import sys\nfrom agentscaler.runlock import run_lock\n"
        f"with run_lock({str(root)!r}, 'agentscaler run'):\n"
        "    print('locked', flush=True)\n    sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunFolderBusy, match=f"in use by process {holder.pid}"):
            decontaminate(root, [str(bench)], DecontamConfig(embedder="hash"))
        assert not (root / "decontam").exists()
    finally:
        holder.kill()
        holder.wait()
    report = decontaminate(root, [str(bench)], DecontamConfig(embedder="hash"))
    assert report.tools_checked == 1 and (root / "decontam" / "report.json").exists()

    with pytest.raises(UsageError, match=r"--ngram-threshold: .*\(got 1\.5\)"):
        cli("decontam", root, "--against", bench, "--embedder", "hash", "--ngram-threshold", "1.5")

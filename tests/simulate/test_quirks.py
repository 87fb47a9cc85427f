"""simulate + filter + export against the quirk server, each quirk alone and all together.

The stub plays the oracle agent and the scripted user of synthesized tasks, but answers like a
real server would (reasoning inline, tool calls as text, reused ids, cut answers, null entries,
empty answers, 400 on a history holding broken arguments). Every run must exit 0, store one
episode per task and trial, keep at least 95% of them (the oracle keeps all of them on a
perfect server) and export no row holding reasoning tags, tool-call text or a cut turn.
"""

from __future__ import annotations

import json
import threading

import pytest

from agentscaler.jsonl import read_records
from agentscaler.llm.stub import QuirkPlan, StubServer
from agentscaler.llm.stub.brains import normalize_reply
from agentscaler.llm.stub.faults import break_arguments
from agentscaler.records import Episode, Task
from agentscaler.simulate.stub_brain import SimulationBrain

from .conftest import make_run

DOMAINS = ("retail_orders", "airline", "banking")
TASKS_PER_DOMAIN = 4
TRIALS = 2
MARKERS = ("<think>", "</think>", "<thinking>", "<tool_call>", "[TOOL_CALLS]", "<|python_tag|>")

QUIRKS = {
    "think": QuirkPlan(reasoning="think"),
    "open_think": QuirkPlan(reasoning="open_think"),
    "reasoning_content": QuirkPlan(reasoning="reasoning_content"),
    "reasoning_field": QuirkPlan(reasoning="reasoning"),
    "hermes_text": QuirkPlan(tool_call_format="hermes"),
    "llama3_text": QuirkPlan(tool_call_format="llama3"),
    "mistral_text": QuirkPlan(tool_call_format="mistral"),
    "json_text": QuirkPlan(tool_call_format="json"),
    "reused_ids": QuirkPlan(reuse_ids=True),
    "truncation": QuirkPlan(truncate_at=6),
    "null_entries": QuirkPlan(null_tool_calls_rate=0.2, seed=1),
    "empty_replies": QuirkPlan(empty_rate=0.1, seed=1),
    "bad_history": QuirkPlan(reject_bad_history=True),
    "all": QuirkPlan(
        reasoning="think",
        tool_call_format="mistral",
        reuse_ids=True,
        truncate_at=6,
        null_tool_calls_rate=0.1,
        empty_rate=0.05,
        reject_bad_history=True,
        seed=2,
    ),
}
BREAKS_A_CALL = {"bad_history", "all"}
"""Runs in which the first tool call the oracle makes gets broken arguments (as a model's
broken JSON would): the episode holding it is rejected as unparseable, nothing else."""


class BreakFirstCall:
    """A brain whose first tool-call answer has its arguments cut short (invalid JSON), and so
    has every answer to the same request (a model at temperature 0 with the same seed)."""

    def __init__(self, brain) -> None:
        self.brain = brain
        self.armed = False
        self.broken: str | None = None
        self._lock = threading.Lock()

    def arm(self, armed: bool) -> None:
        self.armed, self.broken = armed, None

    def models(self):
        return self.brain.models()

    def respond(self, request):
        message = self.brain.respond(request)
        if not message.get("tool_calls"):
            return message
        key = json.dumps([request.get("seed"), request["messages"]], sort_keys=True)
        with self._lock:
            if self.armed:
                self.armed, self.broken = False, key
            if key != self.broken:
                return message
        return break_arguments(normalize_reply(message))


@pytest.fixture(scope="module")
def quirk_tasks(synthesized_run) -> list[Task]:
    chosen, count = [], {}
    for task in read_records(synthesized_run / "tasks.jsonl", Task):
        if task.domain_id in DOMAINS and count.get(task.domain_id, 0) < TASKS_PER_DOMAIN:
            count[task.domain_id] = count.get(task.domain_id, 0) + 1
            chosen.append(task)
    assert len(chosen) == len(DOMAINS) * TASKS_PER_DOMAIN
    assert any(t.read_only for t in chosen) and any(not t.read_only for t in chosen)
    return chosen


@pytest.fixture(scope="module")
def quirk_server(synthesized_run, quirk_tasks, tmp_path_factory):
    tasks_file = tmp_path_factory.mktemp("quirk-tasks") / "tasks.jsonl"
    from agentscaler.jsonl import write_records

    write_records(tasks_file, quirk_tasks)
    brain = BreakFirstCall(SimulationBrain(tasks_file))
    with StubServer(brain) as server:
        yield server, brain


def _rows(root) -> list[dict]:
    rows = []
    for path in sorted((root / "dataset").glob("*/data.jsonl")):
        rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows


@pytest.mark.parametrize("name", list(QUIRKS))
def test_simulate_filter_export_survive_the_quirk(
    name, quirk_server, quirk_tasks, synthesized_run, tmp_path, cli, monkeypatch
):
    server, brain = quirk_server
    monkeypatch.setattr("agentscaler.llm.client._backoff_sleep", _no_wait)
    server.quirks = QUIRKS[name]
    server.stats.reset()
    brain.arm(name in BREAKS_A_CALL)
    root = make_run(synthesized_run, tmp_path / "run", quirk_tasks)
    (root / "domains.jsonl").symlink_to(synthesized_run / "domains.jsonl")

    result = cli(
        "simulate", root, "--agent-model", "oracle", "--user-model", "user",
        "--base-url", server.base_url, "--trials", TRIALS, "--concurrency", 1,
        "--max-retries", 6, "--http-backend", "direct",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert cli("filter", root).exit_code == 0
    assert cli("export", root, "--formats", "jsonl,sharegpt").exit_code == 0

    episodes = [
        e for p in sorted((root / "episodes").glob("*.jsonl")) for e in read_records(p, Episode)
    ]
    assert sorted(e.key for e in episodes) == sorted(
        (t.id, trial) for t in quirk_tasks for trial in range(TRIALS)
    )
    funnel = json.loads((root / "filtered" / "funnel.json").read_text())
    assert funnel["episodes"] == len(episodes)
    assert funnel["kept"] >= 0.95 * len(episodes), funnel
    reasons = {r: n for s in funnel["stages"] for r, n in s["reasons"].items()}
    expected = {"unparseable_call": 1} if name in BREAKS_A_CALL else {}
    assert reasons == expected, (reasons, [(e.termination, e.error) for e in episodes])
    assert server.stats.quirks["bad_history"] == 0  # no broken arguments were ever sent back
    assert all(e.termination == "user_stop" for e in episodes)

    rows = _rows(root)
    # stage 1 holds every kept episode once; stage 2 repeats the chosen domains' rows
    once = [r for r in rows if r.get("stage") in ("stage1", "heldout")]
    assert len(once) == funnel["kept"]
    cut = set(server.stats.cut_texts)
    if name in ("truncation", "all"):
        assert server.stats.quirks["truncated"] > 0 and cut
    for row in rows:
        for message in row["messages"]:
            content = message.get("content") or ""
            assert not any(marker in content for marker in MARKERS), (name, content)
            assert content not in cut or not content, (name, content)
            for call in message.get("tool_calls") or ():
                arguments = call["function"]["arguments"]
                assert isinstance(json.loads(arguments), dict), (name, arguments)
                assert arguments not in cut
        user_turns = [m["content"] for m in row["messages"] if m["role"] == "user"]
        assert all(t.strip() for t in user_turns)
    sharegpt = "".join(p.read_text() for p in (root / "dataset" / "sharegpt").glob("*.jsonl"))
    assert "<tool_call>" not in sharegpt and "[TOOL_CALLS]" not in sharegpt


async def _no_wait(delay: float) -> None:
    return None

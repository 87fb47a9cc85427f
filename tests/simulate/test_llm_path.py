"""The LLM code path against the stub server: message flows, faults and terminations."""

from __future__ import annotations

import json

import pytest

from agentscaler.jsonl import read_records
from agentscaler.llm.stub import FaultPlan, StubServer
from agentscaler.records import Episode, Task, Termination
from agentscaler.simulate import SimulateConfig, simulate
from agentscaler.simulate.stub_brain import SimulationBrain

from .conftest import llm, make_run


def episodes_of(root) -> list[Episode]:
    out: list[Episode] = []
    for path in sorted((root / "episodes").glob("*.jsonl")):
        out += read_records(path, Episode)
    return out


def one_task_run(catalog_run, tmp_path, predicate):
    task = next(t for t in read_records(catalog_run / "tasks.jsonl", Task) if predicate(t))
    return make_run(catalog_run, tmp_path / "run", [task]), task


def tool_results(episode: Episode) -> list[dict]:
    return [json.loads(m.content) for m in episode.messages if m.role == "tool"]


def test_llm_agent_and_user_through_the_stub_reach_gold(run_dir):
    brain = SimulationBrain(run_dir)
    with StubServer(brain) as server:
        config = SimulateConfig(
            agent=llm(server.base_url, "oracle"), user=llm(server.base_url, "user"), trials=2
        )
        stats = simulate(run_dir, config)
        requests = server.stats.requests
    assert stats.gold_rate == 1.0, stats.as_dict()
    assert stats.requests == requests == stats.turns
    episodes = episodes_of(run_dir)
    assert len(episodes) == stats.episodes
    parallel = 0
    for episode in episodes:
        assert episode.agent.kind == "llm" and episode.agent.model == "oracle"
        assert episode.user.kind == "llm" and not episode.user.offline
        assert episode.usage.requests == episode.agent_usage.requests + episode.user_usage.requests
        assert episode.agent_usage.prompt_tokens > 0 and episode.user_usage.completion_tokens > 0
        assert episode.usage.latency_s > 0
        assert episode.messages[-1].content.endswith(" ###STOP###")
        for message in episode.messages:
            if message.tool_calls and len(message.tool_calls) > 1:
                parallel += 1
                ids = [c.id for c in message.tool_calls]
                index = episode.messages.index(message)
                answers = episode.messages[index + 1 : index + 1 + len(ids)]
                assert [m.tool_call_id for m in answers] == ids
    assert parallel > 0
    # the two trials of a task were sent different sampling seeds
    seeds = {}
    for episode in episodes:
        seeds.setdefault(episode.task_id, set()).add(episode.seed)
    assert all(len(s) == 2 for s in seeds.values())


def test_malformed_tool_call_json_is_kept_and_answered_with_an_error(run_dir):
    with StubServer(SimulationBrain(run_dir), FaultPlan(malformed_rate=0.5, seed=3)) as server:
        config = SimulateConfig(agent=llm(server.base_url, "oracle"), concurrency=1)
        stats = simulate(run_dir, config)
    broken = 0
    for episode in episodes_of(run_dir):
        results = {m.tool_call_id: m.content for m in episode.messages if m.role == "tool"}
        for message in episode.messages:
            for call in message.tool_calls or ():
                try:
                    json.loads(call.function.arguments)
                except json.JSONDecodeError:
                    broken += 1
                    error = json.loads(results[call.id])["error"]
                    assert error["type"] == "invalid_argument"
                    assert "not valid JSON" in error["message"]
                    assert call.function.name in error["message"]
    assert broken > 0
    # the oracle makes a broken call again, so every episode still ends in its gold state
    assert stats.gold_rate == 1.0


def test_unknown_tool_gets_an_error_observation(catalog_run, tmp_path):
    root, _ = one_task_run(catalog_run, tmp_path, lambda t: t.domain_id == "retail_orders")
    oracle = SimulationBrain(root)

    class Confused:
        def respond(self, request):
            if not any(m["role"] == "tool" for m in request["messages"]) and request.get("tools"):
                return {"tool_calls": [{"name": "get_ordr", "arguments": {"order_id": "x"}}]}
            return oracle.respond(request)

    with StubServer(Confused()) as server:
        stats = simulate(root, SimulateConfig(agent=llm(server.base_url, "oracle")))
    (episode,) = episodes_of(root)
    error = tool_results(episode)[0]["error"]
    assert error["type"] == "unknown_tool"
    assert "get_ordr" in error["message"] and "did you mean" in error["message"]
    assert episode.tool_errors == 1
    assert stats.gold_rate == 1.0


@pytest.mark.parametrize("fault", ["server_error", "rate_limit"])
def test_transient_server_errors_are_retried(catalog_run, tmp_path, fault):
    root, _ = one_task_run(catalog_run, tmp_path, lambda t: len(t.gold_calls) == 2)
    with StubServer(SimulationBrain(root), FaultPlan.scripted(fault, fault)) as server:
        stats = simulate(root, SimulateConfig(agent=llm(server.base_url, "oracle")))
        statuses = dict(server.stats.statuses)
    (episode,) = episodes_of(root)
    assert episode.termination is Termination.USER_STOP
    assert episode.agent_usage.retries == 2
    assert stats.gold_rate == 1.0
    assert statuses.get(500 if fault == "server_error" else 429) == 2


@pytest.mark.parametrize(
    ("faults", "termination", "text"),
    [
        (FaultPlan(fail_rate=1.0), Termination.LLM_ERROR, "HTTP 500"),
        (FaultPlan(rate_limit_rate=1.0, retry_after_s=0.001), Termination.RATE_LIMITED, "429"),
        (FaultPlan(hang_rate=1.0, hang_s=30), Termination.LLM_TIMEOUT, "timed out"),
        (FaultPlan(invalid_body_rate=1.0), Termination.LLM_ERROR, "unusable response"),
    ],
)
def test_persistent_failures_end_the_episode_as_infrastructure(
    catalog_run, tmp_path, faults, termination, text
):
    root, _ = one_task_run(catalog_run, tmp_path, lambda t: True)
    with StubServer(SimulationBrain(root), faults) as server:
        agent = llm(server.base_url, "oracle", max_retries=1, timeout_s=0.3)
        stats = simulate(root, SimulateConfig(agent=agent))
    (episode,) = episodes_of(root)
    assert episode.termination is termination
    assert episode.termination.is_infrastructure
    assert text in episode.error and "oracle@" in episode.error
    assert [m.role for m in episode.messages] == ["system", "user"]
    assert stats.infrastructure == 1 and stats.reached_gold == 0
    assert stats.why_not == {termination.value: 1}


def test_episode_deadline(catalog_run, tmp_path):
    root, _ = one_task_run(catalog_run, tmp_path, lambda t: len(t.gold_calls) == 2)
    with StubServer(SimulationBrain(root), FaultPlan(latency_ms=150)) as server:
        config = SimulateConfig(agent=llm(server.base_url, "oracle"), episode_timeout_s=0.2)
        simulate(root, config)
    (episode,) = episodes_of(root)
    assert episode.termination is Termination.EPISODE_TIMEOUT
    assert episode.termination.is_infrastructure
    assert "0.2 s" in episode.error


def test_failed_episodes_run_again_on_request_and_replace_their_records(run_dir):
    brain = SimulationBrain(run_dir)
    tasks = read_records(run_dir / "tasks.jsonl", Task)
    with StubServer(brain, FaultPlan(fail_rate=1.0)) as server:
        broken = simulate(
            run_dir, SimulateConfig(agent=llm(server.base_url, "oracle", max_retries=0))
        )
    assert broken.by_termination == {"llm_error": len(tasks)}
    with StubServer(brain) as server:
        config = SimulateConfig(agent=llm(server.base_url, "oracle"))
        kept = simulate(run_dir, config)  # without the option, failures stay as they are
        assert kept.simulated == 0
        retried = simulate(run_dir, config.model_copy(update={"retry_infrastructure": True}))
    assert retried.simulated == len(tasks) and retried.gold_rate == 1.0
    episodes = episodes_of(run_dir)
    assert sorted(e.key for e in episodes) == sorted({e.key for e in episodes})
    assert len(episodes) == len(tasks)
    assert all(e.termination is Termination.USER_STOP for e in episodes)


def test_llm_clients_keep_their_backend_and_get_the_simulation_concurrency_unless_chosen():
    from agentscaler.llm import LLMConfig
    from agentscaler.simulate.orchestrator import build_policies

    config = SimulateConfig(
        agent=LLMConfig(model="a"),
        user=LLMConfig(model="u", http_backend="httpx", concurrency=1000),
        concurrency=300,
    )
    agent, user, clients = build_policies(config)
    assert agent.client.config.http_backend == LLMConfig().http_backend == "aiohttp"
    assert agent.client.config.concurrency == 300
    assert user.client.config.http_backend == "httpx"
    assert user.client.config.concurrency == 1000
    assert len(clients) == 2
    offline_agent, offline_user, none = build_policies(SimulateConfig())
    assert offline_agent.info.offline and offline_user.info.offline and none == []


def test_a_refused_request_is_the_models_failure_and_counts_in_pass_k(catalog_run, tmp_path):
    """HTTP 400 (the context overflowed) in one trial: the episode ends ``llm_rejected``, the
    filter rejects it as incomplete, and evaluation counts it as a failure, not infrastructure."""
    from agentscaler.evaluate.readers import read_source
    from agentscaler.evaluate.summary import build_summary
    from agentscaler.filter.stage import run_filter
    from agentscaler.llm.stub import BrainError

    root, _ = one_task_run(catalog_run, tmp_path, lambda t: len(t.gold_calls) == 2)
    oracle = SimulationBrain(root)
    doomed: list[int] = []

    class Overflow:
        def respond(self, request):
            if request.get("tools"):
                doomed[:] = doomed or [request["seed"]]
                if request["seed"] == doomed[0] and len(request["messages"]) > 3:
                    raise BrainError("This model's maximum context length is 32768 tokens")
            return oracle.respond(request)

    with StubServer(Overflow()) as server:
        config = SimulateConfig(agent=llm(server.base_url, "oracle"), trials=2, concurrency=1)
        stats = simulate(root, config)
    by_trial = {e.trial: e for e in episodes_of(root)}
    refused = next(e for e in by_trial.values() if e.termination is Termination.LLM_REJECTED)
    assert not refused.termination.is_infrastructure
    assert "HTTP 400" in refused.error and "maximum context length" in refused.error
    assert refused.messages[-1].role != "assistant"  # the refused turn left no message behind
    assert stats.infrastructure == 0 and stats.reached_gold == 1

    run_filter(root)
    summary = build_summary(read_source(root))
    assert summary.infrastructure_failures == 0
    assert summary.counted_episodes == 2 and summary.success.successes == 1
    assert summary.pass_hat(1) == pytest.approx(0.5) and summary.pass_hat(2) == 0.0
    assert summary.terminations == {"llm_rejected": 1, "user_stop": 1}


def test_an_answer_cut_twice_ends_the_episode_as_truncated(catalog_run, tmp_path):
    from agentscaler.llm.stub import QuirkPlan

    root, _ = one_task_run(catalog_run, tmp_path, lambda t: True)
    brain = SimulationBrain(root)
    with StubServer(brain, quirks=QuirkPlan(truncate_at=2)) as server:
        agent = llm(server.base_url, "oracle", length_retry=False)  # no second, larger ask
        simulate(root, SimulateConfig(agent=agent))
        cut = list(server.stats.cut_texts)
    (episode,) = episodes_of(root)
    assert (
        episode.termination is Termination.TRUNCATED and not episode.termination.is_infrastructure
    )
    assert "finish_reason=length" in episode.error
    assert episode.agent_usage.requests == 1 and episode.agent_usage.completion_tokens == 2
    assert [m.role for m in episode.messages] == ["system", "user"]
    assert cut and all(m.content not in cut for m in episode.messages)


def test_a_user_that_answers_nothing_ends_the_episode(catalog_run, tmp_path):
    root, _ = one_task_run(catalog_run, tmp_path, lambda t: len(t.gold_calls) == 2)
    oracle = SimulationBrain(root)

    class Mute:
        def respond(self, request):
            if request["model"] == "user" and len(request["messages"]) > 2:
                return {"content": "<think>nothing to add</think>"}
            return oracle.respond(request)

    with StubServer(Mute()) as server:
        config = SimulateConfig(
            agent=llm(server.base_url, "oracle"), user=llm(server.base_url, "user")
        )
        stats = simulate(root, config)
    (episode,) = episodes_of(root)
    assert episode.termination is Termination.EMPTY_USER_REPLY
    assert episode.user_usage.requests == 1 + 3  # the opening, then three empty answers
    assert all((m.content or "").strip() for m in episode.messages if m.role == "user")
    assert stats.infrastructure == 0 and stats.reached_gold == 0


def test_a_read_only_episode_without_the_gold_calls_does_not_reach_gold(catalog_run, tmp_path):
    """The state of a read-only task never changes: an agent that answers without calling any
    tool ends in the gold state hash, yet did not do the task."""
    root, task = one_task_run(catalog_run, tmp_path, lambda t: t.read_only)

    class Lazy:
        def respond(self, request):
            return "All done, nothing to look up."

    with StubServer(Lazy()) as server:
        stats = simulate(root, SimulateConfig(agent=llm(server.base_url, "lazy")))
    (episode,) = episodes_of(root)
    assert episode.tool_calls == 0 and episode.final_state_hash == task.gold_final_state
    assert stats.reached_gold == 0
    assert list(stats.why_not) == ["user_stop: read-only task, calls differ from gold"]

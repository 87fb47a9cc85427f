"""Readers: run folders and tau-bench files into trials, and clear refusals of anything else."""

from __future__ import annotations

import json
import math
from collections import defaultdict

import pytest

from agentscaler.errors import CorruptRecordError, EvaluationError, RunFolderError
from agentscaler.evaluate.config import EvalConfig
from agentscaler.evaluate.readers import read_run_folder, read_source, read_tau_bench
from agentscaler.evaluate.summary import build_summary
from agentscaler.filter.funnel import funnel_from_verdicts
from agentscaler.jsonl import read_records, write_records
from agentscaler.records import Episode, Verdict
from agentscaler.workspace import Workspace

TAU_FILE = "tau-bench/gpt-4o-airline.json"


def test_run_folder_trials_follow_the_records(run_folder):
    data = read_source(run_folder.root)
    assert data.source.kind == "run"
    trials = {t.key: t for t in data.trials}
    assert len(trials) == len(run_folder.plan)
    for p in run_folder.plan:
        t = trials[(p.task_id, p.trial)]
        assert t.episode_id == p.episode_id
        assert t.success == p.success, p
        assert t.infrastructure == p.infra
        assert t.n_gold_calls == p.n_gold and t.read_only == p.read_only
        assert t.tool_errors == p.tool_errors
        assert t.domain == run_folder.domains[p.domain_id]
        assert t.tokens == (p.tokens or None)
    # an episode rejected for n-gram repetition still reached the goal: it counts as a success
    ngram = trials[("l1", 3)]
    assert ngram.success and ngram.kept is False and ngram.reason == "ngram_repetition"
    # the episode the filter never judged is an infrastructure failure, not an error
    assert trials[("f3", 1)].infrastructure and trials[("f3", 1)].kept is None
    assert dict(data.domain_names) == run_folder.domains


def test_run_folder_views_carry_messages_verdict_and_diff(run_folder):
    views = {v.trial.key: v for v in read_run_folder(run_folder.root).episodes}
    failed = views[("o2", 2)]
    assert failed.diff and failed.diff[0].table == "orders"
    assert "gold state" in failed.detail
    assert failed.gold_calls == ("get_order", "cancel_order", "refund_payment")
    assert failed.messages[0].role == "system"
    assert "timed out" in views[("l2", 0)].detail


def test_summary_matches_an_independent_computation(run_folder):
    summary = build_summary(read_source(run_folder.root))
    counted = [p for p in run_folder.plan if not p.infra]
    per_task: dict[str, list[bool]] = defaultdict(list)
    for p in counted:
        per_task[p.task_id].append(p.success)
    assert summary.max_k == 4
    for row in summary.pass_k:
        usable = [v for v in per_task.values() if len(v) >= row.k]
        expected = sum(math.comb(sum(v), row.k) / math.comb(len(v), row.k) for v in usable) / len(
            usable
        )
        assert row.pass_hat_k == pytest.approx(expected)
        assert row.excluded == len(per_task) - len(usable)
    assert summary.infrastructure_failures == sum(p.infra for p in run_folder.plan)
    assert summary.success.total == len(counted)
    assert summary.success.successes == sum(p.success for p in counted)
    with_errors = [p for p in counted if p.tool_errors]
    assert summary.error_recovery.total == len(with_errors)
    assert summary.error_recovery.successes == sum(p.success for p in with_errors)
    assert summary.tokens_per_success == pytest.approx(
        sum(p.tokens for p in counted) / sum(p.success for p in counted)
    )
    domains = {d.domain_id: d for d in summary.by_domain}
    for domain_id in run_folder.domains:
        mine = [p for p in counted if p.domain_id == domain_id]
        assert domains[domain_id].successes == sum(p.success for p in mine)
        assert domains[domain_id].rate == pytest.approx(sum(p.success for p in mine) / len(mine))
    kinds = {r.key: r for r in summary.by_task_kind}
    assert kinds["read-only"].total == sum(p.read_only for p in counted)
    # funnel computed from the verdicts (no funnel.json written)
    assert summary.funnel is not None
    assert summary.funnel.kept == sum(p.letter in "SR" for p in run_folder.plan)
    assert summary.funnel.episodes == len(run_folder.plan) - 1  # f3/1 has no verdict
    included = build_summary(read_source(run_folder.root), EvalConfig(include_infrastructure=True))
    assert included.success.total == len(run_folder.plan)


def test_funnel_file_is_read_and_checked(run_folder_with_funnel):
    ws = Workspace(run_folder_with_funnel.root)
    data = read_source(ws.root)
    verdicts = [
        *read_records(ws.filtered_dir / "kept.jsonl", Verdict),
        *read_records(ws.filtered_dir / "rejected.jsonl", Verdict),
    ]
    assert data.funnel == funnel_from_verdicts(verdicts)
    stages = {s.stage: s for s in data.funnel.stages}
    assert stages["exact"].reasons == {"call_mismatch": 2}
    broken = json.loads((ws.filtered_dir / "funnel.json").read_text())
    broken["kept"] += 1
    (ws.filtered_dir / "funnel.json").write_text(json.dumps(broken))
    with pytest.raises(CorruptRecordError, match=r"funnel\.json.*kept"):
        read_source(ws.root)


def test_tau_bench_file(external):
    path = external(TAU_FILE)
    data = read_source(path)
    assert data.source.kind == "tau-bench"
    raw = json.loads(path.read_text())
    assert len(data.trials) == len(raw) and {t.domain_id for t in data.trials} == {"airline"}
    by_key = {(str(r["task_id"]), r["trial"]): r for r in raw}
    for view in data.episodes:
        r = by_key[view.trial.key]
        assert view.trial.success == (abs(r["reward"] - 1) < 1e-6)
        assert view.trial.n_gold_calls == len(r["info"]["task"]["actions"])
        assert len(view.messages) == len(r["traj"])
        assert view.intent == r["info"]["task"]["instruction"]
    assert sum(t.tool_errors for t in data.trials) > 0


def test_tau_bench_error_entries_are_infrastructure(tmp_path):
    entries = [
        {"task_id": 0, "trial": 0, "reward": 1.0, "info": {}, "traj": []},
        {
            "task_id": 0,
            "trial": 1,
            "reward": 0.0,
            "info": {"error": "RateLimitError", "traceback": "..."},
            "traj": [],
        },
        {"task_id": 0, "trial": 2, "reward": 0.9999999, "info": {}, "traj": []},
    ]
    path = tmp_path / "results-retail.json"
    path.write_text(json.dumps(entries))
    trials = read_tau_bench(path).trials
    assert [t.success for t in trials] == [True, False, True]
    assert [t.infrastructure for t in trials] == [False, True, False]
    assert trials[0].domain_id == "retail"
    assert [t.success for t in read_tau_bench(path, EvalConfig(success_tolerance=0)).trials] == [
        True,
        False,
        False,
    ]


CONTEXT_OVERFLOW = (
    "litellm.BadRequestError: OpenAIException - Error code: 400 - {'error': {'message': "
    "\"This model's maximum context length is 128000 tokens. However, your messages resulted in "
    "131072 tokens. Please reduce the length of the messages.\", 'type': "
    "'invalid_request_error', 'param': 'messages', 'code': 'context_length_exceeded'}}"
)
SERVER_DOWN = "litellm.InternalServerError: OpenAIException - Error code: 503 - overloaded"
PUBLISHED_PASS_HAT = (0.420, 0.273, 0.220, 0.200)


def _tau_pass_hat(entries: list[dict], k: int, left_out: set) -> float:
    """tau-bench's pass^k: mean over tasks of C(c, k) / C(n, k), reward 1 as success."""
    per_task: dict[str, list[bool]] = defaultdict(list)
    for e in entries:
        if (e["task_id"], e["trial"]) not in left_out:
            per_task[str(e["task_id"])].append(abs(e["reward"] - 1) < 1e-6)
    usable = [v for v in per_task.values() if len(v) >= k]
    return sum(math.comb(sum(v), k) / math.comb(len(v), k) for v in usable) / len(usable)


def test_refused_requests_count_in_pass_k_as_in_tau_bench(external, tmp_path):
    """Failed trials replaced by the record tau-bench keeps of an exception (reward 0, the error
    text, no trajectory): a 400 context overflow stays a failure, so pass^k keeps the published
    figures; a 5xx is infrastructure and leaves the denominators."""
    raw = json.loads(external(TAU_FILE).read_text())
    refused, down = set(), set()
    for entry in raw:
        if entry["reward"] < 1e-6 and int(entry["task_id"]) % 2 == 0:
            key = (entry["task_id"], entry["trial"])
            error = CONTEXT_OVERFLOW if entry["trial"] != 3 else SERVER_DOWN
            (refused if error is CONTEXT_OVERFLOW else down).add(key)
            entry["info"] = {"error": error, "traceback": "Traceback (most recent call last): ..."}
            entry["traj"] = []
    assert len(refused) >= 20 and len(down) >= 3
    path = tmp_path / "gpt-4o-airline.json"
    path.write_text(json.dumps(raw))

    data = read_tau_bench(path)
    trials = {(int(t.task_id), t.trial): t for t in data.trials}
    assert all(not trials[k].infrastructure and not trials[k].success for k in refused)
    assert all(trials[k].infrastructure for k in down)
    summary = build_summary(data, EvalConfig(max_k=4))
    assert summary.infrastructure_failures == len(down)
    for row in summary.pass_k:
        assert row.pass_hat_k == pytest.approx(_tau_pass_hat(raw, row.k, down))
        # tasks left with 3 counted trials drop out of the mean at k = 4
        assert row.excluded == (len({k[0] for k in down}) if row.k == 4 else 0)

    only_refused = json.loads(external(TAU_FILE).read_text())
    for entry in only_refused:
        if (entry["task_id"], entry["trial"]) in refused:
            entry["info"] = {"error": CONTEXT_OVERFLOW}
            entry["traj"] = []
    path.write_text(json.dumps(only_refused))
    summary = build_summary(read_tau_bench(path), EvalConfig(max_k=4))
    assert summary.infrastructure_failures == 0
    got = tuple(round(row.pass_hat_k, 3) for row in summary.pass_k)
    assert got == PUBLISHED_PASS_HAT
    # had the refusals been left out as infrastructure, pass^1 would read higher
    assert _tau_pass_hat(only_refused, 1, refused) > PUBLISHED_PASS_HAT[0] + 0.05


@pytest.mark.parametrize(
    ("error", "model_failure"),
    [
        (CONTEXT_OVERFLOW, True),
        ("Error code: 400 - {'error': {'message': 'bad tool schema'}}", True),
        ("litellm.ContextWindowExceededError: prompt is too long", True),
        ("openai.NotFoundError: Error code: 404 - model not found", True),
        ("Error code: 429 - rate limit exceeded", False),
        ("Error code: 408 - request timeout", False),
        (SERVER_DOWN, False),
        ("litellm.APIConnectionError: Connection error.", False),
        ("litellm.Timeout: Request timed out.", False),
        ("KeyError: 'reservation_id'", False),
    ],
)
def test_error_texts_are_classified_like_http_statuses(error, model_failure):
    from agentscaler.evaluate.errors_text import is_model_failure

    assert is_model_failure(error) is model_failure


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("not json at all", "not JSON"),
        ('{"task_id": 1, "reward": 1}', "top level is a JSON dict"),
        ('[{"name": "get_order"}]', r"entry \[0\] has no task_id and reward"),
        ('[{"task_id": 1, "reward": "high"}]', r"\[0\]: field 'reward'"),
        (
            '[{"task_id": 1, "trial": 0, "reward": 1}, {"task_id": 1, "trial": 0, "reward": 0}]',
            "appears twice",
        ),
        ("[]", "empty"),
    ],
)
def test_unknown_or_bad_files_are_refused(tmp_path, content, match):
    path = tmp_path / "thing.json"
    path.write_text(content)
    with pytest.raises(EvaluationError, match=match):
        read_source(path)


def test_missing_path(tmp_path):
    with pytest.raises(EvaluationError, match="does not exist"):
        read_source(tmp_path / "nope")


def test_run_folder_without_filter_output(tmp_path, make_run_folder):
    fixture = make_run_folder(tmp_path / "run")
    ws = Workspace(fixture.root)
    for name in ("kept.jsonl", "rejected.jsonl"):
        (ws.filtered_dir / name).unlink()
    with pytest.raises(RunFolderError, match="agentscaler filter"):
        read_source(ws.root)
    with pytest.raises(RunFolderError, match="simulate"):
        read_source(tmp_path)  # an empty folder


def test_episode_without_verdict_is_refused(run_folder):
    ws = Workspace(run_folder.root)
    kept = read_records(ws.filtered_dir / "kept.jsonl", Verdict)
    write_records(ws.filtered_dir / "kept.jsonl", kept[1:])
    with pytest.raises(EvaluationError, match=f"{kept[0].episode_id}.*no verdict"):
        read_source(ws.root)


def test_episode_of_unknown_task_is_refused(run_folder):
    ws = Workspace(run_folder.root)
    shard = ws.episodes_dir / "shard-000.jsonl"
    episodes = read_records(shard, Episode)
    write_records(shard, [episodes[0].model_copy(update={"task_id": "ghost"}), *episodes[1:]])
    with pytest.raises(EvaluationError, match="ghost"):
        read_source(ws.root)


def test_corrupt_episode_line_names_file_and_line(run_folder):
    shard = Workspace(run_folder.root).episodes_dir / "shard-001.jsonl"
    lines = shard.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace('"trial":', '"trial":"x","_":', 1)
    shard.write_text("".join(lines))
    with pytest.raises(CorruptRecordError, match=r"shard-001\.jsonl:3"):
        read_source(run_folder.root)

"""Readers: our run folders and tau-bench result files -> :class:`Trial` and :class:`EpisodeView`.

:func:`read_source` tells the two apart: a folder is a run folder (``episodes/``, ``tasks.jsonl``,
``filtered/`` verdicts, optional ``domains.jsonl`` and ``filtered/funnel.json``); a file must be a
tau-bench result file, a JSON list of ``{task_id, trial, reward, info, traj}``. Anything else is
refused with a message saying what was expected.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agentscaler.errors import EvaluationError
from agentscaler.evaluate.config import EvalConfig
from agentscaler.evaluate.errors_text import is_model_failure
from agentscaler.evaluate.trial import EpisodeView, Source, Trial
from agentscaler.filter.funnel import Funnel, funnel_from_verdicts, read_funnel
from agentscaler.jsonl import iter_records
from agentscaler.naming import classify_tool
from agentscaler.records import Domain, Episode, Message, Task, Verdict
from agentscaler.simulate.dialogue import DialogueStats, dialogue_stats
from agentscaler.tasks.summary import TaskMix, task_mix
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)

Advance = Callable[[int], None]


@dataclass(frozen=True)
class EvalData:
    """Everything read from one source."""

    source: Source
    episodes: tuple[EpisodeView, ...]
    funnel: Funnel | None = None
    domain_names: tuple[tuple[str, str], ...] = ()
    """(domain id, readable name) pairs, sorted by id."""
    task_mix: TaskMix | None = None
    """The shape of the run's tasks (run folders only)."""
    dialogue: DialogueStats | None = None
    """Turns, openings, closings and sampled conversations (run folders only)."""

    @property
    def trials(self) -> tuple[Trial, ...]:
        return tuple(e.trial for e in self.episodes)


def read_source(
    path: Path, config: EvalConfig | None = None, *, advance: Advance | None = None
) -> EvalData:
    """Read a run folder or a tau-bench result file."""
    config = config or EvalConfig()
    path = Path(path)
    if path.is_dir():
        return read_run_folder(path, advance=advance)
    if path.is_file():
        return read_tau_bench(path, config)
    raise EvaluationError(
        f"{path} does not exist. Give a run folder (with episodes/ and filtered/) or a tau-bench "
        "result file (a JSON list of {task_id, trial, reward, info, traj})."
    )


# --- run folders -----------------------------------------------------------------------------------


def read_run_folder(root: Path, *, advance: Advance | None = None) -> EvalData:
    """Read a run folder: tasks, episodes and verdicts are required; domains and funnel optional.

    ``advance(1)`` is called after each episode shard (for a progress bar).
    """
    ws = Workspace(Path(root))
    ws.require(ws.episodes_dir, "simulate")
    ws.require(ws.tasks, "tasks")
    kept_path, rejected_path = ws.filtered_dir / "kept.jsonl", ws.filtered_dir / "rejected.jsonl"
    if not kept_path.exists() and not rejected_path.exists():
        ws.require(kept_path, "filter")
    tasks = {t.id: t for t in iter_records(ws.tasks, Task)}
    names = {d.id: d.name for d in iter_records(ws.domains, Domain)} if ws.domains.exists() else {}
    verdicts: dict[str, Verdict] = {}
    for vpath in (kept_path, rejected_path):
        if vpath.exists():
            for verdict in iter_records(vpath, Verdict):
                verdicts[verdict.episode_id] = verdict
    files = ws.episode_files()
    if not files:
        raise EvaluationError(
            f"{ws.episodes_dir} holds no *.jsonl episode files. Run `agentscaler simulate "
            f"{ws.root}` first."
        )
    views: dict[tuple[str, int], EpisodeView] = {}
    read: list[Episode] = []
    for file in files:
        for episode in iter_records(file, Episode):
            read.append(episode)
            task = tasks.get(episode.task_id)
            if task is None:
                raise EvaluationError(
                    f"{file}: episode {episode.id} refers to task {episode.task_id!r}, which is not "
                    f"in {ws.tasks}. The folder mixes runs: simulate again from its tasks.jsonl."
                )
            if episode.key in views:
                log.warning(
                    "%s: episode %s repeats task %s trial %d; the later record is used",
                    file,
                    episode.id,
                    episode.task_id,
                    episode.trial,
                )
            verdict = verdicts.get(episode.id)
            if verdict is None and not episode.termination.is_infrastructure:
                raise EvaluationError(
                    f"{file}: episode {episode.id} (task {episode.task_id}, trial {episode.trial}) "
                    f"has no verdict in {ws.filtered_dir}: the filter has not finished. Run "
                    f"`agentscaler filter {ws.root}`."
                )
            views[episode.key] = _run_view(episode, task, verdict, names)
        if advance is not None:
            advance(1)
    known = {v.trial.episode_id for v in views.values()}
    orphans = sorted(set(verdicts) - known)
    if orphans:
        log.warning("%d verdicts name episodes that are not in %s", len(orphans), ws.episodes_dir)
    funnel_path = ws.filtered_dir / "funnel.json"
    funnel = (
        read_funnel(funnel_path)
        if funnel_path.exists()
        else funnel_from_verdicts(verdicts.values())
    )
    domain_ids = {v.trial.domain_id for v in views.values()}
    return EvalData(
        source=Source(kind="run", path=str(ws.root), name=ws.root.resolve().name),
        episodes=tuple(views[k] for k in sorted(views)),
        funnel=funnel,
        domain_names=tuple(sorted((d, names.get(d, d)) for d in domain_ids)),
        task_mix=task_mix(list(tasks.values())),
        dialogue=dialogue_stats(read, tasks),
    )


def _count_calls(messages: tuple[Message, ...]) -> int:
    return sum(len(m.tool_calls or ()) for m in messages if m.role == "assistant")


def _run_view(
    episode: Episode, task: Task, verdict: Verdict | None, names: dict[str, str]
) -> EpisodeView:
    infra = episode.termination.is_infrastructure
    tokens = episode.usage.prompt_tokens + episode.usage.completion_tokens
    trial = Trial(
        task_id=episode.task_id,
        trial=episode.trial,
        episode_id=episode.id,
        domain_id=episode.domain_id,
        domain=names.get(episode.domain_id, episode.domain_id),
        success=bool(verdict and verdict.goal_reached and verdict.facts_said) and not infra,
        state_ok=None if verdict is None or infra else verdict.goal_reached,
        facts_ok=None if verdict is None or infra else verdict.facts_said,
        infrastructure=infra,
        termination=str(episode.termination),
        n_gold_calls=len(task.gold_calls),
        n_agent_calls=episode.tool_calls or _count_calls(episode.messages),
        read_only=task.read_only,
        tool_errors=episode.tool_errors,
        tokens=tokens if episode.usage.requests or tokens else None,
        kept=None if verdict is None else verdict.kept,
        stage=None if verdict is None else verdict.stage,
        reason=None if verdict is None or verdict.reason is None else str(verdict.reason),
    )
    detail = verdict.detail if verdict is not None else ""
    if episode.error:
        detail = f"{detail}\n{episode.error}".strip()
    return EpisodeView(
        trial=trial,
        intent=task.intent,
        scenario=task.scenario,
        gold_calls=tuple(c.name for c in task.gold_calls),
        messages=episode.messages,
        detail=detail,
        diff=verdict.diff if verdict is not None else (),
    )


# --- tau-bench result files --------------------------------------------------------------------------

TAU_DOMAINS = ("airline", "retail", "telecom")


class _TauResult(BaseModel):
    """One entry of a tau-bench result file (extra keys are the file's business)."""

    model_config = ConfigDict(extra="ignore")

    task_id: int | str
    trial: int = 0
    reward: float
    info: dict[str, Any] = {}
    traj: list[dict[str, Any]] = []


def _not_tau(path: Path, why: str) -> EvaluationError:
    return EvaluationError(
        f"{path}: unknown file ({why}). Expected a tau-bench result file (a JSON list of "
        "{task_id, trial, reward, info, traj}) or a run folder (with episodes/ and filtered/)."
    )


def tau_domain(path: Path) -> str:
    """The tau-bench domain named in a result file's name (``gpt-4o-airline.json`` -> airline)."""
    match = re.search("|".join(TAU_DOMAINS), path.name.lower())
    return match.group(0) if match else path.stem


def read_tau_bench(path: Path, config: EvalConfig | None = None) -> EvalData:
    """Read a tau-bench result file: success is ``reward == 1`` within the configured tolerance.

    Results whose ``info`` holds an ``error`` (tau-bench's record of an exception during the
    run) are failures of the model when the server refused the request (a 4xx other than
    408/429, context overflow included), as tau-bench counts them, and infrastructure failures
    otherwise (see :mod:`agentscaler.evaluate.errors_text`). Gold calls are the task's
    ``actions``; a task is read-only when none of them writes.
    """
    config = config or EvalConfig()
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _not_tau(path, f"not JSON: {exc}") from exc
    if not isinstance(data, list):
        raise _not_tau(path, f"the top level is a JSON {type(data).__name__}, not a list")
    if not data:
        raise EvaluationError(f"{path}: the result list is empty; there is nothing to evaluate.")
    domain = tau_domain(path)
    views: dict[tuple[str, int], EpisodeView] = {}
    for index, raw in enumerate(data):
        if not isinstance(raw, dict) or "reward" not in raw or "task_id" not in raw:
            raise _not_tau(path, f"entry [{index}] has no task_id and reward")
        try:
            item = _TauResult.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first.get("loc", ()))
            raise EvaluationError(
                f"{path}[{index}]: field {field!r}: {first.get('msg')}. Fix that entry of the file."
            ) from exc
        view = _tau_view(path, index, item, domain, config)
        if view.trial.key in views:
            raise EvaluationError(
                f"{path}[{index}]: task {item.task_id} trial {item.trial} appears twice; a "
                "result file holds each trial once (merge files without repeating trials)."
            )
        views[view.trial.key] = view
    return EvalData(
        source=Source(kind="tau-bench", path=str(path), name=path.stem),
        episodes=tuple(views[k] for k in sorted(views, key=_tau_order)),
        funnel=None,
        domain_names=((domain, domain),),
    )


def _tau_order(key: tuple[str, int]) -> tuple[int, str, int]:
    task, trial = key
    return (int(task), "", trial) if task.isdigit() else (1 << 62, task, trial)


def _tau_view(
    path: Path, index: int, item: _TauResult, domain: str, config: EvalConfig
) -> EpisodeView:
    task = item.info.get("task") if isinstance(item.info.get("task"), dict) else {}
    actions = [a for a in task.get("actions", []) if isinstance(a, dict) and "name" in a]
    messages = tuple(_tau_message(path, index, i, m) for i, m in enumerate(item.traj))
    error = item.info.get("error")
    tool_errors = sum(
        1 for m in messages if m.role == "tool" and (m.content or "").lstrip().startswith("Error")
    )
    trial = Trial(
        task_id=str(item.task_id),
        trial=item.trial,
        episode_id=f"{item.task_id}-{item.trial}",
        domain_id=domain,
        domain=domain,
        success=abs(item.reward - 1.0) <= config.success_tolerance and error is None,
        infrastructure=error is not None and not is_model_failure(str(error)),
        n_gold_calls=len(actions),
        n_agent_calls=_count_calls(messages),
        read_only=all(classify_tool(str(a["name"])) == "read" for a in actions),
        tool_errors=tool_errors,
        tokens=None,
        reward=item.reward,
    )
    return EpisodeView(
        trial=trial,
        intent=str(task.get("instruction", "")),
        gold_calls=tuple(str(a["name"]) for a in actions),
        messages=messages,
        detail="" if error is None else str(error),
    )


def _tau_message(path: Path, index: int, position: int, raw: dict[str, Any]) -> Message:
    data: dict[str, Any] = {
        k: raw.get(k) for k in ("role", "content", "tool_call_id", "name") if raw.get(k) is not None
    }
    if data.get("content") is not None and not isinstance(data["content"], str):
        data["content"] = json.dumps(data["content"], ensure_ascii=False)
    calls = raw.get("tool_calls")
    if calls:
        if not isinstance(calls, list) or not all(isinstance(c, dict) for c in calls):
            raise EvaluationError(
                f"{path}[{index}].traj[{position}]: tool_calls must be a list of objects."
            )
        data["tool_calls"] = [
            {
                "id": str(call.get("id", "")),
                "function": {
                    "name": str(call.get("function", {}).get("name", "")),
                    "arguments": _arguments_text(call.get("function", {}).get("arguments", "")),
                },
            }
            for call in calls
        ]
    try:
        return Message.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        raise EvaluationError(
            f"{path}[{index}].traj[{position}]: field {field!r}: {first.get('msg')}. The message "
            "is not in OpenAI chat format."
        ) from exc


def _arguments_text(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)

"""``agentscaler tasks``: synthesize tasks with executed gold chains, and inspect them."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from agentscaler.cli.common import (
    EXECUTOR_OPTION,
    RAY_ADDRESS_OPTION,
    WORKERS_OPTION,
    console,
    err_console,
)
from agentscaler.tasks.config import TaskConfig

if TYPE_CHECKING:
    from agentscaler.records import Task

app = typer.Typer(
    help="Synthesize tasks (seeded states, walks on the dependency graph, executed gold calls, "
    "second-person intents) and inspect them.",
    no_args_is_help=True,
)

MAX_OUTPUT_CHARS = 600


def _default(field: str) -> object:
    """The default of a TaskConfig field (the one place defaults live), for help texts."""
    return TaskConfig.model_fields[field].default


class OnError(StrEnum):
    RETRY = "retry"
    DROP = "drop"


@app.command("sample")
def sample_command(
    run_dir: Path = typer.Argument(
        ...,
        help="Run folder with domains.jsonl and compiled worlds/ (from `agentscaler worlds build`).",
        show_default=False,
    ),
    per_domain: int | None = typer.Option(
        None,
        "--per-domain",
        "-n",
        min=1,
        help=f"Tasks per domain (default {_default('per_domain')}).",
        show_default=False,
    ),
    max_steps: int | None = typer.Option(
        None,
        "--max-steps",
        "-k",
        min=1,
        help=f"Longest chain in calls (default {_default('max_steps')}).",
        show_default=False,
    ),
    seed: int | None = typer.Option(
        None, "--seed", "-s", help=f"Base seed (default {_default('seed')}).", show_default=False
    ),
    states: int | None = typer.Option(
        None,
        "--states",
        min=1,
        help=f"Seeded initial states per domain, shared by its tasks (default {_default('states_per_domain')}).",
        show_default=False,
    ),
    rows: int | None = typer.Option(
        None,
        "--rows",
        min=0,
        help=f"Mean rows per table in an initial state (default {_default('rows_per_table')}).",
        show_default=False,
    ),
    read_only_share: float | None = typer.Option(
        None,
        "--read-only-share",
        min=0.0,
        max=1.0,
        help=f"Share of walks restricted to reads (default {_default('read_only_share')}).",
        show_default=False,
    ),
    on_error: OnError | None = typer.Option(
        None,
        "--on-error",
        help=f"A call that errors: retry with other arguments, or drop the chain (default {_default('on_error')}).",
        case_sensitive=False,
        show_default=False,
    ),
    llm_intents: bool | None = typer.Option(
        None,
        "--llm-intents/--template-intents",
        help="Rewrite template intents with an LLM (checked; the template stays on a reject) "
        "(default: templates).",
        show_default=False,
    ),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        help="OpenAI-compatible server for --llm-intents (…/v1).",
        show_default=False,
    ),
    model: str | None = typer.Option(
        None, "--model", help="Model name for --llm-intents.", show_default=False
    ),
    force: bool = typer.Option(
        False, "--force", help="Make every domain's tasks again instead of reusing finished ones."
    ),
    executor: str = EXECUTOR_OPTION,
    workers: int = WORKERS_OPTION,
    ray_address: str | None = RAY_ADDRESS_OPTION,
) -> None:
    """Sample tasks for every domain of RUN_DIR into RUN_DIR/tasks.jsonl (resumable per domain)."""
    from agentscaler.cli.common import option_error, shard_failures, stage_executor
    from agentscaler.errors import UsageError
    from agentscaler.progress import make_progress
    from agentscaler.tasks import sample_tasks
    from agentscaler.workspace import Workspace

    options = {
        "per_domain": per_domain,
        "max_steps": max_steps,
        "seed": seed,
        "states_per_domain": states,
        "rows_per_table": rows,
        "read_only_share": read_only_share,
        "on_error": on_error.value if on_error is not None else None,
        "llm_intents": llm_intents,
    }
    try:
        config = TaskConfig(**{k: v for k, v in options.items() if v is not None})
    except ValueError as exc:
        raise option_error(
            exc, {"states_per_domain": "--states", "rows_per_table": "--rows"}
        ) from exc
    llm = None
    if config.llm_intents:
        if not base_url or not model:
            raise UsageError("--llm-intents needs --base-url URL and --model NAME")
        from agentscaler.llm import LLMConfig

        llm = LLMConfig(base_url=base_url, model=model)
    workspace = Workspace(run_dir)
    workspace.require(workspace.domains, "domains")
    from agentscaler.jsonl import iter_json_lines

    domains = sum(1 for _ in iter_json_lines(workspace.domains))
    progress = make_progress(err_console)
    runner = stage_executor(executor, workers, ray_address)
    try:
        with progress:
            bar = progress.add_task("sampling tasks", total=domains * config.per_domain)
            result = sample_tasks(
                workspace,
                config,
                llm=llm,
                force=force,
                advance=lambda n: progress.advance(bar, n),
                executor=runner,
            )
    finally:
        runner.close()
    if result.shard_failures:
        print_summary(result.summary, workspace.tasks)
    shard_failures("tasks", result.shard_failures)
    if result.already_done:
        console.print(
            f"[green]tasks already sampled[/] in {run_dir} with these settings "
            "(use --force to sample again)."
        )
    elif result.reused:
        console.print(f"reused the finished tasks of {result.reused} domain(s).")
    print_summary(result.summary, workspace.tasks)


@app.command("summary")
def summary_command(
    run_dir: Path = typer.Argument(..., help="Run folder with tasks.jsonl.", show_default=False),
) -> None:
    """Summarize the tasks of RUN_DIR (counts, lengths, reads/writes, coherence)."""
    from agentscaler.tasks import load_tasks, summarize
    from agentscaler.workspace import Workspace

    workspace = Workspace(run_dir)
    tasks = load_tasks(workspace)
    marker = workspace.marker("tasks") or {}
    stored = marker.get("summary") or {}
    summary = summarize(tasks)
    for key in (
        "attempts",
        "retries",
        "errors",
        "pointless",
        "drops",
        "walk_ends",
        "intents",
        "notes",
    ):
        if key in stored:
            summary[key] = stored[key]
    print_summary(summary, workspace.tasks)


def print_summary(summary: dict[str, Any], path: Path) -> None:
    """The summary of a task set as rich tables."""
    from rich.table import Table

    if not summary:
        console.print(f"no summary recorded for {path}")
        return
    overview = Table(title=f"tasks: {path}", show_header=False)
    overview.add_column("what", style="bold")
    overview.add_column("value", justify="right")
    total = summary.get("tasks", 0)
    rows = [
        ("tasks", total),
        ("domains with tasks", summary.get("domains", 0)),
        ("initial states used", summary.get("states", 0)),
        ("mean chain length", summary.get("mean_length", 0)),
        ("read-only", f"{summary.get('read_only', 0)} ({summary.get('read_only_share', 0):.1%})"),
        ("with a write", f"{summary.get('with_write_share', 0):.1%}"),
        ("writes per task (mean)", summary.get("mean_writes", 0)),
        ("records changed per task (mean)", summary.get("records_touched_mean", 0)),
        ("tables written", summary.get("tables_written", 0)),
        (
            "coherence (a discovered value feeds a later call)",
            f"{summary.get('linked', 0)}/{summary.get('multi_step', 0)} "
            f"({summary.get('coherence', 0):.1%})",
        ),
        ("2+ calls and a discovered value", f"{summary.get('multi_with_discovery', 0):.1%}"),
        ("discovered values per task (mean)", summary.get("discovered_mean", 0)),
        ("rule refusals or a detail to ask", f"{summary.get('refusal_or_ask', 0):.1%}"),
        ("values to tell per task (mean)", summary.get("communicated_mean", 0)),
        (
            "scenarios",
            ", ".join(f"{k} {v}" for k, v in (summary.get("scenarios") or {}).items()),
        ),
        ("user facts per task (mean)", summary.get("user_facts_mean", 0)),
        ("agent lookups per task (mean)", summary.get("lookups_mean", 0)),
        (
            "intents",
            ", ".join(f"{k} {v}" for k, v in (summary.get("intent_sources") or {}).items()),
        ),
    ]
    for name, value in rows:
        overview.add_row(name, str(value))
    console.print(overview)

    lengths = Table(title="chain lengths")
    lengths.add_column("calls", justify="right")
    lengths.add_column("tasks", justify="right")
    lengths.add_column("")
    hist = summary.get("lengths") or {}
    top = max(hist.values(), default=0) or 1
    for length, count in hist.items():
        lengths.add_row(str(length), str(count), "█" * round(30 * count / top))
    console.print(lengths)

    counts = Table(title="walks")
    counts.add_column("what", style="bold")
    counts.add_column("counts")
    counts.add_row("walks tried", str(summary.get("attempts", 0)))
    counts.add_row("argument retries", str(summary.get("retries", 0)))
    for key, label in (
        ("errors", "call errors"),
        ("pointless", "pointless calls refused"),
        ("drops", "walks dropped"),
        ("walk_ends", "walk ends"),
        ("intents", "LLM intents"),
        ("writes_per_task", "writes per task"),
    ):
        values = summary.get(key) or {}
        counts.add_row(label, ", ".join(f"{k}: {v}" for k, v in values.items()) or "-")
    console.print(counts)
    for note in summary.get("notes") or []:
        console.print(f"[yellow]note:[/] {note}", highlight=False)


@app.command("stats")
def stats_command(
    run_dir: Path = typer.Argument(
        ..., help="Run folder with tasks.jsonl (and episodes/ once simulated).", show_default=False
    ),
    samples: int = typer.Option(
        20, "--samples", "-n", min=0, help="Conversations to print, one per task, drawn at random."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the drawing."),
) -> None:
    """The mix of RUN_DIR's tasks and dialogues: scenario kinds, chain lengths, discovered
    values per task, user turns per episode, distinct openings and closings, and sampled
    conversations to read."""
    from rich.table import Table

    from agentscaler.jsonl import iter_records
    from agentscaler.records import Episode
    from agentscaler.simulate.dialogue import dialogue_stats
    from agentscaler.tasks import load_tasks
    from agentscaler.tasks.summary import task_mix
    from agentscaler.workspace import Workspace

    workspace = Workspace(run_dir)
    tasks = load_tasks(workspace)
    mix = task_mix(tasks)
    table = Table(title=f"tasks: {workspace.tasks}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    for kind, count in mix.scenarios.items():
        table.add_row(f"scenario {kind}", f"{count} ({count / max(1, mix.tasks):.1%})")
    table.add_row("chain lengths", ", ".join(f"{k}: {v}" for k, v in mix.lengths.items()))
    table.add_row("2+ calls and a discovered value", f"{mix.multi_with_discovery:.1%}")
    table.add_row("discovered values per task", f"{mix.discovered_mean:.2f}")
    table.add_row("rule refusals or a detail to ask", f"{mix.refusal_or_ask:.1%}")
    table.add_row("values to tell per task", f"{mix.communicated_mean:.2f}")
    table.add_row("user is a person of the world", f"{mix.with_persona:.1%}")
    console.print(table)
    files = workspace.episode_files() if workspace.episodes_dir.exists() else []
    if not files:
        console.print("no episodes yet: run `agentscaler simulate` for the dialogue figures")
        return
    episodes = [e for f in files for e in iter_records(f, Episode)]
    stats = dialogue_stats(episodes, {t.id: t for t in tasks}, samples=samples, seed=seed)
    dialogues = Table(title=f"dialogues: {workspace.episodes_dir}", show_header=False)
    dialogues.add_column("what", style="bold")
    dialogues.add_column("value", justify="right")
    dialogues.add_row("episodes (offline)", f"{stats.episodes} ({stats.offline})")
    dialogues.add_row(
        "user turns per episode",
        f"median {stats.user_turns_median:g}, mean {stats.user_turns_mean:.2f}",
    )
    dialogues.add_row("user turns", ", ".join(f"{k}: {v}" for k, v in stats.user_turns.items()))
    for label, count, top in (
        ("openings", stats.openings, stats.top_openings),
        ("closings", stats.closings, stats.top_closings),
    ):
        common = ", ".join(f"'{p.phrase}' {p.share:.1%}" for p in top[:3])
        dialogues.add_row(f"distinct {label}", f"{count} (most common: {common})")
    console.print(dialogues)
    for sample in stats.samples:
        console.rule(f"{sample.scenario} · {sample.domain_id} · {sample.task_id}")
        for line in sample.lines:
            text = line.text if len(line.text) <= 300 else line.text[:297] + "..."
            console.print(f"[bold]{line.role}:[/] {text}", highlight=False, soft_wrap=True)


@app.command("show")
def show_command(
    run_dir: Path = typer.Argument(..., help="Run folder with tasks.jsonl.", show_default=False),
    task_id: str = typer.Argument(
        ..., help="Task id (or a unique prefix of it).", show_default=False
    ),
) -> None:
    """Show one task: intent, facts, gold calls with arguments, sources, outputs and changes."""
    from agentscaler.errors import RunFolderError
    from agentscaler.jsonl import iter_records
    from agentscaler.records import Task
    from agentscaler.workspace import Workspace

    workspace = Workspace(run_dir)
    workspace.require(workspace.tasks, "tasks")
    matches = [t for t in iter_records(workspace.tasks, Task) if t.id.startswith(task_id)]
    if not matches:
        raise RunFolderError(
            f"no task {task_id!r} in {workspace.tasks}; list ids with `jq -r .id {workspace.tasks}`"
        )
    if len(matches) > 1:
        shown = ", ".join(t.id for t in matches[:5])
        raise RunFolderError(
            f"{task_id!r} matches {len(matches)} tasks ({shown} ...); give more of the id"
        )
    _show(matches[0])


def _show(task: Task) -> None:
    from rich.panel import Panel
    from rich.table import Table

    from agentscaler.worlds.runtime.state import format_changes

    kind = "read-only" if task.read_only else "with writes"
    persona = (
        f"user: {task.persona.name or 'a'} ({task.persona.entity})\n"
        if task.persona is not None
        else ""
    )
    console.print(
        Panel(
            f"[bold]{task.intent}[/]\n\n"
            f"scenario {task.scenario}, domain {task.domain_id}, world {task.world_id}, "
            f"seed {task.seed}, {kind}, intent from {task.intent_source}\n{persona}"
            f"initial state {task.initial_state}\ngold final state {task.gold_final_state}",
            title=f"task {task.id}",
        ),
        highlight=False,
    )
    for number, goal in enumerate(task.goals):
        line = f"[bold]goal {number} ({goal.kind}):[/] {goal.request} [calls {list(goal.calls)}]"
        if goal.refused is not None:
            line += f"\n  refused by rule {goal.refused.rule}: {goal.refused.error}"
        if goal.withdrawn is not None:
            line += f"\n  first asks (then takes back): {goal.withdrawn_request}"
        console.print(line, highlight=False)
    facts = Table(title="what the user knows")
    facts.add_column("fact")
    facts.add_column("role")
    facts.add_column("value")
    facts.add_column("meaning")
    for fact in task.user_facts:
        facts.add_row(
            fact.name, fact.role, json.dumps(fact.value, ensure_ascii=False), fact.description
        )
    console.print(facts)
    if task.communicate:
        console.print(
            "[bold]the agent must tell:[/] "
            + "; ".join(
                f"{c.name} = {c.value} (call {c.call}: {c.path})" for c in task.communicate
            ),
            highlight=False,
        )
    if task.agent_lookups:
        console.print(
            "[bold]the agent must look up:[/] " + ", ".join(task.agent_lookups), highlight=False
        )
    for index, call in enumerate(task.gold_calls):
        table = Table(title=f"call {index}: {call.name} ({call.kind})", show_header=True)
        table.add_column("argument")
        table.add_column("value")
        table.add_column("from")
        for name, value in call.arguments.items():
            source = call.sources.get(name)
            where = "-"
            if source is not None:
                where = source.kind
                if source.step is not None:
                    where += f" of call {source.step}"
                if source.path:
                    where += f": {source.path}"
            table.add_row(name, json.dumps(value, ensure_ascii=False), where)
        console.print(table)
        output = json.dumps(call.output, ensure_ascii=False)
        if len(output) > MAX_OUTPUT_CHARS:
            output = output[:MAX_OUTPUT_CHARS] + f"... ({len(output)} chars)"
        console.print(f"  [bold]output:[/] {output}", highlight=False, soft_wrap=True)
        for line in format_changes(list(call.changes)):
            console.print(f"  [green]change:[/] {line}", highlight=False)

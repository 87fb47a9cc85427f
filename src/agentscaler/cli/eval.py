"""``agentscaler eval``: metrics, plots and the HTML report of a run or of a tau-bench result file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agentscaler.cli.common import console, err_console

if TYPE_CHECKING:
    from agentscaler.evaluate.summary import EvalSummary

app = typer.Typer(
    help="Evaluate agents: pass^k, pass@k, accuracy by tool calls and by domain, plots, HTML report.",
    no_args_is_help=True,
)

MAX_DOMAIN_ROWS = 20


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def print_summary(summary: EvalSummary) -> None:
    """Print the metric tables of ``summary`` to the console."""
    from rich.table import Table

    overview = Table(title=f"{summary.source.kind}: {summary.source.name}", show_header=False)
    overview.add_column("metric", style="bold")
    overview.add_column("value", justify="right")
    overview.add_row("tasks", str(summary.tasks))
    overview.add_row("episodes", f"{summary.episodes} ({summary.counted_episodes} counted)")
    infra = "counted as failures" if summary.include_infrastructure else "left out of rates"
    overview.add_row("infrastructure failures", f"{summary.infrastructure_failures} ({infra})")
    overview.add_row(
        "success rate",
        f"{_pct(summary.success.rate)} ({summary.success.successes}/{summary.success.total})",
    )
    for label, part in (
        ("  gold state reached", summary.state_success),
        ("  communicated facts said", summary.facts_success),
    ):
        if part is not None:
            overview.add_row(label, f"{_pct(part.rate)} ({part.successes}/{part.total})")
    for row in summary.by_task_kind:
        overview.add_row(f"  {row.key} tasks", f"{_pct(row.rate)} ({row.successes}/{row.total})")
    for row in summary.by_scenario:
        overview.add_row(f"  {row.key}", f"{_pct(row.rate)} ({row.successes}/{row.total})")
    rec = summary.error_recovery
    overview.add_row("error recovery", f"{_pct(rec.rate)} ({rec.successes}/{rec.total})")
    per = summary.tokens_per_success
    overview.add_row("tokens per success", "–" if per is None else f"{per:,.0f}")
    if summary.funnel is not None:
        overview.add_row("kept by the filter", f"{summary.funnel.kept}/{summary.funnel.episodes}")
    console.print(overview)

    pass_table = Table(title="pass^k (all k trials succeed) and pass@k (any of k)")
    for name in ("k", "pass^k", "pass@k", "tasks", "n < k"):
        pass_table.add_column(name, justify="right")
    for row in summary.pass_k:
        pass_table.add_row(
            str(row.k), _fmt(row.pass_hat_k), _fmt(row.pass_at_k), str(row.tasks), str(row.excluded)
        )
    console.print(pass_table)

    domains = sorted(summary.by_domain, key=lambda d: (-d.episodes, d.domain_id))
    dom_table = Table(title=f"Domains ({len(domains)})")
    dom_table.add_column("domain")
    for name in ("tasks", "episodes", "success", "pass^1", f"pass^{summary.max_k}"):
        dom_table.add_column(name, justify="right")
    for d in domains[:MAX_DOMAIN_ROWS]:
        first = d.pass_hat_k[0] if d.pass_hat_k else None
        last = d.pass_hat_k[-1] if d.pass_hat_k else None
        dom_table.add_row(
            d.name, str(d.tasks), str(d.episodes), _pct(d.rate), _fmt(first), _fmt(last)
        )
    if len(domains) > MAX_DOMAIN_ROWS:
        dom_table.caption = f"{len(domains) - MAX_DOMAIN_ROWS} more in summary.json and index.html"
    console.print(dom_table)


@app.command("report")
def report_command(
    path: Path = typer.Argument(
        ...,
        help="A run folder (with episodes/, tasks.jsonl and filtered/) or a tau-bench result "
        "JSON file (a list of {task_id, trial, reward, info, traj}).",
        show_default=False,
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Report folder. Default: <run>/report for a run folder, ./report for a file.",
        show_default=False,
    ),
    max_k: int | None = typer.Option(
        None,
        "--max-k",
        "-k",
        min=1,
        help="Largest k of pass^k and pass@k. Default: the largest number of trials of a task.",
        show_default=False,
    ),
    include_infrastructure: bool | None = typer.Option(
        None,
        "--include-infrastructure/--exclude-infrastructure",
        help="Count infrastructure failures (timeouts, server errors, world bugs) as agent "
        "failures. Default: excluded from every rate and counted apart.",
        show_default=False,
    ),
    html: bool = typer.Option(
        True, "--html/--no-html", help="Write the browsable index.html beside the plots."
    ),
) -> None:
    """Print pass^k and the other metrics; write summary.json, PNG plots and index.html."""
    from agentscaler.evaluate.config import EvalConfig
    from agentscaler.evaluate.outputs import report
    from agentscaler.progress import progress_bar
    from agentscaler.workspace import Workspace

    overrides = {"max_k": max_k, "include_infrastructure": include_infrastructure}
    config = EvalConfig(**{k: v for k, v in overrides.items() if v is not None})
    shards = len(Workspace(path).episode_files()) if path.is_dir() else None
    with progress_bar("reading episodes", shards, err_console) as advance:
        outputs = report(path, out, config, html=html, advance=advance)
    print_summary(outputs.summary)
    written = ["summary.json", *(p.name for p in outputs.plots.values())]
    if outputs.html is not None:
        written.append(outputs.html.name)
    console.print(f"wrote {', '.join(written)} to [bold]{outputs.out_dir}[/]", highlight=False)


@app.command("run")
def run_command(
    run_dir: Path = typer.Argument(..., help="Run folder exported with held-out tasks."),
    agent_model: str = typer.Option(..., "--agent-model", help="Model playing the agent."),
    base_url: str | None = typer.Option(
        None, "--base-url", help="OpenAI-compatible server (…/v1) of the agent and the user."
    ),
    user_model: str | None = typer.Option(
        None, "--user-model", help="Model playing the user (default: the agent model)."
    ),
    user_base_url: str | None = typer.Option(
        None, "--user-base-url", help="Server of the user model (default: --base-url)."
    ),
    scripted_user: bool = typer.Option(
        False, "--scripted-user", help="Play the user with the offline scripted user instead."
    ),
    api_key_env: str | None = typer.Option(
        None, "--api-key-env", help="Environment variable holding the API key."
    ),
    tool_call_parser: str | None = typer.Option(
        None,
        "--tool-call-parser",
        help="How to read tool calls a server returns as text: hermes, llama3, mistral, json, "
        "auto (default) or none; `agentscaler doctor` tells which one a server needs.",
    ),
    trials: int = typer.Option(4, "--trials", "-k", help="Trials per task (pass^1..k)."),
    concurrency: int | None = typer.Option(None, "--concurrency", help="Episodes in flight."),
    name: str | None = typer.Option(
        None, "--name", help="Evaluation folder under RUN/eval/ (default: the agent model)."
    ),
    max_k: int | None = typer.Option(
        None, "--max-k", help="Largest k of pass^k (default: trials)."
    ),
) -> None:
    """Run an LLM agent on the held-out tasks of a run, verify every episode against the gold
    final state, and print pass^k with the report in RUN/eval/NAME/report/."""
    from agentscaler.evaluate.config import EvalConfig
    from agentscaler.evaluate.heldout import eval_dir, run_eval
    from agentscaler.llm import LLMConfig
    from agentscaler.progress import progress_bar
    from agentscaler.simulate.config import SimulateConfig

    shared = {"api_key_env": api_key_env, "tool_call_parser": tool_call_parser}
    agent = LLMConfig(
        **{k: v for k, v in {**shared, "base_url": base_url, "model": agent_model}.items() if v}
    )
    user = None
    if not scripted_user:
        user = LLMConfig(
            **{
                k: v
                for k, v in {
                    **shared,
                    "base_url": user_base_url or base_url,
                    "model": user_model or agent_model,
                }.items()
                if v
            }
        )
    options = {"agent": agent, "user": user, "trials": trials}
    if concurrency is not None:
        options["concurrency"] = concurrency
    config = SimulateConfig(**options)
    label = name or agent_model
    with progress_bar("evaluating", None) as advance:
        outputs = run_eval(
            run_dir,
            config,
            name=label,
            eval_config=EvalConfig(max_k=max_k or trials),
            on_outcome=lambda _o: advance(1),
        )
    print_summary(outputs.summary)
    err_console.print(f"report: {eval_dir(run_dir, label) / 'report' / 'index.html'}")

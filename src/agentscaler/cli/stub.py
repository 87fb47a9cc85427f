"""``agentscaler stub``: a local OpenAI-compatible server for tests, demos and benchmarks."""

from __future__ import annotations

import json
from typing import Any

import typer

from agentscaler.cli.common import console
from agentscaler.llm.stub.config import StubConfig

_DEFAULTS = StubConfig()
_OPTION_OF_FIELD = {
    "latency_ms": "--latency",
    "latency_jitter_ms": "--latency-jitter",
    "retry_after_s": "--retry-after",
    "hang_s": "--hang",
    "mode": "--embeddings",
    "dim": "--embedding-dim",
}

app = typer.Typer(
    help="A local OpenAI-compatible chat server with pluggable brains and fault injection.",
    no_args_is_help=True,
)


def _parse_options(pairs: list[str] | None) -> dict[str, Any]:
    from agentscaler.errors import UsageError

    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--brain-option expects KEY=VALUE, got {pair!r}")
        try:
            options[key] = json.loads(raw)
        except json.JSONDecodeError:
            options[key] = raw
    return options


@app.command()
def serve(
    host: str = typer.Option(None, help=f"Interface to listen on (default {_DEFAULTS.host})."),
    port: int = typer.Option(
        None, help=f"TCP port; 0 picks a free one (default {_DEFAULTS.port})."
    ),
    brain: str = typer.Option(
        None,
        help="Who answers: echo, tool-echo, simulation (oracle agent + scripted user of a run: "
        "--brain-option tasks=RUN), script:FILE.json (canned replies, a list or model -> list), "
        f"or package.module:factory (default {_DEFAULTS.brain}).",
    ),
    brain_option: list[str] = typer.Option(
        None,
        "--brain-option",
        help="KEY=VALUE passed to the brain factory (repeatable; JSON values).",
    ),
    latency: float = typer.Option(None, "--latency", help="Milliseconds added to every answer."),
    latency_jitter: float = typer.Option(
        None, "--latency-jitter", help="Extra random milliseconds in [0, J] per answer."
    ),
    fail_rate: float = typer.Option(None, help="Share of requests answered HTTP 500."),
    rate_limit_rate: float = typer.Option(
        None, help="Share of requests answered HTTP 429 with Retry-After."
    ),
    retry_after: float = typer.Option(None, help="Seconds a 429 asks the client to wait."),
    malformed_rate: float = typer.Option(
        None, help="Share of answers whose tool-call arguments are broken JSON."
    ),
    invalid_body_rate: float = typer.Option(
        None, help="Share of HTTP 200 answers with a body that is not JSON."
    ),
    hang_rate: float = typer.Option(None, help="Share of requests left hanging (see --hang)."),
    hang: float = typer.Option(None, help="Seconds a hanging request waits before answering."),
    reasoning: str = typer.Option(
        None,
        "--reasoning",
        help="Quirk: reasoning text before each answer: think (<think> tags in the content), "
        "open_think (content ending its reasoning with </think>, as Qwen3 templates do), "
        "reasoning_content or reasoning (a field); default none.",
    ),
    tool_call_format: str = typer.Option(
        None,
        "--tool-call-format",
        help="Quirk: tool calls written into the content as hermes (<tool_call>), llama3, "
        "mistral ([TOOL_CALLS]) or json text, as a server without a tool parser returns them; "
        "default openai (structured tool_calls).",
    ),
    reuse_ids: bool = typer.Option(
        None, "--reuse-ids", help="Quirk: number call ids from 0 in every answer."
    ),
    truncate_at: int = typer.Option(
        None,
        "--truncate-at",
        help="Quirk: completion budget in words of requests without max_tokens; longer answers "
        "are cut with finish_reason=length.",
    ),
    null_tool_calls_rate: float = typer.Option(
        None, help="Quirk: share of answers with a null entry in tool_calls."
    ),
    empty_rate: float = typer.Option(
        None, help="Quirk: share of answers with no text and no tool call."
    ),
    reject_bad_history: bool = typer.Option(
        None,
        "--reject-bad-history",
        help="Quirk: answer HTTP 400, like vLLM, when a history's tool-call arguments are not a "
        "JSON object.",
    ),
    embeddings: str = typer.Option(
        None,
        "--embeddings",
        help="POST /v1/embeddings vectors: hash (shared words make texts similar; default) or "
        "random (seeded noise, nearly free: to measure a client's throughput).",
    ),
    embedding_dim: int = typer.Option(
        None, "--embedding-dim", help="Dimension of the vectors when a request names none."
    ),
    seed: int = typer.Option(None, help="Seed of the per-request fault and quirk draws."),
    tasks: str = typer.Option(
        None,
        "--tasks",
        help="Run folder (or tasks file) whose tasks the server plays: model 'oracle' answers "
        "as the oracle agent, model 'user' as the scripted user (instead of --brain).",
    ),
) -> None:
    """Serve POST /v1/chat/completions, POST /v1/embeddings and GET /v1/models until Ctrl-C (or
    SIGTERM)."""
    import asyncio
    import contextlib
    import signal

    from pydantic import ValidationError
    from rich.table import Table

    from agentscaler.errors import UsageError
    from agentscaler.llm.stub.brains import load_brain
    from agentscaler.llm.stub.embeddings import EmbeddingPlan
    from agentscaler.llm.stub.faults import FaultPlan
    from agentscaler.llm.stub.quirks import QuirkPlan
    from agentscaler.llm.stub.server import StubServer, serve_forever

    fault_values = {
        "latency_ms": latency,
        "latency_jitter_ms": latency_jitter,
        "fail_rate": fail_rate,
        "rate_limit_rate": rate_limit_rate,
        "retry_after_s": retry_after,
        "malformed_rate": malformed_rate,
        "invalid_body_rate": invalid_body_rate,
        "hang_rate": hang_rate,
        "hang_s": hang,
        "seed": seed,
    }
    quirk_values = {
        "reasoning": reasoning,
        "tool_call_format": tool_call_format,
        "reuse_ids": reuse_ids,
        "truncate_at": truncate_at,
        "null_tool_calls_rate": null_tool_calls_rate,
        "empty_rate": empty_rate,
        "reject_bad_history": reject_bad_history,
        "seed": seed,
    }
    brain_options = _parse_options(brain_option)
    if tasks is not None:
        if brain is not None:
            raise UsageError("pass either --tasks or --brain, not both")
        brain = "simulation"
        brain_options.setdefault("tasks", tasks)
    top_values = {"host": host, "port": port, "brain": brain}
    try:
        faults = FaultPlan(**{k: v for k, v in fault_values.items() if v is not None})
        quirks = QuirkPlan(**{k: v for k, v in quirk_values.items() if v is not None})
        embedding_values = {"mode": embeddings, "dim": embedding_dim}
        plan = EmbeddingPlan(**{k: v for k, v in embedding_values.items() if v is not None})
        config = StubConfig(
            **{k: v for k, v in top_values.items() if v is not None},
            brain_options=brain_options,
            faults=faults,
            quirks=quirks,
            embeddings=plan,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        option = f" {_OPTION_OF_FIELD.get(where, '--' + where.replace('_', '-'))}" if where else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        raise UsageError(f"invalid stub server option{option}: {message}") from exc
    server = StubServer(
        load_brain(config.brain, config.brain_options),
        config.faults,
        quirks=config.quirks,
        embeddings=config.embeddings,
        host=config.host,
        port=config.port,
    )

    async def run() -> None:
        ready = asyncio.Event()
        task = asyncio.create_task(serve_forever(server, ready))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        waiter = asyncio.create_task(ready.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if ready.is_set():
            typer.echo(f"stub server listening on {server.base_url}", err=False)
            console.print(
                f"brain [bold]{config.brain}[/]; faults: "
                f"{config.faults.model_dump(exclude_defaults=True) or 'none'}; quirks: "
                f"{config.quirks.model_dump(exclude_defaults=True) or 'none'}; Ctrl-C stops",
                highlight=False,
            )
        else:
            waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())
    stats = server.stats
    table = Table(title="stub server", show_header=True)
    table.add_column("requests", justify="right")
    table.add_column("max in flight", justify="right")
    table.add_column("statuses")
    table.add_column("faults")
    table.add_column("quirks")
    table.add_row(
        str(stats.requests),
        str(stats.max_in_flight),
        ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses.items())) or "-",
        ", ".join(f"{k}: {v}" for k, v in sorted(stats.faults.items())) or "-",
        ", ".join(f"{k}: {v}" for k, v in sorted(stats.quirks.items())) or "-",
    )
    console.print(table)

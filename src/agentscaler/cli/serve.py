"""``agentscaler serve RUN --mcp | --http``: the run's task environments as a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from agentscaler.envs.config import EnvConfig
from agentscaler.llm.config import LLMConfig
from agentscaler.serve.config import ServeConfig

_ENV = EnvConfig()
_SERVE = ServeConfig()
_LLM = LLMConfig()
_OPTIONS = {
    "idle_timeout_s": "--idle-timeout",
    "acquire_timeout_s": "--acquire-timeout",
    "model": "--user-model",
}


def serve_command(
    run_dir: Path = typer.Argument(
        ..., help="Run folder holding tasks.jsonl, worlds/ and states/ (after `tasks sample`)."
    ),
    mcp: bool = typer.Option(
        False, "--mcp", help="Serve MCP (streamable HTTP at /mcp, or --stdio)."
    ),
    http: bool = typer.Option(False, "--http", help="Serve the JSON session API."),
    stdio: bool = typer.Option(False, "--stdio", help="With --mcp: serve one client on stdio."),
    host: str = typer.Option(None, "--host", help=f"Address (default {_SERVE.host})."),
    port: int = typer.Option(None, "--port", help=f"Port (default {_SERVE.port})."),
    max_sessions: int = typer.Option(
        None, "--max-sessions", help=f"Sessions held at once (default {_SERVE.max_sessions})."
    ),
    idle_timeout: float = typer.Option(
        None,
        "--idle-timeout",
        help=f"Seconds before an unused session is closed (default {_SERVE.idle_timeout_s:g}).",
    ),
    acquire_timeout: float = typer.Option(
        None,
        "--acquire-timeout",
        help="Seconds a new session waits for a free slot before 503 "
        f"(default {_SERVE.acquire_timeout_s:g}).",
    ),
    user_model: str = typer.Option(
        None, "--user-model", help="Model playing the user (default: the offline scripted user)."
    ),
    base_url: str = typer.Option(
        None, "--base-url", help=f"OpenAI-compatible server of --user-model ({_LLM.base_url})."
    ),
    max_turns: int = typer.Option(
        None, "--max-turns", help=f"Messages per episode (default {_ENV.max_turns})."
    ),
    max_tool_calls: int = typer.Option(
        None, "--max-tool-calls", help=f"Tool calls per episode (default {_ENV.max_tool_calls})."
    ),
) -> None:
    """Serve the run's tasks as multi-turn environments, one isolated state per session."""
    from agentscaler.cli.common import option_error
    from agentscaler.errors import UsageError

    if mcp == http:
        raise UsageError("say what to serve: --mcp or --http (one of them)")
    if stdio and not mcp:
        raise UsageError("--stdio serves MCP: use it with --mcp")
    serve_values = _given(
        host=host,
        port=port,
        max_sessions=max_sessions,
        idle_timeout_s=idle_timeout,
        acquire_timeout_s=acquire_timeout,
    )
    env_values: dict[str, Any] = _given(max_turns=max_turns, max_tool_calls=max_tool_calls)
    if user_model:
        env_values["user"] = LLMConfig(**_given(model=user_model, base_url=base_url))
    try:
        serve_config = ServeConfig(**serve_values)
        env_config = EnvConfig(**env_values)
    except ValueError as exc:
        raise option_error(exc, _OPTIONS) from exc
    from agentscaler.serve.run import serve

    serve(run_dir, "mcp-stdio" if stdio else "mcp" if mcp else "http", serve_config, env_config)


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}

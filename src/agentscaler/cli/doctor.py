"""``agentscaler doctor``: which parser and server flags an OpenAI-compatible server needs."""

from __future__ import annotations

import typer

from agentscaler.cli.common import console
from agentscaler.llm.config import LLMConfig

_LLM = LLMConfig()
_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "info": "dim"}


def doctor_command(
    base_url: str = typer.Option(
        ..., "--base-url", help="OpenAI-compatible server, up to and including /v1."
    ),
    model: str = typer.Option(..., "--model", help="Model name the server serves."),
    api_key_env: str = typer.Option(
        None,
        "--api-key-env",
        help=f"Environment variable holding the API key (default {_LLM.api_key_env}).",
    ),
    request_timeout: float = typer.Option(
        120.0, "--request-timeout", help="Seconds one probe may take (thinking models are slow)."
    ),
) -> None:
    """Send one tool-call probe and one reasoning probe to MODEL at BASE_URL, and say which
    tool-call parser and server flags are needed. Exits 1 when tool calls do not work."""
    from rich.text import Text

    from agentscaler.cli.common import option_error
    from agentscaler.llm.doctor import run_diagnosis

    values = {"base_url": base_url, "model": model, "api_key_env": api_key_env}
    try:
        config = LLMConfig(
            **{k: v for k, v in values.items() if v is not None},
            timeout_s=request_timeout,
            max_retries=2,
        )
    except ValueError as exc:
        raise option_error(exc, {"timeout_s": "--request-timeout"}) from exc
    diagnosis = run_diagnosis(config)
    console.print(Text(f"{model} at {base_url}", style="bold"), soft_wrap=True)
    for finding in diagnosis.findings:
        line = Text.assemble(
            (f"{finding.level:>4} ", _STYLE[finding.level]), f"{finding.probe}: {finding.message}"
        )
        console.print(line, soft_wrap=True)
        if finding.fix:
            console.print(Text(f"     fix: {finding.fix}"), soft_wrap=True)
    parser = diagnosis.tool_call_parser
    if parser is None:
        console.print(
            Text("tool calls do not work with this server and model", style="bold red"),
            soft_wrap=True,
        )
        raise typer.Exit(1)
    console.print(
        Text(f"agentscaler: --tool-call-parser {parser}"
             + (" (the default)" if parser == _LLM.tool_call_parser else ""), style="bold"),
        soft_wrap=True,
    )  # fmt: skip
    if not diagnosis.ok:
        raise typer.Exit(1)

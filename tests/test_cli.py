"""The command line answers --help and --version everywhere."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agentscaler import __version__


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def _all_command_paths():
    import typer.main

    from agentscaler.cli.app import app

    root = typer.main.get_command(app)
    stack = [((), root)]
    while stack:
        path, cmd = stack.pop()
        yield path
        for name, sub in getattr(cmd, "commands", {}).items():
            stack.append(((*path, name), sub))


@pytest.mark.parametrize("path", list(_all_command_paths()), ids=lambda p: " ".join(p) or "root")
def test_help_everywhere(cli, path):
    result = cli(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_console_script_installed():
    out = subprocess.run(
        [sys.executable, "-m", "agentscaler.cli.app", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"agentscaler {__version__}"


def test_error_messages_print_verbatim(monkeypatch, capsys):
    """Square brackets in a message are text, not rich markup (a regex must survive)."""
    import sys

    from agentscaler.cli import app as app_module
    from agentscaler.cli.common import fail

    pattern = "^[a-zA-Z0-9]+$"
    argv = ["agentscaler", "stub", "serve", "--brain-option", pattern]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        app_module.main()
    assert exited.value.code == 2, "bad usage"
    err = capsys.readouterr().err
    assert f"error: --brain-option expects KEY=VALUE, got '{pattern}'" in err

    import typer

    with pytest.raises(typer.Exit):
        fail("ids must match [bold]^[a-zA-Z0-9]{9}$[/bold]")
    assert "ids must match [bold]^[a-zA-Z0-9]{9}$[/bold]" in capsys.readouterr().err

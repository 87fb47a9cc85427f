"""One error path: every failure is one verbatim line and an honest exit status; --debug adds
the traceback."""

from __future__ import annotations

import errno
import io
import subprocess
import sys

import pytest
from rich.console import Console

from agentscaler.cli import common
from agentscaler.cli.app import report
from agentscaler.errors import ConfigError, UsageError, WorldError


def _agentscaler(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agentscaler.cli.app", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def stderr(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=buffer, width=40))
    monkeypatch.setattr(common.state, "debug", False)
    return buffer


def _line(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    assert text.count("\n") == 1, f"one line, never wrapped: {text!r}"
    return text.strip()


@pytest.mark.parametrize(
    ("exc", "status", "expected"),
    [
        (WorldError("tool [bold]x[/] of world [w]: broken"), 1, "tool [bold]x[/] of world [w]"),
        (UsageError("--trials must be >= 1"), 2, "--trials must be >= 1"),
        (ConfigError("run.json disagrees"), 1, "run.json disagrees"),
        (
            OSError(errno.ENOSPC, "No space left on device", "runs/x/tasks.jsonl"),
            1,
            "no space left on the device while writing runs/x/tasks.jsonl",
        ),
        (
            OSError(errno.EACCES, "Permission denied", "runs/x"),
            1,
            "permission denied: runs/x",
        ),
        (OSError("898048 requested and 746464 written"), 1, "a full disk does this"),
        (RuntimeError("boom"), 1, "internal error: RuntimeError: boom; run it again with --debug"),
        (ExceptionGroup("episodes", [OSError(errno.ENOSPC, "full", "ep.jsonl")]), 1, "ep.jsonl"),
    ],
    ids=["markup verbatim", "usage", "config", "disk full", "permission", "short write",
         "bug", "group"],
)  # fmt: skip
def test_each_failure_is_one_verbatim_line_with_its_status(stderr, exc, status, expected):
    assert report(exc) == status
    line = _line(stderr)
    assert line.startswith("error: ") and expected in line


def test_debug_adds_the_traceback(stderr, monkeypatch, capsys):
    monkeypatch.setattr(common.state, "debug", True)
    try:
        raise WorldError("broken world")
    except WorldError as exc:
        assert report(exc) == 1
    assert "Traceback" in capsys.readouterr().err
    assert _line(stderr) == "error: broken world"


def test_bad_option_values_are_usage_errors_naming_the_option(tmp_path):
    result = _agentscaler("simulate", tmp_path, "--offline", "--max-turns", "-1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.strip()]
    assert line.startswith("error: invalid option --max-turns:") and "(got -1)" in line


def test_a_missing_tools_file_says_not_found_and_leaves_no_run(tmp_path):
    out = tmp_path / "run"
    result = _agentscaler("run", "--tools", tmp_path / "missing.json", "--out", out)
    assert result.returncode == 1
    lines = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert len(lines) == 1 and "missing.json" in lines[0] and "no such file" in lines[0]
    assert "rejects" not in lines[0], "no pointer to a rejects file that was never written"
    assert not (out / "run.json").exists(), "a corrected command starts afresh"
    again = _agentscaler("run", "--tools", "builtin", "--out", out, "--stop-after", "ingest")
    assert again.returncode == 0, again.stderr


def test_debug_option_prints_the_traceback_of_a_real_failure(tmp_path):
    result = _agentscaler("--debug", "worlds", "check", tmp_path / "nowhere")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and result.stderr.strip().splitlines()[-1].startswith(
        "error: "
    )

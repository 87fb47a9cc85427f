"""``agentscaler worlds build|check|call|show`` on a small run folder."""

from __future__ import annotations

import json

import pytest

from agentscaler.workspace import Workspace

from .conftest import fixture_tools, make_run_folder


@pytest.fixture
def run(tmp_path):
    return make_run_folder(tmp_path / "run", fixture_tools())


def test_build_check_call_and_resume(cli, run):
    result = cli("worlds", "build", run)
    assert result.exit_code == 0, result.output
    assert "3/3 worlds pass conformance" in result.output
    workspace = Workspace(run)
    assert workspace.stage_done("worlds")
    folders = sorted(p.name for p in workspace.worlds_dir.iterdir() if p.is_dir())
    assert folders == ["d0000-helpdesk", "d0001-notes", "d0002-shop"]
    summary = json.loads((workspace.worlds_dir / "summary.json").read_text())
    assert summary["passed"] == 3 and summary["tools"] == len(fixture_tools())

    again = cli("worlds", "build", run)
    assert again.exit_code == 0
    details = json.loads((workspace.worlds_dir / "summary.json").read_text())["worlds_detail"]
    assert all(d["passed"] for d in details)
    assert again.output.count("yes") >= 3  # reused, not rebuilt

    check = cli("worlds", "check", run)
    assert check.exit_code == 0, check.output
    assert "3/3 worlds pass conformance" in check.output

    call = cli(
        "worlds",
        "call",
        run,
        "d0000-helpdesk",
        "create_ticket",
        "--args",
        '{"title": "Printer on fire"}',
    )
    assert call.exit_code == 0, call.output
    assert '"title": "Printer on fire"' in call.output
    assert "insert tickets[" in call.output

    missing = cli(
        "worlds", "call", run, "d0000-helpdesk", "get_ticket", "--args", '{"ticket_id": 1}'
    )
    assert (
        missing.exit_code == 1
        and "not_found" in missing.output
        and "state unchanged" in missing.output
    )

    show = cli("worlds", "show", run, "d0002-shop")
    assert show.exit_code == 0 and "cancel_order" in show.output and "transition" in show.output


def test_check_fails_on_a_broken_world(cli, run):
    assert cli("worlds", "build", run).exit_code == 0
    tools_py = run / "worlds" / "d0002-shop" / "tools.py"
    source = tools_py.read_text()
    tools_py.write_text(
        source.replace(
            '    customer = db.update("customers", customer["customer_id"], {"email": email})\n',
            '    customer = db.get("customers", customer_id)\n',
            1,
        )
    )
    result = cli("worlds", "check", run)
    assert result.exit_code == 1
    assert "2/3 worlds pass conformance" in result.output


def test_bad_input_gives_clear_errors(cli, run, tmp_path):
    from typer.testing import CliRunner

    from agentscaler.cli.app import app

    runner = CliRunner()
    empty = runner.invoke(app, ["worlds", "build", str(tmp_path / "nothing")])
    assert empty.exit_code != 0
    assert "domains" in str(empty.exception) or "domains" in empty.output
    assert cli("worlds", "build", run).exit_code == 0
    bad_json = runner.invoke(
        app, ["worlds", "call", str(run), "d0000-helpdesk", "get_ticket", "--args", "{nope"]
    )
    assert bad_json.exit_code != 0 and "not valid JSON" in str(bad_json.exception)

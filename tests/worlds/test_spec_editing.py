"""The editing loop: a user edits spec.yaml, `worlds build` regenerates the code from it, keeps
it over inference, and names the file, tool and field of a broken edit."""

from __future__ import annotations

import json

import pytest
import yaml

from agentscaler.worlds.runtime.loader import load_world

from .conftest import fixture_tools, make_run_folder

SHOP = "d0002-shop"


@pytest.fixture
def run(tmp_path, cli):
    folder = make_run_folder(tmp_path / "run", fixture_tools())
    assert cli("worlds", "build", folder, "--domain", SHOP).exit_code == 0
    return folder


def _spec_path(run):
    return run / "worlds" / SHOP / "spec.yaml"


def _edit(run, change) -> str:
    path = _spec_path(run)
    data = yaml.safe_load(path.read_text())
    change(data)
    text = "# my edit\n" + yaml.safe_dump(data, sort_keys=False)
    path.write_text(text)
    return text


def _said(result) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_spec_is_printed_and_names_the_rule(cli, run):
    shown = cli("worlds", "spec", run, SHOP, "--plain")
    assert shown.exit_code == 0, shown.output
    assert "cancel_order:" in shown.output and "order_is_pending_or_processing" in shown.output
    one = cli("worlds", "spec", run, SHOP, "--tool", "cancel_order", "--plain")
    assert one.exit_code == 0 and "get_order" not in one.output


def test_an_edited_rule_changes_the_code_and_is_kept(cli, run):
    world_dir = run / "worlds" / SHOP
    before = load_world(world_dir)
    assert "order_is_pending_or_processing" in before.source

    def drop_rule(data):
        data["tools"]["cancel_order"]["requires"] = []

    text = _edit(run, drop_rule)
    result = cli("worlds", "build", run, "--domain", SHOP)
    assert result.exit_code == 0, result.output
    after = load_world(world_dir)
    assert "order_is_pending_or_processing" not in after.source
    assert after.world.spec_source == "user"
    assert _spec_path(run).read_text() == text  # the user's file, comments and all
    # a delivered order can now be cancelled: the rule is gone from the behaviour too
    env = after.make_env()
    order = env.db.find("orders", limit=1)[0]
    env.db._conn.execute(
        "UPDATE orders SET status = 'delivered' WHERE order_id = ?", (order["order_id"],)
    )
    assert env.call("cancel_order", order_id=order["order_id"]).ok

    again = cli("worlds", "build", run, "--domain", SHOP)
    assert again.exit_code == 0
    assert _spec_path(run).read_text() == text  # not overwritten by inference
    assert load_world(world_dir).world.spec_source == "user"

    forced = cli("worlds", "build", run, "--domain", SHOP, "--force")
    assert forced.exit_code == 0
    assert "order_is_pending_or_processing" in load_world(world_dir).source
    assert load_world(world_dir).world.spec_source == "inferred"


def test_a_broken_edit_is_named_and_the_previous_world_stays(cli, run):
    world_dir = run / "worlds" / SHOP
    tools_before = (world_dir / "tools.py").read_text()

    def bad_column(data):
        data["tools"]["cancel_order"]["effects"][0]["values"]["colour"] = "red"

    _edit(run, bad_column)
    said = _said(cli("worlds", "build", run, "--domain", SHOP))
    assert "spec.yaml" in said
    assert "tools.cancel_order.effects[0].values.colour" in said
    assert "no column 'colour'" in said
    assert (world_dir / "tools.py").read_text() == tools_before
    assert load_world(world_dir).make_env().call("get_order", order_id="x").error_type

    def bad_expression(data):
        del data["tools"]["cancel_order"]["effects"][0]["values"]["colour"]
        data["tools"]["cancel_order"]["requires"][0]["check"] = "order.status in ("

    _edit(run, bad_expression)
    said = _said(cli("worlds", "build", run, "--domain", SHOP))
    assert "tools.cancel_order.requires[0].check" in said
    assert "is not an expression" in said

    _spec_path(run).write_text("entities: [unclosed\n")
    said = _said(cli("worlds", "build", run, "--domain", SHOP))
    assert "spec.yaml:" in said and "not valid YAML" in said
    assert (world_dir / "tools.py").read_text() == tools_before
    summary = json.loads((run / "worlds" / "summary.json").read_text())
    assert summary["worlds"] == 3

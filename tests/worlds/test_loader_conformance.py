"""World folders round-trip, edits are noticed and re-checked, conformance catches broken worlds."""

from __future__ import annotations

import json
import logging

import pytest

from agentscaler.errors import WorldError
from agentscaler.worlds.checks.conformance import check_world
from agentscaler.worlds.compiler import write_world
from agentscaler.worlds.runtime.loader import load_world


def test_world_folder_round_trip(shop, tmp_path):
    folder = write_world(shop, tmp_path / "shop")
    assert {p.name for p in folder.iterdir()} >= {
        "schema.sql",
        "tools.py",
        "tools.json",
        "world.json",
        "seed.sqlite",
    }
    tools = json.loads((folder / "tools.json").read_text())
    assert [t["function"]["name"] for t in tools] == list(shop.tools)
    assert all(t["type"] == "function" and "parameters" in t["function"] for t in tools)
    loaded = load_world(folder)
    assert not loaded.edited and loaded.world == shop.world
    assert loaded.make_env().state_hash() == shop.make_env().state_hash()


def test_a_user_edit_is_noticed_checked_and_used(shop, tmp_path, caplog):
    folder = write_world(shop, tmp_path / "shop")
    source = (folder / "tools.py").read_text()
    marker = '    customer = db.get("customers", customer_id)\n'
    at = source.index(marker, source.index("def get_customer("))
    edited = (
        source[:at]
        + marker
        + '    customer["full_name"] = customer["full_name"].upper()\n'
        + source[at + len(marker) :]
    )
    (folder / "tools.py").write_text(edited)
    with caplog.at_level(logging.INFO, logger="agentscaler.worlds.runtime.loader"):
        loaded = load_world(folder)
    assert loaded.edited and "changed since it was compiled" in caplog.text
    assert loaded.world.binding("get_customer").code_source == "user"
    env = loaded.make_env()
    customer = env.db.find("customers", limit=1)[0]
    name = env.call("get_customer", customer_id=customer["customer_id"]).observation["full_name"]
    assert name == customer["full_name"].upper()


def test_a_missing_tool_function_is_a_clear_error(shop, tmp_path):
    folder = write_world(shop, tmp_path / "shop")
    source = (folder / "tools.py").read_text()
    (folder / "tools.py").write_text(
        source.replace("def get_customer(", "def get_customer_renamed(", 1)
    )
    with pytest.raises(WorldError, match="no function is registered for tool 'get_customer'"):
        load_world(folder)
    with pytest.raises(WorldError, match="not a compiled world"):
        load_world(tmp_path / "nowhere")


@pytest.mark.parametrize("world_name", ["shop", "helpdesk", "notes"])
def test_fixture_worlds_pass_conformance(world_name, request):
    world = request.getfixturevalue(world_name)
    report = check_world(world)
    assert report.passed, report.summary()
    names = {c.check for c in report.checks}
    assert names >= {"schemas", "dump_load", "reset", "errors", "replay"}
    checked = {c.tool for c in report.checks if c.check in ("read", "write")}
    assert checked == set(world.tools)


def _edit(world, tmp_path, old, new):
    folder = write_world(world, tmp_path / "w")
    source = (folder / "tools.py").read_text()
    assert old in source
    (folder / "tools.py").write_text(source.replace(old, new, 1))
    return load_world(folder)


def test_conformance_catches_a_write_that_changes_nothing(shop, tmp_path):
    broken = _edit(
        shop,
        tmp_path,
        '    customer = db.update("customers", customer["customer_id"], {"email": email})\n',
        '    customer = db.get("customers", customer_id)\n',
    )
    report = check_world(broken)
    failures = [f for f in report.failures if f.tool == "update_customer_email"]
    assert any(f.check == "write" and "unchanged" in f.detail for f in failures)
    # the semantic check says what the spec expected instead
    assert any(f.check == "agrees" and "changed nothing" in f.detail for f in failures)


def test_conformance_catches_a_mislabelled_read(shop, tmp_path):
    broken = _edit(
        shop,
        tmp_path,
        '@tool(kind="write", operation="update", table="customers")',
        '@tool(kind="read", operation="update", table="customers")',
    )
    report = check_world(broken)
    failures = [f for f in report.failures if f.tool == "update_customer_email"]
    assert any(f.check == "read" and "world bug" in f.detail for f in failures)

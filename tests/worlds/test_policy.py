"""policy.md: written from the spec's rules and service conventions, kept when a user edits it,
and the agent's system prompt."""

from __future__ import annotations

import yaml

from agentscaler.simulate.environment import WorldPool
from agentscaler.workspace import Workspace
from agentscaler.worlds.policy import POLICY_FILE, edited_policy, read_policy
from agentscaler.worlds.runtime.loader import load_world

from .conftest import fixture_tools, make_run_folder

SHOP = "d0002-shop"


def _build(cli, run, *extra: str) -> None:
    result = cli("worlds", "build", run, "--domain", SHOP, *extra)
    assert result.exit_code == 0, result.output


def test_policy_says_the_rules_and_the_conventions(cli, tmp_path):
    run = make_run_folder(tmp_path / "run", fixture_tools())
    _build(cli, run)
    world_dir = run / "worlds" / SHOP
    text = (world_dir / POLICY_FILE).read_text()
    assert text.startswith("<!-- agentscaler policy ")
    spec = load_world(world_dir).load_spec()
    rules = [(name, r) for name, tool in spec.tools.items() for r in tool.requires]
    assert rules
    for name, rule in rules:
        assert f"`{name}`" in text and f"rule `{rule.name}`" in text
    for convention in ("Identify the user first", "explicit yes", "One action at a time"):
        assert convention in text
    shown = read_policy(world_dir, spec)
    assert not shown.startswith("<!--") and shown.startswith("# ")
    assert edited_policy(world_dir) is None


def test_an_edited_policy_is_kept_and_force_writes_a_fresh_one(cli, tmp_path):
    run = make_run_folder(tmp_path / "run", fixture_tools())
    _build(cli, run)
    world_dir = run / "worlds" / SHOP
    path = world_dir / POLICY_FILE
    generated = path.read_text()
    edited = generated + "\n- Never offer a discount.\n"
    path.write_text(edited)
    assert edited_policy(world_dir) == edited

    # a change of the spec rebuilds the world; the edited policy stays
    spec_path = world_dir / "spec.yaml"
    data = yaml.safe_load(spec_path.read_text())
    data["tools"]["cancel_order"]["requires"] = []
    spec_path.write_text(yaml.safe_dump(data, sort_keys=False))
    _build(cli, run)
    assert path.read_text() == edited
    assert "Never offer a discount." in read_policy(world_dir, None)

    _build(cli, run, "--force")
    fresh = path.read_text()
    assert "Never offer a discount." not in fresh and edited_policy(world_dir) is None


def test_an_untouched_policy_follows_the_spec(cli, tmp_path):
    run = make_run_folder(tmp_path / "run", fixture_tools())
    _build(cli, run)
    world_dir = run / "worlds" / SHOP
    assert "order_is_pending_or_processing" in (world_dir / POLICY_FILE).read_text()
    spec_path = world_dir / "spec.yaml"
    data = yaml.safe_load(spec_path.read_text())
    data["tools"]["cancel_order"]["requires"] = []
    spec_path.write_text(yaml.safe_dump(data, sort_keys=False))
    _build(cli, run)
    assert "order_is_pending_or_processing" not in (world_dir / POLICY_FILE).read_text()


def test_the_policy_is_the_agents_system_prompt(cli, tmp_path):
    run = make_run_folder(tmp_path / "run", fixture_tools())
    _build(cli, run)
    world_dir = run / "worlds" / SHOP
    path = world_dir / POLICY_FILE
    path.write_text(path.read_text() + "\n- Greet the user by name.\n")
    pool = WorldPool(Workspace(run))
    prompt = pool.world(SHOP).system_prompt
    assert prompt == read_policy(world_dir, None)
    assert prompt.rstrip().endswith("- Greet the user by name.")
    # a world built before policies existed gets one generated from its spec
    path.unlink()
    fresh = WorldPool(Workspace(run)).world(SHOP).system_prompt
    assert "Identify the user first" in fresh and "Greet the user" not in fresh

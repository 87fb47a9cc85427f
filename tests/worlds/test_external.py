"""Worlds compiled from real external catalogs (BFCL stateful API classes, Seal-Tools fields)."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import pytest

from agentscaler import ingest
from agentscaler.records import ToolSpec
from agentscaler.worlds.checks.conformance import check_world
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.seeding.sampling import ArgumentSampler


def _group_by_file(tools) -> dict[str, list]:
    groups = defaultdict(list)
    for tool in tools:
        groups[Path(tool.provenance[0].source).stem].append(tool)
    return groups


def test_bfcl_stateful_api_classes_compile_and_pass_conformance(external):
    folder = external("bfcl/multi_turn_func_doc")
    tools = ingest.import_sources([str(folder)]).tools
    groups = _group_by_file(tools)
    assert len(groups) >= 8
    failures = []
    table_tools = total = 0
    for name, members in sorted(groups.items()):
        world = compile_world(f"bfcl-{name}", name, members)
        report = check_world(world)
        if not report.passed:
            failures.append(f"{name}: {report.summary()}")
        total += len(world.world.tools)
        table_tools += sum(not b.fallback for b in world.world.tools)
    assert not failures, failures
    assert table_tools / total >= 0.5


def test_seal_tools_fields_compile_and_pass_conformance(external):
    path = external("seal-tools/tool.jsonl")
    tools = ingest.import_sources([str(path)]).tools
    by_field = defaultdict(list)
    import json

    fields = {}
    for line in path.read_text().splitlines():
        record = json.loads(line)
        fields[record["api_name"]] = record["field"]
    for tool in tools:
        by_field[fields.get(tool.provenance[0].original_name, "?")].append(tool)
    chosen = sorted(by_field)[:: max(1, len(by_field) // 12)][:12]
    failures = []
    for field in chosen:
        world = compile_world(f"seal-{len(failures)}", field, by_field[field][:30])
        report = check_world(world)
        if not report.passed:
            failures.append(f"{field}: {report.summary()}")
    assert not failures, failures


def test_a_range_stated_in_a_real_arguments_description_is_enforced(external):
    """BFCL's ``archive_documents``: compression_level "ranging from 0 (no compression) to 9"
    with no bounds in its schema becomes two limit rules, and the world refuses 10."""
    path = external("bfcl/BFCL_v4_live_multiple.json")
    tools = [t for t in ingest.import_sources([str(path)]).tools if t.name == "archive_documents"]
    assert tools, "archive_documents is in BFCL live multiple"
    tool = tools[0]
    level = tool.parameters["properties"]["compression_level"]
    assert "maximum" not in level and "ranging from 0" in level.get("description", "")
    world = compile_world("bfcl-archive", "archive", [tool])
    checks = {r.check for r in world.spec.tools[tool.name].requires}
    assert {"$compression_level >= 0", "$compression_level <= 9"} <= checks
    env = world.make_env()
    arguments = {"document_ids": ["DOC-1"], "archive_format": "zip", "storage_path": "/a.zip"}
    refused = env.call(tool.name, **arguments, compression_level=10)
    assert refused.error_type == "precondition_failed", refused.observation
    assert refused.observation["error"]["rule"] == "at_most_compression_level"


def test_real_write_tools_get_the_operation_and_entity_their_verbs_mean(external):
    """Seal-Tools write tools whose verbs the shared verb lists lack, or whose verb acts on a
    keyed thing, become writes on the entity the call is about: a command creates its record,
    a trade on a keyed thing records the trade and leaves the thing as it is (no owner check on
    a thing being bought; a thing issued to someone is lent: a loan of it), a rescheduling of a
    keyed class updates it."""
    path = external("seal-tools/tool.jsonl")
    wanted = {
        "deployCode": ("create", "code_deployment"),
        "authorizeSubjectHeading": ("create", "subject_heading"),
        "calibrateRobotSensors": ("create", "robot_sensor"),
        "startCharging": ("create", "charging_session"),
        "issueBook": ("create", "book_loan"),
        "purchaseVirtualItem": ("create", "item_purchase"),
        "scheduleClass": ("update", "class"),
    }
    tools = [t for t in ingest.import_sources([str(path)]).tools if t.name in wanted]
    assert {t.name for t in tools} == set(wanted)
    world = compile_world("seal-verbs", "verbs", tools)
    got = {name: (world.spec.tools[name].kind, world.spec.tools[name].entity) for name in wanted}
    assert got == wanted
    purchase = world.spec.tools["purchaseVirtualItem"]
    assert [e.insert for e in purchase.effects if e.insert] == ["item_purchase"]
    assert not [r for r in purchase.requires if r.kind == "ownership"]
    assert not [r for r in purchase.requires if r.kind == "unique"]  # "unique identifier"
    env = world.make_env()
    purchases = world.spec.entities["item_purchase"].table
    players, items = world.spec.entities["player"], world.spec.entities["item"]
    player = env.db.rows(players.table)[0][players.key]
    env.db.update(players.table, player, {"virtual_currency": 10**6})  # enough to buy twice
    before = len(env.db.rows(purchases))
    for row in env.db.rows(items.table)[:2]:  # one player buys twice: a deal per call
        done = env.call("purchaseVirtualItem", player_id=player, item_id=row[items.key], quantity=1)
        assert done.ok, done.observation
    assert len(env.db.rows(purchases)) == before + 2


def test_bounds_stated_for_properties_of_an_object_argument_are_enforced(external):
    """BFCL's ``add_service_config``: ``configurations.timeout`` "Must be a positive integer."
    and ``configurations.retry_count`` "Must be a non-negative integer.", with no bounds in the
    schema, become limit rules the world enforces and the semantic check proves."""
    from agentscaler.worlds.checks.semantic import check_semantics

    path = external("bfcl/BFCL_v4_live_multiple.json")
    tools = [t for t in ingest.import_sources([str(path)]).tools if t.name == "add_service_config"]
    assert tools, "add_service_config is in BFCL live multiple"
    world = compile_world("bfcl-config", "config", tools[:1])
    checks = {r.check for r in world.spec.tools["add_service_config"].requires}
    assert {"$configurations.timeout >= 1", "$configurations.retry_count >= 0"} <= checks
    env = world.make_env()
    for bad, rule in (
        ({"timeout": 0, "retry_count": 3}, "at_least_configurations_timeout"),
        ({"timeout": 30, "retry_count": -1}, "at_least_configurations_retry_count"),
    ):
        state = env.state_hash()
        refused = env.call("add_service_config", service_name=f"svc-{rule}", configurations=bad)
        assert refused.error_type == "precondition_failed", refused.observation
        assert refused.observation["error"]["rule"] == rule
        assert env.state_hash() == state
    done = env.call(
        "add_service_config", service_name="svc-ok", configurations={"timeout": 1, "retry_count": 0}
    )
    assert done.ok, done.observation
    proofs = {p.rule: p.status for p in check_semantics(world, world.spec).rules}
    assert proofs["at_least_configurations_timeout"] == "proven"
    assert proofs["at_least_configurations_retry_count"] == "proven"


def test_a_prefix_stated_for_a_list_arguments_texts_is_enforced(external):
    """BFCL's ``post_tweet``: "Mention name should start with @." and "Tag name should start
    with #." (no pattern in the schema) become format rules on each element of ``mentions`` and
    ``tags``; the world refuses a mention without its @ and the semantic check proves both."""
    from agentscaler.worlds.checks.semantic import check_semantics

    path = external("bfcl/multi_turn_func_doc/posting_api.json")
    tools = [t for t in ingest.import_sources([str(path)]).tools if t.name == "post_tweet"]
    assert tools, "post_tweet is in BFCL's posting API"
    world = compile_world("bfcl-tweet", "tweet", tools[:1])
    rules = {r.name: r for r in world.spec.tools["post_tweet"].requires}
    assert {"mentions_starts_with_prefix", "tags_starts_with_prefix"} <= set(rules)
    assert "'@'" in rules["mentions_starts_with_prefix"].check
    assert "'#'" in rules["tags_starts_with_prefix"].check
    env = world.make_env()
    state = env.state_hash()
    refused = env.call("post_tweet", content="Hello", mentions=["@ann", "bob"], tags=["#hi"])
    assert refused.error_type == "precondition_failed", refused.observation
    assert refused.observation["error"]["rule"] == "mentions_starts_with_prefix"
    assert env.state_hash() == state
    done = env.call("post_tweet", content="Hello", mentions=["@ann", "@bob"], tags=["#hi"])
    assert done.ok, done.observation
    proofs = {p.rule: p.status for p in check_semantics(world, world.spec).rules}
    assert proofs["mentions_starts_with_prefix"] == "proven"
    assert proofs["tags_starts_with_prefix"] == "proven"


def test_a_tool_named_for_itself_writes_the_thing_its_description_names(external):
    """BFCL's ``write_html_tool`` ("Writes an HTML file to disk ..."): ``tool`` names the
    callable, so the call creates an HTML file, not a row of "HTML tools"."""
    path = external("bfcl/BFCL_v4_live_multiple.json")
    tools = [t for t in ingest.import_sources([str(path)]).tools if t.name == "write_html_tool"]
    assert tools, "write_html_tool is in BFCL live multiple"
    world = compile_world("bfcl-html", "html", tools[:1])
    tool = world.spec.tools["write_html_tool"]
    assert (tool.kind, tool.entity) == ("create", "html_file")
    assert [e.insert for e in tool.effects] == ["html_file"]


def test_child_rows_from_a_list_argument_keep_their_end_after_their_start(external):
    """ACEBench's ``project_manage_timeline``: each element of ``timeline`` becomes a child row
    with ``start_date`` and ``end_date``; the entity's invariant (an end after its start) guards
    every element, so a timeline with one event ending before it starts is refused, with
    nothing written, and the semantic check proves the rule."""
    from agentscaler.worlds.checks.semantic import check_semantics

    folder = external("acebench/data_en")
    tools = [
        t for t in ingest.import_sources([str(folder)]).tools if t.name == "project_manage_timeline"
    ]
    assert tools, "project_manage_timeline is in ACEBench"
    world = compile_world("ace-timeline", "timeline", tools[:1])
    rule = next(r for r in world.spec.tools["project_manage_timeline"].requires if r.each)
    assert rule.kind == "date" and "end_date" in rule.check and "start_date" in rule.check
    env = world.make_env()
    state = env.state_hash()
    good = {"event_id": "EV-1", "start_date": "2026-03-01", "end_date": "2026-03-02"}
    bad = {"event_id": "EV-2", "start_date": "2026-03-05", "end_date": "2026-03-04"}
    refused = env.call("project_manage_timeline", project_id="P-1", timeline=[good, bad])
    assert refused.error_type == "precondition_failed", refused.observation
    assert refused.observation["error"]["rule"] == rule.name
    assert env.state_hash() == state
    done = env.call("project_manage_timeline", project_id="P-1", timeline=[good])
    assert done.ok, done.observation
    proofs = {p.rule: p.status for p in check_semantics(world, world.spec).rules}
    assert proofs[rule.name] == "proven"


def test_named_formats_stated_for_text_arguments_are_enforced(external):
    """BFCL's ``releases_api_ReleasesApi_post_release``: ``version`` "following Semantic
    Versioning" and ``write_html_tool``'s ``content`` "Must contain valid HTML structure." (no
    pattern in either schema) become format rules: the world refuses ``1.4`` and an unclosed
    tag with nothing written, accepts ``2.1.3-beta`` and closed tags, the semantic check proves
    both rules, and conformance samples calls that pass them."""
    from agentscaler.worlds.checks.semantic import check_semantics
    from agentscaler.worlds.runtime.text_formats import has_format as in_format
    from agentscaler.worlds.seeding.sampling import ArgumentSampler

    cases = (
        (
            "bfcl/BFCL_v4_live_multiple.json",
            "releases_api_ReleasesApi_post_release",
            "version",
            "semver",
            {"project_id": 1, "release_date": "2026-03-01", "description": "First"},
            "1.4",
            "2.1.3-beta",
        ),
        (
            "bfcl/BFCL_v4_live_irrelevance.json",
            "write_html_tool",
            "content",
            "html",
            {"filename": "index.html"},
            "<html><body><p>Hi</body></html>",
            "<html><body><p>Hi<br></p></body></html>",
        ),
    )
    for path, name, param, text_format, others, bad, good in cases:
        tools = [t for t in ingest.import_sources([str(external(path))]).tools if t.name == name]
        assert tools, f"{name} is in {path}"
        world = compile_world(f"bfcl-{text_format}", text_format, tools[:1])
        rule = next(r for r in world.spec.tools[name].requires if "in_format" in r.check)
        assert rule.check == f"in_format(${param}, '{text_format}')"
        env = world.make_env()
        state = env.state_hash()
        refused = env.call(name, **others, **{param: bad})
        assert refused.error_type == "precondition_failed", refused.observation
        assert refused.observation["error"]["rule"] == rule.name
        assert env.state_hash() == state
        done = env.call(name, **others, **{param: good})
        assert done.ok, done.observation
        proofs = {p.rule: p.status for p in check_semantics(world, world.spec).rules}
        assert proofs[rule.name] == "proven", name
        sampled = [ArgumentSampler(env).sample(name, seed)[param] for seed in range(5)]
        assert all(in_format(v, text_format) for v in sampled), sampled
        report = check_world(world)
        assert report.passed, report.summary()


def test_credentials_given_to_a_login_must_match_an_account(external):
    """ACEBench's ``login_food_platform(username, password)`` ("Log in ... using a username and
    password.") in a world whose users have a username and a password (Seal-Tools' ``login``,
    which returns a ``user_id``): the pair must be a user's; a wrong password is refused naming the rule with
    nothing written, the user's own pair logs in, and the semantic check proves the rule."""

    tools = [
        t
        for t in ingest.import_sources(
            [str(external("acebench/data_en")), str(external("seal-tools/tool.jsonl"))]
        ).tools
        if t.name == "login_food_platform"
        or (t.name == "login" and {"username", "password"} <= set(t.parameters["properties"]))
    ]
    assert sorted(t.name for t in tools) == ["login", "login_food_platform"]
    world = compile_world("login", "login", tools)
    rule = next(r for r in world.spec.tools["login_food_platform"].requires if r.kind == "exists")
    assert rule.check == 'exists("user", username=$username, password=$password)'
    assert rule.source == "Log in to the food delivery platform using a username and password."
    _login_needs_an_account_s_password(world, rule)


def test_a_login_checks_credentials_the_accounts_keep_not_the_session(external):
    """ACEBench's ``login_food_platform(username, password)`` with the tools of its messaging
    service, whose users (senders and receivers of messages) carry no credentials, and alone:
    the accounts (the world's users, or a ``user`` entity the login brings) keep the username
    and the password, the session the login opens keeps the username but never the password,
    and the pair must be an account's: a wrong password is refused naming the rule with nothing
    written, and the semantic check proves the rule."""

    source = external("acebench/data_en")
    login = _real_tool(source, "login_food_platform")
    messages = _real_tool(source, "view_messages_between_users")
    for tools in ([login, messages], [login]):
        world = compile_world("login", "login", tools)
        spec = world.spec
        tool = spec.tools["login_food_platform"]
        assert {"username", "password"} <= set(spec.entities["user"].columns)
        assert "password" not in spec.entities[tool.entity].columns
        rule = next(r for r in tool.requires if r.kind == "exists")
        assert rule.check == 'exists("user", username=$username, password=$password)'
        assert rule.source == "Log in to the food delivery platform using a username and password."
        _login_needs_an_account_s_password(world, rule)


def _real_tool(source: Path, name: str, described: str = "") -> ToolSpec:
    tools = [
        t
        for t in ingest.import_sources([str(source)]).tools
        if t.name == name and described in t.description
    ]
    assert tools, f"{name} ({described!r}) is not in {source}"
    return tools[0]


def test_a_write_that_counts_the_things_it_names_makes_their_work_not_one_of_them(external):
    """Seal-Tools' ``coordinateRobots(task, number_of_robots, area, ...)`` ("Coordinates
    multiple robots to perform tasks together") next to ``createRobot``: the call sets a number
    of robots to a task, so it records a robot task with its arguments and adds no robot."""
    source = external("seal-tools/tool.jsonl")
    tools = [_real_tool(source, "coordinateRobots"), _real_tool(source, "createRobot")]
    world = compile_world("robots", "robots", tools)
    tool = world.spec.tools["coordinateRobots"]
    assert (tool.kind, tool.entity) == ("create", "robot_task")
    assert [e.insert for e in tool.effects] == ["robot_task"]
    env = world.make_env()
    robots = world.spec.entities["robot"].table
    tasks = world.spec.entities["robot_task"].table
    robots_before = len(env.db.rows(robots))
    tasks_before = {r["robot_task_id"] for r in env.db.rows(tasks)}
    args = ArgumentSampler(env).sample("coordinateRobots", random.Random(0))
    result = env.call("coordinateRobots", **args)
    assert result.ok, result.observation
    assert len(env.db.rows(robots)) == robots_before
    added = [r for r in env.db.rows(tasks) if r["robot_task_id"] not in tasks_before]
    assert len(added) == 1
    assert {k: added[0][k] for k in args} == args
    env.close()


def test_writes_naming_no_entity_act_on_a_real_record(external):
    """Real writes whose name and parameters name no entity (``logout``, ``move_to``,
    ``sendData``, ...) leave a row of what they act on, filled from their arguments: a row of
    the sessions a login opens for a logout, the position of the object moved, the transmission
    of the data sent."""
    cases = [
        ("bfcl/multi_turn_func_doc/ticket_api.json", "logout", "", "sessions"),
        ("bfcl/BFCL_v4_live_irrelevance.json", "move_to", "", "object_positions"),
        ("bfcl/BFCL_v4_live_irrelevance.json", "reschedule", "", "event_schedules"),
        ("seal-tools/tool.jsonl", "sendData", "", "data_transmissions"),
        ("seal-tools/tool.jsonl", "insertData", "", "data_entries"),
        ("seal-tools/tool.jsonl", "updateData", "", "data_updates"),
        ("bfcl/BFCL_v4_live_irrelevance.json", "record", "classification", "classifications"),
    ]
    for source, name, described, table in cases:
        tool = _real_tool(external(source), name, described)
        world = compile_world(f"generic-{name}", name, [tool])
        binding = world.world.binding(name)
        assert not binding.fallback, name
        assert (binding.kind, binding.table) == ("write", table), name
        env = world.make_env()
        args = ArgumentSampler(env).sample(name, random.Random(0))
        before = len(env.db.rows(table))
        result = env.step((name, args))
        assert result.ok, (name, result.observation)
        rows = env.db.rows(table)
        assert len(rows) == before + 1, name
        for param, value in args.items():
            column = next(p.column for p in binding.params if p.name == param)
            assert value in [r[column] for r in rows], (name, param)
        env.close()


def test_a_token_must_name_an_active_session(external):
    """BFCL's ``views_publish(token, user_id, view, hash)`` ("Authentication token required to
    authorize the publishing action."): the world keeps sessions, the token is checked against
    them rather than stored on the view, a token of no session or of an expired one is refused
    naming the rule with nothing written, an active session's token publishes, and the
    semantic check proves the rule."""
    from agentscaler.worlds.checks.semantic import check_semantics

    tool = _real_tool(external("bfcl/BFCL_v4_live_multiple.json"), "views_publish")
    world = compile_world("views", "views", [tool])
    spec = world.spec
    assert {"token", "status"} <= set(spec.entities["session"].columns)
    publish = spec.tools["views_publish"]
    assert publish.params["token"].role == "option"
    assert all("token" not in effect.values for effect in publish.effects)
    rule = next(r for r in publish.requires if r.kind == "exists")
    assert rule.check == "exists(\"session\", token=$token, status='active')"
    assert rule.source == "Authentication token required to authorize the publishing action."
    env = world.make_env()
    sessions = spec.entities["session"].table
    view = next(r for r in env.db.rows(spec.entities["view"].table) if r["status"] == "active")
    args = {"user_id": "U-1", "view": view["view"], "hash": "h-unseen-1"}
    live = env.db.find(sessions, where={"status": "active"}, limit=1)[0]
    expired = env.db.find(sessions, where={"status": "expired"}, limit=1)[0]
    state = env.state_hash()
    for token in (live["token"] + "x", expired["token"]):
        refused = env.call("views_publish", token=token, **args)
        assert refused.error_type == "precondition_failed", refused.observation
        assert refused.observation["error"]["rule"] == rule.name
        assert env.state_hash() == state
    done = env.call("views_publish", token=live["token"], **args)
    assert done.ok, done.observation
    proofs = {
        p.rule: p.status for p in check_semantics(world, spec).rules if p.tool == "views_publish"
    }
    assert proofs[rule.name] == "proven"


def test_a_write_for_the_authenticated_user_needs_someone_signed_in(external):
    """BFCL's TwitterAPI ``post_tweet`` ("Post a tweet for the authenticated user."): with no
    active session the call is refused naming the rule and changes nothing; with one it posts,
    and the semantic check proves the rule."""
    from agentscaler.worlds.checks.semantic import check_semantics

    tool = _real_tool(external("bfcl/multi_turn_func_doc/posting_api.json"), "post_tweet")
    world = compile_world("tweets", "tweets", [tool])
    rule = next(r for r in world.spec.tools["post_tweet"].requires if r.kind == "exists")
    assert rule.check == "exists(\"session\", status='active')"
    assert rule.source.endswith("Post a tweet for the authenticated user.")
    env = world.make_env()
    sessions = world.spec.entities["session"].table
    assert env.db.find(sessions, where={"status": "active"}, limit=1)
    key = world.spec.entities["session"].key

    def all_sessions(status: str) -> None:
        for row in env.db.rows(sessions):
            env.db.update(sessions, row[key], {"status": status})

    all_sessions("expired")
    state = env.state_hash()
    refused = env.call("post_tweet", content="hello")
    assert refused.error_type == "precondition_failed", refused.observation
    assert refused.observation["error"]["rule"] == rule.name
    assert env.state_hash() == state
    all_sessions("active")
    assert env.call("post_tweet", content="hello").ok
    proofs = {
        p.rule: p.status for p in check_semantics(world, world.spec).rules if p.tool == "post_tweet"
    }
    assert proofs[rule.name] == "proven"


def test_a_timed_entry_is_made_in_its_part_of_the_day(external):
    """ACEBench's ``ArtExhibitEntryManager.scanAndManageEntries`` ("... including time-based
    entry management ...", ``ticketDetails.entryTime`` one of Morning / Afternoon / Evening):
    a ticket for another part of the day than the world clock's is refused naming the rule with
    nothing written, the current part admits, and the semantic check proves the rule."""
    from agentscaler.worlds.checks.semantic import check_semantics
    from agentscaler.worlds.runtime.dbapi import Database

    name = "ArtExhibitEntryManager_scanAndManageEntries"
    tool = _real_tool(external("acebench/data_en/data_normal_atom_enum.json"), name)
    world = compile_world("exhibit", "exhibit", [tool])
    rule = next(r for r in world.spec.tools[name].requires if r.kind == "date")
    assert rule.check == "lower($ticketDetails.entryTime) == day_part(now())"
    assert "time-based entry management" in rule.source
    env = world.make_env()
    now = Database.day_part(world.spec.clock).capitalize()
    other = next(p for p in ("Morning", "Afternoon", "Evening") if p != now)
    settings = {"sensitivity": 5, "mode": "Automatic"}
    state = env.state_hash()
    refused = env.call(
        name, ticketDetails={"ticketID": "T1", "entryTime": other}, scannerSettings=settings
    )
    assert refused.error_type == "precondition_failed", refused.observation
    assert refused.observation["error"]["rule"] == rule.name
    assert env.state_hash() == state
    if now != "Night":
        done = env.call(
            name, ticketDetails={"ticketID": "T1", "entryTime": now}, scannerSettings=settings
        )
        assert done.ok, done.observation
    proofs = {p.rule: p.status for p in check_semantics(world, world.spec).rules if p.tool == name}
    assert proofs[rule.name] == "proven"


def test_day_parts_of_the_clock():
    from agentscaler.worlds.runtime.dbapi import Database

    parts = [Database.day_part(f"2026-05-01T{h:02d}:30:00+00:00") for h in (4, 5, 11, 12, 17, 21)]
    assert parts == ["night", "morning", "morning", "afternoon", "evening", "night"]


def test_an_approval_based_on_named_criteria_needs_the_record_to_meet_them(external):
    """Seal-Tools ``approveSupplier`` ("Approve a supplier based on quality criteria"): the
    supplier holds whether it meets the quality criteria; one that does not is refused naming
    the rule with nothing written, one that does is approved, and the semantic check proves
    the rule. A search "based on specified criteria" judges nothing."""
    from agentscaler.worlds.checks.semantic import check_semantics
    from agentscaler.worlds.infer.criteria import criteria_column

    assert criteria_column("Search for hotels based on specific criteria like price") is None
    tool = _real_tool(external("seal-tools/tool.jsonl"), "approveSupplier")
    world = compile_world("suppliers", "suppliers", [tool])
    spec = world.spec
    assert spec.entities["supplier"].columns["meets_quality_criteria"].type == "BOOLEAN"
    rule = next(r for r in spec.tools["approveSupplier"].requires if "meets" in r.check)
    assert rule.check == "supplier.meets_quality_criteria"
    assert rule.source == "Approve a supplier based on quality criteria"
    env = world.make_env()
    table, key = spec.entities["supplier"].table, spec.entities["supplier"].key
    supplier = next(r for r in env.db.rows(table) if r["approval_status"] == "active")
    env.db.update(table, supplier[key], {"meets_quality_criteria": False})
    state = env.state_hash()
    refused = env.call("approveSupplier", supplier_id=supplier[key], quality_criteria="ISO 9001")
    assert refused.error_type == "precondition_failed", refused.observation
    assert refused.observation["error"]["rule"] == rule.name
    assert env.state_hash() == state
    env.db.update(table, supplier[key], {"meets_quality_criteria": True})
    done = env.call("approveSupplier", supplier_id=supplier[key], quality_criteria="ISO 9001")
    assert done.ok, done.observation
    proofs = {
        p.rule: p.status for p in check_semantics(world, spec).rules if p.tool == "approveSupplier"
    }
    assert proofs[rule.name] == "proven"


def test_a_purchase_with_virtual_currency_is_paid_from_the_buyers_balance(external):
    """Seal-Tools ``purchaseVirtualItem(player_id, item_id, quantity)`` ("Allow a player to
    purchase a virtual item using virtual currency"): the player holds a balance of virtual
    currency and the item a price; a purchase the balance does not cover is refused naming the
    rule with nothing written, one it covers takes price x quantity off the balance, and the
    semantic check proves the rule."""
    from agentscaler.worlds.checks.semantic import check_semantics

    name = "purchaseVirtualItem"
    world = compile_world("game", "game", [_real_tool(external("seal-tools/tool.jsonl"), name)])
    spec = world.spec
    tool = spec.tools[name]
    rule = next(r for r in tool.requires if r.kind == "sufficient")
    assert rule.check == "player.virtual_currency >= item.price * $quantity"
    assert rule.source == "Allow a player to purchase a virtual item using virtual currency"
    assert any(e.decrement == "player" for e in tool.effects)
    env = world.make_env()
    players, items = spec.entities["player"], spec.entities["item"]
    player = env.db.rows(players.table)[0]
    item = next(r for r in env.db.rows(items.table) if r["price"])
    cost = item["price"] * 2
    env.db.update(players.table, player[players.key], {"virtual_currency": cost - 0.01})
    args = {"player_id": player[players.key], "item_id": item[items.key], "quantity": 2}
    state = env.state_hash()
    refused = env.call(name, **args)
    assert refused.error_type == "precondition_failed", refused.observation
    assert refused.observation["error"]["rule"] == rule.name
    assert env.state_hash() == state
    env.db.update(players.table, player[players.key], {"virtual_currency": cost + 5})
    assert env.call(name, **args).ok
    after = env.db.get(players.table, player[players.key])
    assert after["virtual_currency"] == pytest.approx(5)
    proofs = {p.rule: p.status for p in check_semantics(world, spec).rules if p.tool == name}
    assert proofs[rule.name] == "proven"


def test_a_token_that_finds_the_records_a_write_acts_on_keeps_finding_them(external):
    """BFCL's ``reminders_delete(token)`` ("Deletes a specified reminder based on the provided
    token."): the token is the only thing naming the reminder, so the call stays a delete that
    finds its rows by it (only a token a write would store becomes a credential option)."""
    tool = _real_tool(external("bfcl/BFCL_v4_live_multiple.json"), "reminders_delete")
    world = compile_world("reminders", "reminders", [tool])
    spec_tool = world.spec.tools["reminders_delete"]
    assert spec_tool.kind == "delete"
    assert spec_tool.params["token"].role != "option"


def _login_needs_an_account_s_password(world, rule) -> None:
    """``login_food_platform`` with a user's name and a wrong password is refused naming
    ``rule`` with nothing written, with the right one succeeds, and the semantic check proves
    the rule."""
    from agentscaler.worlds.checks.semantic import check_semantics

    env = world.make_env()
    try:
        user = env.db.rows(world.spec.entities["user"].table)[0]
        state = env.state_hash()
        refused = env.call(
            "login_food_platform", username=user["username"], password=user["password"] + "x"
        )
        assert refused.error_type == "precondition_failed", refused.observation
        assert refused.observation["error"]["rule"] == rule.name
        assert env.state_hash() == state
        done = env.call("login_food_platform", username=user["username"], password=user["password"])
        assert done.ok, done.observation
    finally:
        env.close()
    proofs = {
        p.rule: p.status
        for p in check_semantics(world, world.spec).rules
        if p.tool == "login_food_platform"
    }
    assert proofs[rule.name] == "proven"

"""Tools that name different things by one column name: the column is split into one column per
meaning, so that every seeded value is one the tool setting or filtering it takes."""

from __future__ import annotations

import random

from jsonschema import Draft202012Validator
from tests.worlds.test_spellings import _real_tools

from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.infer.schema_merge import disagreements
from agentscaler.worlds.schemas import resolve_schema
from agentscaler.worlds.seeding.sampling import ArgumentSampler
from agentscaler.worlds.spellings import to_tool


def _refused(world, tools: set[str]) -> tuple[int, list[str], dict[str, str]]:
    """Seeded values each of ``tools`` refuses in the column its parameters set or filter, as
    the tool spells them: ``(checks, refusals, {tool.parameter: column})``."""
    schemas = {
        t["function"]["name"]: t["function"]["parameters"]["properties"] for t in world.openai_tools
    }
    env = world.make_env()
    env.reset(seed=7, options={"rows_per_table": 20})
    checks, refused, columns = 0, [], {}
    for binding in world.world.tools:
        if binding.name not in tools:
            continue
        for param in binding.params:
            if param.role not in ("field", "filter") or param.table or not param.column:
                continue
            schema = resolve_schema(schemas[binding.name][param.name])
            spelled = world.tools[binding.name].spellings.get(param.name) or {}
            columns[f"{binding.name}.{param.name}"] = param.column
            for row in env.db.rows(binding.table):
                value = row[param.column]
                if value is None:
                    continue
                checks += 1
                shown = to_tool(value, spelled) if spelled else value
                error = next(Draft202012Validator(schema).iter_errors(shown), None)
                if error is not None:
                    refused.append(f"{binding.name}.{param.name}: {value!r} ({error.message})")
    env.close()
    return checks, refused, columns


def test_alert_types_and_severities_real_tools_name_differently_get_a_column_each(external):
    """BFCL: three tools create an alert configuration with an ``alert_type`` of three things
    (a message's kind ``message``/``warning``, an application metric ``error_rate``, a
    machine's resource ``CPU``), two with a ``severity`` of ``5``/``10`` or ``low``/``high``:
    one column each, every seeded value one its tool takes."""
    tools = _real_tools(
        external("bfcl/BFCL_v4_live_multiple.json"),
        {
            "EventSettingsApi_create_mobile_app_alert_config": "",
            "create_global_application_alert_config": "",
            "create_mobile_app_alert_config": "",
        },
    ) + _real_tools(
        external("bfcl/BFCL_v4_live_irrelevance.json"),
        {
            "create_infra_alert_config": "Creates a new infrastructure alert configuration in",
            "create_website_alert_config": "",
        },
    )
    world = compile_world("alert-configs", "alerts", tools)
    checks, refused, columns = _refused(world, {t.name for t in tools})
    assert checks >= 100 and not refused, refused[:5]
    alert_types = {
        columns[f"{n}.alert_type"]
        for n in (
            "EventSettingsApi_create_mobile_app_alert_config",
            "create_global_application_alert_config",
            "create_infra_alert_config",
        )
    }
    assert len(alert_types) == 3 and "infra_alert_type" in alert_types, alert_types
    severities = {
        columns["create_website_alert_config.severity"],
        columns["create_mobile_app_alert_config.severity"],
    }
    assert len(severities) == 2 and "severity" in severities, severities
    table = world.world.binding("create_infra_alert_config").table
    column = world.world.table(table).column("infra_alert_type")
    assert set(column.enum) == {"CPU", "Memory", "Disk", "Network"}
    # the tool writes the value it is given into its own column
    env = world.make_env()
    args = ArgumentSampler(env).sample("create_infra_alert_config", random.Random(3))
    result = env.step(("create_infra_alert_config", args))
    assert result.ok, result.observation
    [row] = [c.new for c in result.changes if c.op == "insert" and c.table == table]
    assert row["infra_alert_type"] == args["alert_type"]
    env.close()


def test_an_interval_as_text_and_one_as_a_number_get_a_column_each(external):
    """ACEBench's ``SystemMonitor_queryCPUUsage.timeInterval`` lists ``1min``/``5min``/...,
    Seal-Tools' ``getCPUUsage.time_interval`` is a number of seconds: each filters its own."""
    tools = _real_tools(
        external("acebench/data_en/data_normal_atom_object_deep.json"),
        {"SystemMonitor_queryCPUUsage": ""},
    ) + _real_tools(external("seal-tools/tool.jsonl"), {"getCPUUsage": ""})
    world = compile_world("cpu-usage", "cpu", tools)
    checks, refused, columns = _refused(world, {t.name for t in tools})
    assert checks >= 40 and not refused, refused[:5]
    assert (
        columns["SystemMonitor_queryCPUUsage.timeInterval"] != columns["getCPUUsage.time_interval"]
    )


def test_objects_whose_properties_real_tools_type_differently_get_a_column_each(external):
    """ACEBench: a writing session's ``sessionDetails.duration`` is 1-8 hours, a cultural
    exchange session's 30-180 minutes; one campaign's ``campaignDetails.emailContent`` is an
    object, another's free text (the sessions and campaigns are one entity each: a session is
    recorded by its ``session_id``, a campaign's budget read by its ``campaign_id``). Each
    tool's objects are seeded as it states them."""
    folder = external("acebench/data_en")
    sources = {
        folder / "data_normal_single_turn_parallel_function.json": {
            "CreativeSession_startWritingSession": "",
            "MediaOutreachManager_scheduleCampaign": "",
        },
        folder / "data_normal_atom_object_short.json": {"culturalExchange_initiateSession": ""},
        folder / "data_normal_multi_turn_user_switch.json": {
            "InternalEmailScheduler_configureEmailCampaign": ""
        },
        folder / "data_special_error_param.json": {"StudySessionRecorder": ""},
        external("seal-tools/tool.jsonl"): {"getAdvertisingBudget": ""},
    }
    tools = [t for path, names in sources.items() for t in _real_tools(path, names)]
    world = compile_world("details-meanings", "sessions", tools)
    for pair, param in (
        (
            ("CreativeSession_startWritingSession", "culturalExchange_initiateSession"),
            "sessionDetails",
        ),
        (
            (
                "MediaOutreachManager_scheduleCampaign",
                "InternalEmailScheduler_configureEmailCampaign",
            ),
            "campaignDetails",
        ),
    ):
        stated = [t.parameters["properties"][param] for t in tools if t.name in pair]
        assert len(stated) == 2 and disagreements(stated), pair  # no object satisfies both
        tables = {world.world.binding(name).table for name in pair}
        assert len(tables) == 1, tables  # one entity: its column would hold both
        checks, refused, columns = _refused(world, set(pair))
        assert checks >= 40 and not refused, refused[:5]
        assert len({columns[f"{name}.{param}"] for name in pair}) == 2


def test_schemas_that_join_are_no_disagreement():
    """Bounds that overlap, enums one tool spells its own way, a number listed as text and a
    truth value as text join: no column is split for them."""
    assert not disagreements([{"type": "integer", "maximum": 8}, {"type": "integer", "minimum": 1}])
    assert not disagreements(
        [{"enum": ["easy", "hard"], "type": "string"}, {"enum": ["Beginner", "Advanced"]}]
    )
    assert not disagreements(
        [{"type": "integer"}, {"type": "string", "enum": ["2015", "dontcare"]}]
    )
    assert not disagreements([{"type": "boolean"}, {"type": "string", "enum": ["yes", "no"]}])
    assert not disagreements([{"type": "object"}, {"type": "string"}])  # its JSON text
    assert disagreements([{"type": "integer", "maximum": 8}, {"type": "integer", "minimum": 30}])
    assert disagreements([{"enum": ["CPU", "Memory"]}, {"enum": ["message", "warning"]}])
    assert disagreements(
        [
            {"type": "object", "properties": {"body": {"type": "object"}}},
            {"type": "object", "properties": {"body": {"type": "string"}}},
        ]
    )


def test_a_details_object_with_a_property_another_tool_states_otherwise_stays_whole(external):
    """ACEBench: an audit report's ``reportDetails.timeFrame`` is one of "Last Month", "Last
    Quarter", "Last Year"; a compliance report's ``timeFrame`` is an object of a start and an end.
    Unwrapped into the report's columns, the audit's time frame and the compliance report's would
    share one column whose values one of them refuses; the audit's details stay one value of its
    row instead, and each tool's time frames are seeded as it states them."""
    folder = external("acebench/data_en")
    tools = [
        *_real_tools(
            folder / "data_normal_atom_list.json",
            {"CompanyAuditReportGenerator_generateReport": ""},
        ),
        *_real_tools(
            folder / "data_normal_single_turn_single_function.json",
            {"TechToolCompliance_generateReport": ""},
        ),
    ]
    world = compile_world("report-meanings", "reports", tools)
    roles = {
        p.name: p.role
        for p in world.world.binding("CompanyAuditReportGenerator_generateReport").params
    }
    assert roles["reportDetails"] == "field", roles
    pair = {"CompanyAuditReportGenerator_generateReport", "TechToolCompliance_generateReport"}
    checks, refused, _ = _refused(world, pair)
    assert checks >= 20 and not refused, refused[:5]

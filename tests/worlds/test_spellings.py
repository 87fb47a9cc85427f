"""Tools that spell one column's values differently: the column keeps one value set, each tool
takes and shows its own spelling, and no seeded value is one a tool taking it refuses."""

from __future__ import annotations

import json
import random
from pathlib import Path

from jsonschema import Draft202012Validator

from agentscaler import ingest
from agentscaler.records import ToolSpec
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.schemas import resolve_schema
from agentscaler.worlds.spellings import (
    read_arguments,
    shared_by_meaning,
    show_result,
    spelling,
    to_tool,
)


def _real_tools(source: Path, names: dict[str, str]) -> list[ToolSpec]:
    """The tools of ``source`` named like the keys whose description holds the value."""
    found = []
    for tool in ingest.import_sources([str(source)]).tools:
        if tool.name in names and names[tool.name] in tool.description:
            found.append(tool)
    assert {t.name for t in found} == set(names), sorted(t.name for t in found)
    return found


def _refusals(world, table: str, column: str) -> tuple[int, list[str]]:
    """Seeded values of ``table.column`` a tool setting, filtering or naming them refuses, as
    the tool spells them (value x parameter checks, refusals)."""
    schemas = {
        t["function"]["name"]: t["function"]["parameters"]["properties"] for t in world.openai_tools
    }
    table_record = world.world.table(table)
    takers = []
    for binding in world.world.tools:
        for param in binding.params:
            sets = param.role in ("field", "filter") and (binding.table, param.column) == (
                table,
                column,
            )
            names = param.role in ("key", "reference", "filter") and param.table == table
            if (sets or (names and column == table_record.primary_key)) and (
                param.name in schemas[binding.name]
            ):
                schema = resolve_schema(schemas[binding.name][param.name])
                spelled = world.tools[binding.name].spellings.get(param.name) or {}
                takers.append((f"{binding.name}.{param.name}", schema, spelled))
    assert len(takers) >= 2, takers
    env = world.make_env()
    env.reset(seed=7, options={"rows_per_table": 20})
    checks, refused = 0, []
    for row in env.db.rows(table):
        value = row[column]
        for where, schema, spelled in takers:
            checks += 1
            shown = to_tool(value, spelled) if spelled else value
            if isinstance(shown, str) and schema.get("type") == "integer" and shown.isdigit():
                shown = int(shown)  # an id kept as text, passed as the number it is
            if schema.get("type") == "array" and not isinstance(shown, list):
                schema = resolve_schema(schema.get("items") or {})  # one of a list's items
            error = next(Draft202012Validator(schema).iter_errors(shown), None)
            if error is not None:
                refused.append(f"{where}: {value!r} ({error.message})")
    env.close()
    return checks, refused


def test_values_are_matched_by_meaning_and_unrelated_ones_are_not():
    assert spelling(["Beginner", "Intermediate", "Advanced"], ["easy", "medium", "hard"]) == {
        "Beginner": "easy",
        "Intermediate": "medium",
        "Advanced": "hard",
    }
    assert spelling(["resolves_to", "downloads"], ["resolved_to", "related_to"]) == {
        "resolves_to": "resolved_to"
    }
    assert spelling(["15 minutes", "30 minutes", "1 hour"], ["15", "30", "45"]) == {
        "15 minutes": "15",
        "30 minutes": "30",
    }
    assert spelling(["UberX", "UberPool"], ["Pool", "Regular"]) == {"UberPool": "Pool"}
    assert spelling(["0", "1"], [True, False]) == {"0": False, "1": True}
    # vocabularies of different things share nothing by meaning
    assert spelling(["error_rate", "traffic_spike"], ["message", "warning"]) == {}
    assert spelling(["2-4 years", "5-7 years"], ["3-5 years", "6-8 years"]) == {}
    assert shared_by_meaning(["15", "30", "45"], [["15 minutes", "30 minutes", "1 hour"]]) == [
        "15",
        "30",
    ]


def test_a_tool_reads_its_spelling_in_and_shows_it_in_its_results():
    spellings = {"level": {"Beginner": "easy", "Advanced": "hard"}, "details": "json"}
    assert read_arguments({"level": "Beginner", "details": '{"a": 1}', "n": 2}, spellings) == {
        "level": "easy",
        "details": {"a": 1},
        "n": 2,
    }
    shown = {"level": spellings["level"], "details": "json"}
    result = {"results": [{"level": "hard", "details": {"a": 1}}, {"level": "medium"}]}
    assert show_result(result, shown) == {
        "results": [{"level": "Advanced", "details": '{"a": 1}'}, {"level": "medium"}]
    }


def test_a_column_two_real_tools_spell_differently_holds_values_both_take(external):
    """ACEBench: one quiz tool states ``easy / medium / hard``, another ``Beginner /
    Intermediate / Advanced`` for the same difficulty: seeded rows hold one spelling, the other
    tool takes its own and the row stores the column's."""
    folder = external("acebench/data_en")
    tools = _real_tools(
        folder / "data_normal_atom_number.json", {"ARQuizGenerator_generateTimedQuiz": ""}
    ) + _real_tools(
        folder / "data_normal_atom_list.json", {"education_create_interactive_quiz": ""}
    )
    world = compile_world("quiz-spellings", "quiz", tools)
    binding = world.world.binding("education_create_interactive_quiz")
    table = binding.table
    column = binding.param("difficulty_level").column
    checks, refused = _refusals(world, table, column)
    assert checks >= 40 and not refused, refused[:5]
    assert world.tools["education_create_interactive_quiz"].spellings["difficulty_level"] == {
        "Beginner": "easy",
        "Intermediate": "medium",
        "Advanced": "hard",
    }
    assert "spellings={'difficulty_level':" in world.source  # visible in the generated code
    env = world.make_env()
    from agentscaler.worlds.seeding.sampling import ArgumentSampler

    args = ArgumentSampler(env).sample("education_create_interactive_quiz", random.Random(3))
    args["difficulty_level"] = "Advanced"
    result = env.step(("education_create_interactive_quiz", args))
    assert result.ok, result.observation
    created = next(c.new for c in result.changes if c.op == "insert" and c.table == table)
    assert created[column] == "hard"
    env.close()


def test_a_truth_value_one_real_tool_spells_as_text_is_seeded_as_one(external):
    """BFCL: ``search_google.filter`` is a boolean, ``search_on_google.filter`` the text
    ``"0"`` / ``"1"``: the column holds booleans, the second tool takes ``"1"`` for true."""
    tools = _real_tools(
        external("bfcl/BFCL_v4_live_irrelevance.json"),
        {"search_google": "", "search_on_google": ""},
    )
    world = compile_world("search-spellings", "search", tools)
    binding = world.world.binding("search_on_google")
    checks, refused = _refusals(world, binding.table, binding.param("filter").column)
    assert checks >= 40 and not refused, refused[:5]


def test_years_one_real_tool_lists_as_text_are_seeded_as_numbers_it_lists(external):
    """BFCL and Seal-Tools: ``Music_3_LookupMusic.year`` lists ``"2010"``-``"2019"`` and
    ``"dontcare"`` as text, ``getMusicInfo.year`` is an integer: seeded years are integers of
    the listed ones, which the first tool takes as its text."""
    tools = _real_tools(
        external("bfcl/BFCL_v4_live_irrelevance.json"), {"Music_3_LookupMusic": ""}
    ) + _real_tools(external("seal-tools/tool.jsonl"), {"getMusicInfo": ""})
    world = compile_world("music-spellings", "music", tools)
    binding = world.world.binding("Music_3_LookupMusic")
    table, column = binding.table, binding.param("year").column
    checks, refused = _refusals(world, table, column)
    assert checks >= 20 and not refused, refused[:5]


def test_ids_several_real_tools_list_are_the_ones_all_of_them_name(external):
    """BFCL: three tools list the service ids they know (``[1, 2, 7, 13]``, ``[1, 2, 3]``,
    ``[1, 2, 3, 13, 39, 15, 35, 24]``): seeded services are the ones every tool names."""
    tools = _real_tools(
        external("bfcl/BFCL_v4_live_irrelevance.json"),
        {"get_service_id": "", "get_value_chat": ""},
    )
    world = compile_world("service-ids", "services", tools)
    table = world.world.binding("get_value_chat").param("service_id").table
    key = world.world.table(table).primary_key
    checks, refused = _refusals(world, table, key)
    assert checks >= 4 and not refused, refused[:5]


def test_free_text_a_real_tool_takes_for_a_column_of_objects_is_their_json(external):
    """ACEBench: ``entertainment_manage_contracts.contract_details`` is an object,
    ``ContractManager_manageContracts.contractDetails`` free text for the same details: the
    column holds objects, the second tool takes and shows them as JSON text."""
    folder = external("acebench/data_en")
    tools = _real_tools(
        folder / "data_normal_atom_object_deep.json", {"entertainment_manage_contracts": ""}
    ) + _real_tools(
        folder / "data_normal_multi_turn_user_switch.json", {"ContractManager_manageContracts": ""}
    )
    world = compile_world("contract-spellings", "contracts", tools)
    binding = world.world.binding("ContractManager_manageContracts")
    column = binding.param("contractDetails").column
    checks, refused = _refusals(world, binding.table, column)
    assert checks >= 40 and not refused, refused[:5]
    assert world.tools[binding.name].spellings == {"contractDetails": "json"}
    env = world.make_env()
    from agentscaler.worlds.seeding.sampling import ArgumentSampler

    args = ArgumentSampler(env).sample(binding.name, random.Random(5))
    given = json.loads(args["contractDetails"])  # the sampled text is an object's JSON
    result = env.step((binding.name, args))
    assert result.ok, result.observation
    stored = [c.new for c in result.changes if c.op == "insert" and c.table == binding.table]
    assert stored and stored[0][column] == given
    env.close()


def test_a_column_free_text_and_a_list_of_objects_name_holds_the_objects(external):
    """The chart tools of ACEBench, BFCL and Seal-Tools: ``DataVisualization_createDynamicChart``
    takes ``data`` as a list of ``{category, value}`` objects, ``getChartData`` as free text:
    the column holds such objects (free text would fit no object) and the free-text tool takes
    their JSON."""
    sources = {
        "acebench/data_en/data_normal_atom_number.json": {
            "DataVisualization_createDynamicChart": ""
        },
        "acebench/data_en/data_normal_multi_turn_user_switch.json": {
            "projectManagement_customizeGanttChart": ""
        },
        "acebench/data_en/data_normal_single_turn_single_function.json": {
            "social_finance_chart_generator": ""
        },
        "bfcl/BFCL_v4_simple_javascript.json": {"DynamicChartGenerator": ""},
        "bfcl/BFCL_v4_live_simple.json": {"generate_chart": ""},
        "seal-tools/tool.jsonl": {
            "customizeChart": "",
            "exportChart": "",
            "getChartData": "",
            "plotLineChart": "",
        },
    }
    tools = [t for path, names in sources.items() for t in _real_tools(external(path), names)]
    world = compile_world("chart-spellings", "charts", tools)
    binding = next(
        b
        for b in world.world.tools
        if b.name != "DataVisualization_createDynamicChart"
        and b.table == world.world.binding("DataVisualization_createDynamicChart").table
        and b.param("data") is not None
    )
    column = binding.param("data").column
    assert world.world.table(binding.table).column(column).value_schema["type"] == "object"
    checks, refused = _refusals(world, binding.table, column)
    assert checks >= 40 and not refused, refused[:5]

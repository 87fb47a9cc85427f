"""Records nesting records of their own shape: one self-referencing table of nodes, a session
row holding the current node, and the nested document written back exactly."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from agentscaler.worlds.importing.build import import_world, load_tools, round_trip, storage_world
from agentscaler.worlds.importing.read import Source
from agentscaler.worlds.importing.replay import Call, replay, state_document
from agentscaler.worlds.importing.schema import plan_import
from agentscaler.worlds.importing.shape import canonical_data, export_document
from agentscaler.worlds.importing.tree import nesting_field

TREE = {
    "root": {
        "home": {
            "type": "directory",
            "contents": {
                "notes.txt": {"type": "file", "content": "b\na\n"},
                "empty": {"type": "directory", "contents": {}},
                "docs": {
                    "type": "directory",
                    "contents": {"plan.md": {"type": "file", "content": "x"}},
                },
            },
        }
    },
    "owner": "ann",
}


def _source(document: dict) -> Source:
    return Source(path=Path("fs.json"), format="json", document=copy.deepcopy(document))


def _tables(plan) -> dict[str, list[dict]]:
    return {name: [dict(r) for r in rows] for name, rows in plan.rows.items()}


def test_nested_nodes_become_one_self_referencing_table_and_a_session_row():
    plan = plan_import(_source(TREE), "fs")
    tables = {t.name: t for t in plan.tables}
    nodes = tables["root"]
    assert [c.name for c in nodes.columns] == ["node_id", "parent_id", "name", "type", "content"]
    assert nodes.column("parent_id").references == "root"
    rows = plan.rows["root"]
    assert [(r["name"], r["parent_id"]) for r in rows] == [
        ("home", None),
        ("notes.txt", 1),
        ("empty", 1),
        ("docs", 1),
        ("plan.md", 4),
    ]
    assert rows[1]["content"] == "b\na\n" and rows[0]["content"] is None
    assert tables["session"].column("current_node_id").references == "root"
    assert plan.rows["session"] == [{"session_id": 1, "current_node_id": 1}]
    assert plan.shape.collections[0].nest_when == ("type", ("directory",))


def test_a_tree_round_trips_and_a_lost_node_is_noticed():
    before, after = round_trip(_source(TREE))
    assert before == after
    plan = plan_import(_source(TREE), "fs")
    tables = _tables(plan)
    tables["root"] = [r for r in tables["root"] if r["name"] != "plan.md"]
    assert canonical_data(export_document(plan.shape, tables)) != before
    assert storage_world(plan).tables  # the tree is stored as world tables


def test_new_nodes_are_written_like_the_data_and_keep_their_place():
    plan = plan_import(_source(TREE), "fs")
    tables = _tables(plan)
    tables["root"] += [
        {"node_id": 6, "parent_id": 3, "name": "new", "type": "directory", "content": None},
        {"node_id": 7, "parent_id": 1, "name": "a.txt", "type": "file", "content": "hi"},
    ]
    home = export_document(plan.shape, tables)["root"]["home"]["contents"]
    assert list(home) == ["notes.txt", "empty", "docs", "a.txt"]
    assert home["empty"]["contents"] == {"new": {"type": "directory", "contents": {}}}
    assert home["a.txt"] == {"type": "file", "content": "hi"}


def test_without_a_telling_column_nodes_keep_the_nest_field_as_given():
    doc = {
        "tree": {"a": {"size": 1, "children": {"b": {"size": 2}, "c": {"size": 3, "children": {}}}}}
    }
    assert nesting_field(doc["tree"]) == "children"
    plan = plan_import(_source(doc), "t")
    assert plan.shape.collections[0].nest_when is None
    assert len(set(round_trip(_source(doc)))) == 1


def test_records_that_do_not_nest_their_own_shape_are_not_a_tree():
    assert nesting_field({"u1": {"name": "a", "address": {"city": "x", "zip": "1"}}}) is None
    assert nesting_field({"u1": {"name": "a", "meta": {"k": {"other": 1}}}}) is None
    assert nesting_field({"u1": {"name": "a", "sub": {}}}) is None


# --- tools over the tree -----------------------------------------------------------------------


def _tool(name: str, description: str, params: dict, returns: dict | None = None) -> dict:
    spec = {
        "name": name,
        "description": description,
        "parameters": {"type": "object", "properties": params, "required": list(params)[:1]},
    }
    if returns is not None:
        spec["response"] = {"type": "object", "properties": returns}
    return spec


_NAME = {"type": "string", "description": "The name of the file in the current directory."}
_TEXT = {"type": "string"}
FS_TOOLS = [
    _tool("where", "Return the current working directory path.", {}, {"path": _TEXT}),
    _tool(
        "enter",
        "Change the current working directory to the specified folder.",
        {"folder": {"type": "string", "description": "The folder to change to."}},
        {"now_in": _TEXT},
    ),
    _tool(
        "listing",
        "List the contents of the current directory.",
        {"all": {"type": "boolean", "description": "Show hidden files and directories."}},
        {"entries": {"type": "array", "items": _TEXT}},
    ),
    _tool("new_folder", "Create a new directory in the current directory.", {"dir_name": _NAME}),
    _tool(
        "new_file",
        "Create a new file of any extension in the current directory.",
        {"file_name": _NAME},
    ),
    _tool(
        "show",
        "Display the contents of a file of any extension from current directory.",
        {"file_name": _NAME},
        {"text": _TEXT},
    ),
    _tool(
        "put",
        "Write content to a file at current directory or display it in the terminal.",
        {"content": {"type": "string", "description": "The content to write."}, "file_name": _NAME},
        {"terminal_output": _TEXT},
    ),
    _tool(
        "count",
        "Count the number of lines, words, and characters in a file from current directory.",
        {
            "file_name": _NAME,
            "mode": {
                "type": "string",
                "description": "Mode ('l' for lines, 'w' for words).",
                "default": "l",
            },
        },
        {"count": {"type": "integer"}, "type": _TEXT},
    ),
    _tool(
        "relocate",
        "Move a file or directory from one location to another.",
        {"source": _NAME, "destination": _NAME},
        {"result": _TEXT},
    ),
    _tool("erase", "Remove a file or directory.", {"file_name": _NAME}, {"result": _TEXT}),
]


@pytest.fixture(scope="module")
def fs(tmp_path_factory):
    out = tmp_path_factory.mktemp("fs")
    tools_path = out / "tools.json"
    tools_path.write_text(json.dumps(FS_TOOLS))
    return import_world(load_tools([tools_path]), _source(TREE), "fs", out, check=False)


def _run(world, *calls: tuple[str, dict]) -> tuple[list[dict], dict]:
    records = list(replay(world.compiled, [Call(n, a, i) for i, (n, a) in enumerate(calls)]))
    final = records.pop()["final_state"]
    return records, state_document(world.compiled, final)


def test_tree_tools_are_operations_named_in_the_report(fs):
    notes = [w for w in fs.warnings if w.startswith("tool ")]
    assert len(notes) == len(FS_TOOLS)
    assert "tool enter: enter on the tree of table root" in " ".join(notes)
    assert "len(body_text.split())" in fs.compiled.source  # the formula is in the code


def test_reads_resolve_names_through_the_current_node(fs):
    records, state = _run(
        fs,
        ("where", {}),
        ("listing", {"all": False}),
        ("enter", {"folder": "docs"}),
        ("where", {}),
        ("show", {"file_name": "plan.md"}),
        ("enter", {"folder": ".."}),
        ("show", {"file_name": "notes.txt"}),
        ("count", {"file_name": "notes.txt", "mode": "l"}),
        ("show", {"file_name": "plan.md"}),
        ("enter", {"folder": "nowhere"}),
    )
    outputs = [r.get("output") for r in records]
    assert outputs[0] == {"path": "/home"}
    assert outputs[1] == {"entries": ["notes.txt", "empty", "docs"]}
    assert outputs[2] == {"now_in": "docs"}
    assert outputs[3] == {"path": "/home/docs"}
    assert outputs[4] == {"text": "x"}
    assert outputs[6] == {"text": "b\na\n"}
    assert outputs[7] == {"count": 2, "type": "lines"}
    assert [r["ok"] for r in records[8:]] == [False, False]  # not in the current node
    assert state == TREE  # reads change nothing


def test_writes_change_the_tree_and_export_it_nested(fs):
    records, state = _run(
        fs,
        ("new_file", {"file_name": "todo.txt"}),
        ("put", {"content": "one two", "file_name": "todo.txt"}),
        ("new_folder", {"dir_name": "old"}),
        ("relocate", {"source": "notes.txt", "destination": "old"}),
        ("relocate", {"source": "todo.txt", "destination": "done.txt"}),
        ("erase", {"file_name": "docs"}),
        ("new_file", {"file_name": "done.txt"}),
        ("put", {"content": "shown"}),
        ("relocate", {"source": "old", "destination": "old"}),
    )
    assert [r["ok"] for r in records] == [True] * 6 + [False, True, False]
    assert records[3]["output"] == {"result": "'notes.txt' moved to 'old/notes.txt'"}
    assert records[7]["output"] == {"terminal_output": "shown"}
    home = state["root"]["home"]["contents"]
    assert home == {
        "empty": {"type": "directory", "contents": {}},
        "done.txt": {"type": "file", "content": "one two"},
        "old": {
            "type": "directory",
            "contents": {"notes.txt": {"type": "file", "content": "b\na\n"}},
        },
    }
    assert state["owner"] == "ann"


def test_a_tree_without_leaves_takes_their_text_field_from_the_tools(tmp_path):
    tools_path = tmp_path / "tools.json"
    tools_path.write_text(json.dumps(FS_TOOLS))
    empty = {"root": {"home": {"type": "directory", "contents": {}}}}
    assert nesting_field(empty["root"]) is None  # nothing nested: not a tree by the data alone
    world = import_world(load_tools([tools_path]), _source(empty), "bare", tmp_path, check=False)
    assert "its text is column content, as the tools write it" in " ".join(world.warnings)
    records, state = _run(
        world,
        ("new_folder", {"dir_name": "src"}),
        ("enter", {"folder": "src"}),
        ("new_file", {"file_name": "a.py"}),
        ("put", {"content": "x = 1", "file_name": "a.py"}),
        ("count", {"file_name": "a.py", "mode": "w"}),
    )
    assert all(r["ok"] for r in records)
    assert records[-1]["output"] == {"count": 3, "type": "words"}
    assert state == {
        "root": {
            "home": {
                "type": "directory",
                "contents": {
                    "src": {
                        "type": "directory",
                        "contents": {"a.py": {"type": "file", "content": "x = 1"}},
                    }
                },
            }
        }
    }
    before, after = round_trip(_source(empty))  # without the tools: a plain collection
    assert before == after


def test_a_tree_keeps_its_own_column_names_when_the_tools_spell_them_otherwise(tmp_path):
    doc = {
        "root": {
            "top": {
                "node_type": "dir",
                "contents": {
                    "a": {"node_type": "doc", "body": "x"},
                    "b": {"node_type": "dir", "contents": {}},
                },
            }
        }
    }
    tools = [*FS_TOOLS, _tool("kinds", "Get the kinds.", {"nodetype": _TEXT}, {"nodetype": _TEXT})]
    tools_path = tmp_path / "tools.json"
    tools_path.write_text(json.dumps(tools))
    world = import_world(load_tools([tools_path]), _source(doc), "spelled", tmp_path, check=False)
    assert state_document(world.compiled) == doc
    records, state = _run(world, ("new_folder", {"dir_name": "c"}))
    assert records[0]["ok"] and state["root"]["top"]["contents"]["c"] == {
        "node_type": "dir",
        "contents": {},
    }


def test_a_tree_world_passes_its_checks_reading_files_after_entering_their_folder(tmp_path):
    from agentscaler.worlds.checks.conformance import check_world

    nested = {  # no file in the current directory: each is read after entering its folder
        "root": {
            "home": {
                "type": "directory",
                "contents": {
                    "empty": {"type": "directory", "contents": {}},
                    "docs": {
                        "type": "directory",
                        "contents": {
                            "plan.md": {"type": "file", "content": "x y\nz\n"},
                            "notes.txt": {"type": "file", "content": "b\na\n"},
                        },
                    },
                },
            }
        }
    }
    tools_path = tmp_path / "tools.json"
    tools_path.write_text(json.dumps(FS_TOOLS))
    world = import_world(load_tools([tools_path]), _source(nested), "fs", tmp_path, check=False)
    report = check_world(world.compiled, seed=0)
    assert report.passed, [c for c in report.checks if not c.ok]
    checks = {(c.check, c.tool): c for c in report.checks}
    # the tree tools are code the spec does not describe: the spec keeps them as fallbacks
    spec = world.compiled.load_spec()
    assert all(spec.tools[t["name"]].fallback for t in FS_TOOLS)
    assert checks[("agrees", "show")].detail.startswith("not compared")
    # arguments naming a node are drawn from the tree's names
    assert world.compiled.world.binding("show").param("file_name").role == "filter"
    assert world.compiled.world.binding("relocate").param("destination").role != "filter"
    # no file to show in the current directory: shown once another call entered a folder
    # or made a file
    assert checks[("read", "show")].detail.startswith("after a call of ")
    assert checks[("read", "count")].detail.startswith("after a call of ")

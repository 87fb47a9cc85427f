"""Tools bound to a tree of nodes and its current node (a file system imported from its
directory tree).

A tool whose docs speak of the current directory, a file or a directory is one operation on the
tree, read from the verbs of its description (``Change the current working directory`` moves the
current node, ``List the contents`` lists its children, ``Create a new file`` inserts a leaf,
``Count the number of lines, words`` counts over a leaf's content ...); its arguments take parts
by type and by what their descriptions say (the name of a file, a pattern, a number of lines).
The tool's code is written out by :mod:`agentscaler.worlds.codegen.tree` in place of what the
inference bound (a row operation on the nodes' table knows neither the current node nor the
nesting), and the import report says which tool got which operation.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import replace
from typing import Any

from agentscaler.records import ToolSpec
from agentscaler.records.world import Column, ParamBinding
from agentscaler.worlds.codegen.tree import (
    LOCALS,
    SESSION_HELPER,
    WRITES,
    TreeLayout,
    TreeOperation,
    TreeTool,
    helpers_source,
    tool_source,
)
from agentscaler.worlds.importing.schema import ImportPlan
from agentscaler.worlds.importing.shape import CollectionShape, FieldShape
from agentscaler.worlds.importing.tree import (
    CURRENT_COLUMN,
    NAME_COLUMN,
    NODE_KEY,
    PARENT_COLUMN,
    SESSION_KEY,
)
from agentscaler.worlds.interface import read_params, read_returns, snake
from agentscaler.worlds.runtime.loader import CompiledWorld, code_hash
from agentscaler.worlds.spec.io import dump_spec
from agentscaler.worlds.spec.model import SpecTool, WorldSpec

CUES: tuple[tuple[TreeOperation, str], ...] = (
    ("count", r"\bcount the number of\b"),
    ("lines_matching", r"\bsearch for lines\b"),
    ("last_lines", r"\b(display|show|print)\b.*\blast (part|lines?)\b"),
    ("sorted_lines", r"^sort\b.*\bline by line\b"),
    ("compare", r"^compare two files\b"),
    ("size", r"\bdisk usage\b"),
    ("search", r"^find\b.*\b(files?|director(y|ies))\b"),
    ("path", r"^(return|print|show|get)\b.*\bcurrent (working )?directory\b.*\bpath\b"),
    ("enter", r"^change\b.*\b(current|working) directory\b"),
    ("list", r"^list\b.*\bcontents?\b.*\bdirectory\b"),
    ("make_leaf", r"^create an? (new )?file\b"),
    ("make_container", r"^create an? (new )?(directory|folder)\b"),
    ("write", r"^write\b.*\bto an? file\b"),
    ("read", r"^(display|show|print|read)\b.*\bcontents? of an? file\b"),
    ("remove_empty", r"^(remove|delete) an? (empty )?(directory|folder)\b"),
    ("remove", r"^(remove|delete) an? file\b"),
    ("move", r"^move an? file or directory\b"),
    ("copy", r"^copy an? file or directory\b"),
)
"""Operation of a tool by the first sentence of its description (the service's own preamble
left out)."""
_NODE_WORDS = re.compile(r"\b(file|directory|folder|name|source|destination|path)\b", re.I)
_UNIT = re.compile(r"'(\w+)' for (\w+)")


def _tree_shape(plan: ImportPlan) -> CollectionShape | None:
    shape = next((c for c in plan.shape.collections if c.style == "tree"), None)
    if shape is None or shape.nest_when is None or not shape.session:
        return None
    return shape


def speaks_of_tree(tools: list[ToolSpec]) -> bool:
    """The tools move a current node and list its children (a file system's cd and ls)."""
    operations = {operation_of(t) for t in tools}
    return {"enter", "list"} <= operations


def _leaf_noun(tools: list[ToolSpec]) -> str | None:
    """What the tool creating leaves calls them (``Create a new file ...`` -> ``file``)."""
    for tool in tools:
        if operation_of(tool) == "make_leaf":
            found = re.search(r"^create an? (?:new )?(\w+)", _sentence(tool.description), re.I)
            if found:
                return found.group(1).lower()
    return None


def _text_argument(tools: list[ToolSpec]) -> str | None:
    """The argument a tool writes into a leaf with (``content``)."""
    for tool in tools:
        if operation_of(tool) == "write":
            tree = tree_tool(tool, "write", "db", "")
            if tree.text:
                return tree.text
    return None


def complete_leaves(plan: ImportPlan, tools: list[ToolSpec]) -> list[str]:
    """A tree whose data holds no leaf yet gets the leaves' text column, named after the
    argument the tools write a leaf's text with (written back under that name)."""
    shape = _tree_shape(plan)
    if shape is None or shape.nest_when is None:
        return []
    kind, containers = shape.nest_when
    rows = plan.rows.get(shape.table, [])
    if any(r.get(kind) not in containers for r in rows):
        return []
    field = _text_argument(tools)
    table = next(t for t in plan.tables if t.name == shape.table)
    if field is None or snake(field) in {c.name for c in table.columns}:
        return []
    column = snake(field)
    plan.tables = [
        t.model_copy(
            update={
                "columns": (
                    *t.columns,
                    Column(
                        name=column,
                        type="TEXT",
                        semantic="text",
                        description=f"{shape.name}..{field}",
                    ),
                )
            }
        )
        if t.name == shape.table
        else t
        for t in plan.tables
    ]
    for row in rows:
        row[column] = None
    added = FieldShape(field=field, column=column, null_absent=True)
    plan.shape = plan.shape.model_copy(
        update={
            "collections": tuple(
                c.model_copy(update={"fields": (*c.fields, added)}) if c is shape else c
                for c in plan.shape.collections
            )
        }
    )
    return [
        f"table {shape.table}: the data holds no {_leaf_noun(tools) or 'leaf'} yet; its text "
        f"is column {column}, as the tools write it (field {field})"
    ]


def layout_of(plan: ImportPlan, tools: list[ToolSpec]) -> TreeLayout | None:
    """The tree of an import whose nodes tell containers from leaves by a column's value and
    whose leaves hold a text column."""
    shape = _tree_shape(plan)
    if shape is None or shape.nest_when is None:
        return None
    kind, containers = shape.nest_when
    rows = plan.rows.get(shape.table, [])
    leaves = [r for r in rows if r.get(kind) not in containers]
    leaf_values = Counter(r.get(kind) for r in leaves)
    leaf = leaf_values.most_common(1)[0][0] if leaf_values else _leaf_noun(tools)
    table = next(t for t in plan.tables if t.name == shape.table)
    texts = [
        c.name
        for c in table.columns
        if c.type == "TEXT" and c.name not in (NAME_COLUMN, kind) and not c.primary_key
    ]
    content = next((c for c in texts if any(r.get(c) is not None for r in leaves)), None)
    if content is None and len(texts) == 1:
        content = texts[0]
    if leaf is None or content is None:
        return None
    return TreeLayout(
        table=shape.table,
        key=NODE_KEY,
        parent=PARENT_COLUMN,
        name=NAME_COLUMN,
        kind=kind,
        containers=tuple(containers),
        leaf=leaf,
        content=content,
        session=shape.session,
        session_key=SESSION_KEY,
        current=CURRENT_COLUMN,
    )


def _sentence(description: str) -> str:
    """A tool's own description: the part after a service's shared preamble."""
    text = description.split("Tool description:")[-1].strip()
    return text[:1].lower() + text[1:]


def operation_of(tool: ToolSpec) -> TreeOperation | None:
    text = _sentence(tool.description)
    for operation, cue in CUES:
        if re.search(cue, text, re.I):
            return operation
    return None


def _said(param: Any) -> str:
    return str(param.schema.get("description") or "")


def _default_absent(schema: dict[str, Any]) -> tuple[str, ...]:
    default = schema.get("default")
    return ("None",) if default == "None" else ()


def _options(function: ast.FunctionDef) -> dict[str, Any]:
    """The literal options of a function's ``@tool(...)`` decorator."""
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call):
            return {k.arg: ast.literal_eval(k.value) for k in decorator.keywords if k.arg}
    return {}


def _registered(function: ast.FunctionDef) -> str:
    return str(_options(function).get("name") or function.name)


def tree_tool(
    tool: ToolSpec,
    operation: TreeOperation,
    signature: str,
    doc: str,
    rename: dict[str, str] | None = None,
) -> TreeTool:
    """The parts a tool's arguments play in its operation (arguments by their names in the
    function: ``rename`` maps a tool argument to its Python name)."""
    params = [
        replace(p, name=(rename or {}).get(p.name, p.name)) for p in read_params(tool.parameters)
    ]
    texts = [p for p in params if p.schema.get("type") == "string"]
    nodes = [p for p in texts if _NODE_WORDS.search(f"{p.name} {_said(p)}")]
    others = [p for p in texts if p not in nodes]
    numbers = [p for p in params if p.schema.get("type") == "integer"]
    flags = [p for p in params if p.schema.get("type") == "boolean"]
    info = read_returns(tool.returns)
    result = tuple(info.fields)
    parts: dict[str, Any] = {}
    if operation in ("move", "copy", "compare") and len(texts) >= 2:
        parts = {"node": texts[0].name, "other": texts[1].name}
    elif operation == "search":
        path = next((p for p in texts if "path" in f"{p.name} {_said(p)}".lower()), None)
        rest = [p for p in texts if p is not path]
        parts = {
            "node": path.name if path else None,
            "other": rest[0].name if rest else None,
            "absent": _default_absent(rest[0].schema) if rest else (),
        }
    elif operation == "count":
        mode = next((p for p in others if _UNIT.search(_said(p))), None)
        units = dict(_UNIT.findall(_said(mode))) if mode else {}
        numeric = [f for f, s in info.fields.items() if s.get("type") == "integer"]
        rest = [f for f in info.fields if f not in numeric]
        result = tuple(numeric[:1] + rest[:1])
        parts = {
            "node": nodes[0].name if nodes else None,
            "mode": mode.name if mode else None,
            "units": units,
        }
    elif nodes or texts:
        node = nodes[0] if nodes else texts[0]
        parts = {
            "node": node.name,
            "text": others[0].name if others else None,
            "absent": _default_absent(node.schema),
        }
    flag = flags[0] if flags else None
    return TreeTool(
        name=tool.name,
        operation=operation,
        signature=signature,
        docstring=doc,
        number=numbers[0].name if numbers else None,
        flag=flag.name if flag else None,
        hidden_prefix="." if flag is not None and "hidden" in _said(flag).lower() else None,
        result=result,
        one_level=any(
            re.search(r"\bone (folder |directory )?level at a time\b", _said(p), re.I)
            for p in params
        ),
        **parts,
    )


def _usable(tree: TreeTool, tool: ToolSpec) -> bool:
    if {p.name for p in read_params(tool.parameters)} & LOCALS:
        return False
    op = tree.operation
    if op in ("path", "list", "size"):
        return True
    if op == "count":
        return bool(tree.node and tree.mode and tree.units)
    if op in ("move", "copy", "compare"):
        return bool(tree.node and tree.other)
    if op == "lines_matching":
        return bool(tree.node and tree.text)
    if op == "write":
        return bool(tree.node and tree.text)
    if op == "search":
        return True
    return tree.node is not None


def _node_params(
    binding: Any, tree: TreeTool, rename: dict[str, str], table: str
) -> tuple[ParamBinding, ...]:
    """The arguments naming an existing node (the file a tool reads, the one it moves) as
    filters on the nodes' name column, so calls made up for the tool (checks, tasks) name nodes
    the tree holds; a name a tool creates, or moves or copies to, stays a new value."""
    if tree.operation in ("make_leaf", "make_container"):
        return binding.params
    named = {tree.node, tree.other} if tree.operation == "compare" else {tree.node}
    python_names = {v: k for k, v in rename.items()}  # back to the tool's argument names
    named = {python_names.get(n, n) for n in named if n}
    kept = tuple(p for p in binding.params if p.name not in named)
    return kept + tuple(
        ParamBinding(name=n, role="filter", column=NAME_COLUMN, table=table) for n in sorted(named)
    )


def bind_tree(
    compiled: CompiledWorld, tools: list[ToolSpec], plan: ImportPlan
) -> tuple[CompiledWorld, list[str]]:
    """The world with its tree tools' code written over the tree; notes for the report."""
    layout = layout_of(plan, tools)
    if layout is None:
        return compiled, []
    source = compiled.source
    module = ast.parse(source)
    functions = {_registered(n): n for n in module.body if isinstance(n, ast.FunctionDef)}
    lines = source.splitlines()
    replaced: dict[str, tuple[int, int, str]] = {}
    notes: list[str] = []
    bindings = {b.name: b for b in compiled.world.tools}
    updated = []
    for tool in tools:
        binding = bindings.get(tool.name)
        function = functions.get(tool.name)
        if binding is None or function is None:
            continue
        operation = operation_of(tool)
        if operation is None:
            continue
        start = (
            min(d.lineno for d in function.decorator_list)
            if function.decorator_list
            else function.lineno
        )
        head = "\n".join(lines[function.lineno - 1 : function.body[0].lineno - 1])
        found = re.search(r"def \w+\((.*)\)\s*(->[^:]*)?:\s*$", head, re.S)
        header = found.group(1) if found else "db"
        doc = (ast.get_docstring(function) or "").split("\n\n")[0]
        options = _options(function)
        tree = tree_tool(
            tool,
            operation,
            header,
            doc.replace('"""', "'''").replace("\n", "\n    "),
            options.get("rename") or {},
        )
        tree = replace(tree, name=function.name)
        if not _usable(tree, tool):
            continue
        kind = "write" if operation in WRITES else "read"
        op_name = {
            "make_container": "create",
            "make_leaf": "create",
            "copy": "create",
            "remove": "delete",
            "remove_empty": "delete",
        }.get(operation, "update" if kind == "write" else "compute")
        extra = {k: v for k, v in options.items() if k in ("name", "rename")}
        text = tool_source(tree, kind=kind, operation=op_name, table=layout.table, extra=extra)
        replaced[tool.name] = (start, function.end_lineno or function.lineno, text)
        updated.append(
            binding.model_copy(
                update={
                    "kind": kind,
                    "operation": op_name,
                    "table": layout.table,
                    "fallback": False,
                    "writes": (layout.table, layout.session) if kind == "write" else (),
                    "params": _node_params(
                        binding, tree, options.get("rename") or {}, layout.table
                    ),
                }
            )
        )
        notes.append(
            f"tool {tool.name}: {operation.replace('_', ' ')} on the tree of table "
            f"{layout.table} from the current node in {layout.session}"
        )
    if not replaced:
        return compiled, []
    for start, end, text in sorted(replaced.values(), reverse=True):
        lines[start - 1 : end] = text.rstrip("\n").split("\n")
    source = "\n".join(lines) + "\n" + helpers_source(layout) + SESSION_HELPER
    changed = {b.name: b for b in updated}
    world = compiled.world.model_copy(
        update={
            "tools": tuple(changed.get(b.name, b) for b in compiled.world.tools),
            "code_hash": code_hash(source),
        }
    )
    rebuilt = CompiledWorld.from_parts(world, source, compiled.openai_tools, config=compiled.config)
    rebuilt.spec = compiled.spec
    rebuilt.spec_text = compiled.spec_text
    if compiled.spec is not None:
        rebuilt.spec = _spec_fallbacks(compiled.spec, updated)
        rebuilt.spec_text = dump_spec(rebuilt.spec)
    return rebuilt, notes


def _spec_fallbacks(spec: WorldSpec, bound: list[Any]) -> WorldSpec:
    """The spec of the tools bound to the tree: fallbacks (the spec has no tree operation; what
    the tool does is its code), so no check compares that code with a row operation the
    inference had guessed."""
    tools = dict(spec.tools)
    for binding in bound:
        entry = tools.get(binding.name)
        if entry is None:
            continue
        tools[binding.name] = SpecTool(
            kind=binding.operation,
            access=binding.kind,
            params=entry.params,
            fallback=True,
            note="a tree operation written over the data's nodes (see tools.py)",
        )
    return spec.model_copy(update={"tools": tools})

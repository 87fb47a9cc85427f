"""Tool code over a tree of nodes with a current node (a file system's directories and files):
helpers that resolve names and paths through the session row, and one function per operation,
each written out in the generated code (counting words is ``len(text.split())``, not a call
into the runtime).

The tree is one self-referencing table (key, parent key, name, a kind column telling
containers from leaves, a content column of the leaves) and a one-row session table holding the
current node; :class:`TreeLayout` names them. Which operation a tool is and which of its
arguments plays which part is decided by the import (:mod:`agentscaler.worlds.importing.tree_tools`).
"""

from __future__ import annotations

import pprint
from dataclasses import dataclass, field
from typing import Any, Literal

TreeOperation = Literal[
    "path",
    "enter",
    "list",
    "make_container",
    "make_leaf",
    "read",
    "write",
    "remove",
    "remove_empty",
    "move",
    "copy",
    "count",
    "lines_matching",
    "last_lines",
    "sorted_lines",
    "compare",
    "size",
    "search",
]
WRITES: frozenset[str] = frozenset(
    {"enter", "make_container", "make_leaf", "write", "remove", "remove_empty", "move", "copy"}
)
"""Operations that change the tree or the session row."""


@dataclass(frozen=True)
class TreeLayout:
    """The tables and columns of a tree and its session."""

    table: str
    key: str
    parent: str
    name: str
    kind: str
    containers: tuple[Any, ...]
    leaf: Any
    content: str
    session: str
    session_key: str
    current: str

    def constant(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "key": self.key,
            "parent": self.parent,
            "name": self.name,
            "kind": self.kind,
            "containers": list(self.containers),
            "leaf": self.leaf,
            "content": self.content,
            "session": self.session,
            "session_key": self.session_key,
            "current": self.current,
        }


@dataclass(frozen=True)
class TreeTool:
    """One tool bound to a tree operation and the parts its arguments play."""

    name: str
    operation: TreeOperation
    signature: str
    """The function's parameter list as the compiler wrote it (``db, *, file_name: str``)."""
    docstring: str
    node: str | None = None
    """The argument naming a node of the current node (or a path, for ``enter``/``search``)."""
    other: str | None = None
    """The second node argument (destination, second file) or the name filter of a search."""
    text: str | None = None
    """The text argument (content to write, pattern to look for)."""
    number: str | None = None
    flag: str | None = None
    """A boolean argument: show hidden entries, human-readable sizes."""
    mode: str | None = None
    units: dict[str, str] = field(default_factory=dict)
    """For ``count``: mode value -> unit counted (``l`` -> ``lines``)."""
    absent: tuple[str, ...] = ()
    """Argument values that mean "not given" (a documented default of ``None``)."""
    result: tuple[str, ...] = ()
    """The result's fields, in order (``count``: the number's field, then the unit's)."""
    hidden_prefix: str | None = None
    one_level: bool = False
    """``enter`` moves one level at a time (the docs say so): a path of several is refused."""


HELPERS = '''

def tree_current(db):
    """The session's current node."""
    session = db.rows(TREE["session"])[0]
    return db.get(TREE["table"], session[TREE["current"]])


def tree_children(db, node):
    return db.rows(TREE["table"], where={TREE["parent"]: node[TREE["key"]]})


def tree_child(db, node, name):
    found = db.rows(TREE["table"], where={TREE["parent"]: node[TREE["key"]], TREE["name"]: name})
    return found[0] if found else None


def tree_is_container(node):
    return node[TREE["kind"]] in TREE["containers"]


def tree_parent(db, node):
    if node[TREE["parent"]] is None:
        return None
    return db.get(TREE["table"], node[TREE["parent"]])


def tree_top(db, node):
    while node[TREE["parent"]] is not None:
        node = tree_parent(db, node)
    return node


def tree_path(db, node):
    names = []
    while node is not None:
        names.append(node[TREE["name"]])
        node = tree_parent(db, node)
    return "/" + "/".join(reversed(names))


def tree_resolve(db, path):
    """A container by path: ".", "..", "/", a name of the current node or a path of names."""
    start = tree_current(db)
    if path is None or path == ".":
        return start
    node = tree_top(db, start) if path.startswith("/") else start
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            node = tree_parent(db, node)
            if node is None:
                raise NotFound(f"{path}: the top directory has no parent")
            continue
        child = tree_child(db, node, part)
        if child is None or not tree_is_container(child):
            raise NotFound(f"{path}: no such directory")
        node = child
    return node


def tree_entry(db, name):
    """A node of the current node by its name."""
    node = tree_child(db, tree_current(db), name)
    if node is None:
        raise NotFound(f"{name}: no such file or directory")
    return node


def tree_leaf(db, name):
    node = tree_entry(db, name)
    if tree_is_container(node):
        raise InvalidArgument(f"{name}: is a directory")
    return node


def tree_check_name(name):
    if not name or any(c in name for c in TREE_BAD_CHARACTERS):
        raise InvalidArgument(f"{name!r}: not a valid name (no path, none of {TREE_BAD_CHARACTERS})")


def tree_copy(db, node, parent, name):
    """A node and everything under it, copied under ``parent`` as ``name``."""
    below = tree_children(db, node) if tree_is_container(node) else []
    values = {k: v for k, v in node.items() if k != TREE["key"]}
    values[TREE["parent"]] = parent[TREE["key"]]
    values[TREE["name"]] = name
    copied = db.insert(TREE["table"], values)
    for child in below:
        tree_copy(db, child, copied, child[TREE["name"]])
    return copied


def tree_remove(db, node):
    for child in tree_children(db, node):
        tree_remove(db, child)
    db.delete(TREE["table"], node[TREE["key"]])


def tree_size(db, node):
    if not tree_is_container(node):
        return len((node[TREE["content"]] or "").encode("utf-8"))
    return sum(tree_size(db, child) for child in tree_children(db, node))
'''

BAD_CHARACTERS = '|/\\?%*:"><'


def helpers_source(layout: TreeLayout) -> str:
    """Constants and helper functions the tree tools share."""
    return (
        "\n\nTREE = "
        + pprint.pformat(layout.constant(), width=96, sort_dicts=False)
        + f"\nTREE_BAD_CHARACTERS = {BAD_CHARACTERS!r}\n"
        + HELPERS
    )


def _given(tool: TreeTool, name: str) -> str:
    absent = " and ".join(f"{name} != {v!r}" for v in tool.absent)
    return f"{name} is not None" + (f" and {absent}" if absent else "")


def _returns(tool: TreeTool, *values: str) -> str:
    if not tool.result:
        return "return {}"
    pairs = ", ".join(f"{f!r}: {v}" for f, v in zip(tool.result, values, strict=False))
    return f"return {{{pairs}}}"


def _moved(tool: TreeTool, verb: str, done: str) -> list[str]:
    """Move or copy a node of the current node into a container of it, or to a new name."""
    source, target = tool.node, tool.other
    if tool.operation == "copy":
        into = f"tree_copy(db, entry, existing_node, {source})"
        rename = f"tree_copy(db, entry, here_node, {target})"
    else:
        into = (
            "db.update(TREE['table'], entry[TREE['key']], "
            "{TREE['parent']: existing_node[TREE['key']]})"
        )
        rename = f"db.update(TREE['table'], entry[TREE['key']], {{TREE['name']: {target}}})"
    return [
        f"entry = tree_entry(db, {source})",
        f'if "/" in {target}:',
        f'    raise InvalidArgument(f"{{{target}}}: a name in the current directory, not a path")',
        "here_node = tree_current(db)",
        f"existing_node = tree_child(db, here_node, {target})",
        "if existing_node is not None:",
        "    if existing_node[TREE['key']] == entry[TREE['key']]:",
        f'        raise PreconditionFailed(f"cannot {verb} {{{source}}} into itself", '
        'rule="destination_is_not_the_source")',
        "    if not tree_is_container(existing_node):",
        f'        raise PreconditionFailed(f"cannot {verb} {{{source}}} to {{{target}}}: not a '
        f'directory", rule="destination_is_a_directory")',
        f"    if tree_child(db, existing_node, {source}) is not None:",
        f'        raise PreconditionFailed(f"cannot {verb} {{{source}}} to {{{target}}}/{{{source}}}: '
        f'it exists", rule="destination_is_free")',
        f"    {into}",
        "    " + _returns(tool, f"f\"'{{{source}}}' {done} to '{{{target}}}/{{{source}}}'\""),
        rename,
        _returns(tool, f"f\"'{{{source}}}' {done} to '{{{target}}}'\""),
    ]


LOCALS = frozenset(
    """entry here_node existing_node wanted_path found_node entry_names child_row entry_name
    body_text all_lines first_lines second_lines changed_lines left right total_size scaled
    size_unit start_node wanted_name found_paths to_visit at_node base_path inner_nodes
    child_node child_path each_line""".split()
)
"""Names the tool bodies use for their own values (no argument may be named so)."""


def _body(tool: TreeTool) -> list[str]:
    op, arg = tool.operation, tool.node
    if op == "path":
        return [_returns(tool, "tree_path(db, tree_current(db))")]
    if op == "enter":
        lines = [f'wanted_path = {arg}.rstrip("/") or "/"']
        if tool.one_level:
            lines += [
                'if wanted_path not in (".", "..", "/") and "/" in wanted_path:',
                f'    raise InvalidArgument(f"{{{arg}}}: one directory level at a time")',
            ]
        lines += [
            "found_node = tree_resolve(db, wanted_path)",
            "db.update(TREE['session'], tree_session_key(db), "
            "{TREE['current']: found_node[TREE['key']]})",
            _returns(tool, "found_node[TREE['name']]"),
        ]
        return lines
    if op == "list":
        lines = [
            "entry_names = [child_row[TREE['name']] for child_row in "
            "tree_children(db, tree_current(db))]"
        ]
        if tool.flag and tool.hidden_prefix:
            lines += [
                f"if not {tool.flag}:",
                "    entry_names = [entry_name for entry_name in entry_names if not "
                f"entry_name.startswith({tool.hidden_prefix!r})]",
            ]
        return [*lines, _returns(tool, "entry_names")]
    if op in ("make_container", "make_leaf"):
        kind = "TREE['containers'][0]" if op == "make_container" else "TREE['leaf']"
        content = "" if op == "make_container" else ", TREE['content']: ''"
        return [
            f"tree_check_name({arg})",
            "here_node = tree_current(db)",
            f"if tree_child(db, here_node, {arg}) is not None:",
            f'    raise PreconditionFailed(f"{{{arg}!r}} exists in the current directory", '
            'rule="name_is_free")',
            "db.insert(TREE['table'], {TREE['parent']: here_node[TREE['key']], "
            f"TREE['name']: {arg}, TREE['kind']: {kind}{content}}})",
            "return {}",
        ]
    if op == "read":
        return [f"entry = tree_leaf(db, {arg})", _returns(tool, "entry[TREE['content']]")]
    if op == "write":
        return [
            f"if not ({_given(tool, arg or '')}):",
            "    " + _returns(tool, tool.text or "''"),
            f"tree_check_name({arg})",
            f"entry = tree_leaf(db, {arg})",
            f"db.update(TREE['table'], entry[TREE['key']], {{TREE['content']: {tool.text}}})",
            "return {}",
        ]
    if op == "remove":
        return [
            f"tree_remove(db, tree_entry(db, {arg}))",
            _returns(tool, f"f\"'{{{arg}}}' removed\""),
        ]
    if op == "remove_empty":
        return [
            f"entry = tree_entry(db, {arg})",
            "if not tree_is_container(entry):",
            f'    raise InvalidArgument(f"{{{arg}}}: not a directory")',
            "if tree_children(db, entry):",
            f'    raise PreconditionFailed(f"{{{arg}}}: directory not empty", '
            'rule="directory_is_empty")',
            "db.delete(TREE['table'], entry[TREE['key']])",
            _returns(tool, f"f\"'{{{arg}}}' removed\""),
        ]
    if op == "move":
        return _moved(tool, "move", "moved")
    if op == "copy":
        return _moved(tool, "copy", "copied")
    if op == "count":
        units = {
            "lines": "len(body_text.splitlines())",
            "words": "len(body_text.split())",
            "characters": "len(body_text)",
        }
        lines = [
            f"if {tool.mode} not in {sorted(tool.units)!r}:",
            f'    raise InvalidArgument(f"{{{tool.mode}!r}}: not one of {sorted(tool.units)}")',
            f"body_text = tree_leaf(db, {arg})[TREE['content']] or ''",
        ]
        for value, unit in tool.units.items():
            lines += [
                f"if {tool.mode} == {value!r}:",
                "    " + _returns(tool, units.get(unit, "len(body_text)"), repr(unit)),
            ]
        return [*lines, f"raise InvalidArgument(f'no unit for {{{tool.mode}!r}}')"]
    if op == "lines_matching":
        return [
            f"body_text = tree_leaf(db, {arg})[TREE['content']] or ''",
            _returns(
                tool,
                f"[each_line for each_line in body_text.splitlines() if {tool.text} in each_line]",
            ),
        ]
    if op == "last_lines":
        count = tool.number or "10"
        return [
            f"all_lines = (tree_leaf(db, {arg})[TREE['content']] or '').splitlines()",
            _returns(
                tool, f"'\\n'.join(all_lines[-min({count}, len(all_lines)):]) if all_lines else ''"
            ),
        ]
    if op == "sorted_lines":
        return [
            f"body_text = tree_leaf(db, {arg})[TREE['content']] or ''",
            _returns(tool, "'\\n'.join(sorted(body_text.splitlines()))"),
        ]
    if op == "compare":
        return [
            f"first_lines = (tree_leaf(db, {arg})[TREE['content']] or '').splitlines()",
            f"second_lines = (tree_leaf(db, {tool.other})[TREE['content']] or '').splitlines()",
            "changed_lines = [f'- {left}\\n+ {right}' for left, right in "
            "zip(first_lines, second_lines) if left != right]",
            _returns(tool, "'\\n'.join(changed_lines)"),
        ]
    if op == "size":
        lines = ["total_size = tree_size(db, tree_current(db))"]
        if tool.flag:
            lines += [
                f"if {tool.flag}:",
                "    scaled = float(total_size)",
                "    for size_unit in ('B', 'KB', 'MB', 'GB', 'TB'):",
                "        if scaled < 1024:",
                "            " + _returns(tool, "f'{scaled:.2f} {size_unit}'"),
                "        scaled = scaled / 1024",
                "    " + _returns(tool, "f'{scaled:.2f} PB'"),
            ]
        return [*lines, _returns(tool, "f'{total_size} bytes'")]
    if op == "search":
        path = arg or "'.'"
        wanted = f"({tool.other} if {_given(tool, tool.other)} else None)" if tool.other else "None"
        return [
            f"start_node = tree_resolve(db, {path})",
            f"wanted_name = {wanted}",
            "found_paths = []",
            f"to_visit = [(start_node, ({path} or '.').rstrip('/'))]",
            "while to_visit:",
            "    at_node, base_path = to_visit.pop(0)",
            "    inner_nodes = []",
            "    for child_node in tree_children(db, at_node):",
            "        child_path = f\"{base_path}/{child_node[TREE['name']]}\"",
            "        if wanted_name is None or wanted_name in child_node[TREE['name']]:",
            "            found_paths.append(child_path)",
            "        if tree_is_container(child_node):",
            "            inner_nodes.append((child_node, child_path))",
            "    to_visit = inner_nodes + to_visit",
            _returns(tool, "found_paths"),
        ]
    raise ValueError(f"no code for tree operation {op!r}")


def tool_source(
    tool: TreeTool, *, kind: str, operation: str, table: str, extra: dict[str, Any] | None = None
) -> str:
    """The function of one tree tool, decorated as the compiler decorates tools (``extra``:
    the decorator's ``name`` and ``rename`` options)."""
    body = "\n".join("    " + line for text in _body(tool) for line in text.split("\n"))
    options = "".join(f", {k}={v!r}" for k, v in (extra or {}).items())
    return (
        f'@tool(kind="{kind}", operation="{operation}", table="{table}"{options})\n'
        f"def {tool.name}({tool.signature}):\n"
        f'    """{tool.docstring}"""\n'
        f"{body}\n"
    )


SESSION_HELPER = """

def tree_session_key(db):
    return db.rows(TREE["session"])[0][TREE["session_key"]]
"""


__all__ = [
    "LOCALS",
    "SESSION_HELPER",
    "WRITES",
    "TreeLayout",
    "TreeOperation",
    "TreeTool",
    "helpers_source",
    "tool_source",
]

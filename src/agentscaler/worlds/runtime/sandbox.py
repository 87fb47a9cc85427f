"""Safety check and restricted execution of tool code (generated, edited or LLM-written).

Before any code runs, its syntax tree is checked; refused code raises :class:`UnsafeCodeError`
naming the file and line (``tools.py:12: import statements are not allowed ...``):

* top level: only a docstring, constant assignments and function definitions (decorated with
  ``@tool(...)`` taking literal arguments, or undecorated helpers), so loading runs nothing;
* no ``import``, ``global``/``nonlocal``, classes, async code, generators, ``with``, bare
  ``except``;
* no name or attribute starting with an underscore (no dunder escapes such as
  ``().__class__.__bases__``), and none of ``eval``, ``exec``, ``compile``, ``open``,
  ``getattr``, ``globals``, ``type``, ``print`` ...; no ``str.format`` (it reaches attributes);
* f-string format specs must be short literals.

The checked tree is then instrumented: a budget check at every function entry and loop head
(also inside comprehensions), guards on ``*``, ``**``, ``<<``, ``+`` and ``%`` (augmented
assignments included) and on ``str.replace``/``translate``/``join``, f-string fields and ``str()``
that refuse results larger than ``max_sequence_len`` before they are built. It runs with a small
whitelist of builtins (``range`` capped; ``map``/``filter`` tick per item; ``sum`` of sequences
size-checked): see :mod:`.budget`.
The budget stops a call after ``time_limit_s`` or when the process grew by more than
``memory_limit_mb`` (peak RSS), raising :class:`BudgetExceeded`, a ``BaseException`` so tool code
cannot catch it with ``except Exception``; SQL is interrupted by a progress handler on the same
deadline.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from types import CodeType
from typing import Any

from agentscaler.errors import UnsafeCodeError
from agentscaler.worlds.runtime.budget import (
    GUARDED_METHODS,
    guard_add,
    guard_attribute,
    guard_lshift,
    guard_mod,
    guard_mul,
    guard_pow,
    guard_text,
    safe_filter,
    safe_map,
    safe_range,
    safe_str,
    safe_sum,
    tick,
)
from agentscaler.worlds.runtime.code_cache import cached_code

DENIED_NAMES = frozenset(
    """eval exec compile open getattr setattr delattr hasattr globals locals vars dir input
    breakpoint help exit quit type object super memoryview bytearray bytes classmethod
    staticmethod property id print iter next callable issubclass BaseException SystemExit
    KeyboardInterrupt GeneratorExit copyright credits license format ascii chr ord hash aiter
    anext""".split()
)
DENIED_ATTRIBUTES = frozenset(
    """format format_map mro gi_frame gi_code gi_yieldfrom cr_frame cr_code cr_await ag_frame
    ag_code f_globals f_locals f_builtins f_back f_code tb_frame tb_next func_globals func_code
    ljust rjust center zfill expandtabs with_traceback""".split()
)
_FORBIDDEN_NODES: dict[type, str] = {
    ast.Import: "import statements are not allowed (tool code works only through the db API)",
    ast.ImportFrom: "import statements are not allowed (tool code works only through the db API)",
    ast.Global: "global statements are not allowed",
    ast.Nonlocal: "nonlocal statements are not allowed",
    ast.ClassDef: "class definitions are not allowed",
    ast.AsyncFunctionDef: "async functions are not allowed",
    ast.Await: "await is not allowed",
    ast.AsyncFor: "async for is not allowed",
    ast.AsyncWith: "async with is not allowed",
    ast.Yield: "generators (yield) are not allowed",
    ast.YieldFrom: "generators (yield from) are not allowed",
    ast.With: "with statements are not allowed",
    ast.TryStar: "except* is not allowed",
}


# --- the checker ----------------------------------------------------------------------------


def check_source(
    source: str, filename: str = "tools.py", *, max_bytes: int = 2_000_000
) -> ast.Module:
    """Parse and check tool code; return the tree or raise UnsafeCodeError naming the line."""
    if len(source.encode("utf-8")) > max_bytes:
        raise UnsafeCodeError(
            f"{filename}: {len(source)} characters is larger than the {max_bytes} allowed"
        )
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise UnsafeCodeError(f"{filename}:{exc.lineno}: syntax error: {exc.msg}") from exc
    nodes = sorted(
        ast.walk(tree), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))
    )
    for node in nodes:
        _check_node(node, filename)
    for statement in tree.body:
        _check_top_level(statement, filename)
    return tree


def _refuse(node: ast.AST, filename: str, message: str) -> None:
    raise UnsafeCodeError(f"{filename}:{getattr(node, 'lineno', 0)}: {message}")


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _check_top_level(node: ast.stmt, filename: str) -> None:
    if (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    ):
        return
    if isinstance(node, ast.FunctionDef):
        for decorator in node.decorator_list:
            ok = (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Name)
                and decorator.func.id == "tool"
                and not decorator.args
                and all(k.arg is not None and _is_literal(k.value) for k in decorator.keywords)
            )
            if not ok:
                _refuse(
                    decorator,
                    filename,
                    "the only decorator allowed is @tool(...) with literal arguments",
                )
        return
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        if _is_literal(node.value):
            return
        _refuse(node, filename, "top-level assignments must be literal constants")
    if (
        isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.value is not None
    ):
        if _is_literal(node.value):
            return
        _refuse(node, filename, "top-level assignments must be literal constants")
    _refuse(
        node,
        filename,
        "only a docstring, constants and function definitions may appear at the top level "
        "(nothing runs when tools.py is loaded)",
    )


def _check_node(node: ast.AST, filename: str) -> None:
    message = _FORBIDDEN_NODES.get(type(node))
    if message:
        _refuse(node, filename, message)
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            _refuse(
                node, filename, f"names starting with an underscore are not allowed ({node.id})"
            )
        if node.id in DENIED_NAMES:
            _refuse(node, filename, f"{node.id} is not allowed in tool code")
    elif isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            _refuse(
                node,
                filename,
                f"attributes starting with an underscore are not allowed (.{node.attr})",
            )
        if node.attr in DENIED_ATTRIBUTES:
            _refuse(node, filename, f".{node.attr} is not allowed in tool code")
    elif isinstance(node, ast.arg):
        if node.arg.startswith("_"):
            _refuse(
                node,
                filename,
                f"parameter names starting with an underscore are not allowed ({node.arg})",
            )
    elif isinstance(node, ast.ExceptHandler):
        if node.type is None:
            _refuse(node, filename, "bare except is not allowed; name the exceptions to catch")
        if node.name and node.name.startswith("_"):
            _refuse(node, filename, "names starting with an underscore are not allowed")
    elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
        spec = node.format_spec
        parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
        for part in parts:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                _refuse(node, filename, "f-string format specs must be literal")
            digits = "".join(ch if ch.isdigit() else " " for ch in part.value).split()
            if any(len(d) > 3 for d in digits):
                _refuse(node, filename, "f-string format widths above 999 are not allowed")
    elif isinstance(node, ast.keyword) and node.arg is not None and node.arg.startswith("_"):
        _refuse(
            node,
            filename,
            f"keyword names starting with an underscore are not allowed ({node.arg})",
        )
    elif isinstance(node, ast.FunctionDef) and node.name.startswith("_"):
        _refuse(
            node,
            filename,
            f"function names starting with an underscore are not allowed ({node.name})",
        )


# --- instrumentation ------------------------------------------------------------------------

_GUARDED = {
    ast.Mult: "_guard_mul",
    ast.Pow: "_guard_pow",
    ast.LShift: "_guard_lshift",
    ast.Add: "_guard_add",
    ast.Mod: "_guard_mod",
}


def _tick_call(node: ast.AST) -> ast.Expr:
    call = ast.Expr(ast.Call(ast.Name("_tick", ast.Load()), [], []))
    return ast.copy_location(call, node)


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


def _small_constants(left: ast.expr, right: ast.expr) -> bool:
    """Both operands are small literals (and no ``%`` template): the result is known small."""
    if not (isinstance(left, ast.Constant) and isinstance(right, ast.Constant)):
        return False
    for value in (left.value, right.value):
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and abs(value) >= 1000:
            return False
        if isinstance(value, str) and (len(value) >= 1000 or "%" in value):
            return False
        if isinstance(value, bytes) and (len(value) >= 1000 or b"%" in value):
            return False
    return True


class _Instrumenter(ast.NodeTransformer):
    def __init__(self) -> None:
        self._temporaries = 0

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.generic_visit(node)
        body = list(node.body)
        at = (
            1
            if body
            and isinstance(body[0], ast.Expr)
            and isinstance(getattr(body[0], "value", None), ast.Constant)
            else 0
        )
        body.insert(at, _tick_call(node))
        node.body = body
        return node

    def _loop(self, node: ast.For | ast.While) -> ast.AST:
        self.generic_visit(node)
        node.body = [_tick_call(node), *node.body]
        return node

    visit_For = _loop
    visit_While = _loop

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        tick = ast.Call(ast.Name("_tick", ast.Load()), [], [])
        node.ifs = [*node.ifs, ast.copy_location(tick, node.iter)]
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self.generic_visit(node)
        tick = ast.Call(ast.Name("_tick", ast.Load()), [], [])
        node.body = ast.copy_location(ast.BoolOp(ast.And(), [tick, node.body]), node.body)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        guard = _GUARDED.get(type(node.op))
        if guard is None or _small_constants(node.left, node.right):
            return node
        return ast.copy_location(_call(guard, node.left, node.right), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST | list[ast.stmt]:
        self.generic_visit(node)
        guard = _GUARDED.get(type(node.op))
        if guard is None:
            return node
        target = node.target
        if isinstance(target, ast.Name):
            value = _call(guard, ast.Name(target.id, ast.Load()), node.value)
            assign = ast.Assign([ast.Name(target.id, ast.Store())], value)
            return ast.copy_location(assign, node)
        # x[k] += v / x.a += v: evaluate the container (and key) once, as Python does
        self._temporaries += 1
        owner = f"_aug{self._temporaries}_owner"
        statements: list[ast.stmt] = [
            ast.Assign([ast.Name(owner, ast.Store())], target.value)  # type: ignore[attr-defined]
        ]
        if isinstance(target, ast.Subscript):
            key = f"_aug{self._temporaries}_key"
            statements.append(ast.Assign([ast.Name(key, ast.Store())], target.slice))
            load = ast.Subscript(ast.Name(owner, ast.Load()), ast.Name(key, ast.Load()), ast.Load())
            store = ast.Subscript(
                ast.Name(owner, ast.Load()), ast.Name(key, ast.Load()), ast.Store()
            )
        elif isinstance(target, ast.Attribute):
            load = ast.Attribute(ast.Name(owner, ast.Load()), target.attr, ast.Load())
            store = ast.Attribute(ast.Name(owner, ast.Load()), target.attr, ast.Store())
        else:  # pragma: no cover - Python allows no other augmented targets
            return node
        statements.append(ast.Assign([store], _call(guard, load, node.value)))
        return [ast.copy_location(s, node) for s in statements]

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if not (isinstance(node.value, ast.Name) and node.value.id == "str"):
            self.generic_visit(node)  # str.upper stays the type's method
        if node.attr in GUARDED_METHODS and isinstance(node.ctx, ast.Load):
            call = _call("_guard_attribute", node.value, ast.Constant(node.attr))
            return ast.copy_location(call, node)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        node.value = ast.copy_location(_call("_guard_text", node.value), node.value)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "isinstance":
            # the types stay types: isinstance(x, str) / isinstance(x, (str, int))
            node.args = [
                self.visit(a) if i == 0 else self._types(a) for i, a in enumerate(node.args)
            ]
            node.keywords = [self.visit(k) for k in node.keywords]
            return node
        if isinstance(func, ast.Name) and func.id == "str":
            node.args = [self.visit(a) for a in node.args]
            node.keywords = [self.visit(k) for k in node.keywords]
            if node.args:
                node.args[0] = ast.copy_location(_call("_guard_text", node.args[0]), node.args[0])
            return node
        self.generic_visit(node)
        return node

    def _types(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Name):
            return node
        if isinstance(node, ast.Tuple):
            node.elts = [self._types(e) for e in node.elts]
            return node
        return self.visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        # ``str`` passed as a value (map(str, ...), key=str) renders under the size limit
        if node.id == "str" and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Name("_safe_str", ast.Load()), node)
        return node


def instrument(tree: ast.Module) -> ast.Module:
    """Insert budget checks and operator guards into a checked tree."""
    tree = _Instrumenter().visit(tree)
    return ast.fix_missing_locations(tree)


SAFE_BUILTINS: dict[str, Any] = {
    name: getattr(builtins, name)
    for name in (
        "abs all any bool dict enumerate float frozenset int isinstance len list max "
        "min reversed round set slice sorted str tuple zip divmod"
    ).split()
}
SAFE_BUILTINS.update(
    {
        "range": safe_range,
        "map": safe_map,
        "filter": safe_filter,
        "sum": safe_sum,
        "Exception": Exception,
        "ValueError": ValueError,
        "KeyError": KeyError,
        "TypeError": TypeError,
        "IndexError": IndexError,
        "ZeroDivisionError": ZeroDivisionError,
        "ArithmeticError": ArithmeticError,
        "LookupError": LookupError,
        "True": True,
        "False": False,
        "None": None,
    }
)

_RUNTIME_NAMES: dict[str, Callable[..., Any]] = {
    "_tick": tick,
    "_guard_mul": guard_mul,
    "_guard_pow": guard_pow,
    "_guard_lshift": guard_lshift,
    "_guard_add": guard_add,
    "_guard_mod": guard_mod,
    "_guard_attribute": guard_attribute,
    "_guard_text": guard_text,
    "_safe_str": safe_str,
}


def execute(
    source: str,
    namespace: dict[str, Any],
    *,
    filename: str = "tools.py",
    max_bytes: int = 2_000_000,
) -> dict[str, Any]:
    """Check, instrument and run tool code in a fresh namespace; return the namespace.

    ``namespace`` supplies the names tool code may use (``tool``, ``NotFound`` ...). Code that
    passed the checks before is taken compiled from :mod:`.code_cache`.
    """

    def build() -> CodeType:
        tree = instrument(check_source(source, filename, max_bytes=max_bytes))
        return compile(tree, filename, "exec")

    code = cached_code(source, filename, max_bytes, build)
    env: dict[str, Any] = {"__builtins__": dict(SAFE_BUILTINS), "__name__": "world_tools"}
    env.update(_RUNTIME_NAMES)
    env.update(namespace)
    exec(code, env)  # checked (now or when cached); this is the sandbox's one exec
    return env

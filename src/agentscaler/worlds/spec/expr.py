"""The expression language of world specs: a small, safe subset of Python.

Expressions appear in rules (``check``, ``when``, ``error`` placeholders), effect values, lookup
keys and invariants. They may use:

* tool arguments as ``$name`` (``$order_id``; ``$address.city`` for a field of an object);
* rows bound by the tool (``order.status``) and loop variables (``item.quantity``);
* literals, arithmetic, comparisons, ``and``/``or``/``not``, ``x if c else y``, ``in``, lists,
  tuples, and comprehensions (``sum(i.quantity for i in $items)``);
* the functions of :data:`FUNCTIONS` (the world clock, aggregates over tables, date arithmetic,
  and the formulas of compute tools: statistics, logarithms, distances, unit conversion).

:func:`parse` checks an expression and names what is wrong; :class:`Translator` turns it into the
Python that generated tool code runs (``order.status`` -> ``order["status"]``, ``today()`` ->
``db.today()``, ``count("review", product_id=$product_id)`` -> ``db.count("reviews", ...)``).
"""

from __future__ import annotations

import ast
import builtins
import io
import re
import string
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agentscaler.errors import SpecError

PARAM_PREFIX = "arg__"
"""Internal spelling of ``$name`` (a valid identifier no entity or row can take)."""
_HEX_PREFIX = "argx__"
"""Internal spelling of ``${any name}``: the name's UTF-8 bytes in hex."""

PARAM_PATTERN = re.compile(r"\$(?:\{([^}]+)\}|([A-Za-z_][A-Za-z0-9_]*))")
"""An argument named in a spec value: group 1 the name of ``${name}``, group 2 of ``$name``."""


def param_ref(name: str) -> str:
    """How a spec value names the argument ``name``: ``$name``, or ``${name}`` when the name
    is not an identifier (``${2fa}``, ``${book-room}``)."""
    return f"${name}" if name.isidentifier() else f"${{{name}}}"


def param_of(value: Any) -> str | None:
    """The argument a value names when it is exactly ``$name`` or ``${name}``, else None."""
    if not isinstance(value, str):
        return None
    match = PARAM_PATTERN.fullmatch(value.strip())
    return (match.group(1) or match.group(2)) if match else None


def _encode_param(name: str) -> str:
    return PARAM_PREFIX + name if name.isidentifier() else _HEX_PREFIX + name.encode().hex()


def decode_param(identifier: str) -> str | None:
    """The argument name an internal identifier stands for, or None if it is not one."""
    if identifier.startswith(_HEX_PREFIX):
        return bytes.fromhex(identifier[len(_HEX_PREFIX) :]).decode()
    if identifier.startswith(PARAM_PREFIX):
        return identifier[len(PARAM_PREFIX) :]
    return None


@dataclass(frozen=True)
class Function:
    """A function of the expression language and its argument counts."""

    min_args: int
    max_args: int
    doc: str
    table_first: bool = False
    """The first argument names an entity (turned into its table)."""


FUNCTIONS: dict[str, Function] = {
    "now": Function(0, 0, "the world clock's date and time (ISO 8601)"),
    "today": Function(0, 0, "the world clock's date (YYYY-MM-DD)"),
    "len": Function(1, 1, "number of elements of a list or characters of a text"),
    "sum": Function(1, 1, "sum of numbers"),
    "min": Function(1, 9, "smallest value"),
    "max": Function(1, 9, "largest value"),
    "round": Function(1, 2, "a number rounded (to n decimals)"),
    "abs": Function(1, 1, "absolute value"),
    "lower": Function(1, 1, "text in lower case"),
    "str": Function(1, 1, "a value as text"),
    "int": Function(1, 1, "a value as a whole number"),
    "float": Function(1, 1, "a value as a number"),
    "coalesce": Function(2, 4, "the first value that is not null"),
    "count": Function(1, 1, "rows of an entity matching column=value filters", table_first=True),
    "exists": Function(1, 1, "whether a row of an entity matches the filters", table_first=True),
    "rows": Function(1, 1, "every row of an entity matching the filters", table_first=True),
    "total": Function(2, 2, "sum of a column over the matching rows", table_first=True),
    "average": Function(2, 2, "mean of a column over the matching rows", table_first=True),
    "days_between": Function(2, 2, "whole days from the first date to the second"),
    "hours_between": Function(2, 2, "hours from the first date-time to the second"),
    "years_between": Function(2, 2, "whole years from the first date to the second (age)"),
    "weekday": Function(1, 1, "day of the week of a date, 0 (Monday) to 6 (Sunday)"),
    "day_part": Function(
        1, 1, "part of the day of a date-time: 'morning', 'afternoon', 'evening' or 'night'"
    ),
    "working_days": Function(
        2, 2, "Monday-to-Friday days from the first date to the second, both counted"
    ),
    "add_days": Function(2, 2, "a date (or date-time) plus a number of days"),
    "add_hours": Function(2, 2, "a date-time plus a number of hours"),
    "mean_of": Function(1, 1, "arithmetic mean of a list of numbers"),
    "sum_of": Function(1, 1, "sum of a non-empty list of numbers"),
    "min_of": Function(1, 1, "smallest of a non-empty list of numbers"),
    "max_of": Function(1, 1, "largest of a non-empty list of numbers"),
    "median_of": Function(1, 1, "median of a list of numbers"),
    "stdev_of": Function(1, 1, "population standard deviation of a list of numbers"),
    "variance_of": Function(1, 1, "population variance of a list of numbers"),
    "product_of": Function(1, 1, "product of a list of numbers"),
    "div": Function(2, 2, "the first number divided by the second (zero: invalid argument)"),
    "log_of": Function(1, 2, "logarithm of a positive number in a base (natural without one)"),
    "sqrt_of": Function(1, 1, "square root of a non-negative number"),
    "power_of": Function(2, 2, "the first number raised to the second"),
    "factorial_of": Function(1, 1, "n! of a whole number from 0 to 170"),
    "haversine_km": Function(
        4, 4, "great-circle distance in km between (lat1, lon1) and (lat2, lon2)"
    ),
    "convert_units": Function(3, 3, "a value in one unit expressed in another (factors of pint)"),
    "in_format": Function(2, 2, "whether a text has a named format: 'semver' or 'html'"),
}
"""Functions expressions may call; generated code calls them on the database API (``db.x``)."""

_DB_METHODS = {
    "now": "now",
    "today": "today",
    "lower": "lower",
    "coalesce": "coalesce",
    "days_between": "days_between",
    "hours_between": "hours_between",
    "add_days": "add_days",
    "add_hours": "add_hours",
    "years_between": "years_between",
    "weekday": "weekday",
    "day_part": "day_part",
    "working_days": "working_days",
    **{
        name: name
        for name in (
            "mean_of sum_of min_of max_of median_of stdev_of variance_of product_of div log_of "
            "sqrt_of power_of factorial_of haversine_km convert_units in_format".split()
        )
    },
}
_BUILTINS = frozenset({"len", "sum", "min", "max", "round", "abs", "str", "int", "float"})


def eval_builtins() -> dict[str, Any]:
    """The Python builtins a translated expression may call, for ``eval``'s namespace."""
    return {name: getattr(builtins, name) for name in sorted(_BUILTINS)}


_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.IfExp,
    ast.Call,
    ast.keyword,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Attribute,
    ast.Subscript,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.GeneratorExp,
    ast.ListComp,
    ast.comprehension,
)


def is_expression(value: Any) -> bool:
    """True for a value written as an expression (``=...`` or ``$name...``)."""
    return isinstance(value, str) and value[:1] in ("=", "$")


def may_empty(value: Any) -> bool:
    """A computed value that is None when there is nothing to compute it from (the average of
    no rows): the column is emptied then, not left as it was."""
    return is_expression(value) and "average(" in str(value)


def expression_text(value: str) -> str:
    """The expression of a ``=...`` or ``$...`` value."""
    return value[1:].strip() if value.startswith("=") else value.strip()


def _replace_params(text: str) -> str:
    """``$name`` -> ``arg__name`` outside string literals."""
    out: list[str] = []
    i = 0
    quote: str | None = None
    while i < len(text):
        ch = text[i]
        if quote:
            out.append(ch)
            if ch == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in "'\"":
            quote = ch
            out.append(ch)
            i += 1
            continue
        match = PARAM_PATTERN.match(text, i)
        if match:
            out.append(_encode_param(match.group(1) or match.group(2)))
            i = match.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def parse(text: str, where: str) -> ast.Expression:
    """The checked syntax tree of an expression; :class:`SpecError` names ``where`` if bad."""
    source = _replace_params(text.strip())
    if not source:
        raise SpecError(f"{where}: the expression is empty")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise SpecError(f"{where}: {text!r} is not an expression ({exc.msg})") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise SpecError(
                f"{where}: {text!r} uses {type(node).__name__}, which spec expressions do not "
                "allow (use arguments, rows, literals, operators and the spec functions)"
            )
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                called = ast.unparse(node.func)
                raise SpecError(
                    f"{where}: {text!r} calls {called}(), which is not a spec function "
                    f"(functions: {', '.join(sorted(FUNCTIONS))})"
                )
            function = FUNCTIONS[node.func.id]
            if not function.min_args <= len(node.args) <= function.max_args:
                raise SpecError(
                    f"{where}: {node.func.id}() takes {function.min_args}"
                    + (f"-{function.max_args}" if function.max_args != function.min_args else "")
                    + f" positional arguments, got {len(node.args)} in {text!r}"
                )
            if node.keywords and not function.table_first:
                raise SpecError(f"{where}: {node.func.id}() takes no keyword arguments ({text!r})")
            if function.table_first and not (
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
            ):
                raise SpecError(
                    f"{where}: the first argument of {node.func.id}() is an entity name in "
                    f'quotes, e.g. {node.func.id}("review", product_id=$product_id)'
                )
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise SpecError(f"{where}: names may not start with an underscore ({text!r})")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise SpecError(f"{where}: fields may not start with an underscore ({text!r})")
    return tree


def free_names(tree: ast.AST) -> set[str]:
    """Names an expression reads that it does not define itself (comprehension variables and
    function names excluded); arguments appear as ``arg__name``."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            for target in ast.walk(node.target):
                if isinstance(target, ast.Name):
                    bound.add(target.id)
    called = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    names = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    return names - bound - (called & set(FUNCTIONS))


def params_used(tree: ast.AST) -> set[str]:
    """The tool arguments an expression reads (without the ``$``)."""
    names = (decode_param(n.id) for n in ast.walk(tree) if isinstance(n, ast.Name))
    return {n for n in names if n is not None}


def parse_each(text: str, where: str) -> tuple[str, ast.Expression]:
    """``item in $items`` -> ``("item", <tree of $items>)``."""
    variable, sep, rest = text.partition(" in ")
    variable = variable.strip()
    if not sep or not variable.isidentifier() or decode_param(variable) is not None:
        raise SpecError(f"{where}: each must read 'NAME in EXPRESSION' (e.g. 'item in $items')")
    return variable, parse(rest, where)


@dataclass
class Scope:
    """What the names of a tool's expressions stand for in generated code."""

    params: Mapping[str, str]
    """Argument name -> Python variable."""
    rows: dict[str, str] = field(default_factory=dict)
    """Bound row name -> Python variable (rows: every column present)."""
    items: dict[str, str] = field(default_factory=dict)
    """Loop variable -> Python variable (elements of arguments: fields may be missing)."""
    tables: Mapping[str, str] = field(default_factory=dict)
    """Entity -> table (for aggregate functions)."""

    def child(self, **items: str) -> Scope:
        return Scope(self.params, dict(self.rows), {**self.items, **items}, self.tables)

    def knows(self, name: str) -> bool:
        param = decode_param(name)
        if param is not None:
            return param in self.params
        return name in self.rows or name in self.items


class Translator(ast.NodeTransformer):
    """Rewrites a checked expression into the Python of generated tool code."""

    def __init__(self, scope: Scope, where: str) -> None:
        self.scope = scope
        self.where = where
        self.local_items: set[str] = set()

    def translate(self, tree: ast.Expression) -> str:
        for node in ast.walk(tree):
            if isinstance(node, ast.comprehension):
                for target in ast.walk(node.target):
                    if isinstance(target, ast.Name):
                        self.local_items.add(target.id)
        unknown = sorted(
            n for n in free_names(tree) if n not in self.local_items and not self.scope.knows(n)
        )
        if unknown:
            shown = ", ".join(
                param_ref(p) if (p := decode_param(n)) is not None else n for n in unknown
            )
            known = sorted(
                [*(param_ref(p) for p in self.scope.params), *self.scope.rows, *self.scope.items]
            )
            raise SpecError(
                f"{self.where}: unknown name {shown} (known here: {', '.join(known) or 'none'})"
            )
        return ast.unparse(self.visit(ast.fix_missing_locations(tree)).body)

    def _is_item(self, node: ast.AST) -> bool:
        """Whether a value comes from arguments (a dict whose fields may be absent)."""
        if isinstance(node, ast.Name):
            return (
                node.id in self.scope.items
                or node.id in self.local_items
                or decode_param(node.id) is not None
            )
        if isinstance(node, ast.Attribute):
            return self._is_item(node.value)
        return False

    def visit_Name(self, node: ast.Name) -> ast.AST:
        name = node.id
        param = decode_param(name)
        if param is not None:
            return ast.copy_location(ast.Name(self.scope.params[param]), node)
        if name in self.local_items:
            return node
        if name in self.scope.rows:
            return ast.copy_location(ast.Name(self.scope.rows[name]), node)
        if name in self.scope.items:
            return ast.copy_location(ast.Name(self.scope.items[name]), node)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        value = self.visit(node.value)
        if self._is_item(node.value):
            if isinstance(node.value, ast.Name) and decode_param(node.value.id) is not None:
                value = ast.BoolOp(ast.Or(), [value, ast.Dict([], [])])  # an optional object
            call = ast.Call(ast.Attribute(value, "get", ast.Load()), [ast.Constant(node.attr)], [])
            return ast.copy_location(call, node)
        return ast.copy_location(ast.Subscript(value, ast.Constant(node.attr), ast.Load()), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        name = node.func.id  # type: ignore[attr-defined]
        function = FUNCTIONS[name]
        args = [self.visit(a) for a in node.args]
        if function.table_first:
            entity = node.args[0].value  # type: ignore[attr-defined]
            table = self.scope.tables.get(entity)
            if table is None:
                raise SpecError(
                    f"{self.where}: {name}() names entity {entity!r}, which the spec does not "
                    f"have (entities: {', '.join(sorted(self.scope.tables))})"
                )
            where = ast.Dict(
                [ast.Constant(k.arg) for k in node.keywords],
                [self.visit(k.value) for k in node.keywords],
            )
            call_args: list[ast.expr] = [ast.Constant(table)]
            if name in ("total", "average"):
                call_args.append(args[1])
            method = {"exists": "exists_where"}.get(name, name)
            return ast.copy_location(
                ast.Call(
                    ast.Attribute(ast.Name("db"), method, ast.Load()),
                    call_args,
                    [ast.keyword("where", where)] if node.keywords else [],
                ),
                node,
            )
        if name in _BUILTINS:
            return ast.copy_location(ast.Call(ast.Name(name), args, []), node)
        return ast.copy_location(
            ast.Call(ast.Attribute(ast.Name("db"), _DB_METHODS[name], ast.Load()), args, []),
            node,
        )


def double_quoted(code: str) -> str:
    """``code`` with its simple single-quoted string literals written with double quotes."""
    if "'" not in code:
        return code
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return code
    out = []
    last = 0
    lines = code.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for token in tokens:
        text = token.string
        if (
            token.type == tokenize.STRING
            and text.startswith("'")
            and text.endswith("'")
            and '"' not in text
            and "\\" not in text
        ):
            start = offsets[token.start[0] - 1] + token.start[1]
            end = offsets[token.end[0] - 1] + token.end[1]
            out.append(code[last:start])
            out.append('"' + text[1:-1] + '"')
            last = end
    out.append(code[last:])
    return "".join(out)


def py_literal(value: Any) -> str:
    """Python source of a literal value, strings in double quotes."""
    return double_quoted(repr(value))


def to_python(text: str, scope: Scope, where: str, *, inside_fstring: bool = False) -> str:
    """The Python of an expression (without a leading ``=``) for generated code (strings in
    double quotes, or single quotes for use inside a double-quoted f-string)."""
    code = Translator(scope, where).translate(parse(text, where))
    return code if inside_fstring else double_quoted(code)


def value_to_python(value: Any, scope: Scope, where: str) -> str:
    """The Python of a spec value: an expression (``=...``/``$...``) or a literal."""
    if is_expression(value):
        return to_python(expression_text(value), scope, where)
    return py_literal(value)


def template_parts(template: str, where: str) -> list[tuple[str, str | None]]:
    """``"order {order.order_id} is {order.status}"`` -> literal and expression parts."""
    parts: list[tuple[str, str | None]] = []
    try:
        for literal, field_name, spec, conversion in string.Formatter().parse(template):
            if spec or conversion:
                raise SpecError(
                    f"{where}: {{...}} in messages hold expressions only, without :format "
                    f"or !conversion ({template!r})"
                )
            parts.append((literal, field_name))
    except ValueError as exc:
        raise SpecError(f"{where}: unbalanced braces in {template!r} ({exc})") from None
    return parts


def template_to_python(template: str, scope: Scope, where: str) -> str:
    """Python source of a message template with ``{expression}`` parts (an f-string, or a
    concatenation when an expression holds characters an f-string cannot)."""
    parts = [
        (
            literal,
            to_python(expression, scope, where, inside_fstring=True)
            if expression is not None
            else None,
        )
        for literal, expression in template_parts(template, where)
    ]
    if all(code is None for _, code in parts):
        return _quoted("".join(literal for literal, _ in parts))
    if all(code is None or not set(code) & {'"', "\\", "\n"} for _, code in parts):
        body = "".join(
            _escaped(literal).replace("{", "{{").replace("}", "}}")
            + ("{" + code + "}" if code is not None else "")
            for literal, code in parts
        )
        return 'f"' + body + '"'
    pieces = []
    for literal, code in parts:
        if literal:
            pieces.append(_quoted(literal))
        if code is not None:
            pieces.append(f"str({code})")
    return " + ".join(pieces)


def _escaped(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("\\", "\\\\").replace('"', '\\"')


def _quoted(text: str) -> str:
    return '"' + _escaped(text) + '"'

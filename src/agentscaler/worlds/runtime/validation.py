"""Arguments checked against a tool's JSON Schema before its code runs.

Validators are compiled once per tool and cached. Errors become :class:`InvalidArgument` naming
the parameter and what was expected: a missing required argument, an unexpected extra one, a
wrong type, a value outside the enum. Integral floats given for integer parameters are turned
into ints (``2.0`` -> ``2``), as JSON Schema counts them as integers.
"""

from __future__ import annotations

import json
from typing import Any

from agentscaler.errors import InvalidArgument, WorldBugError
from agentscaler.worlds.schemas import resolve_schema, schema_type

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "an array",
    "object": "an object",
    "null": "null",
}


def _short(value: Any, limit: int = 60) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _expected(schema: dict[str, Any]) -> str:
    json_type = schema.get("type")
    if isinstance(json_type, list):
        return " or ".join(_TYPE_NAMES.get(t, t) for t in json_type)
    if isinstance(json_type, str):
        return _TYPE_NAMES.get(json_type, json_type)
    return "a value"


class ArgumentValidator:
    """Validates the arguments of one tool."""

    def __init__(self, tool: str, parameters: dict[str, Any]) -> None:
        self.tool = tool
        self.parameters = parameters if isinstance(parameters, dict) else {}
        properties = self.parameters.get("properties")
        self.properties: dict[str, Any] = properties if isinstance(properties, dict) else {}
        self.required: tuple[str, ...] = tuple(
            r for r in (self.parameters.get("required") or ()) if isinstance(r, str)
        )
        self._integers = tuple(
            name
            for name, schema in self.properties.items()
            if isinstance(schema, dict) and schema_type(resolve_schema(schema)) == "integer"
        )
        self._validator: Any = None
        self._fast = fast_checker(self.parameters)

    def _compiled(self) -> Any:
        if self._validator is None:
            from jsonschema import Draft202012Validator
            from jsonschema.validators import validator_for

            cls = validator_for(self.parameters, default=Draft202012Validator)
            self._validator = cls(self.parameters)
        return self._validator

    def validate(self, arguments: Any) -> dict[str, Any]:
        """The arguments, checked (and integral floats made ints), or InvalidArgument."""
        if not isinstance(arguments, dict):
            raise InvalidArgument(
                f"{self.tool}: arguments must be a JSON object of named arguments, got {_short(arguments)}"
            )
        for name in arguments:
            if name not in self.properties:
                known = ", ".join(self.properties) or "no arguments"
                raise InvalidArgument(
                    f"{self.tool}: unexpected argument {name!r} ({self.tool} takes {known})"
                )
        for name in self.required:
            if name not in arguments or arguments[name] is None:
                schema = self.properties.get(name) or {}
                what = _expected(schema)
                description = str(schema.get("description", "")).strip()
                hint = f": {description}" if description else ""
                raise InvalidArgument(
                    f"{self.tool}: missing required argument {name!r} ({what}{hint})"
                )
        present = {k: v for k, v in arguments.items() if v is not None}
        if self._fast is not None and self._fast(present):
            return self._integral(present)
        validator = self._compiled()
        try:
            if not validator.is_valid(present):
                raise self._error(present)
        except InvalidArgument:
            raise
        except Exception as exc:  # a schema jsonschema cannot use
            raise WorldBugError(
                f"{self.tool}: its parameters schema cannot be used ({exc})"
            ) from exc
        return self._integral(present)

    def _integral(self, present: dict[str, Any]) -> dict[str, Any]:
        for name in self._integers:
            value = present.get(name)
            if isinstance(value, float) and value.is_integer():
                present[name] = int(value)
        return present

    def _error(self, arguments: dict[str, Any]) -> InvalidArgument:
        from jsonschema.exceptions import best_match

        error = best_match(self._compiled().iter_errors(arguments))
        if error is None:  # pragma: no cover - is_valid said otherwise
            return InvalidArgument(f"{self.tool}: invalid arguments")
        path = list(error.absolute_path)
        name = str(path[0]) if path else "arguments"
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[1:])
        target = f"argument {name!r}" + (f" at {where}" if where else "")
        value = _short(error.instance)
        match error.validator:
            case "type":
                message = f"{target} must be {_expected(error.schema)}, got {value}"
            case "enum":
                options = ", ".join(_short(v, 30) for v in error.validator_value)
                message = f"{target} must be one of {options}; got {value}"
            case "required":
                message = f"{target}: {error.message}"
            case "additionalProperties":
                message = f"{target}: {error.message}"
            case _:
                message = f"{target} is invalid: {error.message}"
        return InvalidArgument(f"{self.tool}: {message}")


# --- a fast path for flat schemas ---------------------------------------------------------------
# Most tool schemas are flat: typed scalars with enums, patterns and bounds. For those a
# compiled check decides validity in microseconds; anything it cannot judge, and every failure
# (for its message), goes through jsonschema.

_SIMPLE_KEYS = frozenset(
    """type description enum const pattern minimum maximum exclusiveMinimum exclusiveMaximum
    minLength maxLength format default title examples""".split()
)
_TOP_KEYS = frozenset(
    "type properties required description title additionalProperties $schema".split()
)
_TYPE_TESTS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _property_check(schema: Any) -> Any:
    """A predicate for one property schema, or None when the schema is not flat."""
    import re

    if not isinstance(schema, dict) or not set(schema) <= _SIMPLE_KEYS:
        return None
    checks = []
    json_type = schema.get("type")
    if json_type is not None:
        names = json_type if isinstance(json_type, list) else [json_type]
        if not all(n in _TYPE_TESTS for n in names):
            return None
        tests = [_TYPE_TESTS[n] for n in names]
        checks.append(lambda v: any(t(v) for t in tests))
    if "enum" in schema:
        options = schema["enum"]
        if not isinstance(options, list):
            return None
        checks.append(lambda v: any(_same(v, o) for o in options))
    if "const" in schema:
        constant = schema["const"]
        checks.append(lambda v: _same(v, constant))
    if "pattern" in schema:
        try:
            compiled = re.compile(schema["pattern"])
        except (re.error, TypeError):
            return None
        checks.append(lambda v: not isinstance(v, str) or compiled.search(v) is not None)
    bounds = {
        k: schema[k]
        for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
        if k in schema
    }
    if bounds:
        if not all(
            isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds.values()
        ):
            return None

        def within(v: Any) -> bool:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return True
            return (
                v >= bounds.get("minimum", v)
                and v <= bounds.get("maximum", v)
                and ("exclusiveMinimum" not in bounds or v > bounds["exclusiveMinimum"])
                and ("exclusiveMaximum" not in bounds or v < bounds["exclusiveMaximum"])
            )

        checks.append(within)
    lengths = {k: schema[k] for k in ("minLength", "maxLength") if k in schema}
    if lengths:
        if not all(isinstance(n, int) for n in lengths.values()):
            return None
        low, high = lengths.get("minLength", 0), lengths.get("maxLength")
        checks.append(
            lambda v: not isinstance(v, str) or (len(v) >= low and (high is None or len(v) <= high))
        )
    return lambda v: all(check(v) for check in checks)


def fast_checker(parameters: dict[str, Any]) -> Any:
    """``check(arguments) -> True`` when surely valid (False: ask jsonschema), or None when the
    schema is not flat enough to check this way."""
    if not isinstance(parameters, dict) or not set(parameters) <= _TOP_KEYS:
        return None
    if parameters.get("type", "object") != "object" or parameters.get(
        "additionalProperties"
    ) not in (None, True, False):
        return None
    properties = parameters.get("properties") or {}
    if not isinstance(properties, dict):
        return None
    checks = {}
    for name, schema in properties.items():
        check = _property_check(schema)
        if check is None:
            return None
        checks[name] = check
    required = [r for r in parameters.get("required") or () if isinstance(r, str)]

    def check(arguments: dict[str, Any]) -> bool:
        if any(name not in arguments for name in required):
            return False
        return all(name in checks and checks[name](value) for name, value in arguments.items())

    return check
